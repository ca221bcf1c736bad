"""Addresses, named streets and places for the place search (layer ``addresses``).

Two ways in:

* OpenStreetMap, through :func:`layers.osm.read_osm`: nodes and areas (buildings, shops, …) with
  ``addr:housenumber`` become addresses (``addr:street`` or ``addr:place``, ``addr:postcode``,
  ``addr:city``), named highways become one street each (the ways of one name merged, split where
  they lie apart, as two "Bahnhofstraße" in two districts), ``place=*`` nodes and areas with a name
  become places (:func:`osm_address_frame`, :func:`street_frame`).
* The Kommune's own address list (:func:`read_address_list`): a CSV such as the Hauskoordinaten
  (HK-DE) or an ALKIS export with columns for street, house number (and suffix), postcode, city and
  the coordinates (x/y in a projected CRS, or lon/lat), or any vector file GDAL reads (GeoPackage,
  Shapefile, GeoJSON) with the same columns and point geometries. Columns are found by their usual
  names (:data:`COLUMN_NAMES`) or named explicitly.

Every row carries ``search_key``: its name as the search compares it (:func:`search_key`), so the
search is a prefix match on an indexed column of both stores, not a scan.
"""

from __future__ import annotations

import csv
import io
import os
import re
import unicodedata
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from layers.geometry import conform, emit, reproject
from schema.catalog import DEFAULT_STORAGE_EPSG

# --------------------------------------------------------------------------- search spelling

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ẞ": "ss"})
# "Straße", "Strasse" and "Str." are one word to the search, "str" (also at the end of "Landstraße").
_STRASSE = re.compile(r"str(?:asse\b|\.)")
#: While typing: "Landstra", "Landstras", "Landstrass" are on their way to "landstr".
_PARTIAL_STRASSE = re.compile(r"str(?:a|as|ass)$")
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_NUMBER_SUFFIX = re.compile(r"(?<=\d) (?=[a-z]\b)")  # "8 a" -> "8a"


def search_key(text: object) -> str:
    """``text`` as the search compares it: lower case, umlauts as ae/oe/ue, ß as ss, other accents
    dropped, "straße"/"strasse"/"str." as "str", punctuation as single spaces, "8 a" as "8a".

    >>> search_key("Tangstedter Landstraße 12 a")
    'tangstedter landstr 12a'
    >>> search_key("Max-Brauer-Allee") == search_key("max brauer allee")
    True
    """
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return ""
    value = unicodedata.normalize("NFC", str(text)).lower().translate(_UMLAUTS)
    value = "".join(c for c in unicodedata.normalize("NFKD", value) if not unicodedata.combining(c))
    value = _STRASSE.sub("str ", value)  # "landstrasse" / "landstr." -> "landstr "
    value = _NOT_WORD.sub(" ", value).strip()
    return _NUMBER_SUFFIX.sub("", value)


def query_key(text: object) -> str:
    """:func:`search_key` of what a visitor typed so far: a word cut off inside "straße" counts as "str"."""
    return _PARTIAL_STRASSE.sub("str", search_key(text))


def natural_key(text: str) -> tuple:
    """Sort key putting "Kaivokatu 2" before "Kaivokatu 10"."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", text or "") if part
    )


def address_name(street: str | None, housenumber: str | None) -> str:
    """ "Kaivokatu 8" (street and number), or whichever of the two exists."""
    return " ".join(p for p in (_clean(street), _clean(housenumber)) if p)


def _clean(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    text = str(value).strip()
    if re.fullmatch(r"\d+\.0", text):  # a house number or postcode that went through a float
        text = text[:-2]
    return text


# --------------------------------------------------------------------------- frames


def address_frame(records: list[dict], geometries, crs, epsg: int, source: str) -> gpd.GeoDataFrame:
    """The ``addresses`` frame of ``records`` (kind, name, street, housenumber, postcode, city, id,
    source_id) with their geometries in ``crs``, reprojected to EPSG:``epsg``; ``search_key`` filled."""
    frame = gpd.GeoDataFrame(records, geometry=list(geometries), crs=crs)
    if frame.empty:
        frame = gpd.GeoDataFrame({"id": [], "kind": [], "name": []}, geometry=[], crs=crs)
    frame["source"] = source
    for column in ("street", "housenumber", "postcode", "city"):
        if column in frame:
            frame[column] = [(_clean(v) or None) for v in frame[column]]
    frame["search_key"] = [search_key(name) for name in frame["name"]]
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty & (frame["search_key"] != "")]
    return conform(reproject(frame, epsg), "addresses")


#: Lines of one street name farther apart than this (m) are two streets (two "Bahnhofstraße" in two districts).
STREET_GAP_M = 250.0


def street_frame(lines: gpd.GeoDataFrame, epsg: int, source: str, id_prefix: str) -> gpd.GeoDataFrame:
    """One ``addresses`` row of kind ``street`` per named street: the ways of a name merged, split
    into separate streets where their parts lie more than :data:`STREET_GAP_M` apart.

    ``lines`` has ``name`` and ``source_id`` columns and line geometries in a metric CRS (or any CRS;
    it is reprojected to ``epsg`` first).
    """
    lines = reproject(lines[lines["name"].notna() & lines.geometry.notna()], epsg)
    records, geoms = [], []
    for name, group in lines.groupby("name", sort=True):
        name = str(name).strip()
        if not name:
            continue
        parts = list(group.geometry.values)
        ids = list(group["source_id"])
        # Clusters: lines whose buffers touch belong to one street.
        zones = shapely.union_all(shapely.buffer(np.array(parts, dtype=object), STREET_GAP_M / 2))
        clusters = list(getattr(zones, "geoms", [zones]))
        members: dict[int, list[int]] = defaultdict(list)
        for i, part in enumerate(parts):
            point = part.interpolate(0.5, normalized=True)
            k = next((k for k, zone in enumerate(clusters) if zone.intersects(point)), 0)
            members[k].append(i)
        for _k, indexes in sorted(members.items(), key=lambda item: min(ids[i] for i in item[1])):
            merged = shapely.line_merge(shapely.union_all([parts[i] for i in indexes]))
            first = min(ids[i] for i in indexes)
            records.append(
                {
                    "id": f"{id_prefix}street/{first}",
                    "source_id": ",".join(sorted(ids[i] for i in indexes)),
                    "kind": "street",
                    "name": name,
                    "street": name,
                }
            )
            geoms.append(merged)
    return address_frame(records, geoms, f"EPSG:{epsg}", epsg, source)


# --------------------------------------------------------------------------- the Kommune's address list

#: Usual column names (compared lower case, without spaces, dots, dashes, underscores) per field.
COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "street": (
        "strasse",
        "straße",
        "strassenname",
        "straßenname",
        "street",
        "streetname",
        "stn",
        "str",
        "lagebezeichnung",
        "strname",
        "addrstreet",
    ),
    "housenumber": ("hausnummer", "hnr", "hsnr", "housenumber", "nummer", "hausnr", "addrhousenumber"),
    "suffix": ("adressierungszusatz", "hausnummerzusatz", "zusatz", "adz", "hnrzusatz", "hnrz"),
    "postcode": ("plz", "postleitzahl", "postcode", "zip", "addrpostcode"),
    "city": ("ort", "ortsname", "gemeinde", "gemeindename", "onm", "city", "stadt", "addrcity"),
    "district": ("ortsteil", "ottname", "ott", "stadtteil", "district"),
    "id": ("oi", "objektidentifikator", "gmlid", "id", "uuid", "adressid"),
    "x": ("x", "ost", "rechtswert", "easting", "east", "utmost", "xkoordinate", "koordx"),
    "y": ("y", "nord", "hochwert", "northing", "north", "utmnord", "ykoordinate", "koordy"),
    "lon": ("lon", "lng", "long", "longitude", "laenge", "länge"),
    "lat": ("lat", "latitude", "breite"),
}


def _key(column: str) -> str:
    return re.sub(r"[\s._:\-]", "", str(column).lower())


def _find_columns(columns, explicit: Mapping[str, str] | None) -> dict[str, str]:
    """field -> column of the file (explicit names win; unknown explicit names are an error)."""
    found: dict[str, str] = {}
    by_key = {_key(c): c for c in columns}
    for field, column in (explicit or {}).items():
        if column is None:
            continue
        if column not in columns:
            raise ValueError(f"column {column!r} (for {field}) not in the file; it has: {', '.join(map(str, columns))}")
        found[field] = column
    for field, names in COLUMN_NAMES.items():
        if field in found:
            continue
        for name in names:
            if _key(name) in by_key and by_key[_key(name)] not in found.values():
                found[field] = by_key[_key(name)]
                break
    return found


def _read_csv(path: Path) -> pd.DataFrame:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "cp1252"):  # Hauskoordinaten often come as ISO 8859-1 / Windows-1252
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    first = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t", "|"), key=first.count)
    return pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False, quoting=csv.QUOTE_MINIMAL)


def _number(values: pd.Series, column: str) -> np.ndarray:
    """Coordinates as floats (a decimal comma understood); a value that is no number is an error."""
    text = values.astype(str).str.strip().str.replace(",", ".", regex=False)
    numbers = pd.to_numeric(text, errors="coerce")
    bad = numbers.isna() & (text != "")
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(f"column {column}: {values.iloc[row]!r} (row {row + 2}) is not a number")
    return numbers.to_numpy(dtype=float)


def read_address_list(
    path: str | os.PathLike,
    epsg: int = DEFAULT_STORAGE_EPSG,
    crs: str | None = None,
    columns: Mapping[str, str] | None = None,
    layer: str | None = None,
    source: str | None = None,
) -> dict[str, gpd.GeoDataFrame]:
    """A Kommune's address list (CSV, or a vector file GDAL reads) as ``{"addresses": frame}``.

    Parameters
    ----------
    path
        ``.csv``/``.txt`` (delimiter ``;``, ``,``, tab or ``|``; UTF-8 or Windows-1252), or a
        GeoPackage, Shapefile, GeoJSON … with point geometries.
    crs
        CRS of x/y columns, e.g. ``EPSG:25832``; lon/lat columns are WGS84 by definition. Needed for
        x/y, because guessing UTM zones would put addresses in the wrong place.
    columns
        Explicit column names per field (``street``, ``housenumber``, ``suffix``, ``postcode``,
        ``city``, ``id``, ``x``, ``y``, ``lon``, ``lat``); the rest are found by :data:`COLUMN_NAMES`.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(path)
    source = source or f"addresses:{path.name}"
    messages: list[str] = []
    if path.suffix.lower() in (".csv", ".txt", ".tsv"):
        table = _read_csv(path)
        found = _find_columns(list(table.columns), columns)
        if "lon" in found and "lat" in found and not ("x" in found and "y" in found and crs):
            xs, ys, file_crs = (
                _number(table[found["lon"]], found["lon"]),
                _number(table[found["lat"]], found["lat"]),
                "EPSG:4326",
            )
        elif "x" in found and "y" in found:
            if not crs:
                raise ValueError(
                    f"{path.name}: x/y columns ({found['x']}, {found['y']}) need their CRS: pass --crs, e.g. EPSG:25832"
                )
            xs, ys, file_crs = _number(table[found["x"]], found["x"]), _number(table[found["y"]], found["y"]), crs
        else:
            raise ValueError(
                f"{path.name}: no coordinate columns found (x/y, Rechtswert/Hochwert, Ost/Nord or "
                f"lon/lat); it has: {', '.join(table.columns)}"
            )
        ok = np.isfinite(xs) & np.isfinite(ys)
        if (~ok).any():
            messages.append(f"{path.name}: {int((~ok).sum())} row(s) without coordinates skipped")
        geometries = [shapely.Point(x, y) if good else None for x, y, good in zip(xs, ys, ok, strict=True)]
    else:
        import pyogrio

        frame = pyogrio.read_dataframe(path, layer=layer)
        if frame.crs is None and not crs:
            raise ValueError(f"{path.name} declares no CRS: pass --crs")
        if frame.crs is None:
            frame = frame.set_crs(crs)
        file_crs = frame.crs
        table = pd.DataFrame(frame.drop(columns="geometry")).astype(object).where(frame.notna(), "")
        found = _find_columns(list(table.columns), columns)
        geometries = [
            g.representative_point() if g is not None and not g.is_empty and g.geom_type != "Point" else g
            for g in frame.geometry.values
        ]
    if "street" not in found or "housenumber" not in found:
        raise ValueError(
            f"{path.name}: need a street and a house number column (found: "
            f"{', '.join(f'{k}={v}' for k, v in found.items()) or 'none'}); name them with --column"
        )

    def col(field):
        return table[found[field]].astype(str).str.strip().tolist() if field in found else [""] * len(table)

    streets, numbers, suffixes = col("street"), col("housenumber"), col("suffix")
    postcodes, cities, districts, ids = col("postcode"), col("city"), col("district"), col("id")
    records, geoms, seen, missing = [], [], set(), 0
    for i, geometry in enumerate(geometries):
        number = _clean(numbers[i]) + _clean(suffixes[i])
        if geometry is None:
            continue  # counted above (no coordinates)
        if not streets[i]:
            missing += 1
            continue
        ident = ids[i] or f"{i + 1}"
        if ident in seen:
            ident = f"{ident}#{i + 1}"
        seen.add(ident)
        records.append(
            {
                "id": f"adr:{path.stem}:{ident}",
                "source_id": ident,
                "kind": "address",
                "name": address_name(streets[i], number),
                "street": streets[i],
                "housenumber": number or None,
                "postcode": postcodes[i] or None,
                "city": cities[i] or districts[i] or None,
            }
        )
        geoms.append(geometry)
    if missing:
        messages.append(f"{path.name}: {missing} row(s) without a street skipped")
    frames = {"addresses": address_frame(records, geoms, file_crs, epsg, source)}
    emit(frames, [m for m in messages if m])
    return frames


# --------------------------------------------------------------------------- OpenStreetMap

#: ``place=*`` values that are places people search for (not ``locality`` fields or islets).
PLACE_VALUES = {
    "city",
    "town",
    "village",
    "hamlet",
    "suburb",
    "quarter",
    "neighbourhood",
    "borough",
    "city_block",
    "square",
    "plot",
    "isolated_dwelling",
    "farm",
    "locality",
}


def osm_address_records(rows, tags_of, prefix: str) -> tuple[list[dict], list[int]]:
    """Address records of OSM rows with ``addr:housenumber`` (and where they came from).

    ``rows`` yields ``(id, source_id, other_tags text)``; ``tags_of`` parses the tags.
    Returns the records and the indexes of the rows they came from.
    """
    records, used = [], []
    for i, (ident, source_id, other) in enumerate(rows):
        tags = tags_of(other)
        number = _clean(tags.get("addr:housenumber"))
        street = _clean(tags.get("addr:street")) or _clean(tags.get("addr:place"))
        if not number or not street:
            continue
        records.append(
            {
                "id": f"{prefix}{ident}",
                "source_id": source_id,
                "kind": "address",
                "name": address_name(street, number),
                "street": street,
                "housenumber": number,
                "postcode": _clean(tags.get("addr:postcode")) or None,
                "city": _clean(tags.get("addr:city")) or None,
            }
        )
        used.append(i)
    return records, used


def summary(frame: gpd.GeoDataFrame) -> str:
    """ "1470 addresses, 92 streets, 7 places" for import reports."""
    counts = frame["kind"].value_counts().to_dict() if len(frame) else {}
    return ", ".join(f"{counts.get(k, 0)} {k}{'es' if k == 'address' else 's'}" for k in ("address", "street", "place"))


__all__ = [
    "COLUMN_NAMES",
    "PLACE_VALUES",
    "STREET_GAP_M",
    "address_frame",
    "address_name",
    "natural_key",
    "osm_address_records",
    "query_key",
    "read_address_list",
    "search_key",
    "street_frame",
    "summary",
]
