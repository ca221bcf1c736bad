"""DEM support: info, sampling at buildings, COG copy served by pygeoapi's rasterio provider.

Expected heights are read straight from the pixel array with rasterio.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from shapely.geometry import Point

from layers.geometry import LayerImportWarning
from layers.raster import coverage_provider, dem_info, dem_to_cog, sample_heights, set_base_heights

SHARED = Path(
    os.environ.get("BUERGERGIS_SHARED_DATA") or Path(__file__).resolve().parents[2].parent / "shared" / "data"
)
DEM = SHARED / "dem" / "dem.tif"


@pytest.fixture(autouse=True, scope="module")
def _dem_present():
    if not DEM.is_file():  # fail, not skip: the project's tests must not pass without their data
        pytest.fail(f"shared data not found at {DEM} (set BUERGERGIS_SHARED_DATA)")


PIXELS = [(100, 200), (0, 0), (358, 366), (17, 311)]  # (row, col), corners included


@pytest.fixture(scope="module")
def grid():
    with rasterio.open(DEM) as ds:
        return ds.read(1), ds.transform


def _centres(transform, pixels) -> list[Point]:
    return [Point(rasterio.transform.xy(transform, r, c)) for r, c in pixels]


def test_dem_info():
    info = dem_info(DEM)
    assert info["epsg"] == 4326 and info["crs"] == "EPSG:4326"
    assert (info["width"], info["height"], info["dtype"]) == (367, 359, "int16")
    assert info["nodata"] == -32768
    assert (info["min"], info["max"]) == (147.0, 298.0)  # SOURCE.txt: values 147-298 m
    assert info["resolution"] == pytest.approx((1 / 1200, 1 / 1200))
    assert info["bounds"] == pytest.approx((-97.485, 32.5225, -97.17917, 32.82167), abs=1e-4)
    assert info["bounds_crs84"] == pytest.approx(info["bounds"])


def test_sample_at_known_pixels(grid):
    values, transform = grid
    expected = [float(values[r, c]) for r, c in PIXELS]
    points = gpd.GeoSeries(_centres(transform, PIXELS), crs=4326)
    assert sample_heights(DEM, points).tolist() == expected
    # The same points in the storage CRS: transformed back to the DEM's CRS before sampling.
    assert sample_heights(DEM, points.to_crs(25832)).tolist() == expected
    # Footprints: sampled at their representative point (a 30 m square well inside one 90 m pixel).
    squares = points.to_crs(32614).buffer(15, cap_style="square").to_crs(25832)
    assert sample_heights(DEM, squares).tolist() == expected


def test_nodata_outside_and_missing_are_nan(tmp_path, grid):
    values, transform = grid
    holed = tmp_path / "holed.tif"
    with rasterio.open(DEM) as ds:
        profile = ds.profile
    patched = values.copy()
    patched[100:110, 200:210] = -32768
    with rasterio.open(holed, "w", **profile) as out:
        out.write(patched, 1)
    (inside_hole,), (fine,) = _centres(transform, [(105, 205)]), _centres(transform, [(50, 50)])
    series = gpd.GeoSeries([inside_hole, fine, Point(13.4, 52.5), None, Point()], crs=4326)
    heights = sample_heights(holed, series)
    assert np.isnan(heights[0]) and heights[1] == values[50, 50]
    assert np.isnan(heights[2:]).all()  # Berlin is not in Texas; missing and empty geometries
    assert dem_info(holed)["min"] == 147.0  # nodata is not a value
    with pytest.raises(ValueError, match="no CRS"):
        sample_heights(DEM, gpd.GeoSeries([fine]))


def test_set_base_heights(grid):
    values, transform = grid
    centres = gpd.GeoSeries(_centres(transform, [(10, 10), (20, 20)]) + [Point(13.4, 52.5)], crs=4326)
    buildings = gpd.GeoDataFrame(
        {"id": ["a", "b", "c"], "base_height": [100.0, np.nan, 33.0]},
        geometry=centres.to_crs(32614).buffer(10).to_crs(25832),
        crs=25832,
    )
    with pytest.warns(LayerImportWarning, match="1 of 3 building"):
        filled = set_base_heights(buildings, DEM)
    assert filled["base_height"].tolist() == [values[10, 10], values[20, 20], 33.0]  # c: outside, kept
    assert buildings["base_height"].iloc[0] == 100.0  # the input is not changed
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LayerImportWarning)
        kept = set_base_heights(buildings, DEM, overwrite=False)
    assert kept["base_height"].tolist() == [100.0, values[20, 20], 33.0]


def test_dem_to_cog_and_pygeoapi(tmp_path, grid):
    values, _ = grid
    cog = dem_to_cog(DEM, tmp_path / "out" / "dem_cog.tif")
    with rasterio.open(cog) as ds:
        assert ds.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
        assert ds.block_shapes == [(256, 256)] and ds.overviews(1) == [2]
        assert ds.crs.to_epsg() == 4326 and ds.nodata == -32768
        assert (ds.read(1) == values).all()

    from pygeoapi.provider.rasterio_ import RasterioProvider

    # The coverage pygeoapi serves from the copy is the one it serves from the original.
    bbox = [-97.32, 32.73, -97.31, 32.74]
    served = RasterioProvider(coverage_provider(cog)).query(bbox=bbox, format_="json")
    original = RasterioProvider(coverage_provider(DEM)).query(bbox=bbox, format_="json")
    assert served["domain"] == original["domain"]
    assert served["ranges"] == original["ranges"]
    (cells,) = [r["values"] for r in served["ranges"].values()]
    assert len(cells) == 13 * 13 and sum(v is not None for v in cells) > 100
    assert {v for v in cells if v is not None} <= set(values[95:115, 195:215].ravel().tolist())
