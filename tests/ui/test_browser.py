"""The portal in a real headless Chromium: map, plan panel, language, 3D, accessibility, drawing.

One browser and one server for the module; tests run in file order and build
on each other (the page is loaded once, like a visitor would use it).
Screenshots land in test-artifacts/ui-*.png.
"""

from __future__ import annotations

import json

import pytest
import requests
from selenium.webdriver.common.actions.action_builder import ActionBuilder
from selenium.webdriver.common.by import By

from tests.conftest import ARTIFACTS, PLANNER_TOKEN
from tests.ui.conftest import pixel_stats, screenshot, wait_until

pytestmark = pytest.mark.browser

GRZ_DE = "% des Grundstücks dürfen überbaut werden"
GRZ_EN = "of the plot may be built on"
WA_COLOUR = "#ee8f8f"  # ui.map.NUTZUNG_COLORS["WA"]


@pytest.fixture(scope="module")
def page(browser, ui_server):
    browser.get(ui_server.url + "/")
    wait_until(lambda: _count_paths(browser) > 50, 60, message="plan features drawn on the map")
    return browser


def _count_paths(driver) -> int:
    return driver.execute_script("return document.querySelectorAll('.leaflet-overlay-pane path').length")


def _text(driver, css: str) -> str:
    return driver.find_element(By.CSS_SELECTOR, css).text


def _click_at(driver, x: float, y: float) -> None:
    action = ActionBuilder(driver)
    action.pointer_action.move_to_location(int(x), int(y))
    action.pointer_action.click()
    action.perform()


def _contributions_exist(ui_server) -> bool:
    return requests.get(f"{ui_server.api}/collections/contributions?f=json", timeout=10).ok


def test_page_loads_in_german_with_landmarks(page):
    assert page.title == "Bürger-GIS"
    assert page.execute_script("return document.documentElement.lang") == "de"
    assert _text(page, "header h1") == "Bürger-GIS"
    for landmark in ("header", "nav", "main", "aside", "footer"):
        assert page.find_elements(By.CSS_SELECTOR, landmark), landmark
    assert page.find_element(By.CSS_SELECTOR, "a.skip-link").get_attribute("href").endswith("#main")


def test_map_draws_plan_features_not_a_blank_map(page):
    # Baugebietsteilflächen carry the Art-der-Nutzung colour from the legend table.
    fills = page.execute_script(
        "return Array.from(document.querySelectorAll('.leaflet-overlay-pane path')).map(p => p.getAttribute('fill'))")
    assert fills.count(WA_COLOUR) >= 5
    dashed = page.execute_script(
        "return document.querySelectorAll('.leaflet-overlay-pane path[stroke-dasharray]').length")
    assert dashed > 10  # Baugrenzen
    png = screenshot(page, "map", page.find_element(By.ID, "map"))
    stats = pixel_stats(png)
    assert stats["colours"] > 30 and stats["non_background"] > 0.3, stats
    screenshot(page, "page-map")


def test_clicking_a_zone_opens_its_festsetzungen_in_plain_language(page):
    # Centres of WA zones that are really on top at that point (not covered by a line or outline).
    points = page.execute_script("""
        const out = [];
        for (const p of document.querySelectorAll('.leaflet-overlay-pane path.leaflet-interactive')) {
            if (p.getAttribute('fill') !== arguments[0]) continue;
            const r = p.getBoundingClientRect();
            const x = r.left + r.width / 2, y = r.top + r.height / 2;
            if (r.width > 12 && r.height > 12 && document.elementFromPoint(x, y) === p) out.push([x, y]);
        }
        return out;""", WA_COLOUR)
    assert points, "no clickable WA zone found"
    for x, y in points[:6]:
        _click_at(page, x, y)
        try:
            wait_until(lambda: GRZ_DE in _text(page, "#panel-body"), 8, message="GRZ sentence")
            break
        except AssertionError:
            continue
    body = _text(page, "#panel-body")
    assert "Baugebietsteilfläche".upper() in body.upper()
    assert "WA – Allgemeines Wohngebiet" in body
    assert "GRZ 0," in body and GRZ_DE in body
    assert "Stand des Verfahrens" in body and "Beteiligung" in body
    screenshot(page, "zone-panel")


def test_choosing_a_plan_from_the_search_list(page):
    search = page.find_element(By.ID, "plan-search")
    search.clear()
    search.send_keys("LA 22")
    button = wait_until(lambda: page.find_elements(By.CSS_SELECTOR, "#plan-results button"), 10,
                        message="plan search results")[0]
    label = button.text
    assert "LA 22" in label
    button.click()
    wait_until(lambda: label in _text(page, "#panel-heading"), 10, message="plan panel")
    body = _text(page, "#panel-body")
    assert "BEBAUUNGSPLAN" in body.upper() and "Festsetzungen im Überblick" in body
    # Keyboard users land on the panel heading.
    wait_until(lambda: page.switch_to.active_element.get_attribute("id") == "panel-heading", 5,
               message="focus on the panel heading")


def test_opening_a_zone_from_the_list_view(page):
    page.find_element(By.ID, "tab-list").click()
    wait_until(lambda: page.find_element(By.ID, "view-list").is_displayed(), 5, message="list view")
    search = page.find_element(By.ID, "list-search")
    search.send_keys("Gewerbegebiet")
    wait_until(lambda: "GE – Gewerbegebiet" in _text(page, "#list-table")
               and "WA –" not in _text(page, "#list-table"), 10, message="filtered list")
    table = page.find_element(By.CSS_SELECTOR, "#list-table table")
    assert table.find_element(By.TAG_NAME, "caption").text
    assert len(table.find_elements(By.CSS_SELECTOR, "th[scope=col]")) == 5
    table.find_element(By.CSS_SELECTOR, "tbody button").click()
    wait_until(lambda: "GE – Gewerbegebiet" in _text(page, "#panel-heading"), 10, message="zone panel from list")
    assert GRZ_DE in _text(page, "#panel-body")
    screenshot(page, "list")


def test_switching_to_english(page):
    page.find_element(By.ID, "lang-en").click()
    wait_until(lambda: page.execute_script("return document.documentElement.lang") == "en", 10, message="lang=en")
    wait_until(lambda: _text(page, "#tab-map") == "Map", 10, message="English tabs")
    wait_until(lambda: GRZ_EN in _text(page, "#panel-body"), 10, message="English GRZ sentence")
    assert "GE – Commercial area" in _text(page, "#panel-heading")
    assert _text(page, "#tab-list") == "List"
    assert page.find_element(By.ID, "lang-en").get_attribute("aria-pressed") == "true"
    screenshot(page, "english")
    page.find_element(By.ID, "lang-de").click()
    wait_until(lambda: _text(page, "#tab-map") == "Karte", 10, message="back to German")


def test_3d_view_draws_the_envelope(page):
    page.find_element(By.ID, "tab-3d").click()
    region = page.find_element(By.ID, "deck-region")
    wait_until(lambda: page.find_elements(By.CSS_SELECTOR, "#deck-region canvas"), 15, message="deck.gl canvas")
    wait_until(lambda: "Bauflächen" in _text(page, "#envelope-note")
               and not _text(page, "#envelope-note").startswith("Zulässiges Bauvolumen: 0 "),
               30, message="envelope computed")

    def drawn():
        stats = pixel_stats(screenshot(page, "3d", region))
        return stats if stats["warm"] > 0.003 and stats["colours"] > 50 else None

    stats = wait_until(drawn, 30, interval=1.5, message="envelope pixels in the deck.gl canvas")
    assert stats["non_background"] > 0.05, stats
    size = page.execute_script(
        "const c = document.querySelector('#deck-region canvas'); return [c.width, c.height];")
    assert size[0] > 300 and size[1] > 300
    screenshot(page, "page-3d")


@pytest.mark.parametrize("view", ["map", "list", "3d", "dashboard"])
def test_axe_finds_no_serious_or_critical_violations(page, view):
    from axe_selenium_python import Axe

    page.find_element(By.ID, f"tab-{view}").click()
    wait_until(lambda: page.find_element(By.ID, f"view-{view}").is_displayed(), 10, message=f"{view} view")
    if view == "dashboard":
        wait_until(lambda: page.find_elements(By.CSS_SELECTOR, "#dash-body .kpi"), 20, message="dashboard counts")
    axe = Axe(page)
    axe.inject()
    results = axe.run(options=json.dumps({"runOnly": {"type": "tag", "values": [
        "wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}}))
    (ARTIFACTS / f"ui-axe-{view}.json").write_text(json.dumps(results["violations"], indent=1), encoding="utf-8")
    bad = [v for v in results["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, axe.report(bad)


def test_keyboard_users_can_take_the_map_centre_as_location(page):
    page.find_element(By.ID, "tab-map").click()
    button = page.find_element(By.ID, "form-centre-btn")
    page.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    button.send_keys(" ")  # a keyboard press, no mouse
    status = wait_until(lambda: "Kartenmitte" in _text(page, "#form-geometry-status")
                        and _text(page, "#form-geometry-status"), 10, message="map centre as location")
    assert "53." in status and "10." in status  # Hamburg-Langenhorn


def test_drawing_a_point_and_submitting_it(page, ui_server):
    page.find_element(By.ID, "tab-map").click()
    wait_until(lambda: page.find_element(By.ID, "view-map").is_displayed(), 5, message="map view")
    page.find_element(By.CSS_SELECTOR, ".leaflet-draw-draw-marker").click()
    map_box = page.find_element(By.ID, "map").rect
    _click_at(page, map_box["x"] + map_box["width"] * 0.55, map_box["y"] + map_box["height"] * 0.5)
    wait_until(lambda: "Gezeichnet: 1" in _text(page, "#form-geometry-status"), 10, message="drawn point in the form")
    page.find_element(By.ID, "form-text").send_keys("Hier fehlt ein Zebrastreifen zur Schule.")
    page.find_element(By.ID, "form-submit").click()
    feedback = wait_until(lambda: _text(page, "#form-feedback"), 15, message="submission feedback")
    screenshot(page, "submitted")
    if _contributions_exist(ui_server):
        assert feedback.startswith("Danke!"), feedback
    else:
        # Until the contributions collection exists the API refuses the write; the visitor is told why.
        assert "msg error" in page.find_element(By.ID, "form-feedback").get_attribute("class")
        assert any(code in feedback for code in ("(401)", "(403)", "(404)")), feedback


@pytest.mark.xfail(reason="the moderated contributions collection (issue 3) has not landed yet", strict=False)
def test_contribution_appears_after_moderation(page, ui_server):
    assert _contributions_exist(ui_server), "no contributions collection"
    auth = {"Authorization": f"Bearer {PLANNER_TOKEN}"}
    items = requests.get(f"{ui_server.api}/collections/contributions/items?f=json&limit=1000",
                         headers=auth, timeout=10).json()["features"]
    mine = [f for f in items if "Zebrastreifen" in (f["properties"].get("text") or "")]
    assert mine, "submitted contribution not stored"
    feature = mine[-1]
    feature["properties"]["status"] = "freigegeben"
    reply = requests.put(f"{ui_server.api}/collections/contributions/items/{feature['id']}", json=feature,
                         headers={**auth, "Content-Type": "application/geo+json"}, timeout=10)
    assert reply.ok, reply.text
    page.refresh()
    wait_until(lambda: _count_paths(page) > 50, 60, message="map after reload")
    page.find_element(By.ID, "tab-list").click()
    page.find_element(By.CSS_SELECTOR, "#list-what-buttons button:nth-child(4)").click()
    wait_until(lambda: "Zebrastreifen" in _text(page, "#list-table"), 20, message="approved contribution in the list")
