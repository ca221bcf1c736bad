"""The bundled demo: three adjoining Hamburg-Langenhorn Bebauungspläne (data/sample/).

Source and licence: data/sample/README.md. Imported once; a second start finds
them in the store and skips the import.
"""

from __future__ import annotations

import logging
from pathlib import Path

from api.settings import ROOT, Settings
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
            return
        report = import_xplan_files(store, demo_plan_files(), raster_dir=settings.raster_dir)
        LOG.info("demo imported: %s; rows %s", ", ".join(report.plans), report.rows)
        _load_demo_buildings(store)
        _store_demo_scenarios(store)
    finally:
        store.close()


def _load_demo_buildings(store) -> None:
    """Synthetic existing buildings for the demo area (no real LoD data for Langenhorn is bundled)."""
    from layers.importing import import_layer_frames
    from twin.model import windows_of
    from twin.synthetic import synthetic_buildings

    # Inside the Baufenster (the plans' own areas, else the faces of their Baugrenzen), so the baseline itself breaks no Festsetzung.
    frames = synthetic_buildings(store.read("bp_baugebiet"),
                                 baugrenzen=windows_of(store.read("bp_baufenster"), store.read("bp_baugrenze")))
    import_layer_frames(store, frames, source="synthetic:demo")


def _store_demo_scenarios(store) -> None:
    """The two shipped Langenhorn variants, computed and stored as OGC API collections."""
    from scenarios.results import run_and_store

    for result in run_and_store(store):
        LOG.info("demo scenario %s stored", result.scenario_id)
