"""The details panel: a plan or zone in plain language, its status, texts and contributions.

Opened by clicking a zone/line/plan on the map, by the plan search, or by a
"Details" button in the list view. Rendering is split into small pure
functions (``zone_details``, ``plan_details`` …) so they can be tested without
a browser; the callback at the bottom only gathers data and calls them.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from dash import ALL, Input, Output, State, callback_context, dcc, html, no_update

from ui import procedure_info
from ui.api import ApiError
from ui.catalog import find, plan_label, plan_of, shared_catalog
from ui.festsetzungen import (
    art_label,
    explain,
    explain_baulinie,
    explain_rechtsstand,
    format_date,
    measures_label,
)
from ui.i18n import T, t, value_label
from ui.plan_contents import fetch_applicable, here_block, object_details, plan_status_line, validation_block

LOG = logging.getLogger(__name__)


def select_button(
    label: str,
    collection: str,
    feature_id: str,
    plan_id: str | None = None,
    aria_label: str | None = None,
    className: str = "link-button",
    where: str = "panel",
):
    """A button that selects an object (pattern id handled by one callback for all panels).

    ``where`` keeps ids unique when the same object is offered in several places.
    """
    props = {"aria-label": aria_label} if aria_label else {}
    return html.Button(
        label,
        id={"type": "select", "where": where, "collection": collection, "id": feature_id, "plan": plan_id or ""},
        className=className,
        n_clicks=0,
        type="button",
        **props,
    )


def _sentences(lines: list[str], empty: str) -> html.Ul | html.P:
    if not lines:
        return html.P(empty, className="hint")
    return html.Ul([html.Li(line) for line in lines], className="plain-list festsetzungen")


def status_block(plan: dict | None, lang: str) -> html.Div:
    """Rechtsstand and participation phase of a plan."""
    if not plan:
        return html.Div()
    status = explain_rechtsstand(plan, lang) or t("common.unknown", lang)
    dates = []
    for key, de, en in (
        ("rechtsverordnungs_datum", "Verordnung vom", "Ordinance of"),
        ("inkrafttretens_datum", "In Kraft seit", "In force since"),
        ("satzungsbeschluss_datum", "Beschlossen am", "Adopted on"),
        ("aufstellungsbeschluss_datum", "Aufstellungsbeschluss", "Decision to prepare"),
    ):
        if plan.get(key):
            dates.append(f"{en if lang == 'en' else de} {format_date(plan[key], lang)}")
    return html.Div(
        [
            html.H3(t("panel.status", lang)),
            html.P(status, className="rechtsstand"),
            html.P(" · ".join(dates), className="hint") if dates else None,
            html.H3(t("panel.participation", lang)),
            procedure_info.block(plan.get("procedure"), lang),
            feed_links(plan.get("id"), lang),
        ]
    )


def feed_links(plan_id: str | None, lang: str) -> html.P | None:
    """Links to the plan's Atom feeds (``api/feeds.py``): follow new contributions and procedures in a feed reader."""
    if not plan_id:
        return None
    plan = quote(str(plan_id), safe="")
    return html.P(
        [
            html.A(
                t("feeds.contributions", lang),
                href=f"/api/feeds/contributions.atom?plan={plan}",
                rel="alternate",
                className="feed-link",
            ),
            " · ",
            html.A(
                t("feeds.procedures", lang),
                href=f"/api/feeds/procedures.atom?plan={plan}",
                rel="alternate",
                className="feed-link",
            ),
        ],
        className="hint",
    )


def texts_block(texts: list[dict], lang: str) -> html.Details:
    """The plan's textual Festsetzungen, collapsed (they are long)."""
    body = (
        [html.P(t("panel.no_texts", lang), className="hint")]
        if not texts
        else [
            html.Div(
                [html.Strong(str(text.get("schluessel") or "")), html.Div(str(text.get("text") or ""))],
                className="text-block",
            )
            for text in texts
        ]
    )
    return html.Details([html.Summary(f"{t('panel.texts', lang)} ({len(texts)})"), *body])


def contribution_item(feature: dict, replies: list[dict], lang: str, liked: bool = False) -> html.Article:
    """One contribution with its replies, like and reply buttons; user text only ever as text.

    The like button is a toggle (``aria-pressed``): pressed once this browser liked it, a second press takes
    the like back. A contribution not yet approved (its author sees it) can be neither liked nor answered --
    nobody else sees it yet -- and says so instead of offering buttons that would fail.
    """
    props = feature.get("properties") or {}
    cid = str(feature.get("id", props.get("id", "")))
    who = props.get("pseudonym") or t("panel.anonymous", lang)
    when = format_date(props.get("created_at") or props.get("created"), lang)
    likes = int(props.get("like_count") or props.get("likes") or 0)
    meta = [who, when]
    pending = bool(props.get("status")) and props["status"] != "freigegeben"
    if pending:
        meta.append(value_label("status", props["status"], lang))  # e.g. the author's own, still pending
    if pending:
        actions = html.P(t("panel.pending_actions", lang), className="pending-note")
    else:
        label = f"{t('panel.like', lang)} ({likes})"  # a toggle keeps its label; aria-pressed tells the state
        actions = html.Div(
            className="btn-row",
            children=[
                html.Button(
                    label,
                    id={"type": "like", "id": cid},
                    n_clicks=0,
                    type="button",
                    className="btn secondary small",
                    title=t("panel.like_withdraw", lang) if liked else None,
                    **{
                        "aria-pressed": "true" if liked else "false",
                        "aria-label": f"{t('panel.like', lang)}: {t('panel.like_count', lang, n=likes)}",
                    },
                ),
                html.Button(
                    t("panel.reply", lang),
                    id={"type": "reply", "id": cid},
                    n_clicks=0,
                    type="button",
                    className="btn secondary small",
                ),
            ],
        )
    return html.Article(
        className="contribution",
        children=[
            html.Div(str(props.get("text") or "")),  # Dash escapes text: user input stays text
            html.Div(" · ".join(m for m in meta if m), className="meta"),
            actions,
            html.Div(
                className="replies",
                children=[
                    html.Div(
                        className="contribution reply",
                        children=[
                            html.Div(str((r.get("properties") or {}).get("text") or "")),
                            html.Div(
                                " · ".join(
                                    x
                                    for x in (
                                        (r.get("properties") or {}).get("pseudonym") or t("panel.anonymous", lang),
                                        format_date((r.get("properties") or {}).get("created_at"), lang),
                                    )
                                    if x
                                ),
                                className="meta",
                            ),
                        ],
                    )
                    for r in replies
                ],
            )
            if replies
            else None,
        ],
    )


def contributions_block(items: list[dict] | None, lang: str, liked: list | None = None) -> html.Div:
    """Contributions about the plan, replies under their parent; ``None``: the collection does not exist.

    ``liked``: ids this browser liked (kept in its local storage), shown as pressed like buttons.
    """
    heading = html.H3(t("panel.contributions", lang))
    if items is None:
        return html.Div([heading, html.P(t("panel.contributions_unavailable", lang), className="hint")])
    top = [f for f in items if not (f.get("properties") or {}).get("parent_id")]
    if not top:
        return html.Div([heading, html.P(t("panel.no_contributions", lang), className="hint")])
    children: dict[str, list] = {}
    for feature in items:
        parent = (feature.get("properties") or {}).get("parent_id")
        if parent:
            children.setdefault(str(parent), []).append(feature)
    top.sort(key=lambda f: str((f.get("properties") or {}).get("created_at") or ""), reverse=True)
    mine = {str(i) for i in liked or []}
    return html.Div(
        [
            heading,
            *[
                contribution_item(f, children.get(str(f.get("id")), []), lang, str(f.get("id")) in mine)
                for f in top[:50]
            ],
        ]
    )


def zone_details(
    zone: dict, plan: dict | None, texts: list[dict], contributions, lang: str, liked: list | None = None
) -> list:
    """Panel content of a Baugebietsteilfläche."""
    plan_link = None
    if plan:
        plan_link = html.P(
            [t("panel.of_plan", lang), ": ", select_button(plan_label(plan), "bp_plan", plan["id"], plan["id"])]
        )
    return [
        html.P(t("panel.zone", lang), className="kicker"),
        html.H2(art_label(zone, lang), id="panel-heading", tabIndex="-1"),
        plan_link,
        html.H3(t("panel.festsetzungen", lang)),
        _sentences(explain(zone, lang), t("panel.no_festsetzungen", lang)),
        status_block(plan, lang),
        texts_block(texts, lang),
        contributions_block(contributions, lang, liked),
    ]


def line_details(line: dict, plan: dict | None, lang: str) -> list:
    """Panel content of a Baugrenze or Baulinie."""
    sentence = explain_baulinie(line, lang)
    return [
        html.P(t("panel.line", lang), className="kicker"),
        html.H2(str(line.get("art") or "Baugrenze"), id="panel-heading", tabIndex="-1"),
        _sentences([sentence] if sentence else [], t("panel.no_festsetzungen", lang)),
        html.P([t("panel.of_plan", lang), ": ", select_button(plan_label(plan), "bp_plan", plan["id"], plan["id"])])
        if plan
        else None,
    ]


def plan_details(
    plan: dict, zones: list[dict], texts: list[dict], contributions, lang: str, liked: list | None = None
) -> list:
    """Panel content of a Bebauungsplan: status, its zones in brief, texts, contributions."""
    # Zones with the same type and measures read the same: one line per kind, with a count.
    groups: dict[tuple[str, str], list[dict]] = {}
    for zone in zones:
        groups.setdefault((art_label(zone, lang), measures_label(zone, lang)), []).append(zone)
    zone_items = []
    for (label, measures), members in sorted(groups.items(), key=lambda item: (-len(item[1]), item[0])):
        name = f"{label} ({measures})"
        zone_items.append(
            html.Li(
                [
                    select_button(
                        name,
                        "bp_baugebiet",
                        members[0]["id"],
                        members[0].get("plan_id"),
                        aria_label=t("list.details_of", lang, name=name),
                    ),
                    html.Span(f" – {t('panel.zone_count', lang, n=len(members))}", className="hint"),
                ]
            )
        )
    return [
        html.P(t("panel.plan", lang), className="kicker"),
        html.H2(plan_label(plan), id="panel-heading", tabIndex="-1"),
        html.P(str(plan.get("beschreibung") or ""), className="hint") if plan.get("beschreibung") else None,
        status_block(plan, lang),
        html.H3(f"{t('panel.overview', lang)} ({t('panel.zone_count', lang, n=len(zones))})"),
        html.Ul(zone_items, className="zone-list") if zone_items else html.P(t("panel.no_festsetzungen", lang)),
        texts_block(texts, lang),
        contributions_block(contributions, lang, liked),
    ]


def xplan_plan_details(plan: dict, counts: list[tuple[str, int]], lang: str) -> list:
    """Panel content of a plan of any type (``xplan_plan``: FNP, Landschaftsplan, …): status, report, contents."""
    name = " ".join(str(v) for v in (plan.get("name"), f"({plan['nummer']})" if plan.get("nummer") else None) if v)
    return [
        html.P(plan_status_line(plan, lang), className="kicker"),
        html.H2(name or str(plan.get("id")), id="panel-heading", tabIndex="-1"),
        html.P(str(plan.get("rechtsstand_label") or ""), className="hint") if plan.get("rechtsstand_label") else None,
        html.H3(t("panel.overview", lang)),
        html.Ul([html.Li(f"{title}: {n}") for title, n in counts], className="plain-list") if counts else None,
        validation_block(plan, lang),
    ]


def here_section(client, selection: dict, row: dict | None, lang: str):
    """ "What applies here" at the centre of the selected object (None when it has no place)."""
    box = (row or {}).get("bbox") or selection.get("bbox")
    try:
        (south, west), (north, east) = box
        lon, lat = (float(west) + float(east)) / 2, (float(south) + float(north)) / 2
    except (TypeError, ValueError):
        return None
    try:
        return here_block(fetch_applicable(client, lon, lat), lang)
    except ApiError as err:
        LOG.info("what applies at %s,%s not readable: %s", lon, lat, err)
        return None


def empty_panel(lang: str) -> list:
    return [
        html.H2(t("panel.title", lang), id="panel-heading", tabIndex="-1"),
        html.P(t("panel.empty", lang), className="hint"),
    ]


def layout(lang: str = "de") -> html.Div:
    """The card that shows the selection; the contribution form is added below it by ui.layout."""
    return html.Div(
        className="card",
        id="panel-card",
        children=[
            html.Div(
                className="btn-row",
                style={"justifyContent": "flex-end"},
                children=[
                    html.Button(T("panel.close"), id="panel-clear", className="btn secondary small", n_clicks=0),
                ],
            ),
            html.Div(empty_panel(lang), id="panel-body", **{"aria-live": "polite"}),
            html.P(id="like-feedback", role="status", className="hint"),
            # Contributions this browser liked (a second press takes the like back).
            dcc.Store(id="liked-contributions", storage_type="local", data=[]),
        ],
    )


def register(app, client, settings) -> None:
    def contributions_for(plan_id: str | None, catalog: dict | None, secret: str | None):
        if not (catalog or {}).get("has_contributions"):
            return None
        if not plan_id:
            return []
        headers = {"X-Contribution-Secret": secret} if secret else None  # the author also sees their pending ones
        try:
            return client.items("contributions", limit=500, plan_id=plan_id, cache=False, headers=headers)
        except ApiError as err:
            LOG.info("contributions for %s not readable: %s", plan_id, err)
            return None

    @app.callback(
        Output("panel-body", "children"),
        Input("selection", "data"),
        Input("lang", "data"),
        Input("catalog", "data"),
        Input("contributions-version", "data"),
        State("author-secret", "data"),
        State("liked-contributions", "data"),
        prevent_initial_call=True,  # nothing is selected at first: the layout's empty panel
    )
    def render(selection, lang, catalog, _version, secret, liked):
        catalog = shared_catalog(client).resolve(catalog)
        selection = selection or {}
        collection, feature_id = selection.get("collection"), selection.get("id")
        if not collection or not feature_id:
            return empty_panel(lang)
        row = find(catalog, collection, feature_id) or {**(selection.get("properties") or {}), "id": feature_id}
        plan_id = row.get("plan_id") or selection.get("plan_id") or (feature_id if collection == "bp_plan" else None)
        plan = plan_of(catalog, plan_id)
        if plan:
            plan = {**plan, "procedure": procedure_info.current(procedure_info.fetch(client, plan_id))}
        texts = [x for x in (catalog or {}).get("texts", []) if x.get("plan_id") == plan_id]
        if collection == "bp_baugebiet":
            return [
                *zone_details(row, plan, texts, contributions_for(plan_id, catalog, secret), lang, liked),
                here_section(client, selection, row, lang),
            ]
        if collection == "bp_baugrenze":
            return [*line_details(row, plan, lang), here_section(client, selection, row, lang)]
        if collection == "bp_plan" and plan:
            zones = [z for z in (catalog or {}).get("zones", []) if z.get("plan_id") == plan_id]
            report = full_plan(plan_id)
            return [
                *plan_details(plan, zones, texts, contributions_for(plan_id, catalog, secret), lang, liked),
                validation_block(report, lang) if report else None,
            ]
        if collection == "xplan_plan":
            report = full_plan(feature_id)
            if report:
                return xplan_plan_details(report, object_counts(feature_id, lang), lang)
        if collection == "xplan_objekt":
            try:
                feature = client.get_json(f"collections/xplan_objekt/items/{feature_id}")
            except ApiError:
                return empty_panel(lang)
            from ui.catalog import bbox_of

            return [
                *object_details(feature, lang),
                here_section(client, {"bbox": bbox_of(feature.get("geometry"))}, None, lang),
            ]
        return empty_panel(lang)

    def full_plan(plan_id: str | None) -> dict | None:
        """The plan's ``xplan_plan`` row (Rechtsstand of every plan type, validation report)."""
        if not plan_id:
            return None
        try:
            feature = client.get_json(f"collections/xplan_plan/items/{plan_id}")
        except ApiError:
            return None
        return {**(feature.get("properties") or {}), "id": feature.get("id")}

    def object_counts(plan_id: str, lang: str) -> list[tuple[str, int]]:
        """(group title, number of objects) of a plan, in the groups' order."""
        from collections import Counter

        from ui.xplan_classes import class_info, groups

        try:
            features = client.all_items("xplan_objekt", plan_id=plan_id, skipGeometry="true", properties="xplan_class")
        except ApiError:
            return []
        counts = Counter(class_info((f.get("properties") or {}).get("xplan_class")).group for f in features)
        return [(title, counts[key]) for key, title in groups(lang) if counts.get(key)]

    @app.callback(
        Output("contributions-version", "data", allow_duplicate=True),
        Output("liked-contributions", "data"),
        Output("like-feedback", "children"),
        Input({"type": "like", "id": ALL}, "n_clicks"),
        State("voter-id", "data"),
        State("contributions-version", "data"),
        State("liked-contributions", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    def like(clicks, voter, version, liked, lang):
        """A press likes; a press on a pressed button takes the like back (``DELETE …/like``)."""
        trigger = callback_context.triggered_id
        if not isinstance(trigger, dict) or not any(item.get("value") for item in callback_context.triggered):
            return no_update, no_update, no_update
        cid = str(trigger["id"])
        liked = [str(i) for i in liked or []]
        method = "DELETE" if cid in liked else "POST"
        try:
            reply = client.send_site_json(
                method, f"api/contributions/{cid}/like", {} if method == "POST" else None, {"X-Voter-Id": voter or ""}
            )
        except ApiError as err:
            LOG.info("like failed: %s", err)
            return no_update, no_update, t("panel.like_failed", lang, detail=t("form.err.network", lang))
        if reply.status not in (200, 201):
            from ui.contribute import localized

            detail = (
                localized(str((reply.body or {}).get("description") or ""), lang)
                if isinstance(reply.body, dict)
                else None
            )
            return no_update, no_update, t("panel.like_failed", lang, detail=f"{reply.status} {detail or ''}".strip())
        now_liked = (
            bool((reply.body or {}).get("liked", method == "POST"))
            if isinstance(reply.body, dict)
            else method == "POST"
        )
        liked = [i for i in liked if i != cid] + ([cid] if now_liked else [])
        return (version or 0) + 1, liked[-500:], ""

    @app.callback(
        Output("reply-to", "data"), Input({"type": "reply", "id": ALL}, "n_clicks"), prevent_initial_call=True
    )
    def reply(clicks):
        trigger = callback_context.triggered_id
        if not isinstance(trigger, dict) or not any(item.get("value") for item in callback_context.triggered):
            return no_update
        try:
            feature = client.get_json(f"collections/contributions/items/{trigger['id']}", cache=False)
        except ApiError:
            return no_update
        return {
            "id": trigger["id"],
            "text": (feature.get("properties") or {}).get("text"),
            "geometry": feature.get("geometry"),
        }

    # A random per-browser id for likes (one like per person), made once and kept locally.
    app.clientside_callback(
        """function (_path, current) {
            if (current) { return window.dash_clientside.no_update; }
            var bytes = new Uint8Array(24);
            window.crypto.getRandomValues(bytes);
            return Array.from(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
        }""",
        Output("voter-id", "data"),
        Input("url", "pathname"),
        State("voter-id", "data"),
    )

    @app.callback(
        Output("selection", "data", allow_duplicate=True),
        Input({"type": "select", "where": ALL, "collection": ALL, "id": ALL, "plan": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )
    def select(clicks):
        trigger = callback_context.triggered_id
        # Re-rendered buttons arrive with n_clicks 0: only a real click selects.
        if not isinstance(trigger, dict) or not any(c for c in (clicks or []) if c):
            return no_update
        value = next((item["value"] for item in callback_context.triggered if item.get("value")), None)
        if not value:
            return no_update
        return {
            "collection": trigger["collection"],
            "id": trigger["id"],
            "plan_id": trigger["plan"] or None,
            "source": "list",
        }

    @app.callback(
        Output("selection", "data", allow_duplicate=True), Input("panel-clear", "n_clicks"), prevent_initial_call=True
    )
    def clear(n):
        return {} if n else no_update

    # Move keyboard focus to the panel heading when a list/search button opened it, once the
    # panel has re-rendered (focusing earlier would land on the heading about to be replaced).
    app.clientside_callback(
        """function (selection) {
            window.buergergis.focusPanel = !!(selection && selection.source === "list");
            return window.dash_clientside.no_update;
        }""",
        Output("focus-sink", "data", allow_duplicate=True),
        Input("selection", "data"),
        prevent_initial_call=True,
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
        Output("focus-sink", "data", allow_duplicate=True),
        Input("panel-body", "children"),
        prevent_initial_call=True,
    )
