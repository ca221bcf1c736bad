"""The start page as plain HTML in the page itself: what a visitor sees while Dash loads.

Dash draws nothing until its scripts (≈ 1 MB), the layout and its first render are through; on a phone
that is seconds of an empty page. The page therefore carries a copy of its first layout
(:class:`ui.layout.StartLayout`, with the start view's state) as HTML, drawn with the same elements
and classes, so the header, the sidebar with the open procedures and the plan list, the map's frame
and the details card show as soon as the stylesheets are there. When Dash has mounted its page
(``#app-root``), the copy goes (``assets/first_paint.js``; a CSS rule hides it in the same frame), and
nothing moves: Dash's elements are drawn where the copy's were.

The copy is a picture, not the page: ``inert`` (nothing in it can be focused or clicked) and
``aria-hidden`` (screen readers meet the page once it works), and without ids (the page's own elements
carry them). Text and attribute values are escaped.
"""

from __future__ import annotations

import html
import re

#: Elements without content.
VOID = {"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
#: React prop names whose HTML attribute is spelled otherwise.
ATTRIBUTES = {"className": "class", "htmlFor": "for", "tabIndex": "tabindex"}
#: Props that are Dash's or React's, not HTML's, or that point at ids the copy does not carry.
LEFT_OUT = {
    "id",
    "key",
    "children",
    "setProps",
    "loading_state",
    "n_clicks",
    "n_clicks_timestamp",
    "disable_n_clicks",
    "debounce",
    "persistence",
    "persisted_props",
    "persistence_type",
    "htmlFor",
    "aria-labelledby",
    "aria-describedby",
    "aria-controls",
    "aria-live",
    "role",
}
#: Ids whose element is not drawn while empty (``assets/map-search.css``: ``#search-status:empty`` …): the copy
#: has no ids for such a rule to find, so it leaves them out itself.
HIDDEN_WHEN_EMPTY = {"search-status", "locate-status"}
#: dcc components drawn as their HTML element; the others draw nothing (stores, location).
DCC_TAGS = {"Input": "input", "Textarea": "textarea", "Upload": "div"}


def _css(style: dict) -> str:
    """A React style object as CSS text (``fontSize`` -> ``font-size``, numbers in px where CSS wants a unit)."""
    parts = []
    for name, value in style.items():
        if value is None or value == "":
            continue
        prop = name if name.startswith("--") else re.sub(r"([A-Z])", r"-\1", name).lower()
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value != 0:
            unitless = prop in ("opacity", "z-index", "flex", "flex-grow", "flex-shrink", "font-weight", "line-height")
            value = value if unitless else f"{value}px"
        parts.append(f"{prop}:{value}")
    return ";".join(parts)


def _attributes(props: dict) -> str:
    out = []
    for name, value in props.items():
        if name in LEFT_OUT or value is None or value is False or (isinstance(value, (list, dict)) and name != "style"):
            continue
        if name == "style":
            css = _css(value) if isinstance(value, dict) else ""
            if css:
                out.append(f' style="{html.escape(css)}"')
            continue
        attribute = ATTRIBUTES.get(name, name.lower())
        if not re.fullmatch(r"[a-z][a-z0-9-]*", attribute):
            continue
        out.append(f" {attribute}" if value is True else f' {attribute}="{html.escape(str(value))}"')
    return "".join(out)


def render(node) -> str:
    """HTML of a layout given as JSON (``{"type", "namespace", "props"}`` dicts, lists, strings, numbers)."""
    if node is None or isinstance(node, bool):
        return ""
    if isinstance(node, (str, int, float)):
        return html.escape(str(node))
    if isinstance(node, list):
        return "".join(render(child) for child in node)
    if not isinstance(node, dict) or "type" not in node:
        return ""
    kind, namespace, props = node["type"], node.get("namespace"), node.get("props") or {}
    if namespace == "dash_html_components":
        if isinstance(props.get("id"), str) and props["id"] in HIDDEN_WHEN_EMPTY and not props.get("children"):
            return ""
        tag = kind.lower()
        if tag in VOID:
            return f"<{tag}{_attributes(props)}>"
        inside = "" if props.get("hidden") is True else render(props.get("children"))  # hidden: not drawn anyway
        return f"<{tag}{_attributes(props)}>{inside}</{tag}>"
    if namespace == "dash_core_components" and kind in DCC_TAGS:
        # as dcc draws them (Dash 4): the input in its container, the text area with dcc's class
        tag = DCC_TAGS[kind]
        if tag == "input":
            field = {**props, "className": " ".join(filter(None, ("dash-input-element", props.get("className"))))}
            return f'<div class="dash-input-container dash-input"><input{_attributes(field)}></div>'
        if tag == "textarea":
            field = {k: v for k, v in props.items() if k != "value"}
            field["className"] = " ".join(filter(None, ("dash-textarea", props.get("className"))))
            return f"<textarea{_attributes(field)}>{html.escape(str(props.get('value') or ''))}</textarea>"
        return f"<div{_attributes(props)}>{render(props.get('children'))}</div>"
    if namespace == "dash_leaflet" and kind == "MapContainer":
        # the map's frame with its background; Leaflet draws the rest
        css = " ".join(filter(None, ("leaflet-container", props.get("className"))))
        return f"<div{_attributes({'className': css, 'style': props.get('style')})}></div>"
    return ""


#: What a screen reader hears while the copy stands in for the page (it hears nothing of the copy itself).
LOADING = "Bürger-GIS wird geladen … (Bürger-GIS is loading …)"


def page(layout) -> str:
    """The whole copy: the layout's HTML in an inert, hidden-from-screen-readers container, and a status line
    for screen readers until the page works (``assets/first_paint.js`` removes both)."""
    return (
        f'<p id="first-paint-status" class="visually-hidden" role="status">{html.escape(LOADING)}</p>'
        f'<div id="first-paint" inert aria-hidden="true">{render(layout)}</div>'
    )
