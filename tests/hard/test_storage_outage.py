"""The store down for a while, then back: answers are 503 with Retry-After meanwhile, and the server recovers by
itself (api/edges.py). Run with ``./dev heavy`` (``pytest -m heavy``): the PostGIS case starts its own cluster
and stops/starts it, the GeoPackage case waits out SQLite's 30 s busy timeout.
The quick outage tests of both stores are in tests/api/test_edges.py."""

from __future__ import annotations

import json
import sqlite3
import time

import pytest
import requests

from tests.conftest import PLANNER_TOKEN, LiveServer, import_demo_plans

pytestmark = pytest.mark.heavy

TIMEOUT = 60
GEOJSON = {"Content-Type": "application/geo+json"}
PLANNER = {"Authorization": f"Bearer {PLANNER_TOKEN}"}


def _line(marker: str) -> dict:
    return {
        "type": "Feature",
        "id": marker,
        "properties": {"plan_id": "TEST_PLAN", "art": "Baugrenze"},
        "geometry": {"type": "LineString", "coordinates": [[10.0, 53.67], [10.001, 53.671]]},
    }


def _write(server, marker: str) -> requests.Response:
    return requests.post(
        f"{server.api}/collections/bp_baugrenze/items",
        data=json.dumps(_line(marker)),
        headers={**GEOJSON, **PLANNER},
        timeout=TIMEOUT,
    )


def _read(server) -> requests.Response:
    return requests.get(f"{server.api}/collections/bp_plan/items", params={"f": "json", "limit": 1}, timeout=TIMEOUT)


def _assert_503(r: requests.Response) -> None:
    assert r.status_code == 503, (r.status_code, r.text[:300])
    assert int(r.headers["Retry-After"]) > 0 and "unavailable" in r.text


def _until_ok(call, seconds: float = 30) -> requests.Response:
    deadline = time.monotonic() + seconds
    while True:
        r = call()
        if r.status_code < 500 or time.monotonic() > deadline:
            return r
        time.sleep(0.5)


def test_postgis_stopped_and_started_again(tmp_path):
    from store.local_postgis import LocalPostGIS, PostGISUnavailable

    try:
        cluster = LocalPostGIS(dbname="outage").start()
    except PostGISUnavailable as err:
        pytest.skip(f"PostGIS unavailable: {err}")
    server = None
    try:
        import_demo_plans(cluster.url, tmp_path / "rasters")
        server = LiveServer(cluster.url, tmp_path, extra_env={"BUERGERGIS_UI": "0"})
        assert _read(server).status_code == 200 and _write(server, "before-outage").status_code == 201
        pg_ctl = str(cluster.bin / "pg_ctl")
        cluster._run(pg_ctl, "-D", str(cluster.data), "-m", "fast", "-w", "stop")
        _assert_503(_read(server))
        _assert_503(_write(server, "during-outage"))
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={cluster.port} -c unix_socket_directories={cluster.dir} "
            "-c fsync=on -c max_connections=200 -c shared_buffers=256MB"
        )
        cluster._run(
            pg_ctl,
            "-D",
            str(cluster.data),
            "-o",
            options,
            "-l",
            str(cluster.dir / "server.log"),
            "-w",
            "-t",
            "60",
            "start",
        )
        assert _until_ok(lambda: _read(server)).status_code == 200
        assert _until_ok(lambda: _write(server, "after-outage")).status_code == 201
        ids = {
            f["id"]
            for f in requests.get(
                f"{server.api}/collections/bp_baugrenze/items", params={"f": "json", "limit": 10000}, timeout=TIMEOUT
            ).json()["features"]
        }
        assert {"before-outage", "after-outage"} <= ids and "during-outage" not in ids
    finally:
        if server is not None:
            server.stop()
        cluster.stop()


def test_geopackage_locked_by_another_process(tmp_path):
    store = str(tmp_path / "store.gpkg")
    import_demo_plans(store, tmp_path / "rasters")
    server = LiveServer(store, tmp_path, extra_env={"BUERGERGIS_UI": "0"})
    try:
        assert _write(server, "before-lock").status_code == 201
        holder = sqlite3.connect(store, isolation_level=None, timeout=1)
        holder.execute("BEGIN EXCLUSIVE")  # a backup tool or a second program writing: every writer waits
        try:
            started = time.monotonic()
            _assert_503(_write(server, "during-lock"))  # after SQLite's busy timeout
            assert time.monotonic() - started >= 20
            assert _read(server).status_code == 200  # readers go on (WAL)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert _write(server, "after-lock").status_code == 201
    finally:
        server.stop()
