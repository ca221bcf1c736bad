"""Import XPlanGML Bebauungspläne (XPlanung 5.x and 6.0) into the common layer schema.

``read_xplan(path)`` reads one XPlanGML file and returns one :class:`PlanImport`
per ``BP_Plan`` in it (an ``XPlanAuszug`` may hold several plans).  Each import
carries GeoDataFrames for the plan-scoped layers of :mod:`layers.catalog`
(``bp_plan``, ``bp_bereich``, ``bp_baugebiet``, ``bp_baugrenze``,
``bp_verkehrsflaeche``, ``bp_gruenflaeche``, ``bp_textabschnitt``,
``bp_planraster``), already in the storage CRS, ready for ``Store.replace``.

Design notes

* Parsing is lxml and namespace-agnostic: the XPlanung namespace differs per
  version (``http://www.xplanung.de/xplangml/5/2``, ``.../6/0``), so elements
  are matched by local name inside the document's own XPlanung namespace, and
  GML elements by local name in any ``http://www.opengis.net/gml*`` namespace.
* GML geometries are converted to shapely here, not through GDAL: XPlanGML uses
  curves (``Arc``, ``ArcString``, ``Ring`` of ``curveMember``) that must be
  densified, and each geometry carries its own ``srsName`` that must be honoured.
  Coordinates in XPlanGML are easting/northing for the projected CRSs in use
  (EPSG:25832/25833/31467), so transformations use ``always_xy``; a plausibility
  check against the CRS's area of use catches files with swapped axes.
* Code lists are decoded to their XPlanung names (``1200`` -> ``AllgWohngebiet``).
  XPlanung 6.0 merged the per-plan-type ``rechtscharakter`` enumerations into
  ``XP_Rechtscharakter`` with other codes; both are decoded to the same names
  (``Festsetzung``, ``Hinweis`` ...) so the layer has one vocabulary.
* XPlanGML writers (e.g. the KIT GML-Toolbox) write ``0`` into empty Maß fields
  (``GFZ=0`` next to ``GF=360``).  A zero GRZ/GFZ/GR/GF/BMZ/Z is therefore read as
  "not set"; the plan's warnings say how many were.
* Nothing is dropped silently: objects without a plan, repaired or unusable
  geometries, missing rasters and classes with no target layer all end up in
  ``PlanImport.warnings``.  Anything that makes the file unusable (not XML, not
  XPlanGML, no ``BP_Plan``, an unreadable geometry) raises :class:`XPlanError`
  naming the file and the reason.
"""

from __future__ import annotations

import json
import math
import os
import re
import threading
import warnings as pywarnings
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.errors
from lxml import etree
from pyproj import CRS, Geod, Transformer
from shapely.geometry import (
    GeometryCollection,
    LineString,
    MultiLineString,
    MultiPoint,
    MultiPolygon,
    Point,
    Polygon,
)
from shapely.geometry.base import BaseGeometry

from layers.catalog import LAYERS

XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
GML_NAMESPACES = ("http://www.opengis.net/gml/3.2", "http://www.opengis.net/gml")
_XPLAN_NS = re.compile(r"^http://www\.xplanung\.de/xplangml/(\d+)/(\d+)$")

#: Longest side (px) of a warped plan raster; larger scans are downsampled.
MAX_RASTER_PX = 4096
#: GDAL warp threads for plan images (GDAL releases the GIL; more than the cores gains nothing).
WARP_THREADS = max(1, min(4, os.cpu_count() or 1))
#: Arcs are densified with at most this angle (degrees) per segment ...
ARC_MAX_STEP_DEG = 2.0
#: ... and at most this deviation from the true arc (CRS units, i.e. metres).
ARC_TOLERANCE = 0.01

XPLAN_LAYERS = (
    "bp_plan", "bp_bereich", "bp_baugebiet", "bp_baugrenze",
    "bp_verkehrsflaeche", "bp_gruenflaeche", "bp_textabschnitt", "bp_planraster",
)


class XPlanError(Exception):
    """The file cannot be imported; the message names the file and the reason."""


@dataclass
class PlanImport:
    """One BP_Plan read from an XPlanGML file, as frames of the common schema."""

    plan_id: str  # gml:id of the BP_Plan
    name: str
    frames: dict[str, gpd.GeoDataFrame]  # layer_id -> frame in EPSG:epsg
    warnings: list[str] = field(default_factory=list)


# =========================================================================== code lists
# Names as in the XPlanung schema (5.x/6.0); codes only 6.0 knows are marked.

RECHTSCHARAKTER_BP = {  # BP_Rechtscharakter, XPlanung 5.x
    "1000": "Festsetzung", "2000": "NachrichtlicheUebernahme", "3000": "Hinweis",
    "4000": "Vermerk", "5000": "Kennzeichnung", "9998": "Unbekannt",
}
RECHTSCHARAKTER_SO = {  # SO_Rechtscharakter, XPlanung 5.x (SO_ classes in a B-Plan)
    "1000": "Festsetzung", "1500": "DarstellungFPlan", "1800": "InhaltLPlan",
    "2000": "NachrichtlicheUebernahme", "3000": "Hinweis", "4000": "Vermerk",
    "5000": "Kennzeichnung", "9998": "Unbekannt", "9999": "Sonstiges",
}
RECHTSCHARAKTER_XP6 = {  # XP_Rechtscharakter, XPlanung 6.0 (1000 is "FestsetzungBPlan")
    "1000": "Festsetzung", "2000": "NachrichtlicheUebernahme", "3000": "DarstellungFPlan",
    "4000": "ZielDerRaumordnung", "4100": "GrundsatzDerRaumordnung",
    "4200": "NachrichtlicheUebernahmeZiel", "4300": "NachrichtlicheUebernahmeGrundsatz",
    "4400": "NurInformationsgehaltRPlan", "4500": "TextlichesZielRaumordnung",
    "4600": "ZielUndGrundsatzRaumordnung", "4700": "VorschlagRaumordnung",
    "5000": "FestsetzungImLP", "5100": "GeplanteFestsetzungImLP",
    "5200": "DarstellungKennzeichnungImLP", "5300": "LandschaftsplanungsInhaltZurBeruecksichtigung",
    "6000": "Hinweis", "7000": "Kennzeichnung", "8000": "Vermerk",
    "9998": "Unbekannt", "9999": "Sonstiges",
}
RECHTSSTAND = {  # BP_Rechtsstand
    "1000": "Aufstellungsbeschluss", "2000": "Entwurf",
    "2100": "FruehzeitigeBehoerdenBeteiligung", "2200": "FruehzeitigeOeffentlichkeitsBeteiligung",
    "2250": "Entwurfsbeschluss",  # 6.0
    "2300": "BehoerdenBeteiligung", "2400": "OeffentlicheAuslegung", "3000": "Satzung",
    "4000": "InkraftGetreten", "4500": "TeilweiseUntergegangen",
    "45000": "TeilweiseAufgehoben", "45001": "TeilweiseAusserKraft",  # 6.0
    "5000": "Untergegangen", "50000": "Aufgehoben", "50001": "AusserKraft",
}
PLANART = {  # BP_PlanArt
    "1000": "BPlan", "10000": "EinfacherBPlan", "10001": "QualifizierterBPlan",
    "10002": "BebauungsplanZurWohnraumversorgung", "3000": "VorhabenbezogenerBPlan",
    "3100": "VorhabenUndErschliessungsplan", "4000": "InnenbereichsSatzung",
    "40000": "KlarstellungsSatzung", "40001": "EntwicklungsSatzung", "40002": "ErgaenzungsSatzung",
    "5000": "AussenbereichsSatzung", "7000": "OertlicheBauvorschrift", "9999": "Sonstiges",
}
ALLG_ART = {  # XP_AllgArtDerBaulNutzung
    "1000": "WohnBauflaeche", "2000": "GemischteBauflaeche", "3000": "GewerblicheBauflaeche",
    "4000": "SonderBauflaeche", "9999": "SonstigeBauflaeche",
}
ALLG_ART_CODE = {"1000": "W", "2000": "M", "3000": "G", "4000": "S"}
BESONDERE_ART = {  # XP_BesondereArtDerBaulNutzung
    "1000": "Kleinsiedlungsgebiet", "1100": "ReinesWohngebiet", "1200": "AllgWohngebiet",
    "1300": "BesonderesWohngebiet", "1400": "Dorfgebiet", "1450": "DoerflichesWohngebiet",
    "1500": "Mischgebiet", "1550": "UrbanesGebiet", "1600": "Kerngebiet", "1700": "Gewerbegebiet",
    "1800": "Industriegebiet", "2000": "SondergebietErholung", "2100": "SondergebietSonst",
    "3000": "Wochenendhausgebiet", "4000": "Sondergebiet", "9999": "SonstigesGebiet",
}
BESONDERE_ART_CODE = {  # the sign on the plan (BauNVO §§ 2-11)
    "1000": "WS", "1100": "WR", "1200": "WA", "1300": "WB", "1400": "MD", "1450": "MDW",
    "1500": "MI", "1550": "MU", "1600": "MK", "1700": "GE", "1800": "GI",
    "2000": "SO", "2100": "SO", "3000": "SO", "4000": "SO",
}
BAUWEISE = {"1000": "OffeneBauweise", "2000": "GeschlosseneBauweise", "3000": "AbweichendeBauweise"}
BEBAUUNGSART = {
    "1000": "Einzelhaeuser", "2000": "Doppelhaeuser", "3000": "Hausgruppen",
    "4000": "EinzelDoppelhaeuser", "5000": "EinzelhaeuserHausgruppen",
    "6000": "DoppelhaeuserHausgruppen", "7000": "Reihenhaeuser",
    "8000": "EinzelhaeuserDoppelhaeuserHausgruppen",
}
DACHFORM = {
    "1000": "Flachdach", "2100": "Pultdach", "2200": "VersetztesPultdach", "3000": "GeneigtesDach",
    "3100": "Satteldach", "3200": "Walmdach", "3300": "KrueppelWalmdach", "3400": "Mansarddach",
    "3500": "Zeltdach", "3600": "Kegeldach", "3700": "Kuppeldach", "3800": "Sheddach",
    "3900": "Bogendach", "4000": "Turmdach", "4100": "Tonnendach", "5000": "Mischform",
    "9999": "Sonstiges",
}
ZWECK_GRUEN = {  # XP_ZweckbestimmungGruen
    "1000": "Parkanlage", "10000": "ParkanlageHistorisch", "10001": "ParkanlageNaturnah",
    "10002": "ParkanlageWaldcharakter", "10003": "NaturnaheUferParkanlage",
    "1200": "Dauerkleingarten", "12000": "ErholungsGaerten", "1400": "Sportplatz",
    "14000": "Reitsportanlage", "14001": "Hundesportanlage", "14002": "Wassersportanlage",
    "14003": "Schiessstand", "14004": "Golfplatz", "14005": "Skisport", "14006": "Tennisanlage",
    "14007": "SonstigerSportplatz", "1600": "Spielplatz", "16000": "Bolzplatz",
    "16001": "Abenteuerspielplatz", "1800": "Zeltplatz", "18000": "Campingplatz",
    "2000": "Badeplatz", "2200": "FreizeitErholung", "22000": "Kleintierhaltung",
    "22001": "Festplatz", "2400": "SpezGruenflaeche", "24000": "StrassenbegleitGruen",
    "24001": "BoeschungsFlaeche", "24002": "FeldWaldWiese", "24003": "Uferschutzstreifen",
    "24004": "Abschirmgruen", "24005": "UmweltbildungsparkSchaugatter", "24006": "RuhenderVerkehr",
    "2600": "Friedhof", "2700": "Naturerfahrungsraum", "9999": "Sonstiges", "99990": "Gaertnerei",
}
ZWECK_VERKEHR = {  # BP_ZweckbestimmungStrassenverkehr
    "1000": "Parkierungsflaeche", "1100": "Fussgaengerbereich", "1200": "VerkehrsberuhigterBereich",
    "1300": "RadGehweg", "1400": "Radweg", "1500": "Gehweg", "1550": "Wanderweg",
    "1560": "ReitKutschweg", "1580": "Wirtschaftsweg", "1600": "FahrradAbstellplatz",
    "1700": "UeberfuehrenderVerkehrsweg", "1800": "UnterfuehrenderVerkehrsweg",
    "2000": "P_RAnlage", "2100": "Platz", "2200": "Anschlussflaeche",
    "2300": "LandwirtschaftlicherVerkehr", "2400": "Verkehrsgruen", "2500": "Rastanlage",
    "2600": "Busbahnhof", "3000": "CarSharing", "3100": "BikeSharing", "3200": "B_RAnlage",
    "3300": "Parkhaus", "3400": "Mischverkehrsflaeche", "3500": "Ladestation", "9999": "Sonstiges",
}
NUTZUNGSFORM = {"1000": "Privat", "2000": "Oeffentlich"}
EXTERNE_REFERENZ_KARTE = "1070"  # XP_ExterneReferenzTyp "Karte"
#: XP_ArtHoehenbezugspunkt codes that bound a building's top: TH, FH, OK, HBA, GBH, WH.
HOEHE_OBERKANTE = {"1000", "2000", "3000", "5000", "6000", "6500"}
#: XP_ArtHoehenbezug: absolute heights (NHN/NN/DHHN) versus heights above a local reference.
HOEHE_ABSOLUT = {"1000", "1100", "1200"}
HOEHE_RELATIV = {"2000", "2500", "3000", "3500", "4000"}

# Classes read into each layer.  SO_Strassenverkehr is how 6.0 plans carry
# (nachrichtlich übernommene) road areas; it is kept with its own xplan_class.
VERKEHR_CLASSES = ("BP_StrassenVerkehrsFlaeche", "BP_VerkehrsflaecheBesondererZweckbestimmung", "SO_Strassenverkehr")
BAUGRENZE_CLASSES = {"BP_BauGrenze": "Baugrenze", "BP_BauLinie": "Baulinie"}
TEXT_CLASSES = ("BP_TextAbschnitt", "XP_TextAbschnitt")
#: Objects that are presentation or plumbing, not plan content: never reported as "not imported".
_NOT_PLAN_CONTENT = re.compile(
    r"^(XP_(PPO|PTO|LPO|LTO|FPO|Praesentationsobjekt|Nutzungsschablone|Rasterdarstellung|BegruendungAbschnitt)"
    r"|BP_Plan|BP_Bereich|BP_TextAbschnitt|XP_TextAbschnitt)$"
)
#: Maß der baulichen Nutzung: XPlanGML element -> column (real or integer).
MASS_REAL = {
    "GRZ": "grz", "GRZmin": "grz_min", "GRZmax": "grz_max",
    "GFZ": "gfz", "GFZmin": "gfz_min", "GFZmax": "gfz_max",
    "GR": "gr", "GRmin": "gr_min", "GRmax": "gr_max",
    "GF": "gf", "GFmin": "gf_min", "GFmax": "gf_max",
    "BMZ": "bmz",
}
MASS_INT = {"Z": "z", "Zmin": "z_min", "Zmax": "z_max", "Zzwingend": "z_zwingend"}


# =========================================================================== small XML helpers


def _local(el) -> str:
    tag = el.tag
    if not isinstance(tag, str):
        return ""
    # "{namespace}name" -> "name"; called ~300 000 times per batch of plans, so no QName object
    return tag[tag.index("}") + 1:] if tag[:1] == "{" else tag


def _is_gml(el) -> bool:
    tag = el.tag
    return isinstance(tag, str) and tag.startswith("{http://www.opengis.net/gml")


# "{*}name": lxml matches the local name in any namespace (or none) in C, not element by element in Python.

def _children(el, name: str) -> list:
    return list(el.iterchildren("{*}" + name))


def _child(el, name: str):
    return next(el.iterchildren("{*}" + name), None)


def _clean(text: str | None, multiline: bool = False) -> str | None:
    """Strip a text value; long texts keep their line breaks, short ones are one line."""
    if text is None:
        return None
    if multiline:
        lines = [line.strip() for line in text.strip().splitlines()]
        text = "\n".join(lines)
    else:
        text = " ".join(text.split())
    return text or None


def _text(el, name: str, multiline: bool = False) -> str | None:
    c = _child(el, name)
    return _clean(c.text, multiline) if c is not None else None


def _texts(el, name: str) -> list[str]:
    return [t for t in (_clean(c.text) for c in _children(el, name)) if t]


def _deep_texts(el, name: str) -> list[str]:
    """Texts of every descendant ``name`` outside geometries (6.0 nests values in data types)."""
    out = []
    for c in el.iter("{*}" + name):
        inside_geometry = False
        for a in c.iterancestors():
            if a is el:
                break
            inside_geometry = inside_geometry or _is_gml(a)
        value = _clean(c.text)
        if value and not inside_geometry:
            out.append(value)
    return out


def _ref_id(href: str | None) -> str | None:
    """``#GML_abc`` or ``file.gml#GML_abc`` -> ``GML_abc``."""
    if not href:
        return None
    return href.rsplit("#", 1)[-1].strip() or None


def _hrefs(el, name: str) -> list[str]:
    return [r for r in (_ref_id(c.get(XLINK_HREF)) for c in _children(el, name)) if r]


def _gml_id(el) -> str | None:
    for ns in GML_NAMESPACES:
        value = el.get(f"{{{ns}}}id")
        if value:
            return value
    return None


def xplan_version(root) -> str:
    """XPlanung version of a parsed document, e.g. ``"5.2"``; raises ValueError for non-XPlanGML.

    The root of an XPlanAuszug is in the XPlanung namespace; a WFS/GML
    FeatureCollection wrapping XPlanung features declares it somewhere below.
    """
    if hasattr(root, "getroot"):
        root = root.getroot()
    namespaces = [etree.QName(root).namespace or ""]
    namespaces += [ns for ns in (root.nsmap or {}).values() if ns]
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        namespaces.append(etree.QName(el).namespace or "")
        if len(namespaces) > 200:  # the features come early; no need to walk a big file
            break
    for ns in namespaces:
        match = _XPLAN_NS.match(ns)
        if match:
            return f"{match.group(1)}.{match.group(2)}"
    raise ValueError(f"root element is {root.tag} and no XPlanung namespace is declared")


# =========================================================================== geometry


class _GeometryError(Exception):
    """A GML geometry could not be read; turned into XPlanError with file and gml:id."""


def _srs_dimension(el) -> int:
    for node in (el, *el.iterancestors()):
        value = node.get("srsDimension")
        if value:
            return int(value)
    return 2


def _numbers(text: str | None) -> np.ndarray:
    try:
        return np.array((text or "").split(), dtype=float)
    except ValueError as err:
        raise _GeometryError(f"coordinates are not numbers ({err})") from None


def _pos_list(el) -> np.ndarray:
    values = _numbers(el.text)
    dim = _srs_dimension(el)
    if values.size == 0 or values.size % dim:
        raise _GeometryError(f"posList with {values.size} numbers does not fit dimension {dim}")
    return values.reshape(-1, dim)[:, :2]


def _gml2_coordinates(el) -> np.ndarray:
    cs, ts, dec = el.get("cs", ","), el.get("ts", " "), el.get("decimal", ".")
    rows = []
    for tup in (el.text or "").strip().split(ts if ts.strip() else None):
        if not tup:
            continue
        parts = [p.replace(dec, ".") for p in tup.split(cs)]
        try:
            rows.append([float(parts[0]), float(parts[1])])
        except (ValueError, IndexError):
            raise _GeometryError(f"unreadable gml:coordinates tuple {tup!r}") from None
    if not rows:
        raise _GeometryError("empty gml:coordinates")
    return np.array(rows)


def _direct_coords(el) -> np.ndarray:
    """Coordinates held directly by a LineString, LinearRing, segment or Point."""
    pos_list = _child(el, "posList")
    if pos_list is not None:
        return _pos_list(pos_list)
    coordinates = _child(el, "coordinates")
    if coordinates is not None:
        return _gml2_coordinates(coordinates)
    points = []
    for c in el:
        name = _local(c)
        if name == "pos":
            points.append(_pos_list(c)[0])
        elif name in ("pointProperty", "pointRep"):
            point = _child(c, "Point")
            if point is None:
                raise _GeometryError(f"gml:{name} without an inline gml:Point")
            points.append(_direct_coords(point)[0])
    if not points:
        raise _GeometryError(f"gml:{_local(el)} has no coordinates")
    return np.array(points)


def _arc(p0, p1, p2, full_circle: bool = False) -> np.ndarray:
    """Points along the circular arc through p0, p1, p2 (or the full circle through them)."""
    ax, ay = p1[0] - p0[0], p1[1] - p0[1]
    bx, by = p2[0] - p0[0], p2[1] - p0[1]
    cross = ax * by - ay * bx
    if abs(cross) <= 1e-12 * max(math.hypot(ax, ay) * math.hypot(bx, by), 1e-300):
        return np.array([p0, p1, p2])  # collinear: a straight line, not an arc
    # Centre relative to p0 (shifting first keeps precision with UTM-sized coordinates).
    d = 2.0 * cross
    a2, b2 = ax * ax + ay * ay, bx * bx + by * by
    ux, uy = (by * a2 - ay * b2) / d, (ax * b2 - bx * a2) / d
    cx, cy = p0[0] + ux, p0[1] + uy
    radius = math.hypot(ux, uy)
    t0 = math.atan2(p0[1] - cy, p0[0] - cx)
    t2 = math.atan2(p2[1] - cy, p2[0] - cx)
    ccw = cross > 0  # a left turn p0 -> p1 -> p2 means counter-clockwise travel
    if full_circle:
        sweep = 2 * math.pi if ccw else -2 * math.pi
    elif ccw:
        sweep = (t2 - t0) % (2 * math.pi)
    else:
        sweep = -((t0 - t2) % (2 * math.pi))
    return _arc_by_center(cx, cy, radius, t0, sweep, p0, None if full_circle else p2)


def _arc_by_center(cx, cy, radius, t0, sweep, start=None, end=None) -> np.ndarray:
    tolerance = min(ARC_TOLERANCE, radius * 1e-3)
    step = math.radians(ARC_MAX_STEP_DEG)
    if radius > tolerance:
        step = min(step, 2 * math.acos(1 - tolerance / radius))
    n = min(max(2, math.ceil(abs(sweep) / step)), 2000)
    angles = t0 + np.linspace(0.0, sweep, n + 1)
    pts = np.column_stack([cx + radius * np.cos(angles), cy + radius * np.sin(angles)])
    if start is not None:  # keep the exact given end points so rings close and curves join
        pts[0] = start
    if end is not None:
        pts[-1] = end
    elif abs(abs(sweep) - 2 * math.pi) < 1e-12:
        pts[-1] = pts[0]
    return pts


def _angle(el, name: str) -> float:
    """An angle of an ArcByCenterPoint in radians (GML gives degrees unless uom says rad)."""
    c = _child(el, name)
    if c is None:
        return 0.0
    value = float(c.text)
    return value if (c.get("uom") or "").lower().startswith("rad") else math.radians(value)


def _segment_coords(seg) -> np.ndarray:
    name = _local(seg)
    if name in ("LineStringSegment", "LineString"):
        return _direct_coords(seg)
    if name in ("Arc", "ArcString", "Circle"):
        pts = _direct_coords(seg)
        if len(pts) < 3 or (len(pts) - 1) % 2:
            raise _GeometryError(f"gml:{name} needs 2n+1 points, has {len(pts)}")
        if name == "Circle":
            return _arc(pts[0], pts[1], pts[2], full_circle=True)
        parts = [_arc(pts[i], pts[i + 1], pts[i + 2]) for i in range(0, len(pts) - 2, 2)]
        return _join(parts)
    if name in ("ArcByCenterPoint", "CircleByCenterPoint"):
        centre = _direct_coords(seg)[0]
        radius_el = _child(seg, "radius")
        if radius_el is None:
            raise _GeometryError(f"gml:{name} without radius")
        radius = float(radius_el.text)
        if name == "CircleByCenterPoint":
            return _arc_by_center(centre[0], centre[1], radius, 0.0, 2 * math.pi)
        start, end = _angle(seg, "startAngle"), _angle(seg, "endAngle")
        return _arc_by_center(centre[0], centre[1], radius, start, end - start)
    raise _GeometryError(f"unsupported curve segment gml:{name}")


def _join(parts: list[np.ndarray]) -> np.ndarray:
    """Concatenate coordinate runs, dropping the repeated point where they meet."""
    out = [parts[0]]
    for part in parts[1:]:
        if len(part) and np.allclose(out[-1][-1], part[0], rtol=0, atol=1e-9):
            part = part[1:]
        out.append(part)
    return np.vstack(out)


class _GmlReader:
    """Turns GML geometry elements into shapely geometries (source coordinates)."""

    def __init__(self, by_id: dict):
        self.by_id = by_id  # every element with a gml:id, for xlink:href'd geometries
        self.notes: list[str] = []  # degenerate parts skipped while reading

    def _inline(self, prop):
        """The geometry element inside a property (``exterior``, ``curveMember`` ...)."""
        for c in prop:
            if isinstance(c.tag, str):
                return c
        target = self.by_id.get(_ref_id(prop.get(XLINK_HREF)))
        if target is None:
            raise _GeometryError(f"gml:{_local(prop)} holds no geometry")
        return target

    def _members(self, el, single: str, plural: str) -> list:
        out = [self._inline(m) for m in _children(el, single)]
        for m in _children(el, plural):
            out.extend(c for c in m if isinstance(c.tag, str))
        return out

    # ---- curves
    def curve_coords(self, el) -> np.ndarray:
        name = _local(el)
        if name in ("LineString", "LinearRing"):
            return _direct_coords(el)
        if name == "Curve":
            segments = _child(el, "segments")
            if segments is None or not len(segments):
                raise _GeometryError("gml:Curve without segments")
            return _join([_segment_coords(s) for s in segments if isinstance(s.tag, str)])
        if name == "OrientableCurve":
            base = self.curve_coords(self._inline(_child(el, "baseCurve")))
            return base[::-1] if el.get("orientation", "+") == "-" else base
        if name in ("CompositeCurve", "Ring"):
            members = [self._inline(m) for m in _children(el, "curveMember")]
            if not members:
                raise _GeometryError(f"gml:{name} without curveMember")
            return _join([self.curve_coords(m) for m in members])
        raise _GeometryError(f"unsupported curve gml:{name}")

    def ring(self, prop) -> np.ndarray | None:
        coords = self.curve_coords(self._inline(prop))
        if len(np.unique(coords, axis=0)) < 3:
            self.notes.append("degenerate ring (fewer than 3 distinct points) skipped")
            return None
        return coords

    # ---- surfaces
    def polygon(self, el) -> Polygon:
        exterior = _child(el, "exterior") if _child(el, "exterior") is not None else _child(el, "outerBoundaryIs")
        if exterior is None:
            return Polygon()
        shell = self.ring(exterior)
        if shell is None:
            return Polygon()
        holes = [h for h in (self.ring(i) for i in _children(el, "interior") + _children(el, "innerBoundaryIs"))
                 if h is not None]
        return Polygon(shell, holes)

    def polygons(self, el) -> list[Polygon]:
        """Every polygon a surface-like element is made of."""
        name = _local(el)
        if name in ("Polygon", "PolygonPatch", "Rectangle", "Triangle"):
            return [self.polygon(el)]
        if name == "Surface":
            patches = _child(el, "patches")
            if patches is None:
                raise _GeometryError("gml:Surface without patches")
            return [p for patch in patches if isinstance(patch.tag, str) for p in self.polygons(patch)]
        if name == "OrientableSurface":
            return self.polygons(self._inline(_child(el, "baseSurface")))
        if name in ("MultiSurface", "CompositeSurface", "Shell"):
            return [p for m in self._members(el, "surfaceMember", "surfaceMembers") for p in self.polygons(m)]
        if name == "MultiPolygon":  # GML 2
            return [p for m in self._members(el, "polygonMember", "polygonMembers") for p in self.polygons(m)]
        raise _GeometryError(f"unsupported surface gml:{name}")

    # ---- any geometry
    def geometry(self, el) -> BaseGeometry:
        name = _local(el)
        if name == "Point":
            return Point(_direct_coords(el)[0])
        if name == "MultiPoint":
            return MultiPoint([self.geometry(m) for m in self._members(el, "pointMember", "pointMembers")])
        if name in ("LineString", "Curve", "OrientableCurve", "CompositeCurve", "LinearRing", "Ring"):
            return LineString(self.curve_coords(el))
        if name in ("MultiCurve", "MultiLineString"):
            members = self._members(el, "curveMember", "curveMembers") + self._members(
                el, "lineStringMember", "lineStringMembers")
            return MultiLineString([self.curve_coords(m) for m in members])
        if name in ("Polygon", "Surface", "OrientableSurface", "PolygonPatch"):
            polys = [p for p in self.polygons(el) if not p.is_empty]
            if len(polys) == 1:
                return polys[0]
            return shapely.union_all(polys) if polys else Polygon()
        if name in ("CompositeSurface", "Shell"):  # one surface made of adjoining patches
            polys = [p for p in self.polygons(el) if not p.is_empty]
            return shapely.union_all(polys) if polys else Polygon()
        if name in ("MultiSurface", "MultiPolygon"):
            return MultiPolygon([p for p in self.polygons(el) if not p.is_empty])
        if name == "MultiGeometry":
            members = self._members(el, "geometryMember", "geometryMembers")
            return GeometryCollection([self.geometry(m) for m in members])
        raise _GeometryError(f"unsupported geometry gml:{name}")


# =========================================================================== CRS


_SRS_PATTERNS = (
    re.compile(r"EPSG:(?:[\d.]*:)?(\d+)", re.IGNORECASE),  # EPSG:25832, urn:ogc:def:crs:EPSG::25832
    re.compile(r"/EPSG/[\d.]+/(\d+)", re.IGNORECASE),  # http://www.opengis.net/def/crs/EPSG/0/25832
    re.compile(r"epsg\.xml#(\d+)", re.IGNORECASE),  # http://www.opengis.net/gml/srs/epsg.xml#25832
)
_ADV_SRS = {  # German AdV CRS names (vertical datum after a '*')
    "ETRS89_UTM32": 25832, "ETRS89_UTM33": 25833, "DE_DHDN_3GK2": 31466,
    "DE_DHDN_3GK3": 31467, "DE_DHDN_3GK4": 31468, "DE_DHDN_3GK5": 31469,
    "ETRS89_LAT-LON": 4258, "ETRS89_LAT_LON": 4258,
}


def epsg_of_srs_name(srs_name: str | None) -> int | None:
    """EPSG code named by a GML ``srsName``, or None if it names none we know."""
    if not srs_name:
        return None
    for pattern in _SRS_PATTERNS:
        match = pattern.search(srs_name)
        if match:
            return int(match.group(1))
    for adv, code in _ADV_SRS.items():
        if adv.lower() in srs_name.lower():
            return code
    return None


_THREAD = threading.local()


def _crs(epsg: int) -> CRS:
    """This thread's CRS object of an EPSG code (parsing "EPSG:25832" anew costs more than a small frame)."""
    cache = getattr(_THREAD, "crs", None)
    if cache is None:
        cache = _THREAD.crs = {}
    crs = cache.get(epsg)
    if crs is None:
        crs = cache[epsg] = CRS.from_epsg(epsg)
    return crs


def _transformer(src: int, dst: int) -> Transformer:
    """A cached transformer of this thread (pyproj objects must not be shared between threads)."""
    cache = getattr(_THREAD, "transformers", None)
    if cache is None:
        cache = _THREAD.transformers = {}
    transformer = cache.get((src, dst))
    if transformer is None:
        transformer = cache[(src, dst)] = Transformer.from_crs(src, dst, always_xy=True)
    return transformer


@lru_cache(maxsize=64)
def _plausible_box(epsg: int) -> tuple[float, float, float, float] | None:
    """Generous bounds (source CRS, x/y order) where coordinates of ``epsg`` can lie."""
    crs = CRS.from_epsg(epsg)
    aou = crs.area_of_use
    if aou is None:
        return None
    west, south, east, north = aou.bounds
    box = (max(west - 3, -180), max(south - 3, -90), min(east + 3, 180), min(north + 3, 90))
    if crs.is_geographic:
        return box
    return _transformer(4326, epsg).transform_bounds(*box, densify_pts=21)


def _inside(bounds, box) -> bool:
    return box[0] <= bounds[0] and bounds[2] <= box[2] and box[1] <= bounds[1] and bounds[3] <= box[3]


def _area_m2(geom: BaseGeometry | None, crs: CRS) -> float | None:
    if geom is None or geom.is_empty:
        return None
    if crs.is_projected:
        return float(geom.area)
    return float(abs(Geod(ellps="WGS84").geometry_area_perimeter(geom)[0]))


# =========================================================================== the document


@dataclass
class _Context:
    """What every step needs: the file, its version, the target CRS and the gml:id index."""

    path: Path
    label: str  # "LA22_5-2/xplan.gml", used in messages and as source_file
    version: str
    epsg: int
    target_crs: CRS
    default_srs: str | None
    by_id: dict
    swapped_srs: set = field(default_factory=set)
    outside_warned: set = field(default_factory=set)

    def fail(self, reason: str) -> XPlanError:
        return XPlanError(f"{self.label}: {reason}")


def _label(path: Path) -> str:
    return f"{path.parent.name}/{path.name}" if path.parent.name else path.name


def _parse(path: Path, label: str):
    if not path.exists():
        raise XPlanError(f"{label}: file not found ({path})")
    if not path.is_file():
        raise XPlanError(f"{label}: not a file ({path})")
    parser = etree.XMLParser(huge_tree=True, resolve_entities=False, no_network=True, remove_comments=True)
    try:
        return etree.parse(str(path), parser).getroot()
    except etree.XMLSyntaxError as err:
        raise XPlanError(f"{label}: not well-formed XML ({err})") from None
    except OSError as err:
        raise XPlanError(f"{label}: cannot be read ({err})") from None


def _features(root, xplan_ns: str) -> list:
    """The XPlanung features: elements of the XPlanung namespace that carry a gml:id
    directly below a feature member (or the root)."""
    out = []
    for el in root.iter(f"{{{xplan_ns}}}*"):  # the namespace test in C: most elements are not XPlanung's
        if _gml_id(el) is None:
            continue
        parent = el.getparent()
        if parent is None:
            continue
        if parent is root or _local(parent) in ("featureMember", "featureMembers", "member"):
            out.append(el)
    return out


def _default_srs(root) -> str | None:
    """srsName of the document's own boundedBy (or root), the CRS of geometries that name none."""
    if root.get("srsName"):
        return root.get("srsName")
    bounded = _child(root, "boundedBy")
    if bounded is not None:
        for el in bounded.iter():
            if isinstance(el.tag, str) and el.get("srsName"):
                return el.get("srsName")
    return None


def _geometry_srs(geom_el, feature, ctx: _Context) -> str | None:
    if geom_el.get("srsName"):
        return geom_el.get("srsName")
    for el in geom_el.iter():  # some writers name it only on the posList
        if isinstance(el.tag, str) and el.get("srsName"):
            return el.get("srsName")
    for anc in geom_el.iterancestors():
        if anc.get("srsName"):
            return anc.get("srsName")
    bounded = _child(feature, "boundedBy")
    if bounded is not None:
        for el in bounded.iter():
            if isinstance(el.tag, str) and el.get("srsName"):
                return el.get("srsName")
    return ctx.default_srs


def _read_geometry(prop, feature, ctx: _Context, warnings: list[str]) -> BaseGeometry | None:
    """The geometry in property element ``prop`` of ``feature``, in the target CRS."""
    if prop is None:
        return None
    fid = _gml_id(feature)
    reader = _GmlReader(ctx.by_id)
    geom_el = None
    try:
        geom_el = reader._inline(prop)
        geom = reader.geometry(geom_el)
    except (_GeometryError, ValueError, TypeError, IndexError, shapely.errors.ShapelyError) as err:
        where = f"{_local(feature)} {fid}"
        if geom_el is not None and _gml_id(geom_el):
            where += f" (gml:{_local(geom_el)} {_gml_id(geom_el)})"
        raise ctx.fail(f"cannot read the geometry of {where}: {err}") from None
    for note in dict.fromkeys(reader.notes):
        warnings.append(f"{fid}: {note}")
    srs = _geometry_srs(geom_el, feature, ctx)
    src = epsg_of_srs_name(srs)
    if src is None:
        raise ctx.fail(f"geometry of {fid} has no usable srsName ({srs!r})")
    return _to_target(geom, src, fid, ctx, warnings)


def _to_target(geom: BaseGeometry, src: int, fid: str, ctx: _Context, warnings: list[str],
               check_axes: bool = True) -> BaseGeometry:
    if geom.is_empty:
        return geom
    if check_axes:
        geom = _check_axis_order(geom, src, fid, ctx, warnings)
    if src == ctx.epsg:
        return geom
    tr = _transformer(src, ctx.epsg)

    def project(xy: np.ndarray) -> np.ndarray:
        x, y = tr.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    out = shapely.transform(geom, project)
    if not np.isfinite(shapely.get_coordinates(out)).all():
        raise ctx.fail(f"geometry of {fid} cannot be transformed from EPSG:{src} to EPSG:{ctx.epsg}")
    return out


def _check_axis_order(geom, src: int, fid: str, ctx: _Context, warnings: list[str]):
    """Swap x/y when coordinates only make sense swapped (a writer that used northing first)."""
    if src in ctx.swapped_srs:
        return shapely.transform(geom, lambda xy: xy[:, ::-1])
    box = _plausible_box(src)
    if box is None or _inside(geom.bounds, box):
        return geom
    swapped = shapely.transform(geom, lambda xy: xy[:, ::-1])
    if _inside(swapped.bounds, box):
        ctx.swapped_srs.add(src)
        warnings.append(f"coordinates in EPSG:{src} are in northing/easting order (first seen at {fid}); swapped")
        return swapped
    if src not in ctx.outside_warned:
        ctx.outside_warned.add(src)
        warnings.append(f"{fid}: coordinates lie outside the area of use of EPSG:{src}; check the srsName")
    return geom


def _polygonal(geom: BaseGeometry | None, fid: str, warnings: list[str]) -> MultiPolygon | None:
    """Valid MultiPolygon of ``geom``; repairs invalid ones (with a warning naming ``fid``)."""
    if geom is None or geom.is_empty:
        return None
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        geom = shapely.make_valid(geom)
        warnings.append(f"{fid}: invalid polygon repaired ({reason})")
    parts = _polygon_parts(geom)
    if not parts:
        warnings.append(f"{fid}: geometry has no polygonal part ({geom.geom_type})")
        return None
    return MultiPolygon(parts)


def _polygon_parts(geom) -> list[Polygon]:
    if geom.geom_type == "Polygon":
        return [] if geom.is_empty else [geom]
    if hasattr(geom, "geoms"):
        return [p for g in geom.geoms for p in _polygon_parts(g)]
    return []


def _any_geometry(geom: BaseGeometry | None, fid: str, warnings: list[str]) -> BaseGeometry | None:
    """Lines and points as they are; polygons repaired like :func:`_polygonal`."""
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return _polygonal(geom, fid, warnings)
    if geom.geom_type == "GeometryCollection":
        return _polygonal(geom, fid, warnings) if _polygon_parts(geom) else geom
    return geom


# =========================================================================== values


def _decode(table: dict, code: str | None, what: str, unknown: Counter) -> str | None:
    """Name for ``code`` in ``table``; unknown codes stay as they are and are counted for a warning."""
    if code is None:
        return None
    if code in table:
        return table[code]
    if code in table.values():  # some writers put the name itself
        return code
    unknown[(what, code)] += 1
    return code


def _number(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _date(text: str | None) -> str | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        return None


def _rechtscharakter(el, version: str, unknown: Counter) -> str | None:
    code = _text(el, "rechtscharakter")
    if version.startswith("6"):
        table = RECHTSCHARAKTER_XP6
    elif _local(el).startswith("SO_"):
        table = RECHTSCHARAKTER_SO
    else:
        table = RECHTSCHARAKTER_BP
    return _decode(table, code, "rechtscharakter", unknown)


def _zweckbestimmung(el, table: dict, unknown: Counter) -> str | None:
    """5.x: codes directly in ``zweckbestimmung``; 6.0: inside ``BP_KomplexeZweckbest*/allgemein``."""
    codes = []
    for z in _children(el, "zweckbestimmung"):
        if len(z):
            codes.extend(_deep_texts(z, "allgemein"))
        elif _clean(z.text):
            codes.append(_clean(z.text))
    names = [_decode(table, c, "zweckbestimmung", unknown) for c in codes]
    return ", ".join(dict.fromkeys(names)) or None


def _heights(el) -> tuple[float | None, float | None]:
    """Highest building-top height in the ``hoehenangabe`` of ``el``: (relative m, absolute m NHN)."""
    rel, abs_ = [], []
    for h in el.iter():
        if not isinstance(h.tag, str) or _local(h) != "XP_Hoehenangabe":
            continue
        if _text(h, "bezugspunkt") not in HOEHE_OBERKANTE:
            continue  # terrain or street levels (Geländepunkt) are no building heights
        value = next((v for v in (_number(_text(h, n)) for n in ("hMax", "hZwingend", "h")) if v is not None), None)
        bezug = _text(h, "hoehenbezug")
        if value is None:
            continue
        if bezug in HOEHE_RELATIV:
            rel.append(value)
        elif bezug in HOEHE_ABSOLUT:
            abs_.append(value)
    return (max(rel) if rel else None), (max(abs_) if abs_ else None)


# =========================================================================== per-class rows


def _common(el, plan_id: str, bereich_id: str | None, ctx: _Context, unknown: Counter) -> dict:
    return {
        "id": _gml_id(el),
        "plan_id": plan_id,
        "bereich_id": bereich_id,
        "rechtscharakter": _rechtscharakter(el, ctx.version, unknown),
        "xplan_class": _local(el),
    }


def _baugebiet_row(el, unknown: Counter, zeros: Counter) -> dict:
    row = {}
    allg = _text(el, "allgArtDerBaulNutzung")
    besondere = _text(el, "besondereArtDerBaulNutzung")
    row["allg_art_der_baulichen_nutzung"] = _decode(ALLG_ART, allg, "allgArtDerBaulNutzung", unknown)
    row["besondere_art_der_baulichen_nutzung"] = _decode(
        BESONDERE_ART, besondere, "besondereArtDerBaulNutzung", unknown)
    row["art_code"] = BESONDERE_ART_CODE.get(besondere) or ALLG_ART_CODE.get(allg)
    for name, column in {**MASS_REAL, **MASS_INT}.items():
        values = _deep_texts(el, name) if _child(el, name) is None else [_text(el, name)]
        value = _number(values[0]) if values else None
        if value == 0:
            zeros[name] += 1
            value = None
        if value is not None and column in MASS_INT.values():
            value = int(round(value))
        row[column] = value
    bauweise = _text(el, "bauweise")
    row["bauweise_code"] = bauweise
    row["bauweise"] = _decode(BAUWEISE, bauweise, "bauweise", unknown)
    arten = [_decode(BEBAUUNGSART, c, "bebauungsArt", unknown) for c in _texts(el, "bebauungsArt")]
    row["bebauungsart"] = ", ".join(dict.fromkeys(arten)) or None
    dach = [_decode(DACHFORM, c, "dachform", unknown) for c in _deep_texts(el, "dachform")]
    row["dachform"] = ", ".join(dict.fromkeys(dach)) or None
    wohnungen = _number(_text(el, "MaxZahlWohnungen"))
    row["max_zahl_wohnungen"] = int(wohnungen) if wohnungen else None
    row["h_max"], row["h_max_nhn"] = _heights(el)
    return row


def _plan_row(el, ctx: _Context, unknown: Counter, imported_at: str) -> dict:
    start = sorted(d for d in (_date(t) for t in _texts(el, "auslegungsStartDatum")) if d)
    end = sorted(d for d in (_date(t) for t in _texts(el, "auslegungsEndDatum")) if d)
    gemeinden = []
    for g in _children(el, "gemeinde"):
        gemeinden.extend(_deep_texts(g, "gemeindeName"))
    planarten = [_decode(PLANART, c, "planArt", unknown) for c in _texts(el, "planArt")]
    rechtsstand = _text(el, "rechtsstand")
    return {
        "id": _gml_id(el),
        "plan_id": _gml_id(el),
        "name": _text(el, "name"),
        "nummer": _text(el, "nummer"),
        "beschreibung": _text(el, "beschreibung", multiline=True),
        "gemeinde": ", ".join(dict.fromkeys(gemeinden)) or None,
        "planart": ", ".join(dict.fromkeys(planarten)) or None,
        "rechtsstand": _decode(RECHTSSTAND, rechtsstand, "rechtsstand", unknown),
        "rechtsstand_code": rechtsstand,
        "aufstellungsbeschluss_datum": _date(_text(el, "aufstellungsbeschlussDatum")),
        "auslegung_start_datum": start[0] if start else None,
        "auslegung_end_datum": end[-1] if end else None,
        "satzungsbeschluss_datum": _date(_text(el, "satzungsbeschlussDatum")),
        "inkrafttretens_datum": _date(_text(el, "inkrafttretensDatum")),
        "rechtsverordnungs_datum": _date(_text(el, "rechtsverordnungsDatum")),
        "xplan_version": ctx.version,
        "source_file": ctx.label,
        "imported_at": imported_at,
    }


def _gesetzliche_grundlage(el) -> str | None:
    g = _child(el, "gesetzlicheGrundlage")
    if g is None:
        return None
    if not len(g):  # 5.x: a code list value
        return _clean(g.text)
    parts = [t for n in ("name", "detail", "datum") for t in _deep_texts(g, n)]  # 6.0: XP_GesetzlicheGrundlage
    return ", ".join(parts) or None


# =========================================================================== plan assignment


@dataclass
class _Membership:
    """Which plan (and Bereich) every object of the document belongs to."""

    plan_of_bereich: dict[str, str]
    bereiche_of_plan: dict[str, list]
    objects: dict[str, list]  # plan_id -> [(element, bereich_id)]
    texts: dict[str, list]  # plan_id -> [text elements, document order]
    rasters: dict[str, list]  # plan_id -> [XP_Rasterdarstellung elements]
    warnings: list[str]


def _assign(features: list, plans: list, ctx: _Context) -> _Membership:
    plan_ids = [_gml_id(p) for p in plans]
    plan_of_bereich: dict[str, str] = {}
    for plan in plans:
        for b in _hrefs(plan, "bereich"):
            plan_of_bereich[b] = _gml_id(plan)
    bereich_of_object: dict[str, str] = {}
    bereiche: dict[str, object] = {}
    for f in features:
        if _local(f) != "BP_Bereich":
            continue
        bid = _gml_id(f)
        bereiche[bid] = f
        owner = next(iter(_hrefs(f, "gehoertZuPlan")), None)
        if owner in plan_ids:
            plan_of_bereich[bid] = owner
        for obj in _hrefs(f, "planinhalt") + _hrefs(f, "nachrichtlich"):
            bereich_of_object.setdefault(obj, bid)
    bereiche_of_plan = defaultdict(list)
    for bid, el in bereiche.items():
        if bid in plan_of_bereich:
            bereiche_of_plan[plan_of_bereich[bid]].append(el)
    warnings = [f"BP_Bereich {bid} belongs to no BP_Plan of the file; its objects are not imported"
                for bid in bereiche if bid not in plan_of_bereich]

    single = plan_ids[0] if len(plan_ids) == 1 else None
    objects, texts = defaultdict(list), defaultdict(list)
    orphans, text_elements = [], []
    for f in features:
        name, fid = _local(f), _gml_id(f)
        if name in TEXT_CLASSES:
            text_elements.append(f)
            continue
        if _NOT_PLAN_CONTENT.match(name):  # plans, Bereiche, presentation objects, Begründung
            continue
        bid = next(iter(_hrefs(f, "gehoertZuBereich")), None) or bereich_of_object.get(fid)
        if bid in bereiche and bid not in plan_of_bereich:
            continue  # its Bereich has no plan: reported once for the Bereich above
        owner = plan_of_bereich.get(bid) if bid else None
        if owner is None and single:
            owner = single  # a plan without Bereiche, or a reference to a Bereich the file lacks
        if owner is None:
            orphans.append(fid)
            continue
        objects[owner].append((f, bid if bid in bereiche else None))

    # Texts: BP_Plan.texte, else the plan whose objects cite them (refTextInhalt), else the only plan.
    plan_of_text = {t: _gml_id(p) for p in plans for t in _hrefs(p, "texte")}
    for owner, members in objects.items():
        for el, _ in members:
            for t in _hrefs(el, "refTextInhalt"):
                plan_of_text.setdefault(t, owner)
    for t in text_elements:
        owner = plan_of_text.get(_gml_id(t)) or single
        if owner:
            texts[owner].append(t)
        else:
            orphans.append(_gml_id(t))
    # XP_Rasterdarstellung (5.x): referenced by BP_Bereich.rasterBasis, or the only plan's.
    plan_of_raster = {r: plan_of_bereich[bid] for bid, b in bereiche.items() if bid in plan_of_bereich
                      for r in _hrefs(b, "rasterBasis")}
    rasters = defaultdict(list)
    for f in features:
        if _local(f) == "XP_Rasterdarstellung":
            owner = plan_of_raster.get(_gml_id(f)) or single
            if owner:
                rasters[owner].append(f)
            else:
                orphans.append(_gml_id(f))
    if orphans:
        warnings.append(f"{len(orphans)} object(s) belong to no BP_Plan and are not imported: "
                        + ", ".join(orphans[:5]) + (" ..." if len(orphans) > 5 else ""))
    return _Membership(plan_of_bereich, bereiche_of_plan, objects, texts, rasters, warnings)


# =========================================================================== rasters


_RASTER_SUFFIXES = {".png", ".tif", ".tiff", ".jpg", ".jpeg", ".gif", ".bmp", ".jp2", ".ecw"}
_WORLD_SUFFIXES = {".png": (".pgw", ".pngw"), ".tif": (".tfw", ".tifw"), ".tiff": (".tfw", ".tiffw"),
                   ".jpg": (".jgw", ".jpgw"), ".jpeg": (".jgw", ".jpegw"), ".gif": (".gfw",), ".bmp": (".bpw",)}


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
    holders += [s for b in bereiche for basis in _children(b, "rasterBasis") if len(basis)
                for s in basis.iter() if isinstance(s.tag, str) and _local(s) == "refScan"]  # inline
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
    unique = {}
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

    mx, my = _transformer(src_epsg, 3857).transform(np.asarray(xs), np.asarray(ys))
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
    reproject(rgba, out, src_transform=src_transform, src_crs=src_crs,
              dst_transform=dst_transform, dst_crs=RioCRS.from_epsg(3857),
              resampling=Resampling.nearest, src_nodata=None, dst_nodata=None, num_threads=WARP_THREADS)
    out_png.parent.mkdir(parents=True, exist_ok=True)
    with pywarnings.catch_warnings():
        pywarnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(out_png, "w", driver="PNG", width=dst_w, height=dst_h, count=4, dtype="uint8") as dst:
            dst.write(out)
    return footprint, src_epsg, (left, bottom, right, top), dst_w, dst_h


def _safe_stem(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "raster"


def _raster_rows(plan_id: str, refs: list[_RasterRef], native_epsg: int | None, ctx: _Context,
                 raster_dir: Path | None, url_prefix: str, warnings: list[str]) -> list[dict]:
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
        except Exception as err:  # a broken image is the raster's problem, not the plan's
            warnings.append(f"plan raster {url} could not be warped ({err}); skipped")
            continue
        west, south = _transformer(3857, 4326).transform(box[0], box[1])
        east, north = _transformer(3857, 4326).transform(box[2], box[3])
        geom = _to_target(footprint, src_epsg, f"raster {url}", ctx, warnings, check_axes=False)
        rows.append({
            "id": f"{plan_id}:{stem}",
            "plan_id": plan_id,
            "name": ref.name or Path(url).stem,
            "source_file": f"{ctx.path.parent.name}/{url}" if ctx.path.parent.name else url,
            "image_url": f"{url_prefix}{plan_id}/{stem}.png",
            "bounds_wgs84": json.dumps([[round(south, 7), round(west, 7)], [round(north, 7), round(east, 7)]]),
            "width_px": w,
            "height_px": h,
            "geometry": geom,
        })
    return rows


# =========================================================================== frames


def _frame(layer_id: str, rows: list[dict], epsg: int) -> gpd.GeoDataFrame:
    """GeoDataFrame with the catalogue's column order and types (Int64, float64, object).

    Built column by column from plain lists: a plan has ~10 small frames, and pandas'
    per-column ``astype``/``where`` cost more than the XML parsing did.
    """
    columns = LAYERS[layer_id].columns
    data = {}
    for name, kind in columns.items():
        values = [row.get(name) for row in rows]
        if kind == "integer":
            data[name] = pd.array([None if _missing(v) else v for v in values], dtype="Int64")
        elif kind == "real":
            data[name] = np.array([_real(v) for v in values], dtype="float64")
        else:
            # object, not pandas' "str" dtype: missing values stay None (not NaN) for every store and test
            data[name] = pd.Series([None if _missing(v) else v for v in values], dtype=object)
    geoms = np.empty(len(rows), dtype=object)
    geoms[:] = [row.get("geometry") for row in rows]
    data["geometry"] = gpd.array.GeometryArray(geoms, crs=_crs(epsg))
    return gpd.GeoDataFrame(data, geometry="geometry")


def _real(value) -> float:
    """A number, NaN where missing or not a number (as ``pd.to_numeric(errors="coerce")``)."""
    try:
        return float(value) if value is not None else np.nan
    except (TypeError, ValueError):
        return np.nan


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and value != value)


# =========================================================================== entry point


def read_xplan(path, epsg: int = 25832, raster_dir: Path | None = None,
               raster_url_prefix: str = "rasters/") -> list[PlanImport]:
    """Read an XPlanGML file; one :class:`PlanImport` per BP_Plan, frames in EPSG:``epsg``.

    With ``raster_dir`` the plan images the file references are warped to
    EPSG:3857 PNGs under ``raster_dir/<plan_id>/`` and listed in ``bp_planraster``.
    Raises :class:`XPlanError` (naming the file) when the file cannot be imported.
    """
    path = Path(path)
    label = _label(path)
    root = _parse(path, label)
    try:
        version = xplan_version(root)
    except ValueError:
        raise XPlanError(f"{label}: not an XPlanGML document (root element is {root.tag})") from None
    major = version.split(".")[0]
    xplan_ns = f"http://www.xplanung.de/xplangml/{version.replace('.', '/')}"
    features = _features(root, xplan_ns)
    plans = [f for f in features if _local(f) == "BP_Plan"]
    if not plans:
        found = Counter(_local(f) for f in features if _local(f).endswith("_Plan"))
        other = f" (found {', '.join(found)})" if found else ""
        raise XPlanError(f"{label}: XPlanGML {version} document without any BP_Plan{other}")

    try:
        target_crs = CRS.from_epsg(epsg)
    except Exception as err:
        raise XPlanError(f"{label}: unknown target CRS EPSG:{epsg} ({err})") from None
    by_id = {}
    for el in root.iter():
        if isinstance(el.tag, str):
            gid = _gml_id(el)
            if gid:
                by_id[gid] = el
    ctx = _Context(path=path, label=label, version=version, epsg=epsg, target_crs=target_crs,
                   default_srs=_default_srs(root), by_id=by_id)
    file_warnings = []
    if major not in ("5", "6"):
        file_warnings.append(f"XPlanGML {version} is not a tested version (5.x, 6.0); read as best as possible")
    membership = _assign(features, plans, ctx)
    file_warnings.extend(membership.warnings)
    imported_at = datetime.now(UTC).isoformat(timespec="seconds")

    results = []
    for i, plan in enumerate(plans):
        result = _read_plan(plan, membership, ctx, raster_dir, raster_url_prefix, imported_at)
        if i == 0:
            result.warnings[:0] = file_warnings
        results.append(result)
    return results


def _read_plan(plan, membership: _Membership, ctx: _Context, raster_dir, url_prefix: str,
               imported_at: str) -> PlanImport:
    plan_id = _gml_id(plan)
    warnings: list[str] = []
    unknown: Counter = Counter()
    zeros: Counter = Counter()
    rows: dict[str, list[dict]] = {layer_id: [] for layer_id in XPLAN_LAYERS}

    # -- the plan and its Geltungsbereich
    plan_row = _plan_row(plan, ctx, unknown, imported_at)
    geltungsbereich_prop = _child(plan, "raeumlicherGeltungsbereich")
    geltungsbereich = _polygonal(_read_geometry(geltungsbereich_prop, plan, ctx, warnings), plan_id, warnings)
    if geltungsbereich is None:
        warnings.append(f"{plan_id}: BP_Plan has no raeumlicherGeltungsbereich")
    rows["bp_plan"].append({**plan_row, "geometry": geltungsbereich})
    native_epsg = _native_epsg(geltungsbereich_prop, plan, ctx)

    # -- Bereiche (their own geltungsbereich, else the plan's)
    bereiche = membership.bereiche_of_plan.get(plan_id, [])
    for b in bereiche:
        bid = _gml_id(b)
        geom = _polygonal(_read_geometry(_child(b, "geltungsbereich"), b, ctx, warnings), bid, warnings)
        rows["bp_bereich"].append({
            "id": bid, "plan_id": plan_id, "nummer": _text(b, "nummer"), "name": _text(b, "name"),
            "xplan_class": _local(b), "geometry": geom if geom is not None else geltungsbereich,
        })

    # -- plan content
    not_imported: Counter = Counter()
    height_sources = []  # (geometry, h relative, h absolute) of objects stating building heights
    baugebiete = []
    for el, bid in membership.objects.get(plan_id, []):
        name, fid = _local(el), _gml_id(el)
        layer_id = _layer_of_class(name)
        if layer_id is None:
            if not _NOT_PLAN_CONTENT.match(name):
                not_imported[name] += 1
            heights = _heights(el)
            if heights != (None, None):  # e.g. a BP_UeberbaubareGrundstuecksFlaeche with GBH
                geom = _read_geometry(_child(el, "position"), el, ctx, warnings)
                if geom is not None and not geom.is_empty:
                    height_sources.append((geom, *heights))
            continue
        geom = _read_geometry(_child(el, "position"), el, ctx, warnings)
        if geom is None or geom.is_empty:
            warnings.append(f"{fid}: {name} has no geometry (position); kept without geometry")
        row = _common(el, plan_id, bid, ctx, unknown)
        if layer_id == "bp_baugebiet":
            row.update(_baugebiet_row(el, unknown, zeros))
            row["geometry"] = _polygonal(geom, fid, warnings)
            row["flaeche_m2"] = _area_m2(row["geometry"], ctx.target_crs)
            baugebiete.append(row)
        elif layer_id == "bp_baugrenze":
            row["art"] = BAUGRENZE_CLASSES[name]
        elif layer_id == "bp_verkehrsflaeche":
            row["zweckbestimmung"] = _zweckbestimmung(el, ZWECK_VERKEHR, unknown)
        else:  # bp_gruenflaeche
            row["zweckbestimmung"] = _zweckbestimmung(el, ZWECK_GRUEN, unknown)
            row["nutzungsform"] = _decode(NUTZUNGSFORM, _text(el, "nutzungsform"), "nutzungsform", unknown)
        if "geometry" not in row:
            row["geometry"] = _any_geometry(geom, fid, warnings)
        rows[layer_id].append(row)
    _heights_from_overlays(baugebiete, height_sources)

    # -- texts, in document order, located on the plan's Geltungsbereich
    for n, t in enumerate(membership.texts.get(plan_id, []), start=1):
        rows["bp_textabschnitt"].append({
            "id": _gml_id(t), "plan_id": plan_id, "schluessel": _text(t, "schluessel"),
            "gesetzliche_grundlage": _gesetzliche_grundlage(t), "text": _text(t, "text", multiline=True),
            "rechtscharakter": _rechtscharakter(t, ctx.version, unknown), "sort_key": n,
            "geometry": geltungsbereich,
        })

    # -- plan rasters
    refs = _raster_refs(plan, bereiche, membership.rasters.get(plan_id, []))
    rows["bp_planraster"] = _raster_rows(plan_id, refs, native_epsg, ctx, raster_dir, url_prefix, warnings)

    # -- summary warnings
    if zeros:
        warnings.append("Maß values of 0 read as 'not set': "
                        + ", ".join(f"{k} ×{v}" for k, v in sorted(zeros.items())))
    for (what, code), n in sorted(unknown.items()):
        warnings.append(f"unknown {what} code {code!r} (×{n}) kept as it is")
    if not_imported:
        warnings.append("not imported (no target layer): "
                        + ", ".join(f"{k} ×{v}" for k, v in sorted(not_imported.items())))

    frames = {layer_id: _frame(layer_id, layer_rows, ctx.epsg) for layer_id, layer_rows in rows.items()}
    return PlanImport(plan_id=plan_id, name=plan_row["name"] or plan_id, frames=frames, warnings=warnings)


def _layer_of_class(name: str) -> str | None:
    if name == "BP_BaugebietsTeilFlaeche":
        return "bp_baugebiet"
    if name in BAUGRENZE_CLASSES:
        return "bp_baugrenze"
    if name in VERKEHR_CLASSES:
        return "bp_verkehrsflaeche"
    if name == "BP_GruenFlaeche":
        return "bp_gruenflaeche"
    return None


def _native_epsg(prop, feature, ctx: _Context) -> int | None:
    """EPSG of the plan's own geometry: the CRS of world-file rasters that name none."""
    if prop is None:
        return epsg_of_srs_name(ctx.default_srs)
    geom_el = next((c for c in prop if isinstance(c.tag, str)), None)
    srs = _geometry_srs(geom_el, feature, ctx) if geom_el is not None else ctx.default_srs
    return epsg_of_srs_name(srs)


def _heights_from_overlays(baugebiete: list[dict], sources: list) -> None:
    """Fill h_max / h_max_nhn of a BTF from height-bearing objects inside it (typically the
    BP_UeberbaubareGrundstuecksFlaeche carrying GBH/FH/TH), when the BTF names none itself."""
    if not baugebiete or not sources:
        return
    polys = [row["geometry"] for row in baugebiete]
    valid = [i for i, g in enumerate(polys) if g is not None]
    if not valid:
        return
    tree = shapely.STRtree([polys[i] for i in valid])
    rel = defaultdict(list)
    abs_ = defaultdict(list)
    for geom, h_rel, h_abs in sources:
        point = geom.representative_point() if geom.geom_type != "Point" else geom
        for j in tree.query(point, predicate="intersects"):
            i = valid[j]
            if h_rel is not None:
                rel[i].append(h_rel)
            if h_abs is not None:
                abs_[i].append(h_abs)
    for i, row in enumerate(baugebiete):
        if row["h_max"] is None and rel.get(i):
            row["h_max"] = max(rel[i])
        if row["h_max_nhn"] is None and abs_.get(i):
            row["h_max_nhn"] = max(abs_[i])
