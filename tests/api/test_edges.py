"""Robust edges (api/edges.py, providers/passthrough.py): nested JSON, chunked bodies, the store down and back,
boxes reaching ±180°/±90°; on both stores. Longer outages (a locked GeoPackage, PostGIS stopped and started):
tests/hard/test_storage_outage.py. Contribution geometry caps: tests/contributions/test_geometry_caps.py."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import time
from urllib.parse import urlsplit

import pytest
import requests

from api.edges import MAX_JSON_DEPTH, json_depth, storage_unavailable
from tests.conftest import PLANNER_TOKEN

TIMEOUT = 30
GEOJSON = {"Content-Type": "application/geo+json"}
PLANNER = {"Authorization": f"Bearer {PLANNER_TOKEN}"}
REPORT = {
    "type": "Feature",
    "geometry": {"type": "Point", "coordinates": [10.0, 53.67]},
    "properties": {
        "text": "Schlagloch vor Hausnummer 12 (Randfall-Test)",
        "kind": "maengelmeldung",
        "category": "strasse",
    },
}


# -- nesting depth ---------------------------------------------------------------------------------------------


def test_json_depth_counts_structure_not_strings():
    assert json_depth(b"{}") == 1 and json_depth(b"[[1, [2]], {}]") == 3 and json_depth(b"42") == 0
    assert json_depth(b'{"text": "[[[[[[{{{{ \\" [[[["}') == 1  # brackets and escaped quotes inside a string
    assert json_depth(b'["\\\\", [["\\\\\\"["]]]') == 3
    assert json_depth(json.dumps(REPORT).encode()) == 3
    assert json_depth(b"[" * 100_000 + b"]" * 100_000) == 100_000


def _deep(levels: int) -> bytes:
    return b'{"a":' * levels + b"1" + b"}" * levels


@pytest.mark.parametrize(
    "path,headers",
    [
        ("/oapi/collections/contributions/items", GEOJSON),  # a feature
        ("/oapi/collections/contributions/items", {"Content-Type": "application/json"}),  # read as a CQL2-JSON query
        ("/oapi/collections/bp_baugrenze/items", {**GEOJSON, **PLANNER}),
        ("/oapi/processes/run-scenario/execution", {"Content-Type": "application/json"}),
        ("/api/scenarios/no-such-variant/like", {"Content-Type": "application/json"}),
        ("/open311/v2/requests.json", {"Content-Type": "application/json"}),
    ],
)
def test_deeply_nested_json_is_a_400_with_a_message(api_server, path, headers):
    for body in (_deep(5_000), b"[" * 50_000 + b"]" * 50_000):
        r = requests.post(api_server.url + path, data=body, headers=headers, timeout=TIMEOUT)
        assert r.status_code == 400, (path, r.status_code, r.text[:200])
        text = r.text
        assert "verschachtelt" in text and "nested too deeply" in text, text[:300]


def test_ordinary_nesting_passes_the_depth_check(api_server):
    r = requests.post(
        f"{api_server.api}/collections/contributions/items",
        data=_deep(MAX_JSON_DEPTH),
        headers=GEOJSON,
        timeout=TIMEOUT,
    )
    assert r.status_code == 400 and "verschachtelt" not in r.text  # refused for what it is, not for its depth


# -- chunked bodies --------------------------------------------------------------------------------------------


def _post_chunked(server, path: str, body: bytes, content_type: str = "application/geo+json"):
    parts = urlsplit(server.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=TIMEOUT)
    connection.putrequest("POST", path)
    connection.putheader("Content-Type", content_type)
    connection.putheader("Transfer-Encoding", "chunked")
    connection.endheaders()
    with contextlib.suppress(OSError):  # the server may answer and close before it has read everything
        for start in range(0, len(body), 65536):
            chunk = body[start : start + 65536]
            connection.send(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
        connection.send(b"0\r\n\r\n")
    response = connection.getresponse()
    content = response.read()
    connection.close()
    return response.status, content


def test_chunked_body_over_the_limit_is_413_and_under_it_works(api_server):
    big = json.dumps({**REPORT, "properties": {**REPORT["properties"], "text": "x" * 1_500_000}}).encode()
    for path, kind in (
        ("/oapi/collections/contributions/items", "application/geo+json"),
        ("/api/scenarios/no-such-variant/like", "application/json"),
    ):
        status, content = _post_chunked(api_server, path, big, kind)
        assert status == 413, (path, status, content[:200])
        assert "1000000" in json.loads(content)["description"]
    status, content = _post_chunked(api_server, "/oapi/collections/contributions/items", json.dumps(REPORT).encode())
    assert status == 201, content[:300]


# -- the store down, and back ------------------------------------------------------------------------------------


@contextlib.contextmanager
def _store_down(server):
    """Make the server's store unreachable: the GeoPackage file replaced by a directory (an unmounted or
    unreadable volume), the PostGIS database closed to connections and its sessions ended (a restart)."""
    if server.backend == "geopackage":
        path = server.store
        os.rename(path, path + ".away")
        os.mkdir(path)
        try:
            yield
        finally:
            os.rmdir(path)
            os.rename(path + ".away", path)
        return
    import psycopg2

    database = urlsplit(server.store).path.lstrip("/")
    admin = psycopg2.connect(server.store.rsplit("/", 1)[0] + "/postgres")
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS false')
            cur.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (database,),
            )
        yield
    finally:
        with admin.cursor() as cur:
            cur.execute(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS true')
        admin.close()


def _assert_503(r: requests.Response, what: str) -> None:
    assert r.status_code == 503, (what, r.status_code, r.text[:300])
    assert int(r.headers["Retry-After"]) > 0, what
    assert "nicht erreichbar" in r.text and "unavailable" in r.text, (what, r.text[:300])


def test_store_down_is_503_with_retry_after_and_recovers_by_itself(api_server):
    items = f"{api_server.api}/collections/bp_plan/items"
    assert requests.get(items, params={"f": "json", "limit": 1}, timeout=TIMEOUT).status_code == 200
    feature = {
        "type": "Feature",
        "properties": {"plan_id": "TEST_PLAN", "art": "Baugrenze"},
        "geometry": {"type": "LineString", "coordinates": [[10.0, 53.67], [10.001, 53.671]]},
    }
    with _store_down(api_server):
        _assert_503(requests.get(items, params={"f": "json", "limit": 1}, timeout=TIMEOUT), "items")
        _assert_503(requests.get(f"{items}/x", params={"f": "json"}, timeout=TIMEOUT), "item")
        _assert_503(
            requests.post(
                f"{api_server.api}/collections/contributions/items",
                data=json.dumps(REPORT),
                headers=GEOJSON,
                timeout=TIMEOUT,
            ),
            "contribution",
        )
        _assert_503(
            requests.post(
                f"{api_server.api}/collections/bp_baugrenze/items",
                data=json.dumps(feature),
                headers={**GEOJSON, **PLANNER},
                timeout=TIMEOUT,
            ),
            "planner write",
        )
        page = requests.get(items, params={"f": "html"}, timeout=TIMEOUT)
        assert page.status_code == 503 and page.headers["Retry-After"], page.status_code
    deadline = time.monotonic() + 20
    while True:  # nothing restarted: the next requests find the store again
        r = requests.get(items, params={"f": "json", "limit": 1}, timeout=TIMEOUT)
        if r.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert r.status_code == 200, r.text[:300]
    r = requests.post(
        f"{api_server.api}/collections/contributions/items", data=json.dumps(REPORT), headers=GEOJSON, timeout=TIMEOUT
    )
    assert r.status_code == 201, r.text[:300]


def test_storage_failures_are_told_from_other_errors():
    import sqlite3

    from pygeoapi.provider.base import ProviderQueryError

    for message in (
        "database is locked",
        "attempt to write a readonly database",
        "disk I/O error",
        "database or disk is full",
        "unable to open database file",
    ):
        assert storage_unavailable(sqlite3.OperationalError(message)), message
    assert not storage_unavailable(sqlite3.OperationalError("no such column: x"))
    assert not storage_unavailable(ValueError("bad"))
    import psycopg2
    import psycopg2.errors
    from sqlalchemy import exc as sa

    def answered(kind, sqlstate):  # an error as the server sends it, with its SQLSTATE
        return type("Answered", (kind,), {"pgcode": sqlstate})("from the server")

    refused = psycopg2.OperationalError("connection to server at 127.0.0.1 failed: Connection refused")
    assert storage_unavailable(refused)
    assert storage_unavailable(sa.OperationalError("SELECT 1", {}, refused))
    assert storage_unavailable(answered(psycopg2.errors.AdminShutdown, "57P01"))
    assert storage_unavailable(answered(psycopg2.errors.DiskFull, "53100"))
    assert storage_unavailable(answered(psycopg2.errors.ReadOnlySqlTransaction, "25006"))
    assert not storage_unavailable(
        sa.OperationalError("SELECT 1", {}, answered(psycopg2.errors.StatementTooComplex, "54001"))
    )  # the request's fault, not the store's
    assert not storage_unavailable(answered(psycopg2.errors.UndefinedColumn, "42703"))
    try:
        try:
            raise sqlite3.OperationalError("database is locked")
        except sqlite3.Error as err:
            raise ProviderQueryError("writing failed") from err
    except ProviderQueryError as err:
        wrapped = err
    assert storage_unavailable(wrapped)


# -- boxes to the poles and the antimeridian ---------------------------------------------------------------------


@pytest.mark.parametrize("collection", ["bp_plan", "buildings"])
def test_a_bbox_reaching_180_and_90_degrees_finds_everything_and_the_far_side_nothing(api_server, collection):
    url = f"{api_server.api}/collections/{collection}/items"

    def matched(**params) -> int:
        r = requests.get(url, params={"f": "json", "limit": 1, **params}, timeout=TIMEOUT)
        assert r.status_code == 200, (params, r.text[:300])
        return r.json()["numberMatched"]

    total = matched()
    assert total > 0
    for bbox in ("-180,-90,180,90", "-180,-85,180,85", "0,0,180,90", "-180,0,180,90", "9,52,180,90"):
        assert matched(bbox=bbox) == total, bbox
    for bbox in ("-180,-90,0,0", "150,-90,180,90", "-180,-90,180,-10", "100,0,180,10"):
        assert matched(bbox=bbox) == 0, bbox
    epsg4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"  # latitude first
    assert matched(bbox="-90,-180,90,180", **{"bbox-crs": epsg4326}) == total


def test_a_clients_error_is_one_log_line_without_a_traceback(api_server):
    """pygeoapi logged every 400 at ERROR with a traceback; a city's log would fill with other people's typos."""
    log = api_server.data_dir / "server.log"
    before = log.stat().st_size
    marker = "nosuchproperty_" + str(before)
    r = requests.get(f"{api_server.api}/collections/bp_plan/items", params={"filter": f"{marker} = 1"}, timeout=30)
    assert r.status_code == 400, r.text[:300]
    deadline = time.monotonic() + 10
    while (
        marker not in (written := log.read_bytes()[before:].decode("utf-8", "replace")) and time.monotonic() < deadline
    ):
        time.sleep(0.1)
    assert marker in written, written[-2000:]
    assert "Traceback" not in written and "ERROR" not in written, written[-2000:]
