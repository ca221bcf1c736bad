"""Embedded store: one OGC GeoPackage file, no server, written with the standard library.

Why not GDAL or SpatiaLite for writing: SpatiaLite cannot be loaded into the
Python builds used here (no ``enable_load_extension``), and writing through
GDAL would give up the one transaction across all layers that ``replace``
promises. So this module writes a *real* GeoPackage 1.4 by hand:

* ``application_id`` 'GPKG', ``user_version`` 10400, the core tables
  (``gpkg_spatial_ref_sys`` with the storage CRS as WKT from pyproj,
  ``gpkg_contents`` with bounds, ``gpkg_geometry_columns``, ``gpkg_extensions``);
* one table per catalogue layer: ``fid INTEGER PRIMARY KEY AUTOINCREMENT``,
  ``id TEXT UNIQUE NOT NULL``, the catalogue columns, a ``geom`` column holding
  GeoPackage binary geometries (:mod:`store.gpkg_functions`);
* an R-tree ``rtree_<table>_geom`` with exactly the triggers of the spec
  (GeoPackage 1.4, Annex F.3), kept up to date by SQLite itself through the
  Python ``ST_*`` functions registered on every connection.

GDAL reads the files (a test checks with pyogrio). The file runs in WAL mode:
readers never block the writer, and a write that returned has reached the WAL
file, so it survives the process being killed; write transactions switch to
``synchronous=FULL`` so an acknowledged write also survives power loss.
"""

from __future__ import annotations

import json
import math
import os
import re
import sqlite3
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from schema.catalog import LAYERS, Layer
from store import gpkg_functions
from store.base import Store, StoreError, check_frames, checked_bbox

GPKG_APPLICATION_ID = 0x47504B47  # 'GPKG'
GPKG_USER_VERSION = 10400  # GeoPackage 1.4.0
GEOMETRY_COLUMN = "geom"
#: Changes of at least this many rows (and half the table) rebuild the R-tree instead of using its triggers.
BULK_ROWS = 2000
RTREE_EXTENSION = ("gpkg_rtree_index", "http://www.geopackage.org/spec/#extension_rtree", "write-only")

#: Catalogue column type -> GeoPackage data type (Table 1 of the spec).
#: BOOLEAN is stored as INTEGER 0/1, DATE/DATETIME as ISO 8601 TEXT, json as TEXT.
SQL_TYPES = {
    "text": "TEXT",
    "integer": "INTEGER",
    "real": "DOUBLE",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "datetime": "DATETIME",
    "json": "TEXT",
}
#: The catalogue's ``integer`` range: PostgreSQL's integer (signed 32 bits). SQLite would store 64 bits,
#: but a value one store takes must fit the other, so both refuse the same values.
INTEGER_MIN, INTEGER_MAX = -(2**31), 2**31 - 1

#: Table names go into DDL unquoted (the spec's R-tree SQL is compared textually by validators).
_SAFE_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")

_CORE_DDL = (
    """CREATE TABLE IF NOT EXISTS gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL,
  srs_id INTEGER PRIMARY KEY,
  organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL,
  definition  TEXT NOT NULL,
  description TEXT
)""",
    """CREATE TABLE IF NOT EXISTS gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY,
  data_type TEXT NOT NULL,
  identifier TEXT UNIQUE,
  description TEXT DEFAULT '',
  last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE,
  min_y DOUBLE,
  max_x DOUBLE,
  max_y DOUBLE,
  srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id)
)""",
    """CREATE TABLE IF NOT EXISTS gpkg_geometry_columns (
  table_name TEXT NOT NULL,
  column_name TEXT NOT NULL,
  geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL,
  z TINYINT NOT NULL,
  m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT uk_gc_table_name UNIQUE (table_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id)
)""",
    """CREATE TABLE IF NOT EXISTS gpkg_extensions (
  table_name TEXT,
  column_name TEXT,
  extension_name TEXT NOT NULL,
  definition TEXT NOT NULL,
  scope TEXT NOT NULL,
  CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name)
)""",
)

#: GeoPackage 1.4 R-tree triggers (Annex F.3; update1/update3 of older versions are replaced by 5/6/7).
_RTREE_TRIGGERS = (
    """CREATE TRIGGER rtree_<t>_<c>_insert AFTER INSERT ON <t>
  WHEN (new.<c> NOT NULL AND NOT ST_IsEmpty(NEW.<c>))
BEGIN
  INSERT OR REPLACE INTO rtree_<t>_<c> VALUES (
    NEW.<i>,
    ST_MinX(NEW.<c>), ST_MaxX(NEW.<c>),
    ST_MinY(NEW.<c>), ST_MaxY(NEW.<c>)
  );
END""",
    """CREATE TRIGGER rtree_<t>_<c>_update2 AFTER UPDATE OF <c> ON <t>
  WHEN OLD.<i> = NEW.<i> AND
       (NEW.<c> ISNULL OR ST_IsEmpty(NEW.<c>))
BEGIN
  DELETE FROM rtree_<t>_<c> WHERE id = OLD.<i>;
END""",
    """CREATE TRIGGER rtree_<t>_<c>_update4 AFTER UPDATE ON <t>
  WHEN OLD.<i> != NEW.<i> AND
       (NEW.<c> ISNULL OR ST_IsEmpty(NEW.<c>))
BEGIN
  DELETE FROM rtree_<t>_<c> WHERE id IN (OLD.<i>, NEW.<i>);
END""",
    """CREATE TRIGGER rtree_<t>_<c>_update5 AFTER UPDATE ON <t>
  WHEN OLD.<i> != NEW.<i> AND
       (NEW.<c> NOTNULL AND NOT ST_IsEmpty(NEW.<c>))
BEGIN
  DELETE FROM rtree_<t>_<c> WHERE id = OLD.<i>;
  INSERT OR REPLACE INTO rtree_<t>_<c> VALUES (
    NEW.<i>,
    ST_MinX(NEW.<c>), ST_MaxX(NEW.<c>),
    ST_MinY(NEW.<c>), ST_MaxY(NEW.<c>)
  );
END""",
    """CREATE TRIGGER rtree_<t>_<c>_update6 AFTER UPDATE OF <c> ON <t>
  WHEN OLD.<i> = NEW.<i> AND
       (NEW.<c> NOTNULL AND NOT ST_IsEmpty(NEW.<c>)) AND
       (OLD.<c> NOTNULL AND NOT ST_IsEmpty(OLD.<c>))
BEGIN
  UPDATE rtree_<t>_<c> SET
    minx = ST_MinX(NEW.<c>),
    maxx = ST_MaxX(NEW.<c>),
    miny = ST_MinY(NEW.<c>),
    maxy = ST_MaxY(NEW.<c>)
  WHERE id = NEW.<i>;
END""",
    """CREATE TRIGGER rtree_<t>_<c>_update7 AFTER UPDATE OF <c> ON <t>
  WHEN OLD.<i> = NEW.<i> AND
       (NEW.<c> NOTNULL AND NOT ST_IsEmpty(NEW.<c>)) AND
       (OLD.<c> ISNULL OR ST_IsEmpty(OLD.<c>))
BEGIN
  INSERT INTO rtree_<t>_<c> VALUES (
    NEW.<i>,
    ST_MinX(NEW.<c>), ST_MaxX(NEW.<c>),
    ST_MinY(NEW.<c>), ST_MaxY(NEW.<c>)
  );
END""",
    """CREATE TRIGGER rtree_<t>_<c>_delete AFTER DELETE ON <t>
  WHEN old.<c> NOT NULL
BEGIN
  DELETE FROM rtree_<t>_<c> WHERE id = OLD.<i>;
END""",
)

#: shapely type id -> GeoPackage geometry type name.
_TYPE_NAMES = {
    0: "POINT",
    1: "LINESTRING",
    2: "LINESTRING",
    3: "POLYGON",
    4: "MULTIPOINT",
    5: "MULTILINESTRING",
    6: "MULTIPOLYGON",
    7: "GEOMETRYCOLLECTION",
}
_MULTI_OF = {"POINT": "MULTIPOINT", "LINESTRING": "MULTILINESTRING", "POLYGON": "MULTIPOLYGON"}
_SINGLE_OF = {multi: single for single, multi in _MULTI_OF.items()}


# -- connections and transactions ----------------------------------------------------


def quote(name: str) -> str:
    """An SQL identifier, double-quoted (names come from the catalogue, quoting is belt and braces)."""
    return '"' + str(name).replace('"', '""') + '"'


def rtree_name(table: str, column: str = GEOMETRY_COLUMN) -> str:
    return f"rtree_{table}_{column}"


def connect(path: str | os.PathLike, *, check_same_thread: bool = True) -> sqlite3.Connection:
    """Open a GeoPackage with this project's settings and SQL functions.

    Autocommit mode (``isolation_level=None``): transactions are explicit
    (:func:`write_transaction`), so no read ever holds a snapshot by accident.
    """
    conn = sqlite3.connect(os.fspath(path), timeout=30, isolation_level=None, check_same_thread=check_same_thread)
    gpkg_functions.register(conn)
    conn.execute("PRAGMA busy_timeout = 30000")
    # The R-tree triggers call our Python functions; SQLite builds with
    # SQLITE_TRUSTED_SCHEMA=0 would refuse that for non-"innocuous" functions.
    conn.execute("PRAGMA trusted_schema = ON")
    conn.execute("PRAGMA foreign_keys = OFF")
    try:
        conn.execute("PRAGMA journal_mode = WAL")
    except sqlite3.OperationalError:  # read-only directory: fine for readers
        pass
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA cache_size = -32768")  # 32 MiB page cache per connection
    conn.execute("PRAGMA mmap_size = 268435456")
    return conn


@contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` with ``synchronous=FULL``; ROLLBACK on any error.

    IMMEDIATE takes the write lock up front, so two writers queue on
    ``busy_timeout`` instead of failing half-way with SQLITE_BUSY.
    """
    conn.execute("PRAGMA synchronous = FULL")
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    finally:
        conn.execute("PRAGMA synchronous = NORMAL")


def table_exists(conn: sqlite3.Connection, name: str) -> bool:
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone()
    return row is not None


def table_columns(conn: sqlite3.Connection, table: str) -> dict[str, str]:
    """Column name -> declared type, in table order."""
    return {row[1]: (row[2] or "").upper() for row in conn.execute(f"PRAGMA table_info({quote(table)})")}


# -- GeoPackage schema -------------------------------------------------------------------


def _srs_row(epsg: int) -> tuple:
    crs = CRS.from_epsg(epsg)
    return (crs.name, epsg, "EPSG", epsg, crs.to_wkt("WKT1_GDAL"), f"EPSG:{epsg} {crs.name}")


def init_geopackage(conn: sqlite3.Connection, epsg: int) -> None:
    """Core tables, the three mandatory SRS rows and ``epsg``; idempotent (call inside a transaction)."""
    conn.execute(f"PRAGMA application_id = {GPKG_APPLICATION_ID}")
    conn.execute(f"PRAGMA user_version = {GPKG_USER_VERSION}")
    for ddl in _CORE_DDL:
        conn.execute(ddl)
    rows = [
        ("Undefined cartesian SRS", -1, "NONE", -1, "undefined", "undefined cartesian coordinate reference system"),
        ("Undefined geographic SRS", 0, "NONE", 0, "undefined", "undefined geographic coordinate reference system"),
        (
            "WGS 84 geodetic",
            4326,
            "EPSG",
            4326,
            CRS.from_epsg(4326).to_wkt("WKT1_GDAL"),
            "longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid",
        ),
    ]
    if epsg not in (4326, 0, -1):
        rows.append(_srs_row(epsg))
    conn.executemany("INSERT OR IGNORE INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)", rows)


def is_geopackage(conn: sqlite3.Connection) -> bool:
    return conn.execute("PRAGMA application_id").fetchone()[0] == GPKG_APPLICATION_ID


def layer_srs_id(conn: sqlite3.Connection, table: str) -> int | None:
    row = conn.execute("SELECT srs_id FROM gpkg_geometry_columns WHERE table_name = ?", (table,)).fetchone()
    return None if row is None else row[0]


def create_layer_table(conn: sqlite3.Connection, layer: Layer, epsg: int) -> bool:
    """Create ``layer``'s table, R-tree, triggers and indexes; True if anything was created.

    An existing table gains the catalogue columns it lacks (a file written by
    an older version of the catalogue), so imports never fail on them.
    """
    if not _SAFE_NAME.match(layer.id):
        raise StoreError(f"layer id {layer.id!r} is not a safe GeoPackage table name")
    if table_exists(conn, layer.id):
        return _add_missing_columns(conn, layer)
    columns = ["fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL", "id TEXT UNIQUE NOT NULL"]
    columns += [f"{quote(name)} {SQL_TYPES[kind]}" for name, kind in layer.columns.items() if name != "id"]
    if layer.geometry_type:
        columns.append(f"{GEOMETRY_COLUMN} {layer.geometry_type}")
    conn.execute(f"CREATE TABLE {layer.id} (\n  " + ",\n  ".join(columns) + "\n)")
    conn.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES (?, ?, ?, ?, ?)",
        (
            layer.id,
            "features" if layer.geometry_type else "attributes",
            layer.id,
            layer.description_en,
            epsg if layer.geometry_type else None,
        ),
    )
    if layer.geometry_type:
        conn.execute(
            "INSERT INTO gpkg_geometry_columns VALUES (?, ?, ?, ?, 0, 0)",
            (layer.id, GEOMETRY_COLUMN, layer.geometry_type, epsg),
        )
        _create_rtree(conn, layer.id)
    for column in _indexed_columns(layer):
        conn.execute(f"CREATE INDEX IF NOT EXISTS {quote(f'idx_{layer.id}_{column}')} ON {layer.id} ({quote(column)})")
    return True


def missing_columns(conn: sqlite3.Connection, layer: Layer) -> list[str]:
    stored = table_columns(conn, layer.id)
    return [name for name in layer.columns if name not in stored]


def _add_missing_columns(conn: sqlite3.Connection, layer: Layer) -> bool:
    missing = missing_columns(conn, layer)
    for name in missing:
        conn.execute(f"ALTER TABLE {layer.id} ADD COLUMN {quote(name)} {SQL_TYPES[layer.columns[name]]}")
    for column in _indexed_columns(layer):
        if column in missing:
            conn.execute(
                f"CREATE INDEX IF NOT EXISTS {quote(f'idx_{layer.id}_{column}')} ON {layer.id} ({quote(column)})"
            )
    return bool(missing)


def _create_rtree(conn: sqlite3.Connection, table: str, column: str = GEOMETRY_COLUMN) -> None:
    """The spec's R-tree, loaded from the table's rows, and its triggers."""
    conn.execute(f"CREATE VIRTUAL TABLE {rtree_name(table, column)} USING rtree(id, minx, maxx, miny, maxy)")
    _load_rtree(conn, table, column)
    for template in _RTREE_TRIGGERS:
        conn.execute(template.replace("<t>", table).replace("<c>", column).replace("<i>", "fid"))
    conn.execute("INSERT OR IGNORE INTO gpkg_extensions VALUES (?, ?, ?, ?, ?)", (table, column, *RTREE_EXTENSION))


def _load_rtree(conn: sqlite3.Connection, table: str, column: str) -> None:
    """Fill the R-tree from the table (the spec's "load spatial index values" step).

    Same result as the spec's ``INSERT … SELECT ST_MinX(geom) …``, but the
    envelopes come straight from the blob headers and rows go in in Z-order:
    SQLite's R-tree has no bulk load, and spatially sorted inserts build it
    faster and with less node overlap.
    """
    fids, envelopes = [], []
    for fid, blob in conn.execute(f"SELECT fid, {quote(column)} FROM {table} WHERE {quote(column)} NOT NULL"):
        try:
            env = gpkg_functions.envelope(blob)
        except (gpkg_functions.GeoPackageBlobError, shapely.errors.GEOSException):
            continue  # not a geometry blob: no index entry, as ST_IsEmpty/ST_MinX would give NULL
        if env is not None:
            fids.append(fid)
            envelopes.append(env)
    if not fids:
        return
    boxes = np.asarray(envelopes, dtype=float)
    order = np.argsort(_morton((boxes[:, 0] + boxes[:, 1]) / 2, (boxes[:, 2] + boxes[:, 3]) / 2), kind="stable")
    conn.executemany(
        f"INSERT OR REPLACE INTO {rtree_name(table, column)} VALUES (?, ?, ?, ?, ?)",
        ((fids[i], *envelopes[i]) for i in order.tolist()),
    )


def _morton(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Z-order codes of points on a 65536² grid over their extent (for spatially sorted inserts)."""

    def spread(v):
        v = v.astype(np.uint64)
        v = (v | (v << np.uint64(8))) & np.uint64(0x00FF00FF)
        v = (v | (v << np.uint64(4))) & np.uint64(0x0F0F0F0F)
        v = (v | (v << np.uint64(2))) & np.uint64(0x33333333)
        return (v | (v << np.uint64(1))) & np.uint64(0x55555555)

    def grid(v):
        span = float(v.max() - v.min()) or 1.0
        return np.clip((v - v.min()) / span * 65535, 0, 65535)

    return spread(grid(x)) | (spread(grid(y)) << np.uint64(1))


def drop_rtree(conn: sqlite3.Connection, table: str, column: str = GEOMETRY_COLUMN) -> None:
    """Drop a table's R-tree and all its triggers (for a bulk change; :func:`_create_rtree` restores them)."""
    prefix = f"rtree_{table}_{column}_"
    for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? AND substr(name, 1, ?) = ?",
        (table, len(prefix), prefix),
    ).fetchall():
        conn.execute(f"DROP TRIGGER {quote(name)}")
    conn.execute(f"DROP TABLE IF EXISTS {rtree_name(table, column)}")


def _indexed_columns(layer: Layer) -> list[str]:
    """Catalogue indexes plus the scope column a re-import deletes by."""
    wanted = list(layer.indexes)
    if layer.plan_scoped:
        wanted.append("plan_id")
    if layer.source_scoped:
        wanted.append("source")
    return [c for c in dict.fromkeys(wanted) if c in layer.columns and c != "id"]


def exact_bounds(conn: sqlite3.Connection, table: str) -> tuple[float, float, float, float] | None:
    """``(minx, miny, maxx, maxy)`` of a table's geometries, from the R-tree, exact.

    The R-tree stores float32 values rounded outwards, so its extremes are at
    most one float32 step off; the few rows near each extreme are then read
    exactly. Index-only apart from those rows.
    """
    rtree = rtree_name(table)
    if not table_exists(conn, rtree):
        return None
    row = conn.execute(f"SELECT min(minx), max(maxx), min(miny), max(maxy) FROM {rtree}").fetchone()
    if row[0] is None:
        return None
    result = []
    for value, (func, agg, col, cmp) in zip(
        row,
        (
            ("ST_MinX", "min", "minx", "<="),
            ("ST_MaxX", "max", "maxx", ">="),
            ("ST_MinY", "min", "miny", "<="),
            ("ST_MaxY", "max", "maxy", ">="),
        ),
        strict=True,
    ):
        slack = 2 * float(np.spacing(np.float32(abs(value)))) + 1e-9
        limit = value + slack if cmp == "<=" else value - slack
        exact = conn.execute(
            f"SELECT {agg}({func}({GEOMETRY_COLUMN})) FROM {table} "
            f"WHERE fid IN (SELECT id FROM {rtree} WHERE {col} {cmp} ?)",
            (limit,),
        ).fetchone()[0]
        result.append(value if exact is None else exact)
    minx, maxx, miny, maxy = result
    return minx, miny, maxx, maxy


def refresh_contents(conn: sqlite3.Connection, table: str) -> None:
    """Store the table's exact bounds and the change time in ``gpkg_contents``."""
    box = exact_bounds(conn, table) or (None, None, None, None)
    conn.execute(
        "UPDATE gpkg_contents SET min_x = ?, min_y = ?, max_x = ?, max_y = ?, "
        "last_change = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE table_name = ?",
        (*box, table),
    )


def touch_contents(conn: sqlite3.Connection, table: str, box: tuple[float, float, float, float] | None) -> None:
    """Widen the stored bounds by ``box`` (a single feature write) and set the change time."""
    if box is not None:
        conn.execute(
            "UPDATE gpkg_contents SET min_x = min(coalesce(min_x, :x0), :x0), min_y = min(coalesce(min_y, :y0), :y0), "
            "max_x = max(coalesce(max_x, :x1), :x1), max_y = max(coalesce(max_y, :y1), :y1) WHERE table_name = :t",
            {"x0": box[0], "y0": box[1], "x1": box[2], "y1": box[3], "t": table},
        )
    conn.execute(
        "UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE table_name = ?", (table,)
    )


# -- values ------------------------------------------------------------------------------------


def is_missing(value) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, (float, np.floating)) and math.isnan(value)


def format_datetime(value) -> str:
    """ISO 8601 UTC with milliseconds, ``2024-05-01T08:00:00.000Z`` (the GeoPackage DATETIME form).

    Fixed width on purpose: text comparison then equals time comparison, so
    filters on DATETIME columns can compare strings in SQL. Naive values are UTC.
    """
    if isinstance(value, str):
        text = value.strip()
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{value!r} is not an ISO 8601 date-time") from None
    elif isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    elif isinstance(value, np.datetime64):
        value = pd.Timestamp(value).to_pydatetime()
    elif isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if not isinstance(value, datetime):
        raise ValueError(f"{value!r} is not a date-time")
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def format_date(value) -> str:
    """``YYYY-MM-DD``; accepts dates, date-times (their calendar date) and ISO date strings."""
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            raise ValueError(f"{value!r} is not an ISO 8601 date (YYYY-MM-DD)") from None
    if isinstance(value, (pd.Timestamp, np.datetime64)):
        value = pd.Timestamp(value).to_pydatetime()
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise ValueError(f"{value!r} is not a date")


def to_sql_value(kind: str, value, *, strict: bool = False):
    """A Python value for SQLite from a catalogue-typed value; ValueError with a reason if it does not fit.

    ``strict`` (API input, JSON values): no coercion between strings and
    numbers. Lenient (importers' frames): numpy/pandas scalars and numeric
    strings are converted.
    """
    if is_missing(value):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if kind == "text":
        if isinstance(value, str):
            if "\x00" in value:  # PostgreSQL's text holds no NUL: refused on both stores alike
                raise ValueError("text must not contain NUL characters (\\u0000)")
            return value
        if strict or isinstance(value, (dict, list)):
            raise ValueError(f"expected a string, got {type(value).__name__}")
        return str(value)
    if kind == "integer":
        if isinstance(value, bool):
            if strict:
                raise ValueError("expected an integer, got a boolean")
            return int(value)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, str) and not strict:
            try:
                value = int(value.strip())
            except ValueError:
                pass
        if isinstance(value, int):
            if not INTEGER_MIN <= value <= INTEGER_MAX:
                raise ValueError(f"expected an integer from {INTEGER_MIN} to {INTEGER_MAX}, got {_short(value)}")
            return value
        raise ValueError(f"expected an integer, got {value!r}")
    if kind == "real":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            try:
                number = float(value)
            except OverflowError:  # an int beyond what a double holds
                raise ValueError(f"expected a number within ±{sys.float_info.max:.3g}, got {_short(value)}") from None
            if not math.isfinite(number):
                raise ValueError(f"expected a finite number, got {value!r}")
            return number
        if isinstance(value, str) and not strict:
            try:
                return to_sql_value(kind, float(value.strip()))
            except ValueError:
                pass
        raise ValueError(f"expected a number, got {value!r}")
    if kind == "boolean":
        if isinstance(value, bool):
            return int(value)
        if not strict and isinstance(value, int) and value in (0, 1):
            return value
        raise ValueError(f"expected true or false, got {value!r}")
    if kind == "date":
        if strict and not isinstance(value, str):
            raise ValueError(f"expected a date string YYYY-MM-DD, got {value!r}")
        return format_date(value)
    if kind == "datetime":
        if strict and not isinstance(value, str):
            raise ValueError(f"expected an ISO 8601 date-time string, got {value!r}")
        return format_datetime(value)
    if kind == "json":
        if strict:
            return json.dumps(value, ensure_ascii=False)
        if isinstance(value, str):
            try:
                json.loads(value)
            except ValueError:
                raise ValueError(f"expected JSON text, got {value[:40]!r}") from None
            return value
        return json.dumps(value, ensure_ascii=False)
    raise ValueError(f"unknown column type {kind!r}")


def _short(number: int | float) -> str:
    text = str(number)
    return text if len(text) <= 24 else f"{text[:20]}… ({len(text)} digits)"


def from_sql_value(kind: str, value):
    """The Python value served for a stored one (booleans as bool, JSON parsed)."""
    if value is None:
        return None
    if kind == "boolean":
        return bool(value)
    if kind == "json":
        try:
            return json.loads(value)
        except (TypeError, ValueError):
            return value
    return value


# -- geometries ---------------------------------------------------------------------------


def conform_geometry_types(geometries: np.ndarray, geometry_type: str) -> tuple[np.ndarray, np.ndarray]:
    """Fit geometries to a layer's declared type: single parts become multi, one-part multis single.

    Returns the conformed geometries and a boolean mask of those that still do
    not fit (for an error message naming them).
    """
    geoms = np.asarray(geometries, dtype=object).copy()
    if geometry_type == "GEOMETRY":
        return geoms, np.zeros(len(geoms), dtype=bool)
    type_ids = shapely.get_type_id(geoms)
    names = np.array([_TYPE_NAMES.get(t, "") if t >= 0 else "" for t in type_ids.tolist()], dtype=object)
    missing = type_ids < 0
    if geometry_type in _SINGLE_OF:  # a MULTI* layer: promote the single type
        single = names == _SINGLE_OF[geometry_type]
        if single.any():
            geoms[single] = [_promote(g) for g in geoms[single]]
            names[single] = geometry_type
    elif geometry_type in _MULTI_OF:  # a single-type layer: demote one-part multis
        multi = (names == _MULTI_OF[geometry_type]) & (shapely.get_num_geometries(geoms) == 1)
        if multi.any():
            geoms[multi] = shapely.get_geometry(geoms[multi], 0)
            names[multi] = geometry_type
    bad = ~missing & (names != geometry_type)
    return geoms, bad


def _promote(geometry):
    return {
        "Point": shapely.MultiPoint,
        "LineString": shapely.MultiLineString,
        "LinearRing": shapely.MultiLineString,
        "Polygon": shapely.MultiPolygon,
    }[geometry.geom_type]([geometry])


def geometry_type_name(geometry) -> str:
    return _TYPE_NAMES.get(int(shapely.get_type_id(geometry)), geometry.geom_type.upper())


# -- the store -------------------------------------------------------------------------------


class GeoPackageStore(Store):
    """Catalogue layers as tables of one GeoPackage file (created on first open)."""

    def __init__(self, path: str | os.PathLike, epsg: int = 25832):
        self.path = Path(path)
        self.epsg = int(epsg)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = connect(self.path)
            self._initialise()
        except sqlite3.Error as err:
            raise StoreError(f"cannot open GeoPackage {self.path}: {err}") from err

    def _initialise(self) -> None:
        if (
            not is_geopackage(self.conn)
            and self.conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
        ):
            raise StoreError(f"{self.path} is an SQLite file but not a GeoPackage")
        if (
            not is_geopackage(self.conn)
            or self.conn.execute("SELECT 1 FROM gpkg_spatial_ref_sys WHERE srs_id = ?", (self.epsg,)).fetchone() is None
        ):
            with write_transaction(self.conn):
                init_geopackage(self.conn, self.epsg)
            # GDAL recognises a GeoPackage by the application_id in the file header
            # itself, which in WAL mode only gets there with a checkpoint.
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        for layer in LAYERS.values():
            stored = layer_srs_id(self.conn, layer.id)
            if stored is not None and stored != self.epsg:
                raise StoreError(
                    f"{self.path} stores layer {layer.id} in EPSG:{stored}, "
                    f"but this store was opened for EPSG:{self.epsg}"
                )

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        if getattr(self, "conn", None) is None:
            return
        try:
            self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error:
            pass
        self.conn.close()
        del self.conn  # closed: a second close() finds no connection and returns

    # -- schema ---------------------------------------------------------------------------

    def create_schema(self, layers: Iterable[Layer] = LAYERS.values()) -> None:
        layers = list(layers)
        missing = [
            layer for layer in layers if not table_exists(self.conn, layer.id) or missing_columns(self.conn, layer)
        ]
        if not missing:
            return
        try:
            with write_transaction(self.conn):
                for layer in missing:
                    create_layer_table(self.conn, layer, self.epsg)
        except sqlite3.Error as err:
            raise StoreError(f"creating tables in {self.path} failed: {err}") from err

    # -- writing ----------------------------------------------------------------------------

    def replace(self, frames: Mapping[str, gpd.GeoDataFrame], *, plan_id=None, source=None) -> dict[str, int]:
        check_frames(frames, self.epsg)
        # Everything that can fail on the data is done before the transaction starts.
        prepared = {layer_id: frame_rows(LAYERS[layer_id], frame, self.epsg) for layer_id, frame in frames.items()}
        written: dict[str, int] = {}
        current = None
        try:
            with write_transaction(self.conn):
                for layer in LAYERS.values():
                    scope = []
                    if plan_id is not None and layer.plan_scoped:
                        scope.append(("plan_id", plan_id))
                    if source is not None and layer.source_scoped and layer.id in frames:
                        scope.append(("source", source))
                    if layer.id in prepared or scope:
                        current = layer.id
                        names, rows = prepared.get(layer.id, ([], []))
                        count = self._replace_layer(layer, scope, names, rows)
                        if layer.id in prepared:
                            written[layer.id] = count
        except StoreError:
            raise
        except Exception as err:  # any failure: the transaction was rolled back, say so
            raise StoreError(
                f"layer {current}: writing to {self.path} failed, nothing was changed: {_explain(err)}"
            ) from err
        return written

    def _replace_layer(self, layer: Layer, scope: list[tuple[str, object]], names: list[str], rows: list[tuple]) -> int:
        """Delete the rows in ``scope``, insert ``rows``; inside the caller's transaction."""
        table = layer.id
        create_layer_table(self.conn, layer, self.epsg)
        where = " OR ".join(f"{quote(column)} = ?" for column, _ in scope)
        params = [value for _, value in scope]
        old = self.conn.execute(f"SELECT count(*) FROM {table} WHERE {where}", params).fetchone()[0] if scope else 0
        if not old and not rows:
            return 0
        # A big change goes faster without the per-row R-tree triggers: drop the
        # index, change the table, rebuild the index sorted (all in this transaction).
        bulk = False
        if layer.geometry_type and old + len(rows) >= BULK_ROWS:
            total = self.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            bulk = 2 * (old + len(rows)) >= total - old + len(rows)
        if bulk:
            drop_rtree(self.conn, table)
        if old:
            self.conn.execute(f"DELETE FROM {table} WHERE {where}", params)
        count = self._insert(table, names, rows)
        if bulk:
            _create_rtree(self.conn, table)
        if layer.geometry_type:
            refresh_contents(self.conn, table)
        return count

    def _insert(self, table: str, names: list[str], rows: list[tuple]) -> int:
        if not rows:
            return 0
        sql = f"INSERT INTO {table} ({', '.join(quote(n) for n in names)}) VALUES ({', '.join('?' * len(names))})"
        self.conn.execute("SAVEPOINT bulk_insert")
        try:
            self.conn.executemany(sql, rows)
        except sqlite3.IntegrityError as err:
            # Undo this batch only, so the diagnosis sees the data as it was before it.
            self.conn.execute("ROLLBACK TO bulk_insert")
            raise sqlite3.IntegrityError(f"{err}{_which_id(self.conn, table, names, rows)}") from err
        finally:
            self.conn.execute("RELEASE bulk_insert")
        return len(rows)

    def delete_plan(self, plan_id: str) -> int:
        deleted = 0
        try:
            with write_transaction(self.conn):
                for layer in LAYERS.values():
                    if layer.plan_scoped and table_exists(self.conn, layer.id):
                        n = self.conn.execute(f"DELETE FROM {layer.id} WHERE plan_id = ?", (plan_id,)).rowcount
                        if n and layer.geometry_type:
                            refresh_contents(self.conn, layer.id)
                        deleted += n
        except sqlite3.Error as err:
            raise StoreError(f"deleting plan {plan_id!r} from {self.path} failed: {err}") from err
        return deleted

    # -- reading ------------------------------------------------------------------------------

    def read(
        self,
        layer_id: str,
        where: Mapping[str, object] | None = None,
        bbox: tuple[float, float, float, float] | None = None,
    ) -> gpd.GeoDataFrame:
        layer = _layer(layer_id)
        if not table_exists(self.conn, layer_id):
            return _empty_frame(layer, self.epsg)
        stored = table_columns(self.conn, layer_id)
        names = [c for c in layer.columns if c in stored]
        select = [quote(n) for n in names]
        if layer.geometry_type:
            select.append(GEOMETRY_COLUMN)
        sql = f"SELECT {', '.join(select)} FROM {layer_id}"
        params: list[object] = []
        if where:
            unknown = set(where) - set(names)
            if unknown:
                raise StoreError(f"layer {layer_id}: cannot filter on unknown columns {sorted(unknown)}")
            clauses = []
            for name, value in where.items():
                if is_missing(value):
                    clauses.append(f"{quote(name)} IS NULL")
                else:
                    clauses.append(f"{quote(name)} = ?")
                    params.append(to_sql_value(layer.columns[name], value))
            sql += " WHERE " + " AND ".join(clauses)
        if bbox is not None and layer.geometry_type:
            minx, miny, maxx, maxy = checked_bbox(bbox)
            sql += (" AND " if where else " WHERE ") + (
                f"fid IN (SELECT id FROM {rtree_name(layer_id)} "
                "WHERE maxx >= ? AND minx <= ? AND maxy >= ? AND miny <= ?)"
            )
            params += [minx, maxx, miny, maxy]
        rows = self.conn.execute(sql + " ORDER BY fid", params).fetchall()
        return _frame(layer, names, rows, self.epsg)

    def count(self, layer_id: str) -> int:
        _layer(layer_id)
        if not table_exists(self.conn, layer_id):
            return 0
        return self.conn.execute(f"SELECT count(*) FROM {layer_id}").fetchone()[0]

    def bounds(self, layer_id: str):
        _layer(layer_id)
        return exact_bounds(self.conn, layer_id)


# -- helpers of the store ----------------------------------------------------------------------


def _layer(layer_id: str) -> Layer:
    from schema.catalog import layer

    return layer(layer_id)


def frame_rows(layer: Layer, frame: gpd.GeoDataFrame, epsg: int) -> tuple[list[str], list[tuple]]:
    """Column names and SQLite-ready rows for a frame; StoreError naming the row for bad values."""
    names = [c for c in layer.columns if c in frame.columns]
    ids = frame["id"].tolist()
    columns = [_column_values(layer, name, frame[name], ids) for name in names]
    geometry = _frame_geometry(frame)
    if layer.geometry_type and geometry is not None:
        geoms, bad = conform_geometry_types(geometry, layer.geometry_type)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise StoreError(
                f"layer {layer.id}: row id {ids[i]!r} has a {geometry_type_name(geoms[i])} geometry, "
                f"the layer stores {layer.geometry_type}"
            )
        columns.append(gpkg_functions.encode(geoms, epsg))
        names.append(GEOMETRY_COLUMN)
    return names, list(zip(*columns, strict=True)) if columns else []


def _frame_geometry(frame) -> np.ndarray | None:
    if isinstance(frame, gpd.GeoDataFrame) and frame._geometry_column_name in frame.columns:
        return np.asarray(frame.geometry.values, dtype=object)
    return None


def _column_values(layer: Layer, name: str, series: pd.Series, ids: list) -> list:
    kind = layer.columns[name]
    fast = _fast_column_values(kind, series)
    if fast is not None:
        return fast
    out = []
    for row_id, value in zip(ids, series.to_numpy(dtype=object), strict=True):
        try:
            out.append(to_sql_value(kind, value))
        except ValueError as err:
            raise StoreError(f"layer {layer.id}: row id {row_id!r}, column {name} ({kind}): {err}") from None
    return out


def _fast_column_values(kind: str, series: pd.Series) -> list | None:
    """Vectorised conversion for the common clean dtypes; None = use the per-value path."""
    dtype = series.dtype
    if kind == "real" and pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        values = series.to_numpy(dtype="float64", na_value=np.nan)
        if np.isinf(values).any():
            return None
        return [None if v != v else v for v in values.tolist()]
    if kind == "integer" and pd.api.types.is_integer_dtype(dtype):
        if series.isna().any():
            return [None if is_missing(v) else int(v) for v in series.to_numpy(dtype=object)]
        return series.to_numpy(dtype="int64").tolist()
    if kind == "boolean" and pd.api.types.is_bool_dtype(dtype) and not series.isna().any():
        return series.to_numpy(dtype="int64").tolist()
    if kind == "text":
        values = series.to_numpy(dtype=object).tolist()
        if all(type(v) is str or v is None for v in values):
            return values
        if pd.api.types.is_string_dtype(dtype) and all(isinstance(v, str) or is_missing(v) for v in values):
            return [None if is_missing(v) else v for v in values]
    return None


def _which_id(conn, table: str, names: list[str], rows: list[tuple]) -> str:
    """For a UNIQUE failure: the first incoming id already stored (under another plan or source)."""
    if "id" not in names:
        return ""
    i = names.index("id")
    seen = set()
    for row in rows:
        if row[i] in seen:
            return f" (id {row[i]!r} appears twice)"
        seen.add(row[i])
    for row in rows:
        if conn.execute(f"SELECT 1 FROM {table} WHERE id = ?", (row[i],)).fetchone():
            return f" (id {row[i]!r} is already stored, for another plan or source)"
    return ""


def _explain(err: Exception) -> str:
    return str(err) or type(err).__name__


def _empty_frame(layer: Layer, epsg: int) -> gpd.GeoDataFrame:
    return _frame(layer, list(layer.columns), [], epsg)


def _frame(layer: Layer, names: list[str], rows: list[tuple], epsg: int) -> gpd.GeoDataFrame:
    data = {}
    for i, name in enumerate(names):
        kind = layer.columns[name]
        values = [row[i] for row in rows]
        if kind == "boolean":
            values = [None if v is None else bool(v) for v in values]
        if kind == "integer":
            data[name] = pd.array(values, dtype="Int64")
        elif kind == "real":
            data[name] = pd.array([np.nan if v is None else v for v in values], dtype="float64")
        else:
            data[name] = values if values else pd.Series(values, dtype=object)
    frame = pd.DataFrame(data, columns=names)
    geometry = gpkg_functions.decode([row[-1] for row in rows]) if layer.geometry_type else None
    if geometry is not None and not len(rows):
        geometry = gpd.GeoSeries([], crs=f"EPSG:{epsg}")
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=f"EPSG:{epsg}")
