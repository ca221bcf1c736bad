"""Participation procedures, statements and their Abwägung over HTTP (below ``/api``).

Public
``GET  /api/procedures``                      every procedure (``?plan_id=``, ``?open=1``), each with ``open_now``,
                                              ``days_left``, plan names; also the OGC collection ``procedures``
``GET  /api/procedures/<id>``                 one procedure
``GET  /api/statements/<reference>``          state of a statement by its reference number (``LA22-2026-0042``):
                                              status, public note and the published Abwägung; no text, no author
``GET  /api/moderation/templates``            reasons for a rejection (de/en)

Planners (``POST``/``PUT``/``DELETE`` also checked in front by ``api/access.py``)
``POST /api/procedures``                      open one: kind, title_de/_en, description_de/_en, plan_ids (or
                                              ``area``: a GeoJSON polygon in lon/lat), opens_at, closes_at (dates in
                                              Europe/Berlin), allowed_kinds, reference_prefix; 201 with ``warnings``
``PUT  /api/procedures/<id>``                 change it (same body); ``POST …/close`` ends it now;
                                              ``DELETE`` only while no statement was made in it
``PUT  /api/statements/<contribution id>/abwaegung``  the Abwägung of one statement (or its sections)
``POST /api/procedures/<id>/publish``         publish the decided results (``{"ids": [...]}`` to choose); they go
                                              to the OGC collection ``statement_results``
``GET  /api/procedures/<id>/abwaegung.xlsx``  the Abwägungstabelle (also ``.docx``, ``.csv``, ``.gpkg``);
                                              ``?anonymised=1`` leaves out names, ``?lang=en``
``GET|POST /api/answer-templates``, ``DELETE /api/answer-templates/<id>``   reusable answers
``GET  /api/audit``                           the audit trail (``?actor=``, ``?target_id=``, ``?since=``,
                                              ``?f=csv``)

Moderators and planners
``GET  /api/procedures/<id>/statements``      every statement of a procedure with its Abwägung

Every change by staff is written to the audit trail with who, when and what.
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime

from flask import Blueprint, Response, jsonify, request
from pygeoapi.provider.base import ProviderGenericError

from access.rules import require_moderator, require_planner
from access.viewer import current_viewer
from api.contributions import contributions_provider
from api.messages import message
from participation import store as pstore
from participation.model import (
    PROCEDURE_KINDS,
    REJECTION_TEMPLATES,
    RESULTS,
    ParticipationError,
    clean_abwaegung,
    clean_procedure,
    days_left,
    default_prefix,
    is_open,
    overlaps,
)

BLUEPRINT = Blueprint("procedures_api", __name__)

EXPORTS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "csv": "text/csv; charset=utf-8",
    "gpkg": "application/geopackage+sqlite3",
}


@BLUEPRINT.errorhandler(ProviderGenericError)
def _provider_error(err: ProviderGenericError):
    return jsonify({"code": err.ogc_exception_code, "description": err.message}), int(err.http_status_code)


@BLUEPRINT.errorhandler(ParticipationError)
def _participation_error(err: ParticipationError):
    code = {400: "InvalidParameterValue", 404: "NotFound", 409: "Conflict"}.get(err.status, "Error")
    return jsonify({"code": code, "description": str(err)}), err.status


def _body() -> dict:
    if not request.get_data(cache=True).strip():
        raise ParticipationError(message("body_empty"))
    body = request.get_json(force=True, silent=True)
    if body is None:
        raise ParticipationError(message("body_malformed"))
    return body


def _provider_and_rows():
    provider = contributions_provider()
    return provider, provider.rows


def _open_store(provider):
    from providers.contributions import _store_key
    from store.base import open_store

    return open_store(_store_key(provider), epsg=provider.storage_epsg)


def _plan_names(rows, plan_ids: list[str]) -> dict[str, str]:
    names = {}
    for table in ("bp_plan", "xplan_plan"):
        for plan_id in plan_ids:
            if plan_id in names:
                continue
            try:
                found = rows.fetch(f"SELECT name FROM {table} WHERE id = :id", {"id": plan_id})
            except Exception:  # noqa: BLE001 - an older store without xplan_plan
                found = []
            if found:
                names[plan_id] = found[0]["name"] or plan_id
    return names


def _public(proc: dict, names: dict[str, str] | None = None) -> dict:
    now = datetime.now(UTC)
    label = PROCEDURE_KINDS.get(proc["kind"], (proc["kind"], proc["kind"]))
    return {
        **proc,
        "kind_label_de": label[0],
        "kind_label_en": label[1],
        "open_now": is_open(proc, now),
        "days_left": days_left(proc, now),
        "plan_names": [(names or {}).get(p, p) for p in proc["plan_ids"]],
    }


def _not_found(procedure_id: str) -> ParticipationError:
    return ParticipationError(message("procedure_not_found", id=procedure_id), 404)


def _procedure_or_404(rows, procedure_id: str) -> dict:
    found = pstore.procedure(rows, procedure_id)
    if found is None:
        raise _not_found(procedure_id)
    return found


# -- reading ------------------------------------------------------------------------------------------------------


@BLUEPRINT.get("/procedures")
def list_procedures():
    _, rows = _provider_and_rows()
    found = pstore.procedures(rows, plan_id=request.args.get("plan_id") or None)
    names = _plan_names(rows, sorted({p for proc in found for p in proc["plan_ids"]}))
    listed = [_public(p, names) for p in found]
    if request.args.get("open") in ("1", "true", "yes"):
        listed = [p for p in listed if p["open_now"]]
    return jsonify({"procedures": listed, "kinds": {k: {"de": v[0], "en": v[1]} for k, v in PROCEDURE_KINDS.items()}})


@BLUEPRINT.get("/procedures/<procedure_id>")
def get_procedure(procedure_id: str):
    _, rows = _provider_and_rows()
    proc = _procedure_or_404(rows, procedure_id)
    return jsonify(_public(proc, _plan_names(rows, proc["plan_ids"])))


@BLUEPRINT.get("/moderation/templates")
def rejection_templates():
    return jsonify(
        {
            "rejection": {k: {"de": v[0], "en": v[1]} for k, v in REJECTION_TEMPLATES.items()},
            "results": {k: {"de": v[0], "en": v[1]} for k, v in RESULTS.items()},
        }
    )


@BLUEPRINT.get("/statements/<path:reference>")
def statement_by_reference(reference: str):
    _, rows = _provider_and_rows()
    found = pstore.by_reference(rows, reference.strip())
    if found is None:
        raise ParticipationError(message("statement_reference_unknown", reference=reference[:40]), 404)
    proc = pstore.procedure(rows, found["procedure_id"]) or {}
    found.pop("id", None)
    found["procedure_title_de"], found["procedure_title_en"] = proc.get("title_de"), proc.get("title_en")
    return jsonify(found)


# -- procedures: planners -----------------------------------------------------------------------------------------


def _geometry(provider, rows, plan_ids: list[str], area: dict | None):
    """The procedure's area in the storage CRS: the drawn area, or the union of its plans' areas."""
    import shapely
    import shapely.geometry
    import shapely.ops
    from pyproj import Transformer

    if area is not None:
        try:
            shape = shapely.make_valid(shapely.geometry.shape(area))
        except Exception as err:  # noqa: BLE001 - malformed coordinates come in many shapes
            raise ParticipationError(message("area_malformed", error=err)) from None
        to_storage = Transformer.from_crs(4326, provider.storage_epsg, always_xy=True)
        shape = shapely.ops.transform(to_storage.transform, shape)
    else:
        store = _open_store(provider)
        try:
            parts = []
            for table in ("bp_plan", "xplan_plan"):
                for plan_id in plan_ids:
                    frame = store.read(table, where={"id": plan_id})
                    parts += [g for g in frame.geometry if g is not None]
        finally:
            store.close()
        if not parts:
            return None
        shape = shapely.union_all(parts)
    polygons = shapely.get_parts(shape)
    polygons = [p for p in polygons if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.MultiPolygon([q for p in polygons for q in shapely.get_parts(p)]) if polygons else None


def _save(procedure_id: str, creating: bool):
    viewer = current_viewer()
    require_planner(viewer)
    provider, rows = _provider_and_rows()
    clean = clean_procedure(_body())
    values = clean.values
    names = _plan_names(rows, values["plan_ids"])
    unknown = [p for p in values["plan_ids"] if p not in names]
    if unknown:
        raise ParticipationError(message("procedure_plans_unknown", plans=", ".join(unknown)))
    if values["scenario_id"] and not rows.scenario_known(values["scenario_id"]):
        raise ParticipationError(message("procedure_variant_missing", id=values["scenario_id"]))
    stored = None if creating else _procedure_or_404(rows, procedure_id)
    for other in pstore.procedures(rows):
        if other["id"] != procedure_id and other["closed_at"] is None and overlaps(values, other):
            title = f"{other['title_en']} " if other["title_en"] else ""
            raise ParticipationError(
                message("procedure_overlaps", title_de=other["title_de"], title=title, id=other["id"]), 409
            )
    now = pstore.now_iso()
    values = {
        **values,
        "id": procedure_id,
        "reference_prefix": values["reference_prefix"]
        or (stored or {}).get("reference_prefix")
        or default_prefix([names[p] for p in values["plan_ids"]]),
        "closed_at": (stored or {}).get("closed_at"),
        "created_by": (stored or {}).get("created_by") or pstore.actor(viewer),
        "created_at": (stored or {}).get("created_at") or now,
        "updated_at": now,
    }
    geometry = _geometry(provider, rows, values["plan_ids"], clean.area)
    store = _open_store(provider)
    try:
        pstore.write_procedure(store, values, geometry)
    finally:
        store.close()
    changed = (
        {
            k: [stored.get(k), values.get(k)]
            for k in values
            if stored and stored.get(k) != values.get(k) and k != "updated_at"
        }
        if stored
        else None
    )
    pstore.record(
        rows,
        viewer,
        "procedure.create" if creating else "procedure.change",
        "procedure",
        procedure_id,
        {
            "title_de": values["title_de"],
            "kind": values["kind"],
            "plan_ids": values["plan_ids"],
            "opens_at": pstore.iso(values["opens_at"]),
            "closes_at": pstore.iso(values["closes_at"]),
            **({"changed": changed} if changed else {}),
            "warnings": clean.warnings,
        },
    )
    saved = _procedure_or_404(rows, procedure_id)
    return jsonify({**_public(saved, names), "warnings": clean.warnings}), 201 if creating else 200


@BLUEPRINT.post("/procedures")
def create_procedure():
    return _save(str(uuid.uuid4()), creating=True)


@BLUEPRINT.put("/procedures/<procedure_id>")
def replace_procedure(procedure_id: str):
    return _save(procedure_id, creating=False)


@BLUEPRINT.post("/procedures/<procedure_id>/close")
def close_procedure(procedure_id: str):
    viewer = current_viewer()
    require_planner(viewer)
    provider, rows = _provider_and_rows()
    proc = _procedure_or_404(rows, procedure_id)
    if proc["closed_at"] is None:
        proc["closed_at"] = pstore.now_iso()
        proc["updated_at"] = proc["closed_at"]
        store = _open_store(provider)
        try:
            geometry = store.read("procedures", where={"id": procedure_id}).geometry
            pstore.write_procedure(store, proc, geometry.iloc[0] if len(geometry) else None)
        finally:
            store.close()
        pstore.record(rows, viewer, "procedure.close", "procedure", procedure_id, {"closed_at": proc["closed_at"]})
    return jsonify(_public(proc, _plan_names(rows, proc["plan_ids"])))


@BLUEPRINT.delete("/procedures/<procedure_id>")
def delete_procedure(procedure_id: str):
    viewer = current_viewer()
    require_planner(viewer)
    provider, rows = _provider_and_rows()
    proc = _procedure_or_404(rows, procedure_id)
    if pstore.statements(rows, procedure_id):
        raise ParticipationError(message("procedure_has_statements"), 409)
    store = _open_store(provider)
    try:
        pstore.delete_procedure(store, procedure_id)
    finally:
        store.close()
    pstore.record(rows, viewer, "procedure.delete", "procedure", procedure_id, {"title_de": proc["title_de"]})
    return jsonify({"deleted": procedure_id})


# -- statements and Abwägung --------------------------------------------------------------------------------------


def _target_label(collection: str | None, target_id: str | None) -> str | None:
    from schema.catalog import LAYERS

    if not collection:
        return None
    title = LAYERS[collection].title_de if collection in LAYERS else collection
    return f"{title} ({target_id})"


@BLUEPRINT.get("/procedures/<procedure_id>/statements")
def procedure_statements(procedure_id: str):
    viewer = current_viewer()
    require_moderator(viewer)
    _, rows = _provider_and_rows()
    proc = _procedure_or_404(rows, procedure_id)
    found = pstore.statements(rows, procedure_id)
    names = _plan_names(rows, sorted({s["plan_id"] for s in found if s["plan_id"]} | set(proc["plan_ids"])))
    for statement in found:
        statement["plan_name"] = names.get(statement["plan_id"])
        statement["target_label"] = _target_label(statement["target_collection"], statement["target_id"])
    return jsonify({"procedure": _public(proc, names), "statements": found, "counts": _counts(found)})


def _counts(found: list[dict]) -> dict:
    counts = {"statements": len(found), "without_abwaegung": 0, **dict.fromkeys(RESULTS, 0)}
    for statement in found:
        entries = statement["abwaegung"]
        if not entries or any(e["result"] is None for e in entries):
            counts["without_abwaegung"] += 1
        for entry in entries:
            if entry["result"]:
                counts[entry["result"]] += 1
    return counts


@BLUEPRINT.put("/statements/<contribution_id>/abwaegung")
def save_abwaegung(contribution_id: str):
    viewer = current_viewer()
    require_planner(viewer)
    _, rows = _provider_and_rows()
    contribution = rows.row(contribution_id)
    if contribution is None or not contribution.get("procedure_id"):
        raise ParticipationError(message("statement_not_in_procedure", id=contribution_id), 404)
    entries = clean_abwaegung(_body())
    saved = pstore.save_abwaegung(rows, contribution, entries, pstore.actor(viewer))
    pstore.record(
        rows,
        viewer,
        "abwaegung.save",
        "contribution",
        contribution_id,
        {
            "reference": contribution.get("reference"),
            "entries": [{k: e[k] for k in ("section_no", "result", "proposal", "decision")} for e in saved],
        },
    )
    return jsonify({"contribution_id": contribution_id, "reference": contribution.get("reference"), "abwaegung": saved})


def _export_rows(provider, rows, proc: dict) -> list[dict]:
    """One row per statement or section, in reference order, with its location in lon/lat."""
    import shapely.geometry

    found = pstore.statements(rows, proc["id"])
    names = _plan_names(rows, sorted({s["plan_id"] for s in found if s["plan_id"]}))
    store = _open_store(provider)
    try:
        frame = store.read("contributions", where={"procedure_id": proc["id"]})
    finally:
        store.close()
    frame = frame.to_crs(4326) if len(frame) else frame
    geometries = (
        {
            row_id: (shapely.geometry.mapping(g) if g is not None else None)
            for row_id, g in zip(frame["id"], frame.geometry, strict=True)
        }
        if len(frame)
        else {}
    )
    exported = []
    for statement in sorted(found, key=lambda s: (s["reference"] or "", s["created_at"] or "")):
        base = {
            "reference": statement["reference"],
            "created_at": statement["created_at"],
            "kind": statement["kind"],
            "category": statement["category"],
            "pseudonym": statement["pseudonym"],
            "status": statement["status"],
            "late": statement["late"],
            "plan_name": names.get(statement["plan_id"]),
            "target_label": _target_label(statement["target_collection"], statement["target_id"]),
            "target_id": statement["target_id"],
            "geometry": geometries.get(statement["id"]),
        }
        entries = statement["abwaegung"] or [
            {
                "section_no": None,
                "section_text": None,
                "proposal": None,
                "result": None,
                "decision": None,
                "tags": [],
                "group_name": None,
            }
        ]
        for entry in entries:
            exported.append(
                {
                    **base,
                    "section_no": entry["section_no"],
                    "text": entry["section_text"] or statement["text"],
                    "proposal": entry["proposal"],
                    "result": entry["result"],
                    "decision": entry["decision"],
                    "tags": entry["tags"],
                    "group": entry["group_name"],
                }
            )
    return exported


@BLUEPRINT.get("/procedures/<procedure_id>/abwaegung.<fmt>")
def export_abwaegung(procedure_id: str, fmt: str):
    from participation import exports

    viewer = current_viewer()
    require_planner(viewer)
    if fmt not in EXPORTS:
        raise ParticipationError(message("export_format_unknown", format=fmt[:10], formats=", ".join(EXPORTS)), 404)
    provider, rows = _provider_and_rows()
    proc = _procedure_or_404(rows, procedure_id)
    anonymised = request.args.get("anonymised", "").lower() in ("1", "true", "yes", "ja")
    lang = "en" if request.args.get("lang") == "en" else "de"
    document = {**proc, "plan_names": list(_plan_names(rows, proc["plan_ids"]).values())}
    table = _export_rows(provider, rows, proc)
    if fmt == "gpkg":
        content = exports.abwaegung_gpkg(document, table, anonymised=anonymised)
    else:
        content = getattr(exports, f"abwaegung_{fmt}")(document, table, anonymised=anonymised, lang=lang)
    pstore.record(
        rows,
        viewer,
        "abwaegung.export",
        "procedure",
        procedure_id,
        {"format": fmt, "anonymised": anonymised, "rows": len(table)},
    )
    name = f"abwaegung-{proc['reference_prefix'] or 'verfahren'}{'-anonym' if anonymised else ''}.{fmt}"
    return Response(
        content,
        mimetype=EXPORTS[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


@BLUEPRINT.post("/procedures/<procedure_id>/publish")
def publish(procedure_id: str):
    """Publish the decided results: they become public by reference number and in ``statement_results``."""
    import geopandas as gpd

    viewer = current_viewer()
    require_planner(viewer)
    provider, rows = _provider_and_rows()
    proc = _procedure_or_404(rows, procedure_id)
    body = request.get_json(force=True, silent=True) if request.get_data(cache=True).strip() else {}
    chosen = set((body or {}).get("ids") or []) if isinstance(body, dict) else set()
    found = pstore.statements(rows, procedure_id)
    now = pstore.now_iso()
    newly = [
        e["id"]
        for s in found
        for e in s["abwaegung"]
        if e["result"] and e["published_at"] is None and (not chosen or s["id"] in chosen or e["id"] in chosen)
    ]
    pstore.mark_published(rows, procedure_id, newly, now)
    found = pstore.statements(rows, procedure_id)
    published = [(s, e) for s in found for e in s["abwaegung"] if e["published_at"]]
    store = _open_store(provider)
    try:
        frame = store.read("contributions", where={"procedure_id": procedure_id})
        shapes = dict(zip(frame["id"], frame.geometry, strict=True)) if len(frame) else {}
        records = [
            {
                "id": s["reference"] + (f"/{e['section_no']}" if e["section_no"] else ""),
                "source": f"procedure:{procedure_id}",
                "procedure_id": procedure_id,
                "reference": s["reference"],
                "section_no": e["section_no"],
                "contribution_id": s["id"],
                "plan_id": s["plan_id"],
                "target_collection": s["target_collection"],
                "target_id": s["target_id"],
                "kind": s["kind"],
                # the public record holds the text only of statements moderation approved
                "text": (e["section_text"] or s["text"]) if s["status"] == "freigegeben" else None,
                "proposal": e["proposal"],
                "result": e["result"],
                "result_label": RESULTS.get(e["result"], ("", ""))[0],
                "decision": e["decision"],
                "published_at": e["published_at"],
            }
            for s, e in published
        ]
        geometry = [shapes.get(s["id"]) for s, _ in published]
        result_frame = gpd.GeoDataFrame(
            records or {"id": []}, geometry=geometry if records else [], crs=f"EPSG:{store.epsg}"
        )
        store.replace({"statement_results": result_frame}, source=f"procedure:{procedure_id}")
    finally:
        store.close()
    pstore.record(rows, viewer, "abwaegung.publish", "procedure", procedure_id, {"published": newly})
    from participation import notify

    notify.after_publish(procedure_id, newly)  # a mail to each statement's confirmed address, sent in the background
    return jsonify({"procedure_id": proc["id"], "published": len(newly), "total_published": len(published)})


# -- answer templates and audit -----------------------------------------------------------------------------------


@BLUEPRINT.get("/answer-templates")
def list_templates():
    require_planner(current_viewer())
    return jsonify({"templates": pstore.templates(_provider_and_rows()[1])})


@BLUEPRINT.post("/answer-templates")
def add_template():
    viewer = current_viewer()
    require_planner(viewer)
    body = _body()
    entries = (
        clean_abwaegung({"proposal": body.get("text"), "result": body.get("result")})
        if isinstance(body, dict)
        else None
    )
    title = body.get("title") if isinstance(body, dict) else None
    if not isinstance(title, str) or not title.strip() or len(title) > 120 or not entries[0]["proposal"]:
        raise ParticipationError(message("template_body"))
    _, rows = _provider_and_rows()
    saved = pstore.add_template(rows, title.strip(), entries[0]["proposal"], entries[0]["result"], pstore.actor(viewer))
    pstore.record(rows, viewer, "template.create", "answer_template", saved["id"], {"title": saved["title"]})
    return jsonify(saved), 201


@BLUEPRINT.delete("/answer-templates/<template_id>")
def delete_template(template_id: str):
    viewer = current_viewer()
    require_planner(viewer)
    _, rows = _provider_and_rows()
    if not pstore.delete_template(rows, template_id):
        raise ParticipationError(message("template_not_found", id=template_id), 404)
    pstore.record(rows, viewer, "template.delete", "answer_template", template_id)
    return jsonify({"deleted": template_id})


@BLUEPRINT.get("/audit")
def audit_trail():
    viewer = current_viewer()
    require_planner(viewer)
    _, rows = _provider_and_rows()
    entries = pstore.audit(
        rows, since=request.args.get("since"), actor=request.args.get("actor"), target_id=request.args.get("target_id")
    )
    if request.args.get("f") == "csv":
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";")
        writer.writerow(["Zeitpunkt (UTC)", "Wer", "Rolle", "Handlung", "Art", "Kennung", "Einzelheiten"])
        for e in entries:
            writer.writerow(
                [
                    e["at"],
                    _cell(e["actor"]),
                    e["role"],
                    e["action"],
                    e["target_type"],
                    e["target_id"],
                    _cell(str(e["detail"])),
                ]
            )
        return Response(
            "\ufeff" + out.getvalue(),
            mimetype="text/csv",
            headers={"Content-Disposition": 'attachment; filename="protokoll.csv"', "Cache-Control": "no-store"},
        )
    return jsonify({"entries": entries})


def _cell(text: str | None) -> str | None:
    """A CSV cell a spreadsheet will not run as a formula."""
    return "'" + text if text and text[0] in "=+-@\t\r" else text
