"""Requests the schemathesis fuzzing (tests/hard/test_fuzz.py) answered with a 5xx, kept as regression tests.

Bad input is the client's error: 400 (or 404 for a tile or item that cannot exist),
never 500.
"""

import json

import pytest
import requests

from tests.conftest import PLANNER_TOKEN

TIMEOUT = 30


def _get(server, path: str, **params) -> requests.Response:
    return requests.get(f"{server.api}/{path}", params=params, timeout=TIMEOUT)


@pytest.mark.parametrize("query", [{"z_zwingend": "true"}, {"bmz": "abc"}, {"grz_max": "[608]"}, {"z": "1.5"}])
def test_property_value_of_the_wrong_type_is_a_400(api_server, query):
    r = _get(api_server, "collections/bp_baugebiet/items", f="json", **query)
    assert r.status_code == 400, r.text[:300]


def test_datetime_property_that_is_no_datetime_is_a_400(api_server):
    r = _get(api_server, "collections/bp_plan/items", f="json", imported_at="")
    assert r.status_code == 400, r.text[:300]


def test_datetime_on_a_collection_without_time_field_is_a_400(api_server):
    r = _get(api_server, "collections/bp_plan/items", f="json", datetime="2020-01-01")
    assert r.status_code == 400, r.text[:300]


def test_offset_beyond_what_a_database_counts_is_a_400(api_server):
    r = _get(api_server, "collections/streets/items", f="json", offset="32589158477190044731")
    assert r.status_code == 400, r.text[:300]


def test_3d_bbox_finds_what_the_2d_bbox_finds(api_server):
    flat = _get(api_server, "collections/buildings/items", f="json", limit=1, bbox="13.38,52.50,13.42,52.53")
    deep = _get(api_server, "collections/buildings/items", f="json", limit=1, bbox="13.38,52.50,-100,13.42,52.53,500")
    assert flat.status_code == deep.status_code == 200, deep.text[:300]
    assert deep.json()["numberMatched"] == flat.json()["numberMatched"] > 0
    empty = _get(api_server, "collections/bp_bereich/items", f="json", bbox="0,0,0,0,0,0")
    assert empty.status_code == 200, empty.text[:300]


@pytest.mark.parametrize("query", [{"name": "a\x00b"}, {"filter": "name = 'a\x00b'"}, {"filter": "storeys = 'abc'"}])
def test_odd_values_in_filters_are_no_server_error(api_server, query):
    r = _get(api_server, "collections/buildings/items", f="json", **query)
    assert r.status_code in (200, 400), r.text[:300]


def test_item_id_with_a_nul_character_is_a_404(api_server):
    r = requests.get(f"{api_server.api}/collections/buildings/items/ab%00c", params={"f": "json"}, timeout=TIMEOUT)
    assert r.status_code == 404, r.text[:300]


@pytest.mark.parametrize(
    "tile", ["WebMercatorQuad/abc/1/2", "WebMercatorQuad/99/1/2", "NoSuchSet/1/1/2", "WebMercatorQuad/-1/0/0"]
)
def test_tile_that_cannot_exist_is_a_404_or_400(api_server, tile):
    r = _get(api_server, f"collections/buildings/tiles/{tile}", f="pbf")
    assert r.status_code in (400, 404), r.text[:300]


def test_coverage_bbox_outside_the_raster_is_no_server_error(api_server):
    r = _get(api_server, "collections/dem/coverage", bbox="0,0,0,0")
    assert r.status_code == 400, r.text[:300]
    r = _get(api_server, "collections/dem/coverage", bbox="-97.4,32.6,0,-97.3,32.7,10")
    assert r.status_code == 400, r.text[:300]
    r = _get(api_server, "collections/dem/coverage", bbox="6.1e16,5.9e16,0.0,0.0")  # miny > maxy
    assert r.status_code == 400, r.text[:300]


# -- write routes (tests/hard/test_fuzz.py::test_generated_write_requests_never_get_a_server_error) ---------


PLANNER = {"Authorization": f"Bearer {PLANNER_TOKEN}"}


def _post(server, path: str, body, content_type: str = "application/json", **headers) -> requests.Response:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return requests.post(
        f"{server.api}/{path}", data=data, headers={"Content-Type": content_type, **headers}, timeout=TIMEOUT
    )


def test_cql2_json_query_body_that_is_not_utf8_is_a_400(api_server):
    r = _post(api_server, "collections/buildings/items", b"\xbf|C\xa3\xc9u")
    assert r.status_code == 400, r.text[:300]
    assert "UTF-8" in r.json()["description"]


@pytest.mark.parametrize(
    "body", [b"\xbf|C\xa3", b"0", b"-74310", b"[]", b'"x"', b'{"inputs": [1]}', b'{"inputs": "abc"}']
)
@pytest.mark.parametrize("process", ["run-scenario", "area-indicators"])
def test_execute_request_that_is_no_json_object_is_a_400(api_server, process, body):
    r = _post(api_server, f"processes/{process}/execution", body)
    assert r.status_code == 400, r.text[:300]


@pytest.mark.parametrize(
    "subscriber",
    [
        "x",
        {"successUri": "https://unreachable.invalid/done"},
        {"successUri": "https://a.invalid/", "inProgressUri": "https://b.invalid/"},
    ],
)
def test_execute_request_with_a_subscriber_is_a_400(api_server, subscriber):
    r = _post(
        api_server, "processes/run-scenario/execution", {"inputs": {"scenario": "baseline"}, "subscriber": subscriber}
    )
    assert r.status_code == 400, r.text[:300]
    assert "subscriber" in r.json()["description"]
    conformance = requests.get(f"{api_server.api}/conformance", params={"f": "json"}, timeout=TIMEOUT).json()
    assert not any(c.endswith("/conf/callback") for c in conformance["conformsTo"])


@pytest.mark.parametrize(
    "query",
    [
        -179,
        -26946.1,
        "",
        [],
        {"property": "name"},
        {"op": "and", "args": [5, {"op": "=", "args": [{"property": "name"}, "x"]}]},
        {"op": "not", "args": ["x"]},
    ],
)
def test_cql2_json_query_that_is_no_condition_is_a_400(api_server, query):
    r = _post(api_server, "collections/buildings/items", query)
    assert r.status_code == 400, r.text[:300]


def test_cql2_json_query_that_is_a_condition_still_works(api_server):
    r = requests.post(
        f"{api_server.api}/collections/buildings/items",
        params={"f": "json", "limit": 1},
        data=json.dumps({"op": ">=", "args": [{"property": "storeys"}, 1]}),
        headers={"Content-Type": "application/json"},
        timeout=TIMEOUT,
    )
    assert r.status_code == 200, r.text[:300]
    assert r.json()["numberMatched"] > 0


@pytest.mark.parametrize("value", [6483587450067370788179408846848, 2**63, -(2**63) - 1, 3e30])
def test_integer_property_beyond_64_bits_is_a_400(api_server, value):
    feature = {
        "type": "Feature",
        "properties": {"storeys": value},
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[13.40, 52.52], [13.401, 52.52], [13.401, 52.521], [13.40, 52.52]]],
        },
    }
    before = requests.get(
        f"{api_server.api}/collections/buildings/items", params={"f": "json", "limit": 1}, timeout=TIMEOUT
    ).json()
    r = _post(api_server, "collections/buildings/items", feature, "application/geo+json", **PLANNER)
    assert r.status_code == 400, r.text[:300]
    target = before["features"][0]["id"]
    r = requests.put(
        f"{api_server.api}/collections/buildings/items/{target}",
        data=json.dumps(feature),
        headers={"Content-Type": "application/geo+json", **PLANNER},
        timeout=TIMEOUT,
    )
    assert r.status_code == 400, r.text[:300]
    after = requests.get(
        f"{api_server.api}/collections/buildings/items", params={"f": "json", "limit": 1}, timeout=TIMEOUT
    ).json()
    assert after["numberMatched"] == before["numberMatched"]


def test_real_property_beyond_float_range_is_a_400(api_server):
    feature = {
        "type": "Feature",
        "properties": {"height": 10**400},
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[13.40, 52.52], [13.401, 52.52], [13.401, 52.521], [13.40, 52.52]]],
        },
    }
    r = requests.post(
        f"{api_server.api}/collections/buildings/items",
        data=json.dumps(feature),
        headers={"Content-Type": "application/geo+json", **PLANNER},
        timeout=TIMEOUT,
    )
    assert r.status_code == 400, r.text[:300]


@pytest.mark.parametrize("properties", [{"storeys": 2**31}, {"storeys": -(2**31) - 1}, {"name": "a\x00b"}])
def test_value_postgis_cannot_store_is_a_400_on_both_stores(api_server, properties):
    """PostgreSQL's integer is 32 bits and its text holds no NUL; the GeoPackage, which could store both
    (64-bit INTEGER), refuses them too, so a feature one store takes the other takes as well."""
    feature = {
        "type": "Feature",
        "properties": properties,
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[13.40, 52.52], [13.401, 52.52], [13.401, 52.521], [13.40, 52.52]]],
        },
    }
    r = _post(api_server, "collections/buildings/items", feature, "application/geo+json", **PLANNER)
    assert r.status_code == 400, r.text[:300]
    assert repr(next(iter(properties))) in r.json()["description"]


@pytest.mark.parametrize(
    "geometry",
    [
        {"type": "Polygon", "coordinates": [[[13.40, 52.52], [13.40, 52.52], [13.40, 52.52], [13.40, 52.52]]]},
        {"type": {"a": 1}, "coordinates": [13.40, 52.52]},
        {"type": "Polygon", "coordinates": "abc"},
    ],
)
def test_refused_feature_says_why(api_server, geometry):
    """A refused feature's 400 names the problem on both stores (PostGIS said 'generic error (check logs)')."""
    feature = {"type": "Feature", "properties": {"name": "x"}, "geometry": geometry}
    r = _post(api_server, "collections/buildings/items", feature, "application/geo+json", **PLANNER)
    assert r.status_code == 400, r.text[:300]
    description = r.json()["description"]
    assert "geometry" in description and "generic error" not in description, description


def test_contribution_kind_that_is_no_string_says_so(api_server):
    feature = {
        "type": "Feature",
        "properties": {"kind": {"a": 1}, "text": "Hallo"},
        "geometry": {"type": "Point", "coordinates": [10.0, 53.67]},
    }
    r = _post(api_server, "collections/contributions/items", feature, "application/geo+json")
    assert r.status_code == 400, r.text[:300]
    assert "'kind'" in r.json()["description"], r.text[:300]


@pytest.mark.parametrize("identifier", [{}, [1], "a\x00b", {"a": "b"}])
def test_feature_id_that_is_no_text_or_has_control_characters_is_a_400(api_server, identifier):
    feature = {
        "type": "Feature",
        "id": identifier,
        "properties": {"name": "x"},
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[13.40, 52.52], [13.401, 52.52], [13.401, 52.521], [13.40, 52.52]]],
        },
    }
    r = _post(api_server, "collections/buildings/items", feature, "application/geo+json", **PLANNER)
    assert r.status_code == 400, r.text[:300]
    assert "id" in r.json()["description"], r.text[:300]


def test_identifier_property_with_a_nul_character_is_a_400(api_server):
    feature = {
        "type": "Feature",
        "properties": {"identifier": "a\x00b", "highway": "residential"},
        "geometry": {"type": "LineString", "coordinates": [[13.40, 52.52], [13.401, 52.521]]},
    }
    r = _post(api_server, "collections/streets/items", feature, "application/geo+json", **PLANNER)
    assert r.status_code == 400, r.text[:300]


@pytest.mark.parametrize("item", ["variant/zone-1", "a/b/c"])
def test_replacing_an_item_whose_id_holds_a_slash_checks_the_body_too(api_server, item):
    """Stored variants' rows have ids with '/'; the access checks (body is UTF-8 JSON) apply to them as well."""
    r = requests.put(
        f"{api_server.api}/collections/scenario_zone_indicators/items/{item}",
        data=b"\xceZE\x93e",
        headers={"Content-Type": "application/geo+json", **PLANNER},
        timeout=TIMEOUT,
    )
    assert r.status_code == 400, r.text[:300]
    r = requests.put(
        f"{api_server.api}/collections/scenario_zone_indicators/items/{item}",
        data=b"{}",
        headers={"Content-Type": "application/geo+json"},
        timeout=TIMEOUT,
    )
    assert r.status_code == 401, r.text[:300]


#: A polygon collapsed to one point beside a self-intersecting one: GEOS's make_valid gives up on it.
UNREPAIRABLE = {
    "type": "MultiPolygon",
    "coordinates": [
        [
            [[10.0, 53.67], [10.0, 53.67], [10.0, 53.67], [10.0, 53.67]],
            [[10.001, 53.671], [10.003, 53.669], [10.001, 53.669], [10.003, 53.671]],
        ]
    ],
}


def test_geometry_geos_cannot_repair_is_a_400(api_server):
    feature = {"type": "Feature", "properties": {}, "geometry": UNREPAIRABLE}
    r = _post(api_server, "collections/bp_textabschnitt/items", feature, "application/geo+json", **PLANNER)
    assert r.status_code == 400, r.text[:300]
    assert "repaired" in r.json()["description"], r.text[:300]
    feature = {
        "type": "Feature",
        "properties": {"kind": "maengelmeldung", "text": "Schlagloch"},
        "geometry": UNREPAIRABLE,
    }
    r = _post(api_server, "collections/contributions/items", feature, "application/geo+json")
    assert r.status_code == 400, r.text[:300]
    assert "repar" in r.json()["description"], r.text[:300]  # reached the repair, not refused before


@pytest.mark.parametrize("identifier", [0, 517])
def test_feature_id_that_is_a_number_is_no_server_error(api_server, identifier):
    """A numeric id in a POSTed feature (the id column is text); the body is refused for its geometry."""
    feature = {
        "type": "Feature",
        "id": identifier,
        "properties": {},
        "geometry": {"type": "Polygon", "coordinates": 0.0},
    }
    r = _post(api_server, "collections/bp_planraster/items", feature, "application/geo+json", **PLANNER)
    assert r.status_code == 400, r.text[:300]


@pytest.mark.parametrize("properties", ["3", ["id", "x"], 7])
def test_properties_that_are_no_object_are_a_400(api_server, properties):
    """Found by the write fuzzing after PUT learned to take a feature's own id among its properties."""
    feature = {
        "type": "Feature",
        "id": "fuzz-props",
        "properties": properties,
        "geometry": {"type": "Point", "coordinates": [13.40, 52.52]},
    }
    r = _post(api_server, "collections/bp_textabschnitt/items", feature, "application/geo+json", **PLANNER)
    assert r.status_code == 400, r.text[:300]
    assert "propert" in r.json()["description"], r.text[:300]
