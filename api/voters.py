"""Who is "one person" for a like: a browser id the server issued, in a signed, HttpOnly cookie.

A client-chosen id (the former ``X-Voter-Id`` header) is not a person: one script bought 1,000 likes with
1,000 ids. Now the id comes from the server only:

* The API hands out a cookie ``buergergis_voter`` (random id, signed with the server's key by
  ``itsdangerous``; ``HttpOnly``, ``SameSite=Lax``, ``Secure`` on https, one year) on the first like of a
  client that has none. The portal hands the same kind of cookie to every browser on its first page
  (:func:`install_portal`) and forwards it to the API in ``X-Portal-Voter`` (the signed value, which the
  API checks as it checks the cookie) next to the browser's own Cookie header.
* ``X-Voter-Id`` is no longer read. A forged or altered cookie is refused (403), never replaced silently.
* New ids are counted per client address (``BUERGERGIS_LIMIT_VOTERS``, api/limits.py): a script that
  throws its cookie away after every like gets at most that many likes, and shows up in the moderators'
  view of bursts (``GET /api/moderation/bursts``).

Only a hash of the id is stored with a like (``access.rules.hash_voter``); the cookie holds no personal data.
"""

from __future__ import annotations

import secrets
from http import HTTPStatus

from flask import Flask, current_app, g, has_request_context, request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from pygeoapi.provider.base import ProviderGenericError

from api.messages import message

COOKIE = "buergergis_voter"
PORTAL_HEADER = "X-Portal-Voter"
MAX_AGE_S = 365 * 24 * 3600
_SALT = "buergergis-voter"
#: Portal paths that get a cookie: pages and Dash callbacks (not the API, not static files).
_API_PREFIXES = (
    "/api/",
    "/oapi",
    "/open311/",
    "/auth/",
    "/rasters/",
    "/assets/",
    "/_dash-component-suites/",
    "/_dash-layout",
    "/_dash-dependencies",
    "/_favicon",
    "/_reload-hash",
)


class VoterRefused(ProviderGenericError):
    """A like without a usable browser id (forged cookie, too many new ids from one address)."""

    def __init__(self, status: HTTPStatus, code: str, msg: str):
        super().__init__(msg, user_msg=msg)
        self.http_status_code = status
        self.ogc_exception_code = code


def _serializer() -> URLSafeTimedSerializer:
    key = current_app.extensions.get("buergergis.portal_key")
    if not key:
        raise RuntimeError("api.limits.install must run before voter ids are used (it makes the server key)")
    return URLSafeTimedSerializer(key, salt=_SALT)


def sign_voter(voter: str) -> str:
    """The signed cookie value for a browser id."""
    return _serializer().dumps(voter)


def read_voter(token: str | None) -> tuple[str | None, bool]:
    """(browser id, forged?) of a signed value; an expired one is (None, False): it is replaced."""
    if not token:
        return None, False
    try:
        value = _serializer().loads(token, max_age=MAX_AGE_S)
    except SignatureExpired:
        return None, False
    except BadSignature:
        return None, True
    return (value, False) if isinstance(value, str) and 16 <= len(value) <= 64 else (None, True)


def _from_portal() -> bool:
    """The request is a portal callback's (a signed visitor address came along, api/limits.py)."""
    from api.limits import CLIENT_HEADER

    return bool(request.headers.get(CLIENT_HEADER))


def current_voter(issue: bool = True) -> str:
    """The browser id of this request (cookie, else the portal's forwarded one), issuing one when allowed.

    Raises :class:`VoterRefused`: 403 for a forged id, 429 when this address got too many new ids,
    400 when the portal forwarded none (the browser refuses cookies).
    """
    if g.get("voter_id"):
        return g.voter_id
    for token in (request.headers.get(PORTAL_HEADER), request.cookies.get(COOKIE)):
        voter, forged = read_voter(token)
        if forged:
            g.voter_forged = True
            raise VoterRefused(
                HTTPStatus.FORBIDDEN,
                "Forbidden",
                message("voter_forged"),
            )
        if voter:
            g.voter_id = voter
            return voter
    if not issue or _from_portal():
        raise VoterRefused(
            HTTPStatus.BAD_REQUEST,
            "InvalidParameterValue",
            message("voter_cookie_needed"),
        )
    from api.limits import allow

    item, wait = allow("voters")
    if item is not None:
        raise VoterRefused(
            HTTPStatus.TOO_MANY_REQUESTS,
            "TooManyRequests",
            message("voters_too_many", limit=item, wait=wait),
        )
    g.voter_id = secrets.token_urlsafe(24)
    g.voter_new = True
    return g.voter_id


def _set_cookie(response, voter: str) -> None:
    secure = request.is_secure or request.headers.get("X-Forwarded-Proto", "") == "https"
    response.set_cookie(
        COOKIE, sign_voter(voter), max_age=MAX_AGE_S, httponly=True, samesite="Lax", secure=secure, path="/"
    )
    response.vary.add("Cookie")


def install(server: Flask) -> None:
    """After every request: hand out a newly issued id as cookie; drop a forged one."""

    @server.after_request
    def voter_cookie(response):
        if g.get("voter_new") and g.get("voter_id") and response.status_code < 500:
            _set_cookie(response, g.voter_id)
        elif g.get("voter_forged"):
            response.delete_cookie(COOKIE, path="/")
        return response


def install_portal(server: Flask):
    """The portal's share: every browser gets its id with its first page or Dash callback.

    New ids are counted per client address like the API's (``voters`` limit); beyond it the page still
    loads, only likes are refused until the window has passed. Returns the switch that starts it (after the
    portal's own warm-up request, which must not use up an address's new ids).
    """
    active: list[bool] = []

    @server.before_request
    def portal_voter():
        if not active or request.path.startswith(_API_PREFIXES) or request.method not in ("GET", "POST"):
            return None
        voter, forged = read_voter(request.cookies.get(COOKIE))
        if voter:
            g.voter_id = voter
            return None
        from api.limits import allow

        item, _wait = allow("voters")
        if item is None:
            g.voter_id, g.voter_new = secrets.token_urlsafe(24), True
        elif forged:
            g.voter_forged = True
        return None

    return lambda: active.append(True)


def forwarded_header() -> dict[str, str]:
    """For the portal's calls to the API (ui/api.py): the visitor's signed browser id, if there is one."""
    if not has_request_context() or not g.get("voter_id"):
        return {}
    try:
        return {PORTAL_HEADER: sign_voter(g.voter_id)}
    except RuntimeError:
        return {}
