"""A citizen's paths through the portal in a real headless Chromium (issue 13): each was broken once.

Reply to a zone-linked post while its plan is selected; a like withdrawn again (aria-pressed); a pending
post that says why it cannot be liked or answered; on a phone (390 px) a sent contribution clears the
drawing, leaves the drawing modes and shows the receipt; the map's shapes are out of the tab order with a
skip link to the list; the drawing tools in German and English; the legal pages clean under axe-core. (The 3D
comparison in plain words is part of tests/ui/test_browser_variants.py: one visit of the 3D view.)
One browser and one server for the module; tests run in file order.
"""

from __future__ import annotations

import json

import pytest
import requests
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.actions import interaction
from selenium.webdriver.common.actions.action_builder import ActionBuilder
from selenium.webdriver.common.actions.pointer_input import PointerInput
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.conftest import ARTIFACTS, PLANNER_TOKEN
from tests.ui.conftest import DESKTOP, axe_violations, screenshot, show_view, text_of, wait_until

pytestmark = pytest.mark.browser

#: the desktop window of every browser test (tests/ui/conftest.py), and a phone
DESKTOP_METRICS = {"width": DESKTOP[0], "height": DESKTOP[1], "deviceScaleFactor": 1, "mobile": False}
PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True}


@pytest.fixture(scope="module")
def page(browser, ui_server):
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", DESKTOP_METRICS)
    browser.get(ui_server.url + "/")
    wait_until(
        lambda: browser.execute_script("return document.querySelectorAll('.leaflet-map-pane path').length") > 50,
        60,
        message="plan features drawn on the map",
    )
    yield browser
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def _press(driver, *keys) -> None:
    ActionChains(driver).send_keys(*keys).perform()


def _active(driver) -> str:
    return driver.execute_script(
        "var e = document.activeElement; return e.id || e.tagName + '.' + (e.getAttribute('class') || '')"
    )


def _choose_plan(page, ui_server) -> tuple[str, str]:
    """The first plan of the start list, chosen as a citizen does; (plan id, one of its zones' id)."""
    show_view(page, "map")
    field = page.find_element(By.ID, "plan-search")
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(Keys.BACKSPACE)
    button = wait_until(
        lambda: page.find_elements(By.CSS_SELECTOR, "#plan-results button[id*='\"collection\":\"bp_plan\"']"),
        20,
        message="plan list",
    )[0]
    plan_id = json.loads(button.get_attribute("id"))["id"]
    button.click()
    wait_until(lambda: page.find_element(By.ID, "panel-heading").text.strip(), 20, message="plan panel")
    zones = requests.get(
        f"{ui_server.api}/collections/bp_baugebiet/items",
        timeout=10,
        params={"f": "json", "plan_id": plan_id, "limit": 1},
    ).json()["features"]
    return plan_id, str(zones[0]["id"])


def _post_and_approve(ui_server, properties: dict, text: str) -> str:
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [10.0002, 53.6659]},
        "properties": {"kind": "kommentar", "category": "allgemein", "text": text, **properties},
    }
    created = requests.post(
        f"{ui_server.api}/collections/contributions/items",
        json=feature,
        timeout=10,
        headers={"Content-Type": "application/geo+json"},
    )
    assert created.status_code == 201, created.text
    cid = created.headers["Location"].rstrip("/").rsplit("/", 1)[-1].split("?")[0]
    approved = requests.post(
        f"{ui_server.url}/api/contributions/{cid}/status",
        json={"status": "freigegeben"},
        timeout=10,
        headers={"Authorization": f"Bearer {PLANNER_TOKEN}"},
    )
    assert approved.ok, approved.text
    return cid


def _refresh_panel(page) -> None:
    """Re-read the panel (its contributions) as a visitor would: close it and choose the plan again."""
    page.find_element(By.ID, "panel-clear").click()
    wait_until(
        lambda: not page.find_elements(By.CSS_SELECTOR, "#panel-body article.contribution"), 15, message="panel cleared"
    )


def _article_of(page, text: str):
    return next(a for a in page.find_elements(By.CSS_SELECTOR, "#panel-body article.contribution") if text in a.text)


# -- the map: shapes out of the tab order, a skip link to the list ------------------------------------------------


def test_map_shapes_are_out_of_the_tab_order_and_a_skip_link_leads_to_the_list(page):
    show_view(page, "map")
    shapes = page.execute_script("return document.querySelectorAll('#map path.leaflet-interactive').length")
    assert shapes > 50
    wait_until(
        lambda: page.execute_script(
            "return Array.from(document.querySelectorAll('#map path.leaflet-interactive'))"
            ".every(function (p) { return p.getAttribute('tabindex') === '-1'; })"
        ),
        10,
        message="shapes untabbable",
    )
    # keyboard only: from the layer opacity slider past the legend, the next stop is the skip link
    page.find_element(By.ID, "raster-opacity").click()
    for _ in range(6):
        _press(page, Keys.TAB)
        if _active(page) == "skip-map":
            break
    assert _active(page) == "skip-map"
    assert page.switch_to.active_element.text == "Karte überspringen: Pläne, Flächen und Beiträge als Liste"
    # then the map's own few controls, each with a name, and out again: no shape is a stop
    stops = []
    for _ in range(40):
        _press(page, Keys.TAB)
        stop = page.execute_script(
            "var e = document.activeElement; return [e.tagName, !!e.closest('#map'), "
            "e.getAttribute('aria-label') || e.getAttribute('title') || '']"
        )
        if not stop[1]:
            break
        stops.append(stop)
    (ARTIFACTS / "ui-paths-map-tab-stops.json").write_text(json.dumps(stops, ensure_ascii=False, indent=1))
    assert not any(tag == "path" for tag, _, _ in stops), stops
    assert len(stops) <= 10 and all(name for _, _, name in stops), stops
    assert "Vergrößern" in [name for _, _, name in stops]  # the zoom buttons speak German too
    # back to the skip link and through it with Enter: the list view, focus in its search field
    page.find_element(By.ID, "skip-map").send_keys("")  # focus it again (no click)
    page.execute_script("document.getElementById('skip-map').focus()")
    _press(page, Keys.ENTER)
    wait_until(lambda: page.find_element(By.ID, "view-list").is_displayed(), 10, message="list view")
    wait_until(lambda: _active(page) == "list-search", 10, message="focus in the list's search")
    screenshot(page, "paths-skip-to-list")


# -- the drawing tools and the footer in the page's language --------------------------------------------------


def _draw_texts(page) -> list[str]:
    return page.execute_script(
        "return Array.from(document.querySelectorAll('#map .leaflet-draw-actions a'))"
        ".filter(function (a) { return a.offsetParent !== null; }).map(function (a) { return a.textContent; })"
    )


def test_the_drawing_tools_and_the_footer_speak_german_and_english(page, ui_server):
    show_view(page, "map")
    link = page.find_element(By.ID, "legal-link-datenschutz")  # the footer leads to the legal pages
    assert link.text == "Datenschutz" and link.get_attribute("href") == f"{ui_server.url}/datenschutz"
    page.find_element(By.CSS_SELECTOR, "#map .leaflet-draw-draw-polygon").click()
    wait_until(lambda: _draw_texts(page), 10, message="drawing actions")
    assert _draw_texts(page) == ["Fertig", "Letzten Punkt löschen", "Abbrechen"]
    box = page.find_element(By.ID, "map").rect
    ActionChains(page).move_to_element_with_offset(page.find_element(By.ID, "map"), 20, 20).perform()
    tooltip = wait_until(lambda: text_of(page, "#map .leaflet-draw-tooltip"), 10, message="drawing tooltip")
    assert tooltip == "Klicken, um die Fläche zu beginnen.", box
    _press(page, Keys.ESCAPE)
    wait_until(lambda: not _draw_texts(page), 10, message="drawing cancelled")
    page.find_element(By.ID, "lang-en").click()
    wait_until(lambda: page.execute_script("return document.documentElement.lang") == "en", 10, message="English")
    # ... in the page's language
    wait_until(
        lambda: (
            page.find_element(By.ID, "legal-link-datenschutz").get_attribute("href")
            == f"{ui_server.url}/datenschutz?lang=en"
        ),
        30,
        message="English legal links",
    )
    assert page.find_element(By.ID, "legal-link-datenschutz").text == "Privacy"
    page.find_element(By.CSS_SELECTOR, "#map .leaflet-draw-draw-polyline").click()
    wait_until(lambda: _draw_texts(page) == ["Finish", "Delete last point", "Cancel"], 10, message="English actions")
    ActionChains(page).move_to_element_with_offset(page.find_element(By.ID, "map"), 30, 30).perform()
    wait_until(
        lambda: text_of(page, "#map .leaflet-draw-tooltip") == "Click to start the line.", 10, message="English tooltip"
    )
    assert page.find_element(By.CSS_SELECTOR, "#map .leaflet-control-zoom-in").get_attribute("title") == "Zoom in"
    _press(page, Keys.ESCAPE)
    page.find_element(By.ID, "lang-de").click()
    wait_until(lambda: page.execute_script("return document.documentElement.lang") == "de", 10, message="German")
    wait_until(lambda: page.find_element(By.ID, "legal-link-impressum").text == "Impressum", 30, message="German")


# -- replies, likes and pending posts in the plan's panel -----------------------------------------------------------


def test_reply_to_a_zone_linked_post_while_its_plan_is_selected(page, ui_server):
    plan_id, zone_id = _choose_plan(page, ui_server)
    text = "Die Fläche am Bach bitte freihalten."
    _post_and_approve(ui_server, {"plan_id": plan_id, "target_collection": "bp_baugebiet", "target_id": zone_id}, text)
    _refresh_panel(page)
    _choose_plan(page, ui_server)
    article = wait_until(lambda: _article_of(page, text), 20, message="zone-linked post in the plan's panel")
    article.find_element(By.XPATH, ".//button[normalize-space()='Antworten']").click()
    wait_until(
        lambda: "Antwort auf" in text_of(page, "#form-reply") or text[:20] in text_of(page, "#form-reply"),
        10,
        message="reply mode",
    )
    field = page.find_element(By.ID, "form-text")
    field.send_keys("Sehe ich genauso, der Bach braucht Platz.")
    page.find_element(By.ID, "form-submit").click()
    feedback = wait_until(lambda: text_of(page, "#form-feedback"), 20, message="reply answered")
    assert "weicht ab" not in feedback and feedback.startswith("Danke!"), feedback
    assert "msg ok" in page.find_element(By.ID, "form-feedback").get_attribute("class")


def test_a_like_can_be_withdrawn_and_shows_its_state(page, ui_server):
    plan_id, _ = _choose_plan(page, ui_server)
    text = "Mehr Bänke an der Bushaltestelle."
    cid = _post_and_approve(ui_server, {"plan_id": plan_id}, text)
    _refresh_panel(page)
    _choose_plan(page, ui_server)

    def like_button():
        return _article_of(page, text).find_element(By.CSS_SELECTOR, "button[aria-pressed]")

    button = wait_until(like_button, 20, message="like button")
    assert (button.text, button.get_attribute("aria-pressed")) == ("Zustimmen (0)", "false")
    button.click()
    wait_until(
        lambda: (like_button().text, like_button().get_attribute("aria-pressed")) == ("Zustimmen (1)", "true"),
        15,
        message="like given, shown pressed",
    )
    screenshot(page, "paths-like-pressed", page.find_element(By.ID, "panel-body"))
    like_button().click()
    wait_until(
        lambda: (like_button().text, like_button().get_attribute("aria-pressed")) == ("Zustimmen (0)", "false"),
        15,
        message="like withdrawn",
    )
    stored = requests.get(f"{ui_server.api}/collections/contributions/items/{cid}", params={"f": "json"}, timeout=10)
    assert stored.json()["properties"]["like_count"] == 0


# -- the photo field belongs to Mängelmeldungen only ---------------------------------------------------------------


def _kind_button(page, kind: str):
    return page.find_element(By.CSS_SELECTOR, f"button[id*='\"type\":\"choice-form-kind\"'][id*='\"{kind}\"']")


def test_the_photo_field_shows_for_a_defect_report_only(page):
    """Its element carried ``hidden`` while a class made it a flex box: comments showed "Fotos auswählen"."""
    show_view(page, "map")
    field = page.find_element(By.ID, "form-photos-field")
    assert not field.is_displayed()
    _kind_button(page, "maengelmeldung").click()
    wait_until(lambda: page.find_element(By.ID, "form-photos-field").is_displayed(), 10, message="photo field shown")
    _kind_button(page, "kommentar").click()
    wait_until(lambda: not page.find_element(By.ID, "form-photos-field").is_displayed(), 10, message="hidden again")


# -- on a phone: a sent contribution clears the drawing and shows its receipt -------------------------------------


def _drawn_on_map(page) -> int:
    return page.execute_script(
        "var m = window.buergergis.citizenMap(); var n = 0;"
        "if (m) { m.eachLayer(function (l) { if (l._bgisDrawn) { n += 1; } }); } return n;"
    )


#: A point of the map's visible part over a plan shape (a path in one of the plan's panes), as an offset from the
#: map's centre (what ActionChains counts from); the second call (argument 1) a different one.
ON_A_PLAN_SHAPE = """
var map = document.getElementById('map').getBoundingClientRect();
var top = Math.max(map.top, 0) + 20, bottom = Math.min(map.bottom, window.innerHeight) - 20, found = [];
for (var y = top; y < bottom; y += 23) {
  for (var x = map.left + 60; x < map.right - 60; x += 23) {
    var hit = document.elementFromPoint(x, y);
    if (hit && hit.matches('path.leaflet-interactive') && hit.closest('[class*="leaflet-pane-"]')) { found.push([x, y]); }
  }
}
if (found.length < 2) { return null; }
var point = found[arguments[0] ? found.length - 1 : 0];
return [Math.round(point[0] - (map.left + map.width / 2)), Math.round(point[1] - (map.top + map.height / 2))];
"""


def _tap(page, element, dx: int, dy: int) -> None:
    """A finger's tap at an offset from the element's centre (touch input: no mouse moves there first)."""
    actions = ActionBuilder(page, mouse=PointerInput(interaction.POINTER_TOUCH, "finger"))
    actions.pointer_action.move_to(element, dx, dy).pointer_down().pointer_up()
    actions.perform()


def _wait_map_still(page) -> None:
    """Until the map shows the same view for half a second (no fly or zoom animation under way)."""
    view = (
        "var m = window.buergergis.citizenMap(); return m ? [m.getCenter().lat, m.getCenter().lng, m.getZoom()] : null;"
    )
    seen = []

    def still():
        seen.append(page.execute_script(view))
        return len(seen) >= 3 and seen[-1] is not None and seen[-1] == seen[-2] == seen[-3]

    wait_until(still, 20, interval=0.25, message="map at rest")


def test_on_a_phone_sending_clears_the_drawing_and_shows_the_receipt(page, ui_server):
    page.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    try:
        _choose_plan(page, ui_server)
        heading = wait_until(
            lambda: (text := page.find_element(By.ID, "panel-heading").text.strip()) not in ("", "Details") and text,
            20,
            message="the plan's heading",
        )
        sent = []
        for attempt in range(2):  # twice in a row: the second must not reuse the first one's shape
            _wait_map_still(page)  # a person taps once the map has flown to the plan
            tool = page.find_element(By.CSS_SELECTOR, "#map .leaflet-draw-draw-marker")
            page.execute_script("arguments[0].scrollIntoView({block: 'center'})", tool)
            # right onto one of the plan's shapes (a tap there used to select the shape as well)
            dx, dy = page.execute_script(ON_A_PLAN_SHAPE, attempt)
            tool.click()
            _tap(page, page.find_element(By.ID, "map"), dx, dy)
            wait_until(
                lambda: "Gezeichnet: 1 Objekt (Point)." in text_of(page, "#form-geometry-status"),
                10,
                message=f"drawn point {attempt}",
            )
            # the tap drew the point and selected nothing: the chosen plan stays in the panel
            assert page.find_element(By.ID, "panel-heading").text.strip() == heading
            field = page.find_element(By.ID, "form-text")
            page.execute_script("arguments[0].scrollIntoView({block: 'center'})", field)
            field.send_keys(f"Vom Handy, Versuch {attempt + 1}: Hier fehlt ein Radweg.")
            previous = text_of(page, "#form-feedback")
            page.find_element(By.ID, "form-submit").click()
            feedback = wait_until(
                lambda before=previous: (
                    text_of(page, "#form-feedback") not in ("", before) and text_of(page, "#form-feedback")
                ),
                20,
                message="receipt",
            )
            assert feedback.startswith("Danke!"), feedback
            sent.append(feedback)
            # focus and scroll on the receipt, not the map
            wait_until(lambda: _active(page) == "form-feedback", 10, message="focus on the receipt")
            wait_until(
                lambda: page.execute_script(
                    "var r = document.getElementById('form-feedback').getBoundingClientRect();"
                    "return r.top >= 0 && r.bottom <= window.innerHeight;"
                ),
                10,
                message="receipt in view",
            )
            # the form is reset, the drawing gone, no drawing or deleting mode left on
            assert page.find_element(By.ID, "form-text").get_attribute("value") == ""
            wait_until(
                lambda: "Gezeichnet" not in text_of(page, "#form-geometry-status"), 10, message="no shape in form"
            )
            wait_until(lambda: _drawn_on_map(page) == 0, 10, message="drawing removed from the map")
            assert page.execute_script(
                "return Array.from(document.querySelectorAll('#map .leaflet-draw-actions'))"
                ".every(function (u) { return u.style.display !== 'block'; }) && "
                "!document.querySelector('#map .leaflet-draw-toolbar-button-enabled')"
            )
            screenshot(page, f"paths-phone-receipt-{attempt + 1}")
        # the author's own two: each at its own place (the second did not reuse the first shape)
        secret = page.execute_script("return JSON.parse(window.localStorage.getItem('author-secret'))")
        mine = requests.get(
            f"{ui_server.url}/api/contributions/mine", timeout=10, headers={"X-Contribution-Secret": secret}
        ).json()["contributions"]
        places = [
            json.dumps(
                requests.get(
                    f"{ui_server.api}/collections/contributions/items/{row['id']}",
                    params={"f": "json"},
                    headers={"X-Contribution-Secret": secret},
                    timeout=10,
                ).json()["geometry"]
            )
            for row in mine
            if "Vom Handy" in str(row.get("text"))
        ]
        assert len(places) == 2 and places[0] != places[1], places
        # pending: no like or reply offered, the reason given instead
        article = wait_until(lambda: _article_of(page, "Vom Handy, Versuch 2"), 20, message="own pending post")
        assert "sobald die Verwaltung den Beitrag geprüft und freigegeben hat" in article.text
        assert not article.find_elements(By.CSS_SELECTOR, "button")
    finally:
        page.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", DESKTOP_METRICS)


# -- the legal pages ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/impressum",
        "/datenschutz",
        "/barrierefreiheit",
        "/leichte-sprache",
        "/datenschutz?lang=en",
        "/leichte-sprache?lang=en",
    ],
)
def test_legal_pages_have_no_axe_violations(browser, ui_server, path):
    browser.get(ui_server.url + path)
    wait_until(lambda: browser.find_element(By.TAG_NAME, "h1").text, 10, message="page heading")
    violations = axe_violations(browser, "legal-" + path.strip("/").replace("?lang=", "-"))
    assert violations == [], [(v["id"], v["impact"], v["nodes"][0]["target"]) for v in violations]


def test_reporting_a_barrier_by_keyboard_with_a_mistake_first(browser, ui_server):
    browser.get(ui_server.url + "/barrierefreiheit")
    message = browser.find_element(By.ID, "feedback-message")
    browser.execute_script("arguments[0].removeAttribute('required')", message)  # the server checks too
    message.send_keys("zu kurz")
    browser.find_element(By.ID, "feedback-page").send_keys("Karte")
    browser.find_element(By.ID, "feedback-page").send_keys(Keys.ENTER)  # submit from the keyboard
    alert = wait_until(lambda: browser.find_element(By.CSS_SELECTOR, "[role=alert]").text, 10, message="error")
    assert "mindestens 10 Zeichen" in alert
    assert browser.find_element(By.ID, "feedback-page").get_attribute("value") == "Karte"  # nothing lost
    assert axe_violations(browser, "legal-feedback-error") == []
    message = browser.find_element(By.ID, "feedback-message")
    message.send_keys(" – die Zeichenwerkzeuge sind ohne Maus nicht bedienbar.")
    browser.find_element(By.CSS_SELECTOR, ".legal-form button[type=submit]").send_keys(Keys.ENTER)
    ok = wait_until(lambda: browser.find_element(By.CSS_SELECTOR, "[role=status]").text, 10, message="stored")
    assert ok.startswith("Danke!")
    screenshot(browser, "legal-feedback-sent")
