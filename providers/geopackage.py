"""pygeoapi feature provider for the embedded GeoPackage store (``store/geopackage.py``).

pygeoapi's own SQLiteGPKG provider needs SpatiaLite, which the Python builds
here cannot load; this provider needs only the standard library's sqlite3, the
R-tree the store maintains and shapely.

Configuration (one collection's ``providers`` entry)::

    type: feature
    name: providers.geopackage.GeoPackageProvider   # or providers.store.StoreFeatureProvider
    data: /path/store.gpkg          # ${BUERGERGIS_STORE}, substituted by pygeoapi
    table: buildings
    id_field: id                    # the unique text column (default: id)
    geom_field: geom                # optional; CQL2 may say "geometry" or this name
    storage_crs: http://www.opengis.net/def/crs/EPSG/0/25832
    crs: [http://www.opengis.net/def/crs/OGC/1.3/CRS84, ...]
    time_field: imported_at         # optional, a date or datetime column (datetime=…)
    title_field: name               # optional
    properties: [name, height]      # optional: serve only these columns
    editable: true                  # OGC API Features Part 4 create/replace/delete
    count: true                     # numberMatched (exact); false skips it except for hits

What it does, and why so:

* pygeoapi calls ``load_plugin`` for every request, so construction is cheap:
  table introspection is cached per (file, table) at module level and each
  thread keeps one sqlite3 connection per file (sqlite3 objects must not cross
  threads; a file replaced on disk is reopened).
* Every value reaches SQLite as a bound parameter; identifiers come only from
  the introspected column list. CQL2 (a pygeofilter AST) is compiled here to a
  parameterised WHERE clause; an unknown property is a 400 that names it.
* Spatial filters use the R-tree for candidates and shapely (through Python
  SQL functions) for the exact test, so ``numberMatched`` is exact. It is
  counted only when the page is full; a short page already tells the total.
* Rows become GeoJSON with one vectorised shapely call per page, and
  coordinate transforms (OGC API Features Part 2) run vectorised with the same
  pyproj transformation pygeoapi's ``crs`` helpers build (authority axis
  order: EPSG:4326 is served as lat/lon, CRS84 as lon/lat).
* Writes are single transactions (``BEGIN IMMEDIATE``, ``synchronous=FULL``):
  acknowledged means on disk. GeoJSON input is CRS84 (OGC API Features
  Part 4) unless a ``content_crs`` is passed or the feature carries a legacy
  ``crs`` member; it is validated, repaired where that keeps the geometry type,
  and transformed to the storage CRS.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import sqlite3
import threading
import uuid
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import pyproj
import shapely
import shapely.geometry
from pygeoapi.crs import get_crs
from pygeoapi.provider.base import (
    BaseProvider,
    ProviderConnectionError,
    ProviderInvalidDataError,
    ProviderInvalidQueryError,
    ProviderItemNotFoundError,
    ProviderQueryError,
    SchemaType,
)
from pygeoapi.util import json_serial, str2bool
from pygeofilter import ast, values

from layers.catalog import DEFAULT_STORAGE_EPSG, LAYERS, Layer
from providers.cql import prepare_filter
from providers.passthrough import RawFeatures, install_json_passthrough
from store import gpkg_functions
from store.geopackage import (
    conform_geometry_types,
    connect,
    format_date,
    format_datetime,
    from_sql_value,
    geometry_type_name,
    quote,
    rtree_name,
    table_columns,
    table_exists,
    to_sql_value,
    touch_contents,
    write_transaction,
)

LOGGER = logging.getLogger(__name__)

CRS84 = pyproj.CRS.from_user_input("OGC:CRS84")


class InvalidFeatureError(ProviderInvalidDataError):
    """The request body is not a feature this collection can store (HTTP 400)."""

    http_status_code = 400
    ogc_exception_code = "InvalidParameterValue"

    def __init__(self, msg):
        super().__init__(msg, user_msg=msg)


class FeatureConflictError(ProviderInvalidDataError):
    """A feature with that id exists already (HTTP 409)."""

    http_status_code = 409
    ogc_exception_code = "Conflict"

    def __init__(self, msg):
        super().__init__(msg, user_msg=msg)


def _invalid_query(msg: str) -> ProviderInvalidQueryError:
    return ProviderInvalidQueryError(msg, user_msg=msg)


# -- connections: one per thread and file ------------------------------------------------

_LOCAL = threading.local()


def connection_for(path: str) -> sqlite3.Connection:
    """This thread's connection to ``path`` (reopened when the file was replaced)."""
    try:
        stat = os.stat(path)
    except OSError:
        raise ProviderConnectionError(f"GeoPackage store not found: {path}") from None
    pool = _LOCAL.__dict__.setdefault("connections", {})
    entry = pool.get(path)
    if entry is not None and entry[1] == (stat.st_dev, stat.st_ino):
        return entry[0]
    if entry is not None:
        entry[0].close()
    try:
        conn = connect(path)
    except sqlite3.Error as err:
        raise ProviderConnectionError(f"cannot open GeoPackage {path}: {err}") from err
    pool[path] = (conn, (stat.st_dev, stat.st_ino))
    return conn


def close_connections(path: str | None = None) -> None:
    """Close this thread's connections (to ``path`` only, if given); they reopen on demand."""
    pool = _LOCAL.__dict__.get("connections", {})
    for key in [k for k in pool if path is None or k == os.path.abspath(path)]:
        pool.pop(key)[0].close()


# -- table schema, cached per file and table ------------------------------------------------

#: GeoPackage declared type -> catalogue column type (for tables outside the catalogue).
_DECLARED_KINDS = {"TEXT": "text", "INTEGER": "integer", "INT": "integer", "MEDIUMINT": "integer",
                   "SMALLINT": "integer", "TINYINT": "integer", "REAL": "real", "DOUBLE": "real",
                   "FLOAT": "real", "BOOLEAN": "boolean", "DATE": "date", "DATETIME": "datetime"}

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


#: SQLite binds integers as signed 64-bit; a larger offset is a client error, not an OverflowError.
_SQLITE_MAX_INT = 2**63 - 1


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
    geometry = conn.execute("SELECT column_name, geometry_type_name, srs_id FROM gpkg_geometry_columns "
                            "WHERE table_name = ?", (table,)).fetchone()
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
        row = conn.execute("SELECT organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys "
                           "WHERE srs_id = ?", (srs_id,)).fetchone()
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


# -- coordinate transformation ---------------------------------------------------------------


def _transformer(source: pyproj.CRS, target: pyproj.CRS, always_xy: bool = False) -> pyproj.Transformer:
    """A cached transformer (per thread: pyproj transformers are not shared across threads)."""
    cache = _LOCAL.__dict__.setdefault("transformers", {})
    key = (source.to_wkt(), target.to_wkt(), always_xy)
    transformer = cache.get(key)
    if transformer is None:
        transformer = cache[key] = pyproj.Transformer.from_crs(source, target, always_xy=always_xy)
    return transformer


def _transform_geometries(geoms: np.ndarray, transformer: pyproj.Transformer) -> np.ndarray:
    """Transform an array of geometries with one pyproj call over all coordinates."""
    def apply(coords: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, apply)


def _crs_from_wkt(wkt: str) -> pyproj.CRS:
    cache = _LOCAL.__dict__.setdefault("crs_wkt", {})
    crs = cache.get(wkt)
    if crs is None:
        crs = cache[wkt] = pyproj.CRS.from_wkt(wkt)
    return crs


def _geojson(geoms: np.ndarray) -> list[dict | None]:
    """GeoJSON geometry dicts for a page: one shapely call, one json.loads."""
    if not len(geoms):
        return []
    texts = shapely.to_geojson(geoms)
    return json.loads("[" + ",".join("null" if t is None else t for t in texts.tolist()) + "]")


# -- SQL fragments -------------------------------------------------------------------------------


@dataclass
class Frag:
    """A piece of SQL and its bound parameters, in placeholder order."""

    sql: str
    params: list = field(default_factory=list)


def _join(op: str, frags: list[Frag]) -> Frag:
    return Frag("(" + f" {op} ".join(f.sql for f in frags) + ")", [p for f in frags for p in f.params])


#: CQL2 LIKE escapes -> SQLite GLOB: GLOB is case-sensitive (CQL2 LIKE is) and
#: has no escape character, so literal * ? [ become one-character classes.
_GLOB_LITERAL = {"*": "[*]", "?": "[?]", "[": "[[]"}


def like_to_glob(pattern: str, wildcard: str = "%", singlechar: str = "_", escapechar: str = "\\") -> str:
    out = []
    chars = iter(pattern)
    for ch in chars:
        if ch == escapechar:
            nxt = next(chars, "")
            out.append(_GLOB_LITERAL.get(nxt, nxt))
        elif ch == wildcard:
            out.append("*")
        elif ch == singlechar:
            out.append("?")
        else:
            out.append(_GLOB_LITERAL.get(ch, ch))
    return "".join(out)


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _looks_lonlat(geom) -> bool:
    minx, miny, maxx, maxy = geom.bounds
    return minx >= -180 and maxx <= 180 and miny >= -90 and maxy <= 90


class FilterCompiler:
    """Compile pygeofilter ASTs and the simple query parameters to parameterised SQLite.

    Values only ever become bound parameters; property names must be columns
    of the table (else a 400 naming the property). Spatial literals are
    registered as query-scoped tokens for the Python SQL functions and released
    by :meth:`close`.
    """

    _SPATIAL_CONVERSE = {"within": "contains", "contains": "within"}

    def __init__(self, provider: GeoPackageProvider):
        self.provider = provider
        self.schema = provider.schema
        self.tokens: list[int] = []

    def close(self) -> None:
        for token in self.tokens:
            gpkg_functions.drop_literal(token)
        self.tokens.clear()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- names ------------------------------------------------------------------------

    def is_geometry_name(self, name: str) -> bool:
        return self.schema.geometry_column is not None and name in (
            "geometry", self.schema.geometry_column, self.provider.geom_field)

    def column(self, name: str) -> tuple[str, str]:
        """Quoted column and its type; unknown names are a 400 naming them."""
        if name in self.schema.columns:
            return quote(name), self.schema.columns[name]
        if self.is_geometry_name(name):
            return quote(self.schema.geometry_column), "geometry"
        known = ", ".join(sorted(self.schema.columns))
        raise _invalid_query(f"unknown property {name!r} in filter; queryable properties: {known}")

    # -- simple parameters ----------------------------------------------------------------

    def property_filters(self, properties) -> list[Frag]:
        frags = []
        for name, value in properties or []:
            col, kind = self.column(name)
            if kind == "geometry":
                raise _invalid_query(f"property {name!r} cannot be compared with a value")
            frags.append(Frag(f"{col} = ?", [self.query_value(name, kind, value)]))
        return frags

    @staticmethod
    def query_value(name: str, kind: str, value):
        """A query-string value (always text) as the column's type."""
        text = str(value).strip()
        try:
            if kind == "integer":
                return _sqlite_number(int(text))
            if kind == "real":
                return float(text)
            if kind == "boolean":
                lowered = text.lower()
                if lowered in ("true", "1", "yes"):
                    return 1
                if lowered in ("false", "0", "no"):
                    return 0
                raise ValueError("expected true or false")
            if kind == "date":
                return format_date(text)
            if kind == "datetime":
                return format_datetime(text)
        except ValueError as err:
            raise _invalid_query(f"invalid value {value!r} for property {name!r} ({kind}): {err}") from None
        return text

    def bbox_geometry(self, bbox):
        """The bbox parameter (in pygeoapi's storage CRS) as a box in the file's CRS, or None."""
        if not bbox:
            return None
        if self.schema.geometry_column is None:
            raise _invalid_query("this collection has no geometry; bbox is not applicable")
        coords = [float(v) for v in bbox]
        if len(coords) == 6:
            coords = [coords[0], coords[1], coords[3], coords[4]]
        if len(coords) != 4 or not all(math.isfinite(v) for v in coords):
            raise _invalid_query("bbox needs four (or six) finite numbers")
        minx, miny, maxx, maxy = coords
        if minx > maxx or miny > maxy:
            raise _invalid_query("bbox minimum is larger than its maximum")
        geom = shapely.box(minx, miny, maxx, maxy)
        api_crs, file_crs = self.provider.api_crs, self.schema.crs
        if file_crs is not None and api_crs != file_crs:
            box = _transformer(api_crs, file_crs, always_xy=True).transform_bounds(minx, miny, maxx, maxy)
            geom = shapely.box(*box)
        return geom

    def bbox_scan(self, geom) -> Frag:
        """The exact bbox test alone, without R-tree candidates (for a page read in storage order)."""
        return Frag(f"bgis_spatial({quote(self.schema.geometry_column)}, ?, ?)", ["intersects", self._token(geom)])

    def bbox_count(self, geom) -> int | None:
        """Rows intersecting a box, counted mostly in the R-tree; None when there is no R-tree.

        An R-tree envelope inside the box (rounded outwards, so the true one is
        inside too) means the geometry intersects: counted without reading the
        row. Only envelopes crossing the box edge need the exact test.
        """
        rtree = self.schema.rtree
        if rtree is None:
            return None
        minx, miny, maxx, maxy = geom.bounds
        inside = "minx >= ? AND maxx <= ? AND miny >= ? AND maxy <= ?"
        overlap = "minx <= ? AND maxx >= ? AND miny <= ? AND maxy >= ?"
        conn = self.provider.conn
        n_inside = conn.execute(f"SELECT count(*) FROM {rtree} WHERE {inside}", [minx, maxx, miny, maxy]).fetchone()[0]
        n_edge = conn.execute(
            f"SELECT count(*) FROM {quote(self.schema.table)} WHERE fid IN (SELECT id FROM {rtree} "
            f"WHERE {overlap} AND NOT ({inside})) AND bgis_spatial({quote(self.schema.geometry_column)}, ?, ?)",
            [maxx, minx, maxy, miny, minx, maxx, miny, maxy, "intersects", self._token(geom)]).fetchone()[0]
        return n_inside + n_edge

    def datetime_filter(self, datetime_) -> Frag | None:
        if datetime_ in (None, "", "../..", "../", "/.."):
            return None
        name = self.provider.time_field
        if not name:
            raise _invalid_query("this collection has no time field; datetime is not applicable")
        col, kind = self.column(name)
        text = str(datetime_).strip()
        if "/" in text:
            begin, end = (part.strip() for part in text.split("/", 1))
            frags = []
            if begin not in ("", ".."):
                frags.append(Frag(f"{col} >= ?", [self._instant(begin, kind, start=True)]))
            if end not in ("", ".."):
                frags.append(self._upper(col, kind, end))
            return _join("AND", frags) if frags else None
        return _join("AND", [Frag(f"{col} >= ?", [self._instant(text, kind, start=True)]),
                             self._upper(col, kind, text)])

    def _upper(self, col: str, kind: str, text: str) -> Frag:
        """Upper bound: a date-only value includes its whole day."""
        if kind == "datetime" and _is_date_only(text):
            day = _parse_instant(text) + timedelta(days=1)
            return Frag(f"{col} < ?", [format_datetime(day)])
        return Frag(f"{col} <= ?", [self._instant(text, kind, start=False)])

    @staticmethod
    def _instant(text: str, kind: str, start: bool) -> str:
        try:
            moment = _parse_instant(text)
        except ValueError:
            raise _invalid_query(f"invalid datetime {text!r}; use RFC 3339, e.g. 2024-05-01T12:00:00Z") from None
        return format_date(moment) if kind == "date" else format_datetime(moment)

    def text_search(self, q) -> Frag | None:
        """Free text: comma-separated alternatives, each a set of words that must all occur."""
        if not q or not str(q).strip():
            return None
        columns = self.schema.text_columns
        if not columns:
            return Frag("0")
        alternatives = []
        for alternative in str(q).split(","):
            words = alternative.split()
            if not words:
                continue
            word_frags = []
            for word in words:
                if word.isascii():  # SQLite LIKE folds ASCII case; C speed
                    pattern = f"%{_escape_like(word)}%"
                    word_frags.append(_join("OR", [Frag(f"{quote(c)} LIKE ? ESCAPE '\\'", [pattern])
                                                   for c in columns]))
                else:  # Unicode case folding (Ä = ä) needs the Python function
                    word_frags.append(_join("OR", [Frag(f"bgis_contains_ci({quote(c)}, ?)", [word])
                                                   for c in columns]))
            alternatives.append(_join("AND", word_frags))
        return _join("OR", alternatives) if alternatives else None

    # -- CQL2 --------------------------------------------------------------------------------

    def cql(self, node) -> Frag | None:
        if node is None:
            return None
        return self.predicate(node)

    def predicate(self, node) -> Frag:
        if isinstance(node, ast.And):
            return _join("AND", [self.predicate(node.lhs), self.predicate(node.rhs)])
        if isinstance(node, ast.Or):
            return _join("OR", [self.predicate(node.lhs), self.predicate(node.rhs)])
        if isinstance(node, ast.Not):
            inner = self.predicate(node.sub_node)
            return Frag(f"(NOT {inner.sql})", inner.params)
        if isinstance(node, ast.Comparison):
            return self.comparison(node)
        if isinstance(node, ast.Between):
            return self.between(node)
        if isinstance(node, ast.Like):
            return self.like(node)
        if isinstance(node, ast.In):
            return self.in_(node)
        if isinstance(node, ast.IsNull):
            return self.is_null(node)
        if isinstance(node, ast.Exists):
            exists = isinstance(node.lhs, ast.Attribute) and (
                node.lhs.name in self.schema.columns or self.is_geometry_name(node.lhs.name))
            return Frag("1" if exists != node.not_ else "0")
        if isinstance(node, ast.Include):
            return Frag("0" if node.not_ else "1")
        if isinstance(node, ast.TemporalPredicate):
            return self.temporal(node)
        if isinstance(node, ast.SpatialComparisonPredicate):
            return self.spatial(node.op.value.lower(), node.lhs, node.rhs)
        if isinstance(node, ast.Relate):
            return self.spatial("relate", node.lhs, node.rhs, pattern=node.pattern)
        if isinstance(node, ast.SpatialDistancePredicate):
            return self.distance(node)
        if isinstance(node, ast.BBox):
            envelope = shapely.box(node.minx, node.miny, node.maxx, node.maxy)
            return self.spatial("intersects", node.lhs, envelope, crs=node.crs)
        if isinstance(node, ast.ArrayPredicate):
            raise _invalid_query("array operators (A_EQUALS, A_CONTAINS, …) are not supported")
        if isinstance(node, bool):
            return Frag("1" if node else "0")
        raise _invalid_query(f"unsupported filter expression: {type(node).__name__}")

    # scalar expressions ----------------------------------------------------------------------

    def expression(self, node, hint: str | None = None) -> tuple[Frag, str | None]:
        """SQL for a scalar expression and its column type (None for literals)."""
        if isinstance(node, ast.Attribute):
            col, kind = self.column(node.name)
            if kind == "geometry":
                raise _invalid_query(f"geometry property {node.name!r} can only be used in spatial predicates "
                                     "or IS NULL")
            return Frag(col), kind
        if isinstance(node, ast.Function):
            return self.function(node, hint)
        if isinstance(node, ast.Arithmetic):
            lhs, lkind = self.expression(node.lhs)
            rhs, rkind = self.expression(node.rhs)
            return Frag(f"({lhs.sql} {node.op.value} {rhs.sql})", lhs.params + rhs.params), lkind or rkind
        return Frag("?", [self.literal(node, hint)]), None

    def function(self, node: ast.Function, hint: str | None) -> tuple[Frag, str | None]:
        name = node.name.lower()
        if name in ("lower", "casei", "accenti") and len(node.arguments) == 1:
            arg = node.arguments[0]
            if isinstance(arg, str):
                fold = gpkg_functions.bgis_casefold if name != "accenti" else gpkg_functions.bgis_strip_accents
                return Frag("?", [fold(arg)]), None
            inner, kind = self.expression(arg, hint)
            sql_func = "bgis_strip_accents" if name == "accenti" else "bgis_casefold"
            return Frag(f"{sql_func}({inner.sql})", inner.params), kind
        raise _invalid_query(f"unsupported function {node.name!r} in filter")

    def literal(self, value, hint: str | None = None):
        """A CQL2 literal as a bound parameter value, typed to the column it is compared with."""
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, (int, float)):
            return _sqlite_number(value)
        if isinstance(value, datetime):
            return format_date(value) if hint == "date" else format_datetime(value)
        if isinstance(value, date):
            return format_datetime(value) if hint == "datetime" else value.isoformat()
        if isinstance(value, str):
            if hint in ("date", "datetime"):
                try:
                    return format_date(_parse_instant(value)) if hint == "date" else format_datetime(value)
                except ValueError:
                    return value
            return value
        if isinstance(value, (values.Geometry, values.Envelope)):
            raise _invalid_query("a geometry can only be used in a spatial predicate")
        if isinstance(value, (timedelta, time, values.Interval)):
            raise _invalid_query("durations, times and intervals are only allowed in temporal predicates")
        raise _invalid_query(f"unsupported literal {value!r} in filter")

    def comparison(self, node: ast.Comparison) -> Frag:
        lhs, lkind = self.expression(node.lhs)
        rhs, rkind = self.expression(node.rhs, hint=lkind)
        if rkind and not lkind:  # literal on the left: type it by the column on the right
            lhs, _ = self.expression(node.lhs, hint=rkind)
        return Frag(f"({lhs.sql} {node.op.value} {rhs.sql})", lhs.params + rhs.params)

    def between(self, node: ast.Between) -> Frag:
        lhs, kind = self.expression(node.lhs)
        low, _ = self.expression(node.low, hint=kind)
        high, _ = self.expression(node.high, hint=kind)
        neg = "NOT " if node.not_ else ""
        return Frag(f"({lhs.sql} {neg}BETWEEN {low.sql} AND {high.sql})", lhs.params + low.params + high.params)

    def in_(self, node: ast.In) -> Frag:
        lhs, kind = self.expression(node.lhs)
        if not node.sub_nodes:
            return Frag("1" if node.not_ else "0")
        items = [self.expression(item, hint=kind)[0] for item in node.sub_nodes]
        neg = "NOT " if node.not_ else ""
        return Frag(f"({lhs.sql} {neg}IN ({', '.join(i.sql for i in items)}))",
                    lhs.params + [p for i in items for p in i.params])

    def is_null(self, node: ast.IsNull) -> Frag:
        if isinstance(node.lhs, ast.Attribute):
            col, _ = self.column(node.lhs.name)
            lhs = Frag(col)
        else:
            lhs, _ = self.expression(node.lhs)
        return Frag(f"({lhs.sql} IS {'NOT ' if node.not_ else ''}NULL)", lhs.params)

    def like(self, node: ast.Like) -> Frag:
        lhs, _ = self.expression(node.lhs)
        pattern = node.pattern
        folded = isinstance(node.lhs, ast.Function) and node.lhs.name.lower() in ("lower", "casei")
        if isinstance(pattern, ast.Function):
            if pattern.name.lower() not in ("lower", "casei", "accenti") or len(pattern.arguments) != 1 \
                    or not isinstance(pattern.arguments[0], str):
                raise _invalid_query("LIKE needs a text pattern")
            frag, _ = self.function(pattern, None)
            pattern = frag.params[0]
        if not isinstance(pattern, str):
            raise _invalid_query("LIKE needs a text pattern")
        singlechar = node.singlechar
        if (node.wildcard, singlechar, node.escapechar) == ("%", ".", "\\"):
            # pygeofilter's CQL2 parsers label the single-character wildcard '.',
            # but CQL2 defines it as '_' ('.' is a plain character).
            singlechar = "_"
        if node.nocase and not folded:
            lhs = Frag(f"bgis_casefold({lhs.sql})", lhs.params)
            pattern = gpkg_functions.bgis_casefold(pattern)
        glob = like_to_glob(pattern, node.wildcard, singlechar, node.escapechar)
        neg = "NOT " if node.not_ else ""
        return Frag(f"({neg}{lhs.sql} GLOB ?)", lhs.params + [glob])

    # temporal --------------------------------------------------------------------------------

    def temporal(self, node: ast.TemporalPredicate) -> Frag:
        if not isinstance(node.lhs, ast.Attribute):
            raise _invalid_query("temporal predicates need a date or datetime property on the left")
        col, kind = self.column(node.lhs.name)
        if kind not in ("date", "datetime"):
            raise _invalid_query(f"property {node.lhs.name!r} is not a date or datetime")
        rhs = node.rhs
        if isinstance(rhs, values.Interval):
            start = None if rhs.start in (None, "..") else self.literal(rhs.start, kind)
            end = None if rhs.end in (None, "..") else self.literal(rhs.end, kind)
        elif isinstance(rhs, (date, datetime, str)):
            start = end = self.literal(rhs, kind)
        else:
            raise _invalid_query("temporal predicates compare with a date, timestamp or interval")
        op = node.op.value
        if (op == "AFTER" and end is None) or (op == "BEFORE" and start is None):
            return Frag("0")  # nothing is after (before) an interval open at that end
        conditions = {
            "AFTER": [(">", end)],
            "BEFORE": [("<", start)],
            "TEQUALS": [("=", start)] if start == end else None,
            "DURING": [(">", start), ("<", end)],
            "TOVERLAPS": [(">=", start), ("<=", end)],  # T_INTERSECTS of an instant and an interval
            "DISJOINT": "disjoint",
            "BEFORE OR DURING": [("<=", end)],
            "DURING OR AFTER": [(">=", start)],
        }.get(op)
        if conditions == "disjoint":
            parts = [Frag(f"({col} < ?)", [start])] if start is not None else []
            parts += [Frag(f"({col} > ?)", [end])] if end is not None else []
            return _join("OR", parts) if parts else Frag("0")
        if not conditions:
            raise _invalid_query(f"temporal operator {op} is not supported for instant properties")
        parts = [Frag(f"({col} {cmp} ?)", [value]) for cmp, value in conditions if value is not None]
        return _join("AND", [Frag(f"({col} IS NOT NULL)"), *parts])

    # spatial ------------------------------------------------------------------------------------

    def spatial(self, op: str, lhs, rhs, pattern: str | None = None, crs: str | None = None) -> Frag:
        lhs_geom, rhs_geom = self._is_geometry_attribute(lhs), self._is_geometry_attribute(rhs)
        if lhs_geom and not rhs_geom:
            literal = self.literal_geometry(rhs, crs)
        elif rhs_geom and not lhs_geom:
            literal = self.literal_geometry(lhs, crs)
            op = self._SPATIAL_CONVERSE.get(op, op)
            if op == "relate":
                pattern = _transpose_de9im(pattern)
        elif not lhs_geom and not rhs_geom:
            a, b = self.literal_geometry(lhs, crs), self.literal_geometry(rhs, crs)
            result = shapely.relate_pattern(a, b, pattern) if op == "relate" else getattr(shapely, op)(a, b)
            return Frag("1" if result else "0")
        else:
            raise _invalid_query("spatial predicates compare the geometry with a literal geometry")
        if op == "relate":
            return self._indexed(literal, op, Frag(f"bgis_relate({quote(self.schema.geometry_column)}, ?, ?)",
                                                   [self._token(literal), pattern]), prefilter=False)
        return self.spatial_test(op, literal)

    def spatial_test(self, op: str, literal, distance: float = 0.0) -> Frag:
        geom = quote(self.schema.geometry_column)
        if op == "dwithin":
            exact = Frag(f"bgis_dwithin({geom}, ?, ?)", [self._token(literal), distance])
        else:
            exact = Frag(f"bgis_spatial({geom}, ?, ?)", [op, self._token(literal)])
        return self._indexed(literal, op, exact, prefilter=op != "disjoint", grow=distance)

    def _indexed(self, literal, op: str, exact: Frag, prefilter: bool, grow: float = 0.0) -> Frag:
        """R-tree candidates AND the exact test; predicates that imply envelope overlap only."""
        if not prefilter or self.schema.rtree is None or literal.is_empty:
            return exact
        minx, miny, maxx, maxy = literal.bounds
        candidates = Frag(f"fid IN (SELECT id FROM {self.schema.rtree} "
                          "WHERE minx <= ? AND maxx >= ? AND miny <= ? AND maxy >= ?)",
                          [maxx + grow, minx - grow, maxy + grow, miny - grow])
        return _join("AND", [candidates, exact])

    def distance(self, node: ast.SpatialDistancePredicate) -> Frag:
        units = (node.units or "meters").lower()
        crs = self.schema.crs
        metric = crs is not None and crs.is_projected and all(
            (axis.unit_name or "").lower() in ("metre", "meter") for axis in crs.axis_info)
        if units not in ("m", "meter", "meters", "metre", "metres") or not metric:
            raise _invalid_query("distance predicates need metres and a projected storage CRS")
        if not self._is_geometry_attribute(node.lhs):
            raise _invalid_query("distance predicates need the geometry property first")
        literal = self.literal_geometry(node.rhs)
        frag = self.spatial_test("dwithin", literal, distance=float(node.distance))
        if node.op.value == "BEYOND":
            return Frag(f"(NOT {frag.sql})", frag.params)
        return frag

    def _is_geometry_attribute(self, node) -> bool:
        if isinstance(node, ast.Attribute):
            if self.is_geometry_name(node.name):
                return True
            self.column(node.name)  # unknown name: 400 naming it
            raise _invalid_query(f"property {node.name!r} is not a geometry")
        return False

    def literal_geometry(self, value, crs: str | None = None):
        """A filter geometry as shapely, valid, in the file's CRS."""
        if isinstance(value, values.Envelope):
            # pygeofilter 0.4 builds CQL2 JSON {"bbox": [minx, miny, maxx, maxy]} as
            # Envelope(*bbox), so its fields x1, x2, y1, y2 hold minx, miny, maxx, maxy.
            geom, source = shapely.box(value.x1, value.x2, value.y1, value.y2), crs
        elif isinstance(value, ast.Function) and value.name.lower() == "bbox" and len(value.arguments) in (4, 6):
            args = [float(a) for a in value.arguments]
            args = args if len(args) == 4 else [args[0], args[1], args[3], args[4]]
            geom, source = shapely.box(*args), crs
        elif isinstance(value, values.Geometry):
            try:
                geom = shapely.geometry.shape(value.geometry)
            except Exception as err:  # noqa: BLE001 — shapely raises several types for malformed input; all are a 400
                raise _invalid_query(f"invalid geometry in filter: {err}") from None
            source = (value.geometry.get("crs") or {}).get("properties", {}).get("name") or crs
        elif isinstance(value, shapely.Geometry):
            geom, source = value, crs
        else:
            raise _invalid_query("spatial predicates need a geometry literal")
        if not np.isfinite(shapely.get_coordinates(geom)).all():
            raise _invalid_query("coordinates in filters must be finite numbers")
        if not geom.is_valid:
            geom = shapely.make_valid(geom)
        return self.to_file_crs(geom, source)

    def to_file_crs(self, geom, source: str | None):
        """Transform a filter geometry. Without a CRS: CRS84 (the CQL2 default), unless the
        coordinates cannot be longitude/latitude; then the storage CRS is assumed (pygeoapi
        transforms geometry literals, but not envelopes given with another filter-crs)."""
        file_crs = self.schema.crs
        if file_crs is None:
            return geom
        if source:
            source_crs = _crs_from_uri(source)
            if source_crs is None:
                raise _invalid_query(f"unknown CRS {source!r} in filter")
        else:
            source_crs = CRS84 if _looks_lonlat(geom) else self.provider.api_crs
        if source_crs == file_crs:
            return geom
        return _transform_geometries(np.array([geom]), _transformer(source_crs, file_crs))[0]

    def _token(self, geom) -> int:
        token = gpkg_functions.add_literal(geom)
        self.tokens.append(token)
        return token


def _sqlite_number(value: int | float) -> int | float:
    """A filter number SQLite can bind: finite; an integer beyond 64 bits compares as a real."""
    if isinstance(value, float) and not math.isfinite(value):
        raise _invalid_query("numbers in filters must be finite")
    if isinstance(value, int) and not -2 ** 63 <= value < 2 ** 63:
        try:
            return float(value)
        except OverflowError:
            raise _invalid_query("numbers in filters must be finite") from None
    return value


def _crs_from_uri(uri: str) -> pyproj.CRS | None:
    """A CRS from an OGC URI or URN (pygeoapi's parser) or a short form like ``EPSG:25832``."""
    try:
        return get_crs(uri)
    except (pyproj.exceptions.CRSError, ValueError):  # pygeoapi's answer to forms it does not parse
        pass
    try:
        return pyproj.CRS.from_user_input(uri)
    except pyproj.exceptions.CRSError:
        return None


def _transpose_de9im(pattern: str | None) -> str | None:
    """DE-9IM pattern for relate(b, a) from relate(a, b)."""
    if pattern is None or len(pattern) != 9:
        return pattern
    return "".join(pattern[i] for i in (0, 3, 6, 1, 4, 7, 2, 5, 8))


def _is_date_only(text: str) -> bool:
    return re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()) is not None


def _parse_instant(text) -> datetime:
    """RFC 3339 date or date-time; naive values are UTC."""
    if isinstance(text, datetime):
        moment = text
    elif isinstance(text, date):
        moment = datetime(text.year, text.month, text.day)
    else:
        moment = datetime.fromisoformat(str(text).strip())
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


# -- the provider -----------------------------------------------------------------------------------


class GeoPackageProvider(BaseProvider):
    """OGC API Features provider over one table of a GeoPackage file."""

    def __init__(self, provider_def: dict):
        super().__init__(provider_def)
        install_json_passthrough()  # pygeoapi writes this provider's pages as the text they are
        self.path = os.path.abspath(os.path.expanduser(os.fspath(self.data)))
        self.table = provider_def.get("table")
        if not self.table:
            raise ProviderConnectionError("GeoPackageProvider needs 'table' in its configuration")
        self.id_field = provider_def.get("id_field") or "id"
        self.editable = str2bool(provider_def.get("editable", False))
        self.count = str2bool(provider_def.get("count", True))
        self.api_crs = self.storage_crs  # the CRS pygeoapi assumes for bbox input and crs output
        self.schema = table_schema(self.path, self.table, create_epsg=_epsg_of(self.storage_crs))
        self.geom_field = provider_def.get("geom_field") or self.schema.geometry_column
        if self.id_field not in self.schema.columns:
            raise ProviderConnectionError(f"id_field {self.id_field!r} is not a column of {self.table}")
        if self.time_field and self.schema.columns.get(self.time_field) not in ("date", "datetime"):
            raise ProviderConnectionError(f"time_field {self.time_field!r} is not a date/datetime column "
                                          f"of {self.table}")
        unknown = set(self.properties or []) - set(self.schema.columns)
        if unknown:
            raise ProviderConnectionError(f"configured properties not in {self.table}: {sorted(unknown)}")
        # pygeoapi adds keys (x-ogc-role) to these dicts: a copy per instance.
        self._fields = deepcopy(self.schema.fields)
        if self.schema.crs is not None and self.api_crs != self.schema.crs:
            LOGGER.warning("%s: storage_crs %s differs from the file's CRS %s; transforming",
                           self.table, self.api_crs.name, self.schema.crs.name)

    def __repr__(self):
        return f"<GeoPackageProvider> {self.path}:{self.table}"

    @property
    def conn(self) -> sqlite3.Connection:
        return connection_for(self.path)

    # -- metadata ----------------------------------------------------------------------------

    def get_fields(self) -> dict:
        return self._fields

    def exposed_columns(self) -> list[str]:
        """Columns served as properties (config ``properties`` restricts them)."""
        if self.properties:
            return [c for c in self.schema.columns if c in self.properties]
        return list(self.schema.columns)

    def get_schema(self, schema_type: SchemaType = SchemaType.item):
        """JSON Schema of request bodies (create/replace) for pygeoapi's OpenAPI document.

        For ``SchemaType.item`` this raises NotImplementedError on purpose:
        pygeoapi 0.24 would put it into the item response object without the
        ``description`` OpenAPI 3.0 requires, making the whole document invalid
        (pygeoapi catches the error and keeps its valid default). The item
        schema is available from :meth:`feature_schema`.
        """
        if schema_type == SchemaType.item:
            raise NotImplementedError("item schema: see feature_schema()")
        return self.feature_schema(schema_type)

    def feature_schema(self, schema_type: SchemaType = SchemaType.item) -> tuple[str, dict]:
        """``(media type, JSON Schema)`` of a GeoJSON feature of this collection."""
        props = {name: deepcopy(self.schema.fields[name]) for name in self.exposed_columns()}
        schema = {
            "type": "object",
            "title": self.table,
            "required": ["type", "geometry", "properties"],
            "properties": {
                "type": {"type": "string", "enum": ["Feature"]},
                "id": {"type": "string"},
                "geometry": {"type": "object", "description": "GeoJSON geometry, "
                             + (self.schema.geometry_type or "none") + " (CRS84 longitude/latitude)"},
                "properties": {"type": "object", "properties": props, "additionalProperties": False},
            },
        }
        if schema_type == SchemaType.item:
            schema["required"].append("id")
        return "application/geo+json", schema

    # -- reading ---------------------------------------------------------------------------------

    def query(self, offset=0, limit=10, resulttype="results", bbox=None, datetime_=None, properties=None,
              sortby=None, select_properties=None, skip_geometry=False, q=None, filterq=None,
              crs_transform_spec=None, **kwargs):
        # pygeoapi's signature has [] defaults; None here, and an empty list for each left out
        bbox, properties = bbox or [], properties or []
        sortby, select_properties = sortby or [], select_properties or []
        # literals typed as their property, and what PostGIS cannot answer refused: the same answer on both
        filterq = prepare_filter(filterq, self._fields)
        offset = max(int(offset or 0), 0)
        if offset > _SQLITE_MAX_INT or int(limit or 0) > _SQLITE_MAX_INT:
            raise _invalid_query(f"offset and limit must be below {_SQLITE_MAX_INT + 1}")
        limit = 10 if limit is None else max(int(limit), 0)
        with FilterCompiler(self) as compiler:
            box = compiler.bbox_geometry(bbox)
            others = [f for f in (*compiler.property_filters(properties), compiler.datetime_filter(datetime_),
                                  compiler.text_search(q), compiler.cql(filterq)) if f is not None]
            indexed = [compiler.spatial_test("intersects", box)] if box is not None else []
            where = _join("AND", indexed + others) if indexed or others else Frag("1")

            def count() -> int:
                if box is not None and not others:  # bbox only: count in the R-tree
                    fast = compiler.bbox_count(box)
                    if fast is not None:
                        return fast
                return self._count(where)

            if resulttype == "hits":
                return self._collection([], count())
            names = self._output_columns(select_properties)
            page_where = where
            if box is not None and not sortby and self._scan_is_cheaper(box, offset + limit):
                page_where = _join("AND", [compiler.bbox_scan(box), *others])
            features = self._fetch(names, page_where, self._order_by(sortby), limit, offset, skip_geometry,
                                   crs_transform_spec, as_text=True)
            matched = None
            if self.count:
                returned = len(features)
                if returned < limit and (returned > 0 or offset == 0):
                    matched = offset + returned  # a short page tells the total, no count query
                else:
                    matched = count()
        return self._collection(features, matched)

    def _scan_is_cheaper(self, box, rows_needed: int) -> bool:
        """Read a bbox page in storage order, testing rows, instead of collecting all R-tree candidates?

        Collecting costs about one unit per candidate (share ``s`` of the
        table's extent times its ``n`` rows); scanning about four units per row
        read, ``rows_needed / s`` of them. So scan when ``s² · n > 4 · rows_needed``:
        a box covering much of a large table.
        """
        row = self._execute("SELECT min_x, min_y, max_x, max_y FROM gpkg_contents WHERE table_name = ?",
                            [self.table])
        if not row or row[0][0] is None:
            return False
        extent = shapely.box(*row[0])
        if extent.area <= 0:
            return False
        share = shapely.intersection(extent, box).area / extent.area
        rows = self._execute(f"SELECT max(fid) FROM {quote(self.table)}", [])[0][0] or 0
        return share * share * rows > 4 * rows_needed

    @staticmethod
    def _collection(features: list, matched: int | None) -> dict:
        out = {"type": "FeatureCollection", "features": features}
        if matched is not None:
            out["numberMatched"] = matched
        out["numberReturned"] = len(features)
        return out

    def _count(self, where: Frag) -> int:
        sql = f"SELECT count(*) FROM {quote(self.table)} WHERE {where.sql}"
        return self._execute(sql, where.params)[0][0]

    def _execute(self, sql: str, params) -> list[tuple]:
        try:
            return self.conn.execute(sql, params).fetchall()
        except sqlite3.Error as err:
            LOGGER.error("%s: query failed: %s -- %s", self.table, err, sql)
            raise ProviderQueryError(f"query on {self.table} failed: {err}") from err

    def _output_columns(self, select_properties) -> list[str]:
        exposed = self.exposed_columns()
        if not select_properties:
            return exposed
        unknown = [p for p in select_properties if p not in self.schema.columns]
        if unknown:
            raise _invalid_query(f"unknown properties {unknown}; known: {', '.join(exposed)}")
        return [c for c in dict.fromkeys(select_properties) if c in exposed]

    def _order_by(self, sortby) -> str:
        parts = []
        for item in sortby or []:
            name = item.get("property")
            if name not in self.schema.columns:
                raise _invalid_query(f"cannot sort by unknown property {name!r}")
            # NULLs last in both directions, as on PostGIS (SQLite puts them first when ascending)
            parts.append(f"{quote(name)} {'DESC' if item.get('order') == '-' else 'ASC'} NULLS LAST")
        parts.append("fid ASC")  # stable pages
        return ", ".join(parts)

    def _fetch(self, names, where: Frag, order: str, limit: int, offset: int, skip_geometry: bool,
               crs_transform_spec, as_text: bool = False) -> list[dict] | RawFeatures:
        with_geometry = not skip_geometry and self.schema.geometry_column is not None
        select = [quote(self.id_field), *(quote(n) for n in names)]
        if with_geometry:
            select.append(quote(self.schema.geometry_column))
        sql = (f"SELECT {', '.join(select)} FROM {quote(self.table)} WHERE {where.sql} "
               f"ORDER BY {order} LIMIT ? OFFSET ?")
        rows = self._execute(sql, [*where.params, limit, offset])
        if as_text:
            return self._features_text(rows, names, with_geometry, crs_transform_spec)
        return self._features(rows, names, with_geometry, crs_transform_spec)

    def _features_text(self, rows: list[tuple], names: list[str], with_geometry: bool,
                       crs_transform_spec) -> RawFeatures:
        """The page as JSON text (:mod:`providers.passthrough`): GEOS writes the geometries, and nothing
        is parsed and written again (json.loads + json.dumps of the coordinates took half the page)."""
        geometries = self._geometry_texts([r[-1] for r in rows], crs_transform_spec) if with_geometry \
            else ["null"] * len(rows)
        dumps = json.JSONEncoder(default=json_serial, separators=(",", ":")).encode
        parts = [f'{{"type":"Feature","id":{dumps(row[0])},"geometry":{geometry},"properties":{dumps(properties)}}}'
                 for row, properties, geometry in zip(rows, self._properties(rows, names), geometries, strict=True)]
        return RawFeatures("[" + ",".join(parts) + "]", len(parts))

    def _features(self, rows: list[tuple], names: list[str], with_geometry: bool, crs_transform_spec) -> list[dict]:
        geometries = self._geometries([r[-1] for r in rows], crs_transform_spec) if with_geometry \
            else [None] * len(rows)
        return [{"type": "Feature", "id": row[0], "geometry": geometry, "properties": properties}
                for row, properties, geometry in zip(rows, self._properties(rows, names), geometries, strict=True)]

    def _properties(self, rows: list[tuple], names: list[str]):
        """Each row's properties (the columns after the id), booleans and JSON as Python values."""
        convert = [(i, self.schema.columns[n]) for i, n in enumerate(names)
                   if self.schema.columns[n] in ("boolean", "json")]
        for row in rows:
            values_ = list(row[1:1 + len(names)])
            for i, kind in convert:
                values_[i] = from_sql_value(kind, values_[i])
            yield dict(zip(names, values_, strict=True))

    def _geometries(self, blobs: list, crs_transform_spec) -> list[dict | None]:
        return _geojson(self._output_geometries(blobs, crs_transform_spec))

    def _geometry_texts(self, blobs: list, crs_transform_spec) -> list[str]:
        geoms = self._output_geometries(blobs, crs_transform_spec)
        if not len(geoms):
            return []
        return ["null" if t is None else t for t in shapely.to_geojson(geoms).tolist()]

    def _output_geometries(self, blobs: list, crs_transform_spec) -> np.ndarray:
        """The rows' geometries, decoded and in the output CRS."""
        try:
            geoms = gpkg_functions.decode(blobs)
        except (gpkg_functions.GeoPackageBlobError, shapely.errors.GEOSException) as err:
            raise ProviderQueryError(f"{self.table}: unreadable geometry: {err}") from err
        transformer = self._output_transformer(crs_transform_spec)
        if transformer is not None and len(geoms):
            geoms = _transform_geometries(geoms, transformer)
        return geoms

    def _output_transformer(self, crs_transform_spec) -> pyproj.Transformer | None:
        """File CRS -> the requested CRS (Part 2), with pygeoapi's axis-order rule (always_xy from config)."""
        source = self.schema.crs
        if source is None:
            return None
        if crs_transform_spec is not None:
            target = _crs_from_wkt(crs_transform_spec.target_crs_wkt)
            always_xy = bool(crs_transform_spec.always_xy)
        elif self.api_crs != source:
            target, always_xy = self.api_crs, False
        else:
            return None
        if target == source:
            return None
        return _transformer(source, target, always_xy)

    def get(self, identifier, crs_transform_spec=None, **kwargs):
        names = self.exposed_columns()
        with_geometry = self.schema.geometry_column is not None
        select = [quote(self.id_field), *(quote(n) for n in names)]
        if with_geometry:
            select.append(quote(self.schema.geometry_column))
        rows = self._execute(f"SELECT {', '.join(select)}, fid FROM {quote(self.table)} "
                             f"WHERE {quote(self.id_field)} = ?", [str(identifier)])
        if not rows:
            msg = f"no item {identifier!r} in {self.table}"
            raise ProviderItemNotFoundError(msg, user_msg=msg)
        fid = rows[0][-1]
        feature = self._features([rows[0][:-1]], names, with_geometry, crs_transform_spec)[0]
        # Neighbours in storage order, as pygeoapi's SQL providers report them (prev/next links).
        prev = self._execute(f"SELECT {quote(self.id_field)} FROM {quote(self.table)} WHERE fid < ? "
                             "ORDER BY fid DESC LIMIT 1", [fid])
        nxt = self._execute(f"SELECT {quote(self.id_field)} FROM {quote(self.table)} WHERE fid > ? "
                            "ORDER BY fid ASC LIMIT 1", [fid])
        feature["prev"] = prev[0][0] if prev else feature["id"]
        feature["next"] = nxt[0][0] if nxt else feature["id"]
        return feature

    # -- writing ------------------------------------------------------------------------------------

    def create(self, item, content_crs: str | None = None):
        """Store a new feature; returns its id (``uuid4`` when the feature has none)."""
        self._require_editable()
        identifier, feature = self._load(item, identifier=None, creating=True)
        identifier = _identifier(identifier) if identifier is not None else str(uuid.uuid4())
        names, row, box = self._row(feature, identifier, content_crs)
        sql = (f"INSERT INTO {quote(self.table)} ({', '.join(quote(n) for n in names)}) "
               f"VALUES ({', '.join('?' * len(names))})")
        try:
            with write_transaction(self.conn) as conn:
                conn.execute(sql, row)
                touch_contents(conn, self.table, box)
        except sqlite3.IntegrityError as err:
            raise FeatureConflictError(f"an item with id {identifier!r} exists already in {self.table}") from err
        except sqlite3.Error as err:
            raise ProviderQueryError(f"writing to {self.table} failed: {err}") from err
        return identifier

    def update(self, identifier, item, content_crs: str | None = None):
        """Replace a feature (OGC API Features Part 4 PUT): properties left out become null."""
        self._require_editable()
        identifier = _identifier(identifier)
        _, feature = self._load(item, identifier=identifier, creating=False)
        names, row, box = self._row(feature, identifier, content_crs)
        assignments = ", ".join(f"{quote(n)} = ?" for n in names if n != self.id_field)
        params = [v for n, v in zip(names, row, strict=True) if n != self.id_field]
        try:
            with write_transaction(self.conn) as conn:
                changed = conn.execute(f"UPDATE {quote(self.table)} SET {assignments} "
                                       f"WHERE {quote(self.id_field)} = ?", [*params, identifier]).rowcount
                if not changed:
                    msg = f"no item {identifier!r} in {self.table}"
                    raise ProviderItemNotFoundError(msg, user_msg=msg)
                touch_contents(conn, self.table, box)
        except sqlite3.Error as err:
            raise ProviderQueryError(f"writing to {self.table} failed: {err}") from err
        return True

    def delete(self, identifier):
        self._require_editable()
        try:
            with write_transaction(self.conn) as conn:
                deleted = conn.execute(f"DELETE FROM {quote(self.table)} WHERE {quote(self.id_field)} = ?",
                                       [str(identifier)]).rowcount
                if deleted:
                    touch_contents(conn, self.table, None)
        except sqlite3.Error as err:
            raise ProviderQueryError(f"deleting from {self.table} failed: {err}") from err
        if not deleted:
            msg = f"no item {identifier!r} in {self.table}"
            raise ProviderItemNotFoundError(msg, user_msg=msg)
        return True

    def _require_editable(self) -> None:
        if not self.editable:
            raise InvalidFeatureError(f"collection {self.table} is not editable")

    def _load(self, item, identifier, creating: bool) -> tuple[str | None, dict]:
        """Parse and check the body; pygeoapi's helper finds the id and refuses existing ones on create."""
        if isinstance(item, dict):
            item = json.dumps(item)
        try:
            data = json.loads(item)
        except (TypeError, ValueError):
            raise InvalidFeatureError("the body is not valid JSON") from None
        if not isinstance(data, dict) or data.get("type") != "Feature":
            raise InvalidFeatureError('the body must be a GeoJSON Feature ({"type": "Feature", …})')
        if not isinstance(data.get("properties", {}), (dict, type(None))):
            raise InvalidFeatureError("'properties' must be an object")
        data.setdefault("properties", {})
        if data["properties"] is None:
            data["properties"] = {}
        body_id = data.get("id")
        if identifier is not None and body_id is not None and str(body_id) != str(identifier):
            raise InvalidFeatureError(f"the feature's id {body_id!r} differs from the item {identifier!r} "
                                      "it replaces")
        try:
            found, data = self._load_and_prepare_item(json.dumps(data), identifier=identifier,
                                                      accept_missing_identifier=creating,
                                                      raise_if_exists=creating)
        except ProviderInvalidDataError as err:
            message = err.message if err.user_msg else str(err)
            if "already exists" in message:
                raise FeatureConflictError(f"an item with id {data.get('id')!r} exists already in "
                                           f"{self.table}") from None
            raise InvalidFeatureError(message) from None
        return found, data

    def _row(self, feature: dict, identifier: str, content_crs: str | None) -> tuple[list[str], list, tuple | None]:
        """Column names, values and the storage-CRS bounds for a validated feature."""
        props = dict(feature.get("properties") or {})
        if "identifier" in props and "identifier" not in self.schema.columns:
            props.pop("identifier")  # pygeoapi's alternative id location
        unknown = sorted(set(props) - set(self.schema.columns))
        if unknown:
            raise InvalidFeatureError(f"unknown properties {unknown} for {self.table}; allowed: "
                                      f"{', '.join(c for c in self.schema.columns)}")
        if self.id_field in props and props[self.id_field] is not None and str(props[self.id_field]) != identifier:
            raise InvalidFeatureError(f"properties.{self.id_field} {props[self.id_field]!r} differs from the "
                                      f"feature id {identifier!r}")
        names, row = [], []
        for name, kind in self.schema.columns.items():
            if name == self.id_field:
                value = identifier
            else:
                try:
                    value = to_sql_value(kind, props.get(name), strict=True)
                except ValueError as err:
                    raise InvalidFeatureError(f"property {name!r} ({kind}): {err}") from None
            names.append(name)
            row.append(value)
        box = None
        if self.schema.geometry_column is not None:
            geom = self._geometry(feature, content_crs)
            minx, miny, maxx, maxy = geom.bounds
            box = (minx, miny, maxx, maxy)
            names.append(self.schema.geometry_column)
            row.append(gpkg_functions.encode_one(geom, self.schema.srs_id or 0))
        return names, row, box

    def _geometry(self, feature: dict, content_crs: str | None):
        """The feature's geometry: parsed, checked, transformed to the file CRS, valid, of the layer's type."""
        data = feature.get("geometry")
        if data is None:
            raise InvalidFeatureError(f"a geometry is required ({self.schema.geometry_type})")
        if not isinstance(data, dict) or "type" not in data:
            raise InvalidFeatureError("'geometry' must be a GeoJSON geometry object")
        try:
            geom = shapely.geometry.shape(data)
        except Exception as err:  # noqa: BLE001 — shapely raises several types for malformed GeoJSON; all are a 400
            raise InvalidFeatureError(f"invalid GeoJSON geometry: {err}") from None
        if geom.is_empty:
            raise InvalidFeatureError("the geometry is empty")
        geom = shapely.force_2d(geom)
        coords = shapely.get_coordinates(geom)
        if not np.isfinite(coords).all():
            raise InvalidFeatureError("the geometry has non-finite coordinates")
        source = self._content_crs(feature, content_crs)
        if source == CRS84 and not _looks_lonlat(geom):
            raise InvalidFeatureError("coordinates are outside longitude/latitude ranges: GeoJSON is CRS84 "
                                      "(lon/lat) unless a Content-Crs says otherwise")
        target = self.schema.crs
        if target is not None and source != target:
            geom = _transform_geometries(np.array([geom]), _transformer(source, target))[0]
        return self._conformed(geom)

    def _content_crs(self, feature: dict, content_crs: str | None) -> pyproj.CRS:
        legacy = (feature.get("crs") or {}).get("properties", {}).get("name") if isinstance(
            feature.get("crs"), dict) else None
        uri = content_crs or legacy
        if not uri:
            return CRS84
        crs = _crs_from_uri(str(uri).strip().strip("<>"))
        if crs is None:
            raise InvalidFeatureError(f"unknown CRS {uri!r}")
        return crs

    def _conformed(self, geom):
        expected = self.schema.geometry_type or "GEOMETRY"
        fitted = self._fit(geom, expected)
        if fitted is None:
            raise InvalidFeatureError(f"wrong geometry type {geometry_type_name(geom)}: {self.table} stores "
                                      f"{expected}")
        if fitted.is_valid:
            return fitted
        reason = shapely.is_valid_reason(fitted)
        polygonal = fitted.geom_type in ("Polygon", "MultiPolygon")
        try:
            repaired = shapely.make_valid(fitted, method="structure", keep_collapsed=False) if polygonal \
                else shapely.make_valid(fitted)
        except shapely.errors.GEOSException:  # GEOS gives up on some inputs (mixed-dimension overlay)
            repaired = None
        repaired = self._fit(repaired, expected) if repaired is not None and not repaired.is_empty else None
        if repaired is None or not repaired.is_valid:
            raise InvalidFeatureError(f"invalid geometry ({reason}) that cannot be repaired into a {expected}")
        LOGGER.info("%s: repaired an invalid geometry (%s)", self.table, reason)
        return repaired

    @staticmethod
    def _fit(geom, expected: str):
        fitted, bad = conform_geometry_types(np.array([geom], dtype=object), expected)
        return None if bad[0] else fitted[0]


def _identifier(value) -> str:
    """Feature ids are path segments: non-empty text without '/' or control characters."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InvalidFeatureError("the feature id must be a string")
    text = str(value)
    if not text or len(text) > 256 or "/" in text or any(ord(c) < 32 for c in text):
        raise InvalidFeatureError("the feature id must be 1-256 characters without '/' or control characters")
    return text


_EPSG_CODES: dict[str, int | None] = {}


def _epsg_of(crs: pyproj.CRS) -> int | None:
    """The EPSG code of a projected storage CRS (None for 4326/CRS84 or none), looked up once per process.

    ``pyproj.CRS.to_epsg`` searches proj.db: ~15 ms in a thread that has not used PROJ
    yet, which under the dev server is every request (see ``providers.postgis.storage_srid``).
    """
    key = crs.srs
    if key not in _EPSG_CODES:
        try:
            code = crs.to_epsg()
        except pyproj.exceptions.CRSError:
            code = None
        _EPSG_CODES[key] = code if code and code != 4326 else None
    return _EPSG_CODES[key]


__all__ = [
    "FeatureConflictError",
    "FilterCompiler",
    "GeoPackageProvider",
    "InvalidFeatureError",
    "close_connections",
    "connection_for",
    "like_to_glob",
    "table_schema",
]
