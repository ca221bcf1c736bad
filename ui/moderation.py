"""Verwaltung → Moderation (moderators and planners): the contributions waiting, one at a time or many at once.

The queue is ``GET /oapi/collections/contributions/items`` with the signed-in person's session (staff see
every status), filtered here by procedure, plan, kind, status and day of receipt (Europe/Berlin), oldest
first. "Prüfen" opens one contribution: its text (Dash shows text as text, never as HTML), the post it
answers, its plan (a button that shows the plan on the map), a small map of its location, the duplicate
hint (``GET /api/contributions/<id>/duplicates``), its status history and the actions:
``POST /api/contributions/<id>/status`` with a public note (reason templates from
``GET /api/moderation/templates``, editable). Mängelmeldungen go eingereicht → in Bearbeitung → erledigt
(or abgelehnt), each with a note the reporter reads. Selected rows are approved or rejected together with
``POST /api/contributions/status``.
"""

from __future__ import annotations

import dash_leaflet as dl
from dash import ALL, Input, Output, State, callback_context, dcc, html, no_update

from ui.admin import active, choices, data_table, local_date, local_datetime, local_day, read, write
from ui.api import ApiError, items_url
from ui.catalog import bbox_of, plan_label, plan_of, shared_catalog
from ui.controls import choice_buttons, choice_group, register_choice_group
from ui.i18n import T, t, value_label
from ui.plan_panel import select_button
from ui.reports import photos_block

KINDS = ("kommentar", "vorschlag", "maengelmeldung")
STATUSES = ("eingereicht", "in_bearbeitung", "freigegeben", "erledigt", "abgelehnt")
#: What a moderator may set, per kind (providers/contributions.py STATUSES).
ACTIONS = {
    "kommentar": ("freigegeben", "abgelehnt"),
    "vorschlag": ("freigegeben", "abgelehnt"),
    "maengelmeldung": ("in_bearbeitung", "erledigt", "freigegeben", "abgelehnt"),
}
#: Rows shown at once; filters narrow a long queue down.
MAX_ROWS = 200
NO_PROCEDURE = "-"


# -- pure parts --------------------------------------------------------------------------------------------------


def props_of(feature: dict) -> dict:
    props = dict(feature.get("properties") or {})
    props["id"] = str(feature.get("id", props.get("id", "")))
    return props


def filter_queue(
    features: list[dict],
    *,
    procedure: str | None = None,
    plan: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    day_from: str | None = None,
    day_to: str | None = None,
) -> list[dict]:
    """The contributions matching every filter that is set, oldest first.

    ``procedure`` ``"-"`` means "made outside any procedure"; ``day_from``/``day_to`` are ``yyyy-mm-dd``
    (inclusive) in Europe/Berlin.
    """
    found = []
    for feature in features:
        props = props_of(feature)
        if procedure == NO_PROCEDURE and props.get("procedure_id"):
            continue
        if procedure and procedure != NO_PROCEDURE and props.get("procedure_id") != procedure:
            continue
        if plan and props.get("plan_id") != plan:
            continue
        if kind and props.get("kind") != kind:
            continue
        if status and props.get("status") != status:
            continue
        day = local_day(props.get("created_at"))
        if day_from and (day is None or day < day_from):
            continue
        if day_to and (day is None or day > day_to):
            continue
        found.append(feature)
    return sorted(found, key=lambda f: str(props_of(f).get("created_at") or ""))


def reference_of(props: dict) -> str:
    """The reference number, or the start of the id for a contribution outside any procedure."""
    return str(props.get("reference") or props.get("id", "")[:8])


def short(text: str | None, limit: int = 160) -> str:
    text = str(text or "")
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def note_templates(answer: dict | None, lang: str) -> list[tuple[str, str]]:
    """(code, text) of the rejection reasons from ``/api/moderation/templates`` in ``lang``."""
    found = (answer or {}).get("rejection") or {}
    return [(code, str(texts.get(lang) or texts.get("de") or code)) for code, texts in found.items()]


def template_options(templates: list[tuple[str, str]], lang: str) -> list[tuple[str, str]]:
    """Short button labels of the reasons (the full text goes into the note field when chosen)."""
    return [(code, value_label("modq.tpl", code, lang)) for code, _text in templates]


def queue_table(
    features: list[dict],
    parents: dict[str, str],
    catalog: dict | None,
    selected: list[str],
    lang: str,
    total: int | None = None,
) -> html.Div:
    """The queue as an accessible table: a toggle to select each row, its text, and "Prüfen"."""
    if not features:
        return html.P(t("modq.empty", lang), className="hint")
    shown = features[:MAX_ROWS]
    total = len(features) if total is None else total
    rows = []
    chosen = set(selected or [])
    for feature in shown:
        props = props_of(feature)
        cid, ref = props["id"], reference_of(props)
        plan = plan_of(catalog, props.get("plan_id"))
        text_cell = [html.Div(str(props.get("text") or ""), className="text-block compact")]
        parent = parents.get(str(props.get("parent_id") or ""))
        if props.get("parent_id"):
            text_cell.append(html.P(t("form.reply_to", lang, text=short(parent or "–", 100)), className="hint"))
        status_cell = [html.Span(value_label("status", props.get("status"), lang), className="badge")]
        if props.get("late"):
            status_cell += [" ", html.Span(t("common.late", lang), className="badge closed")]
        rows.append(
            [
                html.Button(
                    html.Span(t("modq.pick", lang), className="visually-hidden"),
                    id={"type": "modq-pick", "id": cid},
                    n_clicks=0,
                    type="button",
                    className="choice pick",
                    title=t("modq.pick_aria", lang, ref=ref),
                    **{
                        "aria-pressed": "true" if cid in chosen else "false",
                        "aria-label": t("modq.pick_aria", lang, ref=ref),
                    },
                ),
                [
                    html.Strong(ref),
                    html.Br(),
                    html.Span(local_datetime(props.get("created_at")), className="hint"),
                    html.Br(),
                    html.Span(
                        f"{value_label('form.kind', props.get('kind'), lang)} · "
                        f"{value_label('form.category', props.get('category'), lang)}"
                    ),
                    html.Br(),
                    html.Span(plan_label(plan) if plan else (props.get("plan_id") or "–"), className="hint"),
                ],
                text_cell,
                status_cell,
                html.Button(
                    t("modq.open", lang),
                    id={"type": "modq-open", "id": cid},
                    n_clicks=0,
                    type="button",
                    className="btn small",
                    **{"aria-label": t("modq.open_aria", lang, ref=ref)},
                ),
            ]
        )
    caption = (
        t("modq.caption", lang, n=total)
        if len(shown) == total
        else t("modq.caption_part", lang, shown=len(shown), n=total)
    )
    columns = ("col.pick", "col.contribution", "col.text", "col.status", "col.action")
    return data_table("modq-table", caption, columns, rows, lang, {0: "switches", 2: "text-cell"})


def location_map(api_url: str, feature: dict, lang: str):
    """A small map of the contribution's location with the plan outlines around it; None without location."""
    geometry = feature.get("geometry")
    box = bbox_of(geometry)
    if not box:
        return None
    (south, west), (north, east) = box
    centre = [(south + north) / 2, (west + east) / 2]
    pad = 0.004
    around = f"{west - pad:.5f},{south - pad:.5f},{east + pad:.5f},{north + pad:.5f}"
    return html.Div(
        className="mini-map",
        role="region",
        **{"aria-label": t("modq.location", lang)},
        children=[
            dl.MapContainer(
                id="modq-map",
                center=centre,
                zoom=17,
                maxZoom=20,
                keyboard=True,
                className="offline-bg",
                style={"height": "100%", "width": "100%"},
                children=[
                    dl.GeoJSON(
                        url=items_url(api_url, "bp_plan", limit=200, bbox=around),
                        style={"variable": "buergergis.planOutlineStyle"},
                        interactive=False,
                    ),
                    dl.GeoJSON(
                        data={"type": "Feature", "geometry": geometry, "properties": {}},
                        pointToLayer={"variable": "buergergis.contributionPoint"},
                        style={"variable": "buergergis.contributionStyle"},
                        interactive=False,
                    ),
                    dl.ScaleControl(position="bottomleft", imperial=False),
                ],
            ),
        ],
    )


def duplicates_block(found: list[dict] | None, lang: str) -> html.Div:
    children = [html.H5(t("modq.duplicates", lang))]
    if found is None:
        children.append(html.P(t("admin.err.read", lang, status="–"), className="hint"))
    elif not found:
        children.append(html.P(t("modq.no_duplicates", lang), className="hint"))
    else:
        children.append(
            html.Ul(
                className="plain-list",
                id="modq-duplicates",
                children=[
                    html.Li(
                        [
                            html.Strong(str(d.get("reference") or str(d.get("id", ""))[:8])),
                            " · ",
                            t("modq.distance", lang, m=d.get("distance_m")),
                            " · ",
                            value_label("status", d.get("status"), lang),
                            " · ",
                            local_date(d.get("created_at")),
                            ": ",
                            short(d.get("text"), 120),
                        ]
                    )
                    for d in found
                ],
            )
        )
    return html.Div(children, className="dup-block")


def detail_view(
    props: dict,
    feature: dict,
    parent_text: str | None,
    duplicates: list[dict] | None,
    templates: list[tuple[str, str]],
    catalog: dict | None,
    api_url: str,
    lang: str,
) -> list:
    """One contribution with everything a moderator decides on, and the status actions of its kind."""
    ref = reference_of(props)
    plan = plan_of(catalog, props.get("plan_id"))
    facts = [
        html.Li(t("modq.received", lang, when=local_datetime(props.get("created_at")))),
        html.Li(
            f"{value_label('form.kind', props.get('kind'), lang)} · "
            f"{value_label('form.category', props.get('category'), lang)}"
        ),
        html.Li(t("modq.current_status", lang, status=value_label("status", props.get("status"), lang))),
    ]
    if props.get("pseudonym"):
        facts.append(html.Li(f"{t('col.author', lang)}: {props['pseudonym']}"))
    if props.get("late"):
        facts.append(html.Li(t("modq.late_note", lang)))
    if props.get("status_note"):
        facts.append(html.Li(t("modq.public_note", lang, note=props["status_note"])))
    body = [
        html.H4(t("modq.detail", lang, ref=ref), id="modq-detail-heading", tabIndex="-1"),
        html.Ul(facts, className="plain-list tight"),
        html.Div(str(props.get("text") or ""), className="text-block", id="modq-detail-text"),
    ]
    if props.get("parent_id"):
        body.append(
            html.P(t("form.reply_to", lang, text=parent_text or "–"), className="hint reply-of", id="modq-parent-text")
        )
    if plan:
        label = plan_label(plan)
        body.append(
            html.P(
                select_button(t("modq.plan_link", lang, plan=label), "bp_plan", plan["id"], plan["id"], where="admin")
            )
        )
    elif props.get("plan_id"):
        body.append(html.P(f"{t('col.plan', lang)}: {props['plan_id']}", className="hint"))
    body.append(photos_block(props, api_url, lang))  # a report's photos, seen here before they are public
    body.append(location_map(api_url, feature, lang) or html.P(t("modq.no_location", lang), className="hint"))
    body.append(duplicates_block(duplicates, lang))
    history = props.get("status_history") or []
    if history:
        lines = [
            html.Li(
                f"{local_datetime(h.get('at'))}: {value_label('status', h.get('status'), lang)}"
                + (f" – {h['note']}" if h.get("note") else "")
            )
            for h in history
        ]
        body.append(html.Details([html.Summary(t("modq.history", lang)), html.Ul(lines, className="plain-list tight")]))
    actions = list(ACTIONS.get(props.get("kind"), ACTIONS["kommentar"]))
    body.append(
        html.Div(
            className="mod-actions",
            children=[
                choices("modq-template", template_options(templates, lang), None, t("modq.templates", lang)),
                html.Div(
                    className="field",
                    children=[
                        html.Label(t("modq.reason", lang), htmlFor="modq-note"),
                        dcc.Textarea(id="modq-note", value="", maxLength=2000, rows=3),
                        html.Span(t("modq.reason_hint", lang), className="hint"),
                    ],
                ),
                html.Div(
                    className="btn-row",
                    children=[
                        html.Button(
                            t(f"modq.set.{status}", lang),
                            id={"type": "modq-set", "status": status},
                            n_clicks=0,
                            type="button",
                            disabled=status == props.get("status"),
                            className="btn" if status in ("freigegeben", "erledigt") else "btn secondary",
                        )
                        for status in actions
                    ],
                ),
            ],
        )
    )
    return body


# -- layout ------------------------------------------------------------------------------------------------------


def layout(lang: str = "de") -> list:
    return [
        T("modq.heading", html.H3),
        html.Div(
            className="filter-grid",
            children=[
                choice_group(
                    "modq-status",
                    [(s, T(f"status.{s}")) for s in STATUSES] + [("", T("modq.all"))],
                    "eingereicht",
                    label_key="col.status",
                    className="choice-group chips",
                ),
                choice_group(
                    "modq-kind",
                    [("", T("modq.all"))] + [(k, T(f"form.kind.{k}")) for k in KINDS],
                    "",
                    label_key="col.kind",
                    className="choice-group chips",
                ),
                choice_group(
                    "modq-proc", [("", T("modq.all"))], "", label_key="modq.procedure", className="choice-group chips"
                ),
                choice_group(
                    "modq-plan", [("", T("modq.all"))], "", label_key="col.plan", className="choice-group chips"
                ),
                html.Div(
                    className="two-col",
                    children=[
                        html.Div(
                            className="field",
                            children=[
                                html.Label(T("modq.from"), htmlFor="modq-from"),
                                dcc.Input(id="modq-from", type="date", value=None),
                            ],
                        ),
                        html.Div(
                            className="field",
                            children=[
                                html.Label(T("modq.to"), htmlFor="modq-to"),
                                dcc.Input(id="modq-to", type="date", value=None),
                            ],
                        ),
                    ],
                ),
            ],
        ),
        html.Div(
            className="card bulk-bar",
            role="group",
            **{"aria-labelledby": "modq-bulk-heading"},
            children=[
                T("modq.bulk", html.H4, id="modq-bulk-heading"),
                html.P(id="modq-selected-count", **{"aria-live": "polite"}),
                html.Div(
                    className="btn-row",
                    children=[
                        html.Button(
                            T("modq.pick_all"),
                            id="modq-pick-all",
                            type="button",
                            n_clicks=0,
                            className="btn secondary small",
                        ),
                        html.Button(
                            T("modq.pick_none"),
                            id="modq-pick-none",
                            type="button",
                            n_clicks=0,
                            className="btn secondary small",
                        ),
                    ],
                ),
                html.Div(id="modq-bulk-templates"),
                html.Div(
                    className="field",
                    children=[
                        html.Label(T("modq.reason"), htmlFor="modq-bulk-note"),
                        dcc.Textarea(id="modq-bulk-note", value="", maxLength=2000, rows=2),
                    ],
                ),
                html.Div(
                    className="btn-row",
                    children=[
                        html.Button(
                            T("modq.bulk_approve"), id="modq-bulk-approve", type="button", n_clicks=0, className="btn"
                        ),
                        html.Button(
                            T("modq.bulk_reject"),
                            id="modq-bulk-reject",
                            type="button",
                            n_clicks=0,
                            className="btn secondary",
                        ),
                    ],
                ),
            ],
        ),
        html.Div(id="modq-feedback", role="status", className="msg", **{"aria-live": "polite"}),
        html.Div(id="modq-bursts", className="bursts-line"),  # suspicious bursts (ui/reports.py)
        dcc.Store(id="modq-selected", data=[]),
        dcc.Store(id="modq-visible", data=[]),
        dcc.Store(id="modq-current", data=None),
        html.Div(
            className="mod-grid",
            children=[
                html.Div(id="modq-queue", **{"aria-live": "polite"}),
                html.Div(
                    id="modq-detail",
                    className="card detail-card",
                    children=html.P(T("modq.detail_none"), className="hint"),
                ),
            ],
        ),
    ]


# -- callbacks ---------------------------------------------------------------------------------------------------


def register(app, client, settings) -> None:
    api_url = settings.api_url
    for group in ("modq-status", "modq-kind", "modq-proc", "modq-plan"):
        register_choice_group(app, group)
    register_choice_group(app, "modq-template", allow_none=True)
    register_choice_group(app, "modq-bulk-template", allow_none=True)

    def templates(lang):
        answer, _problem = read(client, "api/moderation/templates")
        return note_templates(answer, lang)

    def staff_items(**params) -> list[dict] | None:
        try:  # the visitor's session goes along: staff get every status
            return client.items("contributions", skipGeometry="true", cache=False, **params)
        except ApiError:
            return None

    @app.callback(
        Output("modq-proc-buttons", "children"),
        Output("modq-plan-buttons", "children"),
        Output("modq-bulk-templates", "children"),
        Input("admin-screen", "data"),
        Input("admin-me", "data"),
        Input("lang", "data"),
        Input("admin-version", "data"),
        State("active-tab", "data"),
        State("modq-proc", "data"),
        State("modq-plan", "data"),
        State("catalog", "data"),
    )
    def filter_options(screen, me, lang, _version, tab, proc, plan, catalog):
        if not active("moderation", tab, me, screen):
            return no_update, no_update, no_update
        found, _problem = read(client, "api/procedures")
        procs = [
            (str(p["id"]), str((p.get("title_en") if lang == "en" else None) or p.get("title_de")))
            for p in (found or {}).get("procedures", [])
        ]
        proc_options = [("", t("modq.all", lang)), *procs, (NO_PROCEDURE, t("modq.no_procedure", lang))]
        catalog = shared_catalog(client).resolve(catalog)
        plan_ids = sorted(
            {
                str(props_of(f).get("plan_id"))
                for f in staff_items(properties="plan_id") or []
                if props_of(f).get("plan_id")
            }
        )
        plan_options = [("", t("modq.all", lang))] + [
            (pid, plan_label(plan_of(catalog, pid)) if plan_of(catalog, pid) else pid) for pid in plan_ids
        ]
        bulk = choices("modq-bulk-template", template_options(templates(lang), lang), None, t("modq.templates", lang))
        return (
            choice_buttons("modq-proc", proc_options, proc or ""),
            choice_buttons("modq-plan", plan_options, plan or ""),
            bulk,
        )

    @app.callback(
        Output("modq-queue", "children"),
        Output("modq-visible", "data"),
        Input("admin-screen", "data"),
        Input("admin-me", "data"),
        Input("lang", "data"),
        Input("admin-version", "data"),
        Input("modq-proc", "data"),
        Input("modq-plan", "data"),
        Input("modq-kind", "data"),
        Input("modq-status", "data"),
        Input("modq-from", "value"),
        Input("modq-to", "value"),
        State("active-tab", "data"),
        State("modq-selected", "data"),
        State("catalog", "data"),
    )
    def render_queue(screen, me, lang, _version, proc, plan, kind, status, day_from, day_to, tab, selected, catalog):
        if not active("moderation", tab, me, screen):
            return no_update, no_update
        features = staff_items()
        if features is None:
            return html.P(t("admin.err.read", lang, status="–"), className="msg error"), []
        texts = {props_of(f)["id"]: str(props_of(f).get("text") or "") for f in features}
        found = filter_queue(
            features,
            procedure=proc or None,
            plan=plan or None,
            kind=kind or None,
            status=status or None,
            day_from=day_from or None,
            day_to=day_to or None,
        )
        catalog = shared_catalog(client).resolve(catalog)
        return (queue_table(found, texts, catalog, selected or [], lang), [props_of(f)["id"] for f in found[:MAX_ROWS]])

    @app.callback(
        Output("modq-selected", "data"),
        Output({"type": "modq-pick", "id": ALL}, "aria-pressed"),
        Input({"type": "modq-pick", "id": ALL}, "n_clicks"),
        Input("modq-pick-all", "n_clicks"),
        Input("modq-pick-none", "n_clicks"),
        Input("modq-visible", "data"),
        State("modq-selected", "data"),
        prevent_initial_call=True,
    )
    def pick(_clicks, _all, _none, visible, selected):
        ids = [item["id"]["id"] for item in callback_context.outputs_list[1]]
        chosen = [s for s in (selected or []) if s in (visible or [])]  # only what the filters show
        triggered = {item["prop_id"]: item.get("value") for item in callback_context.triggered}
        clicked = [prop for prop, value in triggered.items() if prop.startswith("{") and value]
        if triggered.get("modq-pick-all.n_clicks"):
            chosen = list(visible or [])
        elif triggered.get("modq-pick-none.n_clicks"):
            chosen = []
        elif len(clicked) == 1 and "modq-visible.data" not in triggered:
            cid = callback_context.triggered_id["id"]
            chosen = [c for c in chosen if c != cid] if cid in chosen else chosen + [cid]
        return chosen, ["true" if i in chosen else "false" for i in ids]

    @app.callback(Output("modq-selected-count", "children"), Input("modq-selected", "data"), Input("lang", "data"))
    def count(selected, lang):
        return t("modq.selected", lang, n=len(selected or []))

    @app.callback(
        Output("modq-bulk-note", "value"),
        Input("modq-bulk-template", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    def bulk_template(code, lang):
        return dict(templates(lang)).get(code, "") if code else ""

    @app.callback(
        Output("modq-note", "value"), Input("modq-template", "data"), State("lang", "data"), prevent_initial_call=True
    )
    def detail_template(code, lang):
        return dict(templates(lang)).get(code, "") if code else ""

    @app.callback(
        Output("modq-feedback", "children"),
        Output("modq-feedback", "className"),
        Output("admin-version", "data", allow_duplicate=True),
        Output("modq-selected", "data", allow_duplicate=True),
        Input("modq-bulk-approve", "n_clicks"),
        Input("modq-bulk-reject", "n_clicks"),
        State("modq-selected", "data"),
        State("modq-visible", "data"),
        State("modq-bulk-note", "value"),
        State("admin-version", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    def bulk(approve, reject, selected, visible, note, version, lang):
        trigger = callback_context.triggered_id
        if not (approve or reject):
            return (no_update,) * 4
        ids = [s for s in (selected or []) if s in (visible or [])]
        if not ids:
            return t("modq.nothing_selected", lang), "msg error", no_update, no_update
        status = "freigegeben" if trigger == "modq-bulk-approve" else "abgelehnt"
        body = {"ids": ids, "status": status, **({"note": note.strip()} if (note or "").strip() else {})}
        answer, problem = write(client, "POST", "api/contributions/status", body, lang)
        if problem:
            return problem, "msg error", no_update, no_update
        changed, failed = answer.get("changed") or [], answer.get("failed") or []
        message = [html.P(t("modq.bulk_done", lang, n=len(changed), status=value_label("status", status, lang)))]
        if failed:
            from ui.admin import localized

            message.append(
                html.P(
                    t(
                        "modq.bulk_failed",
                        lang,
                        n=len(failed),
                        details="; ".join(
                            f"{f.get('id', '')[:8]}: {localized(str(f.get('description') or ''), lang)}" for f in failed
                        ),
                    )
                )
            )
        return message, "msg warn" if failed else "msg ok", (version or 0) + 1, []

    @app.callback(
        Output("modq-current", "data"), Input({"type": "modq-open", "id": ALL}, "n_clicks"), prevent_initial_call=True
    )
    def open_item(_clicks):
        trigger = callback_context.triggered_id
        if not isinstance(trigger, dict) or not any(item.get("value") for item in callback_context.triggered):
            return no_update
        return trigger["id"]

    @app.callback(
        Output("modq-detail", "children"),
        Input("modq-current", "data"),
        Input("lang", "data"),
        Input("admin-version", "data"),
        State("admin-me", "data"),
        State("catalog", "data"),
        prevent_initial_call=True,
    )
    def render_detail(cid, lang, _version, me, catalog):
        if not cid or (me or {}).get("role") not in ("moderator", "planner", "admin"):
            return no_update
        try:
            feature = client.get_json(f"collections/contributions/items/{cid}", cache=False)
        except ApiError as err:
            return html.P(t("admin.err.read", lang, status=err.status or "–"), className="msg error")
        props = props_of(feature)
        parent_text = None
        if props.get("parent_id"):
            try:
                parent = client.get_json(f"collections/contributions/items/{props['parent_id']}", cache=False)
                parent_text = str(props_of(parent).get("text") or "")
            except ApiError:
                parent_text = None
        found, problem = read(client, f"api/contributions/{cid}/duplicates")
        duplicates = None if problem else (found or {}).get("duplicates", [])
        return detail_view(
            props,
            feature,
            parent_text,
            duplicates,
            templates(lang),
            shared_catalog(client).resolve(catalog),
            api_url,
            lang,
        )

    app.clientside_callback(
        """function (children) {
            setTimeout(function () { var h = document.getElementById("modq-detail-heading");
                                     if (h && document.activeElement && document.activeElement.id !== "modq-note"
                                         && (document.activeElement.closest("#modq-table")
                                             || document.activeElement === document.body)) { h.focus(); } }, 60);
            return window.dash_clientside.no_update;
        }""",
        Output("focus-sink", "data", allow_duplicate=True),
        Input("modq-detail", "children"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output("modq-feedback", "children", allow_duplicate=True),
        Output("modq-feedback", "className", allow_duplicate=True),
        Output("admin-version", "data", allow_duplicate=True),
        Input({"type": "modq-set", "status": ALL}, "n_clicks"),
        State("modq-current", "data"),
        State("modq-note", "value"),
        State("admin-version", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    def set_status(_clicks, cid, note, version, lang):
        trigger = callback_context.triggered_id
        clicked = any(item.get("value") for item in callback_context.triggered)
        if not isinstance(trigger, dict) or not cid or not clicked:
            return no_update, no_update, no_update
        body = {"status": trigger["status"], **({"note": note.strip()} if (note or "").strip() else {})}
        answer, problem = write(client, "POST", f"api/contributions/{cid}/status", body, lang)
        if problem:
            return problem, "msg error", no_update
        return (
            t(
                "modq.done",
                lang,
                ref=answer.get("reference") or cid[:8],
                status=value_label("status", answer.get("status"), lang),
            ),
            "msg ok",
            (version or 0) + 1,
        )

    @app.callback(
        Output("active-tab", "data", allow_duplicate=True),
        Input({"type": "select", "where": "admin", "collection": ALL, "id": ALL, "plan": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )
    def show_plan_on_map(_clicks):
        """The plan button selects the plan (ui/plan_panel.py) and shows it on the map."""
        if not any(item.get("value") for item in callback_context.triggered):
            return no_update
        return "map"
