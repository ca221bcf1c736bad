"""The scenario studio's core: planners' variants as scenario documents, step by step, with versions.

A studio variant is a scenario document (:mod:`scenarios.model`, the format of
``scenarios/examples/*.yaml``) kept in the support table ``scenario_variants``:

* version 0 is the *working copy*: the document being edited, the steps undone
  (``redo``), its status (``internal`` or ``published``) and which saved version
  citizens see (``published_version``);
* versions 1, 2, ... are saved states, each with title and description (de/en),
  author (the signed-in person's name) and time.

Every step is one of the engine's operations (``add_building``,
``remove_buildings``, ``modify_buildings``, ``change_festsetzung``,
``fill_envelope``), appended to ``changes``; undo moves the last one to the
redo list. Before a step is kept it is checked (schema, plausible values,
footprints inside the variant's plans, zones of the variant's own plans) and
computed; a bad step raises :class:`StudioError` with a German and an English
message naming the control (``field``) and nothing is written.

Publishing computes the published version and writes it to the public
collections ``scenarios``, ``scenario_buildings`` and
``scenario_zone_indicators`` (:func:`scenarios.results.store_result`), where
the 3D view's A/B choice, the list of variants, likes and comments find it;
keeping a variant internal removes those rows again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import shapely
import shapely.geometry
import yaml
from pydantic import TypeAdapter, ValidationError

from scenarios.messages import pair
from scenarios.model import (
    BASELINE,
    ID_PATTERN,
    Change,
    Scenario,
    ScenarioError,
    parse_scenario,
    scenario_from_dict,
    shipped_scenarios,
)
from schema.bilingual import join

LOG = logging.getLogger(__name__)

TABLE = "scenario_variants"
INTERNAL, PUBLISHED = "internal", "published"

#: Plausibility limits of the studio (the schema's own limits are wider): the tallest building in Germany
#: is 259 m; a Bebauungsplan with more than 60 Vollgeschosse or a 5 ha single footprint is a typing error.
MAX_HEIGHT_M = 300.0
MAX_STOREYS = 60
MAX_FOOTPRINT_M2 = 50_000.0
MIN_FOOTPRINT_M2 = 4.0
#: A new footprint may reach this far beyond the variant's plans (m): buildings on the edge of the area.
AREA_TOLERANCE_M = 1.0

_COLUMNS = (
    "id",
    "variant_id",
    "version",
    "document",
    "redo",
    "title_de",
    "title_en",
    "description_de",
    "description_en",
    "base",
    "status",
    "published_version",
    "author",
    "saved_at",
    "note",
)


class StudioError(ValueError):
    """A refused step or request: German and English message, the control it is about, an HTTP status."""

    def __init__(self, de: str, en: str, field: str | None = None, status: int = 400):
        self.de, self.en, self.field, self.status = de, en, field, status
        super().__init__(join(de, en))

    @classmethod
    def of(cls, key: str, field: str | None = None, status: int = 400, **fields) -> StudioError:
        """The error for entry ``key`` of :mod:`scenarios.messages` with ``fields`` filled in."""
        return cls(*pair(key, **fields), field=field, status=status)

    def to_json(self) -> dict:
        code = {400: "InvalidParameterValue", 404: "NotFound", 409: "Conflict"}.get(self.status, "Error")
        return {
            "code": code,
            "description": str(self),
            "description_de": self.de,
            "description_en": self.en,
            "field": self.field,
        }


def _now() -> str:
    moment = datetime.now(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _iso(value) -> str | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    return str(value)


# ----------------------------------------------------------------------------- messages

#: Names of the fields a step may set, as the studio's controls call them (de, en).
FIELD_NAMES = {
    "grz": ("GRZ", "GRZ"),
    "grz_min": ("GRZ (Mindestmaß)", "GRZ (minimum)"),
    "grz_max": ("GRZ (Höchstmaß)", "GRZ (maximum)"),
    "gfz": ("GFZ", "GFZ"),
    "gfz_min": ("GFZ (Mindestmaß)", "GFZ (minimum)"),
    "gfz_max": ("GFZ (Höchstmaß)", "GFZ (maximum)"),
    "z": ("Z (Vollgeschosse)", "Z (full storeys)"),
    "z_max": ("Z (Höchstmaß)", "Z (maximum)"),
    "z_min": ("Z (Mindestmaß)", "Z (minimum)"),
    "z_zwingend": ("Z (zwingend)", "Z (mandatory)"),
    "h_max": ("Höhe (Höchstmaß)", "height (maximum)"),
    "height": ("Höhe", "height"),
    "storeys": ("Geschosse", "storeys"),
    "geometry": ("Grundriss", "footprint"),
    "crs": ("Koordinatensystem", "CRS"),
    "zones": ("Zonen", "zones"),
    "ids": ("Gebäude", "buildings"),
    "plan_id": ("Plan", "plan"),
    "where": ("Auswahl", "selection"),
    "filter": ("Filter", "filter"),
    "op": ("Operation", "operation"),
    "set": ("Werte", "values"),
    "add": ("Erhöhung", "increment"),
    "storey_height": ("Geschosshöhe", "storey height"),
    "id": ("Kennung", "id"),
    "title_de": ("Titel (deutsch)", "title (German)"),
    "title_en": ("Titel (englisch)", "title (English)"),
    "base": ("Ausgangsvariante", "base variant"),
    "art_code": ("Art der Nutzung", "type of use"),
    "bauweise": ("Bauweise", "building pattern"),
    "day": ("Tag", "day"),
    "hour": ("Uhrzeit", "hour"),
    "points": ("Orte", "places"),
}


def field_names(field: str) -> dict[str, str]:
    """The control ``field`` by name in both languages, as the messages take it: ``name_de``, ``name``."""
    german, english = FIELD_NAMES.get(field, (field, field))
    return {"name_de": german, "name": english}


#: Bauweise in words (the engine stores XPlanung's names).
BAUWEISE_NAMES = {
    "OffeneBauweise": ("offen", "open"),
    "GeschlosseneBauweise": ("geschlossen", "closed"),
    "AbweichendeBauweise": ("abweichend", "other (abweichend)"),
}
_OPS = ("add_building", "remove_buildings", "modify_buildings", "change_festsetzung", "fill_envelope")


def _field_of(loc: tuple) -> str:
    """The last meaningful key of a pydantic location (``('change_festsetzung', 'set', 'grz')`` -> ``grz``)."""
    names = [str(p) for p in loc if not isinstance(p, int) and p not in _OPS]
    for name in reversed(names):
        if name in FIELD_NAMES and name not in ("set", "add"):
            return name
    return names[-1] if names else ""


def _number(value) -> str:
    return f"{value:g}" if isinstance(value, (int, float)) else str(value)


def _explain(error: dict) -> tuple[str, str, str]:
    """(field, German, English) for one pydantic error."""
    loc = tuple(error.get("loc") or ())
    field = _field_of(loc)
    de_name, en_name = FIELD_NAMES.get(field, (field or "Eingabe", field or "input"))
    names = {"name_de": de_name, "name": en_name}
    kind, ctx, msg = error.get("type", ""), error.get("ctx") or {}, error.get("msg", "")
    if field in ("grz", "grz_min", "grz_max") and kind in ("less_than_equal", "greater_than_equal"):
        return field, *pair("grz_range", **names)
    if kind == "less_than_equal" and field in ("height", "h_max"):
        return field, *pair("height_max", max=MAX_HEIGHT_M, **names)
    if kind == "less_than_equal" and field in ("storeys", "z", "z_max", "z_min", "z_zwingend"):
        return field, *pair("storeys_max", max=MAX_STOREYS, **names)
    bounds = {
        "less_than_equal": ("value_at_most", "le"),
        "greater_than_equal": ("value_at_least", "ge"),
        "greater_than": ("value_greater", "gt"),
        "less_than": ("value_less", "lt"),
    }
    if kind in bounds:
        key, bound = bounds[kind]
        return field, *pair(key, limit=_number(ctx.get(bound)), **names)
    if kind == "literal_error":
        allowed = ", ".join(a.strip("'") for a in re.split(r", | or ", str(ctx.get("expected", ""))))
        return field, *pair("value_allowed", allowed=allowed, **names)
    if kind in ("int_parsing", "int_from_float", "int_type"):
        return field, *pair("value_whole_number", **names)
    if kind in ("float_parsing", "float_type"):
        return field, *pair("value_number", **names)
    if kind == "missing":
        return field, *pair("value_missing", **names)
    if kind == "extra_forbidden":
        return field, *pair("field_unknown", field=field)
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        return "op", *pair("op_unknown", ops=", ".join(_OPS))
    text = msg[len("Value error, ") :] if msg.startswith("Value error, ") else msg
    if "Self-intersection" in text or "Ring Self-intersection" in text:
        return field or "geometry", *pair("footprint_self_intersects", detail=text)
    if "no area" in text or "is empty" in text:
        return field or "geometry", *pair("footprint_no_area", detail=text)
    if "not a valid" in text or "invalid Polygon" in text or "invalid MultiPolygon" in text:
        return field or "geometry", *pair("footprint_invalid", detail=text)
    if "needs height or storeys" in text:
        return "height", *pair("building_needs_height")
    if "needs set or add" in text:
        return "set", *pair("change_needs_value")
    if "choose zones" in text or "choose buildings" in text:
        return "zones", *pair("choose_zones_or_buildings")
    if "String should match pattern" in text:
        return field, *pair("id_pattern", **names)
    return field, *pair("value_invalid", detail=text, **names)


def _from_validation(err: ValidationError) -> StudioError:
    parts = [_explain(e) for e in err.errors()]
    field = parts[0][0] if parts else None
    return StudioError("; ".join(p[1] for p in parts), "; ".join(p[2] for p in parts), field=field)


_GERMAN = (
    (r"^Input should be less than or equal to (.+)$", r"höchstens \1 erlaubt"),
    (r"^Input should be greater than or equal to (.+)$", r"mindestens \1 nötig"),
    (r"^Input should be greater than (.+)$", r"muss größer als \1 sein"),
    (r"^Input should be less than (.+)$", r"muss kleiner als \1 sein"),
    (r"^Input should be a valid integer.*$", "muss eine ganze Zahl sein"),
    (r"^Input should be a valid number.*$", "muss eine Zahl sein"),
    (r"^Input should be a valid (string|list|dictionary).*$", "hat den falschen Typ"),
    (r"^Field required$", "fehlt"),
    (r"^unknown key \(not part of the scenario schema\)$", "unbekannter Schlüssel (nicht im Szenario-Format)"),
    (r"^unknown op (.+?);.*$", r"unbekannte Operation \1"),
    (r"^a change needs an 'op'$", "ein Schritt braucht 'op'"),
    (r"^YAML syntax: (.*)$", r"YAML-Syntaxfehler (\1)"),
    (r"^a scenario must be a mapping.*$", "ein Szenario muss eine Zuordnung sein (id, title_de, title_en, changes, …)"),
    (r"^unknown (zone|building) id\(s\): (.*)$", r"unbekannte Kennung(en): \2"),
    (r"^String should match pattern.*$", "nur Buchstaben, Ziffern, _ . - erlaubt"),
)


def _german(message: str) -> str:
    import re

    for pattern, replacement in _GERMAN:
        if re.match(pattern, message):
            return re.sub(pattern, replacement, message)
    return message


def _from_scenario_error(err: ScenarioError, what: str) -> StudioError:
    """The studio's error for a scenario file's: ``what`` (an entry of :mod:`scenarios.messages`), then where
    and why for each issue."""
    what_de, what_en = pair(what)
    lines = []
    for issue in err.issues:
        where, where_en = pair("at_line", line=issue.line) if issue.line else ("", "")
        if issue.column and issue.line:
            column_de, column_en = pair("at_column", column=issue.column)
            where += column_de
            where_en += column_en
        lines.append((where, where_en, issue.path, issue.message))
    de = "; ".join(f"{w + ': ' if w else ''}{p + ': ' if p else ''}{_german(m)}" for w, _, p, m in lines)
    en = "; ".join(f"{w + ': ' if w else ''}{p + ': ' if p else ''}{m}" for _, w, p, m in lines)
    return StudioError(f"{what_de}: {de}", f"{what_en}: {en}")


_CHANGE = TypeAdapter(Change)


def validate_change(change: Mapping) -> object:
    """One step as a :data:`scenarios.model.Change`; bilingual :class:`StudioError` naming the field otherwise."""
    if not isinstance(change, Mapping):
        raise StudioError.of("step_object", "op")
    try:
        parsed = _CHANGE.validate_python(dict(change))
    except ValidationError as err:
        raise _from_validation(err) from None
    _plausible(parsed)
    return parsed


def _plausible(change) -> None:
    """The studio's limits beyond the schema: heights, storeys, footprint sizes."""
    values = getattr(change, "set", None)
    height = getattr(change, "height", None) if change.op == "add_building" else getattr(values, "height", None)
    storeys = getattr(change, "storeys", None) if change.op == "add_building" else getattr(values, "storeys", None)
    if height is not None and height > MAX_HEIGHT_M:
        raise StudioError.of("height_absurd", "height", height=height, max=MAX_HEIGHT_M)
    if storeys is not None and storeys > MAX_STOREYS:
        raise StudioError.of("storeys_absurd", "storeys", storeys=storeys, max=MAX_STOREYS)
    if change.op == "change_festsetzung":
        for part in (change.set, change.add):
            for name in part.model_fields_set if part is not None else ():
                value = getattr(part, name)
                if value is None or isinstance(value, str):
                    continue
                if name.startswith("z") and part is change.set and value > MAX_STOREYS:
                    raise StudioError.of("z_absurd", name, value=value, max=MAX_STOREYS)
                if name == "h_max" and part is change.set and value > MAX_HEIGHT_M:
                    raise StudioError.of("height_absurd", name, height=value, max=MAX_HEIGHT_M)


def check_values_after(model) -> None:
    """Festsetzungen after a step (increments included) must stay in range: GRZ 0..1, Z and heights plausible."""
    z = model.zones
    checks = (
        ("grz", 0.0, 1.0),
        ("grz_max", 0.0, 1.0),
        ("grz_min", 0.0, 1.0),
        ("gfz", 0.0, 30.0),
        ("gfz_max", 0.0, 30.0),
        ("z", 0, MAX_STOREYS),
        ("z_max", 0, MAX_STOREYS),
        ("h_max", 0.0, MAX_HEIGHT_M),
    )
    for column, low, high in checks:
        if column not in z:
            continue
        values = pd.to_numeric(z[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        bad = np.isfinite(values) & ((values < low) | (values > high))
        if bad.any():
            value = values[bad][0]
            if column.startswith("grz"):
                raise StudioError.of("grz_after", column, value=value, **field_names(column))
            raise StudioError.of("value_after", column, low=low, high=high, value=value, **field_names(column))


# ----------------------------------------------------------------------------- documents


def document_yaml(scenario: Scenario, header: str | None = None) -> str:
    """The scenario as YAML in the format of ``scenarios/examples`` (explicit nulls kept: they remove values)."""
    data = scenario.model_dump(mode="json", exclude_unset=True)
    data = {"id": scenario.id, "title_de": scenario.title_de, "title_en": scenario.title_en, **data}
    if "changes" in data:
        data["changes"] = change_dicts(scenario)
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110, default_flow_style=None)
    if header:
        text = "".join(f"# {line}\n" for line in header.splitlines()) + text
    return text


def parse_document(text: str, source: str = "scenario.yaml") -> Scenario:
    """A YAML (or JSON) scenario text; bilingual :class:`StudioError` when it does not parse or validate."""
    if not isinstance(text, str) or not text.strip():
        raise StudioError.of("yaml_empty", "yaml")
    try:
        return parse_scenario(text, source=source)
    except ScenarioError as err:
        syntax = any("YAML syntax" in i.message or "mapping" in i.message for i in err.issues)
        error = _from_scenario_error(err, "yaml_syntax" if syntax else "yaml_invalid")
        error.field = "yaml"
        raise error from None


def with_changes(scenario: Scenario, changes: list[dict], **fields) -> Scenario:
    """A copy of ``scenario`` with other ``changes`` (dicts) and fields; validated."""
    data = scenario.model_dump(mode="json", exclude_unset=True)
    data.update({"id": scenario.id, "title_de": scenario.title_de, "title_en": scenario.title_en})
    data.update(fields)
    data["changes"] = changes
    try:
        return scenario_from_dict(data, source=f"variant {scenario.id}")
    except ScenarioError as err:
        raise _from_scenario_error(err, "variant_invalid") from None


def change_dict(change) -> dict:
    """One change as it is written in a document: ``op`` first, only what was given (explicit nulls kept)."""
    data = change.model_dump(mode="json", exclude_unset=True)
    return {"op": change.op, **{k: v for k, v in data.items() if k != "op"}}


def change_dicts(scenario: Scenario) -> list[dict]:
    return [change_dict(c) for c in scenario.changes]


def _value_words(name: str, value, de: bool) -> str:
    if value is None:
        return "–"
    if name == "bauweise":
        return BAUWEISE_NAMES.get(value, (value, value))[0 if de else 1]
    return str(value)


def describe_change(change: dict, lang: str = "de") -> str:
    """One step in words, for the studio's list of steps."""
    op = change.get("op")
    de = lang == "de"
    zones = change.get("zones") or change.get("ids") or []
    where = change.get("where") or {}
    if op in ("remove_buildings", "modify_buildings") and change.get("ids"):
        n = len(change["ids"])
        target = f"{n} Gebäude" if de else f"{n} building(s)"
    elif op in ("remove_buildings", "modify_buildings") and change.get("zones"):
        n = len(change["zones"])
        target = f"alle in {n} Zone(n)" if de else f"all in {n} zone(s)"
    elif zones:
        target = f"{len(zones)} Zone(n)" if de else f"{len(zones)} zone(s)"
    elif change.get("plan_id"):
        target = f"Plan {change['plan_id']}"
    elif where:
        target = ", ".join(f"{k} = {v}" for k, v in where.items())
    else:
        target = change.get("filter") or ""
    if op == "change_festsetzung":
        parts = [
            f"{FIELD_NAMES.get(k, (k, k))[0 if de else 1]} = {_value_words(k, v, de)}"
            for k, v in (change.get("set") or {}).items()
        ]
        parts += [f"{FIELD_NAMES.get(k, (k, k))[0 if de else 1]} + {v}" for k, v in (change.get("add") or {}).items()]
        return (f"Festsetzung ändern ({target}): " if de else f"Change provisions ({target}): ") + ", ".join(parts)
    if op == "fill_envelope":
        return f"Baufenster füllen, maximal bebaut ({target})" if de else f"Fill the building envelope ({target})"
    if op == "add_building":
        size = ""
        try:
            geom = shapely.geometry.shape(change["geometry"])
            size = f", {geom.area:.0f} m²" if change.get("crs", "EPSG:25832").upper().startswith("EPSG:25") else ""
        except Exception:  # noqa: BLE001 - a description only
            pass
        height = (
            f"{change['storeys']} {'Geschosse' if de else 'storeys'}"
            if change.get("storeys")
            else f"{change.get('height')} m"
        )
        return f"Gebäude hinzufügen ({height}{size})" if de else f"Add a building ({height}{size})"
    if op == "remove_buildings":
        return f"Gebäude entfernen ({target})" if de else f"Remove buildings ({target})"
    if op == "modify_buildings":
        values = ", ".join(
            f"{FIELD_NAMES.get(k, (k, k))[0 if de else 1]} = {v}"
            for k, v in (change.get("set") or {}).items()
            if k not in ("geometry", "crs")
        )
        return f"Gebäude ändern ({target}): {values}" if de else f"Change buildings ({target}): {values}"
    return str(op)


# ----------------------------------------------------------------------------- the table


class VariantStore:
    """Rows of ``scenario_variants`` in one store (GeoPackage or PostGIS), through :class:`access.db.Db`."""

    _created: set[str] = set()
    _lock = threading.Lock()

    _dbs: dict = {}

    def __init__(self, url: str, epsg: int | None = None):
        from access.db import Db

        self.url = url
        self.epsg = epsg
        with self._lock:  # one Db (its small connection pool) per store and process
            self.db = self._dbs.get(url) or self._dbs.setdefault(url, Db(url))
        self._ensure_table()

    def _ensure_table(self) -> None:
        with self._lock:
            if self.url in self._created:
                return
            from schema.catalog import SUPPORT_TABLES
            from store.base import open_store

            store = open_store(self.url, epsg=self.epsg)
            try:
                store.create_schema([SUPPORT_TABLES[TABLE]])
            finally:
                store.close()
            self._created.add(self.url)

    def _json(self, name: str) -> str:
        return f"CAST(:{name} AS jsonb)" if self.db.postgis else f":{name}"

    @staticmethod
    def _row(row: dict) -> dict:
        out = {k: row.get(k) for k in _COLUMNS}
        redo = out.get("redo")
        out["redo"] = json.loads(redo) if isinstance(redo, str) else (redo or [])
        out["saved_at"] = _iso(out["saved_at"])
        for name in ("version", "published_version"):
            out[name] = int(out[name]) if out[name] is not None else None
        return out

    def rows(self, variant_id: str | None = None) -> list[dict]:
        sql = f"SELECT {', '.join(_COLUMNS)} FROM {TABLE}"
        params = {}
        if variant_id is not None:
            sql += " WHERE variant_id = :variant_id"
            params["variant_id"] = variant_id
        return [self._row(r) for r in self.db.fetch(sql + " ORDER BY variant_id, version", params)]

    def working(self, variant_id: str) -> dict | None:
        found = self.db.fetch(f"SELECT {', '.join(_COLUMNS)} FROM {TABLE} WHERE id = :id", {"id": f"{variant_id}~v0"})
        return self._row(found[0]) if found else None

    def version(self, variant_id: str, version: int) -> dict | None:
        found = self.db.fetch(
            f"SELECT {', '.join(_COLUMNS)} FROM {TABLE} WHERE id = :id", {"id": f"{variant_id}~v{int(version)}"}
        )
        return self._row(found[0]) if found else None

    def exists(self, variant_id: str) -> bool:
        return bool(self.db.fetch(f"SELECT id FROM {TABLE} WHERE variant_id = :v", {"v": variant_id}))

    def _insert(self, tx, values: dict) -> None:
        names = list(_COLUMNS)
        placeholders = [self._json(n) if n == "redo" else f":{n}" for n in names]
        values = {**dict.fromkeys(names), **values}
        values["redo"] = json.dumps(values.get("redo") or [], ensure_ascii=False)
        tx.execute(f"INSERT INTO {TABLE} ({', '.join(names)}) VALUES ({', '.join(placeholders)})", values)

    def create(self, scenario: Scenario, author: str, description_de: str = "", description_en: str = "") -> dict:
        with self.db.transaction(lock=f"variant:{scenario.id}") as tx:
            if tx.fetch(f"SELECT id FROM {TABLE} WHERE variant_id = :v", {"v": scenario.id}):
                raise StudioError.of("variant_id_taken", "id", status=409, id=scenario.id)
            self._insert(
                tx,
                {
                    "id": f"{scenario.id}~v0",
                    "variant_id": scenario.id,
                    "version": 0,
                    "document": document_yaml(scenario),
                    "redo": [],
                    "title_de": scenario.title_de,
                    "title_en": scenario.title_en,
                    "description_de": description_de or scenario.description,
                    "description_en": description_en or scenario.description_en,
                    "base": scenario.base,
                    "status": INTERNAL,
                    "author": author,
                    "saved_at": _now(),
                },
            )
        return self.working(scenario.id)

    def update_working(self, variant_id: str, **values) -> dict:
        sets = []
        for name in values:
            if name not in _COLUMNS or name in ("id", "variant_id", "version"):
                raise KeyError(name)
            sets.append(f"{name} = {self._json(name) if name == 'redo' else ':' + name}")
        if "redo" in values:
            values["redo"] = json.dumps(values["redo"], ensure_ascii=False)
        with self.db.transaction(lock=f"variant:{variant_id}") as tx:
            tx.execute(f"UPDATE {TABLE} SET {', '.join(sets)} WHERE id = :id", {**values, "id": f"{variant_id}~v0"})
        return self.working(variant_id)

    def save_version(
        self, variant_id: str, scenario: Scenario, author: str, description_de: str, description_en: str, note: str = ""
    ) -> dict:
        """A new saved version (the next number) of the working document; the working row takes the titles."""
        with self.db.transaction(lock=f"variant:{variant_id}") as tx:
            found = tx.fetch(f"SELECT MAX(version) AS n FROM {TABLE} WHERE variant_id = :v", {"v": variant_id})
            number = int(found[0]["n"] or 0) + 1
            now = _now()
            self._insert(
                tx,
                {
                    "id": f"{variant_id}~v{number}",
                    "variant_id": variant_id,
                    "version": number,
                    "document": document_yaml(scenario),
                    "title_de": scenario.title_de,
                    "title_en": scenario.title_en,
                    "description_de": description_de,
                    "description_en": description_en,
                    "base": scenario.base,
                    "author": author,
                    "saved_at": now,
                    "note": note,
                },
            )
            tx.execute(
                f"UPDATE {TABLE} SET document = :document, title_de = :title_de, title_en = :title_en, "
                f"description_de = :description_de, description_en = :description_en WHERE id = :id",
                {
                    "document": document_yaml(scenario),
                    "title_de": scenario.title_de,
                    "title_en": scenario.title_en,
                    "description_de": description_de,
                    "description_en": description_en,
                    "id": f"{variant_id}~v0",
                },
            )
        return self.version(variant_id, number)

    def delete(self, variant_id: str) -> int:
        return self.db.execute(f"DELETE FROM {TABLE} WHERE variant_id = :v", {"v": variant_id})

    # -- what the engine and the portal see ---------------------------------------------------------------

    def variants(self, include_internal: bool) -> list[dict]:
        """One summary per variant (working row), internal ones only on request (planners)."""
        rows = self.rows()
        by_id: dict[str, dict] = {}
        saved: dict[str, list[int]] = {}
        for row in rows:
            if row["version"] == 0:
                by_id[row["variant_id"]] = row
            else:
                saved.setdefault(row["variant_id"], []).append(row["version"])
        out = []
        for variant_id, row in sorted(by_id.items()):
            if row["status"] != PUBLISHED and not include_internal:
                continue
            summary = {
                k: row[k]
                for k in (
                    "variant_id",
                    "title_de",
                    "title_en",
                    "description_de",
                    "description_en",
                    "base",
                    "status",
                    "published_version",
                    "author",
                    "saved_at",
                )
            }
            summary["id"] = summary.pop("variant_id")
            summary["versions"] = sorted(saved.get(variant_id, []))
            summary["steps"] = len(parse_document(row["document"]).changes) if include_internal else None
            if not include_internal:  # citizens see the published version's titles
                published = self.version(variant_id, row["published_version"] or 0)
                if published:
                    summary.update(
                        {
                            k: published[k]
                            for k in ("title_de", "title_en", "description_de", "description_en", "author", "saved_at")
                        }
                    )
            out.append(summary)
        return out

    def library(self, include_internal: bool) -> dict[str, Scenario]:
        """Scenario documents by id for the engine: the published version of every published variant, and --
        for planners -- the latest saved version (the working copy where none is saved) of the internal ones."""
        rows = self.rows()
        latest: dict[str, dict] = {}
        working: dict[str, dict] = {}
        versions: dict[tuple[str, int], dict] = {}
        for row in rows:
            versions[(row["variant_id"], row["version"])] = row
            if row["version"] == 0:
                working[row["variant_id"]] = row
            elif row["version"] > latest.get(row["variant_id"], {}).get("version", 0):
                latest[row["variant_id"]] = row
        out = {}
        for variant_id, row in working.items():
            if row["status"] == PUBLISHED and row["published_version"]:
                chosen = versions.get((variant_id, row["published_version"]))
                if not include_internal:
                    if chosen is None:
                        continue
                else:
                    chosen = latest.get(variant_id, chosen)
            elif include_internal:
                chosen = latest.get(variant_id, row)
            else:
                continue
            try:
                out[variant_id] = parse_document(chosen["document"], source=f"variant {variant_id}")
            except StudioError as err:
                LOG.warning("stored variant %s not readable: %s", variant_id, err)
        return out


def store_url_of(store) -> str | None:
    """The URL (GeoPackage path or PostgreSQL URL) a :class:`store.base.Store` was opened with."""
    url = getattr(store, "url", None)
    if url:
        return str(url)
    path = getattr(store, "path", None)
    return str(path) if path else None


def stored_library(url: str | None, include_internal: bool, epsg: int | None = None) -> dict[str, Scenario]:
    """Studio variants of the store at ``url`` for the engine's library ({} where there is none)."""
    if not url:
        return {}
    try:
        return VariantStore(url, epsg=epsg).library(include_internal)
    except StudioError:
        raise
    except Exception as err:  # noqa: BLE001 - a store that cannot hold the table still runs shipped scenarios
        LOG.warning("studio variants not readable from the store: %s", err)
        return {}


def full_library(url: str | None, include_internal: bool, epsg: int | None = None) -> dict[str, Scenario]:
    """Shipped scenarios plus the studio's (a studio variant never shadows a shipped one)."""
    library = dict(shipped_scenarios())
    for variant_id, scenario in stored_library(url, include_internal, epsg).items():
        library.setdefault(variant_id, scenario)
    return library


# ----------------------------------------------------------------------------- computing


class ModelCache:
    """Baseline city models per (store, plans), read once and reused for a short while (each step copies)."""

    def __init__(self, seconds: float = 120):
        self.seconds = seconds
        self._data: dict = {}
        self._lock = threading.Lock()

    def get(self, url: str, epsg: int | None, plan_ids: list[str] | None):
        from store.base import open_store
        from twin.model import CityModel

        key = (url, epsg, tuple(plan_ids) if plan_ids else None)
        now = time.monotonic()
        with self._lock:
            hit = self._data.get(key)
        if hit and now - hit[0] < self.seconds:
            return hit[1]
        store = open_store(url, epsg=epsg)
        try:
            model = CityModel.from_store(store, plan_ids=plan_ids)
        finally:
            store.close()
        with self._lock:
            self._data[key] = (now, model)
        return model

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


MODELS = ModelCache()
_RESULTS: dict = {}
_RESULTS_LOCK = threading.Lock()


def _doc_key(scenario: Scenario, library: Mapping[str, Scenario]) -> str:
    chain, seen, current = [], set(), scenario
    while current is not None and current.id not in seen:
        seen.add(current.id)
        chain.append(document_yaml(current))
        current = library.get(current.base) if current.base != BASELINE else None
    return hashlib.sha256("\n---\n".join(chain).encode()).hexdigest()


def plans_of(scenario: Scenario, library: Mapping[str, Scenario]) -> list[str] | None:
    from scenarios.engine import plans_read_by

    return plans_read_by([scenario], {**library, scenario.id: scenario})


def compute(scenario: Scenario, library: Mapping[str, Scenario], url: str, epsg: int | None = None, model=None):
    """Run a variant on the store's twin (cut to its plans); (result, baseline model). Bilingual errors."""
    from scenarios.engine import run_scenario

    plan_ids = plans_of(scenario, library)
    model = model if model is not None else MODELS.get(url, epsg, plan_ids)
    key = (url, _doc_key(scenario, library), tuple(plan_ids or ()))
    with _RESULTS_LOCK:
        hit = _RESULTS.get(key)
    if hit is not None and hit[1] is model:
        return hit[0], model
    try:
        result = run_scenario(scenario, model, library={**library, scenario.id: scenario})
    except ScenarioError as err:
        error = _from_scenario_error(err, "step_not_applicable")
        text = " ".join(i.message for i in err.issues)
        error.field = "ids" if "unknown building id" in text else ("zones" if "unknown zone id" in text else None)
        raise error from None
    except KeyError as err:
        raise StudioError.of("variant_unknown", "base", error=err) from None
    with _RESULTS_LOCK:
        if len(_RESULTS) > 64:
            _RESULTS.clear()
        _RESULTS[key] = (result, model)
    return result, model


def check_change_in_area(change, model, scenario: Scenario, url: str, epsg: int | None) -> None:
    """Zones of the variant's own plans; new or moved footprints inside the variant's plans."""
    op = change.op
    if op in ("change_festsetzung", "fill_envelope"):
        known = set(model.zones["id"].astype(str)) if len(model.zones) else set()
        ids = change.zone_ids() or []
        missing = [i for i in ids if i not in known]
        if missing:
            other = _plans_of_zones(url, epsg, missing)
            if other:
                zone, plan = next(iter(other.items()))
                raise StudioError.of("zone_other_plan", "zones", zone=zone, plan=plan)
            raise StudioError.of("zones_unknown", "zones", ids=", ".join(missing[:5]))
        if change.plan_id and change.plan_id not in set(model.zones["plan_id"].astype(str)):
            raise StudioError.of("plan_not_in_variant", "plan_id", plan=change.plan_id)
        if not ids and not change.plan_id and not change.criteria():
            raise StudioError.of("choose_zones", "zones")
    if op in ("remove_buildings", "modify_buildings"):
        known = set(model.zones["id"].astype(str)) if len(model.zones) else set()
        missing = [i for i in (change.zones or []) if i not in known]
        if missing:
            other = _plans_of_zones(url, epsg, missing)
            if other:
                zone, plan = next(iter(other.items()))
                raise StudioError.of("zone_other_plan", "zones", zone=zone, plan=plan)
            raise StudioError.of("zones_unknown", "zones", ids=", ".join(missing[:5]))
    geometry, crs = None, None
    if op == "add_building":
        geometry, crs = change.geometry, change.crs
    elif op == "modify_buildings" and change.set.geometry is not None:
        geometry, crs = change.set.geometry, change.set.crs
    if geometry is not None:
        from scenarios.engine import _to_model_crs

        geom = _to_model_crs(geometry.to_shapely(), crs, model)
        area = float(geom.area)
        if area < MIN_FOOTPRINT_M2:
            raise StudioError.of("footprint_small", "geometry", area=area, min=MIN_FOOTPRINT_M2)
        if area > MAX_FOOTPRINT_M2:
            area_de = f"{area:,.0f}".replace(",", ".")
            raise StudioError.of("footprint_large", "geometry", area_de=area_de, area=area)
        plans = model.plan_area()
        if len(plans) and not shapely.covers(shapely.buffer(plans[0], AREA_TOLERANCE_M), geom):
            raise StudioError.of("footprint_outside", "geometry")


def _plans_of_zones(url: str, epsg: int | None, zone_ids: list[str]) -> dict[str, str]:
    from store.base import open_store

    store = open_store(url, epsg=epsg)
    try:
        out = {}
        for zone_id in zone_ids[:20]:
            found = store.read("bp_baugebiet", where={"id": zone_id})
            if len(found):
                out[zone_id] = str(found["plan_id"].iloc[0])
        return out
    finally:
        store.close()


# ----------------------------------------------------------------------------- indicators


def _f(value):
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if np.isfinite(value) else None


def indicators(result, model_before=None) -> dict:
    """What the studio shows after each step: totals with permitted GRZ/GFZ, assumptions, zones, violations."""
    totals = result.totals
    table = result.zone_table
    zones = result.zones
    area = pd.to_numeric(table["area_m2"], errors="coerce").fillna(0).to_numpy(dtype=float)
    grz_p = pd.to_numeric(table["grz_permitted"], errors="coerce").to_numpy(dtype=float)
    gfz_p = pd.to_numeric(table["gfz_permitted"], errors="coerce").to_numpy(dtype=float)

    def weighted(values):
        ok = np.isfinite(values) & (area > 0)
        return float((values[ok] * area[ok]).sum() / area[ok].sum()) if ok.any() else None

    a = result.model.assumptions
    out = {
        "buildings": len(result.buildings),
        "footprint_m2": _f(totals.get("footprint_m2")),
        "floor_area_m2": _f(totals.get("floor_area_m2")),
        "grz": _f(totals.get("grz")),
        "grz_permitted": weighted(grz_p),
        "gfz": _f(totals.get("gfz")),
        "gfz_permitted": weighted(gfz_p),
        "dwellings": _f(totals.get("dwellings")),
        "residents": _f(totals.get("residents")),
        "sealed_share": _f(totals.get("sealed_share")),
        "violations": int(totals.get("violations") or 0),
        "violations_by_rule": totals.get("violations_by_rule") or {},
        "assumptions": {
            "m2_per_dwelling": a.m2_per_dwelling,
            "persons_per_dwelling": a.persons_per_dwelling,
            "storey_height": a.storey_height,
        },
    }
    by_id = zones.set_index(zones["id"].astype(str)) if len(zones) else zones
    rows = []
    for record in table.to_dict(orient="records"):
        zone_id = str(record["zone_id"])
        zone = by_id.loc[zone_id] if zone_id in by_id.index else {}
        rows.append(
            {
                "id": zone_id,
                "plan_id": record.get("plan_id"),
                "art_code": record.get("art_code"),
                "area_m2": _f(record.get("area_m2")),
                "buildings": int(record.get("buildings") or 0),
                "grz": _f(record.get("grz")),
                "grz_permitted": _f(record.get("grz_permitted")),
                "gfz": _f(record.get("gfz")),
                "gfz_permitted": _f(record.get("gfz_permitted")),
                "z": _f(zone.get("z")) if hasattr(zone, "get") else None,
                "h_max": _f(zone.get("h_max")) if hasattr(zone, "get") and "h_max" in zone else None,
                "z_permitted": _f(record.get("z_permitted")),
                "floor_area_m2": _f(record.get("floor_area_m2")),
            }
        )
    out["zones"] = rows
    v = result.violations
    out["violation_list"] = (
        [
            {
                "rule": r.get("rule"),
                "zone_id": r.get("zone_id"),
                "building_id": r.get("building_id"),
                "message_de": r.get("message_de"),
                "message_en": r.get("message_en"),
            }
            for r in v.head(50).to_dict(orient="records")
        ]
        if len(v)
        else []
    )
    return out


# ----------------------------------------------------------------------------- sun and shadows

#: Clock time of the day-and-hour slider: the Kommune's (summer time included).
LOCAL_TIME = "Europe/Berlin"
MAX_SUN_POINTS = 20
#: A "place" for sun hours is a disc of this radius (m) around the clicked point: a bench, a window, a playground.
SUN_POINT_RADIUS_M = 1.5


def parse_day_hour(day: str | None, hour) -> tuple:
    """(date, hour as float) from the slider's query parameters; bilingual errors naming the field."""
    import datetime as dt

    from twin.sun import resolve_day

    try:
        date = resolve_day(day or "equinox")
    except (TypeError, ValueError):
        raise StudioError.of("day_format", "day") from None
    if not isinstance(date, dt.date):
        raise StudioError.of("day_invalid", "day")
    try:
        value = float(hour if hour not in (None, "") else 12)
    except (TypeError, ValueError):
        raise StudioError.of("hour", "hour") from None
    if not (0 <= value <= 24) or value != value:
        raise StudioError.of("hour", "hour")
    return date, value


def parse_points(text: str | None) -> list[tuple[float, float]]:
    """``lon,lat;lon,lat`` (CRS84) as a list; bilingual errors naming ``points``."""
    if not text:
        return []
    out = []
    for part in str(text).split(";"):
        if not part.strip():
            continue
        try:
            lon, lat = (float(v) for v in part.split(","))
        except ValueError:
            raise StudioError.of("point_invalid", "points", part=part) from None
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise StudioError.of("point_off_earth", "points", part=part)
        out.append((lon, lat))
    if len(out) > MAX_SUN_POINTS:
        raise StudioError.of("points_too_many", "points", max=MAX_SUN_POINTS)
    return out


def _shadow_feature_collection(model, azimuth: float, elevation: float) -> dict:
    """The ground shadows of a model's buildings at one sun position as one CRS84 MultiPolygon (footprints left
    out: the 3D view draws the buildings themselves)."""
    import geopandas as gpd

    from twin.shadow import shadow_polygons

    b = model.buildings
    if not len(b) or elevation <= 0:
        return {"type": "FeatureCollection", "features": []}
    heights = pd.to_numeric(b["height"], errors="coerce").fillna(0).to_numpy(dtype=float)
    shadows = shadow_polygons(b.geometry.values, heights, azimuth, elevation)
    shadows = shadows[~shapely.is_missing(shadows)]
    ground = shapely.difference(shapely.union_all(shadows), shapely.union_all(b.geometry.values))
    if ground is None or ground.is_empty:
        return {"type": "FeatureCollection", "features": []}
    ground = shapely.simplify(ground, 0.2)
    frame = gpd.GeoDataFrame({"kind": ["shadow"]}, geometry=[ground], crs=b.crs or f"EPSG:{model.epsg}")
    return json.loads(frame.to_crs("OGC:CRS84").to_json(drop_id=True))


def sun_and_shadows(result_a, result_b, day, hour: float, points: list[tuple[float, float]]) -> dict:
    """Shadows of A (the variant's start) and B (the variant) at one hour of a day, and the sun hours of that day
    at chosen places in both, with the hours lost (A − B; negative: gained)."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    import geopandas as gpd

    from twin.shadow import sun_hours
    from twin.sun import solar_position

    t0 = time.perf_counter()
    model_b = result_b.model
    crs = model_b.buildings.crs or f"EPSG:{model_b.epsg}"
    area = model_b.plan_area()
    centre = gpd.GeoSeries([area[0].centroid if len(area) else shapely.Point(0, 0)], crs=crs).to_crs(4326).iloc[0]
    lat, lon = centre.y, centre.x
    local = dt.datetime.combine(day, dt.time()) + dt.timedelta(hours=hour)
    instant = local.replace(tzinfo=ZoneInfo(LOCAL_TIME)).astimezone(dt.UTC).replace(tzinfo=None)
    position = solar_position(np.array([np.datetime64(instant, "ns")]), lat, lon)
    azimuth, elevation = float(position.azimuth[0]), float(position.elevation[0])
    out = {
        "day": day.isoformat(),
        "hour": hour,
        "time_utc": instant.isoformat() + "Z",
        "local_time": LOCAL_TIME,
        "sun": {"azimuth": round(azimuth, 3), "elevation": round(elevation, 3)},
        "shadows": {
            "a": _shadow_feature_collection(result_a.model, azimuth, elevation),
            "b": _shadow_feature_collection(model_b, azimuth, elevation),
        },
        "points": [],
    }
    if points:
        discs = (
            gpd.GeoSeries(gpd.points_from_xy([p[0] for p in points], [p[1] for p in points]), crs=4326)
            .to_crs(crs)
            .buffer(SUN_POINT_RADIUS_M)
        )
        hours = {}
        for side, model in (("a", result_a.model), ("b", model_b)):
            b = model.buildings
            hours[side] = (
                sun_hours(discs, b, day, lat=lat, lon=lon, step_minutes=30) if len(b) else np.full(len(points), np.nan)
            )
        for k, (x, y) in enumerate(points):
            a_h, b_h = _f(hours["a"][k]), _f(hours["b"][k])
            out["points"].append(
                {
                    "lon": x,
                    "lat": y,
                    "hours_a": a_h,
                    "hours_b": b_h,
                    "lost": (a_h - b_h) if a_h is not None and b_h is not None else None,
                }
            )
    out["timings"] = {"sun_s": round(time.perf_counter() - t0, 4)}
    return out


def geojson(result, plan_names: Mapping[str, str] | None = None) -> dict:
    """Zones and buildings of a variant in CRS84 for the studio's map (a few numbers each, no free text)."""
    zones = result.zones
    out = {}
    if len(zones):
        z = (
            zones[["id", "plan_id", "art_code", "geometry"]].copy()
            if "art_code" in zones
            else zones[["id", "plan_id", "geometry"]].copy()
        )
        out["zones"] = json.loads(z.to_crs("OGC:CRS84").to_json(drop_id=True, na="null"))
    else:
        out["zones"] = {"type": "FeatureCollection", "features": []}
    b = result.buildings
    if len(b):
        frame = b[["id", "height", "storeys", "geometry"]].copy()
        frame["height"] = pd.to_numeric(frame["height"], errors="coerce").astype(float)
        frame["storeys"] = pd.to_numeric(frame["storeys"], errors="coerce").astype(float)
        frame["new"] = b["source"].astype(str).str.startswith("scenario:").to_numpy() if "source" in b else False
        if len(zones):  # the zone each building stands in: a click on a building chooses its zone in zone mode
            from twin.indicators import assign_to_plots

            owner = assign_to_plots(b.geometry.values, zones.geometry.values)
            zone_ids = zones["id"].astype(str).to_numpy(dtype=object)
            frame["zone_id"] = [zone_ids[k] if k >= 0 else None for k in owner]
        else:
            frame["zone_id"] = None
        out["buildings"] = json.loads(frame.to_crs("OGC:CRS84").to_json(drop_id=True, na="null"))
    else:
        out["buildings"] = {"type": "FeatureCollection", "features": []}
    return out


def compare_totals(a: dict, b: dict) -> dict:
    """``{"a", "b", "delta"}`` per indicator of two :func:`indicators` answers (b - a)."""
    out = {}
    for name in (
        "buildings",
        "footprint_m2",
        "floor_area_m2",
        "grz",
        "grz_permitted",
        "gfz",
        "gfz_permitted",
        "dwellings",
        "residents",
        "sealed_share",
        "violations",
    ):
        x, y = a.get(name), b.get(name)
        out[name] = {
            "a": x,
            "b": y,
            "delta": (y - x) if isinstance(x, (int, float)) and isinstance(y, (int, float)) else None,
        }
    return out


def new_variant_id(title: str, taken) -> str:
    """An id from a title (``Mehr Wohnungen am Markt`` -> ``mehr_wohnungen_am_markt``), unique among ``taken``."""
    import re
    import unicodedata

    text = unicodedata.normalize("NFKD", title.replace("ß", "ss")).encode("ascii", "ignore").decode()
    base = re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").lower()[:60] or "variante"
    if not re.match(ID_PATTERN, base):
        base = "variante_" + base
    candidate, n = base, 2
    while candidate in taken or candidate == BASELINE:
        candidate, n = f"{base}_{n}", n + 1
    return candidate


def record_stored(url: str, scenario: Scenario, author: str, epsg: int | None = None) -> dict:
    """A variant stored through the ``run-scenario`` Process (``store_results``) as a published studio version,
    so the portal lists it for A/B and planners can open it in the studio. Shipped scenarios are not recorded."""
    if scenario.id in shipped_scenarios() or scenario.id == BASELINE:
        return {}
    store = VariantStore(url, epsg=epsg)
    if not store.exists(scenario.id):
        store.create(scenario, author, scenario.description, scenario.description_en)
    else:
        store.update_working(scenario.id, document=document_yaml(scenario), redo=[])
    saved = store.save_version(
        scenario.id,
        scenario,
        author,
        scenario.description,
        scenario.description_en,
        note="run-scenario (store_results)",
    )
    return store.update_working(scenario.id, status=PUBLISHED, published_version=saved["version"])
