"""The Content-Security-Policy in a real headless Chromium: the portal's map, 3D view and list and
pygeoapi's HTML pages work with no CSP violation, and no page loads anything from another site
(api/headers.py, api/pygeoapi_pages.py)."""

from __future__ import annotations

import pytest
import requests
from selenium.webdriver.common.by import By

from tests.ui.conftest import show_view, wait_until

pytestmark = pytest.mark.browser

#: Collects every CSP violation of a page (the event fires for blocked scripts, styles, images, eval, workers).
COLLECT = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', e => window.__cspViolations.push(
  [e.effectiveDirective, e.blockedURI, (e.sourceFile || '') + ':' + e.lineNumber, (e.sample || '').slice(0, 80)]));
"""
OFFSITE = (
    "return performance.getEntriesByType('resource').map(e => e.name)"
    ".filter(n => !n.startsWith(location.origin) && !n.startsWith('data:') && !n.startsWith('blob:'));"
)


@pytest.fixture
def watched(browser):
    script = browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": COLLECT})["identifier"]
    browser.get_log("browser")  # start with an empty console
    yield browser
    browser.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": script})


def _check(page, where: str) -> None:
    violations = page.execute_script("return window.__cspViolations || [];")
    console = [
        e["message"]
        for e in page.get_log("browser")
        if "Content Security Policy" in e["message"] or "Content-Security-Policy" in e["message"]
    ]
    assert not violations and not console, (where, violations, console[:5])
    assert page.execute_script(OFFSITE) == [], where


def _directives(policy: str) -> dict[str, list[str]]:
    return {p.split()[0]: p.split()[1:] for p in (part.strip() for part in policy.split(";")) if p}


def test_the_portal_page_policy_allows_dash_by_hash_not_any_inline_script(ui_server):
    policy = _directives(requests.get(ui_server.url + "/", timeout=30).headers["Content-Security-Policy"])
    scripts = policy["script-src"]
    assert scripts[:2] == ["'self'", "'unsafe-eval'"] and "'unsafe-inline'" not in scripts
    assert len([s for s in scripts if s.startswith("'sha256-")]) >= 5  # the clientside callbacks, the renderer
    assert policy["frame-ancestors"] == ["'none'"] and policy["connect-src"] == ["'self'"]
    assert policy["worker-src"] == ["'self'"] and policy["object-src"] == ["'none'"]


def test_map_3d_view_and_list_run_without_a_violation(watched, ui_server):
    page = watched
    page.get(ui_server.url + "/")
    wait_until(
        lambda: page.execute_script("return document.querySelectorAll('.leaflet-map-pane path').length") > 50,
        60,
        message="plan features drawn on the map",
    )
    _check(page, "map")
    show_view(page, "3d")  # deck.gl: its accessors (eval), the vector-tile worker (the portal's own copy)
    wait_until(
        lambda: page.execute_script(
            "return performance.getEntriesByType('resource').some(e => e.name.includes('/tiles/WebMercatorQuad/'))"
        ),
        60,
        message="3D building tiles requested",
    )
    wait_until(
        lambda: page.execute_script("return !!document.querySelector('#deck-region canvas')"),
        30,
        message="deck.gl canvas",
    )
    _check(page, "3d")
    show_view(page, "list")
    wait_until(
        lambda: page.find_elements(By.CSS_SELECTOR, "#view-list table, #view-list li, #view-list button"),
        30,
        message="list rendered",
    )
    _check(page, "list")


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
    _check(page, path)


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
