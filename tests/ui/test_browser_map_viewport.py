"""City-sized layers on the 2D map load only the area in view, once the visitor has zoomed in.

The demo data stands in for a city: with ``BUERGERGIS_MAP_WHOLE_LAYER_MAX=50`` its 508 buildings,
85 Baugebietsteilflächen and 340 Baugrenzen count as "too many for one request", its 5 plans do not.
"""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.conftest import LiveServer, load_demo_store
from tests.ui.conftest import DESKTOP, screenshot, wait_until

pytestmark = pytest.mark.browser

WA_COLOUR = "#ee8f8f"  # ui.map.NUTZUNG_COLORS["WA"]


@pytest.fixture(scope="module")
def city_server(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("viewport")
    store = str(data_dir / "store.gpkg")
    load_demo_store(store, data_dir)
    server = LiveServer(store, data_dir, extra_env={"BUERGERGIS_MAP_WHOLE_LAYER_MAX": "50"})
    yield server
    server.stop()


def _requests_for(driver, collection: str) -> list[str]:
    return driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
        ".filter(n => n.includes('/collections/' + arguments[0] + '/items'))",
        collection,
    )


def _hint(driver) -> str:
    return driver.find_element(By.ID, "map-zoom-hint").text


def _zone_fills(driver) -> int:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('.leaflet-map-pane path'))"
        ".filter(p => p.getAttribute('fill') === arguments[0]).length",
        WA_COLOUR,
    )


def _press_until(driver, key: str, done, tries: int = 5) -> None:
    """Zoom the map by keyboard (Leaflet's + and -) until ``done()``; a keyboard user does the same."""
    map_element = driver.find_element(By.CSS_SELECTOR, "#map")
    for _ in range(tries):
        if done():
            return
        map_element.send_keys(key)
        try:
            wait_until(done, 6, message="map after zooming")
            return
        except AssertionError:
            continue
    assert done(), f"map not as expected after pressing {key!r} {tries} times"


def test_city_sized_layers_load_what_is_in_view_and_wait_when_zoomed_out(browser, city_server):
    page = browser
    page.set_window_size(1440, 900)  # where the demo plans fill the first view at zoom 15 (at 1280 x 800: zoom 14)
    try:
        page.get(city_server.url + "/")
        # The demo plans fill the first view at zoom 15: zones and buildings load for that area only.
        zones = wait_until(
            lambda: [u for u in _requests_for(page, "bp_baugebiet") if "bbox=" in u],
            60,
            message="zones requested for the area in view",
        )
        west, south, east, north = map(float, zones[-1].split("bbox=")[1].split("&")[0].replace("%2C", ",").split(","))
        assert 9.95 < west < east < 10.05 and 53.6 < south < north < 53.7  # Hamburg-Langenhorn
        # a resource shows in the browser's timing list once its answer is in: the buildings' may come later
        wait_until(
            lambda: [u for u in _requests_for(page, "buildings") if "bbox=" in u], 30, message="buildings in view"
        )
        assert not [u for u in _requests_for(page, "bp_plan") if "bbox=" in u]  # 5 plans: loaded whole
        wait_until(lambda: _zone_fills(page) > 5, 30, message="zones drawn")
        assert _hint(page) == ""
        screenshot(page, "map-viewport-in", page.find_element(By.ID, "map"))

        # Zoomed out, the city-sized layers are taken off and the visitor is told why.
        _press_until(page, Keys.SUBTRACT, lambda: "Zoomstufe 15" in _hint(page))
        hint = _hint(page)
        assert "Gebäude" in hint and "Baugebiete" in hint and "Geltungsbereiche" not in hint
        wait_until(lambda: _zone_fills(page) == 0, 20, message="zones taken off")
        assert page.execute_script("return document.querySelectorAll('.leaflet-map-pane path').length") > 0  # plans
        screenshot(page, "map-viewport-out", page.find_element(By.ID, "map"))

        # Zoomed in again: back, for the new view.
        before = len(_requests_for(page, "bp_baugebiet"))
        _press_until(page, Keys.ADD, lambda: _hint(page) == "")
        wait_until(lambda: _zone_fills(page) > 0, 20, message="zones drawn again")
        assert len(_requests_for(page, "bp_baugebiet")) >= before
    finally:
        page.set_window_size(*DESKTOP)
