"""Verwaltung / Administration: the staff screens of participation procedures, behind one view tab.

Three screens, each its own module:

* ``ui.procedures`` (planners): the procedures, a form to open and change one, closing one;
* ``ui.moderation`` (moderators and planners): the queue of contributions with filters, one item with its
  location, duplicates and status actions, and bulk approve/reject;
* ``ui.abwaegung`` (planners): the statements of a procedure, the Abwägung editor, answer templates,
  the Abwägungstabelle downloads, publishing the results and the audit trail.

Who is signed in comes from ``/api/me``: the callbacks run inside the browser's request, and
``ui.api.ApiClient`` forwards its session cookie (and, from our own page, the session's CSRF token), so every
call acts as the signed-in person. The API checks each role itself; the UI only leaves out what a role
cannot use. A visitor who is not signed in sees a short note and the sign-in link.

The helpers here are shared by the three screens: dates in Europe/Berlin, the API's bilingual messages in
the visitor's language, and a PUT (``ApiClient`` has GET and POST only).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from dash import Input, Output, State, callback_context, dcc, html, no_update

from ui.api import ApiError, portal_path
from ui.i18n import T, t, value_label

LOG = logging.getLogger(__name__)

LOCAL_TZ = ZoneInfo("Europe/Berlin")
SCREENS = ("procedures", "moderation", "abwaegung")
MODERATORS = ("moderator", "planner", "admin")
PLANNERS = ("planner", "admin")
#: Which roles see which screen (the API enforces the same, see api/access.py).
SCREEN_ROLES = {"procedures": PLANNERS, "moderation": MODERATORS, "abwaegung": PLANNERS}


# -- dates -----------------------------------------------------------------------------------------------------


def _moment(value) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_TZ)
    return moment.astimezone(LOCAL_TZ)


def local_date(value) -> str:
    """``dd.mm.yyyy`` in Europe/Berlin (``–`` for nothing).

    >>> local_date("2026-12-04T23:00:00.000Z")
    '05.12.2026'
    """
    moment = _moment(value)
    return moment.strftime("%d.%m.%Y") if moment else "–"


def local_datetime(value) -> str:
    """``dd.mm.yyyy, HH:MM`` in Europe/Berlin.

    >>> local_datetime("2026-07-01T08:30:00Z")
    '01.07.2026, 10:30'
    """
    moment = _moment(value)
    return moment.strftime("%d.%m.%Y, %H:%M") if moment else "–"


def last_day(value) -> datetime | None:
    """The last day an end moment includes: a procedure "bis 17.01." ends at 18.01. 00:00 local time."""
    moment = _moment(value)
    if moment is None:
        return None
    if (moment.hour, moment.minute, moment.second) == (0, 0, 0):
        moment -= timedelta(days=1)
    return moment


def end_date(value) -> str:
    """The end of a period as people read it: ``2027-01-17T23:00Z`` (18.01. 00:00 Berlin) is "17.01.2027".

    >>> end_date("2027-01-17T23:00:00.000Z"), end_date("2027-01-17T12:00:00Z")
    ('17.01.2027', '17.01.2027')
    """
    moment = last_day(value)
    return moment.strftime("%d.%m.%Y") if moment else "–"


def form_date(value, end: bool = False) -> str | None:
    """``yyyy-mm-dd`` for a date field: the local start day, or (``end``) the last day included."""
    moment = last_day(value) if end else _moment(value)
    return moment.strftime("%Y-%m-%d") if moment else None


def local_day(value) -> str | None:
    """``yyyy-mm-dd`` of a moment in Europe/Berlin (to compare with date fields)."""
    moment = _moment(value)
    return moment.strftime("%Y-%m-%d") if moment else None


# -- API answers -----------------------------------------------------------------------------------------------


def localized(detail: str, lang: str) -> str:
    """The half of a bilingual API message (``"Deutsch … / English …"``) in ``lang``."""
    if " / " not in detail:
        return detail
    german, english = detail.split(" / ", 1)
    return english.strip() if lang == "en" else german.strip()


def api_error(status: int | None, body_or_detail, lang: str) -> str:
    """What went wrong, in the visitor's language: the API's own message where it sent one."""
    if status is None:
        return t("form.err.network", lang)
    detail = body_or_detail
    if isinstance(body_or_detail, dict):
        detail = str(body_or_detail.get("description") or body_or_detail.get("detail") or "")
    detail = localized(str(detail or ""), lang)[:400]
    if status == 401:
        return t("admin.err.401", lang)
    if status == 403:
        return f"{t('admin.err.403', lang)} {detail}".strip()
    if status >= 500:
        return t("form.err.5xx", lang, status=status)
    return t("admin.err.4xx", lang, status=status, detail=detail or "–")


def write(client, method: str, path: str, body: dict | None, lang: str) -> tuple[dict | None, str | None]:
    """(answer, None) after a successful POST/PUT, or (None, the message to show)."""
    try:
        reply = client.send_site_json(method, path, body or {})
    except ApiError as err:
        LOG.warning("%s %s failed: %s", method, path, err)
        return None, api_error(None, None, lang)
    if reply.status >= 400:
        return None, api_error(reply.status, reply.body if reply.body is not None else reply.text[:200], lang)
    return (reply.body if isinstance(reply.body, dict) else {}), None


def read(client, path: str, params: dict | None = None):
    """GET a site route as the visitor; (answer, None) or (None, (status, detail))."""
    try:
        return client.get_site_json(path, params), None
    except ApiError as err:
        return None, (err.status, err.detail)


# -- who may see what ------------------------------------------------------------------------------------------


def visible_screens(role: str | None) -> list[str]:
    """The screens of a role, in tab order.

    >>> visible_screens("moderator"), visible_screens("planner"), visible_screens("citizen")
    (['moderation'], ['procedures', 'moderation', 'abwaegung'], [])
    """
    return [screen for screen in SCREENS if role in SCREEN_ROLES[screen]]


def who_is_asking(client) -> tuple[dict, str | None]:
    """(``/api/me`` answer, problem): problem is "expired" (401), "bad_token" (403), "unavailable" or None."""
    try:
        me = client.get_site_json("api/me")
    except ApiError as err:
        return {}, {401: "expired", 403: "bad_token"}.get(err.status, "unavailable")
    return (me if isinstance(me, dict) else {}), None


def session_view(me: dict, problem: str | None, lang: str, portal: str) -> list:
    """ "Angemeldet als NAME (Rolle)" with a sign-out form, or the sign-in link (plain HTML: works by keyboard)."""
    back = f"{portal}/?view=admin"
    if me.get("signed_in"):
        parts = [
            html.Span(
                t(
                    "dash.signed_in_as",
                    lang,
                    name=me.get("name") or "–",
                    role=value_label("role", me.get("role"), lang),
                ),
                className="signed-in-as",
            )
        ]
        if me.get("via") == "oidc" and me.get("csrf_token"):
            parts.append(
                html.Form(
                    method="post",
                    action=f"{portal}/auth/logout",
                    className="inline-form",
                    children=[
                        dcc.Input(type="hidden", name="csrf_token", value=me["csrf_token"], id="admin-logout-csrf"),
                        dcc.Input(type="hidden", name="next", value=back, id="admin-logout-next"),
                        html.Button(
                            t("dash.logout", lang),
                            type="submit",
                            id="admin-logout-btn",
                            className="btn secondary small",
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
                id="admin-login-link",
                className="btn small",
            )
        )
    elif problem != "unavailable":
        parts.append(html.P(t("dash.sign_in_unavailable", lang), className="hint"))
    return parts


def note_for(me: dict, problem: str | None, lang: str) -> list:
    """What a visitor without a staff role reads instead of the screens."""
    if me.get("signed_in") and me.get("role") not in MODERATORS:
        return [html.P(t("admin.no_role", lang), className="msg info")]
    return [html.P(t("admin.citizen_note", lang), className="msg info")]


# -- layout and callbacks ----------------------------------------------------------------------------------------


def screen_tabs() -> html.Div:
    return html.Div(
        className="tablist sub-tabs",
        role="tablist",
        id="admin-screens",
        **{"aria-label": "Bereiche der Verwaltung"},
        children=[
            html.Button(
                T(f"admin.screen.{key}"),
                id=f"admin-tab-{key}",
                className="tab",
                role="tab",
                type="button",
                n_clicks=0,
                hidden=True,
                **{"aria-selected": "false", "aria-controls": f"admin-panel-{key}"},
            )
            for key in SCREENS
        ],
    )


def layout(lang: str = "de") -> html.Section:
    from ui import abwaegung, moderation, procedures

    return html.Section(
        id="view-admin",
        className="view admin-view",
        role="tabpanel",
        hidden=True,
        **{"aria-labelledby": "tab-admin"},
        children=[
            T("admin.region", html.H2),
            html.P(T("admin.intro"), className="hint"),
            html.Div(
                className="login-row",
                children=[
                    html.Div(id="admin-session", className="staff-session", **{"aria-live": "polite"}),
                    html.Button(
                        T("dash.refresh"),
                        id="admin-refresh",
                        type="button",
                        className="btn secondary small",
                        n_clicks=0,
                    ),
                ],
            ),
            html.Div(id="admin-note"),
            dcc.Store(id="admin-me", data={}),
            dcc.Store(id="admin-screen", data=None),
            # bumped after every write, so the lists of all three screens read again
            dcc.Store(id="admin-version", data=0),
            html.Div(
                id="admin-area",
                hidden=True,
                children=[
                    screen_tabs(),
                    html.Section(
                        id="admin-panel-procedures",
                        className="admin-panel",
                        role="tabpanel",
                        hidden=True,
                        **{"aria-labelledby": "admin-tab-procedures"},
                        children=procedures.layout(lang),
                    ),
                    html.Section(
                        id="admin-panel-moderation",
                        className="admin-panel",
                        role="tabpanel",
                        hidden=True,
                        **{"aria-labelledby": "admin-tab-moderation"},
                        children=moderation.layout(lang),
                    ),
                    html.Section(
                        id="admin-panel-abwaegung",
                        className="admin-panel",
                        role="tabpanel",
                        hidden=True,
                        **{"aria-labelledby": "admin-tab-abwaegung"},
                        children=abwaegung.layout(lang),
                    ),
                ],
            ),
        ],
    )


def active(screen: str, tab, me, current) -> bool:
    """Should ``screen`` render now: the admin view shown, the screen chosen, the role allowed."""
    return tab == "admin" and current == screen and (me or {}).get("role") in SCREEN_ROLES[screen]


def register(app, client, settings) -> None:
    from ui import abwaegung, moderation, procedures

    portal = portal_path(settings.api_url)

    @app.callback(
        Output("admin-session", "children"),
        Output("admin-note", "children"),
        Output("admin-area", "hidden"),
        Output("admin-me", "data"),
        Output("admin-screens", "aria-label"),
        Input("active-tab", "data"),
        Input("admin-refresh", "n_clicks"),
        Input("lang", "data"),
    )
    def frame(tab, _n, lang):
        if tab != "admin":
            return (no_update,) * 5
        me, problem = who_is_asking(client)
        staff = bool(me.get("signed_in")) and me.get("role") in MODERATORS
        # only what the screens need to choose what to show; the API decides what is allowed
        kept = {"role": me.get("role") if staff else None, "name": me.get("name")}
        return (
            session_view(me, problem, lang, portal),
            [] if staff else note_for(me, problem, lang),
            not staff,
            kept,
            t("admin.screens", lang),
        )

    @app.callback(
        Output("admin-screen", "data"),
        *[Output(f"admin-tab-{key}", "hidden") for key in SCREENS],
        *[Output(f"admin-tab-{key}", "aria-selected") for key in SCREENS],
        *[Output(f"admin-panel-{key}", "hidden") for key in SCREENS],
        *[Input(f"admin-tab-{key}", "n_clicks") for key in SCREENS],
        Input("admin-me", "data"),
        State("admin-screen", "data"),
    )
    def choose_screen(*args):
        me, current = args[-2], args[-1]
        allowed = visible_screens((me or {}).get("role"))
        trigger = callback_context.triggered_id
        if isinstance(trigger, str) and trigger.startswith("admin-tab-"):
            current = trigger[len("admin-tab-") :]
        if current not in allowed:
            current = allowed[0] if allowed else None
        return (
            current,
            *[key not in allowed for key in SCREENS],
            *["true" if key == current else "false" for key in SCREENS],
            *[key != current for key in SCREENS],
        )

    for module in (procedures, moderation, abwaegung):
        module.register(app, client, settings)


def choices(
    group_id: str,
    options: list[tuple[str, object]],
    selected,
    label: str,
    *,
    multi: bool = False,
    className: str = "choice-group chips",
) -> html.Div:
    """:func:`ui.controls.choice_group` for content a callback renders: the label is plain text in the
    visitor's language (``T`` starts German and follows only later switches)."""
    from ui.controls import choice_buttons

    label_id = f"{group_id}-label"
    return html.Div(
        className="field",
        children=[
            html.Span(label, id=label_id, className="label"),
            html.Div(
                choice_buttons(group_id, options, selected, multi=multi),
                role="group",
                className=className,
                id=f"{group_id}-buttons",
                **{"aria-labelledby": label_id},
            ),
            dcc.Store(id=group_id, data=list(selected or []) if multi else selected),
        ],
    )


def data_table(
    table_id: str,
    caption: str,
    columns: tuple[str, ...],
    rows: list[list],
    lang: str,
    cell_classes: dict[int, str] | None = None,
) -> html.Div:
    """An accessible table (caption, column headers with scope); every cell carries its column's name in
    ``data-label``, which a phone shows above the cell when the rows become cards (assets/staff.css)."""
    names = [t(c, lang) for c in columns]
    body = [
        html.Tr(
            [
                html.Td(
                    cell,
                    **{"data-label": names[n]},
                    **({"className": cell_classes[n]} if cell_classes and n in cell_classes else {}),
                )
                for n, cell in enumerate(row)
            ]
        )
        for row in rows
    ]
    return html.Div(
        className="table-wrap",
        children=html.Table(
            className="data",
            id=table_id,
            children=[
                html.Caption(caption),
                html.Thead(html.Tr([html.Th(name, scope="col") for name in names])),
                html.Tbody(body),
            ],
        ),
    )
