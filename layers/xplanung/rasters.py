"""Plan drawings (rasters) referenced by XPlanGML plans, warped to EPSG:3857 PNGs for the web map."""

from __future__ import annotations

import json
import math
import os
import re
import warnings as pywarnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from shapely.geometry import Polygon

from layers.xplanung.gml import _Context, _to_target
from layers.xplanung.xml import _children, _local, _text
from store.crs import transformer

#: XP_ExterneReferenzTyp "Karte"
EXTERNE_REFERENZ_KARTE = "1070"

#: Longest side (px) of a warped plan raster; larger scans are downsampled.
MAX_RASTER_PX = 4096
#: GDAL warp threads for plan images (GDAL releases the GIL; more than the cores gains nothing).
WARP_THREADS = max(1, min(4, os.cpu_count() or 1))

# =========================================================================== rasters


_RASTER_SUFFIXES = {".png", ".tif", ".tiff", ".jpg", ".jpeg", ".gif", ".bmp", ".jp2", ".ecw"}
_WORLD_SUFFIXES = {
    ".png": (".pgw", ".pngw"),
    ".tif": (".tfw", ".tifw"),
    ".tiff": (".tfw", ".tiffw"),
    ".jpg": (".jgw", ".jpgw"),
    ".jpeg": (".jgw", ".jpegw"),
    ".gif": (".gfw",),
    ".bmp": (".bpw",),
}


@dataclass
class _RasterRef:
    url: str
    georef: str | None
    name: str | None


def _refs_in(el) -> list[_RasterRef]:
    out = []
    for ref in el.iter():
        if not isinstance(ref.tag, str) or _local(ref) not in ("XP_ExterneReferenz", "XP_SpezExterneReferenz"):
            continue
        url = _text(ref, "referenzURL")
        if url:
            out.append(_RasterRef(url, _text(ref, "georefURL"), _text(ref, "referenzName")))
    return out


def _raster_refs(plan, bereiche: list, rasterdarstellungen: list) -> list[_RasterRef]:
    """Georeferenced plan images: Bereich refScan (5.2+), XP_Rasterdarstellung.refScan (5.x,
    via Bereich.rasterBasis), plan externeReferenz of typ Karte / art PlanMitGeoreferenz."""
    refs = []
    holders = [s for b in bereiche for s in _children(b, "refScan")]
    holders += [
        s
        for b in bereiche
        for basis in _children(b, "rasterBasis")
        if len(basis)
        for s in basis.iter()
        if isinstance(s.tag, str) and _local(s) == "refScan"
    ]  # inline
    holders += [s for r in rasterdarstellungen for s in _children(r, "refScan")]
    for scan in holders:
        refs.extend(_refs_in(scan))
    for ext in _children(plan, "externeReferenz"):
        for spez in _children(ext, "XP_SpezExterneReferenz") or [ext]:
            typ, art = _text(spez, "typ"), _text(spez, "art")
            url = _text(spez, "referenzURL")
            if not url or Path(url).suffix.lower() not in _RASTER_SUFFIXES:
                continue
            if typ == EXTERNE_REFERENZ_KARTE or art == "PlanMitGeoreferenz" or _text(spez, "georefURL"):
                refs.append(_RasterRef(url, _text(spez, "georefURL"), _text(spez, "referenzName")))
    unique: dict[str, _RasterRef] = {}
    for ref in refs:
        if Path(ref.url).suffix.lower() in _RASTER_SUFFIXES:
            unique.setdefault(ref.url, ref)
    return list(unique.values())


def _read_world_file(path: Path):
    """Affine transform (pixel corner) of an ESRI world file; decimal commas are accepted."""
    from rasterio.transform import Affine

    numbers = []
    for line in path.read_text(errors="replace").splitlines():
        line = line.strip()
        if line:
            numbers.append(float(line.replace(",", ".")))
    if len(numbers) < 6:
        raise ValueError(f"{path.name}: a world file needs 6 numbers, has {len(numbers)}")
    a, d, b, e, c, f = numbers[:6]
    # World files give the centre of the upper-left pixel; rasterio wants its corner.
    return Affine(a, b, c - a / 2 - b / 2, d, e, f - d / 2 - e / 2)


def _world_file(image: Path, georef: str | None) -> Path | None:
    if georef:
        candidate = image.parent / georef.strip()
        if candidate.is_file():
            return candidate
    for suffix in _WORLD_SUFFIXES.get(image.suffix.lower(), ()) + (".wld",):
        for candidate in (image.with_suffix(suffix), image.with_suffix(suffix.upper())):
            if candidate.is_file():
                return candidate
    return None


def _read_rgba(ds, height: int, width: int) -> np.ndarray:
    """The image as 4 x height x width uint8 RGBA, read (and if need be averaged) to that size."""
    from rasterio.enums import ColorInterp, Resampling

    shape = (height, width)
    interp = ds.colorinterp
    if ds.count == 1 and interp[0] == ColorInterp.palette:
        idx = ds.read(1, out_shape=shape, resampling=Resampling.nearest)
        lut = np.zeros((256, 4), np.uint8)
        for k, rgba in ds.colormap(1).items():
            if 0 <= k < 256:
                lut[k] = rgba[:4] if len(rgba) >= 4 else (*rgba[:3], 255)
        if ds.nodata is not None and 0 <= int(ds.nodata) < 256:
            lut[int(ds.nodata), 3] = 0
        return np.moveaxis(lut[idx], -1, 0)
    data = ds.read(out_shape=(ds.count, *shape), resampling=Resampling.average)
    if data.dtype != np.uint8:  # stretch other sample types to 8 bit
        lo, hi = np.nanmin(data), np.nanmax(data)
        data = ((data - lo) / ((hi - lo) or 1) * 255).astype(np.uint8)
    if ds.count >= 4:
        return data[:4]
    alpha = ds.dataset_mask(out_shape=shape, resampling=Resampling.nearest).astype(np.uint8)
    if ds.count == 3:
        return np.concatenate([data, alpha[None]])
    if ds.count == 2:  # grey + alpha
        return np.concatenate([data[:1], data[:1], data[:1], data[1:2]])
    return np.concatenate([data, data, data, alpha[None]])


def _warp_raster(image: Path, world: Path | None, native_epsg: int, out_png: Path):
    """Warp ``image`` to EPSG:3857 as RGBA PNG; returns (footprint in the source CRS, src EPSG,
    3857 bounds, width, height)."""
    import rasterio
    from rasterio.crs import CRS as RioCRS
    from rasterio.enums import Resampling
    from rasterio.errors import NotGeoreferencedWarning
    from rasterio.transform import Affine, from_bounds
    from rasterio.warp import reproject

    with pywarnings.catch_warnings():
        pywarnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(image) as ds:
            transform = _read_world_file(world) if world else ds.transform
            if world is None and ds.transform.is_identity:
                raise ValueError("has no georeference (no world file, not a GeoTIFF)")
            src_crs = ds.crs if ds.crs else RioCRS.from_epsg(native_epsg)
            src_epsg = src_crs.to_epsg() or native_epsg
            # Downsample big scans while reading: a 14040 px plan would cost seconds and memory.
            scale = min(1.0, MAX_RASTER_PX / max(ds.width, ds.height))
            width, height = max(1, round(ds.width * scale)), max(1, round(ds.height * scale))
            rgba = _read_rgba(ds, height, width)
            src_transform = transform @ Affine.scale(ds.width / width, ds.height / height)
            full_w, full_h = ds.width, ds.height

    # Footprint: the image outline (densified, it may be rotated) in the source CRS.
    t = np.linspace(0, 1, 11)
    cols = np.concatenate([t * full_w, np.full(11, full_w), (1 - t) * full_w, np.zeros(11)])
    rows = np.concatenate([np.zeros(11), t * full_h, np.full(11, full_h), (1 - t) * full_h])
    xs, ys = transform @ (cols, rows)
    footprint = Polygon(np.column_stack([xs, ys]))

    mx, my = transformer(src_epsg, 3857).transform(np.asarray(xs), np.asarray(ys))
    left, right, bottom, top = float(np.min(mx)), float(np.max(mx)), float(np.min(my)), float(np.max(my))
    # Keep about the source's pixel count, capped at MAX_RASTER_PX on the long side. At this ~1:1 scale
    # (big scans were already averaged down while reading) nearest neighbour looks the same as bilinear,
    # which costs GDAL four times as long on an RGBA plan scan.
    res = math.sqrt((right - left) * (top - bottom) / (width * height))
    dst_w, dst_h = max(1, round((right - left) / res)), max(1, round((top - bottom) / res))
    shrink = min(1.0, MAX_RASTER_PX / max(dst_w, dst_h))
    dst_w, dst_h = max(1, round(dst_w * shrink)), max(1, round(dst_h * shrink))
    dst_transform = from_bounds(left, bottom, right, top, dst_w, dst_h)
    out = np.zeros((4, dst_h, dst_w), np.uint8)  # alpha 0 outside the image: transparent
    reproject(
        rgba,
        out,
        src_transform=src_transform,
        src_crs=src_crs,
        dst_transform=dst_transform,
        dst_crs=RioCRS.from_epsg(3857),
        resampling=Resampling.nearest,
        src_nodata=None,
        dst_nodata=None,
        num_threads=WARP_THREADS,
    )
    out_png.parent.mkdir(parents=True, exist_ok=True)
    with pywarnings.catch_warnings():
        pywarnings.simplefilter("ignore", NotGeoreferencedWarning)
        # ZLEVEL 1: a third of the default level's time for a few percent more bytes (the PNG is written once).
        with rasterio.open(
            out_png, "w", driver="PNG", width=dst_w, height=dst_h, count=4, dtype="uint8", ZLEVEL=1
        ) as dst:
            dst.write(out)
    return footprint, src_epsg, (left, bottom, right, top), dst_w, dst_h


def _safe_stem(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "raster"


def _raster_rows(
    plan_id: str,
    refs: list[_RasterRef],
    native_epsg: int | None,
    ctx: _Context,
    raster_dir: Path | None,
    url_prefix: str,
    warnings: list[str],
) -> list[dict]:
    from pyproj.exceptions import ProjError
    from rasterio.errors import RasterioError

    rows, stems = [], set()
    for ref in refs:
        url = ref.url.strip()
        if re.match(r"^[a-z]+://", url, re.IGNORECASE):
            warnings.append(f"plan raster {url} is remote and was not fetched")
            continue
        image = ctx.path.parent / url
        if not image.is_file():
            warnings.append(f"plan raster {url} is referenced but missing next to {ctx.path.name}")
            continue
        if raster_dir is None:
            continue
        stem = _safe_stem(Path(url).stem)
        while stem in stems:
            stem += "_"
        stems.add(stem)
        world = _world_file(image, ref.georef)
        if world is None and image.suffix.lower() not in (".tif", ".tiff", ".jp2"):
            warnings.append(f"plan raster {url} has no world file ({ref.georef or 'none named'}); skipped")
            continue
        out_png = Path(raster_dir) / plan_id / f"{stem}.png"
        try:
            footprint, src_epsg, box, w, h = _warp_raster(image, world, native_epsg or ctx.epsg, out_png)
        except (RasterioError, ProjError, ValueError, OSError, ArithmeticError) as err:
            # a broken or unreadable image is the raster's problem, not the plan's
            warnings.append(f"plan raster {url} could not be warped ({err}); skipped")
            continue
        west, south = transformer(3857, 4326).transform(box[0], box[1])
        east, north = transformer(3857, 4326).transform(box[2], box[3])
        geom = _to_target(footprint, src_epsg, f"raster {url}", ctx, warnings, check_axes=False)
        rows.append(
            {
                "id": f"{plan_id}:{stem}",
                "plan_id": plan_id,
                "name": ref.name or Path(url).stem,
                "source_file": f"{ctx.path.parent.name}/{url}" if ctx.path.parent.name else url,
                "image_url": f"{url_prefix}{plan_id}/{stem}.png",
                "bounds_wgs84": json.dumps([[round(south, 7), round(west, 7)], [round(north, 7), round(east, 7)]]),
                "width_px": w,
                "height_px": h,
                "geometry": geom,
            }
        )
    return rows
