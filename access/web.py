"""Routes of staff sign-in and service tokens (registered on the app by :func:`install`, from api/wsgi.py).

``GET /auth/login?next=/path``   redirect to the identity provider (code flow, PKCE, state, nonce);
                                  ``next`` may only be a local path
``GET /auth/callback``            the provider's answer: a new session (cookie), then back to ``next``
``POST /auth/logout``             end the session (CSRF token in ``X-CSRF-Token`` or the form field
                                  ``csrf_token``); a form post is redirected to ``next``
``GET /api/me``                   who is asking: ``signed_in``, ``name``, ``role``, ``via``, ``csrf_token``
                                  (401 when the session has expired, 403 for an unknown token)
``GET/POST /api/service-tokens``, ``DELETE /api/service-tokens/<name>``   admins manage service tokens

Pages meant for people (sign-in not set up, provider unreachable, sign-in refused) are small HTML pages in
German and English; the API answers JSON.
"""

from __future__ import annotations

import hmac
import logging
import re
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, g, jsonify, redirect, request
from markupsafe import escape
from werkzeug.wrappers import Response as BaseResponse

from access import sessions as staff
from access.messages import message, pair
from access.oidc import Oidc, SignInFailed, display_name
from access.rules import ADMIN, SESSION_EXPIRED, UNKNOWN_TOKEN
from access.settings import AccessSettings
from access.tokens import TokenError
from access.viewer import current_viewer

LOG = logging.getLogger(__name__)

BLUEPRINT = Blueprint("staff_access", __name__)

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def install(server, settings) -> staff.AccessContext:
    """Make the access tables, the OpenID Connect client (when configured) and register the routes."""
    access_settings = AccessSettings(public_url=settings.public_url)
    context = staff.AccessContext(settings.store, access_settings)
    context.db.create_tables(settings.storage_epsg)
    if access_settings.oidc_configured:
        context.oidc = Oidc(server, access_settings, f"{settings.public_url.rstrip('/')}/auth/callback")
    server.extensions[staff.EXTENSION] = context
    server.register_blueprint(BLUEPRINT)
    return context


def _context() -> staff.AccessContext:
    return current_app.extensions[staff.EXTENSION]


def _portal_root() -> str:
    return (urlsplit(_context().settings.public_url).path.rstrip("/")) + "/"


_LOCAL_PATH = re.compile(r"^/(?![/\\])[^\s\\]*$")


def local_path(value: str | None) -> str:
    """``value`` if it is a path on this site (``/…``, not ``//host`` or ``/\\host``), else the portal root."""
    if isinstance(value, str) and len(value) <= 2000 and _LOCAL_PATH.match(value) and ":" not in value.split("?")[0]:
        return value
    return _portal_root()


def _no_store(response: BaseResponse) -> BaseResponse:
    response.headers["Cache-Control"] = "no-store"
    response.vary.add("Cookie")
    response.vary.add("Authorization")
    return response


def _json_error(status: int, code: str, message: str, **extra):
    return _no_store(jsonify({"code": code, "description": message, **extra})), status


def _page(status: int, title: tuple[str, str], text: tuple[str, str], link: bool = True):
    """A small page for people: ``title`` and ``text`` are (German, English) pairs of :mod:`access.messages`."""
    (title_de, title_en), (text_de, text_en) = title, text
    back = _portal_root()
    again = f'<p><a href="{escape(back)}">{escape(message("back_to_portal"))}</a></p>' if link else ""
    body = (
        f'<!DOCTYPE html>\n<html lang="de"><head><meta charset="utf-8"><meta name="viewport" '
        f'content="width=device-width, initial-scale=1"><title>{escape(title_de)} – Bürger-GIS</title></head>'
        f'<body><main><h1>{escape(title_de)}</h1><p>{escape(text_de)}</p>'
        f'<h2 lang="en">{escape(title_en)}</h2><p lang="en">{escape(text_en)}</p>{again}</main></body></html>'
    )
    return _no_store(Response(body, status=status, mimetype="text/html")), status


# -- messages ----------------------------------------------------------------------------------------------


def _not_set_up():
    return _page(503, pair("signin_not_set_up_title"), pair("signin_not_set_up"))


def _unreachable():
    return _page(502, pair("signin_unreachable_title"), pair("signin_unreachable"))


# -- sign-in ----------------------------------------------------------------------------------------------


@BLUEPRINT.get("/auth/login")
def login():
    context = _context()
    if context.oidc is None:
        return _not_set_up()
    try:
        authorization = context.oidc.authorization()
    except SignInFailed as err:
        LOG.warning("sign-in: identity provider unreachable: %s", err)
        return _unreachable()
    state = {key: authorization[key] for key in ("state", "nonce", "code_verifier", "redirect_uri")}
    login_id = context.sessions.start_login({**state, "next": local_path(request.args.get("next"))})
    response = redirect(authorization["url"], 302)
    staff.set_login_cookie(response, login_id, context.settings)
    return _no_store(response)


@BLUEPRINT.get("/auth/callback")
def callback():
    context = _context()
    if context.oidc is None:
        return _not_set_up()
    login_state = context.sessions.take_login(request.cookies.get(staff.LOGIN_COOKIE))
    error = request.args.get("error")
    if error:
        page = _page(
            403 if error == "access_denied" else 400,
            pair("signin_not_confirmed_title"),
            pair("signin_not_confirmed", error=error[:100]),
        )
        return _without_login_cookie(page, context)
    if login_state is None or not hmac.compare_digest(
        str(login_state.get("state", "")).encode(), request.args.get("state", "").encode()
    ):
        page = _page(400, pair("signin_expired_title"), pair("signin_expired"))
        return _without_login_cookie(page, context)
    try:
        claims = context.oidc.finish(login_state, request.args.get("code", ""), request.args.get("iss"))
    except SignInFailed as err:
        LOG.warning("sign-in failed: %s", err)
        if err.unreachable:
            return _without_login_cookie(_unreachable(), context)
        page = _page(400, pair("signin_failed_title"), pair("signin_failed"))
        return _without_login_cookie(page, context)
    role = context.oidc.role(claims)
    email = claims.get("email") if isinstance(claims.get("email"), str) else ""
    session_id, _row = context.sessions.create(str(claims["sub"]), display_name(claims), email or "", role)
    previous = request.cookies.get(staff.COOKIE)
    if previous:
        context.sessions.end(previous)
    LOG.info("staff sign-in (role %s)", role)
    response = redirect(local_path(login_state.get("next")), 303)
    staff.set_session_cookie(response, session_id, context.settings)
    return _without_login_cookie(response, context)


def _without_login_cookie(result, context):
    response = result[0] if isinstance(result, tuple) else result
    staff.clear_login_cookie(response, context.settings)
    return result


@BLUEPRINT.post("/auth/logout")
def logout():
    context = _context()
    session_id = request.cookies.get(staff.COOKIE)
    row, _stale = context.sessions.lookup(session_id)
    form = request.mimetype in _FORM_TYPES
    if row is not None:
        sent = request.headers.get(staff.CSRF_HEADER) or (request.form.get(staff.CSRF_FIELD) if form else None)
        if not staff.csrf_ok(row, sent):
            if form:
                return _page(403, pair("signout_refused_title"), pair("signout_refused"))
            return _json_error(403, "Forbidden", CSRF_MESSAGE)
        context.sessions.end(session_id)
    response = redirect(local_path(request.form.get("next")), 303) if form else jsonify({"signed_in": False})
    staff.clear_session_cookie(response, context.settings)
    return _no_store(response)


CSRF_MESSAGE = message("csrf", header=staff.CSRF_HEADER)


# -- who am I ---------------------------------------------------------------------------------------------


@BLUEPRINT.get("/api/me")
def me():
    context = _context()
    viewer = current_viewer()
    available = context.oidc is not None
    if viewer.token_invalid:
        return _json_error(403, "Forbidden", UNKNOWN_TOKEN, signed_in=False, sign_in_available=available)
    if viewer.session_expired:
        return _json_error(
            401, "SessionExpired", SESSION_EXPIRED, signed_in=False, expired=True, sign_in_available=available
        )
    session = g.get("staff_session") if viewer.via == "oidc" else None
    return _no_store(
        jsonify(
            {
                "signed_in": bool(viewer.via),
                "name": viewer.name or None,
                "role": viewer.role,
                "via": viewer.via or None,
                "csrf_token": (session or {}).get("csrf_token"),
                "expired": False,
                "sign_in_available": available,
            }
        )
    )


# -- service tokens -------------------------------------------------------------------------------------


def _admin_refusal():
    viewer = current_viewer()
    if viewer.role == ADMIN:
        return None
    if viewer.token_invalid:
        return _json_error(403, "Forbidden", UNKNOWN_TOKEN)
    if viewer.session_expired:
        return _json_error(401, "SessionExpired", SESSION_EXPIRED)
    if viewer.via:
        return _json_error(403, "Forbidden", message("tokens_admins_only"))
    return _json_error(401, "Unauthorized", message("admin_sign_in"))


@BLUEPRINT.get("/api/service-tokens")
def list_tokens():
    if (refusal := _admin_refusal()) is not None:
        return refusal
    return _no_store(jsonify({"tokens": _context().tokens.list()}))


@BLUEPRINT.post("/api/service-tokens")
def create_token():
    if (refusal := _admin_refusal()) is not None:
        return refusal
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _json_error(400, "InvalidParameterValue", message("token_body"))
    try:
        name, role = body.get("name"), body.get("role")
        # not text: the checks of tokens.create refuse "" with the message that names the field
        token, row = _context().tokens.create(
            name if isinstance(name, str) else "", role if isinstance(role, str) else ""
        )
    except TokenError as err:
        return _json_error(err.status, "InvalidParameterValue" if err.status == 400 else "Conflict", str(err))
    LOG.info("service token %s (%s) created", row["name"], row["role"])
    return _no_store(jsonify({**row, "token": token, "note": message("token_shown_once")})), 201


@BLUEPRINT.delete("/api/service-tokens/<name>")
def revoke_token(name: str):
    if (refusal := _admin_refusal()) is not None:
        return refusal
    try:
        row = _context().tokens.revoke(name)
    except TokenError as err:
        return _json_error(err.status, "NotFound", str(err))
    LOG.info("service token %s revoked", name)
    return _no_store(jsonify(row))
