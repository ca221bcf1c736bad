"""A planner signs in on the dashboard in headless Chromium through the real OpenID provider, approves a
contribution (the Dash callback writes with the session cookie and CSRF token) and signs out."""

from __future__ import annotations

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.access.common import GEOJSON, TIMEOUT
from tests.ui.conftest import browser, screenshot, wait_until  # noqa: F401 - the browser fixture

pytestmark = pytest.mark.browser

TEXT = "Straßenlaterne defekt (Test der Anmeldung)"


def _status(server, cid: str) -> str | None:
    r = requests.get(f"{server.api}/collections/contributions/items/{cid}", params={"f": "json"}, timeout=TIMEOUT)
    return r.json()["properties"]["status"] if r.ok else None


@pytest.mark.parametrize("staff_server", ["geopackage"], indirect=True)  # the server that runs the Dash UI
def test_dashboard_sign_in_moderate_sign_out(staff_server, request):
    page = request.getfixturevalue("browser")
    report = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [10.0, 53.67]},
        "properties": {"kind": "maengelmeldung", "category": "beleuchtung", "text": TEXT},
    }
    r = requests.post(
        f"{staff_server.api}/collections/contributions/items", json=report, headers=GEOJSON, timeout=TIMEOUT
    )
    assert r.status_code == 201, r.text[:300]
    cid = r.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    assert _status(staff_server, cid) is None  # pending: not public

    page.get(f"{staff_server.url}/?view=dashboard")
    login = wait_until(lambda: page.find_element(By.ID, "login-link"), 30, message="the sign-in link")
    assert login.text == "Anmelden" and "/auth/login?next=" in login.get_attribute("href")
    login.send_keys(Keys.ENTER)  # by keyboard
    # the provider's own login and consent pages
    wait_until(lambda: page.find_elements(By.NAME, "login"), 20, message="the provider's login form")
    page.find_element(By.NAME, "login").send_keys("planner")
    page.find_element(By.NAME, "password").send_keys("beliebig")
    page.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_until(
        lambda: "Continue" in page.page_source or page.current_url.startswith(staff_server.url),
        20,
        message="the consent page",
    )
    if not page.current_url.startswith(staff_server.url):
        page.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    # back on the dashboard, signed in
    wait_until(
        lambda: "Angemeldet als Paula Planer (Planung)" in page.find_element(By.ID, "staff-session").text,
        30,
        message="signed in on the dashboard",
    )
    assert page.current_url.startswith(f"{staff_server.url}/?view=dashboard")
    # nothing of the session is readable by the page's scripts or kept in its storage
    assert "bgis_session" not in page.execute_script("return document.cookie")
    stored = page.execute_script("return JSON.stringify(sessionStorage) + JSON.stringify(localStorage)")
    assert "bgis" not in stored and "csrf" not in stored.lower()
    # approve through the moderation queue: a Dash callback writes as this person
    table = wait_until(lambda: page.find_element(By.ID, "moderation-table"), 30, message="the moderation queue")
    row = next(r for r in table.find_elements(By.CSS_SELECTOR, "tbody tr") if TEXT in r.text)
    row.find_element(By.XPATH, ".//button[normalize-space()='Freigeben']").click()
    wait_until(lambda: "freigegeben" in page.find_element(By.ID, "mod-feedback").text, 20, message="approved")
    assert _status(staff_server, cid) == "freigegeben"
    screenshot(page, "staff-signed-in")
    # sign out (a plain form post with the CSRF token): back to the public view
    # (found again on each try: the session area may re-render after the approval)
    wait_until(lambda: page.find_element(By.ID, "logout-btn").click() or True, 10, message="the sign-out button")
    wait_until(lambda: page.find_elements(By.ID, "login-link"), 30, message="signed out")
    assert "Angemeldet" not in page.find_element(By.ID, "staff-session").text
    assert not page.find_elements(By.ID, "moderation-table")
    me = page.execute_async_script("const done = arguments[0]; fetch('/api/me').then(r => r.json()).then(done);")
    assert me["signed_in"] is False
    # a session cookie whose session is gone (expired, or ended elsewhere): said so, public data only
    page.add_cookie({"name": "bgis_session", "value": "x" * 43, "path": "/", "httpOnly": True})
    page.find_element(By.ID, "dash-refresh").click()
    wait_until(
        lambda: "abgelaufen" in page.find_element(By.ID, "staff-session").text,
        20,
        message="the expired-session message",
    )
    assert page.find_elements(By.ID, "login-link") and not page.find_elements(By.ID, "moderation-table")
    page.delete_cookie("bgis_session")
