"""The page frame: skip link, header with language switch, view tabs, main workspace, footer.

Views are tabs over one workspace; hidden views stay mounted (``hidden``), so
the map, its drawing and the 3D camera keep their state when a visitor
switches back and forth. The staff views (dashboard, administration, studio) are
mounted when first shown (:data:`LAZY_VIEWS`): they were half of the page's layout
and 39 of its 78 start-up callbacks, and Dash's renderer compares every mounted
component's props after every callback answer, which cost a citizen's start page
seconds of main-thread time. Shared state lives in a few ``dcc.Store``s:
``lang``, ``active-tab``, ``selection`` (the object the details panel shows),
``catalog`` (the summary of the plans, zones and texts kept on the server, see
``ui.catalog``) and ``contributions-version``
(bumped after a successful submission so lists reload).
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qs

from dash import ALL, Input, Output, State, callback_context, dcc, html, no_update
from dash.development.base_component import Component

from ui import admin, contribute, dashboard, legal, listview, plan_panel, studio, view3d
from ui import map as map_view
from ui.api import api_path, portal_path
from ui.catalog import shared_catalog
from ui.i18n import DEFAULT_LANG, LANGS, T, normalize_lang, t

LOG = logging.getLogger(__name__)

TABS = ("map", "3d", "list", "dashboard", "admin", "studio")
#: Views whose contents are mounted the first time they are shown (the empty section is there from the start).
LAZY_VIEWS = ("dashboard", "admin", "studio")
#: Parts of a lazy view that a start-up callback writes to, kept (emptied) in its shell: the studio's
#: sign-in gate hides the studio tab from citizens and writes to both.
SHELL_KEEPS = {"studio": ("studio-signin", "studio-body")}


#: Each view's section for (api_url, lang), in TABS order.
VIEW_LAYOUTS = {
    "map": map_view.layout,
    "3d": view3d.layout,
    "list": lambda _api_url, lang: listview.layout(lang),
    "dashboard": lambda _api_url, lang: dashboard.layout(lang),
    "admin": lambda _api_url, lang: admin.layout(lang),
    "studio": studio.layout,
}


def lazy_contents(api_url: str) -> dict[str, dict[str, list]]:
    """The lazy views' contents per language, built once per process.

    Built at start-up in a fixed order, so the i18n ids (a counter) are the same in every worker
    process of a page and never collide with the first layout's.
    """
    built: dict[str, dict[str, list]] = {key: {} for key in LAZY_VIEWS}
    for lang in LANGS:
        for key in LAZY_VIEWS:
            built[key][lang] = _translated(VIEW_LAYOUTS[key](api_url, lang).children, lang)
    return built


def _translated(tree, lang: str):
    """``tree`` with every language-following text (``T``) in ``lang``: a view mounted later comes in the
    page's language, as the translate callback would have set it."""
    if isinstance(tree, (list, tuple)):
        for child in tree:
            _translated(child, lang)
    elif isinstance(tree, Component):
        ident = getattr(tree, "id", None)
        if isinstance(ident, dict) and ident.get("type") == "i18n":
            tree.children = t(ident["key"], lang)
        else:
            _translated(getattr(tree, "children", None), lang)
    return tree


def _shell(key: str, section: html.Section) -> html.Section:
    """The section without its contents: id, role, labels and classes stay, so tabs and links find it."""
    kept = [child for child in section.children if getattr(child, "id", None) in SHELL_KEEPS.get(key, ())]
    for child in kept:
        child.children = []
    section.children = kept
    return section


def header(lang: str) -> html.Header:
    return html.Header(
        className="site-header",
        children=[
            html.Div(
                className="brand",
                children=[
                    html.Div("B", className="brand-mark", **{"aria-hidden": "true"}),
                    html.Div([T("app.title", html.H1), T("app.subtitle", html.P)]),
                ],
            ),
            html.Div(
                className="lang-switch",
                role="group",
                id="lang-group",
                **{"aria-label": "Sprache / Language"},
                children=[
                    html.Button(
                        "DE", id="lang-de", lang="de", n_clicks=0, **{"aria-label": "Deutsch", "aria-pressed": "true"}
                    ),
                    html.Button(
                        "EN", id="lang-en", lang="en", n_clicks=0, **{"aria-label": "English", "aria-pressed": "false"}
                    ),
                ],
            ),
        ],
    )


def nav() -> html.Nav:
    tabs = [
        html.Button(
            T(f"tab.{key}"),
            id=f"tab-{key}",
            className="tab",
            role="tab",
            n_clicks=0,
            **{"aria-selected": "true" if key == "map" else "false", "aria-controls": f"view-{key}"},
        )
        for key in TABS
    ]
    return html.Nav(
        className="view-nav",
        id="view-nav",
        **{"aria-label": t("app.nav_label")},
        children=[
            html.Div(tabs, className="tablist", role="tablist"),
        ],
    )


def footer(api_url: str) -> html.Footer:
    """API link, data credit, licence, and the legal pages (ui/legal.py; their links follow the language)."""
    base = api_path(api_url)
    public = portal_path(api_url)
    return html.Footer(
        className="site-footer",
        children=[
            html.Nav(
                **{"aria-label": t("app.footer_legal")},
                id="legal-nav",
                children=html.Ul(
                    className="legal-links",
                    children=[
                        html.Li(
                            html.A(T(f"legal.{page.slug}"), href=f"{public}/{page.slug}", id=f"legal-link-{page.slug}")
                        )
                        for page in legal.PAGES
                    ],
                ),
            ),
            html.A(T("app.footer_api"), href=f"{base}/"),
            html.Span(T("app.footer_data")),
            html.Span(T("app.footer_licence")),
        ],
    )


def build(settings) -> html.Div:
    """The whole page for ``settings`` (German first; the language switch re-labels in place)."""
    lang = DEFAULT_LANG
    api_url = settings.api_url
    return html.Div(
        id="app-root",
        children=[
            dcc.Location(id="url", refresh=False),
            dcc.Store(id="lang", data=lang),
            dcc.Store(id="active-tab", data="map"),
            dcc.Store(id="selection", data={}),
            dcc.Store(id="catalog", data={}),
            dcc.Store(id="contributions-version", data=0),
            dcc.Store(id="focus-sink"),
            dcc.Store(id="reply-to"),
            dcc.Store(id="voter-id", storage_type="local"),
            dcc.Store(id="views-mounted", data=[]),  # lazy views shown once (LAZY_VIEWS)
            html.A(T("app.skip"), href="#main", className="skip-link"),
            header(lang),
            nav(),
            html.Main(
                id="main",
                tabIndex="-1",
                children=[
                    html.Div(
                        id="workspace",
                        className="workspace",
                        children=[
                            html.Div(
                                className="views",
                                children=[
                                    _shell(key, build_view(api_url, lang))
                                    if key in LAZY_VIEWS
                                    else build_view(api_url, lang)
                                    for key, build_view in VIEW_LAYOUTS.items()
                                ],
                            ),
                            html.Aside(
                                className="details",
                                id="details",
                                **{"aria-label": t("panel.title", lang)},
                                children=[
                                    plan_panel.layout(lang),
                                    contribute.layout(lang),
                                ],
                            ),
                        ],
                    ),
                ],
            ),
            footer(api_url),
        ],
    )


def register(app, client, settings) -> None:
    """Frame callbacks (language, tabs, catalogue), then every panel's own callbacks."""

    @app.callback(
        Output("lang", "data"),
        Input("lang-de", "n_clicks"),
        Input("lang-en", "n_clicks"),
        Input("url", "search"),
        State("lang", "data"),
    )
    def choose_lang(_de, _en, search, current):
        trigger = callback_context.triggered_id
        if trigger == "lang-de":
            return "de"
        if trigger == "lang-en":
            return "en"
        wanted = parse_qs((search or "").lstrip("?")).get("lang")
        lang = normalize_lang(wanted[0]) if wanted else (current or DEFAULT_LANG)
        # unchanged (the usual German start): the page is in it already, nothing needs translating
        return no_update if lang == current else lang

    @app.callback(
        Output({"type": "i18n", "key": ALL, "n": ALL}, "children"),
        Output("lang-de", "aria-pressed"),
        Output("lang-en", "aria-pressed"),
        Output("view-nav", "aria-label"),
        Output("details", "aria-label"),
        Input("lang", "data"),
        prevent_initial_call=True,
    )
    def translate(lang):
        """Every text in the other language (the first layout is German; lazy views come in the page's)."""
        lang = normalize_lang(lang)
        keys = [item["id"]["key"] for item in callback_context.outputs_list[0]]
        return (
            [t(key, lang) for key in keys],
            str(lang == "de").lower(),
            str(lang == "en").lower(),
            t("app.nav_label", lang),
            t("panel.title", lang),
        )

    public = portal_path(settings.api_url)

    @app.callback(
        *[Output(f"legal-link-{page.slug}", "href") for page in legal.PAGES],
        Output("legal-nav", "aria-label"),
        Input("lang", "data"),
        prevent_initial_call=True,
    )
    def legal_links(lang):
        """The legal pages open in the portal's language."""
        suffix = "?lang=en" if normalize_lang(lang) == "en" else ""
        return (*[f"{public}/{page.slug}{suffix}" for page in legal.PAGES], t("app.footer_legal", lang))

    app.clientside_callback(
        "function (lang) { return window.dash_clientside.buergergis.setLang(lang); }",
        Output("focus-sink", "data", allow_duplicate=True),
        Input("lang", "data"),
        prevent_initial_call="initial_duplicate",
    )

    @app.callback(
        Output("active-tab", "data"),
        *[Input(f"tab-{key}", "n_clicks") for key in TABS],
        Input("url", "search"),
        State("active-tab", "data"),
    )
    def choose_tab(*args):
        trigger = callback_context.triggered_id
        if isinstance(trigger, str) and trigger.startswith("tab-"):
            return trigger[len("tab-") :]
        wanted = parse_qs((args[-2] or "").lstrip("?")).get("view")
        tab = wanted[0] if wanted and wanted[0] in TABS else "map"
        return no_update if tab == args[-1] else tab  # the map, shown already: nothing waits for this answer

    contents = lazy_contents(settings.api_url)

    @app.callback(
        *[Output(f"view-{key}", "hidden") for key in TABS],
        *[Output(f"tab-{key}", "aria-selected") for key in TABS],
        Output("workspace", "className"),
        *[Output(f"view-{key}", "children") for key in LAZY_VIEWS],
        Output("views-mounted", "data"),
        Input("active-tab", "data"),
        State("lang", "data"),
        State("views-mounted", "data"),
    )
    def show_tab(active, lang, mounted):
        """The chosen view shown, the others hidden; a lazy view's contents arrive with its first showing."""
        active = active if active in TABS else "map"
        hidden = [key != active for key in TABS]
        selected = ["true" if key == active else "false" for key in TABS]
        mounted = list(mounted or [])
        mount = active in LAZY_VIEWS and active not in mounted
        children = [contents[key][normalize_lang(lang)] if mount and key == active else no_update for key in LAZY_VIEWS]
        return (
            *hidden,
            *selected,
            "workspace wide" if active in ("dashboard", "admin", "studio") else "workspace",
            *children,
            [*mounted, active] if mount else no_update,
        )

    app.clientside_callback(
        "function (tab) { return window.dash_clientside.buergergis.resizeOnShow(tab); }",
        Output("focus-sink", "data", allow_duplicate=True),
        Input("active-tab", "data"),
        prevent_initial_call=True,
    )

    @app.callback(Output("catalog", "data"), Input("url", "pathname"))
    def catalog(_path):
        return shared_catalog(client).refresh()  # the browser keeps the summary (ui/catalog.py)

    for module in (map_view, plan_panel, contribute, view3d, listview, dashboard, admin, studio):
        module.register(app, client, settings)


__all__ = ["LANGS", "build", "register"]
