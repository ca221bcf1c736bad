"""3D view (deck.gl through deckgl-dash): LoD1 buildings, the plan's permitted envelope, contribution pins.

The city's buildings are loaded by the browser as Mapbox vector tiles from the
OGC API (``/collections/buildings/tiles``), so a whole city of ~400 000
buildings can be browsed: only the tiles in view travel (figures:
``benchmarks/view3d.py``). Plan outlines come as GeoJSON. A planning
variant's buildings (run-scenario Process) are drawn as GeoJSON over its
area, and the tiles hide the stored buildings it stands in for
(``replaced_building_ids``; the filter lives in ``assets/buergergis.js``).
The envelope (buildable windows × Z × 3 m, see ``ui.envelope``) and the
pins are prepared server-side from API data and passed as layer *data*.
Every accessor below is a fixed string written here; user-supplied text
(contribution texts, pseudonyms) only ever travels as data and is never
shown through deck.gl's HTML tooltip templates — details of a picked object
are rendered by Dash, which escapes them.
"""

from __future__ import annotations

import logging
import threading
import time
from urllib.parse import parse_qs

from dash import ALL, Input, Output, State, callback_context, dcc, html, no_update
from deckgl_dash import DeckGL
from deckgl_dash.layers import GeoJsonLayer, LineLayer, MVTLayer, ScatterplotLayer

from ui import sun_compare, variant_comments, variants
from ui.api import ApiError, portal_path, tiles_url
from ui.catalog import find, plan_label, plan_of, shared_catalog
from ui.controls import choice_buttons, choice_group, register_choice_group
from ui.envelope import envelopes
from ui.festsetzungen import number
from ui.i18n import T, t

LOG = logging.getLogger(__name__)

PIN_HEIGHT_M = 25

#: The vector-tile parser worker (loaders.gl, same version as deckgl-dash bundles; see its SOURCE.txt).
MVT_WORKER = "/assets/vendor/loaders.gl-mvt-4.4.3/mvt-worker.js"

#: Up to this many plans the envelope of all is shown before one is chosen (a city has thousands).
ENVELOPE_ALL_PLANS = 20

#: Zoom levels the buildings tiles are served at (api/config.py); deck.gl over-zooms beyond the last.
TILE_MIN_ZOOM, TILE_MAX_ZOOM = 10, 16

#: Colours of buildings: measured ones darker than synthetic ones (legend and note say so).
_BUILDING_FILL = "@@=properties.synthetic ? [205, 209, 216, 235] : [135, 142, 153, 245]"
#: A variant's buildings: new ones crimson, changed ones yellow, the rest as the stored ones (ui.variants.NEW …).
_VARIANT_FILL = "@@=properties.change === 2 ? [190, 24, 93, 245] : properties.change === 1 ? [234, 179, 8, 245] : (properties.synthetic ? [205, 209, 216, 235] : [135, 142, 153, 245])"
#: The legend of the 3D view: (i18n key, CSS colour) in the order of the accessors above.
LEGEND_3D = (
    ("3d.legend.new", "rgb(190, 24, 93)"),
    ("3d.legend.changed", "rgb(234, 179, 8)"),
    ("3d.legend.existing", "rgb(135, 142, 153)"),
    ("3d.legend.synthetic", "rgb(205, 209, 216)"),
    ("3d.legend.envelope", "rgba(234, 120, 20, .45)"),
    ("3d.legend.pin", "rgb(124, 58, 237)"),
)

#: The tiles' filter: 1 where a variant shown in that view replaces the stored building (hidden), else 0.
#: (deckgl-dash compiles an expression into a function only when it holds an operator; without one it
#: reads it as a property path, so the comparison is needed.)
_REPLACED = {
    "deck": "@@=window.buergergis.replaced3d('deck', properties.id) === 1 ? 1 : 0",
    "deck-b": "@@=window.buergergis.replaced3d('deck-b', properties.id) === 1 ? 1 : 0",
}

#: Camera presets: key -> (pitch, bearing, zoom offset from the fitted zoom).
CAMERAS = {
    "overview": (45, -20, 0.0),
    "oblique": (60, 0, 0.6),
    "top": (0, 0, 0.0),
    "street": (75, 30, 1.6),
}


def _layers(api_url: str, deck_id: str = "deck") -> list:
    """The deck.gl layers of one view (``deck`` or ``deck-b``).

    ``city-buildings`` are the stored buildings as vector tiles; data of ``envelope``, ``pins*`` and a
    variant's ``buildings`` is filled in by callbacks.
    """
    empty = {"type": "FeatureCollection", "features": []}
    worker = {"mvt": {"workerUrl": portal_path(api_url) + MVT_WORKER}}
    return [
        # Plans and streets as tiles too: a city has thousands of plans and ~100 000 street segments.
        MVTLayer(
            id="plans",
            data=tiles_url(api_url, "bp_plan"),
            min_zoom=TILE_MIN_ZOOM,
            max_zoom=TILE_MAX_ZOOM,
            filled=True,
            stroked=True,
            get_fill_color=[11, 58, 102, 18],
            get_line_color=[11, 58, 102, 230],
            line_width_min_pixels=2,
            load_options=worker,
        ),
        MVTLayer(
            id="streets",
            data=tiles_url(api_url, "streets"),
            min_zoom=TILE_MIN_ZOOM,
            max_zoom=TILE_MAX_ZOOM,
            stroked=True,
            filled=False,
            get_line_color=[120, 128, 140, 200],
            line_width_min_pixels=1,
            load_options=worker,
        ),
        MVTLayer(
            id="city-buildings",
            data=tiles_url(api_url, "buildings"),
            min_zoom=TILE_MIN_ZOOM,
            max_zoom=TILE_MAX_ZOOM,
            extruded=True,
            filled=True,
            wireframe=True,
            get_elevation="@@=properties.height || 0",
            get_fill_color=_BUILDING_FILL,
            get_line_color=[70, 75, 85, 255],
            pickable=True,
            auto_highlight=True,
            get_filter_value=_REPLACED[deck_id],
            filter_range=[0, 0.5],
            update_triggers={"getFilterValue": ""},
            # loaders.gl parses tiles in a worker it would fetch from a CDN; ours is served with the portal.
            load_options=worker,
        ),
        GeoJsonLayer(
            id="buildings",
            data=empty,
            extruded=True,
            filled=True,
            wireframe=True,
            get_elevation="@@=properties.height",
            get_fill_color=_VARIANT_FILL,
            get_line_color=[70, 75, 85, 255],
            pickable=True,
            auto_highlight=True,
        ),
        GeoJsonLayer(
            id="envelope",
            data=empty,
            extruded=True,
            filled=True,
            wireframe=True,
            get_elevation="@@=properties.envelope_height",
            get_fill_color=[234, 120, 20, 70],
            get_line_color=[190, 80, 0, 200],
            pickable=True,
        ),
        LineLayer(
            id="pins-stick",
            data=[],
            get_source_position="@@=base",
            get_target_position="@@=top",
            get_color=[124, 58, 237, 255],
            get_width=3,
        ),
        ScatterplotLayer(
            id="pins",
            data=[],
            get_position="@@=top",
            get_radius=6,
            radius_units="pixels",
            get_fill_color=[124, 58, 237, 255],
            get_line_color=[255, 255, 255, 255],
            stroked=True,
            line_width_min_pixels=2,
            pickable=True,
        ),
    ]


_DECK_STYLE = {"position": "absolute", "top": 0, "left": 0, "width": "100%", "height": "100%"}
_LABEL_STYLE = {
    "position": "absolute",
    "top": "8px",
    "left": "8px",
    "zIndex": 2,
    "pointerEvents": "none",
    "background": "rgba(255,255,255,.88)",
    "padding": ".2rem .5rem",
    "borderRadius": "4px",
    "fontWeight": 600,
    "fontSize": ".9rem",
}
#: Until the camera callback frames the plans (or a link's place): Germany, below the tiles' zoom levels,
#: so no building tile is fetched for a place the view is about to leave.
_INITIAL_VIEW = {"longitude": 10.45, "latitude": 51.16, "zoom": 5, "pitch": 45, "bearing": -20}
MODES = ("a", "b", "side")


def _variant_controls() -> html.Section:
    if not variants.VARIANT_IDS:
        return html.Section([T("variants.heading", html.H2), html.P(T("variants.none"), className="hint")])

    def options():  # fresh components per group (each T carries its own id)
        return [(sid, T(f"variant.{sid}")) for sid in variants.VARIANT_IDS]

    return html.Section(
        id="variant-controls",
        children=[
            T("variants.heading", html.H2),
            choice_group("variant-a", options(), variants.DEFAULT_A, label_key="variants.a"),
            choice_group("variant-b", options(), variants.DEFAULT_B, label_key="variants.b"),
            choice_group("variant-mode", [(m, T(f"variants.mode.{m}")) for m in MODES], "a", label_key="variants.mode"),
            html.P(T("variants.explain"), className="hint"),
            html.P(id="variant-status", className="hint", role="status"),
            variant_comments.layout(),
        ],
    )


def layout(api_url: str, lang: str = "de") -> html.Section:
    cameras = [
        html.Button(T(f"3d.cam.{key}"), id={"type": "camera", "key": key}, className="btn secondary small", n_clicks=0)
        for key in CAMERAS
    ]
    return html.Section(
        id="view-3d",
        className="view view3d",
        role="tabpanel",
        hidden=True,
        **{"aria-labelledby": "tab-3d"},
        children=[
            html.Div(
                className="sidebar",
                children=[
                    html.Section(
                        [
                            T("3d.camera", html.H2, id="camera-heading"),
                            html.Div(
                                cameras, className="btn-row", role="group", **{"aria-labelledby": "camera-heading"}
                            ),
                        ]
                    ),
                    _variant_controls(),
                    html.Section(
                        [
                            T("3d.layers", html.H2),
                            html.P(T("3d.explain"), className="hint"),
                            html.P(T("3d.synthetic_note"), className="msg info"),
                            legend_3d(),
                            html.P(id="envelope-note", className="hint", **{"aria-live": "polite"}),
                            html.Div(id="deck-info", className="msg info", role="status"),
                        ]
                    ),
                ],
            ),
            html.Div(
                className="deck-column",
                style={"display": "flex", "flexDirection": "column", "minWidth": 0, "overflowY": "auto"},
                children=[
                    html.Div(
                        id="deck-pair",
                        style={"display": "flex", "gap": "4px", "flex": "1 0 auto"},
                        children=[
                            html.Div(
                                className="deck-wrap",
                                id="deck-region",
                                role="region",
                                style={"flex": "1 1 0", "minWidth": 0},
                                **{"aria-label": t("3d.region", lang)},
                                children=[
                                    DeckGL(
                                        id="deck",
                                        layers=_layers(api_url, "deck"),
                                        initial_view_state=_INITIAL_VIEW,
                                        controller=True,
                                        enable_events=["click"],
                                        style=_DECK_STYLE,
                                    ),
                                    html.Div(id="deck-label-a", style=_LABEL_STYLE, hidden=True),
                                ],
                            ),
                            html.Div(
                                className="deck-wrap",
                                id="deck-region-b",
                                role="region",
                                hidden=True,
                                style={"flex": "1 1 0", "minWidth": 0},
                                **{"aria-label": t("variants.region_b", lang)},
                                children=[
                                    DeckGL(
                                        id="deck-b",
                                        layers=_layers(api_url, "deck-b"),
                                        initial_view_state=_INITIAL_VIEW,
                                        controller=True,
                                        enable_events=["click"],
                                        style=_DECK_STYLE,
                                    ),
                                    html.Div(id="deck-label-b", style=_LABEL_STYLE),
                                ],
                            ),
                            # Ids of stored buildings each view's variant replaces (see assets/buergergis.js).
                            dcc.Store(id="deck-replaced-a"),
                            dcc.Store(id="deck-replaced-b"),
                        ],
                    ),
                    html.Section(
                        id="variant-compare",
                        style={"padding": ".75rem 0 0"},
                        **{"aria-labelledby": "variant-compare-heading"},
                        children=[
                            T("variants.compare", html.H2, id="variant-compare-heading"),
                            html.Div(id="variant-compare-body", className="table-wrap", **{"aria-live": "polite"}),
                            sun_section(),
                        ],
                    ),
                ],
            ),
        ],
    )


def legend_3d() -> html.Div:
    """What the building colours mean (new, changed, existing …), beside the 3D view."""
    return html.Div(
        id="legend-3d",
        children=[
            T("3d.legend", html.H3, id="legend-3d-heading"),
            html.Ul(
                className="legend-list",
                **{"aria-labelledby": "legend-3d-heading"},
                children=[
                    html.Li(
                        [html.Span(className="swatch", style={"background": colour}, **{"aria-hidden": "true"}), T(key)]
                    )
                    for key, colour in LEGEND_3D
                ],
            ),
        ],
    )


def sun_section() -> html.Section:
    """Sun hours at a chosen place in A and B (ui/sun_compare.py): the place by button or by a click in 3D."""
    return html.Section(
        id="sun-compare",
        **{"aria-labelledby": "sun-heading"},
        children=[
            T("sun.heading", html.H3, id="sun-heading"),
            html.P(T("sun.explain"), className="hint"),
            T("sun.choose", html.Span, id="sun-places-label", className="label"),
            html.Div(id="sun-places", role="group", className="btn-row", **{"aria-labelledby": "sun-places-label"}),
            dcc.Store(id="sun-place-options", data=[]),
            dcc.Store(id="sun-place"),
            html.Div(id="sun-result", className="table-wrap", **{"aria-live": "polite"}),
            html.P(T("sun.note"), className="hint"),
        ],
    )


def sun_table(result, place_label: str, a_title: str, b_title: str, lang: str) -> html.Table:
    """Hours of sun at the place on 21 March and 21 December in A and B, and the hours lost."""
    from ui.sun_compare import DAYS

    def hours(value: float) -> str:
        return t("sun.hours", lang, h=number(value, lang, 1))

    def lost(value: float) -> str:
        sign = "−" if value > 0.05 else ("+" if value < -0.05 else "±")
        return t("sun.hours", lang, h=f"{sign}{number(abs(value), lang, 1)}")

    rows = [
        html.Tr(
            [
                html.Th(t(f"sun.day.{key}", lang), scope="row"),
                html.Td(hours(result.hours[key][0])),
                html.Td(hours(result.hours[key][1])),
                html.Td(lost(result.lost(key)), **{"data-day": key}),
            ]
        )
        for key, _, _ in DAYS
    ]
    return html.Table(
        className="data compare-table",
        id="sun-table",
        children=[
            html.Caption(
                t(
                    "sun.caption",
                    lang,
                    place=place_label,
                    lat=number(result.lat, lang, 5),
                    lon=number(result.lon, lang, 5),
                )
            ),
            html.Thead(
                html.Tr(
                    [
                        html.Th(t("sun.col.day", lang), scope="col"),
                        html.Th(f"A: {a_title}", scope="col"),
                        html.Th(f"B: {b_title}", scope="col"),
                        html.Th(t("sun.col.lost", lang), scope="col"),
                    ]
                )
            ),
            html.Tbody(rows),
        ],
    )


class _TTLCache:
    """Envelopes take a second or two per plan; plans change rarely."""

    def __init__(self, seconds: float = 300):
        self.seconds = seconds
        self._data: dict = {}
        self._lock = threading.Lock()

    def get(self, key, compute):
        now = time.monotonic()
        with self._lock:
            hit = self._data.get(key)
        if hit and now - hit[0] < self.seconds:
            return hit[1]
        value = compute()
        with self._lock:
            self._data[key] = (now, value)
        return value


def pins_data(features: list[dict]) -> list[dict]:
    """Contribution positions (a line's or area's first vertex) as pin data; no text travels."""
    pins = []
    for feature in features:
        geom = feature.get("geometry") or {}
        coords = geom.get("coordinates")
        while isinstance(coords, list) and coords and isinstance(coords[0], list):
            coords = coords[0]
        if not coords or len(coords) < 2:
            continue
        lon, lat = float(coords[0]), float(coords[1])
        pins.append({"base": [lon, lat, 0], "top": [lon, lat, PIN_HEIGHT_M], "id": str(feature.get("id", ""))})
    return pins


def camera(key: str, bbox: list | None) -> dict:
    """initial_view_state for a preset, centred on ``bbox`` ([[s, w], [n, e]])."""
    import math

    pitch, bearing, zoom_offset = CAMERAS.get(key, CAMERAS["overview"])
    if bbox:
        (south, west), (north, east) = bbox
        lat, lon = (south + north) / 2, (west + east) / 2
        span = max(east - west, (north - south) * 1.6, 1e-4)
        zoom = max(10.0, min(18.0, math.log2(360 / span) - 0.2))
    else:
        lat, lon, zoom = 53.664, 10.01, 15
    return {
        "longitude": lon,
        "latitude": lat,
        "zoom": round(zoom + zoom_offset, 2),
        "pitch": pitch,
        "bearing": bearing,
        "transitionDuration": 600,
    }


#: Camera fields a link may carry (``?view=3d&lon=10.01&lat=53.66&zoom=15&pitch=45&bearing=-20``) and their range.
_LINK_CAMERA = {
    "longitude": ("lon", -180, 180),
    "latitude": ("lat", -85, 85),
    "zoom": ("zoom", 0, 22),
    "pitch": ("pitch", 0, 85),
    "bearing": ("bearing", -360, 360),
}


def camera_from_link(search: str | None) -> dict | None:
    """The camera of a shared 3D link, or None when the link names none (or an unusable one).

    ``lon``, ``lat`` and ``zoom`` are needed; ``pitch`` and ``bearing`` default to the overview's.
    Values out of range are clamped, anything not a number makes the link camera-less.
    """
    query = parse_qs((search or "").lstrip("?"))
    pitch, bearing, _ = CAMERAS["overview"]
    view = {"pitch": pitch, "bearing": bearing}
    for field, (name, low, high) in _LINK_CAMERA.items():
        raw = (query.get(name) or [None])[0]
        if raw is None:
            if name in ("lon", "lat", "zoom"):
                return None
            continue
        try:
            value = float(raw)
        except ValueError:
            return None
        if value != value or value in (float("inf"), float("-inf")):
            return None
        view[field] = min(high, max(low, value))
    return view


def variants_from_link(search: str | None) -> dict | None:
    """A, B and the mode a shared 3D link names (``?view=3d&a=…&b=…&mode=side``, the studio's "open in 3D"), or
    None; ids must look like scenario ids, the mode be one of :data:`MODES`."""
    import re

    from scenarios.model import ID_PATTERN

    query = parse_qs((search or "").lstrip("?"))
    a, b, mode = ((query.get(k) or [None])[0] for k in ("a", "b", "mode"))
    if not b or not re.match(ID_PATTERN, b) or (a and not re.match(ID_PATTERN, a)):
        return None
    return {"a": a or variants.DEFAULT_A, "b": b, "mode": mode if mode in MODES else "b"}


def register(app, client, settings) -> None:
    cache = _TTLCache()

    def plan_envelope(plan_id: str | None) -> dict:
        def compute():
            params = {"plan_id": plan_id} if plan_id else {}
            zones = client.items("bp_baugebiet", **params)
            lines = client.items("bp_baugrenze", **params)
            baufenster = client.items("bp_baufenster", **params)
            return envelopes(zones, lines, baufenster)

        return cache.get(plan_id or "*", compute)

    variant_cache = _TTLCache()
    compare_cache = _TTLCache()

    def variant_buildings(variant_id: str) -> tuple[dict, list[str]]:
        """A variant's buildings from the run-scenario Process and the stored ids they replace (cached)."""

        def compute():
            reply = variants.run_scenario(
                settings.api_url, {"scenario": variant_id, "compare_to": "none", "include_buildings": True}
            )
            indicators = reply.get("indicators") or {}
            collection = indicators.get("buildings")
            return (
                variants.slim_buildings(collection, stored_near(collection)),
                [str(i) for i in indicators.get("replaced_building_ids") or []],
            )

        return variant_cache.get(variants.cache_key(variant_id), compute)

    def stored_near(collection: dict | None) -> dict | None:
        """The stored buildings where a variant stands (id -> height, storeys, footprint), to tell new and
        changed buildings from those as they are today; None when they cannot be read."""
        box = variants.collection_bbox(collection)
        if not box:
            return None
        try:
            features = client.items("buildings", limit=10000, bbox=box, properties="height,storeys")
        except ApiError as err:
            LOG.info("stored buildings of a variant's area not readable: %s", err)
            return None
        return {str(f.get("id")): {**(f.get("properties") or {}), "geometry": f.get("geometry")} for f in features}

    def replaced(deck_id: str, variant_id: str | None, ids: list[str]) -> dict:
        return {"deck": deck_id, "ids": ids, "version": f"{variant_id or ''}:{len(ids)}"}

    def variant_deltas(a: str, b: str) -> dict:
        """Indicator deltas A -> B (``deltas`` of run-scenario for B compared to A), cached per pair."""

        def compute():
            reply = variants.run_scenario(settings.api_url, {"scenario": b, "compare_to": a})
            return reply.get("deltas") or {}

        return compare_cache.get((variants.cache_key(a), variants.cache_key(b)), compute)

    for group in ("variant-a", "variant-b", "variant-mode"):
        if variants.VARIANT_IDS:
            register_choice_group(app, group)
    if variants.VARIANT_IDS:
        variant_comments.register(app, client, settings)

    has_variants = bool(variants.VARIANT_IDS)
    if has_variants:

        @app.callback(
            Output("variant-a-buttons", "children"),
            Output("variant-b-buttons", "children"),
            Input("active-tab", "data"),
            Input("lang", "data"),
            State("variant-a", "data"),
            State("variant-b", "data"),
            State("url", "search"),
        )
        def list_variants(tab, lang, a, b, search):
            """The shipped variants and the scenario studio's (published ones; planners also see internal)."""
            if tab != "3d":
                return no_update, no_update
            link = variants_from_link(search)
            if link and (a, b) == (variants.DEFAULT_A, variants.DEFAULT_B):  # a link's choice not yet in the stores
                a, b = link["a"], link["b"]
            options = [(vid, variants.variant_title(vid, lang)) for vid, _, _ in variants.variant_choices(client)]
            return choice_buttons("variant-a", options, a), choice_buttons("variant-b", options, b)

        @app.callback(
            Output("variant-a", "data", allow_duplicate=True),
            Output("variant-b", "data", allow_duplicate=True),
            Output("variant-mode", "data", allow_duplicate=True),
            Output("variant-mode-buttons", "children"),
            Input("url", "search"),
            prevent_initial_call="initial_duplicate",
        )
        def linked(search):
            """A shared link's A, B and mode (the studio's "open in 3D")."""
            link = variants_from_link(search)
            if not link:
                return no_update, no_update, no_update, no_update
            modes = [(m, T(f"variants.mode.{m}")) for m in MODES]
            return link["a"], link["b"], link["mode"], choice_buttons("variant-mode", modes, link["mode"])

    variant_inputs = (
        [Input("variant-a", "data"), Input("variant-b", "data"), Input("variant-mode", "data")] if has_variants else []
    )

    @app.callback(
        Output("deck", "layerData"),
        Output("deck-b", "layerData"),
        Output("envelope-note", "children"),
        Output("variant-status", "children") if has_variants else Output("deck-label-b", "title"),
        Output("deck-replaced-a", "data"),
        Output("deck-replaced-b", "data"),
        Input("active-tab", "data"),
        Input("selection", "data"),
        Input("contributions-version", "data"),
        Input("lang", "data"),
        *variant_inputs,
        Input("catalog", "data"),
    )
    def fill_layers(tab, selection, _version, lang, *rest):
        catalog = shared_catalog(client).resolve(rest[-1])
        a, b, mode = rest[:3] if has_variants else (None, None, "a")
        if tab != "3d" or not catalog:  # hidden, or the page's catalogue is not there yet
            return (no_update,) * 6
        plan_id = _plan_id_of(selection, catalog)
        empty = {"type": "FeatureCollection", "features": []}
        envelope = empty
        if plan_id or len(catalog.get("plans", [])) <= ENVELOPE_ALL_PLANS:
            try:
                envelope = plan_envelope(plan_id)
            except ApiError as err:
                LOG.warning("3D envelope not available: %s", err)
        pins = []
        if (catalog or {}).get("has_contributions"):
            try:
                pins = pins_data(client.items("contributions", limit=5000))
            except ApiError:
                pins = []
        plan = plan_of(catalog, plan_id)
        plans = plan_label(plan) if plan else t("3d.all_plans", lang)
        note = (
            t("3d.envelope_note", lang, n=len(envelope["features"]), plans=plans)
            if envelope is not empty
            else t("3d.choose_plan", lang)
        )
        left_data = {"envelope": envelope, "pins": pins, "pins-stick": pins, "buildings": empty}
        right_data = no_update
        replaced_a, replaced_b = replaced("deck", None, []), no_update
        status = ""
        left = b if mode == "b" else a
        if not any(variants.applies(v, catalog) for v in (left, b if mode == "side" else None)):
            # the shipped variants are about plans this city does not hold: its stored buildings only
            return left_data, right_data, note, t("variants.not_here", lang) if left else "", replaced_a, replaced_b
        try:
            if left and variants.applies(left, catalog):
                left_data["buildings"], ids = variant_buildings(left)
                replaced_a = replaced("deck", left, ids)
            if mode == "side" and variants.applies(b, catalog):
                buildings, ids = variant_buildings(b)
                right_data = {"envelope": envelope, "pins": pins, "pins-stick": pins, "buildings": buildings}
                replaced_b = replaced("deck-b", b, ids)
        except ApiError as err:
            # Without the variant the view shows the stored buildings (tiles), none hidden.
            LOG.warning("scenario variant not available: %s", err)
            left_data["buildings"], replaced_a = empty, replaced("deck", None, [])
            status = t("variants.unavailable", lang)
        return left_data, right_data, note, status, replaced_a, replaced_b

    for store, deck in (("deck-replaced-a", "deck"), ("deck-replaced-b", "deck-b")):
        app.clientside_callback(
            "function (replaced, layers) { return window.dash_clientside.buergergis.replaceBuildings(replaced, layers); }",
            Output(deck, "layers"),
            Input(store, "data"),
            State(deck, "layers"),
            prevent_initial_call=True,
        )

    if has_variants:

        @app.callback(
            Output("deck-region-b", "hidden"),
            Output("deck-label-a", "hidden"),
            Output("deck-label-a", "children"),
            Output("deck-label-b", "children"),
            Output("deck-region-b", "aria-label"),
            Input("variant-a", "data"),
            Input("variant-b", "data"),
            Input("variant-mode", "data"),
            Input("lang", "data"),
            Input("catalog", "data"),
        )
        def show_variants(a, b, mode, lang, catalog):
            left = b if mode == "b" else a
            # no variant label over a city the variants are not about (it shows the stored buildings)
            here = variants.applies(left, shared_catalog(client).resolve(catalog))
            return (
                mode != "side",
                not here,
                f"{'B' if mode == 'b' else 'A'}: {variants.variant_title(left, lang)}",
                f"B: {variants.variant_title(b, lang)}",
                t("variants.region_b", lang),
            )

        app.clientside_callback(
            "function (mode) { return window.dash_clientside.buergergis.resizeOnShow(mode); }",
            Output("focus-sink", "data", allow_duplicate=True),
            Input("variant-mode", "data"),
            prevent_initial_call=True,
        )

        @app.callback(
            Output("variant-compare-body", "children"),
            Output("sun-places", "children"),
            Output("sun-place-options", "data"),
            Output("sun-place", "data", allow_duplicate=True),
            Input("active-tab", "data"),
            Input("variant-a", "data"),
            Input("variant-b", "data"),
            Input("lang", "data"),
            Input("catalog", "data"),
            State("sun-place", "data"),
            prevent_initial_call="initial_duplicate",
        )
        def compare(tab, a, b, lang, catalog, place):
            """Plain words, the whole area, each affected zone; places for the sun hours (north of each zone)."""
            nothing = (no_update,) * 4
            if tab != "3d" or not a or not b:
                return nothing
            catalog = shared_catalog(client).resolve(catalog)
            if not catalog:
                return nothing  # the page's catalogue is not there yet
            if not (variants.applies(a, catalog) and variants.applies(b, catalog)):
                return html.P(t("variants.not_here", lang), className="msg info"), [], [], None
            try:
                deltas = variant_deltas(a, b)
            except ApiError as err:
                LOG.warning("scenario deltas not available: %s", err)
                return html.P(t("variants.unavailable", lang), className="msg error"), [], [], None
            a_title, b_title = variants.variant_title(a, lang), variants.variant_title(b, lang)
            zones = variants.zone_rows(deltas, catalog, lang)
            body = [
                html.P(t("variants.same", lang), className="hint") if a == b else None,
                variants.summary_block(deltas, a, b, lang),
                html.H3(t("variants.whole_area", lang)),
                variants.compare_table(deltas, a_title, b_title, lang),
                html.H3(f"{t('variants.by_zone', lang)} ({t('variants.zone_count', lang, n=len(zones))})"),
                html.P(t("variants.grz_explain", lang), className="hint"),
                variants.zones_table(zones, a_title, b_title, lang),
            ]
            options = []
            for row in zones[:8]:  # the zones that change most
                spot = sun_compare.default_place(row.get("bbox"))
                if spot:
                    options.append(
                        {
                            "lon": spot[0],
                            "lat": spot[1],
                            "zone": row["zone_id"],
                            "label": t("sun.place_north_of", lang, name=row["name"]),
                        }
                    )
            current = place if place and any(o["zone"] == place.get("zone") for o in options) else None
            chosen = current or (options[0] if options else None)
            buttons = [
                html.Button(
                    o["label"],
                    id={"type": "sun-place", "zone": o["zone"]},
                    n_clicks=0,
                    type="button",
                    className="choice",
                    **{"aria-pressed": "true" if chosen is o else "false"},
                )
                for o in options
            ]
            return body, buttons, options, (chosen if chosen is not place else no_update)

        @app.callback(
            Output("sun-place", "data", allow_duplicate=True),
            Output({"type": "sun-place", "zone": ALL}, "aria-pressed"),
            Input({"type": "sun-place", "zone": ALL}, "n_clicks"),
            Input("deck", "clickInfo"),
            State("sun-place-options", "data"),
            State("lang", "data"),
            prevent_initial_call=True,
        )
        def choose_sun_place(_clicks, click, options, lang):
            """A zone's button, or a click into the 3D view (its ground position), chooses the place."""
            trigger = callback_context.triggered_id
            zones = [item["id"]["zone"] for item in callback_context.outputs_list[1]]
            if isinstance(trigger, dict):
                if not any(item.get("value") for item in callback_context.triggered):
                    return no_update, [no_update] * len(
                        zones
                    )  # one per button (Dash 4)  # buttons re-rendered, not pressed
                chosen = next((o for o in options or [] if o["zone"] == trigger["zone"]), None)
                if not chosen:
                    return no_update, [no_update] * len(zones)  # one per button (Dash 4)
                return chosen, ["true" if z == chosen["zone"] else "false" for z in zones]
            coordinate = (click or {}).get("coordinate") or (click or {}).get("lngLat")
            try:
                lon, lat = float(coordinate[0]), float(coordinate[1])
            except (TypeError, ValueError, IndexError):
                return no_update, [no_update] * len(zones)  # one per button (Dash 4)
            if not (-180 <= lon <= 180 and -85 <= lat <= 85):
                return no_update, [no_update] * len(zones)  # one per button (Dash 4)
            place = {"lon": round(lon, 6), "lat": round(lat, 6), "zone": None, "label": t("sun.place_clicked", lang)}
            return place, ["false"] * len(zones)

        sun_cache = _TTLCache()

        @app.callback(
            Output("sun-result", "children"),
            Input("sun-place", "data"),
            Input("lang", "data"),
            State("variant-a", "data"),
            State("variant-b", "data"),
            State("active-tab", "data"),
            State("catalog", "data"),
        )
        def sun(place, lang, a, b, tab, catalog):
            """Hours of sun at the place in A and in B on 21 March and 21 December."""
            if not place or not a or not b:
                return ""
            catalog = shared_catalog(client).resolve(catalog)
            if not (variants.applies(a, catalog) and variants.applies(b, catalog)):
                return ""
            lon, lat = float(place["lon"]), float(place["lat"])

            def compute():
                stored = client.items("buildings", limit=10000, bbox=sun_compare.around(lon, lat), properties="height")
                return sun_compare.compare(lon, lat, stored, variant_buildings(a), variant_buildings(b))

            try:
                result = sun_cache.get((variants.cache_key(a), variants.cache_key(b), lon, lat), compute)
            except (ApiError, ValueError) as err:
                LOG.warning("sun hours not computed: %s", err)
                return html.P(t("sun.failed", lang), className="msg error")
            label = place.get("label") or t("sun.place_clicked", lang)
            if place.get("zone"):  # the zone's name in the language shown now
                row = next(
                    (
                        r
                        for r in variants.zone_rows(variant_deltas(a, b), catalog, lang)
                        if r["zone_id"] == place["zone"]
                    ),
                    None,
                )
                label = t("sun.place_north_of", lang, name=row["name"]) if row else label
            return sun_table(result, label, variants.variant_title(a, lang), variants.variant_title(b, lang), lang)

    @app.callback(
        Output("deck", "initialViewState"),
        Output("deck-b", "initialViewState"),
        Input({"type": "camera", "key": "overview"}, "n_clicks"),
        Input({"type": "camera", "key": "oblique"}, "n_clicks"),
        Input({"type": "camera", "key": "top"}, "n_clicks"),
        Input({"type": "camera", "key": "street"}, "n_clicks"),
        Input("active-tab", "data"),
        Input("catalog", "data"),  # a direct ?view=3d link: frame the plans once they are known
        State("selection", "data"),
        State("url", "search"),
    )
    def move_camera(*args):
        selection, search = args[-2], args[-1]
        trigger = callback_context.triggered_id
        if trigger in ("active-tab", "catalog", None) and args[4] != "3d":
            return no_update, no_update
        linked = camera_from_link(search) if not isinstance(trigger, dict) else None
        if linked:  # a shared link with a camera (lon, lat, zoom, ...) shows exactly that place
            return linked, linked
        catalog = shared_catalog(client).resolve(args[-3])
        key = trigger["key"] if isinstance(trigger, dict) else "overview"
        plan_id = _plan_id_of(selection, catalog)
        # Frame the whole plan of the selection: the envelope makes sense beside its neighbours.
        bbox = (plan_of(catalog, plan_id) or {}).get("bbox") or (catalog or {}).get("bbox")
        view = camera(key, bbox)
        if not isinstance(trigger, dict):  # the first framing jumps; only a chosen preset glides
            view.pop("transitionDuration", None)
        return view, view

    @app.callback(
        Output("deck-info", "children"),
        Input("deck", "clickInfo"),
        Input("deck-b", "clickInfo"),
        Input("lang", "data"),
        prevent_initial_call=True,
    )
    def describe_pick(info_a, info_b, lang):
        """Details of the clicked object, rendered by Dash (escaped), never by a deck.gl template."""
        info = info_b if callback_context.triggered_id == "deck-b" else info_a
        obj = (info or {}).get("object") or {}
        layer = (info or {}).get("layer") or (info or {}).get("layerId")
        if isinstance(layer, dict):
            layer = layer.get("id")
        props = obj.get("properties") or {}
        if layer == "envelope" or "envelope_height" in props:
            return (
                f"{t('3d.envelope', lang)}: {number(props.get('envelope_height', 0), lang)} m "
                f"({props.get('storeys')} × 3 m), {props.get('art_code') or ''}"
            )
        if layer == "buildings" or "height" in props:
            parts = [t("legend.building", lang)]
            if props.get("height") is not None:
                parts.append(f"{t('common.height', lang)} {number(float(props['height']), lang, 1)} m")
            if props.get("storeys"):
                parts.append(f"{t('common.storeys', lang)}: {props['storeys']}")
            if props.get("synthetic"):
                parts.append(t("common.synthetic", lang))
            return " · ".join(parts)
        if layer == "pins":
            return t("legend.contribution", lang)
        return no_update

    @app.callback(Output("deck-region", "aria-label"), Input("lang", "data"))
    def translate(lang):
        return t("3d.region", lang)


def _plan_id_of(selection: dict | None, catalog: dict | None) -> str | None:
    selection = selection or {}
    if selection.get("collection") == "bp_plan":
        return selection.get("id")
    if selection.get("plan_id"):
        return selection["plan_id"]
    row = find(catalog, selection.get("collection", ""), selection.get("id", ""))
    return (row or {}).get("plan_id")
