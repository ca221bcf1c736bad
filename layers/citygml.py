"""Read buildings from CityGML 1.0 / 2.0 (LoD1, LoD2) into the ``buildings`` layer.

Why not GDAL: LoD2 exports such as Berlin's 3D city model describe solids as
``PolyhedralSurfaceZ``, which OGR reads but pyogrio/shapely refuse ("Geometry
type is not supported: 1015").  The digital twin only needs a LoD1 view anyway
— a 2D footprint, a height and the terrain height below it — so we stream the
XML with lxml and derive those three things directly:

* **footprint**: union of the 2D projections of the building's GroundSurface
  polygons; a building (or BuildingPart) without GroundSurfaces uses all its
  surfaces instead (walls project to nothing, roofs cover the footprint).
  BuildingParts are merged into their building.
* **height**: ``bldg:measuredHeight`` (largest over building and parts), else
  the z range of the geometry, else storeys × 3 m (then flagged estimated).
* **base_height**: the lowest z of the building's geometry, i.e. the terrain
  height at the building in the file's vertical datum.

``iterparse`` plus clearing each finished building keeps memory flat, so a
city-wide tile set can be read feature by feature.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from lxml import etree

from layers.geometry import (
    STOREY_HEIGHT_M,
    conform,
    emit,
    reproject,
    summarize,
    tidy_polygons,
    to_multipolygon,
)
from schema.catalog import DEFAULT_STORAGE_EPSG
from store.crs import epsg_from_srs_name

GML_NS = ("http://www.opengis.net/gml", "http://www.opengis.net/gml/3.2")
BLDG_NS = ("http://www.opengis.net/citygml/building/1.0", "http://www.opengis.net/citygml/building/2.0")
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"


def _tags(namespaces: Iterable[str], *names: str) -> frozenset[str]:
    """Clark-notation tags ``{ns}name`` for every namespace version."""
    return frozenset(f"{{{ns}}}{name}" for ns in namespaces for name in names)


BUILDING = _tags(BLDG_NS, "Building")
PART = _tags(BLDG_NS, "BuildingPart")
COMPONENT = BUILDING | PART
GROUND = _tags(BLDG_NS, "GroundSurface")
INSTALLATION = _tags(BLDG_NS, "BuildingInstallation", "IntBuildingInstallation")
# Every GML surface patch whose boundary is exterior/interior rings.
SURFACE = _tags(GML_NS, "Polygon", "PolygonPatch", "Triangle")
EXTERIOR = _tags(GML_NS, "exterior", "outerBoundaryIs")
INTERIOR = _tags(GML_NS, "interior", "innerBoundaryIs")
POSLIST = _tags(GML_NS, "posList")
POS = _tags(GML_NS, "pos")
COORDINATES = _tags(GML_NS, "coordinates")
ENVELOPE = _tags(GML_NS, "Envelope")
GML_ID = [f"{{{ns}}}id" for ns in GML_NS]
GML_NAME = [f"{{{ns}}}name" for ns in GML_NS]

#: measuredHeight units we convert (anything else is taken as metres).
_FEET = {"ft", "foot", "feet", "#ft", "urn:ogc:def:uom:UCUM::[ft_i]"}


@dataclass
class _Component:
    """What one Building or BuildingPart contributes before merging."""

    ground: list[shapely.Polygon] = field(default_factory=list)
    other: list[shapely.Polygon] = field(default_factory=list)


# --------------------------------------------------------------------------- public API


def read_citygml(
    path: str | os.PathLike | Iterable[str | os.PathLike],
    epsg: int = DEFAULT_STORAGE_EPSG,
    *,
    src_epsg: int | None = None,
) -> dict[str, gpd.GeoDataFrame]:
    """Read the buildings of one CityGML file, every ``*.gml``/``*.xml`` in a folder, or a list of files.

    Parameters
    ----------
    path
        A CityGML file, a directory of them, or an iterable of files.
    epsg
        Storage CRS of the returned frame.
    src_epsg
        CRS of the coordinates when the file's ``srsName`` is missing or not an
        EPSG/AdV name; overrides the file when given.

    Returns
    -------
    dict
        ``{"buildings": GeoDataFrame}`` with the catalogue's building columns,
        MultiPolygon footprints in EPSG:``epsg``.  Problems (buildings without
        usable geometry, duplicate ids) are warned as ``LayerImportWarning`` and
        listed in ``frame.attrs["warnings"]``.
    """
    parts: list[gpd.GeoDataFrame] = []
    messages: list[str] = []
    seen: set[str] = set()  # ids already read: tiles may overlap
    for file in _gml_files(path):
        parts += _read_file(file, epsg, src_epsg, seen, messages)
    frame = (
        gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=epsg)
        if parts
        else gpd.GeoDataFrame({"id": []}, geometry=[], crs=epsg)
    )
    frame["geometry"] = tidy_polygons(frame.geometry)
    collapsed = frame.loc[frame.geometry.isna(), "source_id"].tolist() if len(frame) else []
    messages += filter(None, [summarize(collapsed, "buildings dropped (footprint collapsed on the 1 mm grid)")])
    frames = {"buildings": conform(frame[frame.geometry.notna()], "buildings")}
    emit(frames, messages)
    return frames


def _read_file(
    file: Path, epsg: int, src_epsg: int | None, seen: set[str], messages: list[str]
) -> list[gpd.GeoDataFrame]:
    """One file's buildings, reprojected to ``epsg`` (a frame per source CRS, normally one)."""
    rows, geoms, codes = [], [], []
    skipped, duplicates = [], []
    for record, footprint, code in iter_buildings(file, src_epsg=src_epsg):
        if footprint is None:
            skipped.append(f"{record['source_id']}: no polygon geometry")
        elif record["id"] in seen:
            duplicates.append(record["source_id"])
        else:
            seen.add(record["id"])
            rows.append(record)
            geoms.append(footprint)
            codes.append(code)
    messages += filter(
        None,
        [
            summarize(skipped, f"{file.name}: buildings skipped"),
            summarize(duplicates, f"{file.name}: buildings already read from another file, skipped"),
        ],
    )
    frames = []
    for code in dict.fromkeys(codes):
        pick = [i for i, c in enumerate(codes) if c == code]
        frame = gpd.GeoDataFrame([rows[i] for i in pick], geometry=[geoms[i] for i in pick], crs=code)
        frames.append(reproject(frame, epsg))
    return frames


def iter_buildings(
    path: str | os.PathLike, *, src_epsg: int | None = None
) -> Iterator[tuple[dict, shapely.MultiPolygon | None, int]]:
    """Stream ``(record, footprint, epsg)`` for each ``bldg:Building`` of one file.

    The footprint is in the file's CRS (``epsg``); the record holds the
    catalogue attributes.  Memory stays flat: each building is dropped from the
    tree once read.
    """
    path = Path(path)
    default_srs: str | None = None
    # no entity is expanded, no DTD or other file loaded, nothing fetched; a DTD is refused (CityGML has none)
    context = etree.iterparse(
        str(path),
        events=("end",),
        tag=[*BUILDING, *ENVELOPE],
        huge_tree=True,
        remove_comments=True,
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
    )
    try:
        for _, elem in context:
            if elem.getroottree().docinfo.doctype:
                raise ValueError(
                    f"{path.name}: a document type declaration (<!DOCTYPE …>) is not allowed in "
                    "CityGML (entities and DTDs are not read)"
                )
            if elem.tag in ENVELOPE:
                default_srs = default_srs or elem.get("srsName")
                continue
            srs = _first_srs_name(elem) or default_srs
            code = src_epsg or epsg_from_srs_name(srs)
            if code is None:
                raise ValueError(f"{path.name}: cannot tell the CRS (srsName {srs!r}); pass src_epsg / --crs")
            record, footprint = _building(elem, path.name)
            yield record, footprint, code
            _forget(elem)
        if context.root is not None and context.root.getroottree().docinfo.doctype:
            raise ValueError(f"{path.name}: a document type declaration (<!DOCTYPE …>) is not allowed in CityGML")
    except etree.XMLSyntaxError as err:
        raise ValueError(f"{path.name}: not well-formed XML ({err.msg})") from None


# --------------------------------------------------------------------------- one building


def _building(elem: etree._Element, file_name: str) -> tuple[dict, shapely.MultiPolygon | None]:
    """Catalogue record and 2D footprint of one Building element (parts merged)."""
    gml_id = _gml_id(elem) or f"{Path(file_name).stem}-line{elem.sourceline}"
    components = [elem, *elem.iter(*PART)]  # parts may nest; iter finds them all

    surfaces: dict[etree._Element, _Component] = {c: _Component() for c in components}
    z_min, z_max = np.inf, -np.inf
    for surface in elem.iter(*SURFACE):
        owner, ground, installation = _classify(surface)
        polygon, z = _polygon_2d(surface)
        if z.size and not np.isnan(z).all():
            z_min, z_max = min(z_min, np.nanmin(z)), max(z_max, np.nanmax(z))
        if polygon is None or installation:
            continue  # stairs and balconies stick out of the footprint
        (surfaces[owner].ground if ground else surfaces[owner].other).append(polygon)

    # Per component: its ground surfaces if it has any, else everything it has.
    pieces = [p for c in surfaces.values() for p in (c.ground or c.other)]
    footprint = _union(pieces)

    measured = [h for c in components if (h := _measured_height(c)) is not None]
    storeys = [s for c in components if (s := _int(_child_text(c, BLDG_NS, "storeysAboveGround"))) is not None]
    has_z = np.isfinite(z_min)
    if measured:
        height, estimated = max(measured), False
    elif has_z:  # from the modelled geometry: measured, not guessed
        height, estimated = float(z_max - z_min), False
    elif storeys:
        height, estimated = max(storeys) * STOREY_HEIGHT_M, True
    else:
        height, estimated = None, None

    record = {
        "id": f"citygml:{gml_id}",
        "source": f"citygml:{file_name}",
        "source_id": gml_id,
        "name": _first(_child_text(c, GML_NS, "name") for c in components),
        "function": _first(_child_text(c, BLDG_NS, "function") for c in components),
        "height": height,
        "storeys": max(storeys) if storeys else None,
        "height_estimated": estimated,
        "base_height": float(z_min) if has_z else None,
        "roof_type": _first(_child_text(c, BLDG_NS, "roofType") for c in components),
        "synthetic": False,
    }
    return record, footprint


def _classify(surface: etree._Element) -> tuple[etree._Element, bool, bool]:
    """(owning Building/BuildingPart, inside a GroundSurface?, inside an installation?)."""
    ground = installation = False
    node = surface.getparent()
    while node is not None:
        tag = node.tag
        if tag in COMPONENT:
            return node, ground, installation
        ground = ground or tag in GROUND
        installation = installation or tag in INSTALLATION
        node = node.getparent()
    raise AssertionError("surface outside a building")  # pragma: no cover - iter() starts at the building


def _polygon_2d(surface: etree._Element) -> tuple[shapely.Polygon | None, np.ndarray]:
    """The surface projected to 2D (None when it projects to nothing) and its z values."""
    shell = holes = None
    zs = []
    for child in surface:
        if child.tag in EXTERIOR:
            shell = _ring(child)
            zs.append(shell[:, 2])
        elif child.tag in INTERIOR:
            ring = _ring(child)
            zs.append(ring[:, 2])
            holes = (holes or []) + ([ring[:, :2]] if len(ring) >= 4 else [])
    z = np.concatenate(zs) if zs else np.empty(0)
    if shell is None or len(shell) < 4:
        return None, z
    polygon = shapely.Polygon(shell[:, :2], holes)
    if not polygon.is_valid:
        # Vertical walls project to zero-area slivers, sloped ones may fold over:
        # make_valid keeps whatever area there is and drops the lines.
        polygon = to_multipolygon(shapely.make_valid(polygon))
    if polygon is None or polygon.is_empty or polygon.area == 0:
        return None, z
    return polygon, z


def _ring(boundary: etree._Element) -> np.ndarray:
    """Coordinates (n × 3, z = NaN for 2D data) of a ring: LinearRing posList/pos/coordinates, or a Ring's curves."""
    chunks = []
    for node in boundary.iter(*POSLIST, *POS, *COORDINATES):
        text = (node.text or "").strip()
        if not text:
            continue
        if node.tag in COORDINATES:  # GML 2 style "x,y,z x,y,z"
            cs, ts = node.get("cs", ","), node.get("ts", " ")
            rows = [t.split(cs) for t in text.split(ts) if t]
            chunks.append(_xyz(np.array(rows, dtype=float)))
            continue
        values = np.array(text.split(), dtype=float)
        if node.tag in POS:
            chunks.append(_xyz(values.reshape(1, -1)))
        else:
            chunks.append(_xyz(values.reshape(-1, _dimension(node, values.size))))
    return np.concatenate(chunks) if chunks else np.empty((0, 3))


def _dimension(pos_list: etree._Element, count: int) -> int:
    """srsDimension of a posList: its own attribute, an ancestor's, else 3 unless that cannot be."""
    node = pos_list
    while node is not None:
        dim = node.get("srsDimension") or node.get("dimension")
        if dim:
            return int(dim)
        node = node.getparent()
    return 3 if count % 3 == 0 else 2


def _xyz(coords: np.ndarray) -> np.ndarray:
    """Pad 2D coordinates with NaN z so every ring is n × 3."""
    if coords.shape[1] >= 3:
        return coords[:, :3]
    return np.column_stack([coords[:, :2], np.full(len(coords), np.nan)])


def _union(polygons: list[shapely.Polygon]) -> shapely.MultiPolygon | None:
    """Union of footprint pieces as one valid MultiPolygon (None when there are none)."""
    if not polygons:
        return None
    merged = shapely.union_all(polygons)
    if not merged.is_valid:
        merged = shapely.make_valid(merged)
    return to_multipolygon(merged)


# --------------------------------------------------------------------------- small XML helpers


def _gml_id(elem: etree._Element) -> str | None:
    return _first(elem.get(attr) for attr in GML_ID)


def _child_text(elem: etree._Element, namespaces: Iterable[str], name: str) -> str | None:
    """Text of the first direct child ``name`` (in any of ``namespaces``), stripped; None if absent/empty."""
    for ns in namespaces:
        child = elem.find(f"{{{ns}}}{name}")
        if child is not None and child.text and child.text.strip():
            return child.text.strip()
    return None


def _measured_height(elem: etree._Element) -> float | None:
    """bldg:measuredHeight in metres (feet converted); None if absent or not a positive number."""
    for ns in BLDG_NS:
        child = elem.find(f"{{{ns}}}measuredHeight")
        if child is None:
            continue
        try:
            value = float(child.text)
        except (TypeError, ValueError):
            return None
        if (child.get("uom") or "").strip().lower() in _FEET:
            value *= 0.3048
        return value if value > 0 else None
    return None


def _int(text: str | None) -> int | None:
    try:
        return int(float(text)) if text is not None else None
    except ValueError:
        return None


def _first[T](values: Iterable[T | None]) -> T | None:
    return next((v for v in values if v is not None), None)


def _first_srs_name(elem: etree._Element) -> str | None:
    found = elem.xpath("(.//@srsName)[1]")
    return str(found[0]) if found else None


def _forget(elem: etree._Element) -> None:
    """Drop a finished element and everything before it so the tree does not grow."""
    elem.clear()
    for node in (elem, *elem.iterancestors()):
        parent = node.getparent()
        if parent is None:  # the root (a processing instruction may precede it)
            break
        while node.getprevious() is not None:
            del parent[0]


def _gml_files(path: str | os.PathLike | Iterable[str | os.PathLike]) -> list[Path]:
    """The files to read: one file, the ``*.gml``/``*.xml`` of a directory (sorted), or a list."""
    if isinstance(path, (str, os.PathLike)):
        path = Path(path)
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.suffix.lower() in (".gml", ".xml"))
            if not files:
                raise FileNotFoundError(f"{path}: no .gml or .xml files")
            return files
        if not path.exists():
            raise FileNotFoundError(path)
        return [path]
    return [Path(p) for p in path]
