"""OGC API Processes: run a scenario and compute indicators for a drawn area, sync and async."""

import time

import requests


def test_processes_listed(api_server):
    r = requests.get(f"{api_server.api}/processes", params={"f": "json"}, timeout=10)
    assert r.ok
    ids = {p["id"] for p in r.json()["processes"]}
    assert {"run-scenario", "area-indicators"} <= ids


def _run(server, inputs, **headers):
    return requests.post(
        f"{server.api}/processes/run-scenario/execution", json={"inputs": inputs}, headers=headers, timeout=120
    )


def _floor_area(block):
    totals = block.get("totals", block)
    return next(v for k, v in totals.items() if k.startswith("floor_area"))


def _delta(deltas, name):
    return deltas["totals"][name]["delta"]


def test_nachverdichtung_adds_floor_area_against_baseline(api_server):
    r = _run(api_server, {"scenario": "langenhorn_nachverdichtung", "compare_to": "baseline"})
    assert r.status_code == 200, r.text[:500]
    body = r.json()
    assert body["compare_to"] == "baseline"
    after = _floor_area(body["indicators"])
    base = _run(api_server, {"scenario": "baseline", "compare_to": "none"}).json()
    before = _floor_area(base["indicators"])
    assert after > before > 0
    assert body["deltas"]["a"]["id"] == "baseline"
    assert abs(_delta(body["deltas"], "floor_area_m2") - (after - before)) < 1e-6 * after


def test_unknown_scenario_is_a_clear_400(api_server):
    r = _run(api_server, {"scenario": "gibt_es_nicht"})
    assert r.status_code == 400
    assert "unknown scenario" in r.text


def test_async_job(api_server):
    r = _run(api_server, {"scenario": "baseline", "compare_to": "none"}, Prefer="respond-async")
    assert r.status_code == 201, r.text[:300]
    job = r.headers["Location"]
    mine = {"X-Job-Secret": r.headers["X-Job-Secret"]}  # the job is readable with its secret only (api/jobs.py)
    for _ in range(120):
        status = requests.get(job, params={"f": "json"}, headers=mine, timeout=10).json()["status"]
        if status in ("successful", "failed"):
            break
        time.sleep(0.1)
    assert status == "successful"
    results = requests.get(f"{job}/results", params={"f": "json"}, headers=mine, timeout=30)
    assert results.ok
    assert requests.get(f"{job}/results", params={"f": "json"}, timeout=30).status_code == 404


def test_area_indicators(api_server):
    square = {
        "type": "Polygon",
        "coordinates": [[[9.99, 53.66], [10.02, 53.66], [10.02, 53.68], [9.99, 53.68], [9.99, 53.66]]],
    }
    r = requests.post(
        f"{api_server.api}/processes/area-indicators/execution", json={"inputs": {"geometry": square}}, timeout=120
    )
    assert r.status_code == 200, r.text[:500]
    assert _floor_area(r.json()["indicators"]) > 0
