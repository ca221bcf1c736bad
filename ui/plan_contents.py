"""Every object of every plan for citizens: what applies at a place, one object explained, the plan's
validation report, and the rows of the list view.

Reads the OGC API collections ``xplan_plan`` (plans of every type with their Rechtsstand and report)
and ``xplan_objekt`` (every object, attributes as JSON) like any client; explanations and group names
come from :mod:`ui.xplan_classes`.  Rendering functions are pure so they can be tested without a browser.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from dash import html
from shapely.geometry import Point, shape

from ui.festsetzungen import format_date
from ui.xplan_classes import class_info, explain, group, groups

#: Half the side (degrees, ≈ 2 m) of the box around a point in which candidates are fetched.
HERE_BOX = 0.00002
#: Lines and points this close to the place (m, at ~53° N roughly 1.6e-5° per m) count as "here".
NEAR_DEG = 0.00008
#: Plan types in the order a citizen reads them: the binding plan first.
PLAN_ORDER = {"BP": 0, "SO": 1, "FP": 2, "LP": 3, "RP": 4}
PLAN_TYPE_NAMES = {
    "BP": ("Bebauungsplan", "Zoning plan"),
    "FP": ("Flächennutzungsplan", "Land-use plan"),
    "SO": ("Sonstiges Planwerk (z. B. Erhaltungsverordnung)", "Other plan (e.g. preservation order)"),
    "RP": ("Raumordnungsplan", "Regional plan"),
    "LP": ("Landschaftsplan", "Landscape plan"),
}
#: Objects that say nothing about the place itself.
_NOT_CONTENT_SUFFIXES = ("_Plan", "_Bereich")
_PRESENTATION = {
    "XP_PPO",
    "XP_PTO",
    "XP_LPO",
    "XP_LTO",
    "XP_FPO",
    "XP_Praesentationsobjekt",
    "XP_Nutzungsschablone",
    "XP_Rasterdarstellung",
}
#: Attributes worth a line in the panel (value as the plan states it).
KEY_VALUES = (
    "GRZ",
    "GRZmax",
    "GFZ",
    "GFZmax",
    "Z",
    "Zmax",
    "Zzwingend",
    "GR",
    "GF",
    "BMZ",
    "MaxZahlWohnungen",
    "bauweise",
    "zweckbestimmung",
    "massnahme",
    "nutzungsform",
    "hoehenangabe",
    "gegenstand",
)
#: How the panel names those attributes (German, English).
KEY_LABELS = {
    "GRZ": ("GRZ", "GRZ"),
    "GRZmax": ("GRZ höchstens", "GRZ at most"),
    "GFZ": ("GFZ", "GFZ"),
    "GFZmax": ("GFZ höchstens", "GFZ at most"),
    "Z": ("Vollgeschosse", "Full storeys"),
    "Zmax": ("Vollgeschosse höchstens", "Full storeys at most"),
    "Zzwingend": ("Vollgeschosse genau", "Exactly storeys"),
    "GR": ("Grundfläche m²", "Ground area m²"),
    "GF": ("Geschossfläche m²", "Floor area m²"),
    "BMZ": ("Baumassenzahl", "Building mass ratio"),
    "MaxZahlWohnungen": ("Wohnungen je Gebäude höchstens", "Dwellings per building at most"),
    "bauweise": ("Bauweise", "Building pattern"),
    "zweckbestimmung": ("Zweck", "Purpose"),
    "massnahme": ("Maßnahme", "Measure"),
    "nutzungsform": ("Nutzung", "Use"),
    "hoehenangabe": ("Höhe", "Height"),
    "gegenstand": ("Gegenstand", "Subject"),
}
#: Maß values written as 0 by some writers mean "not set" (see layers/xplanung/bplan.py).
_ZERO_IS_UNSET = {"GRZ", "GRZmax", "GFZ", "GFZmax", "Z", "Zmax", "Zzwingend", "GR", "GF", "BMZ"}


def key_values(attributes: dict, lang: str) -> str:
    """ "GRZ: 0,4 · Vollgeschosse: 2" — the values the plan sets, named for people, numbers in ``lang``."""
    parts = []
    for key in KEY_VALUES:
        value = attributes.get(key)
        if value in (None, "", []) or (key in _ZERO_IS_UNSET and value == 0):
            continue
        label = KEY_LABELS[key][1 if lang == "en" else 0]
        parts.append(f"{label}: {value_text(value, lang)}")
    return " · ".join(parts)


def attributes_of(props: dict) -> dict:
    """The ``attributes`` of a feature as a dict (stored as JSON text)."""
    value = props.get("attributes")
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return value if isinstance(value, dict) else {}


def _lang(lang: str, de: str, en: str) -> str:
    return en if lang == "en" else de


def value_text(value, lang: str = "de") -> str:
    """An attribute value as a short readable text (labels of codes, numbers German-style in German)."""
    if isinstance(value, list):
        return ", ".join(t for t in (value_text(v, lang) for v in value) if t)
    if isinstance(value, dict):
        if "label" in value or "name" in value or "code" in value:
            return str(value.get("label") or value.get("name") or value.get("code"))
        if value.get("_type") == "XP_Hoehenangabe":
            h = next((value[k] for k in ("hMax", "hZwingend", "h", "hMin") if value.get(k) is not None), None)
            ref = value_text(value.get("bezugspunkt"), lang) or ""
            return f"{ref} {value_text(h, lang)} m".strip() if h is not None else ref
        return ", ".join(
            f"{k}: {value_text(v, lang)}" for k, v in value.items() if not k.startswith("_") and k != "href"
        )
    if isinstance(value, bool):
        return ("ja" if value else "nein") if lang != "en" else ("yes" if value else "no")
    if isinstance(value, (int, float)):
        text = f"{value:g}"
        return text.replace(".", ",") if lang != "en" else text
    return "" if value is None else str(value)


# ----------------------------------------------------------------------------------------------- here


def applicable(plans: list[dict], objects: list[dict], lon: float, lat: float) -> list[dict]:
    """Plans containing the place, each with its objects at the place: pure, over GeoJSON features.

    Returns ``[{"plan": props, "objects": [feature, ...]}]``, binding plans first, then by date.
    """
    here = Point(lon, lat)
    near = here.buffer(NEAR_DEG)
    found: dict[str, dict] = {}
    for plan in plans:
        geom = plan.get("geometry")
        if geom and shape(geom).covers(here):
            props = {**(plan.get("properties") or {}), "id": plan.get("id")}
            found[str(plan.get("id"))] = {"plan": props, "objects": []}
    for obj in objects:
        props = obj.get("properties") or {}
        cls = str(props.get("xplan_class") or "")
        if cls.endswith(_NOT_CONTENT_SUFFIXES) or cls in _PRESENTATION or props.get("plan_id") not in found:
            continue
        geom = obj.get("geometry")
        if not geom:
            continue
        g = shape(geom)
        if g.covers(here) if g.geom_type in ("Polygon", "MultiPolygon") else g.intersects(near):
            found[props["plan_id"]]["objects"].append(obj)
    return sorted(
        found.values(),
        key=lambda e: (
            PLAN_ORDER.get(e["plan"].get("plan_type"), 9),
            not e["plan"].get("in_kraft"),
            _amends(e["plan"]),
            str(e["plan"].get("inkrafttretens_datum") or "9999"),
        ),
    )


def _amends(plan: dict) -> int:
    """How many plans this one amends: an original comes before its amendments."""
    raw = plan.get("aendert")
    try:
        links = json.loads(raw) if isinstance(raw, str) else (raw or [])
    except ValueError:
        return 0
    return sum(1 for link in links if not str(link.get("beziehung", "")).startswith("wurde"))


def fetch_applicable(client, lon: float, lat: float) -> list[dict]:
    """:func:`applicable` for a place, reading candidates through the API's bbox filter."""
    box = f"{lon - HERE_BOX},{lat - HERE_BOX},{lon + HERE_BOX},{lat + HERE_BOX}"
    plans = client.items(
        "xplan_plan",
        limit=500,
        bbox=box,
        properties="plan_type,xplan_class,name,nummer,rechtsstand,rechtsstand_label,in_kraft,"
        "inkrafttretens_datum,satzungsbeschluss_datum,aendert,untergangs_datum",
    )
    if not plans:
        return []
    objects = client.items(
        "xplan_objekt", limit=2000, bbox=box, properties="plan_id,xplan_class,rechtscharakter,label,attributes"
    )
    return applicable(plans, objects, lon, lat)


def plan_status_line(plan: dict, lang: str) -> str:
    """ "Bebauungsplan · in Kraft seit 12.03.2004" and the like."""
    kind = PLAN_TYPE_NAMES.get(plan.get("plan_type"), ("Plan", "Plan"))[1 if lang == "en" else 0]
    parts = [kind]
    status = plan.get("rechtsstand")
    if plan.get("in_kraft"):
        since = plan.get("inkrafttretens_datum")
        parts.append(
            _lang(lang, "in Kraft", "in force")
            + (f" {_lang(lang, 'seit', 'since')} {format_date(since, lang)}" if since else "")
        )
    elif plan.get("in_kraft") is False and any(k in str(status).lower() for k in ("unter", "aufgehoben", "ausser")):
        parts.append(_lang(lang, f"nicht mehr in Kraft ({status})", f"no longer in force ({status})"))
    elif plan.get("in_kraft") is False:
        parts.append(_lang(lang, f"noch nicht in Kraft (Stand: {status})", f"not yet in force (stage: {status})"))
    elif status:
        parts.append(str(status))
    return " · ".join(parts)


def _amendments(plan: dict, lang: str) -> str | None:
    raw = plan.get("aendert")
    try:
        links = json.loads(raw) if isinstance(raw, str) else (raw or [])
    except ValueError:
        return None
    out = []
    for link in links:
        name = link.get("name") or link.get("nummer")
        if not name:
            continue
        if link.get("beziehung", "").startswith("wurde"):
            out.append(_lang(lang, f"geändert durch {name}", f"amended by {name}"))
        else:
            out.append(_lang(lang, f"ändert {name}", f"amends {name}"))
    return "; ".join(out) or None


def object_line(feature: dict, lang: str) -> html.Li:
    """One object: its class in plain words, what it means, and the values the plan sets."""
    props = feature.get("properties") or {}
    cls = props.get("xplan_class") or ""
    attributes = attributes_of(props)
    info = class_info(cls)
    values = key_values(attributes, lang)
    return html.Li(
        [
            html.Strong(info.title(lang)),
            html.Span(f" ({props.get('label')})", className="hint") if props.get("label") else None,
            html.Div(explain(cls, attributes, lang)),
            html.Div(values, className="hint") if values else None,
        ],
        className="here-object",
    )


def here_block(entries: list[dict], lang: str) -> html.Section:
    """ "What applies here": every plan at the place with its status and the objects that set something."""
    if not entries:
        return html.Section(
            [
                html.H3(_lang(lang, "Was gilt hier?", "What applies here?")),
                html.P(
                    _lang(lang, "Hier gilt kein importierter Plan.", "No imported plan applies here."), className="hint"
                ),
            ],
            className="here-block",
        )
    body = [html.H3(_lang(lang, "Was gilt hier?", "What applies here?"))]
    for entry in entries:
        plan = entry["plan"]
        name = " ".join(str(v) for v in (plan.get("name"), f"({plan['nummer']})" if plan.get("nummer") else None) if v)
        amend = _amendments(plan, lang)
        body.append(
            html.Article(
                [
                    html.H4(name or plan.get("id")),
                    html.P(plan_status_line(plan, lang), className="rechtsstand"),
                    html.P(amend, className="hint") if amend else None,
                    html.Ul([object_line(o, lang) for o in entry["objects"]], className="plain-list")
                    if entry["objects"]
                    else html.P(
                        _lang(
                            lang,
                            "Der Plan setzt an dieser Stelle nichts Eigenes fest.",
                            "The plan sets nothing of its own at this place.",
                        ),
                        className="hint",
                    ),
                ],
                className="here-plan",
            )
        )
    return html.Section(body, className="here-block")


# ----------------------------------------------------------------------------------------- validation


def validation_block(plan: dict, lang: str, limit: int = 20) -> html.Details | None:
    """The plan's validation report (collapsed): valid or not, counts, the first findings."""
    raw = plan.get("validation")
    if raw is None and plan.get("valid") is None:
        return None
    try:
        report = json.loads(raw) if isinstance(raw, str) else (raw or {})
    except ValueError:
        report = {}
    valid = plan.get("valid") if plan.get("valid") is not None else report.get("valid")
    errors = plan.get("error_count") or 0
    warnings = plan.get("warning_count") or 0
    # For planners and GIS staff: whether the file keeps the XPlanung rules, not whether the plan is in force.
    summary = (
        _lang(lang, "Technischer Prüfbericht (XPlanung): gültig", "Technical validation (XPlanung): valid")
        if valid
        else _lang(
            lang, "Technischer Prüfbericht (XPlanung): nicht gültig", "Technical validation (XPlanung): not valid"
        )
    )
    summary += f" ({errors} {_lang(lang, 'Fehler', 'errors')}, {warnings} {_lang(lang, 'Hinweise', 'warnings')})"
    findings = report.get("findings") or []
    items = [
        html.Li(
            [
                html.Strong(f"{f.get('severity', '')} · {f.get('rule', '')}"),
                html.Span(f" {f.get('object_id')}" if f.get("object_id") else "", className="hint"),
                html.Div(str(f.get("message_en" if lang == "en" else "message_de") or "")),
            ]
        )
        for f in findings[:limit]
    ]
    more = len(findings) - limit
    return html.Details(
        [
            html.Summary(summary),
            html.Ul(items, className="plain-list findings")
            if items
            else html.P(_lang(lang, "Keine Befunde.", "No findings."), className="hint"),
            html.P(_lang(lang, f"… und {more} weitere.", f"… and {more} more."), className="hint")
            if more > 0
            else None,
        ],
        className="validation-report",
    )


# ------------------------------------------------------------------------------------ one object, list


def object_details(feature: dict, lang: str) -> list:
    """Panel content of any plan object (``xplan_objekt``)."""
    props = feature.get("properties") or feature
    cls = props.get("xplan_class") or ""
    info = class_info(cls)
    attributes = attributes_of(props)
    rows = [
        html.Tr([html.Th(k, scope="row"), html.Td(value_text(v, lang))])
        for k, v in attributes.items()
        if not isinstance(v, dict) or "href" not in v
    ]
    return [
        html.P(info.group and group(cls, lang), className="kicker"),
        html.H2(info.title(lang), id="panel-heading", tabIndex="-1"),
        html.P(explain(cls, attributes, lang)),
        html.P(f"{_lang(lang, 'Rechtsgrundlage', 'Legal basis')}: {info.basis}", className="hint")
        if info.basis
        else None,
        html.Details(
            [
                html.Summary(_lang(lang, f"Alle Angaben des Plans ({cls})", f"Everything the plan states ({cls})")),
                html.Table(html.Tbody(rows), className="attr-table"),
            ]
        )
        if rows
        else None,
    ]


def object_rows(features: Iterable[dict], query: str, lang: str) -> list[tuple[str, list]]:
    """(group title, rows) of a plan's objects for the list view: [class title, explanation, label, values]."""
    order = {key: i for i, (key, _) in enumerate(groups(lang))}
    grouped: dict[str, list] = {}
    words = (query or "").lower().split()
    for feature in features:
        props = feature.get("properties") or {}
        cls = str(props.get("xplan_class") or "")
        if cls.endswith(_NOT_CONTENT_SUFFIXES) or cls in _PRESENTATION:
            continue
        info = class_info(cls)
        attributes = attributes_of(props)
        text = explain(cls, attributes, lang)
        values = key_values(attributes, lang)
        haystack = f"{info.title_de} {info.title_en} {cls} {text} {props.get('label') or ''} {values}".lower()
        if words and not all(w in haystack for w in words):
            continue
        grouped.setdefault(info.group, []).append([info.title(lang), text, str(props.get("label") or ""), values])
    titles = dict(groups(lang))
    return [(titles.get(key, key), rows) for key, rows in sorted(grouped.items(), key=lambda kv: order.get(kv[0], 99))]
