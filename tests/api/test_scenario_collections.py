"""Scenario results as OGC API collections (stored by the demo loader) and likes per variant, on both stores."""

import pytest
import requests

from tests.conftest import PLANNER_TOKEN

TIMEOUT = 60
DENSE = "langenhorn_nachverdichtung"
BASE = "langenhorn_baseline"
#: A WA zone of Langenhorn 51 computed by hand in tests/scenarios/test_engine.py: 1703.63 m², 240 -> 2725.81 m² GF.
ZONE = "GML_EB65860A-38F9-413D-A572-9A47630BE542"


def items(server, collection, **params):
    r = requests.get(f"{server.api}/collections/{collection}/items", params={"f": "json", **params}, timeout=TIMEOUT)
    assert r.status_code == 200, r.text[:300]
    return r.json()


def variant(server, scenario_id):
    r = requests.get(f"{server.api}/collections/scenarios/items/{scenario_id}", params={"f": "json"}, timeout=TIMEOUT)
    assert r.status_code == 200, r.text[:300]
    return r.json()["properties"]


def like(server, scenario_id, voter: requests.Session | None, method="post"):
    """A like as one browser: ``voter`` keeps the signed cookie the API hands out (api/voters.py)."""
    return (voter or requests).request(method, f"{server.url}/api/scenarios/{scenario_id}/like", timeout=TIMEOUT)


def test_both_demo_variants_are_collections_rows(api_server):
    fc = items(api_server, "scenarios")
    by_id = {f["id"]: f for f in fc["features"]}
    assert {BASE, DENSE} <= set(by_id)
    dense, base = by_id[DENSE]["properties"], by_id[BASE]["properties"]
    assert dense["base"] == BASE and dense["synthetic"] is True  # computed on the labelled synthetic buildings
    assert dense["floor_area_m2"] - base["floor_area_m2"] > 100_000
    assert dense["violations"] == 0 and base["violations"] == 0
    assert by_id[DENSE]["geometry"]["type"] == "MultiPolygon"  # the Langenhorn plan area
    lon, lat = by_id[DENSE]["geometry"]["coordinates"][0][0][0]
    assert 9.9 < lon < 10.1 and 53.6 < lat < 53.7


def test_zone_indicators_per_variant_match_the_hand_computed_zone(api_server):
    rows = {
        f["properties"]["scenario_id"]: f["properties"]
        for f in items(api_server, "scenario_zone_indicators", zone_id=ZONE)["features"]
    }
    assert rows[BASE]["floor_area_m2"] == pytest.approx(240.0)
    assert rows[DENSE]["floor_area_m2"] == pytest.approx(2725.81, abs=0.05)
    assert rows[DENSE]["area_m2"] == pytest.approx(1703.634, abs=0.01)
    assert (rows[DENSE]["z_permitted"], rows[DENSE]["max_storeys"]) == (4, 4)


def test_buildings_per_variant_filter_by_scenario_and_by_cql2(api_server):
    dense = items(api_server, "scenario_buildings", scenario_id=DENSE, limit=1)
    base = items(api_server, "scenario_buildings", scenario_id=BASE, limit=1)
    # the densified WA zones hold more (new) buildings; totals count those with their largest part in a zone
    assert dense["numberMatched"] > base["numberMatched"] >= variant(api_server, BASE)["buildings"] > 0
    tall = items(api_server, "scenario_buildings", filter=f"scenario_id = '{DENSE}' AND storeys >= 4", limit=1000)
    assert tall["features"] and all(f["properties"]["storeys"] >= 4 for f in tall["features"])
    assert all(f["id"] == f"{DENSE}~{f['properties']['building_id']}" for f in tall["features"])
    one = tall["features"][0]["properties"]
    assert one["floor_area_m2"] > 0 and one["volume_m3"] > one["floor_area_m2"]  # storeys of 3 m > 1 m


def test_a_stored_variant_row_can_be_replaced_on_both_stores(api_server):
    """Row ids are URL path segments (no '/'), so a planner's PUT reaches the row on either store."""
    row = items(api_server, "scenario_zone_indicators", scenario_id=DENSE, limit=1)["features"][0]
    url = f"{api_server.api}/collections/scenario_zone_indicators/items/{row['id']}"
    changed = {**row, "properties": {**row["properties"], "residents": 123.0}}
    r = requests.put(
        url,
        json=changed,
        timeout=30,
        headers={"Content-Type": "application/geo+json", "Authorization": f"Bearer {PLANNER_TOKEN}"},
    )
    assert r.status_code in (200, 204), r.text[:300]
    back = requests.get(url, params={"f": "json"}, timeout=30).json()
    assert back["id"] == row["id"] and back["properties"]["residents"] == 123.0
    assert back["properties"]["zone_id"] == row["properties"]["zone_id"]


def test_likes_per_variant_give_a_preference_count(api_server):
    voter = requests.Session()  # one browser
    before = variant(api_server, DENSE)["like_count"]
    r = like(api_server, DENSE, voter)
    assert r.status_code == 200 and r.json() == {"id": DENSE, "like_count": before + 1, "liked": True, "changed": True}
    assert like(api_server, DENSE, voter).json()["changed"] is False  # once per person
    assert variant(api_server, DENSE)["like_count"] == before + 1  # visible to every OGC API client
    assert variant(api_server, BASE)["like_count"] == variant(api_server, BASE)["like_count"]
    r = like(api_server, DENSE, voter, method="delete")
    assert r.status_code == 200 and r.json()["like_count"] == before


def test_like_refusals(api_server):
    assert like(api_server, "no_such_variant", requests.Session()).status_code == 404
    # A client-chosen id is not a person: X-Voter-Id is ignored, a forged cookie is refused.
    forged = requests.Session()
    forged.cookies.set("buergergis_voter", "chosen-by-the-client-0001")
    r = like(api_server, DENSE, forged)
    assert r.status_code == 403, r.text
    one = requests.Session()
    assert like(api_server, DENSE, one).json()["changed"] is True
    again = requests.post(
        f"{api_server.url}/api/scenarios/{DENSE}/like",
        timeout=TIMEOUT,
        headers={"X-Voter-Id": "voter-chosen-by-client"},
        cookies=one.cookies,
    )
    assert again.json()["changed"] is False
    assert like(api_server, DENSE, one, method="delete").json()["changed"] is True


def test_scenario_collections_are_planner_only_for_writes(api_server):
    feature = {"type": "Feature", "geometry": None, "properties": {"title_de": "x", "title_en": "x"}}
    for collection in ("scenarios", "scenario_buildings", "scenario_zone_indicators"):
        r = requests.post(
            f"{api_server.api}/collections/{collection}/items",
            json=feature,
            headers={"Content-Type": "application/geo+json"},
            timeout=TIMEOUT,
        )
        assert r.status_code == 401, (collection, r.status_code)


def test_storing_a_process_result_needs_the_planner_token(api_server):
    url = f"{api_server.api}/processes/run-scenario/execution"
    inputs = {"scenario": DENSE, "compare_to": "none", "store_results": True}
    r = requests.post(url, json={"inputs": inputs}, timeout=TIMEOUT)
    assert r.status_code == 401 and "planner" in r.json()["description"]
    r = requests.post(
        url,
        json={"inputs": {**inputs, "store_results": "yes"}},
        headers={"Authorization": "Bearer wrong"},
        timeout=TIMEOUT,
    )
    assert r.status_code == 403
    computed_before = variant(api_server, DENSE)["computed_at"]
    buildings_before = items(api_server, "scenario_buildings", scenario_id=DENSE, limit=1)["numberMatched"]
    r = requests.post(
        url, json={"inputs": inputs}, headers={"Authorization": f"Bearer {PLANNER_TOKEN}"}, timeout=TIMEOUT
    )
    assert r.status_code == 200 and r.json()["stored"] is True, r.text[:300]
    after = variant(api_server, DENSE)
    assert after["computed_at"] >= computed_before
    # replaced, not duplicated
    assert items(api_server, "scenarios", limit=1, id=DENSE)["numberMatched"] == 1
    assert items(api_server, "scenario_buildings", scenario_id=DENSE, limit=1)["numberMatched"] == buildings_before
    # without store_results anyone may run it (nothing is written)
    r = requests.post(url, json={"inputs": {"scenario": DENSE, "compare_to": "none"}}, timeout=TIMEOUT)
    assert r.status_code == 200 and r.json()["stored"] is False
