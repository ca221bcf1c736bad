"""CQL2 (a pygeofilter AST) and the simple query parameters compiled to parameterised SQLite.

Pure: a :class:`~providers.geopackage_tables.TableSchema` and an AST in, a
:class:`Frag` (SQL text and its bound parameters) out; no file is needed except for
:meth:`FilterCompiler.bbox_count`, which counts in the R-tree. Values only ever become
bound parameters; property names must be columns of the table (else a 400 naming the
property). Spatial literals become query-scoped tokens for the Python SQL functions of
``store/gpkg_functions.py`` (the exact shapely test behind the R-tree's candidates) and
are released by :meth:`FilterCompiler.close`.
"""

from __future__ import annotations

import math
import re
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import pyproj
import shapely
import shapely.geometry
from pygeoapi.provider.base import ProviderInvalidQueryError
from pygeofilter import ast, values

from intake.geometry import CRS84, crs_from_uri
from providers.geopackage_tables import TableSchema, transform_geometries
from store import gpkg_functions
from store.crs import transformer
from store.geopackage import format_date, format_datetime, quote

#: SQLite binds integers as signed 64-bit; a larger offset is a client error, not an OverflowError.
SQLITE_MAX_INT = 2**63 - 1


def _invalid_query(msg: str) -> ProviderInvalidQueryError:
    return ProviderInvalidQueryError(msg, user_msg=msg)


# -- SQL fragments -------------------------------------------------------------------------------


@dataclass
class Frag:
    """A piece of SQL and its bound parameters, in placeholder order."""

    sql: str
    params: list = field(default_factory=list)


def join(op: str, frags: list[Frag]) -> Frag:
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


def looks_lonlat(geom) -> bool:
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

    def __init__(
        self,
        schema: TableSchema,
        api_crs: pyproj.CRS | None = None,
        geom_field: str | None = None,
        time_field: str | None = None,
        conn: sqlite3.Connection | None = None,
    ):
        """``api_crs``: the CRS of bbox input and of filter geometries without a CRS that cannot be lon/lat
        (pygeoapi's storage CRS); ``geom_field``: another name the geometry may be called by; ``conn``: only
        for :meth:`bbox_count`."""
        self.schema = schema
        self.api_crs = api_crs if api_crs is not None else schema.crs
        self.geom_field = geom_field
        self.time_field = time_field
        self.conn = conn
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
            "geometry",
            self.schema.geometry_column,
            self.geom_field,
        )

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
                return sqlite_number(int(text))
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
        api_crs, file_crs = self.api_crs, self.schema.crs
        if file_crs is not None and api_crs != file_crs:
            box = transformer(api_crs, file_crs, always_xy=True).transform_bounds(minx, miny, maxx, maxy)
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
        if rtree is None or self.conn is None:
            return None
        minx, miny, maxx, maxy = geom.bounds
        inside = "minx >= ? AND maxx <= ? AND miny >= ? AND maxy <= ?"
        overlap = "minx <= ? AND maxx >= ? AND miny <= ? AND maxy >= ?"
        conn = self.conn
        n_inside = conn.execute(f"SELECT count(*) FROM {rtree} WHERE {inside}", [minx, maxx, miny, maxy]).fetchone()[0]
        n_edge = conn.execute(
            f"SELECT count(*) FROM {quote(self.schema.table)} WHERE fid IN (SELECT id FROM {rtree} "
            f"WHERE {overlap} AND NOT ({inside})) AND bgis_spatial({quote(self.schema.geometry_column)}, ?, ?)",
            [maxx, minx, maxy, miny, minx, maxx, miny, maxy, "intersects", self._token(geom)],
        ).fetchone()[0]
        return n_inside + n_edge

    def datetime_filter(self, datetime_) -> Frag | None:
        if datetime_ in (None, "", "../..", "../", "/.."):
            return None
        name = self.time_field
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
            return join("AND", frags) if frags else None
        return join("AND", [Frag(f"{col} >= ?", [self._instant(text, kind, start=True)]), self._upper(col, kind, text)])

    def _upper(self, col: str, kind: str, text: str) -> Frag:
        """Upper bound: a date-only value includes its whole day."""
        if kind == "datetime" and is_date_only(text):
            day = parse_instant(text) + timedelta(days=1)
            return Frag(f"{col} < ?", [format_datetime(day)])
        return Frag(f"{col} <= ?", [self._instant(text, kind, start=False)])

    @staticmethod
    def _instant(text: str, kind: str, start: bool) -> str:
        try:
            moment = parse_instant(text)
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
                    word_frags.append(join("OR", [Frag(f"{quote(c)} LIKE ? ESCAPE '\\'", [pattern]) for c in columns]))
                else:  # Unicode case folding (Ä = ä) needs the Python function
                    word_frags.append(join("OR", [Frag(f"bgis_contains_ci({quote(c)}, ?)", [word]) for c in columns]))
            alternatives.append(join("AND", word_frags))
        return join("OR", alternatives) if alternatives else None

    # -- CQL2 --------------------------------------------------------------------------------

    def cql(self, node) -> Frag | None:
        if node is None:
            return None
        return self.predicate(node)

    def predicate(self, node) -> Frag:
        if isinstance(node, ast.And):
            return join("AND", [self.predicate(node.lhs), self.predicate(node.rhs)])
        if isinstance(node, ast.Or):
            return join("OR", [self.predicate(node.lhs), self.predicate(node.rhs)])
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
                node.lhs.name in self.schema.columns or self.is_geometry_name(node.lhs.name)
            )
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
                raise _invalid_query(
                    f"geometry property {node.name!r} can only be used in spatial predicates or IS NULL"
                )
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
            return sqlite_number(value)
        if isinstance(value, datetime):
            return format_date(value) if hint == "date" else format_datetime(value)
        if isinstance(value, date):
            return format_datetime(value) if hint == "datetime" else value.isoformat()
        if isinstance(value, str):
            if hint in ("date", "datetime"):
                try:
                    return format_date(parse_instant(value)) if hint == "date" else format_datetime(value)
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
        return Frag(
            f"({lhs.sql} {neg}IN ({', '.join(i.sql for i in items)}))",
            lhs.params + [p for i in items for p in i.params],
        )

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
            if (
                pattern.name.lower() not in ("lower", "casei", "accenti")
                or len(pattern.arguments) != 1
                or not isinstance(pattern.arguments[0], str)
            ):
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
            return join("OR", parts) if parts else Frag("0")
        if not conditions:
            raise _invalid_query(f"temporal operator {op} is not supported for instant properties")
        parts = [Frag(f"({col} {cmp} ?)", [value]) for cmp, value in conditions if value is not None]
        return join("AND", [Frag(f"({col} IS NOT NULL)"), *parts])

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
            return self._indexed(
                literal,
                op,
                Frag(f"bgis_relate({quote(self.schema.geometry_column)}, ?, ?)", [self._token(literal), pattern]),
                prefilter=False,
            )
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
        candidates = Frag(
            f"fid IN (SELECT id FROM {self.schema.rtree} WHERE minx <= ? AND maxx >= ? AND miny <= ? AND maxy >= ?)",
            [maxx + grow, minx - grow, maxy + grow, miny - grow],
        )
        return join("AND", [candidates, exact])

    def distance(self, node: ast.SpatialDistancePredicate) -> Frag:
        units = (node.units or "meters").lower()
        crs = self.schema.crs
        metric = (
            crs is not None
            and crs.is_projected
            and all((axis.unit_name or "").lower() in ("metre", "meter") for axis in crs.axis_info)
        )
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
            source_crs = crs_from_uri(source)
            if source_crs is None:
                raise _invalid_query(f"unknown CRS {source!r} in filter")
        else:
            source_crs = CRS84 if looks_lonlat(geom) else self.api_crs
        if source_crs == file_crs:
            return geom
        # the CRSs' own axis order: a literal in filter-crs EPSG:4326 is written latitude first
        return transform_geometries(np.array([geom]), transformer(source_crs, file_crs, always_xy=False))[0]

    def _token(self, geom) -> int:
        token = gpkg_functions.add_literal(geom)
        self.tokens.append(token)
        return token


def sqlite_number(value: int | float) -> int | float:
    """A filter number SQLite can bind: finite; an integer beyond 64 bits compares as a real."""
    if isinstance(value, float) and not math.isfinite(value):
        raise _invalid_query("numbers in filters must be finite")
    if isinstance(value, int) and not -(2**63) <= value < 2**63:
        try:
            return float(value)
        except OverflowError:
            raise _invalid_query("numbers in filters must be finite") from None
    return value


def _transpose_de9im(pattern: str | None) -> str | None:
    """DE-9IM pattern for relate(b, a) from relate(a, b)."""
    if pattern is None or len(pattern) != 9:
        return pattern
    return "".join(pattern[i] for i in (0, 3, 6, 1, 4, 7, 2, 5, 8))


def is_date_only(text: str) -> bool:
    return re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()) is not None


def parse_instant(text) -> datetime:
    """RFC 3339 date or date-time; naive values are UTC."""
    if isinstance(text, datetime):
        moment = text
    elif isinstance(text, date):
        moment = datetime(text.year, text.month, text.day)
    else:
        moment = datetime.fromisoformat(str(text).strip())
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


__all__ = [
    "SQLITE_MAX_INT",
    "FilterCompiler",
    "Frag",
    "is_date_only",
    "join",
    "like_to_glob",
    "parse_instant",
    "sqlite_number",
]
