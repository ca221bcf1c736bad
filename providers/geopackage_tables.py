"""Connections, table schemas and CRS transforms of the GeoPackage provider (``providers/geopackage.py``).

pygeoapi calls ``load_plugin`` for every request, so what the provider needs is cached
here at module level: one sqlite3 connection per thread and file (sqlite3 objects must
not cross threads; a file replaced on disk is reopened), the introspected schema per
(file, table, schema version). The transformers (and a request's output CRS, given as WKT) come from
``store/crs.py``, cached per thread there for every package.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from dataclasses import dataclass, field

import numpy as np
import pyproj
import shapely
from pygeoapi.provider.base import ProviderConnectionError

from schema.catalog import DEFAULT_STORAGE_EPSG, LAYERS, Layer
from store.geopackage import connect, rtree_name, table_columns, table_exists

# -- connections: one per thread, process and file ------------------------------------------------

_LOCAL = threading.local()


def connection_for(path: str) -> sqlite3.Connection:
    """This thread's connection to ``path`` (reopened when the file was replaced, or in a forked process)."""
    try:
        stat = os.stat(path)
    except OSError:
        raise ProviderConnectionError(f"GeoPackage store not found: {path}") from None
    pool = _LOCAL.__dict__.setdefault("connections", {})
    # The process id is part of the key: a forked child (a gunicorn worker) inherits the parent's
    # thread-local pool, and SQLite forbids using a connection across fork() (its locks and file
    # descriptors are the parent's). The inherited entries are left alone, not closed: closing is a use too.
    key = (os.getpid(), path)
    entry = pool.get(key)
    if entry is not None and entry[1] == (stat.st_dev, stat.st_ino):
        return entry[0]
    if entry is not None:
        # gone before reconnecting: were the reconnect to fail (the file away for a moment), the closed
        # connection must not come back when the file does (its inode is the old one's again)
        del pool[key]
        entry[0].close()
    try:
        conn = connect(path)
    except sqlite3.Error as err:
        raise ProviderConnectionError(f"cannot open GeoPackage {path}: {err}") from err
    pool[key] = (conn, (stat.st_dev, stat.st_ino))
    return conn


def close_connections(path: str | None = None) -> None:
    """Close this thread's connections of this process (to ``path`` only, if given); they reopen on demand."""
    pool = _LOCAL.__dict__.get("connections", {})
    pid = os.getpid()
    for key in [k for k in pool if k[0] == pid and (path is None or k[1] == os.path.abspath(path))]:
        pool.pop(key)[0].close()


# -- table schema, cached per file and table ------------------------------------------------

#: GeoPackage declared type -> catalogue column type (for tables outside the catalogue).
_DECLARED_KINDS = {
    "TEXT": "text",
    "INTEGER": "integer",
    "INT": "integer",
    "MEDIUMINT": "integer",
    "SMALLINT": "integer",
    "TINYINT": "integer",
    "REAL": "real",
    "DOUBLE": "real",
    "FLOAT": "real",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "DATETIME": "datetime",
}

#: Catalogue column type -> JSON Schema (queryables, /schema, OpenAPI).
_JSON_SCHEMA = {
    "text": {"type": "string"},
    "integer": {"type": "integer"},
    "real": {"type": "number"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
    "datetime": {"type": "string", "format": "date-time"},
    "json": {"type": "object"},
}


@dataclass(frozen=True)
class TableSchema:
    """What the provider knows about one table; built once per file and table."""

    table: str
    columns: dict[str, str]  # name -> catalogue type, table order, without fid and geometry
    geometry_column: str | None
    geometry_type: str | None
    srs_id: int | None
    crs: pyproj.CRS | None
    rtree: str | None
    fields: dict[str, dict] = field(default_factory=dict)

    @property
    def text_columns(self) -> list[str]:
        return [name for name, kind in self.columns.items() if kind == "text"]


_SCHEMAS: dict[tuple, TableSchema] = {}
_SCHEMAS_LOCK = threading.RLock()


def table_schema(path: str, table: str, create_epsg: int | None = None) -> TableSchema:
    """The cached schema of ``table`` in the GeoPackage at ``path``.

    A catalogue layer whose table does not exist yet (a fresh store) is
    created empty, so every configured collection answers from the start.
    """
    conn = connection_for(path)
    stat = os.stat(path)
    # schema_version changes with every CREATE/ALTER, so an added column is seen at once.
    key = (path, stat.st_dev, stat.st_ino, conn.execute("PRAGMA schema_version").fetchone()[0], table)
    schema = _SCHEMAS.get(key)
    if schema is not None:
        return schema
    with _SCHEMAS_LOCK:
        if not table_exists(conn, table):
            _create_catalogue_table(path, table, create_epsg)
            return table_schema(path, table)
        schema = _introspect(conn, table)
        _SCHEMAS[key] = schema
    return schema


def _create_catalogue_table(path: str, table: str, epsg: int | None) -> None:
    if table not in LAYERS:
        raise ProviderConnectionError(f"table {table!r} not found in GeoPackage {path}")
    from store.geopackage import GeoPackageStore

    try:
        with GeoPackageStore(path, epsg=epsg or DEFAULT_STORAGE_EPSG) as store:
            store.create_schema([LAYERS[table]])
    except Exception as err:
        raise ProviderConnectionError(f"cannot create table {table!r} in {path}: {err}") from err


def _introspect(conn: sqlite3.Connection, table: str) -> TableSchema:
    declared = table_columns(conn, table)
    geometry = conn.execute(
        "SELECT column_name, geometry_type_name, srs_id FROM gpkg_geometry_columns WHERE table_name = ?", (table,)
    ).fetchone()
    geometry_column, geometry_type, srs_id = geometry if geometry else (None, None, None)
    layer: Layer | None = LAYERS.get(table)
    columns = {}
    for name, decl in declared.items():
        if name in ("fid", geometry_column):
            continue
        kind = layer.columns.get(name) if layer else None
        columns[name] = kind or _DECLARED_KINDS.get(decl.split("(")[0].strip(), "text")
    crs = None
    if srs_id is not None and srs_id > 0:
        row = conn.execute(
            "SELECT organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys WHERE srs_id = ?",
            (srs_id,),
        ).fetchone()
        crs = _srs_crs(row) if row else None
    rtree = rtree_name(table, geometry_column) if geometry_column else None
    if rtree and not table_exists(conn, rtree):
        rtree = None
    fields = {name: dict(_JSON_SCHEMA[kind]) for name, kind in columns.items()}
    return TableSchema(table, columns, geometry_column, geometry_type, srs_id, crs, rtree, fields)


def _srs_crs(row) -> pyproj.CRS | None:
    organization, code, definition = row
    try:
        return pyproj.CRS.from_authority(organization, code)
    except pyproj.exceptions.CRSError:
        try:
            return pyproj.CRS.from_wkt(definition)
        except pyproj.exceptions.CRSError:
            return None


# -- coordinate transformation (the transformers: store.crs.transformer) ------------------------------


def transform_geometries(geoms: np.ndarray, transformer: pyproj.Transformer) -> np.ndarray:
    """Transform an array of geometries with one pyproj call over all coordinates."""

    def apply(coords: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, apply)


__all__ = [
    "TableSchema",
    "close_connections",
    "connection_for",
    "table_schema",
    "transform_geometries",
]
