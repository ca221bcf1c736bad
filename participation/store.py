"""Procedures, statements, Abwägung and the audit trail in the store: one SQL text for both stores.

Every function takes ``rows``, an object with ``fetch(sql, params)`` and ``transaction()``
(``providers.contributions.Rows``: sqlite3 for the GeoPackage, SQLAlchemy for PostGIS; both
accept named ``:params``). Procedures carry a geometry, so they are written through the
store (:func:`write_procedure`), which knows how each backend encodes one.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from participation.model import RESULTS, default_prefix, is_open, reference_number

PROCEDURES = "procedures"
CONTRIBUTIONS = "contributions"
ABWAEGUNG = "abwaegung"
AUDIT = "audit_log"
COUNTERS = "reference_counters"
TEMPLATES = "answer_templates"

PROCEDURE_COLUMNS = (
    "id",
    "kind",
    "title_de",
    "title_en",
    "description_de",
    "description_en",
    "plan_ids",
    "scenario_id",
    "opens_at",
    "closes_at",
    "allowed_kinds",
    "reference_prefix",
    "closed_at",
    "created_by",
    "created_at",
    "updated_at",
)
ABWAEGUNG_COLUMNS = (
    "id",
    "contribution_id",
    "procedure_id",
    "section_no",
    "section_text",
    "proposal",
    "result",
    "decision",
    "tags",
    "group_name",
    "published_at",
    "updated_by",
    "updated_at",
)


def iso(value) -> str | None:
    """A stored datetime as the API writes it (``2026-05-01T08:00:00.000Z``)."""
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def now_iso() -> str:
    return iso(datetime.now(UTC))


def _json(value, default):
    if value in (None, ""):
        return default
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return default
    return value


def _procedure(row: dict) -> dict:
    row = {k: row.get(k) for k in PROCEDURE_COLUMNS}
    row["plan_ids"] = _json(row["plan_ids"], [])
    row["allowed_kinds"] = _json(row["allowed_kinds"], [])
    for name in ("opens_at", "closes_at", "closed_at", "created_at", "updated_at"):
        row[name] = iso(row[name])
    return row


# -- procedures --------------------------------------------------------------------------------------------------


def procedures(rows, plan_id: str | None = None, procedure_id: str | None = None) -> list[dict]:
    """Every procedure (oldest start first), those covering one plan, or the one with ``procedure_id``."""
    sql = f"SELECT {', '.join(PROCEDURE_COLUMNS)} FROM {PROCEDURES}"
    params = {}
    if procedure_id is not None:
        sql += " WHERE id = :id"
        params["id"] = procedure_id
    found = [_procedure(r) for r in rows.fetch(sql + " ORDER BY opens_at, id", params)]
    if plan_id is not None:
        found = [p for p in found if plan_id in p["plan_ids"]]
    return found


def procedure(rows, procedure_id: str) -> dict | None:
    found = procedures(rows, procedure_id=procedure_id)
    return found[0] if found else None


def write_procedure(store, values: dict, geometry) -> None:
    """Write (create or replace) one procedure row with its geometry (storage CRS) through the store."""
    import geopandas as gpd
    import shapely

    row = {name: values.get(name) for name in PROCEDURE_COLUMNS}
    row["source"] = f"procedure:{values['id']}"
    for name in ("opens_at", "closes_at", "closed_at", "created_at", "updated_at"):
        row[name] = iso(row[name]) if row[name] is not None else None
    if geometry is not None and geometry.geom_type == "Polygon":
        geometry = shapely.MultiPolygon([geometry])
    frame = gpd.GeoDataFrame([row], geometry=[geometry], crs=f"EPSG:{store.epsg}")
    store.replace({PROCEDURES: frame}, source=row["source"])


def delete_procedure(store, procedure_id: str) -> None:
    import geopandas as gpd

    empty = gpd.GeoDataFrame({"id": []}, geometry=[], crs=f"EPSG:{store.epsg}")
    store.replace({PROCEDURES: empty}, source=f"procedure:{procedure_id}")


def procedure_for(
    rows, kind: str, plan_id: str | None, scenario_id: str | None, point=None, area_of=None
) -> tuple[dict | None, list[dict]]:
    """(the open procedure a new contribution belongs to or None, the procedures that could take it).

    A contribution on a plan belongs to the open procedure of that plan that admits its kind;
    one on a variant to the variant's; an unlinked one to a procedure for a drawn area around it
    (``area_of(procedure)`` tests that) or, failing that, to a general one (no plans, no area).
    """
    candidates = []
    for proc in procedures(rows):
        if scenario_id:
            fits = proc["scenario_id"] == scenario_id
        elif plan_id:
            fits = plan_id in proc["plan_ids"]
        else:
            fits = not proc["plan_ids"] and not proc["scenario_id"]
            if fits and area_of is not None and point is not None:
                fits = area_of(proc, point)
        if fits:
            candidates.append(proc)
    open_now = [p for p in candidates if is_open(p) and kind in p["allowed_kinds"]]
    # §4 (authorities) last: a citizen's statement belongs to the public procedure where both are open
    open_now.sort(key=lambda p: (p["kind"] == "behoerden", p["opens_at"] or ""))
    return (open_now[0] if open_now else None), candidates


def next_reference(rows, proc: dict, plan_names: list[str] | tuple = (), year: int | None = None) -> str:
    """The next free reference number of a procedure (one atomic upsert, safe across workers)."""
    prefix = proc.get("reference_prefix") or default_prefix(plan_names)
    year = year or datetime.now(UTC).year
    key = f"{prefix}-{year}"
    with rows.transaction() as tx:
        found = tx.fetch(
            f"INSERT INTO {COUNTERS} (id, value) VALUES (:id, 1) ON CONFLICT (id) DO UPDATE "
            f"SET value = {COUNTERS}.value + 1 RETURNING value",
            {"id": key},
        )
    return reference_number(prefix, year, int(found[0]["value"]))


# -- statements and their Abwägung --------------------------------------------------------------------------------


def statements(rows, procedure_id: str) -> list[dict]:
    """The contributions of a procedure (every status), oldest first, each with its Abwägung entries."""
    columns = (
        "id",
        "kind",
        "category",
        "text",
        "plan_id",
        "target_collection",
        "target_id",
        "parent_id",
        "pseudonym",
        "status",
        "status_note",
        "reference",
        "late",
        "created_at",
        "like_count",
    )
    found = rows.fetch(
        f"SELECT {', '.join(columns)} FROM {CONTRIBUTIONS} WHERE procedure_id = :p ORDER BY created_at, id",
        {"p": procedure_id},
    )
    entries: dict[str, list[dict]] = {}
    for entry in rows.fetch(
        f"SELECT {', '.join(ABWAEGUNG_COLUMNS)} FROM {ABWAEGUNG} WHERE procedure_id = :p", {"p": procedure_id}
    ):
        entry["tags"] = _json(entry["tags"], [])
        entry["published_at"], entry["updated_at"] = iso(entry["published_at"]), iso(entry["updated_at"])
        entries.setdefault(entry["contribution_id"], []).append(entry)
    for statement in found:
        statement["created_at"] = iso(statement["created_at"])
        statement["late"] = bool(statement["late"])
        statement["abwaegung"] = sorted(entries.get(statement["id"], []), key=lambda e: e["section_no"] or 0)
    return found


def save_abwaegung(rows, contribution: dict, entries: list[dict], actor: str) -> list[dict]:
    """Replace the Abwägung of one statement by ``entries`` (whole statement or its sections)."""
    now = now_iso()
    saved = []
    with rows.transaction() as tx:
        tx.execute(f"DELETE FROM {ABWAEGUNG} WHERE contribution_id = :c", {"c": contribution["id"]})
        for entry in entries:
            identifier = (
                contribution["id"] if entry["section_no"] is None else f"{contribution['id']}#{entry['section_no']}"
            )
            values = {
                **entry,
                "id": identifier,
                "contribution_id": contribution["id"],
                "procedure_id": contribution["procedure_id"],
                "tags": json.dumps(entry["tags"]),
                "published_at": None,
                "updated_by": actor,
                "updated_at": now,
            }
            tx.execute(
                f"INSERT INTO {ABWAEGUNG} ({', '.join(ABWAEGUNG_COLUMNS)}) VALUES "
                f"({', '.join(':' + c for c in ABWAEGUNG_COLUMNS)})",
                values,
            )
            saved.append({**values, "tags": entry["tags"]})
    return saved


def mark_published(rows, procedure_id: str, entry_ids: list[str], when: str) -> None:
    with rows.transaction() as tx:
        for identifier in entry_ids:
            tx.execute(
                f"UPDATE {ABWAEGUNG} SET published_at = :at WHERE id = :id AND procedure_id = :p",
                {"at": when, "id": identifier, "p": procedure_id},
            )


def by_reference(rows, reference: str) -> dict | None:
    found = rows.fetch(
        f"SELECT id, procedure_id, kind, status, status_note, reference, late, created_at "
        f"FROM {CONTRIBUTIONS} WHERE reference = :r",
        {"r": reference},
    )
    if not found:
        return None
    statement = found[0]
    statement["created_at"], statement["late"] = iso(statement["created_at"]), bool(statement["late"])
    published = rows.fetch(
        f"SELECT section_no, section_text, proposal, result, decision, published_at FROM "
        f"{ABWAEGUNG} WHERE contribution_id = :c AND published_at IS NOT NULL "
        "ORDER BY section_no",
        {"c": statement["id"]},
    )
    for entry in published:
        entry["published_at"] = iso(entry["published_at"])
        entry["result_label_de"], entry["result_label_en"] = RESULTS.get(entry["result"], (None, None))
    statement["abwaegung"] = published
    return statement


def set_procedure_of(rows, contribution_id: str, procedure_id: str, reference: str, late: bool) -> None:
    with rows.transaction() as tx:
        tx.execute(
            f"UPDATE {CONTRIBUTIONS} SET procedure_id = :p, reference = :r, late = :l WHERE id = :id",
            {"p": procedure_id, "r": reference, "l": bool(late), "id": contribution_id},
        )


# -- answer templates ---------------------------------------------------------------------------------------------


def templates(rows) -> list[dict]:
    return rows.fetch(f"SELECT id, title, text, result, created_by, created_at FROM {TEMPLATES} ORDER BY title")


def add_template(rows, title: str, text: str, result: str | None, actor: str) -> dict:
    values = {
        "id": str(uuid.uuid4()),
        "title": title,
        "text": text,
        "result": result,
        "created_by": actor,
        "created_at": now_iso(),
    }
    with rows.transaction() as tx:
        tx.execute(
            f"INSERT INTO {TEMPLATES} (id, title, text, result, created_by, created_at) VALUES "
            "(:id, :title, :text, :result, :created_by, :created_at)",
            values,
        )
    return values


def delete_template(rows, identifier: str) -> bool:
    with rows.transaction() as tx:
        return tx.execute(f"DELETE FROM {TEMPLATES} WHERE id = :id", {"id": identifier}) > 0


# -- audit trail ----------------------------------------------------------------------------------------------------


def actor(viewer) -> str:
    """Who acted, for the record: the person's name, ``token:<name>``, else the role."""
    return getattr(viewer, "name", "") or viewer.role


def record(
    rows, viewer, action: str, target_type: str, target_id: str | None, detail: dict | None = None, tx=None
) -> None:
    """Store one staff action: who (``viewer.name``), in which role, when, what, on what."""
    values = {
        "id": str(uuid.uuid4()),
        "at": now_iso(),
        "actor": actor(viewer),
        "role": viewer.role,
        "action": action,
        "target_type": target_type,
        "target_id": target_id,
        "detail": json.dumps(detail or {}, ensure_ascii=False, default=str),
    }
    sql = (
        f"INSERT INTO {AUDIT} (id, at, actor, role, action, target_type, target_id, detail) VALUES "
        f"(:id, :at, :actor, :role, :action, :target_type, :target_id, {rows.json_param.format('detail')})"
    )
    if tx is not None:
        tx.execute(sql, values)
        return
    with rows.transaction() as own:
        own.execute(sql, values)


def audit(
    rows, since: str | None = None, actor: str | None = None, target_id: str | None = None, limit: int = 1000
) -> list[dict]:
    """The audit trail, newest first."""
    clauses, params = [], {"limit": int(limit)}
    if since:
        clauses.append("at >= :since")
        params["since"] = since
    if actor:
        clauses.append("actor = :actor")
        params["actor"] = actor
    if target_id:
        clauses.append("target_id = :target")
        params["target"] = target_id
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    found = rows.fetch(
        f"SELECT id, at, actor, role, action, target_type, target_id, detail FROM {AUDIT}{where} "
        "ORDER BY at DESC, id LIMIT :limit",
        params,
    )
    for entry in found:
        entry["at"], entry["detail"] = iso(entry["at"]), _json(entry["detail"], {})
    return found
