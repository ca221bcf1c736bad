"""Scenario studio: time of one editing step for districts of a few hundred buildings, through the HTTP API.

Run ``python -m benchmarks.studio_steps`` (options: ``--sizes 300 600 1000``, ``--repeat 5``). Districts of
synthetic buildings (the block city of :mod:`benchmarks.bench_scenarios`, one Bebauungsplan each, side by
side in one GeoPackage) are served by the real WSGI app (in-process Flask test client, planner token, no
UI). For each district a planner's variant is started and edited step by step -- raise Z of two zones,
set a GRZ, change Art der Nutzung and Bauweise, add a building, raise and remove chosen buildings, fill a
Baufenster, undo, redo -- and every answer carries the new indicators (totals, GRZ/GFZ achieved vs
permitted, dwellings, residents, sealed share, violations, per-zone rows) and the zones and buildings as
GeoJSON for the studio's map. After each variant the day-and-hour slider's request is timed too: the
shadows of A and B at one hour and the sun hours of that day at three chosen places in A and B. The table gives the median and the slowest wall
time per step (request to parsed answer). Target (issue 16): under 1 s per step for a few hundred buildings.
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import statistics
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import shapely

from benchmarks.bench_scenarios import synthetic_city

TOKEN = secrets.token_urlsafe(32)
HEADERS = {"Authorization": f"Bearer {TOKEN}"}


def district_frames(n: int, offset: float) -> dict[str, gpd.GeoDataFrame]:
    """The block city of ``n`` buildings as store frames, moved east by ``offset`` metres, plan ``bench-<n>``."""
    from schema.catalog import LAYERS

    model = synthetic_city(n)
    plan = f"bench-{n}"
    out = {}
    for layer_id, frame in (
        ("bp_plan", model.plans),
        ("bp_baugebiet", model.zones),
        ("bp_baugrenze", model.baugrenzen),
        ("bp_verkehrsflaeche", model.traffic),
        ("buildings", model.buildings),
    ):
        frame = frame.copy()
        frame["geometry"] = shapely.transform(frame.geometry.values, lambda xy: xy + [offset, 0.0])
        if "plan_id" in LAYERS[layer_id].columns:
            frame["plan_id"] = plan
        frame["id"] = [f"{plan}-{i}" for i in frame["id"].astype(str)] if layer_id != "bp_plan" else [plan]
        if layer_id == "buildings":
            frame["source"] = f"synthetic:{plan}"
        keep = [c for c in frame.columns if c in LAYERS[layer_id].columns] + ["geometry"]
        frame = gpd.GeoDataFrame(frame[keep], geometry="geometry", crs=model.zones.crs)
        if LAYERS[layer_id].geometry_type == "MULTIPOLYGON":
            frame["geometry"] = [shapely.MultiPolygon([g]) if g.geom_type == "Polygon" else g for g in frame.geometry]
        out[layer_id] = frame
    return out


def build_store(url: str, sizes: list[int]) -> dict[int, dict]:
    from store.base import open_store

    store = open_store(url)
    info = {}
    try:
        store.create_schema()
        for k, n in enumerate(sizes):
            frames = district_frames(n, offset=k * 6000.0)
            store.replace({key: v for key, v in frames.items() if key != "buildings"}, plan_id=f"bench-{n}")
            store.replace({"buildings": frames["buildings"]}, source=f"synthetic:bench-{n}")
            zones = frames["bp_baugebiet"]
            wa = zones[zones["art_code"] == "WA"]
            centre = wa.geometry.values[0].centroid
            from pyproj import Transformer

            to_lonlat = Transformer.from_crs(store.epsg, 4326, always_xy=True)
            places = [to_lonlat.transform(centre.x + dx, centre.y + dy) for dx, dy in ((0, 20), (30, 0), (-30, 10))]
            info[n] = {
                "buildings": len(frames["buildings"]),
                "zones": len(zones),
                "wa": list(wa["id"][:2]),
                "centre": (centre.x, centre.y),
                "places": places,
                "chosen": list(frames["buildings"]["id"].astype(str)[:3]),
            }
    finally:
        store.close()
    return info


def square(x: float, y: float, size: float = 12.0) -> dict:
    return shapely.geometry.mapping(shapely.box(x - size / 2, y - size / 2, x + size / 2, y + size / 2))


def bench(sizes: list[int], repeat: int) -> list[dict]:
    tmp = Path(tempfile.mkdtemp(prefix="studio-bench-"))
    url = str(tmp / "studio.gpkg")
    info = build_store(url, sizes)
    os.environ["BUERGERGIS_PLANNER_TOKEN"] = TOKEN
    from api.wsgi import create_app
    from settings import Settings

    app = create_app(Settings(store=url, data_dir=tmp, ui=False))
    client = app.test_client()
    rows = []
    for n in sizes:
        d = info[n]
        (x, y), zones = d["centre"], d["wa"]
        steps = [
            (
                "raise Z of 2 zones",
                "changes",
                {"change": {"op": "change_festsetzung", "zones": zones, "add": {"z": 1}}},
            ),
            (
                "set GRZ of a zone",
                "changes",
                {"change": {"op": "change_festsetzung", "zones": zones[:1], "set": {"grz": 0.5}}},
            ),
            (
                "type of use, Bauweise",
                "changes",
                {
                    "change": {
                        "op": "change_festsetzung",
                        "zones": zones[:1],
                        "set": {"art_code": "MI", "bauweise": "OffeneBauweise"},
                    }
                },
            ),
            ("add a building", "changes", {"change": {"op": "add_building", "geometry": square(x, y), "storeys": 4}}),
            (
                "raise 3 chosen buildings",
                "changes",
                {"change": {"op": "modify_buildings", "ids": d["chosen"], "set": {"storeys": 6}}},
            ),
            ("remove a chosen building", "changes", {"change": {"op": "remove_buildings", "ids": d["chosen"][:1]}}),
            ("fill a Baufenster", "changes", {"change": {"op": "fill_envelope", "zones": zones[1:2]}}),
            ("undo", "undo", {}),
            ("redo", "redo", {}),
        ]
        times: dict[str, list[float]] = {name: [] for name, _, _ in steps}
        times["start a variant"] = []
        times["shadows A/B + sun hours at 3 places"] = []
        places = ";".join(f"{lon:.7f},{lat:.7f}" for lon, lat in d["places"])
        for r in range(repeat):
            t0 = time.perf_counter()
            reply = client.post(
                "/api/variants?geojson=1",
                headers=HEADERS,
                json={"base": "baseline", "plan_ids": [f"bench-{n}"], "title_de": f"Bench {n} {r}"},
            )
            assert reply.status_code == 201, reply.json
            times["start a variant"].append(time.perf_counter() - t0)
            vid = reply.json["variant"]["id"]
            for name, path, body in steps:
                t0 = time.perf_counter()
                reply = client.post(f"/api/variants/{vid}/{path}?geojson=1", headers=HEADERS, json=body)
                elapsed = time.perf_counter() - t0
                assert reply.status_code == 200, (name, reply.json)
                assert reply.json["indicators"]["floor_area_m2"] is not None
                times[name].append(elapsed)
            t0 = time.perf_counter()
            reply = client.get(
                f"/api/variants/{vid}/sun",
                headers=HEADERS,
                query_string={"day": "2026-03-21", "hour": str(9 + r), "points": places},
            )
            assert reply.status_code == 200 and len(reply.json["points"]) == 3, reply.json
            times["shadows A/B + sun hours at 3 places"].append(time.perf_counter() - t0)
        for name, values in times.items():
            rows.append(
                {
                    "buildings": d["buildings"],
                    "zones": d["zones"],
                    "step": name,
                    "median_s": statistics.median(values),
                    "max_s": max(values),
                    "runs": len(values),
                }
            )
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[300, 600, 1000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    rows = bench(args.sizes, args.repeat)
    print(
        f"scenario studio: one step through the HTTP API (in-process), {args.repeat} runs each; "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, shapely {shapely.__version__}"
    )
    header = ("buildings", "zones", "step", "median_s", "max_s", "runs")
    widths = {h: (36 if h == "step" else 10) for h in header}
    print(" | ".join(f"{h:>{widths[h]}}" for h in header))
    print("-|-".join("-" * widths[h] for h in header))
    for row in rows:
        print(
            " | ".join(
                f"{row[h]:>{widths[h]}.3f}" if isinstance(row[h], float) else f"{row[h]:>{widths[h]}}" for h in header
            )
        )
    worst = max(
        (r for r in rows if r["buildings"] <= 600 and r["step"] != "start a variant"),
        key=lambda r: r["max_s"],
        default=None,
    )
    if worst:
        verdict = "meets" if worst["max_s"] < 1.0 else "MISSES"
        print(f"slowest step up to 600 buildings: {worst['step']} {worst['max_s']:.3f} s -- {verdict} the 1 s target")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
