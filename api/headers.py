"""Security headers on every answer: Content-Security-Policy, no framing, no sniffing, a quiet referrer,
no version banners.

Every answer
    ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: strict-origin-when-cross-origin`` (a
    configured basemap still learns the portal's origin, as OpenStreetMap's tile policy asks, never a
    page's path or query), ``X-Frame-Options: DENY``; ``X-Powered-By`` (pygeoapi's version) removed. The
    development server says ``Server: buergergis`` instead of Werkzeug's and Python's versions
    (:class:`QuietRequestHandler`; gunicorn says ``gunicorn`` without a version).

HTML pages: a Content-Security-Policy, ``frame-ancestors 'none'`` in all of them
    *The portal* (Dash, :func:`portal_policy`): scripts from the portal itself plus Dash's inline scripts
    (the clientside callbacks and the renderer's start) by their SHA-256 (``dash_app.csp_hashes()``), so an
    injected inline script or event handler does not run. ``'unsafe-eval'`` because deckgl-dash compiles the
    3D layers' accessor expressions (``"@@=properties.height || 0"``, any with an operator) with
    ``new Function``; nothing else on the page needs it. Styles: the portal's files plus inline styles
    (React's ``style`` props end up as attributes, and dash-leaflet, Leaflet and dcc's dropdowns add
    ``<style>`` elements at run time). Images: the portal and ``data:`` (the SVG icons of the portal's styles),
    plus a configured basemap's origin (``BUERGERGIS_BASEMAP``). Workers: the portal's own (deck.gl's
    vector-tile worker, ``assets/vendor/``). Fetches and fonts: the portal only. Chromium reports no
    violation with the map, the 3D view and the list (tests/ui/test_browser_csp.py).

    *pygeoapi's HTML pages* (``/oapi/...?f=html``, :func:`pygeoapi_policy`): their libraries are served
    by the portal (``api/pygeoapi_pages.py``); their inline scripts carry a fresh nonce per answer (the
    templates write it), the three inline event handlers of the items page are allowed by hash
    (``'unsafe-hashes'``); the coverage page alone may evaluate (its covutils/ndarray compiles functions).

    Other pages (sign-in messages, Flask's error pages) get the portal's policy.

JSON, XML, CSV and text answers
    ``default-src 'none'; frame-ancestors 'none'``: opened in a browser tab they run and load nothing.
"""

from __future__ import annotations

import base64
import hashlib

from flask import Flask, request
from werkzeug.datastructures import Headers
from werkzeug.serving import WSGIRequestHandler

from settings import Settings
from settings.basemap import BasemapError, basemap_from

REFERRER_POLICY = "strict-origin-when-cross-origin"
#: Answers that are data, not documents: nothing to run or load when opened in a tab.
DATA_POLICY = "default-src 'none'; frame-ancestors 'none'"
_DATA_TYPES = (
    "application/json",
    "application/geo+json",
    "application/schema+json",
    "application/ld+json",
    "application/vnd.oai.openapi+json",
    "application/problem+json",
    "application/xml",
    "text/xml",
    "application/gml+xml",
    "text/csv",
    "text/plain",
)


class QuietRequestHandler(WSGIRequestHandler):
    """Werkzeug's development server without its ``Server: Werkzeug/x Python/y`` banner."""

    def version_string(self) -> str:
        return "buergergis"


def sha256_source(text: str) -> str:
    """A CSP hash source for an inline script or event handler."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def basemap_origin() -> str | None:
    """The origin (scheme://host) of a configured basemap, which the map's tiles come from; None without one."""
    try:
        basemap = basemap_from()
    except BasemapError:  # the portal logs it and draws its own background: no tiles to allow
        return None
    return basemap.origin if basemap is not None else None


def _join(directives: dict[str, list[str]]) -> str:
    return "; ".join(f"{name} {' '.join(sources)}".strip() for name, sources in directives.items())


def _common(images: list[str]) -> dict[str, list[str]]:
    return {
        "default-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", *images],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }


def portal_policy(script_hashes: list[str], images: list[str] = ()) -> str:
    """The portal's policy: its own scripts, Dash's inline scripts by hash, and eval for deckgl-dash."""
    directives = _common(list(images))
    directives["script-src"] = ["'self'", "'unsafe-eval'", *script_hashes]
    return _join(directives)


def pygeoapi_policy(nonce: str, handler_hashes: list[str], images: list[str] = (), evaluates: bool = False) -> str:
    """pygeoapi's pages: the portal's copies of their libraries, inline scripts by nonce, handlers by hash.

    ``evaluates``: the coverage page, whose covutils (ndarray) compiles functions with ``new Function``.
    """
    directives = _common(list(images))
    directives["script-src"] = [
        "'self'",
        f"'nonce-{nonce}'",
        *(["'unsafe-eval'"] if evaluates else []),
        *(["'unsafe-hashes'", *handler_hashes] if handler_hashes else []),
    ]
    return _join(directives)


class SecurityHeaders:
    """What the headers hook needs: Dash's script hashes (once the app exists), the pygeoapi pages' nonce
    placeholder and handler hashes, the basemap's origin."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.dash_app = None
        self._dash_hashes: list[str] | None = None
        self.images = [origin] if (origin := basemap_origin()) else []
        self.pages = None  # api.pygeoapi_pages.LocalPages, once installed

    def dash_hashes(self) -> list[str]:
        if self.dash_app is None:
            return []
        if self._dash_hashes is None:  # after the first page: every clientside callback is registered by then
            self._dash_hashes = sorted(set(self.dash_app.csp_hashes()))
        return self._dash_hashes

    def html_policy(self, response) -> str:
        if self.pages is not None and request.path.startswith("/oapi"):
            from api.pygeoapi_pages import request_nonce

            return pygeoapi_policy(
                request_nonce(),
                self.pages.handler_hashes,
                self.images,
                evaluates=request.path.rstrip("/").endswith("/coverage"),
            )
        return portal_policy(self.dash_hashes(), self.images)


def install(server: Flask, settings: Settings) -> SecurityHeaders:
    """Register the headers hook; returns its state, to which ``commands/portal.py`` adds the Dash app
    (:func:`allow_dash_scripts`) and ``api/pygeoapi_pages.py`` pygeoapi's pages."""
    state = SecurityHeaders(settings)
    server.extensions["buergergis_headers"] = state

    @server.after_request
    def security_headers(response):
        if not isinstance(response.headers, Headers):  # pygeoapi's views assign a plain dict
            response.headers = Headers(response.headers)
        headers = response.headers
        headers.remove("X-Powered-By")
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = REFERRER_POLICY
        headers["X-Frame-Options"] = "DENY"
        mimetype = response.mimetype or ""
        if mimetype == "text/html":
            headers["Content-Security-Policy"] = state.html_policy(response)
        elif mimetype in _DATA_TYPES or mimetype.endswith(("+json", "+xml")):
            headers.setdefault("Content-Security-Policy", DATA_POLICY)
        return response

    return state


def allow_dash_scripts(server: Flask, dash_app) -> None:
    """Let the portal page run Dash's inline scripts (by hash)."""
    server.extensions["buergergis_headers"].dash_app = dash_app
