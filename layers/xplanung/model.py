"""What the XPlanung reader hands to validation, storage and export: plain records, no XML.

Every feature member of an XPlanGML document becomes one :class:`PlanObject`, whatever its class
(BP/FP/SO/RP/LP/XP, plans, Bereiche and Präsentationsobjekte included).  Its ``attributes`` hold
every property of the file except the geometry, in a JSON-able form derived from the schema:

* simple values as JSON scalars (``int``/``double``/measures as numbers, ``boolean`` as bool,
  dates as ISO strings, text as str);
* enumeration values (XSD ``simpleType`` with ``enumeration``) as
  ``{"code": "1000", "name": "FestsetzungBPlan", "label": "Festsetzung in einem Bebauungsplan"}``
  (``name``/``label`` from the schema; an unknown code keeps just ``code``);
* external code lists (``gml:CodeType``) as ``{"code": "...", "codeSpace": "..."}``;
* data types (``XP_Hoehenangabe``, ``BP_Dachgestaltung``, ``XP_ExterneReferenz`` ...) as nested
  dicts of the same form, with a ``"_type"`` key naming the data type;
* associations (``xlink:href``) as ``{"href": "#GML_..."}``, and the referenced gml:ids also in
  :attr:`PlanObject.references` for quick checks;
* properties that may repeat (``maxOccurs > 1``) always as lists.

Property names are those of the file's own XPlanung version.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shapely.geometry.base import BaseGeometry

#: The plan types of XPlanung, by class prefix.
PLAN_TYPES = {
    "BP": ("Bebauungsplan", "Zoning plan"),
    "FP": ("Flächennutzungsplan", "Land-use plan"),
    "SO": ("Sonstiges Planwerk", "Other plan"),
    "RP": ("Raumordnungsplan", "Regional plan"),
    "LP": ("Landschaftsplan", "Landscape plan"),
}


@dataclass
class PlanObject:
    """One feature member of an XPlanGML document."""

    id: str  # gml:id
    xplan_class: str  # e.g. "BP_BaugebietsTeilFlaeche", "FP_Plan", "XP_PPO"
    plan_id: str | None  # gml:id of the plan it belongs to (itself for a plan)
    bereich_id: str | None  # gml:id of its Bereich, if any
    #: Geometry as read from the file, in the storage CRS, *not* repaired: ring orientation and
    #: self-intersections are still as the file has them (validation checks them).
    geometry: BaseGeometry | None
    #: Name of the geometry property it came from ("position", "raeumlicherGeltungsbereich" ...).
    geometry_property: str | None = None
    attributes: dict = field(default_factory=dict)
    #: property name -> referenced gml:ids (without '#'), in document order
    references: dict[str, list[str]] = field(default_factory=dict)
    #: Ebene (0 unless the file says otherwise) and the flaechenschluss flag, where the class has one
    ebene: int = 0
    flaechenschluss: bool | None = None
    rechtscharakter: str | None = None  # decoded name, e.g. "Festsetzung"
    #: True for the closed list of Flächenschlussobjekte classes (schema: substitution group
    #: BP_Flaechenschlussobjekt / FP_Flaechenschlussobjekt, or their 4.x/5.x equivalents)
    flaechenschluss_class: bool = False

    @property
    def plan_type(self) -> str:
        """ "BP", "FP", "SO", "RP", "LP" or "XP" (shared classes: texts, Präsentationsobjekte)."""
        return self.xplan_class.split("_", 1)[0]

    @property
    def is_plan(self) -> bool:
        return self.xplan_class.endswith("_Plan")

    @property
    def is_bereich(self) -> bool:
        return self.xplan_class.endswith("_Bereich")


@dataclass
class Finding:
    """One result of validating a plan (see :mod:`layers.xplanung.validation`)."""

    severity: str  # "error" | "warning"
    rule: str  # e.g. "xsd", "geometrie.gueltig", "geometrie.laufrichtung", "referenz", "flaechenschluss"
    message_de: str
    message_en: str
    object_id: str | None = None
    xplan_class: str | None = None
    line: int | None = None  # line in the file (XSD findings)

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}
