"""GeoPackage geometry blobs and the SQL functions a GeoPackage needs, in plain Python.

The Python builds this project runs on have no ``sqlite3.enable_load_extension``,
so SpatiaLite (and GDAL's own SQLite functions) cannot be loaded. A real
GeoPackage still needs a few SQL functions: the R-tree triggers the spec
prescribes call ``ST_IsEmpty`` and ``ST_MinX`` … ``ST_MaxY``. :func:`register`
adds them (and the project's query helpers) to a connection as deterministic
Python functions; every connection this project opens on a GeoPackage calls it.

They are fast because a GeoPackage blob carries its envelope in the header:
``ST_MinX`` reads four doubles with :mod:`struct` and never parses the WKB,
except for blobs written without an envelope (GDAL omits it for points).

Blob layout (GeoPackage 1.4, clause 2.1.3)::

    'GP' | version 0 | flags | srs_id int32 | envelope (0/32/48/64 bytes) | ISO WKB

flags: bit 0 byte order (1 = little endian), bits 1-3 envelope kind,
bit 4 empty geometry, bit 5 extended (non-standard) geometry type.
"""

from __future__ import annotations

import itertools
import math
import sqlite3
import struct
import threading
import unicodedata
from collections.abc import Sequence

import numpy as np
import shapely
from shapely import Geometry

#: Bytes of envelope per envelope-kind indicator (flags bits 1-3).
_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}
_LITTLE_ENDIAN_XY = struct.Struct("<2sBBi4d")  # header with an [minx, maxx, miny, maxy] envelope
_LITTLE_ENDIAN_NONE = struct.Struct("<2sBBi")  # header without envelope
FLAGS_XY_ENVELOPE = 0b0000_0011  # little endian, envelope kind 1
FLAGS_EMPTY = 0b0001_0001  # little endian, no envelope, empty


class GeoPackageBlobError(ValueError):
    """A value in a geometry column is not a standard GeoPackage geometry blob."""


# -- encoding ------------------------------------------------------------------


def encode(geometries: Sequence[Geometry | None] | np.ndarray, srs_id: int) -> list[bytes | None]:
    """GeoPackage blobs (little endian, XY envelope, ISO WKB) for many geometries at once.

    The WKB and the bounds come from shapely's vectorised functions; only the
    8 + 32 header bytes are packed per row. Z/M are dropped: the catalogue's
    layers are 2D (heights live in attribute columns).
    """
    geoms = np.asarray(geometries, dtype=object)
    if geoms.ndim == 0:
        geoms = geoms.reshape(1)
    wkb = shapely.to_wkb(geoms, output_dimension=2, byte_order=1, flavor="iso")
    bounds = shapely.bounds(geoms)
    empty = shapely.is_empty(geoms)
    out: list[bytes | None] = []
    pack_xy, pack_none = _LITTLE_ENDIAN_XY.pack, _LITTLE_ENDIAN_NONE.pack
    for blob, (minx, miny, maxx, maxy), is_empty in zip(wkb, bounds.tolist(), empty.tolist(), strict=True):
        if blob is None:
            out.append(None)
        elif is_empty:
            out.append(pack_none(b"GP", 0, FLAGS_EMPTY, srs_id) + blob)
        else:
            out.append(pack_xy(b"GP", 0, FLAGS_XY_ENVELOPE, srs_id, minx, maxx, miny, maxy) + blob)
    return out


def encode_one(geometry: Geometry | None, srs_id: int) -> bytes | None:
    return encode([geometry], srs_id)[0]


# -- decoding ------------------------------------------------------------------


def header_size(blob: bytes) -> int:
    """Bytes before the WKB; raises GeoPackageBlobError for anything that is not a GP blob."""
    if len(blob) < 8 or blob[0] != 0x47 or blob[1] != 0x50:
        raise GeoPackageBlobError("not a GeoPackage geometry blob (missing 'GP' magic)")
    flags = blob[3]
    if flags & 0b0010_0000:
        raise GeoPackageBlobError("extended GeoPackage geometry types are not supported")
    try:
        return 8 + _ENVELOPE_BYTES[(flags >> 1) & 0b111]
    except KeyError:
        raise GeoPackageBlobError(f"invalid envelope indicator in flags {flags:#04x}") from None


def srs_id(blob: bytes) -> int:
    header_size(blob)
    return struct.unpack_from("<i" if blob[3] & 1 else ">i", blob, 4)[0]


def wkb(blob: bytes) -> bytes:
    """The ISO WKB inside a GeoPackage blob."""
    return blob[header_size(blob) :]


def decode(blobs: Sequence[bytes | None]) -> np.ndarray:
    """Shapely geometries (None stays None) for many blobs, parsed by one vectorised call."""
    payload = [None if b is None else b[header_size(b) :] for b in blobs]
    return shapely.from_wkb(np.asarray(payload, dtype=object))


def decode_one(blob: bytes | None) -> Geometry | None:
    return None if blob is None else shapely.from_wkb(wkb(blob))


def is_empty(blob: bytes) -> bool:
    """Empty geometry? The header flag says so; a WKB without points says so too."""
    size = header_size(blob)
    if blob[3] & 0b0001_0000:
        return True
    if size > 8:
        return False  # an envelope is only written for non-empty geometries
    return bool(shapely.is_empty(shapely.from_wkb(blob[size:])))


def envelope(blob: bytes) -> tuple[float, float, float, float] | None:
    """``(minx, maxx, miny, maxy)`` of a blob, None for an empty geometry.

    Read from the header where there is one (no WKB parsing); else from the WKB.
    """
    size = header_size(blob)
    flags = blob[3]
    if flags & 0b0001_0000:
        return None
    if size > 8:
        env = struct.unpack_from("<4d" if flags & 1 else ">4d", blob, 8)
        if not math.isnan(env[0]):
            return env
    geom = shapely.from_wkb(blob[size:])
    if geom.is_empty:
        return None
    minx, miny, maxx, maxy = geom.bounds
    return minx, maxx, miny, maxy


# -- SQL functions of the GeoPackage spec ---------------------------------------


def _guard(func):
    """SQL functions return NULL for NULL and for values that are not GP blobs.

    Raising inside a SQLite function aborts the statement with an opaque
    "user-defined function raised exception"; NULL is what SpatiaLite returns.
    """

    def wrapper(blob, *args):
        if blob is None:
            return None
        try:
            return func(blob, *args)
        except (GeoPackageBlobError, shapely.errors.GEOSException, struct.error, TypeError):
            return None

    wrapper.__name__ = func.__name__
    return wrapper


@_guard
def st_is_empty(blob):
    return int(is_empty(blob))


def _envelope_part(index):
    @_guard
    def part(blob):
        env = envelope(blob)
        return None if env is None else env[index]

    return part


#: GeoPackage geometry type hierarchy (Annex E): a value of type T fits a column of type T or an ancestor.
_PARENT = {
    "POINT": "GEOMETRY",
    "CURVE": "GEOMETRY",
    "SURFACE": "GEOMETRY",
    "GEOMCOLLECTION": "GEOMETRY",
    "LINESTRING": "CURVE",
    "CIRCULARSTRING": "CURVE",
    "COMPOUNDCURVE": "CURVE",
    "POLYGON": "CURVEPOLYGON",
    "CURVEPOLYGON": "SURFACE",
    "MULTIPOINT": "GEOMCOLLECTION",
    "MULTICURVE": "GEOMCOLLECTION",
    "MULTISURFACE": "GEOMCOLLECTION",
    "MULTILINESTRING": "MULTICURVE",
    "MULTIPOLYGON": "MULTISURFACE",
}


def gpkg_is_assignable(expected: str | None, actual: str | None) -> int | None:
    """1 when a geometry of type ``actual`` may be stored in a column declared ``expected``."""
    if expected is None or actual is None:
        return None
    expected = expected.upper()
    current: str | None = actual.upper()
    if expected == "GEOMETRYCOLLECTION":
        expected = "GEOMCOLLECTION"
    if current == "GEOMETRYCOLLECTION":
        current = "GEOMCOLLECTION"
    while current:
        if current == expected:
            return 1
        current = _PARENT.get(current)
    return 0


# -- project helpers used by the feature provider's SQL ----------------------------

#: Query-scoped literal geometries by token. A SQL statement passes a small
#: integer instead of the WKB so the literal is parsed and prepared once,
#: not hashed or decoded again for every row.
_LITERALS: dict[int, tuple[Geometry, tuple[float, float, float, float], bool]] = {}
_LITERALS_LOCK = threading.Lock()
_TOKENS = itertools.count(1)


def add_literal(geometry: Geometry) -> int:
    """Register a (prepared) literal geometry for one query; release it with :func:`drop_literal`."""
    shapely.prepare(geometry)
    minx, miny, maxx, maxy = geometry.bounds
    is_box = bool(shapely.equals(geometry, shapely.box(minx, miny, maxx, maxy))) if not geometry.is_empty else False
    token = next(_TOKENS)
    with _LITERALS_LOCK:
        _LITERALS[token] = (geometry, (minx, maxx, miny, maxy), is_box)
    return token


def drop_literal(token: int) -> None:
    with _LITERALS_LOCK:
        _LITERALS.pop(token, None)


def _row_geometry(blob):
    return shapely.from_wkb(blob[header_size(blob) :])


def _disjoint_envelopes(a, b) -> bool:
    return a[0] > b[1] or a[1] < b[0] or a[2] > b[3] or a[3] < b[2]


def _within_envelope(inner, outer) -> bool:
    return inner[0] >= outer[0] and inner[1] <= outer[1] and inner[2] >= outer[2] and inner[3] <= outer[3]


#: CQL2 spatial operator on (row, literal) -> shapely predicate on (prepared literal, row).
_CONVERSE = {
    "intersects": shapely.intersects,
    "disjoint": shapely.disjoint,
    "within": shapely.contains,
    "contains": shapely.within,
    "touches": shapely.touches,
    "crosses": shapely.crosses,
    "overlaps": shapely.overlaps,
}


@_guard
def bgis_spatial(blob, op, token):
    """``op(row geometry, literal)`` for a CQL2 spatial predicate; the literal is a registered token."""
    literal, lit_env, is_box = _LITERALS[token]
    env = envelope(blob)
    if env is None:  # empty row geometry: disjoint from everything
        return int(op == "disjoint")
    if op in ("intersects", "disjoint") and _disjoint_envelopes(env, lit_env):
        return int(op == "disjoint")
    if op == "intersects" and is_box and _within_envelope(env, lit_env):
        return 1
    row = _row_geometry(blob)
    if op == "equals":
        return int(shapely.equals(row, literal))
    return int(_CONVERSE[op](literal, row))


@_guard
def bgis_relate(blob, token, pattern):
    literal = _LITERALS[token][0]
    return int(shapely.relate_pattern(_row_geometry(blob), literal, pattern))


@_guard
def bgis_dwithin(blob, token, distance):
    literal = _LITERALS[token][0]
    return int(shapely.dwithin(_row_geometry(blob), literal, distance))


def bgis_casefold(text):
    """Unicode case folding (SQLite's lower() folds ASCII only; ``Ä`` must match ``ä``)."""
    if text is None:
        return None
    return unicodedata.normalize("NFC", str(text)).casefold()


def bgis_strip_accents(text):
    """CQL2 ACCENTI(): compare without diacritics (``Straße`` stays, ``Müller`` ~ ``Muller``)."""
    if text is None:
        return None
    decomposed = unicodedata.normalize("NFKD", str(text))
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


def bgis_contains_ci(text, term):
    """Case-insensitive substring test for free-text search terms outside ASCII."""
    if text is None or term is None:
        return None
    return int(bgis_casefold(term) in bgis_casefold(text))


_FUNCTIONS = (
    ("ST_IsEmpty", 1, st_is_empty),
    ("ST_MinX", 1, _envelope_part(0)),
    ("ST_MaxX", 1, _envelope_part(1)),
    ("ST_MinY", 1, _envelope_part(2)),
    ("ST_MaxY", 1, _envelope_part(3)),
    ("GPKG_IsAssignable", 2, gpkg_is_assignable),
    ("bgis_casefold", 1, bgis_casefold),
    ("bgis_contains_ci", 2, bgis_contains_ci),
    ("bgis_strip_accents", 1, bgis_strip_accents),
)

#: Depend on query-scoped tokens: deterministic within one statement only.
_QUERY_FUNCTIONS = (
    ("bgis_spatial", 3, bgis_spatial),
    ("bgis_relate", 3, bgis_relate),
    ("bgis_dwithin", 3, bgis_dwithin),
)


def register(conn: sqlite3.Connection) -> sqlite3.Connection:
    """Add the GeoPackage SQL functions (and the project's helpers) to ``conn``; returns it."""
    for name, nargs, func in _FUNCTIONS:
        conn.create_function(name, nargs, func, deterministic=True)
    for name, nargs, func in _QUERY_FUNCTIONS:
        conn.create_function(name, nargs, func)
    return conn
