"""Verwaltung → Verfahren (planners): the participation procedures, and a form to open or change one.

The list reads ``GET /api/procedures`` (public) and counts each procedure's statements in the
contributions the signed-in planner sees (``procedure_id``). The form sends ``POST /api/procedures``
(open) or ``PUT /api/procedures/<id>`` (change); "Beenden" asks once more, then sends
``POST /api/procedures/<id>/close``. What the API answers is shown as it says it: its ``warnings``
(e.g. a § 3 (2) publication shorter than 30 days) after a save, its 4xx message when it refuses.

Dates are entered as days (native date fields, Europe/Berlin) and sent as ``yyyy-mm-dd``; the API reads
a bare end date as "until the end of that day", and the list shows the last day included.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from dash import ALL, Input, Output, State, callback_context, dcc, html, no_update

from ui.admin import _moment, active, data_table, end_date, form_date, local_date, localized, read, write
from ui.api import ApiError
from ui.catalog import plan_label, shared_catalog
from ui.controls import choice_buttons, choice_group, register_choice_group
from ui.i18n import T, t, value_label

KINDS = ("fruehzeitig", "veroeffentlichung", "behoerden", "informell")
CONTRIBUTION_KINDS = ("kommentar", "vorschlag", "maengelmeldung")
DEFAULT_ALLOWED = ["kommentar", "vorschlag"]
#: Plan buttons shown at once; a city's further plans are found through the filter.
PLAN_BUTTONS_MAX = 40
FIELDS = ("title_de", "title_en", "description_de", "description_en", "prefix", "opens", "closes")


class FormProblem(ValueError):
    """Something the planner must fill in before sending; ``key`` names the message in ui.i18n."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


# -- pure parts --------------------------------------------------------------------------------------------------


def title_of(proc: dict, lang: str) -> str:
    return str((proc.get("title_en") if lang == "en" else None) or proc.get("title_de") or proc.get("id") or "–")


def kind_label(proc: dict, lang: str) -> str:
    """The API's label of the kind (``kind_label_de``/``_en``), else ours."""
    return str(
        proc.get("kind_label_en" if lang == "en" else "kind_label_de")
        or value_label("proc.kind", proc.get("kind"), lang)
    )


def phase(proc: dict, now: datetime | None = None) -> str:
    """ "open", "upcoming", "closed_early" or "ended" (``open_now`` as the API computed it wins)."""
    if proc.get("open_now"):
        return "open"
    now = now or datetime.now(UTC)
    opens, closes, closed = (_moment(proc.get(k)) for k in ("opens_at", "closes_at", "closed_at"))
    if closed is not None and (closes is None or closed < closes):
        return "closed_early"
    if opens is not None and opens > now:
        return "upcoming"
    return "ended"


def state_of(proc: dict, lang: str, now: datetime | None = None) -> tuple[str, str]:
    """(text, badge class) of where a procedure stands: open with days left, upcoming, ended."""
    current = phase(proc, now)
    if current == "open":
        days = proc.get("days_left")
        text = t("proc.open_day", lang) if days == 1 else t("proc.open_days", lang, n=days if days is not None else "–")
        return text, "badge open"
    if current == "closed_early":
        return t("proc.closed_early", lang, date=local_date(proc.get("closed_at"))), "badge closed"
    if current == "upcoming":
        return t("proc.upcoming", lang, date=local_date(proc.get("opens_at"))), "badge"
    return t("proc.ended", lang, date=end_date(proc.get("closes_at"))), "badge closed"


def period(proc: dict) -> str:
    """``05.12.2026 – 17.01.2027`` (the last day included)."""
    return f"{local_date(proc.get('opens_at'))} – {end_date(proc.get('closes_at'))}"


def statement_counts(features: list[dict]) -> Counter:
    """Contributions per procedure id (what staff see: every status)."""
    return Counter(
        str((f.get("properties") or {}).get("procedure_id"))
        for f in features
        if (f.get("properties") or {}).get("procedure_id")
    )


def is_over(proc: dict) -> bool:
    """Closed early or past its end: nothing left to close."""
    return phase(proc) in ("closed_early", "ended")


def procedures_table(procs: list[dict], counts: Counter | dict, lang: str) -> html.Div:
    """Every procedure, newest start first, with its actions (an accessible table)."""
    if not procs:
        return html.P(t("proc.none", lang), className="hint")
    rows = []
    for proc in sorted(procs, key=lambda p: str(p.get("opens_at") or ""), reverse=True):
        pid, title = str(proc.get("id")), title_of(proc, lang)
        text, badge = state_of(proc, lang)
        actions = [
            html.Button(
                t("proc.edit", lang),
                id={"type": "proc-edit", "id": pid},
                n_clicks=0,
                type="button",
                className="btn secondary small",
                **{"aria-label": t("proc.edit_aria", lang, title=title)},
            )
        ]
        if not is_over(proc):
            actions.append(
                html.Button(
                    t("proc.close", lang),
                    id={"type": "proc-close", "id": pid},
                    n_clicks=0,
                    type="button",
                    className="btn secondary small",
                    **{"aria-label": t("proc.close_aria", lang, title=title)},
                )
            )
        names = proc.get("plan_names") or proc.get("plan_ids") or []
        rows.append(
            [
                kind_label(proc, lang),
                [
                    html.Strong(title),
                    html.Br(),
                    html.Span(
                        t("proc.prefix_short", lang, prefix=proc.get("reference_prefix") or "–"), className="hint"
                    ),
                ],
                html.Ul([html.Li(str(n)) for n in names], className="plain-list tight") if names else "–",
                period(proc),
                html.Span(text, className=badge),
                str(counts.get(pid, 0)),
                html.Div(actions, className="btn-row"),
            ]
        )
    columns = ("col.kind", "col.title", "col.plans", "col.period", "col.state", "col.statements", "col.action")
    return data_table("proc-table", t("proc.caption", lang, n=len(procs)), columns, rows, lang, {5: "num"})


def procedure_body(
    *, kind, title_de, title_en, description_de, description_en, plan_ids, opens, closes, allowed, prefix
) -> dict:
    """The JSON for POST/PUT ``/api/procedures``; :class:`FormProblem` for what is missing.

    The API checks everything again (and warns); this only spares a round trip for an empty form.
    """
    if not (title_de or "").strip():
        raise FormProblem("proc.err.title")
    if not opens or not closes:
        raise FormProblem("proc.err.dates")
    if not allowed:
        raise FormProblem("proc.err.kinds")
    body = {
        "kind": kind if kind in KINDS else "informell",
        "title_de": title_de.strip(),
        "plan_ids": list(plan_ids or []),
        "opens_at": opens,
        "closes_at": closes,
        "allowed_kinds": [k for k in CONTRIBUTION_KINDS if k in allowed],
    }
    for name, value in (
        ("title_en", title_en),
        ("description_de", description_de),
        ("description_en", description_en),
        ("reference_prefix", prefix),
    ):
        if (value or "").strip():
            body[name] = value.strip()
    return body


def form_values(proc: dict | None) -> dict:
    """The form's fields for a stored procedure (or empty for a new one)."""
    proc = proc or {}
    return {
        "kind": proc.get("kind") or KINDS[0],
        "title_de": proc.get("title_de") or "",
        "title_en": proc.get("title_en") or "",
        "description_de": proc.get("description_de") or "",
        "description_en": proc.get("description_en") or "",
        "plan_ids": list(proc.get("plan_ids") or []),
        "opens": form_date(proc.get("opens_at")),
        "closes": form_date(proc.get("closes_at"), end=True),
        "allowed": list(proc.get("allowed_kinds") or DEFAULT_ALLOWED),
        "prefix": proc.get("reference_prefix") or "",
    }


def plan_options(plans: list[dict], query: str | None, chosen: list[str], limit: int = PLAN_BUTTONS_MAX):
    """(value, label) of the plans to offer: the chosen ones first, then those matching ``query``; and how
    many more match than are shown."""
    query = (query or "").strip().lower()
    chosen_set = set(chosen or [])
    first = [p for p in plans if p.get("id") in chosen_set]
    matching = [
        p
        for p in plans
        if p.get("id") not in chosen_set
        and (not query or query in plan_label(p).lower() or query in str(p.get("id", "")).lower())
    ]
    shown = matching[: max(0, limit - len(first))]
    return [(p["id"], plan_label(p)) for p in first + shown], len(matching) - len(shown)


def catalogue_plans(catalog: dict) -> list[dict]:
    return list(catalog.get("plans", [])) + list(catalog.get("other_plans", []))


# -- layout ------------------------------------------------------------------------------------------------------


def _field(label_key: str, component, hint_key: str | None = None) -> html.Div:
    children = [html.Label(T(label_key), htmlFor=component.id), component]
    if hint_key:
        children.append(html.Span(T(hint_key), className="hint"))
    return html.Div(className="field", children=children)


def layout(lang: str = "de") -> list:
    values = form_values(None)
    return [
        T("proc.heading", html.H3),
        html.Div(id="proc-list", **{"aria-live": "polite"}),
        html.Div(id="proc-confirm"),
        html.Div(id="proc-feedback", role="status", className="msg", **{"aria-live": "polite"}),
        dcc.Store(id="proc-editing", data=None),
        dcc.Store(id="proc-closing", data=None),
        dcc.Store(id="proc-form-rev", data=0),
        html.Div(
            className="card form-card",
            children=[
                html.H3(t("proc.form_new", lang), id="proc-form-heading", tabIndex="-1"),
                html.Form(
                    id="proc-form",
                    className="admin-form",
                    **{"aria-labelledby": "proc-form-heading"},
                    children=[
                        choice_group(
                            "proc-kind",
                            [(k, T(f"proc.kind.{k}")) for k in KINDS],
                            values["kind"],
                            label_key="proc.kind",
                        ),
                        html.Div(
                            className="two-col",
                            children=[
                                _field(
                                    "proc.title_de", dcc.Input(id="proc-title-de", type="text", maxLength=200, value="")
                                ),
                                _field(
                                    "proc.title_en", dcc.Input(id="proc-title-en", type="text", maxLength=200, value="")
                                ),
                                _field(
                                    "proc.description_de",
                                    dcc.Textarea(id="proc-description-de", maxLength=5000, value="", rows=3),
                                ),
                                _field(
                                    "proc.description_en",
                                    dcc.Textarea(id="proc-description-en", maxLength=5000, value="", rows=3),
                                ),
                            ],
                        ),
                        html.Div(
                            className="field",
                            children=[
                                T("proc.plans", html.Span, id="proc-plans-label", className="label"),
                                html.Label(T("proc.plan_filter"), htmlFor="proc-plan-filter", className="sub-label"),
                                dcc.Input(
                                    id="proc-plan-filter",
                                    type="search",
                                    value="",
                                    debounce=True,
                                    placeholder=t("proc.plan_filter_placeholder", lang),
                                ),
                                html.Div(
                                    id="proc-plans-buttons",
                                    role="group",
                                    className="choice-group chips",
                                    **{"aria-labelledby": "proc-plans-label"},
                                ),
                                html.P(id="proc-plans-more", className="hint"),
                                html.P(id="proc-plans-chosen", className="hint", **{"aria-live": "polite"}),
                                dcc.Store(id="proc-plans", data=[]),
                            ],
                        ),
                        html.Div(
                            className="two-col",
                            children=[
                                _field("proc.opens", dcc.Input(id="proc-opens", type="date", value=None)),
                                _field(
                                    "proc.closes",
                                    dcc.Input(id="proc-closes", type="date", value=None),
                                    "proc.closes_hint",
                                ),
                            ],
                        ),
                        choice_group(
                            "proc-allowed",
                            [(k, T(f"form.kind.{k}")) for k in CONTRIBUTION_KINDS],
                            values["allowed"],
                            multi=True,
                            label_key="proc.allowed",
                            className="choice-group switches",
                        ),
                        _field(
                            "proc.prefix",
                            dcc.Input(
                                id="proc-prefix", type="text", maxLength=12, value="", pattern="[A-Za-z0-9]{1,12}"
                            ),
                            "proc.prefix_hint",
                        ),
                        html.Div(
                            className="btn-row",
                            children=[
                                html.Button(
                                    t("proc.save_new", lang), id="proc-save", type="button", n_clicks=0, className="btn"
                                ),
                                html.Button(
                                    T("proc.new"), id="proc-new", type="button", n_clicks=0, className="btn secondary"
                                ),
                            ],
                        ),
                    ],
                ),
            ],
        ),
    ]


# -- callbacks ---------------------------------------------------------------------------------------------------


def register(app, client, settings) -> None:
    register_choice_group(app, "proc-kind")
    register_choice_group(app, "proc-allowed", multi=True)
    register_choice_group(app, "proc-plans", multi=True)

    @app.callback(
        Output("proc-list", "children"),
        Input("admin-screen", "data"),
        Input("admin-me", "data"),
        Input("lang", "data"),
        Input("admin-version", "data"),
        State("active-tab", "data"),
    )
    def render_list(screen, me, lang, _version, tab):
        if not active("procedures", tab, me, screen):
            return no_update
        found, problem = read(client, "api/procedures")
        if problem:
            return html.P(t("admin.err.read", lang, status=problem[0] or "–"), className="msg error")
        try:  # as the signed-in planner: every contribution, of every status
            features = client.items("contributions", skipGeometry="true", cache=False, properties="procedure_id")
        except ApiError:
            features = []
        return procedures_table(found.get("procedures", []), statement_counts(features), lang)

    @app.callback(
        Output("proc-plans-buttons", "children"),
        Output("proc-plans-more", "children"),
        Input("proc-plan-filter", "value"),
        Input("catalog", "data"),
        Input("lang", "data"),
        Input("proc-form-rev", "data"),
        State("proc-plans", "data"),
    )
    def plan_buttons(query, catalog, lang, _rev, chosen):
        plans = catalogue_plans(shared_catalog(client).resolve(catalog))
        options, more = plan_options(plans, query, chosen or [])
        return (
            choice_buttons("proc-plans", options, chosen or [], multi=True),
            t("proc.plans_more", lang, n=more) if more else "",
        )

    @app.callback(
        Output("proc-plans-chosen", "children"),
        Input("proc-plans", "data"),
        Input("lang", "data"),
        State("catalog", "data"),
    )
    def plans_chosen(chosen, lang, catalog):
        if not chosen:
            return t("proc.plans_none", lang)
        labels = {p.get("id"): plan_label(p) for p in catalogue_plans(shared_catalog(client).resolve(catalog))}
        return t("proc.plans_chosen", lang, plans="; ".join(labels.get(c, c) for c in chosen))

    @app.callback(
        Output("proc-form-heading", "children"),
        Output("proc-save", "children"),
        Output("proc-plan-filter", "placeholder"),
        Input("proc-editing", "data"),
        Input("lang", "data"),
    )
    def form_heading(editing, lang):
        placeholder = t("proc.plan_filter_placeholder", lang)
        if editing:
            return t("proc.form_edit", lang, title=editing.get("title") or "–"), t("proc.save_edit", lang), placeholder
        return t("proc.form_new", lang), t("proc.save_new", lang), placeholder

    form_outputs = [
        Output("proc-editing", "data", allow_duplicate=True),
        Output("proc-kind", "data", allow_duplicate=True),
        Output("proc-kind-buttons", "children"),
        Output("proc-title-de", "value"),
        Output("proc-title-en", "value"),
        Output("proc-description-de", "value"),
        Output("proc-description-en", "value"),
        Output("proc-plans", "data", allow_duplicate=True),
        Output("proc-opens", "value"),
        Output("proc-closes", "value"),
        Output("proc-allowed", "data", allow_duplicate=True),
        Output("proc-allowed-buttons", "children"),
        Output("proc-prefix", "value"),
        Output("proc-form-rev", "data"),
        Output("proc-feedback", "children", allow_duplicate=True),
    ]

    @app.callback(
        *form_outputs,
        Input({"type": "proc-edit", "id": ALL}, "n_clicks"),
        Input("proc-new", "n_clicks"),
        State("proc-form-rev", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    def fill_form(_clicks, _new, rev, lang):
        trigger = callback_context.triggered_id
        if not any(item.get("value") for item in callback_context.triggered):
            return (no_update,) * len(form_outputs)  # buttons re-rendered, not clicked
        proc, editing = None, None
        if isinstance(trigger, dict):
            proc, problem = read(client, f"api/procedures/{trigger['id']}")
            if problem:
                return (*(no_update,) * (len(form_outputs) - 1), t("admin.err.read", lang, status=problem[0] or "–"))
            editing = {"id": proc["id"], "title": title_of(proc, lang)}
        values = form_values(proc)
        return (
            editing,
            values["kind"],
            choice_buttons("proc-kind", [(k, T(f"proc.kind.{k}", lang=lang)) for k in KINDS], values["kind"]),
            values["title_de"],
            values["title_en"],
            values["description_de"],
            values["description_en"],
            values["plan_ids"],
            values["opens"],
            values["closes"],
            values["allowed"],
            choice_buttons(
                "proc-allowed",
                [(k, T(f"form.kind.{k}", lang=lang)) for k in CONTRIBUTION_KINDS],
                values["allowed"],
                multi=True,
            ),
            values["prefix"],
            (rev or 0) + 1,
            "",
        )

    # keyboard users land on the form they just filled
    app.clientside_callback(
        """function (rev) {
            if (rev) { setTimeout(function () { var h = document.getElementById("proc-form-heading");
                                                 if (h) { h.focus(); } }, 60); }
            return window.dash_clientside.no_update;
        }""",
        Output("focus-sink", "data", allow_duplicate=True),
        Input("proc-form-rev", "data"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output("proc-feedback", "children", allow_duplicate=True),
        Output("proc-feedback", "className", allow_duplicate=True),
        Output("admin-version", "data", allow_duplicate=True),
        Output("proc-editing", "data", allow_duplicate=True),
        Input("proc-save", "n_clicks"),
        State("proc-kind", "data"),
        State("proc-title-de", "value"),
        State("proc-title-en", "value"),
        State("proc-description-de", "value"),
        State("proc-description-en", "value"),
        State("proc-plans", "data"),
        State("proc-opens", "value"),
        State("proc-closes", "value"),
        State("proc-allowed", "data"),
        State("proc-prefix", "value"),
        State("proc-editing", "data"),
        State("admin-version", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    def save(
        n,
        kind,
        title_de,
        title_en,
        description_de,
        description_en,
        plans,
        opens,
        closes,
        allowed,
        prefix,
        editing,
        version,
        lang,
    ):
        if not n:
            return (no_update,) * 4
        try:
            body = procedure_body(
                kind=kind,
                title_de=title_de,
                title_en=title_en,
                description_de=description_de,
                description_en=description_en,
                plan_ids=plans,
                opens=opens,
                closes=closes,
                allowed=allowed,
                prefix=prefix,
            )
        except FormProblem as err:
            return t(err.key, lang), "msg error", no_update, no_update
        if editing:
            answer, problem = write(client, "PUT", f"api/procedures/{editing['id']}", body, lang)
        else:
            answer, problem = write(client, "POST", "api/procedures", body, lang)
        if problem:
            return problem, "msg error", no_update, no_update
        message = [html.P(t("proc.saved", lang, title=title_of(answer, lang), period=period(answer)))]
        warnings = [localized(str(w), lang) for w in answer.get("warnings") or []]
        if warnings:
            message += [
                html.P(t("proc.warnings", lang), className="warn-title"),
                html.Ul([html.Li(w) for w in warnings], className="plain-list", id="proc-warnings"),
            ]
        return (
            message,
            "msg warn" if warnings else "msg ok",
            (version or 0) + 1,
            {"id": answer.get("id"), "title": title_of(answer, lang)},
        )

    @app.callback(
        Output("proc-confirm", "children"),
        Output("proc-closing", "data"),
        Input({"type": "proc-close", "id": ALL}, "n_clicks"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    def ask_close(_clicks, lang):
        trigger = callback_context.triggered_id
        if not isinstance(trigger, dict) or not any(item.get("value") for item in callback_context.triggered):
            return no_update, no_update
        proc, problem = read(client, f"api/procedures/{trigger['id']}")
        if problem:
            return html.P(t("admin.err.read", lang, status=problem[0] or "–"), className="msg error"), None
        return html.Div(
            className="msg info confirm",
            role="alertdialog",
            id="proc-confirm-box",
            **{"aria-labelledby": "proc-confirm-text"},
            children=[
                html.P(t("proc.close_confirm", lang, title=title_of(proc, lang)), id="proc-confirm-text"),
                html.Div(
                    className="btn-row",
                    children=[
                        html.Button(
                            t("proc.close_yes", lang), id="proc-close-yes", type="button", n_clicks=0, className="btn"
                        ),
                        html.Button(
                            t("common.cancel", lang),
                            id="proc-close-no",
                            type="button",
                            n_clicks=0,
                            className="btn secondary",
                        ),
                    ],
                ),
            ],
        ), {"id": proc["id"], "title": title_of(proc, lang)}

    app.clientside_callback(
        """function (children) {
            setTimeout(function () { var b = document.getElementById("proc-close-yes"); if (b) { b.focus(); } }, 60);
            return window.dash_clientside.no_update;
        }""",
        Output("focus-sink", "data", allow_duplicate=True),
        Input("proc-confirm", "children"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output("proc-confirm", "children", allow_duplicate=True),
        Output("proc-feedback", "children", allow_duplicate=True),
        Output("proc-feedback", "className", allow_duplicate=True),
        Output("admin-version", "data", allow_duplicate=True),
        Input("proc-close-yes", "n_clicks"),
        Input("proc-close-no", "n_clicks"),
        State("proc-closing", "data"),
        State("admin-version", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    def close(yes, no, closing, version, lang):
        trigger = callback_context.triggered_id
        if not (yes or no) or not closing:
            return (no_update,) * 4
        if trigger == "proc-close-no":
            return [], no_update, no_update, no_update
        _answer, problem = write(client, "POST", f"api/procedures/{closing['id']}/close", {}, lang)
        if problem:
            return [], problem, "msg error", no_update
        return [], t("proc.closed_ok", lang, title=closing["title"]), "msg ok", (version or 0) + 1
