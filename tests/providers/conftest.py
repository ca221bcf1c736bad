"""Fixtures for the GeoPackage provider tests: a small store of synthetic test rows.

The rows are made up for the tests (names say so where they are shown): a few
building footprints, two plans and some lines near Hamburg-Langenhorn in
EPSG:25832 (x≈566000, y≈5947000).
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from pygeoapi.crs import modify_pygeofilter
from pygeofilter.parsers.cql2_json import parse as parse_cql2_json
from pygeofilter.parsers.cql2_text import parse as parse_cql2_text

from providers.geopackage import close_connections
from store.geopackage import GeoPackageStore

EPSG = 25832
X0, Y0 = 566000.0, 5947000.0
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"
STORAGE = f"http://www.opengis.net/def/crs/EPSG/0/{EPSG}"


def _mp(*coords):
    return shapely.MultiPolygon([shapely.Polygon(coords)])


def _box(minx, miny, maxx, maxy):
    return shapely.MultiPolygon([shapely.box(minx, miny, maxx, maxy)])


#: Synthetic buildings. b4 is a triangle whose envelope reaches into places the triangle does not.
BUILDINGS = gpd.GeoDataFrame(
    {
        "id": ["b1", "b2", "b3", "b4", "b5"],
        "source": "synthetic:test",
        "name": ["Müllerhaus (Testdaten)", "Schule am Weg (Testdaten)", "Kiosk_1", "Dreieck 100%", "Fernes Haus"],
        "function": ["Wohnen", "Schule", "Handel", None, "Wohnen"],
        "height": [9.5, 14.0, 3.0, None, 30.0],
        "storeys": [3, 4, 1, None, 10],
        "synthetic": [True, True, False, True, True],
        "height_estimated": [False, False, True, None, True],
    },
    geometry=[
        _box(X0, Y0, X0 + 20, Y0 + 15),
        _box(X0 + 100, Y0, X0 + 130, Y0 + 20),
        _box(X0 + 300, Y0 + 300, X0 + 310, Y0 + 310),
        _mp((X0 + 500, Y0), (X0 + 600, Y0), (X0 + 500, Y0 + 100), (X0 + 500, Y0)),
        _box(X0 + 4000, Y0 + 3000, X0 + 4010, Y0 + 3010),
    ],
    crs=EPSG,
)

PLANS = gpd.GeoDataFrame(
    {
        "id": ["P1", "P2"],
        "plan_id": ["P1", "P2"],
        "name": ["Testplan Langenhorn 1", "Testplan Ohlsdorf 2"],
        "inkrafttretens_datum": ["2001-05-17", "2015-01-01"],
        "imported_at": ["2024-06-30T12:00:00Z", "2025-03-01T00:00:00Z"],
    },
    geometry=[_box(X0 - 50, Y0 - 50, X0 + 700, Y0 + 400), _box(X0 + 3000, Y0 + 3000, X0 + 3500, Y0 + 3500)],
    crs=EPSG,
)

LINES = gpd.GeoDataFrame(
    {
        "id": ["g1", "g2"],
        "plan_id": "P1",
        "art": ["Baugrenze", "Baulinie"],
    },
    geometry=[
        shapely.LineString([(X0, Y0 - 5), (X0 + 50, Y0 - 5)]),
        shapely.LineString([(X0 + 200, Y0), (X0 + 200, Y0 + 80)]),
    ],
    crs=EPSG,
)


@pytest.fixture(scope="session")
def gpkg_template(tmp_path_factory) -> Path:
    """The store file with the synthetic rows, made once (its schema is most of the making)."""
    path = tmp_path_factory.mktemp("gpkg-template") / "store.gpkg"
    with GeoPackageStore(path, epsg=EPSG) as store:
        store.create_schema()
        store.replace({"buildings": BUILDINGS}, source="synthetic:test")
        store.replace({"bp_plan": PLANS.iloc[:1], "bp_baugrenze": LINES}, plan_id="P1")
        store.replace({"bp_plan": PLANS.iloc[1:]}, plan_id="P2")
    with sqlite3.connect(path) as conn:  # one self-contained file to copy
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture
def gpkg_path(tmp_path, gpkg_template):
    """A fresh store file with the synthetic rows, a copy of the template (per test: several tests write)."""
    path = tmp_path / "store.gpkg"
    shutil.copyfile(gpkg_template, path)
    yield path
    close_connections()


def provider_def(path, table: str = "buildings", **extra) -> dict:
    """A provider entry as api/config.py generates it."""
    return {
        "type": "feature",
        "name": "providers.geopackage.GeoPackageProvider",
        "data": str(path),
        "table": table,
        "id_field": "id",
        "geom_field": "geom",
        "storage_crs": STORAGE,
        "crs": [CRS84, EPSG4326, STORAGE],
        "editable": True,
        **extra,
    }


@pytest.fixture
def make_provider(gpkg_path):
    """``make_provider(table, **config)`` through pygeoapi's own plugin loader."""
    from pygeoapi.plugin import load_plugin

    def make(table: str = "buildings", **extra):
        return load_plugin("provider", provider_def(gpkg_path, table, **extra))

    return make


@pytest.fixture
def provider(make_provider):
    return make_provider("buildings")


def cql_text(text: str, filter_crs: str = CRS84):
    """Parse and prepare CQL2 text exactly as pygeoapi 0.24 does before calling the provider."""
    return modify_pygeofilter(
        parse_cql2_text(text), filter_crs_uri=filter_crs, storage_crs_uri=STORAGE, geometry_column_name="geom"
    )


def cql_json(document: dict | str, filter_crs: str = CRS84):
    import json

    text = document if isinstance(document, str) else json.dumps(document)
    return modify_pygeofilter(
        parse_cql2_json(text), filter_crs_uri=filter_crs, storage_crs_uri=STORAGE, geometry_column_name="geom"
    )
