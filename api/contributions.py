"""Routes around the ``contributions`` collection that OGC API Features has no words for (below ``/api``).

Every route works through the collection's provider (``providers/contributions.py``),
so the same visibility and moderation rules apply as on ``/oapi``; roles are checked
in front by ``api/access.py`` as well.

``POST   /api/contributions/<id>/like``     like (one per person: ``X-Voter-Id``, a random per-browser
                                            id of 16-128 characters ``[A-Za-z0-9_-]``, stored hashed)
``DELETE /api/contributions/<id>/like``     take the like back
``POST   /api/contributions/<id>/status``   moderators/planners: ``{"status": "freigegeben"}``; appends to
                                            the status history
``DELETE /api/contributions/mine``          delete every contribution written with the secret(s) in
                                            ``X-Contribution-Secret``, with their likes (DSGVO Art. 17)
``GET    /api/participation-phases``        all phases (``?plan_id=`` / ``?scenario_id=``), with ``open_now``
``POST   /api/participation-phases``        planners: ``{"plan_id"|"scenario_id"|neither, "opens_at",
                                            "closes_at", "title"}``
``PUT    /api/participation-phases/<id>``   planners: replace; ``DELETE`` removes
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from flask import Blueprint, jsonify, request
from pygeoapi.provider.base import ProviderGenericError

from api import access

BLUEPRINT = Blueprint("contributions_api", __name__)


def contributions_provider():
    """A provider instance for the contributions collection, as pygeoapi makes them (per request)."""
    from pygeoapi.flask_app import api_
    from pygeoapi.plugin import load_plugin
    from pygeoapi.provider import get_provider_by_type

    resource = api_.config["resources"]["contributions"]
    return load_plugin("provider", get_provider_by_type(resource["providers"], "feature"))


@BLUEPRINT.errorhandler(ProviderGenericError)
def _provider_error(err: ProviderGenericError):
    return jsonify({"code": err.ogc_exception_code, "description": err.message}), int(err.http_status_code)


def _error(status: int, message: str):
    return jsonify({"code": "InvalidParameterValue" if status == 400 else "Error", "description": message}), status


def _body(required: bool = True):
    """(JSON body, None) or (None, error response)."""
    if not request.get_data(cache=True).strip():
        return ({}, None) if not required else (None, _error(400, "Leerer Inhalt / the body is empty: send JSON"))
    body = request.get_json(force=True, silent=True)
    if body is None:
        return None, _error(400, "Fehlerhaftes JSON / malformed JSON")
    return body, None


# -- likes ------------------------------------------------------------------------------------------------


def _like(contribution_id: str, add: bool):
    body, error = _body(required=False)
    if error is not None:
        return error
    voter = access.voter_id(body if isinstance(body, dict) else None)
    if voter is None:
        return _error(400, f"Bitte eine Browser-Kennung im Header {access.VOTER_HEADER} senden (16-128 Zeichen "
                           f"A-Z a-z 0-9 _ -) / send a per-browser voter id in the {access.VOTER_HEADER} header "
                           "(16-128 characters A-Z a-z 0-9 _ -)")
    changed, count = contributions_provider().like(contribution_id, voter, add=add)
    return jsonify({"id": contribution_id, "like_count": count, "liked": add, "changed": changed})


@BLUEPRINT.post("/contributions/<contribution_id>/like")
def like(contribution_id: str):
    return _like(contribution_id, add=True)


@BLUEPRINT.delete("/contributions/<contribution_id>/like")
def unlike(contribution_id: str):
    return _like(contribution_id, add=False)


# -- moderation and deletion --------------------------------------------------------------------------------


@BLUEPRINT.post("/contributions/<contribution_id>/status")
def set_status(contribution_id: str):
    body, error = _body()
    if error is not None:
        return error
    status = body.get("status") if isinstance(body, dict) else None
    if not isinstance(status, str):
        return _error(400, 'Erwartet / expected {"status": "freigegeben"}')
    row = contributions_provider().set_status(contribution_id, status)
    return jsonify({"id": row["id"], "status": row["status"], "status_history": row["status_history"],
                    "updated_at": row["updated_at"]})


@BLUEPRINT.delete("/contributions/mine")
def delete_mine():
    deleted = contributions_provider().delete_by_author()
    return jsonify({"deleted": len(deleted), "ids": deleted})


# -- participation phases --------------------------------------------------------------------------------------


def _phase_json(phase: dict) -> dict:
    return {**phase, "open_now": access.phase_is_open(phase, datetime.now(UTC))}


@BLUEPRINT.get("/participation-phases")
def list_phases():
    rows = contributions_provider().rows
    plan_id, scenario_id = request.args.get("plan_id"), request.args.get("scenario_id")
    phases = rows.phases(plan_id=plan_id, scenario_id=scenario_id) if (plan_id or scenario_id) else rows.phases()
    return jsonify({"phases": [_phase_json(p) for p in phases]})


def _save_phase(identifier: str, creating: bool):
    from providers.contributions import clean_phase

    body, error = _body()
    if error is not None:
        return error
    phase = clean_phase(body)
    rows = contributions_provider().rows
    if phase["plan_id"] and rows.target_plan("bp_plan", phase["plan_id"]) is None:
        return _error(400, f"Den Plan {phase['plan_id']!r} gibt es nicht / no plan {phase['plan_id']!r}")
    if not rows.save_phase(identifier, phase, creating=creating):
        return _error(404, f"Keine Phase {identifier!r} / no participation phase {identifier!r}")
    return jsonify(_phase_json({"id": identifier, **phase})), 201 if creating else 200


@BLUEPRINT.post("/participation-phases")
def create_phase():
    return _save_phase(str(uuid.uuid4()), creating=True)


@BLUEPRINT.put("/participation-phases/<phase_id>")
def replace_phase(phase_id: str):
    return _save_phase(phase_id, creating=False)


@BLUEPRINT.delete("/participation-phases/<phase_id>")
def delete_phase(phase_id: str):
    if not contributions_provider().rows.delete_phase(phase_id):
        return _error(404, f"Keine Phase {phase_id!r} / no participation phase {phase_id!r}")
    return jsonify({"deleted": phase_id})
