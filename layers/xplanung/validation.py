"""Validation of XPlanGML plans as a Kommune's XPlanManager / xPlanBox validator does it.

Pure functions over the parsed document and its :class:`~layers.xplanung.model.PlanObject` s; no
database, no I/O except reading the shipped schemas.  Each check returns
:class:`~layers.xplanung.model.Finding` s (severity ``"error"`` or ``"warning"``, a rule id, a German
and an English message); :func:`validate` combines them into a :class:`ValidationReport`.

* :func:`validate_xsd`: the document against the official schema of its version (``xsd``).
* :func:`check_geometry`: validity and ring orientation (``geometrie.*``).
* :func:`check_references`: associations point to objects of the document, plan ↔ Bereich agree,
  objects that belong to no plan (``referenz*``).
* :func:`check_flaechenschluss`: the Flächenschluss of BP and FP plans (``flaechenschluss.*``).
* :func:`check_konformitaet`: semantic rules of the XPlanung Konformitätsbedingungen (``konformitaet.*``).

Every rule is listed in :data:`RULES` (id, severity, German and English description).

XSD, offline
    The schemas of XPlanGML 4.0, 4.1, 5.0–5.4 and 6.0 are shipped in ``data/xplan-schemas``
    (``SOURCE.txt``).  ``XPlanGML.xsd`` declares every class but not the root ``XPlanAuszug``, which
    ``XPlanung-Operationen.xsd`` adds; that file also imports WFS 2.0 by URL without using any of
    it, so the import is answered with an empty WFS schema by :class:`_OfflineResolver`, which also
    serves the W3C ``xml.xsd``, XLink and GML URLs from the shipped copies.  Any other import by
    URL makes compiling fail loudly (:class:`SchemaUnavailable`) instead of silently validating
    less; the parser has ``no_network=True`` and libxml2 2.14 (lxml 6) has no HTTP client at all.
    A root that is not ``XPlanAuszug`` (a WFS/GML FeatureCollection) is validated feature by
    feature.  Each version's schema is compiled once per process (under a lock; validations of a
    version are serialised because lxml keeps one error log per schema object).

    Measured (2 shared cores, lxml 6.1 / libxml2 2.14): compiling a version's schema takes
    45–80 ms (4.0: 70 ms, 4.1: 77 ms, 5.0–5.4: 44–64 ms, 6.0: 51 ms), once per process; validating
    a document takes 0.3–16 ms for the real test plans (LA22_5-2, 1.8 MB: 16 ms) and 44 ms for the
    7 MB RP_5-1_Test.

Flächenschluss (Konformitätsbedingung 2.2.1.1), as xPlanBox's ``OptimisedFlaechenschlussInspector``
    Objects of Ebene 0 with a surface as ``position`` and ``flaechenschluss`` true (or not given in a
    class that is a Flächenschlussobjekt), whatever their class, must neither overlap nor leave
    gaps; BP objects not in force today by ``startBedingung``/``endeBedingung`` are left out.  They
    are grouped by the area they must fill: their Bereich's ``geltungsbereich`` where the Bereich
    has one, else the plan's ``raeumlicherGeltungsbereich`` (minus the Geltungsbereiche of its
    Bereiche).  Holes of a Geltungsbereich are not part of it, so an island left out of the plan is
    no gap.  Tolerance as xPlanBox: two points closer than 2 mm are the same, so an overlap or gap
    narrower than 2 mm (vanishing under a negative buffer of 1 mm) is ignored; pieces under
    0.01 m² are ignored too.  Gaps are errors from XPlanGML 6.0 on and warnings before (xPlanBox:
    "Lücken im Flächenschluss sind bis 5.4 zugelassen"); overlaps are always errors.  Vectorised:
    one STRtree, one predicate pass and one ``union_all`` per group.  Measured: a synthetic FNP of
    3,600 Flächenschlussobjekte (60 × 60 blocks of 40 vertices, 1 overlap, 1 gap) takes 0.55 s;
    the real test plans take 0.1–55 ms (LA22_5-2, 1,349 objects: 55 ms).

    Not done (xPlanBox does): the check that touching objects share their vertices (2 mm) and the
    exemption of Änderungspläne from the plan-level coverage.

All checks of :func:`validate` on a real plan take 1–130 ms besides XSD (LA22_5-2: 117 ms;
RP_5-1_Test, 2,885 objects with large regional polygons: 0.4 s).
"""

from __future__ import annotations

import bisect
import re
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import shapely
from lxml import etree
from shapely.geometry import MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

from layers.xplanung.model import Finding, PlanObject

#: The shipped official schemas (see data/xplan-schemas/SOURCE.txt).
SCHEMA_DIR = Path(__file__).resolve().parents[2] / "data" / "xplan-schemas"
#: At most this many findings of one rule are listed; one more finding says how many were left out.
MAX_FINDINGS_PER_RULE = 200
#: xPlanBox's FlaechenschlussTolerance.ALLOWEDDISTANCE_METRE: points closer than this are identical.
TOLERANCE_M = 0.002
#: Overlaps, gaps and parts outside the Geltungsbereich smaller than this (m²) are not reported.
MIN_AREA_M2 = 0.01


@dataclass(frozen=True)
class Rule:
    """One rule of the validation, as the README lists it."""

    id: str
    severity: str  # "error" | "warning" (the severity of most of its findings)
    description_de: str
    description_en: str


#: Every rule the validation checks.
RULES: tuple[Rule, ...] = (
    Rule(
        "xsd",
        "error",
        "Das Dokument ist gültig gegen das offizielle XPlanGML-Schema seiner Version (4.0–6.0).",
        "The document is valid against the official XPlanGML schema of its version (4.0–6.0).",
    ),
    Rule(
        "geometrie.gueltig",
        "error",
        "Jede Geometrie ist nicht leer und gültig (keine Selbstüberschneidung, genug Punkte, ...).",
        "Every geometry is non-empty and valid (no self-intersection, enough points, ...).",
    ),
    Rule(
        "geometrie.laufrichtung",
        "error",
        "Außenringe von Flächen laufen gegen, Innenringe im Uhrzeigersinn (GML/XPlanung).",
        "Exterior rings of surfaces run counter-clockwise, interior rings clockwise (GML/XPlanung).",
    ),
    Rule(
        "referenz",
        "error",
        "Jede Relation (xlink:href) verweist auf ein Objekt des Dokuments der erwarteten Art.",
        "Every association (xlink:href) points to an object of the document of the expected kind.",
    ),
    Rule(
        "referenz.plan_bereich",
        "error",
        "gehoertZuPlan eines Bereichs und bereich seines Plans stimmen überein.",
        "A Bereich's gehoertZuPlan and its plan's bereich agree.",
    ),
    Rule(
        "referenz.ohne_plan",
        "warning",
        "Jedes Objekt ist über Relationen mit einem Plan verbunden.",
        "Every object is linked to a plan through associations.",
    ),
    Rule(
        "flaechenschluss.ueberlappung",
        "error",
        "2.2.1.1: Flächenschlussobjekte der Ebene 0 überlappen sich nicht.",
        "2.2.1.1: Flächenschluss objects of Ebene 0 do not overlap.",
    ),
    Rule(
        "flaechenschluss.luecke",
        "error",
        "2.2.1.1: Flächenschlussobjekte der Ebene 0 füllen den Geltungsbereich lückenlos "
        "(bis XPlanGML 5.4 nur Warnung).",
        "2.2.1.1: Flächenschluss objects of Ebene 0 fill the Geltungsbereich without gaps "
        "(a warning only up to XPlanGML 5.4).",
    ),
    Rule("konformitaet.plan_name", "error", "Jeder Plan hat einen Namen (name).", "Every plan has a name."),
    Rule(
        "konformitaet.plan_geltungsbereich",
        "error",
        "Jeder Plan hat einen räumlichen Geltungsbereich (raeumlicherGeltungsbereich).",
        "Every plan has a Geltungsbereich (raeumlicherGeltungsbereich).",
    ),
    Rule(
        "konformitaet.grz",
        "error",
        "GRZ, GRZmin, GRZmax und GRZ_Ausn liegen zwischen 0 (ausschließlich) und 1.",
        "GRZ, GRZmin, GRZmax and GRZ_Ausn lie between 0 (exclusive) and 1.",
    ),
    Rule(
        "konformitaet.mass_positiv",
        "error",
        "Maße der baulichen Nutzung sind positiv: GFZ, GF, GR, BMZ, BM (und ihre min/max/Ausn) > 0, "
        "Geschosszahlen (Z, ZU ...) ≥ 0.",
        "Measures of building use are positive: GFZ, GF, GR, BMZ, BM (and their min/max/Ausn) > 0, "
        "storey counts (Z, ZU ...) ≥ 0.",
    ),
    Rule(
        "konformitaet.min_max",
        "error",
        "Bei Bereichsangaben ist der Mindestwert nicht größer als der Höchstwert "
        "(Zmin ≤ Zmax, GRZmin ≤ GRZmax, GFZmin ≤ GFZmax ...).",
        "In ranges the minimum is not above the maximum (Zmin ≤ Zmax, GRZmin ≤ GRZmax, GFZmin ≤ GFZmax ...).",
    ),
    Rule(
        "konformitaet.bereichsangabe",
        "error",
        "Ist der Höchstwert einer Bereichsangabe belegt (GFZmax, Zmax ...), ist auch der Mindestwert "
        "belegt (Schema: 'Das Attribut GFZmin muss ebenfalls belegt sein').",
        "Where the maximum of a range is given (GFZmax, Zmax ...), the minimum is given too "
        "(schema: 'Das Attribut GFZmin muss ebenfalls belegt sein').",
    ),
    Rule(
        "konformitaet.wert_und_bereich",
        "error",
        "Ein Wert und eine Bereichsangabe desselben Maßes schließen sich aus (Z nicht mit Zmin/Zmax, "
        "Zzwingend nicht mit Z/Zmin/Zmax; ebenso GRZ, GFZ, GR, GF, ZU).",
        "A value and a range of the same measure exclude each other (Z not with Zmin/Zmax, "
        "Zzwingend not with Z/Zmin/Zmax; likewise GRZ, GFZ, GR, GF, ZU).",
    ),
    Rule(
        "konformitaet.datum_reihenfolge",
        "error",
        "Verfahrensdaten in zeitlicher Folge: Aufstellungsbeschluss ≤ Satzungsbeschluss/Rechtsverordnung "
        "≤ Ausfertigung ≤ Inkrafttreten (BP); Aufstellungsbeschluss ≤ Planbeschluss ≤ Wirksamkeit (FP).",
        "Procedure dates in order: Aufstellungsbeschluss ≤ Satzungsbeschluss/Rechtsverordnung "
        "≤ Ausfertigung ≤ Inkrafttreten (BP); Aufstellungsbeschluss ≤ Planbeschluss ≤ Wirksamkeit (FP).",
    ),
    Rule(
        "konformitaet.innerhalb_geltungsbereich",
        "warning",
        "2.2.3.1: Raumbezogene Objekte liegen im Geltungsbereich ihres Bereichs (sonst des Plans), Toleranz 2 mm.",
        "2.2.3.1: Spatial objects lie within the Geltungsbereich of their Bereich (else of the plan), tolerance 2 mm.",
    ),
    Rule(
        "konformitaet.so_relation",
        "error",
        "6.1.3.4–6.1.3.13: SO-Objekte nutzen die BP-Relationen (wirdAusgeglichenDurchBP..., zusatzkontingent, "
        "zusatzkontingentFlaeche, richtungssektorGrenze) nur in einem BP_Plan, die FP-Relationen "
        "(wirdAusgeglichenDurchFP...) nur in einem FP_Plan.",
        "6.1.3.4–6.1.3.13: SO objects use the BP associations (wirdAusgeglichenDurchBP..., zusatzkontingent, "
        "zusatzkontingentFlaeche, richtungssektorGrenze) only in a BP_Plan, the FP associations "
        "(wirdAusgeglichenDurchFP...) only in an FP_Plan.",
    ),
)
RULES_BY_ID = {r.id: r for r in RULES}


# =========================================================================== report


@dataclass
class ValidationReport:
    """The result of :func:`validate` for one plan (or one document)."""

    #: no finding of severity "error"
    valid: bool
    #: at most MAX_FINDINGS_PER_RULE per rule, plus one finding per rule saying how many were left out
    findings: list[Finding]
    #: counts of all findings, including those left out of ``findings``
    by_severity: dict[str, int] = field(default_factory=dict)
    by_rule: dict[str, int] = field(default_factory=dict)
    #: the checks that ran: "xsd", "geometrie", "referenz", "flaechenschluss", "konformitaet"
    checks: list[str] = field(default_factory=list)
    version: str | None = None

    @property
    def counts(self) -> dict[str, int]:
        """Findings by severity ("error", "warning"): the name the importer uses."""
        return self.by_severity

    @property
    def errors(self) -> int:
        return self.by_severity.get("error", 0)

    @property
    def warnings(self) -> int:
        return self.by_severity.get("warning", 0)

    def as_dict(self) -> dict:
        """JSON-able form, stored with the plan."""
        return {
            "valid": self.valid,
            "version": self.version,
            "checks": list(self.checks),
            "by_severity": dict(self.by_severity),
            "by_rule": dict(self.by_rule),
            "findings": [f.as_dict() for f in self.findings],
        }

    def text(self) -> str:
        """The report as the importer prints it, German and English."""
        verdict = "gültig / valid" if self.valid else "ungültig / invalid"
        lines = [
            f"Validierung / validation (XPlanGML {self.version or '?'}): {verdict}; "
            f"{self.errors} Fehler / errors, {self.warnings} Warnungen / warnings",
            f"  Prüfungen / checks: {', '.join(self.checks) or '-'}",
        ]
        for rule, n in sorted(self.by_rule.items()):
            lines.append(f"  {rule}: {n}")
        for f in self.findings:
            head = "FEHLER/ERROR" if f.severity == "error" else "WARNUNG/WARNING"
            where = " ".join(
                x
                for x in (
                    f.object_id,
                    f"({f.xplan_class})" if f.xplan_class else None,
                    f"Zeile/line {f.line}" if f.line else None,
                )
                if x
            )
            lines.append(f"- {head} [{f.rule}]{' ' + where if where else ''}")
            lines.append(f"    de: {f.message_de}")
            lines.append(f"    en: {f.message_en}")
        return "\n".join(lines)


def validate(
    objects: list[PlanObject],
    root=None,
    version: str | None = None,
    xsd_findings: list[Finding] | None = None,
    *,
    limit: int | None = MAX_FINDINGS_PER_RULE,
) -> ValidationReport:
    """Run every check on ``objects`` (one plan or a whole document) and report.

    Parameters
    ----------
    objects
        The plan's objects as the reader gives them (geometries not repaired).
    root
        The parsed document (lxml element or tree) for the XSD check; without it and without
        ``xsd_findings`` the XSD check is left out.
    version
        XPlanGML version ("5.2"); taken from ``root`` when not given.  Decides the schema and
        whether Flächenschluss gaps are errors (6.0 on) or warnings (up to 5.4).
    xsd_findings
        Findings of :func:`validate_xsd` already made for the whole document (the reader validates
        a file once and hands each plan its part).
    limit
        Findings listed per rule (counts cover all).
    """
    if version is None and root is not None:
        version = document_version(root)
    findings: list[Finding] = []
    checks: list[str] = []
    if xsd_findings is not None:
        findings += xsd_findings
        checks.append("xsd")
    elif root is not None:
        findings += validate_xsd(root, version or "?", limit=None)
        checks.append("xsd")
    findings += check_geometry(objects, limit=None)
    findings += check_references(objects, limit=None)
    findings += check_flaechenschluss(objects, version=version, limit=None)
    findings += check_konformitaet(objects, limit=None)
    checks += ["geometrie", "referenz", "flaechenschluss", "konformitaet"]
    by_severity = Counter(f.severity for f in findings)
    by_rule = Counter(f.rule for f in findings)
    return ValidationReport(
        valid=by_severity.get("error", 0) == 0,
        findings=_cap(findings, limit),
        by_severity=dict(by_severity),
        by_rule=dict(sorted(by_rule.items())),
        checks=checks,
        version=version,
    )


def _cap(findings: list[Finding], limit: int | None) -> list[Finding]:
    """The first ``limit`` findings of each rule, and per rule one finding counting the rest."""
    if limit is None:
        return findings
    seen: Counter = Counter()
    left_out: Counter = Counter()
    severity: dict[str, str] = {}
    kept = []
    for f in findings:
        seen[f.rule] += 1
        if seen[f.rule] <= limit:
            kept.append(f)
        else:
            left_out[f.rule] += 1
            if severity.get(f.rule) != "error":
                severity[f.rule] = f.severity
    for rule, n in left_out.items():
        kept.append(
            Finding(
                severity=severity[rule],
                rule=rule,
                message_de=f"... und {n} weitere Meldungen der Regel {rule} (nicht einzeln aufgeführt)",
                message_en=f"... and {n} more findings of rule {rule} (not listed)",
            )
        )
    return kept


# =========================================================================== XSD


_XPLAN_NS = re.compile(r"^http://www\.xplanung\.de/xplangml/(\d+)/(\d+)$")
_GML_ID = ("{http://www.opengis.net/gml/3.2}id", "{http://www.opengis.net/gml}id")
_MEMBER_NAMES = ("featureMember", "featureMembers", "member")
_WFS_STUB = b'<schema xmlns="http://www.w3.org/2001/XMLSchema" targetNamespace="http://www.opengis.net/wfs/2.0"/>'
_REMOTE = re.compile(r"^(https?|ftp)://", re.IGNORECASE)


class SchemaUnavailable(Exception):
    """A shipped schema cannot be compiled offline (an import by URL we have no copy of)."""


def document_version(root) -> str | None:
    """XPlanGML version of a parsed document from its namespaces ("5.2"), or None."""
    if hasattr(root, "getroot"):
        root = root.getroot()
    candidates = [etree.QName(root).namespace or "", *(ns for ns in (root.nsmap or {}).values() if ns)]
    for i, el in enumerate(root.iter()):
        if i > 200:  # the features come early
            break
        if isinstance(el.tag, str):
            candidates.append(etree.QName(el).namespace or "")
    for ns in candidates:
        match = _XPLAN_NS.match(ns)
        if match:
            return f"{match.group(1)}.{match.group(2)}"
    return None


def _version_dir(version: str, schema_dir: Path) -> Path | None:
    match = re.fullmatch(r"(\d+)\.(\d+)", version or "")
    if not match:
        return None
    folder = schema_dir / f"XPlanGML_{match.group(1)}_{match.group(2)}"
    return folder if (folder / "XPlanung-Operationen.xsd").is_file() else None


class _OfflineResolver(etree.Resolver):
    """Answers imports by URL from the shipped copies; records the ones it cannot answer."""

    def __init__(self, version_dir: Path, schema_dir: Path):
        super().__init__()
        profile = next(iter(sorted(version_dir.glob("*/gmlProfilexplan.xsd"))), None)
        self.local = {
            "xml.xsd": schema_dir / "xlink" / "xml.xsd",
            "xlink.xsd": schema_dir / "xlink" / "xlink.xsd",
            "xlinks.xsd": schema_dir / "xlink" / "xlink.xsd",
        }
        if profile is not None:  # XPlanung uses its GML 3.2 profile wherever GML is imported
            self.local["gml.xsd"] = profile
        self.unresolved: list[str] = []

    def resolve(self, url, pubid, context):
        if not url or not _REMOTE.match(url):
            return None  # a relative or file path: the shipped files themselves
        if "/wfs/" in url.lower():
            return self.resolve_string(_WFS_STUB, context)
        local = self.local.get(url.rsplit("/", 1)[-1].lower())
        if local is not None and local.is_file():
            return self.resolve_filename(str(local), context)
        self.unresolved.append(url)
        return None  # no network: libxml2 skips it, and _compile refuses the result


@dataclass
class _CompiledSchema:
    schema: etree.XMLSchema
    seconds: float
    #: libxml2's messages while compiling (an import it could not load would show here)
    compile_log: tuple[str, ...] = ()
    #: lxml keeps one error log per schema object: one validation at a time
    lock: threading.Lock = field(default_factory=threading.Lock)


_SCHEMAS: dict[tuple[str, str], _CompiledSchema] = {}
_SCHEMAS_LOCK = threading.Lock()


#: How often a compile is tried when libxml2 skipped an import the resolver was never asked for.
COMPILE_ATTEMPTS = 3


def _compile(version_dir: Path, schema_dir: Path) -> _CompiledSchema:
    start = time.perf_counter()
    for _ in range(COMPILE_ATTEMPTS):
        resolver = _OfflineResolver(version_dir, schema_dir)
        parser = etree.XMLParser(no_network=True, resolve_entities=False)
        parser.resolvers.add(resolver)
        try:
            schema = etree.XMLSchema(etree.parse(str(version_dir / "XPlanung-Operationen.xsd"), parser))
        except (etree.XMLSchemaParseError, etree.XMLSyntaxError, OSError) as err:
            raise SchemaUnavailable(f"{version_dir.name}: schema cannot be compiled ({err})") from None
        if resolver.unresolved:
            raise SchemaUnavailable(
                f"{version_dir.name}: imports by URL without a shipped copy: "
                + ", ".join(sorted(set(resolver.unresolved)))
            )
        log = tuple(e.message for e in schema.error_log)
        # libxml2's document loader is one for the whole process: lxml swaps its resolver in and out around each
        # use, so another thread's call can leave an import of this compile without it (libxml2 then "skips the
        # import"). A schema missing an import checks less without saying so: compile it again.
        if not any("skipping the import" in m.lower() for m in log):
            return _CompiledSchema(schema=schema, seconds=time.perf_counter() - start, compile_log=log)
    raise SchemaUnavailable(f"{version_dir.name}: an import was skipped while compiling: {log[-1] if log else ''}")


def compiled_schema(version: str, schema_dir: Path | None = None) -> _CompiledSchema | None:
    """The compiled schema of ``version`` (cached per process), None if none is shipped.

    Raises :class:`SchemaUnavailable` when the shipped schema cannot be compiled offline.
    """
    schema_dir = Path(schema_dir) if schema_dir is not None else SCHEMA_DIR
    folder = _version_dir(version, schema_dir)
    if folder is None:
        return None
    key = (version, str(schema_dir.resolve()))
    with _SCHEMAS_LOCK:
        compiled = _SCHEMAS.get(key)
        if compiled is None:
            compiled = _SCHEMAS[key] = _compile(folder, schema_dir)
    return compiled


def validate_xsd(
    root, version: str, schema_dir: Path | None = None, *, limit: int | None = MAX_FINDINGS_PER_RULE
) -> list[Finding]:
    """Findings (rule ``xsd``) of validating the parsed document ``root`` against its version's schema.

    Offline, from ``schema_dir`` (default: the shipped ``data/xplan-schemas``).  Each XSD error
    names the line and the gml:id of the feature it lies in.  A version without a shipped schema
    gives one warning and no check.
    """
    if hasattr(root, "getroot"):
        root = root.getroot()
    compiled = compiled_schema(version, schema_dir)
    if compiled is None:
        return [
            Finding(
                severity="warning",
                rule="xsd",
                message_de=f"Kein Schema für XPlanGML {version} mitgeliefert; XSD-Prüfung übersprungen",
                message_en=f"no schema for version {version} shipped; XSD check skipped",
            )
        ]
    findings: list[Finding] = []
    if etree.QName(root).localname == "XPlanAuszug" and _XPLAN_NS.match(etree.QName(root).namespace or ""):
        targets = [root]
    else:  # a WFS or GML FeatureCollection: XPlanung declares its features, not the collection
        targets = _feature_elements(root)
        findings.append(
            Finding(
                severity="warning",
                rule="xsd",
                message_de=f"Wurzelelement {etree.QName(root).localname} ist kein XPlanAuszug; "
                f"die {len(targets)} Objekte wurden einzeln gegen das Schema geprüft",
                message_en=f"root element {etree.QName(root).localname} is not XPlanAuszug; "
                f"its {len(targets)} features were validated one by one",
            )
        )
    locator = _Locator(root)
    with compiled.lock:
        for target in targets:
            if compiled.schema.validate(target):
                continue
            for entry in compiled.schema.error_log:
                findings.append(_xsd_finding(entry, locator, None if target is root else target))
    return _cap(findings, limit)


def _feature_elements(root) -> list:
    """The XPlanung features below the feature members of a collection."""
    out = []
    for member in root.iter(*("{*}" + name for name in _MEMBER_NAMES)):
        for child in member:
            if isinstance(child.tag, str) and _XPLAN_NS.match(etree.QName(child).namespace or ""):
                out.append(child)
    return out


def _gml_id_of(el) -> str | None:
    for attr in _GML_ID:
        value = el.get(attr)
        if value:
            return value
    return None


class _Locator:
    """Finds the element and the feature an XSD error lies in."""

    def __init__(self, root):
        self.root = root
        self.tree = root.getroottree()
        self.namespaces = {k: v for k, v in (root.nsmap or {}).items() if k}
        self._starts: list[int] | None = None
        self._features: list = []

    def element(self, entry):
        """The element named by the error's XPath (libxml2 writes it with the document's prefixes)."""
        if not entry.path:
            return None
        try:
            hits = self.tree.xpath(entry.path, namespaces=self.namespaces)
        except (etree.XPathError, ValueError):
            return None
        return hits[0] if isinstance(hits, list) and hits and isinstance(hits[0], etree._Element) else None

    def feature(self, el, line: int | None):
        """The nearest feature (XPlanung element with gml:id) holding ``el``, else the one at ``line``."""
        if el is not None:
            for node in (el, *el.iterancestors()):
                if _gml_id_of(node) and _XPLAN_NS.match(etree.QName(node).namespace or ""):
                    return node
            return None
        if not line:
            return None
        if self._starts is None:
            self._features = sorted(
                (f for f in _feature_elements(self.root) if f.sourceline), key=lambda f: f.sourceline
            )
            self._starts = [f.sourceline for f in self._features]
        i = bisect.bisect_right(self._starts, line) - 1
        return self._features[i] if i >= 0 else None


_NS_PREFIXES = (
    (re.compile(r"\{http://www\.xplanung\.de/xplangml/\d+/\d+\}"), "xplan:"),
    (re.compile(r"\{http://www\.opengis\.net/gml(/3\.2)?\}"), "gml:"),
    (re.compile(r"\{http://www\.w3\.org/1999/xlink\}"), "xlink:"),
)


def _short(message: str) -> str:
    """libxml2's message with ``xplan:``/``gml:`` prefixes instead of ``{namespace}``."""
    for pattern, prefix in _NS_PREFIXES:
        message = pattern.sub(prefix, message)
    return message


def _xsd_finding(entry, locator: _Locator, feature=None) -> Finding:
    """One XSD error; ``feature`` is the feature validated on its own (collection roots), if any."""
    el = locator.element(entry) if feature is None else None
    line = entry.line or (el.sourceline if el is not None else None) or None
    feature = feature if feature is not None else locator.feature(el, line)
    severity = "warning" if entry.level_name == "WARNING" else "error"
    return Finding(
        severity=severity,
        rule="xsd",
        message_de=f"Schemafehler: {_short(entry.message)}",
        message_en=f"schema error: {_short(entry.message)}",
        object_id=_gml_id_of(feature) if feature is not None else None,
        xplan_class=etree.QName(feature).localname if feature is not None else None,
        line=line,
    )


# =========================================================================== geometry


def _finding(obj: PlanObject, rule: str, de: str, en: str, severity: str | None = None) -> Finding:
    return Finding(
        severity=severity or RULES_BY_ID[rule].severity,
        rule=rule,
        message_de=de,
        message_en=en,
        object_id=obj.id,
        xplan_class=obj.xplan_class,
    )


def _fmt_point(geom: BaseGeometry) -> str:
    x, y = geom.x, geom.y
    return f"({x:.3f} {y:.3f})"


def _polygons(geom: BaseGeometry | None) -> list[Polygon]:
    """The polygons a geometry is made of, as given (orientation untouched)."""
    if geom is None or geom.is_empty:
        return []
    if isinstance(geom, Polygon):
        return [geom]
    if hasattr(geom, "geoms"):
        return [p for g in geom.geoms for p in _polygons(g)]
    return []


def check_geometry(objects: list[PlanObject], *, limit: int | None = MAX_FINDINGS_PER_RULE) -> list[Finding]:
    """Validity (``geometrie.gueltig``) and ring orientation (``geometrie.laufrichtung``) of every geometry.

    The reader hands geometries over as the file has them, so an invalid or wrongly oriented
    geometry is reported here rather than silently repaired.
    """
    findings = []
    for obj in objects:
        if obj.geometry is not None:
            findings += _geometry_findings(obj, obj.geometry)
    return _cap(findings, limit)


def _geometry_findings(obj: PlanObject, geom: BaseGeometry) -> list[Finding]:
    prop = f" ({obj.geometry_property})" if obj.geometry_property else ""
    if geom.is_empty:
        return [_finding(obj, "geometrie.gueltig", f"Leere Geometrie{prop}", f"empty geometry{prop}")]
    out = []
    reason = shapely.is_valid_reason(geom)
    if reason != "Valid Geometry":
        out.append(
            _finding(
                obj, "geometrie.gueltig", f"Ungültige Geometrie{prop}: {reason}", f"invalid geometry{prop}: {reason}"
            )
        )
    wrong = _wrong_rings(geom)
    if wrong:
        de = "; ".join(
            f"{'Außenring' if kind == 'exterior' else 'Innenring'} {ring} von Fläche {part} "
            f"läuft {'im' if kind == 'exterior' else 'gegen den'} Uhrzeigersinn (Start {start})"
            for part, kind, ring, start in wrong
        )
        en = "; ".join(
            f"{kind} ring {ring} of polygon {part} runs "
            f"{'clockwise' if kind == 'exterior' else 'counter-clockwise'} (start {start})"
            for part, kind, ring, start in wrong
        )
        out.append(
            _finding(
                obj,
                "geometrie.laufrichtung",
                f"Falsche Laufrichtung{prop} (außen gegen, innen im Uhrzeigersinn verlangt): {de}",
                f"wrong ring orientation{prop} (exterior counter-clockwise, interior clockwise required): {en}",
            )
        )
    return out


def _wrong_rings(geom: BaseGeometry) -> list[tuple[int, str, int, str]]:
    """(polygon no., "exterior"/"interior", ring no., start point) of each wrongly oriented ring (1-based)."""
    out = []
    for part, poly in enumerate(_polygons(geom), start=1):
        rings = [("exterior", 1, poly.exterior)] + [("interior", i, r) for i, r in enumerate(poly.interiors, 1)]
        for kind, number, ring in rings:
            if Polygon(ring).area == 0:  # degenerate: no orientation (geometrie.gueltig reports it)
                continue
            if bool(shapely.is_ccw(ring)) != (kind == "exterior"):
                x, y = ring.coords[0][:2]
                out.append((part, kind, number, f"{x:.3f} {y:.3f}"))
    return out


# =========================================================================== references


#: Associations (gml:ReferenceType in the schemas 4.0–6.0) that must point into the same document.
#: Left out: verbundenerPlan, verbundenerPlanBereich, refObjektBauleitplanung, refObjektRaumordnung,
#: verbundenesLPObjekt, which may name objects of other documents.
ASSOCIATIONS = frozenset(
    {
        "gehoertZuPlan",
        "bereich",
        "gehoertZuBereich",
        "gehoertNachrichtlichZuBereich",
        "gehoertZuBP_Bereich",
        "gehoertZuFP_Bereich",
        "gehoertZuSO_Bereich",
        "gehoertZuRP_Bereich",
        "gehoertZuLP_Bereich",
        "planinhalt",
        "nachrichtlich",
        "inhaltBPlan",
        "inhaltFPlan",
        "inhaltSoPlan",
        "inhaltRPlan",
        "inhaltLPlan",
        "praesentationsobjekt",
        "dientZurDarstellungVon",
        "wirdDargestelltDurch",
        "gehoertZuPraesentationsobjekt",
        "texte",
        "refTextInhalt",
        "abweichungText",
        "begruendungsTexte",
        "refBegruendungInhalt",
        "rasterBasis",
        "rasterAenderung",
        "wirdAusgeglichenDurchFlaeche",
        "wirdAusgeglichenDurchMassnahme",
        "wirdAusgeglichenDurchABE",
        "wirdAusgeglichenDurchSPE",
        "wirdAusgeglichenDurchSPEFlaeche",
        "wirdAusgeglichenDurchSPEMassnahme",
        "wirdAusgeglichenDurchBPFlaeche",
        "wirdAusgeglichenDurchBPMassnahme",
        "wirdAusgeglichenDurchBPABE",
        "wirdAusgeglichenDurchBPSPEFlaeche",
        "wirdAusgeglichenDurchBPSPEMassnahme",
        "wirdAusgeglichenDurchFPFlaeche",
        "wirdAusgeglichenDurchFPSPE",
        "zusatzkontingent",
        "zusatzkontingentFlaeche",
        "richtungssektorGrenze",
        "baugrenze",
        "baulinie",
        "begrenzungslinie",
        "flaechenteil",
        "hat",
        "zuordnung",
        "eigentuemer",
        "wegerecht",
    }
)
_BEREICH_LINKS = (
    "gehoertZuBereich",
    "gehoertNachrichtlichZuBereich",
    "gehoertZuBP_Bereich",
    "gehoertZuFP_Bereich",
    "gehoertZuSO_Bereich",
    "gehoertZuRP_Bereich",
    "gehoertZuLP_Bereich",
)
_CONTENT_LINKS = (
    "planinhalt",
    "nachrichtlich",
    "praesentationsobjekt",
    "inhaltBPlan",
    "inhaltFPlan",
    "inhaltSoPlan",
    "inhaltRPlan",
    "inhaltLPlan",
)
#: association -> (test on the target, what it must be)
_TARGET_KIND = {
    "gehoertZuPlan": (lambda o: o.is_plan, "*_Plan"),
    "bereich": (lambda o: o.is_bereich, "*_Bereich"),
    **{name: (lambda o: o.is_bereich, "*_Bereich") for name in _BEREICH_LINKS},
}


class _Index:
    """gml:id -> object, and which Bereich and plan each object belongs to (through its links)."""

    def __init__(self, objects: list[PlanObject]):
        self.objects = objects
        self.by_id = {o.id: o for o in objects}
        self.plans = [o for o in objects if o.is_plan]
        self._content_of: dict[str, str] = {}  # object -> Bereich listing it
        self._plan_listing: dict[str, str] = {}  # Bereich -> plan listing it
        for o in objects:
            if o.is_bereich:
                for link in _CONTENT_LINKS:
                    for ref in o.references.get(link, []):
                        self._content_of.setdefault(ref, o.id)
            elif o.is_plan:
                for ref in o.references.get("bereich", []):
                    self._plan_listing.setdefault(ref, o.id)

    def get(self, oid: str | None) -> PlanObject | None:
        return self.by_id.get(oid) if oid else None

    def bereich_of(self, obj: PlanObject) -> PlanObject | None:
        """The Bereich an object belongs to: its own link, else the Bereich listing it."""
        if obj.is_plan or obj.is_bereich:
            return None
        candidates = [obj.bereich_id] + [r for link in _BEREICH_LINKS for r in obj.references.get(link, [])]
        candidates.append(self._content_of.get(obj.id))
        for oid in candidates:
            b = self.get(oid)
            if b is not None and b.is_bereich:
                return b
        return None

    def plan_of(self, obj: PlanObject) -> PlanObject | None:
        """The plan an object belongs to: itself, its Bereich's plan, or the reader's plan_id."""
        if obj.is_plan:
            return obj
        if obj.is_bereich:
            for oid in [*obj.references.get("gehoertZuPlan", []), self._plan_listing.get(obj.id), obj.plan_id]:
                p = self.get(oid)
                if p is not None and p.is_plan:
                    return p
            return None
        b = self.bereich_of(obj)
        if b is not None:
            p = self.plan_of(b)
            if p is not None:
                return p
        p = self.get(obj.plan_id)
        return p if p is not None and p.is_plan else None


def check_references(objects: list[PlanObject], *, limit: int | None = MAX_FINDINGS_PER_RULE) -> list[Finding]:
    """Associations point to existing objects of the right kind; plan ↔ Bereich agree; no orphans."""
    index = _Index(objects)
    findings = _dangling(objects, index)
    findings += _plan_bereich(index)
    findings += _orphans(objects, index)
    return _cap(findings, limit)


def _dangling(objects: list[PlanObject], index: _Index) -> list[Finding]:
    out = []
    for obj in objects:
        for prop, refs in obj.references.items():
            if prop not in ASSOCIATIONS:
                continue
            for ref in refs:
                target = index.get(ref)
                if target is None:
                    out.append(
                        _finding(
                            obj,
                            "referenz",
                            f"{prop} verweist auf {ref}, das es im Dokument nicht gibt",
                            f"{prop} points to {ref}, which is not in the document",
                        )
                    )
                    continue
                kind = _TARGET_KIND.get(prop)
                if kind is not None and not kind[0](target):
                    out.append(
                        _finding(
                            obj,
                            "referenz",
                            f"{prop} verweist auf {ref} ({target.xplan_class}), erwartet {kind[1]}",
                            f"{prop} points to {ref} ({target.xplan_class}), expected {kind[1]}",
                        )
                    )
    return out


def _plan_bereich(index: _Index) -> list[Finding]:
    """A Bereich's gehoertZuPlan and its plan's ``bereich`` list name each other."""
    out = []
    for b in (o for o in index.objects if o.is_bereich):
        for pid in b.references.get("gehoertZuPlan", []):
            plan = index.get(pid)
            if plan is not None and plan.is_plan and b.id not in plan.references.get("bereich", []):
                out.append(
                    _finding(
                        b,
                        "referenz.plan_bereich",
                        f"Bereich gehört laut gehoertZuPlan zu {pid}, der Plan führt ihn aber nicht unter bereich",
                        f"Bereich belongs to {pid} by gehoertZuPlan, but the plan does not list it in bereich",
                    )
                )
    for plan in index.plans:
        for bid in plan.references.get("bereich", []):
            bereich = index.get(bid)
            if (
                bereich is not None
                and bereich.is_bereich
                and plan.id not in bereich.references.get("gehoertZuPlan", [])
            ):
                owner = ", ".join(bereich.references.get("gehoertZuPlan", [])) or "keinen / none"
                out.append(
                    _finding(
                        plan,
                        "referenz.plan_bereich",
                        f"Plan führt Bereich {bid} unter bereich, dessen gehoertZuPlan nennt aber {owner}",
                        f"plan lists Bereich {bid} in bereich, but its gehoertZuPlan names {owner}",
                    )
                )
    return out


def _orphans(objects: list[PlanObject], index: _Index) -> list[Finding]:
    """Objects in no group of linked objects that holds a plan (links in either direction)."""
    parent = {o.id: o.id for o in objects}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for obj in objects:
        linked = [r for prop, refs in obj.references.items() if prop in ASSOCIATIONS for r in refs]
        if obj.bereich_id:
            linked.append(obj.bereich_id)
        for ref in linked:
            if ref in parent:
                parent[find(ref)] = find(obj.id)
    with_plan = {find(p.id) for p in index.plans}
    return [
        _finding(
            o,
            "referenz.ohne_plan",
            "Objekt ist mit keinem Plan verbunden (weder über Bereich noch über Relationen)",
            "object is linked to no plan (neither through a Bereich nor through associations)",
        )
        for o in objects
        if find(o.id) not in with_plan
    ]


# =========================================================================== Flächenschluss


def _version_tuple(version: str | None) -> tuple[int, int] | None:
    match = re.match(r"^(\d+)\.(\d+)", version or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def _area(geom: BaseGeometry | None) -> BaseGeometry | None:
    """The polygonal part of a geometry, made valid (orientation and self-intersections don't matter here)."""
    polys = _polygons(geom)
    if not polys:
        return None
    area = polys[0] if len(polys) == 1 else MultiPolygon(polys)
    if not area.is_valid:
        area = shapely.make_valid(area)
        polys = _polygons(area)
        area = shapely.union_all(polys) if polys else None
    return area if area is not None and not area.is_empty else None


def _significant(piece: BaseGeometry, tolerance: float, min_area: float) -> bool:
    """Wider than ``tolerance`` somewhere and not smaller than ``min_area`` (xPlanBox's isDiffInTolerance)."""
    return piece.area >= min_area and not piece.buffer(-tolerance / 2).is_empty


def is_flaechenschluss_member(obj: PlanObject, today: date | None = None) -> bool:
    """Whether ``obj`` must keep the Flächenschluss (xPlanBox's FlaechenschlussFeatureInspector).

    Ebene 0, a surface as ``position``, ``flaechenschluss`` true (or not given in a class that is a
    Flächenschlussobjekt), and, for BP objects, in force today by ``startBedingung``/``endeBedingung``.
    The class does not matter otherwise: an SO_Strassenverkehr with flaechenschluss=true in a BP plan
    takes part, as in xPlanBox.
    """
    if obj.ebene != 0 or obj.is_plan or obj.is_bereich:
        return False
    if not (obj.flaechenschluss is True or (obj.flaechenschluss is None and obj.flaechenschluss_class)):
        return False
    if obj.geometry_property not in (None, "position") or not _polygons(obj.geometry):
        return False
    return obj.plan_type != "BP" or _in_force(obj, today or date.today())


def _in_force(obj: PlanObject, today: date) -> bool:
    """Not before its startBedingung's nor after its endeBedingung's datumAbsolut."""
    start = [d for v in _as_list(obj.attributes.get("startBedingung")) for d in _dates(_absolute(v))]
    end = [d for v in _as_list(obj.attributes.get("endeBedingung")) for d in _dates(_absolute(v))]
    return not (start and min(start) > today) and not (end and max(end) < today)


def _as_list(value) -> list:
    return value if isinstance(value, list) else [] if value is None else [value]


def _absolute(value):
    """datumAbsolut of an XP_WirksamkeitBedingung dict (or the value itself if it is a date string)."""
    return value.get("datumAbsolut") if isinstance(value, dict) else value


def check_flaechenschluss(
    objects: list[PlanObject],
    tolerance: float = TOLERANCE_M,
    min_area: float = MIN_AREA_M2,
    version: str | None = None,
    *,
    today: date | None = None,
    limit: int | None = MAX_FINDINGS_PER_RULE,
) -> list[Finding]:
    """Overlaps and gaps of the Flächenschluss of every BP and FP plan (see the module docstring).

    Parameters
    ----------
    tolerance
        Width in metres below which an overlap or gap is not reported (xPlanBox: 2 mm).
    min_area
        Area in m² below which an overlap or gap is not reported.
    version
        XPlanGML version: gaps are warnings up to 5.4, errors from 6.0 (and when unknown).
    today
        The day that decides which BP objects are in force (default: today).
    """
    index = _Index(objects)
    vt = _version_tuple(version)
    gap_severity = "warning" if vt is not None and vt < (6, 0) else "error"
    members: dict[str, list[tuple[PlanObject, BaseGeometry]]] = defaultdict(list)  # plan id -> members
    for o in objects:
        if is_flaechenschluss_member(o, today):
            plan, area = index.plan_of(o), _area(o.geometry)
            if plan is not None and plan.plan_type in ("BP", "FP") and area is not None:
                members[plan.id].append((o, area))
    findings: list[Finding] = []
    for plan_id, plan_members in members.items():
        plan = index.by_id[plan_id]
        own_area = {
            b.id: a
            for b in objects
            if b.is_bereich and index.plan_of(b) is plan and (a := _area(b.geometry)) is not None
        }
        groups: dict[str, list[tuple[PlanObject, BaseGeometry]]] = defaultdict(list)
        for o, area in plan_members:
            b = index.bereich_of(o)
            groups[b.id if b is not None and b.id in own_area else plan.id].append((o, area))
        plan_area = _area(plan.geometry)
        if plan_area is not None and own_area:  # the plan itself must fill what its Bereiche leave
            plan_area = plan_area.difference(shapely.union_all(list(own_area.values())))
            groups.setdefault(plan.id, [])
        for owner_id, group in groups.items():
            region = plan_area if owner_id == plan.id else own_area[owner_id]
            findings += _check_group(index.by_id[owner_id], region, group, tolerance, min_area, gap_severity)
    return _cap(findings, limit)


def _check_group(
    owner: PlanObject,
    region: BaseGeometry | None,
    group: list[tuple[PlanObject, BaseGeometry]],
    tolerance: float,
    min_area: float,
    gap_severity: str,
) -> list[Finding]:
    """Overlaps within ``group`` and gaps between its union and ``region`` (the area it must fill)."""
    objs = [o for o, _ in group]
    geoms = np.array([a for _, a in group], dtype=object)
    tree = shapely.STRtree(geoms)
    findings = _overlaps(objs, geoms, tree, tolerance, min_area)
    if region is None or region.is_empty:
        return findings
    covered = shapely.union_all(geoms) if len(geoms) else Polygon()
    for piece in _polygons(region.difference(covered)):
        if not _significant(piece, tolerance, min_area):
            continue
        point = _fmt_point(piece.representative_point())
        touching = sorted(tree.query(piece.buffer(tolerance), predicate="intersects"))[:5]
        near = ", ".join(objs[i].id for i in touching) or "-"
        kind_de, kind_en = ("Bereichs", "Bereich") if owner.is_bereich else ("Plans", "plan")
        findings.append(
            _finding(
                owner,
                "flaechenschluss.luecke",
                f"2.2.1.1: Lücke im Flächenschluss des {kind_de} von {piece.area:.2f} m² bei {point}; "
                f"angrenzende Objekte: {near}",
                f"2.2.1.1: gap in the Flächenschluss of the {kind_en} of {piece.area:.2f} m² at {point}; "
                f"adjoining objects: {near}",
                severity=gap_severity,
            )
        )
    return findings


def _overlaps(
    group: list[PlanObject], geoms: np.ndarray, tree: shapely.STRtree, tolerance: float, min_area: float
) -> list[Finding]:
    if len(geoms) < 2:
        return []
    left, right = tree.query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    inner = shapely.relate_pattern(geoms[left], geoms[right], "2********")  # interiors share an area
    left, right = left[inner], right[inner]
    shared = shapely.intersection(geoms[left], geoms[right])
    big = shapely.area(shared) >= min_area
    out = []
    for i, j, piece in zip(left[big], right[big], shared[big], strict=True):
        parts = [p for p in _polygons(piece) if _significant(p, tolerance, min_area)]
        if not parts:
            continue
        area = sum(p.area for p in parts)
        point = _fmt_point(max(parts, key=lambda p: p.area).representative_point())
        a, b = group[i], group[j]
        out.append(
            _finding(
                a,
                "flaechenschluss.ueberlappung",
                f"2.2.1.1: Flächenschlussobjekte {a.id} ({a.xplan_class}) und {b.id} ({b.xplan_class}) "
                f"überlappen sich auf {area:.2f} m² bei {point}",
                f"2.2.1.1: Flächenschluss objects {a.id} ({a.xplan_class}) and {b.id} ({b.xplan_class}) "
                f"overlap by {area:.2f} m² at {point}",
            )
        )
    return out


# =========================================================================== Konformitätsregeln


def check_konformitaet(objects: list[PlanObject], *, limit: int | None = MAX_FINDINGS_PER_RULE) -> list[Finding]:
    """The semantic rules ``konformitaet.*`` of :data:`RULES` on every object."""
    index = _Index(objects)
    findings: list[Finding] = []
    for obj in objects:
        if obj.is_plan:
            findings += _plan_rules(obj)
        findings += _mass_rules(obj)
        if obj.plan_type == "SO":
            findings += _so_relations(obj, index)
    findings += _outside_geltungsbereich(objects, index)
    return _cap(findings, limit)


def _plan_rules(plan: PlanObject) -> list[Finding]:
    out = []
    name = plan.attributes.get("name")
    if isinstance(name, list):
        name = name[0] if name else None
    if not (isinstance(name, str) and name.strip()):
        out.append(_finding(plan, "konformitaet.plan_name", "Plan ohne Namen (name)", "plan without a name"))
    if plan.geometry is None or plan.geometry.is_empty:
        out.append(
            _finding(
                plan,
                "konformitaet.plan_geltungsbereich",
                "Plan ohne räumlichen Geltungsbereich (raeumlicherGeltungsbereich)",
                "plan without a Geltungsbereich (raeumlicherGeltungsbereich)",
            )
        )
    out += _date_order(plan)
    return out


#: (earlier, later) pairs of procedure dates, per plan type
_DATE_ORDER = {
    "BP": (
        ("aufstellungsbeschlussDatum", "satzungsbeschlussDatum"),
        ("aufstellungsbeschlussDatum", "rechtsverordnungsDatum"),
        ("aufstellungsbeschlussDatum", "inkrafttretensDatum"),
        ("satzungsbeschlussDatum", "ausfertigungsDatum"),
        ("satzungsbeschlussDatum", "inkrafttretensDatum"),
        ("rechtsverordnungsDatum", "inkrafttretensDatum"),
        ("ausfertigungsDatum", "inkrafttretensDatum"),
    ),
    "FP": (
        ("aufstellungsbeschlussDatum", "planbeschlussDatum"),
        ("aufstellungsbeschlussDatum", "wirksamkeitsDatum"),
        ("planbeschlussDatum", "wirksamkeitsDatum"),
    ),
}


def _dates(value) -> list[date]:
    """ISO dates of an attribute value (a string or a list of them); unreadable ones are left out."""
    values = value if isinstance(value, list) else [value]
    out = []
    for v in values:
        if isinstance(v, str):
            try:
                out.append(date.fromisoformat(v.strip()[:10]))
            except ValueError:
                continue
    return out


def _date_order(plan: PlanObject) -> list[Finding]:
    out = []
    for earlier, later in _DATE_ORDER.get(plan.plan_type, ()):
        first, second = _dates(plan.attributes.get(earlier)), _dates(plan.attributes.get(later))
        if first and second and min(first) > max(second):
            out.append(
                _finding(
                    plan,
                    "konformitaet.datum_reihenfolge",
                    f"{later} ({max(second).isoformat()}) liegt vor {earlier} ({min(first).isoformat()})",
                    f"{later} ({max(second).isoformat()}) is before {earlier} ({min(first).isoformat()})",
                )
            )
    return out


#: Measures with a range (min/max); the maximum needs the minimum, the value excludes the range.
_RANGED = ("GRZ", "GFZ", "GR", "GF", "Z", "ZU")
#: Other min/max pairs (Grundstücksgröße, -breite, -tiefe)
_PAIRS_ONLY = ("F", "B", "T")
#: Measures that must be > 0 (with their min/max/Ausn); storey counts must be ≥ 0.
_POSITIVE = ("GFZ", "GF", "GR", "BMZ", "BM")
_STOREYS = (
    "Z",
    "ZU",
    "Zzwingend",
    "ZUzwingend",
    "Z_Ausn",
    "ZU_Ausn",
    "Z_Staffel",
    "Z_Dach",
    "Zmin",
    "Zmax",
    "ZUmin",
    "ZUmax",
)


def _number(value) -> float | None:
    """A numeric attribute value (a number, or a measure dict with "value"); None otherwise."""
    if isinstance(value, dict):
        value = value.get("value")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _mass_rules(obj: PlanObject) -> list[Finding]:
    attrs = obj.attributes
    num = {k: n for k, v in attrs.items() if (n := _number(v)) is not None}
    if not num:
        return []
    out = []
    for key in ("GRZ", "GRZmin", "GRZmax", "GRZ_Ausn"):
        if key in num and not 0 < num[key] <= 1:
            out.append(
                _finding(
                    obj,
                    "konformitaet.grz",
                    f"{key} = {num[key]:g} liegt nicht in (0, 1]",
                    f"{key} = {num[key]:g} is not in (0, 1]",
                )
            )
    for base in _POSITIVE:
        for key in (base, f"{base}min", f"{base}max", f"{base}_Ausn"):
            if key in num and num[key] <= 0:
                out.append(
                    _finding(
                        obj,
                        "konformitaet.mass_positiv",
                        f"{key} = {num[key]:g} ist nicht positiv",
                        f"{key} = {num[key]:g} is not positive",
                    )
                )
    for key in _STOREYS:
        if key in num and num[key] < 0:
            out.append(
                _finding(
                    obj,
                    "konformitaet.mass_positiv",
                    f"{key} = {num[key]:g} ist negativ",
                    f"{key} = {num[key]:g} is negative",
                )
            )
    for base in _RANGED + _PAIRS_ONLY:
        lo, hi = num.get(f"{base}min"), num.get(f"{base}max")
        if lo is not None and hi is not None and lo > hi:
            out.append(
                _finding(
                    obj,
                    "konformitaet.min_max",
                    f"{base}min = {lo:g} ist größer als {base}max = {hi:g}",
                    f"{base}min = {lo:g} is greater than {base}max = {hi:g}",
                )
            )
    for base in _RANGED:
        out += _range_rules(obj, base, num)
    return out


#: Classes whose Xmax has no Xmin beside it in the schemas 4.0–6.0 (a plain maximum, not a range)
_PLAIN_MAX = {("BP_NebenanlagenFlaeche", "Z"), ("BP_GemeinschaftsanlagenFlaeche", "Z")}


def _range_rules(obj: PlanObject, base: str, num: dict[str, float]) -> list[Finding]:
    out = []
    lo, hi = f"{base}min", f"{base}max"
    if hi in num and lo not in num and (obj.xplan_class, base) not in _PLAIN_MAX:
        out.append(
            _finding(
                obj,
                "konformitaet.bereichsangabe",
                f"{hi} ist belegt, {lo} aber nicht",
                f"{hi} is given but {lo} is not",
            )
        )
    ranged = [k for k in (lo, hi) if k in num]
    if base in num and ranged:
        out.append(
            _finding(
                obj,
                "konformitaet.wert_und_bereich",
                f"{base} und die Bereichsangabe {'/'.join(ranged)} sind beide belegt",
                f"{base} and the range {'/'.join(ranged)} are both given",
            )
        )
    forced = f"{base}zwingend"
    others = [k for k in (base, lo, hi) if k in num]
    if forced in num and others:
        out.append(
            _finding(
                obj,
                "konformitaet.wert_und_bereich",
                f"{forced} und {'/'.join(others)} sind beide belegt",
                f"{forced} and {'/'.join(others)} are both given",
            )
        )
    return out


#: 6.1.3.x: associations of SO objects that only make sense in a BP or an FP plan
_SO_RELATIONS = {
    "BP": (
        "wirdAusgeglichenDurchBPFlaeche",
        "wirdAusgeglichenDurchBPABE",
        "wirdAusgeglichenDurchBPSPEMassnahme",
        "wirdAusgeglichenDurchBPSPEFlaeche",
        "wirdAusgeglichenDurchBPMassnahme",
        "zusatzkontingent",
        "zusatzkontingentFlaeche",
        "richtungssektorGrenze",
    ),
    "FP": ("wirdAusgeglichenDurchFPFlaeche", "wirdAusgeglichenDurchFPSPE"),
}


def _so_relations(obj: PlanObject, index: _Index) -> list[Finding]:
    plan = index.plan_of(obj)
    if plan is None:
        return []
    out = []
    for plan_type, props in _SO_RELATIONS.items():
        if plan.plan_type == plan_type:
            continue
        for prop in props:
            if obj.references.get(prop) or obj.attributes.get(prop):
                out.append(
                    _finding(
                        obj,
                        "konformitaet.so_relation",
                        f"{prop} ist nur in einem {plan_type}_Plan erlaubt, das Objekt gehört zu "
                        f"{plan.id} ({plan.xplan_class})",
                        f"{prop} is allowed only in a {plan_type}_Plan; the object belongs to "
                        f"{plan.id} ({plan.xplan_class})",
                    )
                )
    return out


def _is_content(obj: PlanObject) -> bool:
    """A plan content object: not a plan, Bereich, text or Präsentationsobjekt (XP_* classes)."""
    return not (obj.is_plan or obj.is_bereich or obj.plan_type == "XP")


def _outside_geltungsbereich(
    objects: list[PlanObject], index: _Index, tolerance: float = TOLERANCE_M, min_area: float = MIN_AREA_M2
) -> list[Finding]:
    """2.2.3.1: content objects within their Bereich's (else their plan's) Geltungsbereich, 2 mm tolerance."""
    areas: dict[str, BaseGeometry | None] = {}  # Bereich/plan id -> its Geltungsbereich

    def area_of(owner: PlanObject) -> BaseGeometry | None:
        if owner.id not in areas:
            areas[owner.id] = _area(owner.geometry)
        return areas[owner.id]

    by_region: dict[str, list[PlanObject]] = defaultdict(list)
    for obj in objects:
        if not _is_content(obj) or obj.geometry is None or obj.geometry.is_empty:
            continue
        b = index.bereich_of(obj)
        owner = b if b is not None and area_of(b) is not None else index.plan_of(obj)
        if owner is not None:
            by_region[owner.id].append(obj)
    out = []
    for owner_id, members in by_region.items():
        owner = index.by_id[owner_id]
        region = area_of(owner)
        if region is None:
            continue
        buffered = region.buffer(tolerance)
        shapely.prepare(buffered)
        geoms = [_checkable(o.geometry) for o in members]
        inside = shapely.covered_by(np.array([g if g is not None else Point() for g in geoms], dtype=object), buffered)
        for obj, geom, ok in zip(members, geoms, inside, strict=True):
            if geom is not None and not ok:
                finding = _outside_finding(obj, geom, owner, region, tolerance, min_area)
                if finding is not None:
                    out.append(finding)
    return out


def _checkable(geom: BaseGeometry) -> BaseGeometry | None:
    """Polygons made valid, other valid geometries as they are; None for an invalid line or point
    (geometrie.gueltig reports it; GEOS predicates may fail on it)."""
    if _polygons(geom):
        return _area(geom)
    return geom if geom.is_valid else None


def _outside_finding(
    obj: PlanObject, geom: BaseGeometry, owner: PlanObject, region: BaseGeometry, tolerance: float, min_area: float
) -> Finding | None:
    """The finding for an object not covered by the buffered ``region``, with what lies outside it."""
    outside = geom.difference(region)
    polys = _polygons(outside)
    if polys:
        polys = [p for p in polys if _significant(p, tolerance, min_area)]
        if not polys:
            return None
        size_de = size_en = f"{sum(p.area for p in polys):.2f} m²"
        point = _fmt_point(max(polys, key=lambda p: p.area).representative_point())
    elif outside.length > tolerance:
        size_de = size_en = f"{outside.length:.2f} m"
        point = _fmt_point(outside.representative_point())
    elif not outside.is_empty and outside.geom_type in ("Point", "MultiPoint"):
        size_de, size_en = "Punkt", "point"
        point = _fmt_point(outside.representative_point())
    else:
        return None
    kind_de, kind_en = ("Bereichs", "Bereich") if owner.is_bereich else ("Plans", "plan")
    return _finding(
        obj,
        "konformitaet.innerhalb_geltungsbereich",
        f"2.2.3.1: Objekt liegt ganz oder teilweise außerhalb des Geltungsbereichs des {kind_de} "
        f"{owner.id} ({size_de} außerhalb, bei {point})",
        f"2.2.3.1: object lies wholly or partly outside the Geltungsbereich of the {kind_en} "
        f"{owner.id} ({size_en} outside, at {point})",
    )
