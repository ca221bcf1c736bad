"""The list view: everything on the map as an accessible, searchable table.

An equal alternative to the map for screen-reader and keyboard users: plans,
Festsetzungen (zones with their plain-language meaning), textual
Festsetzungen and contributions, each row with a "Details" button that opens
the same panel a map click opens. Filtering is a pure function
(:func:`rows_for`) over the catalogue already in the browser.
"""

from __future__ import annotations

import logging

from dash import ALL, Input, Output, State, callback_context, dcc, html, no_update

from ui import procedure_info
from ui.api import ApiError
from ui.catalog import plan_label, plan_of, shared_catalog
from ui.controls import choice_buttons, choice_group, register_choice_group
from ui.festsetzungen import art_label, explain, explain_rechtsstand, format_date, measures_label
from ui.i18n import T, t, value_label
from ui.plan_panel import select_button
from ui.variants import format_indicator, prefer_button, stored_variants

LOG = logging.getLogger(__name__)

WHATS = ("plans", "zones", "texts", "contributions", "variants", "objects")
#: Rows per page of the list (more on request).
LIST_PAGE = 200
#: The newest this many contributions are searched in the list (of one plan, when filtered).
CONTRIBUTIONS_MAX = 2000
#: Up to this many plans the list offers one filter button each.
PLAN_BUTTONS_MAX = 40


def _matches(query: str, *values) -> bool:
    if not query:
        return True
    haystack = " ".join(str(v) for v in values if v is not None).lower()
    return all(word in haystack for word in query.lower().split())


def rows_for(
    what: str,
    catalog: dict | None,
    contributions: list[dict] | None,
    query: str = "",
    plan_id: str | None = None,
    lang: str = "de",
    variants: list[dict] | None = None,
    limit: int | None = None,
    procedures: list[dict] | None = None,
) -> tuple[list[str], list[list], int]:
    """(column keys, rows, number of matches) for a content type; each row's last cell is its Details
    button (or '').

    Only the first ``limit`` matches become rows (Dash components): a city's 45,000 zones are
    all searched, but building a table row for each took seconds. ``variants``: features of
    the ``scenarios`` collection (for ``what="variants"``); ``procedures``: from ``/api/procedures``
    (for ``what="plans"``: which procedure runs on each plan, until when).
    """
    catalog = catalog or {}
    query = (query or "").strip()
    makers: list = []  # one function per match, called for the rows that are shown

    def plan_name(pid) -> str:
        plan = plan_of(catalog, pid)
        return plan_label(plan) if plan else ""

    if what == "plans":
        columns = ["col.name", "col.rechtsstand", "col.participation", "col.action"]
        for plan in catalog.get("plans", []):
            if plan_id and plan["id"] != plan_id:
                continue
            label = plan_label(plan)
            status = explain_rechtsstand(plan, lang) or "–"
            if _matches(query, label, status, plan.get("gemeinde")):
                makers.append(
                    lambda plan=plan, label=label, status=status: [
                        label,
                        status,
                        procedure_info.sentence(
                            procedure_info.current(
                                [p for p in procedures or [] if plan["id"] in (p.get("plan_ids") or [])]
                            ),
                            lang,
                        ),
                        select_button(
                            t("list.details", lang),
                            "bp_plan",
                            plan["id"],
                            plan["id"],
                            aria_label=t("list.details_of", lang, name=label),
                            className="btn small",
                            where="list",
                        ),
                    ]
                )
    elif what == "zones":
        columns = ["col.art", "col.measures", "col.explanation", "col.plan", "col.action"]
        other = "en" if lang != "en" else "de"
        for zone in catalog.get("zones", []):
            if plan_id and zone.get("plan_id") != plan_id:
                continue
            label, measures = art_label(zone, lang), measures_label(zone, lang)
            sentences = explain(zone, lang) if query else None  # searched; a shown row explains itself
            # Search in both languages: "Gewerbegebiet" finds GE in the English view, too.
            if query and not _matches(
                query,
                label,
                art_label(zone, other),
                zone.get("art_code"),
                measures,
                " ".join(sentences),
                plan_name(zone.get("plan_id")),
            ):
                continue
            makers.append(
                lambda zone=zone, label=label, measures=measures, sentences=sentences: [
                    label,
                    measures,
                    html.Ul([html.Li(s) for s in (sentences or explain(zone, lang))[1:]], className="plain-list"),
                    plan_name(zone.get("plan_id")) or "–",
                    select_button(
                        t("list.details", lang),
                        "bp_baugebiet",
                        zone["id"],
                        zone.get("plan_id"),
                        aria_label=t("list.details_of", lang, name=f"{label} ({measures})"),
                        className="btn small",
                        where="list",
                    ),
                ]
            )
    elif what == "texts":
        columns = ["col.key", "col.text", "col.plan"]
        for text in catalog.get("texts", []):
            if plan_id and text.get("plan_id") != plan_id:
                continue
            if _matches(query, text.get("schluessel"), text.get("text"), plan_name(text.get("plan_id"))):
                makers.append(
                    lambda text=text: [
                        str(text.get("schluessel") or ""),
                        str(text.get("text") or ""),
                        plan_name(text.get("plan_id")) or "–",
                    ]
                )
    elif what == "variants":
        columns = [
            "col.variant",
            "col.floor_area",
            "col.grz",
            "col.gfz",
            "col.dwellings",
            "col.violations",
            "col.likes",
            "col.action",
        ]
        for feature in variants or []:
            props = feature.get("properties") or {}
            if plan_id and plan_id not in (props.get("plan_ids") or []):
                continue
            title = str(props.get("title_en" if lang == "en" else "title_de") or feature.get("id") or "")
            if _matches(query, title, props.get("title_de"), props.get("title_en"), props.get("description")):
                makers.append(
                    lambda feature=feature, props=props, title=title: _variant_row(feature, props, title, lang)
                )
    else:
        columns = ["col.text", "col.kind", "col.status", "col.date", "col.plan"]
        for feature in contributions or []:
            props = feature.get("properties") or {}
            if plan_id and props.get("plan_id") != plan_id:
                continue
            kind_label, status_label = (
                value_label("form.kind", props.get("kind"), lang),
                value_label("status", props.get("status"), lang),
            )
            if _matches(
                query,
                props.get("text"),
                props.get("pseudonym"),
                kind_label,
                status_label,
                value_label("form.category", props.get("category"), lang),
            ):
                makers.append(
                    lambda props=props, kind_label=kind_label, status_label=status_label: [
                        str(props.get("text") or ""),
                        kind_label,
                        status_label,
                        format_date(props.get("created_at") or props.get("created"), lang),
                        plan_name(props.get("plan_id")) or "–",
                    ]
                )
    shown = makers if limit is None else makers[:limit]
    return columns, [make() for make in shown], len(makers)


def _variant_row(feature: dict, props: dict, title: str, lang: str) -> list:
    likes = int(props.get("like_count") or 0)
    name = [html.Strong(title)]
    if props.get("synthetic"):
        name += [html.Br(), html.Span(t("variants.synthetic_note", lang), className="hint")]
    return [
        name,
        format_indicator(props.get("floor_area_m2"), "m2", lang),
        format_indicator(props.get("grz"), "ratio", lang),
        format_indicator(props.get("gfz"), "ratio", lang),
        format_indicator(props.get("dwellings"), "count", lang),
        format_indicator(props.get("violations"), "count", lang),
        str(likes),
        prefer_button(str(feature.get("id")), title, likes, lang),
    ]


def table(what: str, columns: list[str], rows: list[list], lang: str, total: int | None = None) -> html.Div:
    """The shown ``rows`` of ``total`` matches as an accessible table; a button shows the next page.

    A city has tens of thousands of zones: rendering all at once took the page half a minute.
    """
    total = len(rows) if total is None else total
    what_text = t(f"list.what.{what}", lang)
    caption = (
        t("list.caption", lang, what=what_text, n=total)
        if len(rows) == total
        else t("list.caption_part", lang, what=what_text, shown=len(rows), n=total)
    )
    if not rows:
        return html.Div([html.P(caption, className="hint"), html.P(t("list.empty", lang))])
    more = []
    if len(rows) < total:
        k = min(LIST_PAGE, total - len(rows))
        more = [
            html.Button(t("list.more", lang, k=k), id="list-more", n_clicks=0, type="button", className="btn secondary")
        ]
    return html.Div(
        [
            html.Div(
                className="table-wrap",
                children=html.Table(
                    className="data",
                    children=[
                        html.Caption(caption),
                        html.Thead(html.Tr([html.Th(t(c, lang), scope="col") for c in columns])),
                        html.Tbody([html.Tr([html.Td(cell) for cell in row]) for row in rows]),
                    ],
                ),
            ),
            *more,
        ]
    )


def layout(lang: str = "de") -> html.Section:
    return html.Section(
        id="view-list",
        className="view list-view",
        role="tabpanel",
        hidden=True,
        **{"aria-labelledby": "tab-list"},
        children=[
            T("list.region", html.H2),
            html.Div(
                className="filters",
                role="search",
                children=[
                    choice_group(
                        "list-what",
                        [(w, T(f"list.what.{w}")) for w in WHATS],
                        "zones",
                        label_key="list.what",
                        className="choice-group chips",
                    ),
                    html.Div(
                        className="field",
                        children=[
                            html.Label(T("list.search"), htmlFor="list-search"),
                            dcc.Input(
                                id="list-search",
                                type="search",
                                debounce=0.3,
                                value="",
                                autoComplete="off",
                                placeholder=t("list.search_placeholder", lang),
                            ),
                        ],
                    ),
                    choice_group(
                        "list-plan",
                        [("", T("list.all_plans"))],
                        "",
                        label_key="list.plan_filter",
                        className="choice-group chips",
                    ),
                ],
            ),
            dcc.Store(id="list-limit", data=LIST_PAGE),
            html.Div(id="list-table", **{"aria-live": "polite"}),
        ],
    )


def newest_contributions(
    client, plan_id: str | None = None, limit: int = CONTRIBUTIONS_MAX
) -> tuple[list[dict], int | None]:
    """The newest ``limit`` visible contributions (of one plan, if given) and how many there are in all.

    The API selects and sorts, so a city's 100,000 contributions never travel whole.
    """
    params = {"limit": limit, "sortby": "-created_at", **({"plan_id": plan_id} if plan_id else {})}
    body = client.get_json("collections/contributions/items", params, cache=False)
    matched = body.get("numberMatched")
    return body.get("features", []), int(matched) if matched is not None else None


def objects_view(client, plan_id: str | None, query: str, lang: str) -> html.Div:
    """Every object of one plan, grouped as in the legend, each explained: the list equal to the map."""
    from ui.plan_contents import object_rows

    if not plan_id:
        return html.P(t("list.objects_choose_plan", lang), className="msg info")
    try:
        features = client.all_items(
            "xplan_objekt", plan_id=plan_id, skipGeometry="true", properties="xplan_class,label,attributes"
        )
    except ApiError:
        return html.P(t("panel.load_error", lang), className="msg error")
    grouped = object_rows(features, query, lang)
    total = sum(len(rows) for _, rows in grouped)
    if not total:
        return html.P(t("list.empty", lang))
    columns = ["col.object", "col.explanation", "col.label", "col.values"]
    sections = [html.P(t("list.caption", lang, what=t("list.what.objects", lang), n=total), className="hint")]
    for title, rows in grouped:
        sections.append(
            html.Div(
                className="table-wrap",
                children=html.Table(
                    className="data",
                    children=[
                        html.Caption(f"{title} ({len(rows)})"),
                        html.Thead(html.Tr([html.Th(t(c, lang), scope="col") for c in columns])),
                        html.Tbody([html.Tr([html.Td(cell) for cell in row]) for row in rows]),
                    ],
                ),
            )
        )
    return html.Div(sections)


def register(app, client, settings) -> None:
    @app.callback(
        Output("list-table", "children"),
        Input("list-what", "data"),
        Input("list-search", "value"),
        Input("list-plan", "data"),
        Input("lang", "data"),
        Input("catalog", "data"),
        Input("contributions-version", "data"),
        Input("active-tab", "data"),
        Input("list-limit", "data"),
    )
    def render(what, query, plan_id, lang, catalog, _version, tab, limit):
        if tab != "list":  # rendered when shown: a hidden table of a whole city only slows the page
            return no_update
        catalog = shared_catalog(client).resolve(catalog)
        if what == "objects":
            return objects_view(client, plan_id, query, lang)
        contributions = variants = matched = procedures = None
        if what == "plans":
            procedures = procedure_info.fetch(client)
        if what == "variants":
            try:
                variants = stored_variants(client)
            except ApiError:
                return html.P(t("panel.load_error", lang), className="msg error")
            if not variants:
                return html.P(t("variants.none_stored", lang), className="msg info")
        if what == "contributions":
            if not (catalog or {}).get("has_contributions"):
                return html.P(t("panel.contributions_unavailable", lang), className="msg info")
            try:
                contributions, matched = newest_contributions(client, plan_id)
            except ApiError:
                return html.P(t("panel.load_error", lang), className="msg error")
        columns, rows, total = rows_for(
            what,
            catalog,
            contributions,
            query,
            plan_id,
            lang,
            variants=variants,
            limit=limit or LIST_PAGE,
            procedures=procedures,
        )
        shown = table(what, columns, rows, lang, total)
        if what == "contributions" and matched is not None and matched > len(contributions):
            return html.Div(
                [
                    html.P(t("list.contributions_newest", lang, n=len(contributions), total=matched), className="hint"),
                    shown,
                ]
            )
        return shown

    @app.callback(
        Output("list-limit", "data"),
        Input("list-more", "n_clicks"),
        Input("list-what", "data"),
        Input("list-search", "value"),
        Input("list-plan", "data"),
        State("list-limit", "data"),
        prevent_initial_call=True,
    )
    def page(more, _what, _query, _plan, limit):
        """The next rows on "more"; a new choice or search starts at the first page again."""
        if callback_context.triggered_id == "list-more":
            return (limit or LIST_PAGE) + LIST_PAGE if more else no_update
        return LIST_PAGE

    @app.callback(
        Output("contributions-version", "data", allow_duplicate=True),
        Input({"type": "variant-like", "id": ALL}, "n_clicks"),
        State("voter-id", "data"),
        State("contributions-version", "data"),
        prevent_initial_call=True,
    )
    def prefer(clicks, voter, version):
        trigger = callback_context.triggered_id
        if not isinstance(trigger, dict) or not any(item.get("value") for item in callback_context.triggered):
            return no_update
        try:
            client.post_site_json(f"api/scenarios/{trigger['id']}/like", {}, {"X-Voter-Id": voter or ""})
        except ApiError as err:
            LOG.info("variant like failed: %s", err)
            return no_update
        return (version or 0) + 1  # re-renders the table with the new count

    register_choice_group(app, "list-what")
    register_choice_group(app, "list-plan")

    @app.callback(Output("list-search", "placeholder"), Input("lang", "data"), prevent_initial_call=True)
    def translate(lang):  # the layout's placeholder is German
        return t("list.search_placeholder", lang)

    @app.callback(
        Output("list-plan-buttons", "children"),
        Input("catalog", "data"),
        Input("lang", "data"),
        Input("active-tab", "data"),
        State("list-plan", "data"),
    )
    def plan_filter(catalog, lang, tab, current):
        """One button per plan; a city with more plans than fit on a screen filters by search instead."""
        if tab != "list":  # made when the list is shown, like its table: the start page waits for neither
            return no_update
        options = [("", t("list.all_plans", lang))]
        full = shared_catalog(client).resolve(catalog)
        plans = full.get("plans", []) + full.get("other_plans", [])
        if len(plans) > PLAN_BUTTONS_MAX:
            options += [(p["id"], plan_label(p)) for p in plans if p["id"] == current]
            return [
                *choice_buttons("list-plan", options, current or ""),
                html.P(t("list.many_plans", lang, n=len(plans)), className="hint"),
            ]
        options += [(p["id"], plan_label(p)) for p in plans]
        return choice_buttons("list-plan", options, current or "")
