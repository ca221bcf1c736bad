"""Import speed: XPlanGML plans/s and CityGML buildings/s, into both stores.

``python -m benchmarks.imports [--rounds 3] [--pg URL | --no-postgis] [--no-rasters]``

* XPlanGML: every plan in ``$BUERGERGIS_SHARED_DATA/xplan`` (the 13 shared plans) is
  read with ``layers.xplanung.read_xplan`` (plan drawings warped to PNG, as the importer
  does; ``--no-rasters`` leaves them out) and written with ``store.replace(frames,
  plan_id=…)`` — one transaction per plan, a re-import replacing the last one. A round
  is all plans once; plans/s = plans / (read + write) of the fastest round.
  Target: ≥ 5 plans/s.
* CityGML: ``layers.citygml.read_citygml`` on ``citygml-berlin-mitte`` (every file), then
  ``store.replace(frames, source=…)``; buildings/s of the fastest round.

Stores: a fresh GeoPackage in a temporary directory, and PostGIS (a throwaway local
cluster unless ``--pg``; skipped with a note when PostgreSQL is not installed).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("BUERGERGIS_SHARED_DATA", ROOT.parent / "shared" / "data"))
TARGET_PLANS_PER_S = 5.0


def plan_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*/*.gml")) + sorted(directory.glob("*.gml"))


def bench_xplan(store, files: list[Path], raster_dir: Path | None, rounds: int) -> tuple[list[dict], dict]:
    """Per-file timings of the fastest round, and the round totals."""
    from layers.xplanung import read_xplan

    best = None
    for _ in range(rounds):
        rows = []
        for path in files:
            t0 = time.perf_counter()
            plans = read_xplan(path, epsg=store.epsg, raster_dir=raster_dir)
            t1 = time.perf_counter()
            objects = 0
            for plan in plans:
                objects += sum(store.replace(plan.frames, plan_id=plan.plan_id).values())
            t2 = time.perf_counter()
            rows.append(
                {"file": path.parent.name, "plans": len(plans), "objects": objects, "read": t1 - t0, "write": t2 - t1}
            )
        total = sum(r["read"] + r["write"] for r in rows)
        if best is None or total < best[1]["total"]:
            best = (
                rows,
                {
                    "total": total,
                    "plans": sum(r["plans"] for r in rows),
                    "read": sum(r["read"] for r in rows),
                    "write": sum(r["write"] for r in rows),
                    "objects": sum(r["objects"] for r in rows),
                },
            )
    return best


def bench_batch(store, files: list[Path], raster_dir: Path | None, rounds: int) -> dict:
    """The whole batch through :func:`layers.importing.import_xplan_files`, as ``buergergis import-xplan``
    runs it (files read on several threads, then written plan by plan); the fastest round."""
    from layers.importing import READ_THREADS, import_xplan_files

    best = None
    for _ in range(rounds):
        t0 = time.perf_counter()
        report = import_xplan_files(store, files, raster_dir=raster_dir)
        elapsed = time.perf_counter() - t0
        if best is None or elapsed < best["total"]:
            best = {
                "total": elapsed,
                "plans": len(report.plans),
                "rows": sum(report.rows.values()),
                "threads": READ_THREADS,
            }
    return best


def bench_citygml(store, directory: Path, rounds: int) -> dict:
    """Each file read and written as its own source (``citygml:<file name>``), as the importer does."""
    from layers.citygml import read_citygml

    files = sorted(directory.glob("*.gml"))
    best = None
    for _ in range(rounds):
        result = {"buildings": 0, "read": 0.0, "write": 0.0, "files": len(files)}
        for path in files:
            t0 = time.perf_counter()
            frames = read_citygml(path, epsg=store.epsg)
            t1 = time.perf_counter()
            written = store.replace(frames, source=f"citygml:{path.name}")
            t2 = time.perf_counter()
            result["buildings"] += written.get("buildings", 0)
            result["read"] += t1 - t0
            result["write"] += t2 - t1
        result["total"] = result["read"] + result["write"]
        if best is None or result["total"] < best["total"]:
            best = result
    return best


def run_store(name: str, url: str, args, out: list[str], work: Path) -> None:
    from store.base import open_store

    store = open_store(url)
    try:
        store.create_schema()
        raster_dir = None if args.no_rasters else Path(tempfile.mkdtemp(prefix="rasters-", dir=work))
        files = plan_files(SHARED / "xplan")
        rows, total = bench_xplan(store, files, raster_dir, args.rounds)
        sequential = total["plans"] / total["total"]
        batch = bench_batch(store, files, raster_dir, args.rounds)
        rate = batch["plans"] / batch["total"]
        out.append(
            f"\nXPlanGML into {name}: {total['plans']} plans from {len(files)} files, "
            f"{total['objects']} rows, best of {args.rounds} rounds"
            + ("" if raster_dir else " (without plan drawings)")
        )
        out.append("  one file after the other (where the time goes):")
        out.append(f"  {'file':<30} {'plans':>5} {'rows':>6} {'read ms':>8} {'write ms':>9}")
        for r in rows:
            out.append(
                f"  {r['file']:<30} {r['plans']:>5} {r['objects']:>6} {r['read'] * 1000:>8.0f} "
                f"{r['write'] * 1000:>9.0f}"
            )
        out.append(
            f"  {'total':<30} {total['plans']:>5} {total['objects']:>6} {total['read'] * 1000:>8.0f} "
            f"{total['write'] * 1000:>9.0f}"
        )
        out.append(
            f"  -> one after the other: {sequential:.1f} plans/s (read {total['plans'] / total['read']:.1f}/s, "
            f"write {total['plans'] / max(total['write'], 1e-9):.1f}/s)"
        )
        out.append(
            f"  -> the batch as `buergergis import-xplan` imports it ({batch['threads']} reading threads): "
            f"{batch['plans']} plans in {batch['total'] * 1000:.0f} ms = {rate:.1f} plans/s; "
            f"target >= {TARGET_PLANS_PER_S:g} plans/s: {'MET' if rate >= TARGET_PLANS_PER_S else 'NOT MET'}"
        )
        city = bench_citygml(store, SHARED / "citygml-berlin-mitte", args.rounds)
        out.append(
            f"CityGML into {name}: {city['buildings']} buildings from {city['files']} files: "
            f"read {city['read'] * 1000:.0f} ms, write {city['write'] * 1000:.0f} ms -> "
            f"{city['buildings'] / city['total']:.0f} buildings/s "
            f"(read alone {city['buildings'] / city['read']:.0f}/s)"
        )
    finally:
        store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pg", help="postgresql:// URL (default: a throwaway local cluster)")
    parser.add_argument("--no-postgis", action="store_true")
    parser.add_argument("--no-rasters", action="store_true", help="do not warp the plan drawings")
    args = parser.parse_args(argv)
    if not (SHARED / "xplan").is_dir():
        print(f"shared data not found at {SHARED} (set BUERGERGIS_SHARED_DATA)", file=sys.stderr)
        return 2
    load = os.getloadavg()
    out = [f"Import speed ({os.cpu_count()} cores, load average {load[0]:.2f} at the start)"]
    with tempfile.TemporaryDirectory(prefix="bench-imports-") as tmp:
        run_store("GeoPackage", str(Path(tmp) / "imports.gpkg"), args, out, Path(tmp))
        if not args.no_postgis:
            pg = None
            try:
                if args.pg:
                    url = args.pg
                else:
                    from store.local_postgis import LocalPostGIS, PostGISUnavailable

                    try:
                        pg = LocalPostGIS(dbname="imports").start()
                        url = pg.url
                    except PostGISUnavailable as err:
                        out.append(f"\nPostGIS skipped: {err}")
                        url = None
                if url:
                    run_store("PostGIS", url, args, out, Path(tmp))
            finally:
                if pg is not None:
                    pg.stop()
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
