"""The bundled demo: three adjoining Hamburg-Langenhorn Bebauungspläne (data/sample/).

Source and licence: data/sample/README.md. Imported once; a second start finds
them in the store and skips the import.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from participation.model import LOCAL_TZ
from settings import ROOT, Settings
from store.base import open_store

LOG = logging.getLogger(__name__)

SAMPLE_DIR = ROOT / "data" / "sample"
DEMO_PLANS = ("Langenhorn51_5-2", "LA22_5-2", "LA67_5-2")


def demo_plan_files() -> list[Path]:
    return [SAMPLE_DIR / "xplan" / name / "xplan.gml" for name in DEMO_PLANS]


def load_demo(settings: Settings, force: bool = False) -> None:
    """Import the demo plans into the configured store unless they are already there."""
    from layers.importing import import_xplan_files

    store = open_store(settings.store, epsg=settings.storage_epsg)
    try:
        store.create_schema()
        if store.count("bp_plan") and not force:
            LOG.info("store %s already holds plans; demo import skipped", settings.store)
        else:
            report = import_xplan_files(store, demo_plan_files(), raster_dir=settings.raster_dir)
            LOG.info("demo imported: %s; rows %s", ", ".join(report.plans), report.rows)
            _load_demo_buildings(store)
            _store_demo_scenarios(store)
        ensure_demo_procedure(store)
    finally:
        store.close()


def ensure_demo_procedure(store, now: datetime | None = None) -> dict | None:
    """An open §3 (2) procedure on the demo plans, so a citizen can comment right after ``./dev demo``.

    Made when none of the demo plans' procedures is open now and none was closed by a planner
    (who closed it meant it); it runs six weeks from the day the demo starts. Returns it, if made.
    """
    import shapely

    from participation.model import is_open
    from participation.store import iso, write_procedure

    now = now or datetime.now(UTC)
    plans = store.read("bp_plan")
    plans = plans[plans["name"].notna()]
    if plans.empty:
        return None
    plan_ids = sorted(plans["id"])
    existing = store.read("procedures")
    for record in existing.drop(columns="geometry").to_dict("records"):
        record = {k: (None if _missing(v) else v) for k, v in record.items()}
        covered = set(_json_list(record.get("plan_ids"))) & set(plan_ids)
        if covered and (is_open(record, now) or record.get("closed_at") is not None):
            return None
    start = datetime.combine(now.astimezone(LOCAL_TZ).date(), time(0, 0), tzinfo=LOCAL_TZ)
    values = {
        "id": f"demo-{start:%Y%m%d}",
        "kind": "veroeffentlichung",
        "title_de": "Veröffentlichung der Bebauungspläne in Langenhorn (Demo)",
        "title_en": "Publication of the Langenhorn Bebauungspläne (demo)",
        "description_de": (
            "Demo-Verfahren nach § 3 Abs. 2 BauGB: Sagen Sie uns, was Sie zu den Plänen denken. "
            "Jede Stellungnahme bekommt eine Eingangsnummer und wird abgewogen."
        ),
        "description_en": (
            "Demo procedure under § 3 (2) BauGB: tell us what you think of the plans. Every statement "
            "gets a reference number and is weighed."
        ),
        "plan_ids": plan_ids,
        "scenario_id": None,
        "opens_at": start - timedelta(days=1),
        "closes_at": start + timedelta(days=43),
        "allowed_kinds": ["kommentar", "vorschlag"],
        "reference_prefix": "LGH",
        "closed_at": None,
        "created_by": "demo",
        "created_at": iso(now),
        "updated_at": iso(now),
    }
    write_procedure(store, values, shapely.union_all(list(plans.geometry)))
    LOG.info("demo procedure %s open until %s", values["id"], values["closes_at"])
    return values


def _missing(value) -> bool:
    import pandas as pd

    return not isinstance(value, (list, dict)) and bool(pd.isna(value))


def _json_list(value) -> list:
    import json

    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return []
    return list(value) if value is not None else []


def _load_demo_buildings(store) -> None:
    """Synthetic existing buildings for the demo area (no real LoD data for Langenhorn is bundled)."""
    from layers.importing import import_layer_frames
    from twin.model import windows_of
    from twin.synthetic import synthetic_buildings

    # Inside the Baufenster (the plans' own areas, else the faces of their Baugrenzen), so the baseline itself breaks no Festsetzung.
    frames = synthetic_buildings(
        store.read("bp_baugebiet"), baugrenzen=windows_of(store.read("bp_baufenster"), store.read("bp_baugrenze"))
    )
    import_layer_frames(store, frames, source="synthetic:demo")


def _store_demo_scenarios(store) -> None:
    """The two shipped Langenhorn variants, computed and stored as OGC API collections."""
    from scenarios.results import run_and_store

    for result in run_and_store(store):
        LOG.info("demo scenario %s stored", result.scenario_id)
