"""The page frame: skip link, header with language switch, view tabs, main workspace, footer.

Views are tabs over one workspace; hidden views stay mounted (``hidden``), so
the map, its drawing and the 3D camera keep their state when a visitor
switches back and forth. Every view but the map (3D, list, dashboard, administration,
studio) is mounted when first shown (:data:`LAZY_VIEWS`): Dash's renderer runs a selector
for every mounted component after every change of its store (each callback answer makes
several), so components and callbacks at start multiply into seconds of main-thread time
on a citizen's start page. The first layout carries the start view's state
(:class:`StartLayout`: the plans' extent, the map's layers, the open procedures, the plan
list), so no callback has to run before the plans are drawn. Shared state lives in a few ``dcc.Store``s:
``lang``, ``active-tab``, ``selection`` (the object the details panel shows),
``catalog`` (the summary of the plans, zones and texts kept on the server, see
``ui.catalog``) and ``contributions-version``
(bumped after a successful submission so lists reload).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from urllib.parse import parse_qs, urlsplit

from dash import ALL, Input, Output, State, callback_context, dcc, html, no_update
from dash._utils import to_json
from dash.development.base_component import Component

from ui import admin, contribute, dashboard, legal, listview, plan_panel, procedure_info, studio, view3d
from ui import map as map_view
from ui.api import api_path, portal_path
from ui.catalog import shared_catalog
from ui.i18n import DEFAULT_LANG, LANGS, T, normalize_lang, t

LOG = logging.getLogger(__name__)

TABS = ("map", "3d", "list", "dashboard", "admin", "studio")
#: Views whose contents are mounted the first time they are shown (the empty section is there from the start).
#: The 3D view and the list are among them: mounted at start they were 150 of the page's 480 components and 10
#: of its start-up callbacks, for views a citizen opens later or never.
LAZY_VIEWS = ("3d", "list", "dashboard", "admin", "studio")
#: Parts of a lazy view that a start-up callback uses, kept (emptied) in its shell: the studio's sign-in gate
#: (asked for by its store where a staff session may exist) shows the studio tab to planners and writes to both.
SHELL_KEEPS = {"studio": ("studio-gate-check", "studio-signin", "studio-body")}


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
        if "children" in child._prop_names:  # a store has none
            child.children = []
    section.children = kept
    return section


def _view_of(page_url: str | None) -> str | None:
    """The view a page address names (``?view=3d``), None for none."""
    wanted = parse_qs(urlsplit(page_url or "").query).get("view")
    return wanted[0] if wanted else None


def _patch(node, patches: dict[str, dict]) -> None:
    """Set the props of the components in ``patches`` (by string id) in a layout as JSON (dicts and lists);
    a value ``...`` removes the prop."""
    if isinstance(node, list):
        for child in node:
            _patch(child, patches)
    elif isinstance(node, dict):
        props = node.get("props")
        if isinstance(props, dict) and "namespace" in node:
            ident = props.get("id")
            if isinstance(ident, str) and ident in patches:
                for key, value in patches[ident].items():
                    if value is ...:  # left out: the component's default
                        props.pop(key, None)
                    else:
                        props[key] = value
            for value in props.values():
                _patch(value, patches)
        else:
            for value in node.values():
                _patch(value, patches)


#: How long the start view's state serves page loads (seconds). It is made again in the background when a
#: page load finds it older: no page waits for the API, but the first of each process.
START_STATE_MAX_AGE_S = 10.0


class StartLayout:
    """The first layout of each page load: the page (built once, :func:`build`) with the start view's state.

    Callbacks used to fill the start view after the page had loaded: the catalogue summary, then the plans'
    extent, the map's layers, the open procedures and the plan list, each answer re-rendering the page and
    moving the sidebar. Here they come with the layout (``catalog`` store, :func:`ui.map.start_state`):
    the map opens on the plans and loads their shapes as it mounts, and those callbacks only answer
    changes. The page itself carries the same layout as HTML (:meth:`first_paint`, ``ui.first_paint``).

    The state is public (what any visitor sees: it is read without the visitor's credentials) and the same
    for every page load, so it is made once and kept for :data:`START_STATE_MAX_AGE_S`, then made again in
    the background while page loads go on with the one there is: the page and its layout request never wait
    for the API. The page's address (the layout request's ``Referer``) says which view a link opens; a view
    other than the map gets no map layers (its callbacks load them when the map is shown), and without an
    address the start view is the map's, and the view callbacks correct it.
    """

    def __init__(self, page: Component, client, settings, max_age: float = START_STATE_MAX_AGE_S):
        self.base = to_json(page)  # JSON text: every state patches its own copy
        self.client, self.settings, self.max_age = client, settings, max_age
        self._made: dict[str, tuple[float, str, str]] = {}  # view -> (made at, layout JSON, first paint HTML)
        self._making: set[str] = set()
        self._lock = threading.Lock()

    def state(self, view: str | None = None) -> dict[str, dict]:
        """``{component id: {prop: value}}`` of the start view now (read from the API)."""
        shared = shared_catalog(self.client)
        summary = shared.refresh()
        catalog = shared.resolve(summary)
        procedures = procedure_info.fetch(self.client)  # read once: the sidebar's list and the form's state
        return {
            "catalog": {"data": summary},
            **map_view.start_state(self.client, self.settings, catalog, summary, view, procedures),
            **contribute.start_state(procedures),
        }

    def tree(self, view: str | None = None) -> tuple[dict, bool]:
        """(the first layout as JSON data, whether it carries the start view's state): the page as built when
        the state cannot be read (its callbacks then fill it, as they answer changes)."""
        tree = json.loads(self.base)
        try:
            patches = {  # as JSON data, like the tree (components become dicts)
                ident: {key: value if value is ... else json.loads(to_json(value)) for key, value in props.items()}
                for ident, props in self.state(view).items()
            }
        except Exception:  # the page must come, with or without the start view's state
            LOG.exception("start view's state not read; the page loads it through its callbacks")
            return tree, False
        _patch(tree, patches)
        return tree, True

    def _make(self, view: str) -> tuple[float, str, str]:
        """Made in a thread of its own (no Flask request there: the API is asked as by any visitor)."""
        from ui.first_paint import page

        try:
            tree, complete = self.tree(None if view == "map" else view)
            try:
                copy = page(tree)
            except Exception:  # the page comes without its copy: Dash draws it a moment later
                LOG.exception("start page's first paint not made")
                copy, complete = "", False
            # without the state (or the copy) it is made again at the next page load
            made = (time.monotonic() if complete else float("-inf"), to_json(tree), copy)
            with self._lock:
                self._made[view] = made
            return made
        finally:
            with self._lock:
                self._making.discard(view)

    def _made_now(self, view: str) -> tuple[float, str, str]:
        made: list = []
        worker = threading.Thread(target=lambda: made.append(self._make(view)), name="start-layout", daemon=True)
        worker.start()
        worker.join()
        return made[0] if made else (float("-inf"), self.base, "")

    def made(self, page_url: str | None = None) -> tuple[float, str, str]:
        """(made at, layout JSON, first paint HTML) for the page at ``page_url``."""
        wanted = _view_of(page_url)
        view = wanted if wanted in TABS and wanted != "map" else "map"
        with self._lock:
            made = self._made.get(view)
            due = made is None or time.monotonic() - made[0] > self.max_age
            start = due and view not in self._making
            if start:
                self._making.add(view)
        if made is None:  # the process's first page load of this view waits for it
            return self._made_now(view)
        if start:
            threading.Thread(target=self._make, args=(view,), name="start-layout", daemon=True).start()
        return made

    def json(self, page_url: str | None = None) -> str:
        """The first layout as JSON text (``/_dash-layout``)."""
        return self.made(page_url)[1]

    def first_paint(self, page_url: str | None = None) -> str:
        """The first layout as HTML, for the page itself (``ui.first_paint``)."""
        return self.made(page_url)[2]


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
            # the studio's tab shows for planners only: its sign-in gate (ui/studio.py) shows it to them
            hidden=key == "studio",
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

    # The language from the switch or a link's ?lang=, in the browser (no request: the usual German start
    # changes nothing, and the callbacks waiting for "lang" go on at once).
    app.clientside_callback(
        "function (de, en, search, current) { return window.dash_clientside.buergergis.chooseLang(search, current); }",
        Output("lang", "data"),
        Input("lang-de", "n_clicks"),
        Input("lang-en", "n_clicks"),
        Input("url", "search"),
        State("lang", "data"),
    )

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

    # The view from a tab or a link's ?view= (the map when none is named), in the browser like the language.
    app.clientside_callback(
        "function () { var a = arguments; return window.dash_clientside.buergergis.chooseTab("
        + json.dumps(list(TABS))
        + ", a[a.length - 2], a[a.length - 1]); }",
        Output("active-tab", "data"),
        *[Input(f"tab-{key}", "n_clicks") for key in TABS],
        Input("url", "search"),
        State("active-tab", "data"),
    )

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
        prevent_initial_call=True,  # the first layout shows the map, the others hidden
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

    @app.callback(
        Output("catalog", "data"), Input("url", "pathname"), State("catalog", "data"), prevent_initial_call=True
    )
    def catalog(_path, current):
        """The first layout carries the summary (StartLayout); a new one only when the catalogue changed."""
        summary = shared_catalog(client).refresh()  # the browser keeps the summary (ui/catalog.py)
        return no_update if (current or {}).get("version") == summary.get("version") else summary

    for module in (map_view, plan_panel, contribute, view3d, listview, dashboard, admin, studio):
        module.register(app, client, settings)


__all__ = ["LANGS", "build", "register"]
