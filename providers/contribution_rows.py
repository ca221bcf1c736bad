"""The contribution repository: the statements beyond OGC CRUD, one SQL text for both stores.

The stored row with its author hash, likes, status changes under a row lock, deleting all
of an author's contributions, the city extent. Written once as SQL with named parameters,
which sqlite3 (``store.statements.SqliteStatements``) and SQLAlchemy
(``SqlAlchemyStatements``) both accept; :class:`GeoPackageRows` and :class:`PostGISRows`
supply the connection and the few statements that differ.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import threading
import time
from contextlib import contextmanager

import numpy as np
import shapely

from participation import notify, photos, reports
from providers.contribution_model import (
    LIKES,
    SCENARIO_LIKES,
    SCENARIOS,
    TABLE,
    TARGET_COLLECTIONS,
    iso,
    not_found,
    now_iso,
)
from schema.catalog import LAYERS
from store.statements import SqlAlchemyStatements, SqliteStatements

LOGGER = logging.getLogger(__name__)

#: Contributions must lie within this distance (m) of the stored plans and city layers.
CITY_BUFFER_M = 1000.0
_EXTENT_TTL_S = 60.0

#: The stored columns of a contribution, author hash included (only the provider's own statements read it).
ROW_COLUMNS = list(LAYERS[TABLE].columns)


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
        rows = self.fetch(f"SELECT {', '.join(ROW_COLUMNS)} FROM {TABLE} WHERE id = :id", {"id": str(identifier)})
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

    def _like(self, table: str, likes: str, key: str, identifier: str, voter_hash: str, add: bool) -> tuple[bool, int]:
        params = {"id": f"{identifier}:{voter_hash}", "cid": identifier, "voter": voter_hash, "now": now_iso()}
        with self.transaction() as tx:
            if not tx.fetch(f"SELECT id FROM {table} WHERE id = :cid{self.lock}", params):
                raise not_found(identifier)
            if add:
                changed = (
                    tx.execute(
                        f"INSERT INTO {likes} (id, {key}, voter_hash, created_at) "
                        "VALUES (:id, :cid, :voter, :now) ON CONFLICT (id) DO NOTHING",
                        params,
                    )
                    > 0
                )
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
        tx.execute(
            f"UPDATE {table} SET like_count = (SELECT count(*) FROM {likes} WHERE {key} = :cid) WHERE id = :cid",
            {"cid": identifier},
        )
        rows = tx.fetch(f"SELECT like_count FROM {table} WHERE id = :cid", {"cid": identifier})
        return int(rows[0]["like_count"] or 0) if rows else 0

    def set_status(self, contribution_id: str, decide, note: str | None = None, audit=None) -> dict:
        """Read-modify-write of status, public note and history under a row lock; ``decide(row)`` returns the
        new status; ``audit(tx, before, after)`` records the change in the same transaction."""
        with self.transaction() as tx:
            rows = tx.fetch(
                f"SELECT {', '.join(ROW_COLUMNS)} FROM {TABLE} WHERE id = :id{self.lock}", {"id": contribution_id}
            )
            if not rows:
                raise not_found(contribution_id)
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
                tx.execute(
                    f"UPDATE {TABLE} SET status = :status, status_note = :note, status_history = "
                    f"{self.json_param.format('history')}, updated_at = :now WHERE id = :id",
                    {
                        "status": status,
                        "history": json.dumps(row["status_history"]),
                        "now": now,
                        "note": row.get("status_note"),
                        "id": contribution_id,
                    },
                )
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
    for table in (
        LIKES,
        "abwaegung",
        "statement_results",
        notify.SUBSCRIPTIONS,
        notify.OUTBOX,
        photos.TABLE,
        reports.DETAILS,
    ):
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
        rows = self.fetch(
            f"SELECT min_x, min_y, max_x, max_y FROM gpkg_contents WHERE table_name IN ({marks}) AND min_x IS NOT NULL",
            {f"l{i}": name for i, name in enumerate(layer_ids)},
        )
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
            row = self.fetch(
                f"SELECT ST_XMin(e) AS x0, ST_YMin(e) AS y0, ST_XMax(e) AS x1, ST_YMax(e) AS y1 "
                f"FROM (SELECT ST_Extent(geom) AS e FROM {layer_id}) AS x"
            )[0]
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
    return np.column_stack([x, y])
