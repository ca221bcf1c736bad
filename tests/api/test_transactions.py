"""OGC API Features Part 4 on plan layers: planners only; everyone else gets 401/403, nothing changes."""

import json

import requests

from tests.conftest import PLANNER_TOKEN

GEOJSON = {"Content-Type": "application/geo+json"}


def _feature(**props):
    return {
        "type": "Feature",
        "properties": {"plan_id": "TEST_PLAN", "art": "Baugrenze", **props},
        "geometry": {"type": "LineString", "coordinates": [[10.0, 53.67], [10.001, 53.671]]},
    }


def _count(server):
    return requests.get(
        f"{server.api}/collections/bp_baugrenze/items", params={"f": "json", "limit": 1}, timeout=10
    ).json()["numberMatched"]


def test_anonymous_write_refused(api_server):
    before = _count(api_server)
    r = requests.post(
        f"{api_server.api}/collections/bp_baugrenze/items", data=json.dumps(_feature()), headers=GEOJSON, timeout=10
    )
    assert r.status_code == 401
    assert _count(api_server) == before


def test_wrong_token_forbidden(api_server):
    r = requests.post(
        f"{api_server.api}/collections/bp_baugrenze/items",
        data=json.dumps(_feature()),
        headers={**GEOJSON, "Authorization": "Bearer wrong"},
        timeout=10,
    )
    assert r.status_code == 403


def test_planner_create_replace_delete(api_server):
    auth = {**GEOJSON, "Authorization": f"Bearer {PLANNER_TOKEN}"}
    before = _count(api_server)
    r = requests.post(
        f"{api_server.api}/collections/bp_baugrenze/items", data=json.dumps(_feature()), headers=auth, timeout=10
    )
    assert r.status_code == 201, r.text[:300]
    location = r.headers["Location"]
    assert _count(api_server) == before + 1
    item = requests.get(location, params={"f": "json"}, timeout=10).json()
    lon, lat = item["geometry"]["coordinates"][0]
    assert abs(lon - 10.0) < 1e-6 and abs(lat - 53.67) < 1e-6  # stored in 25832, served back in CRS84
    r = requests.put(location, data=json.dumps(_feature(art="Baulinie")), headers=auth, timeout=10)
    assert r.status_code == 204, r.text[:300]
    assert requests.get(location, params={"f": "json"}, timeout=10).json()["properties"]["art"] == "Baulinie"
    r = requests.delete(location, headers=auth, timeout=10)
    assert r.status_code == 200
    assert _count(api_server) == before


def test_a_feature_read_from_the_api_goes_back_unchanged(api_server):
    """GET, edit, PUT (as QGIS does): the id among the properties is no conflict, another id is (both stores)."""
    auth = {**GEOJSON, "Authorization": f"Bearer {PLANNER_TOKEN}"}
    r = requests.post(
        f"{api_server.api}/collections/bp_baugrenze/items", data=json.dumps(_feature()), headers=auth, timeout=10
    )
    assert r.status_code == 201, r.text[:300]
    location = r.headers["Location"]
    item = requests.get(location, params={"f": "json"}, timeout=10).json()
    assert item["properties"]["id"] == item["id"]
    item["properties"]["art"] = "Baulinie"
    r = requests.put(location, data=json.dumps(item), headers=auth, timeout=10)
    assert r.status_code == 204, r.text[:300]
    assert requests.get(location, params={"f": "json"}, timeout=10).json()["properties"]["art"] == "Baulinie"
    item["properties"]["id"] = "somebody-else"
    r = requests.put(location, data=json.dumps(item), headers=auth, timeout=10)
    assert r.status_code == 400 and "differs" in r.json()["description"], r.text[:300]
    assert requests.delete(location, headers=auth, timeout=10).status_code == 200
