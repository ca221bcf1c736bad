"""The production server: gunicorn's asyncio (ASGI) worker in front of the WSGI app, so slow clients cost no thread.

Why not gunicorn's ``gthread`` worker: it hands a new connection to a worker thread as soon as its first bytes
arrive, and that thread then blocks until the request's headers and body are complete. 300 connections that
send a header line every few seconds (slowloris) hold every thread of every worker, and nobody else is
answered. Here gunicorn's ``asgi`` worker reads requests on an asyncio event loop, where a waiting connection
is a few kilobytes of memory and no thread; :class:`WholeRequestFirst` waits on that loop until the body is
complete too (slow uploads), and only then a2wsgi hands the finished request to a thread of the app's pool
(``BUERGERGIS_SERVER_THREADS``). The app itself stays the same threaded WSGI app (Flask, pygeoapi, Dash):
store connections, numpy and GEOS work exactly as under ``gthread``, unlike gevent, whose monkey-patching
would run every database call and every scenario computation on one event-loop thread.

The embedded GeoPackage store runs under several workers as PostGIS does: the file is in WAL mode, so every
worker's readers read at once without blocking the one writer; writes take SQLite's write lock up front
(``BEGIN IMMEDIATE``) and queue on ``busy_timeout`` (30 s) instead of failing; every thread of every worker
opens its own connections after the fork (none crosses it). Vector tiles rendered by one worker are
served by all from the shared tile cache until the next write to their collection
(``providers/tile_cache.py``).

Run the portal (API and UI) with ``./dev serve`` or ``python -m commands.serve --production``; by hand::

    gunicorn -k asgi -w 4 --preload -b 127.0.0.1:8050 'commands.portal:create_asgi_app()'

``'api.production:create_asgi_app()'`` serves the OGC API alone the same way (the portal is composed above
api/, in ``commands/portal.py``, which wraps it with :func:`asgi_app` too).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.messages import message as api_message
from settings import Settings, get_settings


class ServerSettings(BaseSettings):
    """``BUERGERGIS_SERVER_*``: processes and threads of the production server."""

    model_config = SettingsConfigDict(env_prefix="BUERGERGIS_SERVER_")

    #: Worker processes (each with its own store connections and plan catalogue).
    workers: int = Field(default=2, ge=1)
    #: Threads per worker that run requests once they have arrived completely.
    threads: int = Field(default=8, ge=1)
    #: Open connections per worker (waiting ones included); beyond it a worker accepts no more for a while.
    worker_connections: int = Field(default=2000, ge=10)
    #: Seconds a request may take in the app before gunicorn restarts the worker.
    timeout: int = Field(default=120, ge=10)
    #: Seconds an idle kept-alive connection stays open.
    keepalive: int = Field(default=5, ge=1)


def _too_large_body(limit: int) -> bytes:
    return json.dumps(
        {
            "code": "PayloadTooLarge",
            "description": api_message("request_too_large", max=limit),
        },
        ensure_ascii=False,
    ).encode()


class WholeRequestFirst:
    """ASGI middleware: read the whole request body on the event loop, then call the app once with all of it.

    A body over ``max_body`` bytes is answered with 413 at once, without reading the rest. A chunked body
    reaches the app with its ``Content-Length``, as if the client had sent one.
    """

    def __init__(self, app, max_body: int):
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None  # the client gave up: nothing to answer
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                body = _too_large_body(self.max_body)
                await send(
                    {
                        "type": "http.response.start",
                        "status": 413,
                        "headers": [
                            (b"content-type", b"application/json; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close"),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        headers = [
            (k, v) for k, v in scope.get("headers", []) if k.lower() not in (b"transfer-encoding", b"content-length")
        ]
        if body or scope.get("method") in ("POST", "PUT", "PATCH"):
            headers.append((b"content-length", str(len(body)).encode()))
        delivered = False

        async def replay():
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: only the disconnect is left to wait for

        return await self.app({**scope, "headers": headers}, replay, send)


def body_limit(settings: Settings) -> int:
    """The largest body any route takes: the write limit, or the photo uploads' own (larger) limit."""
    try:
        from participation.photos import PhotoSettings

        photos = PhotoSettings().max_request_bytes
    except ImportError:
        photos = 0
    return max(settings.max_upload_bytes, photos)


#: gunicorn's application: the OGC API alone. The portal's is ``commands.portal.ASGI_APP``.
API_ASGI_APP = "api.production:create_asgi_app()"


def asgi_app(create_app: Callable[[Settings], Any], settings: Settings | None = None):
    """The WSGI app ``create_app(settings)`` makes, as an ASGI app; refuses to start with weak environment tokens."""
    from a2wsgi import WSGIMiddleware

    from access.tokens import require_strong_env_secrets

    require_strong_env_secrets()
    settings = settings or get_settings()
    app: Any = create_app(settings)  # a WSGI callable (a2wsgi's type for it is narrower than Flask's)
    return WholeRequestFirst(WSGIMiddleware(app, workers=ServerSettings().threads), max_body=body_limit(settings))


def create_asgi_app(settings: Settings | None = None):
    """The OGC API server (``api.wsgi``, no UI) as an ASGI app; refuses to start with weak environment tokens."""
    from api.wsgi import create_app

    return asgi_app(create_app, settings)


def gthread_command(app: str, workers: int, bind: str, *options: str, preload: bool = True) -> list[str]:
    """The command line that runs the WSGI ``app`` (``module:factory()``) under gunicorn's thread worker, four
    threads per worker, as a city may run the portal by hand (``commands/portal.py``) and the tests and
    benchmarks run it; ``options`` (gunicorn's) come before the app. Slow clients hold its threads (above)."""
    return [
        str(Path(sys.executable).with_name("gunicorn")),
        "-w",
        str(workers),
        "-k",
        "gthread",
        "--threads",
        "4",
        *(["--preload"] if preload else []),
        "-b",
        bind,
        *options,
        app,
    ]


def gunicorn_command(
    settings: Settings,
    server: ServerSettings | None = None,
    access_log: Path | None = None,
    app: str = API_ASGI_APP,
) -> list[str]:
    """The command line that runs ``app`` (``module:factory()`` of an ASGI app) under gunicorn's asyncio worker."""
    server = server or ServerSettings()
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "-k",
        "asgi",
        "-w",
        str(server.workers),
        "--preload",
        "-b",
        f"{settings.host}:{settings.port}",
        "--worker-connections",
        str(server.worker_connections),
        "--timeout",
        str(server.timeout),
        "--keep-alive",
        str(server.keepalive),
    ]
    if access_log is not None:
        command += ["--access-logfile", str(access_log)]
    return command + [app]
