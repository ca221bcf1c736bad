"""The dedicated Bebauungsplan layers: typed columns where indicators and the portal need them.

Every object of every plan is stored generically in ``xplan_objekt`` (:mod:`layers.xplanung.objects`).
For Bebauungspläne this module also fills the typed layers of :mod:`schema.catalog`
(``bp_plan``, ``bp_bereich``, ``bp_baugebiet`` with GRZ/GFZ/Z, ``bp_baugrenze``,
``bp_verkehrsflaeche``, ``bp_gruenflaeche``, ``bp_textabschnitt``, ``bp_planraster``), which
the scenario engine, the 3D envelope and the portal's Festsetzungen read.

Design notes

* Code lists are decoded to their XPlanung names (``1200`` -> ``AllgWohngebiet``).
  XPlanung 6.0 merged the per-plan-type ``rechtscharakter`` enumerations into
  ``XP_Rechtscharakter`` with other codes; both are decoded to the same names
  (``Festsetzung``, ``Hinweis`` ...) so the layer has one vocabulary.
* XPlanGML writers (e.g. the KIT GML-Toolbox) write ``0`` into empty Maß fields
  (``GFZ=0`` next to ``GF=360``).  A zero GRZ/GFZ/GR/GF/BMZ/Z is therefore read as
  "not set"; the plan's warnings say how many were.
* Repaired or unusable geometries and missing rasters end up in ``PlanImport.warnings``.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import overload

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.errors

from layers.xplanung.gml import (
    _any_geometry,
    _area_m2,
    _Context,
    _geometry_srs,
    _polygonal,
    _read_geometry,
)
from layers.xplanung.rasters import _raster_refs, _raster_rows
from layers.xplanung.xml import (
    _child,
    _children,
    _clean,
    _deep_texts,
    _feature_id,
    _hrefs,
    _local,
    _text,
    _texts,
)
from schema.catalog import LAYERS
from store.crs import crs_from_epsg, epsg_from_srs_name

XPLAN_LAYERS = (
    "bp_plan",
    "bp_bereich",
    "bp_baugebiet",
    "bp_baufenster",
    "bp_baugrenze",
    "bp_verkehrsflaeche",
    "bp_gruenflaeche",
    "bp_textabschnitt",
    "bp_planraster",
)
#: Columns of a Baufenster taken from the Maß of the BP_UeberbaubareGrundstuecksFlaeche itself.
BAUFENSTER_COLUMNS = (
    "grz",
    "gfz",
    "gr",
    "gf",
    "z",
    "z_min",
    "z_max",
    "z_zwingend",
    "h_max",
    "h_max_nhn",
    "bauweise",
    "bauweise_code",
)


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
    "1000": "Festsetzung",
    "2000": "NachrichtlicheUebernahme",
    "3000": "Hinweis",
    "4000": "Vermerk",
    "5000": "Kennzeichnung",
    "9998": "Unbekannt",
}
RECHTSCHARAKTER_SO = {  # SO_Rechtscharakter, XPlanung 5.x (SO_ classes in a B-Plan)
    "1000": "Festsetzung",
    "1500": "DarstellungFPlan",
    "1800": "InhaltLPlan",
    "2000": "NachrichtlicheUebernahme",
    "3000": "Hinweis",
    "4000": "Vermerk",
    "5000": "Kennzeichnung",
    "9998": "Unbekannt",
    "9999": "Sonstiges",
}
RECHTSCHARAKTER_XP6 = {  # XP_Rechtscharakter, XPlanung 6.0 (1000 is "FestsetzungBPlan")
    "1000": "Festsetzung",
    "2000": "NachrichtlicheUebernahme",
    "3000": "DarstellungFPlan",
    "4000": "ZielDerRaumordnung",
    "4100": "GrundsatzDerRaumordnung",
    "4200": "NachrichtlicheUebernahmeZiel",
    "4300": "NachrichtlicheUebernahmeGrundsatz",
    "4400": "NurInformationsgehaltRPlan",
    "4500": "TextlichesZielRaumordnung",
    "4600": "ZielUndGrundsatzRaumordnung",
    "4700": "VorschlagRaumordnung",
    "5000": "FestsetzungImLP",
    "5100": "GeplanteFestsetzungImLP",
    "5200": "DarstellungKennzeichnungImLP",
    "5300": "LandschaftsplanungsInhaltZurBeruecksichtigung",
    "6000": "Hinweis",
    "7000": "Kennzeichnung",
    "8000": "Vermerk",
    "9998": "Unbekannt",
    "9999": "Sonstiges",
}
RECHTSSTAND = {  # BP_Rechtsstand
    "1000": "Aufstellungsbeschluss",
    "2000": "Entwurf",
    "2100": "FruehzeitigeBehoerdenBeteiligung",
    "2200": "FruehzeitigeOeffentlichkeitsBeteiligung",
    "2250": "Entwurfsbeschluss",  # 6.0
    "2300": "BehoerdenBeteiligung",
    "2400": "OeffentlicheAuslegung",
    "3000": "Satzung",
    "4000": "InkraftGetreten",
    "4500": "TeilweiseUntergegangen",
    "45000": "TeilweiseAufgehoben",
    "45001": "TeilweiseAusserKraft",  # 6.0
    "5000": "Untergegangen",
    "50000": "Aufgehoben",
    "50001": "AusserKraft",
}
PLANART = {  # BP_PlanArt
    "1000": "BPlan",
    "10000": "EinfacherBPlan",
    "10001": "QualifizierterBPlan",
    "10002": "BebauungsplanZurWohnraumversorgung",
    "3000": "VorhabenbezogenerBPlan",
    "3100": "VorhabenUndErschliessungsplan",
    "4000": "InnenbereichsSatzung",
    "40000": "KlarstellungsSatzung",
    "40001": "EntwicklungsSatzung",
    "40002": "ErgaenzungsSatzung",
    "5000": "AussenbereichsSatzung",
    "7000": "OertlicheBauvorschrift",
    "9999": "Sonstiges",
}
ALLG_ART = {  # XP_AllgArtDerBaulNutzung
    "1000": "WohnBauflaeche",
    "2000": "GemischteBauflaeche",
    "3000": "GewerblicheBauflaeche",
    "4000": "SonderBauflaeche",
    "9999": "SonstigeBauflaeche",
}
ALLG_ART_CODE = {"1000": "W", "2000": "M", "3000": "G", "4000": "S"}
BESONDERE_ART = {  # XP_BesondereArtDerBaulNutzung
    "1000": "Kleinsiedlungsgebiet",
    "1100": "ReinesWohngebiet",
    "1200": "AllgWohngebiet",
    "1300": "BesonderesWohngebiet",
    "1400": "Dorfgebiet",
    "1450": "DoerflichesWohngebiet",
    "1500": "Mischgebiet",
    "1550": "UrbanesGebiet",
    "1600": "Kerngebiet",
    "1700": "Gewerbegebiet",
    "1800": "Industriegebiet",
    "2000": "SondergebietErholung",
    "2100": "SondergebietSonst",
    "3000": "Wochenendhausgebiet",
    "4000": "Sondergebiet",
    "9999": "SonstigesGebiet",
}
BESONDERE_ART_CODE = {  # the sign on the plan (BauNVO §§ 2-11)
    "1000": "WS",
    "1100": "WR",
    "1200": "WA",
    "1300": "WB",
    "1400": "MD",
    "1450": "MDW",
    "1500": "MI",
    "1550": "MU",
    "1600": "MK",
    "1700": "GE",
    "1800": "GI",
    "2000": "SO",
    "2100": "SO",
    "3000": "SO",
    "4000": "SO",
}
BAUWEISE = {"1000": "OffeneBauweise", "2000": "GeschlosseneBauweise", "3000": "AbweichendeBauweise"}
BEBAUUNGSART = {
    "1000": "Einzelhaeuser",
    "2000": "Doppelhaeuser",
    "3000": "Hausgruppen",
    "4000": "EinzelDoppelhaeuser",
    "5000": "EinzelhaeuserHausgruppen",
    "6000": "DoppelhaeuserHausgruppen",
    "7000": "Reihenhaeuser",
    "8000": "EinzelhaeuserDoppelhaeuserHausgruppen",
}
DACHFORM = {
    "1000": "Flachdach",
    "2100": "Pultdach",
    "2200": "VersetztesPultdach",
    "3000": "GeneigtesDach",
    "3100": "Satteldach",
    "3200": "Walmdach",
    "3300": "KrueppelWalmdach",
    "3400": "Mansarddach",
    "3500": "Zeltdach",
    "3600": "Kegeldach",
    "3700": "Kuppeldach",
    "3800": "Sheddach",
    "3900": "Bogendach",
    "4000": "Turmdach",
    "4100": "Tonnendach",
    "5000": "Mischform",
    "9999": "Sonstiges",
}
ZWECK_GRUEN = {  # XP_ZweckbestimmungGruen
    "1000": "Parkanlage",
    "10000": "ParkanlageHistorisch",
    "10001": "ParkanlageNaturnah",
    "10002": "ParkanlageWaldcharakter",
    "10003": "NaturnaheUferParkanlage",
    "1200": "Dauerkleingarten",
    "12000": "ErholungsGaerten",
    "1400": "Sportplatz",
    "14000": "Reitsportanlage",
    "14001": "Hundesportanlage",
    "14002": "Wassersportanlage",
    "14003": "Schiessstand",
    "14004": "Golfplatz",
    "14005": "Skisport",
    "14006": "Tennisanlage",
    "14007": "SonstigerSportplatz",
    "1600": "Spielplatz",
    "16000": "Bolzplatz",
    "16001": "Abenteuerspielplatz",
    "1800": "Zeltplatz",
    "18000": "Campingplatz",
    "2000": "Badeplatz",
    "2200": "FreizeitErholung",
    "22000": "Kleintierhaltung",
    "22001": "Festplatz",
    "2400": "SpezGruenflaeche",
    "24000": "StrassenbegleitGruen",
    "24001": "BoeschungsFlaeche",
    "24002": "FeldWaldWiese",
    "24003": "Uferschutzstreifen",
    "24004": "Abschirmgruen",
    "24005": "UmweltbildungsparkSchaugatter",
    "24006": "RuhenderVerkehr",
    "2600": "Friedhof",
    "2700": "Naturerfahrungsraum",
    "9999": "Sonstiges",
    "99990": "Gaertnerei",
}
ZWECK_VERKEHR = {  # BP_ZweckbestimmungStrassenverkehr
    "1000": "Parkierungsflaeche",
    "1100": "Fussgaengerbereich",
    "1200": "VerkehrsberuhigterBereich",
    "1300": "RadGehweg",
    "1400": "Radweg",
    "1500": "Gehweg",
    "1550": "Wanderweg",
    "1560": "ReitKutschweg",
    "1580": "Wirtschaftsweg",
    "1600": "FahrradAbstellplatz",
    "1700": "UeberfuehrenderVerkehrsweg",
    "1800": "UnterfuehrenderVerkehrsweg",
    "2000": "P_RAnlage",
    "2100": "Platz",
    "2200": "Anschlussflaeche",
    "2300": "LandwirtschaftlicherVerkehr",
    "2400": "Verkehrsgruen",
    "2500": "Rastanlage",
    "2600": "Busbahnhof",
    "3000": "CarSharing",
    "3100": "BikeSharing",
    "3200": "B_RAnlage",
    "3300": "Parkhaus",
    "3400": "Mischverkehrsflaeche",
    "3500": "Ladestation",
    "9999": "Sonstiges",
}
NUTZUNGSFORM = {"1000": "Privat", "2000": "Oeffentlich"}
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
    "GRZ": "grz",
    "GRZmin": "grz_min",
    "GRZmax": "grz_max",
    "GFZ": "gfz",
    "GFZmin": "gfz_min",
    "GFZmax": "gfz_max",
    "GR": "gr",
    "GRmin": "gr_min",
    "GRmax": "gr_max",
    "GF": "gf",
    "GFmin": "gf_min",
    "GFmax": "gf_max",
    "BMZ": "bmz",
}
MASS_INT = {"Z": "z", "Zmin": "z_min", "Zmax": "z_max", "Zzwingend": "z_zwingend"}


# =========================================================================== values


@overload
def _decode(table: dict, code: str, what: str, unknown: Counter) -> str: ...
@overload
def _decode(table: dict, code: str | None, what: str, unknown: Counter) -> str | None: ...
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
    codes: list[str] = []
    for z in _children(el, "zweckbestimmung"):
        if len(z):
            codes.extend(_deep_texts(z, "allgemein"))
        elif code := _clean(z.text):
            codes.append(code)
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
        "id": _feature_id(el),
        "plan_id": plan_id,
        "bereich_id": bereich_id,
        "rechtscharakter": _rechtscharakter(el, ctx.version, unknown),
        "xplan_class": _local(el),
    }


def _baugebiet_row(el, unknown: Counter, zeros: Counter) -> dict:
    row: dict[str, object] = {}
    allg = _text(el, "allgArtDerBaulNutzung")
    besondere = _text(el, "besondereArtDerBaulNutzung")
    row["allg_art_der_baulichen_nutzung"] = _decode(ALLG_ART, allg, "allgArtDerBaulNutzung", unknown)
    row["besondere_art_der_baulichen_nutzung"] = _decode(
        BESONDERE_ART, besondere, "besondereArtDerBaulNutzung", unknown
    )
    row["art_code"] = BESONDERE_ART_CODE.get(besondere or "") or ALLG_ART_CODE.get(allg or "")
    for name, column in {**MASS_REAL, **MASS_INT}.items():
        values = _deep_texts(el, name) if _child(el, name) is None else [_text(el, name)]
        value: float | None = _number(values[0]) if values else None
        if value == 0:
            zeros[name] += 1
            value = None
        row[column] = round(value) if value is not None and column in MASS_INT.values() else value
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
        "id": _feature_id(el),
        "plan_id": _feature_id(el),
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
    plan_ids = [_feature_id(p) for p in plans]
    plan_of_bereich: dict[str, str] = {}
    for plan in plans:
        for b in _hrefs(plan, "bereich"):
            plan_of_bereich[b] = _feature_id(plan)
    bereich_of_object: dict[str, str] = {}
    bereiche: dict[str, object] = {}
    for f in features:
        if _local(f) != "BP_Bereich":
            continue
        bid = _feature_id(f)
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
    warnings = [
        f"BP_Bereich {bid} belongs to no BP_Plan of the file; its objects are not imported"
        for bid in bereiche
        if bid not in plan_of_bereich
    ]

    single = plan_ids[0] if len(plan_ids) == 1 else None
    objects, texts = defaultdict(list), defaultdict(list)
    orphans, text_elements = [], []
    for f in features:
        name, fid = _local(f), _feature_id(f)
        if name in TEXT_CLASSES:
            text_elements.append(f)
            continue
        if _NOT_PLAN_CONTENT.match(name):  # plans, Bereiche, presentation objects, Begründung
            continue
        of_bereich = next(iter(_hrefs(f, "gehoertZuBereich")), None) or bereich_of_object.get(fid)
        if of_bereich in bereiche and of_bereich not in plan_of_bereich:
            continue  # its Bereich has no plan: reported once for the Bereich above
        owner = plan_of_bereich.get(of_bereich) if of_bereich else None
        if owner is None and single:
            owner = single  # a plan without Bereiche, or a reference to a Bereich the file lacks
        if owner is None:
            orphans.append(fid)
            continue
        objects[owner].append((f, of_bereich if of_bereich in bereiche else None))

    # Texts: BP_Plan.texte, else the plan whose objects cite them (refTextInhalt), else the only plan.
    plan_of_text = {t: _feature_id(p) for p in plans for t in _hrefs(p, "texte")}
    for owner, members in objects.items():
        for el, _ in members:
            for t in _hrefs(el, "refTextInhalt"):
                plan_of_text.setdefault(t, owner)
    for t in text_elements:
        owner = plan_of_text.get(_feature_id(t)) or single
        if owner:
            texts[owner].append(t)
        else:
            orphans.append(_feature_id(t))
    # XP_Rasterdarstellung (5.x): referenced by BP_Bereich.rasterBasis, or the only plan's.
    plan_of_raster = {
        r: plan_of_bereich[bid]
        for bid, b in bereiche.items()
        if bid in plan_of_bereich
        for r in _hrefs(b, "rasterBasis")
    }
    rasters = defaultdict(list)
    for f in features:
        if _local(f) == "XP_Rasterdarstellung":
            owner = plan_of_raster.get(_feature_id(f)) or single
            if owner:
                rasters[owner].append(f)
            else:
                orphans.append(_feature_id(f))
    if orphans:
        warnings.append(
            f"{len(orphans)} object(s) belong to no BP_Plan and are not imported: "
            + ", ".join(orphans[:5])
            + (" ..." if len(orphans) > 5 else "")
        )
    return _Membership(plan_of_bereich, bereiche_of_plan, objects, texts, rasters, warnings)


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
    data["geometry"] = gpd.array.GeometryArray(geoms, crs=crs_from_epsg(epsg))
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


def read_bp_plans(
    features: list, ctx: _Context, raster_dir: Path | None, raster_url_prefix: str, imported_at: str
) -> list[PlanImport]:
    """The dedicated Bebauungsplan layers of every BP_Plan among ``features`` (none without BP_Plan)."""
    plans = [f for f in features if _local(f) == "BP_Plan"]
    if not plans:
        return []
    membership = _assign(features, plans, ctx)
    results = []
    for i, plan in enumerate(plans):
        result = _read_plan(plan, membership, ctx, raster_dir, raster_url_prefix, imported_at)
        if i == 0:
            result.warnings[:0] = membership.warnings
        results.append(result)
    return results


def _read_plan(
    plan, membership: _Membership, ctx: _Context, raster_dir, url_prefix: str, imported_at: str
) -> PlanImport:
    plan_id = _feature_id(plan)
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
        bid = _feature_id(b)
        geom = _polygonal(_read_geometry(_child(b, "geltungsbereich"), b, ctx, warnings), bid, warnings)
        rows["bp_bereich"].append(
            {
                "id": bid,
                "plan_id": plan_id,
                "nummer": _text(b, "nummer"),
                "name": _text(b, "name"),
                "xplan_class": _local(b),
                "geometry": geom if geom is not None else geltungsbereich,
            }
        )

    # -- plan content
    height_sources = []  # (geometry, h relative, h absolute) of objects stating building heights
    baugebiete = []
    for el, bid in membership.objects.get(plan_id, []):
        name, fid = _local(el), _feature_id(el)
        layer_id = _layer_of_class(name)
        if layer_id is None:
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
        elif layer_id == "bp_baufenster":
            mass = _baugebiet_row(el, unknown, zeros)
            row.update({k: mass[k] for k in BAUFENSTER_COLUMNS})
            row["geometry"] = _polygonal(geom, fid, warnings)
            if mass["h_max"] is not None or mass["h_max_nhn"] is not None:  # zones inside inherit its height
                height_sources.append((geom, mass["h_max"], mass["h_max_nhn"]))
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
        rows["bp_textabschnitt"].append(
            {
                "id": _feature_id(t),
                "plan_id": plan_id,
                "schluessel": _text(t, "schluessel"),
                "gesetzliche_grundlage": _gesetzliche_grundlage(t),
                "text": _text(t, "text", multiline=True),
                "rechtscharakter": _rechtscharakter(t, ctx.version, unknown),
                "sort_key": n,
                "geometry": geltungsbereich,
            }
        )

    # -- plan rasters
    refs = _raster_refs(plan, bereiche, membership.rasters.get(plan_id, []))
    rows["bp_planraster"] = _raster_rows(plan_id, refs, native_epsg, ctx, raster_dir, url_prefix, warnings)

    # -- summary warnings
    if zeros:
        warnings.append(
            "Maß values of 0 read as 'not set': " + ", ".join(f"{k} ×{v}" for k, v in sorted(zeros.items()))
        )
    for (what, code), n in sorted(unknown.items()):
        warnings.append(f"unknown {what} code {code!r} (×{n}) kept as it is")

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
    if name == "BP_UeberbaubareGrundstuecksFlaeche":
        return "bp_baufenster"
    return None


def _native_epsg(prop, feature, ctx: _Context) -> int | None:
    """EPSG of the plan's own geometry: the CRS of world-file rasters that name none."""
    if prop is None:
        return epsg_from_srs_name(ctx.default_srs)
    geom_el = next((c for c in prop if isinstance(c.tag, str)), None)
    srs = _geometry_srs(geom_el, feature, ctx) if geom_el is not None else ctx.default_srs
    return epsg_from_srs_name(srs)


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
