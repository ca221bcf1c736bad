"""Small geometry and frame helpers shared by every importer in ``layers/``.

Importers read very different sources (CityGML, OSM, shapefiles, XPlanung) but
must all hand the store the same thing: a GeoDataFrame in the storage CRS whose
geometries fit the layer's catalogue type (a MULTIPOLYGON layer gets only
MultiPolygons) and whose columns have the catalogue's types.  Repairing,
promoting and reprojecting live here so every importer does it the same way.

Problems the importer can work around (an invalid ring, a dropped column) are
reported as :class:`LayerImportWarning` — one summary warning per file rather
than one per feature, so a large import does not drown the log — and the
messages are also kept on the frame in ``frame.attrs["warnings"]``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiLineString, MultiPolygon
from shapely.geometry.base import BaseGeometry

from schema.catalog import layer as catalog_layer

#: Storey height (m) used to estimate a building height from its number of storeys.
STOREY_HEIGHT_M = 3.0

#: How many feature ids a summary warning names before it says "and N more".
_WARN_EXAMPLES = 5


class LayerImportWarning(UserWarning):
    """Something in the source was repaired, dropped or guessed during an import."""


# --------------------------------------------------------------------------- geometry


def polygonal_parts(geom: BaseGeometry | None) -> list[shapely.Polygon]:
    """The non-empty polygons inside ``geom`` (descending into collections)."""
    if geom is None or geom.is_empty:
        return []
    if geom.geom_type == "Polygon":
        return [geom]
    if geom.geom_type in ("MultiPolygon", "GeometryCollection"):
        return [p for part in geom.geoms for p in polygonal_parts(part)]
    return []


def linear_parts(geom: BaseGeometry | None) -> list[shapely.LineString]:
    """The non-empty line strings inside ``geom`` (LinearRings become LineStrings)."""
    if geom is None or geom.is_empty:
        return []
    if geom.geom_type in ("LineString", "LinearRing"):
        return [shapely.LineString(geom.coords)]
    if geom.geom_type in ("MultiLineString", "GeometryCollection"):
        return [line for part in geom.geoms for line in linear_parts(part)]
    return []


def to_multipolygon(geom: BaseGeometry | None) -> MultiPolygon | None:
    """Promote a Polygon (or the polygonal parts of a collection) to a MultiPolygon.

    Returns None when nothing polygonal is left (None, empty, points, lines):
    the caller decides whether that is an error or a dropped feature.
    """
    if geom is not None and geom.geom_type == "MultiPolygon" and not geom.is_empty:
        return geom
    parts = polygonal_parts(geom)
    return MultiPolygon(parts) if parts else None


def to_multilinestring(geom: BaseGeometry | None) -> MultiLineString | None:
    """Promote a LineString (or the lines of a collection) to a MultiLineString; None if none."""
    if geom is not None and geom.geom_type == "MultiLineString" and not geom.is_empty:
        return geom
    parts = linear_parts(geom)
    return MultiLineString(parts) if parts else None


def repair(geom: BaseGeometry | None, ident: str) -> tuple[BaseGeometry | None, str | None]:
    """Make ``geom`` valid, keeping only the parts of its own dimension.

    A valid geometry comes back unchanged with no warning.  An invalid polygon
    goes through :func:`shapely.make_valid`, which may split it into polygons
    plus stray lines or points (a bow-tie, a spike); only the polygonal parts
    are kept, as a MultiPolygon, because a footprint that turned into a line is
    no footprint.  Lines keep their linear parts the same way.

    Returns
    -------
    (geometry or None, warning message or None)
        None as geometry when nothing usable is left; the message names ``ident``
        and GEOS's reason so a user can find the feature in the source.
    """
    if geom is None or geom.is_empty:
        return None, f"{ident}: empty geometry dropped"
    if geom.is_valid:
        return geom, None
    reason = shapely.is_valid_reason(geom)
    fixed = shapely.make_valid(geom)
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        fixed = to_multipolygon(fixed)
    elif geom.geom_type in ("LineString", "MultiLineString", "LinearRing"):
        fixed = to_multilinestring(fixed)
    if fixed is None or fixed.is_empty:
        return None, f"{ident}: invalid geometry dropped ({reason}); nothing usable left after repair"
    return fixed, f"{ident}: invalid geometry repaired ({reason})"


def repair_all(
    geoms: Sequence[BaseGeometry | None], idents: Sequence[str]
) -> tuple[list[BaseGeometry | None], list[str]]:
    """:func:`repair` over many geometries; only the invalid ones pay for make_valid."""
    arr = np.asarray(geoms, dtype=object)
    # Vectorised validity check first: on real data almost everything is valid.
    ok = shapely.is_valid(arr) & ~shapely.is_empty(arr) & ~shapely.is_missing(arr)
    out = list(arr)
    messages = []
    for i in np.flatnonzero(~ok).tolist():
        out[i], message = repair(arr[i], idents[i])
        if message:
            messages.append(message)
    return out, messages


def drop_sliver_holes(geom: BaseGeometry | None, min_width: float) -> BaseGeometry | None:
    """Remove interior rings narrower than ``min_width`` (CRS units) from a (Multi)Polygon.

    Unions of adjacent surfaces whose shared edges do not quite meet leave
    thin holes (centimetres to a few decimetres wide, metres long); a real
    courtyard or light shaft is metres wide.  A hole is a sliver when shrinking it by half the
    width leaves nothing.
    """
    parts = polygonal_parts(geom)
    if not parts or all(not p.interiors for p in parts):
        return geom

    def keep(ring) -> bool:
        return not shapely.Polygon(ring).buffer(-min_width / 2).is_empty

    kept = [shapely.Polygon(p.exterior, [r for r in p.interiors if keep(r)]) for p in parts]
    return MultiPolygon(kept) if geom is not None and geom.geom_type == "MultiPolygon" else kept[0]


def tidy_polygons(
    geoms: gpd.GeoSeries, grid: float | None = 0.001, min_hole_width: float | None = 0.5
) -> gpd.GeoSeries:
    """Footprints ready to store: snapped to a ``grid`` (1 mm), no sliver holes, valid MultiPolygons.

    Snapping (``shapely.set_precision``) also makes the result valid, which
    matters after reprojection: a footprint valid in one CRS can self-intersect
    by a nanometre in another.  ``grid`` and ``min_hole_width`` are metres,
    skipped for a geographic CRS or when None (then only validity is fixed).
    """
    values = np.asarray(geoms.values, dtype=object)
    metric = geoms.crs is None or not geoms.crs.is_geographic
    if metric and grid:
        values = shapely.set_precision(values, grid)
    if metric and min_hole_width:
        values = np.asarray([drop_sliver_holes(g, min_hole_width) for g in values], dtype=object)
    tidy = [to_multipolygon(g if g is None or g.is_valid else shapely.make_valid(g)) for g in values]
    return gpd.GeoSeries(tidy, index=geoms.index, crs=geoms.crs)


# --------------------------------------------------------------------------- frames


def reproject(frame: gpd.GeoDataFrame, epsg: int) -> gpd.GeoDataFrame:
    """Return ``frame`` in EPSG:``epsg``; refuse a frame that does not know its CRS.

    Guessing a CRS silently would put data on the wrong continent, so a missing
    CRS is an error the caller turns into "pass --crs".
    """
    if frame.crs is None:
        raise ValueError("the data has no CRS; pass --crs to say which one its coordinates are in")
    if frame.crs.to_epsg() == epsg:
        return frame
    return frame.to_crs(epsg=epsg)


def conform(frame: gpd.GeoDataFrame, layer_id: str) -> gpd.GeoDataFrame:
    """Order and type ``frame``'s columns after the catalogue entry of ``layer_id``.

    Columns missing from ``frame`` are left out (the store fills NULL); columns
    not in the catalogue are an error here, because the store would refuse them.
    ``integer`` becomes pandas' nullable ``Int64`` and ``real`` ``float64``, as
    the stores read them back; ``boolean`` stays ``bool`` when nothing is missing.
    """
    columns = catalog_layer(layer_id).columns
    extra = set(frame.columns) - set(columns) - {"geometry"}
    if extra:
        raise ValueError(f"layer {layer_id}: columns not in the catalogue: {sorted(extra)}")
    out = frame[[c for c in columns if c in frame.columns] + ["geometry"]].copy()
    for name in out.columns:
        kind = columns.get(name)
        if kind == "integer":
            out[name] = pd.array(out[name], dtype="Int64")
        elif kind == "real":
            out[name] = out[name].astype("float64")
        elif kind == "boolean":
            out[name] = out[name].astype(bool if out[name].notna().all() else "boolean")
        elif kind == "text":
            out[name] = out[name].astype(object).where(out[name].notna(), None)
    return out.reset_index(drop=True)


def summarize(messages: Iterable[str], what: str) -> str | None:
    """One line for many per-feature messages: count, then a few examples."""
    messages = list(messages)
    if not messages:
        return None
    head = "; ".join(messages[:_WARN_EXAMPLES])
    more = f"; and {len(messages) - _WARN_EXAMPLES} more" if len(messages) > _WARN_EXAMPLES else ""
    return f"{what}: {len(messages)} feature(s): {head}{more}"


def emit(frames: Mapping[str, gpd.GeoDataFrame], messages: Sequence[str]) -> None:
    """Warn once per message and remember the messages on every frame (``attrs['warnings']``)."""
    for message in messages:
        warnings.warn(message, LayerImportWarning, stacklevel=3)
    for frame in frames.values():
        frame.attrs["warnings"] = list(messages)
