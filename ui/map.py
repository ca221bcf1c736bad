"""The 2D map (dash-leaflet): plan and city layers from the OGC API, layer switcher, legend, drawing.

The browser loads every vector layer itself from ``/oapi/collections/<id>/items``
(GeoJSON ``url=``), exactly as any OGC API client would: a layer of a few thousand
features whole, a city-sized one (more than ``Settings.map_whole_layer_max``) only
for the area in view (``bbox=``), from zoom :data:`VIEWPORT_MIN_ZOOM` on. Every object of every plan
(``xplan_objekt``: Planzeichen, labels, trees) is no part of the start page: it loads for the plan a visitor
chooses, or for the area in view from :data:`DETAIL_MIN_ZOOM` on. The background is a
basemap the Kommune configures (``BUERGERGIS_BASEMAP``: basemap.de, OpenStreetMap, its own XYZ, WMTS
or WMS; :mod:`ui.basemap`), shown by default; without one (offline, the demo) the map draws its own
from the store: water and green, the plans' Verkehrsflächen and the streets with their names, under
grey buildings. No tile is requested from a third party unless a basemap is configured.

The search box finds addresses, streets, places, plans and Baugebiete through ``GET /api/search``
(:mod:`api.search`) as you type: a list of buttons (arrow keys move through it, assets/search.js);
a place zooms the map there and marks it, a plan or zone is selected as from the map. "Standort
verwenden" asks the browser for its position only when clicked. The EditControl is created once,
statically, inside the map (Dash >= 3.0.2 loses its geojson when it is created dynamically).
"""

from __future__ import annotations

import logging
import math

import dash_leaflet as dl
from dash import ALL, Input, Output, State, callback_context, dcc, html, no_update

from ui.api import ApiError, items_url, portal_path
from ui.basemap import BACKGROUND_LAYERS, BACKGROUND_PARAMS, Basemap, BasemapError, basemap_from
from ui.catalog import shared_catalog
from ui.controls import choice_group, register_choice_group
from ui.festsetzungen import BAUFLAECHEN, BAUGEBIETE, _norm
from ui.i18n import T, t

#: Colours by Baugebiet sign, after the Planzeichenverordnung families (red = housing,
#: brown = mixed, grey = commercial, orange = special), lightened for readability.
NUTZUNG_COLORS = {
    "WS": "#f9c6b8",
    "WR": "#f6aaaa",
    "WA": "#ee8f8f",
    "WB": "#e07070",
    "MD": "#e3c48f",
    "MDW": "#ead2a6",
    "MI": "#d8a46a",
    "MU": "#c98c52",
    "MK": "#b87a4b",
    "GE": "#b8bcc4",
    "GI": "#8f959e",
    "SO": "#f4b350",
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
    for group, (_sign, _, _, codes) in BAUFLAECHEN.items():
        for code in codes:
            table.setdefault(_norm(code), GROUP_COLORS[group])
    return table


def zone_hideout(selected: str | None = None) -> dict:
    return {"colors": zone_color_table(), "fallback": FALLBACK_COLOR, "selected": selected}


#: Map layers: id -> (style function, tooltip function, on by default, interactive).
#: Drawn bottom to top in this order.
LAYERS = {
    # The own background (ui.basemap), under everything; one switcher entry, "background".
    **{key: (style, label, True, False) for key, (_, style, label) in BACKGROUND_LAYERS.items()},
    "parcels": ("parcelStyle", None, False, False),
    "streets": ("backgroundStreet", None, True, False),  # white road lines by class (assets/background.js)
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
COLLECTION_OF = {"bp_plan_outline": "bp_plan", **{key: spec[0] for key, spec in BACKGROUND_LAYERS.items()}}
#: Which map layers a switcher entry controls.
TOGGLE_LAYERS = {"bp_plan": ("bp_plan", "bp_plan_outline"), "background": tuple(BACKGROUND_LAYERS)}
TOGGLES = (
    "bp_plan",
    "bp_baugebiet",
    "xplan_objekt",
    "bp_baugrenze",
    "bp_planraster",
    "bp_gruenflaeche",
    "bp_verkehrsflaeche",
    "buildings",
    "streets",
    "parcels",
    "contributions",
    "background",
)
DEFAULT_ON = [key for key in TOGGLES if LAYERS.get(key, (None, None, False))[2]] + ["contributions", "background"]
LOG = logging.getLogger(__name__)


def configured_basemap() -> Basemap | None:
    """The basemap of ``BUERGERGIS_BASEMAP*`` (ui.basemap); an unusable setting is logged, and the map draws its own."""
    try:
        return basemap_from()
    except BasemapError as err:
        LOG.error("basemap not shown: %s", err)
        return None


def toggles(basemap: Basemap | None) -> tuple[list[str], list[str]]:
    """(switcher entries, those on at first): a configured basemap first and on, the own background then off."""
    if basemap is None:
        return list(TOGGLES), list(DEFAULT_ON)
    return ["basemap", *TOGGLES], ["basemap", *(k for k in DEFAULT_ON if k not in ("background", "streets"))]


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
LAYER_PARAMS = {
    "xplan_objekt": {"properties": "plan_id,xplan_class,label,attributes"},
    "streets": BACKGROUND_PARAMS["streets"],
    **{key: BACKGROUND_PARAMS[collection] for key, (collection, _, _) in BACKGROUND_LAYERS.items()},
}


#: Every object of every plan (Planzeichen, labels, trees …: 2,000 objects and 2.4 MB of GeoJSON in the demo, the
#: start page's largest item) loads for the area in view from this zoom on, or for the plan a visitor chose.
DETAIL_LAYERS = ("xplan_objekt",)
DETAIL_MIN_ZOOM = 16


def selected_plan(selection: dict | None) -> str | None:
    """The plan of the selected plan, zone or object (None where nothing is selected)."""
    selection = selection or {}
    if selection.get("collection") in ("bp_plan", "xplan_plan"):
        return str(selection.get("id") or "") or None
    return str(selection.get("plan_id") or "") or None


def layer_url(
    api_url: str, layer_id: str, count: int | None, whole_max: int, bounds, zoom, plan_id: str | None = None
) -> str | None:
    """Where the browser loads a map layer from; None while a city-sized layer waits for the visitor to zoom in.

    A detail layer (:data:`DETAIL_LAYERS`) loads the area in view from :data:`DETAIL_MIN_ZOOM` on, else the
    objects of the selected plan ``plan_id``, else nothing.
    """
    collection = COLLECTION_OF.get(layer_id, layer_id)
    params = LAYER_PARAMS.get(layer_id, {})
    if layer_id in DETAIL_LAYERS:
        bbox = viewport_bbox(bounds) if zoom is not None and zoom >= DETAIL_MIN_ZOOM else None
        if bbox:
            return items_url(api_url, collection, bbox=bbox, **params)
        return items_url(api_url, collection, plan_id=plan_id, **params) if plan_id else None
    if not loads_by_view(count, whole_max):
        return items_url(api_url, collection, **params)
    bbox = viewport_bbox(bounds) if zoom is not None and zoom >= VIEWPORT_MIN_ZOOM else None
    return items_url(api_url, collection, bbox=bbox, **params) if bbox else None


#: Classes the map draws in their own layers (zones, lines, plan outline): not drawn twice.
OWN_LAYER_CLASSES = (
    "BP_BaugebietsTeilFlaeche",
    "BP_BauGrenze",
    "BP_BauLinie",
    "BP_Plan",
    "BP_Bereich",
    "BP_GruenFlaeche",
    "BP_StrassenVerkehrsFlaeche",
    "BP_VerkehrsflaecheBesondererZweckbestimmung",
    "SO_Strassenverkehr",
)


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
        by = [
            {
                "attribute": rule["attribute"],
                "values": {
                    code: {k: styled({rule["attribute"]: {"code": code}}, k) for k in kinds} for code in rule["values"]
                },
            }
            for rule in rules
        ]
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


#: Credit of layers drawn from imported OpenStreetMap data (ODbL asks for it wherever the data is shown).
OSM_DATA_ATTRIBUTION = "Daten: © OpenStreetMap-Mitwirkende (ODbL)"
#: Switcher entries whose layers may show rows of an OSM import (credited when they do).
OSM_TOGGLES = {"streets": ("streets",), "buildings": ("buildings",), "background": ("landcover", "addresses")}


def _fn(name: str | None) -> dict | None:
    return {"variable": f"buergergis.{name}"} if name else None


def vector_layer(layer_id: str, url: str, selected: str | None = None, hideout: dict | None = None):
    """A GeoJSON layer the browser loads from the OGC API at ``url`` (:func:`layer_url`)."""
    style, tooltip, _, interactive = LAYERS[layer_id]
    if layer_id == "xplan_objekt":
        return dl.GeoJSON(
            id=f"layer-{layer_id}",
            url=url,
            style=_fn(style),
            onEachFeature=_fn(tooltip),
            pointToLayer=_fn("xplanPoint"),
            filter=_fn("xplanFilter"),
            interactive=interactive,
            bubblingMouseEvents=False,
            hideout=hideout,
        )
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
        dl.GeoJSON(
            id="layer-contributions-shapes",
            url=url,
            filter=_fn("isNotPoint"),
            style=_fn("contributionStyle"),
            onEachFeature=_fn("contributionTooltip"),
        ),
        dl.GeoJSON(
            id="layer-contributions",
            url=url,
            filter=_fn("isPoint"),
            cluster=True,
            zoomToBoundsOnClick=True,
            pointToLayer=_fn("contributionPoint"),
            onEachFeature=_fn("contributionTooltip"),
            superClusterOptions={"radius": 60},
        ),
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
            image = image[len("rasters/") :]
        overlays.append(
            dl.ImageOverlay(
                url=f"{public_path}/rasters/{image}",
                bounds=bounds,
                opacity=opacity,
                alt=str(props.get("name") or "Planzeichnung"),
            )
        )
    return overlays


def legend(lang: str = "de") -> html.Ul:
    """Legend entries: Baugebiete by colour, then lines and other layers.

    One component per entry (the swatch is the entry's ``::before``, drawn from CSS variables and classes,
    assets/buergergis.css): the legend is in the start page's layout, and Dash's renderer works for every
    component it mounts.
    """
    from ui.festsetzungen import _BY_SIGN

    items = []
    for sign in LEGEND_SIGNS:
        gebiet = _BY_SIGN.get(sign)
        name = (
            (gebiet.name_en if lang == "en" else gebiet.name_de)
            if gebiet
            else ("Sondergebiet" if lang != "en" else "Special area")
        )
        items.append(html.Li(f"{sign} – {name}", className="sw", style={"--sw-bg": NUTZUNG_COLORS[sign]}))
    extra = [
        ("sw outline", None, "legend.plan"),
        ("sw line", None, "legend.baugrenze"),
        ("sw line solid", None, "legend.baulinie"),
        ("sw", {"--sw-bg": "#86c98a"}, "legend.gruen"),
        ("sw", {"--sw-bg": "#fde68a"}, "legend.verkehr"),
        ("sw", {"--sw-bg": "#c8c9cc", "--sw-border": "1px solid #9a9ea5"}, "legend.building"),
        ("sw synthetic", None, "legend.building_synthetic"),
        ("sw pin", None, "legend.contribution"),
    ]
    for cls, style, key in extra:
        items.append(html.Li(t(key, lang), className=cls, style=style))
    return html.Ul(items, className="legend-list")


def _legend_item(one: dict, title: str) -> html.Li:
    """A plan legend entry with its swatch drawn like the map draws the style (fill, outline, dashes, symbol)."""
    kind = one.get("kind")
    if kind == "point":
        symbol = html.Span(
            "●" if one.get("symbol") not in ("baum", "strauch") else "🌳",
            className="swatch symbol",
            style={"color": one.get("color")},
            **{"aria-hidden": "true"},
        )
        return html.Li([symbol, title])
    border = f"{max(1, int(one.get('weight') or 1))}px {'dashed' if one.get('dash') else 'solid'} {one.get('stroke')}"
    if kind == "area":
        return html.Li(title, className="sw", style={"--sw-bg": one.get("fill"), "--sw-border": border})
    return html.Li(title, className="sw stroke", style={"--sw-border": border})


def plan_legend(classes, lang: str) -> html.Details | None:
    """Legend of the further plan contents the stored plans have (after the PlanZV), grouped, collapsed."""
    from ui.xplan_classes import legend_entries

    entries = list(
        legend_entries(
            [c for c in classes if c not in OWN_LAYER_CLASSES and not c.endswith(("_Plan", "_Bereich"))], lang
        )
    )
    if not entries:
        return None
    items, group_title = [], None
    for entry in entries:
        if entry["group_title"] != group_title:
            group_title = entry["group_title"]
            items.append(html.Li(group_title, className="legend-group"))
        one = entry["style"]
        if one.get("kind") == "any":
            one = one.get("area") or one.get("line") or one.get("point")
        items.append(_legend_item(one, entry["title"]))
    return html.Details(
        [html.Summary(t("layer.xplan_objekt", lang)), html.Ul(items, className="legend-list")], className="plan-legend"
    )


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


#: Results the search list shows.
SEARCH_LIMIT = 10


def search_items(features: list[dict], catalog: dict | None, lang: str) -> tuple[list, list[dict]]:
    """List items (buttons) for ``GET /api/search`` features, and what a place button needs to move the map.

    A plan or zone becomes a select button (selected as from the map: panel, highlight, zoom); an address,
    street, place or geocoder answer a place button (the map goes there and marks it).
    """
    from ui.catalog import find
    from ui.plan_panel import select_button

    items, places = [], []
    for feature in features:
        props = feature.get("properties") or {}
        kind = str(props.get("kind") or "")
        name = str(props.get("name") or "")
        if lang == "en" and props.get("name_en"):
            name = str(props["name_en"])
        context = str(props.get("context") or "")
        kind_label = (
            t(f"search.kind.{kind}", lang)
            if kind in ("address", "street", "place", "plan", "zone", "geocoder")
            else kind
        )
        collection, feature_id = props.get("collection"), props.get("feature_id")
        if kind == "plan" and collection in ("bp_plan", "xplan_plan") and feature_id:
            row = find(catalog, collection, str(feature_id))
            label = (row or {}).get("label") or name
            button = select_button(
                label, collection, str(feature_id), str(feature_id), where="search", aria_label=f"{kind_label}: {label}"
            )
        elif kind == "zone" and collection == "bp_baugebiet" and feature_id:
            label = f"{name} ({context})" if context else name
            button = select_button(
                label,
                collection,
                str(feature_id),
                props.get("plan_id") or None,
                where="search",
                aria_label=f"{kind_label}: {label}",
            )
        else:
            label = f"{name}, {context}" if context else name
            places.append(
                {"label": label, "bbox": feature.get("bbox"), "geometry": feature.get("geometry"), "kind": kind}
            )
            button = html.Button(
                label,
                id={"type": "place", "index": len(places) - 1},
                type="button",
                n_clicks=0,
                className="link-button",
                **{"aria-label": f"{kind_label}: {label}"},
            )
        items.append(html.Li([button, html.Span(kind_label, className="result-kind", **{"aria-hidden": "true"})]))
    return items, places


def place_viewport(place: dict) -> dict:
    """Where the map goes for a found place: a point close up, a street or area fitted."""
    box = place.get("bbox") or []
    if len(box) == 4:
        west, south, east, north = (float(v) for v in box)
        if east - west > 1e-5 or north - south > 1e-5:
            return {
                "bounds": [[south, west], [north, east]],
                "transition": "flyToBounds",
                "options": {"maxZoom": 18, "padding": [30, 30]},
            }
        return {"center": [south, west], "zoom": 17, "transition": "flyTo"}
    coordinates = ((place.get("geometry") or {}).get("coordinates")) or [0, 0]
    return {"center": [coordinates[1], coordinates[0]], "zoom": 17, "transition": "flyTo"}


def place_marker(place: dict):
    """The found place on the map: a street highlighted along its length, a point as a ring."""
    feature = {"type": "Feature", "geometry": place.get("geometry"), "properties": {"name": place.get("label")}}
    return dl.GeoJSON(
        id="search-marker",
        data={"type": "FeatureCollection", "features": [feature]},
        style=_fn("searchStyle"),
        pointToLayer=_fn("searchPoint"),
        interactive=False,
    )


def osm_collections(client) -> set[str]:
    """Collections whose (first) rows came from an OpenStreetMap import: their map layers credit OSM."""
    found = set()
    for collection in ("streets", "buildings", "landcover", "addresses"):
        try:
            body = client.get_json(
                f"collections/{collection}/items",
                {"limit": 1, "skipGeometry": "true", "properties": "source"},
                forward=False,
            )
        except ApiError:
            continue
        features = body.get("features") or []
        if features and str((features[0].get("properties") or {}).get("source") or "").startswith("osm:"):
            found.add(collection)
    return found


def locate_texts() -> dict:
    """The texts of "Standort verwenden" in both languages, for the browser-side callback."""
    keys = ("map.locate_wait", "map.locate_done", "map.locate_failed")
    return {lang: {key.split(".", 1)[1]: t(key, lang) for key in keys} for lang in ("de", "en")}


def sidebar(lang: str = "de", basemap: Basemap | None = None) -> html.Div:
    """Place search, "Standort verwenden", layer switcher and legend beside the map."""
    entries, chosen = toggles(basemap)
    return html.Div(
        className="sidebar",
        children=[
            # Procedures open now: what a citizen may comment on, until when; each plan one click away.
            html.Section(id="open-procedures", className="open-procedures", **{"aria-live": "polite"}),
            html.Section(
                role="search",
                className="place-search",
                children=[
                    html.Div(
                        className="field",
                        children=[
                            html.Label(T("map.search_label"), htmlFor="plan-search"),
                            dcc.Input(
                                id="plan-search",
                                type="search",
                                value="",
                                debounce=0.25,
                                autoComplete="off",
                                placeholder=t("map.search_placeholder", lang),
                            ),
                        ],
                    ),
                    # How many were found, or "Nichts gefunden" (announced; the list itself is not re-read).
                    html.P(id="search-status", className="hint", role="status"),
                    # Matches as buttons: a list that works with keyboard (arrow keys: assets/search.js) and screen reader.
                    html.Ul(id="plan-results", className="result-list"),
                    dcc.Store(id="search-places", data=[]),
                    html.Div(
                        className="locate",
                        children=[
                            html.Button(
                                T("map.locate"),
                                id="locate-me",
                                type="button",
                                n_clicks=0,
                                className="btn secondary small",
                                **{"aria-describedby": "locate-hint"},
                            ),
                            html.P(T("map.locate_hint"), id="locate-hint", className="hint"),
                            html.P(id="locate-status", className="hint", role="status"),
                            dcc.Store(id="locate-texts", data=locate_texts()),
                        ],
                    ),
                    html.P(T("map.help"), className="hint"),
                ],
            ),
            # Which city-sized layers wait for the visitor to zoom in (empty otherwise).
            html.P(id="map-zoom-hint", className="hint", role="status"),
            # Which plan contents come with zooming in or choosing a plan (DETAIL_LAYERS).
            html.P(id="map-detail-hint", className="hint", role="status"),
            html.Section(
                [
                    choice_group(
                        "layer-toggle",
                        [(key, T(f"layer.{key}")) for key in entries],
                        chosen,
                        multi=True,
                        label_key="map.layers",
                        label_tag=html.H2,
                        className="choice-group switches",
                    ),
                    html.Div(
                        className="field",
                        children=[
                            html.Label(T("layer.raster_opacity"), htmlFor="raster-opacity"),
                            dcc.Input(id="raster-opacity", type="range", min=0, max=1, step=0.1, value=0.7),
                        ],
                    ),
                ]
            ),
            html.Section(
                [
                    T("map.legend", html.H2),
                    html.Div(legend(lang), id="legend"),
                ]
            ),
        ],
    )


def _pane_z(layer_id: str) -> int:
    """Stacking order of a layer's pane (gaps of two leave room for the raster)."""
    return 310 + 2 * list(LAYERS).index(layer_id)


def map_component(api_url: str, basemap: Basemap | None = None) -> dl.MapContainer:
    """The Leaflet map, centred on Hamburg-Langenhorn until the plans' extent is known.

    A configured basemap is there from the first paint; without one the map's own background layers
    load with the others (toggle_layers) over a plain paper tone (``offline-bg``).
    """
    return dl.MapContainer(
        id="map",
        center=[53.664, 10.010],
        zoom=15,
        maxZoom=20,
        keyboard=True,
        className="with-basemap" if basemap else "offline-bg",
        style={"height": "100%", "width": "100%"},
        children=[
            dl.LayerGroup(basemap.layer() if basemap else [], id="grp-basemap"),
            # One pane per layer, stacked by zIndex: layers load asynchronously, and without panes
            # whichever answer arrives last would be drawn on top.
            # Between the tiles (200) and Leaflet's overlay pane (400), where drawings go on top.
            # The plan drawing, once switched on, lies over the zone colours, under lines and outlines.
            dl.Pane(
                dl.LayerGroup(id="grp-bp_planraster"), name="raster", style={"zIndex": _pane_z("bp_baugebiet") + 1}
            ),
            # Empty until the map is first shown (toggle_layers): a page opened on another view,
            # e.g. a 3D link, does not load and draw a city's layers in a hidden map.
            *[
                dl.Pane(dl.LayerGroup(id=f"grp-{key}"), name=f"pane-{key}", style={"zIndex": _pane_z(key)})
                for key in LAYERS
            ],
            dl.Pane(dl.LayerGroup(id="grp-contributions"), name="pane-contributions", style={"zIndex": 390}),
            # The place a search found (or the visitor's own position), marked above the plan layers.
            dl.Pane(dl.LayerGroup(id="grp-search"), name="pane-search", style={"zIndex": 395}),
            # The credit of imported OpenStreetMap data while it is shown (GeoJSON layers carry none).
            dl.LayerGroup(id="grp-credits"),
            dl.FeatureGroup(
                [
                    dl.EditControl(
                        id="edit",
                        position="topleft",
                        draw={
                            "marker": True,
                            "polyline": True,
                            "polygon": True,
                            "rectangle": False,
                            "circle": False,
                            "circlemarker": False,
                        },
                        edit={"edit": True, "remove": True},
                        # what the control reports as it mounts: the same, so nothing is triggered by it
                        geojson={"type": "FeatureCollection", "features": []},
                    ),
                ]
            ),
            dl.ScaleControl(position="bottomleft", imperial=False),
        ],
    )


def layout(api_url: str, lang: str = "de") -> html.Section:
    basemap = configured_basemap()
    return html.Section(
        id="view-map",
        className="view map-view",
        role="tabpanel",
        **{"aria-labelledby": "tab-map"},
        children=[
            sidebar(lang, basemap),
            dcc.Store(id="map-layers-loaded", data=False),
            html.Div(
                className="map-wrap",
                role="region",
                **{"aria-label": t("map.region", lang)},
                id="map-region",
                children=[
                    # The map's shapes are not in the tab order (assets/citizen-map.js): keyboard and screen-reader
                    # users skip to the list view, which lists the same plans, areas and contributions.
                    html.A(T("map.skip_to_list"), href="#view-list", id="skip-map", n_clicks=0, className="skip-map"),
                    map_component(api_url, basemap),
                ],
            ),
        ],
    )


def open_procedures_block(procedures: list[dict], plan_names: dict[str, str], lang: str) -> list:
    """The sidebar's "Beteiligung läuft" section: each open procedure, its dates, and its plans as buttons."""
    from ui import procedure_info

    shown = [p for p in procedures if procedure_info.state(p) == "open"]
    if not shown:
        return []
    items = []
    for proc in shown:
        plans = [
            html.Button(
                plan_names.get(pid) or name or pid,
                type="button",
                n_clicks=0,
                className="link-button",
                id={"type": "select", "where": "procedures", "collection": "bp_plan", "id": pid, "plan": pid},
            )
            for pid, name in zip(proc.get("plan_ids") or [], proc.get("plan_names") or [], strict=False)
            if pid in plan_names
        ]
        items.append(
            html.Li(
                [
                    html.Strong(procedure_info.title(proc, lang)),
                    html.P(procedure_info.sentence(proc, lang), className="hint"),
                    # the plans folded away: on a phone the search and the map come first
                    html.Details(
                        [
                            html.Summary(t("procedures.plans_n", lang, n=len(plans))),
                            html.Div(plans, className="procedure-plans"),
                        ]
                    )
                    if plans
                    else None,
                ]
            )
        )
    return [html.H2(t("procedures.open_now", lang)), html.Ul(items, className="plain-list")]


def layer_updates(
    client,
    api_url: str,
    whole_max: int,
    active,
    bounds,
    zoom,
    lang: str,
    selection: dict | None,
    shown: dict,
    relabel: bool = False,
) -> tuple[list, dict, str, str]:
    """What the map's layer groups show for the chosen ``active`` switcher entries, the area in view and the
    selection: (children per :data:`LAYERS` key, ``no_update`` where the layer's address stays; the address of
    every layer drawn; the zoom hint; the detail hint). ``shown`` (the addresses drawn so far) is not changed;
    ``relabel`` draws the plan symbols again (their titles follow the page's language)."""
    active = set(active or [])
    shown = dict(shown or {})
    selected_zone = (selection or {}).get("id") if (selection or {}).get("collection") == "bp_baugebiet" else None
    plan_id = selected_plan(selection)
    known = layer_counts(client)
    layers, waiting = [], []
    for key in LAYERS:
        count = known.get(COLLECTION_OF.get(key, key))
        on = toggle_of(key) in active
        url = layer_url(api_url, key, count, whole_max, bounds, zoom, plan_id) if on else None
        if on and url is None and key not in DETAIL_LAYERS:
            waiting.append(t(f"layer.{toggle_of(key)}", lang))
        if url == shown.get(key) and not (relabel and key == "xplan_objekt" and url):
            layers.append(no_update)
        elif url is None:
            shown.pop(key, None)
            layers.append([])
        elif key == "xplan_objekt":
            classes = shared_catalog(client).current().get("xplan_classes", [])
            shown[key] = url
            layers.append(vector_layer(key, url, hideout=xplan_styles(classes, lang)))
        else:
            shown[key] = url
            layers.append(vector_layer(key, url, selected_zone))
    hint = (
        t("map.zoom_in_for", lang, zoom=VIEWPORT_MIN_ZOOM, layers=", ".join(dict.fromkeys(waiting))) if waiting else ""
    )
    details_waiting = [
        t(f"layer.{key}", lang) for key in DETAIL_LAYERS if toggle_of(key) in active and key not in shown
    ]
    detail_hint = (
        t("map.details_from", lang, zoom=DETAIL_MIN_ZOOM, layers=", ".join(details_waiting)) if details_waiting else ""
    )
    return layers, shown, hint, detail_hint


def osm_credit(client, active) -> list:
    """The credit of imported OpenStreetMap data while a layer drawn from it is switched on, else nothing."""
    shown = {c for key in (active or []) for c in OSM_TOGGLES.get(key, ())}
    if not shown & osm_collections(client):
        return []
    return [dl.AttributionControl(prefix=OSM_DATA_ATTRIBUTION, position="bottomright")]


def plan_list(catalog: dict | None, query: str | None, lang: str) -> list:
    """The search list's items for ``query`` among the plans (all plans, as a start, for an empty one)."""
    return [html.Li(button) for button in plan_buttons(catalog, query, lang)]


def fitted_view(bbox) -> dict:
    """The map's props to open fitted to ``bbox`` ([[south, west], [north, east]]).

    react-leaflet fits ``bounds`` only without a zoom, so the zoom is left out (``...``: removed from the
    first layout); dash-leaflet's viewport tracking needs a centre, and moves the map to it: the centre of the
    bounds as Leaflet computes it (the middle in Web Mercator), so the fitted view stays where it is.
    """
    (south, west), (north, east) = bbox

    def y(lat: float) -> float:
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    middle = math.degrees(2 * math.atan(math.exp((y(south) + y(north)) / 2)) - math.pi / 2)
    return {"bounds": bbox, "center": [middle, (west + east) / 2], "zoom": ...}


def start_state(
    client, settings, catalog: dict, summary: dict, view: str | None, procedures: list[dict], lang: str = "de"
) -> dict:
    """The map view as it first shows, for the page's first layout (``ui.layout.StartLayout``):
    ``{component id: {prop: value}}``.

    What callbacks used to fill after the page had loaded — the plans' extent, the layers of the start view,
    the open procedures, the list of plans, the legend of the plans' contents, the OSM credit — comes with the
    layout, so the shapes load the moment Leaflet mounts and nothing in the sidebar moves when answers
    arrive. A page opened on another view (``?view=3d``) leaves the hidden map's layers for when it is shown.
    ``procedures`` are the API's (``ui.procedure_info.fetch``), read once for the whole first layout.
    """
    from ui.catalog import plan_label

    basemap = configured_basemap()
    _entries, chosen = toggles(basemap)
    state: dict[str, dict] = {}
    if summary.get("bbox"):  # the map opens on the plans' extent (no flight from a default view)
        state["map"] = fitted_view(summary["bbox"])
    names = {p["id"]: plan_label(p) for p in catalog.get("plans", [])}
    state["open-procedures"] = {"children": open_procedures_block(procedures, names, lang)}
    state["plan-results"] = {"children": plan_list(catalog, "", lang)}
    classes = catalog.get("xplan_classes", [])
    state["legend"] = {"children": [legend(lang), plan_legend(classes, lang)]}
    if view not in (None, "", "map"):
        return state  # toggle_layers draws them when the map is first shown
    layers, shown, hint, detail_hint = layer_updates(
        client, settings.api_url, settings.map_whole_layer_max, chosen, None, None, lang, {}, {}
    )
    for key, children in zip(LAYERS, layers, strict=True):
        if children is not no_update:
            state[f"grp-{key}"] = {"children": children}
    state["map-layers-loaded"] = {"data": {"urls": shown}}
    state["map-zoom-hint"] = {"children": hint}
    state["map-detail-hint"] = {"children": detail_hint}
    state["grp-credits"] = {"children": osm_credit(client, chosen)}
    if "contributions" in chosen and summary.get("has_contributions"):
        state["grp-contributions"] = {"children": contribution_layers(settings.api_url)}
    return state


def register(app, client, settings) -> None:
    """Callbacks that drive the map: layers, raster overlay, selection from clicks, viewport.

    The start view (layers, procedures, plan list, legend) comes with the first layout (:func:`start_state`):
    these callbacks answer changes only (``prevent_initial_call``), and say ``no_update`` where nothing changed.
    """
    api_url = settings.api_url
    public_path = portal_path(api_url)  # "" for a portal at the host root

    outputs = [Output(f"grp-{key}", "children") for key in LAYERS]
    whole_max = settings.map_whole_layer_max

    @app.callback(
        Output("open-procedures", "children"),
        Input("lang", "data"),
        Input("catalog", "data"),
        prevent_initial_call=True,
    )
    def open_procedures(lang, catalog):
        from ui import procedure_info
        from ui.catalog import plan_label

        catalog = shared_catalog(client).resolve(catalog)
        names = {p["id"]: plan_label(p) for p in (catalog or {}).get("plans", [])}
        return open_procedures_block(procedure_info.fetch(client), names, lang)

    @app.callback(
        *outputs,
        Output("map-layers-loaded", "data"),
        Output("map-zoom-hint", "children"),
        Output("map-detail-hint", "children"),
        Input("layer-toggle", "data"),
        Input("active-tab", "data"),
        Input("map", "bounds"),
        Input("lang", "data"),
        Input("selection", "data"),
        State("map", "zoom"),
        State("map-layers-loaded", "data"),
        State("map-zoom-hint", "children"),
        State("map-detail-hint", "children"),
        prevent_initial_call=True,
    )
    def toggle_layers(active, tab, bounds, lang, selection, zoom, loaded, zoom_hint, detail_hint):
        """The chosen layers: when the map is first shown, when the choice changes, for city-sized and detail
        layers when the area in view does, and for detail layers when another plan is selected.

        ``map-layers-loaded`` keeps the address of every layer drawn: a layer whose address stays is left as
        it is (no new request, nothing drawn again), and so are the hints that stay the same. The start view's
        layers come with the first layout (:func:`start_state`)."""
        trigger = callback_context.triggered_id
        if (tab != "map" and not loaded) or (trigger == "active-tab" and loaded):
            return (no_update,) * (len(outputs) + 3)
        before = dict(loaded.get("urls") or {}) if isinstance(loaded, dict) else {}
        layers, shown, hint, details = layer_updates(
            client, api_url, whole_max, active, bounds, zoom, lang, selection, before, relabel=trigger == "lang"
        )
        return [
            *layers,
            {"urls": shown} if shown != before or not loaded else no_update,
            hint if hint != (zoom_hint or "") else no_update,
            details if details != (detail_hint or "") else no_update,
        ]

    basemap = configured_basemap()

    @app.callback(
        Output("grp-credits", "children"),
        Input("layer-toggle", "data"),
        Input("map-layers-loaded", "data"),
        State("grp-credits", "children"),
        prevent_initial_call=True,
    )
    def credits(active, loaded, current):
        if not loaded:
            return no_update
        credit = osm_credit(client, active)
        return no_update if bool(credit) == bool(current) else credit

    @app.callback(Output("grp-basemap", "children"), Input("layer-toggle", "data"), prevent_initial_call=True)
    def toggle_basemap(active):
        # Only a configured basemap is ever requested; without one this group stays empty.
        if basemap is None or "basemap" not in (active or []):
            return []
        return [basemap.layer()]

    @app.callback(
        Output("grp-contributions", "children"),
        Input("layer-toggle", "data"),
        Input("catalog", "data"),
        Input("contributions-version", "data"),
        prevent_initial_call=True,
    )
    def toggle_contributions(active, catalog, _version):
        if "contributions" not in (active or []) or not (catalog or {}).get("has_contributions"):
            return []
        return contribution_layers(api_url)

    @app.callback(
        Output("grp-bp_planraster", "children"),
        Input("layer-toggle", "data"),
        Input("raster-opacity", "value"),
        prevent_initial_call=True,  # the plan drawings are off at first
    )
    def toggle_raster(active, opacity):
        if "bp_planraster" not in (active or []):
            return []
        try:
            rasters = client.items("bp_planraster", skipGeometry="true")
        except ApiError:
            return []
        return raster_overlays(rasters, public_path, float(opacity if opacity is not None else 0.7))

    register_choice_group(app, "layer-toggle", multi=True)

    @app.callback(
        Output("legend", "children"),
        Output("plan-search", "placeholder"),
        Output("map-region", "aria-label"),
        Input("lang", "data"),
        Input("catalog", "data"),
        prevent_initial_call=True,
    )
    def translate(lang, catalog):
        classes = shared_catalog(client).resolve(catalog).get("xplan_classes", [])
        return ([legend(lang), plan_legend(classes, lang)], t("map.search_placeholder", lang), t("map.region", lang))

    @app.callback(
        Output("plan-results", "children"),
        Output("search-places", "data"),
        Output("search-status", "children"),
        Input("plan-search", "value"),
        Input("catalog", "data"),
        Input("lang", "data"),
        prevent_initial_call=True,  # the first layout lists the plans (start_state)
    )
    def plan_results(query, catalog, lang):
        catalog = shared_catalog(client).resolve(catalog)
        if not (query or "").strip():  # every plan, as a start
            return plan_list(catalog, query, lang), [], ""
        try:
            features = client.get_site_json("api/search", {"q": query.strip()[:200], "limit": SEARCH_LIMIT})
            features = (features or {}).get("features", [])
        except ApiError:  # the search route failing must not take the plan search with it
            buttons = plan_buttons(catalog, query, lang)
            return [html.Li(button) for button in buttons], [], t("map.search_failed", lang)
        items, places = search_items(features, catalog, lang)
        status = t("map.search_found", lang, n=len(items)) if items else t("map.search_nothing", lang)
        return items, places, status

    @app.callback(
        Output("map", "viewport", allow_duplicate=True),
        Output("grp-search", "children"),
        Output("search-status", "children", allow_duplicate=True),
        Input({"type": "place", "index": ALL}, "n_clicks"),
        State("search-places", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    def go_to_place(clicks, places, lang):
        trigger = callback_context.triggered_id
        # Re-rendered buttons arrive with n_clicks 0: only a real click moves the map.
        if not isinstance(trigger, dict) or not any(item.get("value") for item in callback_context.triggered):
            return no_update, no_update, no_update
        index = trigger.get("index")
        if not isinstance(index, int) or not 0 <= index < len(places or []):
            return no_update, no_update, no_update
        place = places[index]
        return place_viewport(place), [place_marker(place)], t("map.showing", lang, name=place.get("label", ""))

    # On a phone the map lies below the search: bring it into view when it shows a found place (focus stays put).
    app.clientside_callback(
        """function (marked) {
            var map = document.getElementById("map-region");
            if (marked && marked.length && map && window.innerWidth < 1100) {
                var reduce = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
                map.scrollIntoView({behavior: reduce ? "auto" : "smooth", block: "start"});
            }
            return window.dash_clientside.no_update;
        }""",
        Output("map-region", "className"),
        Input("grp-search", "children"),
        prevent_initial_call=True,
    )

    # "Standort verwenden": the browser asks for consent only now, after the click; nothing leaves the browser
    # but the map's own tile/feature requests for the area. Without consent the portal goes on as before.
    app.clientside_callback(
        """async function (n, lang, texts) {
            var no = window.dash_clientside.no_update;
            if (!n) { return [no, no, no]; }
            var say = (texts && texts[lang === "en" ? "en" : "de"]) || {};
            if (!navigator.geolocation) { return [no, no, say.locate_failed || ""]; }
            var status = document.getElementById("locate-status");
            if (status) { status.textContent = say.locate_wait || ""; }
            try {
                var pos = await new Promise(function (resolve, reject) {
                    navigator.geolocation.getCurrentPosition(resolve, reject,
                        {enableHighAccuracy: true, timeout: 15000, maximumAge: 60000});
                });
                var lat = pos.coords.latitude, lon = pos.coords.longitude;
                var metres = Math.max(1, Math.round(pos.coords.accuracy || 0));
                var marker = {"namespace": "dash_leaflet", "type": "CircleMarker",
                              "props": {"center": [lat, lon], "radius": 9, "color": "#ffffff", "weight": 3,
                                        "fillColor": "#1d4ed8", "fillOpacity": 1}};
                var circle = {"namespace": "dash_leaflet", "type": "Circle",
                              "props": {"center": [lat, lon], "radius": metres, "color": "#1d4ed8", "weight": 1,
                                        "fillOpacity": 0.1, "interactive": false}};
                return [{"center": [lat, lon], "zoom": 17, "transition": "flyTo"}, [circle, marker],
                        (say.locate_done || "").replace("{m}", String(metres))];
            } catch (err) {
                return [no, no, say.locate_failed || ""];
            }
        }""",
        Output("map", "viewport", allow_duplicate=True),
        Output("grp-search", "children", allow_duplicate=True),
        Output("locate-status", "children"),
        Input("locate-me", "n_clicks"),
        State("lang", "data"),
        State("locate-texts", "data"),
        prevent_initial_call=True,
    )

    # --- selection from the map ------------------------------------------------
    @app.callback(
        Output("selection", "data", allow_duplicate=True),
        Input("layer-bp_baugebiet", "clickData"),
        prevent_initial_call=True,
    )
    def click_zone(feature):
        return _selection_from_click("bp_baugebiet", feature)

    @app.callback(
        Output("selection", "data", allow_duplicate=True),
        Input("layer-bp_baugrenze", "clickData"),
        prevent_initial_call=True,
    )
    def click_line(feature):
        return _selection_from_click("bp_baugrenze", feature)

    @app.callback(
        Output("selection", "data", allow_duplicate=True),
        Input("layer-bp_plan", "clickData"),
        prevent_initial_call=True,
    )
    def click_plan(feature):
        return _selection_from_click("bp_plan", feature)

    @app.callback(
        Output("selection", "data", allow_duplicate=True),
        Input("layer-xplan_objekt", "clickData"),
        prevent_initial_call=True,
    )
    def click_object(feature):
        return _selection_from_click("xplan_objekt", feature)

    # --- selection -> map ------------------------------------------------------------
    @app.callback(Output("layer-bp_baugebiet", "hideout"), Input("selection", "data"), prevent_initial_call=True)
    def highlight(selection):
        selection = selection or {}
        return zone_hideout(selection.get("id") if selection.get("collection") == "bp_baugebiet" else None)

    @app.callback(
        Output("map", "viewport"), Input("selection", "data"), Input("catalog", "data"), prevent_initial_call=True
    )
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

    # After a contribution was sent: drawing removed, drawing modes left, focus on the receipt (citizen-map.js).
    app.clientside_callback(
        "function (message, css) { return window.dash_clientside.citizen_map.afterSubmit(message, css); }",
        Output("focus-sink", "data", allow_duplicate=True),
        Input("form-feedback", "children"),
        State("form-feedback", "className"),
        prevent_initial_call=True,
    )
    # "Karte überspringen": the list view, focus on its search field.
    app.clientside_callback(
        "function (n) { return window.dash_clientside.citizen_map.toList(n); }",
        Output("active-tab", "data", allow_duplicate=True),
        Input("skip-map", "n_clicks"),
        prevent_initial_call=True,
    )

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
