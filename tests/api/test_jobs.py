"""OGC API Processes jobs belong to whoever started them; results are kept for a while; runs are capped.

Against live servers on both stores (``api_server``), and one more server with a run cap of 1 and a retention
of one hour whose job database is seeded with old jobs before it starts.
"""

import json
import os
import secrets
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests
import tinydb

from api.jobs import JOB_SECRET_HEADER, JobSettings, owned_manager
from tests.conftest import PLANNER_TOKEN, LiveServer, import_demo_plans

PLANNER = {"Authorization": f"Bearer {PLANNER_TOKEN}"}
BASELINE = {"scenario": "baseline", "compare_to": "none"}


def _execute(server, inputs=BASELINE, headers=None, prefer_async=False):
    headers = dict(headers or {})
    if prefer_async:
        headers["Prefer"] = "respond-async"
    return requests.post(
        f"{server.api}/processes/run-scenario/execution", json={"inputs": inputs}, headers=headers, timeout=120
    )


def _job_id(response) -> str:
    return response.headers["Location"].rstrip("/").rsplit("/", 1)[-1]


def _listed(server, headers=None) -> set[str]:
    r = requests.get(f"{server.api}/jobs", params={"f": "json", "limit": 1000}, headers=headers or {}, timeout=10)
    assert r.status_code == 200, r.text[:300]
    return {job["jobID"] for job in r.json()["jobs"]}


def _wait_until_done(server, job_id: str, headers: dict) -> str:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = requests.get(f"{server.api}/jobs/{job_id}", params={"f": "json"}, headers=headers, timeout=10).json()[
            "status"
        ]
        if status in ("successful", "failed"):
            return status
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish")


def test_anonymous_run_gets_a_job_secret_and_only_its_holder_sees_the_job(api_server):
    run = _execute(api_server)
    assert run.status_code == 200, run.text[:300]
    secret = run.headers[JOB_SECRET_HEADER]
    assert len(secret) >= 32 and run.headers["Cache-Control"] == "no-store"
    job = _job_id(run)
    mine = {JOB_SECRET_HEADER: secret}
    stranger = {JOB_SECRET_HEADER: secrets.token_urlsafe(32)}

    assert (
        requests.get(f"{api_server.api}/jobs/{job}", params={"f": "json"}, headers=mine, timeout=10).json()["status"]
        == "successful"
    )
    results = requests.get(f"{api_server.api}/jobs/{job}/results", params={"f": "json"}, headers=mine, timeout=10)
    assert results.status_code == 200 and results.json()["scenario"]["id"] == "baseline"
    for headers in ({}, stranger, {"Authorization": "Bearer falsch-falsch-falsch"}):
        for path in (f"/jobs/{job}", f"/jobs/{job}/results"):
            r = requests.get(f"{api_server.api}{path}", params={"f": "json"}, headers=headers, timeout=10)
            assert r.status_code == 404, (path, headers, r.status_code)
            assert "nicht gefunden" in r.json()["description"] and "not found" in r.json()["description"]
            assert "baseline" not in r.text
    assert job in _listed(api_server, mine)
    assert job not in _listed(api_server) and job not in _listed(api_server, stranger)
    assert job in _listed(api_server, PLANNER)  # staff see every job


def test_listing_shows_only_ones_own_jobs(api_server):
    secret = secrets.token_urlsafe(24)
    started = {_job_id(_execute(api_server, headers={JOB_SECRET_HEADER: secret})) for _ in range(2)}
    other = _job_id(_execute(api_server))
    listed = _listed(api_server, {JOB_SECRET_HEADER: secret})
    assert listed == started  # the client chose its secret: both runs, nothing of anybody else
    assert other not in listed
    r = requests.get(f"{api_server.api}/jobs", params={"f": "json"}, headers={JOB_SECRET_HEADER: secret}, timeout=10)
    assert r.headers["Cache-Control"] == "no-store" and JOB_SECRET_HEADER in r.headers["Vary"]


def test_only_the_owner_or_staff_deletes_a_job_and_its_result_file(api_server):
    run = _execute(api_server)
    job, mine = _job_id(run), {JOB_SECRET_HEADER: run.headers[JOB_SECRET_HEADER]}
    outputs = api_server.data_dir / "process-outputs"
    assert [p for p in outputs.iterdir() if job in p.name]
    refused = requests.delete(
        f"{api_server.api}/jobs/{job}", headers={JOB_SECRET_HEADER: secrets.token_urlsafe(32)}, timeout=10
    )
    assert refused.status_code == 404
    assert requests.get(f"{api_server.api}/jobs/{job}", params={"f": "json"}, headers=mine, timeout=10).ok
    assert requests.delete(f"{api_server.api}/jobs/{job}", headers=mine, timeout=10).status_code == 200
    assert not [p for p in outputs.iterdir() if job in p.name]
    assert (
        requests.get(f"{api_server.api}/jobs/{job}", params={"f": "json"}, headers=mine, timeout=10).status_code == 404
    )

    other = _job_id(_execute(api_server))
    assert requests.delete(f"{api_server.api}/jobs/{other}", headers=PLANNER, timeout=10).status_code == 200


def test_a_planners_job_is_theirs_by_sign_in(api_server):
    run = _execute(api_server, headers=PLANNER, prefer_async=True)
    assert run.status_code == 201, run.text[:300]
    assert JOB_SECRET_HEADER not in run.headers  # owned by the token's name, no secret needed
    job = _job_id(run)
    assert _wait_until_done(api_server, job, PLANNER) == "successful"
    assert requests.get(f"{api_server.api}/jobs/{job}/results", params={"f": "json"}, headers=PLANNER, timeout=10).ok
    assert requests.get(f"{api_server.api}/jobs/{job}/results", params={"f": "json"}, timeout=10).status_code == 404
    assert job not in _listed(api_server)


def test_a_malformed_job_secret_is_a_clear_400(api_server):
    r = _execute(api_server, headers={JOB_SECRET_HEADER: "zu kurz"})
    assert r.status_code == 400
    assert JOB_SECRET_HEADER in r.json()["description"] and "must be 22-128" in r.json()["description"]


def test_anonymous_runs_may_not_store_results(api_server):
    r = _execute(api_server, {**BASELINE, "store_results": True})
    assert r.status_code == 401 and "planner" in r.text
    assert JOB_SECRET_HEADER not in r.headers


# -- retention and the cap on concurrent runs ------------------------------------------------------------------

OLD = "2020-01-02T03:04:05.000000Z"


def _job_record(job_id: str, location, when: str, status: str = "successful") -> dict:
    return {
        "type": "process",
        "identifier": job_id,
        "process_id": "run-scenario",
        "created": when,
        "started": when,
        "updated": when,
        "finished": when if status == "successful" else None,
        "status": status,
        "location": location,
        "mimetype": "application/json",
        "message": "Job complete",
        "progress": 100,
        "owner_secret_hash": "0" * 64,
    }


def _seed_jobs(data_dir, now: datetime) -> dict:
    """An expired job with its file, a stale 'running' job, an orphan file, and a fresh job with its file."""
    outputs = data_dir / "process-outputs"
    outputs.mkdir(parents=True, exist_ok=True)
    fresh_when = now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    files = {name: outputs / f"run-scenario-{name}" for name in ("expired", "orphan", "fresh")}
    for path in files.values():
        path.write_text(json.dumps({"id": "result"}), encoding="utf-8")
    old_mtime = (now - timedelta(days=3)).timestamp()
    os.utime(files["expired"], (old_mtime, old_mtime))
    os.utime(files["orphan"], (old_mtime, old_mtime))
    with tinydb.TinyDB(data_dir / "process-jobs.db") as db:
        db.insert(_job_record("expired", str(files["expired"]), OLD))
        db.insert(_job_record("stale-running", None, OLD, status="running"))
        db.insert(_job_record("fresh", str(files["fresh"]), fresh_when))
    return files


def test_retention_removes_old_jobs_their_files_and_orphans(tmp_path):
    from pygeoapi.process.manager.tinydb_ import TinyDBManager

    now = datetime.now(UTC)
    files = _seed_jobs(tmp_path, now)
    manager = owned_manager(
        TinyDBManager(
            {
                "name": "TinyDB",
                "connection": str(tmp_path / "process-jobs.db"),
                "output_dir": str(tmp_path / "process-outputs"),
            }
        ),
        JobSettings(keep_hours=24),
    )
    assert sorted(manager.remove_expired(now)) == ["expired", "stale-running"]
    assert not files["expired"].exists() and not files["orphan"].exists() and files["fresh"].exists()
    assert [j["identifier"] for j in manager.get_jobs()["jobs"]] == ["fresh"]
    # a day later the fresh one has expired too
    assert manager.remove_expired(now + timedelta(hours=25)) == ["fresh"] and not files["fresh"].exists()


@pytest.fixture(scope="module")
def capped_server(tmp_path_factory):
    """One run at a time, results kept an hour; old jobs seeded into its job database before it starts."""
    data_dir = tmp_path_factory.mktemp("jobs-capped")
    store = str(data_dir / "store.gpkg")
    import_demo_plans(store, data_dir / "rasters")
    files = _seed_jobs(data_dir, datetime.now(UTC))
    server = LiveServer(
        store,
        data_dir,
        extra_env={"BUERGERGIS_UI": "0", "BUERGERGIS_JOBS_MAX_RUNNING": "1", "BUERGERGIS_JOBS_KEEP_HOURS": "1"},
    )
    server.seeded = files
    yield server
    server.stop()


def test_expired_jobs_are_gone_when_the_server_has_started(capped_server):
    files = capped_server.seeded
    assert not files["expired"].exists() and not files["orphan"].exists()
    assert files["fresh"].exists()
    assert _listed(capped_server, PLANNER) == {"fresh"}


def test_runs_beyond_the_cap_are_refused_with_retry_after_and_the_slot_comes_back(capped_server):
    mine = {JOB_SECRET_HEADER: secrets.token_urlsafe(24)}
    first = _execute(capped_server, headers=mine, prefer_async=True)
    assert first.status_code == 201, first.text[:300]
    refused = _execute(capped_server, headers=mine)  # the async run holds the only slot until it ends
    assert refused.status_code == 503, refused.text[:300]
    assert int(refused.headers["Retry-After"]) > 0
    text = refused.json()["description"]
    assert "Berechnungen" in text and "runs are in progress" in text
    assert _wait_until_done(capped_server, _job_id(first), mine) == "successful"
    # a run that fails and a request refused before it runs give their slot back, too
    assert _execute(capped_server, {"scenario": "gibt_es_nicht"}).status_code == 400
    assert (
        requests.post(
            f"{capped_server.api}/processes/run-scenario/execution",
            data=b"{kein json",
            headers={"Content-Type": "application/json"},
            timeout=30,
        ).status_code
        == 400
    )
    assert _execute(capped_server, headers=mine).status_code == 200
