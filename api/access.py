"""The guard in front of every write route (pygeoapi itself has no access control): thin, over Flask.

Who may do what is decided in ``access/``: the roles, the :class:`~access.rules.Viewer` and the rules over
a stored contribution are pure functions in :mod:`access.rules`; :mod:`access.viewer` resolves the viewer
of a request (environment tokens, service tokens, the staff session cookie, anonymous). Other modules import
them from there; this module keeps only the guard (:func:`install`), its body checks and :func:`voter_id`.

Staff are people: they sign in with the Kommune's identity provider (OpenID Connect,
``access/``) and get a server-side session (cookie); writes with the session cookie need
its CSRF token (``X-CSRF-Token``). Scripts use named service tokens (``buergergis token
create``) or the environment tokens (``BUERGERGIS_PLANNER_TOKEN``, ``BUERGERGIS_MODERATOR_TOKEN``).

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
participation phase open? may this role set that status?) are called by
``providers/contributions.py``, which has the row at hand; so the OGC API, the Open311
endpoints and ``/api/contributions`` share one set of rules.
"""

from __future__ import annotations

import json
import re

from flask import Flask, g, jsonify, request

from access.messages import message as access_message
from access.rules import ADMIN, MODERATOR, PLANNER, SECRET_HEADER, UNKNOWN_TOKEN, AccessError, Viewer, write_refusal
from access.viewer import take_remembered_secret, viewer_from_request
from api.messages import message, pair
from settings import Settings

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

GEOJSON = "application/geo+json"

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


# -- who is asking (access/viewer.py) and the like of a browser ----------------------------------------


def voter_id(body: dict | None = None) -> str:
    """The person behind a like: the browser id the server issued in a signed cookie (``api/voters.py``),
    issued now if the client has none. ``X-Voter-Id`` and a ``voter_id`` in the body are no longer read
    (a client-chosen id is not a person); ``body`` stays for the callers' sake. Raises
    ``api.voters.VoterRefused`` (403 forged, 429 too many new ids from one address, 400 no cookie via the
    portal). The one place every like route asks (contributions and planning variants)."""
    from api.voters import current_voter

    return current_voter(issue=True)


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


def _refusal(error: AccessError | None):
    """A rule's refusal (access/rules.py) as the guard's JSON answer; None lets the request pass."""
    if error is None:
        return None
    return _refuse(int(error.http_status_code), error.message, error.ogc_exception_code)


def _planner_refusal(viewer: Viewer):
    return _refusal(write_refusal(viewer, PLANNER))


def _too_large(settings: Settings):
    length = request.content_length
    if length is not None and length > settings.max_upload_bytes:
        return _refuse(413, message("request_too_large", max=settings.max_upload_bytes))
    return None


def _json_body() -> tuple[object, str | None]:
    """(parsed body, None) or (None, error message)."""
    raw = request.get_data(cache=True)
    if not raw or not raw.strip():
        return None, message("feature_body_empty")
    try:
        return json.loads(raw.decode("utf-8")), None
    except UnicodeDecodeError:
        return None, message("body_not_utf8")
    except ValueError as err:
        return None, message("body_malformed_json", error=err)


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
        got_de, got = (request.mimetype, request.mimetype) if request.mimetype else pair("no_type")
        return _refuse(415, message("feature_content_type", geojson=GEOJSON, got_de=got_de, got=got))
    if viewer.token_invalid:
        return _refuse(403, UNKNOWN_TOKEN)
    if not citizen_writable:
        if (refusal := _planner_refusal(viewer)) is not None:
            return refusal
    elif method in ("PUT", "PATCH", "DELETE") and not viewer.is_moderator and not viewer.secret_hashes:
        return _refuse(401, access_message("secret_or_moderator", header=SECRET_HEADER))
    if method == "DELETE":
        return None
    if (refusal := _too_large(settings)) is not None:
        return refusal
    if method == "PUT" and request.mimetype not in ("", GEOJSON, "application/json"):
        return _refuse(415, message("put_content_type", geojson=GEOJSON, got=request.mimetype))
    body, error = _json_body()
    if error is not None:
        return _refuse(400, error)
    if not isinstance(body, dict) or body.get("type") != "Feature":
        return _refuse(400, message("body_one_feature"))
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
                return _refuse(403, UNKNOWN_TOKEN)
            for pattern, role in _API_ROLES:
                if pattern.match(path) and (refusal := _refusal(write_refusal(viewer, role))) is not None:
                    return refusal
            if _OWN_SIZE_LIMIT.match(path):
                return None  # photo uploads: their own, larger limits (api/media.py, participation/photos.py)
            return _too_large(settings)
        return None

    @server.after_request
    def headers(response):
        secret = take_remembered_secret()
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
        return _refuse(413, message("request_too_large", max=settings.max_upload_bytes))
