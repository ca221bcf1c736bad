"""The scenario engine on the hand-made twin (hand-computed) and on the real Langenhorn plans."""

import json

import geopandas as gpd
import numpy as np
import pytest
import shapely
import shapely.geometry

from scenarios.engine import apply_scenario, compare, replaced_building_ids, run_scenario
from scenarios.model import ScenarioError, parse_scenario

HEADER = "title_de: Test\ntitle_en: Test\n"


def scenario(text: str, id_: str = "test", base: str = "baseline"):
    return parse_scenario(f"id: {id_}\n{HEADER}base: {base}\n{text}", source=f"{id_}.yaml")


def zone_row(result, zone_id):
    return result.zone_table.set_index("zone_id").loc[zone_id]


def test_baseline_indicators_hand_computed(hand_model):
    base = run_scenario("baseline", hand_model)
    # GF = 120·2 + 200·3 = 840 m²; GR = 320 m² on 3600 m² of zones
    assert base.totals["floor_area_m2"] == pytest.approx(840.0)
    assert base.totals["footprint_m2"] == pytest.approx(320.0)
    assert base.totals["grz"] == pytest.approx(320 / 3600)
    assert zone_row(base, "wa").gfz == pytest.approx(240 / 2000)
    assert zone_row(base, "mi").grz == pytest.approx(200 / 1600)
    # dwellings: WA all housing 240/90, MI half 600·0.5/90
    assert base.totals["dwellings"] == pytest.approx(240 / 90 + 300 / 90)
    # sealed: buildings 320 + street 900 on the plan area 90 × 40 = 3600 (street lies outside it)
    assert base.totals["sealed_share"] == pytest.approx(320 / 3600)
    assert base.totals["violations"] == 0
    assert base.scenario_id == "baseline" and base.base is None


NACHVERDICHTUNG = """
changes:
  - op: change_festsetzung
    zones: [wa]
    add: {z: 2, gfz: 0.8}
  - op: fill_envelope
    zones: [wa]
"""


def test_nachverdichtung_hand_computed(hand_model):
    # WA zone 2000 m²: Z 2 -> 4, GFZ 0.8 -> 1.6. Envelope = Baufenster 30 × 20 = 600 m².
    # Footprint T = min(GRZ·A = 800, |E| = 600, GFZ·A/Z = 3200/4 = 800) = 600 m² -> the whole Baufenster,
    # 4 storeys -> GF 2400 m², replacing b1 (240 m²): +2160 m²; MI unchanged.
    base = run_scenario("baseline", hand_model)
    dense = run_scenario(scenario(NACHVERDICHTUNG), hand_model)
    wa = zone_row(dense, "wa")
    assert wa.floor_area_m2 == pytest.approx(2400.0)
    assert wa.floor_area_m2 - zone_row(base, "wa").floor_area_m2 == pytest.approx(2160.0)
    assert dense.totals["floor_area_m2"] - base.totals["floor_area_m2"] == pytest.approx(2160.0)
    assert (wa.z_permitted, wa.gfz_permitted, wa.grz) == (4, 1.6, pytest.approx(0.3))
    new = dense.buildings[dense.buildings["id"] == "test:wa:1"].iloc[0]
    window = hand_model.windows()[0]
    assert new.geometry.symmetric_difference(window).area < 1e-6
    assert (new.storeys, new.height, new.synthetic) == (4, 12.0, False)
    assert "b1" not in set(dense.buildings["id"]) and "b2" in set(dense.buildings["id"])
    assert dense.totals["violations"] == 0
    assert [e["op"] for e in dense.log] == ["change_festsetzung", "fill_envelope"]
    assert dense.log[1] | {} == {
        "scenario": "test",
        "change": 1,
        "line": 10,
        "op": "fill_envelope",
        "zones": 1,
        "removed": 1,
        "added": 1,
    }
    # the baseline model is unchanged
    assert hand_model.zones.set_index("id").loc["wa", "z"] == 2 and "b1" in set(hand_model.buildings["id"])


def test_fill_envelope_capped_by_gfz(hand_model):
    # Z 2 -> 4 but GFZ stays 0.8: T = min(800, 600, 0.8·2000/4 = 400) = 400 m², GF = 1600 = GFZ·A
    result = run_scenario(
        scenario(
            "changes:\n  - op: change_festsetzung\n    zones: [wa]\n    add: {z: 2}\n"
            "  - op: fill_envelope\n    zones: [wa]\n"
        ),
        hand_model,
    )
    wa = zone_row(result, "wa")
    assert wa.footprint_m2 == pytest.approx(400.0, abs=0.01)
    assert wa.floor_area_m2 == pytest.approx(1600.0, abs=0.05)
    new = result.buildings[result.buildings["id"] == "test:wa:1"].geometry.iloc[0]
    assert hand_model.windows()[0].buffer(1e-6).contains(new)  # shrunk inside the Baufenster


def test_fill_envelope_keeping_existing_buildings(hand_model):
    # keep b1 (GR 120, GF 240); Z 2; the envelope loses b1 grown by 1 m: 600 - (12·14 - (4 - π)) m²;
    # T = min(800 - 120, 432.86, (1600 - 240)/2 = 680) = 432.86 m²
    result = run_scenario(
        scenario("changes:\n  - op: fill_envelope\n    zones: [wa]\n    replace_existing: false\n"), hand_model
    )
    wa = zone_row(result, "wa")
    envelope = 600 - (12 * 14 - (4 - np.pi))
    assert wa.footprint_m2 == pytest.approx(120 + envelope, abs=0.05)
    assert wa.floor_area_m2 == pytest.approx(240 + 2 * envelope, abs=0.1)
    assert {"b1", "b2"} <= set(result.buildings["id"])
    assert result.totals["violations"] == 0


VARIANT_A = "changes:\n  - op: modify_buildings\n    ids: [b1]\n    set: {storeys: 3}\n"
VARIANT_B = (
    "changes:\n  - op: add_building\n    id: new-mi\n    storeys: 2\n"
    "    geometry: {type: Polygon, coordinates: [[[566060, 5947020], [566070, 5947020], [566070, 5947030],"
    " [566060, 5947030], [566060, 5947020]]]}\n"
)


def test_compare_two_variants_hand_computed(hand_model):
    # A: b1 gets 3 storeys: GF 360 + 600 = 960.  B: a 10 × 10 building with 2 storeys in MI: 840 + 200 = 1040.
    a = run_scenario(scenario(VARIANT_A, "variant-a"), hand_model)
    b = run_scenario(scenario(VARIANT_B, "variant-b"), hand_model)
    assert a.totals["floor_area_m2"] == pytest.approx(960.0)
    assert b.totals["floor_area_m2"] == pytest.approx(1040.0)
    assert a.buildings.set_index("id").loc["b1", "height"] == 9.0  # LoD1 height follows the storeys
    d = compare(a, b)
    json.dumps(d)  # JSON-serialisable
    assert (d["a"]["id"], d["b"]["id"]) == ("variant-a", "variant-b")
    assert d["totals"]["floor_area_m2"]["delta"] == pytest.approx(80.0)
    assert d["totals"]["floor_area_m2"]["relative"] == pytest.approx(80 / 960)
    assert d["totals"]["buildings"] == {"a": 2, "b": 3, "delta": 1, "relative": 0.5}
    zones = {z["zone_id"]: z for z in d["zones"]}
    assert zones["wa"]["floor_area_m2"]["delta"] == pytest.approx(240 - 360)
    assert zones["mi"]["floor_area_m2"]["delta"] == pytest.approx(200.0)
    assert zones["mi"]["grz"]["delta"] == pytest.approx(100 / 1600)  # 300/1600 - 200/1600
    assert zones["mi"]["art_code"] == "MI"
    assert d["buildings"] == {"added": 1, "removed": 0, "changed": 1}
    back = compare(b, a)
    assert back["totals"]["floor_area_m2"]["delta"] == pytest.approx(-80.0)


def test_remove_and_modify_selections(hand_model):
    removed = run_scenario(
        scenario("changes:\n  - op: remove_buildings\n    filter: \"function = 'Büro'\"\n"), hand_model
    )
    assert removed.buildings["id"].tolist() == ["b1"]
    by_zone = run_scenario(scenario("changes:\n  - op: remove_buildings\n    zones: [wa]\n"), hand_model)
    assert by_zone.buildings["id"].tolist() == ["b2"]
    taller = run_scenario(
        scenario("changes:\n  - op: modify_buildings\n    where: {storeys: [2, 3]}\n    set: {height: 15.5}\n"),
        hand_model,
    )
    assert taller.buildings["height"].tolist() == [15.5, 15.5]
    assert taller.buildings["storeys"].tolist() == [5, 5]  # round(15.5 / 3)
    none = run_scenario(scenario("changes:\n  - op: remove_buildings\n    where: {function: Kirche}\n"), hand_model)
    assert len(none.buildings) == 2 and "selected nothing" in none.log[0]["warning"]
    assert "test.yaml, line 6" in none.log[0]["warning"]


def test_replaced_building_ids_cover_the_variants_area(hand_frames):
    """A city view hides these ids: the area's buildings, removed ones included, and nothing far away."""
    import pandas as pd
    from shapely.geometry import box

    from tests.scenarios.conftest import X0, Y0
    from twin.model import CityModel

    far = gpd.GeoDataFrame(
        {
            "id": ["far"],
            "source": ["test"],
            "height": [6.0],
            "storeys": pd.array([2], dtype="Int64"),
            "synthetic": [False],
        },
        geometry=[box(X0 + 5000, Y0, X0 + 5010, Y0 + 10)],
        crs=25832,
    )
    hand_frames["buildings"] = pd.concat([hand_frames["buildings"], far], ignore_index=True)
    model = CityModel.from_frames(hand_frames)
    text = "plan_ids: [plan-a]\nchanges:\n  - op: remove_buildings\n    ids: [b2]\n"
    removed = run_scenario(scenario(text), model)
    assert removed.buildings["id"].tolist() == ["b1"]
    assert replaced_building_ids(model, removed) == ["b1", "b2"]  # b2 was removed: still hidden, "far" stays
    added = run_scenario(
        scenario(
            "plan_ids: [plan-a]\nchanges:\n  - op: add_building\n    id: neu\n"
            "    storeys: 2\n    geometry: {type: Polygon, coordinates: "
            f"[[[{X0 + 30}, {Y0 + 30}], [{X0 + 35}, {Y0 + 30}], [{X0 + 35}, {Y0 + 35}], "
            f"[{X0 + 30}, {Y0 + 30}]]]}}\n    crs: EPSG:25832\n"
        ),
        model,
    )
    assert "neu" in set(added.buildings["id"]) and "neu" not in replaced_building_ids(model, added)


def test_add_building_in_crs84(hand_model):
    ring = gpd.GeoSeries([shapely.box(566060, 5947020, 566070, 5947030)], crs=25832).to_crs("OGC:CRS84")
    coords = [list(map(list, shapely.get_coordinates(ring.iloc[0])))]
    text = (
        "changes:\n  - op: add_building\n    crs: CRS84\n    height: 12\n"
        f"    geometry: {json.dumps({'type': 'Polygon', 'coordinates': coords})}\n"
    )
    result = run_scenario(scenario(text), hand_model)
    new = result.buildings[result.buildings["id"] == "test:new:1"].iloc[0]
    assert new.geometry.area == pytest.approx(100.0, rel=1e-6)
    assert (new.storeys, new.height, new.source) == (4, 12.0, "scenario:test")


def test_change_errors_name_the_line(hand_model):
    bad_zone = scenario(
        "changes:\n  - op: remove_buildings\n    ids: [b1]\n"
        "  - op: change_festsetzung\n    zones: [wa, nowhere]\n    set: {z: 5}\n"
    )
    with pytest.raises(ScenarioError, match=r"test\.yaml, line 8: changes\[1\]: unknown zone id\(s\): nowhere"):
        run_scenario(bad_zone, hand_model)
    bad_column = scenario("changes:\n  - op: remove_buildings\n    where: {colour: red}\n")
    with pytest.raises(ScenarioError, match=r"line 6: .*no column 'colour'"):
        run_scenario(bad_column, hand_model)
    duplicate = scenario(
        "changes:\n  - op: add_building\n    id: b1\n    height: 3\n"
        "    geometry: {type: Polygon, coordinates: [[[0, 0], [1, 0], [1, 1], [0, 0]]]}\n"
    )
    with pytest.raises(ScenarioError, match="exists already"):
        run_scenario(duplicate, hand_model)


def test_bases_chain_and_cycles(hand_model):
    a = scenario(VARIANT_A, "variant-a")
    on_top = scenario(VARIANT_B, "on-top", base="variant-a")
    result = run_scenario(on_top, hand_model, library={"variant-a": a})
    assert result.totals["floor_area_m2"] == pytest.approx(960 + 200)
    assert [e["scenario"] for e in result.log] == ["variant-a", "on-top"]
    with pytest.raises(ScenarioError, match="unknown base scenario 'nope'"):
        run_scenario(scenario("changes: []\n", "lost", base="nope"), hand_model, library={})
    x = scenario("changes: []\n", "x", base="y")
    y = scenario("changes: []\n", "y", base="x")
    with pytest.raises(ScenarioError, match="cycle"):
        apply_scenario(x, hand_model, {"x": x, "y": y})


def test_shadows_sun_hours_and_json(hand_model):
    result = run_scenario(scenario(VARIANT_A), hand_model, shadows_day="equinox", sun_hours_day="winter_solstice")
    assert result.shadows["time"].nunique() == 12 and len(result.shadows) == 24
    assert set(result.sun_hours["target_id"]) == {"street"}
    assert 0 <= result.sun_hours["sun_hours"].iloc[0] <= 8
    out = result.to_dict(include_buildings=True)
    text = json.dumps(out)
    assert "NaN" not in text
    assert out["buildings"]["type"] == "FeatureCollection"
    lon, lat = shapely.geometry.shape(out["buildings"]["features"][0]["geometry"]).centroid.coords[0]
    assert 9.9 < lon < 10.1 and 53.6 < lat < 53.7  # CRS84, Hamburg


def test_langenhorn_nachverdichtung_on_the_real_plans(demo_model):
    # Zone GML_EB65860A (Langenhorn 51, WA): 1703.634 m² (flaeche_m2 of the plan), GRZ 0.4, GFZ 0.6, Z 2.
    # Nachverdichtung: Z 4, GFZ/GF dropped; its Baufenster ∩ zone is 1154.6 m² > GRZ·A = 681.45 m², so the
    # footprint is 0.4 · 1703.634 = 681.45 m² with 4 storeys: GF = 1.6 · 1703.634 = 2725.81 m².
    # Baseline: one synthetic 10 m × 12 m Wohnhaus with 2 storeys = 240 m².  Increase: 2485.81 m².
    zone_id = "GML_EB65860A-38F9-413D-A572-9A47630BE542"
    base = run_scenario("langenhorn_baseline", demo_model)
    dense = run_scenario("langenhorn_nachverdichtung", demo_model)
    before, after = zone_row(base, zone_id), zone_row(dense, zone_id)
    assert before.area_m2 == pytest.approx(1703.634, abs=0.01)
    assert before.floor_area_m2 == pytest.approx(240.0)
    assert after.floor_area_m2 == pytest.approx(2725.81, abs=0.05)
    assert after.floor_area_m2 - before.floor_area_m2 == pytest.approx(2485.81, abs=0.05)
    assert (after.z_permitted, after.max_storeys) == (4, 4)
    # every WA zone is built up to its GRZ (or its Baufenster), none breaks a Festsetzung
    d = compare(base, dense)
    assert d["totals"]["floor_area_m2"]["delta"] > 100_000
    assert d["totals"]["violations"]["b"] == 0 and base.totals["violations"] == 0
    wa = dense.zone_table[dense.zone_table["art_code"] == "WA"]
    assert (wa["grz"] <= wa["grz_permitted"].fillna(0.4) + 1e-9).all()
    others = dense.zone_table[dense.zone_table["art_code"] != "WA"].set_index("zone_id")
    unchanged = base.zone_table.set_index("zone_id").loc[others.index]
    np.testing.assert_allclose(others["floor_area_m2"], unchanged["floor_area_m2"])


def test_result_frames_for_collections(hand_model):
    result = run_scenario(scenario(VARIANT_A, "variant-a"), hand_model)
    frames = result.to_frames()
    b, z = frames["scenario_buildings"], frames["scenario_zone_indicators"]
    assert b["id"].tolist() == ["variant-a~b1", "variant-a~b2"] and (b["scenario_id"] == "variant-a").all()
    assert b["building_id"].tolist() == ["b1", "b2"]
    assert z["id"].tolist() == ["variant-a~wa", "variant-a~mi"] and z.geometry.notna().all()
    assert z.set_index("zone_id").loc["wa", "floor_area_m2"] == pytest.approx(360.0)


def test_plan_ids_not_in_the_model_warn(hand_model):
    result = run_scenario("langenhorn_baseline", hand_model)
    assert result.totals["zones"] == 0 and "none of the scenario's plan_ids" in result.log[0]["warning"]


def test_plans_read_by_follows_the_chains_of_bases():
    from scenarios.engine import plans_read_by
    from scenarios.model import scenario_from_dict

    def scenario(id_, base="baseline", plan_ids=None):
        return scenario_from_dict(
            {"id": id_, "title_de": id_, "title_en": id_, "base": base, "plan_ids": plan_ids, "changes": []},
            source="test",
        )

    library = {
        s.id: s
        for s in (
            scenario("district", plan_ids=["p1", "p2"]),
            scenario("denser", base="district"),  # no plans of its own: cut by its base
            scenario("corner", base="denser", plan_ids=["p2", "p3"]),
            scenario("citywide"),
            scenario("on-citywide", base="citywide", plan_ids=["p4"]),
            scenario("loop-a", base="loop-b", plan_ids=["p1"]),
            scenario("loop-b", base="loop-a", plan_ids=["p1"]),
            scenario("orphan", base="missing", plan_ids=["p1"]),
        )
    }
    assert plans_read_by(["district"], library) == ["p1", "p2"]
    assert plans_read_by(["denser"], library) == ["p1", "p2"]
    assert plans_read_by(["corner"], library) == ["p1", "p2", "p3"]
    assert plans_read_by([library["corner"], "district"], library) == ["p1", "p2", "p3"]
    assert plans_read_by(["on-citywide"], library) == ["p4"]  # cut to p4 after the citywide base was applied
    assert plans_read_by(["denser", "on-citywide"], library) == ["p1", "p2", "p4"]
    for whole_store in (["baseline"], ["citywide"], ["denser", "baseline"], ["loop-a"], ["orphan"], ["nowhere"]):
        assert plans_read_by(whole_store, library) is None, whole_store
