"""The scenario studio in a real headless Chromium (GeoPackage store): a planner builds a variant by clicking,
sees the indicators change, saves, publishes, exports YAML and imports it again; a citizen then finds the
variant in the 3D view's A/B choice and prefers it in the list.

Screenshots: test-artifacts/ui-studio-*.png.
"""

from __future__ import annotations

import pytest
import requests
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.conftest import PLANNER_TOKEN
from tests.ui.conftest import screenshot, sign_in_staff, wait_until

pytestmark = pytest.mark.browser

PLANNER = {"Authorization": f"Bearer {PLANNER_TOKEN}"}
TITLE = "Aufstockung im Browser"
VARIANT = "aufstockung_im_browser"


def _button(page, group: str, value: str):
    for button in page.find_elements(By.CSS_SELECTOR, f"#{group}-buttons button"):
        if f'"value":"{value}"' in (button.get_attribute("id") or ""):
            return button
    return None


def _press(page, group: str, value: str) -> None:
    wait_until(lambda: _button(page, group, value).click() or True, 15, message=f"{group} button {value}")
    wait_until(lambda: _button(page, group, value).get_attribute("aria-pressed") == "true", 15,
               message=f"{group} = {value} pressed")


def _text(page, element_id: str) -> str:
    return page.find_element(By.ID, element_id).text


def _cell(page, key: str, kind: str = "indicator") -> str:
    return page.find_element(By.CSS_SELECTOR, f'#studio-indicator-table td[data-{kind}="{key}"]').text


def _type(page, element_id: str, text: str) -> None:
    field = page.find_element(By.ID, element_id)
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(Keys.DELETE)
    field.send_keys(text)


def _cleanup(server) -> None:
    for variant in (VARIANT, f"{VARIANT}_2"):
        requests.post(f"{server.url}/api/variants/{variant}/publish", json={"published": False}, headers=PLANNER,
                      timeout=60)
        requests.delete(f"{server.url}/api/variants/{variant}", headers=PLANNER, timeout=60)


def test_planner_builds_publishes_and_citizen_finds_the_variant(browser, ui_server):
    page = browser
    _cleanup(ui_server)
    try:
        _build_and_publish(page, ui_server)
        _citizen_sees_it(page, ui_server)
    finally:
        page.delete_all_cookies()
        _cleanup(ui_server)


def _build_and_publish(page, server) -> None:
    page.get(server.url + "/oapi/")
    sign_in_staff(page, server, "planner", "Petra Planerin")
    page.get(server.url + "/?view=studio")
    wait_until(lambda: page.find_element(By.ID, "studio-body").is_displayed(), 30, message="studio for planners")
    assert page.find_element(By.ID, "tab-studio").is_displayed()

    # start from the shipped Bestand of Langenhorn
    _press(page, "studio-base", "langenhorn_baseline")
    page.find_element(By.ID, "studio-new-title").send_keys(TITLE)
    page.find_element(By.ID, "studio-new").click()
    wait_until(lambda: TITLE in _text(page, "studio-current"), 60, message="variant started")
    start_floor = wait_until(lambda: _cell(page, "floor_area_m2"), 20, message="indicator table")

    # choose two WA zones and raise their Z by one
    _press(page, "studio-filter-art", "WA")
    zones = wait_until(lambda: page.find_elements(By.CSS_SELECTOR, "#studio-zone-list button"), 15, message="zones")
    chosen = [zones[0].get_attribute("id"), zones[1].get_attribute("id")]

    def zone_button(zone_id):
        return next(b for b in page.find_elements(By.CSS_SELECTOR, "#studio-zone-list button")
                    if b.get_attribute("id") == zone_id)

    for zone_id in chosen:  # the list re-renders after each click: find the button again, click it once
        wait_until(lambda: zone_button(zone_id).click() or True, 10, message="zone button")
        wait_until(lambda: zone_button(zone_id).get_attribute("aria-pressed") == "true", 10, message="zone chosen")
    wait_until(lambda: _text(page, "studio-zone-count").startswith("2 von"), 10, message="two zones chosen")
    assert len(zones) > 2
    page.find_element(By.ID, "studio-z").send_keys("1")
    page.find_element(By.ID, "studio-apply").click()
    wait_until(lambda: "Z (Vollgeschosse) + 1" in _text(page, "studio-steps"), 30, message="Z raised")
    state = requests.get(f"{server.url}/api/variants/{VARIANT}", headers=PLANNER, timeout=60).json()
    before = {z["id"]: z["z"] for z in state["start"]["zones"]}
    after = {z["id"]: z["z"] for z in state["indicators"]["zones"]}
    raised = [zid for zid in after if after[zid] is not None and before[zid] is not None and after[zid] == before[zid] + 1]
    assert len(raised) == 2 and all(zid in " ".join(chosen) for zid in raised), (raised, chosen)
    assert state["steps"][0]["op"] == "change_festsetzung"

    # add a building: "Gebäude setzen", click into a chosen zone on the map, add it
    _press(page, "studio-click-mode", "building")
    path = wait_until(lambda: [p for p in page.find_elements(By.CSS_SELECTOR, "#studio-map path.leaflet-interactive")
                               if p.get_attribute("stroke") == "#b45309"], 15, message="chosen zone on the map")[0]
    ActionChains(page).move_to_element(path).click().perform()
    wait_until(lambda: page.find_element(By.ID, "studio-lon").get_attribute("value"), 10, message="position")
    _type(page, "studio-storeys", "4")
    page.find_element(By.ID, "studio-add-building").click()
    wait_until(lambda: "Gebäude hinzufügen (4 Geschosse" in _text(page, "studio-steps")
               or _text(page, "studio-msg-building").startswith("Fehler"), 30, message="building added")
    assert not _text(page, "studio-msg-building").startswith("Fehler"), _text(page, "studio-msg-building")
    wait_until(lambda: _cell(page, "floor_area_m2", "delta").startswith("+"), 20, message="floor area grows")
    assert _cell(page, "floor_area_m2") != start_floor
    assert _cell(page, "buildings", "delta") == "+1"
    assert page.find_element(By.ID, "studio-undo").is_enabled()
    screenshot(page, "studio-steps")

    # save with titles in both languages, publish
    _type(page, "studio-title-en", "Storeys added in the browser")
    page.find_element(By.ID, "studio-description-de").send_keys("Z + 1 in zwei WA-Gebieten, ein neues Haus.")
    page.find_element(By.ID, "studio-description-en").send_keys("Z + 1 in two WA zones, one new house.")
    page.find_element(By.ID, "studio-save").click()
    wait_until(lambda: "Version 1 gespeichert (Petra Planerin" in _text(page, "studio-msg-save"), 30,
               message="saved")
    page.find_element(By.ID, "studio-publish").click()
    wait_until(lambda: "Veröffentlicht" in _text(page, "studio-msg-save"), 60, message="published")
    wait_until(lambda: "veröffentlicht (Version 1)" in _text(page, "studio-current"), 20, message="status shown")
    floor = _cell(page, "floor_area_m2")

    # export YAML (the link's download, fetched with the page's session) and import it again
    href = page.find_element(By.ID, "studio-export").get_attribute("href")
    text = page.execute_async_script("fetch(arguments[0]).then(r => r.text()).then(arguments[1]);", href)
    assert "op: change_festsetzung" in text and "op: add_building" in text and "title_en: Storeys added" in text
    # paste it (as a paste does: one input event with the whole text)
    page.execute_script("""
        const area = document.getElementById('studio-import-text');
        Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value').set.call(area, arguments[0]);
        area.dispatchEvent(new Event('input', {bubbles: true}));""", text)
    page.find_element(By.ID, "studio-import-text").send_keys(" ")
    page.find_element(By.ID, "studio-import").click()
    wait_until(lambda: f"{VARIANT}_2" in _text(page, "studio-msg-import"), 60, message="imported")
    wait_until(lambda: "intern" in _text(page, "studio-current"), 20, message="the imported variant open")
    assert _cell(page, "floor_area_m2") == floor  # the exported file re-imports to the same result
    screenshot(page, "studio-imported")


def _citizen_sees_it(page, server) -> None:
    page.delete_all_cookies()
    page.get(server.url + "/?view=3d")
    wait_until(lambda: page.find_element(By.ID, "view-3d").get_attribute("hidden") is None, 30, message="3D tab")
    wait_until(lambda: _button(page, "variant-b", VARIANT), 30, message="published variant in the A/B choice")
    assert _button(page, "variant-b", f"{VARIANT}_2") is None  # internal: not for citizens
    assert not page.find_element(By.ID, "tab-studio").is_displayed()
    _press(page, "variant-b", VARIANT)
    _press(page, "variant-mode", "b")
    wait_until(lambda: TITLE in _text(page, "deck-label-a"), 30, message="the variant shown in 3D")
    screenshot(page, "studio-citizen-ab")
    # its indicators against the Bestand, computed by the run-scenario Process as the compare table does
    run = requests.post(f"{server.api}/processes/run-scenario/execution", timeout=120,
                        json={"inputs": {"scenario": VARIANT, "compare_to": "langenhorn_baseline"}})
    assert run.status_code == 200 and run.json()["deltas"]["totals"]["floor_area_m2"]["delta"] > 0

    # and prefers it in the list (one like per person, counted on the variant's row)
    page.find_element(By.ID, "tab-list").click()
    wait_until(lambda: _button(page, "list-what", "variants"), 20, message="variants choice")
    _button(page, "list-what", "variants").click()
    wait_until(lambda: TITLE in _text(page, "list-table"), 30, message="variant listed")

    def prefer():
        button = next(b for b in page.find_elements(By.CSS_SELECTOR, "#list-table button")
                      if f'"id":"{VARIANT}"' in (b.get_attribute("id") or ""))
        button.click()
        return True

    wait_until(prefer, 15, message="prefer button")
    wait_until(lambda: requests.get(f"{server.api}/collections/scenarios/items/{VARIANT}?f=json", timeout=30)
               .json()["properties"]["like_count"] == 1, 20, message="preference counted")
