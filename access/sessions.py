"""Server-side staff sessions: a random id in an HttpOnly cookie, everything else in ``staff_sessions``.

* The cookie (``bgis_session``) holds 256 random bits; the table holds their SHA-256 only, so a copy of the
  database does not let anyone act as a signed-in person. HttpOnly, SameSite=Lax, Secure when the public URL
  is https, Path=/.
* A session ends ``BUERGERGIS_SESSION_IDLE_MINUTES`` after its last request, and
  ``BUERGERGIS_SESSION_MAX_HOURS`` after sign-in at the latest; signing out deletes its row. A cookie whose
  session ended makes the request anonymous, and a staff-only write then gets 401 "session expired".
* Every session has a CSRF token (``/api/me`` tells it to the page). A write authenticated by the cookie needs
  it in ``X-CSRF-Token`` (:func:`csrf_ok`); SameSite=Lax already keeps the cookie off cross-site POSTs, the
  token also covers same-site neighbours and old browsers.
* A sign-in under way is a row of kind ``login`` (state, nonce and PKCE verifier of the OpenID Connect flow,
  10 minutes), keyed by a second cookie (``bgis_login``, Path=/auth/); the session gets a fresh id when the
  sign-in completes, so nobody can plant a session id beforehand.

The Dash UI calls the API over HTTP from its callbacks (ui/api.py), forwarding the visitor's Cookie.
:func:`csrf_for_dash_callback` adds the session's CSRF token to those calls only when the callback request
itself comes from our own page: Dash callbacks are JSON POSTs to ``/_dash-update-component``, which a
cross-site page cannot send with the visitor's cookie (SameSite=Lax; a JSON body needs a CORS preflight this
server never grants), and the browser's ``Sec-Fetch-Site: same-origin`` (or ``Origin`` equal to the public
URL) proves where it came from; the answer goes back to that same page only. A callback request from
anywhere else is forwarded without the token, so the API refuses its writes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from typing import TYPE_CHECKING, TypeGuard

from access import db as rows
from access.settings import AccessSettings

if TYPE_CHECKING:
    from access.oidc import Oidc

COOKIE = "bgis_session"
#: Beside the session cookie, readable by the page's script and no credential: "a staff session may exist here",
#: so a citizen's page never asks the server whether it shows staff tools (ui/studio.py's sign-in gate).
STAFF_HINT_COOKIE = "bgis_staff"
LOGIN_COOKIE = "bgis_login"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
LOGIN_SECONDS = 600
#: last_seen_at is written at most this often per session (not on every request).
TOUCH_SECONDS = 60
DASH_CALLBACK = "/_dash-update-component"


def hash_id(session_id: str) -> str:
    return hashlib.sha256(b"buergergis-session:" + session_id.encode()).hexdigest()


def _valid_cookie(value: str | None) -> TypeGuard[str]:
    return value is not None and 20 <= len(value) <= 128 and all(c.isalnum() or c in "-_" for c in value)


class Sessions:
    """Staff sessions and sign-ins under way, in the store at ``db``."""

    def __init__(self, db: rows.Db, settings: AccessSettings):
        self.db = db
        self.settings = settings

    # -- sign-in under way ---------------------------------------------------------------------------

    def start_login(self, state: dict) -> str:
        """Remember an OpenID Connect sign-in; returns the id for the ``bgis_login`` cookie."""
        login_id = secrets.token_urlsafe(32)
        moment = rows.now()
        self.purge()
        self.db.execute(
            "INSERT INTO staff_sessions (id, kind, login_state, created_at, last_seen_at, expires_at) "
            "VALUES (:id, 'login', :state, :now, :now, :expires)",
            {
                "id": hash_id(login_id),
                "state": json.dumps(state),
                "now": rows.iso(moment),
                "expires": rows.later(LOGIN_SECONDS, moment),
            },
        )
        return login_id

    def take_login(self, login_id: str | None) -> dict | None:
        """The sign-in's state, once (the row is deleted); None when unknown or older than 10 minutes."""
        if not _valid_cookie(login_id):
            return None
        key = hash_id(login_id)
        with self.db.transaction() as tx:
            found = tx.fetch(
                "SELECT login_state, expires_at FROM staff_sessions WHERE id = :id AND kind = 'login'", {"id": key}
            )
            if found:
                tx.execute("DELETE FROM staff_sessions WHERE id = :id", {"id": key})
        if not found or rows.required_instant(found[0]["expires_at"]) <= rows.now():
            return None
        return rows.json_value(found[0]["login_state"])

    # -- sessions --------------------------------------------------------------------------------------

    def create(self, subject: str, name: str, email: str, role: str) -> tuple[str, dict]:
        """A new session; returns (session id for the cookie, row)."""
        session_id = secrets.token_urlsafe(32)
        moment = rows.now()
        row = {
            "id": hash_id(session_id),
            "subject": subject,
            "name": name,
            "email": email,
            "role": role,
            "csrf_token": secrets.token_urlsafe(32),
            "now": rows.iso(moment),
            "expires": rows.later(self.settings.max_seconds, moment),
        }
        self.purge()
        self.db.execute(
            "INSERT INTO staff_sessions (id, kind, subject, name, email, role, csrf_token, created_at, "
            "last_seen_at, expires_at) VALUES (:id, 'session', :subject, :name, :email, :role, :csrf_token, "
            ":now, :now, :expires)",
            row,
        )
        return session_id, {
            **row,
            "kind": "session",
            "created_at": row["now"],
            "last_seen_at": row["now"],
            "expires_at": row["expires"],
        }

    def lookup(self, session_id: str | None) -> tuple[dict | None, bool]:
        """(row, stale): the live session of a cookie, or (None, True) when the cookie names none (ended,
        expired, signed out, made up); (None, False) without a cookie."""
        if not session_id:
            return None, False
        if not _valid_cookie(session_id):
            return None, True
        key = hash_id(session_id)
        found = self.db.fetch("SELECT * FROM staff_sessions WHERE id = :id AND kind = 'session'", {"id": key})
        if not found:
            return None, True
        row = found[0]
        moment = rows.now()
        last_seen = rows.required_instant(row["last_seen_at"])
        idle = (moment - last_seen).total_seconds()
        if rows.required_instant(row["expires_at"]) <= moment or idle > self.settings.idle_seconds:
            self.db.execute("DELETE FROM staff_sessions WHERE id = :id", {"id": key})
            return None, True
        if idle > TOUCH_SECONDS:
            self.db.execute(
                "UPDATE staff_sessions SET last_seen_at = :now WHERE id = :id", {"now": rows.iso(moment), "id": key}
            )
        return row, False

    def end(self, session_id: str | None) -> bool:
        if not _valid_cookie(session_id):
            return False
        return self.db.execute("DELETE FROM staff_sessions WHERE id = :id", {"id": hash_id(session_id)}) > 0

    def purge(self) -> int:
        """Delete ended sessions and abandoned sign-ins."""
        moment = rows.now()
        return self.db.execute(
            "DELETE FROM staff_sessions WHERE expires_at <= :now OR (kind = 'session' AND last_seen_at < :idle)",
            {"now": rows.iso(moment), "idle": rows.later(-self.settings.idle_seconds, moment)},
        )


# -- cookies -------------------------------------------------------------------------------------------


def set_session_cookie(response, session_id: str, settings: AccessSettings) -> None:
    response.set_cookie(
        COOKIE,
        session_id,
        max_age=int(settings.max_seconds),
        path="/",
        httponly=True,
        samesite="Lax",
        secure=settings.secure_cookies,
    )
    response.set_cookie(
        STAFF_HINT_COOKIE,
        "1",
        max_age=int(settings.max_seconds),
        path="/",
        httponly=False,
        samesite="Lax",
        secure=settings.secure_cookies,
    )


def clear_session_cookie(response, settings: AccessSettings) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="Lax", secure=settings.secure_cookies)
    response.delete_cookie(STAFF_HINT_COOKIE, path="/", samesite="Lax", secure=settings.secure_cookies)


def set_login_cookie(response, login_id: str, settings: AccessSettings) -> None:
    response.set_cookie(
        LOGIN_COOKIE,
        login_id,
        max_age=LOGIN_SECONDS,
        path="/auth/",
        httponly=True,
        samesite="Lax",
        secure=settings.secure_cookies,
    )


def clear_login_cookie(response, settings: AccessSettings) -> None:
    response.delete_cookie(LOGIN_COOKIE, path="/auth/", httponly=True, samesite="Lax", secure=settings.secure_cookies)


# -- CSRF ------------------------------------------------------------------------------------------------


def csrf_ok(session: dict | None, sent: str | None) -> bool:
    expected = (session or {}).get("csrf_token") or ""
    return bool(expected) and sent is not None and hmac.compare_digest(expected.encode(), sent.encode())


def same_origin(request, settings: AccessSettings) -> bool:
    """Did the browser send this request from our own pages? (``Sec-Fetch-Site``, else ``Origin``)."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site == "same-origin"
    origin = (request.headers.get("Origin") or "").strip().lower()
    return bool(origin) and origin == settings.public_origin


def csrf_for_dash_callback() -> str | None:
    """The signed-in visitor's CSRF token, for the API calls of the Dash callback now running -- if this
    request is a Dash callback sent from our own page (see the module's docstring); else None."""
    from flask import current_app, g, has_request_context, request

    if not has_request_context() or request.method != "POST" or not request.path.endswith(DASH_CALLBACK):
        return None
    context = current_app.extensions.get(EXTENSION)
    if context is None or not request.cookies.get(COOKIE) or not same_origin(request, context.settings):
        return None
    from access.viewer import current_viewer

    if current_viewer().via != "oidc":
        return None
    return (g.get("staff_session") or {}).get("csrf_token")


# -- what the app holds ------------------------------------------------------------------------------------

EXTENSION = "buergergis.staff_access"


class AccessContext:
    """Per app: the store's access tables, the settings and (when configured) the OpenID Connect client."""

    def __init__(self, store_url: str, settings: AccessSettings):
        from access.tokens import ServiceTokens

        self.settings = settings
        self.db = rows.Db(store_url)
        self.sessions = Sessions(self.db, settings)
        self.tokens = ServiceTokens(self.db)
        self.oidc: Oidc | None = None  # set by access.web.install when configured
