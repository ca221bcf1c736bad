"""The details panel: a plan or zone in plain language, its status, texts and contributions.

Opened by clicking a zone/line/plan on the map, by the plan search, or by a
"Details" button in the list view. Rendering is split into small pure
functions (``zone_details``, ``plan_details`` …) so they can be tested without
a browser; the callback at the bottom only gathers data and calls them.
"""

from __future__ import annotations

import logging

from dash import ALL, Input, Output, callback_context, html, no_update

from ui.api import ApiError
from ui.catalog import find, plan_label, plan_of
from ui.festsetzungen import (
    art_label,
    explain,
    explain_baulinie,
    explain_participation,
    explain_rechtsstand,
    format_date,
    measures_label,
    participation_phase,
)
from ui.i18n import T, t

LOG = logging.getLogger(__name__)


def select_button(label: str, collection: str, feature_id: str, plan_id: str | None = None,
                  aria_label: str | None = None, className: str = "link-button", where: str = "panel"):
    """A button that selects an object (pattern id handled by one callback for all panels).

    ``where`` keeps ids unique when the same object is offered in several places.
    """
    props = {"aria-label": aria_label} if aria_label else {}
    return html.Button(label, id={"type": "select", "where": where, "collection": collection, "id": feature_id,
                                  "plan": plan_id or ""}, className=className, n_clicks=0, type="button", **props)


def _sentences(lines: list[str], empty: str) -> html.Ul | html.P:
    if not lines:
        return html.P(empty, className="hint")
    return html.Ul([html.Li(line) for line in lines], className="plain-list festsetzungen")


def status_block(plan: dict | None, lang: str) -> html.Div:
    """Rechtsstand and participation phase of a plan."""
    if not plan:
        return html.Div()
    phase = participation_phase(plan)
    badge_class = {"open": "badge open", "closed": "badge closed"}.get(phase, "badge")
    status = explain_rechtsstand(plan, lang) or t("common.unknown", lang)
    dates = []
    for key, de, en in (("rechtsverordnungs_datum", "Verordnung vom", "Ordinance of"),
                        ("inkrafttretens_datum", "In Kraft seit", "In force since"),
                        ("satzungsbeschluss_datum", "Beschlossen am", "Adopted on"),
                        ("aufstellungsbeschluss_datum", "Aufstellungsbeschluss", "Decision to prepare")):
        if plan.get(key):
            dates.append(f"{en if lang == 'en' else de} {format_date(plan[key], lang)}")
    return html.Div([
        html.H3(t("panel.status", lang)),
        html.P(status, className="rechtsstand"),
        html.P(" · ".join(dates), className="hint") if dates else None,
        html.H3(t("panel.participation", lang)),
        html.P([html.Span(explain_participation(plan, lang), className=badge_class)], className="participation"),
    ])


def texts_block(texts: list[dict], lang: str) -> html.Details:
    """The plan's textual Festsetzungen, collapsed (they are long)."""
    body = [html.P(t("panel.no_texts", lang), className="hint")] if not texts else [
        html.Div([html.Strong(str(text.get("schluessel") or "")), html.Div(str(text.get("text") or ""))],
                 className="text-block") for text in texts
    ]
    return html.Details([html.Summary(f"{t('panel.texts', lang)} ({len(texts)})"), *body])


def contributions_block(items: list[dict] | None, lang: str) -> html.Div:
    """Approved contributions about the plan; ``None`` when the collection does not exist yet."""
    heading = html.H3(t("panel.contributions", lang))
    if items is None:
        return html.Div([heading, html.P(t("panel.contributions_unavailable", lang), className="hint")])
    if not items:
        return html.Div([heading, html.P(t("panel.no_contributions", lang), className="hint")])
    rows = []
    for feature in items[:50]:
        props = feature.get("properties") or {}
        who = props.get("pseudonym") or t("panel.anonymous", lang)
        when = format_date(props.get("created") or props.get("created_at"), lang)
        likes = props.get("likes") or props.get("like_count") or 0
        replies = props.get("replies") or props.get("reply_count") or 0
        if isinstance(replies, list):
            replies = len(replies)
        rows.append(html.Div(className="contribution", children=[
            html.Div(str(props.get("text") or "")),  # Dash escapes text: user input stays text
            html.Div(f"{who} · {when} · {likes} {t('panel.likes', lang)} · {replies} {t('panel.replies', lang)}",
                     className="meta"),
        ]))
    return html.Div([heading, *rows])


def zone_details(zone: dict, plan: dict | None, texts: list[dict], contributions, lang: str) -> list:
    """Panel content of a Baugebietsteilfläche."""
    plan_link = None
    if plan:
        plan_link = html.P([t("panel.of_plan", lang), ": ",
                            select_button(plan_label(plan), "bp_plan", plan["id"], plan["id"])])
    return [
        html.P(t("panel.zone", lang), className="kicker"),
        html.H2(art_label(zone, lang), id="panel-heading", tabIndex="-1"),
        plan_link,
        html.H3(t("panel.festsetzungen", lang)),
        _sentences(explain(zone, lang), t("panel.no_festsetzungen", lang)),
        status_block(plan, lang),
        texts_block(texts, lang),
        contributions_block(contributions, lang),
    ]


def line_details(line: dict, plan: dict | None, lang: str) -> list:
    """Panel content of a Baugrenze or Baulinie."""
    sentence = explain_baulinie(line, lang)
    return [
        html.P(t("panel.line", lang), className="kicker"),
        html.H2(str(line.get("art") or "Baugrenze"), id="panel-heading", tabIndex="-1"),
        _sentences([sentence] if sentence else [], t("panel.no_festsetzungen", lang)),
        html.P([t("panel.of_plan", lang), ": ", select_button(plan_label(plan), "bp_plan", plan["id"], plan["id"])])
        if plan else None,
    ]


def plan_details(plan: dict, zones: list[dict], texts: list[dict], contributions, lang: str) -> list:
    """Panel content of a Bebauungsplan: status, its zones in brief, texts, contributions."""
    # Zones with the same type and measures read the same: one line per kind, with a count.
    groups: dict[tuple[str, str], list[dict]] = {}
    for zone in zones:
        groups.setdefault((art_label(zone, lang), measures_label(zone, lang)), []).append(zone)
    zone_items = []
    for (label, measures), members in sorted(groups.items(), key=lambda item: (-len(item[1]), item[0])):
        name = f"{label} ({measures})"
        zone_items.append(html.Li([
            select_button(name, "bp_baugebiet", members[0]["id"], members[0].get("plan_id"),
                          aria_label=t("list.details_of", lang, name=name)),
            html.Span(f" – {t('panel.zone_count', lang, n=len(members))}", className="hint"),
        ]))
    return [
        html.P(t("panel.plan", lang), className="kicker"),
        html.H2(plan_label(plan), id="panel-heading", tabIndex="-1"),
        html.P(str(plan.get("beschreibung") or ""), className="hint") if plan.get("beschreibung") else None,
        status_block(plan, lang),
        html.H3(f"{t('panel.overview', lang)} ({len(zones)} {t('dash.zones', lang)})"),
        html.Ul(zone_items, className="zone-list") if zone_items else html.P(t("panel.no_festsetzungen", lang)),
        texts_block(texts, lang),
        contributions_block(contributions, lang),
    ]


def empty_panel(lang: str) -> list:
    return [html.H2(t("panel.title", lang), id="panel-heading", tabIndex="-1"),
            html.P(t("panel.empty", lang), className="hint")]


def layout(lang: str = "de") -> html.Div:
    """The card that shows the selection; the contribution form is added below it by ui.layout."""
    return html.Div(className="card", id="panel-card", children=[
        html.Div(className="btn-row", style={"justifyContent": "flex-end"}, children=[
            html.Button(T("panel.close"), id="panel-clear", className="btn secondary small", n_clicks=0),
        ]),
        html.Div(empty_panel(lang), id="panel-body", **{"aria-live": "polite"}),
    ])


def register(app, client, settings) -> None:
    def contributions_for(plan_id: str | None, catalog: dict | None):
        if not (catalog or {}).get("has_contributions"):
            return None
        try:
            return client.items("contributions", limit=200, plan_id=plan_id, cache=False) if plan_id else []
        except ApiError as err:
            LOG.info("contributions for %s not readable: %s", plan_id, err)
            return None

    @app.callback(Output("panel-body", "children"),
                  Input("selection", "data"), Input("lang", "data"), Input("catalog", "data"),
                  Input("contributions-version", "data"))
    def render(selection, lang, catalog, _version):
        selection = selection or {}
        collection, feature_id = selection.get("collection"), selection.get("id")
        if not collection or not feature_id:
            return empty_panel(lang)
        row = find(catalog, collection, feature_id) or {**(selection.get("properties") or {}), "id": feature_id}
        plan_id = row.get("plan_id") or selection.get("plan_id") or (feature_id if collection == "bp_plan" else None)
        plan = plan_of(catalog, plan_id)
        texts = [x for x in (catalog or {}).get("texts", []) if x.get("plan_id") == plan_id]
        if collection == "bp_baugebiet":
            return zone_details(row, plan, texts, contributions_for(plan_id, catalog), lang)
        if collection == "bp_baugrenze":
            return line_details(row, plan, lang)
        if collection == "bp_plan" and plan:
            zones = [z for z in (catalog or {}).get("zones", []) if z.get("plan_id") == plan_id]
            return plan_details(plan, zones, texts, contributions_for(plan_id, catalog), lang)
        return empty_panel(lang)

    @app.callback(Output("selection", "data", allow_duplicate=True),
                  Input({"type": "select", "where": ALL, "collection": ALL, "id": ALL, "plan": ALL}, "n_clicks"),
                  prevent_initial_call=True)
    def select(clicks):
        trigger = callback_context.triggered_id
        # Re-rendered buttons arrive with n_clicks 0: only a real click selects.
        if not isinstance(trigger, dict) or not any(c for c in (clicks or []) if c):
            return no_update
        value = next((item["value"] for item in callback_context.triggered if item.get("value")), None)
        if not value:
            return no_update
        return {"collection": trigger["collection"], "id": trigger["id"], "plan_id": trigger["plan"] or None,
                "source": "list"}

    @app.callback(Output("selection", "data", allow_duplicate=True), Input("panel-clear", "n_clicks"),
                  prevent_initial_call=True)
    def clear(n):
        return {} if n else no_update

    # Move keyboard focus to the panel heading when a list/search button opened it, once the
    # panel has re-rendered (focusing earlier would land on the heading about to be replaced).
    app.clientside_callback(
        """function (selection) {
            window.buergergis.focusPanel = !!(selection && selection.source === "list");
            return window.dash_clientside.no_update;
        }""",
        Output("focus-sink", "data", allow_duplicate=True), Input("selection", "data"), prevent_initial_call=True,
    )
    app.clientside_callback(
        """function (children) {
            if (window.buergergis.focusPanel) {
                window.buergergis.focusPanel = false;
                setTimeout(function () {
                    var h = document.getElementById("panel-heading");
                    if (h) { h.focus(); }
                }, 30);
            }
            return window.dash_clientside.no_update;
        }""",
        Output("focus-sink", "data", allow_duplicate=True), Input("panel-body", "children"), prevent_initial_call=True,
    )
