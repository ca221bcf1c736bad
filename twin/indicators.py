"""Urban indicators as pure, vectorised functions over footprints and plan zones.

Every function takes geometries (GeoSeries, GeoDataFrame or arrays of shapely
geometries in a projected CRS, metres) and numbers, does no I/O, and returns
numpy arrays or DataFrames.  The formulas are given in each docstring.

German planning terms keep their German names (BauNVO = Baunutzungsverordnung):

GRZ (Grundflächenzahl, §19 BauNVO)
    share of the plot that may be covered by buildings: overbuilt area / plot area.
GFZ (Geschossflächenzahl, §20 BauNVO)
    floor area of all Vollgeschosse / plot area.
Z
    maximum number of Vollgeschosse (full storeys).
Baugrenze / Baulinie (§23 BauNVO)
    lines buildings must not cross / must be built on; closed, they bound the
    *Baufenster* (building window).

Simplifications, stated once: the plot area of GRZ/GFZ is the
Baugebietsteilfläche (or parcel) itself, not the legal *maßgebliche
Grundstücksfläche*; every storey of the twin counts as a Vollgeschoss; the
extra 50 % GRZ for garages and driveways (§19(4) BauNVO) is not modelled since
the twin holds main buildings only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely

#: Floor area (gross, GF) per dwelling in m²: ~70 m² living space plus walls, stairs, cellars.
M2_PER_DWELLING = 90.0
#: Average household size (persons per dwelling), roughly the German average (2.0 in 2023).
PERSONS_PER_DWELLING = 2.0
#: Storey height (m) used where a building has storeys but no measured height, and back.
STOREY_HEIGHT = 3.0
#: Share of floor area that is housing, by type of area (art_code, BauNVO §§2-11).
#: Assumptions for estimates, not law: mixed areas are taken as half housing.
RESIDENTIAL_SHARE = {
    "WS": 1.0,
    "WR": 1.0,
    "WA": 1.0,
    "WB": 0.8,
    "MD": 0.3,
    "MDW": 0.5,
    "MI": 0.5,
    "MU": 0.5,
    "MK": 0.2,
    "GE": 0.0,
    "GI": 0.0,
    "SO": 0.0,
}
#: BauNVO §17 Orientierungswerte (upper limits) of GRZ by type of area, used where a plan fixes no GRZ.
GRZ_ORIENTATION = {
    "WS": 0.2,
    "WR": 0.4,
    "WA": 0.4,
    "WB": 0.6,
    "MD": 0.6,
    "MDW": 0.6,
    "MI": 0.6,
    "MU": 0.8,
    "MK": 1.0,
    "GE": 0.8,
    "GI": 0.8,
    "SO": 0.8,
}


@dataclass(frozen=True)
class Assumptions:
    """The configurable assumptions behind estimates (all documented at module level)."""

    storey_height: float = STOREY_HEIGHT
    m2_per_dwelling: float = M2_PER_DWELLING
    persons_per_dwelling: float = PERSONS_PER_DWELLING
    #: Distance (m) a building may stick out of its Baufenster before it counts as a violation
    #: (drawing and survey inaccuracy).
    baugrenze_tolerance: float = 0.5
    residential_share: dict = field(default_factory=lambda: dict(RESIDENTIAL_SHARE))


# ----------------------------------------------------------------------------- helpers


def _geoms(values) -> np.ndarray:
    """Geometries as a 1-d numpy object array (from GeoSeries, GeoDataFrame, list, scalar)."""
    if isinstance(values, pd.DataFrame):
        values = values.geometry
    if isinstance(values, pd.Series):
        values = values.values
    arr = np.asarray(values, dtype=object)
    return arr.reshape(1) if arr.ndim == 0 else arr


def _numbers(values, n: int, name: str) -> np.ndarray:
    arr = np.asarray(
        pd.to_numeric(pd.Series(np.broadcast_to(np.asarray(values, dtype=object), (n,))), errors="coerce"), dtype=float
    )
    if arr.shape != (n,):
        raise ValueError(f"{name}: expected {n} values, got {arr.shape}")
    return arr


def _column(frame: pd.DataFrame, name: str) -> np.ndarray:
    """A numeric column as float array (NaN where missing or absent)."""
    if name not in frame.columns:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _scalar_or_array(result: np.ndarray, plots):
    is_scalar = isinstance(plots, shapely.Geometry)
    return float(result[0]) if is_scalar else result


# ----------------------------------------------------------------------------- per building


def footprint_area(footprints) -> np.ndarray:
    """Footprint (ground) area per building in m².

    Parameters
    ----------
    footprints : GeoSeries, GeoDataFrame or array-like of (Multi)Polygon
        Building footprints in a projected CRS (metres).

    Returns
    -------
    ndarray of float
        :math:`A_i` per building; NaN for a missing geometry.

    Notes
    -----
    .. math:: A_i = |F_i|

    Examples
    --------
    >>> footprint_area([shapely.box(0, 0, 20, 10), None]).tolist()
    [200.0, nan]
    """
    geoms = _geoms(footprints)
    area = shapely.area(geoms).astype(float)
    area[shapely.is_missing(geoms)] = np.nan
    return area


def floor_area(footprints, storeys) -> np.ndarray:
    """Gross floor area (Geschossfläche) per building in m².

    Parameters
    ----------
    footprints : GeoSeries, GeoDataFrame or array-like of (Multi)Polygon
        Building footprints in a projected CRS (metres).
    storeys : float or array-like
        Number of Vollgeschosse :math:`Z_i`, one per building or one for all.

    Returns
    -------
    ndarray of float
        :math:`GF_i` per building; NaN where the footprint or the storeys are missing.

    Notes
    -----
    .. math:: GF_i = A_i \\cdot Z_i

    with :math:`A_i` the footprint area (:func:`footprint_area`); summed over a plot this is
    :math:`GF = \\sum_i A_i Z_i`.

    Examples
    --------
    A 20 m × 10 m building with 3 storeys:

    >>> floor_area([shapely.box(0, 0, 20, 10)], [3]).tolist()
    [600.0]
    """
    area = footprint_area(footprints)
    return area * _numbers(storeys, len(area), "storeys")


def building_volume(footprints, heights) -> np.ndarray:
    """LoD1 volume (Brutto-Rauminhalt of the prism) per building in m³.

    Parameters
    ----------
    footprints : GeoSeries, GeoDataFrame or array-like of (Multi)Polygon
        Building footprints in a projected CRS (metres).
    heights : float or array-like
        Building heights :math:`h_i` above ground in metres.

    Returns
    -------
    ndarray of float
        :math:`V_i` per building.

    Notes
    -----
    .. math:: V_i = A_i \\cdot h_i

    Examples
    --------
    >>> building_volume([shapely.box(0, 0, 20, 10)], [9.0]).tolist()
    [1800.0]
    """
    area = footprint_area(footprints)
    return area * _numbers(heights, len(area), "heights")


def lod1_heights(heights, storeys, storey_height: float = STOREY_HEIGHT) -> tuple[np.ndarray, np.ndarray]:
    """LoD1 height per building and whether it is estimated.

    Parameters
    ----------
    heights : array-like
        Measured heights in metres (None, NaN or ≤ 0 where unknown).
    storeys : array-like
        Number of storeys (None or NaN where unknown).
    storey_height : float
        :math:`h_{storey}`, metres per storey for the estimate (default 3.0).

    Returns
    -------
    height : ndarray of float
        :math:`h_i`; NaN where neither height nor storeys are known.
    estimated : ndarray of bool
        True where the height was derived from the storeys.

    Notes
    -----
    .. math:: h_i = \\begin{cases} h_i^{measured} & \\text{if known} \\\\
              Z_i \\cdot h_{storey} & \\text{otherwise} \\end{cases}

    Examples
    --------
    >>> height, estimated = lod1_heights([12.0, None], [None, 3])
    >>> height.tolist(), estimated.tolist()
    ([12.0, 9.0], [False, True])
    """
    h = np.asarray(pd.to_numeric(pd.Series(heights), errors="coerce"), dtype=float)
    z = np.asarray(pd.to_numeric(pd.Series(storeys), errors="coerce"), dtype=float)
    known = np.isfinite(h) & (h > 0)
    return np.where(known, h, z * storey_height), ~known & np.isfinite(z)


def storeys_from_height(heights, storey_height: float = STOREY_HEIGHT) -> np.ndarray:
    """Number of storeys of buildings with a known height.

    Parameters
    ----------
    heights : array-like of float
        Building heights in metres.
    storey_height : float
        :math:`h_{storey}`, metres per storey (default 3.0).

    Returns
    -------
    ndarray of float
        :math:`Z_i`, at least 1; NaN where the height is unknown.

    Notes
    -----
    .. math:: Z_i = \\max(1, \\mathrm{round}(h_i / h_{storey}))

    Examples
    --------
    >>> storeys_from_height([7.4, 10.6, np.nan]).tolist()
    [2.0, 4.0, nan]
    """
    h = np.asarray(heights, dtype=float)
    return np.where(np.isfinite(h), np.maximum(1.0, np.round(h / storey_height)), np.nan)


# ----------------------------------------------------------------------------- overlay


def overlay_areas(footprints, plots) -> pd.DataFrame:
    """Area of every footprint-plot intersection (the spatial overlay behind GRZ and GFZ).

    Parameters
    ----------
    footprints : GeoSeries, GeoDataFrame or array-like of (Multi)Polygon
        Building footprints :math:`F_i`.
    plots : GeoSeries, GeoDataFrame or array-like of (Multi)Polygon
        Plots :math:`P_j` (Baugebietsteilflächen or parcels).

    Returns
    -------
    DataFrame
        ``building`` and ``plot`` (positions in the inputs) and ``area`` for every pair
        that intersects with a positive area.

    Notes
    -----
    .. math:: a_{ij} = |F_i \\cap P_j|

    Footprints lying wholly inside a plot (the usual case) are found with a prepared
    ``contains_properly`` query and keep their own area; only those crossing a plot
    boundary are intersected.

    Examples
    --------
    A house inside the first plot and a garage straddling both plots:

    >>> plots = [shapely.box(0, 0, 50, 20), shapely.box(50, 0, 70, 20)]
    >>> overlay_areas([shapely.box(5, 5, 25, 15), shapely.box(45, 5, 55, 15)], plots)
       building  plot   area
    0         0     0  200.0
    1         1     0   50.0
    2         1     1   50.0
    """
    f, p = _geoms(footprints), _geoms(plots)
    if not len(f) or not len(p):
        return pd.DataFrame({"building": np.empty(0, int), "plot": np.empty(0, int), "area": np.empty(0)})
    tree = shapely.STRtree(f)
    p_idx, f_idx = tree.query(p, predicate="intersects")
    inside_p, inside_f = tree.query(p, predicate="contains_properly")
    key = p_idx.astype(np.int64) * len(f) + f_idx
    inside = np.isin(key, inside_p.astype(np.int64) * len(f) + inside_f)
    area = np.empty(len(key))
    area[inside] = shapely.area(f[f_idx[inside]])
    cross = ~inside
    area[cross] = shapely.area(shapely.intersection(f[f_idx[cross]], p[p_idx[cross]]))
    keep = area > 0
    return pd.DataFrame({"building": f_idx[keep], "plot": p_idx[keep], "area": area[keep]})


def overbuilt_area(footprints, plots) -> np.ndarray:
    """Overbuilt area (Grundfläche) per plot in m².

    Parameters
    ----------
    footprints : GeoSeries, GeoDataFrame or array-like of (Multi)Polygon
        Building footprints :math:`F_i`.
    plots : GeoSeries, GeoDataFrame or array-like of (Multi)Polygon
        Plots :math:`P_j`.

    Returns
    -------
    ndarray of float
        :math:`GR_j` per plot (0 for a plot without buildings).

    Notes
    -----
    .. math:: GR_j = \\sum_i |F_i \\cap P_j|

    Examples
    --------
    >>> plots = [shapely.box(0, 0, 50, 20), shapely.box(50, 0, 70, 20)]
    >>> overbuilt_area([shapely.box(5, 5, 25, 15), shapely.box(45, 5, 55, 15)], plots).tolist()
    [250.0, 50.0]
    """
    pairs = overlay_areas(footprints, plots)
    return np.bincount(pairs["plot"], weights=pairs["area"], minlength=len(_geoms(plots)))


def grz(building_footprints, plot):
    """Achieved Grundflächenzahl (GRZ, §19 BauNVO) per plot.

    Parameters
    ----------
    building_footprints : GeoSeries or array-like of (Multi)Polygon
        Building footprints :math:`F_i`.
    plot : Polygon, or GeoSeries/array-like of them
        Baugebietsteilflächen or parcels :math:`P_j`.

    Returns
    -------
    float or ndarray
        A float for a single plot geometry, else one value per plot (NaN for
        plots without area).

    Notes
    -----
    .. math:: GRZ_j = \\frac{\\sum_i |F_i \\cap P_j|}{|P_j|}

    Examples
    --------
    A 20 m × 10 m building on a 1000 m² plot: GRZ = 200 / 1000 = 0.2.

    >>> grz([shapely.box(5, 5, 25, 15)], shapely.box(0, 0, 50, 20))
    0.2
    """
    plots = _geoms(plot)
    area = shapely.area(plots)
    with np.errstate(divide="ignore", invalid="ignore"):
        result = np.where(area > 0, overbuilt_area(building_footprints, plots) / area, np.nan)
    return _scalar_or_array(result, plot)


def gfz(building_footprints, storeys, plot):
    """Achieved Geschossflächenzahl (GFZ, §20 BauNVO) per plot.

    Parameters
    ----------
    building_footprints : GeoSeries or array-like of (Multi)Polygon
        Building footprints :math:`F_i`.
    storeys : float or array-like
        Vollgeschosse :math:`Z_i` per building.
    plot : Polygon, or GeoSeries/array-like of them
        Baugebietsteilflächen or parcels :math:`P_j`.

    Returns
    -------
    float or ndarray
        A float for a single plot geometry, else one value per plot (NaN for plots without area).

    Notes
    -----
    .. math:: GFZ_j = \\frac{\\sum_i |F_i \\cap P_j| \\cdot Z_i}{|P_j|}

    A building crossing a plot boundary contributes its floor area in
    proportion to its footprint on each side; missing storeys count as 0.

    Examples
    --------
    A 20 m × 10 m building with 3 Vollgeschosse on a 1000 m² plot: GFZ = 200 · 3 / 1000 = 0.6.

    >>> gfz([shapely.box(5, 5, 25, 15)], [3], shapely.box(0, 0, 50, 20))
    0.6
    """
    f, plots = _geoms(building_footprints), _geoms(plot)
    z = _numbers(storeys, len(f), "storeys")
    pairs = overlay_areas(f, plots)
    gf = np.bincount(pairs["plot"], weights=pairs["area"] * np.nan_to_num(z[pairs["building"]]), minlength=len(plots))
    area = shapely.area(plots)
    with np.errstate(divide="ignore", invalid="ignore"):
        result = np.where(area > 0, gf / area, np.nan)
    return _scalar_or_array(result, plot)


# ----------------------------------------------------------------------------- people


def dwellings(floor_area, m2_per_dwelling: float = M2_PER_DWELLING, residential_share=1.0):
    """Estimated number of dwellings (Wohneinheiten).

    Parameters
    ----------
    floor_area : float or array-like
        Gross floor area GF in m².
    m2_per_dwelling : float
        :math:`a_{WE}`, gross floor area per dwelling (default 90 m²: about
        70 m² living space plus walls, stairwells and cellars).
    residential_share : float or array-like
        :math:`r`, share of the floor area used for housing (1 in WR/WA,
        about 0.5 in MI/MU, 0 in GE/GI: :data:`RESIDENTIAL_SHARE`).

    Returns
    -------
    float or ndarray
        Not rounded: an estimate.

    Raises
    ------
    ValueError
        If ``m2_per_dwelling`` is not positive.

    Notes
    -----
    .. math:: WE = \\frac{GF \\cdot r}{a_{WE}}

    Examples
    --------
    1200 m² in a general residential area, and 900 m² in a mixed area (half housing):

    >>> round(float(dwellings(1200.0)), 2)
    13.33
    >>> dwellings([1200.0, 900.0], residential_share=[1.0, 0.5]).round(2).tolist()
    [13.33, 5.0]
    """
    if m2_per_dwelling <= 0:
        raise ValueError("m2_per_dwelling must be positive")
    return np.asarray(floor_area, dtype=float) * np.asarray(residential_share, dtype=float) / m2_per_dwelling


def residents(dwellings, persons_per_dwelling: float = PERSONS_PER_DWELLING):
    """Estimated residents.

    Parameters
    ----------
    dwellings : float or array-like
        Number of dwellings :math:`WE` (:func:`dwellings`).
    persons_per_dwelling : float
        :math:`p`, average household size (default 2.0).

    Returns
    -------
    float or ndarray
        Residents, not rounded.

    Notes
    -----
    .. math:: E = WE \\cdot p

    Examples
    --------
    >>> residents([10.0, 4.5]).tolist()
    [20.0, 9.0]
    """
    return np.asarray(dwellings, dtype=float) * persons_per_dwelling


def residential_share(art_codes, table: dict | None = None) -> np.ndarray:
    """Housing share :math:`r` per zone from its type of area (``art_code``).

    Parameters
    ----------
    art_codes : array-like of str
        Types of area after BauNVO §§2-11 (``"WA"``, ``"MI"``, ...), any case; None allowed.
    table : dict, optional
        Share per code; default :data:`RESIDENTIAL_SHARE`.

    Returns
    -------
    ndarray of float
        :math:`r_j \\in [0, 1]`; 0 for unknown or missing codes.

    Notes
    -----
    .. math:: r_j = \\mathrm{table}[\\mathrm{art}_j] \\;\\text{or}\\; 0

    Examples
    --------
    >>> residential_share(["WA", "mi", "GE", None, "XY"]).tolist()
    [1.0, 0.5, 0.0, 0.0, 0.0]
    """
    table = RESIDENTIAL_SHARE if table is None else table
    return np.array(
        [
            float(table.get(str(code).upper(), 0.0)) if code is not None else 0.0
            for code in np.asarray(art_codes, dtype=object)
        ]
    )


# ----------------------------------------------------------------------------- sealing


def subdivide(geoms, max_vertices: int = 256) -> np.ndarray:
    """Cut geometries with many vertices into quadrants until each has at most ``max_vertices``.

    Parameters
    ----------
    geoms : GeoSeries or array-like of geometries
        Polygons (or lines) in any CRS.
    max_vertices : int
        Largest number of coordinates a piece may keep (default 256).

    Returns
    -------
    ndarray of geometries
        The pieces; small geometries come back unchanged.

    Notes
    -----
    Like PostGIS ``ST_Subdivide``: the pieces tile the original exactly, so
    :math:`\\sum_k |S_k| = |G|`, and have small envelopes, which keeps spatial-index
    candidate lists short -- a street network stored as one polygon with
    thousands of holes would otherwise be a candidate for every building.

    Examples
    --------
    A circle of 1025 vertices becomes 16 pieces with the same total area:

    >>> circle = shapely.Point(0, 0).buffer(100, quad_segs=256)
    >>> pieces = subdivide([circle])
    >>> len(pieces), bool(np.isclose(shapely.area(pieces).sum(), circle.area))
    (16, True)
    """
    geoms = _geoms(geoms)
    done: list[np.ndarray] = []
    todo = geoms
    for _ in range(16):
        big = shapely.get_num_coordinates(todo) > max_vertices
        done.append(todo[~big])
        todo = todo[big]
        if not len(todo):
            break
        # few geometries are this big, so a loop is fine; clip_by_rect is a fast rectangle clip
        cut: list = []
        for geom in todo:
            x0, y0, x1, y1 = shapely.bounds(geom)
            xm, ym = (x0 + x1) / 2, (y0 + y1) / 2
            cut += [
                shapely.clip_by_rect(geom, *box)
                for box in ((x0, y0, xm, ym), (xm, y0, x1, ym), (x0, ym, xm, y1), (xm, ym, x1, y1))
            ]
        pieces = np.asarray(cut, dtype=object)
        todo = pieces[~shapely.is_empty(pieces) & (shapely.area(pieces) > 0)]
    done.append(todo)
    return np.concatenate(done) if done else geoms


def union_area_per_target(targets, pieces) -> np.ndarray:
    """Area of the union of ``pieces`` inside each target.

    Parameters
    ----------
    targets : GeoSeries or array-like of (Multi)Polygon
        Areas :math:`T_j` to measure in.
    pieces : GeoSeries or array-like of (Multi)Polygon
        Covering pieces :math:`S_i` (buildings, shadows, streets); overlaps count once.

    Returns
    -------
    ndarray of float
        Covered area per target in CRS units².

    Notes
    -----
    .. math:: U_j = |T_j \\cap \\bigcup_i S_i|

    Exact and fast where pieces mostly do not overlap (buildings): pieces
    wholly inside a target keep their own area, others are clipped; only
    pieces that overlap another piece of the same target are united (in one
    padded ``union_all`` pass), the rest are summed.

    Examples
    --------
    Two 200 m² and 150 m² buildings that overlap by 100 m²:

    >>> union_area_per_target([shapely.box(0, 0, 50, 20)],
    ...                       [shapely.box(5, 5, 25, 15), shapely.box(15, 5, 30, 15)]).tolist()
    [250.0]
    """
    targets, pieces = _geoms(targets), _geoms(pieces)
    covered = np.zeros(len(targets))
    pieces = subdivide(pieces[~shapely.is_missing(pieces)])
    if not len(pieces) or not len(targets):
        return covered
    tree = shapely.STRtree(pieces)
    t_idx, s_idx = tree.query(targets, predicate="intersects")
    if not len(t_idx):
        return covered
    inside_t, inside_s = tree.query(targets, predicate="contains_properly")
    inside = np.isin(t_idx.astype(np.int64) * len(pieces) + s_idx, inside_t.astype(np.int64) * len(pieces) + inside_s)
    clipped = pieces[s_idx].copy()
    clipped[~inside] = shapely.intersection(pieces[s_idx[~inside]], targets[t_idx[~inside]])
    area = shapely.area(clipped)
    # pairs of clipped pieces of the same target whose interiors meet (intersect, not only touch);
    # the larger piece goes first so its prepared geometry does the work (a street network
    # polygon against thousands of buildings)
    shapely.prepare(clipped)
    a, b = shapely.STRtree(clipped).query(clipped)
    pair = (a < b) & (t_idx[a] == t_idx[b])
    a, b = a[pair], b[pair]
    swap = area[a] < area[b]
    a, b = np.where(swap, b, a), np.where(swap, a, b)
    hit = shapely.intersects(clipped[a], clipped[b])
    a, b = a[hit], b[hit]
    hit = ~shapely.touches(clipped[a], clipped[b])
    a, b = a[hit], b[hit]
    involved = np.zeros(len(clipped), dtype=bool)
    involved[a] = True
    involved[b] = True
    covered += np.bincount(t_idx[~involved], weights=area[~involved], minlength=len(targets))
    if involved.any():
        owner, geoms = t_idx[involved], clipped[involved]
        counts = np.bincount(owner, minlength=len(targets))
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        table = np.full((len(targets), counts.max()), None, dtype=object)
        table[owner, np.arange(len(owner)) - starts[owner]] = geoms  # owner is sorted (query order)
        covered += shapely.area(shapely.union_all(table, axis=1))
    return covered


def sealed_share(areas, buildings, traffic=None):
    """Share of each area that is sealed by buildings or traffic areas.

    Parameters
    ----------
    areas : Polygon, or GeoSeries/array-like of them
        Areas :math:`A_j` (zones, plots, the plan).
    buildings : GeoSeries or array-like of (Multi)Polygon
        Building footprints :math:`F_i`.
    traffic : GeoSeries or array-like of (Multi)Polygon, optional
        Traffic areas :math:`T_k` (streets, squares: ``bp_verkehrsflaeche``).

    Returns
    -------
    float or ndarray
        :math:`s_j \\in [0, 1]`; a float for a single area geometry; NaN for areas without area.

    Notes
    -----
    .. math:: s_j = \\frac{|A_j \\cap (\\bigcup_i F_i \\cup \\bigcup_k T_k)|}{|A_j|}

    Overlaps are counted once.  Unbuilt plot area (gardens, yards) counts as unsealed
    -- a proxy, since paved yards are not in the data.

    Examples
    --------
    A 200 m² house and a 4 m wide street along a 1000 m² plot:

    >>> plot, house, street = shapely.box(0, 0, 50, 20), shapely.box(5, 5, 25, 15), shapely.box(0, 0, 50, 4)
    >>> sealed_share(plot, [house])
    0.2
    >>> sealed_share([plot], [house], [street]).tolist()
    [0.4]
    """
    targets = _geoms(areas)
    pieces = _geoms(buildings)
    if traffic is not None:
        pieces = np.concatenate([pieces, _geoms(traffic)])
    area = shapely.area(targets)
    with np.errstate(divide="ignore", invalid="ignore"):
        result = np.where(area > 0, union_area_per_target(targets, pieces) / area, np.nan)
    return _scalar_or_array(np.clip(result, 0.0, 1.0), areas)


def green_share(areas, buildings, traffic=None):
    """Share of each area that is not sealed (gardens, green spaces).

    Parameters
    ----------
    areas : Polygon, or GeoSeries/array-like of them
        Areas :math:`A_j`.
    buildings : GeoSeries or array-like of (Multi)Polygon
        Building footprints.
    traffic : GeoSeries or array-like of (Multi)Polygon, optional
        Traffic areas.

    Returns
    -------
    float or ndarray
        :math:`g_j \\in [0, 1]`, shaped like :func:`sealed_share`'s result.

    Notes
    -----
    .. math:: g_j = 1 - s_j

    See :func:`sealed_share` for what counts as sealed.

    Examples
    --------
    >>> plot, house, street = shapely.box(0, 0, 50, 20), shapely.box(5, 5, 25, 15), shapely.box(0, 0, 50, 4)
    >>> green_share([plot], [house], [street]).tolist()
    [0.6]
    """
    sealed = sealed_share(areas, buildings, traffic)
    return 1.0 - sealed


# ----------------------------------------------------------------------------- Festsetzungen


def permitted_grz(zones: pd.DataFrame) -> np.ndarray:
    """Permitted GRZ per zone, from what the plan fixes.

    Parameters
    ----------
    zones : GeoDataFrame
        Zones with any of the columns ``grz``, ``grz_max`` and ``gr`` (Grundfläche in m²).

    Returns
    -------
    ndarray of float
        :math:`GRZ^{zul}_j`; NaN where the plan fixes none.

    Notes
    -----
    .. math:: GRZ^{zul} = GRZ \\;\\text{or}\\; GRZ_{max} \\;\\text{or}\\; GR / |P|

    Examples
    --------
    >>> import geopandas as gpd
    >>> zones = gpd.GeoDataFrame({"grz": [0.4, None, None], "grz_max": [None, 0.6, None],
    ...                           "gr": [None, None, 250.0]}, geometry=[shapely.box(0, 0, 50, 20)] * 3)
    >>> permitted_grz(zones).tolist()
    [0.4, 0.6, 0.25]
    """
    area = shapely.area(_geoms(zones))
    with np.errstate(divide="ignore", invalid="ignore"):
        from_gr = np.where(area > 0, _column(zones, "gr") / area, np.nan)
    value = _column(zones, "grz")
    value = np.where(np.isfinite(value), value, _column(zones, "grz_max"))
    return np.where(np.isfinite(value), value, from_gr)


def permitted_gfz(zones: pd.DataFrame) -> np.ndarray:
    """Permitted GFZ per zone, from what the plan fixes.

    Parameters
    ----------
    zones : GeoDataFrame
        Zones with any of the columns ``gfz``, ``gfz_max`` and ``gf`` (Geschossfläche in m²).

    Returns
    -------
    ndarray of float
        :math:`GFZ^{zul}_j`; NaN where the plan fixes none.

    Notes
    -----
    .. math:: GFZ^{zul} = GFZ \\;\\text{or}\\; GFZ_{max} \\;\\text{or}\\; GF / |P|

    Examples
    --------
    >>> import geopandas as gpd
    >>> zones = gpd.GeoDataFrame({"gfz": [1.2, None, None], "gfz_max": [None, 0.8, None],
    ...                           "gf": [None, None, 500.0]}, geometry=[shapely.box(0, 0, 50, 20)] * 3)
    >>> permitted_gfz(zones).tolist()
    [1.2, 0.8, 0.5]
    """
    area = shapely.area(_geoms(zones))
    with np.errstate(divide="ignore", invalid="ignore"):
        from_gf = np.where(area > 0, _column(zones, "gf") / area, np.nan)
    value = _column(zones, "gfz")
    value = np.where(np.isfinite(value), value, _column(zones, "gfz_max"))
    return np.where(np.isfinite(value), value, from_gf)


def permitted_z(zones: pd.DataFrame) -> np.ndarray:
    """Permitted number of Vollgeschosse per zone.

    Parameters
    ----------
    zones : DataFrame
        Zones with any of the columns ``z``, ``z_max`` and ``z_zwingend``.

    Returns
    -------
    ndarray of float
        :math:`Z^{zul}_j`; NaN where the plan fixes none.

    Notes
    -----
    .. math:: Z^{zul} = Z \\;\\text{or}\\; Z_{max} \\;\\text{or}\\; Z_{zwingend}

    Examples
    --------
    >>> zones = pd.DataFrame({"z": [3, None, None], "z_max": [None, 2, None], "z_zwingend": [None, None, 4]})
    >>> permitted_z(zones).tolist()
    [3.0, 2.0, 4.0]
    """
    value = _column(zones, "z")
    for name in ("z_max", "z_zwingend"):
        value = np.where(np.isfinite(value), value, _column(zones, name))
    return value


# ----------------------------------------------------------------------------- Baugrenzen


def buildable_windows(baugrenzen) -> np.ndarray:
    """Baufenster polygons bounded by Baugrenzen and Baulinien (§23 BauNVO).

    Parameters
    ----------
    baugrenzen : GeoSeries or array-like of geometries
        Baugrenzen/Baulinien as polygons, closed lines or pieces of open line.

    Returns
    -------
    ndarray of Polygon
        The Baufenster :math:`W_k`, valid, with positive area.

    Notes
    -----
    Polygon geometries are taken as they are; closed lines become polygons;
    open lines are noded together and polygonised, so a Baufenster drawn as
    several pieces of line is still found:

    .. math:: W = \\mathrm{polygonize}(\\mathrm{node}(\\bigcup_k L_k))

    Open lines that close no area (e.g. a single Baulinie along a street) bound
    nothing and are left out.

    Examples
    --------
    A 10 m square drawn as two open lines, and a lone Baulinie:

    >>> from shapely import LineString
    >>> lines = [LineString([(0, 0), (10, 0), (10, 10)]), LineString([(10, 10), (0, 10), (0, 0)]),
    ...          LineString([(20, 0), (30, 0)])]
    >>> [float(w.area) for w in buildable_windows(lines)]
    [100.0]
    """
    geoms = _geoms(baugrenzen)
    geoms = geoms[~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)]
    if not len(geoms):
        return np.empty(0, dtype=object)
    parts = shapely.get_parts(geoms)
    kind = shapely.get_type_id(parts)
    polygons = list(parts[kind == 3])
    lines = parts[kind == 1]
    closed = shapely.is_closed(lines) & (shapely.get_num_coordinates(lines) >= 4)
    polygons.extend(shapely.polygons(shapely.linearrings(shapely.get_coordinates(line))) for line in lines[closed])
    if (~closed).any():
        noded = shapely.node(shapely.multilinestrings(lines[~closed]))
        polygons.extend(shapely.get_parts(shapely.polygonize(shapely.get_parts(noded))))
    windows = np.asarray(polygons, dtype=object)
    return shapely.make_valid(windows[shapely.area(windows) > 0])


def assign_to_plots(footprints, plots) -> np.ndarray:
    """Position of the plot holding the largest part of each footprint.

    Parameters
    ----------
    footprints : GeoSeries or array-like of (Multi)Polygon
        Building footprints :math:`F_i`.
    plots : GeoSeries or array-like of (Multi)Polygon
        Plots :math:`P_j`.

    Returns
    -------
    ndarray of int
        The plot position per building, -1 for a building outside every plot.

    Notes
    -----
    .. math:: j(i) = \\arg\\max_j |F_i \\cap P_j|

    Ties go to the plot listed first.

    Examples
    --------
    >>> plots = [shapely.box(0, 0, 50, 20), shapely.box(50, 0, 70, 20)]
    >>> assign_to_plots([shapely.box(5, 5, 25, 15), shapely.box(45, 5, 55, 15), shapely.box(100, 100, 101, 101)],
    ...                 plots).tolist()
    [0, 0, -1]
    """
    pairs = overlay_areas(footprints, plots)
    out = np.full(len(_geoms(footprints)), -1, dtype=np.int64)
    if len(pairs):
        best = pairs.sort_values("area", ascending=False, kind="stable").drop_duplicates("building")
        out[best["building"].to_numpy()] = best["plot"].to_numpy()
    return out


def _de(x: float, digits: int = 2) -> str:
    """German number format: decimal comma."""
    return f"{x:.{digits}f}".replace(".", ",")


def _ratio(x: float) -> str:
    """A GRZ/GFZ as plans write it: up to three decimals, no trailing zeros (0.4, 0.125)."""
    text = f"{x:.3f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


VIOLATION_COLUMNS = ["rule", "building_id", "zone_id", "value", "permitted", "message_de", "message_en"]


def compliance(
    buildings,
    zones,
    baugrenzen=None,
    *,
    tolerance: float = 0.5,
    storeys_column: str = "storeys",
    height_column: str = "height",
) -> pd.DataFrame:
    """Violations of the Festsetzungen by the buildings, one row each.

    Rules checked (each building belongs to the zone holding most of its footprint):

    ``baugrenze``
        the part of a building outside the Baufenster of its zone, grown by
        ``tolerance`` metres, is larger than 0.01 m²:
        :math:`|F_i \\setminus (W \\oplus \\tau)| > 0.01`.  Zones without any
        Baufenster are not checked (buildable everywhere, limited by GRZ).
    ``z``
        storeys :math:`Z_i > Z^{zul}` (``z``, else ``z_max``, else ``z_zwingend``).
    ``h_max``
        height :math:`h_i > h_{max}` where the plan fixes a maximum height.
    ``grz``
        achieved :math:`GRZ_j > GRZ^{zul}_j` (:func:`permitted_grz`, which
        considers ``grz_max`` and ``gr``).
    ``gfz``
        achieved :math:`GFZ_j > GFZ^{zul}_j` (:func:`permitted_gfz`).

    Parameters
    ----------
    buildings : GeoDataFrame
        With ``id``, ``storeys`` and ``height`` columns.
    zones : GeoDataFrame
        Baugebietsteilflächen (``bp_baugebiet`` columns).
    baugrenzen : GeoDataFrame or array, optional
        ``bp_baugrenze`` geometries (lines or polygons).
    tolerance : float
        Metres a building may stick out of its Baufenster.

    Returns
    -------
    DataFrame
        Columns ``rule``, ``building_id`` (missing for zone rules), ``zone_id``,
        ``value``, ``permitted``, ``message_de``, ``message_en``.

    Notes
    -----
    The zone rules use the achieved values of :func:`zone_indicators`:
    :math:`GRZ_j = \\sum_i |F_i \\cap P_j| / |P_j|` and
    :math:`GFZ_j = \\sum_i |F_i \\cap P_j| Z_i / |P_j|`.

    Examples
    --------
    A zone allowing GFZ 0.6 and two storeys, with a three-storey building in it:

    >>> import geopandas as gpd
    >>> zones = gpd.GeoDataFrame({"id": ["WA1"], "art_code": ["WA"], "grz": [0.3], "gfz": [0.6], "z": [2]},
    ...                          geometry=[shapely.box(0, 0, 50, 20)], crs=25832)
    >>> buildings = gpd.GeoDataFrame({"id": ["a", "b"], "storeys": [2, 3], "height": [7.0, 10.0]},
    ...                              geometry=[shapely.box(2, 2, 22, 12), shapely.box(30, 2, 40, 12)], crs=25832)
    >>> found = compliance(buildings, zones, [shapely.box(1, 1, 45, 19)])
    >>> found[["rule", "value", "permitted"]].to_dict("records")
    [{'rule': 'z', 'value': 3.0, 'permitted': 2.0}, {'rule': 'gfz', 'value': 0.7, 'permitted': 0.6}]
    >>> found["building_id"].iloc[0]
    'b'
    >>> print(found["message_de"].iloc[1])
    GFZ 0,7 überschreitet die zulässige GFZ 0,6 (Baugebietsteilfläche WA WA1).
    """
    rows: list[dict] = []
    b_geoms, z_geoms = _geoms(buildings), _geoms(zones)
    b_ids = buildings["id"].to_numpy(dtype=object) if "id" in buildings else np.arange(len(b_geoms)).astype(str)
    z_ids = zones["id"].to_numpy(dtype=object) if "id" in zones else np.arange(len(z_geoms)).astype(str)
    art = zones["art_code"].fillna("").to_numpy(dtype=object) if "art_code" in zones else np.full(len(z_geoms), "")
    zone_of = assign_to_plots(b_geoms, z_geoms)
    has_zone = zone_of >= 0
    storeys = _column(buildings, storeys_column)
    heights = _column(buildings, height_column)

    def label(j: int | np.integer) -> str:
        return f"{art[j]} {z_ids[j]}".strip()

    # Baugrenze: building area outside the grown Baufenster of its zone
    windows = buildable_windows(baugrenzen) if baugrenzen is not None else np.empty(0, dtype=object)
    if len(windows) and has_zone.any():
        w_zone, w_idx = shapely.STRtree(windows).query(z_geoms, predicate="intersects")
        w_area = shapely.area(shapely.intersection(windows[w_idx], z_geoms[w_zone]))
        w_zone, w_idx = w_zone[w_area > 0.01], w_idx[w_area > 0.01]
        zone_window = np.full(len(z_geoms), None, dtype=object)
        for j in np.unique(w_zone):
            zone_window[j] = shapely.buffer(shapely.union_all(windows[w_idx[w_zone == j]]), tolerance)
        check = np.flatnonzero(has_zone & (zone_window[np.maximum(zone_of, 0)] != None))  # noqa: E711
        if len(check):
            grown = zone_window[zone_of[check]]
            shapely.prepare(grown)
            inside = shapely.contains(grown, b_geoms[check])
            check = check[~inside]
            outside = shapely.area(shapely.difference(b_geoms[check], zone_window[zone_of[check]]))
            for i, out in zip(check, outside, strict=True):
                if out > 0.01:
                    j = zone_of[i]
                    rows.append(
                        dict(
                            rule="baugrenze",
                            building_id=b_ids[i],
                            zone_id=z_ids[j],
                            value=float(out),
                            permitted=0.0,
                            message_de=f"Gebäude {b_ids[i]} überschreitet die Baugrenze um {_de(out, 1)} m² "
                            f"(Baugebietsteilfläche {label(j)}).",
                            message_en=f"Building {b_ids[i]} extends {out:.1f} m² beyond the Baugrenze "
                            f"(building line) of zone {label(j)}.",
                        )
                    )

    # Z and h_max per building
    z_perm = permitted_z(zones)
    h_max = _column(zones, "h_max")
    idx = np.flatnonzero(has_zone)
    zperm_b = z_perm[zone_of[idx]]
    for i, zp in zip(idx[storeys[idx] > zperm_b], zperm_b[storeys[idx] > zperm_b], strict=True):
        j = zone_of[i]
        rows.append(
            dict(
                rule="z",
                building_id=b_ids[i],
                zone_id=z_ids[j],
                value=float(storeys[i]),
                permitted=float(zp),
                message_de=f"Gebäude {b_ids[i]} hat {int(storeys[i])} Vollgeschosse, zulässig sind {int(zp)} "
                f"(Baugebietsteilfläche {label(j)}).",
                message_en=f"Building {b_ids[i]} has {int(storeys[i])} full storeys (Vollgeschosse), "
                f"{int(zp)} are permitted (zone {label(j)}).",
            )
        )
    hmax_b = h_max[zone_of[idx]]
    for i, hp in zip(idx[heights[idx] > hmax_b + 1e-9], hmax_b[heights[idx] > hmax_b + 1e-9], strict=True):
        j = zone_of[i]
        rows.append(
            dict(
                rule="h_max",
                building_id=b_ids[i],
                zone_id=z_ids[j],
                value=float(heights[i]),
                permitted=float(hp),
                message_de=f"Gebäude {b_ids[i]} ist {_de(heights[i], 1)} m hoch, zulässig sind {_de(hp, 1)} m "
                f"(Baugebietsteilfläche {label(j)}).",
                message_en=f"Building {b_ids[i]} is {heights[i]:.1f} m high, {hp:.1f} m are permitted "
                f"(zone {label(j)}).",
            )
        )

    # GRZ and GFZ per zone
    achieved_grz = grz(b_geoms, z_geoms)
    achieved_gfz = gfz(b_geoms, np.nan_to_num(storeys), z_geoms)
    for rule, achieved, permitted in (
        ("grz", achieved_grz, permitted_grz(zones)),
        ("gfz", achieved_gfz, permitted_gfz(zones)),
    ):
        over = np.flatnonzero(achieved > permitted + 1e-9)
        name = rule.upper()
        for j in over:
            rows.append(
                dict(
                    rule=rule,
                    building_id=None,
                    zone_id=z_ids[j],
                    value=float(achieved[j]),
                    permitted=float(permitted[j]),
                    message_de=f"{name} {_ratio(achieved[j]).replace('.', ',')} überschreitet die zulässige {name} "
                    f"{_ratio(permitted[j]).replace('.', ',')} (Baugebietsteilfläche {label(j)}).",
                    message_en=f"{name} {_ratio(achieved[j])} exceeds the permitted {name} {_ratio(permitted[j])} "
                    f"(zone {label(j)}).",
                )
            )
    return pd.DataFrame(rows, columns=VIOLATION_COLUMNS)


# ----------------------------------------------------------------------------- tables

ZONE_INDICATOR_COLUMNS = [
    "zone_id",
    "plan_id",
    "art_code",
    "area_m2",
    "buildings",
    "footprint_m2",
    "floor_area_m2",
    "volume_m3",
    "grz",
    "grz_permitted",
    "gfz",
    "gfz_permitted",
    "z_permitted",
    "max_storeys",
    "dwellings",
    "residents",
]


def zone_indicators(buildings, zones, assumptions: Assumptions = Assumptions()) -> pd.DataFrame:
    """Indicators per Baugebietsteilfläche (one row per zone, ``ZONE_INDICATOR_COLUMNS``).

    Parameters
    ----------
    buildings : GeoDataFrame
        Footprints with ``storeys`` and ``height`` (missing values count as 0).
    zones : GeoDataFrame
        Zones with ``id``, ``plan_id``, ``art_code`` and the Festsetzungen
        (``grz``, ``gfz``, ``z`` and their alternatives, see :func:`permitted_grz`).
    assumptions : Assumptions
        Floor area per dwelling, persons per dwelling and housing shares.

    Returns
    -------
    DataFrame
        ``ZONE_INDICATOR_COLUMNS``, one row per zone in the order of ``zones``.

    Notes
    -----
    Footprint, floor area and volume are the parts of buildings inside the
    zone (:func:`overlay_areas`):

    .. math:: GR_j = \\sum_i |F_i\\cap P_j|, \\quad GF_j = \\sum_i |F_i\\cap P_j| Z_i, \\quad
              V_j = \\sum_i |F_i\\cap P_j| h_i

    ``grz`` = :math:`GR_j/|P_j|`, ``gfz`` = :math:`GF_j/|P_j|`; dwellings
    :math:`GF_j \\cdot r_j / a_{WE}`, residents dwellings × persons per
    dwelling (:class:`Assumptions`).  ``buildings`` counts the buildings
    whose largest part lies in the zone (:func:`assign_to_plots`).

    Examples
    --------
    Two buildings (2 and 3 storeys) in a 1000 m² general residential area:

    >>> import geopandas as gpd
    >>> zones = gpd.GeoDataFrame({"id": ["WA1"], "art_code": ["WA"], "grz": [0.4], "gfz": [0.6]},
    ...                          geometry=[shapely.box(0, 0, 50, 20)])
    >>> buildings = gpd.GeoDataFrame({"storeys": [2, 3], "height": [7.0, 10.0]},
    ...                              geometry=[shapely.box(2, 2, 22, 12), shapely.box(30, 2, 40, 12)])
    >>> table = zone_indicators(buildings, zones)
    >>> table[["buildings", "footprint_m2", "floor_area_m2", "grz", "gfz", "gfz_permitted"]].to_dict("records")
    [{'buildings': 2, 'footprint_m2': 300.0, 'floor_area_m2': 700.0, 'grz': 0.3, 'gfz': 0.7, 'gfz_permitted': 0.6}]
    >>> table[["dwellings", "residents"]].round(2).to_dict("records")
    [{'dwellings': 7.78, 'residents': 15.56}]
    """
    b_geoms, z_geoms = _geoms(buildings), _geoms(zones)
    storeys = np.nan_to_num(_column(buildings, "storeys"))
    heights = np.nan_to_num(_column(buildings, "height"))
    area = shapely.area(z_geoms)
    pairs = overlay_areas(b_geoms, z_geoms)
    b, p, a = pairs["building"].to_numpy(), pairs["plot"].to_numpy(), pairs["area"].to_numpy()
    n = len(z_geoms)
    footprint = np.bincount(p, weights=a, minlength=n)
    floor = np.bincount(p, weights=a * storeys[b], minlength=n)
    volume = np.bincount(p, weights=a * heights[b], minlength=n)
    zone_of = assign_to_plots(b_geoms, z_geoms)
    counted = zone_of >= 0
    count = np.bincount(zone_of[counted], minlength=n)
    max_storeys = np.zeros(n)
    np.maximum.at(max_storeys, zone_of[counted], storeys[counted])
    art = zones["art_code"].to_numpy(dtype=object) if "art_code" in zones else np.full(n, None)
    we = dwellings(floor, assumptions.m2_per_dwelling, residential_share(art, assumptions.residential_share))
    with np.errstate(divide="ignore", invalid="ignore"):
        table = pd.DataFrame(
            {
                "zone_id": zones["id"].to_numpy(dtype=object) if "id" in zones else np.arange(n).astype(str),
                "plan_id": zones["plan_id"].to_numpy(dtype=object) if "plan_id" in zones else None,
                "art_code": art,
                "area_m2": area,
                "buildings": count,
                "footprint_m2": footprint,
                "floor_area_m2": floor,
                "volume_m3": volume,
                "grz": np.where(area > 0, footprint / area, np.nan),
                "grz_permitted": permitted_grz(zones),
                "gfz": np.where(area > 0, floor / area, np.nan),
                "gfz_permitted": permitted_gfz(zones),
                "z_permitted": permitted_z(zones),
                "max_storeys": max_storeys,
                "dwellings": we,
                "residents": residents(we, assumptions.persons_per_dwelling),
            }
        )
    return table[ZONE_INDICATOR_COLUMNS]


def totals(zone_table: pd.DataFrame) -> dict:
    """Totals over all zones: sums, and GRZ/GFZ over the summed zone area.

    Parameters
    ----------
    zone_table : DataFrame
        The result of :func:`zone_indicators`.

    Returns
    -------
    dict
        ``area_m2``, ``footprint_m2``, ``floor_area_m2``, ``volume_m3``, ``dwellings``,
        ``residents`` (sums), ``zones``, ``buildings`` (counts), ``grz`` and ``gfz``
        (None without zone area).

    Notes
    -----
    .. math:: GRZ = \\frac{\\sum_j GR_j}{\\sum_j |P_j|}, \\quad GFZ = \\frac{\\sum_j GF_j}{\\sum_j |P_j|}

    Examples
    --------
    >>> import geopandas as gpd
    >>> zones = gpd.GeoDataFrame({"id": ["WA1"], "art_code": ["WA"]}, geometry=[shapely.box(0, 0, 50, 20)])
    >>> buildings = gpd.GeoDataFrame({"storeys": [2, 3], "height": [7.0, 10.0]},
    ...                              geometry=[shapely.box(2, 2, 22, 12), shapely.box(30, 2, 40, 12)])
    >>> result = totals(zone_indicators(buildings, zones))
    >>> result["grz"], result["gfz"], result["buildings"]
    (0.3, 0.7, 2)
    """
    area = float(zone_table["area_m2"].sum())
    out: dict[str, float | int | None] = {
        key: float(zone_table[key].sum())
        for key in ("area_m2", "footprint_m2", "floor_area_m2", "volume_m3", "dwellings", "residents")
    }
    out["zones"] = len(zone_table)
    out["buildings"] = int(zone_table["buildings"].sum())
    out["grz"] = float(zone_table["footprint_m2"].sum()) / area if area > 0 else None
    out["gfz"] = float(zone_table["floor_area_m2"].sum()) / area if area > 0 else None
    return out
