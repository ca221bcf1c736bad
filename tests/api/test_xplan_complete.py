"""Every object of every shared plan reaches the OGC API, on both stores, and GDAL reads it.

All 25 shared XPlanGML files (13 Bebauungspläne 5.1–6.0; FP, LP, SO, RP, 4.0/4.1 and the faulty ones)
are imported into one fresh store per backend; counts per plan and class served by
``/collections/xplan_objekt/items`` must equal the feature members counted in the GML with lxml.
Three files are other versions of a plan another file holds (same plan gml:id: the faulty copies and
BPlan004 in 4.1 and 6.0); a later import of a plan replaces the earlier, so those count once.
"""

from __future__ import annotations

import json
from collections import Counter
from functools import cache

import pyogrio
import pytest
import requests

from tests.conftest import LiveServer, fresh_postgis_database
from tests.layers.test_xplan_objects import PLAN_FILES, gml_class_counts


@pytest.fixture(scope="module", params=["geopackage", "postgis"])
def all_plans_server(request, tmp_path_factory):
    from layers.importing import import_xplan_files
    from store.base import open_store

    data_dir = tmp_path_factory.mktemp(f"all-plans-{request.param}")
    if request.param == "geopackage":
        url = str(data_dir / "store.gpkg")
    else:
        url = fresh_postgis_database(request.getfixturevalue("postgis"))
    store = open_store(url)
    try:
        store.create_schema()
        report = import_xplan_files(store, PLAN_FILES, raster_dir=data_dir / "rasters")
    finally:
        store.close()
    server = LiveServer(url, data_dir, extra_env={"BUERGERGIS_UI": "0"})
    server.backend = request.param
    server.report = report
    yield server
    server.stop()


@cache
def plan_ids(path) -> frozenset[str]:
    return frozenset(gid for gid, cls in gml_ids(path) if cls.endswith("_Plan"))


def gml_ids(path) -> list[tuple[str, str]]:
    from lxml import etree

    root = etree.parse(str(path)).getroot()
    return [
        (
            el.get("{http://www.opengis.net/gml/3.2}id") or el.get("{http://www.opengis.net/gml}id"),
            etree.QName(el).localname,
        )
        for el in root.iter()
        if isinstance(el.tag, str)
        and "xplanung.de" in el.tag
        and (el.get("{http://www.opengis.net/gml/3.2}id") or el.get("{http://www.opengis.net/gml}id"))
    ]


@cache
def surviving_files() -> tuple:
    """The files whose plans are still stored after importing PLAN_FILES in order."""
    out = []
    for i, path in enumerate(PLAN_FILES):
        later = set().union(*(plan_ids(p) for p in PLAN_FILES[i + 1 :])) if i + 1 < len(PLAN_FILES) else set()
        if not plan_ids(path) & later:
            out.append(path)
    return tuple(out)


@cache
def class_counts(path) -> Counter:
    """The feature members per class of one file (each file is parsed once per run: the GML does not change)."""
    return gml_class_counts(path)


def expected_classes() -> Counter:
    expected: Counter = Counter()
    for path in surviving_files():
        expected.update(class_counts(path))
    return expected


def all_items(server, collection: str, **params) -> list[dict]:
    out, offset = [], 0
    while True:
        r = requests.get(
            f"{server.api}/collections/{collection}/items",
            params={"f": "json", "limit": 5000, "offset": offset, **params},
            timeout=60,
        )
        assert r.status_code == 200, r.text[:500]
        page = r.json()["features"]
        out += page
        if len(page) < 5000:
            return out
        offset += 5000


def test_every_object_of_every_plan_is_served(all_plans_server):
    assert len(surviving_files()) == 22
    expected = expected_classes()
    served = all_items(all_plans_server, "xplan_objekt", skipGeometry="true", properties="xplan_class,plan_id")
    assert Counter(f["properties"]["xplan_class"] for f in served) == expected
    assert len({f["id"] for f in served}) == sum(expected.values())


def test_every_plan_of_every_type_is_served_with_its_report(all_plans_server):
    plans = all_items(all_plans_server, "xplan_plan")
    expected = Counter(
        c.split("_")[0]
        for path in surviving_files()
        for c, n in class_counts(path).items()
        if c.endswith("_Plan")
        for _ in range(n)
    )
    assert Counter(f["properties"]["plan_type"] for f in plans) == expected
    for f in plans:
        report = f["properties"]["import_report"]
        report = json.loads(report) if isinstance(report, str) else report
        assert report and all(v["in_file"] == v["stored"] for v in report.values()), f["id"]
        assert f["geometry"] is not None, f["id"]


def test_objects_filter_by_class_plan_and_rechtscharakter(all_plans_server):
    r = requests.get(f"{all_plans_server.api}/collections/xplan_objekt/queryables", params={"f": "json"}, timeout=10)
    props = r.json()["properties"]
    for name in ("xplan_class", "plan_id", "bereich_id", "rechtscharakter", "plan_type", "ebene"):
        assert name in props, name
    baufenster = all_items(all_plans_server, "xplan_objekt", xplan_class="BP_UeberbaubareGrundstuecksFlaeche")
    expected = expected_classes()["BP_UeberbaubareGrundstuecksFlaeche"]
    assert len(baufenster) == expected > 0
    cql = all_items(
        all_plans_server,
        "xplan_objekt",
        filter="plan_type = 'FP' AND geometry_kind = 'Flaeche'",
        **{"filter-lang": "cql2-text"},
    )
    assert cql and {f["properties"]["plan_type"] for f in cql} == {"FP"}
    assert {f["geometry"]["type"] for f in cql} <= {"Polygon", "MultiPolygon"}


def test_gdal_reads_every_class(all_plans_server):
    frame = pyogrio.read_dataframe(f"OAPIF:{all_plans_server.api}", layer="xplan_objekt")
    expected = expected_classes()
    assert Counter(frame["xplan_class"]) == expected
    assert {"attributes", "rechtscharakter", "plan_id"} <= set(frame.columns)
