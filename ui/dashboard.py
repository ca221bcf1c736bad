"""Planner dashboard (first stage): counts read from the OGC API, drawn as accessible bar lists.

Bars are plain HTML (a labelled row per value) rather than a canvas chart, so
screen readers get the numbers. Moderation (approve/reject) needs the planner
role from the contributions work and is added there.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from dash import Input, Output, State, html

from ui.api import ApiError
from ui.catalog import plan_label, plan_of
from ui.i18n import T, t


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


def contribution_counts(features: list[dict], catalog: dict | None = None) -> dict[str, Counter]:
    """Counts by status, kind, plan (label) and ISO week of creation."""
    counts = {"status": Counter(), "kind": Counter(), "plan": Counter(), "week": Counter()}
    for feature in features:
        props = feature.get("properties") or {}
        counts["status"][str(props.get("status") or "–")] += 1
        counts["kind"][str(props.get("kind") or "–")] += 1
        plan = plan_of(catalog, props.get("plan_id"))
        counts["plan"][plan_label(plan) if plan else "–"] += 1
        week = iso_week(props.get("created") or props.get("created_at"))
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


def layout(lang: str = "de") -> html.Section:
    return html.Section(
        id="view-dashboard", className="view dashboard", role="tabpanel", hidden=True,
        **{"aria-labelledby": "tab-dashboard"},
        children=[
            T("dash.region", html.H2),
            html.P(T("dash.intro"), className="hint"),
            html.Button(T("dash.refresh"), id="dash-refresh", className="btn secondary small", n_clicks=0),
            html.Div(id="dash-body", **{"aria-live": "polite"}),
        ],
    )


def register(app, client, settings) -> None:
    @app.callback(Output("dash-body", "children"),
                  Input("active-tab", "data"), Input("dash-refresh", "n_clicks"), Input("lang", "data"),
                  Input("contributions-version", "data"), State("catalog", "data"))
    def render(tab, _n, lang, _version, catalog):
        if tab != "dashboard":
            return html.Div()
        counts = {}
        for key, collection in (("plans", "bp_plan"), ("zones", "bp_baugebiet"), ("buildings", "buildings"),
                                ("total", "contributions")):
            try:
                counts[key] = client.count(collection)
            except ApiError:
                counts[key] = None
        kpis = html.Div(className="kpis", children=[
            kpi(t("dash.total", lang), counts["total"]), kpi(t("dash.plans", lang), counts["plans"]),
            kpi(t("dash.zones", lang), counts["zones"]), kpi(t("dash.buildings", lang), counts["buildings"]),
        ])
        if counts["total"] is None:
            return [kpis, html.P(t("dash.unavailable", lang), className="msg info")]
        try:
            features = client.items("contributions", skipGeometry="true", cache=False)
        except ApiError:
            return [kpis, html.P(t("panel.load_error", lang), className="msg error")]
        by = contribution_counts(features, catalog)
        return [kpis, html.Div(className="charts", children=[
            bars(t("dash.by_status", lang), by["status"], lang),
            bars(t("dash.by_kind", lang), by["kind"], lang),
            bars(t("dash.by_plan", lang), by["plan"], lang),
            bars(t("dash.by_week", lang), by["week"], lang, sort_by_key=True),
        ])]
