"""The Content-Security-Policy in a real headless Chromium: the portal's map, 3D view and list and
pygeoapi's HTML pages work with no CSP violation, and no page loads anything from another site
(api/headers.py, api/pygeoapi_pages.py).

The portal's own page is watched during the citizen's whole visit in tests/ui/test_browser.py (map, panel,
list, 3D with its vector-tile worker, dashboard; its last test checks): one visit instead of a second one here."""

from __future__ import annotations

import pytest
import requests
from selenium.webdriver.common.by import By

from tests.ui.conftest import CSP_COLLECT, assert_no_csp_violation, wait_until

pytestmark = pytest.mark.browser


@pytest.fixture
def watched(browser):
    script = browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CSP_COLLECT})["identifier"]
    browser.get_log("browser")  # start with an empty console
    yield browser
    browser.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": script})


def _directives(policy: str) -> dict[str, list[str]]:
    return {p.split()[0]: p.split()[1:] for p in (part.strip() for part in policy.split(";")) if p}


def test_the_portal_page_policy_allows_dash_by_hash_not_any_inline_script(ui_server):
    policy = _directives(requests.get(ui_server.url + "/", timeout=30).headers["Content-Security-Policy"])
    scripts = policy["script-src"]
    assert scripts[:2] == ["'self'", "'unsafe-eval'"] and "'unsafe-inline'" not in scripts
    assert len([s for s in scripts if s.startswith("'sha256-")]) >= 5  # the clientside callbacks, the renderer
    assert policy["frame-ancestors"] == ["'none'"] and policy["connect-src"] == ["'self'"]
    assert policy["worker-src"] == ["'self'"] and policy["object-src"] == ["'none'"]


@pytest.mark.parametrize(
    "path,ready",
    [
        ("/oapi/?f=html", "main"),
        ("/oapi/openapi?f=html", ".swagger-ui .info .title"),
        ("/oapi/collections/bp_plan/items?f=html", ".leaflet-overlay-pane path"),
        ("/oapi/collections/bp_plan?f=html", ".leaflet-overlay-pane path"),
        ("/oapi/collections/buildings/tiles?f=html", "#items-map.leaflet-container"),
        ("/oapi/collections/dem/coverage?f=html", ".leaflet-container"),
        ("/oapi/processes/run-scenario?f=html", "main"),
    ],
)
def test_pygeoapi_pages_work_with_local_copies_and_no_violation(watched, ui_server, path, ready):
    page = watched
    page.get(ui_server.url + path)
    wait_until(lambda: page.find_elements(By.CSS_SELECTOR, ready), 30, message=f"{ready} on {path}")
    assert page.execute_script("return typeof L === 'undefined' || !!L.version") is True
    assert_no_csp_violation(page, path)


def test_an_injected_inline_script_does_not_run_on_a_pygeoapi_page(watched, ui_server):
    """The nonce is per answer: a script element without it (as an HTML injection would add) is blocked."""
    page = watched
    page.get(ui_server.url + "/oapi/conformance?f=html")
    page.execute_script("""
        const s = document.createElement('script'); s.textContent = 'window.__injected = 1';
        document.body.appendChild(s);""")
    assert page.execute_script("return window.__injected === undefined") is True
    violations = page.execute_script("return window.__cspViolations;")
    assert violations and violations[0][0] == "script-src-elem", violations
