"""GET /oapi/collections/{id}/items : paging, bbox, properties, sortby, numberMatched, HTML."""

import requests

from tests.api.source_counts import demo_counts


def items(server, collection, **params):
    params.setdefault("f", "json")
    r = requests.get(f"{server.api}/collections/{collection}/items", params=params, timeout=30)
    assert r.status_code == 200, r.text[:500]
    return r.json()


def test_number_matched_equals_source(api_server):
    expected = demo_counts()
    for collection in ("bp_plan", "bp_baugebiet", "bp_textabschnitt"):
        body = items(api_server, collection, limit=1)
        assert body["numberMatched"] == expected[collection], collection


def test_paging_visits_every_feature_once(api_server):
    seen = []
    offset = 0
    while True:
        body = items(api_server, "bp_baugebiet", limit=20, offset=offset)
        seen += [f["id"] for f in body["features"]]
        if body["numberReturned"] < 20:
            break
        offset += 20
    assert len(seen) == len(set(seen)) == demo_counts()["bp_baugebiet"]


def test_bbox_filters_spatially(api_server):
    everything = items(api_server, "bp_baugebiet", limit=1000)
    lons = [c[0] for f in everything["features"] for c in _coords(f["geometry"])]
    mid = sorted(lons)[len(lons) // 2]
    west = items(api_server, "bp_baugebiet", limit=1000, bbox=f"9.9,53.6,{mid},53.75")
    assert 0 < west["numberMatched"] < everything["numberMatched"]
    for feature in west["features"]:
        assert min(c[0] for c in _coords(feature["geometry"])) <= mid


def test_property_filter_and_sortby(api_server):
    body = items(api_server, "bp_baugebiet", limit=1000, sortby="-grz")
    grz = [f["properties"]["grz"] for f in body["features"] if f["properties"]["grz"] is not None]
    assert grz == sorted(grz, reverse=True)
    some_art = next(f["properties"]["art_code"] for f in body["features"] if f["properties"]["art_code"])
    filtered = items(api_server, "bp_baugebiet", limit=1000, art_code=some_art)
    assert filtered["numberMatched"] > 0
    assert {f["properties"]["art_code"] for f in filtered["features"]} == {some_art}


def test_gml_ids_are_feature_ids(api_server):
    body = items(api_server, "bp_plan", limit=10)
    assert all(f["id"].startswith("GML_") or f["id"].startswith("Gml_") or f["id"] for f in body["features"])
    assert {f["properties"]["plan_id"] for f in body["features"]} == {f["id"] for f in body["features"]}


def test_html_items_page(api_server):
    r = requests.get(f"{api_server.api}/collections/bp_plan/items", params={"f": "html"}, timeout=30)
    assert r.ok and "<html" in r.text.lower()
    assert "Langenhorn" in r.text


def _coords(geometry):
    def walk(c):
        if isinstance(c[0], (int, float)):
            yield c
        else:
            for x in c:
                yield from walk(x)

    return list(walk(geometry["coordinates"]))
