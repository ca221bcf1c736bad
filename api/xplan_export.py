"""Download a stored plan in the current standard (below ``/api``), whatever version it was imported in.

``GET /api/plans/<plan_id>/xplangml``         the plan as XPlanGML 6.0 (``XPlanAuszug``, ``application/gml+xml``,
                                              as an attachment named after the plan); older plans are migrated,
                                              see :mod:`layers.xplanung.export`
``GET /api/plans/<plan_id>/xplangml/report``  what that migration did: values 6.0 cannot hold, values it had to
                                              assume, counted renames (JSON)
``GET /api/plans/<plan_id>/jsonfg``           the plan's objects as an OGC JSON-FG FeatureCollection
                                              (``application/geo+json``; ``place`` in the storage CRS,
                                              ``geometry`` in WGS84)

Plans are public like the ``xplan_*`` collections, so these are open GET routes.  The store is the
one the app was created with: ``create_app`` passes its settings when registering the blueprint
(``settings=``), else the environment (``BUERGERGIS_STORE``) is read.  Unknown plans answer 404 with
a German and English message.
"""

from __future__ import annotations

import io

from flask import Blueprint, current_app, jsonify, send_file
from flask.blueprints import BlueprintSetupState

from api.messages import message
from layers.xplanung.export import (
    GML_MEDIA_TYPE,
    JSONFG_MEDIA_TYPE,
    ExportError,
    to_jsonfg,
    to_xplangml,
)
from schema.bilingual import split
from settings import Settings

BLUEPRINT = Blueprint("xplan_export_api", __name__)
_SETTINGS_KEY = "buergergis.xplan_export.settings"


@BLUEPRINT.record
def _remember_settings(state: BlueprintSetupState) -> None:
    """Keep the app's settings (``register_blueprint(..., settings=settings)``) for the routes."""
    if state.options.get("settings") is not None:
        state.app.extensions[_SETTINGS_KEY] = state.options["settings"]


def _settings() -> Settings:
    return current_app.extensions.get(_SETTINGS_KEY) or Settings()


def _error(status: int, code: str, message: str):
    return jsonify({"code": code, "description": message}), status


def _read_plan(plan_id: str):
    """(plan row, object rows, storage EPSG) of a stored plan, or None when the store has no such plan."""
    from store.base import open_store

    settings = _settings()
    store = open_store(settings.store, epsg=settings.storage_epsg)
    try:
        plans = store.read("xplan_plan", where={"id": plan_id})
        if plans.empty:
            return None
        objects = store.read("xplan_objekt", where={"plan_id": plan_id})
        return plans.iloc[0], objects, store.epsg
    finally:
        store.close()


def _detail(err: ExportError) -> dict[str, str]:
    """An export error's own words as the messages take them: German (``error_de``) and English (``error``)."""
    german, english = split(str(err))
    return {"error_de": german, "error": english}


def _not_found(plan_id: str):
    return _error(404, "NotFound", message("plan_not_stored", id=plan_id))


def _export(plan_id: str):
    """(export, None) or (None, error response)."""
    read = _read_plan(plan_id)
    if read is None:
        return None, _not_found(plan_id)
    plan, objects, epsg = read
    try:
        return to_xplangml(plan, objects, epsg=epsg), None
    except ExportError as err:
        return None, _error(422, "ExportFailed", message("export_xplangml_failed", **_detail(err)))


@BLUEPRINT.get("/plans/<path:plan_id>/xplangml")
def xplangml(plan_id: str):
    export, error = _export(plan_id)
    if error is not None:
        return error
    response = send_file(
        io.BytesIO(export.content),
        mimetype=GML_MEDIA_TYPE,
        as_attachment=True,
        download_name=export.filename,
        max_age=0,
    )
    # how much the migration could not carry over; the details are at .../xplangml/report
    response.headers["X-XPlan-Source-Version"] = export.source_version
    response.headers["X-XPlan-Not-Representable"] = str(len(export.not_representable))
    return response


@BLUEPRINT.get("/plans/<path:plan_id>/xplangml/report")
def xplangml_report(plan_id: str):
    export, error = _export(plan_id)
    if error is not None:
        return error
    return jsonify(export.report())


@BLUEPRINT.get("/plans/<path:plan_id>/jsonfg")
def jsonfg(plan_id: str):
    read = _read_plan(plan_id)
    if read is None:
        return _not_found(plan_id)
    plan, objects, epsg = read
    try:
        body = to_jsonfg(plan, objects, epsg=epsg)
    except ExportError as err:
        return _error(422, "ExportFailed", message("export_jsonfg_failed", **_detail(err)))
    response = jsonify(body)
    response.mimetype = JSONFG_MEDIA_TYPE
    return response
