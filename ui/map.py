"""The 2D map (dash-leaflet): plan and city layers from the OGC API, layer switcher, legend, drawing.

The browser loads every vector layer itself from ``/oapi/collections/<id>/items``
(GeoJSON ``url=``), exactly as any OGC API client would: a layer of a few thousand
features whole, a city-sized one (more than ``Settings.map_whole_layer_max``) only
for the area in view (``bbox=``), from zoom :data:`VIEWPORT_MIN_ZOOM` on. There is no tile
download: the background is a styled CSS surface plus the streets and parcels
collections; an OpenStreetMap basemap can be switched on where the portal is
online. The EditControl is created once, statically, inside the map (Dash >= 3.0.2
loses its geojson when it is created dynamically).
"""

from __future__ import annotations

import math

import dash_leaflet as dl
from dash import Input, Output, State, callback_context, dcc, html, no_update

from ui.api import ApiError, items_url, portal_path
from ui.catalog import shared_catalog
from ui.festsetzungen import BAUFLAECHEN, BAUGEBIETE, _norm
from ui.controls import choice_group, register_choice_group
from ui.i18n import T, t

#: Colours by Baugebiet sign, after the Planzeichenverordnung families (red = housing,
#: brown = mixed, grey = commercial, orange = special), lightened for readability.
NUTZUNG_COLORS = {
    "WS": "#f9c6b8", "WR": "#f6aaaa", "WA": "#ee8f8f", "WB": "#e07070",
    "MD": "#e3c48f", "MDW": "#ead2a6", "MI": "#d8a46a", "MU": "#c98c52", "MK": "#b87a4b",
    "GE": "#b8bcc4", "GI": "#8f959e", "SO": "#f4b350",
}
GROUP_COLORS = {"wohnen": "#ee8f8f", "misch": "#d8a46a", "gewerbe": "#b8bcc4", "sonder": "#f4b350"}
FALLBACK_COLOR = "#d5dbe3"
#: Legend order: the Baugebiete a visitor will meet most.
LEGEND_SIGNS = ("WR", "WA", "WB", "MI", "MU", "MK", "GE", "GI", "SO")


def zone_color_table() -> dict[str, str]:
    """Normalised sign / code / decoded name -> colour, for the JavaScript style function."""
    table: dict[str, str] = {}
    for gebiet in BAUGEBIETE:
        color = NUTZUNG_COLORS.get(gebiet.sign) or GROUP_COLORS[gebiet.group]
        for code in gebiet.codes:
            table[_norm(code)] = color
        if gebiet.sign:
            table.setdefault(_norm(gebiet.sign), color)
    for group, (sign, _, _, codes) in BAUFLAECHEN.items():
        for code in codes:
            table.setdefault(_norm(code), GROUP_COLORS[group])
    return table


def zone_hideout(selected: str | None = None) -> dict:
    return {"colors": zone_color_table(), "fallback": FALLBACK_COLOR, "selected": selected}


#: Map layers: id -> (style function, tooltip function, on by default, interactive).
#: Drawn bottom to top in this order.
LAYERS = {
    "parcels": ("parcelStyle", None, False, False),
    "streets": ("streetStyle", None, True, False),
    # The plan area below everything (clicks on open ground select the plan) ...
    "bp_plan": ("planStyle", "planTooltip", True, True),
    "bp_gruenflaeche": ("greenStyle", None, True, False),
    "bp_verkehrsflaeche": ("trafficStyle", None, False, False),
    "bp_baugebiet": ("zoneStyle", "zoneTooltip", True, True),
    # Every other object of every plan (overlays such as Baufenster and trees, FNP areas, labels), PlanZV-styled.
    "xplan_objekt": ("xplanStyle", "xplanTooltip", True, True),
    "buildings": ("buildingStyle", None, True, False),  # not interactive: clicks reach the zone below
    "bp_baugrenze": ("baugrenzeStyle", None, True, True),
    # ... and its outline once more on top, so zones do not hide the boundary.
    "bp_plan_outline": ("planOutlineStyle", None, True, False),
}
#: Map layers that are views of another collection.
COLLECTION_OF = {"bp_plan_outline": "bp_plan"}
#: Which map layers a switcher entry controls.
TOGGLE_LAYERS = {"bp_plan": ("bp_plan", "bp_plan_outline")}
TOGGLES = ("bp_plan", "bp_baugebiet", "xplan_objekt", "bp_baugrenze", "bp_planraster", "bp_gruenflaeche", "bp_verkehrsflaeche",
           "buildings", "streets", "parcels", "contributions", "osm")
DEFAULT_ON = [key for key in TOGGLES if LAYERS.get(key, (None, None, False))[2]] + ["contributions"]


#: From this zoom on (≈ 1.5 km across on a laptop screen) a city-sized layer loads the area in view.
VIEWPORT_MIN_ZOOM = 15
#: The area in view is widened to this grid (degrees): small pans reuse what is loaded (and the HTTP cache).
VIEWPORT_GRID = 0.005


def viewport_bbox(bounds) -> str | None:
    """``west,south,east,north`` of Leaflet bounds ``[[south, west], [north, east]]``, widened to the grid."""
    try:
        (south, west), (north, east) = bounds
        south, west, north, east = (float(v) for v in (south, west, north, east))
    except (TypeError, ValueError):
        return None
    if not all(map(math.isfinite, (south, west, north, east))) or south > north or west > east:
        return None
    snap_down = lambda v: math.floor(v / VIEWPORT_GRID) * VIEWPORT_GRID  # noqa: E731
    snap_up = lambda v: math.ceil(v / VIEWPORT_GRID) * VIEWPORT_GRID  # noqa: E731
    west, south = max(snap_down(west), -180.0), max(snap_down(south), -90.0)
    east, north = min(snap_up(east), 180.0), min(snap_up(north), 90.0)
    return ",".join(f"{v:.3f}" for v in (west, south, east, north))


def loads_by_view(count: int | None, whole_max: int) -> bool:
    """Is a layer of ``count`` features city-sized, loaded for the area in view only?"""
    return count is not None and count > whole_max


#: Query parameters of a map layer's requests: only what the map draws and tells travels.
LAYER_PARAMS = {"xplan_objekt": {"properties": "plan_id,xplan_class,label,attributes"}}


def layer_url(api_url: str, layer_id: str, count: int | None, whole_max: int, bounds, zoom) -> str | None:
    """Where the browser loads a map layer from; None while a city-sized layer waits for the visitor to zoom in."""
    collection = COLLECTION_OF.get(layer_id, layer_id)
    params = LAYER_PARAMS.get(layer_id, {})
    if not loads_by_view(count, whole_max):
        return items_url(api_url, collection, **params)
    bbox = viewport_bbox(bounds) if zoom is not None and zoom >= VIEWPORT_MIN_ZOOM else None
    return items_url(api_url, collection, bbox=bbox, **params) if bbox else None


#: Classes the map draws in their own layers (zones, lines, plan outline): not drawn twice.
OWN_LAYER_CLASSES = ("BP_BaugebietsTeilFlaeche", "BP_BauGrenze", "BP_BauLinie", "BP_Plan", "BP_Bereich",
                     "BP_GruenFlaeche", "BP_StrassenVerkehrsFlaeche", "BP_VerkehrsflaecheBesondererZweckbestimmung",
                     "SO_Strassenverkehr")


def xplan_styles(classes, lang: str) -> dict:
    """The PlanZV styles (Leaflet options) and titles of ``classes``, for the ``xplanStyle`` function.

    Only the classes the stored plans have (their import reports list them), so the page carries
    a few kilobytes, not the table of every class of every version.
    """
    from ui.xplan_classes import _data, class_info, leaflet_style, style

    table = {}
    for cls in classes:
        info = class_info(cls)
        kinds = ["area", "line", "point"] if info.geometry == "any" else [info.geometry]
        kinds = [k for k in kinds if k in ("area", "line", "point")]
        if not kinds:
            continue

        def styled(attributes, kind, cls=cls):
            one = style(cls, attributes, kind)
            out = leaflet_style(one)
            if kind == "point":
                out["symbol"] = one.get("symbol")
            if kind == "area" and one.get("hatch"):  # drawn as an SVG pattern (assets/buergergis.js)
                out["hatch"], out["hatchColor"] = one["hatch"], one.get("hatch_color") or one.get("stroke")
            return out

        entry = {"title": info.title(lang), **{k: styled(None, k) for k in kinds}}
        rules = (_data()["classes"].get(cls) or {}).get("style_by") or []
        by = [{"attribute": rule["attribute"],
               "values": {code: {k: styled({rule["attribute"]: {"code": code}}, k) for k in kinds}
                          for code in rule["values"]}} for rule in rules]
        if by:
            entry["by"] = by
        table[cls] = entry
    return {"styles": table, "skip": list(OWN_LAYER_CLASSES)}


def layer_counts(client) -> dict[str, int | None]:
    """numberMatched of the map's collections (public reads: the API client caches them for every visitor)."""
    counts = {}
    for collection in {COLLECTION_OF.get(key, key) for key in LAYERS}:
        try:
            counts[collection] = client.count(collection, forward=False)
        except ApiError:
            counts[collection] = None  # unreadable: loaded whole, as before counts were known
    return counts


def toggle_of(layer_id: str) -> str:
    """The switcher entry that controls a map layer."""
    return next((toggle for toggle, layers in TOGGLE_LAYERS.items() if layer_id in layers), layer_id)

OSM_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = "© OpenStreetMap contributors"


def _fn(name: str | None) -> dict | None:
    return {"variable": f"buergergis.{name}"} if name else None


def vector_layer(layer_id: str, url: str, selected: str | None = None, hideout: dict | None = None):
    """A GeoJSON layer the browser loads from the OGC API at ``url`` (:func:`layer_url`)."""
    style, tooltip, _, interactive = LAYERS[layer_id]
    if layer_id == "xplan_objekt":
        return dl.GeoJSON(id=f"layer-{layer_id}", url=url, style=_fn(style), onEachFeature=_fn(tooltip),
                          pointToLayer=_fn("xplanPoint"), filter=_fn("xplanFilter"), interactive=interactive,
                          bubblingMouseEvents=False, hideout=hideout)
    return dl.GeoJSON(
        id=f"layer-{layer_id}",
        url=url,
        style=_fn(style),
        onEachFeature=_fn(tooltip),
        interactive=interactive,
        bubblingMouseEvents=False,
        hideout=zone_hideout(selected) if layer_id in ("bp_baugebiet", "bp_plan") else None,
    )


def contribution_layers(api_url: str) -> list:
    """Approved contributions: points clustered, lines/areas drawn as they are."""
    url = items_url(api_url, "contributions", limit=5000)
    return [
        dl.GeoJSON(id="layer-contributions-shapes", url=url, filter=_fn("isNotPoint"),
                   style=_fn("contributionStyle"), onEachFeature=_fn("contributionTooltip")),
        dl.GeoJSON(id="layer-contributions", url=url, filter=_fn("isPoint"), cluster=True,
                   zoomToBoundsOnClick=True, pointToLayer=_fn("contributionPoint"),
                   onEachFeature=_fn("contributionTooltip"), superClusterOptions={"radius": 60}),
    ]


def raster_overlays(rasters: list[dict], public_path: str, opacity: float) -> list:
    """One ImageOverlay per plan drawing (PNG in Web Mercator served below /rasters/)."""
    import json

    overlays = []
    for raster in rasters:
        props = raster.get("properties") or {}
        bounds = props.get("bounds_wgs84")
        if isinstance(bounds, str):
            try:
                bounds = json.loads(bounds)
            except ValueError:
                continue
        if not bounds or not props.get("image_url"):
            continue
        image = str(props["image_url"]).lstrip("/")
        if image.startswith("rasters/"):
            image = image[len("rasters/"):]
        overlays.append(dl.ImageOverlay(url=f"{public_path}/rasters/{image}", bounds=bounds, opacity=opacity,
                                        alt=str(props.get("name") or "Planzeichnung")))
    return overlays


def legend(lang: str = "de") -> html.Ul:
    """Legend entries: Baugebiete by colour, then lines and other layers."""
    from ui.festsetzungen import _BY_SIGN

    items = []
    for sign in LEGEND_SIGNS:
        gebiet = _BY_SIGN.get(sign)
        name = (gebiet.name_en if lang == "en" else gebiet.name_de) if gebiet else (
            "Sondergebiet" if lang != "en" else "Special area")
        items.append(html.Li([html.Span(className="swatch", style={"background": NUTZUNG_COLORS[sign]}),
                              html.Span(f"{sign} – {name}")]))
    extra = [
        ("swatch outline", None, "legend.plan"),
        ("swatch line", None, "legend.baugrenze"),
        ("swatch line solid", None, "legend.baulinie"),
        ("swatch", {"background": "#86c98a"}, "legend.gruen"),
        ("swatch", {"background": "#fde68a"}, "legend.verkehr"),
        ("swatch", {"background": "#9ca3af"}, "legend.building"),
        ("swatch synthetic", None, "legend.building_synthetic"),
        ("swatch pin", None, "legend.contribution"),
    ]
    for cls, style, key in extra:
        items.append(html.Li([html.Span(className=cls, style=style or {}), html.Span(t(key, lang))]))
    return html.Ul(items, className="legend-list")


def _swatch(one: dict) -> html.Span:
    """A legend swatch drawn like the map draws the style (fill, outline, dashes, symbol)."""
    kind = one.get("kind")
    if kind == "point":

        return html.Span("●" if one.get("symbol") not in ("baum", "strauch") else "🌳",
                         className="swatch symbol", style={"color": one.get("color")}, **{"aria-hidden": "true"})
    border = f"{max(1, int(one.get('weight') or 1))}px {'dashed' if one.get('dash') else 'solid'} {one.get('stroke')}"
    css = {"border": border} if kind == "area" else {"borderTop": border, "height": 0, "marginTop": ".5em"}
    if kind == "area":
        css["background"] = one.get("fill")
    return html.Span(className="swatch", style=css, **{"aria-hidden": "true"})


def plan_legend(classes, lang: str) -> html.Details | None:
    """Legend of the further plan contents the stored plans have (after the PlanZV), grouped, collapsed."""
    from ui.xplan_classes import legend_entries

    entries = [e for e in legend_entries([c for c in classes if c not in OWN_LAYER_CLASSES
                                          and not c.endswith(("_Plan", "_Bereich"))], lang)]
    if not entries:
        return None
    items, group_title = [], None
    for entry in entries:
        if entry["group_title"] != group_title:
            group_title = entry["group_title"]
            items.append(html.Li(html.Strong(group_title), className="legend-group"))
        one = entry["style"]
        if one.get("kind") == "any":
            one = one.get("area") or one.get("line") or one.get("point")
        items.append(html.Li([_swatch(one), html.Span(entry["title"])]))
    return html.Details([html.Summary(t("layer.xplan_objekt", lang)), html.Ul(items, className="legend-list")],
                        className="plan-legend")


def plan_buttons(catalog: dict | None, query: str | None, lang: str, limit: int = 8) -> list:
    """Plans whose name or number matches ``query`` (all plans for an empty query), as select buttons."""
    from ui.catalog import plan_label
    from ui.plan_panel import select_button

    words = (query or "").lower().split()
    found = []
    for plan in (catalog or {}).get("plans", []):
        label = plan_label(plan)
        haystack = f"{label} {plan.get('nummer') or ''} {plan.get('gemeinde') or ''}".lower()
        if all(word in haystack for word in words):
            found.append(select_button(label, "bp_plan", plan["id"], plan["id"], where="search"))
    from ui.plan_contents import PLAN_TYPE_NAMES

    for plan in (catalog or {}).get("other_plans", []):
        kind = PLAN_TYPE_NAMES.get(plan.get("plan_type"), ("Plan", "Plan"))[1 if lang == "en" else 0]
        label = f"{plan_label(plan)} ({kind})"
        haystack = f"{label} {plan.get('gemeinde') or ''}".lower()
        if all(word in haystack for word in words):
            found.append(select_button(label, "xplan_plan", plan["id"], plan["id"], where="search"))
    return found[:limit]


def sidebar(lang: str = "de") -> html.Div:
    """Plan search, layer switcher and legend beside the map."""
    return html.Div(className="sidebar", children=[
        html.Section(role="search", children=[
            html.Div(className="field", children=[
                html.Label(T("map.search_label"), htmlFor="plan-search"),
                dcc.Input(id="plan-search", type="search", value="", debounce=0.25, autoComplete="off",
                          placeholder=t("map.search_placeholder", lang)),
            ]),
            # Matching plans as buttons: a searchable list that works with keyboard and screen reader.
            html.Ul(id="plan-results", className="result-list", **{"aria-live": "polite"}),
            html.P(T("map.help"), className="hint"),
        ]),
        # Which city-sized layers wait for the visitor to zoom in (empty otherwise).
        html.P(id="map-zoom-hint", className="hint", role="status"),
        html.Section([
            choice_group("layer-toggle", [(key, T(f"layer.{key}")) for key in TOGGLES], DEFAULT_ON, multi=True,
                         label_key="map.layers", label_tag=html.H2, className="choice-group switches"),
            html.Div(className="field", children=[
                html.Label(T("layer.raster_opacity"), htmlFor="raster-opacity"),
                dcc.Input(id="raster-opacity", type="range", min=0, max=1, step=0.1, value=0.7),
            ]),
        ]),
        html.Section([
            T("map.legend", html.H2),
            html.Div(legend(lang), id="legend"),
        ]),
    ])


def _pane_z(layer_id: str) -> int:
    """Stacking order of a layer's pane (gaps of two leave room for the raster)."""
    return 310 + 2 * list(LAYERS).index(layer_id)


def map_component(api_url: str) -> dl.MapContainer:
    """The Leaflet map, centred on Hamburg-Langenhorn until the plans' extent is known."""
    return dl.MapContainer(
        id="map", center=[53.664, 10.010], zoom=15, maxZoom=20, keyboard=True, className="offline-bg",
        style={"height": "100%", "width": "100%"},
        children=[
            dl.LayerGroup(id="grp-osm"),
            # One pane per layer, stacked by zIndex: layers load asynchronously, and without panes
            # whichever answer arrives last would be drawn on top.
            # Between the tiles (200) and Leaflet's overlay pane (400), where drawings go on top.
            # The plan drawing, once switched on, lies over the zone colours, under lines and outlines.
            dl.Pane(dl.LayerGroup(id="grp-bp_planraster"), name="raster", style={"zIndex": _pane_z("bp_baugebiet") + 1}),
            # Empty until the map is first shown (toggle_layers): a page opened on another view,
            # e.g. a 3D link, does not load and draw a city's layers in a hidden map.
            *[dl.Pane(dl.LayerGroup(id=f"grp-{key}"), name=f"pane-{key}", style={"zIndex": _pane_z(key)})
              for key in LAYERS],
            dl.Pane(dl.LayerGroup(id="grp-contributions"), name="pane-contributions", style={"zIndex": 390}),
            dl.FeatureGroup([
                dl.EditControl(
                    id="edit", position="topleft",
                    draw={"marker": True, "polyline": True, "polygon": True,
                          "rectangle": False, "circle": False, "circlemarker": False},
                    edit={"edit": True, "remove": True},
                ),
            ]),
            dl.ScaleControl(position="bottomleft", imperial=False),
        ],
    )


def layout(api_url: str, lang: str = "de") -> html.Section:
    return html.Section(
        id="view-map", className="view map-view", role="tabpanel", **{"aria-labelledby": "tab-map"},
        children=[
            sidebar(lang),
            dcc.Store(id="map-layers-loaded", data=False),
            html.Div(className="map-wrap", role="region", **{"aria-label": t("map.region", lang)},
                     id="map-region", children=[map_component(api_url)]),
        ],
    )


def register(app, client, settings) -> None:
    """Callbacks that drive the map: layers, raster overlay, selection from clicks, viewport."""
    api_url = settings.api_url
    public_path = portal_path(api_url)  # "" for a portal at the host root

    outputs = [Output(f"grp-{key}", "children") for key in LAYERS]
    whole_max = settings.map_whole_layer_max

    @app.callback(*outputs, Output("map-layers-loaded", "data"), Output("map-zoom-hint", "children"),
                  Input("layer-toggle", "data"), Input("active-tab", "data"), Input("map", "bounds"),
                  Input("lang", "data"),
                  State("map", "zoom"), State("selection", "data"), State("map-layers-loaded", "data"))
    def toggle_layers(active, tab, bounds, lang, zoom, selection, loaded):
        """The chosen layers: when the map is first shown, when the choice changes, and, for city-sized
        layers, when the area in view does."""
        trigger = callback_context.triggered_id
        if tab != "map" and not loaded or trigger == "active-tab" and loaded:
            return (no_update,) * (len(outputs) + 2)
        active = set(active or [])
        selected_zone = (selection or {}).get("id") if (selection or {}).get("collection") == "bp_baugebiet" else None
        known = layer_counts(client)
        layers, waiting = [], []
        for key in LAYERS:
            count = known.get(COLLECTION_OF.get(key, key))
            if trigger in ("map", "lang") and loaded and not loads_by_view(count, whole_max):
                layers.append(no_update)  # a whole layer does not change with the view
                continue
            if toggle_of(key) not in active:
                layers.append([])
                continue
            url = layer_url(api_url, key, count, whole_max, bounds, zoom)
            if url is None:
                waiting.append(t(f"layer.{toggle_of(key)}", lang))
                layers.append([])
            elif key == "xplan_objekt":
                classes = shared_catalog(client).current().get("xplan_classes", [])
                layers.append(vector_layer(key, url, hideout=xplan_styles(classes, lang)))
            else:
                layers.append(vector_layer(key, url, selected_zone))
        hint = t("map.zoom_in_for", lang, zoom=VIEWPORT_MIN_ZOOM,
                 layers=", ".join(dict.fromkeys(waiting))) if waiting else ""
        return layers + [True, hint]

    @app.callback(Output("grp-osm", "children"), Input("layer-toggle", "data"))
    def toggle_osm(active):
        if "osm" not in (active or []):
            return []
        return [dl.TileLayer(url=OSM_URL, attribution=OSM_ATTRIBUTION, maxZoom=20, maxNativeZoom=19)]

    @app.callback(Output("grp-contributions", "children"),
                  Input("layer-toggle", "data"), Input("catalog", "data"), Input("contributions-version", "data"))
    def toggle_contributions(active, catalog, _version):
        if "contributions" not in (active or []) or not (catalog or {}).get("has_contributions"):
            return []
        return contribution_layers(api_url)

    @app.callback(Output("grp-bp_planraster", "children"),
                  Input("layer-toggle", "data"), Input("raster-opacity", "value"))
    def toggle_raster(active, opacity):
        if "bp_planraster" not in (active or []):
            return []
        try:
            rasters = client.items("bp_planraster", skipGeometry="true")
        except ApiError:
            return []
        return raster_overlays(rasters, public_path, float(opacity if opacity is not None else 0.7))

    register_choice_group(app, "layer-toggle", multi=True)

    @app.callback(Output("legend", "children"), Output("plan-search", "placeholder"),
                  Output("map-region", "aria-label"), Input("lang", "data"), Input("catalog", "data"))
    def translate(lang, catalog):
        classes = shared_catalog(client).resolve(catalog).get("xplan_classes", [])
        return ([legend(lang), plan_legend(classes, lang)], t("map.search_placeholder", lang),
                t("map.region", lang))

    @app.callback(Output("plan-results", "children"), Input("plan-search", "value"), Input("catalog", "data"),
                  Input("lang", "data"))
    def plan_results(query, catalog, lang):
        return [html.Li(button) for button in plan_buttons(shared_catalog(client).resolve(catalog), query, lang)]

    # --- selection from the map ------------------------------------------------
    @app.callback(Output("selection", "data", allow_duplicate=True),
                  Input("layer-bp_baugebiet", "clickData"), prevent_initial_call=True)
    def click_zone(feature):
        return _selection_from_click("bp_baugebiet", feature)

    @app.callback(Output("selection", "data", allow_duplicate=True),
                  Input("layer-bp_baugrenze", "clickData"), prevent_initial_call=True)
    def click_line(feature):
        return _selection_from_click("bp_baugrenze", feature)

    @app.callback(Output("selection", "data", allow_duplicate=True),
                  Input("layer-bp_plan", "clickData"), prevent_initial_call=True)
    def click_plan(feature):
        return _selection_from_click("bp_plan", feature)

    @app.callback(Output("selection", "data", allow_duplicate=True),
                  Input("layer-xplan_objekt", "clickData"), prevent_initial_call=True)
    def click_object(feature):
        return _selection_from_click("xplan_objekt", feature)

    # --- selection -> map ------------------------------------------------------------
    @app.callback(Output("layer-bp_baugebiet", "hideout"), Input("selection", "data"),
                  prevent_initial_call=True)
    def highlight(selection):
        selection = selection or {}
        return zone_hideout(selection.get("id") if selection.get("collection") == "bp_baugebiet" else None)

    @app.callback(Output("map", "viewport"), Input("selection", "data"), Input("catalog", "data"),
                  prevent_initial_call=True)
    def fly_to(selection, catalog):
        from ui.catalog import find

        catalog = shared_catalog(client).resolve(catalog)
        trigger = callback_context.triggered_id
        if trigger == "catalog":
            box = (catalog or {}).get("bbox")
            return {"bounds": box, "transition": "fitBounds"} if box else no_update
        selection = selection or {}
        if selection.get("source") == "map":
            return no_update  # the visitor is looking at it already
        row = find(catalog, selection.get("collection", ""), selection.get("id", ""))
        box = (row or {}).get("bbox") or selection.get("bbox")
        if not box:
            return no_update
        return {"bounds": box, "transition": "flyToBounds", "options": {"maxZoom": 18}}

    @app.callback(Output("map", "invalidateSize"), Input("active-tab", "data"), prevent_initial_call=True)
    def resize(tab):
        return tab  # Leaflet measures its container again after the tab became visible


def _selection_from_click(collection: str, feature: dict | None):
    if not feature:
        return no_update
    props = feature.get("properties") or {}
    return {
        "collection": collection,
        "id": str(feature.get("id", props.get("id", ""))),
        "plan_id": props.get("plan_id"),
        "properties": props,
        "bbox": feature.get("bounds"),
        "source": "map",
    }

