"""The XSS part of the injection corpus (tests/injection_payloads.py) in the portal, in headless Chromium.

Issue 6, item 7: approved contributions carry every XSS payload as text and
pseudonym, pending ones wait in the moderation queue, one is a reply. Wherever the
portal shows contribution text -- the list view, the plan panel (with its reply
form), the map tooltips, the moderation queue -- the payload must be visible as
text, nothing of it may run (``window.__xss`` stays undefined; ``alert``,
``confirm`` and ``prompt`` are replaced by the same marker before any page script
runs) and no element or attribute of its making may appear in the DOM.

What the portal shows is the text as the API stores it, read back through
pygeoapi's JSON (``<``/``>`` arrive as ``&lt;``/``&gt;`` and are turned back by
``ui.api.unescape_pygeoapi``): a payload that itself contains ``&lt;`` is shown with
``<`` (pygeoapi does not escape ``&``, so the two cannot be told apart). That is the
form asserted here.

The 3D view shows no contribution text (pins carry ids and positions only, a
picked pin is labelled "Beitrag"), so there is nothing to check there.

Its own portal over a fresh GeoPackage (the shared ``ui_server`` keeps its counts).
"""

from __future__ import annotations

import json

import pytest
import requests
from selenium.webdriver.common.by import By

from tests.conftest import PLANNER_TOKEN, LiveServer, import_demo_plans
from tests.injection_payloads import MARKER, XSS
from tests.ui.conftest import screenshot, show_view, sign_in_staff, wait_until
from ui.api import unescape_pygeoapi

pytestmark = pytest.mark.browser

PLANNER = {"Authorization": f"Bearer {PLANNER_TOKEN}"}
INSIDE = [10.0002, 53.6659]
PENDING_SUFFIX = " (wartet)"
REPLY_TEXT = "<img src=x onerror=window.__xss=1> Antwort"

#: The DOM check, run in the page: event handlers, script URLs, the marker in attributes or scripts.
DOM_CHECK = """
const bad = [];
const urlAttrs = ['href', 'src', 'action', 'formaction', 'data', 'srcdoc', 'xlink:href', 'background'];
const textAttrs = ['title', 'alt', 'aria-label', 'value', 'placeholder'];
for (const el of document.querySelectorAll('*')) {
  for (const a of el.attributes) {
    const name = a.name.toLowerCase(), value = a.value;
    if (name.startsWith('on')) bad.push(el.tagName + ' ' + name);
    else if (urlAttrs.includes(name) && /^\\s*(javascript|vbscript|data):/i.test(value)) bad.push(el.tagName + ' ' + name);
    else if (value.includes(arguments[0]) && !textAttrs.includes(name)) bad.push(el.tagName + ' ' + name);
  }
  if ((el.tagName === 'SCRIPT' || el.tagName === 'STYLE') && el.textContent.includes(arguments[0])) {
    bad.push(el.tagName + ' with the marker');
  }
  if (el.tagName === 'IFRAME' || el.tagName === 'OBJECT' || el.tagName === 'EMBED') bad.push(el.tagName);
}
return {xss: window.__xss === undefined ? null : String(window.__xss), bad: bad};
"""


def shown(text: str) -> str:
    """A stored text as the portal shows it (through pygeoapi's JSON and back)."""
    return unescape_pygeoapi(text.replace("<", "&lt;").replace(">", "&gt;"))


def pseudonym_for(text: str) -> str:
    return text if len(text) <= 40 else "Pseudonym"


def _post(server, properties: dict) -> str:
    feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": INSIDE}, "properties": properties}
    r = requests.post(
        f"{server.api}/collections/contributions/items",
        data=json.dumps(feature),
        timeout=20,
        headers={"Content-Type": "application/geo+json", **PLANNER},
    )
    assert r.status_code == 201, r.text[:300]
    return r.headers["Location"].rsplit("/", 1)[-1]


@pytest.fixture(scope="module")
def portal(tmp_path_factory, chromium_paths):
    """A portal whose plan carries every XSS payload as an approved contribution (and a pending copy)."""
    data_dir = tmp_path_factory.mktemp("ui-injection")
    store = str(data_dir / "store.gpkg")
    import_demo_plans(store, data_dir / "rasters")
    server = LiveServer(store, data_dir)
    try:
        plans = requests.get(
            f"{server.api}/collections/bp_plan/items", params={"f": "json", "limit": 100}, timeout=20
        ).json()["features"]
        server.plan = sorted(p["id"] for p in plans)[0]
        first = None
        for payload in XSS:  # planners may set the status when they write
            props = {"kind": "kommentar", "category": "allgemein", "plan_id": server.plan}
            cid = _post(
                server,
                {**props, "text": payload.text, "pseudonym": pseudonym_for(payload.text), "status": "freigegeben"},
            )
            first = first or cid
            _post(server, {**props, "text": payload.text + PENDING_SUFFIX, "pseudonym": pseudonym_for(payload.text)})
        _post(server, {"kind": "kommentar", "text": REPLY_TEXT, "parent_id": first, "status": "freigegeben"})
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def page(browser, portal):
    """The portal, with alert/confirm/prompt turned into the marker before any script of the page runs."""
    hook = browser.execute_cdp_cmd(
        "Page.addScriptToEvaluateOnNewDocument",
        {"source": (f"window.alert = window.confirm = window.prompt = function () {{ window.{MARKER} = 'dialog'; }};")},
    )
    browser.get(portal.url + "/")
    wait_until(lambda: browser.find_element(By.ID, "tab-list").is_displayed(), 60, message="the portal")
    yield browser
    browser.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": hook["identifier"]})


def _text(driver, element_id: str) -> str:
    return driver.execute_script(
        "const e = document.getElementById(arguments[0]); return e ? e.textContent : '';", element_id
    )


def _assert_nothing_ran(driver, where: str) -> None:
    result = driver.execute_script(DOM_CHECK, MARKER)
    if result["xss"] is not None or result["bad"]:
        screenshot(driver, f"injection-{where}")
    assert result["xss"] is None, f"{where}: a payload ran (window.{MARKER} = {result['xss']})"
    assert not result["bad"], f"{where}: injected markup {result['bad'][:10]}"


def _choose(driver, group: str, value: str) -> None:
    def attempt():
        button = next(
            b
            for b in driver.find_elements(By.CSS_SELECTOR, f"#{group}-buttons button")
            if f'"value":"{value}"' in (b.get_attribute("id") or "")
        )
        button.click()
        return True

    wait_until(attempt, 20, message=f"{group} = {value}")


def _missing(driver, element_id: str, texts: list[str]) -> list[str]:
    content = _text(driver, element_id)
    return [t for t in texts if t not in content]


def test_list_view_shows_every_payload_as_text(page):
    show_view(page, "list")
    _choose(page, "list-what", "contributions")
    expected = [shown(p.text) for p in XSS]
    wait_until(lambda: not _missing(page, "list-table", expected), 30, message="every payload in the list")
    assert PENDING_SUFFIX not in _text(page, "list-table")  # the public list: approved ones only
    screenshot(page, "injection-list")
    _assert_nothing_ran(page, "list")


def test_plan_panel_and_reply_form_show_payloads_as_text(page, portal):
    _choose(page, "list-what", "plans")

    def open_plan():
        buttons = [
            b
            for b in page.find_elements(By.CSS_SELECTOR, "#list-table button")
            if portal.plan in (b.get_attribute("id") or "")
        ]
        buttons[0].click()
        return True

    wait_until(open_plan, 20, message="the plan's details button")
    expected = [shown(p.text) for p in XSS] + [shown(pseudonym_for(p.text)) for p in XSS] + [shown(REPLY_TEXT)]
    wait_until(lambda: not _missing(page, "panel-body", expected), 30, message="every payload in the panel")
    _assert_nothing_ran(page, "panel")
    # answering one shows its text in the form
    page.find_element(By.CSS_SELECTOR, "#panel-body button[id*='\"type\":\"reply\"']").click()
    reply = wait_until(lambda: _text(page, "form-reply"), 15, message="the reply form")
    assert any(shown(p.text)[:80] in reply for p in XSS), reply
    screenshot(page, "injection-panel")
    _assert_nothing_ran(page, "reply form")


def test_map_tooltips_show_payloads_as_text(page, portal):
    """The tooltip function of the contribution layer, given each contribution as the map loads it."""
    page.find_element(By.ID, "tab-map").click()
    tooltips = page.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        fetch(arguments[0]).then(r => r.json()).then(data => {
          const out = {};
          for (const feature of data.features) {
            let content = null;
            window.buergergis.contributionTooltip(feature, {bindTooltip: f => { content = f; }});
            const node = content();
            document.body.appendChild(node);  // in the document, as Leaflet shows it
            out[feature.id] = {lines: Array.from(node.children).map(c => c.textContent),
                               elements: node.querySelectorAll('*').length, children: node.children.length};
            node.remove();
          }
          done(out);
        });""",
        f"{portal.api}/collections/contributions/items?f=json&limit=1000",
    )
    assert all(entry["elements"] == entry["children"] == 2 for entry in tooltips.values())  # text only
    shown_lines = {tuple(entry["lines"]) for entry in tooltips.values()}
    for payload in XSS:
        assert len(payload.text.replace("<", "&lt;").replace(">", "&gt;")) <= 140  # shown whole, not cut
        lines = (shown(pseudonym_for(payload.text)), shown(payload.text))
        assert lines in shown_lines, f"no tooltip shows {lines}"
    _assert_nothing_ran(page, "map tooltips")


def test_moderation_queue_shows_payloads_as_text(page, portal):
    show_view(page, "dashboard")
    sign_in_staff(page, portal)
    page.find_element(By.ID, "dash-refresh").click()
    wait_until(lambda: page.find_elements(By.ID, "moderation-table"), 30, message="the moderation queue")
    expected = [shown(p.text) + PENDING_SUFFIX for p in XSS] + [shown(pseudonym_for(p.text)) for p in XSS]
    wait_until(lambda: not _missing(page, "moderation-table", expected), 30, message="every payload in the queue")
    screenshot(page, "injection-moderation")
    _assert_nothing_ran(page, "moderation queue")
    page.delete_cookie("bgis_session")  # signed out
