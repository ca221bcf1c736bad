"""Which attributes a vector tile carries at which zoom level (the same rule for both stores).

From :data:`DETAIL_ZOOM` on, a tile carries every column of its collection. Below it, with a
district or a whole city in view, it carries the id and the numbers and flags only: a city's
tiles at zoom 11 hold hundreds of thousands of buildings, and their text columns (source ids,
names, functions) were most of the bytes. Clients that need a feature's text at low zoom read
it from the collection's items by id.
"""

from __future__ import annotations

#: The first zoom level whose tiles carry every column.
DETAIL_ZOOM = 14

#: Column kinds kept below DETAIL_ZOOM (the catalogue's names, as the GeoPackage schema gives them).
COMPACT_KINDS = frozenset({"integer", "real", "boolean"})


def keep_column(name: str, kind: str, id_field: str, z: int) -> bool:
    """Whether a tile of zoom ``z`` carries column ``name`` of catalogue kind ``kind``."""
    return z >= DETAIL_ZOOM or name == id_field or kind in COMPACT_KINDS


def sql_kind(column) -> str:
    """The catalogue kind of an SQLAlchemy column (for :func:`keep_column`)."""
    from sqlalchemy import Boolean, Float, Integer, Numeric

    kind = column.type
    if isinstance(kind, Boolean):
        return "boolean"
    if isinstance(kind, Integer):
        return "integer"
    if isinstance(kind, (Float, Numeric)):
        return "real"
    return "text"
