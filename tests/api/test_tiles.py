"""OGC API Tiles: Mapbox vector tiles of buildings and Baugebietsteilflächen on both stores."""

import mapbox_vector_tile
import requests

from providers.geopackage_tiles import lonlat_to_tile


def test_tilesets_listed(api_server):
    r = requests.get(f"{api_server.api}/collections/bp_baugebiet/tiles", params={"f": "json"}, timeout=10)
    assert r.ok, r.text[:300]
    sets = [t["tileMatrixSetURI"] for t in r.json()["tilesets"]]
    assert "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad" in sets


def _first_zone_lonlat(server):
    feature = requests.get(
        f"{server.api}/collections/bp_baugebiet/items", params={"f": "json", "limit": 1}, timeout=10
    ).json()["features"][0]
    c = feature["geometry"]["coordinates"]
    while isinstance(c[0], list):
        c = c[0]
    return c


def test_mvt_tile_holds_the_zone(api_server):
    lon, lat = _first_zone_lonlat(api_server)
    for z in (14, 16):
        x, y = lonlat_to_tile(lon, lat, z)
        r = requests.get(
            f"{api_server.api}/collections/bp_baugebiet/tiles/WebMercatorQuad/{z}/{y}/{x}",
            params={"f": "pbf"},
            timeout=30,
        )
        assert r.status_code == 200, (z, r.status_code, r.text[:300])
        tile = mapbox_vector_tile.decode(r.content)
        assert tile["bp_baugebiet"]["features"], z
        props = tile["bp_baugebiet"]["features"][0]["properties"]
        assert "plan_id" in props


def test_tile_outside_data_is_empty_or_204(api_server):
    x, y = lonlat_to_tile(-40.0, -40.0, 14)  # South Atlantic
    r = requests.get(
        f"{api_server.api}/collections/bp_baugebiet/tiles/WebMercatorQuad/14/{y}/{x}", params={"f": "pbf"}, timeout=30
    )
    assert r.status_code in (200, 204, 404)
    if r.status_code == 200 and r.content:
        assert not mapbox_vector_tile.decode(r.content).get("bp_baugebiet", {}).get("features")


def test_low_zoom_tiles_carry_ids_and_numbers_only(api_server):
    """A city in view (zoom < 14): id, height, storeys, flags; names and source ids from zoom 14 on."""
    from providers.tile_detail import DETAIL_ZOOM

    feature = requests.get(
        f"{api_server.api}/collections/buildings/items", params={"f": "json", "limit": 1}, timeout=10
    ).json()["features"][0]
    lon, lat = _first_coordinate(feature["geometry"]["coordinates"])[:2]
    carried = {}
    for z in (12, DETAIL_ZOOM):
        x, y = lonlat_to_tile(lon, lat, z)
        r = requests.get(
            f"{api_server.api}/collections/buildings/tiles/WebMercatorQuad/{z}/{y}/{x}", params={"f": "mvt"}, timeout=60
        )
        assert r.status_code == 200, (z, r.status_code, r.text[:300])
        features = mapbox_vector_tile.decode(r.content)["buildings"]["features"]
        carried[z] = set().union(*(f["properties"] for f in features))
    assert {"id", "height", "synthetic"} <= carried[12], carried
    assert carried[12] <= {"id", "height", "storeys", "height_estimated", "base_height", "synthetic"}, carried
    assert {"id", "height", "source", "source_id", "function"} <= carried[DETAIL_ZOOM], carried


def _first_coordinate(c):
    while isinstance(c[0], list):
        c = c[0]
    return c


def test_tiles_carry_an_etag_and_answer_304_when_unchanged(api_server):
    """A map panning back asks again for tiles it has: an ETag and a short public cache (api/standards.py)."""
    x, y = lonlat_to_tile(10.005, 53.668, 14)  # Langenhorn
    url = f"{api_server.api}/collections/bp_baugebiet/tiles/WebMercatorQuad/14/{y}/{x}?f=pbf"
    first = requests.get(url, timeout=30)
    assert first.status_code == 200 and first.headers.get("ETag"), first.headers
    assert "max-age" in first.headers.get("Cache-Control", "")
    again = requests.get(url, headers={"If-None-Match": first.headers["ETag"]}, timeout=30)
    assert again.status_code == 304 and not again.content
