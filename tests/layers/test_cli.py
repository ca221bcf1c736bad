"""The import CLI as a user runs it: exit codes, messages naming the file, idempotent re-import.

The first import goes through the real program (``python -m commands.cli`` in a process of its own: its exit
status and output); every other call runs ``commands.cli.main`` in this process, with the same arguments, exit
codes and messages (a fresh Python per call cost seconds each and proved nothing more), on both stores.
"""

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from commands import cli
from store.base import open_store

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args, store):
    """The program in a process of its own, as a user starts it."""
    return subprocess.run(
        [sys.executable, "-m", "commands.cli", "--store", store, *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def call_cli(capsys):
    """``commands.cli.main`` in this process: its exit code and what it printed."""

    def call(*args, store) -> Result:
        capsys.readouterr()  # only this call's output
        code = cli.main(["--store", store, *map(str, args)])
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return call


@pytest.fixture(params=["geopackage", "postgis"])
def store_url(request, tmp_path):
    return str(tmp_path / "cli.gpkg") if request.param == "geopackage" else request.getfixturevalue("postgis_url")


def counts(url):
    store = open_store(url)
    try:
        return {layer: store.count(layer) for layer in ("bp_plan", "bp_baugebiet", "bp_textabschnitt")}
    finally:
        store.close()


def test_import_is_idempotent_and_keeps_gml_ids(store_url, shared_data, tmp_path, call_cli):
    plans = [shared_data / "xplan" / name / "xplan.gml" for name in ("LA22_5-2", "LA67_5-2")]
    program = run_cli if store_url.endswith(".gpkg") else call_cli  # the program itself once, on the GeoPackage
    first = program("import-xplan", *plans, "--raster-dir", tmp_path / "r", store=store_url)
    assert first.returncode == 0, first.stderr
    assert "bp_baugebiet: 38 rows" in first.stdout  # 35 in LA22 + 3 in LA67
    before = counts(store_url)
    again = call_cli("import-xplan", *plans, "--raster-dir", tmp_path / "r", store=store_url)
    assert again.returncode == 0, again.stderr
    assert "bp_baugebiet: 38 rows" in again.stdout
    assert counts(store_url) == before == {"bp_plan": 2, "bp_baugebiet": 38, "bp_textabschnitt": 0}
    ids = set(open_store(store_url).read("bp_baugebiet")["id"])
    assert "GML_0e0bbca5-6210-4f68-9407-9fa4d9479fec" in ids  # a BP_BaugebietsTeilFlaeche of LA22


def test_broken_file_in_a_batch_writes_nothing(store_url, shared_data, tmp_path, call_cli):
    good = shared_data / "xplan" / "LA67_5-2" / "xplan.gml"
    broken = tmp_path / "kaputt.gml"
    broken.write_text(good.read_text(encoding="utf-8")[:5000], encoding="utf-8")  # truncated XML
    r = call_cli("import-xplan", good, broken, store=store_url)
    assert r.returncode == 1
    assert "kaputt.gml" in r.stderr and "nothing imported" in r.stderr
    assert counts(store_url)["bp_plan"] == 0


def test_not_xplan_names_file_and_reason(store_url, shared_data, call_cli):
    citygml = shared_data / "citygml-berlin-mitte" / "Berlin2_3900_5819.gml"
    r = call_cli("import-xplan", citygml, store=store_url)
    assert r.returncode == 1
    assert "Berlin2_3900_5819.gml" in r.stderr
    assert "XPlan" in r.stderr


def test_citygml_and_osm_import(store_url, shared_data, call_cli):
    r = call_cli("import-citygml", *sorted((shared_data / "citygml-berlin-mitte").glob("*.gml")), store=store_url)
    assert r.returncode == 0, r.stderr
    r = call_cli("import-osm", shared_data / "osm-helsinki" / "Helsinki.osm.pbf", store=store_url)
    assert r.returncode == 0, r.stderr
    store = open_store(store_url)
    buildings = store.read("buildings")
    assert (buildings["source"].str.startswith("citygml:")).sum() == 176
    assert (buildings["source"] == "osm:Helsinki.osm.pbf").sum() == 482
    assert store.count("streets") == 2504
