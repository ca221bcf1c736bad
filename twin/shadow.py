"""Cast shadows of LoD1 buildings and sun-hours of open spaces, vectorised with shapely 2.

A building is a prism: footprint :math:`P` extruded to height :math:`h`.  On flat
ground its shadow for a sun at azimuth :math:`A` and elevation :math:`\\epsilon`
is the Minkowski sum of :math:`P` with the segment from the origin to the shadow
vector

.. math:: \\mathbf{s} = -\\frac{h}{\\tan\\epsilon}(\\sin A, \\cos A),

i.e. :math:`P` swept along :math:`\\mathbf{s}`.  It equals :math:`P` united with
the quadrilaterals :math:`(p_0, p_1, p_1+\\mathbf{s}, p_0+\\mathbf{s})` of the
footprint edges that face away from the sun (outward normal
:math:`\\mathbf{n}` with :math:`\\mathbf{n}\\cdot\\mathbf{s} > 0`) -- exact for
non-convex footprints and courtyards.  For a convex footprint this is simply
the convex hull of :math:`P` and :math:`P+\\mathbf{s}`, the fast path most
buildings take.  A non-convex footprint is cut once into convex pieces
(Hertel-Mehlhorn); since sweeping distributes over union, its shadow is the
union of its pieces' convex shadows -- the same polygon as the union with the
edge quadrilaterals (kept as the fallback and checked against it in the
tests), but 3-4 times faster.

Assumptions: flat terrain (base heights are ignored), the building is the only
occluder (no trees), the sun is a point (no penumbra).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import shapely

from twin.sun import day_times, solar_position


def _parallel_map(fn, items: list) -> list:
    """``map`` over threads: shapely 2 and numpy release the GIL, so time steps run on all cores."""
    import os
    from concurrent.futures import ThreadPoolExecutor

    workers = min(len(items), os.cpu_count() or 1)
    if workers <= 1:
        return [fn(item) for item in items]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(fn, items))


#: Share of a target that must be in the sun for a time step to count as a sun-hour.
DEFAULT_MIN_SUNLIT_SHARE = 0.5


def _geometry_array(geoms) -> tuple[np.ndarray, object]:
    """Geometries as a numpy object array plus the CRS (if any) to hand back a GeoSeries."""
    crs = getattr(geoms, "crs", None)
    if isinstance(geoms, pd.DataFrame):
        geoms = geoms.geometry
    if isinstance(geoms, pd.Series):
        geoms = geoms.values
    arr = np.asarray(geoms, dtype=object)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    return arr, crs


def shadow_vectors(heights, sun_azimuth, sun_elevation) -> tuple[np.ndarray, np.ndarray]:
    """Shadow offset :math:`(dx, dy)` in metres of a height for a sun position.

    Parameters
    ----------
    heights : float or array-like
        Heights :math:`h` in metres.
    sun_azimuth : float or array-like
        Sun azimuth :math:`A` in degrees, clockwise from north.
    sun_elevation : float or array-like
        Sun elevation :math:`\\epsilon` in degrees above the horizon.

    Returns
    -------
    dx, dy : ndarray of float
        The offset of the shadow of a point at height :math:`h`; NaN where the sun
        is at or below the horizon (no cast shadow: it is night).

    Notes
    -----
    .. math:: L = h / \\tan\\epsilon, \\quad dx = -L \\sin A, \\quad dy = -L \\cos A

    The shadow points away from the sun.

    Examples
    --------
    A 10 m height under a 45° sun in the east casts 10 m to the west; at night nothing:

    >>> dx, dy = shadow_vectors([10.0, 10.0], [90.0, 180.0], [45.0, -5.0])
    >>> np.round(dx, 6).tolist(), np.round(dy, 6).tolist()
    ([-10.0, nan], [-0.0, nan])
    """
    h = np.asarray(heights, dtype=float)
    az = np.radians(np.asarray(sun_azimuth, dtype=float))
    el = np.asarray(sun_elevation, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        length = np.where(el > 0, h / np.tan(np.radians(el)), np.nan)
    return -length * np.sin(az), -length * np.cos(az)


def _single_polygons(geoms: np.ndarray) -> np.ndarray:
    """Single-part MultiPolygons (the catalogue stores footprints as MultiPolygon) as their Polygon."""
    out = geoms.copy()
    single_multi = (shapely.get_type_id(geoms) == 6) & (shapely.get_num_geometries(geoms) == 1)
    out[single_multi] = shapely.get_geometry(geoms[single_multi], 0)
    return out


def is_convex(footprints) -> np.ndarray:
    """Whether each footprint equals its convex hull (one polygon, no hole).

    Parameters
    ----------
    footprints : GeoSeries or array-like of (Multi)Polygon
        Footprints; single-part MultiPolygons count as their polygon.

    Returns
    -------
    ndarray of bool
        One value per footprint.

    Notes
    -----
    .. math:: |\\mathrm{hull}(F)| - |F| \\le 10^{-9} \\max(|F|, 1)

    Examples
    --------
    >>> l_shape = shapely.Polygon([(0, 0), (10, 0), (10, 5), (5, 5), (5, 10), (0, 10)])
    >>> is_convex([shapely.box(0, 0, 10, 10), l_shape]).tolist()
    [True, False]
    """
    geoms, _ = _geometry_array(footprints)
    geoms = _single_polygons(geoms)
    area = shapely.area(geoms)
    hull = shapely.area(shapely.convex_hull(geoms))
    simple = shapely.get_type_id(geoms) == 3  # Polygon
    holes = shapely.get_num_interior_rings(geoms)
    return simple & (holes == 0) & (hull - area <= 1e-9 * np.maximum(area, 1.0))


def _merge_triangles(tris: list) -> list:
    """Hertel-Mehlhorn on one polygon's triangles (lists of three (x, y), any orientation): convex loops."""
    ids: dict[tuple, int] = {}
    pieces: list[list[int] | None] = []
    for (x0, y0), (x1, y1), (x2, y2) in tris:
        triangle = [ids.setdefault(p, len(ids)) for p in ((x0, y0), (x1, y1), (x2, y2))]
        pieces.append(triangle if (x1 - x0) * (y2 - y0) - (y1 - y0) * (x2 - x0) > 0 else triangle[::-1])  # CCW
    xy = list(ids)
    edge_of: dict[tuple[int, int], int] = {}
    for index, piece in enumerate(pieces):
        if piece is None:  # unreachable: nothing is merged yet
            continue
        edge_of[(piece[0], piece[1])] = edge_of[(piece[1], piece[2])] = edge_of[(piece[2], piece[0])] = index

    def turns_left(o: int, a: int, b: int) -> bool:
        (ox, oy), (ax, ay), (bx, by) = xy[o], xy[a], xy[b]
        return (ax - ox) * (by - oy) - (ay - oy) * (bx - ox) >= -1e-9

    for a, b in list(edge_of):
        k, m = edge_of.get((a, b)), edge_of.get((b, a))
        if k is None or m is None or k == m:
            continue  # an outer edge, or already merged
        p, q = pieces[k], pieces[m]
        if p is None or q is None:  # unreachable: edge_of only names live pieces
            continue
        i, j = p.index(a), q.index(b)
        merged = p[i + 1 :] + p[: i + 1] + (q[j + 1 :] + q[: j + 1])[1:-1]  # b .. a, then q's vertices a .. b inside
        n = len(merged)
        ia, ib = merged.index(a), merged.index(b)
        if turns_left(merged[ia - 1], a, merged[(ia + 1) % n]) and turns_left(merged[ib - 1], b, merged[(ib + 1) % n]):
            pieces[k], pieces[m] = merged, None
            for e in zip(q, q[1:] + q[:1], strict=True):
                edge_of.pop(e, None)
            edge_of.pop((a, b), None)
            for e in zip(merged, merged[1:] + merged[:1], strict=True):
                edge_of[e] = k
    return [[xy[v] for v in loop] for loop in pieces if loop is not None]


#: What a degenerate footprint makes :func:`convex_decomposition` raise: GEOS refusing to triangulate,
#: or a triangulation whose pieces cannot be closed into rings.  The caller then sweeps that building's
#: edges exactly instead, so the shadow stays right, only slower.
_DECOMPOSITION_ERRORS = (shapely.errors.GEOSException, ValueError, IndexError)


def convex_decomposition(polygons) -> tuple[np.ndarray, np.ndarray]:
    """Convex pieces tiling each polygon (holes allowed), with the position of the polygon of each piece.

    Parameters
    ----------
    polygons : array-like of Polygon
        Polygons to cut.

    Returns
    -------
    pieces : ndarray of Polygon
        Convex pieces, those of each polygon together.
    owner : ndarray of int
        Position in ``polygons`` of each piece's polygon.

    Notes
    -----
    Hertel-Mehlhorn: every polygon is triangulated (constrained Delaunay, no
    new vertices; all polygons in one GEOS call), then every diagonal whose
    removal leaves a convex piece is removed.  The pieces tile the polygon
    exactly, :math:`\\sum_k |C_k| = |P|`; there are at most four times as many as in
    an optimal decomposition (an L-shape gives 2).

    Examples
    --------
    >>> l_shape = shapely.Polygon([(0, 0), (10, 0), (10, 5), (5, 5), (5, 10), (0, 10)])
    >>> pieces, owner = convex_decomposition([l_shape, shapely.box(0, 0, 1, 1)])
    >>> owner.tolist(), float(shapely.area(pieces[owner == 0]).sum())
    ([0, 0, 1], 75.0)
    """
    polygons = np.asarray(polygons, dtype=object)
    tris, owner = shapely.get_parts(shapely.constrained_delaunay_triangles(polygons), return_index=True)
    corners = shapely.get_coordinates(tris).reshape(len(tris), 4, 2)[:, :3].tolist()
    loops, loop_owner = [], []
    bounds = np.r_[0, np.flatnonzero(np.diff(owner)) + 1, len(owner)] if len(owner) else np.array([0])
    for start, stop in itertools.pairwise(bounds):
        merged = _merge_triangles([[tuple(c) for c in t] for t in corners[start:stop]])
        loops.extend(merged)
        loop_owner.extend([owner[start]] * len(merged))
    if not loops:
        return np.empty(0, dtype=object), np.empty(0, dtype=np.int64)
    sizes = np.array([len(loop) for loop in loops])
    coords = np.array([pt for loop in loops for pt in (*loop, loop[0])], dtype=float)
    rings = shapely.linearrings(coords, indices=np.repeat(np.arange(len(loops)), sizes + 1))
    return shapely.polygons(rings), np.asarray(loop_owner, dtype=np.int64)


def convex_parts(polygon) -> list:
    """Convex pieces that tile one polygon (:func:`convex_decomposition`).

    Parameters
    ----------
    polygon : Polygon
        The polygon to cut.

    Returns
    -------
    list of Polygon
        Convex pieces whose areas add up to the polygon's.

    Notes
    -----
    .. math:: P = \\bigcup_k C_k, \\quad \\sum_k |C_k| = |P|

    Examples
    --------
    >>> l_shape = shapely.Polygon([(0, 0), (10, 0), (10, 5), (5, 5), (5, 10), (0, 10)])
    >>> [float(p.area) for p in convex_parts(l_shape)]
    [37.5, 37.5]
    """
    return list(convex_decomposition([polygon])[0])


class ShadowCaster:
    """Footprints prepared once, shadowed for many sun positions.

    Convex footprints (most buildings) are shadowed in pure numpy: walking the
    counter-clockwise ring, the chain of edges facing away from the sun is
    replaced by its copy shifted by the shadow vector, joined at the two
    silhouette vertices -- that polygon is exactly the convex hull of the
    footprint and its shifted copy, built without any hull or union.
    Non-convex footprints are cut once into convex pieces
    (:func:`convex_parts`); their shadow is the union of the pieces' shadows
    (the sweep of a union is the union of the sweeps).  Should a footprint
    not decompose, it is united with the quadrilaterals its away-facing edges
    sweep instead.

    Examples
    --------
    A 10 m square, 10 m high, under a 45° sun from the east, the south and the south-west
    (a diagonal shadow sweeps :math:`100 + 2 \\cdot 10 \\cdot 10 \\sin 45° \\approx 241` m²):

    >>> caster = ShadowCaster([shapely.box(0, 0, 10, 10)], [10.0])
    >>> [round(float(caster.cast(azimuth, 45.0)[0].area), 2) for azimuth in (90.0, 180.0, 225.0)]
    [200.0, 200.0, 241.42]
    """

    def __init__(self, footprints, heights):
        geoms, self.crs = _geometry_array(footprints)
        geoms = _single_polygons(geoms)
        self.geoms = geoms
        self.n = len(geoms)
        self.heights = np.broadcast_to(np.asarray(heights, dtype=float), (self.n,)).copy()
        present = ~shapely.is_missing(geoms)
        present[present] = ~shapely.is_empty(geoms[present])
        self.present = present & np.isfinite(self.heights)
        convex = np.zeros(self.n, dtype=bool)
        convex[self.present] = is_convex(geoms[self.present])
        pieces, owner, swept = [geoms[convex]], [np.flatnonzero(convex)], []
        other = np.flatnonzero(self.present & ~convex)
        if len(other):
            parts, part_of = shapely.get_parts(geoms[other], return_index=True)
            part_of = other[part_of]
            simple = is_convex(parts)  # convex parts of a MultiPolygon need no cutting
            pieces.append(parts[simple])
            owner.append(part_of[simple])
            hard, hard_of = parts[~simple], part_of[~simple]
            try:
                batches = [(convex_decomposition(hard), hard_of)]
            except _DECOMPOSITION_ERRORS:  # GEOS could not triangulate one of them: find it, one by one
                batches = []
                for part, i in zip(hard, hard_of, strict=True):
                    try:
                        batches.append((convex_decomposition([part]), np.array([i])))
                    except _DECOMPOSITION_ERRORS:  # e.g. an invalid ring: this building takes the exact edge sweep
                        swept.append(i)
            for (cut, cut_of), of in batches:
                pieces.append(cut)
                owner.append(of[cut_of])
            if swept:  # a building is either cut or swept, never both
                swept = list(np.unique(swept))
                keep = ~np.isin(np.concatenate(owner), swept)
                pieces, owner = [np.concatenate(pieces)[keep]], [np.concatenate(owner)[keep]]
        self.piece_owner = np.concatenate(owner).astype(np.int64)
        self._prepare_convex(np.concatenate(pieces) if pieces else np.empty(0, dtype=object))
        counts = np.bincount(self.piece_owner, minlength=self.n)
        self.single = counts[self.piece_owner] == 1
        # buildings of several pieces: a padded (buildings x pieces) table, filled per cast
        self.multi_idx = np.flatnonzero(counts > 1)
        multi_piece = ~self.single
        order = np.argsort(self.piece_owner[multi_piece], kind="stable")
        self.multi_pieces = np.flatnonzero(multi_piece)[order]
        row_of = np.full(self.n, -1)
        row_of[self.multi_idx] = np.arange(len(self.multi_idx))
        rows = row_of[self.piece_owner[self.multi_pieces]]
        starts = np.r_[0, np.cumsum(counts[self.multi_idx])[:-1]] if len(self.multi_idx) else np.empty(0, int)
        self.multi_rows = rows
        self.multi_cols = np.arange(len(rows)) - starts[rows] if len(rows) else rows
        self.multi_width = int(counts.max()) if len(self.multi_idx) else 0
        self._prepare_edges(np.asarray(swept, dtype=np.int64))

    def _prepare_convex(self, pieces: np.ndarray) -> None:
        rings = shapely.get_exterior_ring(shapely.orient_polygons(pieces, exterior_cw=False))
        coords, owner = shapely.get_coordinates(rings, return_index=True)
        # drop each ring's closing vertex: vertices v_0..v_{n-1}, edge i runs v_i -> v_{i+1 mod n}
        last = np.r_[owner[1:] != owner[:-1], True][: len(owner)]
        self.cv, self.cv_owner = coords[~last], owner[~last]
        counts = np.bincount(self.cv_owner, minlength=len(pieces))
        starts = np.r_[0, np.cumsum(counts)[:-1]]
        pos = np.arange(len(self.cv_owner)) - starts[self.cv_owner]
        nxt = np.where(pos + 1 == counts[self.cv_owner], starts[self.cv_owner], np.arange(len(pos)) + 1)
        prv = np.where(pos == 0, starts[self.cv_owner] + counts[self.cv_owner] - 1, np.arange(len(pos)) - 1)
        self.cv_edge = self.cv[nxt] - self.cv  # outgoing edge of each vertex
        self.cv_prev = prv

    def _prepare_edges(self, which: np.ndarray) -> None:
        self.swept_idx = which
        parts, part_of = shapely.get_parts(self.geoms[which], return_index=True)
        # Exterior counter-clockwise, holes clockwise: the outward normal of edge e is (e_y, -e_x) for both.
        parts = shapely.orient_polygons(parts, exterior_cw=False)
        rings, ring_of = shapely.get_rings(parts, return_index=True)
        coords, coord_of = shapely.get_coordinates(rings, return_index=True)
        same_ring = coord_of[:-1] == coord_of[1:]
        self.e0, self.e1 = coords[:-1][same_ring], coords[1:][same_ring]
        self.e_owner = part_of[ring_of[coord_of[:-1][same_ring]]]

    def cast(self, sun_azimuth: float, sun_elevation: float) -> np.ndarray:
        """Shadow polygon (footprint included) per footprint; None where the sun is down."""
        out = np.full(self.n, None, dtype=object)
        if not sun_elevation > 0:
            return out
        dx, dy = shadow_vectors(self.heights, sun_azimuth, sun_elevation)
        if len(self.piece_owner):
            shadows = self._cast_convex(dx[self.piece_owner], dy[self.piece_owner])
            out[self.piece_owner[self.single]] = shadows[self.single]
            if len(self.multi_idx):
                table = np.full((len(self.multi_idx), self.multi_width), None, dtype=object)
                table[self.multi_rows, self.multi_cols] = shadows[self.multi_pieces]
                out[self.multi_idx] = shapely.union_all(table, axis=1)
        if len(self.swept_idx):
            out[self.swept_idx] = self._cast_swept(dx[self.swept_idx], dy[self.swept_idx])
        return out

    def _cast_convex(self, dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
        sx, sy = dx[self.cv_owner], dy[self.cv_owner]
        away = self.cv_edge[:, 1] * sx - self.cv_edge[:, 0] * sy > 1e-12
        away_in = away[self.cv_prev]
        shift = np.column_stack([sx, sy])
        shifted = self.cv + shift
        # per vertex: keep v (no away edge), v+s (both away), or both points at a silhouette vertex
        first = np.where((away & away_in)[:, None] | (away_in & ~away)[:, None], shifted, self.cv)
        second_needed = away != away_in
        second = np.where(away[:, None], shifted, self.cv)  # into the shifted chain, or back out of it
        n_out = 1 + second_needed
        total = n_out.sum()
        slot = np.cumsum(n_out) - n_out
        points = np.empty((total, 2))
        owner = np.empty(total, dtype=np.int64)
        points[slot] = first
        owner[slot] = self.cv_owner
        points[slot[second_needed] + 1] = second[second_needed]
        owner[slot[second_needed] + 1] = self.cv_owner[second_needed]
        rings = shapely.linearrings(points, indices=owner)
        return shapely.polygons(rings)

    def _cast_swept(self, dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
        sx, sy = dx[self.e_owner], dy[self.e_owner]
        edge = self.e1 - self.e0
        facing_away = edge[:, 1] * sx - edge[:, 0] * sy > 1e-12
        p0, p1, building = self.e0[facing_away], self.e1[facing_away], self.e_owner[facing_away]
        s = np.column_stack([sx[facing_away], sy[facing_away]])
        quads = shapely.polygons(np.stack([p0, p1, p1 + s, p0 + s, p0], axis=1))
        geoms = self.geoms[self.swept_idx]
        # Union per building in one C-level pass: a (buildings x max pieces) array padded with None.
        pieces = np.concatenate([geoms, quads])
        owner = np.concatenate([np.arange(len(geoms)), building])
        order = np.argsort(owner, kind="stable")
        owner, pieces = owner[order], pieces[order]
        counts = np.bincount(owner, minlength=len(geoms))
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        column = np.arange(len(owner)) - starts[owner]
        table = np.full((len(geoms), counts.max()), None, dtype=object)
        table[owner, column] = pieces
        return shapely.union_all(table, axis=1)


def shadow_polygons(footprints, heights, sun_azimuth, sun_elevation):
    """Ground shadow of each LoD1 building for one sun position.

    Parameters
    ----------
    footprints : GeoSeries or array of (Multi)Polygon
        Building footprints in a projected CRS (metres).
    heights : array-like of float
        Building heights above ground (m).
    sun_azimuth, sun_elevation : float or array-like
        Sun position in degrees (see :func:`twin.sun.solar_position`); scalars
        or one value per building.

    Returns
    -------
    GeoSeries or ndarray
        One shadow polygon per building, the footprint included (shaped like
        ``footprints``; a GeoSeries keeps index and CRS).  Missing (None) where
        the sun is at or below the horizon or the footprint is missing.

    Notes
    -----
    Shadow length :math:`L = h/\\tan\\epsilon`; the shadow is the footprint
    swept along :math:`\\mathbf{s} = -L(\\sin A, \\cos A)`:

    .. math:: S = \\bigcup_{t \\in [0, 1]} (F + t\\,\\mathbf{s})

    For many sun positions over the same buildings use :class:`ShadowCaster`
    directly (prepares once).

    Examples
    --------
    A 10 m high building under a 45° sun in the south casts a shadow 10 m long to the north:

    >>> [shadow] = shadow_polygons([shapely.box(0, 0, 10, 10)], [10.0], 180.0, 45.0)
    >>> float(shadow.area), [round(v, 6) for v in shadow.bounds]
    (200.0, [-0.0, 0.0, 10.0, 20.0])
    >>> shadow_polygons([shapely.box(0, 0, 10, 10)], [10.0], 180.0, -1.0).tolist()
    [None]
    """
    geoms, crs = _geometry_array(footprints)
    n = len(geoms)
    az = np.broadcast_to(np.asarray(sun_azimuth, dtype=float), (n,))
    el = np.broadcast_to(np.asarray(sun_elevation, dtype=float), (n,))
    if n and (np.ptp(az) > 0 or np.ptp(el) > 0):
        # one sun position per building: group by position (rarely more than a few)
        out = np.full(n, None, dtype=object)
        keys, inverse = np.unique(np.column_stack([az, el]), axis=0, return_inverse=True)
        for k, (a, e) in enumerate(keys):
            sel = inverse.ravel() == k
            out[sel] = ShadowCaster(geoms[sel], np.broadcast_to(heights, (n,))[sel]).cast(a, e)
    else:
        out = ShadowCaster(geoms, heights).cast(az[0], el[0]) if n else np.empty(0, dtype=object)
    if isinstance(footprints, (pd.Series, pd.DataFrame)):
        import geopandas as gpd

        return gpd.GeoSeries(out, index=footprints.index, crs=crs)
    return out


def _lonlat(geoms: np.ndarray, crs, lat, lon) -> tuple[float, float]:
    """Latitude/longitude for the sun: given, or the centre of the geometries transformed from ``crs``."""
    if lat is not None and lon is not None:
        return float(lat), float(lon)
    if crs is None:
        raise ValueError("lat/lon are needed when the geometries carry no CRS")
    from store.crs import transformer

    x0, y0, x1, y1 = shapely.total_bounds(geoms)
    to_wgs84 = transformer(crs, 4326)
    lon_c, lat_c = to_wgs84.transform((x0 + x1) / 2, (y0 + y1) / 2)
    return (float(lat) if lat is not None else lat_c), (float(lon) if lon is not None else lon_c)


def shaded_share(targets, shadows) -> np.ndarray:
    """Share of each target's area covered by the union of ``shadows``.

    Parameters
    ----------
    targets : GeoSeries or array-like of Polygon
        Areas :math:`T_i` to assess.
    shadows : GeoSeries or array-like of Polygon
        Shadows :math:`S_j` (:func:`shadow_polygons`); overlaps count once.

    Returns
    -------
    ndarray of float
        :math:`s_i \\in [0, 1]`; 0 for a target without area.

    Notes
    -----
    .. math:: s_i = \\frac{|T_i \\cap \\bigcup_j S_j|}{|T_i|}

    Computed with :func:`twin.indicators.union_area_per_target`.

    Examples
    --------
    The 10 m shadow north of a 10 m building covers the plot behind it, half of the next and none beside:

    >>> shadows = shadow_polygons([shapely.box(0, 0, 10, 10)], [10.0], 180.0, 45.0)
    >>> targets = [shapely.box(0, 10, 10, 20), shapely.box(0, 15, 10, 25), shapely.box(20, 10, 30, 20)]
    >>> shaded_share(targets, shadows).round(6).tolist()
    [1.0, 0.5, 0.0]
    """
    from twin.indicators import union_area_per_target

    t_geoms, _ = _geometry_array(targets)
    s_geoms, _ = _geometry_array(shadows)
    area = shapely.area(t_geoms)
    covered = union_area_per_target(t_geoms, s_geoms)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(area > 0, covered / area, 0.0)
    return np.clip(share, 0.0, 1.0)


def hourly_shadows(footprints, heights, day, lat=None, lon=None, step_minutes: float = 60, ids=None):
    """Shadow polygons of every building for each daylight step of one day.

    Parameters
    ----------
    footprints : GeoSeries or array-like of (Multi)Polygon
        Building footprints in a projected CRS.
    heights : float or array-like
        Building heights in metres.
    day : date, ISO string or preset name
        The day (:func:`twin.sun.resolve_day`).
    lat, lon : float, optional
        Location of the sun; default the centre of the footprints.
    step_minutes : float
        Sampling step (divides 1440).
    ids : array-like, optional
        Building ids; default the footprint index.

    Returns
    -------
    GeoDataFrame
        ``building_id``, ``time`` (UTC), ``sun_azimuth``, ``sun_elevation`` and the shadow
        geometry (:func:`shadow_polygons`); steps with the sun below the horizon are left out.

    Notes
    -----
    Step :math:`k` at :func:`twin.sun.day_times` :math:`t_k` has the shadow
    :math:`S_{ik} = \\bigcup_{t \\in [0,1]} (F_i + t\\,\\mathbf{s}(h_i, A_k, \\epsilon_k))`
    for every :math:`\\epsilon_k > 0`.

    Examples
    --------
    One building in Hamburg at the equinox, hourly: twelve daylight steps.

    >>> import geopandas as gpd
    >>> frame = hourly_shadows(gpd.GeoSeries([shapely.box(0, 0, 10, 10)], crs=25832), [10.0], "equinox",
    ...                        lat=53.55, lon=10.0)
    >>> len(frame), round(float(frame["sun_elevation"].max()), 1)
    (12, 36.4)
    """
    import geopandas as gpd

    geoms, crs = _geometry_array(footprints)
    lat, lon = _lonlat(geoms, crs, lat, lon)
    times = day_times(day, lon, step_minutes)
    pos = solar_position(times, lat, lon)
    heights = np.broadcast_to(np.asarray(heights, dtype=float), (len(geoms),))
    if ids is None:
        ids = footprints.index.values if isinstance(footprints, (pd.Series, pd.DataFrame)) else np.arange(len(geoms))
    ids = np.asarray(ids)
    caster = ShadowCaster(geoms, heights)
    steps = [(t, az, el) for t, az, el in zip(times, pos.azimuth, pos.elevation, strict=True) if el > 0]
    casts = _parallel_map(lambda step: caster.cast(step[1], step[2]), steps)
    frames = [
        pd.DataFrame({"building_id": ids, "time": t, "sun_azimuth": az, "sun_elevation": el, "geometry": shadows})
        for (t, az, el), shadows in zip(steps, casts, strict=True)
    ]
    if not frames:
        return gpd.GeoDataFrame(
            {"building_id": [], "time": [], "sun_azimuth": [], "sun_elevation": []}, geometry=[], crs=crs
        )
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=crs)


def sun_hours(
    targets,
    buildings,
    day,
    lat=None,
    lon=None,
    step_minutes: float = 60,
    *,
    heights=None,
    min_sunlit_share: float = DEFAULT_MIN_SUNLIT_SHARE,
    height_column: str = "height",
):
    """Hours of sun each target area gets on one day.

    Parameters
    ----------
    targets : GeoSeries or array of Polygon
        Areas to assess (public spaces, neighbouring parcels), projected CRS.
    buildings : GeoDataFrame, GeoSeries or array
        Building footprints; with a GeoDataFrame the heights come from
        ``height_column`` unless ``heights`` is given.
    day : date, ISO string or preset name
        ``"equinox"`` (20 March), ``"winter_solstice"`` (21 December), ...
        (:data:`twin.sun.DAY_PRESETS`).
    lat, lon : float, optional
        Location for the sun position; default the centre of ``targets``
        transformed from their CRS.
    step_minutes : float
        Sampling step; each step stands for ``step_minutes/60`` hours (midpoint rule).
    min_sunlit_share : float
        A step counts as sunny for a target when at least this share of its
        area lies outside every shadow (default 0.5).

    Returns
    -------
    ndarray of float
        Sun-hours per target.

    Notes
    -----
    .. math:: H_i = \\frac{\\Delta t}{60} \\sum_k [\\epsilon_k > 0]\\,
              [1 - s_{ik} \\ge m]

    with :math:`s_{ik}` the shaded share of target :math:`i` at step
    :math:`k` (:func:`shaded_share`) and :math:`m` = ``min_sunlit_share``.
    Building footprints count as shadow (a roofed area gets no sun at
    ground level); a step with the sun at or below the horizon never counts.

    Examples
    --------
    South and north of a 10 m building in Hamburg: 12 and 7 hours at the equinox,
    8 and 2 at the winter solstice.

    >>> south, north = shapely.box(0, -20, 10, 0), shapely.box(0, 10, 10, 20)
    >>> building = [shapely.box(0, 0, 10, 10)]
    >>> sun_hours([south, north], building, "equinox", lat=53.55, lon=10.0, heights=[10.0]).tolist()
    [12.0, 7.0]
    >>> sun_hours([south, north], building, "winter_solstice", lat=53.55, lon=10.0, heights=[10.0]).tolist()
    [8.0, 2.0]
    """
    t_geoms, t_crs = _geometry_array(targets)
    if heights is None:
        heights = buildings[height_column].to_numpy(dtype=float)
    b_geoms, _ = _geometry_array(buildings)
    heights = np.broadcast_to(np.asarray(heights, dtype=float), (len(b_geoms),))
    lat, lon = _lonlat(t_geoms, t_crs or getattr(buildings, "crs", None), lat, lon)
    times = day_times(day, lon, step_minutes)
    pos = solar_position(times, lat, lon)
    hours = np.zeros(len(t_geoms))
    up = pos.elevation > 0
    if not up.any() or not len(t_geoms):
        return hours
    # Only buildings whose longest shadow of the day can reach a target matter.
    valid = ~shapely.is_missing(b_geoms) & np.isfinite(heights)
    if len(b_geoms) and valid.any():
        reach = np.nanmax(heights[valid]) / np.tan(np.radians(pos.elevation[up].min()))
        tree = shapely.STRtree(b_geoms)
        near = np.unique(tree.query(shapely.buffer(t_geoms, min(reach, 5000.0)), predicate="intersects")[1])
        near = near[valid[near]]
    else:
        near = np.array([], dtype=int)
    b_geoms, heights = b_geoms[near], heights[near]
    caster = ShadowCaster(b_geoms, heights)

    def sunny(step) -> np.ndarray:
        sunlit = 1.0 - shaded_share(t_geoms, caster.cast(*step))
        return sunlit >= min_sunlit_share - 1e-12

    for hit in _parallel_map(sunny, list(zip(pos.azimuth[up], pos.elevation[up], strict=True))):
        hours += hit * (step_minutes / 60.0)
    return hours
