"""Digital elevation models: describe, sample at buildings, copy for serving.

The twin extrudes buildings from their ``base_height`` (terrain height) so that
they stand on the ground in hilly towns.  CityGML brings that height along;
OSM and shapefile buildings do not, so :func:`set_base_heights` samples a DEM
at each footprint's representative point (always inside the footprint, unlike
the centroid of an L-shaped building).

:func:`dem_to_cog` copies a DEM as a Cloud-Optimised GeoTIFF (tiled,
compressed, with overviews) which pygeoapi's ``rasterio`` provider serves as an
OGC API – Coverages collection; :func:`coverage_provider` is the matching
provider block for ``pygeoapi-config.yml``.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
import rasterio.shutil
import shapely
from rasterio.windows import Window

from layers.geometry import LayerImportWarning

#: Read at most this many pixels at once (min/max scan, sampling window).
_MAX_PIXELS = 16_000_000


def dem_info(path: str | os.PathLike) -> dict:
    """Describe a DEM: CRS, bounds, resolution, nodata and the range of its valid values.

    Returns
    -------
    dict
        ``crs`` (``"EPSG:4326"`` or WKT), ``epsg`` (int or None), ``bounds``
        (left, bottom, right, top in the DEM's CRS), ``bounds_crs84``,
        ``resolution`` (x, y in CRS units), ``width``, ``height``, ``dtype``,
        ``nodata``, ``min``, ``max`` (None when no pixel is valid).
    """
    with rasterio.open(path) as ds:
        low, high = _value_range(ds)
        epsg = ds.crs.to_epsg() if ds.crs else None
        bounds = tuple(float(v) for v in ds.bounds)
        crs84 = None
        if ds.crs:
            from rasterio.warp import transform_bounds

            crs84 = tuple(float(v) for v in transform_bounds(ds.crs, "OGC:CRS84", *bounds))
        return {
            "crs": f"EPSG:{epsg}" if epsg else (ds.crs.to_wkt() if ds.crs else None),
            "epsg": epsg,
            "bounds": bounds,
            "bounds_crs84": crs84,
            "resolution": tuple(float(r) for r in ds.res),
            "width": ds.width,
            "height": ds.height,
            "dtype": ds.dtypes[0],
            "nodata": ds.nodata,
            "min": low,
            "max": high,
        }


def sample_heights(dem_path: str | os.PathLike, points_or_geoms: gpd.GeoSeries) -> np.ndarray:
    """DEM value under each geometry (points as they are, others at their representative point).

    Parameters
    ----------
    dem_path
        Any raster rasterio opens; band 1 is used.
    points_or_geoms
        Geometries with a CRS; they are transformed to the DEM's CRS.

    Returns
    -------
    numpy.ndarray
        float64, one value per geometry; NaN for missing geometries, points
        outside the DEM and nodata pixels.
    """
    geoms = points_or_geoms
    if geoms.crs is None:
        raise ValueError("the geometries have no CRS; set one before sampling a DEM")
    result = np.full(len(geoms), np.nan)
    values = np.asarray(geoms.values, dtype=object)
    present = ~shapely.is_missing(values) & ~shapely.is_empty(values)
    if not present.any():
        return result
    shown = geoms[present]
    points = shown.where(shown.geom_type == "Point", shown.representative_point())
    with rasterio.open(dem_path) as ds:
        if ds.crs is None:
            raise ValueError(f"{Path(dem_path).name} has no CRS")
        points = gpd.GeoSeries(points, crs=geoms.crs).to_crs(ds.crs)
        result[present] = _sample(ds, points.x.to_numpy(), points.y.to_numpy())
    return result


def set_base_heights(
    buildings: gpd.GeoDataFrame, dem_path: str | os.PathLike, overwrite: bool = True
) -> gpd.GeoDataFrame:
    """A copy of ``buildings`` with ``base_height`` from the DEM.

    Where the DEM has no value (outside it, nodata) an existing ``base_height``
    is kept.  With ``overwrite=False`` only missing values are filled, e.g. to
    keep CityGML's own terrain heights and complete the rest from the DEM.
    """
    out = buildings.copy()
    old = out["base_height"].astype("float64") if "base_height" in out else np.full(len(out), np.nan)
    old = np.asarray(old, dtype="float64")
    heights = sample_heights(dem_path, out.geometry)
    take = np.isfinite(heights) & (overwrite | np.isnan(old))
    out["base_height"] = np.where(take, heights, old)
    missed = int((~np.isfinite(heights)).sum())
    if missed:
        warnings.warn(
            f"{missed} of {len(out)} building(s) outside {Path(dem_path).name} or on nodata; "
            "their base_height was left as it was",
            LayerImportWarning,
            stacklevel=2,
        )
    return out


def dem_to_cog(src: str | os.PathLike, dst: str | os.PathLike, blocksize: int = 256) -> Path:
    """Copy a DEM as a Cloud-Optimised GeoTIFF for pygeoapi's rasterio coverage provider.

    Tiled (``blocksize`` px), DEFLATE-compressed with a predictor, overviews
    averaged; CRS, nodata and values unchanged.  Returns ``dst``.
    """
    dst = Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(src) as ds:
        floating = np.issubdtype(np.dtype(ds.dtypes[0]), np.floating)
    options = dict(
        COMPRESS="DEFLATE",
        PREDICTOR="3" if floating else "2",
        BLOCKSIZE=str(blocksize),
        OVERVIEWS="AUTO",
        RESAMPLING="AVERAGE",
        BIGTIFF="IF_SAFER",
    )
    if _has_driver("COG"):
        rasterio.shutil.copy(src, dst, driver="COG", **options)
        return dst
    _tiled_gtiff(src, dst, blocksize, options["PREDICTOR"])  # GDAL < 3.1
    return dst


def coverage_provider(path: str | os.PathLike) -> dict:
    """The pygeoapi provider block serving ``path`` as an OGC API – Coverages collection."""
    return {
        "type": "coverage",
        "name": "rasterio",
        "data": str(path),
        "options": {"DATA_ENCODING": "COMPRESS=DEFLATE"},
        "format": {"name": "GTiff", "mimetype": "application/x-geotiff"},
    }


# --------------------------------------------------------------------------- helpers


def _value_range(ds: rasterio.DatasetReader) -> tuple[float | None, float | None]:
    """Min and max of band 1's valid pixels, read in strips so big DEMs fit in memory."""
    rows = max(1, min(ds.height, _MAX_PIXELS // max(ds.width, 1)))
    low, high = np.inf, -np.inf
    for top in range(0, ds.height, rows):
        block = ds.read(1, window=Window(0, top, ds.width, min(rows, ds.height - top)), masked=True)
        values = block.compressed()
        values = values[np.isfinite(values)] if values.dtype.kind == "f" else values
        if values.size:
            low, high = min(low, float(values.min())), max(high, float(values.max()))
    return (low, high) if np.isfinite(low) else (None, None)


def _sample(ds: rasterio.DatasetReader, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Band-1 values at (xs, ys) in the DEM's CRS; NaN outside or on nodata."""
    out = np.full(len(xs), np.nan)
    rows, cols = rasterio.transform.rowcol(ds.transform, xs, ys)
    rows, cols = np.asarray(rows), np.asarray(cols)
    inside = (rows >= 0) & (rows < ds.height) & (cols >= 0) & (cols < ds.width) & np.isfinite(xs) & np.isfinite(ys)
    if not inside.any():
        return out
    r0, r1 = rows[inside].min(), rows[inside].max() + 1
    c0, c1 = cols[inside].min(), cols[inside].max() + 1
    if (r1 - r0) * (c1 - c0) <= _MAX_PIXELS:
        # One read of the window around all points, then plain indexing.
        block = ds.read(1, window=Window(c0, r0, c1 - c0, r1 - r0), masked=True)
        values = block[rows[inside] - r0, cols[inside] - c0]
        out[inside] = np.ma.filled(values.astype("float64"), np.nan)
    else:  # points spread over a huge DEM: read pixel by pixel
        picked = ds.sample(zip(xs[inside], ys[inside], strict=True), indexes=1, masked=True)
        out[inside] = [np.ma.filled(v.astype("float64"), np.nan)[0] for v in picked]
    return out


def _has_driver(name: str) -> bool:
    with rasterio.Env() as env:
        return name in env.drivers()


def _tiled_gtiff(src, dst: Path, blocksize: int, predictor: str) -> None:
    """Tiled, compressed GeoTIFF with internal overviews (for GDAL without the COG driver)."""
    from rasterio.enums import Resampling

    with rasterio.open(src) as ds:
        profile = ds.profile | dict(
            driver="GTiff",
            tiled=True,
            blockxsize=blocksize,
            blockysize=blocksize,
            compress="deflate",
            predictor=int(predictor),
        )
        with rasterio.open(dst, "w", **profile) as out:
            for _, window in out.block_windows(1):
                out.write(ds.read(window=window), window=window)
            factors = [f for f in (2, 4, 8, 16, 32) if min(ds.width, ds.height) // f >= blocksize // 2]
            if factors:
                out.build_overviews(factors, Resampling.average)
