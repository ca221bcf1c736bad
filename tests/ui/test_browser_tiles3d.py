"""The 3D view at city scale, in a real headless Chromium: buildings arrive as OGC API vector tiles.

Checks what a person would notice: the tiles are requested from the portal itself (no CDN, the
vector-tile worker included), buildings fill the view, a shared link opens at its place, and the
stored buildings a planning variant stands in for are hidden in that view (not drawn twice).
Screenshot: test-artifacts/ui-3d-tiles.png.
"""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from tests.ui.conftest import pixel_stats, screenshot, wait_until

pytestmark = pytest.mark.browser

#: The Langenhorn 51 blocks at zoom 16 (deck.gl asks for the tiles of the view's zoom level).
LINK = "/?view=3d&lon=10.005&lat=53.668&zoom=16&pitch=50&bearing=10"

TILE_REQUESTS = """
return performance.getEntriesByType('resource')
  .filter(e => e.name.includes('/collections/buildings/tiles/'))
  .map(e => ({url: e.name, status: e.responseStatus, bytes: e.encodedBodySize}));
"""


def test_buildings_come_as_vector_tiles_from_the_portal(browser, ui_server):
    from benchmarks.view3d import INSTRUMENT  # counts the tiles' filter calls (and the hidden buildings)

    page = browser
    script = page.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": INSTRUMENT})["identifier"]
    try:
        _check_tiles(page, ui_server)
    finally:
        page.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": script})


def _check_tiles(page, ui_server):
    page.get(ui_server.url + LINK)
    wait_until(lambda: page.find_element(By.ID, "view-3d").get_attribute("hidden") is None, 30, message="3D tab")

    def tiles_loaded():
        entries = page.execute_script(TILE_REQUESTS)
        ok = [e for e in entries if "/tiles/WebMercatorQuad/16/" in e["url"] and e["status"] == 200 and e["bytes"] > 0]
        return entries if ok else None

    entries = wait_until(tiles_loaded, 30, interval=0.5, message="buildings tiles at the link's place")
    assert all(e["url"].endswith("?f=mvt") for e in entries), entries
    # The link's place, not a default view first: every tile lies around 10.005 E, 53.668 N at z16
    # (x 34588-34591, y 21143-21145 there).
    for entry in entries:
        z, y, x = map(int, entry["url"].split("/WebMercatorQuad/")[1].split("?")[0].split("/"))
        assert z == 16 and 34580 <= x <= 34600 and 21135 <= y <= 21155, entry

    # The hidden 2D map loads nothing yet: a city's layers are fetched (and drawn) once the map is shown.
    loaded = (
        "return performance.getEntriesByType('resource').filter(e => /collections\\/(buildings|bp_baugebiet|"
        "bp_baugrenze)\\/items/.test(e.name)).map(e => e.name);"
    )
    assert page.execute_script(loaded) == []

    # The variant shown (Bestand Langenhorn) stands in for the stored buildings there: the tiles hide them.
    building_id = page.execute_async_script("""
        const done = arguments[arguments.length - 1];
        fetch('/oapi/collections/buildings/items?f=json&limit=1&bbox=10.0,53.665,10.01,53.671')
          .then(r => r.json()).then(j => done(j.features[0].id)).catch(e => done(null));
    """)
    assert building_id
    wait_until(
        lambda: page.execute_script("return window.buergergis.replaced3d('deck', arguments[0]);", building_id) == 1,
        60,
        message="variant's replaced ids in the filter",
    )
    assert page.execute_script("return window.buergergis.replaced3d('deck', 'no-such-building');") == 0
    assert page.execute_script("return window.buergergis.replaced3d('deck-b', arguments[0]);", building_id) == 0
    # deck.gl really filters the tiles with it: stored buildings of the variant's area are hidden
    calls, hidden = wait_until(
        lambda: (lambda m: m if m[1] > 0 else None)(
            page.execute_script("return [window.__bench3d.calls, window.__bench3d.hidden];")
        ),
        30,
        message="tile buildings hidden by the filter",
    )
    assert calls >= hidden > 0

    region = page.find_element(By.ID, "deck-region")

    def drawn():
        stats = pixel_stats(screenshot(page, "3d-tiles", region))
        return stats if stats["non_background"] > 0.05 and stats["colours"] > 50 else None

    wait_until(drawn, 30, interval=1.5, message="buildings drawn in the deck.gl canvas")
    # Offline and self-contained: no worker from a CDN, no failed loads.
    errors = [e["message"] for e in page.get_log("browser") if e["level"] == "SEVERE"]
    assert not [m for m in errors if "worker" in m.lower() or "unpkg" in m or "mvt" in m.lower()], errors

    page.find_element(By.ID, "tab-map").click()  # now the map's layers come
    wait_until(
        lambda: page.execute_script(
            "return performance.getEntriesByType('resource').some(e => e.name.includes('/collections/bp_baugebiet/items'));"
        ),
        20,
        message="the map's layers once the map is shown",
    )


BUNDLES = (
    "return performance.getEntriesByType('resource').map(e => e.name)"
    ".filter(n => n.includes('/_dash-component-suites/deckgl_dash/'));"
)


def test_the_3d_bundle_loads_only_when_3d_is_shown(browser, ui_server):
    """deck.gl's 3 MB bundle (ui/bundles.py, assets/deck_lazy.js) is not part of the 2D start page."""
    page = browser
    page.get(ui_server.url + "/")
    wait_until(
        lambda: page.find_elements(By.CSS_SELECTOR, "[class*='leaflet-pane-bp_'] path"),
        30,
        message="plan shapes on the 2D map",
    )
    assert page.execute_script(BUNDLES) == []
    page.find_element(By.ID, "tab-3d").click()
    wait_until(lambda: page.execute_script(BUNDLES), 30, message="deck.gl bundle requested once 3D is shown")
    wait_until(lambda: page.find_elements(By.CSS_SELECTOR, "#view-3d canvas"), 30, message="a deck.gl canvas")
    assert not page.find_elements(By.CSS_SELECTOR, "#deck.deck-lazy")  # A is the real deck.gl now
    # B is only drawn side by side: until then it stays the stand-in (the bundle is fetched once).
    assert page.find_elements(By.CSS_SELECTOR, "#deck-b.deck-lazy")
    assert len(page.execute_script(BUNDLES)) == 1
