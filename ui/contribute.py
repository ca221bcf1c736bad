"""Writing a contribution: the form, the GeoJSON it becomes, the POST, and what the visitor is told.

The submission goes to the OGC API (``POST /collections/contributions/items``,
``Content-Type: application/geo+json``) exactly as OWSLib or QGIS would send
it, with the visitor's own credentials forwarded — never into the store.
:func:`build_feature` and :func:`message_for` are pure so every answer the API
may give (201, 400, 401, 403, 404, 413, 5xx, no connection) is tested without
a server.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from dash import ALL, Input, Output, State, callback_context, dcc, html, no_update

from participation.mail_settings import mail_settings
from participation.model import CONTRIBUTION_KINDS, DEFECTS, TARGET_COLLECTIONS, TOPICS
from ui import procedure_info, reports
from ui.api import ApiClient, ApiError
from ui.catalog import find, plan_label, shared_catalog
from ui.controls import choice_buttons, choice_group, register_choice_group
from ui.festsetzungen import art_label
from ui.i18n import T, t

LOG = logging.getLogger(__name__)

COLLECTION = "contributions"
MAX_TEXT = 2000
MIN_TEXT = 3
MAX_PSEUDONYM = 40
SECRET_HEADER = "X-Contribution-Secret"

KINDS = CONTRIBUTION_KINDS


def categories_for(kind: str | None) -> tuple[str, ...]:
    return DEFECTS if kind == "maengelmeldung" else TOPICS


class FormError(ValueError):
    """The form is incomplete; ``key`` names the message in ui.i18n."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def centre_of_bbox(bbox) -> list[float] | None:
    """[lon, lat] of a [[s, w], [n, e]] box."""
    if not bbox:
        return None
    (south, west), (north, east) = bbox
    return [round((west + east) / 2, 7), round((south + north) / 2, 7)]


def drawn_geometry(geojson: dict | None) -> dict | None:
    """The most recently drawn feature's geometry from the EditControl, if any."""
    features = (geojson or {}).get("features") or []
    for feature in reversed(features):
        geometry = feature.get("geometry")
        if geometry and geometry.get("type") in ("Point", "LineString", "Polygon"):
            return geometry
    return None


def build_feature(
    *,
    text: str | None,
    kind: str | None,
    category: str | None,
    pseudonym: str | None,
    geometry: dict | None,
    target: dict | None = None,
    parent_id: str | None = None,
    notify_email: str | None = None,
) -> dict:
    """The GeoJSON Feature to POST; raises :class:`FormError` for what the visitor must fix.

    ``target`` is the linked plan object: ``{"collection", "id", "plan_id"}``; without a
    drawn geometry its centre (``bbox``) is used as the location. ``parent_id`` makes it a reply.
    """
    text = (text or "").strip()
    if len(text) < MIN_TEXT:
        raise FormError("form.err.text")
    if len(text) > MAX_TEXT:
        raise FormError("form.err.text_long")
    if geometry is None and target and target.get("bbox"):
        geometry = {"type": "Point", "coordinates": centre_of_bbox(target["bbox"])}
    if geometry is None:
        raise FormError("form.err.geometry")
    kind = kind if kind in KINDS else "kommentar"
    allowed = categories_for(kind)
    properties = {"kind": kind, "category": category if category in allowed else allowed[0], "text": text}
    pseudonym = (pseudonym or "").strip()[:MAX_PSEUDONYM]
    if pseudonym:
        properties["pseudonym"] = pseudonym
    if target and target.get("id") and not parent_id:  # a reply takes its parent's plan and object (the API)
        properties["plan_id"] = target.get("plan_id")
        properties["target_collection"] = target.get("collection")
        properties["target_id"] = target.get("id")
    if parent_id:
        properties["parent_id"] = parent_id
    if (notify_email or "").strip():  # e-mail updates asked for: kept apart by the API, confirmed by a link first
        properties["notify_email"] = notify_email.strip()
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def localized(detail: str, lang: str) -> str:
    """The half of a bilingual API message (``"Deutsch … / English …"``) in ``lang``."""
    if " / " not in detail:
        return detail
    german, english = detail.split(" / ", 1)
    return english.strip() if lang == "en" else german.strip()


def message_for(status: int | None, body: dict | None, lang: str) -> tuple[str, str]:
    """(css class, sentence) for the API's answer to a POST; status None = not reachable."""
    if status is None:
        return "error", t("form.err.network", lang)
    if status in (200, 201, 202):
        return "ok", t("form.sent", lang)
    detail = ""
    if isinstance(body, dict):
        detail = localized(str(body.get("description") or body.get("detail") or ""), lang)[:400]
    if status in (401, 403, 404, 413):
        message = t(f"form.err.{status}", lang)
        return "error", f"{message} {detail}".strip() if status == 403 and detail else message
    if 400 <= status < 500:
        return "error", t("form.err.4xx", lang, status=status, detail=detail or "–")
    return "error", t("form.err.5xx", lang, status=status)


def submit(client: ApiClient, feature: dict, lang: str, secret: str | None = None) -> tuple[str, str, bool, str | None]:
    """POST the feature; (css class, message, accepted, the author secret to keep).

    The browser keeps one secret for all its contributions (the API accepts a client's own,
    or returns a fresh one in ``X-Contribution-Secret``); with it the author sees their
    pending contributions and may change or delete them.
    """
    headers = {SECRET_HEADER: secret} if secret else {}
    try:
        reply = client.post_feature(COLLECTION, feature, headers=headers)
    except ApiError as err:
        LOG.warning("contribution POST failed: %s", err)
        kind, message = message_for(None, None, lang)
        return kind, message, False, secret
    kind, message = message_for(reply.status, reply.body, lang)
    returned = next((v for k, v in (reply.headers or {}).items() if k.lower() == SECRET_HEADER.lower()), None)
    accepted = reply.status in (200, 201, 202)
    if accepted:
        reference = _reference_of(client, reply.headers or {}, returned or secret)
        if reference:
            message = t("form.sent_reference", lang, reference=reference)
        if any(k.lower() == "x-notify-email" and v == "confirmation-queued" for k, v in (reply.headers or {}).items()):
            message = f"{message} {t('form.notify_sent', lang)}"
    return kind, message, accepted, returned or secret


def _reference_of(client: ApiClient, headers: dict, secret: str | None) -> str | None:
    """The new statement's reference number (its receipt), read back as its author; None for a Mängelmeldung."""
    location = next((v for k, v in headers.items() if k.lower() == "location"), None)
    if not location or not secret:
        return None
    try:
        item = client.get_json(
            f"collections/{COLLECTION}/items/{location.rstrip('/').rsplit('/', 1)[-1]}",
            cache=False,
            headers={SECRET_HEADER: secret},
        )
    except ApiError:
        return None
    return (item.get("properties") or {}).get("reference")


# ----------------------------------------------------------------------------
# Layout and callbacks
# ----------------------------------------------------------------------------


def layout(lang: str = "de") -> html.Div:
    return html.Div(
        className="card",
        id="form-card",
        children=[
            T("form.title", html.H2, id="form-heading"),
            html.P(T("form.intro"), className="hint"),
            html.Div(id="form-reply", className="msg info"),
            html.Form(
                id="contribution-form",
                **{"aria-labelledby": "form-heading"},
                children=[
                    choice_group(
                        "form-kind", [(k, T(f"form.kind.{k}")) for k in KINDS], KINDS[0], label_key="form.kind"
                    ),
                    choice_group(
                        "form-category",
                        [(c, T(f"form.category.{c}")) for c in TOPICS],
                        TOPICS[0],
                        label_key="form.category",
                        className="choice-group chips",
                    ),
                    html.Div(
                        className="field",
                        children=[
                            html.Label(T("form.text"), htmlFor="form-text"),
                            dcc.Textarea(id="form-text", maxLength=MAX_TEXT, value="", rows=5),
                            html.Span(T("form.text_hint"), id="form-text-hint", className="hint"),
                        ],
                    ),
                    html.Div(
                        className="field",
                        children=[
                            html.Label(T("form.pseudonym"), htmlFor="form-pseudonym"),
                            dcc.Input(
                                id="form-pseudonym",
                                type="text",
                                maxLength=MAX_PSEUDONYM,
                                value="",
                                autoComplete="nickname",
                            ),
                            html.Span(T("form.pseudonym_hint"), className="hint"),
                        ],
                    ),
                    # Offered only where the Kommune set up mail (BUERGERGIS_SMTP_*); the address never becomes public.
                    html.Div(
                        className="field",
                        id="form-notify-field",
                        hidden=not mail_settings().enabled,
                        children=[
                            html.Label(T("form.notify_email"), htmlFor="form-notify-email"),
                            dcc.Input(
                                id="form-notify-email", type="email", maxLength=254, value="", autoComplete="email"
                            ),
                            html.Span(T("form.notify_hint"), className="hint"),
                        ],
                    ),
                    html.Div(
                        className="field",
                        children=[
                            html.Span(T("form.geometry"), className="label"),
                            html.P(
                                t("form.geometry_none", lang),
                                id="form-geometry-status",
                                className="hint",
                                **{"aria-live": "polite"},
                            ),
                            # Without a mouse: move the map with the arrow keys, then take its centre.
                            html.Button(
                                T("form.use_centre"),
                                id="form-centre-btn",
                                type="button",
                                n_clicks=0,
                                className="btn secondary small",
                            ),
                            dcc.Store(id="form-centre"),
                        ],
                    ),
                    reports.photo_field(),  # Mängelmeldungen only: up to 3 photos, sent after the report (ui/reports.py)
                    reports.duplicate_hint(),  # "reported already?" with "Diese Meldung unterstützen"
                    reports.honeypot_field(),  # bots fill it; the API refuses such a contribution
                    choice_group(
                        "form-link", [("link", T("form.link"))], ["link"], multi=True, className="choice-group switches"
                    ),
                    html.P(t("form.no_link", lang), id="form-link-status", className="hint"),
                    html.P(id="form-phase-status", className="hint"),
                    html.Div(
                        className="btn-row",
                        children=[
                            html.Button(T("form.submit"), id="form-submit", className="btn", type="button", n_clicks=0),
                        ],
                    ),
                ],
            ),
            html.Div(id="form-feedback", role="status", **{"aria-live": "polite"}, className="msg"),
            # Everything this browser submitted (its secret), every status: reference, note, answer, delete.
            html.Details(
                className="lookup",
                id="mine-details",
                children=[
                    html.Summary(T("mine.title"), id="mine-summary", n_clicks=0),
                    html.Div(id="mine-list", **{"aria-live": "polite"}),
                    html.Div(id="mine-feedback", role="status", className="msg"),
                ],
            ),
            # Follow a statement by its reference number (the receipt): state, moderation note, published Abwägung.
            html.Details(
                className="lookup",
                id="lookup-details",
                children=[
                    html.Summary(T("lookup.title")),
                    html.Div(
                        className="field",
                        children=[
                            html.Label(T("lookup.label"), htmlFor="lookup-reference"),
                            dcc.Input(
                                id="lookup-reference",
                                type="text",
                                maxLength=40,
                                value="",
                                autoComplete="off",
                                placeholder="LGH-2026-0001",
                                debounce=True,
                            ),
                        ],
                    ),
                    html.Button(
                        T("lookup.submit"),
                        id="lookup-submit",
                        className="btn secondary small",
                        type="button",
                        n_clicks=0,
                    ),
                    html.Div(id="lookup-result", role="status", **{"aria-live": "polite"}),
                ],
            ),
            # One secret per browser for all its contributions (kept locally, sent only to this portal).
            dcc.Store(id="author-secret", storage_type="local"),
        ],
    )


def register(app, client: ApiClient, settings) -> None:
    register_choice_group(app, "form-kind")
    register_choice_group(app, "form-category")
    register_choice_group(app, "form-link", multi=True)
    reports.register(app, client)

    @app.callback(
        Output("form-category-buttons", "children"),
        Output("form-category", "data", allow_duplicate=True),
        Input("form-kind", "data"),
        State("form-category", "data"),
        prevent_initial_call=True,
    )
    def categories(kind, current):
        """Mängelmeldungen use the city's service categories, comments and proposals topics."""
        allowed = categories_for(kind)
        chosen = current if current in allowed else allowed[0]
        return choice_buttons("form-category", [(c, T(f"form.category.{c}")) for c in allowed], chosen), chosen

    @app.callback(
        Output("form-centre", "data"),
        Input("form-centre-btn", "n_clicks"),
        State("map", "center"),
        prevent_initial_call=True,
    )
    def use_centre(n, center):
        if not n or not center:
            return no_update
        lat, lon = (center["lat"], center["lng"]) if isinstance(center, dict) else center
        return {"type": "Point", "coordinates": [round(float(lon), 7), round(float(lat), 7)]}

    @app.callback(
        Output("form-geometry-status", "children"),
        Output("form-link-status", "children"),
        Input("edit", "geojson"),
        Input("form-centre", "data"),
        Input("selection", "data"),
        Input("lang", "data"),
        State("catalog", "data"),
        prevent_initial_call=True,  # the layout says "nothing drawn, no link" in German
    )
    def describe(geojson, centre, selection, lang, catalog):
        catalog = shared_catalog(client).resolve(catalog)
        features = (geojson or {}).get("features") or []
        geometry = drawn_geometry(geojson)
        if geometry:
            geometry_text = t("form.geometry_drawn", lang, n=len(features), kind=geometry["type"])
        elif centre:
            lon, lat = centre["coordinates"]
            geometry_text = t("form.geometry_centre", lang, lat=f"{lat:.5f}", lon=f"{lon:.5f}")
        elif (selection or {}).get("id"):
            geometry_text = t("form.geometry_selected", lang)
        else:
            geometry_text = t("form.geometry_none", lang)
        target = _target(selection, catalog)
        if target:
            link_text = f"{t('form.linked_to', lang)}: {_target_name(target, selection, catalog, lang)}"
        else:
            link_text = t("form.no_link", lang)
        return geometry_text, link_text

    @app.callback(
        Output("form-phase-status", "children"),
        Output("form-phase-status", "className"),
        Output("form-submit", "disabled"),
        Output("form-submit", "title"),
        Input("selection", "data"),
        Input("form-kind", "data"),
        Input("lang", "data"),
        Input("form-link", "data"),
        Input("form-feedback", "children"),
        State("catalog", "data"),
        prevent_initial_call=True,  # the first state comes with the layout (start_state)
    )
    def phase_hint(selection, kind, lang, link, _feedback, catalog):
        target = _target(selection, shared_catalog(client).resolve(catalog)) if "link" in (link or []) else None
        return phase_state(client, target, kind, lang)

    @app.callback(
        Output("mine-list", "children"),
        Input("contributions-version", "data"),  # every sending (and deleting) counts it up
        Input("lang", "data"),
        Input("mine-summary", "n_clicks"),
        # the secret as kept: read from the browser's storage as the page loads, which is no reason to ask
        State("author-secret", "data"),
        prevent_initial_call=True,  # read when opened
    )
    def mine(_version, lang, opened, secret):
        if not opened:  # read once the visitor opens the section (a click or Enter on its summary)
            return no_update
        if not secret:
            return html.P(t("mine.none", lang), className="hint")
        try:
            found = client.get_site_json("api/contributions/mine", headers={SECRET_HEADER: secret})
        except ApiError:
            found = None
        if not isinstance(found, dict):
            return html.P(t("panel.load_error", lang), className="msg error")
        return own_contributions(found.get("contributions") or [], lang)

    @app.callback(
        Output("mine-feedback", "children"),
        Output("contributions-version", "data", allow_duplicate=True),
        Input({"type": "delete-mine", "id": ALL}, "n_clicks"),
        State("author-secret", "data"),
        State("contributions-version", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    def delete_own(clicks, secret, version, lang):
        trigger = callback_context.triggered_id
        if not isinstance(trigger, dict) or not any(clicks or []) or not secret:
            return no_update, no_update
        try:
            reply = client.delete_item(COLLECTION, trigger["id"], headers={SECRET_HEADER: secret})
        except ApiError:
            return t("form.err.network", lang), no_update
        if reply.status not in (200, 204):
            return t("mine.delete_failed", lang, status=reply.status), no_update
        return t("mine.deleted", lang), (version or 0) + 1

    @app.callback(
        Output("lookup-result", "children"),
        Input("lookup-submit", "n_clicks"),
        Input("lookup-reference", "value"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    def lookup(_n, reference, lang):
        reference = (reference or "").strip()
        if not reference:
            return ""
        try:
            found = client.get_site_json(f"api/statements/{quote(reference, safe='')}")
        except ApiError as err:
            return html.P(
                t("lookup.unknown" if err.status == 404 else "form.err.network", lang, reference=reference),
                className="msg error",
            )
        return statement_state(found, lang)

    # ``/?reference=LGH-2026-0001`` (the link in a notification mail) opens the lookup with that number; in the
    # browser, so a page without it sends no request.
    app.clientside_callback(
        """function (search) {
            var no = window.dash_clientside.no_update;
            var wanted = (new URLSearchParams(search || "").get("reference") || "").trim().slice(0, 40);
            return wanted ? [wanted, true] : [no, no];
        }""",
        Output("lookup-reference", "value"),
        Output("lookup-details", "open"),
        Input("url", "search"),
    )

    @app.callback(
        Output("form-reply", "children"), Input("reply-to", "data"), Input("lang", "data"), prevent_initial_call=True
    )
    def show_reply(reply, lang):
        if not reply:
            return ""
        text = str(reply.get("text") or "")
        return [
            html.Span(t("form.reply_to", lang, text=text[:80] + ("…" if len(text) > 80 else ""))),
            " ",
            html.Button(
                t("form.reply_cancel", lang), id="form-reply-cancel", type="button", n_clicks=0, className="link-button"
            ),
        ]

    @app.callback(
        Output("reply-to", "data", allow_duplicate=True),
        Input("form-reply-cancel", "n_clicks"),
        prevent_initial_call=True,
    )
    def cancel_reply(n):
        return None if n else no_update

    @app.callback(
        Output("form-feedback", "children"),
        Output("form-feedback", "className"),
        Output("form-text", "value"),
        Output("edit", "geojson"),
        Output("contributions-version", "data"),
        Output("form-centre", "data", allow_duplicate=True),
        Output("author-secret", "data"),
        Output("reply-to", "data", allow_duplicate=True),
        Input("form-submit", "n_clicks"),
        State("form-text", "value"),
        State("form-kind", "data"),
        State("form-category", "data"),
        State("form-pseudonym", "value"),
        State("form-link", "data"),
        State("edit", "geojson"),
        State("form-centre", "data"),
        State("reply-to", "data"),
        State("author-secret", "data"),
        State("selection", "data"),
        State("catalog", "data"),
        State("lang", "data"),
        State("contributions-version", "data"),
        State("form-notify-email", "value"),
        State("form-website", "value"),
        prevent_initial_call=True,
    )
    def send(
        n,
        text,
        kind,
        category,
        pseudonym,
        link,
        geojson,
        centre,
        reply,
        secret,
        selection,
        catalog,
        lang,
        version,
        notify_email=None,
        website=None,
    ):
        keep = (no_update,) * 6
        if not n or callback_context.triggered_id != "form-submit":
            return (no_update,) * 8
        target = _target(selection, shared_catalog(client).resolve(catalog)) if "link" in (link or []) else None
        try:
            feature = build_feature(
                text=text,
                kind=kind,
                category=category,
                pseudonym=pseudonym,
                geometry=drawn_geometry(geojson) or centre or (reply or {}).get("geometry"),
                target=target,
                parent_id=(reply or {}).get("id"),
                notify_email=notify_email,
            )
        except FormError as err:
            return (t(err.key, lang), "msg error", *keep)
        if website:  # the honeypot (ui/reports.py): passed on, so the API refuses it like any bot's
            feature["properties"]["website"] = website
        css, message, accepted, secret = submit(client, feature, lang, secret)
        if not accepted:
            return (message, f"msg {css}", *keep)
        # The next contribution needs a shape of its own: the control's features are emptied here, the shapes
        # on the map removed and any drawing mode left in the browser (assets/citizen-map.js, ui/map.py).
        clear = {"type": "FeatureCollection", "features": []}
        return message, "msg ok", "", clear, (version or 0) + 1, None, secret, None


def own_contributions(found: list[dict], lang: str) -> html.Div:
    """ "Meine Beiträge": what this browser submitted, newest first, with state, number, note and answer."""
    if not found:
        return html.P(t("mine.none", lang), className="hint")
    items = []
    for row in found:
        text = str(row.get("text") or "")
        heading = " · ".join(
            x
            for x in (t(f"form.kind.{row.get('kind')}", lang), row.get("reference"), (row.get("created_at") or "")[:10])
            if x
        )
        items.append(
            html.Li(
                className="own-contribution",
                children=[
                    html.P(html.Strong(heading)),
                    html.P(text[:300] + ("…" if len(text) > 300 else "")),
                    statement_state(
                        {**row, "reference": None, "procedure_title_de": row.get("procedure_title_de")}, lang
                    ),
                    html.P(
                        t(f"mine.notify_{row['notify']['state']}", lang, email=row["notify"].get("email") or ""),
                        className="hint",
                    )
                    if isinstance(row.get("notify"), dict)
                    else None,
                    html.Button(
                        t("mine.delete", lang),
                        type="button",
                        n_clicks=0,
                        className="btn secondary small",
                        id={"type": "delete-mine", "id": row["id"]},
                        **{"aria-label": t("mine.delete_of", lang, what=heading)},
                    ),
                ],
            )
        )
    return html.Div(
        [html.P(t("mine.count", lang, n=len(found)), className="hint"), html.Ul(items, className="plain-list")]
    )


def statement_state(found: dict, lang: str) -> html.Div:
    """What a citizen learns from their reference number: procedure, state, note, and the published Abwägung."""
    status = str(found.get("status") or "")
    procedure = (found.get("procedure_title_en") if lang == "en" else None) or found.get("procedure_title_de")
    head = [x for x in (html.Strong(found["reference"]) if found.get("reference") else None, procedure) if x]
    lines = [
        html.P([head[0], " · ", head[1]] if len(head) == 2 else head) if head else None,
        html.P(t("lookup.status", lang, status=t(f"status.{status}", lang) if status else "–")),
    ]
    if found.get("late"):
        lines.append(html.P(t("lookup.late", lang), className="hint"))
    if found.get("status_note"):
        lines.append(html.P(t("lookup.note", lang, note=found["status_note"])))
    entries = found.get("abwaegung") or []
    if not entries and found.get("procedure_id"):
        lines.append(html.P(t("lookup.pending", lang), className="hint"))
    for entry in entries:
        label = entry.get("result_label_en" if lang == "en" else "result_label_de") or ""
        heading = (
            t("lookup.section", lang, n=entry["section_no"]) if entry.get("section_no") else t("lookup.result", lang)
        )
        lines.append(
            html.Div(
                className="abwaegung-result",
                children=[
                    html.H4(f"{heading}: {label}"),
                    html.P(entry.get("section_text"), className="hint") if entry.get("section_text") else None,
                    html.P(entry.get("proposal")) if entry.get("proposal") else None,
                    html.P(t("lookup.decision", lang, decision=entry["decision"])) if entry.get("decision") else None,
                ],
            )
        )
    return html.Div(lines, className="statement-state")


def phase_state(client: ApiClient, target: dict | None, kind: str | None, lang: str) -> tuple:
    """(sentence, its class, submit disabled, the button's title): whether the plan (or, without one, a general
    procedure) takes this kind of contribution now; if not, the button is off. The API decides in the end (and
    refuses with a message); this only spares writing in vain."""
    if kind == "maengelmeldung":
        return "", "hint", False, None
    if target and target.get("plan_id"):
        proc = procedure_info.current(procedure_info.fetch(client, target["plan_id"]))
        return _phase(proc, procedure_info.sentence(proc, lang, kind=kind), kind)
    return general_phase(procedure_info.fetch(client), kind, lang)


def general_phase(procedures: list[dict], kind: str | None, lang: str) -> tuple:
    """:func:`phase_state` for a contribution about no plan: only a general procedure (no plans, no variant)
    among ``procedures`` takes it."""
    general = [p for p in procedures if not p.get("plan_ids") and not p.get("scenario_id")]
    proc = procedure_info.current(general)
    return _phase(
        proc, procedure_info.sentence(proc, lang, kind=kind) if proc else t("form.general_closed", lang), kind
    )


def _phase(proc: dict | None, text: str, kind: str | None) -> tuple:
    if procedure_info.accepts(proc, kind):
        return text, "hint procedure-open", False, None
    return text, "msg warn", True, text


def start_state(procedures: list[dict], lang: str = "de") -> dict[str, dict]:
    """The form as it first shows (nothing selected, a comment): for the page's first layout (ui.layout), from the
    procedures the start view has read."""
    text, css, disabled, title = general_phase(procedures, KINDS[0], lang)
    return {
        "form-phase-status": {"children": text, "className": css},
        "form-submit": {"disabled": disabled, "title": title},
    }


def _target_name(target: dict, selection: dict | None, catalog: dict | None, lang: str) -> str:
    """What the contribution will be about, as the visitor knows it: the plan's number and name or the object's label."""
    if target["collection"] in ("bp_plan", "xplan_plan"):
        return plan_label(find(catalog, "bp_plan", target["plan_id"]) or {"id": target["plan_id"]})
    row = find(catalog, target["collection"], target["id"]) or (selection or {}).get("properties") or {}
    if target["collection"] == "xplan_objekt":
        return str(row.get("label") or row.get("xplan_class") or target["id"])
    return art_label(row, lang)


def _target(selection: dict | None, catalog: dict | None) -> dict | None:
    """The selected plan object as a link target (with its bbox for a fallback location)."""
    selection = selection or {}
    collection, feature_id = selection.get("collection"), selection.get("id")
    if not collection or not feature_id:
        return None
    row = find(catalog, collection, feature_id) or {}
    plan_id = row.get("plan_id") or selection.get("plan_id") or (feature_id if collection == "bp_plan" else None)
    bbox = row.get("bbox") or selection.get("bbox")
    if collection not in TARGET_COLLECTIONS:  # e.g. a building or a street: the contribution is about its plan
        return {"collection": "xplan_plan", "id": plan_id, "plan_id": plan_id, "bbox": bbox} if plan_id else None
    return {"collection": collection, "id": feature_id, "plan_id": plan_id, "bbox": bbox}
