"""Scenario results as OGC API collections: run variants on the twin of a store and write them back.

Three collections hold the results (catalogue entries in ``schema/catalog.py``):
``scenarios`` (one row per variant: totals, plan area, likes), ``scenario_buildings``
(the buildings of each variant) and ``scenario_zone_indicators`` (GRZ/GFZ and more per
Baugebietsteilfläche and variant). Writing a variant replaces exactly its own rows
(``source = "scenario:<id>"``) in one transaction and keeps its likes.

Who writes them: ``buergergis run-scenarios`` (planners / city IT, after an import), the demo
loader (so the demo shows both Langenhorn variants), and the ``run-scenario`` process with
``store_results: true`` (planner token only, see ``api/access.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from scenarios.engine import ScenarioResult, run_scenario
from scenarios.model import BASELINE, Scenario, shipped_scenarios

LOG = logging.getLogger(__name__)

RESULT_LAYERS = ("scenarios", "scenario_buildings", "scenario_zone_indicators")


def store_result(store, result: ScenarioResult) -> dict[str, int]:
    """Write one variant's frames, replacing its earlier rows; rows written per layer."""
    computed_at = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    frames = result.to_frames(computed_at=computed_at)
    earlier = store.read("scenarios", where={"id": result.scenario_id})
    if len(earlier) and earlier["like_count"].notna().any():
        # likes live in scenario_likes; the count on the row is carried over (api/scenarios.py keeps it current)
        frames["scenarios"]["like_count"] = int(earlier["like_count"].fillna(0).max())
    return store.replace(frames, source=f"scenario:{result.scenario_id}")


def run_and_store(
    store, scenario_ids: Iterable[str] | None = None, library: Mapping[str, Scenario] | None = None
) -> list[ScenarioResult]:
    """Run scenarios (default: every shipped one) on the store's twin and store each result.

    The twin is assembled once (:meth:`twin.model.CityModel.from_store`), so a
    store without buildings gets the labelled synthetic ones, as in the processes.
    An unknown id raises ``KeyError`` naming the known ones, before anything is written.
    """
    from twin.model import CityModel

    library = dict(library if library is not None else shipped_scenarios())
    ids = list(scenario_ids) if scenario_ids else sorted(library)
    unknown = [i for i in ids if i != BASELINE and i not in library]
    if unknown:
        raise KeyError(f"unknown scenario(s) {', '.join(unknown)}; known: {', '.join(['baseline', *sorted(library)])}")
    model = CityModel.from_store(store)
    results = []
    for scenario_id in ids:
        result = run_scenario(scenario_id, model, library=library)
        written = store_result(store, result)
        LOG.info("scenario %s stored: %s", scenario_id, written)
        results.append(result)
    return results
