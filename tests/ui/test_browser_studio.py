"""The scenario studio in a real headless Chromium, on both stores (issue 16).

A planner builds a variant by clicking -- raises Z of two WA zones, draws one new building on the map (after
the drawing tool refused a footprint whose edges cross, in German) --, sees the indicators change, chooses a
place for sun hours, saves and publishes, exports YAML and imports it again; the link "open in 3D" appears. A
citizen then opens that link, finds the variant in the A/B choice, comments on it (a contribution with
``scenario_id`` in the variant's open participation procedure) and prefers it in the list.

Screenshots: test-artifacts/ui-studio-*.png.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta

import pytest
import requests
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.conftest import PLANNER_TOKEN, LiveServer, fresh_postgis_database, load_demo_copy
from tests.ui.conftest import DESKTOP, WINDOW_3D, pixel_stats, screenshot, sign_in_staff, text_of, wait_until

pytestmark = pytest.mark.browser

PLANNER = {"Authorization": f"Bearer {PLANNER_TOKEN}"}
TITLE = "Aufstockung im Browser"
VARIANT = "aufstockung_im_browser"
COMMENT = "Gut, aber bitte mit Bäumen. <b>kein HTML</b>"  # typed key by key: short


# The planner's studio is a staff journey: it runs on PostGIS in ./dev test. Its twin on the GeoPackage (the
# session's citizen portal) is heavy: the studio's store parity is proven by the API tests on both stores
# (tests/scenarios/test_studio_api.py), and one ~100 s browser journey per store would double the browser layer.
@pytest.fixture(
    scope="module",
    params=[pytest.param("geopackage", marks=pytest.mark.heavy), pytest.param("postgis", marks=pytest.mark.postgis)],
)
def studio_portal(request, tmp_path_factory):
    """The portal over the demo data: one over a fresh PostGIS database, and (heavy) the session's GeoPackage portal."""
    if request.param == "geopackage":
        yield request.getfixturevalue("ui_server")
        return
    data_dir = tmp_path_factory.mktemp("ui-studio-postgis")
    url = fresh_postgis_database(request.getfixturevalue("postgis"), "ui_studio")
    load_demo_copy(url, data_dir)
    server = LiveServer(url, data_dir)
    yield server
    server.stop()


def _button(page, group: str, value: str):
    for button in page.find_elements(By.CSS_SELECTOR, f"#{group}-buttons button"):
        if f'"value":"{value}"' in (button.get_attribute("id") or ""):
            return button
    return None


def _press(page, group: str, value: str) -> None:
    wait_until(lambda: _button(page, group, value).click() or True, 15, message=f"{group} button {value}")
    wait_until(
        lambda: _button(page, group, value).get_attribute("aria-pressed") == "true",
        15,
        message=f"{group} = {value} pressed",
    )


def _text(page, element_id: str) -> str:
    return text_of(page, f"#{element_id}")


def _cell(page, key: str, kind: str = "indicator") -> str:
    return page.find_element(By.CSS_SELECTOR, f'#studio-indicator-table td[data-{kind}="{key}"]').text


def _type(page, element_id: str, text: str) -> None:
    field = page.find_element(By.ID, element_id)
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(Keys.DELETE)
    field.send_keys(text)


def _cleanup(server) -> None:
    for procedure in requests.get(f"{server.url}/api/procedures", timeout=30).json().get("procedures") or []:
        if procedure.get("scenario_id") == VARIANT and procedure.get("open_now"):
            requests.post(f"{server.url}/api/procedures/{procedure['id']}/close", headers=PLANNER, timeout=30)
    for variant in (VARIANT, f"{VARIANT}_2"):
        requests.post(
            f"{server.url}/api/variants/{variant}/publish", json={"published": False}, headers=PLANNER, timeout=60
        )
        requests.delete(f"{server.url}/api/variants/{variant}", headers=PLANNER, timeout=60)


def test_planner_builds_publishes_and_citizen_comments(browser, studio_portal):
    page, server = browser, studio_portal
    _cleanup(server)
    try:
        link = _build_and_publish(page, server)
        _citizen_comments(page, server, link)
    finally:
        page.delete_all_cookies()
        page.set_window_size(*DESKTOP)
        _cleanup(server)


def _chosen_zone_centre(page):
    """The chosen zones on the studio's map are drawn orange: (the first one's path, its centre offset 0, 0)."""
    return wait_until(
        lambda: [
            p
            for p in page.find_elements(By.CSS_SELECTOR, "#studio-map path.leaflet-interactive")
            if p.get_attribute("stroke") == "#b45309"
        ],
        15,
        message="chosen zone on the map",
    )[0]


def _click_at(page, element, dx: int, dy: int) -> None:
    ActionChains(page).move_to_element_with_offset(element, dx, dy).click().perform()


def _build_and_publish(page, server) -> str:
    page.set_window_size(1280, 1000)
    page.get(server.url + "/oapi/")
    sign_in_staff(page, server, "planner", "Petra Planerin")
    page.get(server.url + "/?view=studio")
    wait_until(lambda: page.find_element(By.ID, "studio-body").is_displayed(), 30, message="studio for planners")
    assert page.find_element(By.ID, "tab-studio").is_displayed()

    # start from the shipped Bestand of Langenhorn
    _press(page, "studio-base", "langenhorn_baseline")
    page.find_element(By.ID, "studio-new-title").send_keys(TITLE)
    page.find_element(By.ID, "studio-new").click()
    wait_until(lambda: TITLE in _text(page, "studio-current"), 90, message="variant started")
    start_floor = wait_until(lambda: _cell(page, "floor_area_m2"), 20, message="indicator table")

    # choose two WA zones (filter by Art der Nutzung, click them) and raise their Z by one
    _press(page, "studio-filter-art", "WA")
    # the list may re-render while it is read (the filter's answer): read the ids in one go, again if it went stale
    zone_ids = wait_until(
        lambda: [b.get_attribute("id") for b in page.find_elements(By.CSS_SELECTOR, "#studio-zone-list button")],
        15,
        message="zones",
    )
    chosen = zone_ids[:2]
    assert len(zone_ids) > 2

    def zone_button(zone_id):
        return next(
            b
            for b in page.find_elements(By.CSS_SELECTOR, "#studio-zone-list button")
            if b.get_attribute("id") == zone_id
        )

    for zone_id in chosen:  # the list re-renders after each click: find the button again, click it once
        wait_until(lambda zone_id=zone_id: zone_button(zone_id).click() or True, 10, message="zone button")
        wait_until(
            lambda zone_id=zone_id: zone_button(zone_id).get_attribute("aria-pressed") == "true",
            10,
            message="zone chosen",
        )
    wait_until(lambda: _text(page, "studio-zone-count").startswith("2 von"), 10, message="two zones chosen")
    page.find_element(By.ID, "studio-z").send_keys("1")
    page.find_element(By.ID, "studio-apply").click()
    wait_until(lambda: "Z (Vollgeschosse) + 1" in _text(page, "studio-steps"), 60, message="Z raised")
    state = requests.get(f"{server.url}/api/variants/{VARIANT}", headers=PLANNER, timeout=60).json()
    before = {z["id"]: z["z"] for z in state["start"]["zones"]}
    after = {z["id"]: z["z"] for z in state["indicators"]["zones"]}
    raised = [
        zid for zid in after if after[zid] is not None and before[zid] is not None and after[zid] == before[zid] + 1
    ]
    assert len(raised) == 2 and all(zid in " ".join(chosen) for zid in raised), (raised, chosen)

    # draw a footprint whose edges cross: the drawing tool refuses to close it, in German
    zone = _chosen_zone_centre(page)
    page.find_element(By.CSS_SELECTOR, "#studio-map a.leaflet-draw-draw-polygon").click()
    for dx, dy in ((-12, -12), (12, 12), (12, -12), (-12, 12)):
        _click_at(page, zone, dx, dy)
    tooltip = wait_until(
        lambda: page.find_element(By.CSS_SELECTOR, "#studio-map .leaflet-draw-tooltip").text,
        10,
        message="drawing tooltip",
    )
    assert "Die Kanten dürfen sich nicht kreuzen" in tooltip or "Klicken" in tooltip, tooltip
    error_seen = "Die Kanten dürfen sich nicht kreuzen" in tooltip
    cancel = next(
        a
        for a in page.find_elements(By.CSS_SELECTOR, "#studio-map .leaflet-draw-actions a")
        if a.is_displayed() and a.text == "Abbrechen"
    )
    cancel.click()
    assert error_seen, tooltip

    # draw a proper footprint in the chosen zone and add it with four storeys
    page.find_element(By.CSS_SELECTOR, "#studio-map a.leaflet-draw-draw-polygon").click()
    for dx, dy in ((-12, -10), (12, -10), (12, 10), (-12, 10), (-12, -10)):
        _click_at(page, zone, dx, dy)
    wait_until(lambda: "Grundriss gezeichnet" in _text(page, "studio-drawn-info"), 15, message="footprint drawn")
    _type(page, "studio-storeys", "4")
    page.find_element(By.ID, "studio-add-drawn").click()
    wait_until(
        lambda: (
            "Gebäude hinzufügen (4 Geschosse" in _text(page, "studio-steps")
            or _text(page, "studio-msg-building").startswith("Fehler")
        ),
        60,
        message="building added",
    )
    assert not _text(page, "studio-msg-building").startswith("Fehler"), _text(page, "studio-msg-building")
    wait_until(lambda: _cell(page, "floor_area_m2", "delta").startswith("+"), 20, message="floor area grows")
    assert _cell(page, "floor_area_m2") != start_floor
    assert _cell(page, "buildings", "delta") == "+1"
    assert page.find_element(By.ID, "studio-undo").is_enabled()

    # a place for sun hours: its hours in A and B appear among the indicators; the 3D view shows the shadows
    _press(page, "studio-click-mode", "sun")
    _click_at(page, _chosen_zone_centre(page), 0, -30)  # the map's layers were redrawn after the step
    wait_until(
        lambda: page.find_elements(By.CSS_SELECTOR, "#studio-sun-hours td[data-sun-lost='1']"),
        60,
        message="sun hours of the place",
    )
    assert "Sonne" in _text(page, "studio-when") and "Uhr" in _text(page, "studio-when")
    screenshot(page, "studio-steps")
    # the 3D preview is drawn once it is scrolled into view: the buildings, the new one and the shadows (about
    # 9 % of its pixels are not background, an empty preview has none)
    page.execute_script("document.getElementById('studio-3d-heading').scrollIntoView()")
    region = page.find_element(By.ID, "studio-deck-region")
    wait_until(
        lambda: pixel_stats(screenshot(page, "studio-3d", region))["non_background"] > 0.05,
        30,
        interval=1,
        message="the 3D preview drawn once in view",
    )

    # save with titles in both languages, publish: the link that opens the variant in 3D appears
    _type(page, "studio-title-en", "Storeys added in the browser")
    page.find_element(By.ID, "studio-description-de").send_keys("Z + 1 in zwei WA-Gebieten, ein neues Haus.")
    page.find_element(By.ID, "studio-description-en").send_keys("Z + 1 in two WA zones, one new house.")
    page.find_element(By.ID, "studio-save").click()
    wait_until(lambda: "Version 1 gespeichert (Petra Planerin" in _text(page, "studio-msg-save"), 30, message="saved")
    page.find_element(By.ID, "studio-publish").click()
    wait_until(lambda: "Veröffentlicht" in _text(page, "studio-msg-save"), 90, message="published")
    wait_until(lambda: "veröffentlicht (Version 1)" in _text(page, "studio-current"), 20, message="status shown")
    link = wait_until(lambda: page.find_element(By.ID, "studio-link3d").get_attribute("href"), 20, message="3D link")
    assert f"b={VARIANT}" in link and "a=langenhorn_baseline" in link and "lon=" in link and "pitch=" in link
    floor = _cell(page, "floor_area_m2")

    # export YAML (the link's download, fetched with the page's session) and import it again
    href = page.find_element(By.ID, "studio-export").get_attribute("href")
    text = page.execute_async_script("fetch(arguments[0]).then(r => r.text()).then(arguments[1]);", href)
    assert "op: change_festsetzung" in text and "op: add_building" in text and "title_en: Storeys added" in text
    page.execute_script(
        """
        const area = document.getElementById('studio-import-text');
        Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value').set.call(area, arguments[0]);
        area.dispatchEvent(new Event('input', {bubbles: true}));""",
        text,
    )
    page.find_element(By.ID, "studio-import-text").send_keys(" ")
    page.find_element(By.ID, "studio-import").click()
    wait_until(lambda: f"{VARIANT}_2" in _text(page, "studio-msg-import"), 90, message="imported")
    wait_until(lambda: "intern" in _text(page, "studio-current"), 20, message="the imported variant open")
    assert _cell(page, "floor_area_m2") == floor  # the exported file re-imports to the same result
    page.set_window_size(390, 900)
    screenshot(page, "studio-390")
    return link


def _citizen_comments(page, server, link: str) -> None:
    # the planners open a participation procedure for the published variant (issue 10: comments only then)
    today = datetime.now(UTC)
    opened = requests.post(
        f"{server.url}/api/procedures",
        headers=PLANNER,
        timeout=30,
        json={
            "scenario_id": VARIANT,
            "title_de": "Beteiligung zur Aufstockung",
            "title_en": "Participation",
            "opens_at": (today - timedelta(days=1)).strftime("%Y-%m-%d"),
            "closes_at": (today + timedelta(days=30)).strftime("%Y-%m-%d"),
        },
    )
    assert opened.status_code == 201, opened.text

    page.delete_all_cookies()
    page.set_window_size(*WINDOW_3D)  # the link opens two 3D views side by side
    page.get(link)
    wait_until(lambda: page.find_element(By.ID, "view-3d").get_attribute("hidden") is None, 30, message="3D tab")
    wait_until(lambda: _button(page, "variant-b", VARIANT), 30, message="published variant in the A/B choice")
    assert _button(page, "variant-b", f"{VARIANT}_2") is None  # internal: not for citizens
    assert not page.find_element(By.ID, "tab-studio").is_displayed()
    wait_until(
        lambda: _button(page, "variant-b", VARIANT).get_attribute("aria-pressed") == "true",
        20,
        message="the link chose the variant as B",
    )
    wait_until(
        lambda: _button(page, "variant-mode", "side").get_attribute("aria-pressed") == "true",
        20,
        message="side by side",
    )
    wait_until(lambda: TITLE in _text(page, "deck-label-b"), 60, message="the variant shown in 3D")
    screenshot(page, "studio-citizen-ab")

    # the citizen comments on B
    wait_until(lambda: TITLE in _text(page, "variant-comment-heading"), 20, message="comment form for B")
    page.find_element(By.ID, "variant-comment-text").send_keys(COMMENT)
    page.find_element(By.ID, "variant-comment-pseudonym").send_keys("Anwohnerin")
    page.find_element(By.ID, "variant-comment-submit").click()
    reply = wait_until(lambda: _text(page, "variant-comment-reply"), 30, message="comment answer")
    assert "Danke" in reply, reply
    comments = requests.get(
        f"{server.api}/collections/contributions/items",
        headers=PLANNER,
        timeout=30,
        params={"f": "json", "scenario_id": VARIANT, "limit": 50},
    ).json()["features"]
    # (pygeoapi's JSON escapes markup in texts; the portal shows it as text)
    assert [(html.unescape(c["properties"]["text"]), c["properties"]["kind"]) for c in comments] == [
        (COMMENT, "kommentar")
    ]
    assert comments[0]["properties"]["procedure_id"] == opened.json()["id"]

    # and prefers it in the list (one like per person, counted on the variant's row)
    page.find_element(By.ID, "tab-list").click()
    wait_until(lambda: _button(page, "list-what", "variants"), 20, message="variants choice")
    _button(page, "list-what", "variants").click()
    wait_until(lambda: TITLE in _text(page, "list-table"), 30, message="variant listed")

    def prefer():
        button = next(
            b
            for b in page.find_elements(By.CSS_SELECTOR, "#list-table button")
            if f'"id":"{VARIANT}"' in (b.get_attribute("id") or "")
        )
        button.click()
        return True

    wait_until(prefer, 15, message="prefer button")
    wait_until(
        lambda: (
            requests.get(f"{server.api}/collections/scenarios/items/{VARIANT}?f=json", timeout=30).json()["properties"][
                "like_count"
            ]
            == 1
        ),
        20,
        message="preference counted",
    )
