"""Routes around the ``contributions`` collection that OGC API Features has no words for (below ``/api``).

Every route works through the collection's provider (``providers/contributions.py``),
so the same visibility and moderation rules apply as on ``/oapi``; roles are checked
in front by ``api/access.py`` as well.

``POST   /api/contributions/<id>/like``     like (one per person: the browser id in the server-issued,
                                            signed cookie ``buergergis_voter``, stored hashed; api/voters.py)
``DELETE /api/contributions/<id>/like``     take the like back
``POST   /api/contributions/<id>/status``   moderators/planners: ``{"status": "abgelehnt", "note": "…"}``;
                                            the note is public (reason of a rejection, state of a
                                            Mängelmeldung); appends to the status history and the audit trail
``POST   /api/contributions/status``        the same for many: ``{"ids": [...], "status", "note"}``
``GET    /api/contributions/<id>/duplicates``  moderators: same kind and category within 50 m in 30 days
``GET    /api/contributions/mine``          the author's own contributions (every status), with reference
                                            number, moderation note and published Abwägung
``DELETE /api/contributions/mine``          delete every contribution written with the secret(s) in
                                            ``X-Contribution-Secret``, with their likes (DSGVO Art. 17)

Participation procedures (the windows in which comments are taken) are in ``api/procedures.py``.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from pygeoapi.provider.base import ProviderGenericError

from access.rules import require_moderator
from access.viewer import current_viewer
from api.access import voter_id
from api.messages import message

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
        return ({}, None) if not required else (None, _error(400, message("body_empty")))
    body = request.get_json(force=True, silent=True)
    if body is None:
        return None, _error(400, message("body_malformed"))
    return body, None


# -- likes ------------------------------------------------------------------------------------------------


def _like(contribution_id: str, add: bool):
    _, error = _body(required=False)
    if error is not None:
        return error
    voter = voter_id()  # the server-issued browser id (signed cookie), api/voters.py
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
    note = body.get("note") if isinstance(body, dict) else None
    if not isinstance(status, str) or not isinstance(note, (str, type(None))):
        return _error(400, message("status_body"))
    row = contributions_provider().set_status(contribution_id, status, note=note)
    return jsonify(_status_json(row))


def _status_json(row: dict) -> dict:
    return {
        "id": row["id"],
        "status": row["status"],
        "status_note": row.get("status_note"),
        "status_history": row["status_history"],
        "updated_at": row["updated_at"],
        "reference": row.get("reference"),
    }


@BLUEPRINT.post("/contributions/status")
def set_status_many():
    """Bulk moderation: one status (and note) for many contributions; each is changed on its own."""
    body, error = _body()
    if error is not None:
        return error
    ids = body.get("ids") if isinstance(body, dict) else None
    status, note = (body.get("status"), body.get("note")) if isinstance(body, dict) else (None, None)
    if (
        not isinstance(ids, list)
        or not ids
        or len(ids) > 500
        or not all(isinstance(i, str) for i in ids)
        or not isinstance(status, str)
        or not isinstance(note, (str, type(None)))
    ):
        return _error(400, message("status_many_body"))
    provider = contributions_provider()
    done, failed = [], []
    for identifier in dict.fromkeys(ids):
        try:
            done.append(_status_json(provider.set_status(identifier, status, note=note)))
        except ProviderGenericError as err:
            if int(err.http_status_code) in (401, 403):
                raise
            failed.append({"id": identifier, "description": err.message})
    return jsonify({"changed": done, "failed": failed})


@BLUEPRINT.get("/contributions/<contribution_id>/duplicates")
def duplicates(contribution_id: str):
    """Contributions of the same kind and category within 50 m, made in the 30 days before or after."""
    require_moderator(current_viewer())
    provider = contributions_provider()
    return jsonify({"id": contribution_id, "duplicates": provider.near_duplicates(contribution_id)})


@BLUEPRINT.get("/contributions/mine")
def list_mine():
    """The author's own contributions (secret(s) in ``X-Contribution-Secret``), every status, with the state of
    each statement (moderation note, published Abwägung) and its procedure's title."""
    from participation import store as pstore

    provider = contributions_provider()
    found = provider.mine()
    titles = {p["id"]: (p["title_de"], p["title_en"]) for p in pstore.procedures(provider.rows)}
    for row in found:
        published = pstore.by_reference(provider.rows, row["reference"]) if row.get("reference") else None
        row["abwaegung"] = (published or {}).get("abwaegung", [])
        row["procedure_title_de"], row["procedure_title_en"] = titles.get(row.get("procedure_id"), (None, None))
    from api.notifications import states_of

    notify_states = states_of([row["id"] for row in found])  # e-mail updates: confirmed, pending or none
    for row in found:
        row["notify"] = notify_states.get(row["id"])
    response = jsonify({"contributions": found})
    response.headers["Cache-Control"] = "no-store"
    return response


@BLUEPRINT.delete("/contributions/mine")
def delete_mine():
    deleted = contributions_provider().delete_by_author()
    return jsonify({"deleted": len(deleted), "ids": deleted})
