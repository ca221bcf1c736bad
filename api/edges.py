"""Robust edges: what a request body or a failing store must not turn into a 500.

Installed by ``api/wsgi.create_app`` in front of every other check (``api/access.py`` parses bodies too):

* **Nesting depth.** A write body (``POST``/``PUT``/``PATCH``/``DELETE``) that is JSON nested deeper than
  :data:`MAX_JSON_DEPTH` levels (:data:`MAX_DASH_JSON_DEPTH` for the portal's own callbacks, which carry
  component trees) is a 400 with a German/English message. Python's ``json`` module raises
  ``RecursionError`` at about 1,000 levels, and code that walks a parsed body (CQL2-JSON, GeoJSON) much
  earlier; the depth is counted on the raw bytes (strings skipped, numpy, linear) before anything parses them.
* **Chunked bodies.** A body sent without ``Content-Length`` (``Transfer-Encoding: chunked``) is cut at
  ``BUERGERGIS_MAX_UPLOAD_BYTES`` by Werkzeug, silently: the rest read as malformed JSON (400). Here a body
  that reaches the limit is a 413, as with a ``Content-Length`` over the limit.
* **Storage down → 503 with Retry-After.** A store that cannot answer right now -- a GeoPackage that is
  locked, read-only, full, unreadable or gone, a PostGIS that is stopped, restarting or refuses
  connections -- is a 503 ``ServiceUnavailable`` with ``Retry-After``, not a 500. Nothing needs restarting:
  the GeoPackage provider opens its file again on the next request, SQLAlchemy's pool replaces connections
  a restart broke. pygeoapi turns a provider's error into an answer itself (with the error's status code),
  so an error raised while handling a storage failure (``raise ProviderQueryError(...) from err``) is
  given 503 where it is made (:func:`storage_errors_are_503`); what reaches Flask unhandled goes through
  its error handler.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import sys
from http import HTTPStatus

import numpy as np
from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from api.messages import message
from settings import Settings

LOGGER = logging.getLogger(__name__)

#: Deepest JSON nesting accepted in a write body (GeoJSON needs 6-8 levels, a CQL2-JSON filter two per operator).
MAX_JSON_DEPTH = 64
#: The same for the portal's Dash callbacks (``/_dash-update-component``), whose states hold component trees.
MAX_DASH_JSON_DEPTH = 256
#: Seconds a client is asked to wait before trying again when the store is unavailable.
RETRY_AFTER_S = 10

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

STORAGE_UNAVAILABLE = message("store_unavailable")

#: sqlite3.OperationalError messages that mean "not now" (locked, read-only, full, I/O, file gone), not "wrong".
_SQLITE_TRANSIENT = (
    "database is locked",
    "database table is locked",
    "busy",
    "readonly database",
    "read-only",
    "disk i/o error",
    "database or disk is full",
    "unable to open database file",
    "disk full",
)
#: ProviderConnectionError texts of the GeoPackage provider when its file is gone or cannot be opened.
_GPKG_UNAVAILABLE = ("GeoPackage store not found", "cannot open GeoPackage")

_STRINGS = re.compile(rb'"[^"]*"')
_ESCAPES = re.compile(rb"\\.", re.S)


def json_depth(raw: bytes) -> int:
    """The deepest nesting of arrays/objects in a JSON text (brackets inside strings do not count).

    Linear in the size: escapes and strings are cut out with two non-backtracking expressions, the
    running depth is a numpy cumulative sum. Malformed JSON gives some number; the parser refuses it later.
    """
    text = _STRINGS.sub(b"", _ESCAPES.sub(b"", raw))
    codes = np.frombuffer(text, dtype=np.uint8)
    steps = ((codes == 0x5B) | (codes == 0x7B)).astype(np.int32) - ((codes == 0x5D) | (codes == 0x7D))
    if not steps.size:
        return 0
    return int(np.cumsum(steps).max())


def _error(status: int, code: str, message: str):
    response = jsonify({"code": code, "type": code, "description": message})
    response.status_code = status
    return response


def _too_large(settings: Settings):
    return _error(413, "PayloadTooLarge", message("request_too_large", max=settings.max_upload_bytes))


def _chained(err: BaseException | None):
    """The error and what caused it (``__cause__``, ``__context__``, SQLAlchemy's ``orig``), each once."""
    seen, todo = set(), [err]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen or len(seen) > 20:
            continue
        seen.add(id(current))
        yield current
        todo.extend([current.__cause__, current.__context__, getattr(current, "orig", None)])


#: PostgreSQL error classes (SQLSTATE) that mean "not now": connection exception, insufficient resources
#: (disk full, out of memory, too many connections), operator intervention (shutdown, restart, cancel),
#: system error (I/O); and single codes: read-only transaction (a standby), lock not available.
_PG_TRANSIENT_CLASSES = ("08", "53", "57", "58")
_PG_TRANSIENT_CODES = ("25006", "55P03")


def storage_unavailable(err: BaseException | None) -> bool:
    """Whether ``err`` (or what caused it) says the store cannot answer *now* (locked, down, full, gone).

    Not for errors a request causes (a PostgreSQL "statement too complex", a missing column): those keep
    their answer.
    """
    try:
        import psycopg2
    except ImportError:  # pragma: no cover - psycopg2 is a dependency
        psycopg2 = None
    try:
        from sqlalchemy import exc as sa
    except ImportError:  # pragma: no cover
        sa = None
    from pygeoapi.provider.base import ProviderConnectionError

    for current in _chained(err):
        if isinstance(current, sqlite3.OperationalError):
            if any(part in str(current).lower() for part in _SQLITE_TRANSIENT):
                return True
        elif psycopg2 is not None and isinstance(current, psycopg2.Error):
            code = getattr(current, "pgcode", None)
            if code is None:  # no answer from the server at all: connecting failed, the connection broke
                return isinstance(current, (psycopg2.OperationalError, psycopg2.InterfaceError))
            return code[:2] in _PG_TRANSIENT_CLASSES or code in _PG_TRANSIENT_CODES
        elif sa is not None and isinstance(current, (sa.DisconnectionError, sa.TimeoutError)):
            return True  # the pool: a connection found dead, or none free in time
        elif (
            sa is not None
            and isinstance(current, (sa.OperationalError, sa.InterfaceError))
            and getattr(current, "orig", None) is None
        ) or (isinstance(current, ProviderConnectionError) and str(current).startswith(_GPKG_UNAVAILABLE)):
            return True
    return False


def storage_errors_are_503() -> None:
    """pygeoapi's errors made while a storage failure is handled answer 503 ``ServiceUnavailable``.

    pygeoapi answers a ``GenericError`` (every provider and process error) with the error's
    ``http_status_code``; the providers raise them from the failure (``raise ProviderQueryError(...)
    from err``), so the failure is the exception being handled while the new error is made.
    """
    from pygeoapi.error import GenericError

    original = GenericError.__init__
    if getattr(original, "_bgis_storage", False):
        return

    def __init__(self, msg=None, *args, user_msg=None) -> None:
        original(self, msg, *args, user_msg=user_msg)
        handled = sys.exc_info()[1]
        if handled is not None and storage_unavailable(handled):
            self.http_status_code = HTTPStatus.SERVICE_UNAVAILABLE
            self.ogc_exception_code = "ServiceUnavailable"
            self.user_msg = STORAGE_UNAVAILABLE
            LOGGER.warning("store unavailable: %s", handled)

    __init__._bgis_storage = True
    GenericError.__init__ = __init__
    # a GeoPackage that is gone or unreadable (its ProviderConnectionError is raised "from None")
    from pygeoapi.provider.base import ProviderConnectionError

    connection_init = ProviderConnectionError.__init__

    def connection_error_init(self, msg=None, *args, user_msg=None) -> None:
        connection_init(self, msg, *args, user_msg=user_msg)
        if str(msg or "").startswith(_GPKG_UNAVAILABLE):
            self.http_status_code = HTTPStatus.SERVICE_UNAVAILABLE
            self.ogc_exception_code = "ServiceUnavailable"
            self.user_msg = STORAGE_UNAVAILABLE

    ProviderConnectionError.__init__ = connection_error_init


def install(server: Flask, settings: Settings) -> None:
    """Body checks before every other hook, 503 for storage failures, Retry-After on every 503."""
    storage_errors_are_503()

    @server.before_request
    def bodies_within_limits():
        if request.method not in WRITE_METHODS:
            return None
        length = request.content_length
        if length is not None and length > settings.max_upload_bytes:
            return None  # refused with 413 by api/access.py and Flask's MAX_CONTENT_LENGTH
        if length is None:
            if not (
                request.environ.get("wsgi.input_terminated")
                or "chunked" in request.headers.get("Transfer-Encoding", "").lower()
            ):
                return None  # no body
            # Werkzeug stops reading a streamed body at MAX_CONTENT_LENGTH and returns what it has
            if len(request.get_data(cache=True)) >= settings.max_upload_bytes:
                return _too_large(settings)
        raw = request.get_data(cache=True)
        if raw[:1] not in (b"{", b"[") and raw.lstrip()[:1] not in (b"{", b"["):
            return None
        dash = request.path.endswith("/_dash-update-component")
        limit = MAX_DASH_JSON_DEPTH if dash else MAX_JSON_DEPTH
        depth = json_depth(raw)
        if depth > limit:
            return _error(400, "InvalidParameterValue", message("json_too_deep", depth=depth, max=limit))
        return None

    @server.errorhandler(Exception)
    def storage_failure(err):
        if isinstance(err, HTTPException):
            return err  # Flask's own answer (404, 405, 413 ...)
        if storage_unavailable(err):
            LOGGER.warning("store unavailable: %s", err)
            return _error(503, "ServiceUnavailable", STORAGE_UNAVAILABLE)
        raise err  # anything else: Flask logs it and answers 500, as without this handler

    @server.after_request
    def retry_after(response):
        if response.status_code == 503 and "Retry-After" not in response.headers:
            response.headers["Retry-After"] = str(RETRY_AFTER_S)
        return response
