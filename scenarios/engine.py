"""Apply scenarios to the twin, compute their indicators, and compare any two variants.

``run_scenario(scenario, model)`` copies the :class:`twin.model.CityModel`,
applies the scenario's base (the baseline, or another scenario first), then
its changes in file order, and computes per-zone indicators, totals,
violations of the Festsetzungen and -- on request -- hourly shadows and
sun-hours for a day.  ``compare(a, b)`` gives the deltas ``b - a`` as a
JSON-serialisable dict.

An error while applying a change (an unknown building or zone id, a column
that does not exist) raises :class:`scenarios.model.ScenarioError` naming the
file and line of that change.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from scenarios.model import (
    BASELINE,
    TEXT_FESTSETZUNG_FIELDS,
    AddBuilding,
    ChangeFestsetzung,
    FillEnvelope,
    ModifyBuildings,
    RemoveBuildings,
    Scenario,
    ScenarioError,
    ScenarioIssue,
    crs_epsg,
    shipped_scenarios,
)
from twin.indicators import (
    GRZ_ORIENTATION,
    assign_to_plots,
    compliance,
    permitted_gfz,
    permitted_grz,
    permitted_z,
)
from twin.model import CityModel

#: Storeys used by fill_envelope where a zone fixes neither Z nor GFZ/GRZ (typical for the type of area).
DEFAULT_Z = {
    "WS": 1,
    "WR": 2,
    "WA": 2,
    "WB": 4,
    "MD": 2,
    "MDW": 2,
    "MI": 3,
    "MU": 4,
    "MK": 4,
    "GE": 2,
    "GI": 2,
    "SO": 2,
}

#: Between the variant id and a building's or zone's id in stored variant rows (``nachverdichtung~GML_1``).
#: Not '/': ids are URL path segments (``…/items/{id}``), and scenario ids never hold '~' (``ID_PATTERN``).
ROW_ID_SEPARATOR = "~"

#: Indicators compared per zone and in the totals.
ZONE_METRICS = (
    "buildings",
    "footprint_m2",
    "floor_area_m2",
    "volume_m3",
    "grz",
    "gfz",
    "dwellings",
    "residents",
    "grz_permitted",
    "gfz_permitted",
    "z_permitted",
    "max_storeys",
)
TOTAL_METRICS = (
    "buildings",
    "footprint_m2",
    "floor_area_m2",
    "volume_m3",
    "grz",
    "gfz",
    "dwellings",
    "residents",
    "sealed_share",
    "green_share",
    "violations",
)


# ----------------------------------------------------------------------------- result


@dataclass
class ScenarioResult:
    """A variant of the twin with its indicators.

    ``zone_table`` has one row per Baugebietsteilfläche
    (:data:`twin.indicators.ZONE_INDICATOR_COLUMNS`), ``totals`` the sums and
    plan-wide shares, ``violations`` one row per violated Festsetzung,
    ``log`` one entry per applied change (op, line, how many features).
    """

    scenario_id: str
    title_de: str
    title_en: str
    base: str | None
    model: CityModel
    zone_table: pd.DataFrame
    totals: dict
    violations: pd.DataFrame
    log: list[dict] = field(default_factory=list)
    shadows: gpd.GeoDataFrame | None = None
    sun_hours: pd.DataFrame | None = None
    timings: dict = field(default_factory=dict)
    description: str = ""

    @property
    def buildings(self) -> gpd.GeoDataFrame:
        return self.model.buildings

    @property
    def zones(self) -> gpd.GeoDataFrame:
        return self.model.zones

    def to_dict(self, include_buildings: bool = False) -> dict:
        """JSON-serialisable summary (NaN as null); buildings as GeoJSON in CRS84 on request."""
        out = {
            "scenario": {
                "id": self.scenario_id,
                "title_de": self.title_de,
                "title_en": self.title_en,
                "base": self.base,
            },
            "totals": _jsonable(self.totals),
            "zones": _records(self.zone_table),
            "violations": _records(self.violations),
            "log": _jsonable(self.log),
        }
        if self.sun_hours is not None:
            out["sun_hours"] = _records(self.sun_hours)
        if include_buildings:
            out["buildings"] = buildings_geojson(self.buildings)
        return out

    def to_frames(self, computed_at: str | None = None) -> dict[str, gpd.GeoDataFrame]:
        """The variant as catalogue frames, for storing and serving as OGC API collections.

        ``scenarios``: one row with the totals and the computed plan area;
        ``scenario_buildings``: the variant's buildings with floor area and
        volume, ids ``<scenario>/<building id>`` (unique across variants in
        one table); ``scenario_zone_indicators``: the zone table with the
        zone geometries.  Every row has ``source = "scenario:<id>"`` (a
        re-run replaces exactly its own rows, see ``scenarios/results.py``).
        ``like_count`` is left 0: the store counts the likes when writing.
        """
        from schema.catalog import LAYERS
        from twin.indicators import building_volume, floor_area

        source = f"scenario:{self.scenario_id}"
        crs = self.zones.crs or self.buildings.crs

        b = self.buildings
        geoms = b.geometry.values
        buildings = gpd.GeoDataFrame(
            {
                "id": self.scenario_id + ROW_ID_SEPARATOR + b["id"].astype(str),
                "source": source,
                "scenario_id": self.scenario_id,
                "building_id": b["id"].astype(str),
                "building_source": b.get("source"),
                "floor_area_m2": floor_area(
                    geoms,
                    np.nan_to_num(pd.to_numeric(b["storeys"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)),
                ),
                "volume_m3": building_volume(
                    geoms,
                    np.nan_to_num(pd.to_numeric(b["height"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)),
                ),
            },
            geometry=b.geometry.values,
            crs=b.crs,
        )
        for column in LAYERS["scenario_buildings"].columns:
            if column not in buildings and column in b:
                buildings[column] = b[column].to_numpy()

        zones = self.zones[["id", "geometry"]].rename(columns={"id": "zone_id"})
        table = zones.merge(self.zone_table, on="zone_id", how="right")
        table.insert(0, "id", self.scenario_id + ROW_ID_SEPARATOR + table["zone_id"].astype(str))
        table.insert(1, "source", source)
        table.insert(2, "scenario_id", self.scenario_id)
        zone_frame = gpd.GeoDataFrame(table, geometry="geometry", crs=crs)

        area = self.model.plan_area()
        t = _jsonable(self.totals)
        synthetic = bool(b["synthetic"].fillna(False).astype(bool).any()) if "synthetic" in b and len(b) else False
        summary = gpd.GeoDataFrame(
            [
                {
                    "id": self.scenario_id,
                    "source": source,
                    "title_de": self.title_de,
                    "title_en": self.title_en,
                    "description": self.description,
                    "base": self.base,
                    "plan_ids": sorted(self.model.plans["id"].astype(str)) if "id" in self.model.plans else [],
                    **{
                        k: t.get(k)
                        for k in (
                            "buildings",
                            "footprint_m2",
                            "floor_area_m2",
                            "volume_m3",
                            "grz",
                            "gfz",
                            "dwellings",
                            "residents",
                            "sealed_share",
                            "green_share",
                            "violations",
                        )
                    },
                    "totals": t,
                    "changes": _jsonable(self.log),
                    "like_count": 0,
                    "synthetic": synthetic,
                    "computed_at": computed_at,
                }
            ],
            geometry=[_multipolygon(area[0]) if len(area) else None],
            crs=crs,
        )
        return {"scenarios": summary, "scenario_buildings": buildings, "scenario_zone_indicators": zone_frame}


def _jsonable(value):
    """Plain Python values for JSON: numpy scalars unwrapped, NaN/NA as None."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (pd.Timestamp, np.datetime64)):
        return pd.Timestamp(value).isoformat()
    return value


def _records(frame: pd.DataFrame) -> list[dict]:
    return [_jsonable(r) for r in frame.to_dict(orient="records")]


def buildings_geojson(buildings: gpd.GeoDataFrame) -> dict:
    """Buildings as a GeoJSON FeatureCollection in CRS84 (lon/lat), for clients and 3D views."""
    import json

    frame = buildings.to_crs("OGC:CRS84") if buildings.crs is not None else buildings
    return json.loads(frame.to_json(na="null", show_bbox=False, drop_id=True))


# ----------------------------------------------------------------------------- selection


def _fail(scenario: Scenario, index: int, message: str):
    line = scenario._change_lines[index] if index < len(scenario._change_lines) else None
    raise ScenarioError(
        scenario._source or f"scenario {scenario.id}",
        [ScenarioIssue(line=line, path=f"changes[{index}]", message=message)],
    )


def _match(frame: pd.DataFrame, criteria: Mapping, scenario: Scenario, index: int, what: str) -> np.ndarray:
    """Rows whose columns equal the criteria (a list value means "one of")."""
    mask = np.ones(len(frame), dtype=bool)
    for column, value in criteria.items():
        if column not in frame.columns or column == "geometry":
            _fail(
                scenario,
                index,
                f"{what} have no column {column!r}; known: {', '.join(c for c in frame.columns if c != 'geometry')}",
            )
        values = value if isinstance(value, list) else [value]
        col = frame[column]
        hit = np.zeros(len(frame), dtype=bool)
        for v in values:
            if v is None:
                same = col.isna()
            elif isinstance(v, bool):
                same = col.astype("boolean") == v
            elif isinstance(v, (int, float)):
                same = pd.to_numeric(col, errors="coerce") == v
            else:
                same = col.astype("string") == v
            hit |= same.fillna(False).to_numpy(dtype=bool)
        mask &= hit
    return mask


def _check_ids(known: pd.Series, ids, scenario: Scenario, index: int, what: str) -> np.ndarray:
    ids = list(ids)
    missing = sorted(set(ids) - set(known.astype(str)))
    if missing:
        shown = ", ".join(missing[:5]) + (" …" if len(missing) > 5 else "")
        _fail(scenario, index, f"unknown {what} id(s): {shown}")
    return known.astype(str).isin(ids).to_numpy()


def select_buildings(model: CityModel, change, scenario: Scenario, index: int) -> np.ndarray:
    """Boolean mask of the buildings a remove/modify change selects (all criteria must hold)."""
    b = model.buildings
    mask = np.ones(len(b), dtype=bool)
    if change.ids:
        mask &= _check_ids(b["id"], change.ids, scenario, index, "building")
    criteria = change.criteria()
    if criteria:
        mask &= _match(b, criteria, scenario, index, "buildings")
    if change.zones:
        zones = _check_ids(model.zones["id"], change.zones, scenario, index, "zone")
        zone_of = assign_to_plots(b.geometry.values, model.zones.geometry.values)
        mask &= np.isin(zone_of, np.flatnonzero(zones))
    return mask


def select_zones(model: CityModel, change, scenario: Scenario, index: int) -> np.ndarray:
    """Boolean mask of the zones a change_festsetzung/fill_envelope change selects."""
    z = model.zones
    mask = np.ones(len(z), dtype=bool)
    ids = change.zone_ids()
    if ids:
        mask &= _check_ids(z["id"], ids, scenario, index, "zone")
    if change.plan_id:
        if change.plan_id not in set(z["plan_id"].astype(str)):
            _fail(scenario, index, f"no zones of plan {change.plan_id!r} in the model")
        mask &= (z["plan_id"].astype(str) == change.plan_id).to_numpy()
    criteria = change.criteria()
    if criteria:
        mask &= _match(z, criteria, scenario, index, "zones")
    return mask


# ----------------------------------------------------------------------------- changes


def _to_model_crs(geom, crs: str, model: CityModel):
    epsg = crs_epsg(crs)
    if epsg == model.epsg:
        return geom
    return gpd.GeoSeries([geom], crs=f"EPSG:{epsg}").to_crs(f"EPSG:{model.epsg}").iloc[0]


def _multipolygon(geom):
    if geom.geom_type == "MultiPolygon":
        return geom
    if geom.geom_type == "Polygon":
        return shapely.MultiPolygon([geom])
    # a union may come back as a collection (slivers, touching lines): keep its polygons
    parts = [g for g in shapely.get_parts(shapely.get_parts(geom)) if g.geom_type == "Polygon"]
    return shapely.MultiPolygon(parts)


def _new_rows(model: CityModel, rows: list[dict]) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=model.buildings.crs or f"EPSG:{model.epsg}")
    return frame


def _append(model: CityModel, rows: list[dict]) -> None:
    if not rows:
        return
    new = _new_rows(model, rows)
    b = model.buildings
    combined = pd.concat([b, new], ignore_index=True) if len(b) else new
    model.buildings = gpd.GeoDataFrame(combined, geometry="geometry", crs=b.crs or new.crs)
    model.buildings["storeys"] = pd.array(
        pd.to_numeric(model.buildings["storeys"], errors="coerce").round(), dtype="Int64"
    )


def _add_building(model: CityModel, change: AddBuilding, scenario: Scenario, index: int, sh: float) -> dict:
    geom = _to_model_crs(change.geometry.to_shapely(), change.crs, model)
    new_id = change.id or f"{scenario.id}:new:{index + 1}"
    if new_id in set(model.buildings["id"].astype(str)):
        _fail(scenario, index, f"a building with id {new_id!r} exists already")
    storeys = change.storeys if change.storeys is not None else max(1, round(change.height / sh))
    height = change.height if change.height is not None else change.storeys * sh
    _append(
        model,
        [
            dict(
                id=new_id,
                source=f"scenario:{scenario.id}",
                source_id=new_id,
                name=change.name or "Geplantes Gebäude",
                function=change.function,
                height=float(height),
                storeys=int(storeys),
                height_estimated=change.height is None,
                synthetic=False,
                geometry=_multipolygon(geom),
            )
        ],
    )
    return {"added": 1}


def _modify(model: CityModel, change: ModifyBuildings, mask: np.ndarray, scenario: Scenario, sh: float) -> dict:
    b = model.buildings
    values = change.set
    if values.storeys is not None:
        b.loc[mask, "storeys"] = values.storeys
        if values.height is None:  # keep LoD1 consistent: the height follows the storeys
            b.loc[mask, "height"] = values.storeys * sh
            b.loc[mask, "height_estimated"] = True
    if values.height is not None:
        b.loc[mask, "height"] = float(values.height)
        b.loc[mask, "height_estimated"] = False
        if values.storeys is None:
            b.loc[mask, "storeys"] = max(1, round(values.height / sh))
    if values.geometry is not None:
        geom = _multipolygon(_to_model_crs(values.geometry.to_shapely(), values.crs, model))
        b.loc[mask, "geometry"] = gpd.GeoSeries([geom] * int(mask.sum()), index=b.index[mask], crs=b.crs)
    for column in ("name", "function"):
        if getattr(values, column) is not None:
            b.loc[mask, column] = getattr(values, column)
    return {"modified": int(mask.sum())}


def _change_festsetzung(model: CityModel, change: ChangeFestsetzung, mask: np.ndarray) -> dict:
    z = model.zones
    if change.set is not None:
        for column in change.set.model_fields_set:
            value = getattr(change.set, column)
            if column in TEXT_FESTSETZUNG_FIELDS:
                _set_text_festsetzung(z, mask, column, value)
                continue
            if column not in z:
                z[column] = np.nan
            z[column] = pd.to_numeric(z[column], errors="coerce").astype(float)
            z.loc[mask, column] = np.nan if value is None else float(value)
    if change.add is not None:
        for column in change.add.model_fields_set:
            increment = getattr(change.add, column)
            if increment is None:
                continue
            if column not in z:
                z[column] = np.nan
            z[column] = pd.to_numeric(z[column], errors="coerce").astype(float)
            z.loc[mask, column] = z.loc[mask, column] + increment  # missing stays missing
    for column in ("z", "z_min", "z_max", "z_zwingend"):
        if column in z:
            z[column] = pd.array(pd.to_numeric(z[column], errors="coerce").round(), dtype="Int64")
    return {"zones": int(mask.sum())}


def _set_text_festsetzung(z: pd.DataFrame, mask: np.ndarray, column: str, value: str | None) -> None:
    """Art der Nutzung or Bauweise of the chosen zones, with the decoded XPlanung names the layers carry."""
    from layers.xplanung.bplan import ALLG_ART, ALLG_ART_CODE, BAUWEISE, BESONDERE_ART, BESONDERE_ART_CODE

    if column == "art_code":
        codes = {sign: code for code, sign in BESONDERE_ART_CODE.items()}  # SO: the last, 4000 "Sondergebiet"
        general = {sign: ALLG_ART[code] for code, sign in ALLG_ART_CODE.items()}
        related = {
            "besondere_art_der_baulichen_nutzung": BESONDERE_ART.get(codes.get(value, "")) if value else None,
            "allg_art_der_baulichen_nutzung": general.get(value[0]) if value else None,
        }
    else:
        codes = {name: code for code, name in BAUWEISE.items()}
        related = {"bauweise_code": codes.get(value) if value else None}
    for name, new in {column: value, **related}.items():
        if name not in z and new is None:
            continue
        if name not in z:
            z[name] = None
        z[name] = z[name].astype(object)
        z.loc[mask, name] = new


def _shrink_to_area(geoms: np.ndarray, targets: np.ndarray, iterations: int = 40) -> np.ndarray:
    """Each geometry shrunk by an inward (mitred) buffer until its area is the target (bisection).

    .. math:: d^* : |G \\ominus d^*| = T, \\quad 0 \\le d^* \\le r_{max}

    Vectorised across geometries; geometries already within their target are returned unchanged.
    """
    out = geoms.copy()
    area = shapely.area(geoms)
    todo = np.flatnonzero(area > targets * (1 + 1e-9))
    if not len(todo):
        return out
    g, t = geoms[todo], targets[todo]
    lo = np.zeros(len(todo))
    x0, y0, x1, y1 = shapely.bounds(g).T
    hi = np.maximum(x1 - x0, y1 - y0) / 2 + 1.0
    for _ in range(iterations):
        mid = (lo + hi) / 2
        a = shapely.area(shapely.buffer(g, -mid, join_style="mitre"))
        too_big = a > t
        lo = np.where(too_big, mid, lo)
        hi = np.where(too_big, hi, mid)
    out[todo] = shapely.buffer(g, -hi, join_style="mitre")
    return out


def _fill_envelope(
    model: CityModel, change: FillEnvelope, mask: np.ndarray, scenario: Scenario, index: int, sh: float
) -> dict:
    """ "Maximal bebaut": build each chosen zone up to its permitted envelope.

    Per zone :math:`j` with area :math:`A_j`, envelope :math:`E_j` =
    Baufenster ∩ zone (the zone where it has no Baufenster), storeys
    :math:`Z_j` (Z, else :math:`\\lfloor GFZ/GRZ \\rfloor`, else the type's
    default; capped by :math:`\\lfloor h_{max}/h_{storey} \\rfloor`):

    .. math:: T_j = \\min(GRZ_j A_j - GR^{kept}_j,\\; |E_j|,\\;
              (GFZ_j A_j - GF^{kept}_j) / Z_j)

    The new footprint is :math:`E_j` shrunk inward until its area is
    :math:`T_j`; each part becomes a building with :math:`Z_j` storeys and
    height :math:`Z_j h_{storey}`.  With ``replace_existing`` (default) the
    zone's buildings are removed first (kept GR/GF = 0); otherwise the new
    footprint avoids them and only the remaining capacity is built.
    """
    sh = change.storey_height or sh
    z = model.zones
    idx = np.flatnonzero(mask)
    if not len(idx):
        return {"zones": 0, "removed": 0, "added": 0}
    zone_geoms = z.geometry.values
    b = model.buildings
    zone_of = assign_to_plots(b.geometry.values, zone_geoms)
    in_chosen = np.isin(zone_of, idx)
    removed = 0
    if change.replace_existing:
        removed = int(in_chosen.sum())
        model.buildings = b[~in_chosen].reset_index(drop=True)
        b, zone_of = model.buildings, zone_of[~in_chosen]

    area = shapely.area(zone_geoms[idx])
    art = (
        z["art_code"].astype("string").fillna("").str.upper().to_numpy(dtype=object)[idx]
        if "art_code" in z
        else np.full(len(idx), "")
    )
    grz_p = permitted_grz(z)[idx]
    grz_p = np.where(np.isfinite(grz_p), grz_p, [GRZ_ORIENTATION.get(a, 0.4) for a in art])
    gfz_p = permitted_gfz(z)[idx]
    z_p = permitted_z(z)[idx]
    z_from_ratio = np.floor(gfz_p / grz_p)
    storeys = np.where(
        np.isfinite(z_p),
        z_p,
        np.where(np.isfinite(z_from_ratio) & (z_from_ratio >= 1), z_from_ratio, [DEFAULT_Z.get(a, 2) for a in art]),
    )
    h_max = (
        pd.to_numeric(z["h_max"], errors="coerce").to_numpy(dtype=float)[idx]
        if "h_max" in z
        else np.full(len(idx), np.nan)
    )
    storeys = np.where(np.isfinite(h_max), np.minimum(storeys, np.floor(h_max / sh)), storeys)
    storeys = np.maximum(storeys, 0)

    envelope = zone_geoms[idx].copy()
    if change.use_baugrenzen:
        windows = model.windows()
        if len(windows):
            zi, wi = shapely.STRtree(windows).query(envelope, predicate="intersects")
            for k in np.unique(zi):
                inside = shapely.intersection(shapely.union_all(windows[wi[zi == k]]), envelope[k])
                if shapely.area(inside) > 0.01:
                    envelope[k] = inside
    kept_gr = np.zeros(len(idx))
    kept_gf = np.zeros(len(idx))
    if not change.replace_existing and len(b):
        storeys_b = pd.to_numeric(b["storeys"], errors="coerce").fillna(0).to_numpy(dtype=float)
        for k, j in enumerate(idx):
            mine = zone_of == j
            if mine.any():
                kept = b.geometry.values[mine]
                parts = shapely.area(shapely.intersection(kept, zone_geoms[j]))
                kept_gr[k], kept_gf[k] = parts.sum(), (parts * storeys_b[mine]).sum()
                # keep 1 m away from the buildings that stay
                envelope[k] = shapely.difference(envelope[k], shapely.union_all(shapely.buffer(kept, 1.0)))
    with np.errstate(divide="ignore", invalid="ignore"):
        target = np.fmin(grz_p * area - kept_gr, shapely.area(envelope))
        gf_cap = np.where(storeys > 0, (gfz_p * area - kept_gf) / storeys, np.nan)
    target = np.maximum(np.fmin(target, gf_cap), 0.0)
    footprints = _shrink_to_area(envelope, target)

    rows = []
    for k, j in enumerate(idx):
        if storeys[k] < 1 or target[k] <= 0:
            continue
        parts = [p for p in shapely.get_parts(footprints[k]) if p.geom_type == "Polygon" and p.area >= 1.0]
        for n, part in enumerate(parts, start=1):
            new_id = f"{scenario.id}:{z['id'].iloc[j]}:{n}"
            rows.append(
                dict(
                    id=new_id,
                    source=f"scenario:{scenario.id}",
                    source_id=new_id,
                    name="Maximal bebaut (Szenario)",
                    function="Hüllkörper (maximal bebaut)",
                    height=float(storeys[k] * sh),
                    storeys=int(storeys[k]),
                    height_estimated=True,
                    synthetic=False,
                    geometry=shapely.MultiPolygon([part]),
                )
            )
    _append(model, rows)
    return {"zones": len(idx), "removed": removed, "added": len(rows)}


def apply_changes(scenario: Scenario, model: CityModel) -> list[dict]:
    """Apply the scenario's own changes to ``model`` in place, in file order; return the log."""
    sh = scenario.parameters.storey_height
    log = []
    for index, change in enumerate(scenario.changes):
        line = scenario._change_lines[index] if index < len(scenario._change_lines) else None
        entry = {"scenario": scenario.id, "change": index, "line": line, "op": change.op}
        if isinstance(change, AddBuilding):
            entry.update(_add_building(model, change, scenario, index, sh))
        elif isinstance(change, RemoveBuildings):
            mask = select_buildings(model, change, scenario, index)
            model.buildings = model.buildings[~mask].reset_index(drop=True)
            entry["removed"] = int(mask.sum())
        elif isinstance(change, ModifyBuildings):
            mask = select_buildings(model, change, scenario, index)
            entry.update(_modify(model, change, mask, scenario, sh))
        elif isinstance(change, ChangeFestsetzung):
            entry.update(_change_festsetzung(model, change, select_zones(model, change, scenario, index)))
        elif isinstance(change, FillEnvelope):
            mask = select_zones(model, change, scenario, index)
            entry.update(_fill_envelope(model, change, mask, scenario, index, sh))
        if not any(v for k, v in entry.items() if k in ("added", "removed", "modified", "zones")):
            entry["warning"] = f"{scenario.where(index)}: change selected nothing"
        log.append(entry)
    return log


def resolve_library(library: Mapping[str, Scenario] | None) -> dict[str, Scenario]:
    return dict(shipped_scenarios() if library is None else library)


def apply_scenario(
    scenario: Scenario, model: CityModel, library: Mapping[str, Scenario] | None = None, _seen: tuple = ()
) -> tuple[CityModel, list[dict]]:
    """A copy of ``model`` with the scenario's base chain and its changes applied.

    ``library`` maps scenario ids to scenarios for resolving ``base``
    (default: the shipped scenarios plus this one).
    """
    if scenario.id in _seen:
        chain = " → ".join(_seen + (scenario.id,))
        raise ScenarioError(
            scenario._source or scenario.id, [ScenarioIssue(path="base", message=f"bases form a cycle: {chain}")]
        )
    if scenario.base == BASELINE:
        changed, log = model.copy(), []
    else:
        library = resolve_library(library)
        base = library.get(scenario.base)
        if base is None:
            raise ScenarioError(
                scenario._source or scenario.id,
                [
                    ScenarioIssue(
                        path="base",
                        message=f"unknown base scenario {scenario.base!r}; known: "
                        f"{', '.join(['baseline', *sorted(library)])}",
                    )
                ],
            )
        changed, log = apply_scenario(base, model, library, _seen + (scenario.id,))
    if scenario.plan_ids:
        changed = restrict_to_plans(changed, scenario.plan_ids)
        if changed.zones.empty and changed.plans.empty:
            log = log + [
                {
                    "scenario": scenario.id,
                    "op": "plan_ids",
                    "warning": f"{scenario._source or scenario.id}: none of the scenario's plan_ids "
                    "is in the model; it is empty",
                }
            ]
    log = log + apply_changes(scenario, changed)
    return changed, log


def plans_read_by(scenarios, library: Mapping[str, Scenario] | None = None) -> list[str] | None:
    """The plans a run of ``scenarios`` (ids or Scenario objects) needs from the store, or None for all.

    :func:`apply_scenario` cuts the model to a scenario's ``plan_ids`` after its base chain
    was applied, and every change is local (a building, a zone), so nothing outside those
    plans reaches the result: the union of the ``plan_ids`` along each chain is enough, read
    with the plans' extent plus the margin of :func:`restrict_to_plans`
    (``CityModel.from_store(plan_ids=…)``). A chain where no scenario names plans (the
    baseline itself among them) covers the whole store: None. Unknown bases and cycles
    also give None; running them reports the error.
    """
    library = resolve_library(library)
    needed: set[str] = set()
    for scenario in scenarios:
        chain_plans: set[str] = set()
        seen: set[str] = set()
        while scenario != BASELINE:
            if isinstance(scenario, str):
                scenario = library.get(scenario)
            if scenario is None or scenario.id in seen:
                return None
            seen.add(scenario.id)
            chain_plans.update(str(pid) for pid in scenario.plan_ids or ())
            scenario = scenario.base
        if not chain_plans:
            return None
        needed |= chain_plans
    return sorted(needed)


def restrict_to_plans(model: CityModel, plan_ids, margin: float = 100.0) -> CityModel:
    """The model cut to the given plans: their plan-scoped layers, and city layers near them."""
    ids = set(plan_ids)
    out = model.copy()
    for attr in ("zones", "baugrenzen", "traffic", "green", "plans"):
        frame = getattr(out, attr)
        if "plan_id" in frame:
            setattr(out, attr, frame[frame["plan_id"].astype(str).isin(ids)].reset_index(drop=True))
    area = out.plans if len(out.plans) else out.zones
    if len(area):
        x0, y0, x1, y1 = area.total_bounds
        for attr in ("buildings", "parcels"):
            frame = getattr(out, attr)
            if len(frame):
                setattr(
                    out, attr, frame.cx[x0 - margin : x1 + margin, y0 - margin : y1 + margin].reset_index(drop=True)
                )
    return out


def replaced_building_ids(model: CityModel, result: ScenarioResult) -> list[str]:
    """Ids of the stored buildings a variant stands in for, so a city view can hide them.

    These are the buildings of the variant's area (its plans plus the margin of
    :func:`restrict_to_plans`), including those the variant removed or rebuilt,
    together with the variant's own buildings that exist in ``model``. A 3D view
    that shows the whole city from vector tiles hides these ids and draws the
    variant's buildings in their place.
    """
    stored = set(model.buildings["id"].astype(str)) if len(model.buildings) else set()
    plan_ids = result.model.plans["id"].astype(str) if "id" in result.model.plans else []
    area = restrict_to_plans(model, plan_ids).buildings if len(plan_ids) else model.buildings.iloc[0:0]
    ids = set(area["id"].astype(str)) if len(area) else set()
    if len(result.buildings):
        ids |= set(result.buildings["id"].astype(str)) & stored
    return sorted(ids)


# ----------------------------------------------------------------------------- run


def baseline_scenario() -> Scenario:
    """The unchanged twin as a scenario object (id ``baseline``, no changes)."""
    from scenarios.model import Parameters

    return Scenario.model_construct(
        id=BASELINE,
        title_de="Bestand",
        title_en="Baseline",
        description="",
        base=BASELINE,
        plan_ids=None,
        parameters=Parameters(),
        changes=[],
    )


def _as_scenario(scenario, library) -> Scenario:
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, str):
        if scenario == BASELINE:
            return baseline_scenario()
        library = resolve_library(library)
        if scenario not in library:
            raise KeyError(f"unknown scenario {scenario!r}; known: {', '.join(['baseline', *sorted(library)])}")
        return library[scenario]
    raise TypeError(f"expected a Scenario or a scenario id, got {type(scenario).__name__}")


def evaluate(
    model: CityModel, *, shadows_day=None, sun_hours_day=None, step_minutes: float = 60, min_sunlit_share: float = 0.5
) -> dict:
    """Indicators of a model: zone table, totals (incl. violations), optional shadows and sun-hours."""
    timings = {}
    t0 = time.perf_counter()
    table = model.zone_indicators()
    timings["zones_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    violations = compliance(
        model.buildings, model.zones, model.windows(), tolerance=model.assumptions.baugrenze_tolerance
    )
    timings["compliance_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    tot = model.totals(table)
    tot["violations"] = len(violations)
    tot["violations_by_rule"] = {k: int(v) for k, v in violations["rule"].value_counts().items()}
    timings["totals_s"] = time.perf_counter() - t0
    shadows = sun = None
    if shadows_day is not None and len(model.buildings):
        from twin.shadow import hourly_shadows

        t0 = time.perf_counter()
        b = model.buildings
        shadows = hourly_shadows(
            b.geometry,
            b["height"].to_numpy(dtype=float, na_value=np.nan),
            shadows_day,
            step_minutes=step_minutes,
            ids=b["id"].to_numpy(),
        )
        timings["shadows_s"] = time.perf_counter() - t0
        tot["shadow_steps"] = int(shadows["time"].nunique()) if len(shadows) else 0
    if sun_hours_day is not None:
        t0 = time.perf_counter()
        sun = sun_hours_table(model, sun_hours_day, step_minutes=step_minutes, min_sunlit_share=min_sunlit_share)
        timings["sun_hours_s"] = time.perf_counter() - t0
        if len(sun):
            tot["sun_hours_mean"] = float(sun["sun_hours"].mean())
    return {
        "zone_table": table,
        "totals": tot,
        "violations": violations,
        "shadows": shadows,
        "sun_hours": sun,
        "timings": timings,
    }


def sun_hours_table(model: CityModel, day, step_minutes: float = 60, min_sunlit_share: float = 0.5) -> pd.DataFrame:
    """Sun-hours of public spaces (green and traffic areas) and parcels for one day."""
    from twin.shadow import sun_hours

    pieces = []
    for attr, kind in (("green", "gruenflaeche"), ("traffic", "verkehrsflaeche"), ("parcels", "parcel")):
        frame = getattr(model, attr)
        if len(frame):
            polys = frame[frame.geom_type.isin(["Polygon", "MultiPolygon"])]
            pieces.append(
                pd.DataFrame(
                    {"target_id": polys["id"].astype(str).to_numpy(), "kind": kind, "geometry": polys.geometry.values}
                )
            )
    if not pieces:
        return pd.DataFrame({"target_id": [], "kind": [], "sun_hours": []})
    targets = pd.concat(pieces, ignore_index=True)
    b = model.buildings
    hours = sun_hours(
        gpd.GeoSeries(targets["geometry"], crs=b.crs or f"EPSG:{model.epsg}"),
        b,
        day,
        step_minutes=step_minutes,
        min_sunlit_share=min_sunlit_share,
    )
    return pd.DataFrame({"target_id": targets["target_id"], "kind": targets["kind"], "sun_hours": hours})


def run_scenario(
    scenario,
    model: CityModel,
    *,
    library: Mapping[str, Scenario] | None = None,
    shadows_day=None,
    sun_hours_day=None,
    step_minutes: float = 60,
) -> ScenarioResult:
    """Apply a scenario to the twin and compute every indicator.

    Parameters
    ----------
    scenario : Scenario or str
        A scenario, ``"baseline"``, or the id of a scenario in ``library``.
    model : CityModel
        The baseline twin (left unchanged).
    library : mapping, optional
        Scenarios by id for ``base`` references (default: shipped scenarios).
    shadows_day, sun_hours_day : date, ISO string or preset, optional
        Compute hourly shadow polygons of every building / sun-hours of public
        spaces and parcels for this day (``"equinox"``, ``"winter_solstice"``).
    step_minutes : float
        Time step of shadows and sun-hours.

    Returns
    -------
    ScenarioResult
    """
    t0 = time.perf_counter()
    scenario = _as_scenario(scenario, library)
    if library is not None and scenario.id not in library and scenario.id != BASELINE:
        library = {**library, scenario.id: scenario}
    if scenario.id == BASELINE:
        changed, log = model.copy(), []
    else:
        changed, log = apply_scenario(scenario, model, library)
    changed.assumptions = (
        replace(model.assumptions, **scenario.parameters.model_dump()) if scenario.id != BASELINE else model.assumptions
    )
    t_apply = time.perf_counter() - t0
    results = evaluate(changed, shadows_day=shadows_day, sun_hours_day=sun_hours_day, step_minutes=step_minutes)
    timings = {"apply_s": t_apply, **results["timings"], "total_s": time.perf_counter() - t0}
    return ScenarioResult(
        scenario_id=scenario.id,
        title_de=scenario.title_de,
        title_en=scenario.title_en,
        base=None if scenario.id == BASELINE else scenario.base,
        model=changed,
        zone_table=results["zone_table"],
        totals=results["totals"],
        violations=results["violations"],
        log=log,
        shadows=results["shadows"],
        sun_hours=results["sun_hours"],
        timings=timings,
        description=scenario.description,
    )


# ----------------------------------------------------------------------------- compare


def _delta(a, b) -> dict:
    a = _jsonable(a)
    b = _jsonable(b)
    out = {"a": a, "b": b, "delta": None, "relative": None}
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        out["delta"] = b - a
        out["relative"] = (b - a) / a if a else None
    return out


def compare(result_a: ScenarioResult, result_b: ScenarioResult) -> dict:
    """Indicator deltas between two variants (``b - a``), per zone and in total.

    Any two variants can be compared, not only against the baseline.  Every
    metric is reported as ``{"a", "b", "delta", "relative"}`` (relative =
    delta / a, null where a is 0 or missing).  Zones are matched by id (a
    zone in only one variant gets nulls on the other side).  ``buildings``
    counts ids added, removed and changed (height, storeys or footprint).

    Returns a JSON-serialisable dict.
    """
    totals = {m: _delta(result_a.totals.get(m), result_b.totals.get(m)) for m in TOTAL_METRICS}
    za = result_a.zone_table.set_index("zone_id")
    zb = result_b.zone_table.set_index("zone_id")
    zones = []
    for zone_id in list(dict.fromkeys([*za.index, *zb.index])):
        ra = za.loc[zone_id] if zone_id in za.index else None
        rb = zb.loc[zone_id] if zone_id in zb.index else None
        ref = ra if ra is not None else rb
        zones.append(
            {
                "zone_id": zone_id,
                "plan_id": _jsonable(ref["plan_id"]),
                "art_code": _jsonable(ref["art_code"]),
                **{m: _delta(None if ra is None else ra[m], None if rb is None else rb[m]) for m in ZONE_METRICS},
            }
        )
    ba = result_a.buildings.set_index(result_a.buildings["id"].astype(str))
    bb = result_b.buildings.set_index(result_b.buildings["id"].astype(str))
    common = ba.index.intersection(bb.index)
    changed = 0
    if len(common):
        a, b = ba.loc[common], bb.loc[common]
        same_h = np.isclose(
            a["height"].to_numpy(dtype=float, na_value=np.nan),
            b["height"].to_numpy(dtype=float, na_value=np.nan),
            equal_nan=True,
        )
        same_s = (
            a["storeys"].astype("Float64").fillna(-1).to_numpy() == b["storeys"].astype("Float64").fillna(-1).to_numpy()
        )
        same_g = shapely.equals_exact(a.geometry.values, b.geometry.values, 1e-6)
        changed = int((~(same_h & same_s & same_g)).sum())
    rules = sorted(set(result_a.violations["rule"]) | set(result_b.violations["rule"]))
    return {
        "a": {"id": result_a.scenario_id, "title_de": result_a.title_de, "title_en": result_a.title_en},
        "b": {"id": result_b.scenario_id, "title_de": result_b.title_de, "title_en": result_b.title_en},
        "totals": totals,
        "zones": zones,
        "buildings": {
            "added": len(bb.index.difference(ba.index)),
            "removed": len(ba.index.difference(bb.index)),
            "changed": changed,
        },
        "violations_by_rule": {
            r: _delta(int((result_a.violations["rule"] == r).sum()), int((result_b.violations["rule"] == r).sum()))
            for r in rules
        },
    }
