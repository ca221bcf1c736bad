"""GML geometry and CRS for XPlanGML: shapely geometries in the storage CRS.

GML geometries are converted to shapely here, not through GDAL: XPlanGML uses curves (``Arc``,
``ArcString``, ``Ring`` of ``curveMember``) that must be densified, and each geometry carries its own
``srsName`` that must be honoured.  Coordinates in XPlanGML are easting/northing for the projected CRSs
in use (EPSG:25832/25833/31467), so transformations use ``always_xy``; a plausibility check against the
CRS's area of use catches files with swapped axes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import shapely
import shapely.errors
from lxml import etree
from pyproj import CRS, Geod
from shapely.geometry import (
    GeometryCollection,
    LineString,
    MultiLineString,
    MultiPoint,
    MultiPolygon,
    Point,
    Polygon,
)
from shapely.geometry.base import BaseGeometry

from layers.geometry import polygonal_parts, repair, to_multipolygon
from layers.xplanung.xml import XLINK_HREF, _child, _children, _feature_id, _gml_id, _local, _ref_id
from store.crs import epsg_from_srs_name, transformer

#: Arcs are densified with at most this angle (degrees) per segment ...
ARC_MAX_STEP_DEG = 2.0
#: ... and at most this deviation from the true arc (CRS units, i.e. metres).
ARC_TOLERANCE = 0.01


class XPlanError(Exception):
    """The file cannot be imported; the message names the file and the reason."""


# =========================================================================== geometry


class _GeometryError(Exception):
    """A GML geometry could not be read; turned into XPlanError with file and gml:id."""


def _srs_dimension(el) -> int:
    for node in (el, *el.iterancestors()):
        value = node.get("srsDimension")
        if value:
            return int(value)
    return 2


def _numbers(text: str | None) -> np.ndarray:
    try:
        return np.array((text or "").split(), dtype=float)
    except ValueError as err:
        raise _GeometryError(f"coordinates are not numbers ({err})") from None


def _pos_list(el) -> np.ndarray:
    values = _numbers(el.text)
    dim = _srs_dimension(el)
    if values.size == 0 or values.size % dim:
        raise _GeometryError(f"posList with {values.size} numbers does not fit dimension {dim}")
    return values.reshape(-1, dim)[:, :2]


def _gml2_coordinates(el) -> np.ndarray:
    cs, ts, dec = el.get("cs", ","), el.get("ts", " "), el.get("decimal", ".")
    rows = []
    for tup in (el.text or "").strip().split(ts if ts.strip() else None):
        if not tup:
            continue
        parts = [p.replace(dec, ".") for p in tup.split(cs)]
        try:
            rows.append([float(parts[0]), float(parts[1])])
        except (ValueError, IndexError):
            raise _GeometryError(f"unreadable gml:coordinates tuple {tup!r}") from None
    if not rows:
        raise _GeometryError("empty gml:coordinates")
    return np.array(rows)


def _direct_coords(el) -> np.ndarray:
    """Coordinates held directly by a LineString, LinearRing, segment or Point."""
    pos_list = _child(el, "posList")
    if pos_list is not None:
        return _pos_list(pos_list)
    coordinates = _child(el, "coordinates")
    if coordinates is not None:
        return _gml2_coordinates(coordinates)
    points = []
    for c in el:
        name = _local(c)
        if name == "pos":
            points.append(_pos_list(c)[0])
        elif name in ("pointProperty", "pointRep"):
            point = _child(c, "Point")
            if point is None:
                raise _GeometryError(f"gml:{name} without an inline gml:Point")
            points.append(_direct_coords(point)[0])
    if not points:
        raise _GeometryError(f"gml:{_local(el)} has no coordinates")
    return np.array(points)


def _arc(p0, p1, p2, full_circle: bool = False) -> np.ndarray:
    """Points along the circular arc through p0, p1, p2 (or the full circle through them)."""
    ax, ay = p1[0] - p0[0], p1[1] - p0[1]
    bx, by = p2[0] - p0[0], p2[1] - p0[1]
    cross = ax * by - ay * bx
    if abs(cross) <= 1e-12 * max(math.hypot(ax, ay) * math.hypot(bx, by), 1e-300):
        return np.array([p0, p1, p2])  # collinear: a straight line, not an arc
    # Centre relative to p0 (shifting first keeps precision with UTM-sized coordinates).
    d = 2.0 * cross
    a2, b2 = ax * ax + ay * ay, bx * bx + by * by
    ux, uy = (by * a2 - ay * b2) / d, (ax * b2 - bx * a2) / d
    cx, cy = p0[0] + ux, p0[1] + uy
    radius = math.hypot(ux, uy)
    t0 = math.atan2(p0[1] - cy, p0[0] - cx)
    t2 = math.atan2(p2[1] - cy, p2[0] - cx)
    ccw = cross > 0  # a left turn p0 -> p1 -> p2 means counter-clockwise travel
    if full_circle:
        sweep = 2 * math.pi if ccw else -2 * math.pi
    elif ccw:
        sweep = (t2 - t0) % (2 * math.pi)
    else:
        sweep = -((t0 - t2) % (2 * math.pi))
    return _arc_by_center(cx, cy, radius, t0, sweep, p0, None if full_circle else p2)


def _arc_by_center(cx, cy, radius, t0, sweep, start=None, end=None) -> np.ndarray:
    tolerance = min(ARC_TOLERANCE, radius * 1e-3)
    step = math.radians(ARC_MAX_STEP_DEG)
    if radius > tolerance:
        step = min(step, 2 * math.acos(1 - tolerance / radius))
    n = min(max(2, math.ceil(abs(sweep) / step)), 2000)
    angles = t0 + np.linspace(0.0, sweep, n + 1)
    pts = np.column_stack([cx + radius * np.cos(angles), cy + radius * np.sin(angles)])
    if start is not None:  # keep the exact given end points so rings close and curves join
        pts[0] = start
    if end is not None:
        pts[-1] = end
    elif abs(abs(sweep) - 2 * math.pi) < 1e-12:
        pts[-1] = pts[0]
    return pts


def _angle(el, name: str) -> float:
    """An angle of an ArcByCenterPoint in radians (GML gives degrees unless uom says rad)."""
    c = _child(el, name)
    if c is None:
        return 0.0
    value = float(c.text)
    return value if (c.get("uom") or "").lower().startswith("rad") else math.radians(value)


def _segment_coords(seg) -> np.ndarray:
    name = _local(seg)
    if name in ("LineStringSegment", "LineString"):
        return _direct_coords(seg)
    if name in ("Arc", "ArcString", "Circle"):
        pts = _direct_coords(seg)
        if len(pts) < 3 or (len(pts) - 1) % 2:
            raise _GeometryError(f"gml:{name} needs 2n+1 points, has {len(pts)}")
        if name == "Circle":
            return _arc(pts[0], pts[1], pts[2], full_circle=True)
        parts = [_arc(pts[i], pts[i + 1], pts[i + 2]) for i in range(0, len(pts) - 2, 2)]
        return _join(parts)
    if name in ("ArcByCenterPoint", "CircleByCenterPoint"):
        centre = _direct_coords(seg)[0]
        radius_el = _child(seg, "radius")
        if radius_el is None:
            raise _GeometryError(f"gml:{name} without radius")
        radius = float(radius_el.text)
        if name == "CircleByCenterPoint":
            return _arc_by_center(centre[0], centre[1], radius, 0.0, 2 * math.pi)
        start, end = _angle(seg, "startAngle"), _angle(seg, "endAngle")
        return _arc_by_center(centre[0], centre[1], radius, start, end - start)
    raise _GeometryError(f"unsupported curve segment gml:{name}")


def _join(parts: list[np.ndarray]) -> np.ndarray:
    """Concatenate coordinate runs, dropping the repeated point where they meet."""
    out = [parts[0]]
    for part in parts[1:]:
        if len(part) and np.allclose(out[-1][-1], part[0], rtol=0, atol=1e-9):
            part = part[1:]
        out.append(part)
    return np.vstack(out)


class _GmlReader:
    """Turns GML geometry elements into shapely geometries (source coordinates)."""

    def __init__(self, by_id: dict):
        self.by_id = by_id  # every element with a gml:id, for xlink:href'd geometries
        self.notes: list[str] = []  # degenerate parts skipped while reading

    def _inline(self, prop):
        """The geometry element inside a property (``exterior``, ``curveMember`` ...)."""
        for c in prop:
            if isinstance(c.tag, str):
                return c
        target = self.by_id.get(_ref_id(prop.get(XLINK_HREF)))
        if target is None:
            raise _GeometryError(f"gml:{_local(prop)} holds no geometry")
        return target

    def _members(self, el, single: str, plural: str) -> list:
        out = [self._inline(m) for m in _children(el, single)]
        for m in _children(el, plural):
            out.extend(c for c in m if isinstance(c.tag, str))
        return out

    # ---- curves
    def curve_coords(self, el) -> np.ndarray:
        name = _local(el)
        if name in ("LineString", "LinearRing"):
            return _direct_coords(el)
        if name == "Curve":
            segments = _child(el, "segments")
            if segments is None or not len(segments):
                raise _GeometryError("gml:Curve without segments")
            return _join([_segment_coords(s) for s in segments if isinstance(s.tag, str)])
        if name == "OrientableCurve":
            base = self.curve_coords(self._inline(_child(el, "baseCurve")))
            return base[::-1] if el.get("orientation", "+") == "-" else base
        if name in ("CompositeCurve", "Ring"):
            members = [self._inline(m) for m in _children(el, "curveMember")]
            if not members:
                raise _GeometryError(f"gml:{name} without curveMember")
            return _join([self.curve_coords(m) for m in members])
        raise _GeometryError(f"unsupported curve gml:{name}")

    def ring(self, prop) -> np.ndarray | None:
        coords = self.curve_coords(self._inline(prop))
        if len(np.unique(coords, axis=0)) < 3:
            self.notes.append("degenerate ring (fewer than 3 distinct points) skipped")
            return None
        return coords

    # ---- surfaces
    def polygon(self, el) -> Polygon:
        exterior = _child(el, "exterior") if _child(el, "exterior") is not None else _child(el, "outerBoundaryIs")
        if exterior is None:
            return Polygon()
        shell = self.ring(exterior)
        if shell is None:
            return Polygon()
        holes = [
            h
            for h in (self.ring(i) for i in _children(el, "interior") + _children(el, "innerBoundaryIs"))
            if h is not None
        ]
        return Polygon(shell, holes)

    def polygons(self, el) -> list[Polygon]:
        """Every polygon a surface-like element is made of."""
        name = _local(el)
        if name in ("Polygon", "PolygonPatch", "Rectangle", "Triangle"):
            return [self.polygon(el)]
        if name == "Surface":
            patches = _child(el, "patches")
            if patches is None:
                raise _GeometryError("gml:Surface without patches")
            return [p for patch in patches if isinstance(patch.tag, str) for p in self.polygons(patch)]
        if name == "OrientableSurface":
            return self.polygons(self._inline(_child(el, "baseSurface")))
        if name in ("MultiSurface", "CompositeSurface", "Shell"):
            return [p for m in self._members(el, "surfaceMember", "surfaceMembers") for p in self.polygons(m)]
        if name == "MultiPolygon":  # GML 2
            return [p for m in self._members(el, "polygonMember", "polygonMembers") for p in self.polygons(m)]
        raise _GeometryError(f"unsupported surface gml:{name}")

    # ---- any geometry
    def geometry(self, el) -> BaseGeometry:
        name = _local(el)
        if name == "Point":
            return Point(_direct_coords(el)[0])
        if name == "MultiPoint":
            return MultiPoint([self.geometry(m) for m in self._members(el, "pointMember", "pointMembers")])
        if name in ("LineString", "Curve", "OrientableCurve", "CompositeCurve", "LinearRing", "Ring"):
            return LineString(self.curve_coords(el))
        if name in ("MultiCurve", "MultiLineString"):
            members = self._members(el, "curveMember", "curveMembers") + self._members(
                el, "lineStringMember", "lineStringMembers"
            )
            return MultiLineString([self.curve_coords(m) for m in members])
        if name in ("Polygon", "Surface", "OrientableSurface", "PolygonPatch"):
            polys = [p for p in self.polygons(el) if not p.is_empty]
            if len(polys) == 1:
                return polys[0]
            return shapely.union_all(polys) if polys else Polygon()
        if name in ("CompositeSurface", "Shell"):  # one surface made of adjoining patches
            polys = [p for p in self.polygons(el) if not p.is_empty]
            return shapely.union_all(polys) if polys else Polygon()
        if name in ("MultiSurface", "MultiPolygon"):
            return MultiPolygon([p for p in self.polygons(el) if not p.is_empty])
        if name == "MultiGeometry":
            members = self._members(el, "geometryMember", "geometryMembers")
            return GeometryCollection([self.geometry(m) for m in members])
        raise _GeometryError(f"unsupported geometry gml:{name}")


# =========================================================================== CRS


@lru_cache(maxsize=64)
def _plausible_box(epsg: int) -> tuple[float, float, float, float] | None:
    """Generous bounds (source CRS, x/y order) where coordinates of ``epsg`` can lie."""
    crs = CRS.from_epsg(epsg)
    aou = crs.area_of_use
    if aou is None:
        return None
    west, south, east, north = aou.bounds
    box = (max(west - 3, -180), max(south - 3, -90), min(east + 3, 180), min(north + 3, 90))
    if crs.is_geographic:
        return box
    return transformer(4326, epsg).transform_bounds(*box, densify_pts=21)


def _inside(bounds, box) -> bool:
    return box[0] <= bounds[0] and bounds[2] <= box[2] and box[1] <= bounds[1] and bounds[3] <= box[3]


def _area_m2(geom: BaseGeometry | None, crs: CRS) -> float | None:
    if geom is None or geom.is_empty:
        return None
    if crs.is_projected:
        return float(geom.area)
    return float(abs(Geod(ellps="WGS84").geometry_area_perimeter(geom)[0]))


# =========================================================================== the document


@dataclass
class _Context:
    """What every step needs: the file, its version, the target CRS and the gml:id index."""

    path: Path
    label: str  # "LA22_5-2/xplan.gml", used in messages and as source_file
    version: str
    epsg: int
    target_crs: CRS
    default_srs: str | None
    by_id: dict
    swapped_srs: set = field(default_factory=set)
    outside_warned: set = field(default_factory=set)
    #: (gml:id, property) -> geometry already read: the generic and the Bebauungsplan readers
    #: read the same properties, and GML curves are the costly part of an import
    geometries: dict = field(default_factory=dict)

    def fail(self, reason: str) -> XPlanError:
        return XPlanError(f"{self.label}: {reason}")


def _label(path: Path) -> str:
    return f"{path.parent.name}/{path.name}" if path.parent.name else path.name


def _parse(path: Path, label: str):
    if not path.exists():
        raise XPlanError(f"{label}: file not found ({path})")
    if not path.is_file():
        raise XPlanError(f"{label}: not a file ({path})")
    parser = etree.XMLParser(huge_tree=True, resolve_entities=False, no_network=True, remove_comments=True)
    try:
        tree = etree.parse(str(path), parser)
    except etree.XMLSyntaxError as err:
        raise XPlanError(f"{label}: not well-formed XML ({err})") from None
    except OSError as err:
        raise XPlanError(f"{label}: cannot be read ({err})") from None
    if tree.docinfo.doctype:  # XPlanGML has none; its entities would not be expanded (resolve_entities=False)
        raise XPlanError(f"{label}: a document type declaration (<!DOCTYPE …>) is not allowed in XPlanGML")
    return tree.getroot()


def _features(root, xplan_ns: str) -> list:
    """The XPlanung features: elements of the XPlanung namespace that carry a gml:id
    directly below a feature member (or the root)."""
    out = []
    for el in root.iter(f"{{{xplan_ns}}}*"):  # the namespace test in C: most elements are not XPlanung's
        if _gml_id(el) is None:
            continue
        parent = el.getparent()
        if parent is None:
            continue
        if parent is root or _local(parent) in ("featureMember", "featureMembers", "member"):
            out.append(el)
    return out


def _default_srs(root) -> str | None:
    """srsName of the document's own boundedBy (or root), the CRS of geometries that name none."""
    if root.get("srsName"):
        return root.get("srsName")
    bounded = _child(root, "boundedBy")
    if bounded is not None:
        for el in bounded.iter():
            if isinstance(el.tag, str) and el.get("srsName"):
                return el.get("srsName")
    return None


def _geometry_srs(geom_el, feature, ctx: _Context) -> str | None:
    if geom_el.get("srsName"):
        return geom_el.get("srsName")
    for el in geom_el.iter():  # some writers name it only on the posList
        if isinstance(el.tag, str) and el.get("srsName"):
            return el.get("srsName")
    for anc in geom_el.iterancestors():
        if anc.get("srsName"):
            return anc.get("srsName")
    bounded = _child(feature, "boundedBy")
    if bounded is not None:
        for el in bounded.iter():
            if isinstance(el.tag, str) and el.get("srsName"):
                return el.get("srsName")
    return ctx.default_srs


def read_geometries(items: list[tuple], ctx: _Context, warnings: list[str]) -> None:
    """Read the geometries of ``items`` (``(property element, feature)`` pairs) into ``ctx.geometries``,
    transformed to the target CRS in one call per source CRS: one pyproj call for a plan's thousands of
    objects instead of one each (the per-call overhead was most of an FNP's transform time)."""
    pending: dict[int, list] = {}
    for prop, feature in items:
        fid = _feature_id(feature)
        key = (fid, _local(prop))
        if key in ctx.geometries:
            continue
        geom, src = _source_geometry(prop, feature, fid, ctx, warnings)
        if geom.is_empty or src == ctx.epsg:
            ctx.geometries[key] = _check_axis_order(geom, src, fid, ctx, warnings) if not geom.is_empty else geom
        else:
            pending.setdefault(src, []).append((key, _check_axis_order(geom, src, fid, ctx, warnings)))
    for src, entries in pending.items():
        geoms = np.array([g for _, g in entries], dtype=object)
        coords = shapely.get_coordinates(geoms)
        x, y = transformer(src, ctx.epsg).transform(coords[:, 0], coords[:, 1])
        if not (np.isfinite(x).all() and np.isfinite(y).all()):
            bad = next(
                key[0]
                for key, g in entries
                if not np.isfinite(shapely.get_coordinates(_to_target(g, src, key[0], ctx, [], False))).all()
            )
            raise ctx.fail(f"geometry of {bad} cannot be transformed from EPSG:{src} to EPSG:{ctx.epsg}")
        out = shapely.set_coordinates(geoms.copy(), np.column_stack([x, y]))
        for (key, _), geom in zip(entries, out, strict=True):
            ctx.geometries[key] = geom


def _read_geometry(prop, feature, ctx: _Context, warnings: list[str]) -> BaseGeometry | None:
    """The geometry in property element ``prop`` of ``feature``, in the target CRS."""
    if prop is None:
        return None
    fid = _feature_id(feature)
    key = (fid, _local(prop))
    if key in ctx.geometries:
        return ctx.geometries[key]
    geom, src = _source_geometry(prop, feature, fid, ctx, warnings)
    geom = ctx.geometries[key] = _to_target(geom, src, fid, ctx, warnings)
    return geom


def _source_geometry(prop, feature, fid: str, ctx: _Context, warnings: list[str]) -> tuple[BaseGeometry, int]:
    """The geometry in ``prop`` as written (source CRS) and the EPSG code of that CRS."""
    reader = _GmlReader(ctx.by_id)
    geom_el = None
    try:
        geom_el = reader._inline(prop)
        geom = reader.geometry(geom_el)
    except (_GeometryError, ValueError, TypeError, IndexError, shapely.errors.ShapelyError) as err:
        where = f"{_local(feature)} {fid}"
        if geom_el is not None and _gml_id(geom_el):
            where += f" (gml:{_local(geom_el)} {_gml_id(geom_el)})"
        raise ctx.fail(f"cannot read the geometry of {where}: {err}") from None
    for note in dict.fromkeys(reader.notes):
        warnings.append(f"{fid}: {note}")
    srs = _geometry_srs(geom_el, feature, ctx)
    src = epsg_from_srs_name(srs)
    if src is None:
        raise ctx.fail(f"geometry of {fid} has no usable srsName ({srs!r})")
    return geom, src


def _to_target(
    geom: BaseGeometry, src: int, fid: str, ctx: _Context, warnings: list[str], check_axes: bool = True
) -> BaseGeometry:
    if geom.is_empty:
        return geom
    if check_axes:
        geom = _check_axis_order(geom, src, fid, ctx, warnings)
    if src == ctx.epsg:
        return geom
    tr = transformer(src, ctx.epsg)

    def project(xy: np.ndarray) -> np.ndarray:
        x, y = tr.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    out = shapely.transform(geom, project)
    if not np.isfinite(shapely.get_coordinates(out)).all():
        raise ctx.fail(f"geometry of {fid} cannot be transformed from EPSG:{src} to EPSG:{ctx.epsg}")
    return out


def _check_axis_order(geom, src: int, fid: str, ctx: _Context, warnings: list[str]):
    """Swap x/y when coordinates only make sense swapped (a writer that used northing first)."""
    if src in ctx.swapped_srs:
        return shapely.transform(geom, lambda xy: xy[:, ::-1])
    box = _plausible_box(src)
    if box is None or _inside(geom.bounds, box):
        return geom
    swapped = shapely.transform(geom, lambda xy: xy[:, ::-1])
    if _inside(swapped.bounds, box):
        ctx.swapped_srs.add(src)
        warnings.append(f"coordinates in EPSG:{src} are in northing/easting order (first seen at {fid}); swapped")
        return swapped
    if src not in ctx.outside_warned:
        ctx.outside_warned.add(src)
        warnings.append(f"{fid}: coordinates lie outside the area of use of EPSG:{src}; check the srsName")
    return geom


def _polygonal(geom: BaseGeometry | None, fid: str, warnings: list[str]) -> MultiPolygon | None:
    """Valid MultiPolygon of ``geom``; repaired by :func:`layers.geometry.repair` (with a warning naming ``fid``)."""
    if geom is None or geom.is_empty:
        return None
    fixed, message = repair(geom, fid)
    if message:
        warnings.append(message)
    if fixed is None:
        return None
    result = to_multipolygon(fixed)
    if result is None:
        warnings.append(f"{fid}: geometry has no polygonal part ({fixed.geom_type})")
    return result


def _any_geometry(geom: BaseGeometry | None, fid: str, warnings: list[str]) -> BaseGeometry | None:
    """Lines and points as they are; polygons repaired like :func:`_polygonal`."""
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return _polygonal(geom, fid, warnings)
    if geom.geom_type == "GeometryCollection":
        return _polygonal(geom, fid, warnings) if polygonal_parts(geom) else geom
    return geom
