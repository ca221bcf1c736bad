"""Crash safety: 60 concurrent writers, the server killed with SIGKILL mid-way, restarted on the same store.

Every write the server acknowledged (HTTP 201) must be there exactly once after the
restart; a write whose answer was lost in the crash may or may not be there, but never
twice; nothing else appears; the store still accepts writes. On both stores, for a
planner-writable layer (``bp_baugrenze``, ids chosen by the client) and for citizens'
``contributions`` (ids chosen by the server; each write carries a unique text).

Run with ``./dev heavy`` (``pytest -m heavy``). Figures go to
``test-artifacts/crash-<store>-<collection>.json``.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests

from tests.conftest import ARTIFACTS, PLANNER_TOKEN, LiveServer, store_with_demo_plans

pytestmark = pytest.mark.heavy

WRITERS = 60
#: SIGKILL once this many writes were acknowledged (or after KILL_AFTER_S seconds of writing).
KILL_AFTER_ACKS = 300
KILL_AFTER_S = 30.0
PLANNER = {"Authorization": f"Bearer {PLANNER_TOKEN}"}
GEOJSON = {"Content-Type": "application/geo+json"}
#: Hamburg-Langenhorn, inside the demo plans (lon/lat).
LON, LAT = 10.0, 53.67


@pytest.fixture(params=["geopackage", "postgis"])
def crash_store(request, tmp_path):
    """A store with the demo plans (the contributions' city extent and plan links need them)."""
    url = store_with_demo_plans(request, tmp_path)
    return request.param, url, tmp_path


def _body(collection: str, marker: str, k: int, n: int) -> dict:
    x, y = LON + k * 2e-5, LAT + n * 2e-5
    if collection == "contributions":
        return {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [x, y]},
            "properties": {"text": marker, "kind": "kommentar"},
        }
    return {
        "type": "Feature",
        "id": marker,
        "geometry": {"type": "LineString", "coordinates": [[x, y], [x + 1e-5, y + 1e-5]]},
        "properties": {"art": "Baugrenze", "xplan_class": "BP_BauGrenze"},
    }


def _open_general_phase(server) -> None:
    now = datetime.now(UTC)
    body = {
        "title_de": "Allgemeine Beiträge (Crash-Test)",
        "opens_at": (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "closes_at": (now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    r = requests.post(f"{server.url}/api/procedures", json=body, headers=PLANNER, timeout=30)
    assert r.status_code == 201, f"cannot open a participation procedure: {r.status_code} {r.text[:300]}"


def _stored(server, collection: str, run: str) -> list[dict]:
    """Every row this run wrote, as features (the planner sees unmoderated contributions too)."""
    column = "text" if collection == "contributions" else "id"
    r = requests.get(
        f"{server.api}/collections/{collection}/items",
        params={"f": "json", "limit": 10000, "filter": f"{column} LIKE 'crash-{run}-%'"},
        headers=PLANNER,
        timeout=60,
    )
    assert r.status_code == 200, r.text[:500]
    page = r.json()
    assert page["numberReturned"] < 10000
    return page["features"]


def _gpkg_consistent(path: str, table: str) -> tuple[str, int, int]:
    """SQLite's integrity check, and rows vs R-tree entries of ``table``."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        check = conn.execute("PRAGMA integrity_check").fetchone()[0]
        rows = conn.execute(f'SELECT count(*) FROM "{table}" WHERE geom IS NOT NULL').fetchone()[0]
        rtree = conn.execute(f'SELECT count(*) FROM "rtree_{table}_geom"').fetchone()[0]
    finally:
        conn.close()
    return check, rows, rtree


@pytest.mark.parametrize("collection", ["bp_baugrenze", "contributions"])
def test_acknowledged_writes_survive_sigkill(crash_store, collection):
    from schema.catalog import LAYERS

    if collection not in LAYERS:
        pytest.skip(f"no {collection} layer in the catalogue")
    backend, store_url, data_dir = crash_store
    env = {"BUERGERGIS_UI": "0"}
    server = LiveServer(store_url, data_dir, extra_env=env)
    run = uuid.uuid4().hex[:8]
    outcomes: dict[str, tuple[object, str | None]] = {}  # marker -> (status or exception name, Location)
    lock = threading.Lock()
    acks = [0]
    stop = threading.Event()
    try:
        if collection == "contributions":
            _open_general_phase(server)
        url = f"{server.api}/collections/{collection}/items"
        headers = {**GEOJSON, **(PLANNER if collection != "contributions" else {})}
        start = threading.Barrier(WRITERS + 1)

        def writer(k: int) -> None:
            session = requests.Session()
            start.wait()
            n = 0
            while not stop.is_set():
                marker = f"crash-{run}-{k:02d}-{n:04d}"
                try:
                    r = session.post(url, data=json.dumps(_body(collection, marker, k, n)), headers=headers, timeout=60)
                except requests.RequestException as err:  # the server died under this request
                    with lock:
                        outcomes[marker] = (type(err).__name__, None)
                    return
                with lock:
                    outcomes[marker] = (r.status_code, r.headers.get("Location"))
                    acks[0] += r.status_code == 201
                n += 1

        threads = [threading.Thread(target=writer, args=(k,), daemon=True) for k in range(WRITERS)]
        for t in threads:
            t.start()
        start.wait()
        began = time.monotonic()
        while acks[0] < KILL_AFTER_ACKS and time.monotonic() - began < KILL_AFTER_S:
            time.sleep(0.02)
        os.kill(server.proc.pid, signal.SIGKILL)  # mid-write: no clean-up of any kind
        killed_after = time.monotonic() - began
        server.proc.wait(30)
        stop.set()
        for t in threads:
            t.join(90)
        assert not any(t.is_alive() for t in threads), "writers hung after the kill"
    finally:
        stop.set()
        server.log.close()
        if server.proc.poll() is None:
            server.proc.kill()

    statuses = {}
    for status, _ in outcomes.values():
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    acked = {m: loc for m, (s, loc) in outcomes.items() if s == 201}
    unknown = {m for m, (s, _) in outcomes.items() if not isinstance(s, int)}
    refused = {m: s for m, (s, _) in outcomes.items() if isinstance(s, int) and s != 201}
    assert not refused, f"writes refused before the crash: {sorted(set(refused.values()))}"
    assert len(acked) >= 50, f"only {len(acked)} writes acknowledged before the kill: {statuses}"
    assert unknown, "the kill hit no write in flight: nothing was tested mid-way"

    server = LiveServer(store_url, data_dir, extra_env=env)  # the same store, after the crash
    try:
        stored = _stored(server, collection, run)
        if collection == "contributions":
            by_marker: dict[str, list[str]] = {}
            for f in stored:
                by_marker.setdefault(f["properties"]["text"], []).append(f["id"])
            for marker, location in acked.items():
                assert len(by_marker.get(marker, [])) == 1, (marker, by_marker.get(marker))
                assert location and location.rsplit("/", 1)[-1] == by_marker[marker][0], (marker, location)
        else:
            by_marker = {}
            for f in stored:
                by_marker.setdefault(f["id"], []).append(f["id"])
            for marker in acked:
                r = requests.get(
                    f"{server.api}/collections/{collection}/items/{marker}",
                    params={"f": "json"},
                    headers=PLANNER,
                    timeout=30,
                )
                assert r.status_code == 200, (marker, r.status_code)
        duplicates = {m: ids for m, ids in by_marker.items() if len(ids) != 1}
        assert not duplicates, f"stored more than once: {list(duplicates.items())[:5]}"
        missing = sorted(set(acked) - set(by_marker))
        assert not missing, f"{len(missing)} acknowledged writes lost, e.g. {missing[:5]}"
        strangers = sorted(set(by_marker) - set(acked) - unknown)
        assert not strangers, f"rows nobody wrote: {strangers[:5]}"
        in_flight_kept = len(set(by_marker) & unknown)

        # the store still takes writes after the crash
        marker = f"crash-{run}-after-restart"
        r = requests.post(
            f"{server.api}/collections/{collection}/items",
            data=json.dumps(_body(collection, marker, 99, 0)),
            headers={**GEOJSON, **(PLANNER if collection != "contributions" else {})},
            timeout=30,
        )
        assert r.status_code == 201, r.text[:300]
        assert len(_stored(server, collection, run)) == len(stored) + 1
    finally:
        server.stop()

    consistency = None
    if backend == "geopackage":
        check, rows, rtree = _gpkg_consistent(store_url, collection)
        assert check == "ok", check
        assert rows == rtree, f"{rows} rows with geometry but {rtree} R-tree entries"
        consistency = {"integrity_check": check, "rows": rows, "rtree_entries": rtree}

    figures = {
        "store": backend,
        "collection": collection,
        "writers": WRITERS,
        "killed_after_s": round(killed_after, 2),
        "requests": len(outcomes),
        "statuses": statuses,
        "acknowledged": len(acked),
        "acknowledged_found_once": len(acked),
        "in_flight_at_kill": len(unknown),
        "in_flight_found": in_flight_kept,
        "duplicates": 0,
        "lost": 0,
        "geopackage": consistency,
    }
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"crash-{backend}-{collection}.json").write_text(json.dumps(figures, indent=2), encoding="utf-8")
    print(json.dumps(figures))
