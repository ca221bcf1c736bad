"""Fixtures for the browser tests: a GeoPackage-backed portal and one headless Chromium.

Set ``BUERGERGIS_UI_URL=http://host:port`` to drive an already running portal
instead of starting one (handy while developing the UI).
"""

from __future__ import annotations

import io
import os
import re
import threading
import time

import pytest

from tests.conftest import ARTIFACTS, LiveServer, load_demo_store

#: The desktop window of the browser tests: a common laptop's. Software rendering costs CPU per pixel, and
#: 1440 x 900 took a quarter more of Chromium's time for the same pages.
DESKTOP = (1280, 800)
#: The window of the tests that open two 3D views side by side: software WebGL draws every pixel on the CPU.
WINDOW_3D = (1100, 760)

#: Headless Chromium with software WebGL (deck.gl needs it) and nothing that phones home. Two settings of a
#: visitor's system that save software rendering much work: less motion (as some visitors ask for: the maps jump
#: instead of flying, assets/motion.js; the address search test checks it), and WebGL without multisampling
#: (SwiftShader worked on four samples per pixel; the tests look at colours, not at smooth edges).
CHROME_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--force-prefers-reduced-motion",
    "--webgl-antialiasing-mode=none",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    f"--window-size={DESKTOP[0]},{DESKTOP[1]}",
    "--lang=de-DE",
    "--disable-gpu-compositing",
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


def text_of(driver, css: str) -> str:
    """The text the first element matching ``css`` shows, each line's spaces collapsed, empty lines dropped: what
    WebDriver's ``.text`` gives, save that a table's cells are joined by one space and text hidden only from the
    eye (for screen readers, e.g. a skip link) counts too.

    Read with the browser's own ``innerText``: WebDriver's ``.text`` runs a JavaScript program that walks the
    element's whole subtree, 170 ms of Chromium's CPU for the map and 290 ms for the page, 5 ms so.
    """
    from selenium.common.exceptions import NoSuchElementException

    raw = driver.execute_script("const e = document.querySelector(arguments[0]); return e && e.innerText;", css)
    if raw is None:
        raise NoSuchElementException(css)
    lines = (re.sub(r"[ \t]+", " ", line).strip(" ") for line in raw.splitlines())
    return "\n".join(line for line in lines if line)


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
    """Distinct colours, share of pixels unlike the most common one, and share of warm (orange) pixels.

    With numpy: a Python loop over a screenshot's million pixels took over a second of CPU per call, and the
    tests poll with it while deck.gl draws."""
    import numpy as np
    from PIL import Image

    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).reshape(-1, 3).astype(np.int32)
    r, g, b = rgb[:, 0], rgb[:, 1], rgb[:, 2]
    _, counts = np.unique((r << 16) | (g << 8) | b, return_counts=True)
    warm = int(((r - b > 40) & (r > 150)).sum())
    total = len(rgb)
    return {"colours": len(counts), "non_background": 1 - int(counts.max()) / total, "warm": warm / total}


def sign_in_staff(driver, server, role: str = "planner", name: str = "Test Planung") -> None:
    """Sign the browser in as staff: a session made in the portal's store (as /auth/callback makes one after
    the identity provider's answer) and its HttpOnly cookie set in the browser, which must be on the portal.
    The whole OpenID Connect sign-in is tested in tests/access/."""
    store = getattr(server, "store", None)
    if store is None:
        pytest.skip("signing in needs the portal's store (not with BUERGERGIS_UI_URL)")
    from access.db import Db
    from access.sessions import COOKIE, STAFF_HINT_COOKIE, Sessions
    from access.settings import AccessSettings

    session_id, _ = Sessions(Db(store), AccessSettings()).create(f"test-{role}", name, "", role)
    driver.add_cookie({"name": COOKIE, "value": session_id, "path": "/", "httpOnly": True, "sameSite": "Lax"})
    driver.add_cookie({"name": STAFF_HINT_COOKIE, "value": "1", "path": "/", "sameSite": "Lax"})


#: Collects every CSP violation of a page (the event fires for blocked scripts, styles, images, eval, workers);
#: install it with Page.addScriptToEvaluateOnNewDocument before the page loads.
CSP_COLLECT = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', e => window.__cspViolations.push(
  [e.effectiveDirective, e.blockedURI, (e.sourceFile || '') + ':' + e.lineNumber, (e.sample || '').slice(0, 80)]));
"""
#: Every resource the page loaded from another site.
OFFSITE = (
    "return performance.getEntriesByType('resource').map(e => e.name)"
    ".filter(n => !n.startsWith(location.origin) && !n.startsWith('data:') && !n.startsWith('blob:'));"
)


def assert_no_csp_violation(page, where: str) -> None:
    """No CSP violation since the page loaded (CSP_COLLECT), none in the console since its last reading, and
    nothing loaded from another site."""
    violations = page.execute_script("return window.__cspViolations || [];")
    console = [
        e["message"]
        for e in page.get_log("browser")
        if "Content Security Policy" in e["message"] or "Content-Security-Policy" in e["message"]
    ]
    assert not violations and not console, (where, violations, console[:5])
    assert page.execute_script(OFFSITE) == [], where


AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def axe_violations(page, name: str, within: str | None = None) -> list:
    """axe-core's violations (WCAG 2.1 A/AA and best practice) on the page as it is, or ``within`` one element of
    it (a CSS selector); written to test-artifacts/ui-axe-<name>.json."""
    import json

    from axe_selenium_python import Axe

    axe = Axe(page)
    axe.inject()
    results = axe.run(context=within, options=json.dumps({"runOnly": {"type": "tag", "values": AXE_TAGS}}))
    (ARTIFACTS / f"ui-axe-{name}.json").write_text(json.dumps(results["violations"], indent=1), encoding="utf-8")
    return results["violations"]


def assert_axe_clean(page, name: str) -> None:
    """No serious or critical axe-core violation on the page as it is."""
    from axe_selenium_python import Axe

    bad = [v for v in axe_violations(page, name) if v["impact"] in ("serious", "critical")]
    assert not bad, Axe(page).report(bad)


def stop_in_background(server) -> None:
    """Stop a live server without waiting for it: gunicorn's gthread workers take ~5 s to exit after SIGTERM
    (its graceful shutdown), which the tests need not wait for. SIGTERM still ends every process cleanly (their
    coverage data is written); the server's port is not reused (each server takes a free one)."""
    threading.Thread(target=server.stop, name=f"stop-{server.port}", daemon=True).start()
