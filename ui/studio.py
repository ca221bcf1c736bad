"""The scenario studio: planners build a variant in the portal, step by step, and see its effect at once.

Signed-in planners start a variant from the Bestand (of chosen plans) or from another variant, choose
zones (from a list filtered by plan and Art der Nutzung, by clicking them on the studio's map, or the
zone selected on the main map), change Festsetzungen (GRZ, GFZ, Z, height), fill Baufenster ("maximal
bebaut"), add a building (click its centre on the map, or enter it), undo and redo. Every step is one of
the engine's operations, sent to ``/api/variants/<id>/changes`` (``api/variants.py``); the indicators
come back with the answer and the table shows them against the variant's start. Save (title and
description in German and English; the API records author and time), publish to citizens or keep
internal, export and import YAML.

Everything goes through the HTTP API with the visitor's credentials, like any other client; the view
shows nothing to people who are not planners (and its tab is hidden for them).
"""

from __future__ import annotations

import itertools
import logging
import math
from urllib.parse import quote

import dash_leaflet as dl
from dash import ALL, Input, Output, State, callback_context, dcc, html, no_update
from dash.exceptions import PreventUpdate
from deckgl_dash import DeckGL
from deckgl_dash.layers import GeoJsonLayer, ScatterplotLayer

from access.sessions import STAFF_HINT_COOKIE
from ui.api import ApiError, portal_path
from ui.catalog import plan_label, shared_catalog
from ui.controls import choice_buttons, choice_group, register_choice_group
from ui.festsetzungen import number
from ui.i18n import T, t
from ui.studio_texts import MONTHS, MONTHS_LONG

LOG = logging.getLogger(__name__)


#: Rows of the indicator table: (key in the API's indicators, i18n label, kind for ui.variants.format_indicator).
ROWS = (
    ("floor_area_m2", "variants.ind.floor_area", "m2"),
    ("grz", "studio.ind.grz", "ratio"),
    ("grz_permitted", "studio.ind.grz_permitted", "ratio"),
    ("gfz", "studio.ind.gfz", "ratio"),
    ("gfz_permitted", "studio.ind.gfz_permitted", "ratio"),
    ("dwellings", "variants.ind.dwellings", "count"),
    ("residents", "variants.ind.residents", "count"),
    ("sealed_share", "variants.ind.sealed_share", "share"),
    ("violations", "variants.ind.violations", "count"),
    ("buildings", "studio.ind.buildings", "count"),
)

_FEST_FIELDS = (("grz", "0.05", 0, 1), ("gfz", "0.1", 0, 30), ("z", "1", -60, 60), ("h_max", "0.5", -300, 300))
_EMPTY = {"type": "FeatureCollection", "features": []}

#: Art der Nutzung and Bauweise a planner may set (the engine's lists, ``scenarios.model``).
ART_CODES = ("WS", "WR", "WA", "WB", "MD", "MDW", "MI", "MU", "MK", "GE", "GI", "SO")
BAUWEISEN = ("OffeneBauweise", "GeschlosseneBauweise", "AbweichendeBauweise")

#: The drawing tool of the studio's map (Leaflet.draw through dash-leaflet's EditControl): polygons and
#: rectangles only; a polygon whose edges cross cannot be finished (the API refuses one as well). The tool's
#: texts are German or English (assets/studio_draw.js).
DRAW_OPTIONS = {
    "polyline": False,
    "circle": False,
    "circlemarker": False,
    "marker": False,
    "polygon": {
        "allowIntersection": False,
        "showArea": True,
        "metric": True,
        "drawError": {
            "color": "#b91c1c",
            "timeout": 3000,
            "message": "<strong>Die Kanten dürfen sich nicht kreuzen</strong> / edges must not cross",
        },
        "shapeOptions": {"color": "#7c3aed", "weight": 3},
    },
    "rectangle": {"showArea": True, "metric": True, "shapeOptions": {"color": "#7c3aed", "weight": 3}},
}

#: The studio's 3D view: the variant's buildings (pickable: a click chooses one), the chosen ones, the shadows of
#: A and B at the slider's hour, the places for sun hours. Accessors are fixed strings; data only numbers and ids.
_DECK_STYLE = {"position": "absolute", "top": 0, "left": 0, "width": "100%", "height": "100%"}


def _deck_layers() -> list:
    return [
        GeoJsonLayer(
            id="studio-zones",
            data=_EMPTY,
            filled=False,
            stroked=True,
            get_line_color=[11, 58, 102, 200],
            line_width_min_pixels=1,
        ),
        GeoJsonLayer(id="studio-shadow-a", data=_EMPTY, filled=True, stroked=False, get_fill_color=[37, 99, 235, 110]),
        GeoJsonLayer(id="studio-shadow-b", data=_EMPTY, filled=True, stroked=False, get_fill_color=[17, 24, 39, 150]),
        GeoJsonLayer(
            id="studio-buildings3d",
            data=_EMPTY,
            extruded=True,
            filled=True,
            wireframe=True,
            get_elevation="@@=properties.height || 0",
            get_fill_color="@@=properties.new ? [124, 58, 237, 235] : [160, 166, 176, 245]",
            get_line_color=[70, 75, 85, 255],
            pickable=True,
            auto_highlight=True,
        ),
        GeoJsonLayer(
            id="studio-selected3d",
            data=_EMPTY,
            extruded=True,
            filled=True,
            wireframe=True,
            get_elevation="@@=(properties.height || 0) + 0.2",
            get_fill_color=[245, 158, 11, 250],
            get_line_color=[146, 64, 14, 255],
            pickable=True,
        ),
        ScatterplotLayer(
            id="studio-sun-points3d",
            data=[],
            get_position="@@=position",
            get_radius=7,
            radius_units="pixels",
            get_fill_color=[250, 204, 21, 255],
            stroked=True,
            get_line_color=[17, 24, 39, 255],
            line_width_min_pixels=2,
        ),
    ]


def _input(key: str, input_id: str, **props) -> html.Div:
    return html.Div(
        className="field",
        children=[
            html.Label(T(key), htmlFor=input_id),
            dcc.Input(id=input_id, debounce=False, **props),
        ],
    )


def _message(message_id: str) -> html.P:
    return html.P(id=message_id, className="studio-msg", role="status", **{"aria-live": "polite"})


def layout(api_url: str, lang: str = "de") -> html.Section:
    base = portal_path(api_url)
    fest_inputs = [
        _input(f"studio.{name}", f"studio-{name}", type="number", step=step, inputMode="decimal")
        for name, step, _low, _high in _FEST_FIELDS
    ]
    return html.Section(
        id="view-studio",
        className="view studio-view",
        role="tabpanel",
        hidden=True,
        **{"aria-labelledby": "tab-studio"},
        children=[
            dcc.Store(id="studio-variant"),
            dcc.Store(id="studio-state"),
            dcc.Store(id="studio-zones-selected", data=[]),
            dcc.Store(id="studio-fitted"),
            dcc.Store(id="studio-buildings-selected", data=[]),
            dcc.Store(id="studio-sun-points", data=[]),
            dcc.Store(id="studio-sun"),
            dcc.Store(id="studio-deck-fitted"),
            dcc.Store(id="studio-deck-shown", data=False),
            dcc.Store(id="studio-gate-check"),
            html.Div(
                id="studio-signin",
                className="studio-signin",
                children=[
                    html.P(T("studio.signin")),
                    html.A(
                        T("studio.signin_link"),
                        href=f"{base}/auth/login?next={quote('/?view=studio')}",
                        className="btn",
                    ),
                ],
            ),
            html.Div(
                id="studio-body",
                className="studio-grid",
                hidden=True,
                children=[
                    html.Div(
                        className="sidebar studio-side",
                        children=[
                            html.Section(
                                [
                                    T("studio.variant", html.H2),
                                    html.P(
                                        T("studio.none"), id="studio-current", className="studio-current", role="status"
                                    ),
                                    choice_group(
                                        "studio-base",
                                        [("baseline", T("studio.baseline"))],
                                        "baseline",
                                        label_key="studio.start_from",
                                    ),
                                    choice_group("studio-plans", [], [], multi=True, label_key="studio.plans"),
                                    _input("studio.new_title", "studio-new-title", type="text", maxLength=300),
                                    html.Button(
                                        T("studio.new"), id="studio-new", className="btn", n_clicks=0, type="button"
                                    ),
                                    _message("studio-msg-new"),
                                    html.Div(
                                        className="field",
                                        children=[
                                            T("studio.open", html.Span, className="label", id="studio-open-label"),
                                            html.Div(
                                                id="studio-open-list",
                                                className="studio-open",
                                                role="group",
                                                **{"aria-labelledby": "studio-open-label"},
                                            ),
                                        ],
                                    ),
                                ]
                            ),
                            html.Section(
                                [
                                    T("studio.zones", html.H2),
                                    choice_group(
                                        "studio-filter-plan",
                                        [("", T("studio.all"))],
                                        "",
                                        label_key="studio.filter_plan",
                                    ),
                                    choice_group(
                                        "studio-filter-art", [("", T("studio.all"))], "", label_key="studio.filter_art"
                                    ),
                                    html.Div(
                                        className="btn-row",
                                        children=[
                                            html.Button(
                                                T("studio.select_shown"),
                                                id="studio-select-shown",
                                                n_clicks=0,
                                                type="button",
                                                className="btn secondary small",
                                            ),
                                            html.Button(
                                                T("studio.select_none"),
                                                id="studio-select-none",
                                                n_clicks=0,
                                                type="button",
                                                className="btn secondary small",
                                            ),
                                            html.Button(
                                                T("studio.from_map"),
                                                id="studio-from-map",
                                                n_clicks=0,
                                                type="button",
                                                className="btn secondary small",
                                            ),
                                        ],
                                    ),
                                    html.P(id="studio-zone-count", className="hint", role="status"),
                                    html.Div(
                                        id="studio-zone-list",
                                        className="studio-zone-list",
                                        role="group",
                                        **{"aria-labelledby": "studio-zone-count"},
                                    ),
                                ]
                            ),
                            html.Section(
                                [
                                    T("studio.festsetzungen", html.H2),
                                    choice_group(
                                        "studio-fest-mode",
                                        [("add", T("studio.mode.add")), ("set", T("studio.mode.set"))],
                                        "add",
                                        label_key="studio.mode",
                                    ),
                                    html.Div(fest_inputs, className="studio-inputs"),
                                    choice_group(
                                        "studio-art",
                                        [("", T("studio.keep"))] + [(c, c) for c in ART_CODES],
                                        "",
                                        label_key="studio.art",
                                        className="choice-group chips",
                                    ),
                                    choice_group(
                                        "studio-bauweise",
                                        [("", T("studio.keep"))] + [(b, T(f"studio.bauweise.{b}")) for b in BAUWEISEN],
                                        "",
                                        label_key="studio.bauweise",
                                        className="choice-group chips",
                                    ),
                                    html.Button(
                                        T("studio.apply"), id="studio-apply", className="btn", n_clicks=0, type="button"
                                    ),
                                    html.Button(
                                        T("studio.fill"),
                                        id="studio-fill",
                                        className="btn secondary",
                                        n_clicks=0,
                                        type="button",
                                    ),
                                    _message("studio-msg-fest"),
                                ]
                            ),
                            html.Section(
                                [
                                    T("studio.buildings", html.H2),
                                    html.P(T("studio.buildings_hint"), className="hint"),
                                    html.P(id="studio-building-count", className="hint", role="status"),
                                    html.Div(
                                        className="btn-row",
                                        children=[
                                            html.Button(
                                                T("studio.buildings_in_zones"),
                                                id="studio-buildings-in-zones",
                                                n_clicks=0,
                                                type="button",
                                                className="btn secondary small",
                                            ),
                                            html.Button(
                                                T("studio.buildings_none"),
                                                id="studio-buildings-none",
                                                n_clicks=0,
                                                type="button",
                                                className="btn secondary small",
                                            ),
                                        ],
                                    ),
                                    html.Div(
                                        className="studio-inputs",
                                        children=[
                                            _input(
                                                "studio.mod_storeys",
                                                "studio-mod-storeys",
                                                type="number",
                                                min=1,
                                                step="1",
                                            ),
                                            _input(
                                                "studio.mod_height",
                                                "studio-mod-height",
                                                type="number",
                                                min=0,
                                                step="0.5",
                                            ),
                                        ],
                                    ),
                                    html.Button(
                                        T("studio.modify"),
                                        id="studio-modify",
                                        className="btn",
                                        n_clicks=0,
                                        type="button",
                                    ),
                                    html.Button(
                                        T("studio.remove"),
                                        id="studio-remove",
                                        className="btn secondary",
                                        n_clicks=0,
                                        type="button",
                                    ),
                                    _message("studio-msg-modify"),
                                ]
                            ),
                            html.Section(
                                [
                                    T("studio.building", html.H2),
                                    html.P(T("studio.building_hint"), className="hint"),
                                    html.Div(
                                        className="studio-inputs",
                                        children=[
                                            _input("studio.lon", "studio-lon", type="number", step="any"),
                                            _input("studio.lat", "studio-lat", type="number", step="any"),
                                            _input(
                                                "studio.width",
                                                "studio-width",
                                                type="number",
                                                value=12,
                                                min=2,
                                                step="0.5",
                                            ),
                                            _input(
                                                "studio.depth",
                                                "studio-depth",
                                                type="number",
                                                value=10,
                                                min=2,
                                                step="0.5",
                                            ),
                                            _input(
                                                "studio.storeys",
                                                "studio-storeys",
                                                type="number",
                                                value=3,
                                                min=1,
                                                step="1",
                                            ),
                                            _input("studio.height", "studio-height", type="number", min=0, step="0.5"),
                                        ],
                                    ),
                                    html.Button(
                                        T("studio.add_building"),
                                        id="studio-add-building",
                                        className="btn",
                                        n_clicks=0,
                                        type="button",
                                    ),
                                    html.P(T("studio.draw_hint"), className="hint"),
                                    html.P(id="studio-drawn-info", className="hint", role="status"),
                                    html.Button(
                                        T("studio.add_drawn"),
                                        id="studio-add-drawn",
                                        className="btn",
                                        n_clicks=0,
                                        type="button",
                                    ),
                                    _message("studio-msg-building"),
                                ]
                            ),
                            html.Section(
                                [
                                    T("studio.steps", html.H2),
                                    html.Div(
                                        className="btn-row",
                                        children=[
                                            html.Button(
                                                T("studio.undo"),
                                                id="studio-undo",
                                                n_clicks=0,
                                                type="button",
                                                className="btn secondary small",
                                                disabled=True,
                                            ),
                                            html.Button(
                                                T("studio.redo"),
                                                id="studio-redo",
                                                n_clicks=0,
                                                type="button",
                                                className="btn secondary small",
                                                disabled=True,
                                            ),
                                        ],
                                    ),
                                    html.Ol(id="studio-steps", className="studio-steps"),
                                    _message("studio-msg-steps"),
                                ]
                            ),
                        ],
                    ),
                    html.Div(
                        className="studio-main",
                        children=[
                            html.Div(
                                className="studio-map-bar",
                                children=[
                                    choice_group(
                                        "studio-click-mode",
                                        [
                                            ("zone", T("studio.click.zone")),
                                            ("select", T("studio.click.select")),
                                            ("building", T("studio.click.building")),
                                            ("sun", T("studio.click.sun")),
                                        ],
                                        "zone",
                                        label_key="studio.click_mode",
                                        className="choice-group inline",
                                    ),
                                ],
                            ),
                            html.Div(
                                className="studio-map-wrap",
                                role="region",
                                id="studio-map-region",
                                **{"aria-label": t("studio.region", lang)},
                                children=[
                                    dl.MapContainer(
                                        id="studio-map",
                                        center=[53.664, 10.010],
                                        zoom=15,
                                        maxZoom=20,
                                        keyboard=True,
                                        className="offline-bg",
                                        style={"height": "100%", "width": "100%"},
                                        children=[
                                            dl.GeoJSON(
                                                id="studio-zones-layer",
                                                data=_EMPTY,
                                                style={"variable": "buergergisStudio.zoneStyle"},
                                                hideout={"selected": []},
                                                bubblingMouseEvents=True,
                                            ),
                                            dl.GeoJSON(
                                                id="studio-buildings-layer",
                                                data=_EMPTY,
                                                bubblingMouseEvents=True,
                                                style={"variable": "buergergisStudio.buildingStyle"},
                                                hideout={"selected": []},
                                            ),
                                            dl.LayerGroup(id="studio-marker"),
                                            dl.LayerGroup(id="studio-sun-markers"),
                                            dl.FeatureGroup(
                                                [
                                                    dl.EditControl(
                                                        id="studio-draw",
                                                        position="topleft",
                                                        draw=DRAW_OPTIONS,
                                                        edit={"edit": False, "remove": True},
                                                    )
                                                ]
                                            ),
                                            dl.ScaleControl(position="bottomleft", imperial=False),
                                        ],
                                    ),
                                ],
                            ),
                            html.Section(
                                className="studio-results",
                                **{"aria-labelledby": "studio-indicators-heading"},
                                children=[
                                    T("studio.indicators", html.H2, id="studio-indicators-heading"),
                                    html.Div(id="studio-indicators", className="table-wrap", **{"aria-live": "polite"}),
                                    html.P(id="studio-assumptions", className="hint"),
                                    html.P(id="studio-timing", className="hint"),
                                    T("studio.sun_heading", html.H3, id="studio-sun-heading"),
                                    html.P(T("studio.sun_hint"), className="hint"),
                                    html.Div(id="studio-sun-table", className="table-wrap", **{"aria-live": "polite"}),
                                    html.Button(
                                        T("studio.sun_clear"),
                                        id="studio-sun-clear",
                                        n_clicks=0,
                                        type="button",
                                        className="btn secondary small",
                                    ),
                                ],
                            ),
                            html.Section(
                                className="studio-3d",
                                **{"aria-labelledby": "studio-3d-heading"},
                                children=[
                                    T("studio.view3d", html.H2, id="studio-3d-heading"),
                                    html.Div(
                                        className="studio-sliders",
                                        children=[
                                            html.Div(
                                                className="field",
                                                children=[
                                                    html.Label(T("studio.month"), htmlFor="studio-month"),
                                                    dcc.Slider(
                                                        id="studio-month",
                                                        min=0,
                                                        max=11,
                                                        step=1,
                                                        value=2,
                                                        allow_direct_input=False,
                                                        marks=dict(enumerate(MONTHS["de"])),
                                                    ),
                                                ],
                                            ),
                                            html.Div(
                                                className="field",
                                                children=[
                                                    html.Label(T("studio.hour"), htmlFor="studio-hour"),
                                                    dcc.Slider(
                                                        id="studio-hour",
                                                        min=4,
                                                        max=22,
                                                        step=0.5,
                                                        value=15,
                                                        allow_direct_input=False,
                                                        marks={h: f"{h}" for h in range(4, 23, 2)},
                                                    ),
                                                ],
                                            ),
                                        ],
                                    ),
                                    html.P(id="studio-when", className="hint", role="status"),
                                    html.Div(
                                        className="studio-deck-wrap",
                                        role="region",
                                        id="studio-deck-region",
                                        **{"aria-label": t("studio.deck_region", lang)},
                                        children=[
                                            DeckGL(
                                                id="studio-deck",
                                                layers=_deck_layers(),
                                                controller=True,
                                                enable_events=["click"],
                                                initial_view_state={
                                                    "longitude": 10.01,
                                                    "latitude": 53.664,
                                                    "zoom": 15,
                                                    "pitch": 50,
                                                    "bearing": -20,
                                                },
                                                style=_DECK_STYLE,
                                            ),
                                        ],
                                    ),
                                    html.P(T("studio.shadow_legend"), className="hint"),
                                ],
                            ),
                            html.Section(
                                className="studio-save",
                                children=[
                                    T("studio.save_heading", html.H2),
                                    html.Div(
                                        className="studio-inputs two",
                                        children=[
                                            _input("studio.title_de", "studio-title-de", type="text", maxLength=300),
                                            _input("studio.title_en", "studio-title-en", type="text", maxLength=300),
                                            html.Div(
                                                className="field",
                                                children=[
                                                    html.Label(
                                                        T("studio.description_de"), htmlFor="studio-description-de"
                                                    ),
                                                    dcc.Textarea(id="studio-description-de", maxLength=4000),
                                                ],
                                            ),
                                            html.Div(
                                                className="field",
                                                children=[
                                                    html.Label(
                                                        T("studio.description_en"), htmlFor="studio-description-en"
                                                    ),
                                                    dcc.Textarea(id="studio-description-en", maxLength=4000),
                                                ],
                                            ),
                                        ],
                                    ),
                                    html.Div(
                                        className="btn-row",
                                        children=[
                                            html.Button(
                                                T("studio.save"),
                                                id="studio-save",
                                                className="btn",
                                                n_clicks=0,
                                                type="button",
                                            ),
                                            html.Button(
                                                T("studio.publish"),
                                                id="studio-publish",
                                                className="btn secondary",
                                                n_clicks=0,
                                                type="button",
                                            ),
                                            html.Button(
                                                T("studio.unpublish"),
                                                id="studio-unpublish",
                                                className="btn secondary",
                                                n_clicks=0,
                                                type="button",
                                            ),
                                            html.A(
                                                T("studio.export"),
                                                id="studio-export",
                                                className="btn secondary",
                                                href="#",
                                                download="",
                                            ),
                                        ],
                                    ),
                                    html.P(
                                        html.A(T("studio.link3d"), id="studio-link3d", href="#"),
                                        id="studio-link3d-row",
                                        hidden=True,
                                    ),
                                    _message("studio-msg-save"),
                                    html.Div(
                                        className="field",
                                        children=[
                                            html.Label(T("studio.import_label"), htmlFor="studio-import-text"),
                                            dcc.Textarea(id="studio-import-text", className="mono"),
                                        ],
                                    ),
                                    html.Button(
                                        T("studio.import"),
                                        id="studio-import",
                                        className="btn secondary",
                                        n_clicks=0,
                                        type="button",
                                    ),
                                    _message("studio-msg-import"),
                                ],
                            ),
                        ],
                    ),
                ],
            ),
        ],
    )


# ----------------------------------------------------------------------------- helpers


def _fmt(value, kind: str, lang: str, signed: bool = False) -> str:
    from ui.variants import format_indicator

    return format_indicator(value, kind, lang, signed=signed)


def indicator_table(state: dict, lang: str) -> html.Table:
    """Start and variant side by side with the difference (caption, ``th scope``, one row per indicator)."""
    compare = state.get("compare") or {}
    name = (state.get("variant") or {}).get(f"title_{lang}") or (state.get("variant") or {}).get("id", "")
    body = []
    for key, label, kind in ROWS:
        entry = compare.get(key) or {}
        delta = entry.get("delta")
        direction = "up" if (delta or 0) > 0 else ("down" if (delta or 0) < 0 else "same")
        body.append(
            html.Tr(
                [
                    html.Th(t(label, lang), scope="row"),
                    html.Td(_fmt(entry.get("a"), kind, lang), className="num"),
                    html.Td(_fmt(entry.get("b"), kind, lang), className="num", **{"data-indicator": key}),
                    html.Td(
                        _fmt(delta, kind, lang, signed=True), className=f"num delta {direction}", **{"data-delta": key}
                    ),
                ]
            )
        )
    return html.Table(
        className="data studio-table",
        id="studio-indicator-table",
        children=[
            html.Caption(t("studio.caption", lang, name=name)),
            html.Thead(
                html.Tr(
                    [
                        html.Th(t("variants.col.indicator", lang), scope="col"),
                        html.Th(t("studio.col.start", lang), scope="col"),
                        html.Th(t("studio.col.variant", lang), scope="col"),
                        html.Th(t("studio.col.delta", lang), scope="col"),
                    ]
                )
            ),
            html.Tbody(body),
        ],
    )


def _roman(value) -> str:
    try:
        n = int(value)
    except (TypeError, ValueError):
        return "–"
    numerals = ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))
    if n <= 0 or n > 39:
        return str(n)
    out = ""
    for size, letter in numerals:
        while n >= size:
            out, n = out + letter, n - size
    return out


def zone_label(zone: dict, plans: dict, lang: str) -> str:
    parts = [str(zone.get("art_code") or "–")]
    if zone.get("z") is not None:
        parts.append(f"Z {_roman(zone['z'])}")
    if zone.get("grz_permitted") is not None:
        parts.append(f"GRZ {number(zone['grz_permitted'], lang, 2)}")
    if zone.get("gfz_permitted") is not None:
        parts.append(f"GFZ {number(zone['gfz_permitted'], lang, 2)}")
    parts.append(plans.get(zone.get("plan_id"), str(zone.get("plan_id") or "")))
    return " · ".join(parts)


def shown_zones(state: dict | None, plan: str | None, art: str | None) -> list[dict]:
    zones = ((state or {}).get("indicators") or {}).get("zones") or []
    return [z for z in zones if (not plan or z.get("plan_id") == plan) and (not art or z.get("art_code") == art)]


def footprint(lon: float, lat: float, width: float, depth: float) -> dict:
    """A rectangle ``width`` × ``depth`` metres around (lon, lat), as a GeoJSON Polygon in CRS84."""
    dy = depth / 2 / 111_320.0
    dx = width / 2 / (111_320.0 * max(math.cos(math.radians(lat)), 1e-6))
    ring = [
        [lon - dx, lat - dy],
        [lon + dx, lat - dy],
        [lon + dx, lat + dy],
        [lon - dx, lat + dy],
        [lon - dx, lat - dy],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def drawn_footprint(collection: dict | None) -> dict | None:
    """The last polygon drawn with the map's drawing tool (EditControl ``geojson``), as a GeoJSON Polygon."""
    for feature in reversed((collection or {}).get("features") or []):
        geometry = feature.get("geometry") or {}
        if geometry.get("type") == "Polygon" and geometry.get("coordinates"):
            return {"type": "Polygon", "coordinates": geometry["coordinates"]}
    return None


def _size(storeys, height) -> dict:
    """Storeys or height of a new building: a height given wins (the storeys then follow from it)."""
    metres = _number_or_none(height)
    if metres is not None:
        return {"height": metres}
    floors = _number_or_none(storeys)
    return {"storeys": round(floors) if floors is not None else 3}


def _number_or_none(value):
    if value in (None, ""):
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _bounds(features: list[dict]):
    xs, ys = [], []

    def walk(coords):
        if coords and isinstance(coords[0], (int, float)):
            xs.append(coords[0])
            ys.append(coords[1])
        else:
            for c in coords or []:
                walk(c)

    for feature in features:
        walk((feature.get("geometry") or {}).get("coordinates"))
    if not xs:
        return None
    return [[min(ys), min(xs)], [max(ys), max(xs)]]


def _error_text(reply, lang: str) -> str:
    body = reply.body if isinstance(reply.body, dict) else {}
    text = body.get(f"description_{lang}") or body.get("description") or reply.text[:300]
    return t("studio.error", lang, msg=text)


# ----------------------------------------------------------------------------- callbacks


def register(app, client, settings) -> None:
    for group, multi in (
        ("studio-base", False),
        ("studio-plans", True),
        ("studio-fest-mode", False),
        ("studio-click-mode", False),
    ):
        register_choice_group(app, group, multi=multi)
    register_choice_group(app, "studio-filter-plan")
    register_choice_group(app, "studio-filter-art")
    register_choice_group(app, "studio-art")
    register_choice_group(app, "studio-bauweise")
    _register_buildings_and_sun(app, client, settings)

    # The layout is a citizen's (no studio tab, the sign-in note); only a browser with a staff session's hint
    # cookie (access/sessions.py) asks the server whether it is a planner's.
    app.clientside_callback(
        """function (_path) {
            var staff = document.cookie.split(";").some(function (c) { return c.trim().indexOf(HINT) === 0; });
            return staff ? Date.now() : window.dash_clientside.no_update;
        }""".replace("HINT", f'"{STAFF_HINT_COOKIE}="'),
        Output("studio-gate-check", "data"),
        Input("url", "pathname"),
    )

    @app.callback(
        Output("tab-studio", "hidden"),
        Output("studio-signin", "hidden"),
        Output("studio-body", "hidden"),
        Input("studio-gate-check", "data"),
        prevent_initial_call=True,
    )
    def gate(_asked):
        from access.viewer import current_viewer

        planner = current_viewer().is_planner
        return not planner, planner, not planner

    @app.callback(
        Output("studio-base-buttons", "children"),
        Output("studio-plans-buttons", "children"),
        Output("studio-open-list", "children"),
        Input("active-tab", "data"),
        Input("studio-state", "data"),
        Input("lang", "data"),
        State("studio-base", "data"),
        State("studio-plans", "data"),
        State("catalog", "data"),
    )
    def lists(tab, _state, lang, base, plans, catalog):
        if tab != "studio":
            raise PreventUpdate
        from ui import variants

        rows = variants.variant_choices(client)
        base_options = [("baseline", t("studio.baseline", lang))] + [
            (vid, variants.variant_title(vid, lang)) for vid, _, _ in rows
        ]
        catalog = shared_catalog(client).resolve(catalog)
        plan_options = [(str(p["id"]), plan_label(p)) for p in (catalog or {}).get("plans", [])[:60]]
        try:
            listed = client.get_site_json("api/variants").get("variants") or []
        except ApiError:
            listed = []
        if listed:
            opened = [
                html.Button(
                    f"{v.get(f'title_{lang}') or v['id']} ({t('studio.status.' + v['status'], lang, v=v.get('published_version'))})"
                    if v.get("status") in ("internal", "published")
                    else v["id"],
                    id={"type": "studio-open", "id": v["id"]},
                    n_clicks=0,
                    type="button",
                    className="link-button",
                )
                for v in listed
            ]
        else:
            opened = [html.P(t("studio.no_saved", lang), className="hint")]
        return (
            choice_buttons("studio-base", base_options, base or "baseline"),
            choice_buttons("studio-plans", plan_options, plans or [], multi=True),
            opened,
        )

    # -- every call to the API: new, open, steps, undo/redo, save, publish, import --------------------------------

    @app.callback(
        Output("studio-variant", "data"),
        Output("studio-state", "data"),
        Output("studio-msg-new", "children"),
        Output("studio-msg-fest", "children"),
        Output("studio-msg-building", "children"),
        Output("studio-msg-steps", "children"),
        Output("studio-msg-save", "children"),
        Output("studio-msg-import", "children"),
        Output("studio-title-de", "value"),
        Output("studio-title-en", "value"),
        Output("studio-description-de", "value"),
        Output("studio-description-en", "value"),
        Output("studio-zones-selected", "data", allow_duplicate=True),
        Output("studio-msg-modify", "children"),
        Output("studio-buildings-selected", "data", allow_duplicate=True),
        Output("studio-draw", "editToolbar"),
        Input("studio-new", "n_clicks"),
        Input({"type": "studio-open", "id": ALL}, "n_clicks"),
        Input("studio-apply", "n_clicks"),
        Input("studio-fill", "n_clicks"),
        Input("studio-add-building", "n_clicks"),
        Input("studio-undo", "n_clicks"),
        Input("studio-redo", "n_clicks"),
        Input("studio-save", "n_clicks"),
        Input("studio-publish", "n_clicks"),
        Input("studio-unpublish", "n_clicks"),
        Input("studio-import", "n_clicks"),
        Input("studio-modify", "n_clicks"),
        Input("studio-remove", "n_clicks"),
        Input("studio-add-drawn", "n_clicks"),
        State("studio-variant", "data"),
        State("studio-base", "data"),
        State("studio-plans", "data"),
        State("studio-new-title", "value"),
        State("studio-zones-selected", "data"),
        State("studio-fest-mode", "data"),
        State("studio-grz", "value"),
        State("studio-gfz", "value"),
        State("studio-z", "value"),
        State("studio-h_max", "value"),
        State("studio-lon", "value"),
        State("studio-lat", "value"),
        State("studio-width", "value"),
        State("studio-depth", "value"),
        State("studio-storeys", "value"),
        State("studio-title-de", "value"),
        State("studio-title-en", "value"),
        State("studio-description-de", "value"),
        State("studio-description-en", "value"),
        State("studio-import-text", "value"),
        State("lang", "data"),
        State("studio-art", "data"),
        State("studio-bauweise", "data"),
        State("studio-buildings-selected", "data"),
        State("studio-mod-storeys", "value"),
        State("studio-mod-height", "value"),
        State("studio-height", "value"),
        State("studio-draw", "geojson"),
        prevent_initial_call=True,
    )
    def act(*args):
        (
            variant,
            base,
            plans,
            new_title,
            zones,
            mode,
            grz,
            gfz,
            z,
            h_max,
            lon,
            lat,
            width,
            depth,
            storeys,
            title_de,
            title_en,
            desc_de,
            desc_en,
            import_text,
            lang,
            art,
            bauweise,
            buildings,
            mod_storeys,
            mod_height,
            height,
            drawn,
        ) = args[14:]
        trigger = callback_context.triggered_id
        if trigger is None or not any(item.get("value") for item in callback_context.triggered):
            raise PreventUpdate  # re-rendered buttons (n_clicks 0), not a click
        out = {
            "variant": no_update,
            "state": no_update,
            "new": "",
            "fest": "",
            "building": "",
            "steps": "",
            "save": "",
            "import": "",
            "titles": (no_update,) * 4,
            "zones": no_update,
            "modify": "",
            "buildings": no_update,
            "draw": no_update,
        }
        where = {
            "studio-new": "new",
            "studio-apply": "fest",
            "studio-fill": "fest",
            "studio-add-building": "building",
            "studio-add-drawn": "building",
            "studio-undo": "steps",
            "studio-redo": "steps",
            "studio-save": "save",
            "studio-publish": "save",
            "studio-unpublish": "save",
            "studio-import": "import",
            "studio-modify": "modify",
            "studio-remove": "modify",
        }.get(trigger if isinstance(trigger, str) else "", "new")

        def done():
            return (
                out["variant"],
                out["state"],
                out["new"],
                out["fest"],
                out["building"],
                out["steps"],
                out["save"],
                out["import"],
                *out["titles"],
                out["zones"],
                out["modify"],
                out["buildings"],
                out["draw"],
            )

        def fail(message: str):
            out[where] = html.Span(message, className="msg error", role="alert")
            return done()

        def call(path: str, body: dict | None):
            reply = client.post_site_json(path, body or {})
            if reply.status >= 400 or not isinstance(reply.body, dict):
                return None, _error_text(reply, lang)
            return reply.body, None

        def opened(state: dict, message_key: str, **values):
            info = state.get("variant") or {}
            out["variant"] = info.get("id")
            out["state"] = state
            out["titles"] = (
                info.get("title_de") or "",
                info.get("title_en") or "",
                info.get("description_de") or "",
                info.get("description_en") or "",
            )
            out["zones"] = []
            out["buildings"] = []
            out[where] = html.Span(t(message_key, lang, **values), className="msg ok")
            return done()

        if isinstance(trigger, dict) and trigger.get("type") == "studio-open":
            try:
                state = client.get_site_json(f"api/variants/{quote(trigger['id'], safe='')}", {"geojson": "1"})
            except ApiError as err:
                return fail(t("studio.error", lang, msg=err.detail))
            return opened(state, "studio.opened", id=trigger["id"])
        if trigger == "studio-new":
            body = {
                "base": base or "baseline",
                "title_de": (new_title or "").strip(),
                "title_en": (new_title or "").strip(),
            }
            if (base or "baseline") == "baseline" and plans:
                body["plan_ids"] = plans
            state, error = call("api/variants?geojson=1", body)
            if error:
                return fail(error)
            return opened(state, "studio.created", id=state["variant"]["id"])
        if trigger == "studio-import":
            state, error = call("api/variants/import?geojson=1", {"yaml": import_text or ""})
            if error:
                return fail(error)
            return opened(state, "studio.imported", id=state["variant"]["id"])
        if not variant:
            return fail(t("studio.need_variant", lang))
        path = f"api/variants/{quote(variant, safe='')}"
        if trigger in ("studio-apply", "studio-fill"):
            if not zones:
                return fail(t("studio.need_zones", lang))
            if trigger == "studio-fill":
                change = {"op": "fill_envelope", "zones": list(zones)}
            else:
                values = {
                    name: _number_or_none(v) for name, v in (("grz", grz), ("gfz", gfz), ("z", z), ("h_max", h_max))
                }
                values = {k: (round(v) if k == "z" else v) for k, v in values.items() if v is not None}
                texts = {k: v for k, v in (("art_code", art), ("bauweise", bauweise)) if v}
                if not values and not texts:
                    return fail(t("studio.need_value", lang))
                change = {"op": "change_festsetzung", "zones": list(zones)}
                if values:
                    change[mode or "add"] = values
                if texts:
                    change["set"] = {**change.get("set", {}), **texts}
            state, error = call(f"{path}/changes?geojson=1", {"change": change})
        elif trigger in ("studio-modify", "studio-remove"):
            if not buildings:
                return fail(t("studio.need_buildings", lang))
            if trigger == "studio-remove":
                change = {"op": "remove_buildings", "ids": list(buildings)}
            else:
                values = {"storeys": _number_or_none(mod_storeys), "height": _number_or_none(mod_height)}
                values = {k: (round(v) if k == "storeys" else v) for k, v in values.items() if v is not None}
                if not values:
                    return fail(t("studio.need_building_value", lang))
                change = {"op": "modify_buildings", "ids": list(buildings), "set": values}
            state, error = call(f"{path}/changes?geojson=1", {"change": change})
            if not error and trigger == "studio-remove":
                out["buildings"] = []
        elif trigger == "studio-add-drawn":
            shape = drawn_footprint(drawn)
            if shape is None:
                return fail(t("studio.need_drawing", lang))
            change = {"op": "add_building", "crs": "CRS84", "geometry": shape, **_size(storeys, height)}
            state, error = call(f"{path}/changes?geojson=1", {"change": change})
            if not error:  # the footprint is now a building: clear the drawing
                out["draw"] = {"mode": "remove", "action": "clear all", "n_clicks": int(args[13] or 0)}
        elif trigger == "studio-add-building":
            x, y = _number_or_none(lon), _number_or_none(lat)
            if x is None or y is None:
                return fail(t("studio.need_position", lang))
            change = {
                "op": "add_building",
                "crs": "CRS84",
                "geometry": footprint(x, y, _number_or_none(width) or 12.0, _number_or_none(depth) or 10.0),
                **_size(storeys, height),
            }
            state, error = call(f"{path}/changes?geojson=1", {"change": change})
        elif trigger in ("studio-undo", "studio-redo"):
            state, error = call(f"{path}/{'undo' if trigger == 'studio-undo' else 'redo'}?geojson=1", {})
        elif trigger == "studio-save":
            saved, error = call(
                f"{path}/save",
                {
                    "title_de": title_de or "",
                    "title_en": title_en or "",
                    "description_de": desc_de or "",
                    "description_en": desc_en or "",
                },
            )
            if error:
                return fail(error)
            try:
                state = client.get_site_json(path, {"geojson": "1"})
            except ApiError as err:
                return fail(t("studio.error", lang, msg=err.detail))
            out["state"] = state
            out["save"] = html.Span(
                t(
                    "studio.saved",
                    lang,
                    v=saved["version"],
                    author=saved["author"],
                    at=(saved["saved_at"] or "")[:16].replace("T", " "),
                ),
                className="msg ok",
            )
            return done()
        elif trigger in ("studio-publish", "studio-unpublish"):
            _, error = call(f"{path}/publish", {"published": trigger == "studio-publish"})
            if error:
                return fail(error)
            try:
                state = client.get_site_json(path, {"geojson": "1"})
            except ApiError as err:
                return fail(t("studio.error", lang, msg=err.detail))
            out["state"] = state
            out["save"] = html.Span(
                t("studio.published" if trigger == "studio-publish" else "studio.internal", lang), className="msg ok"
            )
            return done()
        else:
            raise PreventUpdate
        if error:
            return fail(error)
        out["state"] = state
        out[where] = html.Span(t("studio.step_done", lang), className="msg ok")
        return done()

    # -- what the state shows --------------------------------------------------------------------------------------

    @app.callback(
        Output("studio-current", "children"),
        Output("studio-indicators", "children"),
        Output("studio-assumptions", "children"),
        Output("studio-timing", "children"),
        Output("studio-steps", "children"),
        Output("studio-undo", "disabled"),
        Output("studio-redo", "disabled"),
        Output("studio-export", "href"),
        Output("studio-zones-layer", "data"),
        Output("studio-buildings-layer", "data"),
        Output("studio-filter-plan-buttons", "children"),
        Output("studio-filter-art-buttons", "children"),
        Input("studio-state", "data"),
        Input("lang", "data"),
        State("studio-filter-plan", "data"),
        State("studio-filter-art", "data"),
        State("catalog", "data"),
    )
    def show(state, lang, plan, art, catalog):
        if not state:
            return (
                t("studio.none", lang),
                None,
                "",
                "",
                [],
                True,
                True,
                "#",
                _EMPTY,
                _EMPTY,
                choice_buttons("studio-filter-plan", [("", t("studio.all", lang))], ""),
                choice_buttons("studio-filter-art", [("", t("studio.all", lang))], ""),
            )
        info = state.get("variant") or {}
        status = (
            t("studio.status.published", lang, v=info.get("published_version"))
            if info.get("status") == "published"
            else t("studio.status.internal", lang)
        )
        versions = t("studio.versions", lang, n=len(info.get("versions") or []))
        if info.get("unsaved"):
            versions += f" · {t('studio.unsaved', lang)}"
        current = t(
            "studio.status", lang, name=info.get(f"title_{lang}") or info.get("id"), status=status, versions=versions
        )
        from ui import variants

        base = info.get("base") or "baseline"
        base_title = t("studio.baseline", lang) if base == "baseline" else variants.variant_title(base, lang)
        current = [current, html.Br(), html.Span(t("studio.based_on", lang, base=base_title), className="hint")]
        ind = state.get("indicators") or {}
        a = ind.get("assumptions") or {}
        assumptions = t(
            "studio.assumptions",
            lang,
            m2=number(a.get("m2_per_dwelling") or 90, lang, 0),
            p=number(a.get("persons_per_dwelling") or 2, lang, 1),
            h=number(a.get("storey_height") or 3, lang, 1),
        )
        timing = t(
            "studio.timing",
            lang,
            s=number(
                (state.get("timings") or {}).get("step_s") or (state.get("timings") or {}).get("compute_s") or 0,
                lang,
                2,
            ),
        )
        steps = [html.Li(step.get(f"text_{lang}") or step.get("op")) for step in state.get("steps") or []] or [
            html.Li(t("studio.no_steps", lang), className="hint")
        ]
        base = portal_path(settings.api_url)
        export = f"{base}/api/variants/{quote(str(info.get('id', '')), safe='')}/export"
        geo = state.get("geojson") or {}
        catalog = shared_catalog(client).resolve(catalog)
        names = {str(p["id"]): plan_label(p) for p in (catalog or {}).get("plans", [])}
        zones = ind.get("zones") or []
        plan_ids = sorted({str(z.get("plan_id")) for z in zones if z.get("plan_id")})
        arts = sorted({str(z.get("art_code")) for z in zones if z.get("art_code")})
        plan_buttons = choice_buttons(
            "studio-filter-plan", [("", t("studio.all", lang))] + [(p, names.get(p, p)) for p in plan_ids], plan or ""
        )
        art_buttons = choice_buttons(
            "studio-filter-art", [("", t("studio.all", lang))] + [(a_, a_) for a_ in arts], art or ""
        )
        return (
            current,
            indicator_table(state, lang),
            assumptions,
            timing,
            steps,
            not state.get("can_undo"),
            not state.get("can_redo"),
            export,
            geo.get("zones") or _EMPTY,
            geo.get("buildings") or _EMPTY,
            plan_buttons,
            art_buttons,
        )

    @app.callback(
        Output("studio-zone-list", "children"),
        Output("studio-zone-count", "children"),
        Output("studio-zones-layer", "hideout"),
        Input("studio-state", "data"),
        Input("studio-zones-selected", "data"),
        Input("studio-filter-plan", "data"),
        Input("studio-filter-art", "data"),
        Input("lang", "data"),
        State("catalog", "data"),
    )
    def zone_list(state, selected, plan, art, lang, catalog):
        selected = list(selected or [])
        catalog = shared_catalog(client).resolve(catalog)
        names = {str(p["id"]): plan_label(p) for p in (catalog or {}).get("plans", [])}
        zones = shown_zones(state, plan, art)
        total = len(((state or {}).get("indicators") or {}).get("zones") or [])
        buttons = [
            html.Button(
                zone_label(z, names, lang),
                id={"type": "studio-zone", "id": z["id"]},
                n_clicks=0,
                type="button",
                className="choice zone-choice",
                **{"aria-pressed": "true" if z["id"] in selected else "false"},
            )
            for z in zones[:300]
        ]
        return buttons, t("studio.zone_count", lang, n=len(selected), m=total), {"selected": selected}

    @app.callback(
        Output("studio-zones-selected", "data"),
        Input({"type": "studio-zone", "id": ALL}, "n_clicks"),
        Input("studio-zones-layer", "clickData"),
        Input("studio-buildings-layer", "clickData"),
        Input("studio-select-shown", "n_clicks"),
        Input("studio-select-none", "n_clicks"),
        Input("studio-from-map", "n_clicks"),
        State("studio-zones-selected", "data"),
        State("studio-state", "data"),
        State("studio-filter-plan", "data"),
        State("studio-filter-art", "data"),
        State("studio-click-mode", "data"),
        State("selection", "data"),
        prevent_initial_call=True,
    )
    def choose_zones(
        _clicks, map_click, building_click, _all, _none, _from_map, selected, state, plan, art, click_mode, selection
    ):
        trigger = callback_context.triggered_id
        selected = list(selected or [])
        if isinstance(trigger, dict):
            if not any(item.get("value") for item in callback_context.triggered):
                raise PreventUpdate
            zone = trigger["id"]
        elif trigger in ("studio-zones-layer", "studio-buildings-layer"):
            click = map_click if trigger == "studio-zones-layer" else building_click
            if (click_mode or "zone") != "zone" or not click:
                raise PreventUpdate
            props = (click or {}).get("properties") or {}
            # a click on a building chooses the zone it stands in
            zone = str((props.get("id") if trigger == "studio-zones-layer" else props.get("zone_id")) or "")
            if not zone:
                raise PreventUpdate
        elif trigger == "studio-select-shown":
            return sorted(set(selected) | {z["id"] for z in shown_zones(state, plan, art)})
        elif trigger == "studio-select-none":
            return []
        elif trigger == "studio-from-map":
            known = {z["id"] for z in ((state or {}).get("indicators") or {}).get("zones") or []}
            zone = (selection or {}).get("id") if (selection or {}).get("collection") == "bp_baugebiet" else None
            if not zone or zone not in known:
                raise PreventUpdate
            return selected if zone in selected else selected + [zone]
        else:
            raise PreventUpdate
        return [z for z in selected if z != zone] if zone in selected else selected + [zone]

    @app.callback(
        Output("studio-lon", "value"),
        Output("studio-lat", "value"),
        Input("studio-map", "clickData"),
        State("studio-click-mode", "data"),
        prevent_initial_call=True,
    )
    def place(click, mode):
        if mode != "building" or not click:
            raise PreventUpdate
        latlng = click.get("latlng") or {}
        if "lat" not in latlng:
            raise PreventUpdate
        return round(float(latlng["lng"]), 7), round(float(latlng["lat"]), 7)

    @app.callback(
        Output("studio-marker", "children"),
        Input("studio-lon", "value"),
        Input("studio-lat", "value"),
        Input("studio-width", "value"),
        Input("studio-depth", "value"),
    )
    def marker(lon, lat, width, depth):
        x, y = _number_or_none(lon), _number_or_none(lat)
        if x is None or y is None or not (-180 <= x <= 180 and -85 <= y <= 85):
            return []
        shape = footprint(x, y, _number_or_none(width) or 12.0, _number_or_none(depth) or 10.0)
        ring = [[p[1], p[0]] for p in shape["coordinates"][0]]
        return [
            dl.Polygon(positions=ring, color="#7c3aed", weight=3, dashArray="6 4", fillOpacity=0.15, interactive=False)
        ]

    @app.callback(
        Output("studio-map", "viewport"),
        Output("studio-fitted", "data"),
        Input("studio-state", "data"),
        Input("studio-zones-selected", "data"),
        Input("active-tab", "data"),
        State("studio-fitted", "data"),
    )
    def fit(state, selected, tab, fitted):
        if tab != "studio" or not state:
            raise PreventUpdate
        features = ((state.get("geojson") or {}).get("zones") or {}).get("features") or []
        variant = (state.get("variant") or {}).get("id")
        trigger = callback_context.triggered_id
        if trigger == "studio-zones-selected" and selected:
            chosen = [f for f in features if (f.get("properties") or {}).get("id") in set(selected)]
            box = _bounds(chosen)
            return (
                {"bounds": box, "transition": "flyToBounds", "options": {"maxZoom": 18}} if box else no_update,
                fitted,
            )
        if fitted == variant and trigger != "active-tab":
            raise PreventUpdate
        box = _bounds(features)
        return ({"bounds": box, "transition": "fitBounds"} if box else no_update), variant

    app.clientside_callback(
        "function (tab) { return window.dash_clientside.buergergis.resizeOnShow(tab); }",
        Output("focus-sink", "data", allow_duplicate=True),
        Input("studio-body", "hidden"),
        prevent_initial_call=True,
    )


def _month_day(month: int) -> str:
    """The slider's day: the 21st of a month (2026: equinoxes and solstices within a day)."""
    return f"2026-{int(month) + 1:02d}-21"


def _hhmm(hour: float) -> str:
    return f"{int(hour):02d}:{round((hour % 1) * 60):02d}"


def _hours(value, lang: str) -> str:
    return "–" if value is None else f"{number(float(value), lang, 1)} h"


def sun_table(sun: dict | None, lang: str) -> html.Table | html.P:
    """The sun hours at the chosen places in A and B and the hours lost (caption, ``th scope``)."""
    points = (sun or {}).get("points") or []
    if not points:
        return html.P(t("studio.sun_hint", lang), className="hint")
    day = (sun or {}).get("day", "")
    rows = []
    for k, point in enumerate(points, start=1):
        lost = point.get("lost")
        rows.append(
            html.Tr(
                [
                    html.Th(
                        f"{t('studio.sun.place', lang)} {k} ({number(point['lat'], lang, 5)}, "
                        f"{number(point['lon'], lang, 5)})",
                        scope="row",
                    ),
                    html.Td(_hours(point.get("hours_a"), lang), className="num"),
                    html.Td(_hours(point.get("hours_b"), lang), className="num"),
                    html.Td(
                        _hours(lost, lang),
                        className="num delta " + ("down" if (lost or 0) > 0 else ("up" if (lost or 0) < 0 else "same")),
                        **{"data-sun-lost": str(k)},
                    ),
                ]
            )
        )
    return html.Table(
        className="data studio-table",
        id="studio-sun-hours",
        children=[
            html.Caption(t("studio.sun_caption", lang, day=day)),
            html.Thead(
                html.Tr(
                    [
                        html.Th(t("studio.sun.place", lang), scope="col"),
                        html.Th(t("studio.sun.a", lang), scope="col"),
                        html.Th(t("studio.sun.b", lang), scope="col"),
                        html.Th(t("studio.sun.lost", lang), scope="col"),
                    ]
                )
            ),
            html.Tbody(rows),
        ],
    )


def link_3d(api_url: str, state: dict | None, view: dict | None) -> str | None:
    """A link that opens the variant in the 3D view beside its start, with a camera (``lon``, ``lat``, ``zoom``,
    ``pitch``, ``bearing``: the studio's 3D camera, else one framing the variant)."""
    from urllib.parse import urlencode

    from ui import variants
    from ui.view3d import camera

    info = (state or {}).get("variant") or {}
    if not info.get("id") or not info.get("versions"):
        return None
    base = info.get("base") or "baseline"
    a = base if base != "baseline" else (variants.DEFAULT_A or info["id"])
    if not view or "longitude" not in view:
        box = _bounds(((state.get("geojson") or {}).get("zones") or {}).get("features") or [])
        view = camera("oblique", box)
    query = {
        "view": "3d",
        "a": a,
        "b": info["id"],
        "mode": "side",
        "lon": f"{float(view['longitude']):.6f}",
        "lat": f"{float(view['latitude']):.6f}",
        "zoom": f"{float(view.get('zoom', 15)):.2f}",
        "pitch": f"{float(view.get('pitch', 45)):.0f}",
        "bearing": f"{float(view.get('bearing', 0)):.0f}",
    }
    return f"{portal_path(api_url)}/?{urlencode(query)}"


def _register_buildings_and_sun(app, client, settings) -> None:
    """Choosing buildings (2D click, 3D pick, the chosen zones), places for sun hours, the 3D view with shadows."""

    @app.callback(
        Output("studio-buildings-selected", "data"),
        Input("studio-buildings-layer", "clickData"),
        Input("studio-deck", "clickInfo"),
        Input("studio-buildings-in-zones", "n_clicks"),
        Input("studio-buildings-none", "n_clicks"),
        State("studio-buildings-selected", "data"),
        State("studio-click-mode", "data"),
        State("studio-zones-selected", "data"),
        State("studio-state", "data"),
        prevent_initial_call=True,
    )
    def choose_buildings(click, pick, _in_zones, _none, selected, mode, zones, state):
        trigger = callback_context.triggered_id
        selected = list(selected or [])
        buildings = (((state or {}).get("geojson") or {}).get("buildings") or {}).get("features") or []
        if trigger == "studio-buildings-none":
            return []
        if trigger == "studio-buildings-in-zones":
            chosen = set(zones or [])
            if not chosen:
                raise PreventUpdate
            ids = [
                str(f["properties"]["id"]) for f in buildings if (f.get("properties") or {}).get("zone_id") in chosen
            ]
            return sorted(set(selected) | set(ids))
        if trigger == "studio-buildings-layer":
            if mode != "select" or not click:
                raise PreventUpdate
            building = str(((click or {}).get("properties") or {}).get("id") or "")
        else:  # a pick in 3D always chooses: the 3D view has no other click
            building = str((((pick or {}).get("object") or {}).get("properties") or {}).get("id") or "")
        if not building:
            raise PreventUpdate
        return [b for b in selected if b != building] if building in selected else selected + [building]

    @app.callback(
        Output("studio-buildings-layer", "hideout"),
        Output("studio-building-count", "children"),
        Input("studio-buildings-selected", "data"),
        Input("lang", "data"),
    )
    def show_buildings(selected, lang):
        selected = list(selected or [])
        return {"selected": selected}, t("studio.building_count", lang, n=len(selected))

    @app.callback(
        Output("studio-sun-points", "data"),
        Input("studio-map", "clickData"),
        Input("studio-sun-clear", "n_clicks"),
        State("studio-click-mode", "data"),
        State("studio-sun-points", "data"),
        prevent_initial_call=True,
    )
    def sun_points(click, _clear, mode, points):
        from scenarios.studio import MAX_SUN_POINTS

        if callback_context.triggered_id == "studio-sun-clear":
            return []
        latlng = (click or {}).get("latlng") or {}
        if mode != "sun" or "lat" not in latlng:
            raise PreventUpdate
        points = list(points or [])[-(MAX_SUN_POINTS - 1) :]
        return points + [[round(float(latlng["lng"]), 6), round(float(latlng["lat"]), 6)]]

    @app.callback(Output("studio-sun-markers", "children"), Input("studio-sun-points", "data"))
    def sun_markers(points):
        return [
            dl.CircleMarker(
                center=[lat, lon],
                radius=7,
                color="#111827",
                weight=2,
                fillColor="#facc15",
                fillOpacity=1,
                interactive=False,
            )
            for lon, lat in points or []
        ]

    @app.callback(
        Output("studio-sun", "data"),
        Input("studio-state", "data"),
        Input("studio-month", "value"),
        Input("studio-hour", "value"),
        Input("studio-sun-points", "data"),
        Input("active-tab", "data"),
        State("studio-variant", "data"),
    )
    def fetch_sun(state, month, hour, points, tab, variant):
        if tab != "studio" or not state or not variant:
            raise PreventUpdate
        params = {"day": _month_day(month or 0), "hour": str(hour if hour is not None else 12)}
        if points:
            params["points"] = ";".join(f"{lon},{lat}" for lon, lat in points)
        try:
            return client.get_site_json(f"api/variants/{quote(variant, safe='')}/sun", params)
        except ApiError as err:
            LOG.warning("studio sun and shadows not available: %s", err)
            return {"error": err.detail}

    # The 3D preview lies below the map and the figures: it is given its layers (and draws them) only while it is in
    # view. Each step of an edit changes the scenario, and drawing the extruded buildings and their shadows after
    # every one kept a planner's browser busy (WebGL, and the triangulation of every footprint in JavaScript) for a
    # view nobody was looking at. An IntersectionObserver tells whether it is shown (another tab hides it too).
    app.clientside_callback(
        """function (_tab) {
            var region = document.getElementById("studio-deck-region");
            if (region && !region.dataset.observed && window.IntersectionObserver) {
                region.dataset.observed = "1";
                new IntersectionObserver(function (entries) {
                    var shown = entries[entries.length - 1].isIntersecting;
                    window.dash_clientside.set_props("studio-deck-shown", {data: shown});
                }).observe(region);
            } else if (region && !window.IntersectionObserver) {
                return true;  // a browser without the observer draws as before
            }
            return window.dash_clientside.no_update;
        }""",
        Output("studio-deck-shown", "data"),
        Input("active-tab", "data"),
    )

    app.clientside_callback(
        """function (state, selected, sun, points, shown) {
            var no = window.dash_clientside.no_update;
            if (!shown) { return no; }
            var drawn = [state, selected, sun, points];
            var last = window.studioDeckDrawn;
            if (last && last.every(function (v, i) { return v === drawn[i]; })) { return no; }  // back in view
            window.studioDeckDrawn = drawn;
            var empty = function () { return {type: "FeatureCollection", features: []}; };
            var geo = (state && state.geojson) || {};
            var buildings = geo.buildings || empty();
            var chosen = new Set(selected || []);
            var shadows = (sun && sun.shadows) || {};
            return {
                "studio-zones": geo.zones || empty(),
                "studio-buildings3d": buildings,
                "studio-selected3d": {
                    type: "FeatureCollection",
                    features: (buildings.features || []).filter(function (f) {
                        return chosen.has((f.properties || {}).id);
                    })
                },
                "studio-shadow-a": shadows.a || empty(),
                "studio-shadow-b": shadows.b || empty(),
                "studio-sun-points3d": (points || []).map(function (p) { return {position: [p[0], p[1], 1]}; })
            };
        }""",
        Output("studio-deck", "layerData"),
        Input("studio-state", "data"),
        Input("studio-buildings-selected", "data"),
        Input("studio-sun", "data"),
        Input("studio-sun-points", "data"),
        Input("studio-deck-shown", "data"),
    )

    @app.callback(
        Output("studio-deck", "initialViewState"),
        Output("studio-deck-fitted", "data"),
        Input("studio-state", "data"),
        Input("active-tab", "data"),
        State("studio-deck-fitted", "data"),
    )
    def deck_camera(state, tab, fitted):
        from ui.view3d import camera

        variant = ((state or {}).get("variant") or {}).get("id")
        if tab != "studio" or not variant or fitted == variant:
            raise PreventUpdate
        box = _bounds(((state.get("geojson") or {}).get("zones") or {}).get("features") or [])
        if not box:
            raise PreventUpdate
        view = camera("oblique", box)
        view.pop("transitionDuration", None)
        return view, variant

    @app.callback(
        Output("studio-when", "children"),
        Output("studio-sun-table", "children"),
        Output("studio-month", "marks"),
        Input("studio-sun", "data"),
        Input("lang", "data"),
        State("studio-month", "value"),
        State("studio-hour", "value"),
    )
    def show_sun(sun, lang, month, hour):
        lang = lang or "de"
        marks = dict(enumerate(MONTHS.get(lang, MONTHS["de"])))
        if not sun:
            return "", sun_table(None, lang), marks
        if sun.get("error"):
            return html.Span(t("studio.error", lang, msg=sun["error"]), className="msg error"), "", marks
        day_of = int(sun["day"][8:10]) if sun.get("day") else 21
        month_no = int(sun["day"][5:7]) - 1 if sun.get("day") else int(month or 0)
        day = f"{day_of}. {MONTHS_LONG['de'][month_no]}" if lang == "de" else f"{MONTHS_LONG['en'][month_no]} {day_of}"
        position = sun.get("sun") or {}
        when = _hhmm(float(sun.get("hour", hour or 12)))
        if (position.get("elevation") or 0) <= 0:
            text = t("studio.night", lang, day=day, time=when)
        else:
            text = t(
                "studio.when",
                lang,
                day=day,
                time=when,
                el=number(position["elevation"], lang, 0),
                az=number(position["azimuth"], lang, 0),
            )
        return text, sun_table({**sun, "day": day}, lang), marks

    @app.callback(
        Output("studio-link3d", "href"),
        Output("studio-link3d-row", "hidden"),
        Input("studio-state", "data"),
        State("studio-deck", "viewState"),
    )
    def link(state, view):
        href = link_3d(settings.api_url, state, view)
        return (href or "#"), href is None

    @app.callback(Output("studio-drawn-info", "children"), Input("studio-draw", "geojson"), Input("lang", "data"))
    def drawn_info(collection, lang):
        shape = drawn_footprint(collection)
        if shape is None:
            return ""
        return t("studio.drawn", lang, m2=number(_area_m2(shape), lang, 0))


def _area_m2(polygon: dict) -> float:
    """Area of a lon/lat polygon in square metres (local equirectangular approximation; enough for a hint)."""
    ring = polygon["coordinates"][0]
    lat0 = sum(p[1] for p in ring) / len(ring)
    kx, ky = 111_320.0 * math.cos(math.radians(lat0)), 110_540.0
    points = [(p[0] * kx, p[1] * ky) for p in ring]
    return abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(points))) / 2
