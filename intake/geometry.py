"""The geometry of an incoming feature (or a process input): read, checked, in the target CRS, of the
collection's type and valid -- or a refusal naming the problem. One answer on both stores.

Steps, in this order (each refusal an :class:`~intake.errors.IntakeError`):

1. a GeoJSON geometry object of a type the collection takes (:data:`ACCEPTED_TYPES`);
2. readable by shapely, not empty, finite coordinates; Z is dropped (the stores are 2D);
3. in CRS84 (RFC 7946; a ``Content-Crs`` was already turned into CRS84 by ``api/standards.py``,
   a legacy ``crs`` member of the feature is honoured): longitude within ±180, latitude ±90;
4. size caps (:class:`Limits`): vertices, parts, holes, area -- a body of 1 MB can hold a
   geometry no person drew, and GEOS's time grows with it;
5. transformed to the storage CRS;
6. fitted to the collection's type (a Polygon into a MULTIPOLYGON layer becomes a
   MultiPolygon) and, when invalid, repaired with ``layers.geometry.repair`` -- the
   importers' repair, so an imported and a sent geometry come out alike. A repair that
   would drop part of what was drawn (a spike, a collapsed ring) is refused instead:
   the person redraws it rather than the store keeping less than was sent.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

import numpy as np
import pyproj
import shapely
import shapely.geometry

from intake.errors import IntakeError
from intake.messages import pair
from layers.geometry import repair
from store.geopackage import conform_geometry_types, geometry_type_name

CRS84 = pyproj.CRS.from_user_input("OGC:CRS84")

#: Collection geometry type (GeoPackage name) -> GeoJSON types a client may send for it.
ACCEPTED_TYPES = {
    "POINT": {"Point", "MultiPoint"},
    "LINESTRING": {"LineString", "MultiLineString"},
    "POLYGON": {"Polygon", "MultiPolygon"},
    "MULTIPOINT": {"Point", "MultiPoint"},
    "MULTILINESTRING": {"LineString", "MultiLineString"},
    "MULTIPOLYGON": {"Polygon", "MultiPolygon"},
    "GEOMETRY": {"Point", "LineString", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon"},
}

#: What each collection type is called in a message.
_TYPE_NAMES_DE = {
    "POINT": "Punkt",
    "LINESTRING": "Linie",
    "POLYGON": "Fläche",
    "MULTIPOINT": "Punkt(e)",
    "MULTILINESTRING": "Linie(n)",
    "MULTIPOLYGON": "Fläche(n)",
    "GEOMETRY": "Punkt, Linie oder Fläche",
}


@dataclass(frozen=True)
class Limits:
    """Size caps of one incoming geometry; ``max_area_km2`` None: no area cap."""

    max_vertices: int
    max_parts: int
    max_holes: int
    max_area_km2: float | None = None


#: Plan objects, buildings and other layers a planner edits: generous (a Geltungsbereich has
#: thousands of vertices), but bounded.
FEATURE_LIMITS = Limits(max_vertices=100_000, max_parts=1_000, max_holes=1_000)
#: A place in the city a citizen draws (contributions): not the whole earth, not 2,400 islands.
PLACE_LIMITS = Limits(max_vertices=10_000, max_parts=100, max_holes=100, max_area_km2=25.0)

_LOCAL = threading.local()


def _transformer(source: pyproj.CRS, target: pyproj.CRS) -> pyproj.Transformer:
    """A cached transformer, per thread (pyproj transformers must not be shared between threads).

    Axis order is the CRS's own, as a Content-Crs means it: EPSG:4326 is latitude first,
    CRS84 longitude first (the GeoJSON order).
    """
    cache = _LOCAL.__dict__.setdefault("transformers", {})
    key = (source.to_wkt(), target.to_wkt())
    if key not in cache:
        cache[key] = pyproj.Transformer.from_crs(source, target)
    return cache[key]


def transform(geom, source: pyproj.CRS, target: pyproj.CRS | None):
    """``geom`` from ``source`` to ``target`` (each in its own axis order), unchanged when they are equal."""
    if target is None or source == target:
        return geom
    transformer = _transformer(source, target)

    def apply(xy: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, apply)


def crs_from_uri(uri: str) -> pyproj.CRS | None:
    """A CRS from an OGC URI or URN (pygeoapi's parser) or a short form like ``EPSG:25832``; None if unknown."""
    from pygeoapi.crs import get_crs

    text = str(uri).strip().strip("<>")
    try:
        return get_crs(text)
    except (pyproj.exceptions.CRSError, ValueError):  # pygeoapi's answer to forms it does not parse
        pass
    try:
        return pyproj.CRS.from_user_input(text)
    except pyproj.exceptions.CRSError:
        return None


def source_crs(feature: dict, content_crs: str | None = None) -> pyproj.CRS:
    """The CRS of a feature's coordinates: ``content_crs`` if given, a legacy ``crs`` member, else CRS84."""
    legacy = feature.get("crs")
    uri = content_crs or ((legacy.get("properties") or {}).get("name") if isinstance(legacy, dict) else None)
    if not uri:
        return CRS84
    crs = crs_from_uri(uri)
    if crs is None:
        raise IntakeError.of("crs_unknown", uri=str(uri)[:200])
    return crs


def read_geometry(
    geometry, geometry_type: str = "GEOMETRY", source: pyproj.CRS | None = CRS84, limits: Limits = FEATURE_LIMITS
):
    """Steps 1-4: the GeoJSON ``geometry`` as a 2D shapely geometry in ``source``, checked and within ``limits``.

    ``source`` None: the CRS is checked elsewhere (a scenario change names its own); no range
    check and no area cap then.
    """
    if geometry is None:
        raise IntakeError.of(
            "geometry_required", expected=geometry_type, expected_de=_TYPE_NAMES_DE.get(geometry_type, geometry_type)
        )
    if not isinstance(geometry, dict) or "type" not in geometry:
        raise IntakeError.of("geometry_object")
    accepted = ACCEPTED_TYPES.get(geometry_type, ACCEPTED_TYPES["GEOMETRY"])
    if not isinstance(geometry["type"], str) or geometry["type"] not in accepted:
        raise IntakeError.of("geometry_type", got=repr(geometry["type"])[:60], accepted=", ".join(sorted(accepted)))
    try:
        geom = shapely.geometry.shape(geometry)
    except Exception as err:  # noqa: BLE001 — shapely raises several types for malformed coordinates; all are a 400
        raise IntakeError.of("geometry_malformed", error=str(err)[:200]) from None
    if geom.is_empty:
        raise IntakeError.of("geometry_empty")
    geom = shapely.force_2d(geom)
    coords = shapely.get_coordinates(geom)
    if not np.isfinite(coords).all():
        raise IntakeError.of("geometry_nonfinite")
    if source == CRS84 and (np.abs(coords[:, 0]).max() > 180 or np.abs(coords[:, 1]).max() > 90):
        raise IntakeError.of("geometry_range")
    check_limits(geom, limits, source)
    return geom


def check_limits(geom, limits: Limits, source: pyproj.CRS | None = CRS84) -> None:
    """Refuse a geometry beyond ``limits`` (vertices, parts, holes, area)."""
    vertices = int(shapely.get_num_coordinates(geom))
    if vertices > limits.max_vertices:
        raise IntakeError.of("geometry_vertices", count=vertices, max=limits.max_vertices)
    parts = shapely.get_parts(geom)
    if len(parts) > limits.max_parts:
        raise IntakeError.of("geometry_parts", count=len(parts), max=limits.max_parts)
    polygonal = geom.geom_type in ("Polygon", "MultiPolygon")
    holes = int(shapely.get_num_interior_rings(parts).sum()) if polygonal else 0
    if holes > limits.max_holes:
        raise IntakeError.of("geometry_holes", count=holes, max=limits.max_holes)
    if polygonal and limits.max_area_km2 is not None and source is not None:
        size = _too_large(transform(geom, source, CRS84), limits.max_area_km2)
        if size:
            raise IntakeError.of("geometry_area", size_de=size[0], size=size[1], max=limits.max_area_km2)


def _too_large(lonlat, max_km2: float) -> tuple[str, str] | None:
    """The size of a lon/lat polygon beyond ``max_km2`` as text (German, English), or None."""
    west, south, east, north = lonlat.bounds
    if east - west > 5 or north - south > 5:
        return pair("geometry_span")
    # equal-area (Lambert cylindrical) of the vertices: within a few per cent, enough for a cap
    area_km2 = shapely.transform(
        lonlat, lambda xy: np.column_stack([6371.0072 * np.radians(xy[:, 0]), 6371.0072 * np.sin(np.radians(xy[:, 1]))])
    ).area
    size = f"{area_km2:,.1f} km²"
    return (size, size) if area_km2 > max_km2 else None


def fit_and_repair(geom, geometry_type: str = "GEOMETRY", collection: str = ""):
    """Step 6: ``geom`` as the collection's type and valid, or a refusal."""
    fitted = _fit(geom, geometry_type)
    if fitted is None and geom.is_valid:
        raise IntakeError.of(
            "geometry_wrong_type", got=geometry_type_name(geom), collection=collection or "", expected=geometry_type
        )
    if fitted is not None and fitted.is_valid:
        return fitted
    reason = shapely.is_valid_reason(geom)
    try:
        repaired, _ = repair(geom, collection or "geometry")
    except shapely.errors.GEOSException:  # GEOS gives up on some inputs ("mixed-dimension" overlay)
        repaired = None
    repaired = _fit(repaired, geometry_type) if repaired is not None and not repaired.is_empty else None
    if repaired is None or not repaired.is_valid or _loses_a_part(geom, repaired):
        raise IntakeError.of("geometry_unrepairable", reason=reason, expected=geometry_type)
    return repaired


def _loses_a_part(original, repaired) -> bool:
    """Would storing ``repaired`` drop something drawn? True when a vertex of ``original`` lies off it.

    A bow-tie repaired into two triangles keeps every vertex; a spike or a collapsed ring,
    which the repair drops because it has no area, does not.
    """
    coords = shapely.get_coordinates(original)
    minx, miny, maxx, maxy = original.bounds
    tolerance = 1e-9 * (1.0 + math.hypot(maxx - minx, maxy - miny))
    return bool((shapely.distance(repaired, shapely.points(coords)) > tolerance).any())


def _fit(geom, geometry_type: str):
    fitted, bad = conform_geometry_types(np.array([geom], dtype=object), geometry_type)
    return None if bad[0] else fitted[0]


def check_geometry(
    geometry,
    geometry_type: str | None = "GEOMETRY",
    target: pyproj.CRS | None = None,
    source: pyproj.CRS = CRS84,
    limits: Limits = FEATURE_LIMITS,
    collection: str = "",
):
    """A GeoJSON geometry -> a valid shapely geometry of ``geometry_type`` in ``target`` (steps 1-6).

    ``geometry_type`` None: the collection has no geometry (the geometry is ignored, None comes back);
    ``target`` None: the geometry stays in ``source``.
    """
    if geometry_type is None:
        return None
    geom = read_geometry(geometry, geometry_type, source, limits)
    return fit_and_repair(transform(geom, source, target), geometry_type, collection)


__all__ = [
    "ACCEPTED_TYPES",
    "CRS84",
    "FEATURE_LIMITS",
    "PLACE_LIMITS",
    "Limits",
    "check_geometry",
    "check_limits",
    "crs_from_uri",
    "fit_and_repair",
    "read_geometry",
    "source_crs",
    "transform",
]
