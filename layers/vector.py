"""Read any GIS vector file (GeoPackage, GeoJSON, Shapefile, …) into one catalogue layer.

A Kommune's own data — ALKIS parcels exported as a shapefile, a building
layer from its GIS — rarely uses the catalogue's column names.  This importer
maps columns (explicitly, else by equal names), gives every row a stable id,
checks that the geometry type fits the layer, repairs invalid geometries and
reprojects to the storage CRS, so the result can go straight to a store.

Errors are raised for what cannot be guessed safely (no CRS, points offered
for a polygon layer, duplicate ids); everything that can be fixed is fixed and
reported as one ``LayerImportWarning`` per kind of problem.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from layers.geometry import (
    conform,
    emit,
    repair_all,
    reproject,
    summarize,
    tidy_polygons,
    to_multilinestring,
    to_multipolygon,
)
from schema.catalog import DEFAULT_STORAGE_EPSG, Layer
from schema.catalog import layer as catalog_layer

#: Geometry types a catalogue geometry type accepts (before promotion to multi).
_ACCEPTS = {
    "MULTIPOLYGON": {"Polygon", "MultiPolygon"},
    "POLYGON": {"Polygon", "MultiPolygon"},  # single-part MultiPolygons are unpacked
    "MULTILINESTRING": {"LineString", "MultiLineString"},
    "LINESTRING": {"LineString", "MultiLineString"},
    "POINT": {"Point", "MultiPoint"},
    "MULTIPOINT": {"Point", "MultiPoint"},
}
_KIND = {
    "MULTIPOLYGON": "polygons",
    "POLYGON": "polygons",
    "MULTILINESTRING": "lines",
    "LINESTRING": "lines",
    "POINT": "points",
    "MULTIPOINT": "points",
}
#: Columns the importer sets itself; a same-named source column is not copied.
_OWN = {"source"}
_TRUE = {"true", "t", "yes", "y", "ja", "j", "1", "wahr"}
_FALSE = {"false", "f", "no", "n", "nein", "0", "falsch"}


def read_vector(
    path: str | os.PathLike,
    layer_id: str,
    epsg: int = DEFAULT_STORAGE_EPSG,
    layer: str | None = None,
    mapping: Mapping[str, str] | None = None,
    source: str | None = None,
    crs: str | int | None = None,
) -> dict[str, gpd.GeoDataFrame]:
    """Read one layer of a vector file as catalogue layer ``layer_id``.

    Parameters
    ----------
    path
        GeoPackage, GeoJSON, Shapefile or anything else GDAL reads.
    layer_id
        Catalogue layer to fill, e.g. ``"parcels"``.
    epsg
        Storage CRS of the result.
    layer
        Layer inside the file; needed when the file has more than one.
    mapping
        ``{source column: catalogue column}``.  Catalogue columns not named in
        it are still filled from same-named source columns (case-insensitive;
        shapefile names cut to 10 characters match too).  Other columns are
        dropped with a warning.
    source
        Value of the ``source`` column and prefix of generated ids; default
        ``file:<file name>`` (``file:<file name>:<layer>`` with ``layer``).
    crs
        CRS of the coordinates (``"EPSG:25832"``, ``25832``, WKT); overrides the
        file's own.  Required when the file has none.

    Returns
    -------
    dict
        ``{layer_id: GeoDataFrame}`` in EPSG:``epsg``.  Without an ``id`` column
        ids are ``<source>:<fid>``; ``source_id`` keeps the file's id or fid.

    Raises
    ------
    ValueError
        No CRS, geometry of the wrong kind, unknown mapping columns, duplicate ids,
        several layers in the file and none chosen.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(path)
    target = catalog_layer(layer_id)
    layer = layer if layer is not None else _only_layer(path)
    source = source or (f"file:{path.name}:{layer}" if layer is not None else f"file:{path.name}")
    messages: list[str] = []

    frame = pyogrio.read_dataframe(path, layer=layer, fid_as_index=True, on_invalid="fix")
    if not isinstance(frame, gpd.GeoDataFrame):
        raise ValueError(f"{path.name} has no geometry; layer {layer_id} needs {_KIND.get(target.geometry_type or "")}")
    frame = _with_crs(frame, crs, path, messages)
    columns = _column_mapping(list(frame.columns.drop("geometry")), target, mapping, path, messages)

    fids = [str(f) for f in frame.index]
    out = pd.DataFrame(index=range(len(frame)))
    for src, dst in columns.items():
        out[dst] = _coerce(frame[src].to_numpy(dtype=object), target.columns[dst], src, messages)
    _ids(out, fids, source, target, path, messages)
    if "source" in target.columns:
        out["source"] = source
    if "synthetic" in target.columns and "synthetic" not in out:
        out["synthetic"] = False  # real data from a file

    result = gpd.GeoDataFrame(
        out, geometry=_geometries(frame, target, out["id"].tolist(), path, messages), crs=frame.crs
    )
    result = reproject(result[result.geometry.notna()], epsg)
    if target.geometry_type in ("MULTIPOLYGON", "POLYGON"):
        # Only validity (reprojection can break it); a file's precision is its own business.
        fixed = tidy_polygons(result.geometry, grid=None, min_hole_width=None)
        result["geometry"] = fixed if target.geometry_type == "MULTIPOLYGON" else fixed.map(_single)
    frames = {layer_id: conform(result, layer_id)}
    emit(frames, messages)
    return frames


# --------------------------------------------------------------------------- steps


def _only_layer(path: Path) -> str | None:
    """The file's layer name when it has one; refuse to pick among several."""
    layers = pyogrio.list_layers(path)
    if len(layers) > 1:
        names = ", ".join(str(name) for name, _ in layers)
        raise ValueError(f"{path.name} has {len(layers)} layers ({names}); choose one with layer= / --layer")
    return None


def _with_crs(frame: gpd.GeoDataFrame, crs, path: Path, messages: list[str]) -> gpd.GeoDataFrame:
    """Apply the ``crs`` override, or insist that the file has a CRS."""
    if crs is not None:
        if frame.crs is not None and not frame.crs.equals(crs):
            messages.append(f"{path.name}: its CRS {frame.crs.to_string()} overridden by {crs}")
        return frame.set_crs(crs, allow_override=True)
    if frame.crs is None:
        raise ValueError(f"{path.name} has no CRS; pass --crs (e.g. --crs EPSG:25832) to say which one it is in")
    return frame


def _column_mapping(
    available: list[str], target: Layer, mapping: Mapping[str, str] | None, path: Path, messages: list[str]
) -> dict[str, str]:
    """``{source column: catalogue column}``: the explicit mapping, then equal names."""
    mapping = dict(mapping or {})
    missing = [c for c in mapping if c not in available]
    if missing:
        raise ValueError(f"{path.name}: mapped columns not in the file: {missing}; it has {available}")
    unknown = sorted({c for c in mapping.values() if c not in target.columns})
    if unknown:
        raise ValueError(f"layer {target.id} has no columns {unknown}; it has {list(target.columns)}")
    taken = set(mapping.values())
    for column in available:
        if column in mapping:
            continue
        match = _same_name(column, target)
        if match and match not in taken and match not in _OWN:
            mapping[column] = match
            taken.add(match)
    own = [c for c in available if c not in mapping and _same_name(c, target) in _OWN]
    if own:
        messages.append(f"{path.name}: its column {own[0]!r} is replaced by the import's own source")
    dropped = [c for c in available if c not in mapping and c not in own]
    if dropped:
        messages.append(f"{path.name}: columns not in layer {target.id}, dropped: {dropped}")
    return mapping


def _same_name(column: str, target: Layer) -> str | None:
    """Catalogue column of the same name (any case), or whose first 10 letters it is (shapefiles)."""
    low = column.lower()
    if low in target.columns:
        return low
    truncated = [name for name in target.columns if len(low) == 10 and name.startswith(low)]
    return truncated[0] if len(truncated) == 1 else None


def _coerce(values: np.ndarray, kind: str, column: str, messages: list[str]) -> list:
    """Values of one column in the catalogue type; unconvertible ones become None (and are reported)."""
    out: list = []
    bad = 0
    for v in values:
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT or v is pd.NA:
            out.append(None)
            continue
        try:
            out.append(_convert(v, kind))
        except (TypeError, ValueError):
            out.append(None)
            bad += 1
    if bad:
        messages.append(f"column {column}: {bad} value(s) are not {kind}, left empty")
    return out


def _convert(v, kind: str):
    """One value in the catalogue type ``kind``; ValueError when it does not fit."""
    if kind == "integer":
        number = float(v)
        if not number.is_integer():
            raise ValueError(v)
        return int(number)
    if kind == "real":
        return float(v)
    if kind == "boolean":
        if isinstance(v, (bool, np.bool_)):
            return bool(v)
        text = str(v).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError(v)
    if kind in ("date", "datetime"):
        return v.isoformat() if hasattr(v, "isoformat") else str(v)
    if kind == "json":
        return v if isinstance(v, str) else json.dumps(v)
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))  # an id read as 17.0 is "17"
    return str(v)


def _ids(out: pd.DataFrame, fids: list[str], source: str, target: Layer, path: Path, messages: list[str]) -> None:
    """Fill ``id`` (file's id, else ``<source>:<fid>``) and ``source_id``; refuse duplicates."""
    if "id" in out:
        given = out["id"].tolist()
        blank = {i for i, v in enumerate(given) if v is None or str(v).strip() == ""}
        if blank:
            messages.append(f"{path.name}: {len(blank)} row(s) without id got {source}:<fid>")
        ids = [f"{source}:{fids[i]}" if v is None or str(v).strip() == "" else str(v) for i, v in enumerate(given)]
        originals = [fids[i] if i in blank else str(v) for i, v in enumerate(given)]
    else:
        ids = [f"{source}:{fid}" for fid in fids]
        originals = fids
    duplicates = [i for i, n in Counter(ids).items() if n > 1]
    if duplicates:
        raise ValueError(f"{path.name}: duplicate ids {duplicates[:5]}; map another column to 'id' or none")
    out["id"] = ids
    if "source_id" in target.columns and "source_id" not in out:
        out["source_id"] = originals


def _geometries(frame: gpd.GeoDataFrame, target: Layer, ids: list[str], path: Path, messages: list[str]) -> list:
    """Geometries fitting ``target``: 2D, of an accepted type, repaired, promoted to multi."""
    kind = target.geometry_type
    geoms = shapely.force_2d(np.asarray(frame.geometry.values, dtype=object))
    present = shapely.get_type_id(geoms) >= 0
    accepted = _ACCEPTS.get(kind or "")
    if kind and accepted:
        types = Counter(g.geom_type for g in geoms[present])
        # Collections pass when every member fits (GDAL writes some multipolygons that way).
        wrong = {t: n for t, n in types.items() if t not in accepted and t != "GeometryCollection"}
        wrong.update(_bad_collections(geoms[present], accepted))
        if wrong:
            found = ", ".join(f"{n} {t}" for t, n in sorted(wrong.items()))
            raise ValueError(f"{path.name}: layer {target.id} needs {_KIND[kind]}, but the file has {found}")
    missing = [ids[i] for i in np.flatnonzero(~present)]
    if missing and (line := summarize(missing, f"{path.name}: rows without geometry dropped")):
        messages.append(line)
    repaired, notes = repair_all(list(geoms), ids)
    if notes and (line := summarize(notes, f"{path.name}: invalid geometries")):
        messages.append(line)
    if kind in ("MULTIPOLYGON", "POLYGON"):
        return [to_multipolygon(g) for g in repaired]
    if kind in ("MULTILINESTRING", "LINESTRING"):
        lines = [to_multilinestring(g) for g in repaired]
        return lines if kind == "MULTILINESTRING" else [_single(g) for g in lines]
    if kind == "MULTIPOINT":
        return [g if g is None or g.geom_type == "MultiPoint" else shapely.MultiPoint([g]) for g in repaired]
    if kind == "POINT":
        return [_single(g) for g in repaired]
    return repaired  # GEOMETRY: anything goes


def _bad_collections(geoms: np.ndarray, accepted: set[str]) -> dict[str, int]:
    """Count GeometryCollections holding a member of a type ``accepted`` does not include."""
    bad: Counter[str] = Counter()
    for g in geoms:
        if g.geom_type == "GeometryCollection":
            for member in g.geoms:
                if member.geom_type not in accepted:
                    bad[f"{member.geom_type} (in a GeometryCollection)"] += 1
    return dict(bad)


def _single(geom):
    """A one-part multi-geometry as its part; several parts stay multi (and the store complains)."""
    if geom is not None and geom.geom_type.startswith("Multi") and len(geom.geoms) == 1:
        return geom.geoms[0]
    return geom
