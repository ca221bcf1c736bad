"""CityModel assembly: LoD1 heights, DEM base heights, from frames and from a real store."""

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from shapely.geometry import LineString, box

from twin.model import CityModel, prepare_buildings

X0, Y0 = 566_000.0, 5_947_000.0
DEM = Path(__file__).resolve().parents[2] / "data" / "sample" / "dem" / "dem.tif"


def frames():
    zones = gpd.GeoDataFrame(
        {"id": ["wa"], "plan_id": ["p1"], "art_code": ["WA"], "grz": [0.4], "gfz": [0.8], "z": [2]},
        geometry=[box(X0, Y0, X0 + 50, Y0 + 40)],
        crs=25832,
    )
    baugrenzen = gpd.GeoDataFrame(
        {"id": ["bg"], "plan_id": ["p1"], "art": ["Baugrenze"]},
        geometry=[
            LineString(
                [(X0 + 10, Y0 + 10), (X0 + 40, Y0 + 10), (X0 + 40, Y0 + 30), (X0 + 10, Y0 + 30), (X0 + 10, Y0 + 10)]
            )
        ],
        crs=25832,
    )
    plans = gpd.GeoDataFrame(
        {"id": ["p1"], "plan_id": ["p1"], "name": ["Testplan"]},
        geometry=[box(X0 - 10, Y0 - 10, X0 + 60, Y0 + 50)],
        crs=25832,
    )
    return {"bp_baugebiet": zones, "bp_baugrenze": baugrenzen, "bp_plan": plans}


def test_lod1_height_from_storeys_and_storeys_from_height():
    b = gpd.GeoDataFrame(
        {
            "id": ["measured", "storeys_only", "height_only", "nothing"],
            "height": [12.4, None, 9.2, None],
            "storeys": [None, 3, None, None],
        },
        geometry=[box(0, 0, 10, 10)] * 4,
        crs=25832,
    )
    out = prepare_buildings(b, storey_height=3.0)
    assert out["height"].tolist()[:3] == [12.4, 9.0, 9.2] and np.isnan(out["height"].iloc[3])
    assert out["storeys"].tolist()[:3] == [4, 3, 3] and out["storeys"].isna().iloc[3]
    assert out["height_estimated"].tolist() == [False, True, False, False]
    assert not out["synthetic"].any()


def test_from_frames_synthesizes_when_there_are_no_buildings():
    model = CityModel.from_frames(frames(), synthesize=True)
    assert len(model.buildings) >= 1 and model.buildings["synthetic"].all()
    assert model.epsg == 25832 and model.buildings.crs.to_epsg() == 25832
    assert model.traffic.empty and "zweckbestimmung" in model.traffic.columns  # missing layers: empty frames
    assert len(model.windows()) == 1
    lod1 = model.lod1()
    assert (lod1["z_max"] - lod1["z_min"] == lod1["height"]).all()
    t = model.totals()
    assert t["plan_area_m2"] == pytest.approx(70 * 60)
    assert 0 < t["sealed_share"] < 1 and t["green_share"] == pytest.approx(1 - t["sealed_share"])
    copy = model.copy()
    copy.buildings.loc[:, "storeys"] = 9
    assert (model.buildings["storeys"] != 9).all()


def texas_model(tmp_path=None):
    """Buildings on the sample DEM (Fort Worth, Texas) in UTM 14N."""
    centre = gpd.GeoSeries.from_xy([-97.33], [32.67], crs=4326).to_crs(32614).iloc[0]
    x, y = centre.x, centre.y
    b = gpd.GeoDataFrame(
        {"id": ["a", "outside"], "height": [10.0, 10.0]},
        geometry=[box(x, y, x + 10, y + 10), box(x + 500_000, y, x + 500_010, y + 10)],
        crs=32614,
    )
    return CityModel.from_frames({"buildings": b}), (-97.33, 32.67)


def test_base_heights_from_the_dem():
    model, (lon, lat) = texas_model()
    model.sample_dem(DEM)
    with rasterio.open(DEM) as dem:
        expected = next(dem.sample([(lon, lat)]))[0]
    base = model.buildings["base_height"].to_numpy(dtype=float)
    assert base[0] == pytest.approx(float(expected), abs=15)  # one 90 m pixel off at most on gentle terrain
    assert 150 < base[0] < 250  # Fort Worth lies about 200 m above sea level
    assert np.isnan(base[1])  # outside the DEM
    assert model.lod1()["z_min"].iloc[0] == pytest.approx(base[0])


def test_missing_dem_falls_back_gracefully(tmp_path, caplog):
    model, _ = texas_model()
    with caplog.at_level(logging.WARNING):
        model.sample_dem(tmp_path / "no-such-dem.tif")
    assert model.buildings["base_height"].isna().all()
    assert "base heights not sampled" in caplog.text


def test_from_a_geopackage_store(tmp_path):
    from store.base import open_store

    store = open_store(str(tmp_path / "twin.gpkg"))
    try:
        store.create_schema()
        f = frames()
        store.replace(f, plan_id="p1")
        model = CityModel.from_store(store, synthesize=True)
        assert model.zones["id"].tolist() == ["wa"] and model.buildings["synthetic"].all()
        # stored buildings are used as they are; buildings far from the plans are left out
        far = gpd.GeoDataFrame(
            {"id": ["near", "far"], "source": ["test", "test"], "storeys": [2, 2]},
            geometry=[box(X0 + 1, Y0 + 1, X0 + 9, Y0 + 9), box(X0 + 9000, Y0, X0 + 9010, Y0 + 10)],
            crs=25832,
        )
        store.replace({"buildings": far}, source="test")
        model = CityModel.from_store(store)
        assert model.buildings["id"].tolist() == ["near"]
        assert model.buildings["height"].iloc[0] == 6.0
        assert CityModel.from_store(store, plan_ids=["nope"]).zones.empty
    finally:
        store.close()
