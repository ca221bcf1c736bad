"""The portal in a real headless Chromium: map, plan panel, language, 3D, accessibility, drawing.

One browser and one server for the module; tests run in file order and build
on each other (the page is loaded once, like a visitor would use it): deck.gl's
bundle comes only with the 3D view; planning variants are listed with a preference
per person; and the whole visit runs without a Content-Security-Policy violation
(watched from the page's first byte, checked last).
Screenshots land in test-artifacts/ui-*.png.
"""

from __future__ import annotations

import json
import re

import pytest
import requests
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.actions.action_builder import ActionBuilder
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.conftest import PLANNER_TOKEN
from tests.ui.conftest import (
    CSP_COLLECT,
    assert_axe_clean,
    assert_no_csp_violation,
    pixel_stats,
    screenshot,
    show_view,
    sign_in_staff,
    text_of,
    wait_until,
)

pytestmark = pytest.mark.browser

GRZ_DE = "% des Grundstücks dürfen überbaut werden"
GRZ_EN = "of the plot may be built on"
WA_COLOUR = "#ee8f8f"  # ui.map.NUTZUNG_COLORS["WA"]
CONTRIBUTION_TEXT = "Hier fehlt ein Zebrastreifen zur Schule."
HOSTILE_TEXT = "Bitte prüfen <img src=x onerror=\"window.__xss=1\"> & <b>danke</b>"


@pytest.fixture(scope="module")
def page(browser, ui_server):
    """The portal, loaded once; CSP violations are collected from before its first script runs."""
    script = browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CSP_COLLECT})["identifier"]
    browser.get_log("browser")  # the console from this visit on
    browser.get(ui_server.url + "/")
    # the plans' zones, not just the background map's streets and areas (they may come first)
    wait_until(lambda: _count_paths(browser, WA_COLOUR) >= 5, 60, message="plan features drawn on the map")
    yield browser
    browser.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": script})


def _count_paths(driver, fill: str | None = None) -> int:
    """Shapes on the map (with the fill colour ``fill``, if given)."""
    selector = ".leaflet-map-pane path" + (f'[fill="{fill}"]' if fill else "")
    return driver.execute_script("return document.querySelectorAll(arguments[0]).length", selector)


def _click_at(driver, x: float, y: float) -> None:
    action = ActionBuilder(driver)
    action.pointer_action.move_to_location(int(x), int(y))
    action.pointer_action.click()
    action.perform()


def _click(driver, css: str) -> None:
    """Click an element, finding it again if Dash re-rendered it in between."""

    def attempt():
        driver.find_element(By.CSS_SELECTOR, css).click()
        return True

    wait_until(attempt, 10, message=f"clickable {css}")


def _clear(field) -> None:
    """Empty a React-controlled input the way a person does (WebElement.clear() bypasses React)."""
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(Keys.BACKSPACE)


def test_page_loads_in_german_with_landmarks(page):
    assert page.title == "Bürger-GIS"
    assert page.execute_script("return document.documentElement.lang") == "de"
    # Dash's page, not the first paint's copy of it (inert, aria-hidden, removed once Dash has drawn the page)
    assert text_of(page, "#app-root header h1") == "Bürger-GIS"
    for landmark in ("header", "nav", "main", "aside", "footer"):
        assert page.find_elements(By.CSS_SELECTOR, f"#app-root {landmark}"), landmark
    assert page.find_element(By.CSS_SELECTOR, "#app-root a.skip-link").get_attribute("href").endswith("#main")


def test_map_draws_plan_features_not_a_blank_map(page):
    # Baugebietsteilflächen carry the Art-der-Nutzung colour from the legend table.
    fills = page.execute_script(
        "return Array.from(document.querySelectorAll('.leaflet-map-pane path')).map(p => p.getAttribute('fill'))"
    )
    assert fills.count(WA_COLOUR) >= 5
    dashed = page.execute_script("return document.querySelectorAll('.leaflet-map-pane path[stroke-dasharray]').length")
    assert dashed > 10  # Baugrenzen
    png = screenshot(page, "map", page.find_element(By.ID, "map"))
    stats = pixel_stats(png)
    assert stats["colours"] > 30 and stats["non_background"] > 0.15, stats
    screenshot(page, "page-map")


def test_clicking_a_zone_opens_its_festsetzungen_in_plain_language(page):
    # Centres of WA zones that are really on top at that point (not covered by a line, outline or symbol), those
    # whose GRZ is set first (Leaflet's layers carry the features): a zone without one has no GRZ sentence.
    def find_points():  # re-run while Dash redraws the layers
        return page.execute_script(
            """
        const withGrz = new Set();
        const map = window.buergergis && window.buergergis.citizenMap();
        if (map) {
            map.eachLayer(l => {
                const props = l.feature && l.feature.properties;
                if (l._path && props && props.grz !== null && props.grz !== undefined) withGrz.add(l._path);
            });
        }
        const first = [], rest = [];
        for (const p of document.querySelectorAll('.leaflet-map-pane path.leaflet-interactive')) {
            if (p.getAttribute('fill') !== arguments[0]) continue;
            const r = p.getBoundingClientRect();
            const x = r.left + r.width / 2, y = r.top + r.height / 2;
            if (r.width > 12 && r.height > 12 && document.elementFromPoint(x, y) === p) {
                (withGrz.has(p) ? first : rest).push([x, y]);
            }
        }
        return first.concat(rest);""",
            WA_COLOUR,
        )

    points = wait_until(find_points, 20, message="a clickable WA zone (map settled)")
    assert points, "no clickable WA zone found"
    for x, y in points[:6]:
        before = text_of(page, "#panel-body")
        _click_at(page, x, y)
        # the panel shows what was clicked: on with the next point soon if that has no GRZ sentence
        try:
            wait_until(lambda before=before: text_of(page, "#panel-body") not in ("", before), 8, message="a panel")
            wait_until(lambda: GRZ_DE in text_of(page, "#panel-body"), 2, message="GRZ sentence")
            break
        except AssertionError:
            continue
    body = text_of(page, "#panel-body")
    assert "Baugebietsteilfläche".upper() in body.upper()
    assert "WA – Allgemeines Wohngebiet" in body
    assert "GRZ 0," in body and GRZ_DE in body
    assert "Stand des Verfahrens" in body and "Beteiligung" in body
    screenshot(page, "zone-panel")


def test_choosing_a_plan_from_the_search_list(page):
    search = page.find_element(By.ID, "plan-search")
    _clear(search)
    search.send_keys("LA 22")
    # The result list re-renders after every keystroke: a person clicks once it has settled (a click on a list
    # about to be replaced is lost with it), so wait until it stays the same for half a second.
    seen = []

    def settled():
        seen.append(page.find_element(By.ID, "plan-results").get_attribute("innerHTML"))
        return len(seen) >= 3 and "LA 22" in seen[-1] and seen[-1] == seen[-2] == seen[-3]

    wait_until(settled, 15, message="search results settled")

    # find, read and click in one go, again if the list was replaced after all
    def click_first_result():
        try:
            buttons = page.find_elements(By.CSS_SELECTOR, "#plan-results button")
            if not buttons or "LA 22" not in buttons[0].text:
                return None
            text = buttons[0].text
            buttons[0].click()
            return text
        except StaleElementReferenceException:
            return None

    label = wait_until(click_first_result, 10, message="plan search results")
    assert "LA 22" in label
    wait_until(lambda: label in text_of(page, "#panel-heading"), 10, message="plan panel")
    body = text_of(page, "#panel-body")
    assert "BEBAUUNGSPLAN" in body.upper() and "Festsetzungen im Überblick" in body
    # Keyboard users land on the panel heading.
    wait_until(
        lambda: page.switch_to.active_element.get_attribute("id") == "panel-heading",
        5,
        message="focus on the panel heading",
    )


def test_opening_a_zone_from_the_list_view(page):
    show_view(page, "list")
    search = page.find_element(By.ID, "list-search")
    search.send_keys("Gewerbegebiet")
    wait_until(
        lambda: "GE – Gewerbegebiet" in text_of(page, "#list-table") and "WA –" not in text_of(page, "#list-table"),
        10,
        message="filtered list",
    )
    table = page.find_element(By.CSS_SELECTOR, "#list-table table")
    assert table.find_element(By.TAG_NAME, "caption").text
    assert len(table.find_elements(By.CSS_SELECTOR, "th[scope=col]")) == 5
    table.find_element(By.CSS_SELECTOR, "tbody button").click()
    wait_until(lambda: "GE – Gewerbegebiet" in text_of(page, "#panel-heading"), 10, message="zone panel from list")
    assert GRZ_DE in text_of(page, "#panel-body")
    screenshot(page, "list")


def test_switching_to_english(page):
    page.find_element(By.ID, "lang-en").click()
    wait_until(lambda: page.execute_script("return document.documentElement.lang") == "en", 10, message="lang=en")
    wait_until(lambda: text_of(page, "#tab-map") == "Map", 10, message="English tabs")
    wait_until(lambda: GRZ_EN in text_of(page, "#panel-body"), 10, message="English GRZ sentence")
    assert "GE – Commercial area" in text_of(page, "#panel-heading")
    assert text_of(page, "#tab-list") == "List"
    assert page.find_element(By.ID, "lang-en").get_attribute("aria-pressed") == "true"
    screenshot(page, "english")
    page.find_element(By.ID, "lang-de").click()
    wait_until(lambda: text_of(page, "#tab-map") == "Karte", 10, message="back to German")


BUNDLES = (
    "return performance.getEntriesByType('resource').map(e => e.name)"
    ".filter(n => n.includes('/_dash-component-suites/deckgl_dash/'));"
)


def test_3d_view_draws_the_envelope(page):
    # deck.gl's 3 MB bundle (ui/bundles.py, assets/deck_lazy.js) is not part of the 2D page: it comes with 3D
    assert page.execute_script(BUNDLES) == []
    page.find_element(By.ID, "tab-3d").click()
    wait_until(lambda: page.execute_script(BUNDLES), 30, message="deck.gl bundle requested once 3D is shown")
    region = page.find_element(By.ID, "deck-region")
    wait_until(lambda: page.find_elements(By.CSS_SELECTOR, "#deck-region canvas"), 15, message="deck.gl canvas")
    wait_until(
        lambda: (
            "Bauflächen" in text_of(page, "#envelope-note")
            and not text_of(page, "#envelope-note").startswith("Zulässiges Bauvolumen: 0 ")
        ),
        30,
        message="envelope computed",
    )

    def drawn():
        stats = pixel_stats(screenshot(page, "3d", region))
        return stats if stats["warm"] > 0.003 and stats["colours"] > 50 else None

    stats = wait_until(drawn, 30, interval=1.5, message="envelope pixels in the deck.gl canvas")
    assert stats["non_background"] > 0.05, stats
    size = page.execute_script("const c = document.querySelector('#deck-region canvas'); return [c.width, c.height];")
    assert size[0] > 300 and size[1] > 300
    screenshot(page, "page-3d")
    assert not page.find_elements(By.CSS_SELECTOR, "#deck.deck-lazy")  # A is the real deck.gl now
    # B is only drawn side by side: until then it stays the stand-in (the bundle is fetched once)
    assert page.find_elements(By.CSS_SELECTOR, "#deck-b.deck-lazy")
    assert len(page.execute_script(BUNDLES)) == 1


@pytest.mark.parametrize("view", ["map", "list", "3d", "dashboard"])
def test_axe_finds_no_serious_or_critical_violations(page, view):
    page.find_element(By.ID, f"tab-{view}").click()
    wait_until(lambda: page.find_element(By.ID, f"view-{view}").is_displayed(), 10, message=f"{view} view")
    if view == "dashboard":
        wait_until(lambda: page.find_elements(By.CSS_SELECTOR, "#dash-body .kpi"), 20, message="dashboard counts")
    assert_axe_clean(page, view)


def test_keyboard_users_can_take_the_map_centre_as_location(page):
    show_view(page, "map")  # the previous test may have left another view open
    button = page.find_element(By.ID, "form-centre-btn")
    page.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    button.send_keys(" ")  # a keyboard press, no mouse
    status = wait_until(
        lambda: "Kartenmitte" in text_of(page, "#form-geometry-status") and text_of(page, "#form-geometry-status"),
        10,
        message="map centre as location",
    )
    assert "53." in status and "10." in status  # Hamburg-Langenhorn


def _submit(page, previous: str = "") -> str:
    page.find_element(By.ID, "form-submit").click()
    return wait_until(
        lambda: text_of(page, "#form-feedback") not in ("", previous) and text_of(page, "#form-feedback"),
        15,
        message="submission feedback",
    )


def test_drawing_a_point_and_submitting_it(page, ui_server):
    show_view(page, "map")
    page.find_element(By.CSS_SELECTOR, ".leaflet-draw-draw-marker").click()
    map_box = page.find_element(By.ID, "map").rect
    _click_at(page, map_box["x"] + map_box["width"] * 0.55, map_box["y"] + map_box["height"] * 0.5)
    wait_until(lambda: "Gezeichnet: 1" in text_of(page, "#form-geometry-status"), 10, message="drawn point in the form")
    page.find_element(By.ID, "form-text").send_keys(CONTRIBUTION_TEXT)
    page.find_element(By.ID, "form-pseudonym").send_keys("Nachbarin")
    feedback = _submit(page)
    screenshot(page, "submitted")
    css = page.find_element(By.ID, "form-feedback").get_attribute("class")
    # The demo opens a §3 (2) procedure on its plans: the form said so before, and the receipt names the number.
    assert "msg ok" in css and feedback.startswith("Danke!"), feedback
    reference = re.search(r"Eingangsnummer: (LGH-\d{4}-\d{4})", feedback)
    assert reference, feedback
    screenshot(page, "submitted-ok")
    # the citizen follows it by that number
    page.find_element(By.CSS_SELECTOR, "#lookup-details summary").click()
    page.find_element(By.ID, "lookup-reference").send_keys(reference.group(1))
    page.find_element(By.ID, "lookup-submit").click()
    wait_until(lambda: "Stand: eingereicht" in text_of(page, "#lookup-result"), 15, message="statement state")
    # ... and finds it under "Meine Beiträge", pending, with its number
    page.find_element(By.CSS_SELECTOR, "#mine-details summary").click()
    wait_until(
        lambda: (
            reference.group(1) in text_of(page, "#mine-list") and CONTRIBUTION_TEXT[:20] in text_of(page, "#mine-list")
        ),
        15,
        message="my contributions",
    )


def _post_and_approve(ui_server, plan_id: str, text: str) -> None:
    """Create a contribution through the OGC API and approve it through the moderation route."""
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [10.0002, 53.6659]},
        "properties": {"kind": "kommentar", "category": "allgemein", "text": text, "plan_id": plan_id},
    }
    created = requests.post(
        f"{ui_server.api}/collections/contributions/items",
        json=feature,
        timeout=10,
        headers={"Content-Type": "application/geo+json"},
    )
    assert created.status_code == 201, created.text
    contribution_id = created.headers["Location"].rstrip("/").rsplit("/", 1)[-1].split("?")[0]
    approved = requests.post(
        f"{ui_server.url}/api/contributions/{contribution_id}/status",
        json={"status": "freigegeben"},
        timeout=10,
        headers={"Authorization": f"Bearer {PLANNER_TOKEN}"},
    )
    assert approved.ok, approved.text


def _selected_plan_id(page) -> str:
    """The plan of the zone in the panel: its "part of plan" button carries the id (Dash pattern id as JSON)."""
    # read in one script: the panel may re-render between a find and a read (a stale element)
    button_id = wait_until(
        lambda: page.execute_script(
            "const b = document.querySelector(arguments[0]); return b && b.id;",
            "#panel-body button[id*='\"collection\":\"bp_plan\"']",
        ),
        10,
        message="the selected zone's plan button",
    )
    return json.loads(button_id)["id"]


def test_contribution_appears_after_moderation(page, ui_server):
    # A moderator signs in on the planner dashboard and approves it there.
    show_view(page, "dashboard")
    sign_in_staff(page, ui_server)
    page.find_element(By.ID, "dash-refresh").click()
    wait_until(
        lambda: "Angemeldet als Test Planung (Planung)" in text_of(page, "#staff-session"), 20, message="signed in"
    )
    table = wait_until(lambda: page.find_elements(By.ID, "moderation-table"), 20, message="moderation queue")[0]
    assert_axe_clean(page, "moderation")
    row = next(r for r in table.find_elements(By.CSS_SELECTOR, "tbody tr") if CONTRIBUTION_TEXT in r.text)
    row.find_element(By.XPATH, ".//button[normalize-space()='Freigeben']").click()
    wait_until(lambda: "freigegeben" in text_of(page, "#mod-feedback"), 15, message="moderation done")
    screenshot(page, "dashboard")
    page.delete_cookie("bgis_session")  # signed out: what follows is what every visitor sees
    # A second, hostile one arrives through the API (as any client could send it) and is approved too.
    _post_and_approve(ui_server, _selected_plan_id(page), HOSTILE_TEXT)
    page.find_element(By.ID, "dash-refresh").click()
    # ... and everyone sees it: in the list,
    show_view(page, "list")
    _click(page, "#list-what-buttons button:nth-child(4)")
    _clear(page.find_element(By.ID, "list-search"))
    wait_until(
        lambda: CONTRIBUTION_TEXT in text_of(page, "#list-table"), 20, message="approved contribution in the list"
    )
    assert "freigegeben" in text_of(page, "#list-table")
    # User text is shown as text, never run as HTML.
    wait_until(lambda: HOSTILE_TEXT in text_of(page, "#list-table"), 20, message="hostile text shown literally")
    assert page.execute_script("return window.__xss === undefined && !document.querySelector('img[src=\"x\"]')")
    # in the panel of its plan (with like and reply buttons),
    wait_until(lambda: CONTRIBUTION_TEXT in text_of(page, "#panel-body"), 20, message="contribution in the panel")
    like = page.find_element(By.CSS_SELECTOR, "#panel-body button[id*='\"type\":\"like\"']")
    assert like.text == "Zustimmen (0)"
    like.click()
    wait_until(lambda: "Zustimmen (1)" in text_of(page, "#panel-body"), 15, message="like counted")
    assert_axe_clean(page, "panel-with-contribution")
    # on the map (a purple contribution marker),
    page.find_element(By.ID, "tab-map").click()
    wait_until(
        lambda: (
            page.execute_script(
                "return document.querySelectorAll('.leaflet-marker-pane .leaflet-marker-icon, "
                ".leaflet-map-pane path[fill=\"#7c3aed\"]').length"
            )
            > 0
        ),
        20,
        message="contribution on the map",
    )
    screenshot(page, "map-with-contribution")
    # and as a pin in 3D.
    page.find_element(By.ID, "tab-3d").click()
    wait_until(
        lambda: page.execute_script("return document.getElementById('envelope-note').textContent.length") > 0,
        20,
        message="3D data",
    )
    region = page.find_element(By.ID, "deck-region")

    def pin_pixels():
        import io

        import numpy as np
        from PIL import Image

        rgb = np.asarray(Image.open(io.BytesIO(screenshot(page, "3d-with-pin", region))).convert("RGB"))
        r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
        return int(((r > 100) & (r < 150) & (g < 80) & (b > 200)).sum())

    wait_until(pin_pixels, 20, interval=1.5, message="purple pin pixels in 3D")


# -- planning variants in the list: indicators, and a preference per person ----------------------------------------

DENSE = "langenhorn_nachverdichtung"


def _prefer_button(page):
    return next(
        b
        for b in page.find_elements(By.CSS_SELECTOR, "#list-table button")
        if f'"id":"{DENSE}"' in (b.get_attribute("id") or "")
    )


def _prefer_text(page) -> str:
    return wait_until(lambda: _prefer_button(page).text, 10, message="prefer button")


def _press_prefer(page) -> None:
    def attempt():  # Dash re-renders the table: find the button again until the click lands
        _prefer_button(page).click()
        return True

    wait_until(attempt, 10, message="prefer button clickable")


def _dense_likes(ui_server) -> int:
    return requests.get(f"{ui_server.api}/collections/scenarios/items/{DENSE}?f=json", timeout=30).json()["properties"][
        "like_count"
    ]


def test_variants_listed_with_indicators_and_a_prefer_button(page, ui_server):
    """The demo loader stored both Langenhorn variants in the ``scenarios`` collection; the list view shows them
    as a table (an equal alternative to the 3D view) with a "Bevorzugen" button each."""
    before = _dense_likes(ui_server)
    show_view(page, "list")
    _clear(page.find_element(By.ID, "list-search"))
    _click(page, "#list-what-buttons button[id*='\"value\":\"variants\"']")
    wait_until(
        lambda: "Nachverdichtung Langenhorn" in page.find_element(By.ID, "list-table").text,
        30,
        message="variants table",
    )
    text = wait_until(lambda: page.find_element(By.ID, "list-table").text, 10, message="table text")
    assert "Bestand Langenhorn" in text and "synthetischem Gebäudebestand" in text
    assert "Planungsvarianten: 2 Einträge" in text
    assert _prefer_text(page) == f"Bevorzugen ({before})"
    assert_axe_clean(page, "list-variants")
    _press_prefer(page)  # keyboard users reach the same button with Tab and press Enter
    wait_until(lambda: _prefer_button(page).text == f"Bevorzugen ({before + 1})", 20, message="preference counted")
    screenshot(page, "list-variants")
    # the same person once more: still one preference
    _press_prefer(page)
    wait_until(lambda: _dense_likes(ui_server) == before + 1, 10, message="count in the OGC API")
    assert _prefer_text(page) == f"Bevorzugen ({before + 1})"


def test_the_whole_visit_ran_without_a_csp_violation(page):
    """Map, panel, list, language, 3D (deck.gl's accessors, its vector-tile worker: the portal's own copy),
    dashboard and moderation: no CSP violation, nothing loaded from another site (api/headers.py)."""
    assert page.execute_script(
        "return performance.getEntriesByType('resource').some(e => e.name.includes('/tiles/WebMercatorQuad/'))"
    ), "the 3D view requested no building tiles"
    assert_no_csp_violation(page, "the citizen's visit")
