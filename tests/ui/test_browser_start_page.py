"""The citizen's start page stays light: every object of every plan and the staff views come when asked for.

The demo's 2,000 plan objects (2.4 MB of GeoJSON) load for the plan a visitor chooses, or for the area in
view from zoom 16 on (ui.map.DETAIL_LAYERS); the dashboard, administration and studio are mounted when
their tab is first shown (ui.layout.LAZY_VIEWS), in the page's language, and stay mounted.
"""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.ui.conftest import show_view, wait_until
from ui.i18n import t
from ui.map import DETAIL_MIN_ZOOM

pytestmark = pytest.mark.browser

PLAN_OBJECTS = "return document.querySelectorAll('[class*=\"leaflet-pane-xplan_objekt\"] path, .plan-divicon').length"


def _object_requests(driver) -> list[str]:
    return driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
        ".filter(n => n.includes('/collections/xplan_objekt/items'))"
    )


def _zoom(driver) -> int:
    return driver.execute_script("return window.buergergis.citizenMap().getZoom()")


def test_plan_objects_come_with_choosing_a_plan_or_zooming_in(browser, ui_server):
    page = browser
    page.get(ui_server.url + "/")
    wait_until(
        lambda: page.execute_script(
            "return document.querySelectorAll('[class*=\"leaflet-pane-bp_plan\"] path').length"
        ),
        60,
        message="plan outlines drawn",
    )
    hint = wait_until(lambda: page.find_element(By.ID, "map-detail-hint").text, 20, message="the detail hint")
    assert f"ab Zoomstufe {DETAIL_MIN_ZOOM} oder nach Auswahl eines Plans" in hint
    assert _zoom(page) < DETAIL_MIN_ZOOM
    assert _object_requests(page) == [] and page.execute_script(PLAN_OBJECTS) == 0
    # the staff views are not on the page yet
    assert page.execute_script("return document.querySelectorAll('#view-admin *, #view-dashboard *').length") == 0

    # Choosing a plan by keyboard (search field, arrow key, Enter) brings that plan's objects.
    search = page.find_element(By.ID, "plan-search")
    search.send_keys("LA 22")

    def first_result():  # the search's answer (its items name their kind), not the plans listed at the start
        buttons = page.find_elements(By.CSS_SELECTOR, "#plan-results li:has(.result-kind) button")
        return buttons[0] if buttons and "LA 22" in buttons[0].text else None

    wait_until(first_result, 20, message="the plan in the search list")
    search.send_keys(Keys.ARROW_DOWN)
    wait_until(lambda: page.switch_to.active_element.tag_name == "button", 5, message="focus on the first result")
    page.switch_to.active_element.send_keys(Keys.ENTER)
    requested = wait_until(
        lambda: [u for u in _object_requests(page) if "plan_id=" in u],
        30,
        message="the chosen plan's objects requested",
    )
    assert len(requested) == 1 and "bbox=" not in requested[0]
    wait_until(lambda: page.execute_script(PLAN_OBJECTS) > 20, 30, message="the plan's objects drawn")
    wait_until(lambda: page.find_element(By.ID, "map-detail-hint").text == "", 10, message="hint gone")

    # Zoomed in from the detail zoom on: the objects of every plan in view.
    page.execute_script("window.buergergis.citizenMap().setView([53.6655, 10.0045], arguments[0])", DETAIL_MIN_ZOOM)
    by_view = wait_until(
        lambda: [u for u in _object_requests(page) if "bbox=" in u],
        30,
        message="objects requested for the area in view",
    )
    assert "plan_id=" not in by_view[-1]


def test_staff_views_are_mounted_on_first_showing_in_the_page_language(browser, ui_server):
    page = browser
    page.get(ui_server.url + "/?lang=en")
    wait_until(lambda: page.find_element(By.ID, "tab-map").text == "Map", 30, message="English page")
    assert not page.find_element(By.ID, "tab-studio").is_displayed()  # the studio's gate still hides its tab
    assert page.execute_script("return document.querySelectorAll('#view-dashboard *').length") == 0

    show_view(page, "dashboard", 30)
    heading = wait_until(
        lambda: page.find_element(By.CSS_SELECTOR, "#view-dashboard h2").text, 30, message="dashboard contents"
    )
    assert heading == t("dash.region", "en")
    refresh = page.find_element(By.ID, "dash-refresh")
    show_view(page, "map", 30)
    show_view(page, "dashboard", 30)
    assert page.find_element(By.ID, "dash-refresh") == refresh  # stayed mounted, not made again

    # switched to German afterwards: the mounted view follows the language switch
    page.find_element(By.ID, "lang-de").click()
    wait_until(
        lambda: page.find_element(By.CSS_SELECTOR, "#view-dashboard h2").text == t("dash.region", "de"),
        20,
        message="dashboard in German",
    )


def test_a_link_with_a_reference_number_opens_the_lookup_with_it(browser, ui_server):
    """The link in a notification mail (``/?reference=…``) opens "Stand meiner Stellungnahme" with the number; a
    page without it leaves the lookup closed and sends no request for it."""
    browser.get(ui_server.url + "/?reference=LGH-2026-0042")
    wait_until(
        lambda: browser.find_element(By.ID, "lookup-reference").get_attribute("value") == "LGH-2026-0042",
        30,
        message="number in the lookup field",
    )
    assert browser.find_element(By.ID, "lookup-details").get_attribute("open") is not None
    browser.get(ui_server.url + "/")
    wait_until(lambda: browser.find_elements(By.CSS_SELECTOR, "#app-root #lookup-details"), 30, message="page")
    assert browser.find_element(By.ID, "lookup-details").get_attribute("open") is None
    assert browser.find_element(By.ID, "lookup-reference").get_attribute("value") == ""
