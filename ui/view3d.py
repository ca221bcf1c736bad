"""3D view (deck.gl through deckgl-dash): LoD1 buildings, the plan's permitted envelope, contribution pins.

Buildings and plan outlines are loaded by the browser straight from the OGC
API. The envelope (buildable windows × Z × 3 m, see ``ui.envelope``) and the
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

from dash import Input, Output, State, callback_context, html, no_update
from deckgl_dash import DeckGL
from deckgl_dash.layers import GeoJsonLayer, LineLayer, ScatterplotLayer

from ui import variants
from ui.api import ApiError, items_url
from ui.catalog import find, plan_label, plan_of
from ui.controls import choice_group, register_choice_group
from ui.envelope import envelopes
from ui.festsetzungen import number
from ui.i18n import T, t

LOG = logging.getLogger(__name__)

PIN_HEIGHT_M = 25

#: Camera presets: key -> (pitch, bearing, zoom offset from the fitted zoom).
CAMERAS = {
    "overview": (45, -20, 0.0),
    "oblique": (60, 0, 0.6),
    "top": (0, 0, 0.0),
    "street": (75, 30, 1.6),
}


def _layers(api_url: str, buildings_url: bool = True) -> list:
    """The deck.gl layers; data of ``envelope``, ``pins*`` and a variant's ``buildings`` is filled in by callbacks.

    ``buildings_url``: load the stored buildings from the API until a variant's buildings arrive
    (the second, variant-B view starts empty).
    """
    empty = {"type": "FeatureCollection", "features": []}
    return [
        GeoJsonLayer(
            id="plans", data=items_url(api_url, "bp_plan"), filled=True, stroked=True,
            get_fill_color=[11, 58, 102, 18], get_line_color=[11, 58, 102, 230], line_width_min_pixels=2,
        ),
        GeoJsonLayer(
            id="streets", data=items_url(api_url, "streets"), stroked=True, filled=False,
            get_line_color=[120, 128, 140, 200], line_width_min_pixels=1,
        ),
        GeoJsonLayer(
            id="buildings", data=items_url(api_url, "buildings") if buildings_url else empty, extruded=True, filled=True, wireframe=True,
            get_elevation="@@=properties.height",
            # Synthetic buildings lighter than measured ones (legend and note say so).
            get_fill_color="@@=properties.synthetic ? [205, 209, 216, 235] : [135, 142, 153, 245]",
            get_line_color=[70, 75, 85, 255], pickable=True, auto_highlight=True,
        ),
        GeoJsonLayer(
            id="envelope", data=empty, extruded=True, filled=True,
            wireframe=True, get_elevation="@@=properties.envelope_height",
            get_fill_color=[234, 120, 20, 70], get_line_color=[190, 80, 0, 200], pickable=True,
        ),
        LineLayer(
            id="pins-stick", data=[], get_source_position="@@=base", get_target_position="@@=top",
            get_color=[124, 58, 237, 255], get_width=3,
        ),
        ScatterplotLayer(
            id="pins", data=[], get_position="@@=top", get_radius=6, radius_units="pixels",
            get_fill_color=[124, 58, 237, 255], get_line_color=[255, 255, 255, 255], stroked=True,
            line_width_min_pixels=2, pickable=True,
        ),
    ]


_DECK_STYLE = {"position": "absolute", "top": 0, "left": 0, "width": "100%", "height": "100%"}
_LABEL_STYLE = {"position": "absolute", "top": "8px", "left": "8px", "zIndex": 2, "pointerEvents": "none",
                "background": "rgba(255,255,255,.88)", "padding": ".2rem .5rem", "borderRadius": "4px",
                "fontWeight": 600, "fontSize": ".9rem"}
_INITIAL_VIEW = {"longitude": 10.01, "latitude": 53.664, "zoom": 15, "pitch": 45, "bearing": -20}
MODES = ("a", "b", "side")


def _variant_controls() -> html.Section:
    if not variants.VARIANT_IDS:
        return html.Section([T("variants.heading", html.H2), html.P(T("variants.none"), className="hint")])
    def options():  # fresh components per group (each T carries its own id)
        return [(sid, T(f"variant.{sid}")) for sid in variants.VARIANT_IDS]

    return html.Section(id="variant-controls", children=[
        T("variants.heading", html.H2),
        choice_group("variant-a", options(), variants.DEFAULT_A, label_key="variants.a"),
        choice_group("variant-b", options(), variants.DEFAULT_B, label_key="variants.b"),
        choice_group("variant-mode", [(m, T(f"variants.mode.{m}")) for m in MODES], "a", label_key="variants.mode"),
        html.P(T("variants.explain"), className="hint"),
        html.P(id="variant-status", className="hint", role="status"),
    ])


def layout(api_url: str, lang: str = "de") -> html.Section:
    cameras = [html.Button(T(f"3d.cam.{key}"), id={"type": "camera", "key": key}, className="btn secondary small",
                           n_clicks=0) for key in CAMERAS]
    return html.Section(
        id="view-3d", className="view view3d", role="tabpanel", hidden=True, **{"aria-labelledby": "tab-3d"},
        children=[
            html.Div(className="sidebar", children=[
                html.Section([
                    T("3d.camera", html.H2, id="camera-heading"),
                    html.Div(cameras, className="btn-row", role="group", **{"aria-labelledby": "camera-heading"}),
                ]),
                _variant_controls(),
                html.Section([
                    T("3d.layers", html.H2),
                    html.P(T("3d.explain"), className="hint"),
                    html.P(T("3d.synthetic_note"), className="msg info"),
                    html.P(id="envelope-note", className="hint", **{"aria-live": "polite"}),
                    html.Div(id="deck-info", className="msg info", role="status"),
                ]),
            ]),
            html.Div(className="deck-column", style={"display": "flex", "flexDirection": "column", "minWidth": 0,
                                                     "overflowY": "auto"}, children=[
                html.Div(id="deck-pair", style={"display": "flex", "gap": "4px", "flex": "1 0 auto"}, children=[
                    html.Div(
                        className="deck-wrap", id="deck-region", role="region",
                        style={"flex": "1 1 0", "minWidth": 0}, **{"aria-label": t("3d.region", lang)},
                        children=[
                            DeckGL(id="deck", layers=_layers(api_url), initial_view_state=_INITIAL_VIEW,
                                   controller=True, enable_events=["click"], style=_DECK_STYLE),
                            html.Div(id="deck-label-a", style=_LABEL_STYLE, hidden=True),
                        ],
                    ),
                    html.Div(
                        className="deck-wrap", id="deck-region-b", role="region", hidden=True,
                        style={"flex": "1 1 0", "minWidth": 0}, **{"aria-label": t("variants.region_b", lang)},
                        children=[
                            DeckGL(id="deck-b", layers=_layers(api_url, buildings_url=False),
                                   initial_view_state=_INITIAL_VIEW, controller=True, enable_events=["click"],
                                   style=_DECK_STYLE),
                            html.Div(id="deck-label-b", style=_LABEL_STYLE),
                        ],
                    ),
                ]),
                html.Section(id="variant-compare", style={"padding": ".75rem 0 0"},
                             **{"aria-labelledby": "variant-compare-heading"}, children=[
                    T("variants.compare", html.H2, id="variant-compare-heading"),
                    html.Div(id="variant-compare-body", className="table-wrap", **{"aria-live": "polite"}),
                ]),
            ]),
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
    return {"longitude": lon, "latitude": lat, "zoom": round(zoom + zoom_offset, 2), "pitch": pitch,
            "bearing": bearing, "transitionDuration": 600}


def register(app, client, settings) -> None:
    cache = _TTLCache()

    def plan_envelope(plan_id: str | None) -> dict:
        def compute():
            params = {"plan_id": plan_id} if plan_id else {}
            zones = client.items("bp_baugebiet", **params)
            lines = client.items("bp_baugrenze", **params)
            return envelopes(zones, lines)
        return cache.get(plan_id or "*", compute)

    variant_cache = _TTLCache()
    compare_cache = _TTLCache()

    def variant_buildings(variant_id: str) -> dict:
        """A variant's buildings from the run-scenario Process (cached per variant)."""
        def compute():
            reply = variants.run_scenario(settings.api_url, {"scenario": variant_id, "compare_to": "none",
                                                             "include_buildings": True})
            return variants.slim_buildings((reply.get("indicators") or {}).get("buildings"))
        return variant_cache.get(variant_id, compute)

    def variant_deltas(a: str, b: str) -> dict:
        """Indicator deltas A -> B (``deltas`` of run-scenario for B compared to A), cached per pair."""
        def compute():
            reply = variants.run_scenario(settings.api_url, {"scenario": b, "compare_to": a})
            return reply.get("deltas") or {}
        return compare_cache.get((a, b), compute)

    for group in ("variant-a", "variant-b", "variant-mode"):
        if variants.VARIANT_IDS:
            register_choice_group(app, group)

    has_variants = bool(variants.VARIANT_IDS)
    variant_inputs = ([Input("variant-a", "data"), Input("variant-b", "data"), Input("variant-mode", "data")]
                      if has_variants else [])

    @app.callback(Output("deck", "layerData"), Output("deck-b", "layerData"), Output("envelope-note", "children"),
                  Output("variant-status", "children") if has_variants else Output("deck-label-b", "title"),
                  Input("active-tab", "data"), Input("selection", "data"), Input("contributions-version", "data"),
                  Input("lang", "data"), *variant_inputs, State("catalog", "data"))
    def fill_layers(tab, selection, _version, lang, *rest):
        catalog = rest[-1]
        a, b, mode = (rest[:3] if has_variants else (None, None, "a"))
        if tab != "3d":
            return no_update, no_update, no_update, no_update
        plan_id = _plan_id_of(selection, catalog)
        try:
            envelope = plan_envelope(plan_id)
        except ApiError as err:
            LOG.warning("3D envelope not available: %s", err)
            envelope = {"type": "FeatureCollection", "features": []}
        pins = []
        if (catalog or {}).get("has_contributions"):
            try:
                pins = pins_data(client.items("contributions", limit=5000))
            except ApiError:
                pins = []
        plan = plan_of(catalog, plan_id)
        plans = plan_label(plan) if plan else t("3d.all_plans", lang)
        note = t("3d.envelope_note", lang, n=len(envelope["features"]), plans=plans)
        left_data = {"envelope": envelope, "pins": pins, "pins-stick": pins}
        right_data = no_update
        status = ""
        left = b if mode == "b" else a
        try:
            if left:
                left_data["buildings"] = variant_buildings(left)
            if mode == "side" and b:
                right_data = {"envelope": envelope, "pins": pins, "pins-stick": pins, "buildings": variant_buildings(b)}
        except ApiError as err:
            LOG.warning("scenario variant not available: %s", err)
            left_data.pop("buildings", None)
            status = t("variants.unavailable", lang)
        return left_data, right_data, note, status

    if has_variants:
        @app.callback(Output("deck-region-b", "hidden"), Output("deck-label-a", "hidden"),
                      Output("deck-label-a", "children"), Output("deck-label-b", "children"),
                      Output("deck-region-b", "aria-label"),
                      Input("variant-a", "data"), Input("variant-b", "data"), Input("variant-mode", "data"),
                      Input("lang", "data"))
        def show_variants(a, b, mode, lang):
            left = b if mode == "b" else a
            return (mode != "side", False, f"{'B' if mode == 'b' else 'A'}: {variants.variant_title(left, lang)}",
                    f"B: {variants.variant_title(b, lang)}", t("variants.region_b", lang))

        app.clientside_callback(
            "function (mode) { return window.dash_clientside.buergergis.resizeOnShow(mode); }",
            Output("focus-sink", "data", allow_duplicate=True), Input("variant-mode", "data"),
            prevent_initial_call=True,
        )

        @app.callback(Output("variant-compare-body", "children"),
                      Input("active-tab", "data"), Input("variant-a", "data"), Input("variant-b", "data"),
                      Input("lang", "data"))
        def compare(tab, a, b, lang):
            if tab != "3d" or not a or not b:
                return no_update
            try:
                deltas = variant_deltas(a, b)
            except ApiError as err:
                LOG.warning("scenario deltas not available: %s", err)
                return html.P(t("variants.unavailable", lang), className="msg error")
            table = variants.compare_table(deltas, variants.variant_title(a, lang), variants.variant_title(b, lang),
                                           lang)
            return [html.P(t("variants.same", lang), className="hint"), table] if a == b else table

    @app.callback(Output("deck", "initialViewState"), Output("deck-b", "initialViewState"),
                  Input({"type": "camera", "key": "overview"}, "n_clicks"),
                  Input({"type": "camera", "key": "oblique"}, "n_clicks"),
                  Input({"type": "camera", "key": "top"}, "n_clicks"),
                  Input({"type": "camera", "key": "street"}, "n_clicks"),
                  Input("active-tab", "data"),
                  Input("catalog", "data"),  # a direct ?view=3d link: frame the plans once they are known
                  State("selection", "data"))
    def move_camera(*args):
        catalog, selection = args[-2], args[-1]
        trigger = callback_context.triggered_id
        if trigger in ("active-tab", "catalog", None) and args[4] != "3d":
            return no_update, no_update
        key = trigger["key"] if isinstance(trigger, dict) else "overview"
        plan_id = _plan_id_of(selection, catalog)
        # Frame the whole plan of the selection: the envelope makes sense beside its neighbours.
        bbox = (plan_of(catalog, plan_id) or {}).get("bbox") or (catalog or {}).get("bbox")
        view = camera(key, bbox)
        return view, view

    @app.callback(Output("deck-info", "children"), Input("deck", "clickInfo"), Input("deck-b", "clickInfo"),
                  Input("lang", "data"), prevent_initial_call=True)
    def describe_pick(info_a, info_b, lang):
        """Details of the clicked object, rendered by Dash (escaped), never by a deck.gl template."""
        info = info_b if callback_context.triggered_id == "deck-b" else info_a
        obj = (info or {}).get("object") or {}
        layer = (info or {}).get("layer") or (info or {}).get("layerId")
        if isinstance(layer, dict):
            layer = layer.get("id")
        props = obj.get("properties") or {}
        if layer == "envelope" or "envelope_height" in props:
            return (f"{t('3d.envelope', lang)}: {number(props.get('envelope_height', 0), lang)} m "
                    f"({props.get('storeys')} × 3 m), {props.get('art_code') or ''}")
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
