"""The intake on its own (``intake/``): pure functions, no server, no store."""

from __future__ import annotations

import pyproj
import pytest
import shapely

from intake.errors import IntakeConflict, IntakeError
from intake.feature import check_properties, existing_id, new_id, parse_body, replacing_id
from intake.geometry import FEATURE_LIMITS, PLACE_LIMITS, check_geometry, read_geometry, source_crs
from intake.messages import message

STORAGE = pyproj.CRS.from_epsg(25832)
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[10.0, 53.67], [10.001, 53.67], [10.001, 53.671], [10.0, 53.671], [10.0, 53.67]]],
}


def refusal(func, *args, **kwargs) -> IntakeError:
    with pytest.raises(IntakeError) as info:
        func(*args, **kwargs)
    assert info.value.http_status_code in (400, 409) and " / " in info.value.message
    return info.value


@pytest.mark.parametrize("value", ["a/b", "a b", "", ".", "..", "x" * 129, "ä", "a?b", "a#b", "a\x00"])
def test_new_ids_are_path_segments_without_escaping(value):
    assert refusal(new_id, value).key == "id_new"


@pytest.mark.parametrize("value", ["b1", "GML_5f1c-2a", "urn-x.y~z", 517, "x" * 128])
def test_new_ids_accepted(value):
    assert new_id(value) == str(value)


def test_new_id_is_a_uuid_when_none_is_sent_and_existing_ids_stay_editable():
    assert len(new_id(None)) == 36
    assert existing_id("variant/zone-1") == "variant/zone-1"  # ids imports made
    assert refusal(existing_id, "a\x00b").key == "id_existing"
    assert refusal(existing_id, {"a": 1}).key == "id_type"
    assert refusal(replacing_id, {"id": "other"}, "b1").key == "id_differs"


@pytest.mark.parametrize(
    "body, key",
    [
        (b"{nope", "body_json"),
        ("[1]", "body_feature"),
        ({"type": "FeatureCollection"}, "body_feature"),
        ({"type": "Feature", "properties": "3"}, "properties_object"),
    ],
)
def test_bodies(body, key):
    assert refusal(parse_body, body).key == key


def test_properties():
    kinds = {"id": "text", "name": "text", "storeys": "integer", "height": "real", "ok": "boolean", "on": "date"}
    assert check_properties(
        {"name": "x", "storeys": 3.0, "height": 2, "id": "b1", "identifier": "b1"}, kinds, identifier="b1"
    ) == {"name": "x", "storeys": 3, "height": 2.0}
    assert refusal(check_properties, {"colour": "rot", "b": 1}, kinds).message.endswith(
        "unknown properties ['b', 'colour']; allowed: name, storeys, height, ok, on"
    )
    assert "'storeys' (integer)" in refusal(check_properties, {"storeys": 2**31}, kinds).message
    assert "'ok'" in refusal(check_properties, {"ok": "yes"}, kinds).message
    assert "'on'" in refusal(check_properties, {"on": "gestern"}, kinds).message
    assert "'name'" in refusal(check_properties, {"name": "a\x00"}, kinds).message
    assert refusal(check_properties, {"id": "b2"}, kinds, identifier="b1").key == "id_property_differs"
    assert check_properties({"status": "x"}, kinds, readonly=frozenset({"status"})) == {}


@pytest.mark.parametrize(
    "geometry, geometry_type, key",
    [
        (None, "MULTIPOLYGON", "geometry_required"),
        ([1, 2], "MULTIPOLYGON", "geometry_object"),
        ({"type": "Point", "coordinates": [10.0, 53.67]}, "MULTIPOLYGON", "geometry_type"),
        ({"type": "GeometryCollection", "geometries": []}, "GEOMETRY", "geometry_type"),
        ({"type": "Polygon", "coordinates": "abc"}, "POLYGON", "geometry_malformed"),
        ({"type": "Polygon", "coordinates": []}, "POLYGON", "geometry_empty"),
        ({"type": "Point", "coordinates": [10.0, 95.0]}, "POINT", "geometry_range"),
        (
            {
                "type": "MultiPolygon",
                "coordinates": [
                    SQUARE["coordinates"],
                    [[[10.01, 53.67], [10.011, 53.67], [10.011, 53.671], [10.01, 53.67]]],
                ],
            },
            "POLYGON",
            "geometry_wrong_type",
        ),
    ],
)
def test_geometry_refusals(geometry, geometry_type, key):
    assert refusal(check_geometry, geometry, geometry_type, target=STORAGE).key == key


def test_geometry_is_transformed_fitted_and_2d():
    geom = check_geometry(
        {**SQUARE, "coordinates": [[[*c, 12.0] for c in SQUARE["coordinates"][0]]]}, "MULTIPOLYGON", target=STORAGE
    )
    assert geom.geom_type == "MultiPolygon" and not geom.has_z and 566_000 < geom.centroid.x < 567_000
    assert check_geometry(SQUARE, None) is None  # a collection without geometry


def test_one_repair_keeps_what_was_drawn_or_refuses():
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[10.0, 53.67], [10.002, 53.672], [10.002, 53.67], [10.0, 53.672], [10.0, 53.67]]],
    }
    repaired = check_geometry(bowtie, "MULTIPOLYGON", target=STORAGE)
    assert repaired.is_valid and len(repaired.geoms) == 2
    assert refusal(check_geometry, bowtie, "POLYGON", target=STORAGE).key == "geometry_unrepairable"
    spike = {
        "type": "Polygon",
        "coordinates": [
            [
                [10.0, 53.67],
                [10.002, 53.67],
                [10.002, 53.671],
                [10.003, 53.671],
                [10.002, 53.671],
                [10.002, 53.672],
                [10.0, 53.672],
                [10.0, 53.67],
            ]
        ],
    }
    error = refusal(check_geometry, spike, "MULTIPOLYGON", target=STORAGE)
    assert error.key == "geometry_unrepairable" and "Self-intersection" in error.message
    collapsed = {
        "type": "MultiPolygon",
        "coordinates": [
            [
                [[10.0, 53.67], [10.0, 53.67], [10.0, 53.67], [10.0, 53.67]],
                [[10.001, 53.671], [10.003, 53.669], [10.001, 53.669], [10.003, 53.671]],
            ]
        ],
    }
    assert refusal(check_geometry, collapsed, "MULTIPOLYGON", target=STORAGE).key == "geometry_unrepairable"


def test_limits():
    points = {"type": "MultiPoint", "coordinates": [[10.0 + k * 1e-5, 53.67] for k in range(101)]}
    assert read_geometry(points, limits=FEATURE_LIMITS)
    assert refusal(read_geometry, points, limits=PLACE_LIMITS).message.endswith(
        "the geometry has too many parts (101, at most 100)"
    )
    earth = {"type": "Polygon", "coordinates": [[[-180, -90], [180, -90], [180, 90], [-180, 90], [-180, -90]]]}
    assert refusal(read_geometry, earth, limits=PLACE_LIMITS).key == "geometry_area"
    line = {"type": "LineString", "coordinates": [[10.0 + k * 1e-6, 53.67] for k in range(10_001)]}
    assert refusal(read_geometry, line, limits=PLACE_LIMITS).key == "geometry_vertices"


def test_source_crs():
    assert source_crs({}).to_string() == "OGC:CRS84"
    legacy = {"crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::25832"}}}
    assert source_crs(legacy).to_epsg() == 25832
    assert refusal(source_crs, {}, "EPSG:999999").key == "crs_unknown"
    lat_lon = read_geometry({"type": "Point", "coordinates": [53.67, 10.0]}, "POINT", source=pyproj.CRS.from_epsg(4326))
    assert (
        check_geometry(
            {"type": "Point", "coordinates": [53.67, 10.0]}, "POINT", target=STORAGE, source=pyproj.CRS.from_epsg(4326)
        ).distance(check_geometry({"type": "Point", "coordinates": [10.0, 53.67]}, "POINT", target=STORAGE))
        < 1e-6
    )
    assert isinstance(lat_lon, shapely.Point)


def test_error_family():
    conflict = IntakeConflict.of("id_exists", id="b1", collection="buildings")
    assert (conflict.http_status_code, conflict.ogc_exception_code) == (409, "Conflict")
    assert isinstance(conflict, IntakeError) and conflict.user_msg == conflict.message == message(
        "id_exists", id="b1", collection="buildings"
    )
