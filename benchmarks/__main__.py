"""``python -m benchmarks`` (``./dev bench``): every benchmark, one after the other, printing tables.

* ``api``: our OGC API vs tipg vs raw SQL vs the GeoPackage store on a synthetic city
  (:mod:`benchmarks.api`; 400 000 buildings: about 3 minutes to generate the data,
  then about 10 minutes of requests on 2 cores);
* ``imports``: XPlanGML plans/s and CityGML buildings/s into both stores
  (:mod:`benchmarks.imports`, about a minute);
* ``xplan_all``: every shared plan of every type read, validated and stored, and a synthetic
  FNP of 3,600 objects (:mod:`benchmarks.xplan_all`, about half a minute);
* ``scenarios``: scenario run times for 1k-50k synthetic buildings
  (:mod:`benchmarks.bench_scenarios`);
* ``scenario_city``: the ``run-scenario`` Process on a 100 000-building city, reading only the
  variant's plans vs the whole store (:mod:`benchmarks.scenario_city`, a few minutes);
* ``scaling``: requests/s with 1, 2 and 4 gunicorn workers on one PostGIS
  (:mod:`benchmarks.scaling`, a few minutes);
* ``studio``: one editing step of the scenario studio (``/api/variants``) for districts of 300-1,000
  buildings, through the HTTP API (:mod:`benchmarks.studio_steps`, about a minute);
* ``view3d``: the 3D view in headless Chromium at city scale: tile bytes and time to the
  first rendered frame for a district and the whole city (:mod:`benchmarks.view3d`; 400 000
  buildings: about 3 minutes to generate, then a few minutes of page loads).

``--quick`` runs them small (20 000 buildings, fewer requests): a few minutes in all.
``--only api imports`` picks some. Figures are comparable only within one run on one
machine; each table's header says how loaded the machine was.
"""

from __future__ import annotations

import argparse
import sys
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run of every benchmark")
    names = ["api", "imports", "xplan_all", "scenarios", "scenario_city", "scaling", "view3d", "studio"]
    parser.add_argument("--only", nargs="+", choices=names, default=names)
    parser.add_argument("--pg", help="use this postgresql:// database instead of a throwaway cluster")
    args = parser.parse_args(argv)
    pg = ["--pg", args.pg] if args.pg else []
    failures = 0
    for name in args.only:
        print(f"\n===== {name} =====", flush=True)
        started = time.perf_counter()
        try:
            if name == "api":
                from benchmarks import api

                sizes = (
                    [
                        "--buildings",
                        "20000",
                        "--plans",
                        "250",
                        "--contributions",
                        "5000",
                        "--requests",
                        "15",
                        "--clients",
                        "1",
                        "4",
                    ]
                    if args.quick
                    else ["--gunicorn", "2"]
                )
                failures += api.main(sizes + pg) != 0
            elif name == "imports":
                from benchmarks import imports

                failures += imports.main((["--rounds", "1"] if args.quick else []) + pg) != 0
            elif name == "xplan_all":
                from benchmarks import xplan_all

                xplan_all.main(["--fnp-side", "30"] if args.quick else [])
            elif name == "view3d":
                from benchmarks import view3d

                failures += view3d.main((["--buildings", "20000", "--runs", "1"] if args.quick else []) + pg) != 0
            elif name == "scenario_city":
                from benchmarks import scenario_city

                failures += (
                    scenario_city.main((["--buildings", "20000", "--repeat", "1"] if args.quick else []) + pg) != 0
                )
            elif name == "studio":  # its own process: it starts the WSGI app (pygeoapi reads one config each)
                import subprocess

                failures += (
                    subprocess.run(
                        [sys.executable, "-m", "benchmarks.studio_steps"]
                        + (["--sizes", "300", "--repeat", "2"] if args.quick else [])
                    ).returncode
                    != 0
                )
            elif name == "scaling":
                from benchmarks import scaling

                failures += scaling.main((["--buildings", "20000", "--seconds", "8"] if args.quick else []) + pg) != 0
            else:
                from benchmarks import bench_scenarios

                failures += (
                    bench_scenarios.main(["--sizes", "1000", "10000", "--repeat", "1"] if args.quick else []) != 0
                )
        except Exception as err:  # noqa: BLE001 — one broken benchmark must not hide the others' tables
            failures += 1
            print(f"{name} failed: {type(err).__name__}: {err}", flush=True)
        print(f"({name}: {time.perf_counter() - started:.0f} s)", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
