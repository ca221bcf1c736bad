"""The OGC API server: pygeoapi at /oapi, our JSON endpoints at /api, Open311 at /open311/v2, access control in
front. The portal (this server with the Dash UI at /) is composed above both, in ``commands/portal.py``.

pygeoapi reads its configuration when ``pygeoapi.flask_app`` is first imported,
so :func:`prepare` writes the runtime config and the OpenAPI document and sets
the environment *before* that import. Run the portal with ``python -m commands.serve``
(one process) or ``gunicorn 'commands.portal:create_app()'`` (several workers; PostGIS);
``gunicorn 'api.wsgi:create_app()'`` serves the API alone.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, jsonify, request, send_from_directory

from api.messages import message
from settings import ROOT, Settings, get_settings


def _export_environment(settings: Settings) -> None:
    """Put the settings where pygeoapi's ${BUERGERGIS_*} placeholders look for them."""
    os.environ["BUERGERGIS_STORE"] = settings.store
    os.environ["BUERGERGIS_STORAGE_EPSG"] = str(settings.storage_epsg)
    os.environ["BUERGERGIS_PUBLIC_URL"] = settings.public_url
    os.environ["BUERGERGIS_HOST"] = settings.host
    os.environ["BUERGERGIS_PORT"] = str(settings.port)
    os.environ["BUERGERGIS_DATA_DIR"] = str(settings.data_dir)
    os.environ.setdefault("BUERGERGIS_DEM", str(ROOT / "data" / "sample" / "dem" / "dem.tif"))


def collection_extents(settings: Settings) -> dict[str, list[float]]:
    """CRS84 bbox of every non-empty collection, read from the store."""
    from store.base import open_store

    store = open_store(settings.store, epsg=settings.storage_epsg)
    try:
        return store.extents_crs84()
    finally:
        store.close()


def prepare(settings: Settings | None = None) -> Settings:
    """Write the runtime config and the OpenAPI document (unless current) and set the environment for pygeoapi."""
    from api import compat
    from api.config import write_runtime_config
    from api.openapi_document import write_openapi_document
    from providers.contributions import create_tables

    settings = settings or get_settings()
    _export_environment(settings)
    compat.yaml_with_libyaml()  # pygeoapi reads the config and the OpenAPI document with libyaml from here on
    create_tables(settings.store, settings.storage_epsg)  # contributions, procedures, likes (older stores lack them)
    config_path = write_runtime_config(settings, collection_extents(settings))
    # securitySchemes added, writes marked; kept from the last start while config, code and store columns are the same
    write_openapi_document(config_path, Path(os.environ["PYGEOAPI_OPENAPI"]), settings)
    return settings


#: Text the server sends compressed (brotli where the client takes it, else gzip): pages, scripts, styles,
#: GeoJSON/JSON pages of the OGC API, CSV and vector tiles. Binary downloads (XLSX, DOCX, PNG) are left alone.
COMPRESSED_TYPES = [
    "text/html",
    "text/css",
    "text/plain",
    "text/csv",
    "text/javascript",
    "application/javascript",
    "application/json",
    "application/geo+json",
    "application/schema+json",
    "application/ld+json",
    "application/vnd.oai.openapi+json",
    "application/xml",
    "application/gml+xml",
    "image/svg+xml",
    "application/vnd.mapbox-vector-tile",
]


def _compress(server: Flask) -> None:
    """Compress text answers with Flask-Compress (a maintained extension; no reverse proxy needed for it)."""
    from flask_compress import Compress
    from werkzeug.datastructures import Headers

    server.config.update(
        COMPRESS_MIMETYPES=COMPRESSED_TYPES,
        COMPRESS_ALGORITHM=["br", "gzip"],
        COMPRESS_LEVEL=6,
        COMPRESS_BR_LEVEL=4,
        COMPRESS_MIN_SIZE=1024,
        COMPRESS_ALGORITHM_STREAMING=["br", "deflate"],
    )
    Compress(server)

    @server.after_request  # runs before Compress's hook (Flask runs them last-registered first)
    def real_headers(response):
        # pygeoapi's views assign a plain dict to response.headers; its case-sensitive lookups hide the
        # Content-Type from Response.mimetype, and so from Flask-Compress.
        if not isinstance(response.headers, Headers):
            response.headers = Headers(response.headers)
        return response


def create_app(settings: Settings | None = None) -> Flask:
    """The API server: pygeoapi mounted at /oapi, /api, /open311/v2, the plan rasters (no UI: commands/portal.py)."""
    settings = prepare(settings)
    from api import compat
    from providers.passthrough import install_json_passthrough

    compat.apply()
    install_json_passthrough()  # pages written as text by the stores, CRS work kept (both stores)
    from pygeoapi.flask_app import BLUEPRINT  # imported only now: it reads the config at import time

    from api import access, contributions, limits, open311, procedures, scenarios, xplan_export

    server = Flask("buergergis", static_folder=None)
    server.config["MAX_CONTENT_LENGTH"] = settings.max_upload_bytes
    _compress(server)
    from api import csv_cells, edges, headers, pygeoapi_pages

    csv_cells.install()  # ?f=csv: a cell starting with = + - @ is written as text, never a formula
    headers.install(server, settings)  # CSP, nosniff, framing, referrer, no version banners
    pygeoapi_pages.install(server, settings.data_dir)  # pygeoapi's HTML pages with local copies of their scripts
    from api import standards

    standards.install(server)  # CORS, geo+json, describedby, Content-Crs (before any check reads a body), 401s
    limits.install(server, settings)  # abuse limits per client, counted before any other check
    from api import token_throttle

    token_throttle.install(server)  # wrong bearer tokens count per client; 429 beyond the limit
    edges.install(server, settings)  # JSON depth, chunked 413, storage down -> 503 (before bodies are parsed)
    access.install(server, settings)
    from api import jobs

    jobs.install(server)  # /oapi/jobs: one's own jobs only, kept BUERGERGIS_JOBS_KEEP_HOURS, runs capped
    from access import web as staff_access

    # staff sign-in (OpenID Connect), sessions, /api/me, service tokens
    staff_access.install(server, settings)
    compat.install_request_checks(server)
    server.register_blueprint(BLUEPRINT, url_prefix="/oapi")
    server.register_blueprint(contributions.BLUEPRINT, url_prefix="/api")  # likes, moderation
    server.register_blueprint(procedures.BLUEPRINT, url_prefix="/api")  # procedures, Abwägung, audit trail
    server.register_blueprint(scenarios.BLUEPRINT, url_prefix="/api")  # likes of planning variants
    from api import variants

    server.register_blueprint(variants.BLUEPRINT, url_prefix="/api")  # the scenario studio's variants
    server.register_blueprint(open311.BLUEPRINT, url_prefix="/open311/v2")  # Mängelmeldungen (GeoReport v2)
    # plans as XPlanGML 6.0 / JSON-FG downloads, read from this app's store
    server.register_blueprint(xplan_export.BLUEPRINT, url_prefix="/api", settings=settings)
    from api import search

    server.register_blueprint(search.BLUEPRINT, url_prefix="/api", settings=settings)  # places, plans, zones
    from api import bursts, media, voters

    voters.install(server)  # likes: one per browser id in a server-issued, signed cookie
    server.register_blueprint(media.BLUEPRINT, url_prefix="/api")  # photos of Mängelmeldungen, duplicate hint
    server.register_blueprint(bursts.BLUEPRINT, url_prefix="/api")  # suspicious bursts for the moderation
    from api import feeds, notifications

    notifications.install(server, settings)  # e-mail updates (double opt-in) and their background sender
    server.register_blueprint(notifications.BLUEPRINT, url_prefix="/api")
    server.register_blueprint(feeds.BLUEPRINT, url_prefix="/api")  # Atom feeds of contributions and procedures

    @server.route("/api/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    @server.route("/oapi/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    @server.route("/open311/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def unknown_api_path(rest: str):
        # Below the API roots an unknown path is a 404 in JSON, not the portal's page (the portal's Dash answers
        # every other path); routes of the blueprints are more specific and win.
        return jsonify({"code": "NotFound", "description": message("no_such_resource", path=request.path[:200])}), 404

    @server.route("/rasters/<path:name>")
    def plan_raster(name: str):
        # Plan drawings warped to Web Mercator by the XPlanung importer.
        return send_from_directory(settings.raster_dir, name, max_age=3600)

    return server
