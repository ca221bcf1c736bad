"""Read an XPlanGML file of any plan type and version: :func:`read_xplan`.

One :class:`PlanImport` per plan in the file (an ``XPlanAuszug`` may hold several), carrying frames
for ``Store.replace``, already in the storage CRS:

* ``xplan_plan``: the plan with its Rechtsstand, dates, attributes, validation report and the
  per-class import report ("in file / stored");
* ``xplan_objekt``: every feature member of the plan (plan, Bereiche, content, texts,
  Präsentationsobjekte), every property kept (:mod:`layers.xplanung.objects`);
* for Bebauungspläne also the dedicated ``bp_*`` layers (:mod:`layers.xplanung.bplan`).

Anything that makes the file unusable (not XML, not XPlanGML, no plan, an unreadable geometry) raises
:class:`XPlanError` naming the file and the reason; everything else is imported and reported.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from layers.xplanung.bplan import _frame, read_bp_plans
from layers.xplanung.gml import (
    XPlanError,
    _any_geometry,
    _Context,
    _default_srs,
    _features,
    _label,
    _parse,
    _polygonal,
)
from layers.xplanung.model import PlanObject
from layers.xplanung.objects import check_readable, label_of, plans_of, read_objects
from layers.xplanung.schema import SchemaError, nearest_version, schema
from layers.xplanung.xml import GML_NAMESPACES, xplan_version

if TYPE_CHECKING:
    from layers.xplanung.validation import ValidationReport

#: Rechtsstand names (any plan type) of a plan that is in force, or partly.
_IN_FORCE = (
    "inkraftgetreten",
    "wirksamkeit",
    "teilweiseuntergegangen",
    "teilweiseaufgehoben",
    "teilweiseausserkraft",
    "rechtskraft",
)
_NOT_IN_FORCE = ("untergegangen", "aufgehoben", "ausserkraft")
_KIND = {
    "Polygon": "Flaeche",
    "MultiPolygon": "Flaeche",
    "LineString": "Linie",
    "MultiLineString": "Linie",
    "Point": "Punkt",
    "MultiPoint": "Punkt",
}


@dataclass
class PlanImport:
    """One plan read from an XPlanGML file, as frames of the common schema."""

    plan_id: str  # gml:id of the plan
    name: str
    frames: dict[str, gpd.GeoDataFrame]  # layer_id -> frame in EPSG:epsg
    warnings: list[str] = field(default_factory=list)
    plan_type: str = "BP"
    #: class -> {"in_file": n, "stored": n}
    class_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    report: ValidationReport | None = None


def parse_document(path, epsg: int = 25832) -> tuple[_Context, list, object]:
    """Parse ``path``: the reading context, its XPlanung features and the root element."""
    path = Path(path)
    label = _label(path)
    root = _parse(path, label)
    try:
        version = xplan_version(root)
    except ValueError:
        raise XPlanError(f"{label}: not an XPlanGML document (root element is {root.tag})") from None
    try:
        target_crs = CRS.from_epsg(epsg)
    except CRSError as err:
        raise XPlanError(f"{label}: unknown target CRS EPSG:{epsg} ({err})") from None
    by_id = {}
    for ns in GML_NAMESPACES:  # the attribute test runs in C: most elements carry no gml:id
        attr = f"{{{ns}}}id"
        if root.get(attr):
            by_id[root.get(attr)] = root
        for el in root.iterfind(f".//*[@{attr}]"):
            by_id[el.get(attr)] = el
    ctx = _Context(
        path=path,
        label=label,
        version=version,
        epsg=epsg,
        target_crs=target_crs,
        default_srs=_default_srs(root),
        by_id=by_id,
    )
    xplan_ns = f"http://www.xplanung.de/xplangml/{version.replace('.', '/')}"
    return ctx, _features(root, xplan_ns), root


@dataclass
class Document:
    """A read XPlanGML document: its root, version and every object (geometries as in the file)."""

    root: object
    version: str
    objects: list[PlanObject]
    warnings: list[str]
    classes_in_file: Counter
    ctx: _Context
    features: list


def read_document(path, epsg: int = 25832) -> Document:
    """Every object of the XPlanGML file ``path`` (any plan type, XPlanung 4.0–6.0)."""
    ctx, features, root = parse_document(path, epsg)
    model_version = nearest_version(ctx.version)
    warnings: list[str] = []
    if model_version is None:
        raise XPlanError(f"{ctx.label}: XPlanGML {ctx.version} is not supported (schemas shipped: 4.0–6.0)")
    if model_version != ctx.version:
        warnings.append(f"XPlanGML {ctx.version}: no schema shipped, read with the {model_version} schema")
    try:
        model = schema(model_version)
    except SchemaError as err:
        raise XPlanError(f"{ctx.label}: {err}") from None
    read = read_objects(features, ctx, model)
    check_readable(read.objects, ctx.label)
    return Document(
        root=root,
        version=ctx.version,
        objects=read.objects,
        warnings=warnings + read.warnings,
        classes_in_file=read.classes_in_file,
        ctx=ctx,
        features=features,
    )


def read_xplan(
    path, epsg: int = 25832, raster_dir: Path | None = None, raster_url_prefix: str = "rasters/", validate: bool = True
) -> list[PlanImport]:
    """Read an XPlanGML file; one :class:`PlanImport` per plan, frames in EPSG:``epsg``.

    With ``raster_dir`` the plan images the file references are warped to EPSG:3857 PNGs under
    ``raster_dir/<plan_id>/`` and listed in ``bp_planraster``.  With ``validate`` every plan
    gets its validation report (XSD, geometry, references, Flächenschluss, Konformitätsregeln).
    Raises :class:`XPlanError` (naming the file) when the file cannot be imported.
    """
    doc = read_document(path, epsg)
    ctx = doc.ctx
    imported_at = datetime.now(UTC).isoformat(timespec="seconds")
    bp_imports = {p.plan_id: p for p in read_bp_plans(doc.features, ctx, raster_dir, raster_url_prefix, imported_at)}
    xsd_findings = []
    if validate:
        from layers.xplanung import validation  # XSD schemas compile on first use only

        xsd_findings = validation.validate_xsd(doc.root, doc.version, limit=None)
    model = schema(nearest_version(doc.version) or doc.version)  # no shipped version: SchemaError names it

    plan_names = {o.id: o.attributes for o in doc.objects if o.is_plan}
    results: list[PlanImport] = []
    for plan_id, members in plans_of(doc.objects).items():
        plan = members[0]
        warnings: list[str] = list(doc.warnings) if not results else []
        objekt_rows = [_objekt_row(o, model, doc.version, warnings) for o in members]
        stored = Counter(row["xplan_class"] for row in objekt_rows)
        in_file = Counter(o.xplan_class for o in members)
        class_counts = {c: {"in_file": in_file[c], "stored": stored[c]} for c in sorted(in_file)}
        report = None
        if validate:
            own_ids = {o.id for o in members}
            xsd = [f for f in xsd_findings if f.object_id is None or f.object_id in own_ids]
            report = validation.validate(members, version=doc.version, xsd_findings=xsd)
        plan_row = _plan_row(plan, members, ctx, imported_at, class_counts, report, plan_names)
        frames = {
            "xplan_plan": _frame("xplan_plan", [plan_row], ctx.epsg),
            "xplan_objekt": _frame("xplan_objekt", objekt_rows, ctx.epsg),
        }
        bp = bp_imports.get(plan_id)
        if bp is not None:
            frames.update(bp.frames)
            warnings.extend(bp.warnings)
        results.append(
            PlanImport(
                plan_id=plan_id,
                name=plan_row["name"] or plan_id,
                frames=frames,
                warnings=list(dict.fromkeys(warnings)),
                plan_type=plan.plan_type,
                class_counts=class_counts,
                report=report,
            )
        )
    return results


def _objekt_row(o: PlanObject, model, version: str, warnings: list[str]) -> dict:
    cls = model.classes.get(o.xplan_class)
    geom = o.geometry
    if geom is not None and not geom.is_empty:
        stored = (
            _polygonal(geom, o.id, warnings)
            if geom.geom_type in ("Polygon", "MultiPolygon")
            else _any_geometry(geom, o.id, warnings)
        )
    else:
        stored = None
    return {
        "id": o.id,
        "plan_id": o.plan_id,
        "bereich_id": o.bereich_id,
        "plan_type": o.plan_type,
        "xplan_class": o.xplan_class,
        "class_group": cls.ancestors[0] if cls is not None and cls.ancestors else None,
        "geometry_kind": _KIND.get(stored.geom_type) if stored is not None else None,
        "rechtscharakter": o.rechtscharakter,
        "ebene": o.ebene,
        "flaechenschluss": o.flaechenschluss,
        "label": label_of(o),
        "attributes": json.dumps(o.attributes, ensure_ascii=False),
        "xplan_version": version,
        "geometry": stored,
    }


def _first(value):
    return value[0] if isinstance(value, list) and value else (None if isinstance(value, list) else value)


def _name_of(value) -> str | None:
    value = _first(value)
    if isinstance(value, dict):
        return value.get("name") or value.get("code")
    return value


def _date(attributes: dict, *names: str, last: bool = False) -> str | None:
    values: list = []
    for n in names:
        v = attributes.get(n)
        values.extend(v if isinstance(v, list) else [v])
    dates = sorted(str(v)[:10] for v in values if isinstance(v, str) and len(v) >= 10)
    return (dates[-1] if last else dates[0]) if dates else None


def _plan_row(
    plan: PlanObject,
    members: list[PlanObject],
    ctx: _Context,
    imported_at: str,
    class_counts: dict,
    report,
    plan_names: dict[str, dict],
) -> dict:
    """The ``xplan_plan`` row; ``plan_names``: gml:id -> attributes of every plan of the document, so a
    link to another plan of the file (``aendert``/``wurdeGeaendertVon`` by xlink) gets its name."""
    a = plan.attributes
    gemeinden = [g.get("gemeindeName") for g in (a.get("gemeinde") or []) if isinstance(g, dict)]
    planart = a.get("planArt")
    planarten = [
        (p.get("label") or p.get("name") or p.get("code")) if isinstance(p, dict) else p
        for p in (planart if isinstance(planart, list) else [planart])
        if p
    ]
    rs = _first(a.get("rechtsstand"))
    rs_name = _name_of(rs)
    in_kraft = None
    announced = _date(a, "inkrafttretensDatum", "wirksamkeitsDatum", "datumDesInkrafttretens", "rechtsverordnungsDatum")
    if rs_name:
        key = rs_name.lower()
        in_kraft = any(k in key for k in _IN_FORCE) and key not in _NOT_IN_FORCE
        # A Satzung (or Hamburg's Verordnung) with the date it took effect is in force, whatever stage the
        # writer left in rechtsstand.
        if key == "satzung" and announced:
            in_kraft = True
    aendert = []
    for prop in ("aendert", "wurdeGeaendertVon", "aendertPlan", "wurdeGeaendertVonPlan"):
        for v in (a.get(prop) or []) if isinstance(a.get(prop), list) else [a.get(prop)]:
            if isinstance(v, dict):
                ref = v.get("verbundenerPlan")
                other = str(ref.get("href", "")).rsplit("#", 1)[-1] if isinstance(ref, dict) else None
                known = plan_names.get(other or "") or {}
                aendert.append(
                    {
                        "beziehung": prop,
                        "plan_id": other or None,
                        "name": v.get("planName") or known.get("name"),
                        "nummer": v.get("nummer") or known.get("nummer"),
                        "art": _name_of(v.get("rechtscharakter") or v.get("aenderungsArt")),
                    }
                )
    geom = _polygonal(plan.geometry, plan.id, []) if plan.geometry is not None else None
    if geom is None:  # a plan without Geltungsbereich: the union of its Bereiche, else nothing
        parts = [o.geometry for o in members if o.is_bereich and o.geometry is not None]
        geom = _polygonal(shapely.union_all(parts), plan.id, []) if parts else None
    return {
        "id": plan.id,
        "plan_id": plan.id,
        "plan_type": plan.plan_type,
        "xplan_class": plan.xplan_class,
        "name": a.get("name"),
        "nummer": a.get("nummer"),
        "gemeinde": ", ".join(dict.fromkeys(g for g in gemeinden if g)) or None,
        "planart": ", ".join(dict.fromkeys(str(p) for p in planarten)) or None,
        "rechtsstand": rs_name,
        "rechtsstand_label": rs.get("label") if isinstance(rs, dict) else None,
        "in_kraft": in_kraft,
        "aufstellungsbeschluss_datum": _date(a, "aufstellungsbeschlussDatum"),
        "auslegung_start_datum": _date(a, "auslegungsStartDatum", "auslegungStartDatum"),
        "auslegung_end_datum": _date(a, "auslegungsEndDatum", "auslegungEndDatum", last=True),
        "satzungsbeschluss_datum": _date(a, "satzungsbeschlussDatum", "planbeschlussDatum"),
        "inkrafttretens_datum": announced,
        "untergangs_datum": _date(a, "untergangsDatum"),
        "aendert": json.dumps(aendert, ensure_ascii=False) if aendert else None,
        "xplan_version": ctx.version,
        "source_file": ctx.label,
        "imported_at": imported_at,
        "valid": report.valid if report is not None else None,
        "error_count": report.counts.get("error", 0) if report is not None else None,
        "warning_count": report.counts.get("warning", 0) if report is not None else None,
        "validation": json.dumps(report.as_dict(), ensure_ascii=False) if report is not None else None,
        "import_report": json.dumps(class_counts, ensure_ascii=False),
        "attributes": json.dumps(a, ensure_ascii=False),
        "geometry": geom,
    }
