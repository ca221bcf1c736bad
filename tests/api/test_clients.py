"""Real GIS clients read the served collections: GDAL's OAPIF driver (pyogrio) and OWSLib.

Counts and attribute values are checked against the source GML, parsed here
independently of the importer.
"""

from functools import lru_cache

import pyogrio
import pytest
import requests
from lxml import etree
from owslib.ogcapi.features import Features

from commands.demo import demo_plan_files
from tests.api.source_counts import demo_counts


@lru_cache
def source_baugebiet_values() -> dict[str, dict]:
    """gml:id -> {GRZ, GFZ, Z} of every BP_BaugebietsTeilFlaeche in the demo files."""
    values = {}
    for path in demo_plan_files():
        tree = etree.parse(str(path))
        for el in tree.xpath("//*[local-name()='BP_BaugebietsTeilFlaeche']"):
            gml_id = el.get("{http://www.opengis.net/gml/3.2}id")
            row = {}
            for name in ("GRZ", "GFZ", "Z"):
                child = el.xpath(f"./*[local-name()='{name}']")
                # The importer reads 0 as "not set" (the KIT toolbox writes 0 into empty Maß fields).
                value = float(child[0].text) if child else 0.0
                row[name] = value or None
            values[gml_id] = row
    return values


def test_gdal_oapif_lists_collections(api_server):
    layers = {name for name, _ in pyogrio.list_layers(f"OAPIF:{api_server.api}")}
    assert {"bp_plan", "bp_baugebiet", "bp_textabschnitt", "buildings"} <= layers


def test_gdal_oapif_reads_features_and_attributes(api_server):
    frame = pyogrio.read_dataframe(f"OAPIF:{api_server.api}", layer="bp_baugebiet")
    assert len(frame) == demo_counts()["bp_baugebiet"]
    source = source_baugebiet_values()
    id_column = "id" if "id" in frame.columns else frame.columns[0]
    assert set(frame[id_column]) == set(source)
    for _, row in frame.iterrows():
        expected = source[row[id_column]]
        for name in ("GRZ", "GFZ", "Z"):
            served = row[name.lower()]
            if expected[name] is None:
                assert served is None or served != served, (row[id_column], name)  # None or NaN
            else:
                assert served == pytest.approx(expected[name]), (row[id_column], name)
    west, south, east, north = frame.to_crs("OGC:CRS84").total_bounds
    assert 9.9 < west < east < 10.1 and 53.6 < south < north < 53.75


def test_gdal_oapif_takes_field_types_from_the_schema(api_server):
    """GDAL builds the fields from the describedby schema (api/standards.py), not from the first page alone:
    a number that is null on the first features is still a number, an empty collection has its fields."""
    first = requests.get(
        f"{api_server.api}/collections/bp_baugebiet/items", params={"f": "json", "limit": 10}, timeout=30
    ).json()["features"]
    nulls_first = [
        name
        for name in ("grz_min", "gfz_max", "z_min", "bmz", "h_max")
        if all(f["properties"].get(name) is None for f in first)
    ]
    assert nulls_first, "the demo's first page should have a numeric field that is null throughout"
    info = pyogrio.read_info(f"OAPIF:{api_server.api}", layer="bp_baugebiet")
    types = dict(zip(info["fields"], info["dtypes"], strict=True))
    for name in nulls_first:
        assert types[name] in ("float64", "int32", "int64"), (name, types[name])
    empty = pyogrio.read_info(f"OAPIF:{api_server.api}", layer="procedures")
    assert len(empty["fields"]) > 3, empty["fields"]


def test_owslib_reads_collections_and_items(api_server):
    client = Features(api_server.api)
    ids = {c["id"] for c in client.collections()["collections"]}
    assert "bp_plan" in ids
    plans = client.collection_items("bp_plan", limit=100)
    assert plans["numberMatched"] == demo_counts()["bp_plan"]
    names = {f["properties"]["name"] for f in plans["features"]}
    assert any("Langenhorn" in (n or "") for n in names)
    queryables = client.collection_queryables("bp_baugebiet")
    assert "grz" in queryables["properties"]
