"""One verdict for a bad feature on both stores: the same corpus through POST and PUT of a plan layer
(``bp_baugebiet``) and of contributions, each answered with the same status and the same message.

The expected answer is the intake's own (``intake/``), computed here without a server from the
same input; the server runs once per store (``contrib_server``), so a store whose provider checked
differently (as the GeoPackage and PostGIS providers did: ids with '/', repairs) fails here.
"""

from __future__ import annotations

import json

import pyproj
import pytest
import requests

from intake.errors import IntakeError
from intake.feature import check_properties, new_id, replacing_id
from intake.geometry import check_geometry
from providers.contribution_model import checked_place, clean_properties
from schema.catalog import LAYERS
from tests.contributions.common import GEOJSON, INSIDE, MODERATOR, PLANNER, TIMEOUT, created, get_item, item_url

LON, LAT = INSIDE
STORAGE = pyproj.CRS.from_epsg(25832)
ZONES = "bp_baugebiet"


def _square(size: float = 0.001) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [[[LON, LAT], [LON + size, LAT], [LON + size, LAT + size], [LON, LAT + size], [LON, LAT]]],
    }


#: A polygon with a spike: repaired it would lose the spike, so it is refused on every path.
SPIKE = {
    "type": "Polygon",
    "coordinates": [
        [
            [LON, LAT],
            [LON + 0.002, LAT],
            [LON + 0.002, LAT + 0.001],
            [LON + 0.003, LAT + 0.001],
            [LON + 0.002, LAT + 0.001],
            [LON + 0.002, LAT + 0.002],
            [LON, LAT + 0.002],
            [LON, LAT],
        ]
    ],
}
OUT_OF_RANGE = {"type": "Polygon", "coordinates": [[[200.0, 95.0], [201.0, 95.0], [201.0, 96.0], [200.0, 95.0]]]}


def _triangles(n: int) -> dict:
    return {
        "type": "MultiPolygon",
        "coordinates": [
            [[[LON + k * 2e-5, LAT], [LON + k * 2e-5 + 1e-5, LAT], [LON + k * 2e-5, LAT + 1e-5], [LON + k * 2e-5, LAT]]]
            for k in range(n)
        ],
    }


# -- the plan layer ------------------------------------------------------------------------------------------

#: case -> (body changes, the needle every answer must hold besides the intake's exact message)
ZONE_CASES = {
    "id with '/'": ({"id": "a/b"}, "'/'"),
    "coordinates out of range": ({"geometry": OUT_OF_RANGE}, "longitude/latitude"),
    "wrong geometry type": ({"geometry": {"type": "Point", "coordinates": [LON, LAT]}}, "not accepted"),
    "self-intersection that repair cannot keep": ({"geometry": SPIKE}, "Self-intersection"),
    "too many parts": ({"geometry": _triangles(1_001)}, "too many parts (1001, at most 1000)"),
    "unknown property": ({"properties": {"colour": "rot"}}, "unknown properties ['colour']"),
    "read-only property (the id) differing": (
        {"id": "zone-intake-x", "properties": {"id": "zone-intake-y"}},
        "differs",
    ),
    "wrong type": ({"properties": {"grz": "hoch"}}, "'grz'"),
}


def _zone(**changes) -> dict:
    body = {"type": "Feature", "geometry": _square(), "properties": {"plan_id": "INTAKE-TEST", "grz": 0.4}}
    for key, value in changes.items():
        body[key] = {**body[key], **value} if key == "properties" else value
    return body


def _expected_zone(body: dict, replacing: str | None) -> IntakeError:
    """What the intake says of ``body`` (as the providers call it), without a server."""
    layer = LAYERS[ZONES]
    try:
        identifier = replacing_id(body, replacing) if replacing else new_id(body.get("id"))
        check_properties(dict(body["properties"]), layer.columns, "id", identifier)
        check_geometry(body["geometry"], layer.geometry_type, target=STORAGE, collection=ZONES)
    except IntakeError as err:
        return err
    raise AssertionError("the corpus case is no bad input")


@pytest.fixture(scope="module")
def zone_id(contrib_server):
    url = f"{contrib_server.api}/collections/{ZONES}/items"
    r = requests.post(url, data=json.dumps(_zone()), headers={**GEOJSON, **PLANNER}, timeout=TIMEOUT)
    assert r.status_code == 201, r.text[:300]
    yield r.headers["Location"].rsplit("/", 1)[-1]
    requests.delete(r.headers["Location"], headers=PLANNER, timeout=TIMEOUT)


@pytest.mark.parametrize("method", ["POST", "PUT"])
@pytest.mark.parametrize("case", ZONE_CASES)
def test_plan_layer_refuses_the_same_way_on_both_stores(contrib_server, zone_id, case, method):
    changes, needle = ZONE_CASES[case]
    body = _zone(**changes)
    url = f"{contrib_server.api}/collections/{ZONES}/items"
    if method == "PUT":
        url += f"/{zone_id}"
    before = requests.get(
        f"{url.rsplit('/items', 1)[0]}/items", params={"f": "json", "limit": 1}, timeout=TIMEOUT
    ).json()["numberMatched"]
    r = requests.request(method, url, data=json.dumps(body), headers={**GEOJSON, **PLANNER}, timeout=TIMEOUT)
    expected = _expected_zone(body, zone_id if method == "PUT" else None)
    assert (r.status_code, r.json()["description"]) == (expected.http_status_code, expected.message), r.text[:400]
    assert expected.http_status_code == 400 and (needle in expected.message or method == "PUT")
    assert " / " in expected.message  # German / English
    after = requests.get(
        f"{url.rsplit('/items', 1)[0]}/items", params={"f": "json", "limit": 1}, timeout=TIMEOUT
    ).json()["numberMatched"]
    assert after == before


def test_plan_layer_id_taken_is_a_409_on_both_stores(contrib_server, zone_id):
    r = requests.post(
        f"{contrib_server.api}/collections/{ZONES}/items",
        data=json.dumps(_zone(id=zone_id)),
        headers={**GEOJSON, **PLANNER},
        timeout=TIMEOUT,
    )
    assert r.status_code == 409 and "exists already" in r.json()["description"] and " / " in r.json()["description"]


def test_plan_layer_repairs_a_bow_tie_alike_on_both_stores(contrib_server):
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[LON, LAT], [LON + 0.002, LAT + 0.002], [LON + 0.002, LAT], [LON, LAT + 0.002], [LON, LAT]]],
    }
    url = f"{contrib_server.api}/collections/{ZONES}/items"
    r = requests.post(url, data=json.dumps(_zone(geometry=bowtie)), headers={**GEOJSON, **PLANNER}, timeout=TIMEOUT)
    assert r.status_code == 201, r.text[:300]
    stored = requests.get(r.headers["Location"], params={"f": "json"}, timeout=TIMEOUT).json()["geometry"]
    requests.delete(r.headers["Location"], headers=PLANNER, timeout=TIMEOUT)
    assert stored["type"] == "MultiPolygon" and len(stored["coordinates"]) == 2


# -- contributions -----------------------------------------------------------------------------------------

CONTRIBUTION_CASES = {
    "coordinates out of range": ({"geometry": {"type": "Point", "coordinates": [200.0, 95.0]}}, "longitude/latitude"),
    "wrong geometry type": ({"geometry": {"type": "GeometryCollection", "geometries": []}}, "not accepted"),
    "self-intersection that repair cannot keep": ({"geometry": SPIKE}, "Self-intersection"),
    "too many parts": (
        {"geometry": {"type": "MultiPoint", "coordinates": [[LON + k * 1e-5, LAT] for k in range(101)]}},
        "too many parts (101, at most 100)",
    ),
    "unknown property": ({"properties": {"colour": "rot"}}, "unknown properties ['colour']"),
    "wrong type": ({"properties": {"text": 42}}, "'text' must be a string"),
}


def _contribution(**changes) -> dict:
    body = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": INSIDE},
        "properties": {"text": "Intake-Test (Testbeitrag)"},
    }
    for key, value in changes.items():
        body[key] = {**body[key], **value} if key == "properties" else value
    return body


def _expected_contribution(body: dict) -> IntakeError:
    try:
        clean_properties(body["properties"])
        checked_place(body["geometry"])
    except IntakeError as err:
        return err
    raise AssertionError("the corpus case is no bad input")


@pytest.fixture(scope="module")
def contribution_id(contrib_server):
    cid, _ = created(contrib_server, body=_contribution())
    return cid


@pytest.mark.parametrize("method", ["POST", "PUT"])
@pytest.mark.parametrize("case", CONTRIBUTION_CASES)
def test_contributions_refuse_the_same_way_on_both_stores(contrib_server, contribution_id, case, method):
    changes, needle = CONTRIBUTION_CASES[case]
    body = _contribution(**changes)
    url = f"{contrib_server.api}/collections/contributions/items"
    if method == "PUT":
        url = item_url(contrib_server, contribution_id)
    r = requests.request(method, url, data=json.dumps(body), headers={**GEOJSON, **MODERATOR}, timeout=TIMEOUT)
    expected = _expected_contribution(body)
    assert (r.status_code, r.json()["description"]) == (expected.http_status_code, expected.message), r.text[:400]
    assert needle in expected.message and " / " in expected.message


def test_contribution_put_with_another_id_is_refused_alike(contrib_server, contribution_id):
    r = requests.put(
        item_url(contrib_server, contribution_id),
        data=json.dumps({**_contribution(), "id": "a/b"}),
        headers={**GEOJSON, **MODERATOR},
        timeout=TIMEOUT,
    )
    with pytest.raises(IntakeError) as expected:
        replacing_id({"id": "a/b"}, contribution_id)
    assert (r.status_code, r.json()["description"]) == (400, expected.value.message)


def test_contribution_read_only_fields_are_ignored_alike(contrib_server):
    """Server fields sent back (a feature read, edited, sent again) are not refused, and not taken either."""
    cid, _ = created(
        contrib_server,
        body=_contribution(
            properties={"like_count": 999, "status": "eingereicht", "created_at": "2000-01-01T00:00:00Z"}
        ),
    )
    props = get_item(contrib_server, cid, MODERATOR).json()["properties"]
    assert props["like_count"] == 0 and not props["created_at"].startswith("2000")
