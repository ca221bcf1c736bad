"""OGC API Features Part 3: CQL2 text and JSON filters, and refusal of injection attempts."""

import json

import requests


def _query(server, **params):
    return requests.get(
        f"{server.api}/collections/bp_baugebiet/items", params={"f": "json", "limit": 1000, **params}, timeout=30
    )


def test_cql2_text_comparison(api_server):
    # one-letter z: see api/compat.py
    r = _query(api_server, filter="grz >= 0.4 AND z <= 3", **{"filter-lang": "cql2-text"})
    assert r.ok, r.text[:300]
    body = r.json()
    assert body["numberMatched"] > 0
    for f in body["features"]:
        assert f["properties"]["grz"] >= 0.4 and f["properties"]["z"] <= 3


def test_cql2_json_equals_text(api_server):
    text = _query(api_server, filter="grz >= 0.4", **{"filter-lang": "cql2-text"}).json()
    body = {"op": ">=", "args": [{"property": "grz"}, 0.4]}
    r = requests.post(
        f"{api_server.api}/collections/bp_baugebiet/items",
        params={"f": "json", "limit": 1000, "filter-lang": "cql2-json"},
        data=json.dumps(body),
        headers={"Content-Type": "application/query-cql-json"},
        timeout=30,
    )
    assert r.ok, r.text[:300]
    assert r.json()["numberMatched"] == text["numberMatched"]


def test_cql2_spatial(api_server):
    r = _query(api_server, filter="S_INTERSECTS(geom, POINT(10.0 53.67))", **{"filter-lang": "cql2-text"})
    assert r.status_code == 200, r.text[:300]


def test_unknown_property_is_400(api_server):
    r = _query(api_server, filter="nosuchcolumn = 1", **{"filter-lang": "cql2-text"})
    assert r.status_code == 400


INJECTIONS = [
    "art_code = 'WA'' OR 1=1 --'",
    "art_code = 'x'; DROP TABLE bp_baugebiet; --'",
    "\"art_code; DROP TABLE bp_baugebiet\" = 'x'",
    "art_code LIKE '%' UNION SELECT * FROM bp_plan --",
]


def test_injection_attempts_leak_nothing_and_drop_nothing(api_server):
    total = _query(api_server, limit=1).json()["numberMatched"]
    for filter_ in INJECTIONS:
        r = _query(api_server, filter=filter_, **{"filter-lang": "cql2-text"})
        assert r.status_code in (200, 400), (filter_, r.status_code, r.text[:300])
        if r.status_code == 200:
            assert r.json()["numberMatched"] == 0, filter_
    assert _query(api_server, limit=1).json()["numberMatched"] == total
