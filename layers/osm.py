"""Read buildings and streets from an OpenStreetMap extract (``.osm.pbf`` / ``.osm``).

GDAL's OSM driver (through pyogrio) assembles ways and multipolygon relations
into geometries; we only pick and translate:

* ``multipolygons`` with a ``building`` tag → layer ``buildings``
  (``building=*`` value as ``function``, ``roof:shape`` as ``roof_type``);
* ``lines`` with a ``highway`` tag → layer ``streets``;
* ``addr:housenumber`` of nodes and areas (``addr:street``/``addr:place``, ``addr:postcode``, ``addr:city``),
  named highways (merged per street) and named ``place=*`` → layer ``addresses`` (the place search);
* water and green areas (``natural``, ``landuse``, ``leisure``) → layer ``landcover`` (the map's background).

Tags GDAL has no column for arrive packed in ``other_tags``, an hstore-like
string (``"height"=>"12 m","building:levels"=>"4"``) that :func:`parse_other_tags`
unpacks properly (quotes, escaped quotes, commas inside values).

Height of a building, best first: the ``height`` tag (metres; ``m`` suffix and
feet such as ``40'`` or ``40 ft`` understood, nonsense rejected); else
``building:levels`` × 3 m; else 9 m.  The last two are flagged
``height_estimated`` so the 3D view and any analysis can tell guesses apart.

Extracts cut at a bounding box contain buildings whose ways lost nodes; GDAL
then yields rings of two points or self-intersections.  Those are repaired
with ``make_valid`` where something polygonal survives and dropped otherwise,
with one summary warning.
"""

from __future__ import annotations

import math
import os
import re
import warnings
from collections import Counter
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from layers.geometry import (
    STOREY_HEIGHT_M,
    conform,
    emit,
    repair_all,
    reproject,
    summarize,
    tidy_polygons,
    to_multilinestring,
    to_multipolygon,
)
from schema.catalog import DEFAULT_STORAGE_EPSG

#: Height (m) assumed for a building with neither a height nor a levels tag.
DEFAULT_HEIGHT_M = 9.0
#: Heights above this are typos (the tallest building is 828 m).
MAX_HEIGHT_M = 1000.0
#: Levels above this are typos (the most storeys of any building is 163).
MAX_LEVELS = 200.0
_FOOT_M = 0.3048
_INCH_M = 0.0254

# One hstore pair: "key"=>"value" (or NULL), backslash escapes inside quotes.
_PAIR = re.compile(r'\s*"((?:[^"\\]|\\.)*)"\s*=>\s*(?:"((?:[^"\\]|\\.)*)"|(NULL))\s*(,|$)')
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_NUMBER = r"(\d+(?:\.\d+)?|\.\d+)"
_METRES = re.compile(rf"^{_NUMBER}\s*(?:m|meters?|metres?)?$")
_FEET = re.compile(rf"^{_NUMBER}\s*(?:'|ft|feet|foot)\s*(?:{_NUMBER}\s*(?:\"|''|in|inch|inches))?$")
_ROOF_SHAPE = re.compile(r"^[a-z][a-z_-]*$")


# --------------------------------------------------------------------------- tag parsing


def parse_other_tags(text: str | None) -> dict[str, str | None]:
    """Unpack GDAL's ``other_tags`` (``"k"=>"v","k2"=>"v2"``) into a dict.

    Keys and values may contain commas, ``=>`` and backslash-escaped quotes or
    backslashes; a bare ``NULL`` value becomes None.

    Raises
    ------
    ValueError
        When the text is not a sequence of such pairs (the position is named).
    """
    tags: dict[str, str | None] = {}
    if not isinstance(text, str) or not text:  # None, or NaN from a missing column value
        return tags
    pos = 0
    while pos < len(text):
        if not text[pos:].strip():
            break
        match = _PAIR.match(text, pos)
        if match is None:
            raise ValueError(f"other_tags: cannot parse at character {pos}: {text[pos : pos + 40]!r}")
        key, value, null, sep = match.groups()
        tags[_ESCAPE.sub(r"\1", key)] = None if null else _ESCAPE.sub(r"\1", value)
        pos = match.end()
        if sep == "" and pos < len(text) and text[pos:].strip():
            raise ValueError(f"other_tags: missing comma at character {pos}")
    return tags


def parse_height(value: str | None) -> float | None:
    """A ``height`` tag in metres, or None when it is missing or nonsense.

    Accepts ``"12"``, ``"12.5"``, ``"12,5"`` (decimal comma), ``"12 m"``,
    ``"40'"``, ``"40 ft"``, ``"40'6\\""``; rejects ranges, lists,
    approximations (``"~12"``), zero, negatives and anything above 1000 m.
    """
    if value is None:
        return None
    text = value.strip().lower()
    if re.fullmatch(r"\d+,\d+(\s*m)?", text):  # decimal comma, not a list
        text = text.replace(",", ".")
    if match := _METRES.match(text):
        metres = float(match.group(1))
    elif match := _FEET.match(text):
        metres = float(match.group(1)) * _FOOT_M + float(match.group(2) or 0) * _INCH_M
    else:
        return None
    return metres if 0 < metres <= MAX_HEIGHT_M else None


def parse_levels(value: str | None) -> float | None:
    """``building:levels`` as a number (``"2.5"`` allowed), None when missing or nonsense."""
    if value is None:
        return None
    text = value.strip().replace(",", ".")
    if not re.fullmatch(r"\d+(?:\.\d+)?", text):
        return None
    levels = float(text)
    return levels if levels <= MAX_LEVELS else None


def building_height(tags: dict[str, str | None]) -> tuple[float, bool, int | None]:
    """(height m, estimated?, storeys) for a building's tags.

    A partial storey counts as one (``building:levels=2.5`` → 3 storeys).
    """
    levels = parse_levels(tags.get("building:levels"))
    storeys = math.ceil(levels) if levels is not None else None
    height = parse_height(tags.get("height"))
    if height is not None:
        return height, False, storeys
    if levels:  # 0 levels (a roof, a carport) says nothing about height
        return levels * STOREY_HEIGHT_M, True, storeys
    return DEFAULT_HEIGHT_M, True, storeys


def roof_shape(value: str | None) -> str | None:
    """``roof:shape`` when it looks like one of OSM's shape words (``"9.0"`` is not)."""
    if value is None:
        return None
    value = value.strip().lower()
    return value if _ROOF_SHAPE.match(value) else None


# --------------------------------------------------------------------------- reading


def read_osm(path: str | os.PathLike, epsg: int = DEFAULT_STORAGE_EPSG) -> dict[str, gpd.GeoDataFrame]:
    """Read buildings and streets of an OSM file.

    Parameters
    ----------
    path
        ``.osm.pbf`` or ``.osm`` file.
    epsg
        Storage CRS of the returned frames.

    Returns
    -------
    dict
        ``{"buildings", "streets", "addresses", "landcover"}`` GeoDataFrames with the
        catalogue columns, MultiPolygons / MultiLineStrings in EPSG:``epsg``.
        ``id`` is ``osm:<OSM id>``; ``source_id`` says ``way/<id>`` or
        ``relation/<id>``.  Repairs and drops are warned as
        ``LayerImportWarning`` and listed in ``frame.attrs["warnings"]``.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(path)
    messages: list[str] = []
    buildings = _buildings(path, epsg, messages)
    streets = _streets(path, epsg, messages)
    frames = {
        "buildings": buildings,
        "streets": streets,
        "addresses": _addresses(path, epsg, streets, messages),
        "landcover": _landcover(path, epsg, messages),
    }
    emit(frames, messages)
    return frames


def _read_layer(path: Path, layer: str, where: str, columns: list[str], messages: list[str]) -> gpd.GeoDataFrame:
    """One layer of the OSM driver; GDAL's per-feature complaints become one summary message."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        # 'ignore': rings GEOS cannot even build (2 points) come back as None, handled below.
        frame = pyogrio.read_dataframe(path, layer=layer, where=where, columns=columns, on_invalid="ignore")
    gdal = Counter(str(w.message).split(".")[0] for w in caught if issubclass(w.category, RuntimeWarning))
    for message, n in gdal.items():
        messages.append(f"{path.name} ({layer}): GDAL: {message} ({n}×)")
    for w in caught:  # anything else goes out as it came
        if not issubclass(w.category, RuntimeWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return frame


def _osm_ids(frame: gpd.GeoDataFrame) -> tuple[list[str], list[str]]:
    """(id, source_id) per row: ``osm:<n>`` and ``way/<n>`` or ``relation/<n>``.

    The multipolygons layer has ``osm_id`` for relations and ``osm_way_id`` for
    closed ways.  Should a relation's number equal a way's, the relation gets
    ``osm:relation/<n>`` so ids stay unique.
    """
    way_ids = frame["osm_way_id"] if "osm_way_id" in frame else [None] * len(frame)
    ids, source_ids = [], []
    for rel, way in zip(frame["osm_id"], way_ids, strict=True):
        if way is not None and not _isnan(way):
            ids.append(f"osm:{_num(way)}")
            source_ids.append(f"way/{_num(way)}")
        elif "osm_way_id" in frame:
            ids.append(f"osm:{_num(rel)}")
            source_ids.append(f"relation/{_num(rel)}")
        else:  # lines layer: osm_id is always a way
            ids.append(f"osm:{_num(rel)}")
            source_ids.append(f"way/{_num(rel)}")
    seen = Counter(ids)
    for i, (ident, sid) in enumerate(zip(ids, source_ids, strict=True)):
        if seen[ident] > 1 and sid.startswith("relation/"):
            ids[i] = f"osm:{sid}"
    return ids, source_ids


def _buildings(path: Path, epsg: int, messages: list[str]) -> gpd.GeoDataFrame:
    frame = _read_layer(
        path,
        "multipolygons",
        "building IS NOT NULL AND building <> 'no'",
        ["osm_id", "osm_way_id", "name", "building", "other_tags"],
        messages,
    )
    ids, source_ids = _osm_ids(frame)
    records = _building_records(frame, ids, source_ids, f"osm:{path.name}", path.name, messages)
    geoms, repaired = repair_all(list(frame.geometry.values), source_ids)
    geoms = [to_multipolygon(g) for g in geoms]
    why = {m.split(": ", 1)[0]: m for m in repaired}
    lost = [
        why[sid] if src is not None else f"{sid}: GDAL could not build its rings (nodes missing from the extract?)"
        for sid, src, g in zip(source_ids, frame.geometry.values, geoms, strict=True)
        if g is None
    ]
    messages += filter(
        None,
        [
            summarize([m for m in repaired if "repaired" in m], f"{path.name}: buildings repaired"),
            summarize(lost, f"{path.name}: buildings dropped (geometry unusable)"),
        ],
    )
    out = gpd.GeoDataFrame(records, geometry=geoms, crs=frame.crs)
    out = reproject(out[out.geometry.notna()], epsg)
    out["geometry"] = tidy_polygons(out.geometry)  # valid again after reprojection, mm grid
    collapsed = out.loc[out.geometry.isna(), "source_id"].tolist()
    messages += filter(None, [summarize(collapsed, f"{path.name}: buildings dropped (collapsed on the 1 mm grid)")])
    return conform(out[out.geometry.notna()], "buildings")


def _building_records(
    frame: gpd.GeoDataFrame, ids: list[str], source_ids: list[str], source: str, file_name: str, messages: list[str]
) -> list[dict]:
    """Catalogue attributes of each building row (tags parsed, height chosen)."""
    records, bad_tags = [], []
    for ident, sid, name, kind, other in zip(
        ids, source_ids, frame["name"], frame["building"], frame["other_tags"], strict=True
    ):
        try:
            tags = parse_other_tags(other)
        except ValueError as err:
            bad_tags.append(f"{sid}: {err}")
            tags = {}
        height, estimated, storeys = building_height(tags)
        records.append(
            {
                "id": ident,
                "source": source,
                "source_id": sid,
                "name": None if _isnan(name) else name,
                "function": kind,
                "height": height,
                "storeys": storeys,
                "height_estimated": estimated,
                "base_height": None,
                "roof_type": roof_shape(tags.get("roof:shape")),
                "synthetic": False,
            }
        )
    messages += filter(None, [summarize(bad_tags, f"{file_name}: other_tags not parsed (tags ignored)")])
    return records


def _streets(path: Path, epsg: int, messages: list[str]) -> gpd.GeoDataFrame:
    frame = _read_layer(path, "lines", "highway IS NOT NULL", ["osm_id", "name", "highway"], messages)
    ids, source_ids = _osm_ids(frame)
    geoms, repaired = repair_all(list(frame.geometry.values), source_ids)
    geoms = [to_multilinestring(g) for g in geoms]
    out = gpd.GeoDataFrame(
        {
            "id": ids,
            "source": f"osm:{path.name}",
            "source_id": source_ids,
            "name": frame["name"].values,
            "highway": frame["highway"].values,
            "synthetic": False,
        },
        geometry=geoms,
        crs=frame.crs,
    )
    dropped = [sid for sid, g in zip(source_ids, geoms, strict=True) if g is None]
    messages += filter(
        None,
        [
            summarize([m for m in repaired if "repaired" in m], f"{path.name}: streets repaired"),
            summarize(dropped, f"{path.name}: streets dropped (no usable geometry)"),
        ],
    )
    out = out[out.geometry.notna()]
    return conform(reproject(out, epsg), "streets")


def _isnan(value) -> bool:
    return isinstance(value, float) and np.isnan(value)


def _num(value) -> str:
    """An OSM id as digits, whether GDAL gave it as text, int or float."""
    if isinstance(value, float):
        return str(int(value))
    return str(value).strip()


# --------------------------------------------------------------------------- addresses, places, landcover

#: OSM tag values drawn as water / green in the map's own background (layer ``landcover``).
WATER = {
    "natural": {"water", "wetland", "bay"},
    "landuse": {"basin", "reservoir", "pond", "salt_pond"},
    "leisure": {"swimming_area"},
}
GREEN = {
    "natural": {"wood", "scrub", "heath", "grassland", "fell"},
    "landuse": {
        "grass",
        "forest",
        "meadow",
        "village_green",
        "recreation_ground",
        "cemetery",
        "allotments",
        "orchard",
        "flowerbed",
    },
    "leisure": {"park", "garden", "playground", "pitch", "golf_course", "nature_reserve", "dog_park"},
}


def _addresses(path: Path, epsg: int, streets: gpd.GeoDataFrame, messages: list[str]) -> gpd.GeoDataFrame:
    """Layer ``addresses``: ``addr:*`` of nodes and areas, named streets (from ``streets``), named places."""
    from layers.addresses import PLACE_VALUES, address_frame, osm_address_records, street_frame

    source = f"osm:{path.name}"
    bad_tags: list[str] = []

    def tags_of(text):
        try:
            return parse_other_tags(text)
        except ValueError as err:
            bad_tags.append(str(err))
            return {}

    has_number = "other_tags LIKE '%\"addr:housenumber\"=>%'"
    points = _read_layer(path, "points", has_number, ["osm_id", "other_tags"], messages)
    areas = _read_layer(path, "multipolygons", has_number, ["osm_id", "osm_way_id", "other_tags"], messages)
    _area_ids, area_sources = _osm_ids(areas)
    point_sources = [f"node/{_num(v)}" for v in points["osm_id"]]
    records, geoms = [], []
    rows = zip(point_sources, point_sources, points["other_tags"], strict=True)
    found, used = osm_address_records(rows, tags_of, "osm:addr/")
    records += found
    geoms += [points.geometry.values[i] for i in used]
    found, used = osm_address_records(
        zip(area_sources, area_sources, areas["other_tags"], strict=True), tags_of, "osm:addr/"
    )
    area_geoms = [g.representative_point() if g is not None and not g.is_empty else None for g in areas.geometry.values]
    records += found
    geoms += [area_geoms[i] for i in used]

    place = "place IS NOT NULL AND name IS NOT NULL"
    place_points = _read_layer(path, "points", place, ["osm_id", "name", "place"], messages)
    place_areas = _read_layer(path, "multipolygons", place, ["osm_id", "osm_way_id", "name", "place"], messages)
    _, place_area_sources = _osm_ids(place_areas)
    for frame, sources in (
        (place_points, [f"node/{_num(v)}" for v in place_points["osm_id"]]),
        (place_areas, place_area_sources),
    ):
        for sid, name, kind, geom in zip(sources, frame["name"], frame["place"], frame.geometry.values, strict=True):
            if kind in PLACE_VALUES and geom is not None and not geom.is_empty:
                records.append({"id": f"osm:place/{sid}", "source_id": sid, "kind": "place", "name": name})
                geoms.append(geom if geom.geom_type == "Point" else geom.representative_point())
    messages += filter(None, [summarize(bad_tags, f"{path.name}: other_tags of addresses not parsed (skipped)")])
    points_frame = address_frame(records, geoms, points.crs or "EPSG:4326", epsg, source)
    named = streets[streets["name"].notna()][["name", "source_id", "geometry"]]
    street_rows = street_frame(named, epsg, source, "osm:")
    # A street's city: the one its addresses name most often (ways carry none).
    cities: dict[str, Counter] = {}
    for record in records:
        if record.get("street") and record.get("city"):
            cities.setdefault(record["street"], Counter())[record["city"]] += 1
    street_rows["city"] = [cities[n].most_common(1)[0][0] if n in cities else None for n in street_rows["name"]]
    return conform(pd.concat([points_frame, street_rows], ignore_index=True), "addresses")


def _landcover(path: Path, epsg: int, messages: list[str]) -> gpd.GeoDataFrame:
    """Layer ``landcover``: water and green areas (natural, landuse, leisure) for the map's background."""

    def clause(key):
        values = sorted(WATER.get(key, set()) | GREEN.get(key, set()))
        return f"{key} IN ({', '.join(repr(v) for v in values)})"

    where = " OR ".join(clause(key) for key in ("natural", "landuse", "leisure"))
    frame = _read_layer(
        path, "multipolygons", where, ["osm_id", "osm_way_id", "name", "natural", "landuse", "leisure"], messages
    )
    ids, source_ids = _osm_ids(frame)
    kinds, categories = [], []
    for natural, landuse, leisure in zip(frame["natural"], frame["landuse"], frame["leisure"], strict=True):
        tags = {"natural": natural, "landuse": landuse, "leisure": leisure}
        water = next((v for k, v in tags.items() if v in WATER.get(k, ())), None)
        green = next((v for k, v in tags.items() if v in GREEN.get(k, ())), None)
        kinds.append("water" if water else "green")
        categories.append(water or green)
    geoms, _ = repair_all(list(frame.geometry.values), source_ids)
    geoms = [to_multipolygon(g) for g in geoms]
    out = gpd.GeoDataFrame(
        {
            "id": ids,
            "source": f"osm:{path.name}",
            "source_id": source_ids,
            "kind": kinds,
            "category": categories,
            "name": [None if _isnan(n) or n is None else n for n in frame["name"]],
        },
        geometry=geoms,
        crs=frame.crs,
    )
    out = reproject(out[out.geometry.notna()], epsg)
    out["geometry"] = tidy_polygons(out.geometry)
    return conform(out[out.geometry.notna()], "landcover")
