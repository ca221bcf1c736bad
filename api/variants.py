"""The scenario studio over HTTP (below ``/api``): planners build variants step by step, save, publish.

Everyone
``GET  /api/variants``                         the published studio variants (planners: all, with status)
``GET  /api/variants/<id>/export``             a variant as YAML in the format of ``scenarios/examples``
                                               (citizens: the published version; planners: ``?version=n``, else
                                               the working copy)
``POST /api/variants/evaluate``                indicators of a scenario document (``{"yaml": …}`` or
                                               ``{"document": {…}}``), nothing stored

Planners (signed in, or a planner token)
``POST /api/variants``                         start one: ``{"base": "baseline" | <variant id>, "plan_ids": […],
                                               "title_de", "title_en", "id"?}``; 201 with its indicators
``POST /api/variants/import``                  ``{"yaml": …, "id"?}`` (or the YAML as the body): a new variant from
                                               an exported file (a taken id gets a suffix)
``GET  /api/variants/<id>``                    the working copy: document, steps, indicators against its start
                                               (``?geojson=1``: zones and buildings for a map)
``POST /api/variants/<id>/changes``            one step ``{"change": {"op": …}}`` (an engine operation); 200 with
                                               the new indicators at once, 400 in German and English naming the
                                               field (``field``) -- nothing is kept then
``POST /api/variants/<id>/undo``, ``…/redo``   take the last step back / do it again
``POST /api/variants/<id>/save``               a new version: ``{"title_de", "title_en", "description_de",
                                               "description_en", "note"?}``; author = the signed-in person
``GET  /api/variants/<id>/sun``                 shadows of A (start) and B (working copy) at ``?day=2026-03-20&hour=15``
                                               (local time), sun hours that day at ``points=lon,lat;…`` (A, B, lost)
``GET  /api/variants/<id>/versions``           the saved versions (who, when); ``…/versions/<n>`` one of them
``POST /api/variants/<id>/publish``            ``{"published": true}``: the latest saved version goes to the public
                                               collections (``scenarios`` …; A/B choice, likes, comments);
                                               ``false`` keeps it internal again (its public rows are removed)
``DELETE /api/variants/<id>``                  delete a variant that is not published

Every write is recorded in the audit trail (who, when, what).
"""

from __future__ import annotations

import logging
import os
import re
import time

from flask import Blueprint, Response, jsonify, request
from pygeoapi.provider.base import ProviderGenericError

from access.rules import require_planner
from access.viewer import current_viewer
from scenarios import studio
from scenarios.model import BASELINE, ID_PATTERN, Scenario, ScenarioError, scenario_from_dict, shipped_scenarios
from scenarios.studio import INTERNAL, PUBLISHED, StudioError

LOG = logging.getLogger(__name__)

BLUEPRINT = Blueprint("variants_api", __name__)

MAX_STEPS = 500


@BLUEPRINT.errorhandler(ProviderGenericError)
def _provider_error(err: ProviderGenericError):
    return jsonify({"code": err.ogc_exception_code, "description": err.message}), int(err.http_status_code)


@BLUEPRINT.errorhandler(StudioError)
def _studio_error(err: StudioError):
    return jsonify(err.to_json()), err.status


# -- helpers --------------------------------------------------------------------------------------------------


def _store_url() -> str:
    url = os.environ.get("BUERGERGIS_STORE")
    if url:
        return url
    from settings import get_settings

    return get_settings().store


def _epsg() -> int | None:
    value = os.environ.get("BUERGERGIS_STORAGE_EPSG")
    return int(value) if value else None


def _variants() -> studio.VariantStore:
    return studio.VariantStore(_store_url(), epsg=_epsg())


def _planner():
    viewer = current_viewer()
    require_planner(viewer)
    return viewer


def _author(viewer) -> str:
    return viewer.name or viewer.role


def _body() -> dict:
    if not request.get_data(cache=True).strip():
        raise StudioError.of("studio_body_empty")
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict):
        raise StudioError.of("body_not_object")
    return body


def _text(body: dict, name: str, required: bool = False, limit: int = 300) -> str:
    value = body.get(name)
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise StudioError.of("name_text", name, name=name)
    value = value.strip()
    if required and not value:
        raise StudioError.of("value_missing", name, **studio.field_names(name))
    if len(value) > limit:
        raise StudioError.of("name_too_long", name, name=name, max=limit)
    return value


def _audit(viewer, action: str, variant_id: str, detail: dict | None = None) -> None:
    try:
        from api.contributions import contributions_provider
        from participation.store import record

        record(contributions_provider().rows, viewer, action, "scenario_variant", variant_id, detail)
    except Exception as err:  # noqa: BLE001 - the audit trail must not undo a planner's work
        LOG.warning("audit record of %s failed: %s", action, err)


def _library(include_internal: bool = True) -> dict[str, Scenario]:
    return studio.full_library(_store_url(), include_internal, _epsg())


def _working(store: studio.VariantStore, variant_id: str) -> tuple[dict, Scenario]:
    row = store.working(variant_id)
    if row is None:
        raise StudioError.of("variant_not_in_studio", status=404, id=variant_id)
    return row, studio.parse_document(row["document"], source=f"variant {variant_id}")


def _summary(store: studio.VariantStore, row: dict) -> dict:
    versions = [r for r in store.rows(row["variant_id"]) if r["version"] > 0]
    latest = versions[-1] if versions else None
    return {
        "id": row["variant_id"],
        "title_de": row["title_de"],
        "title_en": row["title_en"],
        "description_de": row["description_de"] or "",
        "description_en": row["description_en"] or "",
        "base": row["base"],
        "status": row["status"],
        "published_version": row["published_version"],
        "author": row["author"],
        "created_at": row["saved_at"],
        "versions": [
            {
                "version": r["version"],
                "author": r["author"],
                "saved_at": r["saved_at"],
                "title_de": r["title_de"],
                "note": r["note"],
            }
            for r in versions
        ],
        "unsaved": latest is None or latest["document"] != row["document"],
    }


def _state(
    store: studio.VariantStore,
    row: dict,
    scenario: Scenario,
    library: dict,
    with_geojson: bool = False,
    timings: dict | None = None,
) -> dict:
    """Everything the studio shows about a working copy, indicators computed (cached per document)."""
    t0 = time.perf_counter()
    url, epsg = _store_url(), _epsg()
    result, model = studio.compute(scenario, library, url, epsg)
    start_doc = studio.with_changes(scenario, [], id=f"{scenario.id}.start")
    start, _ = studio.compute(start_doc, library, url, epsg, model=model)
    now = studio.indicators(result)
    before = studio.indicators(start)
    changes = studio.change_dicts(scenario)
    out = {
        "variant": _summary(store, row),
        "document": studio.document_yaml(scenario),
        "plan_ids": studio.plans_of(scenario, library),
        "steps": [
            {
                "index": i,
                "op": c["op"],
                "text_de": studio.describe_change(c, "de"),
                "text_en": studio.describe_change(c, "en"),
            }
            for i, c in enumerate(changes)
        ],
        "can_undo": bool(changes),
        "can_redo": bool(row["redo"]),
        "indicators": now,
        "start": before,
        "compare": studio.compare_totals(before, now),
        "warnings": [e["warning"] for e in result.log if e.get("warning")],
        "timings": {**(timings or {}), "compute_s": round(time.perf_counter() - t0, 4)},
    }
    if with_geojson:
        out["geojson"] = studio.geojson(result)
    return out


def _flag(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "ja")
    return bool(value)


def _check_base(base: str, library: dict) -> None:
    if base != BASELINE and base not in library:
        raise StudioError.of("base_unknown", "base", base=base)


def _check_plans(plan_ids) -> list[str] | None:
    if plan_ids in (None, [], ""):
        return None
    if not isinstance(plan_ids, list) or not all(isinstance(p, str) for p in plan_ids) or len(plan_ids) > 200:
        raise StudioError.of("plan_ids_list", "plan_ids")
    from store.base import open_store

    store = open_store(_store_url(), epsg=_epsg())
    try:
        known = set(store.read("bp_plan")["id"].astype(str))
    finally:
        store.close()
    unknown = [p for p in plan_ids if p not in known]
    if unknown:
        raise StudioError.of("plans_unknown", "plan_ids", ids=", ".join(unknown[:5]))
    return list(dict.fromkeys(plan_ids))


def _checked_document(scenario: Scenario, library: dict) -> None:
    """An imported document: every step plausible, every footprint in the area, values in range after all steps."""
    _check_base(scenario.base, library)
    url, epsg = _store_url(), _epsg()
    plan_ids = studio.plans_of(scenario, library)
    model = studio.MODELS.get(url, epsg, plan_ids)
    for change in scenario.changes:
        studio.validate_change(studio.change_dict(change))
        studio.check_change_in_area(change, model, scenario, url, epsg)
    result, _ = studio.compute(scenario, library, url, epsg)
    studio.check_values_after(result.model)


# -- reading ---------------------------------------------------------------------------------------------------


@BLUEPRINT.get("/variants")
def list_variants():
    viewer = current_viewer()
    planner = viewer.is_planner and not viewer.token_invalid
    shipped = [
        {"id": sid, "title_de": s.title_de, "title_en": s.title_en, "base": s.base, "status": "shipped"}
        for sid, s in sorted(shipped_scenarios().items())
    ]
    found = _variants().variants(include_internal=planner)
    library = _library(include_internal=planner)
    for variant in found:  # the plans each is about (its own or its base's), for the portal's "applies here"
        scenario = library.get(variant["id"])
        variant["plan_ids"] = studio.plans_of(scenario, library) if scenario is not None else None
    return jsonify({"variants": found, "shipped": shipped, "planner": planner})


@BLUEPRINT.get("/variants/<variant_id>")
def get_variant(variant_id: str):
    _planner()
    store = _variants()
    row, scenario = _working(store, variant_id)
    return jsonify(_state(store, row, scenario, _library(), with_geojson=_flag(request.args.get("geojson"))))


@BLUEPRINT.get("/variants/<variant_id>/sun")
def sun(variant_id: str):
    """Shadows of A (the variant's start: Bestand or base) and B (the working copy) at ``hour`` (local clock time,
    0-24) of ``day`` (ISO date or ``equinox``, ``summer_solstice``, ``winter_solstice``), and the sun hours of that
    day at ``points`` (``lon,lat;lon,lat``, CRS84) in A and B with the hours lost."""
    _planner()
    day, hour = studio.parse_day_hour(request.args.get("day"), request.args.get("hour"))
    points = studio.parse_points(request.args.get("points"))
    store = _variants()
    _, scenario = _working(store, variant_id)
    library = _library()
    url, epsg = _store_url(), _epsg()
    result, model = studio.compute(scenario, library, url, epsg)
    start, _ = studio.compute(
        studio.with_changes(scenario, [], id=f"{scenario.id}.start"), library, url, epsg, model=model
    )
    return jsonify(studio.sun_and_shadows(start, result, day, hour, points))


@BLUEPRINT.get("/variants/<variant_id>/versions")
def versions(variant_id: str):
    _planner()
    store = _variants()
    row, _ = _working(store, variant_id)
    return jsonify(_summary(store, row)["versions"])


@BLUEPRINT.get("/variants/<variant_id>/versions/<int:number>")
def version(variant_id: str, number: int):
    _planner()
    row = _variants().version(variant_id, number) if number > 0 else None
    if row is None:
        raise StudioError.of("version_missing", status=404, number=number, id=variant_id)
    return jsonify(
        {
            k: row[k]
            for k in (
                "variant_id",
                "version",
                "document",
                "title_de",
                "title_en",
                "description_de",
                "description_en",
                "author",
                "saved_at",
                "note",
            )
        }
    )


@BLUEPRINT.get("/variants/<variant_id>/export")
def export(variant_id: str):
    viewer = current_viewer()
    store = _variants()
    working = store.working(variant_id)
    if working is None:
        raise StudioError.of("variant_not_in_studio", status=404, id=variant_id)
    wanted = request.args.get("version")
    if viewer.is_planner and not viewer.token_invalid:
        row = store.version(variant_id, int(wanted)) if wanted and wanted.isdigit() and int(wanted) > 0 else working
    else:
        if working["status"] != PUBLISHED or not working["published_version"]:
            require_planner(viewer)  # 401/403: internal variants are the planners'
        row = store.version(variant_id, working["published_version"])
    if row is None:
        raise StudioError.of("version_missing", status=404, number=wanted, id=variant_id)
    scenario = studio.parse_document(row["document"], source=f"variant {variant_id}")
    what = f"version {row['version']}" if row["version"] else "working copy"
    header = (
        f"Bürger-GIS scenario studio: {variant_id}, {what}, {row['author'] or ''} {row['saved_at'] or ''}\n"
        "Format: scenarios/model.py (as scenarios/examples/*.yaml)"
    )
    text = studio.document_yaml(scenario, header=header)
    return Response(
        text, mimetype="application/yaml", headers={"Content-Disposition": f'attachment; filename="{variant_id}.yaml"'}
    )


@BLUEPRINT.post("/variants/evaluate")
def evaluate():
    body = _body()
    if isinstance(body.get("yaml"), str):
        scenario = studio.parse_document(body["yaml"])
    elif isinstance(body.get("document"), dict):
        try:
            scenario = scenario_from_dict(body["document"], source="document")
        except ScenarioError as err:
            raise studio._from_scenario_error(err, "scenario_invalid_document") from None
    else:
        raise StudioError.of("evaluate_body", "yaml")
    viewer = current_viewer()
    library = _library(include_internal=viewer.is_planner)
    _check_base(scenario.base, library)
    result, _ = studio.compute(scenario, library, _store_url(), _epsg())
    return jsonify({"id": scenario.id, "indicators": studio.indicators(result)})


# -- writing ---------------------------------------------------------------------------------------------------


@BLUEPRINT.post("/variants")
def create():
    viewer = _planner()
    body = _body()
    if isinstance(body.get("yaml"), str):
        return _import(viewer, body["yaml"], body.get("id"))
    library = _library()
    base = _text(body, "base") or BASELINE
    _check_base(base, library)
    title_de = _text(body, "title_de", required=True)
    title_en = _text(body, "title_en") or title_de
    plan_ids = _check_plans(body.get("plan_ids"))
    store = _variants()
    taken = set(library) | {r["variant_id"] for r in store.rows()}
    variant_id = _text(body, "id", limit=100)
    if variant_id:
        if not re.match(ID_PATTERN, variant_id):
            raise StudioError.of("id_pattern", "id", **studio.field_names("id"))
        if variant_id in taken or variant_id == BASELINE:
            raise StudioError.of("variant_id_taken", "id", status=409, id=variant_id)
    else:
        variant_id = studio.new_variant_id(title_de, taken)
    data = {
        "id": variant_id,
        "title_de": title_de,
        "title_en": title_en,
        "base": base,
        "description": _text(body, "description_de", limit=4000),
        "description_en": _text(body, "description_en", limit=4000),
        "changes": [],
    }
    if plan_ids:
        data["plan_ids"] = plan_ids
    try:
        scenario = scenario_from_dict(data, source="new variant")
    except ScenarioError as err:
        raise studio._from_scenario_error(err, "variant_invalid") from None
    studio.compute(scenario, library, _store_url(), _epsg())  # computable before anything is written
    row = store.create(scenario, _author(viewer))
    _audit(viewer, "variant.create", variant_id, {"base": base, "plan_ids": plan_ids})
    return jsonify(_state(store, row, scenario, library, with_geojson=_flag(request.args.get("geojson")))), 201


@BLUEPRINT.post("/variants/import")
def import_yaml():
    viewer = _planner()
    if request.mimetype in ("application/yaml", "application/x-yaml", "text/yaml", "text/plain"):
        return _import(viewer, request.get_data(as_text=True), request.args.get("id"))
    body = _body()
    return _import(viewer, body.get("yaml"), body.get("id"))


def _import(viewer, text, wanted_id):
    scenario = studio.parse_document(text if isinstance(text, str) else "", source="import.yaml")
    library = _library()
    store = _variants()
    taken = set(library) | {r["variant_id"] for r in store.rows()}
    new_id = wanted_id if isinstance(wanted_id, str) and wanted_id.strip() else scenario.id
    if not re.match(ID_PATTERN, new_id):
        raise StudioError.of("id_pattern", "id", **studio.field_names("id"))
    if new_id in taken or new_id == BASELINE:
        new_id = studio.new_variant_id(new_id, taken)
    if new_id != scenario.id:
        scenario = studio.with_changes(scenario, studio.change_dicts(scenario), id=new_id)
    if scenario.base == scenario.id:
        raise StudioError.of("own_base", "base")
    if len(scenario.changes) > MAX_STEPS:
        raise StudioError.of("steps_max", "changes", max=MAX_STEPS)
    _checked_document(scenario, library)
    row = store.create(scenario, _author(viewer), scenario.description, scenario.description_en)
    _audit(viewer, "variant.import", scenario.id, {"steps": len(scenario.changes)})
    return jsonify(_state(store, row, scenario, library)), 201


@BLUEPRINT.post("/variants/<variant_id>/changes")
def add_change(variant_id: str):
    viewer = _planner()
    t0 = time.perf_counter()
    body = _body()
    change = studio.validate_change(body.get("change") if "change" in body else body)
    store = _variants()
    row, scenario = _working(store, variant_id)
    if len(scenario.changes) >= MAX_STEPS:
        raise StudioError.of("steps_max", "changes", max=MAX_STEPS)
    library = _library()
    url, epsg = _store_url(), _epsg()
    model = studio.MODELS.get(url, epsg, studio.plans_of(scenario, library))
    studio.check_change_in_area(change, model, scenario, url, epsg)
    changes = studio.change_dicts(scenario) + [studio.change_dict(change)]
    candidate = studio.with_changes(scenario, changes)
    result, _ = studio.compute(candidate, library, url, epsg)
    studio.check_values_after(result.model)
    last = result.log[-1] if result.log else {}
    if last.get("warning"):
        raise StudioError.of("step_selects_nothing", "zones")
    row = store.update_working(variant_id, document=studio.document_yaml(candidate), redo=[])
    _audit(viewer, "variant.change", variant_id, {"op": change.op, "step": len(changes)})
    return jsonify(
        _state(
            store,
            row,
            candidate,
            library,
            with_geojson=_flag(request.args.get("geojson")),
            timings={"step_s": round(time.perf_counter() - t0, 4)},
        )
    )


def _move(variant_id: str, undo: bool):
    viewer = _planner()
    store = _variants()
    row, scenario = _working(store, variant_id)
    changes, redo = studio.change_dicts(scenario), list(row["redo"])
    if undo:
        if not changes:
            raise StudioError.of("nothing_to_undo", "undo", status=409)
        redo.append(changes.pop())
    else:
        if not redo:
            raise StudioError.of("nothing_to_redo", "redo", status=409)
        changes.append(redo.pop())
    candidate = studio.with_changes(scenario, changes)
    library = _library()
    studio.compute(candidate, library, _store_url(), _epsg())
    row = store.update_working(variant_id, document=studio.document_yaml(candidate), redo=redo)
    _audit(viewer, "variant.undo" if undo else "variant.redo", variant_id, {"steps": len(changes)})
    return jsonify(_state(store, row, candidate, library, with_geojson=_flag(request.args.get("geojson"))))


@BLUEPRINT.post("/variants/<variant_id>/undo")
def undo(variant_id: str):
    return _move(variant_id, undo=True)


@BLUEPRINT.post("/variants/<variant_id>/redo")
def redo(variant_id: str):
    return _move(variant_id, undo=False)


@BLUEPRINT.post("/variants/<variant_id>/save")
def save(variant_id: str):
    viewer = _planner()
    body = _body()
    store = _variants()
    row, scenario = _working(store, variant_id)
    title_de = _text(body, "title_de", required=True) if "title_de" in body else row["title_de"]
    title_en = (_text(body, "title_en") or title_de) if "title_en" in body else row["title_en"]
    description_de = (
        _text(body, "description_de", limit=4000) if "description_de" in body else (row["description_de"] or "")
    )
    description_en = (
        _text(body, "description_en", limit=4000) if "description_en" in body else (row["description_en"] or "")
    )
    note = _text(body, "note", limit=500)
    candidate = studio.with_changes(
        scenario,
        studio.change_dicts(scenario),
        title_de=title_de,
        title_en=title_en,
        description=description_de,
        description_en=description_en,
    )
    saved = store.save_version(variant_id, candidate, _author(viewer), description_de, description_en, note)
    _audit(viewer, "variant.save", variant_id, {"version": saved["version"]})
    row = store.working(variant_id)
    return jsonify(
        {
            "variant": _summary(store, row),
            "version": saved["version"],
            "author": saved["author"],
            "saved_at": saved["saved_at"],
        }
    )


def _chain_public(scenario: Scenario, library: dict, public: dict) -> None:
    base = scenario.base
    seen = set()
    while base != BASELINE and base not in seen:
        seen.add(base)
        if base not in public:
            raise StudioError.of("base_not_published", "base", base=base)
        base = public[base].base


@BLUEPRINT.post("/variants/<variant_id>/publish")
def publish(variant_id: str):
    viewer = _planner()
    body = _body()
    if "published" not in body:
        raise StudioError.of("publish_body", "published")
    wanted = _flag(body["published"])
    store = _variants()
    row, _ = _working(store, variant_id)
    from scenarios.results import store_result
    from store.base import open_store

    url, epsg = _store_url(), _epsg()
    if wanted:
        saved = [r for r in store.rows(variant_id) if r["version"] > 0]
        if not saved:
            raise StudioError.of("save_first", "save")
        latest = saved[-1]
        scenario = studio.parse_document(latest["document"], source=f"variant {variant_id}")
        library = _library()
        public = {**shipped_scenarios(), **studio.stored_library(url, False, epsg)}
        _chain_public(scenario, library, public)
        result, _ = studio.compute(scenario, library, url, epsg)
        target = open_store(url, epsg=epsg)
        try:
            store_result(target, result)
        finally:
            target.close()
        row = store.update_working(variant_id, status=PUBLISHED, published_version=latest["version"])
        _audit(viewer, "variant.publish", variant_id, {"version": latest["version"]})
    else:
        _remove_public_rows(url, epsg, variant_id)
        row = store.update_working(variant_id, status=INTERNAL, published_version=None)
        _audit(viewer, "variant.unpublish", variant_id)
    return jsonify({"variant": _summary(store, row)})


def _remove_public_rows(url: str, epsg: int | None, variant_id: str) -> None:
    import geopandas as gpd

    from scenarios.results import RESULT_LAYERS
    from store.base import open_store

    target = open_store(url, epsg=epsg)
    try:
        empty = {
            layer: gpd.GeoDataFrame(
                {"id": []}, geometry=gpd.GeoSeries([], crs=f"EPSG:{target.epsg}"), crs=f"EPSG:{target.epsg}"
            )
            for layer in RESULT_LAYERS
        }
        target.replace(empty, source=f"scenario:{variant_id}")
    finally:
        target.close()


@BLUEPRINT.delete("/variants/<variant_id>")
def delete(variant_id: str):
    viewer = _planner()
    store = _variants()
    row, _ = _working(store, variant_id)
    if row["status"] == PUBLISHED:
        raise StudioError.of("unpublish_first", "publish", status=409)
    store.delete(variant_id)
    _audit(viewer, "variant.delete", variant_id)
    return jsonify({"id": variant_id, "deleted": True})
