"""``GET /api/search`` on both stores: addresses and streets (Helsinki OSM import, an HK-DE address list),
plans by name and number, Baugebiete by sign and name; spelling variants; hostile input; no geocoder call
unless one is configured (and then through geopy to a local stand-in).
"""

from __future__ import annotations

import json
import threading
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from tests.conftest import LiveServer, fresh_postgis_database, import_demo_plans
from tests.injection_payloads import PAYLOADS
from tests.layers.test_osm import PBF
from tests.search_data import write_hk_csv

_OSM_FRAMES: dict = {}


def _helsinki(epsg: int):
    if epsg not in _OSM_FRAMES:
        from layers.osm import read_osm

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _OSM_FRAMES[epsg] = read_osm(PBF, epsg=epsg)
    return _OSM_FRAMES[epsg]


@pytest.fixture(scope="module", params=["geopackage", "postgis"])
def search_server(request, tmp_path_factory):
    """The demo plans, the Helsinki OSM extract and an address list in a fresh store per backend."""
    if not PBF.is_file():
        pytest.fail(f"shared data not found at {PBF} (set BUERGERGIS_SHARED_DATA)")
    from layers.addresses import read_address_list
    from layers.importing import import_layer_frames
    from store.base import open_store

    data_dir = tmp_path_factory.mktemp(f"search-{request.param}")
    url = (
        str(data_dir / "store.gpkg")
        if request.param == "geopackage"
        else fresh_postgis_database(request.getfixturevalue("postgis"))
    )
    import_demo_plans(url, data_dir / "rasters")
    store = open_store(url)
    try:
        import_layer_frames(store, _helsinki(store.epsg), source="osm:Helsinki.osm.pbf")
        frames = read_address_list(write_hk_csv(data_dir / "hk.csv"), epsg=store.epsg, crs="EPSG:25832")
        import_layer_frames(store, frames, source="addresses:hk.csv")
    finally:
        store.close()
    server = LiveServer(url, data_dir, extra_env={"BUERGERGIS_UI": "0", "BUERGERGIS_GEOCODER": ""})
    server.backend = request.param
    yield server
    server.stop()


def _search(server, q, **params):
    reply = requests.get(f"{server.url}/api/search", params={"q": q, **params}, timeout=30)
    return reply


def _found(server, q, **params) -> list[dict]:
    reply = _search(server, q, **params)
    assert reply.status_code == 200, reply.text
    assert reply.headers["Content-Type"].startswith("application/geo+json")
    body = reply.json()
    assert body["type"] == "FeatureCollection" and body["numberReturned"] == len(body["features"])
    return body["features"]


def _names(features) -> list[tuple[str, str]]:
    return [(f["properties"]["kind"], f["properties"]["name"]) for f in features]


def test_finds_an_address_and_its_street(search_server):
    features = _found(search_server, "Kaivokatu 8")
    assert _names(features)[0] == ("address", "Kaivokatu 8")
    assert ("street", "Kaivokatu") in _names(features)
    first = features[0]
    assert first["geometry"]["type"] == "Point"
    lon, lat = first["geometry"]["coordinates"]
    assert 24.935 < lon < 24.954 and 60.164 < lat < 60.180  # in WGS84, in central Helsinki
    assert first["properties"]["context"] == "00100 Helsinki"
    assert first["properties"]["collection"] == "addresses" and first["bbox"][0] <= lon <= first["bbox"][2]
    # The shops of one house are one result, not eight.
    assert [name for kind, name in _names(features) if kind == "address"].count("Kaivokatu 8") == 1


def test_a_street_comes_first_then_its_houses_in_order(search_server):
    features = _found(search_server, "kaivokatu")
    assert _names(features)[0] == ("street", "Kaivokatu")
    assert features[0]["geometry"]["type"] in ("LineString", "MultiLineString")
    houses = [name for kind, name in _names(features) if kind == "address"]
    assert houses[:4] == ["Kaivokatu 1", "Kaivokatu 2", "Kaivokatu 4", "Kaivokatu 6"]  # 2 before 10


@pytest.mark.parametrize(
    "q",
    [
        "Tangstedter Landstraße 12",
        "tangstedter landstrasse 12",
        "TANGSTEDTER LANDSTR. 12",
        "Tangstedter Landstr 12",
        "tangstedter landstra",
    ],
)
def test_spelling_variants(search_server, q):
    assert ("address", "Tangstedter Landstraße 12") in _names(_found(search_server, q))


@pytest.mark.parametrize("q", ["Müllerstraße 3", "muellerstrasse 3", "MÜLLERSTR. 3"])
def test_umlauts(search_server, q):
    assert _names(_found(search_server, q))[0] == ("address", "Müllerstraße 3")


def test_postcode_and_suffix(search_server):
    assert ("address", "Tangstedter Landstraße 14a") in _names(_found(search_server, "22415"))
    assert _names(_found(search_server, "Tangstedter Landstraße 14 a"))[0] == ("address", "Tangstedter Landstraße 14a")


def test_plans_by_name_and_number(search_server):
    for q in ("LA 22", "la22", "Bebauungsplan LA"):
        plans = [f for f in _found(search_server, q) if f["properties"]["kind"] == "plan"]
        assert len(plans) == 2, q  # LA22 and LA67 are both named "Bebauungsplan LA 22"
        assert {f["properties"]["context"] for f in plans} == {"Bebauungsplan, LA22_5-2", "Bebauungsplan, LA67_5-2"}
        assert all(f["properties"]["collection"] == "bp_plan" for f in plans)
    langenhorn = _found(search_server, "langenhorn")
    assert [f["properties"]["kind"] for f in langenhorn] == ["plan"] * 3
    point = langenhorn[0]
    assert point["geometry"]["type"] == "Point"
    west, south, east, north = point["bbox"]
    assert west < point["geometry"]["coordinates"][0] < east and 53.6 < south < north < 53.7


def test_zones_by_sign_and_name(search_server):
    by_sign = _found(search_server, "WA", limit=5)
    assert len(by_sign) == 5 and {f["properties"]["kind"] for f in by_sign} == {"zone"}
    first = by_sign[0]["properties"]
    assert first["name"] == "WA – Allgemeines Wohngebiet" and first["name_en"] == "WA – General residential area"
    assert first["collection"] == "bp_baugebiet" and first["plan_id"] and "GRZ" in first["context"]
    by_name = _names(_found(search_server, "Allgemeines Wohngebiet", limit=3))
    assert by_name == [("zone", "WA – Allgemeines Wohngebiet")] * 3
    assert ("zone", "GE – Gewerbegebiet") in _names(_found(search_server, "gewerbegebiet"))


def test_nothing_found_is_an_empty_collection(search_server):
    assert _found(search_server, "Xyzzyplatz 999") == []


@pytest.mark.parametrize(
    "params, status",
    [
        ({"q": ""}, 400),
        ({"q": "   "}, 400),
        ({}, 400),
        ({"q": "a" * 201}, 400),
        ({"q": "Kaivokatu", "limit": "0"}, 400),
        ({"q": "Kaivokatu", "limit": "51"}, 400),
        ({"q": "Kaivokatu", "limit": "zehn"}, 400),
        ({"q": "a\x00b"}, 400),
    ],
)
def test_bad_requests(search_server, params, status):
    reply = requests.get(f"{search_server.url}/api/search", params=params, timeout=30)
    assert reply.status_code == status
    assert "description" in reply.json()


def test_injection_looking_input_is_only_text(search_server):
    payloads = [p.text for p in PAYLOADS if p.kind in ("sql", "cql2")]
    for payload in [
        *payloads,
        "%",
        "_",
        "\\",
        "k_ivokatu",
        "'; DROP TABLE addresses; --",
        "' UNION SELECT id, kind, name, postcode, city, search_key, geom FROM addresses --",
    ]:
        reply = _search(search_server, payload)
        assert reply.status_code in (200, 400), (payload, reply.status_code, reply.text[:300])
        if reply.status_code == 200:
            assert all(
                f["properties"]["kind"] in ("address", "street", "place", "plan", "zone")
                for f in reply.json()["features"]
            )
    # LIKE wildcards are no wildcards (punctuation counts as a space; what reaches LIKE is escaped), and the
    # data is all still there.
    from api.search import _like_escape

    assert _found(search_server, "%") == [] and _found(search_server, "_%_") == []
    assert _names(_found(search_server, "kaivo%")) == _names(_found(search_server, "kaivo"))
    assert _like_escape("50%_\\x") == "50\\%\\_\\\\x"
    assert _names(_found(search_server, "Kaivokatu 8"))[0] == ("address", "Kaivokatu 8")


def test_no_geocoder_unless_configured(monkeypatch):
    """Without BUERGERGIS_GEOCODER nothing is asked; with it, geopy asks the configured service."""
    from api import search

    monkeypatch.delenv("BUERGERGIS_GEOCODER", raising=False)
    assert search.geocode("Rathausmarkt 1, Hamburg", 3) == []

    asked: list[str] = []

    class Nominatim(BaseHTTPRequestHandler):
        def do_GET(self):
            asked.append(self.path)
            body = json.dumps(
                [
                    {
                        "lat": "53.5503",
                        "lon": "9.9930",
                        "display_name": "Rathausmarkt 1, Hamburg",
                        "place_id": 1,
                        "osm_type": "node",
                        "osm_id": 1,
                        "boundingbox": ["0", "0", "0", "0"],
                        "class": "place",
                        "type": "house",
                        "importance": 0.5,
                    }
                ]
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Nominatim)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("BUERGERGIS_GEOCODER", "nominatim")
        monkeypatch.setenv("BUERGERGIS_GEOCODER_DOMAIN", f"127.0.0.1:{server.server_address[1]}")
        monkeypatch.setenv("BUERGERGIS_GEOCODER_SCHEME", "http")
        monkeypatch.setenv("BUERGERGIS_GEOCODER_COUNTRY", "de")
        features = search.geocode("Rathausmarkt 1, Hamburg", 3)
    finally:
        server.shutdown()
    assert len(asked) == 1 and "countrycodes=de" in asked[0] and "Rathausmarkt" in asked[0]
    assert features[0]["properties"]["kind"] == "geocoder"
    assert features[0]["geometry"] == {"type": "Point", "coordinates": [9.993, 53.5503]}
    assert "OpenStreetMap" in features[0]["properties"]["context"]


def test_prefix_search_uses_an_index(search_server):
    """PostGIS: the server made the text_pattern_ops index, and the planner uses it for the prefix LIKE."""
    if search_server.backend != "postgis":
        import sqlite3

        conn = sqlite3.connect(search_server.store)
        try:
            plan = " ".join(
                str(r)
                for r in conn.execute(
                    "EXPLAIN QUERY PLAN SELECT id FROM addresses WHERE search_key >= ? AND search_key < ?",
                    ["kaivokatu 8", "kaivokatu 8\U0010ffff"],
                )
            )
        finally:
            conn.close()
        assert "USING INDEX" in plan or "USING COVERING INDEX" in plan, plan
        return
    import psycopg2

    conn = psycopg2.connect(search_server.store)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'addresses'")
            indexes = [row[0] for row in cur.fetchall()]
            assert any("text_pattern_ops" in definition for definition in indexes), indexes
            cur.execute("SET enable_seqscan = off")  # a table this small would be scanned anyway
            cur.execute("EXPLAIN SELECT id FROM addresses WHERE search_key LIKE %s", ["kaivokatu 8%"])
            plan = " ".join(row[0] for row in cur.fetchall())
        assert "addresses_search_key_prefix_idx" in plan, plan
    finally:
        conn.close()
