"""OGC API Processes for the twin: run a scenario, and indicators for a drawn area.

Both processors read the city model from the store named by
``BUERGERGIS_STORE`` (a GeoPackage path or a ``postgresql://`` URL, opened
with :func:`store.base.open_store`; EPSG from ``BUERGERGIS_STORAGE_EPSG``).
A ``store`` entry in the processor definition (config) overrides it.

pygeoapi configuration (``resources:``)::

    run-scenario:
      type: process
      processor:
        name: scenarios.processes.RunScenarioProcessor
    area-indicators:
      type: process
      processor:
        name: scenarios.processes.AreaIndicatorsProcessor

Both support synchronous and asynchronous execution (pygeoapi's job manager
runs ``execute`` in the background for ``Prefer: respond-async``).
"""

from __future__ import annotations

import logging
import os
from contextlib import contextmanager

import numpy as np
import shapely
import shapely.geometry
from pygeoapi.process.base import BaseProcessor, ProcessorExecuteError

from access.viewer import current_viewer
from intake.errors import IntakeError
from intake.geometry import check_geometry
from intake.messages import message
from scenarios.model import BASELINE, ScenarioError, parse_scenario, scenario_from_dict

LOG = logging.getLogger(__name__)

_DAY_SCHEMA = {
    "type": "string",
    "description": "equinox | winter_solstice | summer_solstice | YYYY-MM-DD",
    "examples": ["equinox", "winter_solstice", "2024-06-21"],
}

RUN_SCENARIO_METADATA = {
    "version": "0.1.0",
    "id": "run-scenario",
    "title": {
        "de": "Planungsszenario rechnen",
        "en": "Run a planning scenario",
    },
    "description": {
        "de": "Wendet ein Szenario (mitgeliefertes Szenario per id oder ein eigenes Szenario-Dokument) auf "
        "den digitalen Zwilling an und liefert Kennzahlen je Baugebietsteilfläche und insgesamt (GRZ, GFZ, "
        "Geschossfläche, Kubatur, Wohneinheiten, Einwohner, Versiegelung), Verstöße gegen Festsetzungen "
        "sowie die Differenzen zu einer zweiten Variante (Standard: Bestand).",
        "en": "Applies a scenario (a shipped scenario by id, or an inline scenario document) to the digital twin "
        "and returns indicators per building zone and in total (GRZ, GFZ, floor area, volume, dwellings, "
        "residents, sealed share), violations of the zoning provisions, and the deltas against a second "
        "variant (default: the baseline).",
    },
    "jobControlOptions": ["sync-execute", "async-execute"],
    "keywords": ["Szenario", "scenario", "Bebauungsplan", "GRZ", "GFZ", "digital twin", "Nachverdichtung"],
    "links": [],
    "inputs": {
        "scenario": {
            "title": {"de": "Szenario", "en": "Scenario"},
            "description": {
                "de": "Id eines mitgelieferten Szenarios (z. B. langenhorn_nachverdichtung), 'baseline', oder ein "
                "Szenario-Dokument (JSON-Objekt oder YAML-Text) nach scenarios/model.py.",
                "en": "Id of a shipped scenario (e.g. langenhorn_nachverdichtung), 'baseline', or a scenario "
                "document (JSON object or YAML text) following scenarios/model.py.",
            },
            "schema": {"oneOf": [{"type": "string"}, {"type": "object"}]},
            "minOccurs": 1,
            "maxOccurs": 1,
        },
        "compare_to": {
            "title": {"de": "Vergleichsvariante", "en": "Compare to"},
            "description": {
                "de": "Id der Variante, gegen die Differenzen gerechnet werden (Standard: die Basis des Szenarios; "
                "'none' für keinen Vergleich).",
                "en": "Id of the variant the deltas are computed against (default: the scenario's base; "
                "'none' for no comparison).",
            },
            "schema": {"type": "string"},
            "minOccurs": 0,
            "maxOccurs": 1,
        },
        "include_buildings": {
            "title": {"de": "Gebäude mitliefern", "en": "Include buildings"},
            "description": {
                "de": "Gebäude der Variante als GeoJSON (CRS84) mitliefern, dazu die Ids der "
                "gespeicherten Gebäude, an deren Stelle sie treten (replaced_building_ids).",
                "en": "Return the variant's buildings as GeoJSON (CRS84), and the ids of the stored "
                "buildings they stand in for (replaced_building_ids).",
            },
            "schema": {"type": "boolean", "default": False},
            "minOccurs": 0,
            "maxOccurs": 1,
        },
        "store_results": {
            "title": {"de": "Ergebnis speichern", "en": "Store the result"},
            "description": {
                "de": "Nur Planung (Bearer-Token): die Variante in den Collections scenarios, scenario_buildings "
                "und scenario_zone_indicators speichern (ersetzt eine frühere Rechnung derselben Variante).",
                "en": "Planners only (bearer token): store the variant in the collections scenarios, "
                "scenario_buildings and scenario_zone_indicators (replaces an earlier run of the variant).",
            },
            "schema": {"type": "boolean", "default": False},
            "minOccurs": 0,
            "maxOccurs": 1,
        },
        "sun_hours_day": {
            "title": {"de": "Tag für Besonnung", "en": "Day for sun-hours"},
            "description": {
                "de": "Sonnenstunden öffentlicher Flächen und Flurstücke für diesen Tag rechnen.",
                "en": "Compute sun-hours of public spaces and parcels for this day.",
            },
            "schema": _DAY_SCHEMA,
            "minOccurs": 0,
            "maxOccurs": 1,
        },
    },
    "outputs": {
        "result": {
            "title": {"de": "Kennzahlen und Differenzen", "en": "Indicators and deltas"},
            "description": {
                "de": "JSON: scenario, indicators (totals, zones, violations), compare_to, deltas (b - a).",
                "en": "JSON: scenario, indicators (totals, zones, violations), compare_to, deltas (b - a).",
            },
            "schema": {"type": "object", "contentMediaType": "application/json"},
        }
    },
    "example": {"inputs": {"scenario": "langenhorn_nachverdichtung", "compare_to": "langenhorn_baseline"}},
}

AREA_INDICATORS_METADATA = {
    "version": "0.1.0",
    "id": "area-indicators",
    "title": {
        "de": "Kennzahlen für eine Fläche",
        "en": "Indicators for an area",
    },
    "description": {
        "de": "Kennzahlen der Gebäude in einer gezeichneten Fläche (GeoJSON-Polygon in CRS84): Zahl der Gebäude, "
        "Grundfläche, GRZ, Geschossfläche, GFZ, Kubatur, Wohneinheiten, Einwohner, versiegelter und grüner "
        "Anteil -- im Bestand oder in einer Szenario-Variante.",
        "en": "Indicators of the buildings in a drawn area (GeoJSON polygon in CRS84): number of buildings, "
        "footprint, GRZ, floor area, GFZ, volume, dwellings, residents, sealed and green share -- for the "
        "baseline or a scenario variant.",
    },
    "jobControlOptions": ["sync-execute", "async-execute"],
    "keywords": ["Kennzahlen", "indicators", "GRZ", "GFZ", "digital twin"],
    "links": [],
    "inputs": {
        "geometry": {
            "title": {"de": "Fläche", "en": "Area"},
            "description": {
                "de": "GeoJSON Polygon oder MultiPolygon in CRS84 (Länge, Breite).",
                "en": "GeoJSON Polygon or MultiPolygon in CRS84 (longitude, latitude).",
            },
            "schema": {"type": "object", "contentMediaType": "application/geo+json"},
            "minOccurs": 1,
            "maxOccurs": 1,
        },
        "scenario": {
            "title": {"de": "Szenario", "en": "Scenario"},
            "description": {
                "de": "Id der Variante (Standard: baseline).",
                "en": "Id of the variant (default: baseline).",
            },
            "schema": {"type": "string", "default": BASELINE},
            "minOccurs": 0,
            "maxOccurs": 1,
        },
    },
    "outputs": {
        "indicators": {
            "title": {"de": "Kennzahlen", "en": "Indicators"},
            "schema": {"type": "object", "contentMediaType": "application/json"},
        }
    },
    # a block of Langenhorn 51 in the demo
    "example": {
        "inputs": {
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [[9.9986, 53.6702], [10.0038, 53.6702], [10.0038, 53.6734], [9.9986, 53.6734], [9.9986, 53.6702]]
                ],
            }
        }
    },
}


def _store_url(processor_def: dict) -> str:
    url = processor_def.get("store") or os.environ.get("BUERGERGIS_STORE")
    if url:
        return url
    from settings import get_settings

    return get_settings().store


@contextmanager
def opened_store(processor_def: dict):
    """The configured store (or the Store object in ``processor_def['store']``, left open)."""
    from store.base import Store, open_store

    store = processor_def.get("store")
    if isinstance(store, Store):
        yield store
        return
    epsg = int(os.environ["BUERGERGIS_STORAGE_EPSG"]) if os.environ.get("BUERGERGIS_STORAGE_EPSG") else None
    store = open_store(_store_url(processor_def), epsg=epsg)
    try:
        yield store
    finally:
        store.close()


def load_model(processor_def: dict):
    """The baseline CityModel from the configured store."""
    from twin.model import CityModel

    with opened_store(processor_def) as store:
        return CityModel.from_store(store)


def _store_url_of(processor_def: dict) -> str | None:
    from scenarios.studio import store_url_of
    from store.base import Store

    store = processor_def.get("store")
    return store_url_of(store) if isinstance(store, Store) else _store_url(processor_def)


def variant_library(processor_def: dict, viewer=None) -> dict:
    """The shipped scenarios plus the scenario studio's variants the requester may see: published ones for
    everyone, internal ones for planners (``scenarios/studio.py``). ``viewer``: who started the run (an async
    run has no request of its own any more); default the current request's."""
    from scenarios.studio import full_library

    viewer = viewer or current_viewer()
    epsg = int(os.environ["BUERGERGIS_STORAGE_EPSG"]) if os.environ.get("BUERGERGIS_STORAGE_EPSG") else None
    return full_library(_store_url_of(processor_def), viewer.is_planner, epsg)


def _record_stored(processor_def: dict, store, scenario, viewer=None) -> None:
    """A variant stored by this Process becomes a published version in the studio (A/B lists, comments)."""
    from scenarios.studio import record_stored

    if scenario is None:
        return
    viewer = viewer or current_viewer()
    url = _store_url_of(processor_def)
    if url:
        record_stored(url, scenario, viewer.name or viewer.role or "run-scenario", epsg=store.epsg)


def _scenario_input(value):
    """A scenario id (str without newline), a YAML document (str), or a dict; returns (id or Scenario)."""
    if isinstance(value, dict):
        return scenario_from_dict(value, source="inline scenario")
    if isinstance(value, str):
        if "\n" in value or ":" in value:
            return parse_scenario(value, source="inline scenario")
        return value.strip()
    raise ProcessorExecuteError(message("scenario_input"))


def _flag(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "ja")
    return bool(value)


class RunScenarioProcessor(BaseProcessor):
    """``run-scenario``: indicators of a variant and deltas against another."""

    def __init__(self, processor_def: dict):
        super().__init__(processor_def, RUN_SCENARIO_METADATA)
        self.processor_def = processor_def
        self.supports_outputs = True
        # pygeoapi makes the processor in the request that starts the job; an async run goes on in a thread
        # without that request, and must still know who started it (internal variants, who stored a result)
        self.viewer = current_viewer()

    def execute(self, data: dict, outputs=None):
        from scenarios.engine import compare, plans_read_by, replaced_building_ids, run_scenario
        from scenarios.results import store_result
        from twin.model import CityModel

        if not data or data.get("scenario") in (None, ""):
            raise ProcessorExecuteError(
                message(
                    "input_required",
                    name="scenario",
                    expected="a scenario id or document",
                    expected_de="id oder Dokument einer Planungsvariante",
                )
            )
        try:
            requested = _scenario_input(data["scenario"])
            library = variant_library(self.processor_def, self.viewer)  # shipped + the studio's they may see
            if isinstance(requested, str):
                if requested != BASELINE and requested not in library:
                    raise ProcessorExecuteError(
                        message("scenario_unknown", id=requested, known=", ".join(["baseline", *sorted(library)]))
                    )
                base = library[requested].base if requested != BASELINE else None
            else:  # an inline document joins the library, so it may be a base or compared to by id
                library[requested.id] = requested
                base = requested.base
            compare_to = data.get("compare_to", base)
            if compare_to in ("none", ""):
                compare_to = None
            if compare_to is not None and compare_to != BASELINE and compare_to not in library:
                raise ProcessorExecuteError(message("variant_compare_unknown", id=compare_to))
            store_results = _flag(data.get("store_results", False))  # api/access.py lets only planners ask
            with opened_store(self.processor_def) as store:
                # only the plans (and the buildings around them) the variants are cut to, not a whole city
                plan_ids = plans_read_by([requested] + ([compare_to] if compare_to is not None else []), library)
                model = CityModel.from_store(store, plan_ids=plan_ids)
                result = run_scenario(requested, model, library=library, sun_hours_day=data.get("sun_hours_day"))
                if store_results:
                    store_result(store, result)
                    _record_stored(
                        self.processor_def,
                        store,
                        requested if not isinstance(requested, str) else library.get(requested),
                        self.viewer,
                    )
            include_buildings = _flag(data.get("include_buildings", False))
            summary = result.to_dict(include_buildings=include_buildings)
            if include_buildings:
                summary["replaced_building_ids"] = replaced_building_ids(model, result)
            response = {
                "id": "result",
                "scenario": summary.pop("scenario"),
                "indicators": summary,
                "compare_to": compare_to,
                "deltas": None,
                "stored": store_results,
            }
            if compare_to is not None:
                other = run_scenario(compare_to, model, library=library)
                response["deltas"] = compare(other, result)
        except ScenarioError as err:
            raise ProcessorExecuteError(message("scenario_invalid", error=err)) from None
        except (KeyError, ValueError, TypeError) as err:
            raise ProcessorExecuteError(str(err).strip("'\"")) from None
        return "application/json", response

    def __repr__(self):
        return f"<RunScenarioProcessor> {self.name}"


def area_indicators(model, area_crs84: dict) -> dict:
    """Indicators of the buildings in an area (GeoJSON in CRS84) of a model.

    Buildings count with their part inside the area: footprint
    :math:`\\sum_i |F_i \\cap A|`, floor area :math:`\\sum_i |F_i \\cap A| Z_i`,
    volume :math:`\\sum_i |F_i \\cap A| h_i`; GRZ and GFZ over the area;
    dwellings and residents with the housing share of the zone each building
    lies in (:data:`twin.indicators.RESIDENTIAL_SHARE`; 1 outside zones).
    """
    import geopandas as gpd

    from twin.indicators import (
        assign_to_plots,
        dwellings,
        overlay_areas,
        residential_share,
        residents,
        sealed_share,
    )

    try:  # the intake's checks, as for a polygon a planner sends to a MULTIPOLYGON layer
        shape = check_geometry(area_crs84, "MULTIPOLYGON", collection="area-indicators")
    except IntakeError as err:
        raise ProcessorExecuteError(err.message) from None
    area = gpd.GeoSeries([shape], crs="OGC:CRS84").to_crs(f"EPSG:{model.epsg}").values
    b = model.buildings
    pairs = overlay_areas(b.geometry.values, area)
    idx, part = pairs["building"].to_numpy(), pairs["area"].to_numpy()
    storeys = b["storeys"].astype("Float64").fillna(0).to_numpy(dtype=float)[idx]
    heights = b["height"].astype("Float64").fillna(0).to_numpy(dtype=float)[idx]
    zone_of = assign_to_plots(b.geometry.values[idx], model.zones.geometry.values) if len(idx) else idx
    art = model.zones["art_code"].to_numpy(dtype=object) if "art_code" in model.zones else None
    share = np.ones(len(idx))
    if art is not None and len(idx):
        inside = zone_of >= 0
        share[inside] = residential_share(art[zone_of[inside]], model.assumptions.residential_share)
    floor = part * storeys
    area_m2 = float(shapely.area(area[0]))
    we = dwellings(floor, model.assumptions.m2_per_dwelling, share)
    sealed = float(sealed_share(area, b.geometry.values, model.traffic.geometry.values)[0]) if area_m2 else None
    return {
        "area_m2": area_m2,
        "buildings": len(np.unique(idx)),
        "footprint_m2": float(part.sum()),
        "floor_area_m2": float(floor.sum()),
        "volume_m3": float((part * heights).sum()),
        "grz": float(part.sum() / area_m2) if area_m2 else None,
        "gfz": float(floor.sum() / area_m2) if area_m2 else None,
        "dwellings": float(we.sum()),
        "residents": float(residents(we, model.assumptions.persons_per_dwelling).sum()),
        "sealed_share": sealed,
        "green_share": None if sealed is None else 1.0 - sealed,
        "synthetic_buildings": int(b["synthetic"].fillna(False).astype(bool).to_numpy()[np.unique(idx)].sum())
        if len(idx)
        else 0,
    }


class AreaIndicatorsProcessor(BaseProcessor):
    """``area-indicators``: indicators of the buildings inside a drawn polygon."""

    def __init__(self, processor_def: dict):
        super().__init__(processor_def, AREA_INDICATORS_METADATA)
        self.processor_def = processor_def
        self.supports_outputs = True
        self.viewer = current_viewer()  # see RunScenarioProcessor

    def execute(self, data: dict, outputs=None):
        from scenarios.engine import apply_scenario

        geometry = (data or {}).get("geometry")
        if isinstance(geometry, dict) and geometry.get("type") == "Feature":
            geometry = geometry.get("geometry")
        if not isinstance(geometry, dict):
            raise ProcessorExecuteError(
                message(
                    "input_required",
                    name="geometry",
                    expected="a GeoJSON Polygon in CRS84",
                    expected_de="ein GeoJSON-Polygon in CRS84",
                )
            )
        variant = (data or {}).get("scenario") or BASELINE
        model = load_model(self.processor_def)
        if variant != BASELINE:
            library = variant_library(self.processor_def, self.viewer)
            if variant not in library:
                raise ProcessorExecuteError(
                    message("scenario_unknown", id=variant, known=", ".join(["baseline", *sorted(library)]))
                )
            try:
                model, _ = apply_scenario(library[variant], model, library)
            except ScenarioError as err:
                raise ProcessorExecuteError(str(err)) from None
        indicators = area_indicators(model, geometry)
        return "application/json", {"id": "indicators", "scenario": variant, "indicators": indicators}

    def __repr__(self):
        return f"<AreaIndicatorsProcessor> {self.name}"
