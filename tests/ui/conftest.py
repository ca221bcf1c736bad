"""Fixtures for the browser tests: a GeoPackage-backed portal and one headless Chromium.

Set ``BUERGERGIS_UI_URL=http://host:port`` to drive an already running portal
instead of starting one (handy while developing the UI).
"""

from __future__ import annotations

import io
import os
import time

import pytest

from tests.conftest import ARTIFACTS, LiveServer, load_demo_store

#: Headless Chromium with software WebGL (deck.gl needs it) and nothing that phones home.
CHROME_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--window-size=1440,900",
    "--lang=de-DE",
)


class _External:
    """A portal someone else started (BUERGERGIS_UI_URL)."""

    def __init__(self, url: str):
        self.url = url.rstrip("/")
        self.api = f"{self.url}/oapi"


@pytest.fixture(scope="session")
def ui_server(tmp_path_factory):
    """The portal over the demo data in a fresh GeoPackage, for the whole session."""
    external = os.environ.get("BUERGERGIS_UI_URL")
    if external:
        yield _External(external)
        return
    data_dir = tmp_path_factory.mktemp("ui")
    store = str(data_dir / "store.gpkg")
    load_demo_store(store, data_dir)
    server = LiveServer(store, data_dir)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser(chromium_paths):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chrome, driver_path = chromium_paths
    options = webdriver.ChromeOptions()
    options.binary_location = chrome
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_script_timeout(60)
    yield driver
    driver.quit()


def wait_until(predicate, timeout: float = 20, interval: float = 0.25, message: str = "condition"):
    """Poll ``predicate`` until it returns something truthy; that value is returned."""
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except Exception as err:  # noqa: BLE001 - DOM nodes come and go while Dash re-renders
            last_error = err
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {message}" + (f" (last error: {last_error})" if last_error else ""))


def show_view(driver, key: str, timeout: float = 10) -> None:
    """Click a view's tab and wait until the view shows (its controls are not interactable before)."""
    from selenium.webdriver.common.by import By

    driver.find_element(By.ID, f"tab-{key}").click()
    wait_until(lambda: driver.find_element(By.ID, f"view-{key}").is_displayed(), timeout, message=f"{key} view")


def screenshot(driver, name: str, element=None) -> bytes:
    """Save a PNG into test-artifacts/ (the whole window or one element) and return its bytes."""
    ARTIFACTS.mkdir(exist_ok=True)
    png = element.screenshot_as_png if element is not None else driver.get_screenshot_as_png()
    (ARTIFACTS / f"ui-{name}.png").write_bytes(png)
    return png


def pixel_stats(png: bytes) -> dict:
    """Distinct colours, share of pixels unlike the most common one, and share of warm (orange) pixels."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    pixels = list(image.get_flattened_data()) if hasattr(image, "get_flattened_data") else list(image.getdata())
    counts: dict = {}
    for pixel in pixels:
        counts[pixel] = counts.get(pixel, 0) + 1
    background = max(counts.values())
    warm = sum(n for (r, g, b), n in counts.items() if r - b > 40 and r > 150)
    return {"colours": len(counts), "non_background": 1 - background / len(pixels), "warm": warm / len(pixels)}


def sign_in_staff(driver, server, role: str = "planner", name: str = "Test Planung") -> None:
    """Sign the browser in as staff: a session made in the portal's store (as /auth/callback makes one after
    the identity provider's answer) and its HttpOnly cookie set in the browser, which must be on the portal.
    The whole OpenID Connect sign-in is tested in tests/access/."""
    store = getattr(server, "store", None)
    if store is None:
        pytest.skip("signing in needs the portal's store (not with BUERGERGIS_UI_URL)")
    from access.db import Db
    from access.sessions import COOKIE, Sessions
    from access.settings import AccessSettings

    session_id, _ = Sessions(Db(store), AccessSettings()).create(f"test-{role}", name, "", role)
    driver.add_cookie({"name": COOKIE, "value": session_id, "path": "/", "httpOnly": True, "sameSite": "Lax"})
