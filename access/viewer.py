"""Who is asking: the :class:`~access.rules.Viewer` of the current Flask request.

:func:`viewer_from_request` resolves, in this order: ``Authorization: Bearer`` (the environment tokens
``BUERGERGIS_PLANNER_TOKEN`` and ``BUERGERGIS_MODERATOR_TOKEN``, then the service tokens of
:mod:`access.tokens`), the staff session cookie (:mod:`access.sessions`), else an anonymous citizen; each
with the author secrets sent in ``X-Contribution-Secret``. Tokens are compared in constant time
(:func:`hmac.compare_digest`); a token that matches no role marks the viewer ``token_invalid``, and every
write route refuses it (403).

Everything that asks who is asking calls :func:`current_viewer`: the guard in front of the routes
(``api/access.py``), the providers (pygeoapi runs them inside the Flask request), the process runs and
the routes of :mod:`access.web`. Outside a request (start-up, scripts) the viewer is anonymous.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets

from flask import current_app, g, has_app_context, has_request_context, request

from access import sessions
from access.rules import (
    ANONYMOUS,
    CITIZEN,
    MODERATOR,
    PLANNER,
    SECRET_HEADER,
    Viewer,
    checked_secret,
    secret_hashes,
)

#: The Flask ``g`` attribute the new contribution's secret waits in for the response header (api/access.py).
_NEW_SECRET = "contribution_secret"


def role_tokens() -> dict[str, str]:
    """The environment tokens that are set: role -> token (read at each request: a rotation needs no restart)."""
    tokens = {}
    for role, variable in ((PLANNER, "BUERGERGIS_PLANNER_TOKEN"), (MODERATOR, "BUERGERGIS_MODERATOR_TOKEN")):
        value = os.environ.get(variable) or ""
        if value:
            tokens[role] = value
    return tokens


def role_for(authorization: str | None) -> tuple[str, bool]:
    """(role, invalid) for an Authorization header; every configured token is compared."""
    role, invalid, _name, _via = identify(authorization)
    return role, invalid


def identify(authorization: str | None) -> tuple[str, bool, str, str]:
    """(role, invalid, name, via) for an Authorization header: environment tokens, then service tokens."""
    if not authorization:
        return CITIZEN, False, "", ""
    sent = hashlib.sha256(authorization.encode()).digest()  # equal lengths: the comparison leaks no length
    matches = {
        role: hmac.compare_digest(sent, hashlib.sha256(f"Bearer {token}".encode()).digest())
        for role, token in role_tokens().items()
    }
    for role in (PLANNER, MODERATOR):
        if matches.get(role):
            return role, False, f"token:{role}-env", "env-token"
    context = staff_access()
    scheme, _, token = authorization.partition(" ")
    if context is not None and scheme.lower() == "bearer" and token.strip():
        row = context.tokens.lookup(token.strip())
        if row is not None:
            return row["role"], False, f"token:{row['name']}", "service-token"
    return CITIZEN, True, "", ""


def staff_access() -> sessions.AccessContext | None:
    """The app's sessions and service tokens (access/web.py installs them), or None outside such an app."""
    if not has_app_context():
        return None
    return current_app.extensions.get(sessions.EXTENSION)


def viewer_from_request() -> Viewer:
    """Authorization Bearer (environment tokens, then service tokens), else the session cookie, else citizen."""
    authorization = request.headers.get("Authorization")
    hashes = secret_hashes(request.headers.get(SECRET_HEADER))
    if authorization:
        role, invalid, name, via = identify(authorization)
        return Viewer(role=role, secret_hashes=hashes, token_invalid=invalid, token_sent=True, name=name, via=via)
    context = staff_access()
    if context is not None:
        session, stale = context.sessions.lookup(request.cookies.get(sessions.COOKIE))
        if session is not None:
            g.staff_session = session
            return Viewer(
                role=session["role"] or CITIZEN,
                secret_hashes=hashes,
                name=session["name"] or session["subject"] or "",
                via="oidc",
            )
        if stale:
            return Viewer(secret_hashes=hashes, session_expired=True)
    return Viewer(secret_hashes=hashes)


def current_viewer() -> Viewer:
    """The viewer of the current Flask request (resolved once per request); anonymous outside one."""
    if not has_request_context():
        return ANONYMOUS
    viewer = g.get("viewer")
    if viewer is None:
        viewer = g.viewer = viewer_from_request()
    return viewer


# -- the secret of a new contribution ----------------------------------------------------------------


def secret_for_new_contribution() -> str:
    """The client's own secret from the request header, if it sent a valid one; else a fresh one."""
    given = request.headers.get(SECRET_HEADER, "").strip() if has_request_context() else ""
    if given and "," not in given:
        return checked_secret(given)
    return secrets.token_urlsafe(32)


def remember_secret(secret: str) -> None:
    """Hand the new contribution's secret to the response (:func:`take_remembered_secret`, api/access.py)."""
    if has_request_context():
        setattr(g, _NEW_SECRET, secret)


def take_remembered_secret() -> str | None:
    """The secret :func:`remember_secret` kept in this request, once."""
    return g.pop(_NEW_SECRET, None)
