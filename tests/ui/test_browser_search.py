"""The place search in the browser: type an address, see suggestions, pick one with the keyboard, the map goes there.

The demo portal (session server) gets a small address list (tests/search_data.py) around its plans.
"""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.ui.conftest import screenshot, wait_until

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def search_page(browser, ui_server, tmp_path_factory):
    store_url = getattr(ui_server, "store", None)
    if store_url is None:
        pytest.skip("needs the portal's store to import addresses (not with BUERGERGIS_UI_URL)")
    from layers.addresses import read_address_list
    from layers.importing import import_layer_frames
    from store.base import open_store
    from tests.search_data import write_hk_csv

    store = open_store(store_url)
    try:
        store.create_schema()
        path = write_hk_csv(tmp_path_factory.mktemp("addresses") / "hk.csv")
        import_layer_frames(
            store, read_address_list(path, epsg=store.epsg, crs="EPSG:25832"), source="addresses:hk.csv"
        )
    finally:
        store.close()
    browser.get(ui_server.url + "/")
    wait_until(lambda: browser.find_elements(By.CSS_SELECTOR, ".leaflet-pane path"), 40, message="map drawn")
    return browser


def _map_state(driver) -> tuple[str, str]:
    """The scale bar's text and the map pane's offset: both change when the map moves and zooms."""
    return (
        driver.find_element(By.CSS_SELECTOR, ".leaflet-control-scale-line").text,
        driver.find_element(By.CSS_SELECTOR, ".leaflet-map-pane").get_attribute("style"),
    )


def _result_texts(driver) -> list[str]:
    return [b.text for b in driver.find_elements(By.CSS_SELECTOR, "#plan-results button")]


def test_type_an_address_pick_it_by_keyboard_and_the_map_goes_there(search_page):
    driver = search_page
    box = driver.find_element(By.ID, "plan-search")
    box.clear()
    box.send_keys("tangstedter landstr")
    wait_until(
        lambda: any("Tangstedter Landstraße 12" in t for t in _result_texts(driver)),
        15,
        message="suggestions while typing",
    )
    assert "Treffer" in driver.find_element(By.ID, "search-status").text
    texts = _result_texts(driver)
    assert texts[:2] == ["Tangstedter Landstraße 12, 22415 Hamburg", "Tangstedter Landstraße 14a, 22415 Hamburg"]
    before = _map_state(driver)

    # Arrow down from the box into the list, down and up again, Enter on the first.
    box.send_keys(Keys.ARROW_DOWN)
    wait_until(
        lambda: driver.switch_to.active_element.text.startswith("Tangstedter Landstraße 12"),
        5,
        message="focus on the first suggestion",
    )
    driver.switch_to.active_element.send_keys(Keys.ARROW_DOWN)
    assert driver.switch_to.active_element.text.startswith("Tangstedter Landstraße 14a")
    driver.switch_to.active_element.send_keys(Keys.ARROW_UP)
    chosen = driver.switch_to.active_element
    assert chosen.get_attribute("aria-label") == "Adresse: Tangstedter Landstraße 12, 22415 Hamburg"
    # The tests' browser asks for less motion (tests/ui/conftest.py): the map jumps there in one step instead
    # of flying (assets/motion.js), where a flight fires a zoom event for each of its frames.
    assert driver.execute_script("return window.matchMedia('(prefers-reduced-motion: reduce)').matches")
    driver.execute_script(
        "window.__zoomSteps = 0; window.buergergis.citizenMap().on('zoom', () => { window.__zoomSteps += 1; });"
    )
    chosen.send_keys(Keys.ENTER)

    wait_until(
        lambda: "Die Karte zeigt: Tangstedter Landstraße 12" in driver.find_element(By.ID, "search-status").text,
        15,
        message="announcement",
    )
    wait_until(
        lambda: driver.find_elements(By.CSS_SELECTOR, ".leaflet-pane path[stroke=\"#7c2d12\"]"),
        10,
        message="the place marked",
    )

    def street_level():
        scale = _map_state(driver)[0]
        return scale != before[0] and scale.endswith(" m") and int(scale.split()[0]) <= 100

    wait_until(street_level, 15, message="the map zoomed in to street level")
    assert driver.execute_script("return window.__zoomSteps") == 1
    screenshot(driver, "search-address")

    # Escape from the list goes back to the box.
    driver.find_element(By.CSS_SELECTOR, "#plan-results button").send_keys(Keys.ESCAPE)
    assert driver.switch_to.active_element.get_attribute("id") == "plan-search"


def test_nothing_found_is_said(search_page):
    driver = search_page
    box = driver.find_element(By.ID, "plan-search")
    box.clear()
    box.send_keys("Xyzzyplatz 999")
    wait_until(
        lambda: "Nichts gefunden" in driver.find_element(By.ID, "search-status").text, 15, message="Nichts gefunden"
    )
    assert _result_texts(driver) == []
    assert driver.find_element(By.ID, "search-status").get_attribute("role") == "status"


def test_locate_me_asks_only_after_the_click(search_page):
    driver = search_page
    # Stand in for the browser's geolocation (a headless browser has none): count the asks, answer or refuse.
    driver.execute_script("""
        window.__geoAsks = 0;
        navigator.geolocation.getCurrentPosition = function (ok, fail) {
            window.__geoAsks += 1;
            if (window.__geoRefuse) { fail({code: 1, message: "denied"}); return; }
            ok({coords: {latitude: 53.6701, longitude: 10.0111, accuracy: 25}});
        };""")
    assert driver.execute_script("return window.__geoAsks") == 0
    button = driver.find_element(By.ID, "locate-me")
    assert button.text == "Standort verwenden"
    driver.execute_script("window.__geoRefuse = true;")
    button.click()
    wait_until(
        lambda: "Standort nicht verfügbar" in driver.find_element(By.ID, "locate-status").text,
        10,
        message="refusal said",
    )
    driver.execute_script("window.__geoRefuse = false;")
    button.click()
    wait_until(lambda: "etwa 25 m" in driver.find_element(By.ID, "locate-status").text, 10, message="location shown")
    assert driver.execute_script("return window.__geoAsks") == 2
    assert driver.find_elements(By.CSS_SELECTOR, ".leaflet-pane path[fill=\"#1d4ed8\"]")
