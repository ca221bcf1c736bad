"""Basemap settings (settings/basemap.py) and their Leaflet layer (ui/basemap.py), the map's search helpers and
layer addresses (ui/map.py), without a browser."""

from __future__ import annotations

import json

import pytest
from dash import html

from settings.basemap import BasemapError, BasemapSettings
from ui.basemap import basemap_from


def _settings(**values) -> BasemapSettings:
    return BasemapSettings(**values)


def test_none_configured_means_none(monkeypatch):
    for name in ("BUERGERGIS_BASEMAP", "BUERGERGIS_BASEMAP_URL"):
        monkeypatch.delenv(name, raising=False)
    assert basemap_from() is None
    assert basemap_from(_settings(basemap="none")) is None and basemap_from(_settings(basemap="")) is None


def test_presets():
    farbe = basemap_from(_settings(basemap="basemap.de"))
    assert farbe.kind == "xyz" and "de_basemapde_web_raster_farbe" in farbe.url and "{z}/{y}/{x}" in farbe.url
    assert "basemap.de" in farbe.attribution and "GeoBasis-DE" in farbe.attribution
    assert "grau" in basemap_from(_settings(basemap="basemap.de-grau")).url
    osm = basemap_from(_settings(basemap="OSM"))
    assert osm.url == "https://tile.openstreetmap.org/{z}/{x}/{y}.png" and "OpenStreetMap" in osm.attribution
    own = basemap_from(
        _settings(
            basemap="osm",
            basemap_url="https://tiles.kommune.de/osm/{z}/{x}/{y}.png",
            basemap_attribution="© OSM, Kacheln: Stadt",
        )
    )
    assert own.host == "tiles.kommune.de" and own.attribution == "© OSM, Kacheln: Stadt"


def test_xyz_wmts_wms():
    xyz = basemap_from(
        _settings(
            basemap="xyz",
            basemap_url="https://geo.stadt.de/tiles/{z}/{x}/{y}.png",
            basemap_title="Stadtplan",
            basemap_max_zoom=17,
        )
    )
    assert (xyz.kind, xyz.title("de"), xyz.max_native_zoom) == ("xyz", "Stadtplan", 17)
    assert xyz.attribution == "Hintergrundkarte: geo.stadt.de"  # never without a credit
    rest = basemap_from(
        _settings(
            basemap="wmts",
            basemap_url=(
                "https://geo.stadt.de/wmts/stadtplan/default/WEBMERCATOR/{TileMatrix}/{TileRow}/{TileCol}.png"
            ),
        )
    )
    assert rest.url.endswith("/WEBMERCATOR/{z}/{y}/{x}.png")
    kvp = basemap_from(
        _settings(
            basemap="wmts",
            basemap_url="https://geo.stadt.de/wmts?map=x",
            basemap_layers="stadtplan",
            basemap_matrix_set="EPSG:3857",
        )
    )
    assert kvp.url.startswith("https://geo.stadt.de/wmts?map=x&SERVICE=WMTS&REQUEST=GetTile")
    assert "LAYER=stadtplan" in kvp.url and "TILEMATRIXSET=EPSG%3A3857" in kvp.url
    assert kvp.url.endswith("&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}")
    wms = basemap_from(_settings(basemap="wms", basemap_url="https://geo.stadt.de/wms", basemap_layers="a,b"))
    layer = wms.layer()
    assert type(layer).__name__ == "WMSTileLayer" and layer.layers == "a,b" and layer.format == "image/png"
    assert type(xyz.layer()).__name__ == "TileLayer" and xyz.layer().attribution == xyz.attribution


@pytest.mark.parametrize(
    "values, message",
    [
        ({"basemap": "google"}, "choose a preset"),
        ({"basemap": "xyz"}, "BUERGERGIS_BASEMAP_URL"),
        ({"basemap": "xyz", "basemap_url": "https://x.de/tiles.png"}, "{z}"),
        ({"basemap": "wms", "basemap_url": "https://x.de/wms"}, "BUERGERGIS_BASEMAP_LAYERS"),
        ({"basemap": "wmts", "basemap_url": "https://x.de/wmts"}, "RESTful template"),
        ({"basemap": "xyz", "basemap_url": "javascript:alert(1)//{z}{x}{y}"}, "http"),
    ],
)
def test_unusable_settings_are_named(values, message):
    with pytest.raises(BasemapError, match=message if message != "{z}" else r"\{z\}"):
        basemap_from(_settings(**values))


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("BUERGERGIS_BASEMAP", "wms")
    monkeypatch.setenv("BUERGERGIS_BASEMAP_URL", "https://geo.stadt.de/wms")
    monkeypatch.setenv("BUERGERGIS_BASEMAP_LAYERS", "stadtplan")
    monkeypatch.setenv("BUERGERGIS_BASEMAP_ATTRIBUTION", "© Stadt")
    basemap = basemap_from()
    assert (basemap.kind, basemap.layers, basemap.attribution) == ("wms", "stadtplan", "© Stadt")


def _third_party(component) -> list[str]:
    text = json.dumps(component.to_plotly_json(), default=lambda c: c.to_plotly_json())
    return [host for host in ("tile.openstreetmap.org", "geodatenzentrum.de", "geo.stadt.de") if host in text]


def test_the_map_requests_no_third_party_unless_configured(monkeypatch):
    from ui import map as map_view

    monkeypatch.delenv("BUERGERGIS_BASEMAP", raising=False)
    page = map_view.layout("http://localhost:8050/oapi")
    assert _third_party(page) == []
    entries, chosen = map_view.toggles(None)
    assert "basemap" not in entries and "background" in chosen and "streets" in chosen

    monkeypatch.setenv("BUERGERGIS_BASEMAP", "basemap.de")
    page = map_view.layout("http://localhost:8050/oapi")
    assert _third_party(page) == ["geodatenzentrum.de"]  # shown from the first paint, by default
    entries, chosen = map_view.toggles(map_view.configured_basemap())
    assert entries[0] == "basemap" and "basemap" in chosen and "background" not in chosen

    monkeypatch.setenv("BUERGERGIS_BASEMAP", "no-such-preset")  # logged; the own background instead
    assert map_view.configured_basemap() is None and _third_party(map_view.layout("http://x/oapi")) == []


def test_search_items_and_where_the_map_goes():
    from ui.map import place_viewport, search_items

    features = [
        {
            "type": "Feature",
            "bbox": [24.94, 60.17, 24.94, 60.17],
            "geometry": {"type": "Point", "coordinates": [24.94, 60.17]},
            "properties": {
                "kind": "address",
                "name": "Kaivokatu 8",
                "context": "00100 Helsinki",
                "collection": "addresses",
                "feature_id": "osm:addr/node/1",
            },
        },
        {
            "type": "Feature",
            "bbox": [24.93, 60.16, 24.95, 60.18],
            "geometry": {"type": "LineString", "coordinates": [[24.93, 60.16], [24.95, 60.18]]},
            "properties": {"kind": "street", "name": "Kaivokatu", "context": "Helsinki"},
        },
        {
            "type": "Feature",
            "bbox": [10.0, 53.6, 10.1, 53.7],
            "geometry": {"type": "Point", "coordinates": [10, 53]},
            "properties": {
                "kind": "zone",
                "name": "WA – Allgemeines Wohngebiet",
                "name_en": "WA – General residential area",
                "context": "LA 22",
                "collection": "bp_baugebiet",
                "feature_id": "Z1",
                "plan_id": "P1",
            },
        },
    ]
    items, places = search_items(features, {}, "en")
    assert len(items) == 3 and len(places) == 2
    buttons = [item.children[0] for item in items]
    assert buttons[0].id == {"type": "place", "index": 0} and buttons[0].children == "Kaivokatu 8, 00100 Helsinki"
    assert buttons[0].to_plotly_json()["props"]["aria-label"] == "Address: Kaivokatu 8, 00100 Helsinki"
    assert buttons[2].id["type"] == "select" and buttons[2].id["collection"] == "bp_baugebiet"
    assert buttons[2].children == "WA – General residential area (LA 22)"
    assert isinstance(items[0].children[1], html.Span)
    assert place_viewport(places[0]) == {"center": [60.17, 24.94], "zoom": 17, "transition": "flyTo"}
    street = place_viewport(places[1])
    assert street["bounds"] == [[60.16, 24.93], [60.18, 24.95]] and street["transition"] == "flyToBounds"


def test_plan_objects_load_for_the_selected_plan_or_the_view_from_the_detail_zoom():
    """All objects of all plans are not on the start page: the selected plan's, or those in view zoomed in."""
    from urllib.parse import parse_qs, urlsplit

    from ui.map import DETAIL_MIN_ZOOM, layer_url, selected_plan

    api = "http://portal/oapi"
    view = [[53.66, 9.99], [53.67, 10.01]]
    assert layer_url(api, "xplan_objekt", 2_000, 10_000, view, DETAIL_MIN_ZOOM - 1) is None  # start page
    query = parse_qs(urlsplit(layer_url(api, "xplan_objekt", 2_000, 10_000, view, DETAIL_MIN_ZOOM - 1, "P 1&x")).query)
    assert query["plan_id"] == ["P 1&x"] and "bbox" not in query  # escaped, whatever the id holds
    assert query["properties"] == ["plan_id,xplan_class,label,attributes"]
    zoomed = parse_qs(urlsplit(layer_url(api, "xplan_objekt", 2_000, 10_000, view, DETAIL_MIN_ZOOM, "P1")).query)
    assert zoomed["bbox"] == ["9.990,53.660,10.010,53.670"] and "plan_id" not in zoomed  # every plan in view
    assert layer_url(api, "xplan_objekt", 2_000, 10_000, None, DETAIL_MIN_ZOOM) is None  # no view yet
    assert "bbox" not in layer_url(api, "bp_baugrenze", 340, 10_000, view, 3)  # other layers as before

    assert selected_plan(None) is None and selected_plan({}) is None
    assert selected_plan({"collection": "bp_plan", "id": "P1", "plan_id": None}) == "P1"
    assert selected_plan({"collection": "xplan_plan", "id": "F1"}) == "F1"
    assert selected_plan({"collection": "bp_baugebiet", "id": "Z1", "plan_id": "P2"}) == "P2"
    assert selected_plan({"collection": "contributions", "id": "c1"}) is None


def test_the_start_page_mounts_the_staff_and_3d_views_only_when_shown():
    """Their contents (most of the layout and of its start-up callbacks) come with the first showing."""
    from ui import layout
    from ui.i18n import t

    class Settings:
        api_url = "http://portal/oapi"

    page = layout.build(Settings()).to_plotly_json()
    sections = {}

    def walk(node):
        if isinstance(node, (list, tuple)):
            for child in node:
                walk(child)
        elif hasattr(node, "to_plotly_json"):
            props = node.to_plotly_json()["props"]
            if str(props.get("id", "")).startswith("view-"):
                sections[props["id"]] = props
            walk(props.get("children"))

    walk(page["props"]["children"])
    for key in layout.LAZY_VIEWS:
        shell = sections[f"view-{key}"]
        assert shell["role"] == "tabpanel" and shell["aria-labelledby"] == f"tab-{key}"
        kept = [child.id for child in shell["children"]]
        assert kept == list(layout.SHELL_KEEPS.get(key, ())), key
        assert all(not getattr(child, "children", None) for child in shell["children"])  # kept for the gate, empty
    assert sections["view-map"]["children"]  # the map is the start view; every other view is lazy
    assert {"3d", "list"} <= set(layout.LAZY_VIEWS)

    contents = layout.lazy_contents(Settings.api_url)
    english = json.dumps(contents["dashboard"]["en"], default=lambda c: c.to_plotly_json())
    assert t("dash.region", "en") in english and t("dash.region", "de") not in english

    def text_ids(tree) -> list:
        found = []

        def visit(node):
            if isinstance(node, (list, tuple)):
                for child in node:
                    visit(child)
            elif hasattr(node, "to_plotly_json"):
                props = node.to_plotly_json()["props"]
                if isinstance(props.get("id"), dict) and props["id"].get("type") == "i18n":
                    found.append(props["id"]["n"])
                visit(props.get("children"))

        visit(tree)
        return found

    first = text_ids(page["props"]["children"])
    later = [n for key in layout.LAZY_VIEWS for n in text_ids(contents[key]["de"])]
    assert later and not set(first) & set(later)  # a mounted view's texts never clash with the page's ids
