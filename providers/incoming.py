"""Checks for a feature a client sends (OGC API Features Part 4), shared by both stores.

A GeoJSON body is in CRS84 (RFC 7946) unless the client says otherwise; it is
validated, repaired where that keeps its meaning, and transformed to the
storage CRS. Every refusal is a ``ProviderInvalidDataError`` whose message tells
the client what to change; nothing is written before all checks pass.
"""

from __future__ import annotations

import math
import uuid
from functools import lru_cache

import shapely
from pygeoapi.provider.base import ProviderInvalidDataError
from pyproj import Transformer
from shapely.geometry import shape


class InvalidFeature(ProviderInvalidDataError):
    """A refusal (400) whose message reaches the client (pygeoapi shows "generic error" without ``user_msg``)."""

    def __init__(self, msg: str):
        super().__init__(msg, user_msg=msg)


#: Allowed geometry types per catalogue geometry type (GeoJSON names).
ACCEPTED_TYPES = {
    "POINT": {"Point"},
    "LINESTRING": {"LineString"},
    "POLYGON": {"Polygon"},
    "MULTIPOINT": {"Point", "MultiPoint"},
    "MULTILINESTRING": {"LineString", "MultiLineString"},
    "MULTIPOLYGON": {"Polygon", "MultiPolygon"},
    "GEOMETRY": {"Point", "LineString", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon"},
}

#: JSON schema type -> Python types a property value may have (None is always allowed).
_JSON_TYPES = {"string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,)}


@lru_cache(maxsize=32)
def _to_storage(storage_epsg: int, source: str = "OGC:CRS84") -> Transformer:
    return Transformer.from_crs(source, f"EPSG:{storage_epsg}", always_xy=True)


def new_id() -> str:
    return str(uuid.uuid4())


def check_identifier(value) -> str:
    """A feature id a client sends: a string (or integer), 1-256 characters without control characters."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InvalidFeature(f"the feature id must be a string, got {type(value).__name__}")
    text = str(value)
    if not text or len(text) > 256 or any(ord(c) < 32 for c in text):
        raise InvalidFeature("the feature id must be 1-256 characters without control characters")
    return text


def check_properties(properties: dict, fields: dict[str, dict], readonly: set[str] = frozenset()) -> dict:
    """Refuse unknown properties and values of the wrong type; return a clean copy."""
    if not isinstance(properties, dict):
        raise InvalidFeature("'properties' must be a JSON object")
    clean = {}
    for name, value in properties.items():
        if name in readonly:
            continue
        if name not in fields:
            raise InvalidFeature(
                f"unknown property {name!r}; allowed: {', '.join(sorted(set(fields) - readonly))}")
        kind = fields[name].get("type", "string")
        if value is not None:
            allowed = _JSON_TYPES.get(kind)
            if allowed and (not isinstance(value, allowed) or (kind != "boolean" and isinstance(value, bool))):
                raise InvalidFeature(f"property {name!r} must be a {kind}, got {type(value).__name__}")
            if isinstance(value, float) and not math.isfinite(value):
                raise InvalidFeature(f"property {name!r} must be a finite number")
        clean[name] = value
    return clean


def check_geometry(geometry: dict | None, geometry_type: str | None, storage_epsg: int,
                   source_crs: str = "OGC:CRS84") -> shapely.Geometry | None:
    """GeoJSON geometry -> valid shapely geometry in the storage CRS, or a clear refusal."""
    if geometry_type is None:
        return None
    if not isinstance(geometry, dict) or "type" not in geometry:
        raise InvalidFeature("'geometry' must be a GeoJSON geometry object")
    accepted = ACCEPTED_TYPES.get(geometry_type, ACCEPTED_TYPES["GEOMETRY"])
    if not isinstance(geometry["type"], str) or geometry["type"] not in accepted:
        raise InvalidFeature(
            f"geometry type {geometry['type']} not accepted here; use {' or '.join(sorted(accepted))}")
    try:
        geom = shape(geometry)
    except Exception as err:  # noqa: BLE001 — shapely raises several types for malformed coordinates; all are a 400
        raise InvalidFeature(f"malformed geometry: {err}") from None
    if geom.is_empty:
        raise InvalidFeature("geometry is empty")
    coords = shapely.get_coordinates(geom)
    if not (coords.size and math.isfinite(coords.sum())):
        raise InvalidFeature("geometry has non-finite coordinates")
    if source_crs in ("OGC:CRS84", "EPSG:4326") and (abs(coords[:, 0]).max() > 180 or abs(coords[:, 1]).max() > 90):
        raise InvalidFeature(
            "coordinates are outside longitude/latitude range: GeoJSON must be in WGS84 lon/lat (CRS84)")
    geom = shapely.transform(geom, lambda xy: _stack(*_to_storage(storage_epsg, source_crs).transform(
        xy[:, 0], xy[:, 1])))
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        repaired = make_valid_or_none(geom)
        if repaired is None or repaired.is_empty or (
                repaired.geom_type.replace("Multi", "") != geom.geom_type.replace("Multi", "")):
            raise InvalidFeature(f"invalid geometry ({reason}) that cannot be repaired; please redraw it")
        geom = repaired
    return geom


def make_valid_or_none(geom) -> shapely.Geometry | None:
    """``shapely.make_valid``, or None where GEOS gives up (e.g. a polygon collapsed to a point beside a
    self-intersecting one: "Overlay input is mixed-dimension")."""
    try:
        return shapely.make_valid(geom)
    except shapely.errors.GEOSException:
        return None


def _stack(x, y):
    import numpy as np

    return np.column_stack([x, y])
