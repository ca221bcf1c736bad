"""Who may do what, enforced in front of every write route (pygeoapi itself has no access control).

Roles
    ``citizen``    anyone, anonymous; creates contributions, edits and deletes only
                   their own (proved by the contribution's secret).
    ``moderator``  ``Authorization: Bearer $BUERGERGIS_MODERATOR_TOKEN``; sees every
                   contribution, approves, rejects, sets the status of Mängelmeldungen.
    ``planner``    ``Authorization: Bearer $BUERGERGIS_PLANNER_TOKEN``; everything a
                   moderator may, plus writes to plan and city-layer collections and
                   participation phases.
    ``admin``      everything a planner may, plus managing service tokens.

Staff are people: they sign in with the Kommune's identity provider (OpenID Connect,
``access/``) and get a server-side session (cookie); writes with the session cookie need
its CSRF token (``X-CSRF-Token``). Scripts use named service tokens (``buergergis token
create``) or the environment tokens above. :func:`viewer_from_request` resolves, in this
order: Authorization Bearer (environment tokens, then service tokens), session cookie,
anonymous citizen; the :class:`Viewer` names who it is (``name``, ``via``) for the audit trail.

Tokens are compared in constant time (:func:`hmac.compare_digest`). A request that
carries a token matching no role is refused (403) on every write route.

Authors
    A contribution's author holds its *secret*: the server returns it on creation
    in the ``X-Contribution-Secret`` response header (a client may also choose one
    itself, 22-128 characters ``[A-Za-z0-9_-]``, and send it on every creation, so
    one secret covers all of a browser's contributions). Sending it back in the
    ``X-Contribution-Secret`` request header (several, comma-separated) shows the
    author their pending contributions and lets them replace or delete them. Only
    its SHA-256 is stored; no IP address or e-mail address is stored anywhere.

What :func:`install` checks before pygeoapi sees a write (``/oapi/collections/*/items``):

* plan and city-layer collections: 401 without credentials, 403 with wrong or
  insufficient ones (moderators are not planners);
* ``contributions``: create needs ``Content-Type: application/geo+json`` (a GeoJSON
  Feature sent as ``application/json`` gets 415; a CQL2-JSON query body stays a
  query); replace/delete need the secret or a moderator token (401);
* every write: > ``BUERGERGIS_MAX_UPLOAD_BYTES`` → 413, malformed JSON → 400.

The rules that need the stored contribution (is this secret the author's? is the
participation phase open? may this role set that status?) are functions here too,
called by ``providers/contributions.py``, which has the row at hand; so the
OGC API, the Open311 endpoints and ``/api/contributions`` share one set of rules.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus

from flask import Flask, g, has_request_context, jsonify, request
from pygeoapi.provider.base import ProviderGenericError, ProviderInvalidDataError

from settings import Settings

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

CITIZEN, MODERATOR, PLANNER = "citizen", "moderator", "planner"
ADMIN = "admin"

SECRET_HEADER = "X-Contribution-Secret"
VOTER_HEADER = "X-Voter-Id"
GEOJSON = "application/geo+json"

_SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{22,128}$")
_VOTER_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
_MAX_SECRETS = 50
#: pygeoapi routes item ids as paths: an id may hold '/' (PostGIS stores such ids; the GeoPackage refuses them).
_ITEMS_ROUTE = re.compile(r"^/oapi/collections/(?P<collection>[^/]+)/items(?:/(?P<item>.+?))?/?$")
_PROCESS_EXECUTION = re.compile(r"^/oapi/processes/[^/]+/execution/?$")
#: Routes that take photos and check the size of their bodies themselves (api/media.py, api/open311.py).
_OWN_SIZE_LIMIT = re.compile(r"^/(api/contributions/[^/]+/photos|open311/v2/requests\.(json|xml))/?$")
#: Non-OGC write routes and the role they need (checked here, before the view runs).
_API_ROLES = (
    (re.compile(r"^/api/procedures(/.*)?$"), PLANNER),
    (re.compile(r"^/api/statements/[^/]+/abwaegung/?$"), PLANNER),
    (re.compile(r"^/api/answer-templates(/[^/]+)?/?$"), PLANNER),
    # the scenario studio (api/variants.py); computing indicators of a document stores nothing: open to all
    (re.compile(r"^/api/variants(?!/evaluate/?$)(/.*)?$"), PLANNER),
    (re.compile(r"^/api/contributions/([^/]+/)?status/?$"), MODERATOR),
    (re.compile(r"^/api/service-tokens(/[^/]+)?/?$"), ADMIN),  # access/web.py
)


# -- errors (pygeoapi turns a ProviderGenericError into its status code and message) ------------


class AccessError(ProviderGenericError):
    """A refusal with a message meant for the client."""

    def __init__(self, msg: str):
        super().__init__(msg, user_msg=msg)


class CredentialsRequired(AccessError):
    http_status_code = HTTPStatus.UNAUTHORIZED
    ogc_exception_code = "Unauthorized"


class Forbidden(AccessError):
    http_status_code = HTTPStatus.FORBIDDEN
    ogc_exception_code = "Forbidden"


class BadSecret(ProviderInvalidDataError):
    http_status_code = HTTPStatus.BAD_REQUEST
    ogc_exception_code = "InvalidParameterValue"

    def __init__(self, msg: str):
        super().__init__(msg, user_msg=msg)


# -- who is asking --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    """The requester: a role and the hashes of the author secrets they sent."""

    role: str = CITIZEN
    secret_hashes: tuple[str, ...] = ()
    #: An Authorization header was sent but matches no role.
    token_invalid: bool = False
    token_sent: bool = False
    #: Who: the person (OpenID Connect name, else e-mail or subject), "token:<name>" for a service token,
    #: "token:planner-env"/"token:moderator-env" for the environment tokens; "" for anonymous citizens.
    name: str = ""
    #: How: "oidc" (session cookie), "service-token", "env-token", or "" (anonymous).
    via: str = ""
    #: A session cookie was sent whose session has ended (expired, signed out): treated as anonymous.
    session_expired: bool = False

    @property
    def is_moderator(self) -> bool:
        return self.role in (MODERATOR, PLANNER, ADMIN)

    @property
    def is_planner(self) -> bool:
        return self.role in (PLANNER, ADMIN)

    def owns(self, author_secret_hash: str | None) -> bool:
        if not author_secret_hash:
            return False
        # every hash compared, in constant time each: the list is built in full on purpose (any() over a
        # generator would stop at the first match and leak which key matched through the timing)
        return any([hmac.compare_digest(h, author_secret_hash) for h in self.secret_hashes])  # noqa: C419 — no short-circuit, see above


ANONYMOUS = Viewer()


def hash_secret(secret: str) -> str:
    return hashlib.sha256(b"buergergis-author:" + secret.encode()).hexdigest()


def hash_voter(voter_id: str) -> str:
    return hashlib.sha256(b"buergergis-voter:" + voter_id.encode()).hexdigest()


def role_tokens() -> dict[str, str]:
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
    context = _staff_access()
    scheme, _, token = authorization.partition(" ")
    if context is not None and scheme.lower() == "bearer" and token.strip():
        row = context.tokens.lookup(token.strip())
        if row is not None:
            return row["role"], False, f"token:{row['name']}", "service-token"
    return CITIZEN, True, "", ""


def _staff_access():
    """The app's sessions and service tokens (access/web.py installs them), or None outside such an app."""
    from flask import current_app, has_app_context

    if not has_app_context():
        return None
    from access.sessions import EXTENSION

    return current_app.extensions.get(EXTENSION)


def _secret_hashes(header: str | None) -> tuple[str, ...]:
    if not header:
        return ()
    found = [s.strip() for s in header.split(",")[:_MAX_SECRETS]]
    return tuple(hash_secret(s) for s in found if _SECRET_PATTERN.match(s))


def viewer_from_request() -> Viewer:
    """Authorization Bearer (environment tokens, then service tokens), else the session cookie, else citizen."""
    authorization = request.headers.get("Authorization")
    secret_hashes = _secret_hashes(request.headers.get(SECRET_HEADER))
    if authorization:
        role, invalid, name, via = identify(authorization)
        return Viewer(
            role=role, secret_hashes=secret_hashes, token_invalid=invalid, token_sent=True, name=name, via=via
        )
    context = _staff_access()
    if context is not None:
        from access.sessions import COOKIE

        session, stale = context.sessions.lookup(request.cookies.get(COOKIE))
        if session is not None:
            g.staff_session = session
            return Viewer(
                role=session["role"] or CITIZEN,
                secret_hashes=secret_hashes,
                name=session["name"] or session["subject"] or "",
                via="oidc",
            )
        if stale:
            return Viewer(secret_hashes=secret_hashes, session_expired=True)
    return Viewer(secret_hashes=secret_hashes)


def current_viewer() -> Viewer:
    """The viewer of the current Flask request; anonymous outside one (start-up, scripts)."""
    if not has_request_context():
        return ANONYMOUS
    viewer = g.get("viewer")
    if viewer is None:
        viewer = g.viewer = viewer_from_request()
    return viewer


def secret_for_new_contribution() -> str:
    """The client's own secret from the request header, if it sent a valid one; else a fresh one."""
    given = request.headers.get(SECRET_HEADER, "").strip() if has_request_context() else ""
    if given and "," not in given:
        if not _SECRET_PATTERN.match(given):
            raise BadSecret(
                f"{SECRET_HEADER} must be 22-128 characters of A-Z a-z 0-9 _ - "
                "(or leave it out and the server makes one)"
            )
        return given
    return secrets.token_urlsafe(32)


def remember_secret(secret: str) -> None:
    """Hand the new contribution's secret to the response (header set in :func:`install`'s hook)."""
    if has_request_context():
        g.contribution_secret = secret


def voter_id(body: dict | None = None) -> str:
    """The person behind a like: the browser id the server issued in a signed cookie (``api/voters.py``),
    issued now if the client has none. ``X-Voter-Id`` and a ``voter_id`` in the body are no longer read
    (a client-chosen id is not a person); ``body`` stays for the callers' sake. Raises
    ``api.voters.VoterRefused`` (403 forged, 429 too many new ids from one address, 400 no cookie via the
    portal). The one place every like route asks (contributions and planning variants)."""
    from api.voters import current_voter

    return current_voter(issue=True)


# -- rules that need the stored contribution --------------------------------------------------------


def require_author_or_moderator(viewer: Viewer, author_secret_hash: str | None) -> None:
    """Citizens change only their own contributions; moderators and planners any."""
    if viewer.token_invalid:
        raise Forbidden("Unbekanntes Token / unknown token")
    if viewer.is_moderator:
        return
    if not viewer.secret_hashes:
        raise CredentialsRequired(
            f"Nur mit dem Geheimnis des Beitrags ({SECRET_HEADER}) oder als Moderation / "
            f"changing a contribution needs its secret ({SECRET_HEADER} header) or a moderator token"
        )
    if not viewer.owns(author_secret_hash):
        raise Forbidden(
            "Dies ist nicht Ihr Beitrag / this is not your contribution: "
            "only its author (with its secret) or a moderator may change it"
        )


def require_moderator(viewer: Viewer) -> None:
    if viewer.is_moderator:
        return
    if viewer.session_expired:
        raise CredentialsRequired(SESSION_EXPIRED)
    if viewer.token_sent or viewer.via:
        raise Forbidden("Nur Moderation oder Planung / only moderators or planners may do this")
    raise CredentialsRequired(
        "Anmeldung als Moderation nötig / a moderator token is required (Authorization: Bearer …)"
    )


def require_planner(viewer: Viewer) -> None:
    if viewer.token_invalid:
        raise Forbidden("Unbekanntes Token / unknown token")
    if viewer.is_planner:
        return
    if viewer.token_sent or viewer.role != CITIZEN or viewer.via:
        raise Forbidden("Nur die Planung / only planners may do this")
    raise CredentialsRequired(
        "Anmeldung als Planung nötig / sign in as a planner (or send a planner token: Authorization: Bearer …)"
    )


def phase_is_open(phase: dict, now: datetime) -> bool:
    opens, closes = _instant(phase.get("opens_at")), _instant(phase.get("closes_at"))
    return (opens is None or opens <= now) and (closes is None or now < closes)


def require_open_phase(
    viewer: Viewer, kind: str, scope: tuple[str, str | None], phases: list[dict], now: datetime | None = None
) -> None:
    """Comments and proposals only while a participation phase of their plan/scenario is open.

    Mängelmeldungen are always accepted (they are not part of a planning procedure);
    moderators and planners may write at any time. ``scope`` is ``("plan", id)``,
    ``("scenario", id)`` or ``("general", None)`` for unlinked contributions.
    """
    if viewer.is_moderator or kind == "maengelmeldung":
        return
    now = now or datetime.now(UTC)
    if any(phase_is_open(p, now) for p in phases):
        return
    what_de, what_en = {
        "plan": (f"den Plan {scope[1]}", f"plan {scope[1]}"),
        "scenario": (f"das Szenario {scope[1]}", f"scenario {scope[1]}"),
    }.get(scope[0], ("allgemeine Beiträge", "general contributions"))
    upcoming = sorted(o for o in (_instant(p.get("opens_at")) for p in phases) if o and o > now)
    past = sorted(c for c in (_instant(p.get("closes_at")) for p in phases) if c and c <= now)
    if upcoming:
        when_de, when_en = (
            f" Sie beginnt am {upcoming[0]:%d.%m.%Y %H:%M} UTC.",
            f" It opens on {upcoming[0]:%Y-%m-%d %H:%M} UTC.",
        )
    elif past:
        when_de, when_en = (
            f" Sie endete am {past[-1]:%d.%m.%Y %H:%M} UTC.",
            f" It closed on {past[-1]:%Y-%m-%d %H:%M} UTC.",
        )
    else:
        when_de, when_en = " Es ist keine Beteiligungsphase eingerichtet.", " No participation phase is set up."
    raise Forbidden(
        f"Die Beteiligung für {what_de} ist nicht geöffnet; Beiträge werden nicht angenommen.{when_de}"
        f" / Participation for {what_en} is closed; contributions are not accepted.{when_en}"
    )


def _instant(value) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# -- the guard in front of the routes ----------------------------------------------------------------


def _refuse(status: int, message: str, code: str | None = None):
    codes = {
        400: "InvalidParameterValue",
        401: "Unauthorized",
        403: "Forbidden",
        413: "PayloadTooLarge",
        415: "UnsupportedMediaType",
    }
    return jsonify({"code": code or codes.get(status, "Error"), "description": message}), status


SESSION_EXPIRED = (
    "Ihre Anmeldung ist abgelaufen oder beendet; bitte melden Sie sich erneut an / "
    "your session has expired or ended; please sign in again"
)


def _planner_refusal(viewer: Viewer):
    if viewer.is_planner:
        return None
    if viewer.session_expired:
        return _refuse(401, SESSION_EXPIRED, "SessionExpired")
    if viewer.token_sent or viewer.via:
        return _refuse(403, "Schreiben nur mit Planungs-Berechtigung / writing here needs the planner role")
    return _refuse(401, "Schreiben nur mit Berechtigung / writing needs a planner token (Authorization: Bearer …)")


def _too_large(settings: Settings):
    length = request.content_length
    if length is not None and length > settings.max_upload_bytes:
        return _refuse(
            413,
            f"Die Anfrage ist zu groß (höchstens {settings.max_upload_bytes} Bytes) / "
            f"the request body is too large (at most {settings.max_upload_bytes} bytes)",
        )
    return None


def _json_body() -> tuple[object, str | None]:
    """(parsed body, None) or (None, error message)."""
    raw = request.get_data(cache=True)
    if not raw or not raw.strip():
        return None, "Leerer Inhalt / the request body is empty: send a GeoJSON Feature"
    try:
        return json.loads(raw.decode("utf-8")), None
    except UnicodeDecodeError:
        return None, "Der Inhalt ist kein UTF-8 / the body is not UTF-8 encoded JSON"
    except ValueError as err:
        return None, f"Fehlerhaftes JSON / malformed JSON: {err}"


def _asks_to_store(settings: Settings) -> bool:
    """A process execution whose inputs ask to store results (``store_results``: true, "true", 1, ...)."""
    if _too_large(settings) is not None:
        return False  # refused as too large by Flask anyway
    body, error = _json_body()
    inputs = body.get("inputs") if error is None and isinstance(body, dict) else None
    if not isinstance(inputs, dict) or "store_results" not in inputs:
        return False
    value = inputs["store_results"]
    return value.strip().lower() not in ("", "0", "false", "no", "nein") if isinstance(value, str) else bool(value)


def _looks_like_features(body) -> bool:
    return isinstance(body, dict) and body.get("type") in ("Feature", "FeatureCollection")


def _normalise_geojson_content_type() -> None:
    """``application/geo+json; charset=utf-8`` means the same; pygeoapi routes on the exact string."""
    if request.mimetype == GEOJSON and request.content_type != GEOJSON:
        request.environ["CONTENT_TYPE"] = GEOJSON


def _guard_items(settings: Settings, viewer: Viewer, collection: str, item: str | None):
    from schema.catalog import LAYERS

    method = request.method
    citizen_writable = collection in LAYERS and LAYERS[collection].citizen_writable
    _normalise_geojson_content_type()
    if method == "POST" and item is None and request.mimetype != GEOJSON:
        # pygeoapi answers this as a query (a CQL2-JSON filter in the body) -- unless it is a feature
        if (refusal := _too_large(settings)) is not None:
            return refusal
        body, error = _json_body()
        if error is not None or not _looks_like_features(body):
            return None
        if not citizen_writable and (refusal := _planner_refusal(viewer)) is not None:
            return refusal
        return _refuse(
            415,
            f"Ein GeoJSON-Feature bitte als Content-Type: {GEOJSON} senden, nicht "
            f"{request.mimetype or 'ohne Typ'} / send a GeoJSON Feature with Content-Type: "
            f"{GEOJSON} (got {request.mimetype or 'none'}); application/json bodies are "
            "read as CQL2-JSON queries",
        )
    if viewer.token_invalid:
        return _refuse(403, "Unbekanntes Token / unknown token")
    if not citizen_writable:
        if (refusal := _planner_refusal(viewer)) is not None:
            return refusal
    elif method in ("PUT", "PATCH", "DELETE") and not viewer.is_moderator and not viewer.secret_hashes:
        return _refuse(
            401,
            f"Nur mit dem Geheimnis des Beitrags ({SECRET_HEADER}) oder als Moderation / "
            f"changing a contribution needs its secret ({SECRET_HEADER} header) "
            "or a moderator token",
        )
    if method == "DELETE":
        return None
    if (refusal := _too_large(settings)) is not None:
        return refusal
    if method == "PUT" and request.mimetype not in ("", GEOJSON, "application/json"):
        return _refuse(
            415, f"Bitte als Content-Type: {GEOJSON} senden / send the feature as {GEOJSON} (got {request.mimetype})"
        )
    body, error = _json_body()
    if error is not None:
        return _refuse(400, error)
    if not isinstance(body, dict) or body.get("type") != "Feature":
        return _refuse(
            400,
            'Erwartet wird ein GeoJSON-Feature / the body must be one GeoJSON Feature '
            '({"type": "Feature", "geometry": …, "properties": …})',
        )
    return None


def install(server: Flask, settings: Settings) -> None:
    """Register the guard (before every request), the secret/Vary headers and JSON 413 answers."""

    @server.before_request
    def guard():
        path = request.path
        if request.method not in WRITE_METHODS:
            return None  # reads resolve the viewer when they need it (current_viewer)
        viewer = g.viewer = viewer_from_request()
        if viewer.via == "oidc" and path.startswith(("/oapi/", "/api/", "/open311/")):
            from access.sessions import CSRF_HEADER, csrf_ok
            from access.web import CSRF_MESSAGE

            # a write authenticated by the session cookie: only with the session's CSRF token
            if not csrf_ok(g.get("staff_session"), request.headers.get(CSRF_HEADER)):
                return _refuse(403, CSRF_MESSAGE)
        match = _ITEMS_ROUTE.match(path)
        if match:
            return _guard_items(settings, viewer, match["collection"], match["item"])
        if path.startswith("/oapi/collections/"):
            return _planner_refusal(viewer)
        if _PROCESS_EXECUTION.match(path) and _asks_to_store(settings):
            # running a process is open to all; writing its result into a collection is planners' work
            return _planner_refusal(viewer)
        if path.startswith(("/api/", "/open311/")):
            if viewer.token_invalid:
                return _refuse(403, "Unbekanntes Token / unknown token")
            for pattern, role in _API_ROLES:
                if pattern.match(path):
                    if role == PLANNER and (refusal := _planner_refusal(viewer)) is not None:
                        return refusal
                    if role == MODERATOR and not viewer.is_moderator:
                        if viewer.session_expired:
                            return _refuse(401, SESSION_EXPIRED, "SessionExpired")
                        return _refuse(
                            403 if viewer.token_sent or viewer.via else 401,
                            "Nur Moderation oder Planung / only moderators or planners may do this",
                        )
                    if role == ADMIN and viewer.role != ADMIN:
                        if viewer.session_expired:
                            return _refuse(401, SESSION_EXPIRED, "SessionExpired")
                        return _refuse(
                            403 if viewer.token_sent or viewer.via else 401,
                            "Nur für die Administration / only admins may do this",
                        )
            if _OWN_SIZE_LIMIT.match(path):
                return None  # photo uploads: their own, larger limits (api/media.py, participation/photos.py)
            return _too_large(settings)
        return None

    @server.after_request
    def headers(response):
        secret = g.pop("contribution_secret", None)
        if secret and response.status_code < 300:
            response.headers[SECRET_HEADER] = secret
            response.headers["Cache-Control"] = "no-store"
        if request.path.startswith(("/oapi/collections/contributions", "/api/", "/open311/")):
            response.vary.add("Authorization")
            response.vary.add("Cookie")  # a staff session sees more
            response.vary.add(SECRET_HEADER)
        exposed = [h.strip() for h in response.headers.get("Access-Control-Expose-Headers", "").split(",") if h.strip()]
        response.headers["Access-Control-Expose-Headers"] = ", ".join(
            dict.fromkeys([*exposed, "Location", SECRET_HEADER, "X-Job-Secret"])
        )
        return response

    @server.errorhandler(413)
    def too_large(_error):
        return _refuse(
            413,
            f"Die Anfrage ist zu groß (höchstens {settings.max_upload_bytes} Bytes) / "
            f"the request body is too large (at most {settings.max_upload_bytes} bytes)",
        )
