"""Verwaltung → Abwägung (planners): weigh every statement of a procedure, export and publish the results.

Pick a procedure; its statements come from ``GET /api/procedures/<id>/statements`` (reference, date, text,
plan object, moderation status, late flag, Abwägung, counts). "Abwägen" opens the editor of one statement:
for the whole statement, or split into sections each with its own answer, an Abwägungsvorschlag, a result
(berücksichtigt / teilweise / nicht berücksichtigt / zur Kenntnis genommen), a Beschlussvorschlag, tags and a
group; reusable answers (``GET``/``POST /api/answer-templates``) are put in with one button. "Speichern" sends
``PUT /api/statements/<contribution id>/abwaegung``.

The Abwägungstabelle downloads are plain links to ``/api/procedures/<id>/abwaegung.<xlsx|docx|csv|gpkg>``
(``?anonymised=1`` leaves out names, ``?lang=`` the language): the browser sends the staff session
cookie itself. "Ergebnisse veröffentlichen" asks once more, then ``POST /api/procedures/<id>/publish``.
The audit trail (``GET /api/audit``, CSV via ``?f=csv``) closes the screen.
"""

from __future__ import annotations

import json
import re

from dash import ALL, MATCH, Input, Output, State, callback_context, dcc, html, no_update

from ui.admin import active, choices, data_table, local_date, local_datetime, read, write
from ui.api import portal_path
from ui.controls import choice_buttons, register_choice_group
from ui.i18n import T, t, value_label

RESULTS = ("beruecksichtigt", "teilweise_beruecksichtigt", "nicht_beruecksichtigt", "zur_kenntnis")
FIELDS = ("text", "proposal", "decision", "tags", "group")
FORMATS = ("xlsx", "docx", "csv", "gpkg")
MAX_SECTIONS = 50
AUDIT_ROWS = 30


# -- pure parts --------------------------------------------------------------------------------------------------


def parse_tags(text: str | None) -> list[str]:
    """``"Verkehr, Lärm ,,"`` -> ``["Verkehr", "Lärm"]`` (at most 20 of 60 characters, as the API takes)."""
    tags = [part.strip()[:60] for part in re.split(r"[,;\n]", text or "")]
    return list(dict.fromkeys(tag for tag in tags if tag))[:20]


def entries_from(field_states: list[dict], result_states: list[dict]) -> list[dict]:
    """The editor's entries from Dash's ``states_list`` of the field and result components, in order of ``i``.

    ``field_states``: ``[{"id": {"field", "i"}, "value"}]``; ``result_states``: ``[{"id": {"i", "value"},
    "value": "true"|"false"}]`` (the pressed result button of each entry).
    """
    entries: dict[int, dict] = {}
    for item in field_states or []:
        entries.setdefault(int(item["id"]["i"]), {})[item["id"]["field"]] = item.get("value") or ""
    for item in result_states or []:
        entry = entries.setdefault(int(item["id"]["i"]), {})
        if item.get("value") == "true":
            entry["result"] = item["id"]["value"]
    return [{**dict.fromkeys(FIELDS, ""), "result": None, **entries[i]} for i in sorted(entries)]


def abwaegung_body(entries: list[dict], mode: str) -> dict:
    """The JSON for ``PUT /api/statements/<id>/abwaegung``: one answer, or ``{"sections": [...]}``."""

    def clean(entry: dict, with_text: bool) -> dict:
        body = {
            "proposal": (entry.get("proposal") or "").strip() or None,
            "result": entry.get("result") or None,
            "decision": (entry.get("decision") or "").strip() or None,
            "tags": parse_tags(entry.get("tags")),
            "group": (entry.get("group") or "").strip() or None,
        }
        if with_text:
            body["text"] = (entry.get("text") or "").strip()
        return body

    if mode == "sections":
        return {"sections": [clean(entry, True) for entry in entries]}
    return clean(entries[0] if entries else {}, False)


def draft_entries(statement: dict) -> tuple[str, list[dict]]:
    """(mode, entries) for the editor from a statement's stored Abwägung."""
    stored = statement.get("abwaegung") or []
    mode = "sections" if any(e.get("section_no") for e in stored) else "whole"
    entries = [
        {
            "text": e.get("section_text") or "",
            "proposal": e.get("proposal") or "",
            "decision": e.get("decision") or "",
            "tags": ", ".join(e.get("tags") or []),
            "group": e.get("group_name") or "",
            "result": e.get("result"),
        }
        for e in stored
    ]
    return mode, entries or [{"text": "", "proposal": "", "decision": "", "tags": "", "group": "", "result": None}]


def split_text(text: str) -> list[str]:
    """Sections to start from when a statement is split: its paragraphs (or the whole text)."""
    parts = [p.strip() for p in re.split(r"\n\s*\n", text or "") if p.strip()]
    return parts[:MAX_SECTIONS] or [(text or "").strip()]


def result_summary(statement: dict, lang: str) -> str:
    """``berücksichtigt`` / ``2 Abschnitte: …`` / ``offen``."""
    entries = statement.get("abwaegung") or []
    results = [
        value_label("abw.result", e.get("result"), lang) if e.get("result") else t("abw.result.none", lang)
        for e in entries
    ]
    if not results:
        return t("abw.result.none", lang)
    if len(results) == 1:
        return results[0]
    return t("abw.sections_summary", lang, n=len(results), results=", ".join(results))


def export_links(portal: str, procedure_id: str, lang: str) -> html.Div:
    """The Abwägungstabelle in every format, with names and anonymised (plain links: the cookie goes along)."""

    def row(anonymised: bool) -> html.Li:
        suffix = "&anonymised=1" if anonymised else ""
        variant = t("abw.dl_anon" if anonymised else "abw.dl_full", lang)
        return html.Li(
            [
                html.Span(f"{variant}: ", className="dl-variant"),
                *[
                    html.Span(
                        [
                            html.A(
                                t(f"abw.dl.{fmt}", lang),
                                href=f"{portal}/api/procedures/{procedure_id}/abwaegung.{fmt}?lang={lang}{suffix}",
                                id=f"abw-dl-{fmt}{'-anon' if anonymised else ''}",
                                download="",
                                **{"aria-label": t("abw.dl_aria", lang, fmt=t(f"abw.dl.{fmt}", lang), variant=variant)},
                            ),
                            " " if i < len(FORMATS) - 1 else "",
                        ]
                    )
                    for i, fmt in enumerate(FORMATS)
                ],
            ]
        )

    return html.Div(
        className="downloads",
        children=[html.H4(t("abw.downloads", lang)), html.Ul([row(False), row(True)], className="plain-list")],
    )


def counts_line(counts: dict, lang: str) -> html.Ul:
    items = [html.Li(t("abw.counts", lang, n=counts.get("statements", 0), open=counts.get("without_abwaegung", 0)))]
    items += [html.Li(f"{value_label('abw.result', r, lang)}: {counts.get(r, 0)}") for r in RESULTS]
    return html.Ul(items, className="count-list", id="abw-counts")


def statements_table(statements: list[dict], lang: str) -> html.Div:
    if not statements:
        return html.P(t("abw.no_statements", lang), className="hint")
    rows = []
    for s in sorted(statements, key=lambda s: (str(s.get("reference") or ""), str(s.get("created_at") or ""))):
        ref = str(s.get("reference") or str(s.get("id"))[:8])
        status = [html.Span(value_label("status", s.get("status"), lang), className="badge")]
        if s.get("late"):
            status += [" ", html.Span(t("common.late", lang), className="badge closed")]
        where = [str(s.get("plan_name") or s.get("plan_id") or "–")]
        if s.get("target_label"):
            where += [html.Br(), html.Span(str(s["target_label"]), className="hint")]
        text = str(s.get("text") or "")
        rows.append(
            [
                html.Strong(ref),
                local_date(s.get("created_at")),
                where,
                html.Div(text if len(text) <= 240 else text[:239] + "…", className="text-block compact"),
                status,
                result_summary(s, lang),
                html.Button(
                    t("abw.open", lang),
                    id={"type": "abw-open", "id": str(s.get("id"))},
                    n_clicks=0,
                    type="button",
                    className="btn small",
                    **{"aria-label": t("abw.open_aria", lang, ref=ref)},
                ),
            ]
        )
    columns = (
        "col.reference",
        "col.received",
        "col.plan_object",
        "col.text",
        "col.status",
        "col.abwaegung",
        "col.action",
    )
    return data_table("abw-table", t("abw.caption", lang, n=len(statements)), columns, rows, lang, {3: "text-cell"})


def _result_buttons(i: int, selected: str | None, lang: str) -> html.Div:
    label_id = f"abw-result-label-{i}"
    return html.Div(
        className="field",
        children=[
            html.Span(t("abw.result", lang), id=label_id, className="label"),
            html.Div(
                role="group",
                className="choice-group chips",
                **{"aria-labelledby": label_id},
                children=[
                    html.Button(
                        value_label("abw.result", r, lang),
                        id={"type": "abw-result", "i": i, "value": r},
                        n_clicks=0,
                        type="button",
                        className="choice",
                        **{"aria-pressed": "true" if r == selected else "false"},
                    )
                    for r in RESULTS
                ],
            ),
        ],
    )


def dom_id(component_id: dict) -> str:
    """The DOM id Dash gives a pattern-matching id (keys sorted, compact JSON), for ``<label for>``."""
    return json.dumps(component_id, sort_keys=True, separators=(",", ":"))


def _area(field: str, i: int, label: str, value: str, rows: int = 3, maxlength: int = 10000) -> html.Div:
    component_id = {"type": "abw-field", "field": field, "i": i}
    if field in ("tags", "group"):
        control = dcc.Input(id=component_id, type="text", value=value, maxLength=maxlength)
    else:
        control = dcc.Textarea(id=component_id, value=value, rows=rows, maxLength=maxlength)
    return html.Div(className="field", children=[html.Label(label, htmlFor=dom_id(component_id)), control])


def entry_block(i: int, entry: dict, mode: str, templates: list[dict], lang: str) -> html.Fieldset:
    """One answer: for the whole statement, or for section ``i + 1``."""
    sections = mode == "sections"
    legend = t("abw.section", lang, n=i + 1) if sections else t("abw.whole_answer", lang)
    children = [html.Legend(legend)]
    if sections:
        children.append(_area("text", i, t("abw.section_text", lang), entry.get("text") or "", rows=3, maxlength=2000))
    if templates:
        children.append(
            html.Div(
                className="field",
                children=[
                    html.Span(t("abw.use_template", lang), className="label", id=f"abw-tpl-label-{i}"),
                    html.Div(
                        className="choice-group chips",
                        role="group",
                        **{"aria-labelledby": f"abw-tpl-label-{i}"},
                        children=[
                            html.Button(
                                str(tpl.get("title") or "–"),
                                type="button",
                                n_clicks=0,
                                className="choice",
                                id={"type": "abw-tpl", "i": i, "id": str(tpl.get("id"))},
                            )
                            for tpl in templates
                        ],
                    ),
                ],
            )
        )
    children += [
        _area("proposal", i, t("abw.proposal", lang), entry.get("proposal") or "", rows=4),
        _result_buttons(i, entry.get("result"), lang),
        _area("decision", i, t("abw.decision", lang), entry.get("decision") or "", rows=2),
        html.Div(
            className="two-col",
            children=[
                _area("tags", i, t("abw.tags", lang), entry.get("tags") or "", maxlength=600),
                _area("group", i, t("abw.group", lang), entry.get("group") or "", maxlength=120),
            ],
        ),
    ]
    if sections:
        children.append(
            html.Button(
                t("abw.remove_section", lang, n=i + 1),
                id={"type": "abw-remove", "i": i},
                n_clicks=0,
                type="button",
                className="btn secondary small",
            )
        )
    return html.Fieldset(children, className="entry")


def editor_view(statement: dict, mode: str, entries: list[dict], templates: list[dict], lang: str) -> list:
    ref = str(statement.get("reference") or str(statement.get("id"))[:8])
    facts = [
        html.Li(t("modq.received", lang, when=local_datetime(statement.get("created_at")))),
        html.Li(
            f"{t('col.plan', lang)}: {statement.get('plan_name') or statement.get('plan_id') or '–'}"
            + (f" · {statement['target_label']}" if statement.get("target_label") else "")
        ),
        html.Li(t("modq.current_status", lang, status=value_label("status", statement.get("status"), lang))),
    ]
    if statement.get("late"):
        facts.append(html.Li(t("modq.late_note", lang)))
    return [
        html.H4(t("abw.editor", lang, ref=ref), id="abw-editor-heading", tabIndex="-1"),
        html.Ul(facts, className="plain-list tight"),
        html.H5(t("abw.statement_text", lang)),
        html.Div(str(statement.get("text") or ""), className="text-block", id="abw-statement-text"),
        html.Div(
            className="field",
            children=[
                html.Span(t("abw.mode", lang), className="label", id="abw-mode-label"),
                html.Div(
                    className="choice-group",
                    role="group",
                    **{"aria-labelledby": "abw-mode-label"},
                    children=[
                        html.Button(
                            t("abw.whole", lang),
                            id="abw-whole",
                            type="button",
                            n_clicks=0,
                            className="choice",
                            **{"aria-pressed": "true" if mode == "whole" else "false"},
                        ),
                        html.Button(
                            t("abw.split", lang),
                            id="abw-split",
                            type="button",
                            n_clicks=0,
                            className="choice",
                            **{"aria-pressed": "true" if mode == "sections" else "false"},
                        ),
                    ],
                ),
            ],
        ),
        html.Div(id="abw-entries", children=[entry_block(i, e, mode, templates, lang) for i, e in enumerate(entries)]),
        html.Div(
            className="btn-row",
            children=[
                html.Button(
                    t("abw.add_section", lang),
                    id="abw-add",
                    type="button",
                    n_clicks=0,
                    className="btn secondary",
                    hidden=mode != "sections",
                ),
                html.Button(t("abw.save", lang), id="abw-save", type="button", n_clicks=0, className="btn"),
            ],
        ),
        html.Div(id="abw-save-feedback", role="status", className="msg", **{"aria-live": "polite"}),
        dcc.Store(id="abw-mode", data=mode),
    ]


def audit_table(entries: list[dict], lang: str) -> html.Div:
    if not entries:
        return html.P(t("abw.audit_none", lang), className="hint")
    rows = []
    for e in entries[:AUDIT_ROWS]:
        detail = e.get("detail") or {}
        concerns = (
            detail.get("reference")
            or detail.get("title_de")
            or detail.get("title")
            or str(e.get("target_id") or "")[:12]
        )
        rows.append(
            [
                local_datetime(e.get("at")),
                str(e.get("actor") or "–"),
                value_label("role", e.get("role"), lang),
                value_label("audit", e.get("action"), lang),
                str(concerns),
            ]
        )
    columns = ("col.when", "col.who", "col.role", "col.what", "col.target")
    return data_table(
        "abw-audit-table",
        t("abw.audit_caption", lang, shown=min(len(entries), AUDIT_ROWS), n=len(entries)),
        columns,
        rows,
        lang,
    )


def templates_list(templates: list[dict], lang: str):
    if not templates:
        return html.P(t("abw.templates_none", lang), className="hint")
    return html.Ul(
        className="plain-list",
        id="abw-template-list",
        children=[
            html.Li(
                [
                    html.Strong(str(tpl.get("title") or "–")),
                    f" ({value_label('abw.result', tpl.get('result'), lang)})" if tpl.get("result") else "",
                    ": ",
                    str(tpl.get("text") or ""),
                ]
            )
            for tpl in templates
        ],
    )


# -- layout ------------------------------------------------------------------------------------------------------


def layout(lang: str = "de") -> list:
    return [
        T("abw.heading", html.H3),
        html.Div(
            className="field",
            children=[
                T("abw.procedure", html.Span, id="abw-proc-label", className="label"),
                html.Div(
                    id="abw-proc-buttons",
                    role="group",
                    className="choice-group chips",
                    **{"aria-labelledby": "abw-proc-label"},
                ),
                dcc.Store(id="abw-proc", data=None),
            ],
        ),
        html.Div(id="abw-summary", **{"aria-live": "polite"}),
        html.Div(id="abw-confirm"),
        html.Div(id="abw-feedback", role="status", className="msg", **{"aria-live": "polite"}),
        html.Div(id="abw-list"),
        dcc.Store(id="abw-current", data=None),
        html.Div(id="abw-editor", className="card detail-card", children=html.P(T("abw.choose"), className="hint")),
        html.Details(
            className="card",
            id="abw-templates-card",
            children=[
                html.Summary(T("abw.templates")),
                html.Div(id="abw-templates"),
                html.Div(
                    className="field",
                    children=[
                        html.Label(T("abw.template_title"), htmlFor="abw-tpl-title"),
                        dcc.Input(id="abw-tpl-title", type="text", maxLength=120, value=""),
                    ],
                ),
                html.Div(
                    className="field",
                    children=[
                        html.Label(T("abw.template_text"), htmlFor="abw-tpl-text"),
                        dcc.Textarea(id="abw-tpl-text", maxLength=10000, value="", rows=3),
                    ],
                ),
                html.Div(id="abw-tpl-result-group"),
                html.Button(
                    T("abw.template_save"), id="abw-tpl-save", type="button", n_clicks=0, className="btn secondary"
                ),
                html.Div(id="abw-tpl-feedback", role="status", className="msg", **{"aria-live": "polite"}),
            ],
        ),
        html.Details(
            className="card",
            id="abw-audit-card",
            children=[
                html.Summary(T("abw.audit")),
                html.P(html.A(T("abw.audit_csv"), id="abw-audit-csv", href="/api/audit?f=csv", download="")),
                html.Div(id="abw-audit"),
            ],
        ),
    ]


# -- callbacks ---------------------------------------------------------------------------------------------------


def register(app, client, settings) -> None:
    portal = portal_path(settings.api_url)
    register_choice_group(app, "abw-proc")
    register_choice_group(app, "abw-tpl-result", allow_none=True)

    def answer_templates() -> list[dict]:
        found, problem = read(client, "api/answer-templates")
        return [] if problem else (found or {}).get("templates", [])

    @app.callback(
        Output("abw-proc-buttons", "children"),
        Output("abw-proc", "data", allow_duplicate=True),
        Output("abw-audit", "children"),
        Output("abw-audit-csv", "href"),
        Output("abw-templates", "children"),
        Output("abw-tpl-result-group", "children"),
        Input("admin-screen", "data"),
        Input("admin-me", "data"),
        Input("lang", "data"),
        Input("admin-version", "data"),
        State("active-tab", "data"),
        State("abw-proc", "data"),
        prevent_initial_call="initial_duplicate",
    )
    def render_frame(screen, me, lang, _version, tab, chosen):
        if not active("abwaegung", tab, me, screen):
            return (no_update,) * 6
        found, problem = read(client, "api/procedures")
        procs = (found or {}).get("procedures", [])
        if not procs:
            buttons = html.P(
                t("abw.no_procedures", lang) if not problem else t("admin.err.read", lang, status=problem[0] or "–"),
                className="hint",
            )
            chosen = None
        else:
            ordered = sorted(procs, key=lambda p: (not p.get("open_now"), str(p.get("opens_at") or "")), reverse=False)
            if chosen not in {p["id"] for p in procs}:
                chosen = ordered[0]["id"]
            buttons = choice_buttons(
                "abw-proc",
                [(p["id"], str((p.get("title_en") if lang == "en" else None) or p.get("title_de"))) for p in ordered],
                chosen,
            )
        audit, audit_problem = read(client, "api/audit")
        audit_view = (
            audit_table((audit or {}).get("entries", []), lang)
            if not audit_problem
            else html.P(t("admin.err.read", lang, status=audit_problem[0] or "–"), className="msg error")
        )
        tpl_result = choices(
            "abw-tpl-result",
            [(r, value_label("abw.result", r, lang)) for r in RESULTS],
            None,
            t("abw.template_result", lang),
        )
        return (
            buttons,
            chosen,
            audit_view,
            f"{portal}/api/audit?f=csv",
            templates_list(answer_templates(), lang),
            tpl_result,
        )

    @app.callback(
        Output("abw-summary", "children"),
        Output("abw-list", "children"),
        Input("abw-proc", "data"),
        Input("lang", "data"),
        Input("admin-version", "data"),
        State("admin-screen", "data"),
        State("admin-me", "data"),
        State("active-tab", "data"),
    )
    def render_statements(procedure_id, lang, _version, screen, me, tab):
        if not procedure_id or not active("abwaegung", tab, me, screen):
            return no_update, no_update
        found, problem = read(client, f"api/procedures/{procedure_id}/statements")
        if problem:
            return html.P(t("admin.err.read", lang, status=problem[0] or "–"), className="msg error"), []
        counts = found.get("counts") or {}
        summary = html.Div(
            className="card abw-summary",
            children=[
                counts_line(counts, lang),
                export_links(portal, procedure_id, lang),
                html.Div(
                    className="btn-row",
                    children=[
                        html.Button(
                            t("abw.publish", lang), id="abw-publish", type="button", n_clicks=0, className="btn"
                        )
                    ],
                ),
                html.P(t("abw.publish_hint", lang), className="hint"),
            ],
        )
        return summary, statements_table(found.get("statements", []), lang)

    @app.callback(
        Output("abw-current", "data"), Input({"type": "abw-open", "id": ALL}, "n_clicks"), prevent_initial_call=True
    )
    def open_statement(_clicks):
        trigger = callback_context.triggered_id
        if not isinstance(trigger, dict) or not any(item.get("value") for item in callback_context.triggered):
            return no_update
        return trigger["id"]

    def statement_of(procedure_id: str, contribution_id: str):
        found, problem = read(client, f"api/procedures/{procedure_id}/statements")
        if problem:
            return None, problem
        return next((s for s in found.get("statements", []) if str(s.get("id")) == contribution_id), None), None

    @app.callback(
        Output("abw-editor", "children"),
        Input("abw-current", "data"),
        State("abw-proc", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    def render_editor(contribution_id, procedure_id, lang):
        if not contribution_id or not procedure_id:
            return no_update
        statement, problem = statement_of(procedure_id, contribution_id)
        if statement is None:
            return html.P(t("admin.err.read", lang, status=(problem or ("–",))[0] or "–"), className="msg error")
        mode, entries = draft_entries(statement)
        return editor_view(statement, mode, entries, answer_templates(), lang)

    app.clientside_callback(
        """function (children) {
            setTimeout(function () { var a = document.activeElement;
                if (!a || a === document.body || (a.closest && a.closest("#abw-table"))) {
                    var h = document.getElementById("abw-editor-heading"); if (h) { h.focus(); } } }, 60);
            return window.dash_clientside.no_update;
        }""",
        Output("focus-sink", "data", allow_duplicate=True),
        Input("abw-editor", "children"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output("abw-entries", "children"),
        Output("abw-mode", "data"),
        Output("abw-add", "hidden"),
        Output("abw-whole", "aria-pressed"),
        Output("abw-split", "aria-pressed"),
        Input("abw-whole", "n_clicks"),
        Input("abw-split", "n_clicks"),
        Input("abw-add", "n_clicks"),
        Input({"type": "abw-remove", "i": ALL}, "n_clicks"),
        State({"type": "abw-field", "field": ALL, "i": ALL}, "value"),
        State({"type": "abw-result", "i": ALL, "value": ALL}, "aria-pressed"),
        State("abw-mode", "data"),
        State("abw-current", "data"),
        State("abw-proc", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    def restructure(_whole, _split, _add, _remove, _fields, _results, mode, contribution_id, procedure_id, lang):
        trigger = callback_context.triggered_id
        if not any(item.get("value") for item in callback_context.triggered):
            return (no_update,) * 5
        entries = entries_from(callback_context.states_list[0], callback_context.states_list[1])
        if trigger == "abw-whole" and mode != "whole":
            mode, entries = "whole", [{**entries[0], "text": ""}] if entries else []
        elif trigger == "abw-split" and mode != "sections":
            statement, _problem = statement_of(procedure_id, contribution_id)
            parts = split_text(str((statement or {}).get("text") or ""))
            first = entries[0] if entries else {}
            entries = [{**(first if n == 0 else {}), "text": part} for n, part in enumerate(parts)]
            mode = "sections"
        elif trigger == "abw-add" and mode == "sections" and len(entries) < MAX_SECTIONS:
            entries.append({"text": "", "result": None})
        elif isinstance(trigger, dict) and trigger.get("type") == "abw-remove" and len(entries) > 1:
            entries = [e for n, e in enumerate(entries) if n != int(trigger["i"])]
        else:
            return (no_update,) * 5
        templates = answer_templates()
        return (
            [entry_block(i, e, mode, templates, lang) for i, e in enumerate(entries)],
            mode,
            mode != "sections",
            "true" if mode == "whole" else "false",
            "true" if mode == "sections" else "false",
        )

    @app.callback(
        Output({"type": "abw-field", "field": "proposal", "i": MATCH}, "value"),
        Output({"type": "abw-result", "i": MATCH, "value": ALL}, "aria-pressed"),
        Input({"type": "abw-result", "i": MATCH, "value": ALL}, "n_clicks"),
        Input({"type": "abw-tpl", "i": MATCH, "id": ALL}, "n_clicks"),
        State({"type": "abw-field", "field": "proposal", "i": MATCH}, "value"),
        State({"type": "abw-result", "i": MATCH, "value": ALL}, "aria-pressed"),
        prevent_initial_call=True,
    )
    def choose_result(_results, _templates, proposal, pressed):
        """A result button toggles (one per entry); a template fills the proposal (and its result)."""
        trigger = callback_context.triggered_id
        if not isinstance(trigger, dict) or not any(item.get("value") for item in callback_context.triggered):
            return no_update, no_update
        values = [item["id"]["value"] for item in callback_context.outputs_list[1]]
        current = next((v for v, p in zip(values, pressed or [], strict=False) if p == "true"), None)
        if trigger["type"] == "abw-result":
            chosen = None if current == trigger["value"] else trigger["value"]
            return no_update, ["true" if v == chosen else "false" for v in values]
        template = next((tpl for tpl in answer_templates() if str(tpl.get("id")) == trigger["id"]), None)
        if template is None:
            return no_update, no_update
        text = str(template.get("text") or "")
        proposal = f"{proposal.rstrip()}\n\n{text}" if (proposal or "").strip() else text
        chosen = template.get("result") or current
        return proposal, ["true" if v == chosen else "false" for v in values]

    @app.callback(
        Output("abw-save-feedback", "children"),
        Output("abw-save-feedback", "className"),
        Output("admin-version", "data", allow_duplicate=True),
        Input("abw-save", "n_clicks"),
        State({"type": "abw-field", "field": ALL, "i": ALL}, "value"),
        State({"type": "abw-result", "i": ALL, "value": ALL}, "aria-pressed"),
        State("abw-mode", "data"),
        State("abw-current", "data"),
        State("admin-version", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    def save(n, _fields, _results, mode, contribution_id, version, lang):
        if not n or not contribution_id:
            return no_update, no_update, no_update
        entries = entries_from(callback_context.states_list[0], callback_context.states_list[1])
        if mode == "sections" and any(not (e.get("text") or "").strip() for e in entries):
            return t("abw.err.section_text", lang), "msg error", no_update
        answer, problem = write(
            client, "PUT", f"api/statements/{contribution_id}/abwaegung", abwaegung_body(entries, mode), lang
        )
        if problem:
            return problem, "msg error", no_update
        return t("abw.saved", lang, ref=answer.get("reference") or contribution_id[:8]), "msg ok", (version or 0) + 1

    @app.callback(
        Output("abw-confirm", "children"),
        Input("abw-publish", "n_clicks"),
        State("abw-proc", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    def ask_publish(n, procedure_id, lang):
        if not n or not procedure_id:
            return no_update
        return html.Div(
            className="msg info confirm",
            role="alertdialog",
            **{"aria-labelledby": "abw-confirm-text"},
            children=[
                html.P(t("abw.publish_confirm", lang), id="abw-confirm-text"),
                html.Div(
                    className="btn-row",
                    children=[
                        html.Button(
                            t("abw.publish_yes", lang), id="abw-publish-yes", type="button", n_clicks=0, className="btn"
                        ),
                        html.Button(
                            t("common.cancel", lang),
                            id="abw-publish-no",
                            type="button",
                            n_clicks=0,
                            className="btn secondary",
                        ),
                    ],
                ),
            ],
        )

    app.clientside_callback(
        """function (children) {
            setTimeout(function () { var b = document.getElementById("abw-publish-yes"); if (b) { b.focus(); } }, 60);
            return window.dash_clientside.no_update;
        }""",
        Output("focus-sink", "data", allow_duplicate=True),
        Input("abw-confirm", "children"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output("abw-confirm", "children", allow_duplicate=True),
        Output("abw-feedback", "children"),
        Output("abw-feedback", "className"),
        Output("admin-version", "data", allow_duplicate=True),
        Input("abw-publish-yes", "n_clicks"),
        Input("abw-publish-no", "n_clicks"),
        State("abw-proc", "data"),
        State("admin-version", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    def publish(yes, no, procedure_id, version, lang):
        trigger = callback_context.triggered_id
        if not (yes or no) or not procedure_id:
            return (no_update,) * 4
        if trigger == "abw-publish-no":
            return [], no_update, no_update, no_update
        answer, problem = write(client, "POST", f"api/procedures/{procedure_id}/publish", {}, lang)
        if problem:
            return [], problem, "msg error", no_update
        return (
            [],
            t("abw.published", lang, n=answer.get("published", 0), total=answer.get("total_published", 0)),
            "msg ok",
            (version or 0) + 1,
        )

    @app.callback(
        Output("abw-tpl-feedback", "children"),
        Output("abw-tpl-feedback", "className"),
        Output("admin-version", "data", allow_duplicate=True),
        Output("abw-tpl-title", "value"),
        Output("abw-tpl-text", "value"),
        Input("abw-tpl-save", "n_clicks"),
        State("abw-tpl-title", "value"),
        State("abw-tpl-text", "value"),
        State("abw-tpl-result", "data"),
        State("admin-version", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    def save_template(n, title, text, result, version, lang):
        if not n:
            return (no_update,) * 5
        if not (title or "").strip() or not (text or "").strip():
            return t("abw.err.template", lang), "msg error", no_update, no_update, no_update
        body = {"title": title.strip(), "text": text.strip(), **({"result": result} if result else {})}
        answer, problem = write(client, "POST", "api/answer-templates", body, lang)
        if problem:
            return problem, "msg error", no_update, no_update, no_update
        return (t("abw.template_saved", lang, title=answer.get("title") or title), "msg ok", (version or 0) + 1, "", "")
