"""Scale-out: throughput of the API under gunicorn with 1, 2, 4 … worker processes on one PostGIS.

``python -m benchmarks.scaling [--buildings 50000] [--workers 1 2 4] [--clients 8] [--seconds 15]
[--queries items_bbox item]``

The synthetic city (:mod:`benchmarks.generate`) goes into one PostGIS (a throwaway
cluster, or ``--pg URL``). For each worker count the API-only app
(``BUERGERGIS_UI=0``) is started as ``gunicorn -w N -k gthread --threads 4 --preload
'commands.portal:create_app()'`` and ``--clients`` threads send each of ``--queries`` (those of :mod:`benchmarks.api`: pages of
1000 in 2 km windows, single items, tiles) for ``--seconds``. A table per query gives
requests/s, the speed-up over one worker and p50/p95 latency.

Throughput grows with workers until the CPU cores are used up: the Python side
(pygeoapi request handling) is single-threaded per process because of the GIL, the
SQL side runs in PostgreSQL's own processes. On this 2-core machine the client threads
and PostgreSQL share the same two cores: pages of 1000 (half of their time in PostgreSQL)
saturate both cores with one worker already, single items and tiles (mostly Python) gain
≈ 1.5× from a second worker; on a city's server the same run shows how many workers its
cores carry.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from pathlib import Path

from benchmarks.api import (
    QUERIES,
    HttpTarget,
    Workload,
    city_postgis,
    machine_note,
    run_cell,
    run_timed,
    say,
    start_ours,
)


def measure(
    pg_url: str, workers: list[int], clients: int, seconds: float, buildings: int, work: Path, query: str = "items_bbox"
) -> list[dict]:
    """One row per worker count: workers, rps, p50_ms, p95_ms, requests, error."""
    w = Workload.for_city(buildings)
    rows = []
    for n in workers:
        server = start_ours(f"gunicorn×{n}", pg_url, work, gunicorn_workers=n).wait()
        try:
            target = HttpTarget(server.name, server.base, "pygeoapi")
            run_cell(target, query, w, clients, requests=4 * clients, cap=seconds)  # warm every worker
            cell = run_cell(target, query, w, clients, requests=10**9, cap=seconds)
        finally:
            server.stop()
        rows.append(
            {
                "workers": n,
                "rps": cell.rps,
                "p50_ms": cell.p50,
                "p95_ms": cell.p95,
                "requests": len(cell.latencies),
                "error": cell.error,
            }
        )
        say(
            f"  {n} worker(s): {cell.rps:.1f} req/s, p50 {cell.p50:.0f} ms" + (f" ({cell.error})" if cell.error else "")
        )
    return rows


def table(rows: list[dict]) -> str:
    base = next((r["rps"] for r in rows if r["workers"] == 1), rows[0]["rps"] if rows else float("nan"))
    lines = ["| workers | req/s | speed-up vs 1 | p50 ms | p95 ms | requests |", "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r['workers']} | {r['rps']:.1f} | {r['rps'] / base:.2f}× | {r['p50_ms']:.0f} | "
            f"{r['p95_ms']:.0f} | {r['requests']}" + (f" ({r['error']})" if r["error"] else "") + " |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", help="postgresql:// URL to use (default: a throwaway local cluster)")
    parser.add_argument("--buildings", type=int, default=50_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--clients", type=int, default=8, help="concurrent client threads")
    parser.add_argument("--seconds", type=float, default=15.0, help="measured seconds per worker count")
    parser.add_argument(
        "--queries",
        nargs="+",
        default=["items_bbox", "item"],
        choices=list(QUERIES),
        help="the queries of benchmarks.api to send, one table each",
    )
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="buergergis-scaling-"))
    try:
        with city_postgis(args.pg, "scaling", args.buildings) as pg_url:
            for query in args.queries:
                print(
                    f"\nScale-out: {QUERIES[query]} on {args.buildings} synthetic buildings, {args.clients} "
                    f"clients, {args.seconds:.0f} s per row, gunicorn gthread ×4 threads per worker"
                )
                print(machine_note())
                rows = measure(pg_url, args.workers, args.clients, args.seconds, args.buildings, work, query)
                print()
                print(table(rows))
            print(f"({os.cpu_count()} CPU cores; client threads and PostgreSQL run on the same machine)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    run_timed(main)
