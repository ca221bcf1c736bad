"""The XPlanung model of each version, read from the official XSDs shipped in ``data/xplan-schemas``.

Nothing about XPlanung classes is hand-listed: which elements are feature classes, their
properties in schema order (inherited first), each property's type, multiplicity and the
enumerations with their code names and German labels all come from the schema of the file's
version (4.0, 4.1, 5.0–5.4, 6.0).  The reader uses it to turn every property of every object
into JSON (:mod:`layers.xplanung.model`), validation and export use it too.

Reading one version's XSDs with lxml takes ~0.1 s; the result is cached per process.

Type kinds of a property (``Property.kind``):

``geometry``   a GML geometry (``gml:GeometryPropertyType``, ``gml:MultiSurfacePropertyType`` …)
``reference``  an association, ``xlink:href`` (``gml:ReferenceType``)
``enum``       an XSD enumeration of the XPlanung namespace (codes with names and labels)
``codelist``   an external code list (``gml:CodeType``, ``codeSpace`` attribute)
``data``       an XPlanung data type (``*PropertyType`` wrapping e.g. ``XP_Hoehenangabe``)
``measure``    ``gml:LengthType``/``AreaType``/``AngleType``/``VolumeType``/``MeasureType``/``ScaleType`` (number + uom)
``int``, ``double``, ``boolean``, ``date``, ``datetime``, ``string``, ``uri``, ``any``
"""

from __future__ import annotations

import html
import re
import threading
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import overload

from lxml import etree

#: The shipped official schemas (see data/xplan-schemas/SOURCE.txt).
SCHEMA_DIR = Path(__file__).resolve().parents[2] / "data" / "xplan-schemas"
#: Versions whose schema is shipped, oldest first.
VERSIONS = ("4.0", "4.1", "5.0", "5.1", "5.2", "5.3", "5.4", "6.0")

_XS = "{http://www.w3.org/2001/XMLSchema}"
_GEOMETRY_TYPES = re.compile(
    r"^gml:(Geometry|Point|MultiPoint|Curve|MultiCurve|Surface|MultiSurface|Polygon|MultiPolygon|"
    r"LineString|MultiLineString|MultiGeometry|Solid|MultiSolid)PropertyType$"
)
_MEASURES = {
    "gml:LengthType": "m",
    "gml:AreaType": "m2",
    "gml:AngleType": "grad",
    "gml:VolumeType": "m3",
    "gml:MeasureType": None,
    "gml:ScaleType": None,
}
_SIMPLE = {
    "int": "int",
    "integer": "int",
    "positiveInteger": "int",
    "nonNegativeInteger": "int",
    "decimal": "double",
    "double": "double",
    "float": "double",
    "boolean": "boolean",
    "date": "date",
    "dateTime": "datetime",
    "string": "string",
    "anyURI": "uri",
    "duration": "string",
    "gml:CodeType": "codelist",
    "gml:ReferenceType": "reference",
    "anyType": "any",
}


@dataclass(frozen=True)
class Enumeration:
    """An XSD enumeration: code -> (name, German label)."""

    name: str
    values: dict[str, tuple[str, str | None]]

    def decode(self, code: str) -> dict:
        if code in self.values:
            name, label = self.values[code]
            out = {"code": code, "name": name}
            if label:
                out["label"] = label
            return out
        return {"code": code}


@dataclass(frozen=True)
class Property:
    name: str
    type_name: str  # as in the XSD, prefix normalised to "xplan:" / "gml:" / "" (XSD builtin)
    kind: str  # see module docstring
    many: bool
    required: bool
    #: enum: the enumeration's name; data: the data type's class name; "" for every other kind
    target: str = ""
    uom: str | None = None  # default unit of a measure


@dataclass
class ModelClass:
    """A feature class or data type of the XPlanung model."""

    name: str
    abstract: bool
    base: str | None  # the class it extends (None for the roots)
    substitution_group: str | None
    documentation: str | None
    own_properties: list[Property] = field(default_factory=list)
    properties: dict[str, Property] = field(default_factory=dict)  # inherited first, schema order
    is_feature: bool = False
    ancestors: tuple[str, ...] = ()  # base classes, nearest first

    def is_a(self, name: str) -> bool:
        return name == self.name or name in self.ancestors

    @property
    def geometry_kind(self) -> str | None:
        """ "Flaeche", "Linie", "Punkt", "Geometrie" (any), or None, from the class hierarchy."""
        for anc in (self.name, *self.ancestors):
            for kind in ("Flaechen", "Linien", "Punkt", "Geometrie"):
                if anc.endswith(f"_{kind}objekt"):
                    return {"Flaechen": "Flaeche", "Linien": "Linie"}.get(kind, kind)
        prop = self.properties.get("position")
        return "Geometrie" if prop is not None and prop.kind == "geometry" else None


@dataclass
class XPlanSchema:
    version: str
    namespace: str
    classes: dict[str, ModelClass]  # feature classes and data types, by element name
    enumerations: dict[str, Enumeration]
    #: complexType name -> element name (``BP_PlanType`` -> ``BP_Plan``)
    type_to_class: dict[str, str]
    names_filled: bool = False

    def feature_classes(self, concrete: bool = True) -> list[str]:
        return sorted(n for n, c in self.classes.items() if c.is_feature and not (concrete and c.abstract))

    def model_class(self, name: str) -> ModelClass | None:
        return self.classes.get(name)


class SchemaError(Exception):
    """The schema of a version is not shipped or cannot be read."""


def schema_dir(version: str) -> Path:
    return SCHEMA_DIR / f"XPlanGML_{version.replace('.', '_')}"


_LOCK = threading.RLock()


def schema(version: str) -> XPlanSchema:
    """The model of XPlanung ``version`` ("5.2"); cached. Raises :class:`SchemaError` if not shipped."""
    with _LOCK:  # imports read files in threads; parse each version once
        model = _schema(version)
        if not model.names_filled:
            _fill_names(model)
        return model


def _fill_names(model: XPlanSchema) -> None:
    """Give codes without a name in their schema (4.0 lists bare codes) the name and label the
    same enumeration has in the next versions, where the code exists there."""
    model.names_filled = True
    later = [v for v in VERSIONS if v > model.version]
    for enum_name, enum in model.enumerations.items():
        bare = [c for c, (n, _) in enum.values.items() if n == c]
        if not bare:
            continue
        base = enum_name.removesuffix("Type")
        for v in later:
            other = _schema(v).enumerations.get(base) or _schema(v).enumerations.get(enum_name)
            if other is None:
                continue
            for code in bare:
                if code in other.values and enum.values[code][0] == code:
                    enum.values[code] = other.values[code]


def nearest_version(version: str) -> str | None:
    """The shipped version to read ``version`` with: itself, or the newest of the same major
    (6.1 -> 6.0), or None."""
    if version in VERSIONS:
        return version
    same = [v for v in VERSIONS if v.split(".")[0] == version.split(".")[0]]
    return same[-1] if same else None


@cache
def _schema(version: str) -> XPlanSchema:
    folder = schema_dir(version)
    if not folder.is_dir():
        raise SchemaError(f"no XPlanung schema shipped for version {version} ({folder})")
    namespace = f"http://www.xplanung.de/xplangml/{version.replace('.', '/')}"
    parser = etree.XMLParser(no_network=True, resolve_entities=False, remove_comments=False)
    docs = []
    for xsd in sorted(folder.glob("*.xsd")):
        if "Operationen" in xsd.name:
            continue
        root = etree.parse(str(xsd), parser).getroot()
        if root.get("targetNamespace") == namespace:
            docs.append(root)
    if not docs:
        raise SchemaError(f"schema folder {folder} has no XSD for namespace {namespace}")

    prefixes: dict[str, str] = {}
    for root in docs:
        for prefix, uri in (root.nsmap or {}).items():
            if prefix and uri:
                prefixes[prefix] = (
                    "xplan" if uri == namespace else ("gml" if uri.startswith("http://www.opengis.net/gml") else prefix)
                )

    @overload
    def norm(qname: str) -> str: ...
    @overload
    def norm(qname: str | None) -> str | None: ...
    def norm(qname: str | None) -> str | None:
        if not qname:
            return qname
        if ":" in qname:
            prefix, local = qname.split(":", 1)
            return f"{prefixes.get(prefix, prefix)}:{local}"
        return qname

    enumerations: dict[str, Enumeration] = {}
    complex_types: dict[str, etree._Element] = {}
    elements: dict[str, etree._Element] = {}
    for root in docs:
        for el in root:
            if not isinstance(el.tag, str):
                continue
            name = el.get("name")
            if el.tag == f"{_XS}simpleType":
                enum = _enumeration(el, name)
                if enum is not None:
                    enumerations[name] = enum
            elif el.tag == f"{_XS}complexType":
                complex_types[name] = el
            elif el.tag == f"{_XS}element":
                elements[name] = el

    type_to_class = {
        norm(str(el.get("type"))).split(":", 1)[-1]: name for name, el in elements.items() if el.get("type")
    }
    # property types wrapping a data type: XP_HoehenangabePropertyType -> XP_Hoehenangabe
    wrapped: dict[str, str] = {}
    for tname, ct in complex_types.items():
        if not tname.endswith("PropertyType"):
            continue
        ref = ct.find(f"{_XS}sequence/{_XS}element")
        if ref is not None and ref.get("ref"):
            wrapped[tname] = norm(str(ref.get("ref"))).split(":", 1)[-1]

    def prop_of(el) -> Property | None:
        name = el.get("name")
        if name is None:
            return None  # _GenericApplicationPropertyOf… refs
        tname = norm(el.get("type")) or ""
        many = el.get("maxOccurs", "1") != "1"
        required = el.get("minOccurs", "1") != "0"
        local = tname.split(":", 1)[-1]
        if _GEOMETRY_TYPES.match(tname):
            return Property(name, tname, "geometry", many, required)
        if tname in _MEASURES:
            return Property(name, tname, "measure", many, required, uom=_MEASURES[tname])
        if tname in _SIMPLE:
            return Property(name, tname, _SIMPLE[tname], many, required)
        if tname.startswith("xplan:"):
            if local in enumerations:
                return Property(name, tname, "enum", many, required, target=local)
            if local in wrapped:
                return Property(name, tname, "data", many, required, target=wrapped[local])
            if local in complex_types:  # an inline data type without property wrapper
                return Property(name, tname, "data", many, required, target=type_to_class.get(local, local))
        return Property(name, tname, "string" if not tname else "any", many, required)

    classes: dict[str, ModelClass] = {}
    for name, el in elements.items():
        tname = (norm(el.get("type")) or "").split(":", 1)[-1]
        ct = complex_types.get(tname)
        if ct is None:
            continue
        ext = ct.find(f"{_XS}complexContent/{_XS}extension")
        base_type = norm(ext.get("base")) if ext is not None else None
        seq = ext.find(f"{_XS}sequence") if ext is not None else ct.find(f"{_XS}sequence")
        own = [
            p
            for p in (prop_of(e) for e in (seq if seq is not None else []) if e.tag == f"{_XS}element")
            if p is not None
        ]
        doc = ct.find(f"{_XS}annotation/{_XS}documentation")
        base = None
        if base_type:
            base_local = base_type.split(":", 1)[-1]
            base = type_to_class.get(base_local) if base_type.startswith("xplan:") else base_type
        classes[name] = ModelClass(
            name=name,
            abstract=(el.get("abstract") == "true" or ct.get("abstract") == "true"),
            base=base,
            substitution_group=(norm(el.get("substitutionGroup")) or "").split(":", 1)[-1] or None,
            documentation=(doc.text or "").strip() if doc is not None else None,
            own_properties=own,
        )

    for cls in classes.values():
        chain, b = [], cls.base
        while b and b in classes and b not in chain:
            chain.append(b)
            b = classes[b].base
        cls.ancestors = tuple(chain)
        root_base = classes[chain[-1]].base if chain else cls.base
        cls.is_feature = bool(root_base and root_base.startswith("gml:AbstractFeature"))
        props: dict[str, Property] = {}
        for anc in (*reversed(chain), cls.name):
            for p in classes[anc].own_properties:
                props[p.name] = p
        cls.properties = props
    return XPlanSchema(
        version=version, namespace=namespace, classes=classes, enumerations=enumerations, type_to_class=type_to_class
    )


def _enumeration(el, name: str) -> Enumeration | None:
    restriction = el.find(f"{_XS}restriction")
    if restriction is None:
        return None
    values: dict[str, tuple[str, str | None]] = {}
    for enum in restriction.findall(f"{_XS}enumeration"):
        code = enum.get("value")
        comment = next((c.text.strip() for c in enum if c.tag is etree.Comment and c.text), None)
        doc = enum.find(f"{_XS}annotation/{_XS}documentation")
        label = " ".join(html.unescape(doc.text).split()) if doc is not None and doc.text else None
        values[code] = (comment or code, label)
    return Enumeration(name, values) if values else None
