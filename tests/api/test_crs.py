"""OGC API Features Part 2: crs and bbox-crs parameters, Content-Crs header."""

import pytest
import requests
from pyproj import Transformer


def _first(server, **params):
    r = requests.get(f"{server.api}/collections/bp_plan/items", params={"f": "json", "limit": 1, **params}, timeout=10)
    assert r.ok, r.text[:300]
    return r, r.json()["features"][0]


def _a_vertex(geometry):
    c = geometry["coordinates"]
    while isinstance(c[0], list):
        c = c[0]
    return c


def test_default_is_crs84(api_server):
    r, feature = _first(api_server)
    lon, lat = _a_vertex(feature["geometry"])
    assert 9.9 < lon < 10.1 and 53.6 < lat < 53.75
    assert "CRS84" in r.headers.get("Content-Crs", "")


def test_epsg_25832_output_matches_transformed_crs84(api_server):
    _, f84 = _first(api_server)
    r, f25832 = _first(api_server, crs="http://www.opengis.net/def/crs/EPSG/0/25832")
    assert "25832" in r.headers["Content-Crs"]
    x, y = _a_vertex(f25832["geometry"])
    lon, lat = _a_vertex(f84["geometry"])
    ex, ey = Transformer.from_crs("OGC:CRS84", "EPSG:25832", always_xy=True).transform(lon, lat)
    assert abs(x - ex) < 0.01 and abs(y - ey) < 0.01


def test_epsg_4326_is_lat_lon(api_server):
    _, f84 = _first(api_server)
    _, f4326 = _first(api_server, crs="http://www.opengis.net/def/crs/EPSG/0/4326")
    lon, lat = _a_vertex(f84["geometry"])
    a, b = _a_vertex(f4326["geometry"])
    assert a == pytest.approx(lat, abs=1e-7) and b == pytest.approx(lon, abs=1e-7)


def test_bbox_crs_25832(api_server):
    everything = requests.get(
        f"{api_server.api}/collections/bp_plan/items", params={"f": "json", "limit": 100}, timeout=10
    ).json()
    t = Transformer.from_crs("OGC:CRS84", "EPSG:25832", always_xy=True)
    box = t.transform_bounds(9.9, 53.6, 10.1, 53.75)
    inside = requests.get(
        f"{api_server.api}/collections/bp_plan/items",
        timeout=10,
        params={
            "f": "json",
            "limit": 100,
            "bbox": ",".join(map(str, box)),
            "bbox-crs": "http://www.opengis.net/def/crs/EPSG/0/25832",
        },
    ).json()
    assert inside["numberMatched"] == everything["numberMatched"] > 0


def test_unsupported_crs_is_400(api_server):
    r = requests.get(
        f"{api_server.api}/collections/bp_plan/items",
        params={"f": "json", "crs": "http://www.opengis.net/def/crs/EPSG/0/2154"},
        timeout=10,
    )
    assert r.status_code == 400
