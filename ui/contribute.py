"""Writing a contribution: the form, the GeoJSON it becomes, the POST, and what the visitor is told.

The submission goes to the OGC API (``POST /collections/contributions/items``,
``Content-Type: application/geo+json``) exactly as OWSLib or QGIS would send
it, with the visitor's own credentials forwarded — never into the store.
:func:`build_feature` and :func:`message_for` are pure so every answer the API
may give (201, 400, 401, 403, 404, 413, 5xx, no connection) is tested without
a server.
"""

from __future__ import annotations

import logging

from dash import Input, Output, State, callback_context, dcc, html, no_update

from ui.api import ApiClient, ApiError
from ui.catalog import find, plan_of
from ui.festsetzungen import participation_phase
from ui.controls import choice_group, register_choice_group
from ui.i18n import T, t

LOG = logging.getLogger(__name__)

COLLECTION = "contributions"
MAX_TEXT = 2000
MIN_TEXT = 3
MAX_PSEUDONYM = 60

#: Kinds and categories the form offers; values are what the API stores.
KINDS = ("comment", "proposal", "defect")
CATEGORIES = ("general", "traffic", "green", "housing", "social", "cleanliness", "lighting")


class FormError(ValueError):
    """The form is incomplete; ``key`` names the message in ui.i18n."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def centre_of_bbox(bbox) -> list[float] | None:
    """[lon, lat] of a [[s, w], [n, e]] box."""
    if not bbox:
        return None
    (south, west), (north, east) = bbox
    return [round((west + east) / 2, 7), round((south + north) / 2, 7)]


def drawn_geometry(geojson: dict | None) -> dict | None:
    """The most recently drawn feature's geometry from the EditControl, if any."""
    features = (geojson or {}).get("features") or []
    for feature in reversed(features):
        geometry = feature.get("geometry")
        if geometry and geometry.get("type") in ("Point", "LineString", "Polygon"):
            return geometry
    return None


def build_feature(*, text: str | None, kind: str | None, category: str | None, pseudonym: str | None,
                  geometry: dict | None, target: dict | None = None) -> dict:
    """The GeoJSON Feature to POST; raises :class:`FormError` for what the visitor must fix.

    ``target`` is the linked plan object: ``{"collection", "id", "plan_id"}``; without a
    drawn geometry its centre (``bbox``) is used as the location.
    """
    text = (text or "").strip()
    if len(text) < MIN_TEXT:
        raise FormError("form.err.text")
    if len(text) > MAX_TEXT:
        raise FormError("form.err.text_long")
    if geometry is None and target and target.get("bbox"):
        geometry = {"type": "Point", "coordinates": centre_of_bbox(target["bbox"])}
    if geometry is None:
        raise FormError("form.err.geometry")
    properties = {
        "kind": kind if kind in KINDS else "comment",
        "category": category if category in CATEGORIES else "general",
        "text": text,
    }
    pseudonym = (pseudonym or "").strip()[:MAX_PSEUDONYM]
    if pseudonym:
        properties["pseudonym"] = pseudonym
    if target and target.get("id"):
        properties["plan_id"] = target.get("plan_id")
        properties["target_collection"] = target.get("collection")
        properties["target_id"] = target.get("id")
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def message_for(status: int | None, body: dict | None, lang: str) -> tuple[str, str]:
    """(css class, sentence) for the API's answer to a POST; status None = not reachable."""
    if status is None:
        return "error", t("form.err.network", lang)
    if status in (200, 201, 202):
        return "ok", t("form.sent", lang)
    if status in (401, 403, 404, 413):
        return "error", t(f"form.err.{status}", lang)
    if 400 <= status < 500:
        detail = ""
        if isinstance(body, dict):
            detail = str(body.get("description") or body.get("detail") or body.get("code") or "")
        return "error", t("form.err.4xx", lang, status=status, detail=detail[:300] or "–")
    return "error", t("form.err.5xx", lang, status=status)


def submit(client: ApiClient, feature: dict, lang: str) -> tuple[str, str, bool]:
    """POST the feature; (css class, message, accepted)."""
    try:
        reply = client.post_feature(COLLECTION, feature)
    except ApiError as err:
        LOG.warning("contribution POST failed: %s", err)
        kind, message = message_for(None, None, lang)
        return kind, message, False
    kind, message = message_for(reply.status, reply.body, lang)
    return kind, message, reply.status in (200, 201, 202)


# ----------------------------------------------------------------------------
# Layout and callbacks
# ----------------------------------------------------------------------------


def layout(lang: str = "de") -> html.Div:
    return html.Div(className="card", id="form-card", children=[
        T("form.title", html.H2, id="form-heading"),
        html.P(T("form.intro"), className="hint"),
        html.Form(id="contribution-form", **{"aria-labelledby": "form-heading"}, children=[
            choice_group("form-kind", [(k, T(f"form.kind.{k}")) for k in KINDS], "comment",
                         label_key="form.kind"),
            choice_group("form-category", [(c, T(f"form.category.{c}")) for c in CATEGORIES], "general",
                         label_key="form.category", className="choice-group chips"),
            html.Div(className="field", children=[
                html.Label(T("form.text"), htmlFor="form-text"),
                dcc.Textarea(id="form-text", maxLength=MAX_TEXT, value="", rows=5),
                html.Span(T("form.text_hint"), id="form-text-hint", className="hint"),
            ]),
            html.Div(className="field", children=[
                html.Label(T("form.pseudonym"), htmlFor="form-pseudonym"),
                dcc.Input(id="form-pseudonym", type="text", maxLength=MAX_PSEUDONYM, value="", autoComplete="nickname"),
            ]),
            html.Div(className="field", children=[
                html.Span(T("form.geometry"), className="label"),
                html.P(id="form-geometry-status", className="hint", **{"aria-live": "polite"}),
                # Without a mouse: move the map with the arrow keys, then take its centre.
                html.Button(T("form.use_centre"), id="form-centre-btn", type="button", n_clicks=0,
                            className="btn secondary small"),
                dcc.Store(id="form-centre"),
            ]),
            choice_group("form-link", [("link", T("form.link"))], ["link"], multi=True,
                         className="choice-group switches"),
            html.P(id="form-link-status", className="hint"),
            html.Div(className="btn-row", children=[
                html.Button(T("form.submit"), id="form-submit", className="btn", type="button", n_clicks=0),
            ]),
        ]),
        html.Div(id="form-feedback", role="status", **{"aria-live": "polite"}, className="msg"),
    ])


def register(app, client: ApiClient, settings) -> None:
    register_choice_group(app, "form-kind")
    register_choice_group(app, "form-category")
    register_choice_group(app, "form-link", multi=True)

    @app.callback(Output("form-centre", "data"), Input("form-centre-btn", "n_clicks"), State("map", "center"),
                  prevent_initial_call=True)
    def use_centre(n, center):
        if not n or not center:
            return no_update
        lat, lon = (center["lat"], center["lng"]) if isinstance(center, dict) else center
        return {"type": "Point", "coordinates": [round(float(lon), 7), round(float(lat), 7)]}

    @app.callback(Output("form-geometry-status", "children"), Output("form-link-status", "children"),
                  Input("edit", "geojson"), Input("form-centre", "data"), Input("selection", "data"),
                  Input("lang", "data"), State("catalog", "data"))
    def describe(geojson, centre, selection, lang, catalog):
        features = (geojson or {}).get("features") or []
        geometry = drawn_geometry(geojson)
        if geometry:
            geometry_text = t("form.geometry_drawn", lang, n=len(features), kind=geometry["type"])
        elif centre:
            lon, lat = centre["coordinates"]
            geometry_text = t("form.geometry_centre", lang, lat=f"{lat:.5f}", lon=f"{lon:.5f}")
        elif (selection or {}).get("id"):
            geometry_text = t("form.geometry_selected", lang)
        else:
            geometry_text = t("form.geometry_none", lang)
        target = _target(selection, catalog)
        if target:
            from ui.festsetzungen import art_label
            from ui.catalog import plan_label

            row = find(catalog, target["collection"], target["id"]) or (selection or {}).get("properties") or {}
            name = plan_label(row) if target["collection"] == "bp_plan" else art_label(row, lang)
            link_text = f"{t('form.linked_to', lang)}: {name}"
        else:
            link_text = t("form.no_link", lang)
        return geometry_text, link_text

    @app.callback(Output("form-feedback", "children"), Output("form-feedback", "className"),
                  Output("form-text", "value"), Output("edit", "editToolbar"),
                  Output("contributions-version", "data"), Output("form-centre", "data", allow_duplicate=True),
                  Input("form-submit", "n_clicks"),
                  State("form-text", "value"), State("form-kind", "data"), State("form-category", "data"),
                  State("form-pseudonym", "value"), State("form-link", "data"), State("edit", "geojson"),
                  State("form-centre", "data"),
                  State("selection", "data"), State("catalog", "data"), State("lang", "data"),
                  State("contributions-version", "data"),
                  prevent_initial_call=True)
    def send(n, text, kind, category, pseudonym, link, geojson, centre, selection, catalog, lang, version):
        keep = (no_update,) * 4
        if not n or callback_context.triggered_id != "form-submit":
            return (no_update,) * 6
        target = _target(selection, catalog) if "link" in (link or []) else None
        plan = plan_of(catalog, (target or {}).get("plan_id"))
        if plan and participation_phase(plan) in ("closed", "upcoming"):
            return (t("form.phase_closed", lang), "msg error", *keep)
        try:
            feature = build_feature(text=text, kind=kind, category=category, pseudonym=pseudonym,
                                    geometry=drawn_geometry(geojson) or centre, target=target)
        except FormError as err:
            return (t(err.key, lang), "msg error", *keep)
        kind_class, message, accepted = submit(client, feature, lang)
        if not accepted:
            return (message, f"msg {kind_class}", *keep)
        clear = {"mode": "remove", "action": "clear all", "n_clicks": n}
        return message, "msg ok", "", clear, (version or 0) + 1, None


def _target(selection: dict | None, catalog: dict | None) -> dict | None:
    """The selected plan object as a link target (with its bbox for a fallback location)."""
    selection = selection or {}
    collection, feature_id = selection.get("collection"), selection.get("id")
    if not collection or not feature_id:
        return None
    row = find(catalog, collection, feature_id) or {}
    plan_id = row.get("plan_id") or selection.get("plan_id") or (feature_id if collection == "bp_plan" else None)
    return {"collection": collection, "id": feature_id, "plan_id": plan_id,
            "bbox": row.get("bbox") or selection.get("bbox")}
