"""The ``contributions`` collection: the store's own feature provider plus moderation rules.

Configured as ``providers.contributions.ContributionsProvider`` (``data: ${BUERGERGIS_STORE}``),
it works like ``providers.store.StoreFeatureProvider``: ``__new__`` picks the
GeoPackage or PostGIS provider and returns an instance of a subclass of it that
mixes in :class:`ContributionsMixin`. Reading, CQL2, paging, sorting and CRS
handling stay the store provider's; the mixin adds

* **visibility**: every query is ANDed with a filter on the viewer: the public sees
  ``freigegeben`` contributions and Mängelmeldungen ``in_bearbeitung``/``erledigt``;
  an author also their own (secret sent in ``X-Contribution-Secret``); moderators
  and planners everything. A client's own filter can only narrow that.
* **server-controlled fields**: ``status``, ``status_history``, ``like_count``,
  ``created_at``, ``updated_at`` and ``author_secret_hash`` are set here; a citizen
  who tries to set a status gets 403, the others are overwritten. The author hash
  is never served (not a field, not a queryable, not filterable, not sortable).
* **checks** on every write (the same for the OGC API, Open311 and ``/api``):
  kind/category/text/pseudonym rules, links to an existing plan object or a visible
  parent, geometry valid (repaired where possible) and inside the city extent,
  participation phase open, only the author or a moderator changes a contribution
  (rules in ``api/access.py``).

The viewer comes from ``flask.g`` (set by ``api/access.py`` before the request):
pygeoapi runs the provider inside the Flask request. Outside a request (start-up,
OpenAPI generation) the viewer is anonymous.

Beyond OGC CRUD a few statements run directly on the store (:class:`Rows`): the
stored row with its author hash, likes, participation phases, deleting all of an
author's contributions, the city extent. They are written once as SQL with named
parameters, which sqlite3 and SQLAlchemy both accept.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import os
import re
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime

import shapely
import shapely.geometry
from pygeoapi.provider.base import (
    ProviderInvalidDataError,
    ProviderInvalidQueryError,
    ProviderItemNotFoundError,
)
from pygeofilter import ast

from api import access
from layers.catalog import LAYERS, SUPPORT_TABLES
from participation import notify, photos, reports
from participation.store import next_reference
from providers.store import is_postgis_url
from store.statements import SqlAlchemyStatements, SqliteStatements

LOGGER = logging.getLogger(__name__)

TABLE = "contributions"
PROCEDURES = "procedures"
LIKES = "contribution_likes"
SCENARIOS = "scenarios"
SCENARIO_LIKES = "scenario_likes"

KINDS = ("kommentar", "vorschlag", "maengelmeldung")
KIND_ALIASES = {"comment": "kommentar", "hinweis": "kommentar", "proposal": "vorschlag",
                "defect": "maengelmeldung", "mängelmeldung": "maengelmeldung", "mangel": "maengelmeldung"}
#: Categories of Mängelmeldungen = the Open311 services: code -> (German, English) name.
DEFECT_CATEGORIES = {
    "strasse": ("Straßenschaden", "Road damage"),
    "verkehr": ("Verkehrszeichen und Ampeln", "Traffic signs and lights"),
    "beleuchtung": ("Straßenbeleuchtung", "Street lighting"),
    "gruen": ("Grünflächen und Bäume", "Green spaces and trees"),
    "muell": ("Müll und Sauberkeit", "Litter and cleanliness"),
    "sonstiges": ("Sonstiges", "Other"),
}
#: Further topics of comments and proposals.
TOPIC_CATEGORIES = {
    "allgemein": ("Allgemein", "General"),
    "wohnen": ("Wohnen und Bauen", "Housing and building"),
    "soziales": ("Soziales und Freizeit", "Social and leisure"),
}
CATEGORY_ALIASES = {"general": "allgemein", "traffic": "verkehr", "green": "gruen", "housing": "wohnen",
                    "social": "soziales", "cleanliness": "muell", "lighting": "beleuchtung", "street": "strasse",
                    "road": "strasse", "other": "sonstiges", "grün": "gruen", "müll": "muell",
                    "straße": "strasse"}

SUBMITTED, APPROVED, REJECTED, IN_PROGRESS, DONE = "eingereicht", "freigegeben", "abgelehnt", "in_bearbeitung", \
    "erledigt"
STATUSES = {
    "kommentar": (SUBMITTED, APPROVED, REJECTED),
    "vorschlag": (SUBMITTED, APPROVED, REJECTED),
    "maengelmeldung": (SUBMITTED, APPROVED, REJECTED, IN_PROGRESS, DONE),
}

#: What a citizen may set.
CITIZEN_FIELDS = ("kind", "category", "text", "plan_id", "target_collection", "target_id", "scenario_id",
                  "parent_id", "pseudonym")
#: Set by the server; in a request body they are ignored (status: only moderators may change it).
SERVER_FIELDS = ("status", "status_history", "like_count", "created_at", "updated_at", "status_note", "procedure_id",
                 "reference", "late", "media_urls", "address_string")
#: A field people never see (hidden in the portal's form); a bot that fills it gets a neutral 400, nothing is stored.
HONEYPOT = "website"
HONEYPOT_MESSAGE = ("Der Beitrag konnte nicht angenommen werden / the contribution could not be accepted")
#: Stored, never served.
HIDDEN_FIELDS = ("author_secret_hash",)
#: Plan objects a contribution may be about.
TARGET_COLLECTIONS = ("bp_plan", "bp_bereich", "bp_baugebiet", "bp_baugrenze", "bp_verkehrsflaeche",
                      "bp_gruenflaeche", "bp_textabschnitt")

MAX_TEXT = 2000
MAX_NOTE = 1000
MAX_PSEUDONYM = 40
MAX_REFERENCE = 256
MAX_VERTICES = 10_000
#: Contributions must lie within this distance (m) of the stored plans and city layers.
CITY_BUFFER_M = 1000.0
_EXTENT_TTL_S = 60.0

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
_REFERENCE = re.compile(r"^[^\x00-\x1f\x7f/]{1,256}$")


class InvalidContribution(ProviderInvalidDataError):
    """The contribution cannot be stored as sent (400); the message says what to change."""

    http_status_code = 400
    ogc_exception_code = "InvalidParameterValue"

    def __init__(self, msg: str):
        super().__init__(msg, user_msg=msg)


def _not_found(identifier) -> ProviderItemNotFoundError:
    msg = f"Beitrag nicht gefunden / no contribution {identifier!r}"
    return ProviderItemNotFoundError(msg, user_msg=msg)


def now_iso() -> str:
    """UTC now as the stores write datetimes (``2024-05-01T08:00:00.000Z``)."""
    moment = datetime.now(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    return str(value)


# -- the model: pure checks --------------------------------------------------------------------------------


def is_public(kind: str | None, status: str | None) -> bool:
    return status == APPROVED or (kind == "maengelmeldung" and status in (IN_PROGRESS, DONE))


def visible_to(viewer: access.Viewer, row: dict) -> bool:
    return viewer.is_moderator or is_public(row.get("kind"), row.get("status")) or viewer.owns(
        row.get("author_secret_hash"))


def visibility_filter(viewer: access.Viewer):
    """The pygeofilter AST a viewer's queries are ANDed with (None: everything)."""
    if viewer.is_moderator:
        return None
    public = ast.Or(ast.Equal(ast.Attribute("status"), APPROVED),
                    ast.And(ast.Equal(ast.Attribute("kind"), "maengelmeldung"),
                            ast.In(ast.Attribute("status"), [IN_PROGRESS, DONE], False)))
    if viewer.secret_hashes:
        return ast.Or(public, ast.In(ast.Attribute("author_secret_hash"), list(viewer.secret_hashes), False))
    return public


def _text(name: str, value, limit: int, required: bool = False) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidContribution(f"'{name}' fehlt / '{name}' is required")
        return None
    if not isinstance(value, str):
        raise InvalidContribution(f"'{name}' muss Text sein / '{name}' must be a string")
    value = value.strip()
    if _CONTROL.search(value):
        raise InvalidContribution(f"'{name}' enthält Steuerzeichen / '{name}' contains control characters")
    if len(value) > limit:
        raise InvalidContribution(f"'{name}' ist zu lang ({len(value)} Zeichen, höchstens {limit}) / "
                                  f"'{name}' is too long ({len(value)} characters, at most {limit})")
    return value


def _reference(name: str, value) -> str | None:
    value = _text(name, value, MAX_REFERENCE)
    if value is not None and not _REFERENCE.match(value):
        raise InvalidContribution(f"'{name}' ist keine gültige Kennung / '{name}' is not a valid id")
    return value


def normalise_kind(value) -> str:
    if value is None:
        return "kommentar"
    if not isinstance(value, str):
        raise InvalidContribution(f"'kind' muss Text sein / 'kind' must be a string, one of {', '.join(KINDS)}")
    key = value.strip().lower()
    kind = KIND_ALIASES.get(key, key)
    if kind not in KINDS:
        raise InvalidContribution(f"unbekannte Art / unknown kind {value!r}; erlaubt / allowed: {', '.join(KINDS)}")
    return kind


def normalise_category(kind: str, value) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return "sonstiges" if kind == "maengelmeldung" else None
    if not isinstance(value, str):
        raise InvalidContribution("'category' muss Text sein / 'category' must be a string")
    key = value.strip().lower()
    category = CATEGORY_ALIASES.get(key, key)
    if kind == "maengelmeldung":
        if category == "allgemein":
            category = "sonstiges"
        if category not in DEFECT_CATEGORIES:
            raise InvalidContribution(f"unbekannte Kategorie einer Mängelmeldung / unknown defect category "
                                      f"{value!r}; erlaubt / allowed: {', '.join(DEFECT_CATEGORIES)}")
    elif category not in DEFECT_CATEGORIES and category not in TOPIC_CATEGORIES:
        allowed = ", ".join([*TOPIC_CATEGORIES, *DEFECT_CATEGORIES])
        raise InvalidContribution(f"unbekannte Kategorie / unknown category {value!r}; erlaubt / allowed: {allowed}")
    return category


def clean_properties(properties) -> tuple[dict, str | None]:
    """The citizen-settable fields, checked and normalised, and the status the body asks for (or None)."""
    if properties is None:
        properties = {}
    if not isinstance(properties, dict):
        raise InvalidContribution("'properties' muss ein Objekt sein / 'properties' must be an object")
    unknown = set(properties) - set(CITIZEN_FIELDS) - set(SERVER_FIELDS) - {"id", "identifier"}
    if unknown:
        raise InvalidContribution(f"unbekannte Eigenschaft / unknown properties {sorted(unknown)}; "
                                  f"erlaubt / allowed: {', '.join(CITIZEN_FIELDS)}")
    kind = normalise_kind(properties.get("kind"))
    clean = {
        "kind": kind,
        "category": normalise_category(kind, properties.get("category")),
        "text": _text("text", properties.get("text"), MAX_TEXT, required=True),
        "pseudonym": _text("pseudonym", properties.get("pseudonym"), MAX_PSEUDONYM),
    }
    if clean["pseudonym"] and _EMAIL.search(clean["pseudonym"]):
        raise InvalidContribution("Bitte keine E-Mail-Adresse als Pseudonym / "
                                  "please do not use an e-mail address as pseudonym")
    for name in ("plan_id", "target_id", "scenario_id", "parent_id"):
        clean[name] = _reference(name, properties.get(name))
    target = properties.get("target_collection")
    if target is not None and target not in TARGET_COLLECTIONS:
        raise InvalidContribution(f"'target_collection' muss eine von {', '.join(TARGET_COLLECTIONS)} sein / "
                                  f"must be one of {', '.join(TARGET_COLLECTIONS)}")
    clean["target_collection"] = target
    if (clean["target_collection"] is None) != (clean["target_id"] is None):
        raise InvalidContribution("'target_collection' und 'target_id' nur zusammen / "
                                  "'target_collection' and 'target_id' go together")
    status = properties.get("status")
    if status is not None and not isinstance(status, str):
        raise InvalidContribution("'status' muss Text sein / 'status' must be a string")
    return clean, status


def _check_honeypot(feature: dict) -> None:
    """The hidden field filled: a bot. Refused (400, a neutral message) before anything is stored."""
    props = feature.get("properties")
    if isinstance(props, dict) and HONEYPOT in props:
        value = props.pop(HONEYPOT)
        if value not in (None, "", False):
            LOGGER.info("honeypot field filled; contribution refused")
            raise InvalidContribution(HONEYPOT_MESSAGE)


def check_status(kind: str, status: str) -> str:
    if status not in STATUSES[kind]:
        raise InvalidContribution(f"Status {status!r} gibt es für {kind} nicht / no status {status!r} for a {kind}; "
                                  f"erlaubt / allowed: {', '.join(STATUSES[kind])}")
    return status


def parse_feature(item) -> dict:
    if isinstance(item, (bytes, bytearray)):
        item = item.decode("utf-8", errors="replace")
    if isinstance(item, str):
        try:
            item = json.loads(item)
        except ValueError as err:
            raise InvalidContribution(f"Fehlerhaftes JSON / malformed JSON: {err}") from None
    if not isinstance(item, dict) or item.get("type") != "Feature":
        raise InvalidContribution('Erwartet wird ein GeoJSON-Feature / the body must be a GeoJSON Feature '
                                  '({"type": "Feature", "geometry": …, "properties": …})')
    return item


# -- statements beyond OGC CRUD, one SQL text for both stores ------------------------------------------------


_ROW_COLUMNS = list(LAYERS[TABLE].columns)


@functools.cache
def _shipped_scenario_ids() -> frozenset[str]:
    from scenarios.model import shipped_scenarios

    try:
        return frozenset(shipped_scenarios())
    except Exception as err:  # noqa: BLE001 - a broken example file must not stop contributions
        LOGGER.warning("shipped scenarios not readable: %s", err)
        return frozenset()


class Rows:
    """Direct statements on the contribution tables of the provider's store."""

    #: How a JSON value is bound (PostGIS casts to jsonb).
    json_param = ":{}"
    #: Row lock for read-modify-write (PostgreSQL); SQLite's BEGIN IMMEDIATE already serialises writers.
    lock = ""

    def __init__(self, provider):
        self.provider = provider

    # backend-specific -------------------------------------------------------------------------------------

    def fetch(self, sql: str, params: dict | None = None) -> list[dict]:
        raise NotImplementedError

    @contextmanager
    def transaction(self):
        raise NotImplementedError
        yield

    def layer_boxes(self, layer_ids: list[str]) -> list[tuple[float, float, float, float]]:
        raise NotImplementedError

    def touch(self, tx) -> None:
        """Note a change of the contributions table (GeoPackage: gpkg_contents.last_change)."""

    # shared -------------------------------------------------------------------------------------------------

    def row(self, identifier: str) -> dict | None:
        rows = self.fetch(f"SELECT {', '.join(_ROW_COLUMNS)} FROM {TABLE} WHERE id = :id", {"id": str(identifier)})
        return self._normalise(rows[0]) if rows else None

    @staticmethod
    def _normalise(row: dict) -> dict:
        history = row.get("status_history")
        if isinstance(history, str):
            try:
                history = json.loads(history)
            except ValueError:
                history = []
        row["status_history"] = history or []
        row["late"] = bool(row.get("late"))
        for name in ("created_at", "updated_at"):
            row[name] = iso(row.get(name))
        return row

    def target_plan(self, collection: str, identifier: str) -> str | None:
        """The plan a plan object belongs to (the plan itself for bp_plan), None if there is no such object."""
        if collection not in TARGET_COLLECTIONS:
            return None
        rows = self.fetch(f"SELECT id, plan_id FROM {collection} WHERE id = :id", {"id": identifier})
        if not rows:
            return None
        return rows[0]["id"] if collection == "bp_plan" else rows[0]["plan_id"]

    def scenario_known(self, scenario_id: str) -> bool:
        """A stored variant (``scenarios`` collection) or a shipped scenario (``scenarios/examples``)."""
        if self.fetch(f"SELECT id FROM {SCENARIOS} WHERE id = :id", {"id": scenario_id}):
            return True
        return scenario_id in _shipped_scenario_ids()

    def like(self, contribution_id: str, voter_hash: str, add: bool = True) -> tuple[bool, int]:
        """Add (or remove) one voter's like; (changed, like_count). The count is recounted in the same transaction."""
        return self._like(TABLE, LIKES, "contribution_id", contribution_id, voter_hash, add)

    def like_scenario(self, scenario_id: str, voter_hash: str, add: bool = True) -> tuple[bool, int]:
        """The same for a planning variant (a row of the ``scenarios`` collection): a preference count."""
        return self._like(SCENARIOS, SCENARIO_LIKES, "scenario_id", scenario_id, voter_hash, add)

    def _like(self, table: str, likes: str, key: str, identifier: str, voter_hash: str,
              add: bool) -> tuple[bool, int]:
        params = {"id": f"{identifier}:{voter_hash}", "cid": identifier, "voter": voter_hash, "now": now_iso()}
        with self.transaction() as tx:
            if not tx.fetch(f"SELECT id FROM {table} WHERE id = :cid{self.lock}", params):
                raise _not_found(identifier)
            if add:
                changed = tx.execute(f"INSERT INTO {likes} (id, {key}, voter_hash, created_at) "
                                     "VALUES (:id, :cid, :voter, :now) ON CONFLICT (id) DO NOTHING", params) > 0
            else:
                changed = tx.execute(f"DELETE FROM {likes} WHERE id = :id", params) > 0
            count = self._recount(tx, identifier, table, likes, key)
        return changed, count

    def recount(self, contribution_id: str) -> int:
        with self.transaction() as tx:
            tx.fetch(f"SELECT id FROM {TABLE} WHERE id = :cid{self.lock}", {"cid": contribution_id})
            return self._recount(tx, contribution_id)

    @staticmethod
    def _recount(tx, identifier: str, table: str = TABLE, likes: str = LIKES, key: str = "contribution_id") -> int:
        tx.execute(f"UPDATE {table} SET like_count = (SELECT count(*) FROM {likes} WHERE {key} = :cid) "
                   "WHERE id = :cid", {"cid": identifier})
        rows = tx.fetch(f"SELECT like_count FROM {table} WHERE id = :cid", {"cid": identifier})
        return int(rows[0]["like_count"] or 0) if rows else 0

    def set_status(self, contribution_id: str, decide, note: str | None = None, audit=None) -> dict:
        """Read-modify-write of status, public note and history under a row lock; ``decide(row)`` returns the
        new status; ``audit(tx, before, after)`` records the change in the same transaction."""
        with self.transaction() as tx:
            rows = tx.fetch(f"SELECT {', '.join(_ROW_COLUMNS)} FROM {TABLE} WHERE id = :id{self.lock}",
                            {"id": contribution_id})
            if not rows:
                raise _not_found(contribution_id)
            row = self._normalise(rows[0])
            before = dict(row)
            status = decide(row)
            if status != row["status"] or (note is not None and note != row.get("status_note")):
                now = now_iso()
                entry = {"status": status, "at": now, **({"note": note} if note else {})}
                row["status_history"] = [*row["status_history"], entry]
                row["status"], row["updated_at"] = status, now
                if note is not None:
                    row["status_note"] = note or None
                tx.execute(f"UPDATE {TABLE} SET status = :status, status_note = :note, status_history = "
                           f"{self.json_param.format('history')}, updated_at = :now WHERE id = :id",
                           {"status": status, "history": json.dumps(row["status_history"]), "now": now,
                            "note": row.get("status_note"), "id": contribution_id})
                self.touch(tx)
                if audit is not None:
                    audit(tx, before, row)
        return row

    def delete(self, contribution_id: str) -> bool:
        """Delete a contribution, its likes and its Abwägung, in one transaction (DSGVO: nothing of it stays)."""
        with self.transaction() as tx:
            _forget(tx, contribution_id)
            deleted = tx.execute(f"DELETE FROM {TABLE} WHERE id = :id", {"id": contribution_id}) > 0
            if deleted:
                self.touch(tx)
        return deleted

    def delete_by_author(self, author_hashes: tuple[str, ...]) -> list[str]:
        """Delete every contribution (and its likes) written with one of these secrets; their ids."""
        deleted: list[str] = []
        with self.transaction() as tx:
            for author in author_hashes:
                rows = tx.fetch(f"SELECT id FROM {TABLE} WHERE author_secret_hash = :h", {"h": author})
                ids = [r["id"] for r in rows]
                for identifier in ids:
                    _forget(tx, identifier)
                tx.execute(f"DELETE FROM {TABLE} WHERE author_secret_hash = :h", {"h": author})
                deleted += ids
            if deleted:
                self.touch(tx)
        return deleted


def _forget(tx, contribution_id: str) -> None:
    """What hangs on a contribution besides its row: likes, the Abwägung, its published result."""
    for table in (LIKES, "abwaegung", "statement_results", notify.SUBSCRIPTIONS, notify.OUTBOX, photos.TABLE,
                  reports.DETAILS):
        tx.execute(f"DELETE FROM {table} WHERE contribution_id = :id", {"id": contribution_id})


class GeoPackageRows(Rows):
    def fetch(self, sql, params=None):
        return SqliteStatements(self.provider.conn).fetch(sql, params or {})

    @contextmanager
    def transaction(self):
        from store.geopackage import write_transaction

        with write_transaction(self.provider.conn) as conn:
            yield SqliteStatements(conn)

    def touch(self, tx) -> None:
        from store.geopackage import touch_contents

        touch_contents(tx.conn, TABLE, None)

    def layer_boxes(self, layer_ids):
        marks = ", ".join(f":l{i}" for i in range(len(layer_ids)))
        rows = self.fetch(f"SELECT min_x, min_y, max_x, max_y FROM gpkg_contents WHERE table_name IN ({marks}) "
                          "AND min_x IS NOT NULL", {f"l{i}": name for i, name in enumerate(layer_ids)})
        return [(r["min_x"], r["min_y"], r["max_x"], r["max_y"]) for r in rows]


class PostGISRows(Rows):
    json_param = "CAST(:{} AS jsonb)"
    lock = " FOR UPDATE"

    def fetch(self, sql, params=None):
        from providers.postgis import client_errors

        # A connection is held only for the statement, never while another is asked for (pool safety).
        # client_errors: an id with a NUL character (PostgreSQL text cannot hold one) is a 400, not a 500.
        with client_errors(), self.provider._engine.connect() as conn:
            return SqlAlchemyStatements(conn).fetch(sql, params or {})

    @contextmanager
    def transaction(self):
        from providers.postgis import client_errors

        with client_errors(), self.provider._engine.begin() as conn:
            yield SqlAlchemyStatements(conn)

    def layer_boxes(self, layer_ids):
        boxes = []
        for layer_id in layer_ids:
            rows = self.fetch("SELECT to_regclass(:t) IS NOT NULL AS present", {"t": layer_id})
            if not rows or not rows[0]["present"]:
                continue
            row = self.fetch(f"SELECT ST_XMin(e) AS x0, ST_YMin(e) AS y0, ST_XMax(e) AS x1, ST_YMax(e) AS y1 "
                             f"FROM (SELECT ST_Extent(geom) AS e FROM {layer_id}) AS x")[0]
            if row["x0"] is not None:
                boxes.append((row["x0"], row["y0"], row["x1"], row["y1"]))
        return boxes


# -- the city extent ---------------------------------------------------------------------------------------------

_EXTENTS: dict[str, tuple[float, object]] = {}
_EXTENTS_LOCK = threading.Lock()


def configured_city_bbox() -> list[float] | None:
    """``BUERGERGIS_CITY_BBOX=minlon,minlat,maxlon,maxlat`` (CRS84), if set."""
    text = os.environ.get("BUERGERGIS_CITY_BBOX", "").strip()
    if not text:
        return None
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        values = []
    if len(values) != 4:
        raise ValueError(f"BUERGERGIS_CITY_BBOX must be minlon,minlat,maxlon,maxlat, got {text!r}")
    return values


def city_extent(rows: Rows, storage_epsg: int, key: str):
    """Where contributions may lie, in CRS84 (lon/lat): the configured bbox, else every stored plan
    and city layer's extent buffered by :data:`CITY_BUFFER_M`; None when the store is empty.

    Kept in CRS84 and cached, so checking a contribution needs no coordinate transformation
    (a pyproj transformer costs ~13 ms in every new server thread).
    """
    now = time.monotonic()
    cached = _EXTENTS.get(key)
    if cached and now - cached[0] < _EXTENT_TTL_S:
        return cached[1]
    bbox = configured_city_bbox()
    if bbox is not None:
        extent = shapely.box(*bbox)
    else:
        layer_ids = [layer.id for layer in LAYERS.values() if layer.geometry_type and layer.id != TABLE]
        boxes = rows.layer_boxes(layer_ids)
        extent = None
        if boxes:
            from pyproj import Transformer

            to_crs84 = Transformer.from_crs(f"EPSG:{storage_epsg}", "OGC:CRS84", always_xy=True)
            area = shapely.union_all([shapely.box(*b).buffer(CITY_BUFFER_M, join_style="mitre") for b in boxes])
            area = shapely.segmentize(area, 500.0)  # straight edges in metres are curves in degrees
            extent = shapely.transform(area, lambda xy: _stack(*to_crs84.transform(xy[:, 0], xy[:, 1])))
    with _EXTENTS_LOCK:
        _EXTENTS[key] = (now, extent)
    return extent


def _stack(x, y):
    import numpy as np

    return np.column_stack([x, y])


# -- the provider -------------------------------------------------------------------------------------------------


class ContributionsMixin:
    """Moderation, visibility and server-controlled fields on top of a store's feature provider."""

    rows_class: type[Rows] = Rows

    def __init__(self, provider_def: dict):
        self._internal_depth = 0
        self._all_fields = None
        #: The store's URL or path as configured (the PostGIS provider turns ``data`` into a dict).
        self.store_url = str(provider_def.get("data"))
        super().__init__(provider_def)
        all_fields = {name: dict(spec) for name, spec in super().get_fields().items()}
        for name, kind in LAYERS[TABLE].columns.items():
            if kind == "json" and name in all_fields:  # PostgreSQL's reflection calls jsonb a string
                all_fields[name] = {"type": "array", "items": {"type": "object"}}
        self._all_fields = all_fields
        self._fields = {k: v for k, v in all_fields.items() if k not in HIDDEN_FIELDS}
        self.properties = [k for k in all_fields if k not in HIDDEN_FIELDS]
        self.rows = self.rows_class(self)

    # -- fields: the author hash exists only for the provider's own statements ----------------------

    def get_fields(self):
        if self._all_fields is None:
            return super().get_fields()
        return self._all_fields if self._internal_depth else self._fields

    @contextmanager
    def _internal(self):
        self._internal_depth += 1
        try:
            yield
        finally:
            self._internal_depth -= 1

    @property
    def _geometry_names(self) -> set[str]:
        return {"geometry", getattr(self, "geom", None) or getattr(self, "geom_field", None) or "geom"}

    @property
    def storage_epsg(self) -> int:
        if getattr(self, "_storage_epsg", None) is None:
            self._storage_epsg = int(self.storage_crs.to_epsg() or 25832)
        return self._storage_epsg

    @staticmethod
    def _strip(feature: dict) -> dict:
        props = feature.get("properties") or {}
        for name in HIDDEN_FIELDS:
            props.pop(name, None)
        return feature

    # -- reading ----------------------------------------------------------------------------------------

    def query(self, *args, **kwargs):
        from providers.cql import check_filter_properties

        viewer = access.current_viewer()
        user_filter = kwargs.pop("filterq", None)
        check_filter_properties(user_filter, set(self._fields) | self._geometry_names)
        parts = [p for p in (user_filter, self._text_search(kwargs.pop("q", None)), visibility_filter(viewer))
                 if p is not None]
        combined = parts[0] if parts else None
        for part in parts[1:]:
            combined = ast.And(combined, part)
        try:
            with self._internal():
                result = super().query(*args, filterq=combined, q=None, **kwargs)
        except ProviderInvalidQueryError:
            raise
        except Exception as err:
            if _is_client_query_error(err):
                msg = f"Die Abfrage passt nicht zu den Daten / the query does not fit the data: {_first_line(err)}"
                raise ProviderInvalidQueryError(msg, user_msg=msg) from None
            raise
        features = result.get("features", [])
        if getattr(features, "raw", None) is None:  # pre-serialised pages hold only the public columns
            for feature in features:
                self._strip(feature)
        self._attach_media(features)
        return result

    def _attach_media(self, features) -> None:
        """``media_urls`` (photos, an Open311 client's link) and ``address_string`` of the Mängelmeldungen."""
        raw = getattr(features, "raw", None)
        if not len(features) or (raw is not None and '"maengelmeldung"' not in raw):
            return
        ids = [str(f.get("id")) for f in features if (f.get("properties") or {}).get("kind") == "maengelmeldung"]
        if not ids:
            return
        names, details = photos.names_of(self.rows, ids), reports.details_of(self.rows, ids)
        for feature in features:
            key = str(feature.get("id"))
            if key in names or key in details:
                props = feature.setdefault("properties", {})
                extra = details.get(key) or {}
                props["media_urls"] = [photos.media_url(n) for n in names.get(key, [])] + (
                    [extra["media_url"]] if extra.get("media_url") else [])
                if extra.get("address_string"):
                    props["address_string"] = extra["address_string"]

    @staticmethod
    def _text_search(q):
        """``q`` as a filter on the public text columns (the stores' own would also search hidden ones)."""
        if not q or not str(q).strip():
            return None
        alternatives = []
        for alternative in str(q).split(","):
            words = alternative.split()
            node = None
            for word in words:
                pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
                matches = None
                for column in ("text", "pseudonym", "kind", "category"):
                    like = ast.Like(ast.Attribute(column), pattern, True, "%", "_", "\\", False)
                    matches = like if matches is None else ast.Or(matches, like)
                node = matches if node is None else ast.And(node, matches)
            if node is not None:
                alternatives.append(node)
        result = None
        for node in alternatives:
            result = node if result is None else ast.Or(result, node)
        return result

    def get(self, identifier, *args, **kwargs):
        viewer = access.current_viewer()
        row = self.rows.row(str(identifier))
        # pygeoapi reads an item before deleting it; who may delete is decided in delete()
        deleting = _request_method() == "DELETE"
        if row is None or not (deleting or visible_to(viewer, row)):
            raise _not_found(identifier)
        feature = super().get(identifier, *args, **kwargs)
        feature.pop("prev", None)  # neighbours in storage order could name hidden contributions
        feature.pop("next", None)
        self._attach_media([feature])
        return self._strip(feature)

    # -- writing ----------------------------------------------------------------------------------------

    def create(self, item, *args, **kwargs):
        viewer = access.current_viewer()
        if viewer.token_invalid:
            raise access.Forbidden("Unbekanntes Token / unknown token")
        feature = parse_feature(item)
        _check_honeypot(feature)
        notify_email = notify.take_address(feature, InvalidContribution)  # kept apart, never in the row
        props, requested = clean_properties(feature.get("properties"))
        self._resolve_links(props, viewer)
        status = SUBMITTED
        if requested is not None and requested != SUBMITTED:
            if not viewer.is_moderator:
                raise access.Forbidden("Den Status setzt die Moderation / only moderators may set 'status'")
            status = check_status(props["kind"], requested)
        geometry = self._checked_geometry(feature.get("geometry"))
        procedure, late = self._procedure(viewer, props, geometry)
        secret = access.secret_for_new_contribution()
        now = now_iso()
        identifier = str(uuid.uuid4())
        history = [{"status": SUBMITTED, "at": now}]
        if status != SUBMITTED:
            history.append({"status": status, "at": now})
        props.update(status=status, status_history=history, like_count=0, created_at=now, updated_at=now,
                     author_secret_hash=access.hash_secret(secret), late=late,
                     procedure_id=procedure["id"] if procedure else None,
                     reference=next_reference(self.rows, procedure) if procedure else (
                         next_reference(self.rows, {"reference_prefix": reports.reference_prefix()})
                         if props["kind"] == "maengelmeldung" else None))  # a report is followed by its number
        with self._internal():
            created = super().create(json.dumps({"type": "Feature", "id": identifier, "geometry": geometry,
                                                 "properties": props}))
        access.remember_secret(secret)
        notify.after_create(identifier, notify_email)  # after the commit; a mail problem never fails the write
        return created

    def update(self, identifier, item, *args, **kwargs):
        viewer = access.current_viewer()
        identifier = str(identifier)
        stored = self.rows.row(identifier)
        if stored is None:
            raise _not_found(identifier)
        access.require_author_or_moderator(viewer, stored.get("author_secret_hash"))
        feature = parse_feature(item)
        if feature.get("id") is not None and str(feature["id"]) != identifier:
            raise InvalidContribution(f"Die id im Feature ({feature['id']!r}) ist nicht {identifier!r} / "
                                      "the feature's id differs from the item it replaces")
        notify_email = notify.take_address(feature, InvalidContribution)
        props, requested = clean_properties(feature.get("properties"))
        if props["parent_id"] == identifier:
            raise InvalidContribution("Ein Beitrag antwortet nicht auf sich selbst / a contribution cannot reply "
                                      "to itself")
        self._resolve_links(props, viewer, replacing=identifier)
        if stored.get("procedure_id") and any(props[k] != stored.get(k) for k in ("plan_id", "scenario_id")):
            raise InvalidContribution("Eine Stellungnahme bleibt bei ihrem Plan; schreiben Sie zu einem anderen Plan "
                                      "bitte eine neue / a statement stays with its plan: write a new one for "
                                      "another plan")
        now = now_iso()
        history = list(stored["status_history"])
        if viewer.is_moderator:
            status = check_status(props["kind"], requested if requested is not None else stored["status"])
        else:
            if requested is not None and requested != stored["status"]:
                raise access.Forbidden("Den Status setzt die Moderation / only moderators may change 'status'")
            if stored.get("procedure_id"):
                self._require_still_open(stored["procedure_id"])
            status = SUBMITTED  # an edited contribution is moderated again
        if status != stored["status"]:
            history.append({"status": status, "at": now})
        geometry = self._checked_geometry(feature.get("geometry"))
        props.update(status=status, status_history=history, like_count=stored.get("like_count") or 0,
                     created_at=stored["created_at"], updated_at=now,
                     author_secret_hash=stored.get("author_secret_hash"),
                     **{k: stored.get(k) for k in ("procedure_id", "reference", "late", "status_note")})
        with self._internal():
            super().update(identifier, json.dumps({"type": "Feature", "id": identifier, "geometry": geometry,
                                                   "properties": props}))
        self.rows.recount(identifier)  # a like that arrived meanwhile is not lost
        if viewer.owns(stored.get("author_secret_hash")):
            notify.after_create(identifier, notify_email)
        return True

    def delete(self, identifier, *args, **kwargs):
        viewer = access.current_viewer()
        stored = self.rows.row(str(identifier))
        if stored is None:
            raise _not_found(identifier)
        access.require_author_or_moderator(viewer, stored.get("author_secret_hash"))
        if not self.rows.delete(str(identifier)):
            raise _not_found(identifier)
        return True

    # -- beyond OGC CRUD (used by api/contributions.py and api/open311.py) ---------------------------------

    def set_status(self, identifier: str, status: str, note: str | None = None) -> dict:
        """Moderation: a new status and, optionally, a public note (the reason of a rejection, the state of
        a Mängelmeldung), recorded in the audit trail with who did it."""
        from participation.store import record

        viewer = access.current_viewer()
        access.require_moderator(viewer)
        note = _text("note", note, MAX_NOTE) if note is not None else None

        def decide(row):
            return check_status(row["kind"], status)

        def audit(tx, before, after):
            record(self.rows, viewer, "contribution.status", "contribution", after["id"],
                   {"from": before["status"], "to": after["status"], "note": after.get("status_note"),
                    "reference": after.get("reference")}, tx=tx)
            after["_changed"] = True  # audit runs only when status or note changed

        row = self.rows.set_status(str(identifier), decide, note=note, audit=audit)
        row.pop("author_secret_hash", None)
        if row.pop("_changed", False):
            notify.after_status(row)  # after the commit: a mail to a confirmed address
        return row

    def near_duplicates(self, identifier: str, radius_m: float = 50.0, days: float = 30.0) -> list[dict]:
        """Contributions of the same kind and category within ``radius_m`` made up to ``days`` apart
        (the moderation's duplicate hint: two reports of one broken street light)."""
        from store.base import open_store

        row = self.rows.row(str(identifier))
        if row is None:
            raise _not_found(identifier)
        store = open_store(_store_key(self), epsg=self.storage_epsg)
        try:
            where = {"kind": row["kind"], "category": row["category"]}
            frame = store.read(TABLE, where=where)
        finally:
            store.close()
        if frame.empty:
            return []
        own = frame.loc[frame["id"] == row["id"]]
        if own.empty or own.geometry.iloc[0] is None:
            return []
        created = datetime.fromisoformat(row["created_at"].replace("Z", "+00:00"))
        near = frame[(frame["id"] != row["id"]) & (frame.geometry.distance(own.geometry.iloc[0]) <= radius_m)]
        found = []
        for _, other in near.iterrows():
            moment = datetime.fromisoformat(iso(other["created_at"]).replace("Z", "+00:00"))
            if abs((moment - created).total_seconds()) <= days * 86400:
                found.append({"id": other["id"], "reference": other.get("reference"), "status": other["status"],
                              "text": other["text"], "created_at": iso(other["created_at"]),
                              "distance_m": round(float(other.geometry.distance(own.geometry.iloc[0])), 1)})
        return sorted(found, key=lambda d: d["distance_m"])

    def like(self, identifier: str, voter_id: str, add: bool = True) -> tuple[bool, int]:
        row = self.rows.row(str(identifier))
        if row is None or not visible_to(access.current_viewer(), row):
            raise _not_found(identifier)
        return self.rows.like(str(identifier), access.hash_voter(voter_id), add=add)

    def mine(self) -> list[dict]:
        """Every contribution written with the secret(s) the viewer sent, newest first, every status."""
        viewer = access.current_viewer()
        if not viewer.secret_hashes:
            raise access.CredentialsRequired(f"Nur mit Ihrem Geheimnis ({access.SECRET_HEADER}) / "
                                             f"send your secret in the {access.SECRET_HEADER} header")
        marks = ", ".join(f":h{i}" for i in range(len(viewer.secret_hashes)))
        columns = [c for c in _ROW_COLUMNS if c not in HIDDEN_FIELDS]
        rows = self.rows.fetch(f"SELECT {', '.join(columns)} FROM {TABLE} WHERE author_secret_hash IN ({marks}) "
                               "ORDER BY created_at DESC, id",
                               {f"h{i}": h for i, h in enumerate(viewer.secret_hashes)})
        return [self.rows._normalise(row) for row in rows]

    def delete_by_author(self) -> list[str]:
        viewer = access.current_viewer()
        if not viewer.secret_hashes:
            raise access.CredentialsRequired(f"Nur mit Ihrem Geheimnis ({access.SECRET_HEADER}) / "
                                             f"send your secret in the {access.SECRET_HEADER} header")
        return self.rows.delete_by_author(viewer.secret_hashes)

    # -- checks -----------------------------------------------------------------------------------------

    def _resolve_links(self, props: dict, viewer: access.Viewer, replacing: str | None = None) -> None:
        """Check the links; a reply takes its parent's plan/target/scenario."""
        inherited = False
        if props["parent_id"]:
            parent = self.rows.row(props["parent_id"])
            if parent is None or not visible_to(viewer, parent):
                raise InvalidContribution(f"Der Beitrag {props['parent_id']!r}, auf den geantwortet wird, existiert "
                                          f"nicht / the parent contribution {props['parent_id']!r} does not exist")
            seen, ancestor = {props["parent_id"]}, parent
            while replacing and ancestor and ancestor.get("parent_id") and len(seen) < 100:
                if ancestor["parent_id"] == replacing:
                    raise InvalidContribution("Antworten dürfen keinen Kreis bilden / replies cannot form a cycle")
                if ancestor["parent_id"] in seen:
                    break
                seen.add(ancestor["parent_id"])
                ancestor = self.rows.row(ancestor["parent_id"])
            for name in ("plan_id", "target_collection", "target_id", "scenario_id"):
                if props[name] is None:
                    props[name] = parent.get(name)
                elif props[name] != parent.get(name):
                    raise InvalidContribution(f"Eine Antwort gehört zum Plan/Objekt ihres Beitrags ('{name}' "
                                              f"weicht ab) / a reply belongs to its parent's plan and object "
                                              f"('{name}' differs)")
            inherited = True
        if inherited:
            return
        if props["target_collection"]:
            plan = self.rows.target_plan(props["target_collection"], props["target_id"])
            if plan is None:
                raise InvalidContribution(f"{props['target_collection']} {props['target_id']!r} gibt es nicht / "
                                          f"no {props['target_collection']} with id {props['target_id']!r}")
            if props["plan_id"] and props["plan_id"] != plan:
                raise InvalidContribution(f"{props['target_id']!r} gehört zum Plan {plan!r}, nicht "
                                          f"{props['plan_id']!r} / belongs to plan {plan!r}")
            props["plan_id"] = plan
        elif props["plan_id"] and self.rows.target_plan("bp_plan", props["plan_id"]) is None:
            raise InvalidContribution(f"Den Plan {props['plan_id']!r} gibt es nicht / no plan {props['plan_id']!r}")
        if props["scenario_id"] and not self.rows.scenario_known(props["scenario_id"]):
            raise InvalidContribution(f"Die Planungsvariante {props['scenario_id']!r} gibt es nicht / no planning "
                                      f"variant {props['scenario_id']!r}")

    def _procedure(self, viewer: access.Viewer, props: dict, geometry: dict) -> tuple[dict | None, bool]:
        """(the procedure a new contribution is a statement in, made late?); refuses what no open procedure takes.

        Mängelmeldungen are always accepted (no planning procedure needed). Staff may file a statement
        after the end (e.g. one that came by letter): it joins the procedure's latest candidate, marked late.
        """
        from participation.model import CONTRIBUTION_KINDS, is_open
        from participation.store import procedure_for

        point = shapely.geometry.shape(geometry).representative_point()
        found, candidates = procedure_for(self.rows, props["kind"], props["plan_id"], props["scenario_id"],
                                          point=point, area_of=self._covers)
        if found is not None:
            return found, False
        if props["kind"] == "maengelmeldung":
            return None, False
        if viewer.is_moderator:
            latest = max(candidates, key=lambda p: p["closes_at"] or "", default=None)
            return latest, latest is not None
        open_now = [p for p in candidates if is_open(p)]
        if open_now:
            kinds = sorted({k for p in open_now for k in p["allowed_kinds"]}, key=CONTRIBUTION_KINDS.index)
            raise access.Forbidden(f"In diesem Verfahren sind nur {', '.join(kinds)} möglich, nicht {props['kind']} "
                                   f"/ this procedure accepts only {', '.join(kinds)}, not {props['kind']}")
        if props["scenario_id"]:
            scope = ("scenario", props["scenario_id"])
        elif props["plan_id"]:
            scope = ("plan", props["plan_id"])
        else:
            scope = ("general", None)
        windows = [{"opens_at": p["opens_at"], "closes_at": min(c for c in (p["closes_at"], p["closed_at"]) if c)}
                   for p in candidates]
        access.require_open_phase(viewer, props["kind"], scope, windows)

    def _require_still_open(self, procedure_id: str) -> None:
        """An author may change a statement only while its procedure is open."""
        from participation.model import is_open
        from participation.store import procedure

        found = procedure(self.rows, procedure_id)
        if found is not None and not is_open(found):
            raise access.Forbidden("Das Verfahren ist beendet; Stellungnahmen lassen sich nicht mehr ändern / the "
                                   "procedure has ended; statements can no longer be changed")

    def _covers(self, proc: dict, point) -> bool:
        """A procedure without plans covers a point when it has no area (general) or its area holds it."""
        rows = self.rows.fetch(f"SELECT id FROM {PROCEDURES} WHERE id = :id AND geom IS NULL", {"id": proc["id"]})
        if rows:
            return True
        from pyproj import Transformer

        from store.base import open_store

        store = open_store(_store_key(self), epsg=self.storage_epsg)
        try:
            area = store.read(PROCEDURES, where={"id": proc["id"]})
        finally:
            store.close()
        if area.empty or area.geometry.iloc[0] is None:
            return True
        to_storage = Transformer.from_crs(4326, self.storage_epsg, always_xy=True)
        x, y = to_storage.transform(point.x, point.y)
        return bool(area.geometry.iloc[0].buffer(1.0).contains(shapely.Point(x, y)))

    def _checked_geometry(self, geometry) -> dict:
        """The GeoJSON geometry to store (CRS84, 2D, valid), or a 400 saying what is wrong with it."""
        from providers.incoming import ACCEPTED_TYPES, make_valid_or_none

        if geometry is None:
            raise InvalidContribution("Ein Beitrag braucht einen Ort (Punkt, Linie oder Fläche) / "
                                      "a contribution needs a geometry (point, line or polygon)")
        if not isinstance(geometry, dict) or "type" not in geometry:
            raise InvalidContribution("'geometry' muss ein GeoJSON-Objekt sein / must be a GeoJSON geometry object")
        if not isinstance(geometry["type"], str) or geometry["type"] not in ACCEPTED_TYPES["GEOMETRY"]:
            raise InvalidContribution(f"Geometrietyp {geometry['type']!r} not accepted here; use Point, LineString "
                                      "or Polygon (or their Multi- forms)")
        try:
            geom = shapely.force_2d(shapely.geometry.shape(geometry))
        except Exception as err:  # noqa: BLE001 — shapely raises several types for malformed coordinates; all are a 400
            raise InvalidContribution(f"Fehlerhafte Geometrie / malformed geometry: {err}") from None
        if geom.is_empty:
            raise InvalidContribution("Die Geometrie ist leer / the geometry is empty")
        if shapely.get_num_coordinates(geom) > MAX_VERTICES:
            raise InvalidContribution(f"Die Geometrie hat zu viele Punkte (höchstens {MAX_VERTICES}) / "
                                      f"the geometry has too many vertices (at most {MAX_VERTICES})")
        coords = shapely.get_coordinates(geom)
        if not math.isfinite(float(coords.sum())):
            raise InvalidContribution("Die Geometrie hat ungültige Koordinaten / the geometry has non-finite "
                                      "coordinates")
        if abs(coords[:, 0]).max() > 180 or abs(coords[:, 1]).max() > 90:
            raise InvalidContribution("Koordinaten außerhalb von Länge/Breite / coordinates are outside "
                                      "longitude/latitude range: GeoJSON must be in WGS84 lon/lat (CRS84)")
        # Caps: a place in the city drawn by a person -- not the whole earth, not 2,400 islands.
        import numpy as np

        max_parts, max_holes, max_area_km2 = 100, 100, 25.0
        parts = shapely.get_parts(geom)
        if len(parts) > max_parts:
            raise InvalidContribution(f"Die Geometrie hat zu viele Teile ({len(parts)}, höchstens {max_parts}) / the "
                                      f"geometry has too many parts ({len(parts)}, at most {max_parts})")
        polygonal = geom.geom_type in ("Polygon", "MultiPolygon")
        holes = int(shapely.get_num_interior_rings(parts).sum()) if polygonal else 0
        if holes > max_holes:
            raise InvalidContribution(f"Die Fläche hat zu viele Löcher ({holes}, höchstens {max_holes}) / the polygon "
                                      f"has too many holes ({holes}, at most {max_holes})")
        if polygonal:
            west, south, east, north = geom.bounds
            if east - west > 5 or north - south > 5:
                size = "mehr als 5° weit / spans more than 5°"
            else:  # equal-area (Lambert cylindrical) of the vertices: within a few per cent, enough for a cap
                area_km2 = shapely.transform(geom, lambda xy: np.column_stack([
                    6371.0072 * np.radians(xy[:, 0]), 6371.0072 * np.sin(np.radians(xy[:, 1]))])).area
                size = f"{area_km2:,.1f} km²" if area_km2 > max_area_km2 else None
            if size:
                raise InvalidContribution(f"Die Fläche ist zu groß ({size}; höchstens {max_area_km2:g} km²) / the "
                                          f"polygon is too large ({size}; at most {max_area_km2:g} km²): please "
                                          "draw the place you mean")
        extent = city_extent(self.rows, self.storage_epsg, _store_key(self))
        if extent is not None and not extent.covers(geom):
            if geom.intersects(extent):
                raise InvalidContribution("Der Ort reicht über das Stadtgebiet hinaus / the geometry reaches beyond "
                                          "the city's extent (outside it in part)")
            raise InvalidContribution("Der Ort liegt außerhalb des Stadtgebiets / the geometry lies outside the "
                                      "city's extent (GeoJSON coordinates are longitude, latitude in WGS 84)")
        if not geom.is_valid:
            reason = shapely.is_valid_reason(geom)
            repaired = make_valid_or_none(geom)
            if repaired is None or repaired.is_empty or (
                    repaired.geom_type.replace("Multi", "") != geom.geom_type.replace("Multi", "")):
                raise InvalidContribution(f"Ungültige Geometrie ({reason}), die sich nicht reparieren lässt / "
                                          f"invalid geometry ({reason}) that cannot be repaired; please redraw it")
            geom = repaired
        return shapely.geometry.mapping(geom)


def _store_key(provider) -> str:
    """The store's path (GeoPackage) or URL (PostGIS), as ``store.base.open_store`` takes it."""
    return str(getattr(provider, "path", None) or getattr(provider, "store_url", None) or provider.data)


def _request_method() -> str | None:
    from flask import has_request_context, request

    return request.method if has_request_context() else None


def _first_line(err: Exception) -> str:
    return (str(getattr(err, "orig", None) or err).strip().splitlines() or [type(err).__name__])[0][:300]


def _is_client_query_error(err: Exception) -> bool:
    """Errors a client's filter values cause (PostgreSQL type errors, unsupported CQL2 for SQLAlchemy)."""
    try:
        from sqlalchemy.exc import DataError, ProgrammingError
    except ImportError:  # pragma: no cover
        return False
    return isinstance(err, (DataError, ProgrammingError, NotImplementedError, KeyError, TypeError, ValueError))


_CLASSES: dict[type, type] = {}


class ContributionsProvider:
    """Factory named in the config: the store's provider class with :class:`ContributionsMixin` mixed in."""

    def __new__(cls, provider_def: dict):
        if is_postgis_url(provider_def.get("data")):
            from providers.postgis import PostGISProvider as base

            rows = PostGISRows
        else:
            from providers.geopackage import GeoPackageProvider as base

            rows = GeoPackageRows
        klass = _CLASSES.get(base)
        if klass is None:
            klass = _CLASSES[base] = type(f"Contributions{base.__name__}", (ContributionsMixin, base),
                                          {"rows_class": rows, "__module__": __name__})
        return klass(provider_def)


def create_tables(store_url: str, epsg: int) -> None:
    """Create the contributions, procedures, Abwägung, audit and likes tables (and the scenarios' likes) if missing (at start-up)."""
    from store.base import open_store

    store = open_store(store_url, epsg=epsg)
    try:
        store.create_schema([LAYERS[TABLE], SUPPORT_TABLES[LIKES], photos.PHOTOS, reports.REPORT_DETAILS, LAYERS[SCENARIOS], SUPPORT_TABLES[SCENARIO_LIKES],
                             LAYERS[PROCEDURES], LAYERS["statement_results"],
                             *(SUPPORT_TABLES[t] for t in ("abwaegung", "audit_log", "reference_counters",
                                                           "answer_templates")), *notify.TABLES])
    finally:
        store.close()
