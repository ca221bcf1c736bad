"""The one-process server of ``python -m commands.serve`` (``./dev demo``, the tests): Werkzeug's, with reused threads.

Werkzeug's threaded server starts a new thread for every connection. Our stores keep per-thread state that
is worth keeping -- a SQLite connection per thread and GeoPackage (``providers/geopackage_tables.py``), PROJ's
transformers (pyproj makes one per thread) -- so each request paid for opening the GeoPackage and building
its transformers again (in the test suite's profile, about a tenth of the portals' CPU). Here a connection is
served by an idle thread when there is one, and a new thread only when all are busy, as gunicorn's threads
are reused in production (``./dev serve``). A thread idle for :data:`IDLE_SECONDS` ends.

Requests are still handled exactly as Werkzeug handles them (``finish_request`` of its ``BaseWSGIServer``),
with :class:`api.headers.QuietRequestHandler`.
"""

from __future__ import annotations

import queue
import threading

from flask import Flask
from werkzeug.serving import BaseWSGIServer

from api.headers import QuietRequestHandler

#: Seconds a thread waits for its next connection before it ends.
IDLE_SECONDS = 300.0


class ReusedThreadsWSGIServer(BaseWSGIServer):
    """Werkzeug's server; each connection goes to an idle thread, or to a new one when none is idle."""

    multithread = True  # Werkzeug then speaks HTTP/1.1 (keep-alive), as its threaded server does
    daemon_threads = True

    def __init__(self, host: str, port: int, app, **kwargs):
        super().__init__(host, port, app, **kwargs)
        self._lock = threading.Lock()
        self._idle: list[queue.SimpleQueue] = []  # the inboxes of idle threads, last idle first

    @property
    def idle_threads(self) -> int:
        """How many threads wait for a connection now."""
        with self._lock:
            return len(self._idle)

    def process_request(self, request, client_address) -> None:
        with self._lock:
            inbox = self._idle.pop() if self._idle else None
        if inbox is None:
            inbox = queue.SimpleQueue()
            threading.Thread(target=self._serve, args=(inbox,), name="request", daemon=True).start()
        inbox.put((request, client_address))

    def _serve(self, inbox: queue.SimpleQueue) -> None:
        while True:
            try:
                request, client_address = inbox.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                with self._lock:
                    if inbox in self._idle:  # nobody handed this thread a connection meanwhile: end it
                        self._idle.remove(inbox)
                        return
                continue  # a connection was handed over just now: it is in the inbox
            try:
                self.finish_request(request, client_address)
            except Exception:  # noqa: BLE001 - as socketserver's threads do: logged, the thread serves on
                self.handle_error(request, client_address)
            finally:
                self.shutdown_request(request)
            with self._lock:
                self._idle.append(inbox)


def serve(app: Flask, host: str, port: int) -> None:
    """Serve ``app`` until interrupted (Ctrl-C, SIGTERM)."""
    server = ReusedThreadsWSGIServer(host, port, app, handler=QuietRequestHandler)
    server.serve_forever()  # Werkzeug's: returns on KeyboardInterrupt and closes the socket
