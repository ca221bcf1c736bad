"""The city model: LoD1 buildings, plan zones, Baugrenzen, parcels and open spaces in one place.

A :class:`CityModel` is assembled from a store (or from ``{layer_id:
GeoDataFrame}`` frames as the importers produce them) and is what scenarios
change and indicators are computed on.  It holds plain GeoDataFrames in the
storage CRS and does no I/O after assembly.

LoD1 rule: a building's height is its measured ``height``, else
``storeys × storey_height`` (3.0 m); storeys are derived from a measured
height where missing (``round(h / 3.0)``, at least 1).  Base heights (terrain
at the footprint) come from a DEM where one is given.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from layers.raster import sample_heights
from schema.catalog import DEFAULT_STORAGE_EPSG, LAYERS
from twin.indicators import (
    Assumptions,
    buildable_windows,
    lod1_heights,
    storeys_from_height,
    totals,
    zone_indicators,
)

LOG = logging.getLogger(__name__)

#: Model attribute -> catalogue layer it is read from.
MODEL_LAYERS = {
    "plans": "bp_plan",
    "zones": "bp_baugebiet",
    "baugrenzen": "bp_baugrenze",
    "baufenster": "bp_baufenster",
    "traffic": "bp_verkehrsflaeche",
    "green": "bp_gruenflaeche",
    "buildings": "buildings",
    "parcels": "parcels",
}
#: Buildings within this distance (m) of the plans are part of a plan-area model (their shadows reach in).
DEFAULT_MARGIN = 100.0


def windows_of(baufenster: gpd.GeoDataFrame, baugrenzen: gpd.GeoDataFrame) -> np.ndarray:
    """Baufenster polygons: the plans' überbaubare Grundstücksflächen (``bp_baufenster``) where a plan has
    them, else the faces its Baugrenzen enclose (:func:`twin.indicators.buildable_windows`)."""
    own = baufenster.geometry.values if len(baufenster) else np.empty(0, dtype=object)
    own = own[~shapely.is_missing(own) & ~shapely.is_empty(own)]
    if not len(own):
        return buildable_windows(baugrenzen.geometry)
    covered = baufenster["plan_id"].dropna().unique() if "plan_id" in baufenster else []
    lines = baugrenzen
    if "plan_id" in lines and len(covered):
        lines = lines[~lines["plan_id"].isin(covered)]
    rest = buildable_windows(lines.geometry) if len(lines) else np.empty(0, dtype=object)
    return np.concatenate([shapely.get_parts(own), rest]).astype(object)


def empty_frame(layer_id: str, crs) -> gpd.GeoDataFrame:
    """An empty GeoDataFrame with the catalogue columns of ``layer_id``."""
    columns = list(LAYERS[layer_id].columns)
    return gpd.GeoDataFrame({c: pd.Series(dtype=object) for c in columns}, geometry=[], crs=crs)


def prepare_buildings(buildings: gpd.GeoDataFrame, storey_height: float = 3.0) -> gpd.GeoDataFrame:
    """Buildings with LoD1 ``height`` and ``storeys`` filled in (``height_estimated`` set where derived).

    .. math:: h = h^{measured} \\;\\text{or}\\; Z \\cdot h_{storey}, \\qquad
              Z = Z^{given} \\;\\text{or}\\; \\max(1, \\mathrm{round}(h / h_{storey}))

    Buildings with neither keep NaN and are skipped by shadows; indicators
    count their footprint (GRZ) but no floor area.
    """
    b = buildings.copy()
    for column in ("height", "storeys", "base_height"):
        if column not in b:
            b[column] = np.nan
    height = pd.to_numeric(b["height"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    storeys = pd.to_numeric(b["storeys"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    lod1, estimated = lod1_heights(height, storeys, storey_height)
    storeys = np.where(np.isfinite(storeys), storeys, storeys_from_height(lod1, storey_height))
    b["height"] = lod1
    b["storeys"] = pd.array(np.where(np.isfinite(storeys), np.round(storeys), np.nan), dtype="Int64")
    previous = b["height_estimated"] if "height_estimated" in b else pd.Series(False, index=b.index)
    b["height_estimated"] = previous.fillna(False).astype(bool).to_numpy() | estimated
    if "synthetic" not in b:
        b["synthetic"] = False
    b["synthetic"] = b["synthetic"].fillna(False).astype(bool)
    return b


@dataclass
class CityModel:
    """The twin: every frame in the storage CRS (EPSG:25832 by default).

    Attributes
    ----------
    buildings : GeoDataFrame
        LoD1 buildings (catalogue ``buildings`` columns; ``height`` and
        ``storeys`` filled in, see :func:`prepare_buildings`).
    zones : GeoDataFrame
        Baugebietsteilflächen (``bp_baugebiet``) with their Festsetzungen.
    baugrenzen, traffic, green, plans, parcels, baufenster : GeoDataFrame
        ``bp_baugrenze``, ``bp_verkehrsflaeche``, ``bp_gruenflaeche``,
        ``bp_plan``, ``parcels``, ``bp_baufenster`` (the plan's own
        überbaubare Grundstücksflächen).
    assumptions : Assumptions
        Storey height, m² per dwelling, persons per dwelling, tolerances.
    """

    buildings: gpd.GeoDataFrame
    zones: gpd.GeoDataFrame
    baugrenzen: gpd.GeoDataFrame
    traffic: gpd.GeoDataFrame
    green: gpd.GeoDataFrame
    plans: gpd.GeoDataFrame
    parcels: gpd.GeoDataFrame
    baufenster: gpd.GeoDataFrame
    epsg: int = DEFAULT_STORAGE_EPSG
    assumptions: Assumptions = field(default_factory=Assumptions)

    # ------------------------------------------------------------------ assembly

    @classmethod
    def from_frames(
        cls,
        frames: dict,
        *,
        epsg: int | None = None,
        dem_path=None,
        assumptions: Assumptions | None = None,
        synthesize: bool = False,
        seed: int = 0,
    ) -> CityModel:
        """Assemble from ``{layer_id: GeoDataFrame}`` (importer output or ``store.read`` results).

        Missing layers become empty frames.  With ``synthesize`` and no
        buildings, synthetic existing buildings are generated in the zones
        (:func:`twin.synthetic.synthetic_buildings`, within the Baufenster).
        """
        crs_source = next((f.crs for f in frames.values() if f is not None and f.crs is not None), None)
        epsg = epsg or (crs_source.to_epsg() if crs_source is not None else None) or DEFAULT_STORAGE_EPSG
        crs = f"EPSG:{epsg}"
        parts = {}
        for attr, layer_id in MODEL_LAYERS.items():
            frame = frames.get(layer_id)
            if frame is None or (frame.empty and frame.columns.size <= 1):
                frame = empty_frame(layer_id, crs)
            elif frame.crs is None:
                frame = frame.set_crs(crs)
            elif frame.crs.to_epsg() != epsg:
                frame = frame.to_crs(crs)
            parts[attr] = frame.reset_index(drop=True)
        assumptions = assumptions or Assumptions()
        if synthesize and parts["buildings"].empty and not parts["zones"].empty:
            from twin.synthetic import synthetic_buildings

            windows = windows_of(parts["baufenster"], parts["baugrenzen"])
            parts["buildings"] = synthetic_buildings(parts["zones"], seed=seed, baugrenzen=windows)["buildings"]
        parts["buildings"] = prepare_buildings(parts["buildings"], assumptions.storey_height)
        model = cls(**parts, epsg=epsg, assumptions=assumptions)
        if dem_path is not None:
            model.sample_dem(dem_path)
        return model

    @classmethod
    def from_store(
        cls,
        store,
        *,
        plan_ids=None,
        dem_path=None,
        margin: float = DEFAULT_MARGIN,
        assumptions: Assumptions | None = None,
        synthesize: bool = True,
        seed: int = 0,
    ) -> CityModel:
        """Assemble from a :class:`store.base.Store`.

        With ``plan_ids`` only those plans' layers are read and the city
        layers (buildings, parcels) are cut to the plans' extent plus
        ``margin`` metres.  Without, city layers are cut to the extent of all
        plans when there are any (a store may also hold other cities'
        buildings).  With ``synthesize`` and no buildings in the area,
        synthetic existing buildings are generated (labelled synthetic).
        """
        frames = {}
        for attr, layer_id in MODEL_LAYERS.items():
            if attr in ("buildings", "parcels"):
                continue
            if plan_ids:
                pieces = [store.read(layer_id, where={"plan_id": pid}) for pid in plan_ids]
                pieces = [p for p in pieces if len(p)]
                frames[layer_id] = pd.concat(pieces, ignore_index=True) if pieces else store.read(layer_id).iloc[:0]
            else:
                frames[layer_id] = store.read(layer_id)
        area = frames["bp_plan"] if len(frames["bp_plan"]) else frames["bp_baugebiet"]
        box = None
        if len(area) and not area.geometry.isna().all():
            x0, y0, x1, y1 = area.total_bounds
            box = (x0 - margin, y0 - margin, x1 + margin, y1 + margin)
        for layer_id in ("buildings", "parcels"):
            # Through the spatial index: a district's buildings, not a city's 400,000 read and dropped.
            # The index's boxes are rounded outwards; .cx keeps exactly the rows the margin names.
            frame = store.read(layer_id, bbox=box)
            if box is not None and len(frame):
                frame = frame.cx[box[0] : box[2], box[1] : box[3]]
            frames[layer_id] = frame
        return cls.from_frames(
            frames, epsg=store.epsg, dem_path=dem_path, assumptions=assumptions, synthesize=synthesize, seed=seed
        )

    def sample_dem(self, dem_path) -> None:
        """Set ``base_height`` of every building from a DEM; keeps old values where sampling fails."""
        if self.buildings.empty:
            return
        from pyproj.exceptions import ProjError
        from rasterio.errors import RasterioError

        try:
            heights = sample_heights(dem_path, self.buildings.geometry)
        except (RasterioError, ProjError, ValueError, OSError) as err:
            # a missing or unreadable DEM (or buildings without a CRS) must not stop the twin
            LOG.warning("base heights not sampled from %s: %s", dem_path, err)
            return
        old = pd.to_numeric(self.buildings["base_height"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        self.buildings["base_height"] = np.where(np.isfinite(heights), heights, old)

    # ------------------------------------------------------------------ derived

    def copy(self) -> CityModel:
        """A copy whose frames can be changed without touching this model."""
        return replace(self, **{attr: getattr(self, attr).copy() for attr in MODEL_LAYERS})

    def windows(self) -> np.ndarray:
        """Baufenster polygons (:func:`windows_of`)."""
        return windows_of(self.baufenster, self.baugrenzen)

    def plan_area(self) -> np.ndarray:
        """Area the plan-wide shares refer to: the plans' Geltungsbereiche, else the zones (one geometry)."""
        source = self.plans if len(self.plans) else self.zones
        geoms = source.geometry.values
        geoms = geoms[~shapely.is_missing(geoms)]
        return np.array([shapely.union_all(geoms)], dtype=object) if len(geoms) else np.empty(0, dtype=object)

    def lod1(self) -> gpd.GeoDataFrame:
        """Buildings as LoD1 prisms for 3D views: ``z_min`` (terrain, 0 if unknown) and ``z_max`` (roof)."""
        b = self.buildings.copy()
        base = pd.to_numeric(b["base_height"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
        b["z_min"] = base
        b["z_max"] = base + pd.to_numeric(b["height"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
        return b

    def zone_indicators(self) -> pd.DataFrame:
        """:func:`twin.indicators.zone_indicators` of the model's buildings and zones."""
        return zone_indicators(self.buildings, self.zones, self.assumptions)

    def totals(self, zone_table: pd.DataFrame | None = None) -> dict:
        """Totals over the zones plus sealed/green share of the plan area."""
        from twin.indicators import sealed_share

        out = totals(self.zone_indicators() if zone_table is None else zone_table)
        area = self.plan_area()
        if len(area):
            sealed = float(sealed_share(area, self.buildings.geometry.values, self.traffic.geometry.values)[0])
            out["plan_area_m2"] = float(shapely.area(area[0]))
            out["sealed_share"] = sealed
            out["green_share"] = 1.0 - sealed
        else:
            out["plan_area_m2"], out["sealed_share"], out["green_share"] = 0.0, None, None
        return out
