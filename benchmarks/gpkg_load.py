"""The embedded store under load: GeoPackage and PostGIS side by side, each under the production server.

``python -m benchmarks.gpkg_load [--buildings 50000] [--workers 2] [--clients 4] [--requests 32]``

Both stores hold the same synthetic city (:mod:`benchmarks.generate`; PostGIS a throwaway local cluster or
``--pg URL``, the GeoPackage ``var/bench/city-<n>-….gpkg``). Each is served the way ``./dev serve`` serves it:
gunicorn's asyncio worker with ``--workers`` processes (:mod:`api.production`), the OGC API alone
(``BUERGERGIS_UI=0``), a fresh data dir, so the GeoPackage's tile cache starts empty. ``--clients`` threads
send the queries of :mod:`benchmarks.api` (pages of 1,000 in 2 km windows, with a CQL2 filter, single items)
and tiles at z14 and z16 twice: **rendered** (32 different tiles, none asked for before: every one is
rendered, on both stores) and **again** (the same 32 tiles once more: the GeoPackage serves them from its
tile cache, PostGIS renders them again, as it always does).

The table gives p50/p95 per store and the ratio GeoPackage/PostGIS of both, with the verdict against
"within 2×" (issue 14). The machine's load before and after the run is printed: on a small shared machine
the figures are comparable only within one run.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from benchmarks.api import (
    BENCH_DIR,
    HttpTarget,
    Server,
    Workload,
    city_postgis,
    free_port,
    machine_note,
    prepare_geopackage,
    run_cell,
    run_timed,
    say,
)

#: (label, query of benchmarks.api, pass): "rendered" asks 32 tiles never asked before, "again" the same ones.
ROWS = [
    ("items?limit=1000&bbox", "items_bbox", "first"),
    ("items?limit=1000&bbox&filter", "items_cql", "first"),
    ("items/{id}", "item", "first"),
    ("tile z14, rendered", "tile_z14", "first"),
    ("tile z14, again", "tile_z14", "again"),
    ("tile z16, rendered", "tile_z16", "first"),
    ("tile z16, again", "tile_z16", "again"),
]
LIMIT = 2.0


def start_production(name: str, store: str, work: Path, workers: int) -> Server:
    """``./dev serve`` on ``store``: gunicorn, asyncio worker, ``workers`` processes, API only."""
    port = free_port()
    data_dir = work / name.split()[0]
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {
        "BUERGERGIS_UI": "0",
        "BUERGERGIS_STORE": store,
        "BUERGERGIS_DATA_DIR": str(data_dir),
        "BUERGERGIS_PORT": str(port),
        "BUERGERGIS_HOST": "127.0.0.1",
        "BUERGERGIS_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "BUERGERGIS_SERVER_WORKERS": str(workers),
        "PYTHONUNBUFFERED": "1",
    }
    cmd = [sys.executable, "-m", "commands.serve", "--production"]
    server = Server(name, cmd, env, f"http://127.0.0.1:{port}/oapi/?f=json", data_dir / "server.log")
    server.base = f"http://127.0.0.1:{port}/oapi"
    return server


def measure(targets: list[HttpTarget], buildings: int, clients: int, requests: int, cap: float) -> dict:
    """p50/p95 per (row label, target name)."""
    # 34 windows: two for the warm-up requests, 32 measured ones that no request has asked for before
    w = Workload.for_city(buildings, n=requests + 2)
    cells = {}
    for label, query, _ in ROWS:
        for target in targets:
            cell = run_cell(target, query, w, clients, requests, cap)
            cells[label, target.name] = cell
            say(
                f"  {label:<30} {target.name:<12} p50 {cell.p50:7.1f} ms p95 {cell.p95:7.1f} ms"
                + (f" ({cell.error})" if cell.error else "")
            )
    return cells


def table(cells: dict, gpkg: str, pg: str) -> tuple[str, bool]:
    lines = [
        f"| query | {pg} p50 / p95 ms | {gpkg} p50 / p95 ms | ratio p50 | ratio p95 | within {LIMIT:g}× |",
        "|---|---|---|---|---|---|",
    ]
    all_met = True
    for label, _, _ in ROWS:
        a, b = cells[label, pg], cells[label, gpkg]
        if not (a.latencies and b.latencies):
            lines.append(f"| {label} | {a.error or '–'} | {b.error or '–'} | | | no answer |")
            all_met = False
            continue
        r50, r95 = b.p50 / a.p50, b.p95 / a.p95
        met = r50 <= LIMIT
        all_met &= met
        lines.append(
            f"| {label} | {a.p50:.1f} / {a.p95:.1f} | {b.p50:.1f} / {b.p95:.1f} | {r50:.2f} | {r95:.2f} | "
            f"{'MET' if met else 'NOT MET'} |"
        )
    return "\n".join(lines), all_met


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", help="postgresql:// URL to use (default: a throwaway local cluster)")
    parser.add_argument("--buildings", type=int, default=50_000)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes per server")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--requests", type=int, default=32, help="measured requests per cell (distinct tiles)")
    parser.add_argument("--cap", type=float, default=30.0, help="seconds at most per cell")
    args = parser.parse_args(argv)
    plans = max(args.buildings // 80, 1)
    gpkg = BENCH_DIR / f"city-{args.buildings}-{plans}-0.gpkg"
    prepare_geopackage(gpkg, {"buildings": args.buildings, "plans": plans, "contributions": 0})

    work = Path(tempfile.mkdtemp(prefix="buergergis-gpkg-load-"))
    servers: list[Server] = []
    try:
        with city_postgis(args.pg, "gpkgload", args.buildings) as pg_url:
            note = machine_note()
            # PostGIS first: it creates the tables a fresh database lacks
            for name, store in ((f"PostGIS ×{args.workers}", pg_url), (f"GeoPackage ×{args.workers}", str(gpkg))):
                servers.append(start_production(name, store, work, args.workers).wait())
            targets = [HttpTarget(s.name, s.base, "pygeoapi") for s in servers]
            cells = measure(targets, args.buildings, args.clients, args.requests, args.cap)
            text, met = table(cells, targets[1].name, targets[0].name)
            print(
                f"\nThe embedded store under load: {args.buildings} synthetic buildings, {args.clients} clients, "
                f"production server (gunicorn asyncio worker) with {args.workers} workers per store, "
                f"{args.requests} requests per cell"
            )
            print(note)
            print()
            print(text)
            print(f"\nverdict: every query within {LIMIT:g}× of PostGIS (p50): {'MET' if met else 'NOT MET'}")
            print(machine_note().splitlines()[0].replace("machine:", "after the run:"))
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    run_timed(main)
