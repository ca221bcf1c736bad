"""Small helpers for XPlanGML documents read with lxml: local names, children, texts, gml:ids, xlinks.

Elements are matched by local name (``{*}name``), so one helper serves every XPlanung version's namespace.
"""

from __future__ import annotations

import re

from lxml import etree

XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
GML_NAMESPACES = ("http://www.opengis.net/gml/3.2", "http://www.opengis.net/gml")
_XPLAN_NS = re.compile(r"^http://www\.xplanung\.de/xplangml/(\d+)/(\d+)$")


def _local(el) -> str:
    tag = el.tag
    if not isinstance(tag, str):
        return ""
    # "{namespace}name" -> "name"; called ~300 000 times per batch of plans, so no QName object
    return tag[tag.index("}") + 1 :] if tag[:1] == "{" else tag


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


def _feature_id(el) -> str:
    """gml:id of an XPlanung feature: every feature the reader keeps has one (``gml._features``)."""
    value = _gml_id(el)
    if value is None:
        raise ValueError(f"{_local(el)} has no gml:id")
    return value


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
