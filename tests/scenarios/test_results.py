"""Storing scenario results (scenarios/results.py, ``buergergis run-scenarios``) in both stores."""

import json

import pytest

from commands.cli import main as cli
from scenarios.model import scenario_from_dict
from scenarios.results import run_and_store
from store.base import open_store
from tests.scenarios.test_processes import INLINE, fill_store


@pytest.fixture(params=["geopackage", "postgis"])
def hand_store(request, tmp_path, hand_frames):
    if request.param == "geopackage":
        url = str(tmp_path / "results.gpkg")
    else:
        from tests.conftest import fresh_postgis_database

        url = fresh_postgis_database(request.getfixturevalue("postgis"))
    fill_store(url, hand_frames)
    store = open_store(url)
    yield store
    store.close()


def library():
    return {"dichter": scenario_from_dict(INLINE, source="test")}


def test_results_become_rows_of_the_three_collections(hand_store):
    run_and_store(hand_store, ["baseline", "dichter"], library=library())
    variants = hand_store.read("scenarios").set_index("id")
    assert set(variants.index) == {"baseline", "dichter"}
    # hand_frames: GF 120·2 + 200·3 = 840 m²; "dichter" fills the 600 m² Baufenster of wa up to GRZ 0.4
    # (800 m²> 600 m², so 600 m²) with Z 2+2 = 4 storeys: 2400 m² instead of 240 m²
    assert variants.loc["baseline", "floor_area_m2"] == pytest.approx(840.0)
    assert variants.loc["dichter", "floor_area_m2"] == pytest.approx(3000.0)
    assert variants.loc["dichter", "base"] == "baseline" and variants.loc["dichter", "source"] == "scenario:dichter"
    assert variants.loc["dichter", "like_count"] == 0 and not variants.loc["dichter", "synthetic"]
    plan_ids = variants.loc["dichter", "plan_ids"]  # a json column: text in the frame
    assert (json.loads(plan_ids) if isinstance(plan_ids, str) else plan_ids) == ["plan-a"]
    assert variants.geometry.area.round(1).tolist() == [3600.0, 3600.0]  # the plan's 90 m × 40 m

    buildings = hand_store.read("scenario_buildings", where={"scenario_id": "baseline"}).set_index("building_id")
    assert buildings.loc["b1", "id"] == "baseline~b1" and buildings.loc["b1", "building_source"] == "test"
    assert buildings.loc["b1", "floor_area_m2"] == pytest.approx(240.0)  # 120 m² × 2
    assert buildings.loc["b2", "volume_m3"] == pytest.approx(1800.0)  # 200 m² × 9 m

    zones = hand_store.read("scenario_zone_indicators").set_index("id")
    assert zones.loc["dichter~wa", "floor_area_m2"] == pytest.approx(2400.0)
    assert zones.loc["baseline~mi", "gfz"] == pytest.approx(600 / 1600)
    assert zones.loc["dichter~wa", "z_permitted"] == 4


def test_a_rerun_replaces_only_its_own_rows(hand_store):
    run_and_store(hand_store, ["baseline", "dichter"], library=library())
    counts = {
        layer: hand_store.count(layer) for layer in ("scenarios", "scenario_buildings", "scenario_zone_indicators")
    }
    run_and_store(hand_store, ["dichter"], library=library())
    assert {layer: hand_store.count(layer) for layer in counts} == counts
    baseline_rows = hand_store.read("scenario_buildings", where={"scenario_id": "baseline"})
    assert len(baseline_rows) == 2


def test_unknown_scenario_writes_nothing(hand_store):
    with pytest.raises(KeyError, match=r"unknown scenario.*nope.*known: baseline"):
        run_and_store(hand_store, ["baseline", "nope"], library=library())
    assert hand_store.count("scenarios") == 0


def test_command_line(tmp_path, hand_frames, capsys):
    url = str(tmp_path / "cli.gpkg")
    fill_store(url, hand_frames)
    assert cli(["--store", url, "run-scenarios", "baseline"]) == 0
    assert "scenario baseline: 2 buildings, floor area 840 m², GRZ 0.089" in capsys.readouterr().out
    assert cli(["--store", url, "run-scenarios", "nope"]) == 1
    assert "unknown scenario(s) nope" in capsys.readouterr().err
