"""Plan and city-layer collections, procedures and the Abwägung: planners only, for citizens and moderators 401/403."""

import json

import pytest
import requests

from tests.contributions.common import GEOJSON, MODERATOR, PLANNER, SECRET, TIMEOUT

LAYERS = ["bp_plan", "bp_baugebiet", "bp_textabschnitt", "bp_baugrenze", "buildings"]
REFUSED = [
    ({}, 401),
    ({SECRET: "a-citizen-secret-000000000000"}, 401),
    (MODERATOR, 403),
    ({"Authorization": "Bearer wrong"}, 403),
]


def _count(server, collection):
    return requests.get(
        f"{server.api}/collections/{collection}/items", params={"f": "json", "limit": 1}, timeout=TIMEOUT
    ).json()["numberMatched"]


def _feature():
    return {
        "type": "Feature",
        "properties": {"name": "Test"},
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[10.0, 53.67], [10.001, 53.67], [10.001, 53.671], [10.0, 53.67]]],
        },
    }


@pytest.mark.parametrize("collection", LAYERS)
def test_citizens_and_moderators_cannot_write_plan_layers(contrib_server, collection):
    before = _count(contrib_server, collection)
    url = f"{contrib_server.api}/collections/{collection}/items"
    existing = requests.get(url, params={"f": "json", "limit": 1}, timeout=TIMEOUT).json()["features"]
    some_id = existing[0]["id"] if existing else "no-such-item"  # refused before anyone looks it up
    for headers, status in REFUSED:
        assert (
            requests.post(url, data=json.dumps(_feature()), headers={**GEOJSON, **headers}, timeout=TIMEOUT).status_code
            == status
        )
        assert (
            requests.put(
                f"{url}/{some_id}", data=json.dumps(_feature()), headers={**GEOJSON, **headers}, timeout=TIMEOUT
            ).status_code
            == status
        )
        assert requests.delete(f"{url}/{some_id}", headers=headers, timeout=TIMEOUT).status_code == status
        # a feature sent as application/json is a write attempt too
        assert (
            requests.post(
                url,
                data=json.dumps(_feature()),
                headers={"Content-Type": "application/json", **headers},
                timeout=TIMEOUT,
            ).status_code
            == status
        )
    assert _count(contrib_server, collection) == before
    if existing:
        assert requests.get(f"{url}/{some_id}", params={"f": "json"}, timeout=TIMEOUT).status_code == 200


def test_planner_writes_plan_layers(contrib_server):
    url = f"{contrib_server.api}/collections/bp_baugrenze/items"
    body = {
        "type": "Feature",
        "properties": {"plan_id": "TEST", "art": "Baugrenze"},
        "geometry": {"type": "LineString", "coordinates": [[10.0, 53.67], [10.001, 53.671]]},
    }
    r = requests.post(url, data=json.dumps(body), headers={**GEOJSON, **PLANNER}, timeout=TIMEOUT)
    assert r.status_code == 201, r.text
    assert requests.delete(r.headers["Location"], headers=PLANNER, timeout=TIMEOUT).status_code == 200


@pytest.mark.parametrize("headers,status", REFUSED)
def test_only_planners_manage_procedures_and_the_abwaegung(contrib_server, headers, status):
    url = f"{contrib_server.url}/api/procedures"
    assert requests.post(url, json={"scenario_id": "x"}, headers=headers, timeout=TIMEOUT).status_code == status
    assert requests.delete(f"{url}/any", headers=headers, timeout=TIMEOUT).status_code == status
    assert requests.post(f"{url}/any/close", headers=headers, timeout=TIMEOUT).status_code == status
    assert (
        requests.put(
            f"{contrib_server.url}/api/statements/any/abwaegung", json={}, headers=headers, timeout=TIMEOUT
        ).status_code
        == status
    )
    for path in ("procedures/any/abwaegung.xlsx", "audit", "answer-templates"):
        assert (
            requests.get(f"{contrib_server.url}/api/{path}", headers=headers, timeout=TIMEOUT).status_code == status
        ), path
