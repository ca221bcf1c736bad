"""The plan's permitted building envelope for the 3D view: buildable area × permitted height.

Where the plan has them, the buildable windows are its BP_UeberbaubareGrundstuecksFlaechen
(``bp_baufenster``), each with the height it fixes itself (its Höhenangaben ``h_max``, else its
Z × 3 m), else the height of the zone it lies in.  Otherwise XPlanung draws Baugrenzen/Baulinien as lines. The buildable windows are the
faces they enclose: we polygonize the lines together with the zone outlines
and keep each face whose outline runs mostly along Baugrenzen (a face bounded
only by zone edges is open space outside the building windows). Each window
takes the Zahl der Vollgeschosse of the zone it lies in; a zone with a
maximum height (``h_max``) uses that instead.

Pure functions over GeoJSON dicts (CRS84 in and out); lengths are measured in
ETRS89 / UTM 32N, good enough for German plans at this scale.
"""

from __future__ import annotations

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import mapping, shape
from shapely.ops import polygonize, unary_union

STOREY_HEIGHT_M = 3.0
#: A face counts as a building window when this share of its outline lies on a Baugrenze/Baulinie.
MIN_BOUNDARY_SHARE = 0.6
_SNAP_M = 0.5

_TO_METRIC = Transformer.from_crs("OGC:CRS84", "EPSG:25832", always_xy=True)
_TO_CRS84 = Transformer.from_crs("EPSG:25832", "OGC:CRS84", always_xy=True)


def _reproject(geom, transformer: Transformer):
    """Vectorised coordinate transform of a shapely geometry."""
    return shapely.transform(geom, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))


def _number(value) -> float | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if value == value and value > 0 else None  # NaN and 0 mean "not fixed"


def zone_height(props: dict) -> float | None:
    """Permitted height of a zone in metres: h_max, else Z (binding, max or plain) × 3 m."""
    h_max = _number(props.get("h_max"))
    if h_max:
        return h_max
    storeys = next((_number(props.get(k)) for k in ("z_zwingend", "z_max", "z") if _number(props.get(k))), None)
    return storeys * STOREY_HEIGHT_M if storeys else None


def envelopes(zones: list[dict], lines: list[dict], baufenster: list[dict] | None = None) -> dict:
    """A FeatureCollection of buildable windows with ``envelope_height`` (m), ``storeys``, ``zone_id``
    and ``source`` ("baufenster": the plan's own areas, "baugrenzen": faces of its lines, "zone")."""
    zone_shapes = []
    for feature in zones:
        height = zone_height(feature.get("properties") or {})
        if not height or not feature.get("geometry"):
            continue
        geom = _reproject(shape(feature["geometry"]), _TO_METRIC).buffer(0)
        if not geom.is_empty:
            zone_shapes.append((geom, height, feature))
    line_geoms = [_reproject(shape(f["geometry"]), _TO_METRIC) for f in lines if f.get("geometry")]
    out = []
    windows = [f for f in (baufenster or []) if f.get("geometry")]
    if windows:
        for window in windows:
            geom = _reproject(shape(window["geometry"]), _TO_METRIC).buffer(0)
            if geom.is_empty:
                continue
            point = geom.representative_point()
            zone = next(((g, h, f) for g, h, f in zone_shapes if g.contains(point)), None)
            own = zone_height(window.get("properties") or {})
            height = own or (zone[1] if zone else None)
            if not height:
                continue
            owner = (geom, height, zone[2] if zone else window)
            out.append(_feature(geom, owner, "baufenster", own_height=bool(own)))
    elif line_geoms:
        limit = unary_union(line_geoms)
        # Buffered line pieces in a spatial index: each face meets only a few of them.
        pieces = [g.buffer(_SNAP_M) for g in line_geoms]
        tree = shapely.STRtree(pieces)
        edges = unary_union([limit] + [geom.boundary for geom, _, _ in zone_shapes])
        for face in polygonize(edges):
            if face.area < 4:  # slivers from nearly coincident lines
                continue
            outline = face.exterior
            near = unary_union([pieces[i] for i in tree.query(outline)])
            share = outline.intersection(near).length / outline.length if outline.length else 0
            if share < MIN_BOUNDARY_SHARE:
                continue
            point = face.representative_point()
            owner = next(((g, h, f) for g, h, f in zone_shapes if g.contains(point)), None)
            if owner is None:
                continue
            out.append(_feature(face, owner, "baugrenzen"))
    elif zone_shapes:  # a plan without Baugrenzen: the zone itself is the window
        out = [_feature(geom, (geom, height, feature), "zone") for geom, height, feature in zone_shapes]
    return {"type": "FeatureCollection", "features": out}


def _feature(face, owner, source: str, own_height: bool = False) -> dict:
    _, height, zone = owner
    props = zone.get("properties") or {}
    return {
        "type": "Feature",
        "geometry": mapping(_reproject(face, _TO_CRS84)),
        "properties": {
            "envelope_height": round(height, 2),
            "storeys": round(height / STOREY_HEIGHT_M),
            "zone_id": str(zone.get("id", props.get("id", ""))),
            "plan_id": props.get("plan_id"),
            "art_code": props.get("art_code"),
            "area_m2": round(face.area, 1),
            "source": source,
            "height_from": "baufenster" if own_height else "zone",
        },
    }
