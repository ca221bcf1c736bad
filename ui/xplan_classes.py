"""Every XPlanung feature class, for people and for the map: title, plain-language meaning, group, style.

The table lives in ``ui/xplan_classes.yaml`` (one entry per class of XPlanung 4.0, 4.1, 5.0–5.4 and
6.0, so a Kommune can correct a sentence or a colour without touching code) and is loaded once.
Everything here is a pure function of a class name and, optionally, the object's attributes as the
XPlanung reader stores them (``layers.xplanung.model``: enumerations as
``{"code": "1000", "name": "BindungErhaltung", "label": "..."}``, lists for repeated properties,
data types as nested dicts):

>>> class_info("BP_BauGrenze").title("de")
'Baugrenze'
>>> style("BP_BauGrenze")["pattern"]
'baugrenze'
>>> group("BP_GruenFlaeche", "en")
'Green spaces and nature'

Unknown class names never raise: they get an honest generic entry derived from the name
(``ClassInfo.known`` is False). Geometry kinds are ``area``, ``line``, ``point``, ``any`` (the class
may carry any of the three; its style has all three parts) and ``none`` (no map geometry: texts,
raster images, some presentation objects).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from ui.festsetzungen import art_label, explain_art

#: The YAML table next to this module.
DATA_PATH = Path(__file__).with_suffix(".yaml")

LANGS = ("de", "en")
#: Map geometry kinds a style can have; ``any`` classes have a style part for each.
GEOMETRY_KINDS = ("area", "line", "point")
#: Hatching patterns an area style may ask for (drawn by the map over the fill).
HATCHES = ("diagonal", "cross", "horizontal", "vertical", "dots")
#: Named line signatures (PlanZV signs the map may draw specially; ``dash`` is the plain fallback).
PATTERNS = (
    "baugrenze",
    "baulinie",
    "strassenbegrenzung",
    "nutzungsgrenze",
    "geltungsbereich",
    "einfahrt",
    "ohne_einfahrt",
    "pfeil",
    "grenze",
)
#: Point symbols the map knows.
SYMBOLS = (
    "baum",
    "baum_erhalten",
    "strauch",
    "einfahrt",
    "kreis",
    "dreieck",
    "quadrat",
    "raute",
    "stern",
    "kreuz",
    "pfeil",
    "text",
    "schablone",
)

#: Fields of each style kind, with the defaults a style part gets where the table leaves them out.
STYLE_DEFAULTS: dict[str, dict] = {
    "area": {
        "fill": "#d5dbe3",
        "fill_opacity": 0.5,
        "stroke": "#6c757d",
        "weight": 1.5,
        "dash": None,
        "hatch": None,
        "hatch_color": None,
    },
    "line": {"stroke": "#6c757d", "weight": 2.0, "dash": None, "pattern": None},
    "point": {"symbol": "kreis", "color": "#6c757d"},
}

#: Plan types by class prefix: (name, genitive phrase) in German and English, for the fallback texts.
_PLAN_TYPES = {
    "BP": ("Bebauungsplan", "des Bebauungsplans", "zoning plan"),
    "FP": ("Flächennutzungsplan", "des Flächennutzungsplans", "land-use plan"),
    "SO": ("sonstiger Plan", "eines sonstigen Plans", "other spatial plan"),
    "RP": ("Raumordnungsplan", "des Raumordnungsplans", "regional plan"),
    "LP": ("Landschaftsplan", "des Landschaftsplans", "landscape plan"),
    "XP": ("Plan", "eines Plans", "plan"),
}

_BAUNVO_KEYS = {
    "besondereArtDerBaulNutzung": "besondere_art_der_baulichen_nutzung",
    "allgArtDerBaulNutzung": "allg_art_der_baulichen_nutzung",
}


@dataclass(frozen=True)
class ClassInfo:
    """What the table says about one XPlanung class (or the generic fallback for an unknown one)."""

    xplan_class: str
    plan_type: str  # "BP", "FP", "SO", "RP", "LP", "XP" or "" for a name without prefix
    title_de: str
    title_en: str
    explain_de: str
    explain_en: str
    basis: str | None  # legal basis, e.g. "§ 9 Abs. 1 Nr. 2 BauGB"; None where there is no clear one
    group: str  # group key, see :func:`groups`
    geometry: str  # "area" | "line" | "point" | "any" | "none"
    known: bool = True  # False: fallback derived from the name

    def title(self, lang: str = "de") -> str:
        """Short human name in ``lang`` (German for anything but ``"en"``)."""
        return self.title_en if lang == "en" else self.title_de

    def explanation(self, lang: str = "de") -> str:
        """The plain-language meaning in ``lang``, without attribute details (see :func:`explain`)."""
        return self.explain_en if lang == "en" else self.explain_de


# ----------------------------------------------------------------------------------------------------------
# Loading
# ----------------------------------------------------------------------------------------------------------


@cache
def _data() -> dict:
    with DATA_PATH.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@cache
def _infos() -> dict[str, ClassInfo]:
    infos = {}
    for name, entry in _data()["classes"].items():
        infos[name] = ClassInfo(
            xplan_class=name,
            plan_type=name.split("_", 1)[0],
            title_de=entry["title_de"],
            title_en=entry["title_en"],
            explain_de=entry["explain_de"],
            explain_en=entry["explain_en"],
            basis=entry.get("basis") or None,
            group=entry["group"],
            geometry=entry["geometry"],
        )
    return infos


def known_classes() -> set[str]:
    """Names of every class the table describes (all versions together)."""
    return set(_infos())


def groups(lang: str = "de") -> list[tuple[str, str]]:
    """``(key, title)`` of every group in display order (the order of legends and the list view)."""
    return [(key, names["en" if lang == "en" else "de"]) for key, names in _data()["groups"].items()]


def _clean_name(xplan_class) -> str:
    """``"xplan:BP_Plan"`` / ``" BP_Plan "`` -> ``"BP_Plan"``."""
    return str(xplan_class or "").strip().rsplit(":", 1)[-1]


def class_info(xplan_class: str) -> ClassInfo:
    """The table entry of a class, or an honest generic entry derived from its name (never raises)."""
    name = _clean_name(xplan_class)
    found = _infos().get(name)
    return found if found is not None else _fallback(name)


def _fallback(name: str) -> ClassInfo:
    prefix, _, rest = name.partition("_")
    if not rest or prefix not in _PLAN_TYPES:
        prefix, rest = "", name
    plan_de, plan_gen, plan_en = _PLAN_TYPES.get(prefix, ("Plan", "eines Plans", "plan"))
    words = re.sub(r"(?<=[a-zäöüß])(?=[A-ZÄÖÜ])|_", " ", rest).strip() or name or "?"
    label = name or "?"
    return ClassInfo(
        xplan_class=name,
        plan_type=prefix,
        title_de=f"{words} ({plan_de})",
        title_en=f"{words} ({plan_en})",
        explain_de=(
            f"Ein Inhalt {plan_gen} der Objektart „{label}“. Für diese Objektart gibt es hier noch "
            "keine Erklärung in einfacher Sprache; ihre Bedeutung steht in der Planzeichnung und im Text des Plans."
        ),
        explain_en=(
            f"Content of a {plan_en} of the object type “{label}”. There is no plain-language explanation "
            "for this object type here yet; the plan drawing and the plan's text say what it means."
        ),
        basis=None,
        group="sonstiges",
        geometry="any",
        known=False,
    )


def group(xplan_class: str, lang: str = "de") -> str:
    """Title of the group a class belongs to, e.g. ``"Grün und Natur"`` / ``"Green spaces and nature"``."""
    key = class_info(xplan_class).group
    names = _data()["groups"].get(key) or _data()["groups"]["sonstiges"]
    return names["en" if lang == "en" else "de"]


# ----------------------------------------------------------------------------------------------------------
# Attribute values
# ----------------------------------------------------------------------------------------------------------


def _norm(value) -> str:
    """Lower-case letters/digits only, umlauts folded, ``"1000.0"`` -> ``"1000"``."""
    if value is None:
        return ""
    text = str(value).strip().lower()
    text = text.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    if re.fullmatch(r"\d+\.0+", text):
        text = text.split(".", 1)[0]
    return re.sub(r"[^a-z0-9]", "", text)


def _enum_items(value) -> list[tuple[str | None, str | None, str | None]]:
    """``(code, name, label)`` of every enumeration value in an attribute value, in order.

    Handles ``{"code", "name", "label"}`` dicts, bare codes (strings, numbers), lists of either and
    data types (``{"_type": ..., "allgemein": {...}}``) by looking into their members.
    """
    if value is None or isinstance(value, bool):
        return []
    if isinstance(value, (list, tuple)):
        return [item for member in value for item in _enum_items(member)]
    if isinstance(value, Mapping):
        if any(key in value for key in ("code", "name", "label")):
            code = value.get("code")
            return [(None if code is None else _code_text(code), value.get("name"), value.get("label"))]
        items = []
        for key, member in value.items():
            if not str(key).startswith("_") and isinstance(member, (Mapping, list, tuple)):
                items.extend(_enum_items(member))
        return items
    if isinstance(value, float) and math.isnan(value):
        return []
    return [(_code_text(value), None, None)]


def _code_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text.split(".", 1)[0] if re.fullmatch(r"\d+\.0+", text) else text


def _lookup(values: Mapping, item: tuple) -> object | None:
    """The entry of ``values`` (keyed by code or by name) that an enumeration item selects."""
    table = {_norm(key): entry for key, entry in values.items()}
    for candidate in item:
        found = table.get(_norm(candidate)) if candidate else None
        if found is not None:
            return found
    return None


def _name_text(item: tuple) -> str:
    _code, name, label = item
    return _norm(name) or _norm(label) or ""


def _readable(item: tuple) -> str | None:
    """What to show people for one enumeration value: its label, else its name, else a non-numeric code."""
    code, name, label = item
    if label:
        return str(label).strip()
    if name:
        return str(name).strip()
    if code and not re.fullmatch(r"[\d.]+", code):
        return code
    return None


# ----------------------------------------------------------------------------------------------------------
# Explanations
# ----------------------------------------------------------------------------------------------------------


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in ".!?" else text + "."


def _rule_sentences(rule: Mapping, attributes: Mapping, lang: str, state: dict) -> list[str]:
    """Sentences one detail rule yields for the object's attributes."""
    attribute = rule["attribute"]
    items = _enum_items(attributes.get(attribute))
    if not items:
        return []
    if rule.get("source") == "baunvo":
        if state.get("baunvo"):
            return []
        props = {_BAUNVO_KEYS.get(attribute, attribute): items[0][0] or items[0][1]}
        text = explain_art(props, lang)
        if text:
            state["baunvo"] = True
            return [_sentence(text)]
        return []
    if "label" in rule:
        shown = list(dict.fromkeys(filter(None, (_readable(item) for item in items))))
        if not shown:
            return []
        lead = rule["label"]["en" if lang == "en" else "de"]
        return [_sentence(f"{lead}: {', '.join(shown)}")]
    out = []
    values = rule.get("values") or {}
    for item in items:
        if rule.get("match") == "name":
            text = _name_text(item)
            entry = next((v for v in values if text and _norm(v["match"]) in text), None)
        else:
            entry = _lookup(values, item)
        if entry:
            sentence = _sentence(entry["en" if lang == "en" else "de"])
            if sentence not in out:
                out.append(sentence)
    return out


def _rechtscharakter_sentence(attributes: Mapping, lang: str) -> str | None:
    for item in _enum_items(attributes.get("rechtscharakter")):
        text = _name_text(item)
        for rule in _data().get("rechtscharakter") or []:
            if text and _norm(rule["match"]) in text:
                return _sentence(rule["en" if lang == "en" else "de"])
    return None


def explain(xplan_class: str, attributes: Mapping | None = None, lang: str = "de") -> str:
    """Plain-language meaning of an object of ``xplan_class`` for a neighbour, in ``lang``.

    Without attributes this is the table's explanation. With the object's attributes it adds what
    they say in plain words: the BauNVO meaning of a Baugebiet (``besondereArtDerBaulNutzung``),
    whether trees are to be planted or preserved (``massnahme``), public or private
    (``nutzungsform``), Vorrang-/Vorbehaltsgebiet (``gebietsTyp``), the purpose the plan states
    (``zweckbestimmung``) and what a non-binding ``rechtscharakter`` (Hinweis, nachrichtliche
    Übernahme, Ziel/Grundsatz der Raumordnung ...) means.
    """
    lang = "en" if lang == "en" else "de"
    info = class_info(xplan_class)
    parts = [_sentence(info.explanation(lang))]
    attributes = attributes if isinstance(attributes, Mapping) else {}
    if attributes:
        entry = _data()["classes"].get(info.xplan_class) or {}
        state: dict = {}
        own = entry.get("details") or []
        for rule in own:
            parts.extend(_rule_sentences(rule, attributes, lang, state))
        covered = {rule["attribute"] for rule in own}
        for rule in _data().get("attribute_rules") or []:
            if rule["attribute"] not in covered:
                parts.extend(_rule_sentences(rule, attributes, lang, state))
        sentence = _rechtscharakter_sentence(attributes, lang)
        if sentence:
            parts.append(sentence)
    return " ".join(dict.fromkeys(p for p in parts if p))


# ----------------------------------------------------------------------------------------------------------
# Styles
# ----------------------------------------------------------------------------------------------------------

_GEOJSON_KINDS = {
    "polygon": "area",
    "multipolygon": "area",
    "linestring": "line",
    "multilinestring": "line",
    "point": "point",
    "multipoint": "point",
    "area": "area",
    "line": "line",
    "surface": "area",
    "multisurface": "area",
    "curve": "line",
    "multicurve": "line",
}


def geometry_kind(geometry_type: str | None) -> str | None:
    """``"Polygon"``/``"MultiLineString"``/``"Point"`` ... (GeoJSON or GML names) -> ``area``/``line``/``point``."""
    return _GEOJSON_KINDS.get(_norm(geometry_type))


def _family_part(name: str | None, kind: str) -> dict:
    """The ``kind`` part of a named style; borrowed from its other parts where it has none."""
    if not name:
        return {}
    family = (_data().get("styles") or {}).get(name) or {}
    if kind in family:
        return dict(family[kind] or {})
    area, line, point = family.get("area") or {}, family.get("line") or {}, family.get("point") or {}
    colour = area.get("stroke") or line.get("stroke") or point.get("color")
    if kind == "line" and (area or point):
        return {
            k: v
            for k, v in {
                "stroke": colour,
                "weight": max(2.0, float(area.get("weight", 2))),
                "dash": area.get("dash"),
            }.items()
            if v is not None
        }
    if kind == "point" and (area or line):
        return {"color": colour} if colour else {}
    if kind == "area" and (line or point):
        return {
            k: v
            for k, v in {
                "fill": colour,
                "fill_opacity": 0.15,
                "stroke": colour,
                "weight": line.get("weight"),
                "dash": line.get("dash"),
            }.items()
            if v is not None
        }
    return {}


def _spec_part(spec, kind: str) -> dict:
    """Resolve a style spec from the table (name, per-kind mapping or field mapping) for one kind."""
    if spec is None:
        return {}
    if isinstance(spec, str):
        return _family_part(spec, kind)
    if not isinstance(spec, Mapping):
        return {}
    if any(k in spec for k in GEOMETRY_KINDS):
        sub = spec.get(kind)
        if sub is None:
            return _spec_part(spec.get("use"), kind)
        if isinstance(sub, str):
            return _family_part(sub, kind)
        base = _spec_part(sub.get("use") or spec.get("use"), kind)
        base.update({k: v for k, v in sub.items() if k != "use"})
        return base
    base = _spec_part(spec.get("use"), kind)
    base.update({k: v for k, v in spec.items() if k != "use" and k in STYLE_DEFAULTS[kind]})
    return base


def _complete(kind: str, part: Mapping) -> dict:
    out = {"kind": kind, **STYLE_DEFAULTS[kind]}
    out.update({k: v for k, v in part.items() if k in STYLE_DEFAULTS[kind]})
    if kind == "area" and out["hatch"] and not out["hatch_color"]:
        out["hatch_color"] = out["stroke"]
    return out


def _styled_part(entry: Mapping, attributes: Mapping, kind: str) -> dict:
    part = _spec_part(entry.get("style") if entry else "generisch", kind)
    for rule in (entry.get("style_by") or []) if entry else []:
        override = None
        for item in _enum_items(attributes.get(rule["attribute"])):
            override = _lookup(rule.get("values") or {}, item)
            if override is not None:
                break
        if override is not None:
            part.update(_spec_part(override, kind))
            break
    for rule in _data().get("attribute_rules") or []:  # e.g. Vorbehaltsgebiete hatched
        if rule.get("match") != "name":
            continue
        for item in _enum_items(attributes.get(rule["attribute"])):
            text = _name_text(item)
            value = next((v for v in rule.get("values") or [] if text and _norm(v["match"]) in text), None)
            if value and value.get("style"):
                part.update(_spec_part(value["style"], kind))
                break
    return _complete(kind, part)


def style(xplan_class: str, attributes: Mapping | None = None, geometry: str | None = None) -> dict:
    """How the 2D map draws an object of ``xplan_class`` (PlanZV colours where the PlanZV has a sign).

    ``geometry`` is the kind to draw (``area``/``line``/``point``, or a GeoJSON/GML geometry type such
    as ``"MultiPolygon"``); by default the class's own kind. The result is flat for one kind::

        area:  {"kind": "area", "fill", "fill_opacity", "stroke", "weight", "dash", "hatch", "hatch_color"}
        line:  {"kind": "line", "stroke", "weight", "dash", "pattern"}
        point: {"kind": "point", "symbol", "color"}

    For a class on any geometry without ``geometry`` it is ``{"kind": "any", "area": {...},
    "line": {...}, "point": {...}}``; for a class without map geometry ``{"kind": "none"}``.
    Attributes select attribute-dependent styles (``style_by``: e.g. the Baugebiet colour from
    ``besondereArtDerBaulNutzung`` or ``allgArtDerBaulNutzung``).
    """
    info = class_info(xplan_class)
    entry = _data()["classes"].get(info.xplan_class) if info.known else None
    attributes = attributes if isinstance(attributes, Mapping) else {}
    kind = geometry_kind(geometry) if geometry else None
    if kind is None:
        if info.geometry == "none":
            return {"kind": "none"}
        if info.geometry == "any":
            return {"kind": "any", **{k: _styled_part(entry, attributes, k) for k in GEOMETRY_KINDS}}
        kind = info.geometry
    return _styled_part(entry, attributes, kind)


def leaflet_style(one_style: Mapping) -> dict:
    """A flat style from :func:`style` as Leaflet path options (``color``, ``dashArray``, ``fillColor`` ...)."""
    kind = one_style.get("kind")
    if kind == "area":
        return {
            "color": one_style["stroke"],
            "weight": one_style["weight"],
            "dashArray": one_style["dash"],
            "fill": True,
            "fillColor": one_style["fill"],
            "fillOpacity": one_style["fill_opacity"],
        }
    if kind == "line":
        return {
            "color": one_style["stroke"],
            "weight": one_style["weight"],
            "dashArray": one_style["dash"],
            "fill": False,
        }
    if kind == "point":
        return {
            "color": one_style["color"],
            "fillColor": one_style["color"],
            "fillOpacity": 0.8,
            "weight": 1,
            "radius": 6,
        }
    return {}


# ----------------------------------------------------------------------------------------------------------
# Legend
# ----------------------------------------------------------------------------------------------------------


def _legend_label(entry: Mapping, attributes: Mapping, lang: str) -> str | None:
    """What distinguishes an attribute-dependent style in the legend (``"WA – Allgemeines Wohngebiet"``)."""
    for rule in entry.get("style_by") or []:
        for item in _enum_items(attributes.get(rule["attribute"])):
            if _lookup(rule.get("values") or {}, item) is None:
                continue
            if rule["attribute"] in _BAUNVO_KEYS:
                label = art_label({_BAUNVO_KEYS[rule["attribute"]]: item[0] or item[1]}, lang)
                if label and label != "–":
                    return label
            return _readable(item)
    return None


def legend_entries(classes: Iterable, lang: str = "de") -> list[dict]:
    """One legend row per class on screen: title, group and style, in group order.

    ``classes`` holds class names, or ``(class name, attributes)`` pairs where the style depends on
    attributes (each Baugebiet type then gets its own row). Classes without map geometry are left out.
    Each row: ``{"xplan_class", "title", "group", "group_title", "geometry", "style"}``.
    """
    lang = "en" if lang == "en" else "de"
    order = {key: i for i, (key, _) in enumerate(groups(lang))}
    titles = dict(groups(lang))
    rows: dict[tuple[str, str], dict] = {}
    for item in classes:
        if isinstance(item, (tuple, list)) and item:
            name, attributes = item[0], (item[1] if len(item) > 1 and isinstance(item[1], Mapping) else {})
        else:
            name, attributes = item, {}
        info = class_info(name)
        if info.geometry == "none":
            continue
        title = info.title(lang)
        entry = _data()["classes"].get(info.xplan_class) if info.known else None
        label = _legend_label(entry, attributes, lang) if entry and attributes else None
        if label:
            title = f"{title}: {label}"
        rows.setdefault(
            (info.xplan_class, title),
            {
                "xplan_class": info.xplan_class,
                "title": title,
                "group": info.group,
                "group_title": titles.get(info.group, titles.get("sonstiges", "")),
                "geometry": info.geometry,
                "style": style(info.xplan_class, attributes),
            },
        )
    return sorted(rows.values(), key=lambda r: (order.get(r["group"], len(order)), r["title"].casefold()))
