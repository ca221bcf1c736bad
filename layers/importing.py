"""Read source files with the format modules and write them to a store, all or nothing per run.

Every file is read and checked first; only when all of them are good is
anything written, so a broken file in a batch leaves the store unchanged.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd

from layers.messages import message
from store.base import Store, check_frames

LOG = logging.getLogger(__name__)

#: Files read at the same time by :func:`import_xplan_files`.
READ_THREADS = max(1, min(4, os.cpu_count() or 1))


class ImportFailed(Exception):
    """One or more input files could not be read; nothing was written."""


@dataclass
class ImportReport:
    plans: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    #: plan label -> class -> {"in_file": n, "stored": n}
    classes: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    #: plan label -> its validation report (XPlanung plans)
    validation: dict[str, object] = field(default_factory=dict)

    def add(self, written: dict[str, int]) -> None:
        for layer_id, n in written.items():
            self.rows[layer_id] = self.rows.get(layer_id, 0) + n


def import_xplan_files(
    store: Store, paths: Iterable[Path | str], raster_dir: Path | None = None, strict: bool = False
) -> ImportReport:
    """Import XPlanGML files of any plan type; each plan replaces its earlier import (matched by gml:id).

    Every plan is validated and stored with its report; with ``strict`` a plan whose report has an
    error refuses the whole batch (nothing written).
    """
    from layers.xplanung import XPlanError, read_xplan

    def read(path):
        try:
            return read_xplan(path, epsg=store.epsg, raster_dir=raster_dir), None
        except XPlanError as err:
            return [], str(err)

    # Two files at a time: GDAL (plan images) and lxml (parsing) release the GIL, so one file's
    # image warp overlaps another's Python work. Results keep the order of ``paths``.
    paths = list(paths)
    with ThreadPoolExecutor(max_workers=READ_THREADS) as pool:
        results = list(pool.map(read, paths)) if len(paths) > 1 else [read(p) for p in paths]
    plans = [plan for read_plans, _ in results for plan in read_plans]
    errors = [error for _, error in results if error]
    if errors:
        raise ImportFailed("nothing imported:\n  " + "\n  ".join(errors))
    if strict:
        invalid = [
            f"{plan.name} ({plan.plan_id}): {plan.report.counts.get('error', 0)} error(s)"
            for plan in plans
            if plan.report is not None and not plan.report.valid
        ]
        if invalid:
            raise ImportFailed(f"{message('import_strict_invalid')}:\n  " + "\n  ".join(invalid))
    for plan in plans:
        check_frames(plan.frames, store.epsg)
    report = ImportReport()
    for plan in plans:
        report.add(store.replace(plan.frames, plan_id=plan.plan_id))
        label = f"{plan.plan_id} ({plan.name})"
        report.plans.append(label)
        report.classes[label] = plan.class_counts
        if plan.report is not None:
            report.validation[label] = plan.report
        report.warnings.extend(plan.warnings)
    return report


def import_layer_frames(store: Store, frames: dict[str, gpd.GeoDataFrame], source: str) -> ImportReport:
    """Write city-layer frames (buildings, streets, parcels) replacing the same source's rows."""
    check_frames(frames, store.epsg)
    report = ImportReport()
    report.add(store.replace(frames, source=source))
    return report
