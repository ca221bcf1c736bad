"""The GeoPackage feature provider: queries, CQL2, CRS, transactions, bad input and injection attempts.

The provider is loaded through pygeoapi's plugin loader and called with the
arguments pygeoapi 0.24 passes (bbox already in the storage CRS, CQL2 run
through ``modify_pygeofilter``), over the synthetic rows of ``conftest.py``.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import time
import warnings

import numpy as np
import pyogrio
import pytest
import shapely
from pygeoapi.crs import create_crs_transform_spec, get_transform_from_spec, transform_bbox
from pygeoapi.provider.base import (
    ProviderConnectionError,
    ProviderGenericError,
    ProviderInvalidDataError,
    ProviderInvalidQueryError,
    ProviderItemNotFoundError,
    SchemaType,
)
from pyproj import Transformer

from intake.errors import IntakeConflict, IntakeError
from providers.geopackage import GeoPackageProvider, like_to_glob
from store import gpkg_functions
from store.geopackage import GeoPackageStore, connect
from tests.providers.conftest import (
    CRS84,
    EPSG,
    EPSG4326,
    STORAGE,
    X0,
    Y0,
    cql_json,
    cql_text,
    provider_def,
)

TO_CRS84 = Transformer.from_crs(EPSG, "OGC:CRS84", always_xy=True)
TO_25832 = Transformer.from_crs("OGC:CRS84", EPSG, always_xy=True)


def ids(result) -> list[str]:
    return [f["id"] for f in result["features"]]


def matched_ids(provider, **kwargs) -> set[str]:
    return set(ids(provider.query(limit=1000, **kwargs)))


def lonlat(x, y):
    return TO_CRS84.transform(x, y)


def feature(geometry=None, **props) -> dict:
    geometry = geometry or {
        "type": "Polygon",
        "coordinates": [
            [
                list(lonlat(X0 + 50, Y0 + 50)),
                list(lonlat(X0 + 60, Y0 + 50)),
                list(lonlat(X0 + 60, Y0 + 58)),
                list(lonlat(X0 + 50, Y0 + 50)),
            ]
        ],
    }
    return {"type": "Feature", "geometry": geometry, "properties": {"source": "synthetic:api", **props}}


def assert_rtree_consistent(path, table: str) -> None:
    conn = connect(path)
    expected = {}
    for fid, blob in conn.execute(f"SELECT fid, geom FROM {table}"):
        if blob is not None and not gpkg_functions.is_empty(blob):
            expected[fid] = gpkg_functions.decode_one(blob).bounds
    actual = {r[0]: (r[1], r[3], r[2], r[4]) for r in conn.execute(f"SELECT * FROM rtree_{table}_geom")}
    conn.close()
    assert set(actual) == set(expected)
    for fid, box in expected.items():
        assert np.allclose(actual[fid], box, atol=1.0), fid


# -- construction and metadata ----------------------------------------------------------------------


def test_loaded_by_dotted_path_and_cheap_to_construct(gpkg_path, provider):
    assert isinstance(provider, GeoPackageProvider)
    start = time.perf_counter()
    for _ in range(50):
        GeoPackageProvider(provider_def(gpkg_path))
    assert (time.perf_counter() - start) / 50 < 0.005  # pygeoapi builds one per request


def test_fields_and_schema_follow_the_catalogue(provider, make_provider):
    fields = provider.get_fields()
    assert fields["id"] == {"type": "string"} and fields["height"] == {"type": "number"}
    assert fields["storeys"] == {"type": "integer"} and fields["synthetic"] == {"type": "boolean"}
    assert "fid" not in fields and "geom" not in fields
    plan_fields = make_provider("bp_plan").fields
    assert plan_fields["inkrafttretens_datum"] == {"type": "string", "format": "date"}
    assert plan_fields["imported_at"] == {"type": "string", "format": "date-time"}
    assert make_provider("bp_planraster").fields["bounds_wgs84"] == {"type": "object"}
    media_type, schema = provider.get_schema(SchemaType.create)
    assert media_type == "application/geo+json"
    assert schema["properties"]["properties"]["additionalProperties"] is False
    assert "id" not in schema["required"] and "id" in provider.feature_schema()[1]["required"]
    with pytest.raises(NotImplementedError):  # keeps pygeoapi 0.24's OpenAPI document valid
        provider.get_schema()
    # pygeoapi writes into the fields dicts (x-ogc-role): instances must not share them.
    provider.fields["id"]["x-ogc-role"] = "id"
    assert "x-ogc-role" not in make_provider("buildings").fields["id"]


def test_bad_configuration_is_reported(gpkg_path):
    with pytest.raises(ProviderConnectionError, match="not found"):
        GeoPackageProvider(provider_def(gpkg_path.parent / "missing.gpkg"))
    with pytest.raises(ProviderConnectionError, match="no_such_table"):
        GeoPackageProvider(provider_def(gpkg_path, "no_such_table"))
    with pytest.raises(ProviderConnectionError, match="time_field"):
        GeoPackageProvider(provider_def(gpkg_path, time_field="name"))


def test_a_catalogue_table_missing_from_the_file_is_created_empty(tmp_path):
    path = tmp_path / "fresh.gpkg"
    GeoPackageStore(path, epsg=EPSG).close()  # core tables only
    result = GeoPackageProvider(provider_def(path, "streets")).query()
    assert result["features"] == [] and result["numberMatched"] == 0


# -- basic queries --------------------------------------------------------------------------------


def test_query_returns_geojson_with_exact_counts(provider):
    result = provider.query(limit=2)
    assert result["type"] == "FeatureCollection"
    assert result["numberMatched"] == 5 and result["numberReturned"] == 2
    first = result["features"][0]
    assert first["id"] == "b1" and first["type"] == "Feature"
    assert first["properties"]["id"] == "b1" and first["properties"]["synthetic"] is True
    assert first["properties"]["storeys"] == 3 and first["geometry"]["type"] == "MultiPolygon"
    assert (
        first["geometry"]["coordinates"][0][0][0] == [X0 + 20, Y0] or [X0, Y0] in first["geometry"]["coordinates"][0][0]
    )
    # the page travels as the text the provider wrote (providers/passthrough.py); pygeoapi writes it out
    from pygeoapi import util
    from pygeoapi.api import itemtypes

    untouched = provider.query(limit=2)
    document = json.loads(itemtypes.to_json(untouched))
    assert document["features"] == json.loads(json.dumps(result["features"], default=util.json_serial))
    assert [f["id"] for f in document["features"]] == ["b1", "b2"]


def test_paging_hits_and_counts(provider):
    assert ids(provider.query(limit=2, offset=2)) == ["b3", "b4"]
    last = provider.query(limit=2, offset=4)
    assert ids(last) == ["b5"] and last["numberMatched"] == 5
    beyond = provider.query(limit=2, offset=10)
    assert beyond["features"] == [] and beyond["numberMatched"] == 5
    hits = provider.query(resulttype="hits")
    assert hits == {"type": "FeatureCollection", "features": [], "numberMatched": 5, "numberReturned": 0}
    assert provider.query(resulttype="hits", properties=[("function", "Wohnen")])["numberMatched"] == 2


def test_count_false_leaves_number_matched_out(make_provider):
    provider = make_provider(count=False)
    assert "numberMatched" not in provider.query(limit=1)
    assert provider.query(resulttype="hits")["numberMatched"] == 5


def test_bbox_is_exact_not_just_the_index(provider):
    # The triangle b4's envelope overlaps this box, the triangle itself does not.
    assert matched_ids(provider, bbox=[X0 + 580, Y0 + 80, X0 + 700, Y0 + 200]) == set()
    assert matched_ids(provider, bbox=[X0 + 540, Y0 + 20, X0 + 700, Y0 + 200]) == {"b4"}
    assert matched_ids(provider, bbox=[X0 - 1, Y0 - 1, X0 + 101, Y0 + 1]) == {"b1", "b2"}
    assert provider.query(bbox=[X0 - 10, Y0 - 10, X0 + 1000, Y0 + 1000], limit=1)["numberMatched"] == 4
    with pytest.raises(ProviderInvalidQueryError, match="bbox"):
        provider.query(bbox=[X0 + 10, Y0, X0, Y0 + 10])


def test_bbox_query_plans_agree(provider, monkeypatch):
    """Large boxes read pages in storage order and count in the R-tree: same answers as the general path."""
    boxes = [
        [X0 + 580, Y0 + 80, X0 + 700, Y0 + 200],
        [X0 + 540, Y0 + 20, X0 + 700, Y0 + 200],
        [X0 - 1, Y0 - 1, X0 + 101, Y0 + 1],
        [X0 - 100, Y0 - 100, X0 + 5000, Y0 + 5000],
    ]
    expected = [
        (matched_ids(provider, bbox=b), provider.query(bbox=b, resulttype="hits")["numberMatched"]) for b in boxes
    ]
    for (ids_, hits), box in zip(expected, boxes, strict=True):
        assert len(ids_) == hits
        general = provider.query(bbox=box, resulttype="hits", filterq=cql_text("INCLUDE"))["numberMatched"]
        assert general == hits  # R-tree count (bbox only) == row-by-row count
    monkeypatch.setattr(GeoPackageProvider, "_scan_is_cheaper", lambda self, box, rows: True)
    for (ids_, hits), box in zip(expected, boxes, strict=True):
        assert matched_ids(provider, bbox=box) == ids_
        assert provider.query(bbox=box, limit=1)["numberMatched"] == hits


def test_bbox_in_crs84_as_pygeoapi_transforms_it(provider):
    """bbox without bbox-crs is CRS84; pygeoapi 0.24 transforms it to the storage CRS before the call."""
    west, south = lonlat(X0 - 5, Y0 - 5)
    east, north = lonlat(X0 + 140, Y0 + 30)
    bbox = transform_bbox([west, south, east, north], CRS84, STORAGE)
    assert bbox[0] > 500000  # what the provider receives is in EPSG:25832
    assert matched_ids(provider, bbox=bbox) == {"b1", "b2"}


def test_property_filters_sortby_select_and_skip_geometry(provider):
    assert matched_ids(provider, properties=[("function", "Wohnen")]) == {"b1", "b5"}
    assert matched_ids(provider, properties=[("storeys", "4")]) == {"b2"}
    assert matched_ids(provider, properties=[("synthetic", "false")]) == {"b3"}
    with pytest.raises(ProviderInvalidQueryError, match="storeys"):
        provider.query(properties=[("storeys", "vier")])
    assert ids(provider.query(sortby=[{"property": "height", "order": "-"}])) == ["b5", "b2", "b1", "b3", "b4"]
    assert ids(provider.query(sortby=[{"property": "function", "order": "+"}, {"property": "id", "order": "-"}])) == [
        "b3",
        "b2",
        "b5",
        "b1",
        "b4",
    ]  # NULLs last, as on PostGIS
    with pytest.raises(ProviderInvalidQueryError, match="unknown property"):
        provider.query(sortby=[{"property": "height; DROP TABLE buildings", "order": "+"}])
    slim = provider.query(select_properties=["name", "height"], skip_geometry=True, limit=1)["features"][0]
    assert slim == {
        "type": "Feature",
        "id": "b1",
        "geometry": None,
        "properties": {"name": "Müllerhaus (Testdaten)", "height": 9.5},
    }
    with pytest.raises(ProviderInvalidQueryError):
        provider.query(select_properties=["nope"])


def test_configured_properties_restrict_output(make_provider):
    provider = make_provider(properties=["name"])
    assert provider.query(limit=1)["features"][0]["properties"] == {"name": "Müllerhaus (Testdaten)"}
    assert set(provider.get("b2")["properties"]) == {"name"}


def test_free_text_q(provider):
    assert matched_ids(provider, q="schule") == {"b2"}
    assert matched_ids(provider, q="MÜLLER") == {"b1"}  # Unicode case folding
    assert matched_ids(provider, q="schule,kiosk") == {"b2", "b3"}  # comma: any
    assert matched_ids(provider, q="schule weg") == {"b2"}  # words: all
    assert matched_ids(provider, q="schule haus") == set()
    assert matched_ids(provider, q="100%") == {"b4"}  # % and _ are literal
    assert matched_ids(provider, q="Kiosk_") == {"b3"}
    assert matched_ids(provider, q="k_osk") == set()


def test_datetime_on_date_and_datetime_fields(make_provider):
    by_date = make_provider("bp_plan", time_field="inkrafttretens_datum")
    assert matched_ids(by_date, datetime_="2001-05-17") == {"P1"}
    assert matched_ids(by_date, datetime_="2010-01-01T00:00:00Z/..") == {"P2"}
    assert matched_ids(by_date, datetime_="../2001-05-17") == {"P1"}
    by_time = make_provider("bp_plan", time_field="imported_at")
    assert matched_ids(by_time, datetime_="2024-06-30") == {"P1"}  # a date matches its whole day
    assert matched_ids(by_time, datetime_="2024-06-30T14:00:00+02:00") == {"P1"}  # same instant
    assert matched_ids(by_time, datetime_="2024-07-01T00:00:00Z/2025-12-31T00:00:00Z") == {"P2"}
    with pytest.raises(ProviderInvalidQueryError, match="datetime"):
        by_time.query(datetime_="gestern/..")
    with pytest.raises(ProviderInvalidQueryError, match="no time field"):
        make_provider("bp_plan").query(datetime_="2024-01-01")


# -- CRS (OGC API Features Part 2) -------------------------------------------------------------------


def _vertex(geometry):
    c = geometry["coordinates"]
    while isinstance(c[0], list):
        c = c[0]
    return c


def test_output_crs_axis_order(gpkg_path, provider):
    definition = provider_def(gpkg_path)
    native = provider.get("b1")
    x, y = _vertex(native["geometry"])
    lon, lat = lonlat(x, y)
    crs84 = provider.get("b1", crs_transform_spec=create_crs_transform_spec(definition, CRS84))
    assert _vertex(crs84["geometry"]) == pytest.approx([lon, lat], abs=1e-9)
    spec4326 = create_crs_transform_spec(definition, EPSG4326)
    geo = provider.query(limit=1, crs_transform_spec=spec4326)["features"][0]
    assert _vertex(geo["geometry"]) == pytest.approx([lat, lon], abs=1e-9)  # EPSG:4326 is lat/lon
    # The same numbers pygeoapi's own helper produces.
    reference = get_transform_from_spec(spec4326)(shapely.geometry.shape(native["geometry"]))
    assert shapely.geometry.shape(geo["geometry"]).equals_exact(reference, 1e-9)
    assert (
        provider.get("b1", crs_transform_spec=create_crs_transform_spec(definition, STORAGE))["geometry"]
        == native["geometry"]
    )


def test_storage_crs_different_from_the_file_is_transformed(gpkg_path):
    """A config that leaves storage_crs out (CRS84) still gets CRS84 out and may send CRS84 bboxes."""
    definition = provider_def(gpkg_path)
    definition.pop("storage_crs")
    provider = GeoPackageProvider(definition)
    lon, lat = _vertex(provider.get("b1")["geometry"])
    assert 9.9 < lon < 10.1 and 53.6 < lat < 53.75
    west, south = lonlat(X0 - 5, Y0 - 5)
    east, north = lonlat(X0 + 140, Y0 + 30)
    assert matched_ids(provider, bbox=[west, south, east, north]) == {"b1", "b2"}


# -- CQL2 ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("height > 9", {"b1", "b2", "b5"}),
        ("height >= 9.5 AND storeys <= 4", {"b1", "b2"}),
        ("function = 'Wohnen' OR height < 4", {"b1", "b5", "b3"}),
        ("NOT (function = 'Wohnen')", {"b2", "b3"}),  # b4's NULL is neither
        ("height BETWEEN 3 AND 10", {"b1", "b3"}),
        ("height NOT BETWEEN 3 AND 10", {"b2", "b5"}),
        ("function IN ('Schule', 'Handel')", {"b2", "b3"}),
        ("function NOT IN ('Schule', 'Handel')", {"b1", "b5"}),
        ("height IS NULL", {"b4"}),
        ("storeys IS NOT NULL AND synthetic = false", {"b3"}),
        ("synthetic = TRUE AND height_estimated = TRUE", {"b5"}),
        ("name LIKE 'Schule%'", {"b2"}),
        ("name LIKE 'schule%'", set()),  # LIKE is case-sensitive
        ("CASEI(name) LIKE CASEI('schule%')", {"b2"}),
        ("CASEI(name) LIKE CASEI('müller%')", {"b1"}),
        ("name LIKE 'Kiosk_1'", {"b3"}),
        ("name LIKE 'Kiosk.1'", set()),  # '.' is no wildcard in CQL2
        ("name LIKE 'Kio_k\\_1'", {"b3"}),  # '_' one character, '\\_' a literal underscore
        ("name LIKE '%100\\%'", {"b4"}),
        ("name NOT LIKE '%Testdaten%'", {"b3", "b4", "b5"}),
        ("storeys * 3 >= height", {"b3", "b5"}),
        ("ACCENTI(name) LIKE 'Mullerhaus%'", {"b1"}),
        ("INCLUDE", {"b1", "b2", "b3", "b4", "b5"}),
    ],
)
def test_cql2_text_scalar(provider, text, expected):
    assert matched_ids(provider, filterq=cql_text(text)) == expected


def test_cql2_counts_are_exact_on_paged_results(provider):
    result = provider.query(limit=1, filterq=cql_text("height > 5"))
    assert result["numberReturned"] == 1 and result["numberMatched"] == 3


def _wkt_lonlat(geom) -> str:
    return shapely.transform(geom, lambda c: np.column_stack(TO_CRS84.transform(c[:, 0], c[:, 1]))).wkt


def test_cql2_spatial_predicates_in_crs84(provider):
    around_b1_b2 = shapely.box(X0 - 5, Y0 - 5, X0 + 140, Y0 + 30)
    poly = _wkt_lonlat(around_b1_b2)
    assert matched_ids(provider, filterq=cql_text(f"S_INTERSECTS(geometry, {poly})")) == {"b1", "b2"}
    assert matched_ids(provider, filterq=cql_text(f"S_WITHIN(geom, {poly})")) == {"b1", "b2"}
    assert len(matched_ids(provider, filterq=cql_text(f"S_DISJOINT(geometry, {poly})"))) == 3
    inside_b2 = _wkt_lonlat(shapely.Point(X0 + 110, Y0 + 10))
    assert matched_ids(provider, filterq=cql_text(f"S_CONTAINS(geometry, {inside_b2})")) == {"b2"}
    assert matched_ids(provider, filterq=cql_text(f"S_INTERSECTS({inside_b2}, geometry)")) == {"b2"}
    # The triangle's envelope contains this point, the triangle does not.
    off_triangle = _wkt_lonlat(shapely.Point(X0 + 590, Y0 + 90))
    assert matched_ids(provider, filterq=cql_text(f"S_INTERSECTS(geometry, {off_triangle})")) == set()
    line = _wkt_lonlat(shapely.LineString([(X0 + 10, Y0 - 100), (X0 + 10, Y0 + 100)]))
    assert matched_ids(provider, filterq=cql_text(f"S_CROSSES(geometry, {line})")) == {"b1"}
    assert matched_ids(provider, filterq=cql_text(f"S_INTERSECTS(geometry, {poly}) AND height > 10")) == {"b2"}
    assert matched_ids(provider, filterq=cql_text(f"NOT S_INTERSECTS(geometry, {poly})")) == {"b3", "b4", "b5"}


def test_cql2_relate_touches_and_distance(provider):
    from pygeofilter import ast, values

    inside_b2 = _wkt_lonlat(shapely.Point(X0 + 110, Y0 + 10))
    assert matched_ids(provider, filterq=cql_text(f"RELATE(geometry, {inside_b2}, 'T********')")) == {"b2"}
    on_edge = f"SRID={EPSG};POINT({X0 + 20} {Y0 + 5})"
    assert matched_ids(provider, filterq=cql_text(f"S_TOUCHES(geometry, {on_edge})")) == {"b1"}
    near_b1 = values.Geometry(
        {
            "type": "Point",
            "coordinates": (X0 + 25, Y0 + 5),
            "crs": {"type": "name", "properties": {"name": f"urn:ogc:def:crs:EPSG::{EPSG}"}},
        }
    )
    within = ast.DistanceWithin(ast.Attribute("geom"), near_b1, distance=10, units="meters")
    assert matched_ids(provider, filterq=within) == {"b1"}
    assert matched_ids(provider, filterq=ast.DistanceWithin(ast.Attribute("geom"), near_b1, 2, "meters")) == set()
    beyond = ast.DistanceBeyond(ast.Attribute("geom"), near_b1, distance=10, units="meters")
    assert matched_ids(provider, filterq=beyond) == {"b2", "b3", "b4", "b5"}
    with pytest.raises(ProviderInvalidQueryError, match="metres"):
        provider.query(filterq=ast.DistanceWithin(ast.Attribute("geom"), near_b1, 10, "feet"))


def test_cql2_spatial_in_the_storage_crs_and_equals(provider):
    b3 = shapely.box(X0 + 300, Y0 + 300, X0 + 310, Y0 + 310)
    ewkt = f"SRID={EPSG};{shapely.MultiPolygon([b3]).wkt}"
    assert matched_ids(provider, filterq=cql_text(f"S_EQUALS(geometry, {ewkt})")) == {"b3"}
    filterq = cql_text(f"S_INTERSECTS(geometry, {b3.wkt})", filter_crs=STORAGE)
    assert matched_ids(provider, filterq=filterq) == {"b3"}


def test_cql2_bbox_forms(provider):
    west, south = lonlat(X0 - 5, Y0 - 5)
    east, north = lonlat(X0 + 140, Y0 + 30)
    text = f"S_INTERSECTS(geometry, BBOX({west}, {south}, {east}, {north}))"
    assert matched_ids(provider, filterq=cql_text(text)) == {"b1", "b2"}
    document = {"op": "s_intersects", "args": [{"property": "geometry"}, {"bbox": [west, south, east, north]}]}
    assert matched_ids(provider, filterq=cql_json(document)) == {"b1", "b2"}
    # Coordinates that cannot be lon/lat are taken as the storage CRS (filter-crs=EPSG:25832).
    document["args"][1]["bbox"] = [X0 - 5, Y0 - 5, X0 + 140, Y0 + 30]
    assert matched_ids(provider, filterq=cql_json(document, filter_crs=STORAGE)) == {"b1", "b2"}
    from pygeofilter import ast

    ecql = ast.BBox(ast.Attribute("geometry"), X0 - 5, Y0 - 5, X0 + 140, Y0 + 30, f"EPSG:{EPSG}")
    assert matched_ids(provider, filterq=ecql) == {"b1", "b2"}
    with pytest.raises(ProviderInvalidQueryError, match="unknown CRS"):
        provider.query(filterq=ast.BBox(ast.Attribute("geometry"), 0, 0, 1, 1, "EPSG:999999"))


def test_cql2_json_matches_text(provider):
    pairs = [
        (
            {
                "op": "and",
                "args": [
                    {"op": ">=", "args": [{"property": "height"}, 9.5]},
                    {"op": "<=", "args": [{"property": "storeys"}, 4]},
                ],
            },
            "height >= 9.5 AND storeys <= 4",
        ),
        ({"op": "like", "args": [{"property": "name"}, "Schule%"]}, "name LIKE 'Schule%'"),
        ({"op": "in", "args": [{"property": "function"}, ["Schule", "Handel"]]}, "function IN ('Schule', 'Handel')"),
        ({"op": "isNull", "args": [{"property": "height"}]}, "height IS NULL"),
        # pygeofilter 0.4 reads between as [value, [low, high]]
        ({"op": "between", "args": [{"property": "height"}, [3, 10]]}, "height BETWEEN 3 AND 10"),
        (
            {"op": "not", "args": [{"op": "=", "args": [{"property": "function"}, "Wohnen"]}]},
            "NOT (function = 'Wohnen')",
        ),
    ]
    for document, text in pairs:
        assert matched_ids(provider, filterq=cql_json(document)) == matched_ids(provider, filterq=cql_text(text))


def test_cql2_temporal(make_provider):
    plans = make_provider("bp_plan")
    assert matched_ids(plans, filterq=cql_text("inkrafttretens_datum > DATE('2010-01-01')")) == {"P2"}
    assert matched_ids(plans, filterq=cql_text("imported_at T_AFTER TIMESTAMP('2024-12-31T23:00:00Z')")) == {"P2"}
    assert matched_ids(plans, filterq=cql_text("imported_at T_BEFORE TIMESTAMP('2024-06-30T12:00:01Z')")) == {"P1"}
    assert matched_ids(
        plans,
        filterq=cql_json(
            {
                "op": "t_during",
                "args": [{"property": "inkrafttretens_datum"}, {"interval": ["2000-01-01", "2002-01-01"]}],
            }
        ),
    ) == {"P1"}
    assert matched_ids(
        plans,
        filterq=cql_json(
            {"op": "t_during", "args": [{"property": "imported_at"}, {"interval": ["2025-01-01T00:00:00Z", ".."]}]}
        ),
    ) == {"P2"}
    assert matched_ids(
        plans, filterq=cql_text("imported_at T_INTERSECTS INTERVAL('2024-06-30T12:00:00Z', '2024-07-01T00:00:00Z')")
    ) == {"P1"}
    assert matched_ids(plans, filterq=cql_text("satzungsbeschluss_datum IS NULL")) == {"P1", "P2"}
    assert (
        matched_ids(
            plans,
            filterq=cql_json(
                {"op": "t_after", "args": [{"property": "imported_at"}, {"interval": ["2020-01-01T00:00:00Z", ".."]}]}
            ),
        )
        == set()
    )
    assert (
        matched_ids(
            plans,
            filterq=cql_json(
                {"op": "t_before", "args": [{"property": "imported_at"}, {"interval": ["..", "2025-01-01T00:00:00Z"]}]}
            ),
        )
        == set()
    )
    with pytest.raises(ProviderInvalidQueryError, match="not a date"):
        plans.query(filterq=cql_text("name T_AFTER DATE('2020-01-01')"))


def test_unknown_properties_are_400_naming_them(provider):
    for filterq in (
        cql_text("colour = 'red'"),
        cql_json({"op": "=", "args": [{"property": "colour"}, "red"]}),
        cql_text("colour IS NULL"),
        cql_text("CASEI(colour) LIKE 'x'"),
    ):
        with pytest.raises(ProviderInvalidQueryError, match="'colour'") as info:
            provider.query(filterq=filterq)
        assert info.value.http_status_code == 400 and "colour" in info.value.message
    with pytest.raises(ProviderInvalidQueryError, match="not a geometry"):
        provider.query(filterq=cql_text("S_INTERSECTS(name, POINT(10 53.6))"))
    with pytest.raises(ProviderInvalidQueryError, match="spatial"):
        provider.query(filterq=cql_text("geometry = 'x'"))


# -- injection attempts ---------------------------------------------------------------------------


def _schema_snapshot(path):
    conn = connect(path)
    master = conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
    counts = {
        name: conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
        for (kind, name, _) in master
        if kind == "table" and not name.startswith("sqlite_")
    }
    conn.close()
    return master, counts


INJECTION_VALUES = [
    "x' OR 1=1 --",
    "x'; DROP TABLE buildings; --",
    "' UNION SELECT id, id, id FROM bp_plan --",
    "Müllerhaus (Testdaten)' OR '1'='1",
    "%' OR name LIKE '%",
]

INJECTION_NAMES = [
    "name; DROP TABLE buildings",
    'name" = name OR "1',
    "name) OR 1=1 --",
    "fid",  # internal column, not a property
    "sqlite_master",
]


def test_injection_attempts_leak_nothing_and_drop_nothing(gpkg_path, provider):
    before = _schema_snapshot(gpkg_path)
    for value in INJECTION_VALUES:
        for document in (
            {"op": "=", "args": [{"property": "name"}, value]},
            {"op": "like", "args": [{"property": "name"}, value]},
            {"op": "in", "args": [{"property": "function"}, [value, value]]},
        ):
            assert provider.query(filterq=cql_json(document))["numberMatched"] == 0, (document, value)
        assert provider.query(properties=[("name", value)])["numberMatched"] == 0
        assert provider.query(q=value)["numberMatched"] == 0
        assert provider.query(filterq=cql_text(f"name = '{value.replace(chr(39), '')}'"))["numberMatched"] == 0
    for name in INJECTION_NAMES:
        with pytest.raises(ProviderInvalidQueryError, match="unknown property"):
            provider.query(filterq=cql_json({"op": "=", "args": [{"property": name}, "x"]}))
        with pytest.raises(ProviderInvalidQueryError):
            provider.query(filterq=cql_text(f'"{name.replace(chr(34), "")}" = 1'))
        with pytest.raises(ProviderInvalidQueryError):
            provider.query(properties=[(name, "x")])
        with pytest.raises(ProviderInvalidQueryError):
            provider.query(sortby=[{"property": name, "order": "+"}])
    with pytest.raises(ProviderItemNotFoundError):
        provider.get("b1' OR '1'='1")
    assert _schema_snapshot(gpkg_path) == before


def test_sql_text_in_cql2_text_does_not_even_parse():
    """pygeoapi answers 400 "Bad CQL text" for these before the provider is called."""
    from pygeofilter.parsers.cql2_text import parse

    for text in (
        "name = 'x'' OR 1=1 --'",
        "name = 'x'; DROP TABLE buildings; --'",
        "name LIKE '%' UNION SELECT * FROM bp_plan --",
    ):
        with pytest.raises(Exception):  # noqa: B017 — lark raises one of several errors; any refusal is right
            parse(text)


def test_like_to_glob_escapes_glob_syntax():
    assert like_to_glob("a*b?[c]%_") == "a[*]b[?][[]c]*?"
    assert like_to_glob("100\\%", "%", "_", "\\") == "100%"


# -- get ----------------------------------------------------------------------------------------------


def test_get_and_not_found(provider):
    item = provider.get("b2")
    assert item["id"] == "b2" and item["properties"]["name"] == "Schule am Weg (Testdaten)"
    assert item["prev"] == "b1" and item["next"] == "b3"
    with pytest.raises(ProviderItemNotFoundError) as info:
        provider.get("nope")
    assert info.value.http_status_code == 404 and "nope" in info.value.message


# -- create / replace / delete (Part 4) -----------------------------------------------------------


def test_create_transforms_crs84_to_storage_and_indexes(gpkg_path, provider):
    new_id = provider.create(
        json.dumps(feature(name="Neubau (Testdaten)", height=7.5, storeys=2, synthetic=True)).encode()
    )
    assert len(new_id) == 36  # uuid4
    item = provider.get(new_id)
    assert item["properties"]["height"] == 7.5 and item["properties"]["synthetic"] is True
    assert item["geometry"]["type"] == "MultiPolygon"  # promoted to the layer's type
    x, y = _vertex(item["geometry"])
    assert abs(x - (X0 + 50)) < 1e-6 and abs(y - (Y0 + 50)) < 1e-6  # stored in EPSG:25832
    assert matched_ids(provider, bbox=[X0 + 49, Y0 + 49, X0 + 61, Y0 + 59]) == {new_id}
    assert provider.create(feature(), content_crs=None) != new_id
    explicit = provider.create(json.dumps({**feature(), "id": "mein-haus"}))
    assert explicit == "mein-haus"
    assert_rtree_consistent(gpkg_path, "buildings")
    with warnings.catch_warnings():
        warnings.filterwarnings("error", category=RuntimeWarning, module="pyogrio")
        assert pyogrio.read_info(str(gpkg_path), layer="buildings")["features"] == 8


def test_create_in_another_crs(provider, make_provider):
    square = {"type": "Polygon", "coordinates": [[[X0 + 900, Y0], [X0 + 910, Y0], [X0 + 910, Y0 + 10], [X0 + 900, Y0]]]}
    first = provider.create(json.dumps(feature(square)), content_crs=STORAGE)
    assert _vertex(provider.get(first)["geometry"]) == [X0 + 900, Y0]
    legacy = {**feature(square), "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::25832"}}}
    second = provider.create(json.dumps(legacy))
    assert _vertex(provider.get(second)["geometry"]) == [X0 + 900, Y0]
    # Content-Crs EPSG:4326 means lat/lon order.
    lon, lat = lonlat(X0 + 900, Y0)
    lines = make_provider("bp_baugrenze")
    point = lines.create(
        json.dumps(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lat, lon]},
                "properties": {"plan_id": "P1"},
            }
        ),
        content_crs=EPSG4326,
    )
    assert lines.get(point)["geometry"]["coordinates"] == pytest.approx([X0 + 900, Y0], abs=1e-6)
    with pytest.raises(IntakeError, match="unknown CRS"):
        provider.create(json.dumps(feature(square)), content_crs="EPSG:999999")


def test_update_replaces_and_delete_removes(gpkg_path, provider, make_provider):
    lines = make_provider("bp_baugrenze")
    new = {"type": "LineString", "coordinates": [list(lonlat(X0 - 300, Y0)), list(lonlat(X0 - 250, Y0 + 20))]}
    assert (
        lines.update("g1", json.dumps({"type": "Feature", "geometry": new, "properties": {"art": "Baulinie"}})) is True
    )
    item = lines.get("g1")
    assert item["properties"]["art"] == "Baulinie"
    assert item["properties"]["plan_id"] is None  # PUT replaces: left out means null
    assert matched_ids(lines, bbox=[X0 - 310, Y0 - 10, X0 - 240, Y0 + 30]) == {"g1"}
    assert_rtree_consistent(gpkg_path, "bp_baugrenze")
    with pytest.raises(ProviderItemNotFoundError):
        lines.update("nope", json.dumps({"type": "Feature", "geometry": new, "properties": {}}))
    with pytest.raises(IntakeError, match="differs"):
        lines.update("g1", json.dumps({"type": "Feature", "id": "g2", "geometry": new, "properties": {}}))
    assert lines.delete("g1") is True
    with pytest.raises(ProviderItemNotFoundError):
        lines.get("g1")
    with pytest.raises(ProviderItemNotFoundError):
        lines.delete("g1")
    assert_rtree_consistent(gpkg_path, "bp_baugrenze")
    assert lines.query()["numberMatched"] == 1


def test_writes_update_gpkg_contents(gpkg_path, provider):
    conn = connect(gpkg_path)
    before = conn.execute("SELECT max_x, last_change FROM gpkg_contents WHERE table_name = 'buildings'").fetchone()
    far_square = {
        "type": "Polygon",
        "coordinates": [
            [
                list(lonlat(X0 + 9000, Y0)),
                list(lonlat(X0 + 9010, Y0)),
                list(lonlat(X0 + 9010, Y0 + 9)),
                list(lonlat(X0 + 9000, Y0)),
            ]
        ],
    }
    provider.create(json.dumps(feature(far_square)))
    after = conn.execute("SELECT max_x, last_change FROM gpkg_contents WHERE table_name = 'buildings'").fetchone()
    assert after[0] == pytest.approx(X0 + 9010, abs=1e-6) and after[1] >= before[1]
    conn.close()


@pytest.mark.parametrize(
    "body, error, message",
    [
        (b"{not json", IntakeError, "not valid JSON"),
        (json.dumps([1, 2]), IntakeError, "GeoJSON Feature"),
        (json.dumps({"type": "FeatureCollection", "features": []}), IntakeError, "GeoJSON Feature"),
        (json.dumps({"type": "Feature", "properties": {}}), IntakeError, "geometry"),
        (json.dumps({"type": "Feature", "geometry": None, "properties": {}}), IntakeError, "geometry is required"),
        (json.dumps(feature(colour="rot")), IntakeError, "unknown properties.*colour"),
        (json.dumps(feature(fid=1)), IntakeError, "unknown properties.*fid"),
        (json.dumps(feature(height="hoch")), IntakeError, "height"),
        (json.dumps(feature(storeys=2.5)), IntakeError, "storeys"),
        (json.dumps(feature(synthetic="yes")), IntakeError, "synthetic"),
        (
            json.dumps(feature({"type": "Point", "coordinates": [10.0, 53.66]})),
            IntakeError,
            "geometry type 'Point' not accepted here; use MultiPolygon, Polygon",
        ),
        (
            json.dumps(feature({"type": "Polygon", "coordinates": [[[10.0, 53.66], [10.1]]]})),
            IntakeError,
            "malformed geometry",
        ),
        (
            json.dumps(feature({"type": "Polygon", "coordinates": [[[X0, Y0], [X0 + 9, Y0], [X0, Y0 + 9], [X0, Y0]]]})),
            IntakeError,
            "longitude/latitude",
        ),
        (json.dumps(feature({"type": "Polygon", "coordinates": []})), IntakeError, "empty"),
        (json.dumps({**feature(), "id": "b1"}), IntakeConflict, "exists already"),
        (json.dumps({**feature(), "id": "a/b"}), IntakeError, "'/'"),
    ],
)
def test_create_rejects_bad_input_clearly(provider, body, error, message):
    before = provider.query(resulttype="hits")["numberMatched"]
    with pytest.raises(error, match=message) as info:
        provider.create(body)
    assert isinstance(info.value, ProviderInvalidDataError) and isinstance(info.value, ProviderGenericError)
    assert info.value.http_status_code in (400, 409) and info.value.message  # shown to the client
    assert provider.query(resulttype="hits")["numberMatched"] == before


def _bowtie(lonlat_coords=True):
    pts = [(X0 + 700, Y0), (X0 + 720, Y0 + 20), (X0 + 720, Y0), (X0 + 700, Y0 + 20), (X0 + 700, Y0)]
    return {"type": "Polygon", "coordinates": [[list(lonlat(*p)) for p in pts]]}


def test_self_intersecting_polygon_repaired_when_the_type_allows(provider, make_provider):
    new_id = provider.create(json.dumps(feature(_bowtie())))  # MULTIPOLYGON layer: two triangles fit
    geom = shapely.geometry.shape(provider.get(new_id)["geometry"])
    assert geom.is_valid and geom.geom_type == "MultiPolygon" and len(geom.geoms) == 2
    assert geom.area == pytest.approx(200, rel=1e-3)
    raster = make_provider("bp_planraster")  # POLYGON layer: two parts do not fit
    with pytest.raises(IntakeError, match=r"Self-intersection.*cannot be repaired into a POLYGON"):
        raster.create(json.dumps({"type": "Feature", "geometry": _bowtie(), "properties": {"plan_id": "P1"}}))


def test_not_editable_refuses_writes(make_provider):
    provider = make_provider(editable=False)
    with pytest.raises(IntakeError, match="not editable"):
        provider.create(json.dumps(feature()))
    with pytest.raises(IntakeError, match="not editable"):
        provider.delete("b1")
    assert provider.get("b1")


# -- durability ---------------------------------------------------------------------------------------


def _write_until_killed(path: str, out_fd: int) -> None:
    """Child process: create features, report each id only after create() returned."""
    import providers.geopackage_tables as module

    module._LOCAL.__dict__.pop("connections", None)  # never reuse the parent's SQLite connections
    provider = GeoPackageProvider(provider_def(path))
    body = feature(name="Absturztest (Testdaten)")
    with os.fdopen(out_fd, "w") as out:
        for i in range(100_000):
            out.write(provider.create(json.dumps({**body, "id": f"crash{i}"})) + "\n")
            out.flush()


def test_acknowledged_writes_survive_sigkill(gpkg_path):
    read_fd, write_fd = os.pipe()
    pid = os.fork()  # a forked writer starts at once (a fresh interpreter spends seconds importing)
    if pid == 0:
        try:
            os.close(read_fd)
            _write_until_killed(str(gpkg_path), write_fd)
        finally:
            os._exit(0)
    os.close(write_fd)
    acknowledged = []
    with os.fdopen(read_fd) as feed:
        deadline = time.monotonic() + 30
        while len(acknowledged) < 40 and time.monotonic() < deadline:
            line = feed.readline()
            if not line:
                break
            acknowledged.append(line.strip())
        os.kill(pid, signal.SIGKILL)  # mid-write, no clean-up of any kind
        os.waitpid(pid, 0)
    assert len(acknowledged) >= 40
    conn = connect(gpkg_path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stored = {r[0] for r in conn.execute("SELECT id FROM buildings WHERE id LIKE 'crash%'")}
    conn.close()
    assert set(acknowledged) <= stored
    assert_rtree_consistent(gpkg_path, "buildings")


# -- scale ----------------------------------------------------------------------------------------------


def test_bbox_page_on_a_larger_table_is_fast(tmp_path):
    import geopandas as gpd

    n = 20_000
    rng = np.random.default_rng(3)
    xs, ys = X0 + rng.uniform(0, 5000, n), Y0 + rng.uniform(0, 5000, n)
    frame = gpd.GeoDataFrame(
        {"id": [f"s{i}" for i in range(n)], "source": "synthetic:scale", "height": rng.uniform(3, 30, n)},
        geometry=[shapely.MultiPolygon([shapely.box(x, y, x + 12, y + 9)]) for x, y in zip(xs, ys, strict=True)],
        crs=EPSG,
    )
    path = tmp_path / "scale.gpkg"
    with GeoPackageStore(path, epsg=EPSG) as store:
        store.replace({"buildings": frame}, source="synthetic:scale")
    provider = GeoPackageProvider(provider_def(path))
    bbox = [X0 + 1000, Y0 + 1000, X0 + 3500, Y0 + 3500]
    provider.query(limit=1000, bbox=bbox)
    start = time.perf_counter()
    result = provider.query(limit=1000, bbox=bbox)
    elapsed = time.perf_counter() - start
    expected = int(shapely.intersects(np.asarray(frame.geometry.values), shapely.box(*bbox)).sum())
    assert result["numberReturned"] == 1000 and result["numberMatched"] == expected
    assert elapsed < 1.0, elapsed


# -- wired into pygeoapi ----------------------------------------------------------------------------------


def _pygeoapi(gpkg_path):
    from pygeoapi.api import API
    from pygeoapi.openapi import get_oas

    definition = provider_def(gpkg_path)
    definition["name"] = "providers.store.StoreFeatureProvider"  # how api/config.py names it
    config = {
        "server": {
            "url": "http://localhost/oapi",
            "mimetype": "application/json",
            "encoding": "utf-8",
            "languages": ["en-US"],
            "limits": {"default_items": 10, "max_items": 1000},
            "map": {"url": "x", "attribution": "x"},
            "bind": {"host": "127.0.0.1", "port": 0},
        },
        "logging": {"level": "CRITICAL"},
        "metadata": {
            "identification": {
                "title": "t",
                "description": "d",
                "keywords": ["k"],
                "keywords_type": "theme",
                "terms_of_service": "x",
                "url": "x",
            },
            "license": {"name": "x", "url": "x"},
            "provider": {"name": "x", "url": "x"},
            "contact": {"name": "x", "email": "x", "url": "x", "role": "pointOfContact"},
        },
        "resources": {
            "buildings": {
                "type": "collection",
                "title": "Gebäude (Testdaten)",
                "description": "Testdaten",
                "keywords": ["b"],
                "extents": {"spatial": {"bbox": [9, 53, 11, 54], "crs": CRS84}},
                "providers": [definition],
            }
        },
    }
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    try:
        oas = get_oas(config)
        return API(config, oas), oas
    finally:  # pygeoapi configures the root logger; leave it as it was for other tests
        root.setLevel(level)
        root.handlers[:] = handlers


def _request(method="GET", query=None, data=None, content_type=None):
    from pygeoapi.api import APIRequest
    from werkzeug.test import EnvironBuilder
    from werkzeug.wrappers import Request

    builder = EnvironBuilder(
        method=method, query_string=query, data=data, headers={"Content-Type": content_type} if content_type else {}
    )
    return APIRequest.from_flask(Request(builder.get_environ()), ["en-US"])


def test_served_through_pygeoapi(gpkg_path):
    from pygeoapi.api import itemtypes
    from pygeoapi.openapi import validate_openapi_document

    api, oas = _pygeoapi(gpkg_path)
    assert validate_openapi_document(oas)
    west, south = lonlat(X0 - 5, Y0 - 5)
    east, north = lonlat(X0 + 140, Y0 + 30)
    headers, status, body = itemtypes.get_collection_items(
        api, _request(query={"f": "json", "bbox": f"{west},{south},{east},{north}"}), "buildings"
    )
    assert status == 200 and headers["Content-Crs"] == f"<{CRS84}>"
    assert sorted(ids(json.loads(body))) == ["b1", "b2"]
    headers, status, body = itemtypes.get_collection_items(
        api, _request(query={"f": "json", "crs": EPSG4326, "limit": 1}), "buildings"
    )
    lat, lon = _vertex(json.loads(body)["features"][0]["geometry"])
    assert status == 200 and 53.6 < lat < 53.75 and 9.9 < lon < 10.1
    _, status, body = itemtypes.get_collection_items(
        api, _request(query={"f": "json", "filter": "colour = 1"}), "buildings"
    )
    assert status == 400 and "colour" in body
    _, status, _ = itemtypes.get_collection_items(
        api, _request(query={"f": "json", "filter": "name = 'x'' OR 1=1 --'"}), "buildings"
    )
    assert status == 400
    headers, status, _ = itemtypes.manage_collection_item(
        api,
        _request("POST", data=json.dumps(feature(name="API (Testdaten)")), content_type="application/geo+json"),
        "create",
        "buildings",
    )
    assert status == 201 and "/collections/buildings/items/" in headers["Location"]
    _, status, body = itemtypes.manage_collection_item(
        api, _request("POST", data="{kaputt", content_type="application/geo+json"), "create", "buildings"
    )
    assert status == 400 and "not valid JSON" in body
    _, status, body = itemtypes.manage_collection_item(
        api,
        _request("POST", data=json.dumps({**feature(), "id": "b1"}), content_type="application/geo+json"),
        "create",
        "buildings",
    )
    assert status == 409
    _, status, body = itemtypes.get_collection_item(api, _request(query={"f": "json"}), "buildings", "nope")
    assert status == 404


def test_schema_cache_sees_added_columns(gpkg_path, provider):
    conn = connect(gpkg_path)
    conn.execute("ALTER TABLE buildings ADD COLUMN extra_note TEXT")
    conn.close()
    assert "extra_note" in GeoPackageProvider(provider_def(gpkg_path)).fields


def test_concurrent_writers_and_readers(gpkg_path):
    """Threads (as under a threaded server) each with their own connection: no lock errors, nothing lost."""
    import threading

    errors, created = [], []

    def writer(n):
        try:
            provider = GeoPackageProvider(provider_def(gpkg_path))
            for i in range(15):
                created.append(provider.create(json.dumps({**feature(), "id": f"t{n}_{i}"})))
        except Exception as err:  # noqa: BLE001 — collected for the assertion below
            errors.append(err)

    def reader():
        try:
            provider = GeoPackageProvider(provider_def(gpkg_path))
            for _ in range(30):
                result = provider.query(limit=1000, bbox=[X0 - 10, Y0 - 10, X0 + 1000, Y0 + 1000])
                assert result["numberMatched"] == result["numberReturned"]
        except Exception as err:  # noqa: BLE001 — collected for the assertion below
            errors.append(err)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)] + [
        threading.Thread(target=reader) for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert len(created) == 60
    assert GeoPackageProvider(provider_def(gpkg_path)).query(resulttype="hits")["numberMatched"] == 65
    assert_rtree_consistent(gpkg_path, "buildings")
