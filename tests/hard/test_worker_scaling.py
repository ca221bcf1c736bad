"""Throughput grows with gunicorn workers on one PostGIS (``./dev heavy``; timings stay out of CI).

The single-item request is the case where a worker's Python (pygeoapi's request handling,
one GIL per process) is the limit and the database barely works, so it is the one that
shows whether a second worker process adds capacity. The bound is loose on purpose: on
the 2-core CI machine the client threads and PostgreSQL share the cores with the workers
(measured 1.47× there; ``python -m benchmarks.scaling`` prints the full table).
"""

from __future__ import annotations

import pytest

from tests.conftest import fresh_postgis_database

pytestmark = pytest.mark.heavy

MIN_SPEED_UP = 1.2


def test_two_workers_serve_more_than_one(postgis, tmp_path):
    from benchmarks.api import city_postgis
    from benchmarks.scaling import measure

    buildings = 20_000
    with city_postgis(fresh_postgis_database(postgis, "scaling_test"), "scaling_test", buildings) as url:
        rows = measure(url, [1, 2], clients=8, seconds=8, buildings=buildings, work=tmp_path, query="item")
    assert not any(r["error"] for r in rows), rows
    one, two = (r["rps"] for r in rows)
    assert two >= MIN_SPEED_UP * one, f"2 workers {two:.0f} req/s vs 1 worker {one:.0f} req/s"
