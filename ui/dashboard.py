"""Planner dashboard: counts read from the OGC API as accessible bar lists, and the moderation queue.

Bars are plain HTML (a labelled row per value) rather than a canvas chart, so
screen readers get the numbers. Without a token the counts cover the public
(approved) contributions; with a moderator or planner token (kept in this
browser tab's sessionStorage and sent as ``Authorization: Bearer``) they cover
all, and pending contributions can be approved or rejected through
``POST /api/contributions/<id>/status`` — the API checks the role.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from dash import ALL, Input, Output, State, callback_context, dcc, html, no_update

from ui.api import ApiError
from ui.catalog import plan_label, plan_of, shared_catalog
from ui.i18n import T, t, value_label


def iso_week(value) -> str | None:
    """``2025-W07`` for an ISO date/datetime string."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    year, week, _ = parsed.isocalendar()
    return f"{year}-W{week:02d}"


def contribution_counts(features: list[dict], catalog: dict | None = None, lang: str = "de") -> dict[str, Counter]:
    """Counts by status, kind (translated labels), plan (label) and ISO week of creation."""
    counts = {"status": Counter(), "kind": Counter(), "plan": Counter(), "week": Counter()}
    for feature in features:
        props = feature.get("properties") or {}
        counts["status"][value_label("status", props.get("status"), lang)] += 1
        counts["kind"][value_label("form.kind", props.get("kind"), lang)] += 1
        plan = plan_of(catalog, props.get("plan_id"))
        counts["plan"][plan_label(plan) if plan else "–"] += 1
        week = iso_week(props.get("created_at") or props.get("created"))
        if week:
            counts["week"][week] += 1
    return counts


def bars(title: str, counter: Counter, lang: str, sort_by_key: bool = False) -> html.Div:
    items = sorted(counter.items()) if sort_by_key else counter.most_common()
    top = max(counter.values(), default=0) or 1
    rows = [html.Li(className="bar-row", children=[
        html.Span(str(label)),
        html.Div(className="bar", style={"width": f"{100 * value / top:.0f}%"}, **{"aria-hidden": "true"}),
        html.Span(str(value)),
    ]) for label, value in items]
    body = html.Ul(rows, style={"listStyle": "none", "padding": 0, "margin": 0}) if rows else html.P(t("dash.none", lang))
    return html.Div(className="card", children=[html.H3(title), body])


def kpi(label: str, value) -> html.Div:
    return html.Div(className="kpi", children=[html.Div("–" if value is None else str(value), className="value"),
                                               html.Div(label)])


def moderation_table(features: list[dict], catalog: dict | None, lang: str) -> html.Div:
    """Pending contributions with approve/reject buttons (an accessible table, like the list view)."""
    pending = [f for f in features if (f.get("properties") or {}).get("status") == "eingereicht"]
    caption = t("dash.queue_caption", lang, n=len(pending))
    if not pending:
        return html.Div([html.H3(t("dash.queue", lang)), html.P(t("dash.queue_empty", lang), className="hint")])
    rows = []
    for feature in sorted(pending, key=lambda f: str((f.get("properties") or {}).get("created_at") or "")):
        props = feature.get("properties") or {}
        cid = str(feature.get("id", props.get("id", "")))
        plan = plan_of(catalog, props.get("plan_id"))
        text = str(props.get("text") or "")
        short = text[:40] + ("…" if len(text) > 40 else "")
        rows.append(html.Tr([
            html.Td(text),
            html.Td(f"{value_label('form.kind', props.get('kind'), lang)} · "
                    f"{value_label('form.category', props.get('category'), lang)}"),
            html.Td(plan_label(plan) if plan else "–"),
            html.Td(str(props.get("pseudonym") or t("panel.anonymous", lang))),
            html.Td(html.Div(className="btn-row", children=[
                html.Button(t("dash.approve", lang), id={"type": "moderate", "id": cid, "status": "freigegeben"},
                            n_clicks=0, type="button", className="btn small",
                            **{"aria-label": f"{t('dash.approve', lang)}: {short}"}),
                html.Button(t("dash.reject", lang), id={"type": "moderate", "id": cid, "status": "abgelehnt"},
                            n_clicks=0, type="button", className="btn secondary small",
                            **{"aria-label": f"{t('dash.reject', lang)}: {short}"}),
            ])),
        ]))
    columns = ("col.text", "col.kind", "col.plan", "col.author", "col.action")
    return html.Div([
        html.H3(t("dash.queue", lang)),
        html.Div(className="table-wrap", children=html.Table(className="data", id="moderation-table", children=[
            html.Caption(caption),
            html.Thead(html.Tr([html.Th(t(c, lang), scope="col") for c in columns])),
            html.Tbody(rows),
        ])),
    ])


def layout(lang: str = "de") -> html.Section:
    return html.Section(
        id="view-dashboard", className="view dashboard", role="tabpanel", hidden=True,
        **{"aria-labelledby": "tab-dashboard"},
        children=[
            T("dash.region", html.H2),
            html.P(T("dash.intro"), className="hint"),
            html.Form(className="login-row", id="mod-login", children=[
                html.Div(className="field", children=[
                    html.Label(T("dash.token"), htmlFor="mod-token-input"),
                    dcc.Input(id="mod-token-input", type="password", value="", autoComplete="off"),
                ]),
                html.Button(T("dash.login"), id="mod-login-btn", type="button", n_clicks=0, className="btn small"),
                html.Button(T("dash.logout"), id="mod-logout-btn", type="button", n_clicks=0,
                            className="btn secondary small"),
                html.Button(T("dash.refresh"), id="dash-refresh", type="button", className="btn secondary small",
                            n_clicks=0),
            ]),
            # Moderator/planner token for this browser tab only (sessionStorage), sent as a Bearer token.
            dcc.Store(id="mod-token", storage_type="session"),
            html.Div(id="mod-feedback", role="status", className="msg", **{"aria-live": "polite"}),
            html.Div(id="dash-body", **{"aria-live": "polite"}),
        ],
    )


def register(app, client, settings) -> None:
    @app.callback(Output("mod-token", "data"), Output("mod-token-input", "value"),
                  Input("mod-login-btn", "n_clicks"), Input("mod-logout-btn", "n_clicks"),
                  State("mod-token-input", "value"), prevent_initial_call=True)
    def login(_login, _logout, token):
        if callback_context.triggered_id == "mod-logout-btn":
            return None, ""
        return ((token or "").strip() or None), ""

    @app.callback(Output("dash-body", "children"),
                  Input("active-tab", "data"), Input("dash-refresh", "n_clicks"), Input("lang", "data"),
                  Input("contributions-version", "data"), Input("mod-token", "data"), State("catalog", "data"))
    def render(tab, _n, lang, _version, token, catalog):
        if tab != "dashboard":
            return html.Div()
        counts = {}
        for key, collection in (("plans", "bp_plan"), ("zones", "bp_baugebiet"), ("buildings", "buildings"),
                                ("total", "contributions")):
            try:
                counts[key] = client.count(collection)
            except ApiError:
                counts[key] = None
        if counts["total"] is None:
            kpis = _kpis(counts, lang)
            return [kpis, html.P(t("dash.unavailable", lang), className="msg info")]
        headers = {"Authorization": f"Bearer {token}"} if token else None
        note = html.P(t("dash.public_only", lang), className="hint")
        try:
            features = client.items("contributions", skipGeometry="true", cache=False, headers=headers)
            if token:
                note = html.P(t("dash.signed_in", lang), className="msg ok")
        except ApiError as err:
            if not token or err.status not in (401, 403):
                return [_kpis(counts, lang), html.P(t("panel.load_error", lang), className="msg error")]
            features = client.items("contributions", skipGeometry="true", cache=False)
            note = html.P(t("dash.bad_token", lang), className="msg error")
        counts["total"] = len(features)
        catalog = shared_catalog(client).resolve(catalog)
        by = contribution_counts(features, catalog, lang)
        return [_kpis(counts, lang), note, html.Div(className="charts", children=[
            bars(t("dash.by_status", lang), by["status"], lang),
            bars(t("dash.by_kind", lang), by["kind"], lang),
            bars(t("dash.by_plan", lang), by["plan"], lang),
            bars(t("dash.by_week", lang), by["week"], lang, sort_by_key=True),
        ]), moderation_table(features, catalog, lang) if token else None]

    @app.callback(Output("mod-feedback", "children"), Output("mod-feedback", "className"),
                  Output("contributions-version", "data", allow_duplicate=True),
                  Input({"type": "moderate", "id": ALL, "status": ALL}, "n_clicks"),
                  State("mod-token", "data"), State("contributions-version", "data"), State("lang", "data"),
                  prevent_initial_call=True)
    def moderate(_clicks, token, version, lang):
        trigger = callback_context.triggered_id
        if not isinstance(trigger, dict) or not any(item.get("value") for item in callback_context.triggered):
            return no_update, no_update, no_update
        try:
            reply = client.post_site_json(f"api/contributions/{trigger['id']}/status", {"status": trigger["status"]},
                                          {"Authorization": f"Bearer {token or ''}"})
        except ApiError:
            return t("form.err.network", lang), "msg error", no_update
        if reply.status >= 400:
            from ui.contribute import message_for

            return message_for(reply.status, reply.body, lang)[1], "msg error", no_update
        return (t("dash.moderated", lang, status=value_label("status", trigger["status"], lang)), "msg ok",
                (version or 0) + 1)


def _kpis(counts: dict, lang: str) -> html.Div:
    return html.Div(className="kpis", children=[
        kpi(t("dash.total", lang), counts.get("total")), kpi(t("dash.plans", lang), counts.get("plans")),
        kpi(t("dash.zones", lang), counts.get("zones")), kpi(t("dash.buildings", lang), counts.get("buildings")),
    ])
