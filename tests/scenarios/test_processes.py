"""The pygeoapi processes: ``execute(data)`` against real stores (GeoPackage, PostGIS), and through the OGC API."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
import shapely.geometry
from pygeoapi.process.base import ProcessorExecuteError

from scenarios.processes import (
    AREA_INDICATORS_METADATA,
    RUN_SCENARIO_METADATA,
    AreaIndicatorsProcessor,
    RunScenarioProcessor,
)
from store.base import open_store

X0, Y0 = 566_000.0, 5_947_000.0  # as in conftest.hand_frames
SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "xplan"


def fill_store(url: str, frames: dict) -> None:
    from schema.catalog import LAYERS

    for layer_id, frame in frames.items():  # the catalogue stores polygons as MultiPolygon, as importers write
        if LAYERS[layer_id].geometry_type == "MULTIPOLYGON":
            frame["geometry"] = [shapely.MultiPolygon([g]) if g.geom_type == "Polygon" else g for g in frame.geometry]
    store = open_store(url)
    try:
        store.create_schema()
        store.replace({k: v for k, v in frames.items() if k != "buildings"}, plan_id="plan-a")
        store.replace({"buildings": frames["buildings"]}, source="test")
    finally:
        store.close()


@pytest.fixture
def gpkg_store(tmp_path, monkeypatch, hand_frames):
    url = str(tmp_path / "processes.gpkg")
    fill_store(url, hand_frames)
    monkeypatch.setenv("BUERGERGIS_STORE", url)
    return url


INLINE = {
    "id": "dichter",
    "title_de": "Dichter",
    "title_en": "Denser",
    "changes": [
        {"op": "change_festsetzung", "zones": ["wa"], "add": {"z": 2, "gfz": 0.8}},
        {"op": "fill_envelope", "zones": ["wa"]},
    ],
}


def run(data):
    mimetype, out = RunScenarioProcessor({"name": "run-scenario"}).execute(data)
    assert mimetype == "application/json"
    json.dumps(out)
    return out


def test_metadata_in_german_and_english():
    for meta in (RUN_SCENARIO_METADATA, AREA_INDICATORS_METADATA):
        assert set(meta["title"]) == {"de", "en"} and set(meta["description"]) == {"de", "en"}
        assert meta["jobControlOptions"] == ["sync-execute", "async-execute"]
        assert meta["inputs"] and meta["outputs"]
    assert RUN_SCENARIO_METADATA["id"] == "run-scenario" and AREA_INDICATORS_METADATA["id"] == "area-indicators"


def test_run_inline_scenario_with_deltas(gpkg_store):
    out = run({"scenario": INLINE})
    assert out["scenario"]["id"] == "dichter" and out["compare_to"] == "baseline"
    # hand-computed in test_engine: the WA zone gains 2400 - 240 = 2160 m² of floor area
    assert out["indicators"]["totals"]["floor_area_m2"] == pytest.approx(840 + 2160)
    assert out["deltas"]["totals"]["floor_area_m2"]["delta"] == pytest.approx(2160.0)
    zones = {z["zone_id"]: z for z in out["deltas"]["zones"]}
    assert zones["wa"]["floor_area_m2"]["delta"] == pytest.approx(2160.0)
    assert zones["mi"]["floor_area_m2"]["delta"] == pytest.approx(0.0)


def test_run_inline_yaml_against_another_variant(gpkg_store):
    yaml_text = (
        "id: hoeher\ntitle_de: Höher\ntitle_en: Taller\nchanges:\n  - op: modify_buildings\n"
        "    ids: [b1]\n    set: {storeys: 3}\n"
    )
    out = run({"scenario": yaml_text, "compare_to": "none", "include_buildings": True})
    assert out["deltas"] is None
    assert out["indicators"]["totals"]["floor_area_m2"] == pytest.approx(960.0)
    features = out["indicators"]["buildings"]["features"]
    assert {f["properties"]["id"] for f in features} == {"b1", "b2"}
    assert out["indicators"]["replaced_building_ids"] == ["b1", "b2"]  # a city view hides these stored ones
    assert "replaced_building_ids" not in run({"scenario": "baseline"})["indicators"]  # only with the buildings


def test_run_baseline_by_id(gpkg_store):
    out = run({"scenario": "baseline"})
    assert out["compare_to"] is None and out["indicators"]["totals"]["floor_area_m2"] == pytest.approx(840.0)


def test_run_errors(gpkg_store):
    with pytest.raises(ProcessorExecuteError, match="required"):
        run({})
    with pytest.raises(ProcessorExecuteError, match="unknown scenario 'nope'"):
        run({"scenario": "nope"})
    with pytest.raises(
        ProcessorExecuteError,
        match=r"invalid scenario: inline scenario, line 5, column 5: "
        r"changes\[0\]\.colour: unknown key",
    ):
        run(
            {
                "scenario": "id: x\ntitle_de: X\ntitle_en: X\nchanges:\n  - colour: red\n    op: remove_buildings\n"
                "    ids: [b1]\n"
            }
        )
    with pytest.raises(ProcessorExecuteError, match="unknown zone"):
        run({"scenario": {**INLINE, "changes": [{"op": "fill_envelope", "zones": ["elsewhere"]}]}})
    with pytest.raises(ProcessorExecuteError, match="unknown variant"):
        run({"scenario": INLINE, "compare_to": "nope"})


def crs84(geom):
    return shapely.geometry.mapping(gpd.GeoSeries([geom], crs=25832).to_crs("OGC:CRS84").iloc[0])


def test_area_indicators(gpkg_store):
    # the WA zone (50 × 40 = 2000 m²) holds b1: 120 m², 2 storeys, 6 m; street and b2 lie outside
    area = crs84(shapely.box(X0, Y0, X0 + 50, Y0 + 40))
    mimetype, out = AreaIndicatorsProcessor({"name": "area-indicators"}).execute({"geometry": area})
    assert mimetype == "application/json" and out["scenario"] == "baseline"
    i = out["indicators"]
    assert i["area_m2"] == pytest.approx(2000.0, rel=1e-4)
    assert (i["buildings"], i["footprint_m2"], i["floor_area_m2"], i["volume_m3"]) == (
        1,
        pytest.approx(120.0),
        pytest.approx(240.0),
        pytest.approx(720.0),
    )
    assert i["grz"] == pytest.approx(0.06, rel=1e-3) and i["gfz"] == pytest.approx(0.12, rel=1e-3)
    assert i["dwellings"] == pytest.approx(240 / 90) and i["residents"] == pytest.approx(480 / 90)
    assert i["sealed_share"] == pytest.approx(0.06, rel=1e-3)
    # half of b2 (x 60..80) inside an area cut at x = 70: 100 m², 3 storeys, in the MI zone (half housing)
    half = crs84(shapely.box(X0 + 50, Y0, X0 + 70, Y0 + 40))
    i = AreaIndicatorsProcessor({"name": "area-indicators"}).execute({"geometry": half})[1]["indicators"]
    assert i["footprint_m2"] == pytest.approx(100.0, rel=1e-3) and i["floor_area_m2"] == pytest.approx(300.0, rel=1e-3)
    assert i["dwellings"] == pytest.approx(150 / 90, rel=1e-3)


def test_area_indicators_errors(gpkg_store):
    proc = AreaIndicatorsProcessor({"name": "area-indicators"})
    with pytest.raises(ProcessorExecuteError, match="required"):
        proc.execute({})
    with pytest.raises(ProcessorExecuteError, match="CRS84"):
        proc.execute({"geometry": shapely.geometry.mapping(shapely.box(X0, Y0, X0 + 10, Y0 + 10))})
    with pytest.raises(ProcessorExecuteError, match="Polygon"):
        proc.execute({"geometry": {"type": "Point", "coordinates": [10.0, 53.6]}})
    with pytest.raises(ProcessorExecuteError, match="unknown scenario"):
        proc.execute({"geometry": crs84(shapely.box(X0, Y0, X0 + 5, Y0 + 5)), "scenario": "nope"})


@pytest.mark.skipif(not (SAMPLE / "LA22_5-2" / "xplan.gml").exists(), reason="demo plans not bundled")
def test_shipped_nachverdichtung_on_the_demo_store(tmp_path, monkeypatch):
    from commands.demo import demo_plan_files
    from layers.importing import import_layer_frames, import_xplan_files
    from twin.model import windows_of
    from twin.synthetic import synthetic_buildings

    url = str(tmp_path / "demo.gpkg")
    store = open_store(url)
    try:
        store.create_schema()
        import_xplan_files(store, demo_plan_files())
        frames = synthetic_buildings(
            store.read("bp_baugebiet"), baugrenzen=windows_of(store.read("bp_baufenster"), store.read("bp_baugrenze"))
        )
        import_layer_frames(store, frames, source="synthetic:demo")
    finally:
        store.close()
    monkeypatch.setenv("BUERGERGIS_STORE", url)
    out = run({"scenario": "langenhorn_nachverdichtung"})
    assert out["compare_to"] == "langenhorn_baseline"
    zones = {z["zone_id"]: z for z in out["deltas"]["zones"]}
    # hand-computed in test_engine: 1.6 · 1703.634 m² - 240 m²
    assert zones["GML_EB65860A-38F9-413D-A572-9A47630BE542"]["floor_area_m2"]["delta"] == pytest.approx(
        2485.81, abs=0.05
    )
    assert out["indicators"]["totals"]["violations"] == 0


def _close(a, b) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) or isinstance(b, float):
        return a == pytest.approx(b, rel=1e-9, abs=1e-9)
    return a == b


def test_a_run_reads_only_its_plans_and_gets_what_the_whole_store_gives(tmp_path, monkeypatch, shared_data):
    """Beside the demo plans the store holds a Bremen plan with buildings: a city, in small. The Process reads
    the Langenhorn plans and the buildings around them only; the indicators are those of the whole store."""
    from commands.demo import demo_plan_files
    from layers.importing import import_layer_frames, import_xplan_files
    from scenarios.engine import compare, run_scenario
    from twin.model import CityModel, windows_of
    from twin.synthetic import synthetic_buildings

    url = str(tmp_path / "city.gpkg")
    store = open_store(url)
    try:
        store.create_schema()
        import_xplan_files(store, [*demo_plan_files(), shared_data / "xplan" / "Bremen_BP2070_5-2" / "xplan.gml"])
        frames = synthetic_buildings(
            store.read("bp_baugebiet"), baugrenzen=windows_of(store.read("bp_baufenster"), store.read("bp_baugrenze"))
        )
        import_layer_frames(store, frames, source="synthetic:test")
        whole = CityModel.from_store(store)
    finally:
        store.close()
    assert whole.plans["id"].nunique() == 6
    monkeypatch.setenv("BUERGERGIS_STORE", url)
    read = []
    original = CityModel.from_store.__func__

    def recording(cls, store, **kwargs):
        model = original(cls, store, **kwargs)
        read.append((kwargs.get("plan_ids"), len(model.plans), len(model.buildings)))
        return model

    monkeypatch.setattr(CityModel, "from_store", classmethod(recording))
    out = run({"scenario": "langenhorn_nachverdichtung"})
    ((plan_ids, plans, buildings),) = read
    assert plan_ids is not None and plans == 5 and buildings < len(whole.buildings)
    expected = compare(run_scenario("langenhorn_baseline", whole), run_scenario("langenhorn_nachverdichtung", whole))
    expected = json.loads(json.dumps(expected))
    for deltas in (out["deltas"], expected):  # the same zones, whichever order the stores read them in
        deltas["zones"] = sorted(deltas["zones"], key=lambda z: z["zone_id"])
    assert _close(out["deltas"], expected)  # sums taken in another order differ in the last digits

    read.clear()
    run({"scenario": "langenhorn_nachverdichtung", "compare_to": "baseline"})  # the baseline is the whole store
    assert read[0][0] is None and read[0][1] == 6


@pytest.mark.postgis
def test_run_scenario_on_postgis(postgis_url, monkeypatch, hand_frames):
    fill_store(postgis_url, hand_frames)
    monkeypatch.setenv("BUERGERGIS_STORE", postgis_url)
    out = run({"scenario": INLINE})
    assert out["deltas"]["totals"]["floor_area_m2"]["delta"] == pytest.approx(2160.0)
    area = crs84(shapely.box(X0, Y0, X0 + 50, Y0 + 40))
    i = AreaIndicatorsProcessor({"name": "area-indicators"}).execute({"geometry": area, "scenario": "baseline"})[1]
    assert i["indicators"]["floor_area_m2"] == pytest.approx(240.0)


# ----------------------------------------------------------------------------- through the OGC API

ROOT = Path(__file__).resolve().parents[2]

CONFIG = """
server:
  bind: {{host: 127.0.0.1, port: 5000}}
  url: http://localhost:5000
  mimetype: application/json; charset=UTF-8
  encoding: utf-8
  languages: [de-DE, en-US]
  limits: {{default_items: 10, max_items: 100}}
  map:
    url: "https://tile.openstreetmap.org/{{z}}/{{x}}/{{y}}.png"
    attribution: OpenStreetMap
  manager:
    name: TinyDB
    connection: {tmp}/jobs.db
    output_dir: {tmp}/jobs
logging: {{level: ERROR}}
metadata:
  identification: {{title: test, description: test, keywords: [test], keywords_type: theme,
                    terms_of_service: "https://example.org", url: "https://example.org"}}
  license: {{name: test, url: "https://example.org"}}
  provider: {{name: test, url: "https://example.org"}}
  contact: {{name: test, email: test@example.org, url: "https://example.org", role: pointOfContact}}
resources:
  run-scenario:
    type: process
    processor:
      name: scenarios.processes.RunScenarioProcessor
  area-indicators:
    type: process
    processor:
      name: scenarios.processes.AreaIndicatorsProcessor
"""

CLIENT = """
import json, os, sys, time
from pathlib import Path
from pygeoapi.openapi import generate_openapi_document
Path(os.environ["PYGEOAPI_OPENAPI"]).write_text(generate_openapi_document(Path(os.environ["PYGEOAPI_CONFIG"]), "yaml"))
from pygeoapi.flask_app import APP
c = APP.test_client()
out = {}
r = c.get("/processes/run-scenario?f=json&lang=de")
out["describe"] = [r.status_code, r.json["title"], sorted(r.json["inputs"])]
r = c.post("/processes/run-scenario/execution", json={"inputs": {"scenario": json.loads(sys.argv[1])}})
out["sync"] = [r.status_code, r.json]
r = c.post("/processes/run-scenario/execution", json={"inputs": {"scenario": "baseline"}},
           headers={"Prefer": "respond-async"})
job = r.headers["Location"].split("localhost:5000")[1]
for _ in range(100):
    status = c.get(job + "?f=json").json["status"]
    if status in ("successful", "failed"):
        break
    time.sleep(0.1)
out["async"] = [r.status_code, status, c.get(job + "/results?f=json").json]
r = c.post("/processes/area-indicators/execution", json={"inputs": {"geometry": json.loads(sys.argv[2])}})
out["area"] = [r.status_code, r.json]
r = c.post("/processes/run-scenario/execution",
           json={"inputs": {"scenario": "id: x\\ntitle_de: X\\ntitle_en: X\\nchanges:\\n  - op: nope\\n"}})
out["error"] = [r.status_code, r.json]
print("RESULT" + json.dumps(out))
"""


def test_processes_through_the_ogc_api(tmp_path, hand_frames):
    """Sync, async and error responses through pygeoapi, in a fresh interpreter (config read at import)."""
    store = str(tmp_path / "api.gpkg")
    fill_store(store, hand_frames)
    (tmp_path / "jobs").mkdir()
    config = tmp_path / "config.yml"
    config.write_text(CONFIG.format(tmp=tmp_path))
    area = crs84(shapely.box(566_000, 5_947_000, 566_050, 5_947_040))
    env = {
        "PYGEOAPI_CONFIG": str(config),
        "PYGEOAPI_OPENAPI": str(tmp_path / "openapi.yml"),
        "BUERGERGIS_STORE": store,
        "PYTHONPATH": str(ROOT),
        "PATH": "/usr/bin:/bin",
    }
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(CLIENT), json.dumps(INLINE), json.dumps(area)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT")), None)
    assert line, proc.stderr[-3000:]
    out = json.loads(line[len("RESULT") :])
    assert out["describe"] == [
        200,
        "Planungsszenario rechnen",
        ["compare_to", "include_buildings", "scenario", "store_results", "sun_hours_day"],
    ]
    status, body = out["sync"]
    assert status == 200 and body["deltas"]["totals"]["floor_area_m2"]["delta"] == 2160.0
    status, job_status, body = out["async"]
    assert (status, job_status) == (201, "successful")
    assert body["indicators"]["totals"]["floor_area_m2"] == 840.0
    status, body = out["area"]
    assert status == 200 and round(body["indicators"]["floor_area_m2"], 6) == 240.0
    status, body = out["error"]
    assert status == 400 and "line 5, column 5: changes[0]: unknown op 'nope'" in body["description"]
