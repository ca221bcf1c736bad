"""Planner dashboard: counts read from the OGC API as accessible bar lists, and the moderation queue.

Bars are plain HTML (a labelled row per value) rather than a canvas chart, so
screen readers get the numbers. Without signing in the counts cover the public
(approved) contributions. Staff sign in with the Kommune's identity provider
("Anmelden" links to ``/auth/login``, OpenID Connect); the session lives on the
server, the browser holds only its HttpOnly cookie, which the callbacks forward
to the API (ui/api.py, with the session's CSRF token for writes). Moderators and
planners then see all contributions and approve or reject pending ones through
``POST /api/contributions/<id>/status`` — the API checks the role. Who is signed
in comes from ``/api/me``; an ended session is said so, and only public data shows.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from urllib.parse import urlencode

from dash import ALL, Input, Output, State, callback_context, dcc, html, no_update

from ui.api import ApiError, portal_path
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
    rows = [
        html.Li(
            className="bar-row",
            children=[
                html.Span(str(label)),
                html.Div(className="bar", style={"width": f"{100 * value / top:.0f}%"}, **{"aria-hidden": "true"}),
                html.Span(str(value)),
            ],
        )
        for label, value in items
    ]
    body = (
        html.Ul(rows, style={"listStyle": "none", "padding": 0, "margin": 0}) if rows else html.P(t("dash.none", lang))
    )
    return html.Div(className="card", children=[html.H3(title), body])


def kpi(label: str, value) -> html.Div:
    return html.Div(
        className="kpi", children=[html.Div("–" if value is None else str(value), className="value"), html.Div(label)]
    )


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
        rows.append(
            html.Tr(
                [
                    html.Td(text),
                    html.Td(
                        f"{value_label('form.kind', props.get('kind'), lang)} · "
                        f"{value_label('form.category', props.get('category'), lang)}"
                    ),
                    html.Td(plan_label(plan) if plan else "–"),
                    html.Td(str(props.get("pseudonym") or t("panel.anonymous", lang))),
                    html.Td(
                        html.Div(
                            className="btn-row",
                            children=[
                                html.Button(
                                    t("dash.approve", lang),
                                    id={"type": "moderate", "id": cid, "status": "freigegeben"},
                                    n_clicks=0,
                                    type="button",
                                    className="btn small",
                                    **{"aria-label": f"{t('dash.approve', lang)}: {short}"},
                                ),
                                html.Button(
                                    t("dash.reject", lang),
                                    id={"type": "moderate", "id": cid, "status": "abgelehnt"},
                                    n_clicks=0,
                                    type="button",
                                    className="btn secondary small",
                                    **{"aria-label": f"{t('dash.reject', lang)}: {short}"},
                                ),
                            ],
                        )
                    ),
                ]
            )
        )
    columns = ("col.text", "col.kind", "col.plan", "col.author", "col.action")
    return html.Div(
        [
            html.H3(t("dash.queue", lang)),
            html.Div(
                className="table-wrap",
                children=html.Table(
                    className="data",
                    id="moderation-table",
                    children=[
                        html.Caption(caption),
                        html.Thead(html.Tr([html.Th(t(c, lang), scope="col") for c in columns])),
                        html.Tbody(rows),
                    ],
                ),
            ),
        ]
    )


def layout(lang: str = "de") -> html.Section:
    return html.Section(
        id="view-dashboard",
        className="view dashboard",
        role="tabpanel",
        hidden=True,
        **{"aria-labelledby": "tab-dashboard"},
        children=[
            T("dash.region", html.H2),
            html.P(T("dash.intro"), className="hint"),
            html.Div(
                className="login-row",
                children=[
                    # "Anmelden" or "Angemeldet als … (Rolle)" with "Abmelden", from /api/me (no credential here)
                    html.Div(id="staff-session", className="staff-session", **{"aria-live": "polite"}),
                    html.Button(
                        T("dash.refresh"), id="dash-refresh", type="button", className="btn secondary small", n_clicks=0
                    ),
                ],
            ),
            html.Div(id="mod-feedback", role="status", className="msg", **{"aria-live": "polite"}),
            html.Div(id="dash-body", **{"aria-live": "polite"}),
        ],
    )


STAFF_ROLES = ("moderator", "planner", "admin")


def who_is_asking(client) -> tuple[dict, str | None]:
    """(``/api/me`` answer, problem): problem is "expired" (401), "bad_token" (403), "unavailable" or None."""
    try:
        me = client.get_site_json("api/me")
    except ApiError as err:
        return {}, {401: "expired", 403: "bad_token"}.get(err.status, "unavailable")
    return (me if isinstance(me, dict) else {}), None


def session_view(me: dict, problem: str | None, lang: str, portal: str) -> list:
    """Sign-in link, or "Angemeldet als NAME (Rolle)" with a sign-out form (plain HTML: works by keyboard)."""
    back = f"{portal}/?view=dashboard"
    if me.get("signed_in"):
        role = value_label("role", me.get("role"), lang)
        parts = [
            html.Span(t("dash.signed_in_as", lang, name=me.get("name") or "–", role=role), className="signed-in-as")
        ]
        if me.get("via") == "oidc" and me.get("csrf_token"):
            parts.append(
                html.Form(
                    method="post",
                    action=f"{portal}/auth/logout",
                    className="inline-form",
                    children=[
                        dcc.Input(type="hidden", name="csrf_token", value=me["csrf_token"], id="logout-csrf"),
                        dcc.Input(type="hidden", name="next", value=back, id="logout-next"),
                        html.Button(
                            t("dash.logout", lang), type="submit", id="logout-btn", className="btn secondary small"
                        ),
                    ],
                )
            )
        return parts
    parts = []
    if problem == "expired":
        parts.append(html.P(t("dash.session_expired", lang), className="msg error", role="alert"))
    if me.get("sign_in_available") or problem == "expired":
        parts.append(
            html.A(
                t("dash.login", lang),
                href=f"{portal}/auth/login?{urlencode({'next': back})}",
                id="login-link",
                className="btn small",
            )
        )
    elif problem != "unavailable":
        parts.append(html.P(t("dash.sign_in_unavailable", lang), className="hint"))
    return parts


def register(app, client, settings) -> None:
    portal = portal_path(settings.api_url)

    @app.callback(
        Output("staff-session", "children"),
        Output("dash-body", "children"),
        Input("active-tab", "data"),
        Input("dash-refresh", "n_clicks"),
        Input("lang", "data"),
        Input("contributions-version", "data"),
        State("catalog", "data"),
    )
    def render(tab, _n, lang, _version, catalog):
        if tab != "dashboard":
            return no_update, html.Div()
        me, problem = who_is_asking(client)
        staff = bool(me.get("signed_in")) and me.get("role") in STAFF_ROLES
        signed_in = session_view(me, problem, lang, portal)
        return signed_in, _body(lang, catalog, me, problem, staff)

    def _body(lang, catalog, me, problem, staff):
        counts = {}
        for key, collection in (
            ("plans", "bp_plan"),
            ("zones", "bp_baugebiet"),
            ("buildings", "buildings"),
            ("total", "contributions"),
        ):
            try:
                counts[key] = client.count(collection)
            except ApiError:
                counts[key] = None
        if counts["total"] is None:
            kpis = _kpis(counts, lang)
            return [kpis, html.P(t("dash.unavailable", lang), className="msg info")]
        # the visitor's session cookie goes along (ui/api.py): staff see every contribution, others the public ones
        try:
            features = client.items("contributions", skipGeometry="true", cache=False)
        except ApiError:
            return [_kpis(counts, lang), html.P(t("panel.load_error", lang), className="msg error")]
        if staff:
            note = html.P(t("dash.signed_in", lang), className="msg ok")
        elif problem in ("expired", "bad_token"):
            note = html.P(t("dash.bad_token" if problem == "bad_token" else "dash.public_only", lang), className="hint")
        elif me.get("signed_in"):
            note = html.P(t("dash.no_staff_role", lang), className="msg info")
        else:
            note = html.P(t("dash.public_only", lang), className="hint")
        counts["total"] = len(features)
        catalog = shared_catalog(client).resolve(catalog)
        by = contribution_counts(features, catalog, lang)
        return [
            _kpis(counts, lang),
            note,
            html.Div(
                className="charts",
                children=[
                    bars(t("dash.by_status", lang), by["status"], lang),
                    bars(t("dash.by_kind", lang), by["kind"], lang),
                    bars(t("dash.by_plan", lang), by["plan"], lang),
                    bars(t("dash.by_week", lang), by["week"], lang, sort_by_key=True),
                ],
            ),
            moderation_table(features, catalog, lang) if staff else None,
        ]

    @app.callback(
        Output("mod-feedback", "children"),
        Output("mod-feedback", "className"),
        Output("contributions-version", "data", allow_duplicate=True),
        Input({"type": "moderate", "id": ALL, "status": ALL}, "n_clicks"),
        State("contributions-version", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    def moderate(_clicks, version, lang):
        trigger = callback_context.triggered_id
        if not isinstance(trigger, dict) or not any(item.get("value") for item in callback_context.triggered):
            return no_update, no_update, no_update
        try:  # as the signed-in visitor: their session cookie and CSRF token (ui/api.py)
            reply = client.post_site_json(f"api/contributions/{trigger['id']}/status", {"status": trigger["status"]})
        except ApiError:
            return t("form.err.network", lang), "msg error", no_update
        if reply.status >= 400:
            from ui.contribute import message_for

            return message_for(reply.status, reply.body, lang)[1], "msg error", no_update
        return (
            t("dash.moderated", lang, status=value_label("status", trigger["status"], lang)),
            "msg ok",
            (version or 0) + 1,
        )


def _kpis(counts: dict, lang: str) -> html.Div:
    return html.Div(
        className="kpis",
        children=[
            kpi(t("dash.total", lang), counts.get("total")),
            kpi(t("dash.plans", lang), counts.get("plans")),
            kpi(t("dash.zones", lang), counts.get("zones")),
            kpi(t("dash.buildings", lang), counts.get("buildings")),
        ],
    )
