"""Scenario run time for 1k / 10k / 50k synthetic buildings: GRZ/GFZ, compliance and hourly shadows for a day.

Run ``python -m benchmarks.bench_scenarios`` (options: ``--sizes 1000 10000``,
``--repeat 3``, ``--day equinox``, ``--nonconvex 0.2``).  A synthetic city of
120 m × 90 m blocks (WA, MI, GE zones, each with a Baufenster 6 m inside the
block) is built with :func:`twin.synthetic.synthetic_buildings`, then a
scenario (Z + 1 in every WA zone, all houses raised to their new Z) is run
with hourly shadows for one day.  The table gives the best of ``--repeat``
runs per stage; ``total`` is the whole ``run_scenario`` call.  Target: under
2 s for 10k buildings on 2 cores.

``--nonconvex`` turns that share of the buildings into L shapes (a wing
added), which take the exact swept-edge shadow path instead of the convex one.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import geopandas as gpd
import numpy as np
import shapely

from scenarios.engine import run_scenario
from scenarios.model import parse_scenario
from twin.model import CityModel
from twin.synthetic import synthetic_buildings

BLOCK_W, BLOCK_D, STREET = 120.0, 90.0, 20.0
ORIGIN = (560_000.0, 5_940_000.0)  # EPSG:25832, Hamburg area (so the sun is Hamburg's)
ZONE_MIX = (
    ("WA", 0.4, 0.8, 2, "OffeneBauweise"),
    ("WA", 0.4, 1.2, 3, "OffeneBauweise"),
    ("MI", 0.6, 1.2, 3, None),
    ("GE", 0.8, 1.6, 2, None),
)

SCENARIO = """
id: bench_nachverdichtung
title_de: Benchmark-Nachverdichtung
title_en: Benchmark densification
changes:
  - op: change_festsetzung
    where: {art_code: WA}
    add: {z: 1, gfz: 0.4}
  - op: modify_buildings
    where: {function: Wohnhaus}
    set: {storeys: 3}
"""


def synthetic_city(n_buildings: int, nonconvex: float = 0.0, seed: int = 0) -> CityModel:
    """A grid city with about ``n_buildings`` synthetic buildings (cut to exactly that many)."""
    per_block = 9.0  # buildings per block, measured; a margin below adds blocks if short
    blocks = int(np.ceil(n_buildings / per_block * 1.15))
    while True:
        side = int(np.ceil(np.sqrt(blocks)))
        i, j = np.divmod(np.arange(blocks), side)
        x0 = ORIGIN[0] + j * (BLOCK_W + STREET)
        y0 = ORIGIN[1] + i * (BLOCK_D + STREET)
        mix = [ZONE_MIX[k % len(ZONE_MIX)] for k in range(blocks)]
        zones = gpd.GeoDataFrame(
            {
                "id": [f"zone-{k}" for k in range(blocks)],
                "plan_id": "bench-plan",
                "art_code": [m[0] for m in mix],
                "grz": [m[1] for m in mix],
                "gfz": [m[2] for m in mix],
                "z": [m[3] for m in mix],
                "bauweise": [m[4] for m in mix],
            },
            geometry=shapely.box(x0, y0, x0 + BLOCK_W, y0 + BLOCK_D),
            crs="EPSG:25832",
        )
        rings = shapely.get_exterior_ring(shapely.box(x0 + 6, y0 + 6, x0 + BLOCK_W - 6, y0 + BLOCK_D - 6))
        baugrenzen = gpd.GeoDataFrame(
            {"id": [f"bg-{k}" for k in range(blocks)], "plan_id": "bench-plan", "art": "Baugrenze"},
            geometry=rings,
            crs="EPSG:25832",
        )
        buildings = synthetic_buildings(zones, seed=seed, baugrenzen=baugrenzen)["buildings"]
        if len(buildings) >= n_buildings:
            break
        blocks = int(blocks * 1.3) + 1
    buildings = buildings.iloc[:n_buildings].copy()
    if nonconvex > 0:
        rng = np.random.default_rng(seed)
        pick = rng.random(len(buildings)) < nonconvex
        geoms = buildings.geometry.values.copy()
        x0, y0, x1, _y1 = shapely.bounds(geoms[pick]).T
        wing = shapely.box(x0, y0, x0 + (x1 - x0) / 2, y0 - 6.0)  # a wing on the south side: an L
        geoms[pick] = shapely.multipolygons(
            shapely.get_parts(shapely.union(geoms[pick], wing)), indices=np.arange(int(pick.sum()))
        )
        buildings = buildings.set_geometry(geoms)
    streets = shapely.difference(shapely.box(*zones.total_bounds), shapely.union_all(zones.geometry.values))
    traffic = gpd.GeoDataFrame({"id": ["streets"], "plan_id": "bench-plan"}, geometry=[streets], crs="EPSG:25832")
    plan = gpd.GeoDataFrame(
        {"id": ["bench-plan"], "plan_id": "bench-plan"}, geometry=[shapely.box(*zones.total_bounds)], crs="EPSG:25832"
    )
    return CityModel.from_frames(
        {
            "bp_plan": plan,
            "bp_baugebiet": zones,
            "bp_baugrenze": baugrenzen,
            "bp_verkehrsflaeche": traffic,
            "buildings": buildings,
        }
    )


def bench(sizes, repeat: int, day: str, nonconvex: float) -> list[dict]:
    scenario = parse_scenario(SCENARIO, "bench")
    rows = []
    for n in sizes:
        t0 = time.perf_counter()
        model = synthetic_city(n, nonconvex)
        setup = time.perf_counter() - t0
        best = None
        for _ in range(repeat):
            result = run_scenario(scenario, model, library={}, shadows_day=day)
            if best is None or result.timings["total_s"] < best["total_s"]:
                best = dict(result.timings)
                best["steps"] = result.totals.get("shadow_steps", 0)
                best["shadows"] = 0 if result.shadows is None else len(result.shadows)
        rows.append({"buildings": len(model.buildings), "zones": len(model.zones), "setup_s": setup, **best})
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 50_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--day", default="equinox", help="equinox | winter_solstice | summer_solstice | YYYY-MM-DD")
    parser.add_argument("--nonconvex", type=float, default=0.0, help="share of L-shaped buildings (0..1)")
    args = parser.parse_args(argv)
    rows = bench(args.sizes, args.repeat, args.day, args.nonconvex)
    print(
        f"scenario run time, best of {args.repeat}; day {args.day}, hourly shadows; "
        f"{args.nonconvex:.0%} L-shaped; {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"shapely {shapely.__version__}"
    )
    header = (
        "buildings",
        "zones",
        "apply_s",
        "zones_s",
        "compliance_s",
        "totals_s",
        "shadows_s",
        "steps",
        "shadows",
        "total_s",
    )
    print(" | ".join(f"{h:>12}" for h in header))
    print("-|-".join("-" * 12 for _ in header))
    for row in rows:
        print(" | ".join(f"{row[h]:>12.3f}" if isinstance(row[h], float) else f"{row[h]:>12}" for h in header))
    ten_k = [r for r in rows if r["buildings"] == 10_000]
    if ten_k:
        verdict = "meets" if ten_k[0]["total_s"] < 2.0 else "MISSES"
        print(f"10k buildings: {ten_k[0]['total_s']:.2f} s -- {verdict} the 2 s target")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
