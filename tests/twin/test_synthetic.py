"""Synthetic existing buildings: deterministic, labelled, and consistent with the plan."""

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, box

from schema.catalog import LAYERS
from twin.indicators import buildable_windows, gfz, grz, permitted_z
from twin.synthetic import NAME, SETBACK, SOURCE, synthetic_buildings, synthetic_parcels

X0, Y0 = 566_000.0, 5_947_000.0
SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "xplan"


def zones():
    return gpd.GeoDataFrame(
        {
            "id": ["wa", "wr-closed", "mi", "ge", "so"],
            "plan_id": "p",
            "art_code": ["WA", "WR", "MI", "GE", "SO"],
            "grz": [0.4, 0.3, 0.6, 0.8, np.nan],
            "gfz": [0.8, np.nan, 1.2, 1.6, np.nan],
            "z": pd_int([2, 2, 3, np.nan, np.nan]),
            "bauweise": ["OffeneBauweise", "GeschlosseneBauweise", None, None, None],
        },
        geometry=[
            box(X0, Y0, X0 + 150, Y0 + 80),
            box(X0 + 200, Y0, X0 + 300, Y0 + 60),
            shapely.Polygon([(X0, Y0 + 100), (X0 + 160, Y0 + 120), (X0 + 150, Y0 + 220), (X0, Y0 + 200)]),
            box(X0 + 200, Y0 + 100, X0 + 400, Y0 + 250),
            box(X0 + 450, Y0, X0 + 520, Y0 + 70),
        ],
        crs=25832,
    )


def pd_int(values):
    import pandas as pd

    return pd.array(
        [None if v is None or (isinstance(v, float) and np.isnan(v)) else int(v) for v in values], dtype="Int64"
    )


def check_consistent(buildings, zone_frame, windows=None):
    geoms = buildings.geometry.values
    position = {z: k for k, z in enumerate(zone_frame["id"])}
    zone_idx = buildings["id"].str.split(":").str[1].map(position).to_numpy()
    # inside the zone, 3 m from its edge
    inner = shapely.buffer(zone_frame.geometry.values, -SETBACK + 1e-6)
    assert shapely.within(geoms, inner[zone_idx]).all()
    # storeys never above Z
    z_perm = permitted_z(zone_frame)[zone_idx]
    fixed = np.isfinite(z_perm)
    assert (buildings["storeys"].to_numpy(dtype=float)[fixed] <= z_perm[fixed]).all()
    # inside the Baufenster where the zone has one
    if windows is not None:
        all_windows = shapely.buffer(shapely.union_all(windows), 1e-6)
        has_window = shapely.intersects(zone_frame.geometry.values, shapely.union_all(windows))[zone_idx]
        assert shapely.within(geoms[has_window], all_windows).all()
    # GRZ and GFZ stay below the permitted values
    achieved_grz = grz(geoms, zone_frame.geometry.values)
    achieved_gfz = gfz(geoms, buildings["storeys"].to_numpy(dtype=float), zone_frame.geometry.values)
    permitted = zone_frame["grz"].to_numpy(dtype=float)
    fixed = np.isfinite(permitted)
    assert (achieved_grz[fixed] <= permitted[fixed]).all()
    assert (achieved_grz <= 0.85 * 0.8 + 1e-9).all()  # the BauNVO orientation value where none is fixed
    gfz_p = zone_frame["gfz"].to_numpy(dtype=float)
    assert (achieved_gfz[np.isfinite(gfz_p)] <= 0.9 * gfz_p[np.isfinite(gfz_p)] + 1e-9).all()
    # no two buildings overlap
    a, b = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    assert (a == b).all()


def test_labelled_and_in_the_catalogue_schema():
    b = synthetic_buildings(zones(), seed=0)["buildings"]
    assert len(b) > 10
    assert set(b.columns) - {"geometry"} <= set(LAYERS["buildings"].columns)
    assert b["synthetic"].all() and (b["source"] == SOURCE).all() and (b["name"] == NAME).all()
    assert b["id"].str.fullmatch(r"synthetic:[^:]+:\d+").all()
    assert b["id"].is_unique
    assert (b.geom_type == "MultiPolygon").all()
    assert (b["height"] == b["storeys"] * np.where(b["function"] == "Gewerbehalle", 4.5, 3.0)).all()
    # the type follows the type of area
    functions = dict(zip(b["id"].str.split(":").str[1], b["function"], strict=True))
    assert functions["ge"] == "Gewerbehalle"
    assert functions["wr-closed"] == "Reihenhauszeile"
    assert functions["mi"] == "Wohn- und Geschäftshaus"
    assert set(b.loc[b["id"].str.contains(":wa:"), "function"]) <= {"Wohnhaus", "Doppelhaus"}


def test_deterministic_and_independent_of_other_zones():
    z = zones()
    a = synthetic_buildings(z, seed=0)["buildings"]
    again = synthetic_buildings(z, seed=0)["buildings"]
    assert a["id"].tolist() == again["id"].tolist()
    assert shapely.equals_exact(a.geometry.values, again.geometry.values, 0).all()
    assert a["storeys"].tolist() == again["storeys"].tolist()
    other_seed = synthetic_buildings(z, seed=1)["buildings"]
    assert not (
        len(other_seed) == len(a) and shapely.equals_exact(other_seed.geometry.values, a.geometry.values, 1e-6).all()
    )
    # a zone's buildings do not depend on the other zones or their order
    alone = synthetic_buildings(z.iloc[[2]], seed=0)["buildings"]
    shuffled = synthetic_buildings(z.iloc[::-1], seed=0)["buildings"].set_index("id")
    mine = a[a["id"].str.contains(":mi:")].set_index("id")
    assert alone["id"].tolist() == mine.index.tolist()
    assert shapely.equals_exact(shuffled.loc[mine.index].geometry.values, mine.geometry.values, 1e-9).all()


def test_consistent_with_the_plan():
    z = zones()
    b = synthetic_buildings(z, seed=0)["buildings"]
    check_consistent(b, z)


def test_inside_the_baufenster():
    z = zones()
    # a Baufenster 12 m deep along the south side of the WA zone, and one bent (L-shaped) in the MI zone
    baugrenzen = gpd.GeoDataFrame(
        {"art": ["Baugrenze", "Baugrenze"]},
        geometry=[
            LineString(
                [(X0 + 5, Y0 + 5), (X0 + 145, Y0 + 5), (X0 + 145, Y0 + 19), (X0 + 5, Y0 + 19), (X0 + 5, Y0 + 5)]
            ),
            LineString(
                [
                    (X0 + 5, Y0 + 110),
                    (X0 + 140, Y0 + 126),
                    (X0 + 138, Y0 + 142),
                    (X0 + 25, Y0 + 130),
                    (X0 + 22, Y0 + 195),
                    (X0 + 5, Y0 + 195),
                    (X0 + 5, Y0 + 110),
                ]
            ),
        ],
        crs=25832,
    )
    b = synthetic_buildings(z, seed=0, baugrenzen=baugrenzen)["buildings"]
    windows = buildable_windows(baugrenzen.geometry)
    check_consistent(b, z, windows)
    wa = b[b["id"].str.contains(":wa:")]
    assert len(wa) >= 3  # a row of houses along the strip


def test_empty_and_degenerate_input():
    empty = synthetic_buildings(zones().iloc[:0])["buildings"]
    assert empty.empty and set(empty.columns) - {"geometry"} <= set(LAYERS["buildings"].columns)
    tiny = zones().iloc[:1].copy()
    tiny["geometry"] = [box(X0, Y0, X0 + 5, Y0 + 5)]
    assert synthetic_buildings(tiny)["buildings"].empty


def test_synthetic_parcels_tile_the_zones():
    z = zones()
    p = synthetic_parcels(z)["parcels"]
    assert set(p.columns) - {"geometry"} <= set(LAYERS["parcels"].columns)
    assert p["synthetic"].all() and p["id"].is_unique
    # parcels do not overlap and cover (almost) all of every zone -- slivers under 100 m² are dropped
    covered = shapely.area(shapely.intersection(shapely.union_all(p.geometry.values), z.geometry.values))
    assert (covered >= 0.9 * z.area.to_numpy()).all()
    assert p.area.sum() == pytest.approx(shapely.area(shapely.union_all(p.geometry.values)))


@pytest.mark.skipif(not (SAMPLE / "LA22_5-2" / "xplan.gml").exists(), reason="demo plans not bundled")
def test_real_demo_plans():
    from layers.xplanung import read_xplan

    plans = [
        p for name in ("Langenhorn51_5-2", "LA22_5-2", "LA67_5-2") for p in read_xplan(SAMPLE / name / "xplan.gml")
    ]
    z = gpd.GeoDataFrame(gpd.pd.concat([p.frames["bp_baugebiet"] for p in plans], ignore_index=True), crs=25832)
    bg = gpd.GeoDataFrame(gpd.pd.concat([p.frames["bp_baugrenze"] for p in plans], ignore_index=True), crs=25832)
    b = synthetic_buildings(z, seed=0, baugrenzen=bg)["buildings"]
    assert len(b) > 200
    check_consistent(b, z, buildable_windows(bg.geometry))
