"""Synthetic existing buildings and parcels for areas without real data, consistent with the plan.

The Langenhorn demo has Bebauungspläne but no open LoD data, so the twin
generates a plausible *existing* building stock inside the
Baugebietsteilflächen:

* footprints lie inside the zone, 3 m from its edge (Abstandsflächen), and
  inside the Baufenster where Baugrenzen are given;
* types follow the type of area (art_code): single and semi-detached houses
  (10 m × 12 m, 20 m × 12 m) in WS/WR/WA, terraces (30 m × 10 m) there in
  geschlossene Bauweise, blocks (30 m × 12 m) in WB/MD/MI/MU/MK, halls
  (40 m × 25 m) in GE/GI, 15 m × 15 m buildings elsewhere;
* storeys never exceed Z, the overbuilt area stays at 50-85 % of the
  permitted GRZ and the floor area below 90 % of the permitted GFZ;
* everything is deterministic: random numbers are a hash of ``seed``, the
  zone id and the grid cell, so a zone's buildings do not change when other
  zones are added or removed.

Every row is labelled ``synthetic = True``, ``source = "synthetic:demo"``,
name "Synthetisches Gebäude (Demo)".
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely

from twin.indicators import GRZ_ORIENTATION, buildable_windows, permitted_gfz, permitted_grz, permitted_z

SOURCE = "synthetic:demo"
NAME = "Synthetisches Gebäude (Demo)"
#: Distance (m) kept from the zone boundary.
SETBACK = 3.0


@dataclass(frozen=True)
class BuildingType:
    width: float  # along the zone's long axis (m)
    depth: float
    cell_width: float  # grid cell the building sits in (plot size), m
    cell_depth: float
    storeys: tuple[int, int]  # typical range where the plan fixes no Z
    storey_height: float
    function: str
    roof_type: str


TYPES = {
    "house": BuildingType(10, 12, 26, 28, (1, 2), 3.0, "Wohnhaus", "Satteldach"),
    "double": BuildingType(20, 12, 26, 28, (1, 2), 3.0, "Doppelhaus", "Satteldach"),
    "row": BuildingType(30, 10, 36, 24, (2, 3), 3.0, "Reihenhauszeile", "Satteldach"),
    "block": BuildingType(30, 12, 42, 30, (2, 4), 3.0, "Wohn- und Geschäftshaus", "Flachdach"),
    "hall": BuildingType(40, 25, 58, 42, (1, 1), 4.5, "Gewerbehalle", "Flachdach"),
    "other": BuildingType(15, 15, 30, 30, (1, 3), 3.0, "Gebäude", "Flachdach"),
}
_TYPE_NAMES = list(TYPES)


def _kind(art_code, bauweise) -> str:
    art = str(art_code or "").upper()
    closed = "geschlossen" in str(bauweise or "").lower()
    if art in ("WS", "WR", "WA"):
        return "row" if closed else "house"
    if art in ("WB", "MD", "MDW", "MI", "MU", "MK"):
        return "block"
    if art in ("GE", "GI"):
        return "hall"
    return "other"


# ----------------------------------------------------------------------------- deterministic noise

_M64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def _splitmix(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser: a well-mixed uint64 from a uint64 (vectorised, wraps on overflow)."""
    with np.errstate(over="ignore"):
        z = x.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def _uniform(key: np.ndarray, *parts) -> np.ndarray:
    """Uniform [0, 1) numbers, a pure function of ``key`` (uint64 per item) and integer ``parts``."""
    h = _splitmix(key)
    for part in parts:
        h = _splitmix(h ^ np.asarray(part).astype(np.int64).astype(np.uint64))
    return (h >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def _zone_keys(zone_ids, seed: int) -> np.ndarray:
    return np.array([zlib.crc32(str(z).encode()) ^ (int(seed) << 32) for z in zone_ids], dtype=np.uint64)


# ----------------------------------------------------------------------------- grid


def _frames(geoms: np.ndarray):
    """Per geometry: orientation angle (long axis of the minimum rotated rectangle), centre, local bounds."""
    env = shapely.oriented_envelope(geoms)
    ring = shapely.get_exterior_ring(env)
    coords = np.stack([shapely.get_coordinates(shapely.get_point(ring, k)) for k in range(3)], axis=1)
    e1, e2 = coords[:, 1] - coords[:, 0], coords[:, 2] - coords[:, 1]
    long = np.where((np.hypot(*e1.T) >= np.hypot(*e2.T))[:, None], e1, e2)
    angle = np.arctan2(long[:, 1], long[:, 0])
    centre = shapely.get_coordinates(shapely.centroid(env))
    # vertices in the local frame (u along the long axis, v across), for the local bounds
    pts, owner = shapely.get_coordinates(geoms, return_index=True)
    rel = pts - centre[owner]
    c, s = np.cos(angle[owner]), np.sin(angle[owner])
    u, v = rel[:, 0] * c + rel[:, 1] * s, -rel[:, 0] * s + rel[:, 1] * c
    n = len(geoms)
    umin, umax, vmin, vmax = (np.full(n, np.inf), np.full(n, -np.inf), np.full(n, np.inf), np.full(n, -np.inf))
    np.minimum.at(umin, owner, u)
    np.maximum.at(umax, owner, u)
    np.minimum.at(vmin, owner, v)
    np.maximum.at(vmax, owner, v)
    return angle, centre, umin, umax, vmin, vmax


def _cells(geoms: np.ndarray, cell_w: np.ndarray, cell_d: np.ndarray, fit: bool):
    """Grid cells over each geometry, aligned with its long axis.

    With ``fit`` the cells are stretched so a whole number of them fills the
    geometry's extent (buildings in a Baufenster line up with it); without,
    cells keep their size from the lower-left corner (parcels).
    Returns owner index, cell (ix, iy), cell centre (u, v) and size, and the frames.
    """
    angle, centre, umin, umax, vmin, vmax = _frames(geoms)
    ok = np.isfinite(angle) & np.isfinite(umin)
    lu, lv = np.where(ok, umax - umin, 0), np.where(ok, vmax - vmin, 0)
    if fit:
        nx = np.maximum(1, np.floor(lu / cell_w)).astype(np.int64)
        ny = np.maximum(1, np.floor(lv / cell_d)).astype(np.int64)
        su, sv = lu / nx, lv / ny
    else:
        nx = np.ceil(lu / cell_w).astype(np.int64)
        ny = np.ceil(lv / cell_d).astype(np.int64)
        su, sv = cell_w.astype(float), cell_d.astype(float)
    nx[~ok], ny[~ok] = 0, 0
    counts = nx * ny
    owner = np.repeat(np.arange(len(geoms)), counts)
    local = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    ix, iy = local % nx[owner], local // nx[owner]
    cu = umin[owner] + (ix + 0.5) * su[owner]
    cv = vmin[owner] + (iy + 0.5) * sv[owner]
    return owner, ix, iy, cu, cv, su[owner], sv[owner], angle, centre


def _rectangles(cu, cv, width, depth, angle, centre) -> np.ndarray:
    """Rectangles centred at local (cu, cv), rotated by the zone angle into map coordinates."""
    corners = np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5], [-0.5, -0.5]])
    u = cu[:, None] + corners[None, :, 0] * width[:, None]
    v = cv[:, None] + corners[None, :, 1] * depth[:, None]
    c, s = np.cos(angle)[:, None], np.sin(angle)[:, None]
    x = centre[:, 0][:, None] + u * c - v * s
    y = centre[:, 1][:, None] + u * s + v * c
    return shapely.polygons(np.stack([x, y], axis=-1))


def _as_multipolygons(geoms: np.ndarray) -> np.ndarray:
    """Polygons and multipolygons as multipolygons (the catalogue's geometry type)."""
    if not len(geoms):
        return np.empty(0, dtype=object)
    parts, owner = shapely.get_parts(geoms, return_index=True)
    return shapely.multipolygons(parts, indices=owner)


def _allowed_areas(zones: gpd.GeoDataFrame, baugrenzen) -> np.ndarray:
    """Where a zone may be built on: the zone 3 m in from its edge, within its Baufenster if any."""
    geoms = zones.geometry.values
    allowed = shapely.buffer(geoms, -SETBACK)
    if baugrenzen is None:
        return allowed
    windows = buildable_windows(baugrenzen)
    if not len(windows):
        return allowed
    z_idx, w_idx = shapely.STRtree(windows).query(geoms, predicate="intersects")
    for j in np.unique(z_idx):
        inside = shapely.intersection(shapely.union_all(windows[w_idx[z_idx == j]]), allowed[j])
        if shapely.area(inside) > 1.0:
            allowed[j] = inside
    return allowed


def synthetic_buildings(zones: gpd.GeoDataFrame, seed: int = 0, baugrenzen=None) -> dict[str, gpd.GeoDataFrame]:
    """Generate existing buildings inside Baugebietsteilflächen, consistent with their Festsetzungen.

    Parameters
    ----------
    zones : GeoDataFrame
        ``bp_baugebiet`` rows (``id``, ``art_code``, ``grz``, ``gfz``, ``z``,
        ``bauweise``, ... ; missing columns are treated as not fixed), in a
        projected CRS.
    seed : int
        Same seed and zone, same buildings.
    baugrenzen : GeoDataFrame or array, optional
        ``bp_baugrenze`` geometries; buildings then stay inside the Baufenster.

    Returns
    -------
    dict
        ``{"buildings": GeoDataFrame}`` with catalogue ``buildings`` columns:
        ids ``synthetic:<zone id>:<n>``, ``synthetic`` True, ``source``
        ``"synthetic:demo"``, ``height`` = storeys × storey height
        (``height_estimated`` True).

    Notes
    -----
    Per zone :math:`j` with area :math:`|P_j|`, permitted :math:`GRZ_j`
    (BauNVO §17 Orientierungswert where none is fixed), :math:`GFZ_j`,
    :math:`Z_j`, and a fill ratio :math:`f_j \\in [0.5, 0.85)`:

    * the allowed area is the zone minus 3 m, within its Baufenster where it
      has any; each part of it is cut by a grid of cells (plot size of the
      building type) aligned with its long axis, and each piece gets one
      candidate building aligned with the piece (shrunk to fit narrow
      Baufenster, at least 6 m × 6 m), kept when it lies wholly inside the
      allowed area;
    * candidates are taken in random order while
      :math:`\\sum A_i \\le f_j \\min(GRZ_j, 0.9\\,GFZ_j)\\,|P_j|`;
    * storeys are drawn from the type's range, capped by
      :math:`s_j = \\min(Z_j, \\lfloor 0.9\\,GFZ_j |P_j| / \\sum A_i \\rfloor)`,
      so :math:`GF_j \\le 0.9\\,GFZ_j |P_j|`.
    """
    zones = zones.reset_index(drop=True)
    columns = [
        "id",
        "source",
        "source_id",
        "name",
        "function",
        "height",
        "storeys",
        "height_estimated",
        "roof_type",
        "synthetic",
    ]
    empty = gpd.GeoDataFrame({c: [] for c in columns}, geometry=[], crs=zones.crs)
    zones = zones[~zones.geometry.isna() & ~zones.geometry.is_empty].reset_index(drop=True)
    if zones.empty:
        return {"buildings": empty}
    ids = zones["id"].astype(str).to_numpy() if "id" in zones else np.arange(len(zones)).astype(str)
    keys = _zone_keys(ids, seed)
    art = zones["art_code"].to_numpy(dtype=object) if "art_code" in zones else np.full(len(zones), None)
    bauweise = zones["bauweise"].to_numpy(dtype=object) if "bauweise" in zones else np.full(len(zones), None)
    kinds = [_kind(a, b) for a, b in zip(art, bauweise, strict=True)]

    # candidates: a grid over every part of the allowed area (a Baufenster, or the zone without one)
    allowed = _allowed_areas(zones, baugrenzen)
    parts, zone = shapely.get_parts(allowed, return_index=True)
    big = shapely.area(parts) >= 30.0
    parts, zone = parts[big], zone[big]
    part_no = np.arange(len(zone)) - np.searchsorted(zone, zone)  # part number within its zone
    part_kind = np.array(kinds, dtype=object)[zone]
    cw = np.array([TYPES[k].cell_width for k in part_kind], dtype=float)
    cd = np.array([TYPES[k].cell_depth for k in part_kind], dtype=float)
    owner, ix, iy, cu, cv, su, sv, angle, centre = _cells(parts, cw, cd, fit=True)
    # each cell clipped to its part is a plot; the building is aligned with the plot's own long
    # axis, so bent or winding Baufenster are filled along their course
    cells = _rectangles(cu, cv, su, sv, angle[owner], centre[owner])
    plots, plot_of = shapely.get_parts(shapely.intersection(cells, parts[owner]), return_index=True)
    usable = (shapely.get_type_id(plots) == 3) & (shapely.area(plots) >= 30.0)
    plots, plot_of = plots[usable], plot_of[usable]
    sub = np.arange(len(plot_of)) - np.searchsorted(plot_of, plot_of)  # piece number within the cell
    zone, ix = zone[owner][plot_of], ix[plot_of] + 1000 * sub
    iy = iy[plot_of] + 10_000 * part_no[owner][plot_of]  # cell keys unique within the zone
    angle, centre, umin, umax, vmin, vmax = _frames(plots)
    kind = np.array(kinds, dtype=object)[zone]
    # semi-detached instead of single houses in about 40 % of the plots
    double = (kind == "house") & (_uniform(keys[zone], 3, ix, iy) < 0.4)
    kind = np.where(double, "double", kind)
    # the type's size, narrowed to fit a smaller plot (narrow Baufenster), at least 6 m; 1 m to the
    # plot edge so buildings of neighbouring plots never touch
    lu, lv = umax - umin, vmax - vmin
    width = np.minimum([TYPES[k].width for k in kind], lu - 2.0)
    depth = np.minimum([TYPES[k].depth for k in kind], lv - 2.0)
    cu = (umin + umax) / 2 + (_uniform(keys[zone], 4, ix, iy) - 0.5) * np.maximum(lu - width - 2.0, 0)
    cv = (vmin + vmax) / 2 + (_uniform(keys[zone], 5, ix, iy) - 0.5) * np.maximum(lv - depth - 2.0, 0)
    rect = _rectangles(cu, cv, width, depth, angle, centre)
    shapely.prepare(allowed)
    fits = (width >= 6.0) & (depth >= 6.0) & shapely.contains(allowed[zone], rect)
    zone, ix, iy, kind, rect = zone[fits], ix[fits], iy[fits], kind[fits], rect[fits]
    if not len(zone):
        return {"buildings": empty}

    area_z = shapely.area(zones.geometry.values)
    grz_p = permitted_grz(zones)
    grz_p = np.where(np.isfinite(grz_p), grz_p, [GRZ_ORIENTATION.get(str(a or "").upper(), 0.4) for a in art])
    gfz_p = permitted_gfz(zones)
    z_p = permitted_z(zones)
    fill = 0.5 + 0.35 * _uniform(keys, 6)
    budget = fill * np.fmin(grz_p, 0.9 * gfz_p) * area_z  # fmin ignores a missing GFZ

    # random order within each zone, keep while the running footprint stays within budget
    a = shapely.area(rect)
    order = np.lexsort((_uniform(keys[zone], 7, ix, iy), zone))
    zone, ix, iy, kind, rect, a = zone[order], ix[order], iy[order], kind[order], rect[order], a[order]
    running = np.cumsum(a)
    start = np.r_[0, np.flatnonzero(np.diff(zone)) + 1]
    zone_start = np.repeat(running[start] - a[start], np.diff(np.r_[start, len(zone)]))
    keep = running - zone_start <= budget[zone]
    zone, ix, iy, kind, rect, a = zone[keep], ix[keep], iy[keep], kind[keep], rect[keep], a[keep]

    footprint = np.bincount(zone, weights=a, minlength=len(zones))
    with np.errstate(divide="ignore", invalid="ignore"):
        gfz_cap = np.floor(0.9 * gfz_p * area_z / footprint)
    cap = np.fmin(z_p, gfz_cap)[zone]  # NaN where neither Z nor GFZ is fixed
    lo = np.array([TYPES[k].storeys[0] for k in kind], dtype=float)
    hi = np.array([TYPES[k].storeys[1] for k in kind], dtype=float)
    hi = np.where(np.isfinite(z_p[zone]), np.maximum(hi, z_p[zone] - 1), hi)  # use the plan's Z where given
    hi = np.fmin(hi, cap)
    lo = np.minimum(lo, hi)
    storeys = np.floor(lo + _uniform(keys[zone], 8, ix, iy) * (hi - lo + 1)).clip(lo, hi).astype(int)
    height = storeys * np.array([TYPES[k].storey_height for k in kind])

    # number the buildings of a zone in grid order (row by row), 1-based
    order = np.lexsort((ix, iy, zone))
    zone, kind, rect, storeys, height = zone[order], kind[order], rect[order], storeys[order], height[order]
    start = np.r_[0, np.flatnonzero(np.diff(zone)) + 1] if len(zone) else np.empty(0, int)
    n = np.arange(len(zone)) - np.repeat(start, np.diff(np.r_[start, len(zone)])) + 1
    building_ids = [f"synthetic:{ids[z]}:{k}" for z, k in zip(zone, n, strict=True)]
    frame = gpd.GeoDataFrame(
        {
            "id": building_ids,
            "source": SOURCE,
            "source_id": building_ids,
            "name": NAME,
            "function": [TYPES[k].function for k in kind],
            "height": height.astype(float),
            "storeys": storeys,
            "height_estimated": True,
            "roof_type": [TYPES[k].roof_type for k in kind],
            "synthetic": True,
        },
        geometry=_as_multipolygons(rect),
        crs=zones.crs,
    )
    if frame.empty:
        return {"buildings": empty}
    return {"buildings": frame[columns + ["geometry"]]}


def synthetic_parcels(zones: gpd.GeoDataFrame, seed: int = 0, min_area: float = 100.0) -> dict[str, gpd.GeoDataFrame]:
    """Synthetic parcels (Flurstücke): each zone cut into a grid of plots of its building type's size.

    The grid is aligned with the zone's long axis; each cell clipped to its
    zone is a parcel (pieces under ``min_area`` m² are dropped).  ``seed`` is
    accepted for symmetry with :func:`synthetic_buildings`; the grid itself
    is fully determined by the zone.
    Returns ``{"parcels": GeoDataFrame}`` with ids ``synthetic:<zone id>:p<n>``
    and ``synthetic`` True.
    """
    zones = zones[~zones.geometry.isna() & ~zones.geometry.is_empty].reset_index(drop=True)
    columns = ["id", "source", "source_id", "flurstueck_nummer", "synthetic"]
    if zones.empty:
        return {"parcels": gpd.GeoDataFrame({c: [] for c in columns}, geometry=[], crs=zones.crs)}
    ids = zones["id"].astype(str).to_numpy() if "id" in zones else np.arange(len(zones)).astype(str)
    art = zones["art_code"].to_numpy(dtype=object) if "art_code" in zones else np.full(len(zones), None)
    bauweise = zones["bauweise"].to_numpy(dtype=object) if "bauweise" in zones else np.full(len(zones), None)
    kinds = [_kind(a, b) for a, b in zip(art, bauweise, strict=True)]
    cw = np.array([TYPES[k].cell_width for k in kinds], dtype=float)
    cd = np.array([TYPES[k].cell_depth for k in kinds], dtype=float)
    zone, _ix, _iy, cu, cv, su, sv, angle, centre = _cells(zones.geometry.values, cw, cd, fit=False)
    cells = _rectangles(cu, cv, su, sv, angle[zone], centre[zone])
    pieces = shapely.intersection(cells, zones.geometry.values[zone])
    keep = (shapely.area(pieces) >= min_area) & np.isin(shapely.get_type_id(pieces), [3, 6])
    zone, pieces = zone[keep], pieces[keep]
    start = np.r_[0, np.flatnonzero(np.diff(zone)) + 1] if len(zone) else np.empty(0, int)
    n = np.arange(len(zone)) - np.repeat(start, np.diff(np.r_[start, len(zone)])) + 1
    parcel_ids = [f"synthetic:{ids[z]}:p{k}" for z, k in zip(zone, n, strict=True)]
    frame = gpd.GeoDataFrame(
        {
            "id": parcel_ids,
            "source": SOURCE,
            "source_id": parcel_ids,
            "flurstueck_nummer": [str(k) for k in n],
            "synthetic": True,
        },
        geometry=_as_multipolygons(pieces),
        crs=zones.crs,
    )
    return {"parcels": frame[columns + ["geometry"]]}
