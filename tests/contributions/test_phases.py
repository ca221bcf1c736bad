"""/api/participation-phases: public list, planner writes, validation; phases and contributions survive a re-import."""

import requests

from tests.conftest import PLANNER_TOKEN
from tests.contributions.common import MODERATOR, TIMEOUT, create, created, feature, get_item

PLANNER = {"Authorization": f"Bearer {PLANNER_TOKEN}"}


def url(server, suffix=""):
    return f"{server.url}/api/participation-phases{suffix}"


def test_phases_are_public_with_open_now(contrib_server):
    phases = requests.get(url(contrib_server), timeout=TIMEOUT).json()["phases"]
    by_plan = {p["plan_id"]: p for p in phases if p["plan_id"]}
    assert by_plan[contrib_server.plans["open"]]["open_now"] is True
    assert by_plan[contrib_server.plans["closed"]]["open_now"] is False
    one = requests.get(url(contrib_server), params={"plan_id": contrib_server.plans["closed"]}, timeout=TIMEOUT)
    assert [p["plan_id"] for p in one.json()["phases"]] == [contrib_server.plans["closed"]]


def test_scenario_phase_lifecycle(contrib_server):
    body = feature(scenario_id="langenhorn_nachverdichtung", kind="vorschlag")
    assert create(contrib_server, body).status_code == 403  # no phase for the scenario yet
    r = create(contrib_server, feature(scenario_id="no_such_variant", kind="vorschlag"), MODERATOR)
    assert r.status_code == 400 and "no planning variant 'no_such_variant'" in r.json()["description"]
    r = requests.post(url(contrib_server), json={"scenario_id": "langenhorn_nachverdichtung",
                                                 "opens_at": "2020-01-01T00:00:00Z", "title": "Szenario"},
                      headers=PLANNER, timeout=TIMEOUT)
    assert r.status_code == 201 and r.json()["open_now"] is True
    phase = r.json()["id"]
    assert create(contrib_server, body).status_code == 201
    r = requests.put(url(contrib_server, f"/{phase}"), json={"scenario_id": "langenhorn_nachverdichtung",
                                                              "closes_at": "2021-01-01T00:00:00Z"},
                     headers=PLANNER, timeout=TIMEOUT)
    assert r.status_code == 200 and r.json()["open_now"] is False
    assert create(contrib_server, body).status_code == 403
    assert requests.delete(url(contrib_server, f"/{phase}"), headers=PLANNER, timeout=TIMEOUT).status_code == 200
    assert requests.delete(url(contrib_server, f"/{phase}"), headers=PLANNER, timeout=TIMEOUT).status_code == 404


def test_phase_validation(contrib_server):
    for body in ({"opens_at": "2025-02-01T00:00:00Z", "closes_at": "2025-01-01T00:00:00Z"},
                 {"opens_at": "soon"}, {"plan_id": "GML_nope"}, {"plan_id": "a", "scenario_id": "b"},
                 {"unknown": 1}, []):
        r = requests.post(url(contrib_server), json=body, headers=PLANNER, timeout=TIMEOUT)
        assert r.status_code == 400, (body, r.text)
    r = requests.post(url(contrib_server), data="{bad", headers={**PLANNER, "Content-Type": "application/json"},
                      timeout=TIMEOUT)
    assert r.status_code == 400
    assert requests.put(url(contrib_server, "/no-such"), json={}, headers=PLANNER, timeout=TIMEOUT).status_code == 404
    assert requests.post(url(contrib_server), json={}, headers=MODERATOR, timeout=TIMEOUT).status_code == 403


def test_plan_reimport_keeps_phases_and_contributions(contrib_server):
    from layers.demo import demo_plan_files
    from layers.importing import import_xplan_files
    from store.base import open_store

    cid, _ = created(contrib_server, plan_id=contrib_server.plans["open"], text="vor dem Re-Import")
    before = requests.get(url(contrib_server), timeout=TIMEOUT).json()["phases"]
    store = open_store(contrib_server.store)
    try:
        import_xplan_files(store, demo_plan_files(), raster_dir=contrib_server.data_dir / "rasters")
    finally:
        store.close()
    after = requests.get(url(contrib_server), timeout=TIMEOUT).json()["phases"]
    assert {p["id"] for p in after} == {p["id"] for p in before}
    assert get_item(contrib_server, cid, MODERATOR).json()["properties"]["plan_id"] == contrib_server.plans["open"]
    assert create(contrib_server, feature(plan_id=contrib_server.plans["open"])).status_code == 201
