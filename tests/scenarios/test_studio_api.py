"""The scenario studio's API (``api/variants.py``) on a live server, on both stores.

The store holds the hand-made twin of ``conftest.make_hand_frames`` (plan ``plan-a``: zones ``wa`` and ``mi``,
buildings ``b1`` 120 m² × 2 and ``b2`` 200 m² × 3, floor area 840 m²) plus a second plan ``plan-b`` with one
zone ``wb`` east of it, for steps on zones of another plan.
"""

from __future__ import annotations

import geopandas as gpd
import pytest
import requests
import shapely

from tests.conftest import PLANNER_TOKEN, LiveServer, fresh_postgis_database
from tests.scenarios.conftest import X0, Y0, make_hand_frames, rect
from tests.scenarios.test_processes import fill_store

PLANNER = {"Authorization": f"Bearer {PLANNER_TOKEN}"}


def _second_plan(url: str) -> None:
    from store.base import open_store

    zones = gpd.GeoDataFrame(
        {"id": ["wb"], "plan_id": ["plan-b"], "art_code": ["WA"], "grz": [0.4], "z": [2]},
        geometry=[shapely.MultiPolygon([rect(300, 0, 40, 40)])],
        crs=25832,
    )
    plans = gpd.GeoDataFrame(
        {"id": ["plan-b"], "plan_id": ["plan-b"], "name": ["Testplan B"]},
        geometry=[shapely.MultiPolygon([rect(300, 0, 40, 40)])],
        crs=25832,
    )
    store = open_store(url)
    try:
        store.replace({"bp_plan": plans, "bp_baugebiet": zones}, plan_id="plan-b")
    finally:
        store.close()


@pytest.fixture(scope="module", params=["geopackage", pytest.param("postgis", marks=pytest.mark.postgis)])
def studio_server(request, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp(f"studio-{request.param}")
    if request.param == "geopackage":
        url = str(data_dir / "store.gpkg")
    else:
        url = fresh_postgis_database(request.getfixturevalue("postgis"))
    fill_store(url, make_hand_frames())
    _second_plan(url)
    server = LiveServer(url, data_dir, extra_env={"BUERGERGIS_UI": "0"})
    server.backend = request.param
    yield server
    server.stop()


def square(x, y, w=10.0, h=10.0) -> dict:
    return shapely.geometry.mapping(rect(x, y, w, h))


def post(server, path, body=None, headers=PLANNER, **kwargs):
    return requests.post(
        f"{server.url}/api/{path}", json=body if body is not None else {}, headers=headers, timeout=60, **kwargs
    )


def new_variant(server, title: str, plan_ids=("plan-a",)) -> dict:
    reply = post(
        server,
        "variants",
        {"base": "baseline", "plan_ids": list(plan_ids), "title_de": title, "title_en": title + " (en)"},
    )
    assert reply.status_code == 201, reply.text
    return reply.json()


def step(server, variant_id: str, change: dict):
    return post(server, f"variants/{variant_id}/changes", {"change": change})


def test_build_save_publish_export_import(studio_server):
    server = studio_server
    assert post(server, "variants", {"base": "baseline", "title_de": "x"}, headers={}).status_code == 401

    state = new_variant(server, "Dichter am Test")
    vid = state["variant"]["id"]
    assert vid == "dichter_am_test" and state["variant"]["status"] == "internal"
    assert state["indicators"]["floor_area_m2"] == pytest.approx(840.0)
    assert state["plan_ids"] == ["plan-a"] and {z["id"] for z in state["indicators"]["zones"]} == {"wa", "mi"}

    reply = step(server, vid, {"op": "change_festsetzung", "zones": ["wa", "mi"], "add": {"z": 1}})
    assert reply.status_code == 200, reply.text
    zones = {z["id"]: z for z in reply.json()["indicators"]["zones"]}
    assert (zones["wa"]["z"], zones["mi"]["z"]) == (3, 4)
    reply = step(server, vid, {"op": "add_building", "geometry": square(25, 12), "storeys": 3})
    assert reply.status_code == 200, reply.text
    state = reply.json()
    assert state["indicators"]["floor_area_m2"] == pytest.approx(840.0 + 300.0)
    assert state["compare"]["floor_area_m2"]["delta"] == pytest.approx(300.0)
    assert state["indicators"]["grz"] == pytest.approx((320 + 100) / 3600)  # GRZ achieved over both zones
    assert state["indicators"]["grz_permitted"] == pytest.approx((0.4 * 2000 + 0.6 * 1600) / 3600)
    assert state["indicators"]["dwellings"] > state["start"]["dwellings"]
    assert state["indicators"]["assumptions"]["m2_per_dwelling"] == 90.0
    assert [s["op"] for s in state["steps"]] == ["change_festsetzung", "add_building"]
    assert state["timings"]["step_s"] < 5

    undone = post(server, f"variants/{vid}/undo").json()
    assert undone["indicators"]["floor_area_m2"] == pytest.approx(840.0) and undone["can_redo"]
    redone = post(server, f"variants/{vid}/redo").json()
    assert redone["indicators"]["floor_area_m2"] == pytest.approx(1140.0) and not redone["can_redo"]

    saved = post(
        server,
        f"variants/{vid}/save",
        {
            "title_de": "Dichter am Test",
            "title_en": "Denser test",
            "description_de": "Z + 1, ein Haus",
            "description_en": "Z + 1, a house",
        },
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["version"] == 1 and saved.json()["author"] == "token:planner-env"

    # internal: planners only
    assert [v["id"] for v in requests.get(f"{server.url}/api/variants", timeout=30).json()["variants"]] == []
    assert requests.get(f"{server.url}/api/variants/{vid}/export", timeout=30).status_code == 401
    run = requests.post(
        f"{server.api}/processes/run-scenario/execution", json={"inputs": {"scenario": vid}}, timeout=60
    )
    assert run.status_code == 400
    planner_run = requests.post(
        f"{server.api}/processes/run-scenario/execution",
        json={"inputs": {"scenario": vid}},
        headers=PLANNER,
        timeout=60,
    )
    assert planner_run.status_code == 200, planner_run.text

    published = post(server, f"variants/{vid}/publish", {"published": True})
    assert published.status_code == 200, published.text
    assert published.json()["variant"]["status"] == "published"
    listed = requests.get(f"{server.url}/api/variants", timeout=30).json()["variants"]
    assert [(v["id"], v["title_en"], v["plan_ids"]) for v in listed] == [(vid, "Denser test", ["plan-a"])]
    row = requests.get(f"{server.api}/collections/scenarios/items/{vid}?f=json", timeout=30).json()
    assert row["properties"]["floor_area_m2"] == pytest.approx(1140.0)
    run = requests.post(
        f"{server.api}/processes/run-scenario/execution", json={"inputs": {"scenario": vid}}, timeout=60
    )
    assert run.status_code == 200 and run.json()["indicators"]["totals"]["floor_area_m2"] == pytest.approx(1140.0)

    exported = requests.get(f"{server.url}/api/variants/{vid}/export", timeout=30)
    assert exported.status_code == 200 and exported.headers["Content-Type"].startswith("application/yaml")
    assert "op: add_building" in exported.text and "title_en: Denser test" in exported.text
    imported = post(server, "variants/import", {"yaml": exported.text})
    assert imported.status_code == 201, imported.text
    again = imported.json()
    assert again["variant"]["id"] == f"{vid}_2"
    for name in ("floor_area_m2", "grz", "gfz", "dwellings", "residents", "sealed_share", "violations"):
        assert again["indicators"][name] == pytest.approx(state["indicators"][name]), name
    evaluated = post(server, "variants/evaluate", {"yaml": exported.text}, headers={}).json()
    assert evaluated["indicators"]["floor_area_m2"] == pytest.approx(1140.0)

    # keep it internal again: its public rows go
    assert post(server, f"variants/{vid}/publish", {"published": False}).json()["variant"]["status"] == "internal"
    assert requests.get(f"{server.api}/collections/scenarios/items/{vid}?f=json", timeout=30).status_code == 404

    # a variant stored through the Process shows up in the studio's list, published
    inline = {
        "id": "per_prozess",
        "title_de": "Per Prozess",
        "title_en": "By process",
        "plan_ids": ["plan-a"],
        "changes": [{"op": "change_festsetzung", "zones": ["wa"], "add": {"z": 2}}],
    }
    stored = requests.post(
        f"{server.api}/processes/run-scenario/execution",
        json={"inputs": {"scenario": inline, "store_results": True}},
        headers=PLANNER,
        timeout=60,
    )
    assert stored.status_code == 200, stored.text
    listed = requests.get(f"{server.url}/api/variants", timeout=30).json()["variants"]
    assert [v["id"] for v in listed] == ["per_prozess"] and listed[0]["author"] == "token:planner-env"


BAD_STEPS = [
    ({"op": "change_festsetzung", "zones": ["wa"], "set": {"grz": 1.5}}, "grz", "zwischen 0 und 1", "between 0 and 1"),
    ({"op": "change_festsetzung", "zones": ["wa"], "add": {"grz": 0.8}}, "grz", "zwischen 0 und 1", "between 0 and 1"),
    ({"op": "change_festsetzung", "zones": ["wa"], "set": {"z": 500}}, "z", "höchstens", "at most"),
    ({"op": "add_building", "geometry": square(25, 12), "height": -3}, "height", "größer als 0", "greater than 0"),
    ({"op": "add_building", "geometry": square(25, 12), "height": 800}, "height", "höchstens 300 m", "at most 300 m"),
    (
        {
            "op": "add_building",
            "storeys": 2,
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [[X0 + 20, Y0 + 12], [X0 + 30, Y0 + 22], [X0 + 30, Y0 + 12], [X0 + 20, Y0 + 22], [X0 + 20, Y0 + 12]]
                ],
            },
        },
        "geometry",
        "überschneidet sich selbst",
        "intersects itself",
    ),
    ({"op": "add_building", "geometry": square(1000, 1000), "storeys": 2}, "geometry", "außerhalb", "outside"),
    ({"op": "change_festsetzung", "zones": ["wb"], "add": {"z": 1}}, "zones", "anderen Plan", "another plan"),
    ({"op": "fly_to_the_moon", "zones": ["wa"]}, "op", "unbekannte Operation", "unknown operation"),
    (
        {"op": "change_festsetzung", "zones": ["wa"], "set": {"art_code": "XY"}},
        "art_code",
        "erlaubt sind WS",
        "allowed are WS",
    ),
    (
        {"op": "change_festsetzung", "zones": ["wa"], "set": {"bauweise": "zickzack"}},
        "bauweise",
        "erlaubt sind",
        "allowed are",
    ),
    ({"op": "modify_buildings", "ids": ["b1"], "set": {"height": 5000}}, "height", "höchstens 300 m", "at most 300 m"),
    ({"op": "modify_buildings", "ids": ["b1"], "set": {"storeys": 90}}, "storeys", "unrealistisch", "absurd"),
    ({"op": "modify_buildings", "ids": ["b1"], "set": {"height": 0}}, "height", "größer als 0", "greater than 0"),
    ({"op": "remove_buildings", "ids": ["gibt-es-nicht"]}, "ids", "unbekannte Kennung", "unknown building id"),
    ({"op": "remove_buildings", "zones": ["wb"]}, "zones", "anderen Plan", "another plan"),
    # a polygon drawn on the map (lon/lat) whose edges cross
    (
        {
            "op": "add_building",
            "crs": "CRS84",
            "storeys": 2,
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [[9.9990, 53.6670], [9.9992, 53.6672], [9.9992, 53.6670], [9.9990, 53.6672], [9.9990, 53.6670]]
                ],
            },
        },
        "geometry",
        "überschneidet sich selbst",
        "intersects itself",
    ),
]


@pytest.mark.parametrize(
    "change,field,german,english",
    BAD_STEPS,
    ids=[
        "grz-1.5",
        "grz-increment",
        "z-500",
        "negative-height",
        "absurd-height",
        "self-intersecting",
        "out-of-area",
        "other-plan",
        "unknown-op",
        "art-code",
        "bauweise",
        "building-height-absurd",
        "building-storeys-absurd",
        "building-height-0",
        "unknown-building",
        "buildings-of-another-plan",
        "drawn-self-intersecting",
    ],
)
def test_bad_steps_are_refused_in_german_and_english(studio_server, change, field, german, english):
    server = studio_server
    vid = "schlecht"
    if not any(
        v["id"] == vid
        for v in requests.get(f"{server.url}/api/variants", headers=PLANNER, timeout=30).json()["variants"]
    ):
        post(server, "variants", {"base": "baseline", "plan_ids": ["plan-a"], "title_de": "Schlecht", "id": vid})
    before = requests.get(f"{server.url}/api/variants/{vid}", headers=PLANNER, timeout=30).json()
    reply = step(server, vid, change)
    assert reply.status_code == 400, reply.text
    body = reply.json()
    assert body["field"] == field, body
    assert german in body["description_de"] and english in body["description_en"], body
    assert body["description"] == f"{body['description_de']} / {body['description_en']}"
    after = requests.get(f"{server.url}/api/variants/{vid}", headers=PLANNER, timeout=30).json()
    assert after["document"] == before["document"] and after["steps"] == []  # nothing kept


def test_bad_imports_and_requests_write_nothing(studio_server):
    server = studio_server
    count = len(requests.get(f"{server.url}/api/variants", headers=PLANNER, timeout=30).json()["variants"])
    reply = post(server, "variants/import", {"yaml": "id: kaputt\ntitle_de: [nicht geschlossen\n"})
    assert reply.status_code == 400 and reply.json()["field"] == "yaml"
    assert (
        "lässt sich nicht lesen" in reply.json()["description_de"]
        and "does not parse" in reply.json()["description_en"]
    )
    reply = post(
        server,
        "variants/import",
        {
            "yaml": "id: falsch\ntitle_de: F\ntitle_en: F\nchanges:\n"
            "  - op: change_festsetzung\n    zones: [wa]\n"
            "    set: {grz: 2}\n"
        },
    )
    assert reply.status_code == 400, reply.text
    assert "Zeile 7" in reply.json()["description_de"] and "höchstens 1" in reply.json()["description_de"]
    assert "line 7" in reply.json()["description_en"]
    reply = post(
        server,
        "variants/import",
        {
            "yaml": "id: fremd\ntitle_de: F\ntitle_en: F\nplan_ids: [plan-a]\n"
            "changes:\n  - op: change_festsetzung\n    zones: [wb]\n"
            "    add: {z: 1}\n"
        },
    )
    assert reply.status_code == 400 and "anderen Plan" in reply.json()["description_de"], reply.text
    reply = post(server, "variants", {"base": "gibt_es_nicht", "title_de": "X"})
    assert reply.status_code == 400 and reply.json()["field"] == "base"
    reply = post(server, "variants", {"base": "baseline", "plan_ids": ["plan-z"], "title_de": "X"})
    assert reply.status_code == 400 and reply.json()["field"] == "plan_ids"
    reply = post(server, "variants", {"base": "baseline", "title_de": ""})
    assert reply.status_code == 400 and reply.json()["field"] == "title_de"
    assert len(requests.get(f"{server.url}/api/variants", headers=PLANNER, timeout=30).json()["variants"]) == count


def test_buildings_chosen_changed_removed_and_type_of_use(studio_server):
    """Buildings chosen by id (a click) or by zone (the filter), changed or removed; Art der Nutzung and Bauweise."""
    server = studio_server
    vid = new_variant(server, "Gebäude und Nutzung")["variant"]["id"]
    reply = step(server, vid, {"op": "modify_buildings", "ids": ["b1"], "set": {"storeys": 4}})
    assert reply.status_code == 200, reply.text
    assert reply.json()["indicators"]["floor_area_m2"] == pytest.approx(840.0 + 120.0 * 2)  # b1: 2 -> 4 storeys
    assert reply.json()["steps"][-1]["text_de"] == "Gebäude ändern (1 Gebäude): Geschosse = 4"
    reply = step(server, vid, {"op": "modify_buildings", "zones": ["mi"], "set": {"height": 15}})
    assert reply.status_code == 200, reply.text
    assert reply.json()["indicators"]["floor_area_m2"] == pytest.approx(480.0 + 200.0 * 5)  # 15 m / 3 m = 5 storeys
    reply = step(server, vid, {"op": "remove_buildings", "ids": ["b2"]})
    assert reply.status_code == 200, reply.text
    state = reply.json()
    assert state["indicators"]["buildings"] == 1 and state["indicators"]["floor_area_m2"] == pytest.approx(480.0)

    start_dwellings = state["indicators"]["dwellings"]
    reply = step(
        server,
        vid,
        {"op": "change_festsetzung", "zones": ["wa"], "set": {"art_code": "MI", "bauweise": "GeschlosseneBauweise"}},
    )
    assert reply.status_code == 200, reply.text
    state = reply.json()
    zones = {z["id"]: z for z in state["indicators"]["zones"]}
    assert zones["wa"]["art_code"] == "MI" and zones["mi"]["art_code"] == "MI"
    assert state["indicators"]["dwellings"] < start_dwellings  # a Mischgebiet houses less than a WA
    assert "Art der Nutzung = MI, Bauweise = geschlossen" in state["steps"][-1]["text_de"]
    assert "type of use = MI, building pattern = closed" in state["steps"][-1]["text_en"]
    assert "art_code: MI" in state["document"] and "bauweise: GeschlosseneBauweise" in state["document"]
    with_map = requests.get(f"{server.url}/api/variants/{vid}?geojson=1", headers=PLANNER, timeout=30).json()
    [building] = with_map["geojson"]["buildings"]["features"]
    assert building["properties"]["id"] == "b1" and building["properties"]["zone_id"] == "wa"

    # the exported YAML re-imports to the same result (the new fields are part of the format)
    exported = requests.get(f"{server.url}/api/variants/{vid}/export", headers=PLANNER, timeout=30).text
    again = post(server, "variants/import", {"yaml": exported})
    assert again.status_code == 201, again.text
    for name in ("floor_area_m2", "dwellings", "residents", "violations"):
        assert again.json()["indicators"][name] == pytest.approx(state["indicators"][name]), name


def test_shadows_of_a_and_b_and_sun_hours_lost(studio_server):
    """A tall new building south of a place takes sun hours there; its shadow appears in B, not in A."""
    from pyproj import Transformer

    server = studio_server
    vid = new_variant(server, "Schatten")["variant"]["id"]
    assert step(server, vid, {"op": "add_building", "geometry": square(25, 12), "height": 24}).status_code == 200
    to_lonlat = Transformer.from_crs(25832, 4326, always_xy=True)
    north = to_lonlat.transform(X0 + 30, Y0 + 30)  # 8 m north of the new building
    south = to_lonlat.transform(X0 + 30, Y0 + 3)
    points = ";".join(f"{lon:.7f},{lat:.7f}" for lon, lat in (north, south))
    reply = requests.get(
        f"{server.url}/api/variants/{vid}/sun",
        headers=PLANNER,
        timeout=60,
        params={"day": "2026-03-21", "hour": "12.5", "points": points},
    )
    assert reply.status_code == 200, reply.text
    sun = reply.json()
    assert sun["time_utc"] == "2026-03-21T11:30:00Z"  # 12:30 CET
    assert 30 < sun["sun"]["elevation"] < 40 and 170 < sun["sun"]["azimuth"] < 200
    shadow_a = shapely.geometry.shape(sun["shadows"]["a"]["features"][0]["geometry"])
    shadow_b = shapely.geometry.shape(sun["shadows"]["b"]["features"][0]["geometry"])
    assert shadow_b.area > shadow_a.area * 1.5
    lost_north, lost_south = sun["points"]
    assert lost_north["lost"] >= 2 and lost_north["hours_b"] < lost_north["hours_a"]
    assert lost_south["lost"] == 0 and lost_south["hours_a"] > 8
    night = requests.get(
        f"{server.url}/api/variants/{vid}/sun", headers=PLANNER, timeout=60, params={"day": "2026-12-21", "hour": "2"}
    ).json()
    assert night["sun"]["elevation"] < 0 and night["shadows"]["b"]["features"] == []
    for params, field in (
        ({"hour": "25"}, "hour"),
        ({"day": "21.03.2026"}, "day"),
        ({"points": "10.0;53.6"}, "points"),
        ({"points": "200,53"}, "points"),
    ):
        bad = requests.get(f"{server.url}/api/variants/{vid}/sun", headers=PLANNER, params=params, timeout=30)
        assert bad.status_code == 400 and bad.json()["field"] == field, bad.text
        assert " / " in bad.json()["description"]
    assert requests.get(f"{server.url}/api/variants/{vid}/sun", timeout=30).status_code == 401
