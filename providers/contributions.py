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
  (rules in ``access/rules.py``).

The viewer is the Flask request's (``access/viewer.py``, resolved once per request):
pygeoapi runs the provider inside the Flask request. Outside a request (start-up,
OpenAPI generation) the viewer is anonymous.

Cut in three: the rules are in ``providers/contribution_model.py`` (pure), the
statements beyond OGC CRUD in ``providers/contribution_rows.py`` (one SQL text for
both stores), the provider here. Names other packages import from this module
(``TABLE``, ``visible_to``, ``now_iso``, …) are re-exported.
"""

from __future__ import annotations

import json
import logging
import uuid
from contextlib import contextmanager
from datetime import datetime

import shapely
import shapely.geometry
from pygeoapi.provider.base import ProviderInvalidQueryError
from pygeofilter import ast

from access import rules
from access.viewer import current_viewer, remember_secret, secret_for_new_contribution
from intake.errors import IntakeError
from intake.feature import replacing_id
from intake.messages import message
from participation import notify, photos, reports
from participation.store import next_reference
from providers.contribution_model import (  # noqa: F401 — re-exported: api/, participation and tests import them here
    APPROVED,
    CATEGORY_ALIASES,
    CITIZEN_FIELDS,
    DEFECT_CATEGORIES,
    DONE,
    HIDDEN_FIELDS,
    HONEYPOT,
    HONEYPOT_MESSAGE,
    IN_PROGRESS,
    KIND_ALIASES,
    KINDS,
    LIKES,
    MAX_NOTE,
    MAX_PSEUDONYM,
    MAX_REFERENCE,
    MAX_TEXT,
    PROCEDURES,
    REJECTED,
    SCENARIO_LIKES,
    SCENARIOS,
    SERVER_FIELDS,
    STATUSES,
    SUBMITTED,
    TABLE,
    TARGET_COLLECTIONS,
    InvalidContribution,
    check_honeypot,
    check_status,
    checked_place,
    clean_properties,
    is_public,
    iso,
    normalise_category,
    normalise_kind,
    not_found,
    now_iso,
    parse_feature,
    text,
    visibility_filter,
    visible_to,
)
from providers.contribution_rows import ROW_COLUMNS, GeoPackageRows, PostGISRows, Rows, city_extent
from schema.catalog import LAYERS, SUPPORT_TABLES
from store.base import is_postgis_url

LOGGER = logging.getLogger(__name__)

#: The old private name (api/media.py imports it).
_not_found = not_found

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

        viewer = current_viewer()
        user_filter = kwargs.pop("filterq", None)
        check_filter_properties(user_filter, set(self._fields) | self._geometry_names)
        parts = [
            p
            for p in (user_filter, self._text_search(kwargs.pop("q", None)), visibility_filter(viewer))
            if p is not None
        ]
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
                msg = message("query_does_not_fit", detail=_first_line(err))
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
                    [extra["media_url"]] if extra.get("media_url") else []
                )
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
        viewer = current_viewer()
        row = self.rows.row(str(identifier))
        # pygeoapi reads an item before deleting it; who may delete is decided in delete()
        deleting = _request_method() == "DELETE"
        if row is None or not (deleting or visible_to(viewer, row)):
            raise not_found(identifier)
        feature = super().get(identifier, *args, **kwargs)
        feature.pop("prev", None)  # neighbours in storage order could name hidden contributions
        feature.pop("next", None)
        self._attach_media([feature])
        return self._strip(feature)

    # -- writing ----------------------------------------------------------------------------------------

    def create(self, item, *args, **kwargs):
        viewer = current_viewer()
        if viewer.token_invalid:
            raise rules.Forbidden(rules.UNKNOWN_TOKEN)
        feature = parse_feature(item)
        check_honeypot(feature)
        notify_email = notify.take_address(feature, IntakeError)  # kept apart, never in the row
        props, requested = clean_properties(feature.get("properties"))
        self._resolve_links(props, viewer)
        status = SUBMITTED
        if requested is not None and requested != SUBMITTED:
            if not viewer.is_moderator:
                raise rules.Forbidden(message("status_moderators_set"))
            status = check_status(props["kind"], requested)
        geometry = self._checked_geometry(feature.get("geometry"))
        procedure, late = self._procedure(viewer, props, geometry)
        secret = secret_for_new_contribution()
        now = now_iso()
        identifier = str(uuid.uuid4())
        history = [{"status": SUBMITTED, "at": now}]
        if status != SUBMITTED:
            history.append({"status": status, "at": now})
        props.update(
            status=status,
            status_history=history,
            like_count=0,
            created_at=now,
            updated_at=now,
            author_secret_hash=rules.hash_secret(secret),
            late=late,
            procedure_id=procedure["id"] if procedure else None,
            reference=next_reference(self.rows, procedure)
            if procedure
            else (
                next_reference(self.rows, {"reference_prefix": reports.reference_prefix()})
                if props["kind"] == "maengelmeldung"
                else None
            ),
        )  # a report is followed by its number
        with self._internal():
            created = super().create(
                json.dumps({"type": "Feature", "id": identifier, "geometry": geometry, "properties": props})
            )
        remember_secret(secret)
        notify.after_create(identifier, notify_email)  # after the commit; a mail problem never fails the write
        return created

    def update(self, identifier, item, *args, **kwargs):
        viewer = current_viewer()
        identifier = str(identifier)
        stored = self.rows.row(identifier)
        if stored is None:
            raise not_found(identifier)
        rules.require_author_or_moderator(viewer, stored.get("author_secret_hash"))
        feature = parse_feature(item)
        replacing_id(feature, identifier)
        notify_email = notify.take_address(feature, IntakeError)
        props, requested = clean_properties(feature.get("properties"))
        if props["parent_id"] == identifier:
            raise IntakeError.of("reply_to_self")
        self._resolve_links(props, viewer, replacing=identifier)
        if stored.get("procedure_id") and any(props[k] != stored.get(k) for k in ("plan_id", "scenario_id")):
            raise IntakeError.of("statement_moves")
        now = now_iso()
        history = list(stored["status_history"])
        if viewer.is_moderator:
            status = check_status(props["kind"], requested if requested is not None else stored["status"])
        else:
            if requested is not None and requested != stored["status"]:
                raise rules.Forbidden(message("status_moderators_change"))
            if stored.get("procedure_id"):
                self._require_still_open(stored["procedure_id"])
            status = SUBMITTED  # an edited contribution is moderated again
        if status != stored["status"]:
            history.append({"status": status, "at": now})
        geometry = self._checked_geometry(feature.get("geometry"))
        props.update(
            status=status,
            status_history=history,
            like_count=stored.get("like_count") or 0,
            created_at=stored["created_at"],
            updated_at=now,
            author_secret_hash=stored.get("author_secret_hash"),
            **{k: stored.get(k) for k in ("procedure_id", "reference", "late", "status_note")},
        )
        with self._internal():
            super().update(
                identifier, json.dumps({"type": "Feature", "id": identifier, "geometry": geometry, "properties": props})
            )
        self.rows.recount(identifier)  # a like that arrived meanwhile is not lost
        if viewer.owns(stored.get("author_secret_hash")):
            notify.after_create(identifier, notify_email)
        return True

    def delete(self, identifier, *args, **kwargs):
        viewer = current_viewer()
        stored = self.rows.row(str(identifier))
        if stored is None:
            raise not_found(identifier)
        rules.require_author_or_moderator(viewer, stored.get("author_secret_hash"))
        if not self.rows.delete(str(identifier)):
            raise not_found(identifier)
        return True

    # -- beyond OGC CRUD (used by api/contributions.py and api/open311.py) ---------------------------------

    def set_status(self, identifier: str, status: str, note: str | None = None) -> dict:
        """Moderation: a new status and, optionally, a public note (the reason of a rejection, the state of
        a Mängelmeldung), recorded in the audit trail with who did it."""
        from participation.store import record

        viewer = current_viewer()
        rules.require_moderator(viewer)
        note = text("note", note, MAX_NOTE) if note is not None else None

        def decide(row):
            return check_status(row["kind"], status)

        def audit(tx, before, after):
            record(
                self.rows,
                viewer,
                "contribution.status",
                "contribution",
                after["id"],
                {
                    "from": before["status"],
                    "to": after["status"],
                    "note": after.get("status_note"),
                    "reference": after.get("reference"),
                },
                tx=tx,
            )
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
            raise not_found(identifier)
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
                found.append(
                    {
                        "id": other["id"],
                        "reference": other.get("reference"),
                        "status": other["status"],
                        "text": other["text"],
                        "created_at": iso(other["created_at"]),
                        "distance_m": round(float(other.geometry.distance(own.geometry.iloc[0])), 1),
                    }
                )
        return sorted(found, key=lambda d: d["distance_m"])

    def like(self, identifier: str, voter_id: str, add: bool = True) -> tuple[bool, int]:
        row = self.rows.row(str(identifier))
        if row is None or not visible_to(current_viewer(), row):
            raise not_found(identifier)
        return self.rows.like(str(identifier), rules.hash_voter(voter_id), add=add)

    def mine(self) -> list[dict]:
        """Every contribution written with the secret(s) the viewer sent, newest first, every status."""
        viewer = current_viewer()
        if not viewer.secret_hashes:
            raise rules.CredentialsRequired(message("secret_required", header=rules.SECRET_HEADER))
        marks = ", ".join(f":h{i}" for i in range(len(viewer.secret_hashes)))
        columns = [c for c in ROW_COLUMNS if c not in HIDDEN_FIELDS]
        rows = self.rows.fetch(
            f"SELECT {', '.join(columns)} FROM {TABLE} WHERE author_secret_hash IN ({marks}) "
            "ORDER BY created_at DESC, id",
            {f"h{i}": h for i, h in enumerate(viewer.secret_hashes)},
        )
        return [self.rows._normalise(row) for row in rows]

    def delete_by_author(self) -> list[str]:
        viewer = current_viewer()
        if not viewer.secret_hashes:
            raise rules.CredentialsRequired(message("secret_required", header=rules.SECRET_HEADER))
        return self.rows.delete_by_author(viewer.secret_hashes)

    # -- checks -----------------------------------------------------------------------------------------

    def _resolve_links(self, props: dict, viewer: rules.Viewer, replacing: str | None = None) -> None:
        """Check the links; a reply takes its parent's plan/target/scenario."""
        inherited = False
        if props["parent_id"]:
            parent = self.rows.row(props["parent_id"])
            if parent is None or not visible_to(viewer, parent):
                raise IntakeError.of("parent_missing", id=props["parent_id"])
            seen, ancestor = {props["parent_id"]}, parent
            while replacing and ancestor and ancestor.get("parent_id") and len(seen) < 100:
                if ancestor["parent_id"] == replacing:
                    raise IntakeError.of("reply_cycle")
                if ancestor["parent_id"] in seen:
                    break
                seen.add(ancestor["parent_id"])
                ancestor = self.rows.row(ancestor["parent_id"])
            for name in ("plan_id", "target_collection", "target_id", "scenario_id"):
                if props[name] is None:
                    props[name] = parent.get(name)
                elif props[name] != parent.get(name):
                    raise IntakeError.of("reply_differs", name=name)
            inherited = True
        if inherited:
            return
        if props["target_collection"]:
            plan = self.rows.target_plan(props["target_collection"], props["target_id"])
            if plan is None:
                raise IntakeError.of("target_missing", collection=props["target_collection"], id=props["target_id"])
            if props["plan_id"] and props["plan_id"] != plan:
                raise IntakeError.of("target_other_plan", id=props["target_id"], plan=plan, asked=props["plan_id"])
            props["plan_id"] = plan
        elif props["plan_id"] and self.rows.target_plan("bp_plan", props["plan_id"]) is None:
            raise IntakeError.of("plan_missing", id=props["plan_id"])
        if props["scenario_id"] and not self.rows.scenario_known(props["scenario_id"]):
            raise IntakeError.of("variant_missing", id=props["scenario_id"])

    def _procedure(self, viewer: rules.Viewer, props: dict, geometry: dict) -> tuple[dict | None, bool]:
        """(the procedure a new contribution is a statement in, made late?); refuses what no open procedure takes.

        Mängelmeldungen are always accepted (no planning procedure needed). Staff may file a statement
        after the end (e.g. one that came by letter): it joins the procedure's latest candidate, marked late.
        """
        from participation.model import CONTRIBUTION_KINDS, is_open
        from participation.store import procedure_for

        point = shapely.geometry.shape(geometry).representative_point()
        found, candidates = procedure_for(
            self.rows, props["kind"], props["plan_id"], props["scenario_id"], point=point, area_of=self._covers
        )
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
            raise rules.Forbidden(message("procedure_kinds", kinds=", ".join(kinds), kind=props["kind"]))
        if props["scenario_id"]:
            scope = ("scenario", props["scenario_id"])
        elif props["plan_id"]:
            scope = ("plan", props["plan_id"])
        else:
            scope = ("general", None)
        windows = [
            {"opens_at": p["opens_at"], "closes_at": min(c for c in (p["closes_at"], p["closed_at"]) if c)}
            for p in candidates
        ]
        rules.require_open_phase(viewer, props["kind"], scope, windows)

    def _require_still_open(self, procedure_id: str) -> None:
        """An author may change a statement only while its procedure is open."""
        from participation.model import is_open
        from participation.store import procedure

        found = procedure(self.rows, procedure_id)
        if found is not None and not is_open(found):
            raise rules.Forbidden(message("procedure_ended"))

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
        """The GeoJSON geometry to store (CRS84, 2D, valid, inside the city), or a 400 saying what is wrong."""
        return checked_place(geometry, city_extent(self.rows, self.storage_epsg, _store_key(self)))


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
            klass = _CLASSES[base] = type(
                f"Contributions{base.__name__}",
                (ContributionsMixin, base),
                {"rows_class": rows, "__module__": __name__},
            )
        return klass(provider_def)


def create_tables(store_url: str, epsg: int) -> None:
    """Create the contributions, procedures, Abwägung, audit and likes tables (and the scenarios' likes) if missing (at start-up)."""
    from store.base import open_store

    store = open_store(store_url, epsg=epsg)
    try:
        store.create_schema(
            [
                LAYERS[TABLE],
                SUPPORT_TABLES[LIKES],
                photos.PHOTOS,
                reports.REPORT_DETAILS,
                LAYERS[SCENARIOS],
                SUPPORT_TABLES[SCENARIO_LIKES],
                LAYERS[PROCEDURES],
                LAYERS["statement_results"],
                *(SUPPORT_TABLES[t] for t in ("abwaegung", "audit_log", "reference_counters", "answer_templates")),
                *notify.TABLES,
            ]
        )
    finally:
        store.close()
