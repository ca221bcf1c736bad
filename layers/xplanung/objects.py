"""Every feature member of an XPlanGML document as a :class:`~layers.xplanung.model.PlanObject`.

Driven by the schema of the document's version (:mod:`layers.xplanung.schema`): each property is
converted by its type (enumerations decoded with name and German label, data types nested, measures
as numbers, associations as ``{"href": …}``; see :mod:`layers.xplanung.model`).  A property the
schema does not know (an ADE, a writer's extension) is kept as it is, generically, and named in the
warnings; nothing readable is dropped.

Which plan and Bereich an object belongs to is worked out for every plan type alike: the object's
own ``gehoertZuBereich`` (or ``gehoertNachrichtlichZuBereich``), else the Bereich listing it
(``planinhalt``, ``inhaltBPlan`` …, ``nachrichtlich``, ``praesentationsobjekt``, ``rasterBasis``),
texts through the plan's ``texte`` or the objects citing them (``refTextInhalt``), Präsentationsobjekte
through the object they present (``dientZurDarstellungVon``), else the only plan of the file.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from layers.xplanung.gml import XPlanError, _Context, _read_geometry, read_geometries
from layers.xplanung.model import PlanObject
from layers.xplanung.schema import ModelClass, Property, XPlanSchema
from layers.xplanung.xml import XLINK_HREF, _feature_id, _is_gml, _local, _ref_id

#: GML properties every feature may carry; boundedBy is derived, the others are kept.
_GML_SKIP = {"boundedBy"}
#: Associations from a Bereich (or plan) to the objects it holds, across versions.
_CONTENT_LINKS = (
    "planinhalt",
    "nachrichtlich",
    "praesentationsobjekt",
    "rasterBasis",
    "inhaltBPlan",
    "inhaltFPlan",
    "inhaltSoPlan",
    "inhaltRPlan",
    "inhaltLPlan",
)
_TEXT_LINKS = ("texte", "begruendungsTexte")
_LABEL_PROPERTIES = ("schriftinhalt", "name", "schluessel", "nummer")


@dataclass
class ReadObjects:
    """The objects of one document with what reading them found."""

    objects: list[PlanObject]
    warnings: list[str] = field(default_factory=list)
    #: xplan_class -> number of feature members in the file
    classes_in_file: Counter = field(default_factory=Counter)


def read_objects(features: list, ctx: _Context, model: XPlanSchema) -> ReadObjects:
    """Every feature of ``features`` (lxml elements) as a PlanObject, each assigned to its plan."""
    result = ReadObjects(objects=[])
    unknown_props: Counter = Counter()
    unknown_classes: Counter = Counter()
    read_geometries([(prop, el) for el in features for prop in _geometry_properties(el, model)], ctx, result.warnings)
    for el in features:
        name = _local(el)
        result.classes_in_file[name] += 1
        cls = model.classes.get(name)
        if cls is None:
            unknown_classes[name] += 1
        obj = _read_object(el, cls, name, ctx, model, unknown_props, result.warnings)
        result.objects.append(obj)
    _assign_plans(result.objects, result.warnings)
    for name, n in sorted(unknown_classes.items()):
        result.warnings.append(
            f"class {name} (×{n}) is not in the XPlanung {model.version} schema; kept with its properties as read"
        )
    for (cls_name, prop), n in sorted(unknown_props.items()):
        result.warnings.append(f"{cls_name}.{prop} (×{n}) is not in the XPlanung {model.version} schema; kept as read")
    return result


def _read_object(
    el,
    cls: ModelClass | None,
    name: str,
    ctx: _Context,
    model: XPlanSchema,
    unknown_props: Counter,
    warnings: list[str],
) -> PlanObject:
    fid = _feature_id(el)
    attributes: dict = {}
    references: dict[str, list[str]] = {}
    geometry = None
    geometry_property = None
    props = cls.properties if cls is not None else {}
    for child in el:
        pname = _local(child)
        if not pname or (pname in _GML_SKIP and _is_gml(child)):
            continue
        prop = props.get(pname)
        href = child.get(XLINK_HREF)
        if href is not None and (prop is None or prop.kind in ("reference", "data", "any", "string")):
            ref = _ref_id(href)
            if ref:
                references.setdefault(pname, []).append(ref)
            _put(attributes, pname, {"href": href}, prop)
            continue
        if (prop is not None and prop.kind == "geometry") or (prop is None and _holds_geometry(child)):
            if geometry_property is None:
                geometry_property = pname
                geometry = _read_geometry(child, el, ctx, warnings)
            else:
                warnings.append(f"{fid}: second geometry property {pname} of {name} not stored as geometry")
            continue
        if prop is None and not _is_gml(child):
            unknown_props[(name, pname)] += 1
        _put(attributes, pname, _value(child, prop, model, unknown_props), prop)
    ebene = attributes.get("ebene")
    flaechenschluss = attributes.get("flaechenschluss")
    rc = attributes.get("rechtscharakter")
    if isinstance(rc, list):
        rc = rc[0] if rc else None
    return PlanObject(
        id=fid,
        xplan_class=name,
        plan_id=fid if name.endswith("_Plan") else None,
        bereich_id=None,
        geometry=geometry,
        geometry_property=geometry_property,
        attributes=attributes,
        references=references,
        ebene=int(ebene) if isinstance(ebene, (int, float)) else 0,
        flaechenschluss=flaechenschluss if isinstance(flaechenschluss, bool) else None,
        rechtscharakter=(rc.get("name") or rc.get("code")) if isinstance(rc, dict) else rc,
        flaechenschluss_class=cls is not None
        and any(a.endswith("_Flaechenschlussobjekt") for a in (cls.name, *cls.ancestors)),
    )


def _geometry_properties(el, model: XPlanSchema) -> list:
    """The first geometry property of a feature (the one :func:`_read_object` stores), if any."""
    cls = model.classes.get(_local(el))
    props = cls.properties if cls is not None else {}
    for child in el:
        pname = _local(child)
        if not pname or child.get(XLINK_HREF) is not None or (pname in _GML_SKIP and _is_gml(child)):
            continue
        prop = props.get(pname)
        if (prop is not None and prop.kind == "geometry") or (prop is None and _holds_geometry(child)):
            return [child]
    return []


def _holds_geometry(el) -> bool:
    first = next((c for c in el if isinstance(c.tag, str)), None)
    return first is not None and _is_gml(first) and _local(first) not in ("TimeInstant", "TimePeriod")


def _put(attributes: dict, name: str, value, prop: Property | None) -> None:
    if value is None:
        return
    if prop is not None and prop.many:
        attributes.setdefault(name, []).append(value)
    elif name in attributes:  # repeated although the schema says once: keep both
        prev = attributes[name]
        attributes[name] = (prev if isinstance(prev, list) else [prev]) + [value]
    else:
        attributes[name] = value


def _value(el, prop: Property | None, model: XPlanSchema, unknown_props: Counter):
    """The JSON value of property element ``el`` (see :mod:`layers.xplanung.model`)."""
    kind = prop.kind if prop is not None else None
    text = el.text.strip() if el.text and el.text.strip() else None
    if kind == "enum" and prop is not None:
        enum = model.enumerations.get(prop.target)
        return enum.decode(text) if enum is not None and text is not None else ({"code": text} if text else None)
    if kind == "codelist":
        if text is None:
            return None
        out = {"code": text}
        if el.get("codeSpace"):
            out["codeSpace"] = el.get("codeSpace")
        return out
    if kind == "measure" and prop is not None:
        number = _number(text)
        uom = el.get("uom")
        if number is None:
            return None
        return number if not uom or uom == prop.uom else {"value": number, "uom": uom}
    if kind in ("int", "double"):
        number = _number(text)
        if number is None:
            return text
        return int(number) if kind == "int" and number == int(number) else number
    if kind == "boolean":
        return None if text is None else text in ("true", "1")
    if kind in ("date", "datetime", "string", "uri"):
        return text
    # data types, anyType and properties the schema does not know: nested elements become dicts
    inner = [c for c in el if isinstance(c.tag, str)]
    if not inner:
        return text
    if len(inner) == 1 and _local(inner[0]) in model.classes:
        return _data(inner[0], model.classes[_local(inner[0])], model, unknown_props)
    nested: dict = {}
    for c in inner:
        _put(nested, _local(c), _value(c, None, model, unknown_props), None)
    return nested


def _data(el, cls: ModelClass, model: XPlanSchema, unknown_props: Counter) -> dict:
    out: dict = {"_type": cls.name}
    for child in el:
        pname = _local(child)
        if not pname:
            continue
        prop = cls.properties.get(pname)
        if child.get(XLINK_HREF) is not None:
            _put(out, pname, {"href": child.get(XLINK_HREF)}, prop)
            continue
        if prop is None:
            unknown_props[(cls.name, pname)] += 1
        _put(out, pname, _value(child, prop, model, unknown_props), prop)
    return out


def _number(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def label_of(obj: PlanObject) -> str | None:
    """A short text to show for the object: its Schriftinhalt, name, Schlüssel or number."""
    for key in _LABEL_PROPERTIES:
        value = obj.attributes.get(key)
        if isinstance(value, list):
            value = value[0] if value else None
        if isinstance(value, (str, int, float)) and str(value).strip():
            return str(value).strip()[:200]
    return None


# =========================================================================== plan membership


def _assign_plans(objects: list[PlanObject], warnings: list[str]) -> None:
    """Set ``plan_id`` and ``bereich_id`` of every object (see the module docstring)."""
    by_id = {o.id: o for o in objects}
    plans = [o for o in objects if o.is_plan]
    plan_of_bereich: dict[str, str] = {}
    for plan in plans:
        for b in plan.references.get("bereich", []):
            plan_of_bereich[b] = plan.id
    bereich_of: dict[str, str] = {}
    for bereich in (o for o in objects if o.is_bereich):
        owner = next(iter(bereich.references.get("gehoertZuPlan", [])), None)
        if owner is not None and owner in by_id and by_id[owner].is_plan:
            plan_of_bereich[bereich.id] = owner
        for link in _CONTENT_LINKS:
            for oid in bereich.references.get(link, []):
                bereich_of.setdefault(oid, bereich.id)
    plan_of: dict[str, str] = {}
    for plan in plans:
        for link in _TEXT_LINKS:
            for t in plan.references.get(link, []):
                plan_of.setdefault(t, plan.id)
    single = plans[0].id if len(plans) == 1 else None

    for o in objects:
        if o.is_plan:
            continue
        if o.is_bereich:
            o.plan_id = plan_of_bereich.get(o.id)
            o.bereich_id = o.id
            continue
        own = next(
            (
                r
                for k, refs in o.references.items()
                if k.startswith("gehoert") and "Bereich" in k
                for r in refs
                if r in plan_of_bereich
            ),
            None,
        )
        bid = own or bereich_of.get(o.id)
        o.bereich_id = bid
        o.plan_id = plan_of_bereich.get(bid) if bid else plan_of.get(o.id)
    # second pass: texts cited by objects, presentation objects through what they present
    pending = [o for o in objects if o.plan_id is None and not o.is_plan]
    if pending:
        cited: dict[str, str] = {}
        for o in objects:
            if o.plan_id:
                for t in o.references.get("refTextInhalt", []) + o.references.get("refBegruendungInhalt", []):
                    cited.setdefault(t, o.plan_id)
        for o in pending:
            target = next(iter(o.references.get("dientZurDarstellungVon", [])), None)
            o.plan_id = cited.get(o.id) or (by_id[target].plan_id if target in by_id else None) or single
            if target in by_id and o.bereich_id is None:
                o.bereich_id = by_id[target].bereich_id
    orphans = [o for o in objects if o.plan_id is None]
    if orphans and plans:
        first = plans[0].id
        warnings.append(
            f"{len(orphans)} object(s) belong to no plan of the file; stored with plan {first}: "
            + ", ".join(o.id for o in orphans[:5])
            + (" ..." if len(orphans) > 5 else "")
        )
        for o in orphans:
            o.plan_id = first


def plans_of(objects: list[PlanObject]) -> dict[str, list[PlanObject]]:
    """plan id -> its objects (the plan itself first), in document order."""
    out: dict[str, list[PlanObject]] = defaultdict(list)
    for o in objects:
        if o.is_plan:
            out[o.id].insert(0, o)
        elif o.plan_id:
            out[o.plan_id].append(o)
    return out


def check_readable(objects: list[PlanObject], label: str) -> None:
    if not any(o.is_plan for o in objects):
        raise XPlanError(f"{label}: XPlanGML document without any plan (BP_Plan, FP_Plan, SO_Plan, RP_Plan, LP_Plan)")
