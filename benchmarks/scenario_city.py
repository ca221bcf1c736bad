"""The ``run-scenario`` Process on a city: reading the store plus running a variant of a few plans.

``python -m benchmarks.scenario_city [--buildings 100000] [--plans 1 10] [--repeat 3] [--pg URL]``

The synthetic city (:mod:`benchmarks.generate`, one plan per 80 buildings) goes into one
PostGIS (a throwaway cluster, or ``--pg URL``). For each size of variant (``--plans``: the
first n plans) an inline scenario (Z + 1 and GFZ + 0.4 in every WA zone of those plans, houses
at 3 storeys, sun-hours for the equinox) runs through :class:`scenarios.processes.RunScenarioProcessor`
as the OGC API runs it, compared with its base, the unchanged plans. Two ways of reading:

* ``its plans``: what the Process does: the plans the variants are cut to and the buildings
  around them, through the spatial index (:func:`scenarios.engine.plans_read_by`);
* ``whole store``: the whole city read into the twin first, as before, cut afterwards.

The table gives the best of ``--repeat`` runs (seconds) and what was read.
"""

from __future__ import annotations

import argparse
import os
import time

from benchmarks.api import city_postgis, machine_note


def _scenarios(plan_ids: list[str]) -> tuple[dict, str]:
    """The densification of :mod:`benchmarks.bench_scenarios` on a base cut to ``plan_ids``: (library, its id)."""
    from benchmarks.bench_scenarios import SCENARIO
    from scenarios.model import parse_scenario, scenario_from_dict

    base = scenario_from_dict(
        {"id": "bench_city_base", "title_de": "Bestand", "title_en": "As it is", "plan_ids": plan_ids, "changes": []},
        source="benchmark",
    )
    variant = parse_scenario(SCENARIO + "base: bench_city_base\n", source="benchmark")
    return {base.id: base, variant.id: variant}, variant.id


def run_once(pg_url: str, plan_ids: list[str], whole_store: bool) -> tuple[float, int, int]:
    """Seconds for one Process run, buildings read, buildings in the variant."""
    from unittest import mock

    from scenarios import processes
    from twin.model import CityModel

    library, variant_id = _scenarios(plan_ids)
    read = {}
    original = CityModel.from_store.__func__

    def from_store(cls, store, **kwargs):
        if whole_store:
            kwargs["plan_ids"] = None
        model = original(cls, store, **kwargs)
        read["buildings"] = len(model.buildings)
        return model

    processor = processes.RunScenarioProcessor({"name": "run-scenario", "store": None})
    with (
        mock.patch.object(processes, "shipped_scenarios", lambda: dict(library)),
        mock.patch.object(CityModel, "from_store", classmethod(from_store)),
        mock.patch.dict(os.environ, {"BUERGERGIS_STORE": pg_url}),
    ):
        started = time.perf_counter()
        _, out = processor.execute({"scenario": variant_id, "sun_hours_day": "equinox"})
        seconds = time.perf_counter() - started
    return seconds, read["buildings"], int(out["indicators"]["totals"]["buildings"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", help="postgresql:// URL to use (default: a throwaway local cluster)")
    parser.add_argument("--buildings", type=int, default=100_000)
    parser.add_argument("--plans", type=int, nargs="+", default=[1, 10], help="plans in the variant")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    with city_postgis(args.pg, "scenario_city", args.buildings) as pg_url:
        from store.base import open_store

        store = open_store(pg_url)
        try:
            plans = sorted(store.read("bp_plan")["id"].astype(str))
        finally:
            store.close()
        print(
            f"\nrun-scenario Process on {args.buildings} synthetic buildings, {len(plans)} plans (PostGIS); "
            f"best of {args.repeat}"
        )
        print(machine_note())
        print("| plans in the variant | reading | seconds | buildings read | buildings in the variant |")
        print("|---|---|---|---|---|")
        for n in args.plans:
            chosen = plans[:n]
            for label, whole in (("its plans", False), ("whole store", True)):
                runs = [run_once(pg_url, chosen, whole) for _ in range(args.repeat)]
                best = min(runs)
                print(f"| {n} | {label} | {best[0]:.2f} | {best[1]} | {best[2]} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
