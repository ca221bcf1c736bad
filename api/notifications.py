"""E-mail updates over HTTP (below ``/api``): whether they exist, the links in the mails, the author's switch.

``GET  /api/notifications``                       ``{"enabled": true|false, "description_de", "description_en"}``:
                                                  without SMTP settings the portal offers no address field
``GET  /api/notifications/confirm?token=…``       a page with one button (mail scanners that open links must
                                                  not confirm for the person); ``POST`` confirms
``GET  /api/notifications/unsubscribe?token=…``   the same for unsubscribing; ``POST`` (also RFC 8058 one-click
                                                  from the mail program) deletes the address and unsent mails
``GET    /api/contributions/<id>/notify``         the author (``X-Contribution-Secret``): is an address set,
                                                  confirmed? (masked: ``m…@example.org``)
``PUT    /api/contributions/<id>/notify``         ``{"email": "…"}``: set or replace it; a confirmation mail goes out
``DELETE /api/contributions/<id>/notify``         switch updates off (the address is deleted)

A contribution POST may carry ``notify_email`` in its properties (``providers/contributions.py`` takes it out
before anything is stored); its answer then says ``X-Notify-Email: confirmation-queued``. Pages answer HTML to
a browser's form and JSON to everything else; errors are ``{"code", "description": "Deutsch / English",
"field"}``.
"""

from __future__ import annotations

import html

from flask import Blueprint, Flask, Response, g, jsonify, request

from access.rules import SECRET_HEADER, AccessError, CredentialsRequired
from access.viewer import current_viewer
from api.messages import message
from intake.messages import message as intake_message
from participation import notify
from participation.mail_settings import mail_settings
from schema.bilingual import join, split
from settings import Settings

BLUEPRINT = Blueprint("notifications_api", __name__)
STATE_HEADER = "X-Notify-Email"

_PAGES = {
    "confirm": {
        "title": ("E-Mail-Adresse bestätigen", "Confirm your e-mail address"),
        "ask": (
            "Möchten Sie Neuigkeiten zu Ihrem Beitrag per E-Mail erhalten?",
            "Do you want to receive news about your contribution by e-mail?",
        ),
        "button": ("Ja, bestätigen", "Yes, confirm"),
        "done": (
            "Danke, Ihre Adresse ist bestätigt. Sie erhalten eine Eingangsbestätigung und Nachricht, wenn sich "
            "etwas ändert.",
            "Thank you, your address is confirmed. You will get a receipt, and news when something changes.",
        ),
        "again": ("Ihre Adresse war schon bestätigt.", "Your address was already confirmed."),
    },
    "unsubscribe": {
        "title": ("E-Mails abbestellen", "Unsubscribe"),
        "ask": (
            "Keine E-Mails mehr zu diesem Beitrag erhalten? Ihre Adresse wird dann gelöscht.",
            "Stop e-mails about this contribution? Your address will then be deleted.",
        ),
        "button": ("Abbestellen", "Unsubscribe"),
        "done": (
            "Abbestellt. Ihre Adresse ist gelöscht; Sie erhalten keine E-Mails mehr zu diesem Beitrag.",
            "Unsubscribed. Your address is deleted; you will get no more e-mails about this contribution.",
        ),
        "again": ("Diese Adresse war schon abbestellt.", "This address was already unsubscribed."),
    },
}


def _notifier() -> notify.Notifier:
    found = notify.notifier()
    if found is None:
        raise notify.NotifyError(notify.NOT_CONFIGURED, 409, None)
    return found


@BLUEPRINT.errorhandler(notify.NotifyError)
def _notify_error(err: notify.NotifyError):
    if _wants_page() and request.path.startswith("/api/notifications/"):
        return _page(
            _PAGES["confirm" if "confirm" in request.path else "unsubscribe"]["title"],
            [split(str(err))],
            status=err.status,
        )
    code = {400: "InvalidParameterValue", 404: "NotFound", 409: "NotConfigured", 410: "Expired"}.get(
        err.status, "Error"
    )
    return jsonify({"code": code, "description": str(err), "field": err.field}), err.status


def _wants_page() -> bool:
    """A person in a browser (a GET of the mail's link, or the page's own form) gets a page, clients JSON."""
    if request.method == "GET":
        return request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"
    return request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data")


def _page(title: tuple[str, str], paragraphs: list[tuple[str, str]], form: str = "", status: int = 200) -> Response:
    """A small bilingual page (German first); every text escaped."""
    german = "".join(f"<p>{html.escape(de)}</p>" for de, _ in paragraphs)
    english = "".join(f"<p>{html.escape(en)}</p>" for _, en in paragraphs)
    body = (
        f'<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><meta name="viewport" '
        f'content="width=device-width, initial-scale=1"><title>{html.escape(join(*title))}</title>'
        f"<style>body{{font-family:sans-serif;max-width:40em;margin:2em auto;"
        f'padding:0 1em;line-height:1.5}}button{{font-size:1.1em;padding:.5em 1em}}</style></head><body>'
        f'<main><h1>{html.escape(title[0])}</h1>{german}{form}<div lang="en"><h2>{html.escape(title[1])}</h2>'
        f'{english}</div><p><a href="/">{html.escape(message("to_the_portal"))}</a></p></main></body></html>'
    )
    response = Response(body, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


def _token() -> str | None:
    return (
        request.args.get("token")
        or request.form.get("token")
        or ((request.get_json(silent=True) or {}).get("token") if request.is_json else None)
    )


def _link_view(purpose: str):
    texts = _PAGES[purpose]
    notifier = _notifier()
    token = _token()
    if request.method == "GET":
        notifier.read_token(purpose, token)  # a broken or expired link says so now, not after the click
        if not _wants_page():
            return jsonify({"token_valid": True, "post_to": request.path})
        form = (
            f'<form method="post" action="{html.escape(request.path)}?token={html.escape(token or "")}">'
            f'<button type="submit">{html.escape(join(*texts["button"]))}'
            "</button></form>"
        )
        return _page(texts["title"], [texts["ask"]], form)
    if purpose == "confirm":
        newly = notifier.confirm(token)["newly_confirmed"]
        result = {"confirmed": True, "newly_confirmed": newly}
    else:
        newly = notifier.unsubscribe(token)
        result = {"unsubscribed": True, "deleted": newly}
    if _wants_page():
        return _page(texts["title"], [texts["done"] if newly else texts["again"]])
    return jsonify(result)


@BLUEPRINT.route("/notifications/confirm", methods=["GET", "POST"])
def confirm():
    return _link_view("confirm")


@BLUEPRINT.route("/notifications/unsubscribe", methods=["GET", "POST"])
def unsubscribe():
    return _link_view("unsubscribe")


@BLUEPRINT.get("/notifications")
def settings_view():
    enabled = notify.notifier() is not None
    return jsonify(
        {
            "enabled": enabled,
            "field": notify.FIELD,
            "description_de": "Neuigkeiten zu einem Beitrag per E-Mail (freiwillig, mit Bestätigung)"
            if enabled
            else "E-Mail-Benachrichtigungen sind hier nicht eingerichtet",
            "description_en": "News about a contribution by e-mail (optional, confirmed first)"
            if enabled
            else "e-mail updates are not set up here",
        }
    )


# -- the author's switch ---------------------------------------------------------------------------------------


def _own_contribution(contribution_id: str) -> None:
    """Only the author (their secret) may see or change the address of a contribution; 404 for anyone else."""
    from api.contributions import contributions_provider

    viewer = current_viewer()
    if not viewer.secret_hashes:
        raise CredentialsRequired(message("notify_secret_required", header=SECRET_HEADER))
    row = contributions_provider().rows.row(contribution_id)
    if row is None or not viewer.owns(row.get("author_secret_hash")):
        raise notify.NotifyError(intake_message("contribution_not_found", id=contribution_id), 404, None)


@BLUEPRINT.errorhandler(AccessError)
def _access_error(err: AccessError):
    return jsonify({"code": err.ogc_exception_code, "description": err.message}), int(err.http_status_code)


@BLUEPRINT.route("/contributions/<contribution_id>/notify", methods=["GET", "PUT", "POST", "DELETE"])
def author_switch(contribution_id: str):
    _own_contribution(contribution_id)
    notifier = _notifier()
    if request.method == "DELETE":
        return jsonify(
            {"id": contribution_id, "deleted": notifier.unsubscribe_contribution(contribution_id), "notify": None}
        )
    if request.method in ("PUT", "POST"):
        body = request.get_json(force=True, silent=True)
        if not isinstance(body, dict) or "email" not in body:
            raise notify.NotifyError(message("notify_body"), 400, "email")
        try:
            notifier.subscribe(contribution_id, body["email"])
        except notify.NotifyError as err:
            raise notify.NotifyError(str(err).replace(f"'{notify.FIELD}'", "'email'"), err.status, "email") from None
        response = jsonify(
            {
                "id": contribution_id,
                "notify": notifier.states([contribution_id]).get(contribution_id),
                "description": message("notify_confirmation_sent"),
            }
        )
        return response, 202
    return jsonify({"id": contribution_id, "notify": notifier.states([contribution_id]).get(contribution_id)})


def states_of(contribution_ids: list[str]) -> dict[str, dict]:
    """For "Meine Beiträge": the update state of each of these contributions (empty when mail is off)."""
    found = notify.notifier()
    return found.states(contribution_ids) if found is not None else {}


def install(server: Flask, settings: Settings) -> None:
    """Set up the process's notifier and its background sender (when SMTP is configured) and the header hook."""
    from access.db import Db
    from api.limits import signing_key
    from participation.outbox import OutboxWorker

    mail = mail_settings()
    if mail.enabled:
        db = Db(settings.store)
        worker = OutboxWorker(db, mail)
        notify.configure(notify.Notifier(db=db, key=signing_key(settings.data_dir), settings=mail, wake=worker.kick))
        server.extensions["buergergis.outbox"] = worker

        @server.before_request
        def outbox_running():
            worker.ensure_running()  # per process (gunicorn forks after start-up): mail left from before goes out
    else:
        notify.configure(None)

    @server.after_request
    def notify_state(response):
        state = g.pop("notify_email_state", None)
        if state:
            response.headers[STATE_HEADER] = state
        return response
