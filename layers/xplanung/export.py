"""Export a stored plan as XPlanGML 6.0 (:func:`to_xplangml`) or as OGC JSON-FG (:func:`to_jsonfg`).

Why: the store keeps every plan as it was read (XPlanung 4.0–6.0, property names of the file's
version, see :mod:`layers.xplanung.model`), but a Kommune has to hand plans on in the current
standard, XPlanGML 6.0.  So the export *migrates* on the way out, driven by the two schemas
(:mod:`layers.xplanung.schema`) wherever they say enough:

* a class of the same name exists in 6.0 → kept; a property of the same name (or differing only
  in case, 5.x ``DNZwingend`` → 6.0 ``DNzwingend``) → written;
* an enumeration value → the 6.0 code of the value with the same name (then: same name ignoring
  case, same German label, same code in an enumeration of the same name);
* an enumeration where 6.0 has a data type with ``allgemein`` (``BP_KomplexeZweckbestGruen`` …) →
  wrapped, the 5.x ``detaillierte…`` code lists paired with it by position;
* ``ref…``/``rechtsverbindlich``/``informell`` references of 4.x plans → ``externeReferenz`` with
  the ``typ`` of the same name;
* a plan property that 6.0 only knows on the Bereich (``verfahren``) → moved to the Bereiche, and
  the other way round (``versionBauNVO…`` of 5.x Bereiche → the plan).

Only what the schemas cannot tell is written by hand, each with its reason: the class renames and
merges of 6.0 (:data:`CLASS_MIGRATIONS`), 4.x property names (:data:`PROPERTY_RENAMES`,
:data:`DATA_PROPERTY_RENAMES`), enumeration values that were renamed (:data:`ENUM_RENAMES`) or split
into several values (:data:`ENUM_SPLITS`), and the few structures 6.0 changed (``veraenderungssperre``
→ ``BP_VeraenderungssperreDaten``, ``versionBauNVO…`` → ``XP_GesetzlicheGrundlage``, ``dachform``/``DN…``
→ ``BP_Dachgestaltung``, ``XP_Rasterdarstellung`` → ``XP_Bereich.refScan``).

Required 6.0 properties older versions had optional are derived where the data says it
(``gehoertZuBereich`` from the Bereich listing the object, ``referenzName`` from ``referenzURL``),
else assumed and noted (``rechtscharakter`` "Unbekannt", ``flaechenschluss`` from the class).

Geometries are written as GML 3.2 in the storage CRS (``srsName="EPSG:25832"``): Polygon/MultiSurface
with exterior rings counter-clockwise and interior rings clockwise (re-oriented, whatever the source
had), LineString/MultiCurve, Point/MultiPoint; each with its own gml:id.  Coordinates are written
with full float precision, so a re-import gives back the stored geometry.

Nothing is dropped silently: what 6.0 cannot hold, what had to be filled in (required in 6.0,
absent in the source) and what stays missing is listed per object in :attr:`XPlanExport.notes`;
lossless changes (renames, recoded enumerations) are counted in :attr:`XPlanExport.migrations`.
A plan read from 6.0 is written back with identical attributes.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from lxml import etree
from shapely.geometry import (
    LineString,
    MultiLineString,
    MultiPoint,
    MultiPolygon,
    Point,
    Polygon,
    mapping,
)
from shapely.geometry.base import BaseGeometry

from layers.messages import message
from layers.xplanung.model import PlanObject
from layers.xplanung.schema import (
    ModelClass,
    Property,
    XPlanSchema,
    nearest_version,
    schema,
)
from store.crs import transformer

TARGET_VERSION = "6.0"
XPLAN_NS = "http://www.xplanung.de/xplangml/6/0"
GML_NS = "http://www.opengis.net/gml/3.2"
XLINK_NS = "http://www.w3.org/1999/xlink"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
#: Where XPlanGML 6.0 documents say their schema is (XPlanAuszug is declared in the Operationen XSD).
SCHEMA_LOCATION = (
    f"{XPLAN_NS} https://repository.gdi-de.org/schemas/de.xleitstelle.xplanung/6.0/XPlanung-Operationen.xsd"
)
GML_MEDIA_TYPE = "application/gml+xml"
JSONFG_MEDIA_TYPE = "application/geo+json"
JSONFG_CONFORMANCE = ["http://www.opengis.net/spec/json-fg-1/0.2/conf/core"]

#: Kinds of :class:`ExportNote`.
NOT_REPRESENTABLE = "nicht_darstellbar"  # a source value 6.0 has no place for: not written
FILLED = "ergaenzt"  # required in 6.0, absent in the source: a value was assumed
MISSING = "fehlt"  # required in 6.0, absent and not derivable: the file is not schema-valid there

_XLINK_HREF = f"{{{XLINK_NS}}}href"
_GML_ID = f"{{{GML_NS}}}id"
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_TAGS = re.compile(r"<[^>]+>")


class ExportError(Exception):
    """The rows cannot be exported (no plan, unknown XPlanung version); the message says why."""


@dataclass(frozen=True)
class ClassMigration:
    """A class that XPlanGML 6.0 renamed, merged into another one or removed."""

    target: str | None  # the 6.0 class; None: removed (see ``reason``)
    reason: str  # why, from the schema documentation
    #: source property -> 6.0 property ("x.detail": into the ``detail`` list of the data type in ``x``)
    renames: dict[str, str] = field(default_factory=dict)
    #: 6.0 properties the class itself implies (enumerations by value name), counted as migrations
    implied: dict[str, Any] = field(default_factory=dict)
    #: required 6.0 properties the source cannot know; filled with "unknown"/"other", noted per object
    assumed: dict[str, Any] = field(default_factory=dict)


#: BP and FP objects that became SO objects: 6.0 SO_Objekt names the Ausgleich associations per plan type.
_BP_TO_SO = {
    "wirdAusgeglichenDurchFlaeche": "wirdAusgeglichenDurchBPFlaeche",
    "wirdAusgeglichenDurchABE": "wirdAusgeglichenDurchBPABE",
    "wirdAusgeglichenDurchSPEMassnahme": "wirdAusgeglichenDurchBPSPEMassnahme",
    "wirdAusgeglichenDurchSPEFlaeche": "wirdAusgeglichenDurchBPSPEFlaeche",
    "wirdAusgeglichenDurchMassnahme": "wirdAusgeglichenDurchBPMassnahme",
}
_FP_TO_SO = {
    "wirdAusgeglichenDurchFlaeche": "wirdAusgeglichenDurchFPFlaeche",
    "wirdAusgeglichenDurchSPE": "wirdAusgeglichenDurchFPSPE",
}
_ZWECK_KOMPLEX = {"zweckbestimmung": "artDerFestlegung", "detaillierteZweckbestimmung": "artDerFestlegung.detail"}
_ZWECK_ENUM = {"zweckbestimmung": "artDerFestlegung", "detaillierteZweckbestimmung": "detailArtDerFestlegung"}
_TEXT = "6.0: textliche Planinhalte aller Planarten sind XP_TextAbschnitt (mit XP_Rechtscharakter)"

#: Hand-written: classes 6.0 renamed, merged or removed (the reasons quote the schema documentation).
CLASS_MIGRATIONS: dict[str, ClassMigration] = {
    # CR-022: "Umbenennung von BP_TextlicheFestsetzungsFlaeche in BP_TextAbschnittFlaeche" (and FP, LP alike)
    "BP_TextlicheFestsetzungsFlaeche": ClassMigration("BP_TextAbschnittFlaeche", "CR-022 Umbenennung"),
    "FP_TextlicheDarstellungsFlaeche": ClassMigration("FP_TextAbschnittFlaeche", "CR-022 Umbenennung"),
    "LP_TextlicheFestsetzungsFlaeche": ClassMigration("LP_TextAbschnittObjekt", "CR-022 Umbenennung"),
    "BP_TextAbschnitt": ClassMigration("XP_TextAbschnitt", _TEXT),
    "FP_TextAbschnitt": ClassMigration("XP_TextAbschnitt", _TEXT),
    "SO_TextAbschnitt": ClassMigration("XP_TextAbschnitt", _TEXT),
    "RP_TextAbschnitt": ClassMigration("XP_TextAbschnitt", _TEXT),
    "LP_TextAbschnitt": ClassMigration("XP_TextAbschnitt", _TEXT),
    # 6.0: Verkehrsflächen of every plan type are SO_Strassenverkehr ("Verkehrsfläche besonderer
    # Zweckbestimmung (§ 9 Abs. 1 Nr. 11 BauGB), Darstellung von Flächen für den überörtlichen Verkehr
    # (§5 Abs. 2 Nr. 3 BauGB) sowie Festlegung nach Straßenverkehrsrecht"); the flag tells the two BP kinds apart
    "BP_StrassenVerkehrsFlaeche": ClassMigration(
        "SO_Strassenverkehr",
        "6.0: Verkehrsflächen als SO_Strassenverkehr",
        renames=_BP_TO_SO,
        implied={"hatDarstellungMitBesondZweckbest": False},
    ),
    "BP_VerkehrsflaecheBesondererZweckbestimmung": ClassMigration(
        "SO_Strassenverkehr",
        "6.0: Verkehrsflächen als SO_Strassenverkehr",
        renames={**_BP_TO_SO, **_ZWECK_KOMPLEX},
        implied={"hatDarstellungMitBesondZweckbest": True},
    ),
    "FP_Strassenverkehr": ClassMigration(
        "SO_Strassenverkehr",
        "6.0: Verkehrsflächen als SO_Strassenverkehr",
        renames={**_FP_TO_SO, **_ZWECK_KOMPLEX},
        implied={"hatDarstellungMitBesondZweckbest": False},
    ),
    "SO_Strassenverkehrsrecht": ClassMigration(
        "SO_Strassenverkehr",
        "6.0: Verkehrsflächen als SO_Strassenverkehr",
        implied={"hatDarstellungMitBesondZweckbest": False},
    ),
    # 5.x: "Diese Klasse wird in der nächsten Hauptversion … durch SO_Gewaesser ersetzt werden"
    "BP_GewaesserFlaeche": ClassMigration(
        "SO_Gewaesser", "5.x: ersetzt durch SO_Gewaesser", renames={**_BP_TO_SO, **_ZWECK_KOMPLEX}
    ),
    "FP_Gewaesser": ClassMigration(
        "SO_Gewaesser", "5.x: ersetzt durch SO_Gewaesser", renames={**_FP_TO_SO, **_ZWECK_KOMPLEX}
    ),
    # 6.0 SO_Wasserwirtschaft: "Flächen für die Wasserwirtschaft … (§9 Abs. 1 Nr. 16a und 16b BauGB,
    # §5 Abs. 2 Nr. 7 BauGB)"
    "BP_WasserwirtschaftsFlaeche": ClassMigration(
        "SO_Wasserwirtschaft", "6.0: planartübergreifend SO_Wasserwirtschaft", renames={**_BP_TO_SO, **_ZWECK_ENUM}
    ),
    "FP_Wasserwirtschaft": ClassMigration(
        "SO_Wasserwirtschaft", "6.0: planartübergreifend SO_Wasserwirtschaft", renames={**_FP_TO_SO, **_ZWECK_ENUM}
    ),
    # 5.x: "wird in Version 6.0 wegfallen. Es sollte stattdessen die Klasse … verwendet werden"
    "BP_Landwirtschaft": ClassMigration("BP_LandwirtschaftsFlaeche", "5.x: ersetzt durch BP_LandwirtschaftsFlaeche"),
    "FP_LandwirtschaftsFlaeche": ClassMigration("FP_Landwirtschaft", "5.x: ersetzt durch FP_Landwirtschaft"),
    "FP_Bodenschaetze": ClassMigration("FP_Abgrabung", "5.x: ersetzt durch FP_Abgrabung"),
    "FP_AbgrabungsFlaeche": ClassMigration("FP_Abgrabung", "4.1: ersetzt durch FP_Abgrabung"),
    "FP_AufschuettungsFlaeche": ClassMigration("FP_Aufschuettung", "4.1: ersetzt durch FP_Aufschuettung"),
    "FP_NutzungsbeschraenkungsFlaeche": ClassMigration("FP_Nutzungsbeschraenkung", "6.0: FP_Nutzungsbeschraenkung"),
    "BP_RekultivierungsFlaeche": ClassMigration(
        "SO_SonstigesRecht", "5.x: ersetzt durch SO_SonstigesRecht", renames=_BP_TO_SO
    ),
    "BP_ErhaltungsBereichFlaeche": ClassMigration(
        "SO_Gebiet", "5.x: ersetzt durch SO_Gebiet", renames={**_BP_TO_SO, "grund": "gebietsArt"}
    ),
    # 5.x: "In Version 6.0 wird diese Klasse evtl. in den Modellbereich 'Sonstige Planwerke' transferiert"
    "BP_Sichtflaeche": ClassMigration("SO_Sichtflaeche", "6.0: SO_Sichtflaeche", renames=_BP_TO_SO),
    # same definition ("Bereich, in denen Verbote oder Beschränkungen für die Errichtung baulicher Anlagen bestehen")
    "SO_Bauverbotszone": ClassMigration("SO_Baubeschraenkung", "6.0: umbenannt in SO_Baubeschraenkung"),
    # 5.2–5.4 spelled the class "Ueberbauberer"
    "BP_AbweichungVonUeberbaubererGrundstuecksFlaeche": ClassMigration(
        "BP_AbweichungVonUeberbaubarerGrundstuecksFlaeche", "6.0: Schreibweise korrigiert"
    ),
    # 6.0 BP_GebaeudeStellung: "Gestaltungs-Festsetzung der Firstrichtung, oder Dach-Ausrichtung"
    "BP_FirstRichtungsLinie": ClassMigration(
        "BP_GebaeudeStellung", "6.0: BP_GebaeudeStellung, typ Firstrichtung", implied={"typ": "Firstrichtung"}
    ),
    # 6.0 moved the Naturschutz classification to the LP model (RP uses LP_KlassifizierungNaturschutzrecht too);
    # the class has two required properties 5.x did not know
    "SO_SchutzgebietNaturschutzrecht": ClassMigration(
        "LP_SchutzBestimmterTeileVonNaturUndLandschaft",
        "6.0: Schutzgebiete nach Naturschutzrecht im LP-Modell",
        renames={"zone": "schutzzone"},
        assumed={"raumkonkretisierung": "Unbekannt", "rechtsstandSchG": "Sonstiges"},
    ),
    # 5.x: "Die Klasse ist veraltet und wird in XPlanGML V. 6.0 eliminiert"; its scans go to XP_Bereich.refScan
    "XP_Rasterdarstellung": ClassMigration(None, "6.0: entfallen, Rasterpläne über XP_Bereich.refScan"),
    "XP_RasterplanBasis": ClassMigration(None, "6.0: entfallen, Rasterpläne über XP_Bereich.refScan"),
}

#: Hand-written: property names of older versions, for every class.
PROPERTY_RENAMES: dict[str, str] = {
    # 4.x named the association to the Bereich per plan type
    "gehoertZuBP_Bereich": "gehoertZuBereich",
    "gehoertZuFP_Bereich": "gehoertZuBereich",
    "gehoertZuSO_Bereich": "gehoertZuBereich",
    "gehoertZuRP_Bereich": "gehoertZuBereich",
    "gehoertZuLP_Bereich": "gehoertZuBereich",
    # 4.1/5.0 kept nachrichtliche Übernahmen apart; 6.0 has one association for all contents
    "gehoertNachrichtlichZuBereich": "gehoertZuBereich",
    "nachrichtlich": "planinhalt",
    "inhaltBPlan": "planinhalt",
    "inhaltFPlan": "planinhalt",
    "inhaltSoPlan": "planinhalt",
    "inhaltRPlan": "planinhalt",
    "inhaltLPlan": "planinhalt",
    # 6.0 XP_Plan: aendertPlan/wurdeGeaendertVonPlan (the Bereich got aendertPlanBereich …)
    "aendert": "aendertPlan",
    "wurdeGeaendertVon": "wurdeGeaendertVonPlan",
    # 4.x XP_Bereich misspelt it
    "erstellungsMasstab": "erstellungsMassstab",
}

#: Hand-written: properties of data types renamed in 6.0, (data type, property) -> 6.0 property.
DATA_PROPERTY_RENAMES: dict[tuple[str, str], str] = {
    # 6.0 XP_VerbundenerPlan: the kind of change is aenderungsArt (XP_Aenderungsarten)
    ("XP_VerbundenerPlan", "rechtscharakter"): "aenderungsArt",
}

#: Hand-written: enumeration values renamed in 6.0, (source enumeration, value name) -> 6.0 value name.
#: Values whose name is unchanged need no entry (matched by name, then label, through the schemas).
ENUM_RENAMES: dict[tuple[str, str], str] = {
    # 6.0 merged BP/FP/SO/RP/LP_Rechtscharakter into XP_Rechtscharakter with plan-type specific names
    ("BP_Rechtscharakter", "Festsetzung"): "FestsetzungBPlan",
    ("FP_Rechtscharakter", "Darstellung"): "DarstellungFPlan",
    ("RP_Rechtscharakter", "NachrichtlicheUbernahme"): "NachrichtlicheUebernahme",  # 4.x typo
    ("RP_Rechtscharakter", "NurInformationsgehalt"): "NurInformationsgehaltRPlan",
    ("RP_Rechtscharakter", "TextlichesZiel"): "TextlichesZielRaumordnung",
    ("RP_Rechtscharakter", "ZielundGrundsatz"): "ZielUndGrundsatzRaumordnung",
    ("RP_Rechtscharakter", "Vorschlag"): "VorschlagRaumordnung",
    ("LP_Rechtscharakter", "Festsetzung"): "FestsetzungImLP",
    ("LP_Rechtscharakter", "Geplant"): "GeplanteFestsetzungImLP",
    ("LP_Rechtscharakter", "DarstellungKennzeichnung"): "DarstellungKennzeichnungImLP",
    ("LP_Rechtscharakter", "FestsetzungInBPlan"): "FestsetzungBPlan",
    ("LP_Rechtscharakter", "SonstigerStatus"): "Sonstiges",
    # BP_ErhaltungsBereichFlaeche.grund -> SO_Gebiet.gebietsArt (the three Erhaltungsgebiete of §172 BauGB)
    ("BP_ErhaltungsGrund", "StaedtebaulicheGestalt"): "ErhaltungsgebietStaedtebaulicheGestalt",
    ("BP_ErhaltungsGrund", "Wohnbevoelkerung"): "ErhaltungsgebietWohnbevoelkerung",
    ("BP_ErhaltungsGrund", "Umstrukturierung"): "ErhaltungsgebietUmstrukturierung",
    # Verkehrsflächen -> SO_ZweckbestimmungStrassenverkehr (5.4 already renamed the Fuß-/Gehwege)
    ("BP_ZweckbestimmungStrassenverkehr", "Parkierungsflaeche"): "RuhenderVerkehr",
    ("BP_ZweckbestimmungStrassenverkehr", "RadFussweg"): "RadGehweg",
    ("BP_ZweckbestimmungStrassenverkehr", "Fussweg"): "Gehweg",
    ("FP_ZweckbestimmungStrassenverkehr", "Autobahn"): "AutobahnUndAehnlich",
    ("FP_ZweckbestimmungStrassenverkehr", "RadFussweg"): "RadGehweg",
    ("FP_ZweckbestimmungStrassenverkehr", "Fussweg"): "Gehweg",
    # XP_ZweckbestimmungGewaesser "Stehende Wasserfläche, auch See, Teich" -> SO_KlassifizGewaesser
    ("XP_ZweckbestimmungGewaesser", "Wasserflaeche"): "StehendesGewaesser",
    # 6.0 SO_GebietsArt calls the areas of an Erhaltungsverordnung (§172 BauGB) Erhaltungsgebiet…
    ("SO_GebietsArt", "Erhaltungsverordnung"): "Erhaltungsgebiet",
    ("SO_GebietsArt", "ErhaltungsverordnungStaedtebaulicheGestalt"): "ErhaltungsgebietStaedtebaulicheGestalt",
    ("SO_GebietsArt", "ErhaltungsverordnungWohnbevoelkerung"): "ErhaltungsgebietWohnbevoelkerung",
    ("SO_GebietsArt", "ErhaltungsverordnungUmstrukturierung"): "ErhaltungsgebietUmstrukturierung",
}

#: Hand-written: combined enumeration values 6.0 expresses as several values of a repeatable property.
ENUM_SPLITS: dict[tuple[str, str], tuple[str, ...]] = {
    # 6.0 BP_Wegerecht.typ is repeatable and knows Gehrecht, Fahrrecht, Radfahrrecht, Leitungsrecht only
    ("BP_WegerechtTypen", "GehFahrrecht"): ("Gehrecht", "Fahrrecht"),
    ("BP_WegerechtTypen", "GehLeitungsrecht"): ("Gehrecht", "Leitungsrecht"),
    ("BP_WegerechtTypen", "FahrLeitungsrecht"): ("Fahrrecht", "Leitungsrecht"),
    ("BP_WegerechtTypen", "GehFahrLeitungsrecht"): ("Gehrecht", "Fahrrecht", "Leitungsrecht"),
}

#: Why 6.0 dropped a property, for the notes.
_DROPPED_WHY = {
    "xPlanGMLVersion": (" (die Version ergibt sich aus dem Namensraum)", " (the namespace gives the version)"),
    "index": (
        " (Präsentationsobjekte verweisen in 6.0 ohne Index auf Attribute)",
        " (6.0 Präsentationsobjekte refer to attributes without an index)",
    ),
}
#: Dates of the BauNVO versions 4.x named by enumeration (XP_VersionBauNVO), for XP_GesetzlicheGrundlage.datum.
_BAUNVO_DATES = {
    "Version_1962": "1962-06-26",
    "Version_1968": "1968-11-26",
    "Version_1977": "1977-09-15",
    "Version_1990": "1990-01-23",
}
#: 5.x plan/Bereich properties that 6.0 holds in one XP_GesetzlicheGrundlage per law.
_LAWS = ("BauNVO", "BauGB", "SonstRechtsgrundlage")
_DACH = ("DNmin", "DNmax", "DN", "DNZwingend", "DNzwingend", "dachform", "detaillierteDachform")
_RASTER_CLASSES = ("XP_Rasterdarstellung", "XP_RasterplanBasis")


# =========================================================================== results


@dataclass(frozen=True)
class ExportNote:
    """One thing the reader of the exported file should know about one object."""

    kind: str  # NOT_REPRESENTABLE | FILLED | MISSING
    object_id: str | None
    xplan_class: str | None  # the class in the store (source version)
    property: str | None  # source property (path into data types: "externeReferenz[1].informationssystemURL")
    message_de: str
    message_en: str

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class ExportObject:
    """One feature as written: its 6.0 class and attributes (JSON form of :mod:`layers.xplanung.model`)."""

    id: str
    xplan_class: str
    source_class: str
    plan_id: str | None
    bereich_id: str | None
    attributes: dict
    geometry: BaseGeometry | None


@dataclass
class XPlanExport:
    """The XPlanGML 6.0 document of one plan and what the migration did."""

    content: bytes
    plan_id: str
    plan_name: str | None
    source_version: str
    objects: list[ExportObject]
    notes: list[ExportNote]
    #: lossless changes, counted: "BP_Rechtscharakter Festsetzung (1000) -> XP_Rechtscharakter FestsetzungBPlan (1000)"
    migrations: Counter

    @property
    def not_representable(self) -> list[ExportNote]:
        return [n for n in self.notes if n.kind == NOT_REPRESENTABLE]

    @property
    def filename(self) -> str:
        """A file name from the plan name (letters, digits, ``-_.`` only)."""
        base = re.sub(r"[^A-Za-z0-9._-]+", "_", self.plan_name or self.plan_id).strip("._") or "plan"
        return f"{base[:100]}_XPlanGML-6.0.gml"

    def report(self) -> dict:
        """The export report as JSON: counts per kind, every note, the counted migrations."""
        return {
            "plan_id": self.plan_id,
            "source_version": self.source_version,
            "target_version": TARGET_VERSION,
            "objects": len(self.objects),
            "counts": dict(Counter(n.kind for n in self.notes)),
            "notes": [n.as_dict() for n in self.notes],
            "migrations": [{"change": change, "count": count} for change, count in sorted(self.migrations.items())],
        }


# =========================================================================== input


@dataclass
class _Source:
    id: str
    xplan_class: str
    plan_id: str | None
    bereich_id: str | None
    attributes: dict
    geometry: BaseGeometry | None
    version: str | None

    @property
    def is_plan(self) -> bool:
        return self.xplan_class.endswith("_Plan")

    @property
    def is_bereich(self) -> bool:
        return self.xplan_class.endswith("_Bereich")


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _records(rows) -> list[dict]:
    """Rows as dicts, from a (Geo)DataFrame, one row (Series/dict), PlanObjects or dicts."""
    if rows is None:
        return []
    if isinstance(rows, PlanObject):
        rows = [rows]
    if hasattr(rows, "columns") and hasattr(rows, "to_dict"):  # DataFrame
        return rows.to_dict("records")
    if isinstance(rows, dict) or (hasattr(rows, "to_dict") and hasattr(rows, "index")):  # one row
        return [dict(rows)]
    out = []
    for row in rows:
        if isinstance(row, PlanObject):
            out.append(
                {
                    "id": row.id,
                    "xplan_class": row.xplan_class,
                    "plan_id": row.plan_id,
                    "bereich_id": row.bereich_id,
                    "attributes": row.attributes,
                    "geometry": row.geometry,
                }
            )
        else:
            out.append(dict(row))
    return out


def _source(row: dict) -> _Source:
    attributes = row.get("attributes")
    if isinstance(attributes, str):
        attributes = json.loads(attributes)
    geometry = row.get("geometry")
    if _missing(geometry) or (isinstance(geometry, BaseGeometry) and geometry.is_empty):
        geometry = None
    return _Source(
        id=str(row["id"]),
        xplan_class=str(row["xplan_class"]),
        plan_id=None if _missing(row.get("plan_id")) else str(row["plan_id"]),
        bereich_id=None if _missing(row.get("bereich_id")) else str(row["bereich_id"]),
        attributes=dict(attributes) if isinstance(attributes, dict) else {},
        geometry=geometry,
        version=None if _missing(row.get("xplan_version")) else str(row["xplan_version"]),
    )


def _plan_sources(plan_row, object_rows, version: str | None) -> tuple[_Source, list[_Source], str]:
    """The plan, all objects of the plan (the plan first, then its Bereiche, then the rest) and the version."""
    plans = _records(plan_row)
    if not plans:
        raise ExportError(message("export_no_plan"))
    plan = _source({**plans[0], "plan_id": plans[0].get("plan_id") or plans[0].get("id")})
    objects = [_source(r) for r in _records(object_rows)]
    objects = [o for o in objects if o.plan_id in (None, plan.id)]
    if not any(o.id == plan.id for o in objects):  # the plan's own row carries the same attributes
        objects.insert(0, plan)
    version = version or plan.version or next((o.version for o in objects if o.version), None)
    if version is None:
        raise ExportError(message("export_version_unknown", plan=plan.id))
    objects.sort(key=lambda o: 0 if o.id == plan.id else (1 if o.is_bereich else 2))  # stable
    return plan, objects, version


# =========================================================================== migration


def _norm_label(text: str | None) -> str:
    return " ".join(html.unescape(_TAGS.sub(" ", text or "")).lower().split())


class _Migration:
    """Turns the stored objects of one plan into 6.0 objects, noting what does not fit."""

    def __init__(self, version: str, plan: _Source, objects: list[_Source]):
        model_version = nearest_version(version)
        if model_version is None:
            raise ExportError(message("export_version_unsupported", version=version))
        self.src: XPlanSchema = schema(model_version)
        self.tgt: XPlanSchema = schema(TARGET_VERSION)
        self.same = self.src.version == TARGET_VERSION
        self.plan = plan
        self.objects = objects
        self.by_id = {o.id: o for o in objects}
        self.notes: list[ExportNote] = []
        self.migrations: Counter = Counter()
        self.targets = {o.id: self._target_class(o.xplan_class) for o in objects}
        self.kept = {i for i, t in self.targets.items() if t is not None}
        #: (object id, 6.0 property, value, source object, source property): set after all objects are migrated
        self.moves: list[tuple[str, str, Any, _Source, str]] = []
        self.rasters_moved: set[str] = set()
        self._enum_cache: dict[tuple, str | None] = {}

    # -- notes ------------------------------------------------------------------------------------

    def note(self, kind: str, obj: _Source | None, prop: str | None, de: str, en: str) -> None:
        self.notes.append(ExportNote(kind, obj.id if obj else None, obj.xplan_class if obj else None, prop, de, en))

    def dropped(self, obj: _Source, prop: str | None, de: str, en: str) -> None:
        self.note(NOT_REPRESENTABLE, obj, prop, de, en)

    # -- classes ----------------------------------------------------------------------------------

    def _target_class(self, name: str) -> str | None:
        if not self.same and name in CLASS_MIGRATIONS:
            return CLASS_MIGRATIONS[name].target
        cls = self.tgt.classes.get(name)
        return name if cls is not None and cls.is_feature and not cls.abstract else None

    def run(self) -> list[ExportObject]:
        out: list[ExportObject] = []
        for o in self.objects:
            target = self.targets[o.id]
            if target is None:
                continue
            if target != o.xplan_class:
                self.migrations[f"Klasse/class {o.xplan_class} -> {target}"] += 1
            out.append(
                ExportObject(
                    id=o.id,
                    xplan_class=target,
                    source_class=o.xplan_class,
                    plan_id=o.plan_id,
                    bereich_id=o.bereich_id,
                    attributes=self._object(o, target),
                    geometry=o.geometry,
                )
            )
        for o in self.objects:  # after the Bereiche had the chance to take over their raster scans
            if self.targets[o.id] is None:
                self._note_removed(o)
        self._apply_moves(out)
        for obj in out:
            self._complete(obj)
        return out

    def _note_removed(self, o: _Source) -> None:
        mig = CLASS_MIGRATIONS.get(o.xplan_class)
        if o.id in self.rasters_moved:
            self.migrations[f"Klasse/class {o.xplan_class} -> XP_Bereich.refScan"] += 1
            return
        if mig is not None:
            de = f"Klasse {o.xplan_class} gibt es in XPlanGML 6.0 nicht mehr ({mig.reason}); Objekt nicht exportiert"
            en = f"class {o.xplan_class} no longer exists in XPlanGML 6.0 ({mig.reason}); object not exported"
        else:
            de = f"Klasse {o.xplan_class} gibt es in XPlanGML 6.0 nicht; Objekt nicht exportiert"
            en = f"class {o.xplan_class} does not exist in XPlanGML 6.0; object not exported"
        self.dropped(o, None, de, en)

    # -- objects ----------------------------------------------------------------------------------

    def _rename(self, key: str, tcls: ModelClass, mig: ClassMigration | None) -> str | None:
        """The 6.0 property for source property ``key`` (``x.detail``: into the data type in ``x``)."""
        if mig is not None and key in mig.renames:
            return mig.renames[key]
        if self.same or key in tcls.properties:
            return key
        if key in PROPERTY_RENAMES:
            return PROPERTY_RENAMES[key]
        if key.startswith("detaillierte") and len(key) > 12:
            base = self._rename(key[12].lower() + key[13:], tcls, mig)
            if base and self._komplex(tcls.properties.get(base)) is not None:
                return f"{base}.detail"
        matches = [n for n in tcls.properties if n.lower() == key.lower()]
        return matches[0] if len(matches) == 1 else None

    def _komplex(self, prop: Property | None) -> ModelClass | None:
        """The data type of ``prop`` if it is a 6.0 "Komplexe…" type (an enumeration ``allgemein`` + details)."""
        if prop is None or prop.kind != "data":
            return None
        dt = self.tgt.classes.get(prop.target)
        allgemein = dt.properties.get("allgemein") if dt is not None else None
        return dt if allgemein is not None and allgemein.kind == "enum" else None

    def _object(self, o: _Source, target: str) -> dict:
        src_cls = self.src.classes.get(o.xplan_class)
        tcls = self.tgt.classes[target]
        mig = None if self.same else CLASS_MIGRATIONS.get(o.xplan_class)
        attrs = dict(o.attributes)
        out: dict = {}
        if not self.same:
            self._external_references(o, src_cls, tcls, attrs, out)
            self._raster(o, tcls, attrs, out)
            self._veraenderungssperre(o, src_cls, tcls, attrs, out)
            self._laws(o, src_cls, tcls, attrs, out)
            self._dachgestaltung(o, src_cls, tcls, attrs, out)
        details: list[tuple[str, str, Any]] = []
        later: list[tuple[str, Any]] = []
        for key, value in attrs.items():
            sprop = src_cls.properties.get(key) if src_cls is not None else None
            tname = self._rename(key, tcls, mig)
            if tname is not None and tname.endswith(".detail"):
                details.append((tname[:-7], key, value))
                continue
            tprop = tcls.properties.get(tname) if tname else None
            if tprop is None and not self.same and self._move(o, key, sprop, value):
                continue
            if tname is None or tprop is None or tprop.kind == "geometry":
                later.append((key, value))
                continue
            if tname != key:
                self.migrations[f"{o.xplan_class}.{key} -> {target}.{tname}"] += 1
            self._put(out, tname, self._convert(value, sprop, tprop, o, key), tprop, o, key)
        for base, key, value in details:
            self._pair_details(out, tcls, base, key, value, o)
        for key, value in later:  # e.g. 5.1 BP_VerEntsorgung.textlicheErgaenzung -> the Komplex type's
            if not self._into_komplex(out, tcls, key, value, o):
                why_de, why_en = _DROPPED_WHY.get(key, ("", ""))
                self.dropped(
                    o,
                    key,
                    f"{target} hat in XPlanGML 6.0 kein Attribut {key}{why_de}; Wert nicht übernommen",
                    f"{target} has no property {key} in XPlanGML 6.0{why_en}; value not exported",
                )
        if mig is not None:
            for name, value in mig.implied.items():
                self._fixed(out, tcls, name, value, o, assumed=False)
            for name, value in mig.assumed.items():
                self._fixed(out, tcls, name, value, o, assumed=True)
        return out

    def _put(self, out: dict, name: str, value, prop: Property, o: _Source, key: str) -> None:
        if value is None:
            return
        if prop.many:
            out.setdefault(name, []).extend(value if isinstance(value, list) else [value])
        elif name in out and out[name] != value:
            self.dropped(
                o,
                key,
                f"{name} kommt in XPlanGML 6.0 nur einmal vor; zweiter Wert aus {key} nicht übernommen",
                f"{name} occurs once in XPlanGML 6.0; the second value from {key} is not exported",
            )
        else:
            out[name] = value

    def _fixed(self, out: dict, tcls: ModelClass, name: str, value, o: _Source, assumed: bool) -> None:
        """A value the class migration implies (counted) or has to assume (noted)."""
        prop = tcls.properties[name]
        if name in out:
            return
        if prop.kind == "enum":
            enum = self.tgt.enumerations[prop.target]
            code = next(c for c, (n, _) in enum.values.items() if n == value)
            value = enum.decode(code)
        out[name] = [value] if prop.many else value
        if assumed:
            self.note(
                FILLED,
                o,
                name,
                f"{name} ist in XPlanGML 6.0 Pflicht und in der Quelle unbekannt: "
                f"{value.get('name') if isinstance(value, dict) else value} angenommen",
                f"{name} is required in XPlanGML 6.0 and unknown in the source: "
                f"{value.get('name') if isinstance(value, dict) else value} assumed",
            )
        else:
            self.migrations[
                f"{o.xplan_class} -> {tcls.name}.{name} = {value.get('name') if isinstance(value, dict) else value}"
            ] += 1

    # -- values -----------------------------------------------------------------------------------

    def _convert(self, value, sprop: Property | None, tprop: Property, o: _Source, path: str):
        """``value`` (JSON form, source version) as the 6.0 value of ``tprop``; None (noted) if it does not fit."""
        if tprop.many:
            items = value if isinstance(value, list) else [value]
            converted = []
            for i, item in enumerate(items):
                for part in self._split(item, sprop, tprop, o):
                    c = self._convert_one(part, sprop, tprop, o, f"{path}[{i}]" if len(items) > 1 else path)
                    if c is not None:
                        converted.append(c)
            return converted or None
        if isinstance(value, list):
            if not value:
                return None
            if len(value) > 1:
                self.dropped(
                    o,
                    path,
                    f"{tprop.name} hat in XPlanGML 6.0 nur einen Wert; {len(value) - 1} weitere nicht übernommen",
                    f"{tprop.name} has a single value in XPlanGML 6.0; {len(value) - 1} more not exported",
                )
            value = value[0]
        return self._convert_one(value, sprop, tprop, o, path)

    def _convert_one(self, value, sprop: Property | None, tprop: Property, o: _Source, path: str):
        kind = tprop.kind
        if isinstance(value, dict) and set(value) == {"href"}:
            if kind in ("reference", "data", "any", "string"):
                return self._reference(value, o, path)
            return self._unfit(value, tprop, o, path)
        if kind == "reference":
            return self._unfit(value, tprop, o, path)
        if kind == "enum":
            if isinstance(value, dict) and "code" in value and "_type" not in value:
                source_enum = sprop.target if sprop is not None and sprop.kind == "enum" else None
                return self._enum(value, source_enum, tprop.target, o, path)
            return self._unfit(value, tprop, o, path)
        if kind == "codelist":
            if isinstance(value, dict) and "code" in value and "_type" not in value:
                return {k: value[k] for k in ("code", "codeSpace") if k in value}
            if isinstance(value, str):
                return {"code": value}
            return self._unfit(value, tprop, o, path)
        if kind == "measure":
            return self._measure(value, sprop, tprop, o, path)
        if kind in ("int", "double"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return self._unfit(value, tprop, o, path)
            if kind == "int":
                if isinstance(value, float) and not value.is_integer():
                    return self._unfit(value, tprop, o, path)
                return int(value)
            return value
        if kind == "boolean":
            return value if isinstance(value, bool) else self._unfit(value, tprop, o, path)
        if kind in ("date", "datetime", "string", "uri"):
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                self.migrations[f"{path}: Zahl als Text / number as text"] += 1
                value = str(value)
            if not isinstance(value, str):
                return self._unfit(value, tprop, o, path)
            if _XML_INVALID.search(value):
                self.dropped(
                    o,
                    path,
                    "Text enthält in XML unzulässige Steuerzeichen; nicht übernommen",
                    "text holds control characters XML does not allow; not exported",
                )
                return None
            return value
        if kind == "data":
            if isinstance(value, dict) and "_type" in value:
                return self._data(value, tprop.target, o, path)
            dt = self._komplex(tprop)
            if dt is not None and isinstance(value, dict) and "code" in value:
                source_enum = sprop.target if sprop is not None and sprop.kind == "enum" else None
                code = self._enum(value, source_enum, dt.properties["allgemein"].target, o, path)
                if code is None:
                    return None
                self.migrations[f"{o.xplan_class}.{path.split('[')[0]}: Aufzählung -> {dt.name}.allgemein"] += 1
                return {"_type": dt.name, "allgemein": code}
            if tprop.target == "XP_GesetzlicheGrundlage" and isinstance(value, dict) and "code" in value:
                # 5.x XP_Objekt.gesetzlicheGrundlage was a code list; 6.0 names the law in a data type
                if value.get("codeSpace"):
                    self.dropped(
                        o,
                        path,
                        f"codeSpace {value['codeSpace']} hat in XP_GesetzlicheGrundlage keinen Platz",
                        f"codeSpace {value['codeSpace']} has no place in XP_GesetzlicheGrundlage",
                    )
                self.migrations[f"{path}: Codeliste -> XP_GesetzlicheGrundlage.name"] += 1
                return {"_type": "XP_GesetzlicheGrundlage", "name": value["code"]}
            return self._unfit(value, tprop, o, path)
        return self._unfit(value, tprop, o, path)

    def _split(self, item, sprop: Property | None, tprop: Property, o: _Source) -> list:
        """A combined enumeration value as the several 6.0 values of a repeatable property (ENUM_SPLITS)."""
        if self.same or tprop.kind != "enum" or not isinstance(item, dict) or sprop is None or sprop.kind != "enum":
            return [item]
        names = ENUM_SPLITS.get((sprop.target.removesuffix("Type"), str(item.get("name"))))
        if names is None:
            return [item]
        self.migrations[
            f"{sprop.target} {item.get('name')} ({item.get('code')}) -> {tprop.target} {' + '.join(names)}"
        ] += 1
        return [{"code": None, "name": name} for name in names]

    def _unfit(self, value, tprop: Property, o: _Source, path: str) -> None:
        shown = json.dumps(value, ensure_ascii=False)[:80]
        self.dropped(
            o,
            path,
            f"Wert {shown} passt nicht zum Typ {tprop.type_name} von {tprop.name} in XPlanGML 6.0",
            f"value {shown} does not fit type {tprop.type_name} of {tprop.name} in XPlanGML 6.0",
        )

    def _reference(self, value: dict, o: _Source, path: str) -> dict | None:
        ref = value["href"].rsplit("#", 1)[-1]
        if ref in self.by_id and ref not in self.kept:
            self.dropped(
                o,
                path,
                f"Verweis auf {ref} ({self.by_id[ref].xplan_class}), das nicht exportiert wird",
                f"reference to {ref} ({self.by_id[ref].xplan_class}), which is not exported",
            )
            return None
        return dict(value)

    def _measure(self, value, sprop: Property | None, tprop: Property, o: _Source, path: str):
        if isinstance(value, dict) and "value" in value:
            number, uom = value["value"], value.get("uom")
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            number = value
            uom = sprop.uom if sprop is not None and sprop.kind == "measure" else tprop.uom
            if sprop is not None and sprop.kind != "measure" and tprop.uom:
                self.migrations[f"{path}: Zahl -> Maß in {tprop.uom} / number -> measure"] += 1
        else:
            return self._unfit(value, tprop, o, path)
        if not uom:
            self.dropped(
                o,
                path,
                f"{tprop.name} braucht in XPlanGML 6.0 eine Maßeinheit; die Quelle nennt keine",
                f"{tprop.name} needs a unit of measure in XPlanGML 6.0; the source gives none",
            )
            return None
        return number if uom == tprop.uom else {"value": number, "uom": uom}

    def _enum(self, value: dict, source_enum: str | None, target_enum: str, o: _Source, path: str) -> dict | None:
        """The 6.0 value ({"code", "name", "label"}) of an enumeration value of the source."""
        enum = self.tgt.enumerations.get(target_enum)
        code, name = str(value.get("code")), value.get("name")
        if enum is None:
            return None
        if self.same:
            if code in enum.values:
                return enum.decode(code)
            self.dropped(o, path, f"Code {code} gibt es in {target_enum} nicht", f"code {code} is not in {target_enum}")
            return None
        key = (source_enum, target_enum, code, name)
        if key not in self._enum_cache:
            self._enum_cache[key] = self._match_enum(value, source_enum, target_enum)
        new = self._enum_cache[key]
        if new is None:
            self.dropped(
                o,
                path,
                f"Wert {code} ({name or '?'}) von {source_enum or 'Aufzählung'} hat in "
                f"{target_enum} (XPlanGML 6.0) keine Entsprechung",
                f"value {code} ({name or '?'}) of {source_enum or 'enumeration'} has no counterpart in "
                f"{target_enum} (XPlanGML 6.0)",
            )
            return None
        decoded = enum.decode(new)
        if value.get("code") is None:  # a value the migration itself set by name
            return decoded
        renamed_enum = (source_enum or target_enum).removesuffix("Type") != target_enum
        if new != code or decoded.get("name") != name or renamed_enum:
            self.migrations[f"{source_enum} {name} ({code}) -> {target_enum} {decoded.get('name')} ({new})"] += 1
        return decoded

    def _match_enum(self, value: dict, source_enum: str | None, target_enum: str) -> str | None:
        enum = self.tgt.enumerations[target_enum]
        code, name = str(value.get("code")), value.get("name")
        base = source_enum.removesuffix("Type") if source_enum else ""
        by_name = {n: c for c, (n, _) in enum.values.items()}
        wanted = ENUM_RENAMES.get((base, name)) if name else None
        if wanted in by_name:
            return by_name[wanted]
        if name in by_name:
            return by_name[name]
        if name:
            lower = {n.lower(): c for n, c in by_name.items()}
            if name.lower() in lower:
                return lower[name.lower()]
        label = _norm_label(value.get("label"))
        if label:
            same = [c for c, (_, lab) in enum.values.items() if _norm_label(lab) == label]
            if len(same) == 1:
                return same[0]
        if base in (target_enum, None) and code in enum.values:
            return code  # same enumeration, value renamed: the code stays
        return None

    def _data(self, value: dict, target_type: str | None, o: _Source, path: str) -> dict | None:
        """A data type value (dict with "_type") as the 6.0 data type; None (noted) when required parts miss."""
        source_type = value.get("_type")
        cls = self.tgt.classes.get(source_type) if source_type else None
        if cls is None or (target_type and not cls.is_a(target_type)):
            cls = self.tgt.classes.get(target_type) if target_type else None
        if cls is None or cls.abstract:
            self.dropped(
                o,
                path,
                f"Datentyp {source_type} gibt es in XPlanGML 6.0 nicht",
                f"data type {source_type} does not exist in XPlanGML 6.0",
            )
            return None
        if source_type != cls.name:
            self.migrations[f"Datentyp/data type {source_type} -> {cls.name}"] += 1
        scls = self.src.classes.get(source_type) if source_type else None
        out: dict = {"_type": cls.name}
        for key, item in value.items():
            if key == "_type":
                continue
            sprop = scls.properties.get(key) if scls is not None else None
            name = DATA_PROPERTY_RENAMES.get((str(source_type), key)) if not self.same else None
            if name is None:
                name = (
                    key
                    if (self.same or key in cls.properties)
                    else next((n for n in cls.properties if n.lower() == key.lower()), None)
                )
            prop = cls.properties.get(name) if name else None
            if name is None or prop is None:
                self.dropped(
                    o,
                    f"{path}.{key}",
                    f"{cls.name} hat in XPlanGML 6.0 kein Attribut {key}",
                    f"{cls.name} has no property {key} in XPlanGML 6.0",
                )
                continue
            if name != key:
                self.migrations[f"{source_type}.{key} -> {cls.name}.{name}"] += 1
            self._put(out, name, self._convert(item, sprop, prop, o, f"{path}.{key}"), prop, o, f"{path}.{key}")
        if not self.same:
            self._complete_data(out, cls, o, path)
        missing = [p.name for p in cls.properties.values() if p.required and p.name not in out]
        if missing:
            self.dropped(
                o,
                path,
                f"{cls.name} ohne Pflichtattribut(e) {', '.join(missing)}: Wert nicht übernommen "
                f"({json.dumps(value, ensure_ascii=False)[:120]})",
                f"{cls.name} lacks required {', '.join(missing)}: value not exported",
            )
            return None
        return out

    def _complete_data(self, out: dict, cls: ModelClass, o: _Source, path: str) -> None:
        """Fill required parts of 6.0 data types the older versions had optional, where derivable."""
        if cls.is_a("XP_ExterneReferenz"):
            if "referenzName" not in out and "referenzURL" in out:
                out["referenzName"] = out["referenzURL"]
                self.note(
                    FILLED,
                    o,
                    f"{path}.referenzName",
                    "referenzName ist in 6.0 Pflicht: referenzURL übernommen",
                    "referenzName is required in 6.0: referenzURL used",
                )
            if "referenzURL" not in out and "referenzName" in out:
                out["referenzURL"] = out["referenzName"]
                self.note(
                    FILLED,
                    o,
                    f"{path}.referenzURL",
                    "referenzURL ist in 6.0 Pflicht: referenzName übernommen",
                    "referenzURL is required in 6.0: referenzName used",
                )

    def _pair_details(self, out: dict, tcls: ModelClass, base: str, key: str, value, o: _Source) -> None:
        """5.x ``detaillierteZweckbestimmung[i]`` -> ``detail`` of the i-th 6.0 Komplex value."""
        dt = self._komplex(tcls.properties.get(base))
        if dt is None:  # _rename maps to ".detail" only where the 6.0 property is a Komplex type
            raise ValueError(f"{tcls.name}.{base} is no Komplex data type with a detail")
        items = out.get(base)
        items = items if isinstance(items, list) else ([items] if items else [])
        values = value if isinstance(value, list) else [value]
        detail = dt.properties["detail"]
        for i, item in enumerate(values):
            converted = self._convert_one(item, None, detail, o, f"{key}[{i}]")
            if converted is None:
                continue
            if i < len(items):
                items[i].setdefault("detail", []).append(converted)
                self.migrations[f"{o.xplan_class}.{key} -> {tcls.name}.{base}.detail"] += 1
            else:
                self.dropped(
                    o,
                    f"{key}[{i}]",
                    f"Detail {converted['code']} ohne zugehörige allgemeine Angabe in {base}",
                    f"detail {converted['code']} without a general value in {base} to attach it to",
                )

    def _into_komplex(self, out: dict, tcls: ModelClass, key: str, value, o: _Source) -> bool:
        """A property 6.0 moved into the Komplex data type (``textlicheErgaenzung``, ``nutzungText``)."""
        if self.same or isinstance(value, (list, dict)):
            return False
        for name, prop in tcls.properties.items():
            dt = self._komplex(prop)
            if dt is None or key not in dt.properties or not out.get(name):
                continue
            items = out[name] if isinstance(out[name], list) else [out[name]]
            if len(items) != 1 or key in items[0]:
                return False
            converted = self._convert_one(value, None, dt.properties[key], o, key)
            if converted is not None:
                items[0][key] = converted
                self.migrations[f"{o.xplan_class}.{key} -> {tcls.name}.{name}.{key}"] += 1
            return True
        return False

    # -- migrations that need more than one property or object ------------------------------------

    def _external_references(
        self, o: _Source, src_cls: ModelClass | None, tcls: ModelClass, attrs: dict, out: dict
    ) -> None:
        """4.x ``refBegruendung``, ``rechtsverbindlich`` … -> ``externeReferenz`` with that ``typ``."""
        ext = tcls.properties.get("externeReferenz")
        if ext is None or src_cls is None:
            return
        types = {n.lower(): n for n, _label in self.tgt.enumerations["XP_ExterneReferenzTyp"].values.values()}
        for key in list(attrs):
            sprop = src_cls.properties.get(key)
            if (
                key in tcls.properties
                or sprop is None
                or sprop.kind != "data"
                or not (sprop.target or "").startswith("XP_ExterneReferenz")
            ):
                continue
            typ = types.get(key[3:].lower() if key.startswith("ref") else key.lower())
            if typ is None:
                continue
            value = attrs.pop(key)
            for i, item in enumerate(value if isinstance(value, list) else [value]):
                if not isinstance(item, dict):
                    continue
                spez = {**item, "_type": "XP_SpezExterneReferenz", "typ": {"code": None, "name": typ}}
                converted = self._data(spez, ext.target, o, f"{key}[{i}]")
                if converted is not None:
                    out.setdefault("externeReferenz", []).append(converted)
                    self.migrations[f"{o.xplan_class}.{key} -> externeReferenz (typ {typ})"] += 1

    def _raster(self, o: _Source, tcls: ModelClass, attrs: dict, out: dict) -> None:
        """5.x ``XP_Bereich.rasterBasis`` -> the XP_Rasterdarstellung's scans as the Bereich's ``refScan``."""
        if "rasterBasis" not in attrs or "refScan" not in tcls.properties:
            return
        value = attrs.pop("rasterBasis")
        for ref in value if isinstance(value, list) else [value]:
            raster = self.by_id.get(str(ref.get("href", "")).rsplit("#", 1)[-1]) if isinstance(ref, dict) else None
            if raster is None or raster.xplan_class not in _RASTER_CLASSES:
                self.dropped(
                    o,
                    "rasterBasis",
                    "rasterBasis verweist auf keine Rasterdarstellung des Plans",
                    "rasterBasis does not point to a raster object of the plan",
                )
                continue
            self.rasters_moved.add(raster.id)
            self.migrations[f"{o.xplan_class}.rasterBasis -> {tcls.name}.refScan"] += 1
            scan_prop = tcls.properties["refScan"]
            for key, item in raster.attributes.items():
                if key == "refScan":
                    self._put(
                        out, "refScan", self._convert(item, None, scan_prop, raster, "refScan"), scan_prop, raster, key
                    )
                    self.migrations[f"{raster.xplan_class}.refScan -> {tcls.name}.refScan"] += 1
                elif key == "refLegende" and o.plan_id:
                    for i, leg in enumerate(item if isinstance(item, list) else [item]):
                        spez = self._data(
                            {**leg, "_type": "XP_SpezExterneReferenz", "typ": {"code": None, "name": "Legende"}},
                            "XP_SpezExterneReferenz",
                            raster,
                            f"refLegende[{i}]",
                        )
                        if spez is not None:
                            self.moves.append((o.plan_id, "externeReferenz", [spez], raster, key))
                else:
                    self.dropped(
                        raster,
                        key,
                        f"{key} der Rasterdarstellung hat in XPlanGML 6.0 keinen Platz",
                        f"{key} of the raster object has no place in XPlanGML 6.0",
                    )

    def _veraenderungssperre(
        self, o: _Source, src_cls: ModelClass | None, tcls: ModelClass, attrs: dict, out: dict
    ) -> None:
        """5.x flag and dates -> 6.0 BP_VeraenderungssperreDaten (start, end and Verlängerung required)."""
        prop = tcls.properties.get("veraenderungssperre")
        sprop = src_cls.properties.get("veraenderungssperre") if src_cls is not None else None
        if prop is None or prop.kind != "data" or sprop is None or sprop.kind != "boolean":
            return
        keys = {
            "veraenderungssperre": None,
            "veraenderungssperreDatum": "startDatum",
            "veraenderungssperreEndDatum": "endDatum",
            "veraenderungssperreBeschlussDatum": "beschlussDatum",
            "verlaengerungVeraenderungssperre": "verlaengerung",
        }
        found = {k: attrs.pop(k) for k in list(keys) if k in attrs}
        if not found:
            return
        flag = found.pop("veraenderungssperre", None)
        if not found:
            if flag:
                self.dropped(
                    o,
                    "veraenderungssperre",
                    "Veränderungssperre ohne Daten: 6.0 verlangt Beginn, Ende und Verlängerung; nicht übernommen",
                    "Veränderungssperre without dates: 6.0 requires start, end and extension; not exported",
                )
            else:
                self.migrations[
                    f"{o.xplan_class}.veraenderungssperre=false -> (keine/no BP_VeraenderungssperreDaten)"
                ] += 1
            return
        dt = self.tgt.classes[prop.target]
        data: dict = {"_type": dt.name}
        for key, value in found.items():
            name = keys[key]
            if name is None or src_cls is None:  # the flag was taken out above; sprop implies src_cls
                continue
            converted = self._convert(value, src_cls.properties.get(key), dt.properties[name], o, key)
            if converted is not None:
                data[name] = converted
        if "verlaengerung" not in data and "startDatum" in data and "endDatum" in data:
            data["verlaengerung"] = self.tgt.enumerations[dt.properties["verlaengerung"].target].decode("1000")
            self.note(
                FILLED,
                o,
                "verlaengerungVeraenderungssperre",
                "Verlängerung der Veränderungssperre ist in 6.0 Pflicht: Keine (1000) angenommen",
                "extension of the Veränderungssperre is required in 6.0: none (1000) assumed",
            )
        missing = [p for p in ("startDatum", "endDatum") if p not in data]
        if missing:
            self.dropped(
                o,
                ", ".join(found),
                f"Veränderungssperre ohne {', '.join(missing)} (in 6.0 Pflicht); "
                f"nicht übernommen ({json.dumps(found, ensure_ascii=False)[:120]})",
                f"Veränderungssperre without {', '.join(missing)} (required in 6.0); not exported",
            )
            return
        out["veraenderungssperre"] = data
        self.migrations[f"{o.xplan_class}.veraenderungssperre* -> BP_VeraenderungssperreDaten"] += 1

    def _laws(self, o: _Source, src_cls: ModelClass | None, tcls: ModelClass, attrs: dict, out: dict) -> None:
        """5.x ``versionBauNVODatum``/``…Text`` (4.x ``versionBauNVO`` enumeration) -> XP_GesetzlicheGrundlage."""
        for law in _LAWS:
            datum_key, text_key, old_key = f"version{law}Datum", f"version{law}Text", f"version{law}"
            old_prop = src_cls.properties.get(old_key) if src_cls is not None else None
            old_kept = old_prop is not None and old_prop.kind != "data"  # 4.x enumeration or date, not 6.0's type
            present = [k for k in (old_key, datum_key, text_key) if k in attrs and (k != old_key or old_kept)]
            if not present:
                continue
            old = attrs.pop(old_key) if old_key in present else None
            datum, text = attrs.pop(datum_key, None), attrs.pop(text_key, None)
            value: dict = {"_type": "XP_GesetzlicheGrundlage"}
            if isinstance(old, dict):  # 4.x XP_VersionBauNVO: Version_1962 … or AndereGesetzlicheBestimmung
                if old.get("name") in _BAUNVO_DATES:
                    value["name"] = "Baunutzungsverordnung (BauNVO)"
                    datum = datum or _BAUNVO_DATES[old["name"]]
                    if text:
                        value["detail"] = text
                else:  # another law: the text names it
                    value["name"] = text or old.get("label") or old.get("name") or old.get("code")
            elif isinstance(old, str):  # 4.x versionBauGB was a date
                datum = datum or old
            if text and "name" not in value:
                value["name"] = text
            if datum:
                value["datum"] = datum
            target = f"version{law}"
            prop = tcls.properties.get(target)
            for key in present:
                self.migrations[f"{o.xplan_class}.{key} -> XP_GesetzlicheGrundlage {target}"] += 1
            if prop is not None and prop.kind == "data":
                self._put(out, target, [value] if prop.many else value, prop, o, datum_key)
            elif o.is_bereich and o.plan_id:  # 6.0 keeps the laws on the plan only
                self.moves.append((o.plan_id, target, value, o, f"{old_key}/{datum_key}/{text_key}"))
            else:
                self.dropped(
                    o,
                    datum_key,
                    f"{tcls.name} hat in 6.0 keine Angabe zur Version {law}",
                    f"{tcls.name} has no {law} version in 6.0",
                )

    def _dachgestaltung(self, o: _Source, src_cls: ModelClass | None, tcls: ModelClass, attrs: dict, out: dict) -> None:
        """5.x ``dachform``/``DN…`` on the object -> 6.0 ``dachgestaltung`` (one BP_Dachgestaltung per Dachform)."""
        prop = tcls.properties.get("dachgestaltung")
        keys = [k for k in _DACH if k in attrs and k not in tcls.properties]
        if prop is None or not keys:
            return
        found = {k: attrs.pop(k) for k in keys}
        forms = found.pop("dachform", [])
        forms = forms if isinstance(forms, list) else [forms]
        details = found.pop("detaillierteDachform", [])
        details = details if isinstance(details, list) else [details]
        count = max(len(forms), len(details), 1)
        if count > 1 and found:
            self.migrations[f"{o.xplan_class}.DN* -> jede/every BP_Dachgestaltung"] += 1
        for i in range(count):
            item: dict = {"_type": "BP_Dachgestaltung", **found}
            if i < len(forms):
                item["dachform"] = forms[i]
            if i < len(details):
                item["detaillierteDachform"] = details[i]
            converted = self._data(item, prop.target, o, f"dachform[{i}]")
            if converted is not None:
                out.setdefault("dachgestaltung", []).append(converted)
        self.migrations[f"{o.xplan_class}.dachform/DN* -> dachgestaltung"] += 1

    def _kept_class(self, oid: str) -> str:
        """The 6.0 class of an object that is exported (every kept object has one)."""
        target = self.targets[oid]
        if target is None:
            raise KeyError(f"{oid} is not exported")
        return target

    def _move(self, o: _Source, key: str, sprop: Property | None, value) -> bool:
        """A plan property 6.0 only knows on the Bereich (``verfahren``): to every Bereich of the plan."""
        if not o.is_plan:
            return False
        bereiche = [b for b in self.objects if b.is_bereich and b.plan_id == o.id and b.id in self.kept]
        props = [self.tgt.classes[self._kept_class(b.id)].properties.get(key) for b in bereiche]
        bereich_class = self.tgt.classes.get(f"{self._kept_class(o.id).split('_')[0]}_Bereich")
        if not bereiche and bereich_class is not None and key in bereich_class.properties:
            self.dropped(
                o,
                key,
                f"{key} steht in XPlanGML 6.0 am Bereich; der Plan hat keinen Bereich",
                f"{key} belongs to the Bereich in XPlanGML 6.0; the plan has no Bereich",
            )
            return True
        usable = [p for p in props if p is not None]
        if not bereiche or len(usable) < len(props):
            return False
        for b, prop in zip(bereiche, usable, strict=True):
            converted = self._convert(value, sprop, prop, o, key)
            if converted is not None:
                self.moves.append((b.id, key, converted, o, key))
        self.migrations[f"{o.xplan_class}.{key} -> {self.targets[bereiche[0].id]}.{key}"] += 1
        return True

    def _apply_moves(self, objects: list[ExportObject]) -> None:
        by_id = {obj.id: obj for obj in objects}
        for target_id, name, value, source, key in self.moves:
            obj = by_id.get(target_id)
            prop = self.tgt.classes[obj.xplan_class].properties.get(name) if obj is not None else None
            if obj is None or prop is None:
                self.dropped(
                    source,
                    key,
                    f"kein Zielobjekt für {name} in XPlanGML 6.0",
                    f"no object to take {name} in XPlanGML 6.0",
                )
            elif prop.many:
                obj.attributes.setdefault(name, []).extend(value if isinstance(value, list) else [value])
            elif name not in obj.attributes or obj.attributes[name] == value:
                obj.attributes[name] = value
            else:
                self.dropped(
                    source,
                    key,
                    f"{obj.xplan_class} {obj.id} hat schon {name}; abweichender Wert aus {key} nicht übernommen",
                    f"{obj.xplan_class} {obj.id} already has {name}; the differing value from {key} is not exported",
                )

    # -- required properties ----------------------------------------------------------------------

    def _complete(self, obj: ExportObject) -> None:
        """Required 6.0 properties: derive them from the plan structure, else assume (noted), else note."""
        cls = self.tgt.classes[obj.xplan_class]
        src = self.by_id[obj.id]
        a = obj.attributes
        for prop in cls.properties.values():
            if not prop.required or prop.name in a:
                continue
            if prop.kind == "geometry":
                if (
                    prop.name == next(p.name for p in cls.properties.values() if p.kind == "geometry")
                    and obj.geometry is None
                    and src.id == self.plan.id
                    and self.plan.geometry is not None
                ):
                    obj.geometry = self.plan.geometry
                    self.note(
                        FILLED,
                        src,
                        prop.name,
                        "Plan ohne eigenen Geltungsbereich: Vereinigung der Bereiche",
                        "plan without its own area: union of its Bereiche",
                    )
                elif obj.geometry is None:
                    self.note(
                        MISSING,
                        src,
                        prop.name,
                        f"{prop.name} ist Pflicht, das Objekt hat keine Geometrie",
                        f"{prop.name} is required and the object has no geometry",
                    )
                continue
            if prop.name == "gehoertZuBereich" and obj.bereich_id in self.kept:
                a[prop.name] = {"href": f"#{obj.bereich_id}"}
                self.migrations[f"{obj.xplan_class}.gehoertZuBereich aus der Zuordnung / from membership"] += 1
            elif prop.name == "gehoertZuPlan" and obj.plan_id in self.kept:
                a[prop.name] = {"href": f"#{obj.plan_id}"}
                self.migrations[f"{obj.xplan_class}.gehoertZuPlan aus der Zuordnung / from membership"] += 1
            elif prop.name == "flaechenschluss" and prop.kind == "boolean":
                a[prop.name] = any(anc.endswith("_Flaechenschlussobjekt") for anc in cls.ancestors)
                self.note(
                    FILLED,
                    src,
                    prop.name,
                    f"flaechenschluss ist in 6.0 Pflicht: {a[prop.name]} nach der Klasse angenommen",
                    f"flaechenschluss is required in 6.0: {a[prop.name]} assumed from the class",
                )
            elif prop.name == "rechtscharakter" and prop.kind == "enum":
                a[prop.name] = self.tgt.enumerations[prop.target].decode("9998")
                self.note(
                    FILLED,
                    src,
                    prop.name,
                    "rechtscharakter ist in 6.0 Pflicht: Unbekannt (9998) angenommen",
                    "rechtscharakter is required in 6.0: unknown (9998) assumed",
                )
            else:
                self.note(
                    MISSING,
                    src,
                    prop.name,
                    f"Pflichtattribut {prop.name} fehlt und ist nicht ableitbar",
                    f"required property {prop.name} is missing and cannot be derived",
                )


# =========================================================================== XML


def _number(value) -> str:
    return repr(value) if isinstance(value, int) else repr(float(value))


def _pos_list(coords) -> str:
    array = np.asarray(coords, dtype=float)[:, :2]
    return " ".join(map(repr, array.ravel().tolist()))


class _Writer:
    """Builds the XPlanAuszug with lxml, properties in the order of the 6.0 schema's sequences."""

    def __init__(self, model: XPlanSchema, epsg: int, notes: list[ExportNote]):
        self.model = model
        self.srs = f"EPSG:{epsg}"
        self.notes = notes
        self.ids: set[str] = set()
        self._suffix: dict[str, int] = {}
        self._tags: dict[str, str] = {}

    def tag(self, name: str) -> str:
        tag = self._tags.get(name)
        if tag is None:
            tag = self._tags[name] = f"{{{XPLAN_NS}}}{name}"
        return tag

    def document(self, objects: list[ExportObject], plan_id: str) -> etree._Element:
        self.ids = {o.id for o in objects}
        root = etree.Element(
            self.tag("XPlanAuszug"), nsmap={"xplan": XPLAN_NS, "gml": GML_NS, "xlink": XLINK_NS, "xsi": XSI_NS}
        )
        root.set(f"{{{XSI_NS}}}schemaLocation", SCHEMA_LOCATION)
        root.set(_GML_ID, self.unique_id(f"Auszug_{plan_id}"))
        geometries = [o.geometry for o in objects if o.geometry is not None]
        if geometries:
            minx, miny, maxx, maxy = (float(v) for v in shapely.total_bounds(geometries))
            box = etree.SubElement(
                etree.SubElement(root, f"{{{GML_NS}}}boundedBy"), f"{{{GML_NS}}}Envelope", srsName=self.srs
            )
            etree.SubElement(box, f"{{{GML_NS}}}lowerCorner").text = f"{minx!r} {miny!r}"
            etree.SubElement(box, f"{{{GML_NS}}}upperCorner").text = f"{maxx!r} {maxy!r}"
        for obj in objects:
            member = etree.SubElement(root, f"{{{GML_NS}}}featureMember")
            feature = etree.SubElement(member, self.tag(obj.xplan_class))
            feature.set(_GML_ID, obj.id)
            self.properties(feature, self.model.classes[obj.xplan_class], obj.attributes, obj)
        return root

    def unique_id(self, wanted: str) -> str:
        """``wanted``, or ``wanted_1``, ``wanted_2`` … (GML 3.2 needs a document-unique gml:id per geometry)."""
        candidate, n = wanted, self._suffix.get(wanted, 0)
        while candidate in self.ids:
            n += 1
            candidate = f"{wanted}_{n}"
        self._suffix[wanted] = n
        self.ids.add(candidate)
        return candidate

    def properties(self, parent, cls: ModelClass, values: dict, obj: ExportObject | None) -> None:
        geometry_written = False
        for prop in cls.properties.values():
            if prop.kind == "geometry":
                if obj is not None and obj.geometry is not None and not geometry_written:
                    geometry_written = True
                    self.geometry(etree.SubElement(parent, self.tag(prop.name)), obj.geometry, obj.id)
                continue
            value = values.get(prop.name)
            if value is None:
                continue
            for item in value if isinstance(value, list) else [value]:
                self.value(parent, prop, item)

    def value(self, parent, prop: Property, value) -> None:
        el = etree.SubElement(parent, self.tag(prop.name))
        if isinstance(value, dict) and "href" in value and len(value) == 1:
            el.set(_XLINK_HREF, value["href"])
            return
        kind = prop.kind
        if kind == "enum":
            el.text = value["code"]
        elif kind == "codelist":
            el.text = value["code"]
            if value.get("codeSpace"):
                el.set("codeSpace", value["codeSpace"])
        elif kind == "measure":
            if isinstance(value, dict):
                el.text, uom = _number(value["value"]), value["uom"]
            else:
                el.text, uom = _number(value), prop.uom
            el.set("uom", uom)
        elif kind == "int":
            el.text = str(int(value))
        elif kind == "double":
            el.text = _number(value)
        elif kind == "boolean":
            el.text = "true" if value else "false"
        elif kind == "data":
            dt = self.model.classes[value["_type"]]
            self.properties(etree.SubElement(el, self.tag(dt.name)), dt, value, None)
        else:
            el.text = str(value)

    # -- geometry ---------------------------------------------------------------------------------

    def geometry(self, parent, geom: BaseGeometry, fid: str) -> None:
        """GML 3.2 of ``geom``; polygons oriented (exterior counter-clockwise, interiors clockwise)."""
        if geom.geom_type == "GeometryCollection":
            geom = self._dominant(geom, fid)
        if geom.geom_type in ("Polygon", "MultiPolygon"):
            geom = shapely.orient_polygons(geom, exterior_cw=False)
        self._write(parent, geom, fid, top=True)

    def _dominant(self, geom: BaseGeometry, fid: str) -> BaseGeometry:
        """GML of the XPlanung profile has no MultiGeometry: keep the parts of the highest dimension."""
        parts = [g for g in shapely.get_parts(geom) if not g.is_empty]
        dim = max(shapely.get_dimensions(parts))
        kept = [p for p in parts if shapely.get_dimensions(p) == dim]
        self.notes.append(
            ExportNote(
                NOT_REPRESENTABLE,
                fid,
                None,
                "geometry",
                f"Geometriesammlung: {len(parts) - len(kept)} Teil(e) niedrigerer Dimension "
                "nicht exportiert (GML-Profil ohne MultiGeometry)",
                f"geometry collection: {len(parts) - len(kept)} lower-dimension part(s) not "
                "exported (the GML profile has no MultiGeometry)",
            )
        )
        flat = [q for p in kept for q in shapely.get_parts(p)]
        return {2: MultiPolygon, 1: MultiLineString, 0: MultiPoint}[dim](flat)

    def _write(self, parent, geom: BaseGeometry, fid: str, top: bool = False) -> None:
        gml = f"{{{GML_NS}}}"
        kind = geom.geom_type
        name = {
            "Polygon": "Polygon",
            "MultiPolygon": "MultiSurface",
            "LineString": "LineString",
            "LinearRing": "LineString",
            "MultiLineString": "MultiCurve",
            "Point": "Point",
            "MultiPoint": "MultiPoint",
        }[kind]
        el = etree.SubElement(parent, gml + name)
        el.set(_GML_ID, self.unique_id(f"{fid}_{name}"))
        if top:
            el.set("srsName", self.srs)
        if isinstance(geom, Polygon):
            self._ring(etree.SubElement(el, gml + "exterior"), geom.exterior.coords)
            for ring in geom.interiors:
                self._ring(etree.SubElement(el, gml + "interior"), ring.coords)
        elif isinstance(geom, (LineString,)):
            etree.SubElement(el, gml + "posList").text = _pos_list(geom.coords)
        elif isinstance(geom, Point):
            etree.SubElement(el, gml + "pos").text = _pos_list(geom.coords)
        else:
            member = {"MultiSurface": "surfaceMember", "MultiCurve": "curveMember", "MultiPoint": "pointMember"}[name]
            for part in geom.geoms:
                self._write(etree.SubElement(el, gml + member), part, fid)

    @staticmethod
    def _ring(parent, coords) -> None:
        ring = etree.SubElement(parent, f"{{{GML_NS}}}LinearRing")
        etree.SubElement(ring, f"{{{GML_NS}}}posList").text = _pos_list(coords)


# =========================================================================== entry points


def migrate(plan_row, object_rows, version: str | None = None) -> tuple[list[ExportObject], list[ExportNote], Counter]:
    """The plan's objects as XPlanGML 6.0 objects, the notes and the counted migrations (no XML)."""
    plan, objects, version = _plan_sources(plan_row, object_rows, version)
    migration = _Migration(version, plan, objects)
    exported = migration.run()
    return exported, migration.notes, migration.migrations


def to_xplangml(plan_row, object_rows, epsg: int = 25832, version: str | None = None) -> XPlanExport:
    """One stored plan as an XPlanGML 6.0 ``XPlanAuszug``.

    ``plan_row``: the plan's ``xplan_plan`` row (Series or dict); ``object_rows``: its ``xplan_objekt``
    rows (GeoDataFrame, dicts or :class:`~layers.xplanung.model.PlanObject`), attributes as JSON text or
    dict, geometries in EPSG:``epsg`` (the store's CRS, written as ``srsName``).  ``version`` overrides the
    rows' ``xplan_version`` (needed for PlanObjects).  Raises :class:`ExportError` when there is no plan.
    """
    plan, objects, version = _plan_sources(plan_row, object_rows, version)
    migration = _Migration(version, plan, objects)
    exported = migration.run()
    writer = _Writer(migration.tgt, epsg, migration.notes)
    root = writer.document(exported, plan.id)
    content = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    name = plan.attributes.get("name")
    return XPlanExport(
        content=content,
        plan_id=plan.id,
        plan_name=name if isinstance(name, str) else None,
        source_version=version,
        objects=exported,
        notes=migration.notes,
        migrations=migration.migrations,
    )


def to_jsonfg(plan_row, object_rows, epsg: int = 25832) -> dict:
    """One stored plan as an OGC JSON-FG FeatureCollection.

    Every object is a feature with ``featureType`` (its class), ``place`` (the geometry in the storage
    CRS, EPSG:``epsg``, named in ``coordRefSys``) and ``geometry`` (the same in WGS84 lon/lat, for any
    GeoJSON client); its properties are the stored attributes (as read, in the file's version) with
    ``plan_id``, ``bereich_id``, ``xplan_class`` and ``xplan_version``.
    """
    plan, objects, version = _plan_sources(plan_row, object_rows, None)
    to_wgs84 = transformer(epsg, 4326)

    def wgs84(xy: np.ndarray) -> np.ndarray:
        lon, lat = to_wgs84.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    features = []
    for o in objects:
        geom = o.geometry
        features.append(
            {
                "type": "Feature",
                "id": o.id,
                "featureType": o.xplan_class,
                "time": None,
                "place": mapping(geom) if geom is not None else None,
                "geometry": mapping(shapely.transform(geom, wgs84)) if geom is not None else None,
                "properties": {
                    "plan_id": o.plan_id or plan.id,
                    "bereich_id": o.bereich_id,
                    "xplan_class": o.xplan_class,
                    "xplan_version": o.version or version,
                    **o.attributes,
                },
            }
        )
    return {
        "type": "FeatureCollection",
        "conformsTo": JSONFG_CONFORMANCE,
        "coordRefSys": f"http://www.opengis.net/def/crs/EPSG/0/{epsg}",
        "featureType": sorted({o.xplan_class for o in objects}),
        "features": json.loads(json.dumps(features)),  # tuples of shapely's mapping -> lists
    }
