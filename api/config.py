"""pygeoapi configuration: generated from the layer catalogue, completed at start-up.

* ``python -m api.config write`` regenerates the committed ``pygeoapi-config.yml``
  from ``schema/catalog.py`` (a test fails when the two are out of step). It holds
  ``${BUERGERGIS_…}`` placeholders that pygeoapi fills from the environment, so
  one file serves the GeoPackage and the PostGIS store.
* :func:`runtime_config` adds what only the data knows (each collection's
  spatial extent, the plan rasters directory) and is written to
  ``var/pygeoapi-config.runtime.yml`` before pygeoapi is imported.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import yaml

from schema.catalog import LAYERS, Layer
from settings import ROOT, Settings

CONFIG_PATH = ROOT / "pygeoapi-config.yml"

#: Germany, as the fallback extent of an empty collection (CRS84).
GERMANY_BBOX = [5.86, 47.27, 15.04, 55.06]

#: Layers also served as Mapbox vector tiles (city scale: the 3D view draws buildings, plans and streets from them).
TILED_LAYERS = ("buildings", "bp_baugebiet", "bp_plan", "streets")

#: Collections served by a provider of their own (over the same two stores, with extra rules).
PROVIDER_NAMES = {"contributions": "providers.contributions.ContributionsProvider"}

#: Collections with a time field, for ``datetime=`` queries.
TIME_FIELDS = {"contributions": "created_at"}

HEADER = """\
# pygeoapi configuration of the Bürger-GIS.
# GENERATED from schema/catalog.py by `python -m api.config write` -- edit the catalogue, not this file.
# ${BUERGERGIS_*} values come from the environment (see settings/__init__.py); at start-up the server adds
# each collection's real extent and writes var/pygeoapi-config.runtime.yml.
"""


def _crs_list(epsg_placeholder: str) -> list[str]:
    return [
        "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
        "http://www.opengis.net/def/crs/EPSG/0/4326",
        "http://www.opengis.net/def/crs/EPSG/0/25832",
        "http://www.opengis.net/def/crs/EPSG/0/25833",
        "http://www.opengis.net/def/crs/EPSG/0/3857",
        f"http://www.opengis.net/def/crs/EPSG/0/{epsg_placeholder}",
    ]


def _collection(layer: Layer) -> dict:
    store = "${BUERGERGIS_STORE}"
    epsg = "${BUERGERGIS_STORAGE_EPSG:-25832}"
    feature_provider = {
        "type": "feature",
        "name": PROVIDER_NAMES.get(layer.id, "providers.store.StoreFeatureProvider"),
        "data": store,
        "table": layer.id,
        "id_field": "id",
        "geom_field": "geom",
        "storage_crs": f"http://www.opengis.net/def/crs/EPSG/0/{epsg}",
        "crs": _crs_list(epsg),
        # writes pass api/access.py first: planners only, citizens only where allowed; read-only layers
        # (procedures, published Abwägung) are written through their /api routes
        "editable": not layer.read_only,
    }
    if layer.id in TIME_FIELDS:
        feature_provider["time_field"] = TIME_FIELDS[layer.id]
    if layer.title_field:
        feature_provider["title_field"] = layer.title_field
    providers = [feature_provider]
    if layer.id in TILED_LAYERS:
        providers.append(
            {
                "type": "tile",
                "name": "providers.store.StoreTileProvider",
                "data": store,
                "table": layer.id,
                "id_field": "id",
                "geom_field": "geom",
                "storage_crs": f"http://www.opengis.net/def/crs/EPSG/0/{epsg}",
                "options": {"zoom": {"min": 10, "max": 18}},
                "format": {"name": "pbf", "mimetype": "application/vnd.mapbox-vector-tile"},
            }
        )
    return {
        "type": "collection",
        "title": {"de": layer.title_de, "en": layer.title_en},
        "description": {"de": layer.description_de, "en": layer.description_en},
        "keywords": {"de": list(layer.keywords), "en": list(layer.keywords)},
        "extents": {"spatial": {"bbox": GERMANY_BBOX, "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}},
        "providers": providers,
    }


def template() -> dict:
    """The pygeoapi config for every catalogue layer, with environment placeholders."""
    resources = {layer.id: _collection(layer) for layer in LAYERS.values() if layer.geometry_type}
    resources["dem"] = {
        "type": "collection",
        "title": {"de": "Digitales Geländemodell (Demo)", "en": "Digital elevation model (demo)"},
        "description": {
            "de": "Geländehöhen als OGC API Coverage. Demo-Daten: HydroSHEDS-DGM von Fort Worth (Texas), "
            "nicht Hamburg; eine Kommune setzt BUERGERGIS_DEM auf ihr eigenes DGM.",
            "en": "Terrain heights as an OGC API Coverage. Demo data: HydroSHEDS DEM of Fort Worth (Texas), "
            "not Hamburg; a Kommune points BUERGERGIS_DEM at its own DEM.",
        },
        "keywords": {"de": ["DGM", "Gelände", "Höhe"], "en": ["DEM", "terrain", "elevation"]},
        "extents": {
            "spatial": {
                "bbox": [-97.485, 32.5225, -97.179, 32.822],
                "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
            }
        },
        "providers": [
            {
                "type": "coverage",
                "name": "providers.dem.DEMCoverageProvider",
                "data": "${BUERGERGIS_DEM:-data/sample/dem/dem.tif}",
                "options": {"DATA_ENCODING": "COMPRESSED_BASE64"},
                "format": {"name": "GTiff", "mimetype": "application/tiff"},
            }
        ],
    }
    # OGC API Processes: scenario runs and indicators for a drawn area (scenarios/processes.py).
    resources["run-scenario"] = {"type": "process", "processor": {"name": "scenarios.processes.RunScenarioProcessor"}}
    resources["area-indicators"] = {
        "type": "process",
        "processor": {"name": "scenarios.processes.AreaIndicatorsProcessor"},
    }
    return {
        "server": {
            "bind": {"host": "${BUERGERGIS_HOST:-127.0.0.1}", "port": "${BUERGERGIS_PORT:-8050}"},
            "url": "${BUERGERGIS_PUBLIC_URL:-http://localhost:8050}/oapi",
            "mimetype": "application/json; charset=UTF-8",
            "encoding": "utf-8",
            "gzip": False,
            "languages": ["de-DE", "en-US"],
            "cors": True,
            "pretty_print": False,
            # Async process jobs are kept in a small TinyDB file beside the runtime config.
            "manager": {
                "name": "TinyDB",
                "connection": "${BUERGERGIS_DATA_DIR:-var}/process-jobs.db",
                "output_dir": "${BUERGERGIS_DATA_DIR:-var}/process-outputs",
            },
            "limits": {"default_items": 50, "max_items": 10000, "on_exceed": "throttle"},
            "map": {
                # pygeoapi's HTML pages draw a basemap; offline they simply show none.
                "url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                "attribution": "&copy; OpenStreetMap contributors",
            },
        },
        "logging": {"level": "ERROR"},
        "metadata": {
            "identification": {
                "title": {
                    "de": "Bürger-GIS: Bebauungspläne und Stadtmodell",
                    "en": "Citizen GIS: zoning plans and city model",
                },
                "description": {
                    "de": "Bebauungspläne (XPlanung), Stadtmodell und Bürgerbeiträge als OGC API.",
                    "en": "Zoning plans (XPlanung), city model and citizen contributions as OGC API.",
                },
                "keywords": {
                    "de": ["Bebauungsplan", "XPlanung", "Bürgerbeteiligung", "Stadtmodell"],
                    "en": ["zoning plan", "XPlanung", "public participation", "digital twin"],
                },
                "keywords_type": "theme",
                "terms_of_service": "https://www.govdata.de/dl-de/by-2-0",
                "url": "https://example.org/buergergis",
            },
            "license": {"name": "dl-de/by-2-0", "url": "https://www.govdata.de/dl-de/by-2-0"},
            "provider": {"name": "${BUERGERGIS_ORGANISATION:-Bürger-GIS demo}", "url": "https://example.org"},
            "contact": {
                "name": "${BUERGERGIS_CONTACT_NAME:-Stadtplanung}",
                "email": "${BUERGERGIS_CONTACT_EMAIL:-planung@example.org}",
                "url": "https://example.org",
                "role": "pointOfContact",
            },
        },
        "resources": resources,
    }


def render_template() -> str:
    return HEADER + yaml.safe_dump(template(), sort_keys=False, allow_unicode=True, width=120)


#: libyaml's loader and dumper where PyYAML has them (every wheel does): the start-up reads and writes the config
#: 8× faster; the committed file is still written by the pure-Python dumper (its text is compared in a test).
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
SAFE_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def runtime_config(settings: Settings, extents: dict[str, list[float]] | None = None) -> dict:
    """The committed config with real extents (CRS84 bboxes by collection id) filled in."""
    with open(CONFIG_PATH, encoding="utf-8") as fh:
        config = yaml.load(fh, Loader=SAFE_LOADER)  # noqa: S506 — SafeLoader or libyaml's CSafeLoader, both safe
    for resource in config["resources"].values():
        for provider in resource.get("providers", []):
            if "crs" in provider:  # the storage CRS placeholder may repeat a fixed entry: resolve, keep one
                resolved = [
                    c.replace("${BUERGERGIS_STORAGE_EPSG:-25832}", str(settings.storage_epsg)) for c in provider["crs"]
                ]
                provider["crs"] = list(dict.fromkeys(resolved))
    for collection_id, bbox in (extents or {}).items():
        if collection_id in config["resources"] and bbox:
            config["resources"][collection_id]["extents"]["spatial"]["bbox"] = [round(v, 6) for v in bbox]
    return config


def write_runtime_config(settings: Settings, extents: dict[str, list[float]] | None = None) -> Path:
    """Write the runtime config and point pygeoapi at it (PYGEOAPI_CONFIG / PYGEOAPI_OPENAPI)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    path = settings.data_dir / "pygeoapi-config.runtime.yml"
    path.write_text(
        yaml.dump(runtime_config(settings, extents), Dumper=SAFE_DUMPER, sort_keys=False, allow_unicode=True),
        encoding="utf-8",
    )
    (settings.data_dir / "process-outputs").mkdir(exist_ok=True)  # pygeoapi's job manager expects it
    os.environ["PYGEOAPI_CONFIG"] = str(path)
    os.environ["PYGEOAPI_OPENAPI"] = str(settings.data_dir / "pygeoapi-openapi.yml")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["write", "check"])
    args = parser.parse_args(argv)
    rendered = render_template()
    if args.action == "write":
        CONFIG_PATH.write_text(rendered, encoding="utf-8")
        print(f"wrote {CONFIG_PATH}")
        return 0
    current = CONFIG_PATH.read_text(encoding="utf-8") if CONFIG_PATH.exists() else ""
    if current != rendered:
        print(
            "pygeoapi-config.yml is out of step with schema/catalog.py: run python -m api.config write", file=sys.stderr
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
