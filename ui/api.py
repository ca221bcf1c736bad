"""How the UI talks to the OGC API: like any other client, over HTTP.

Map layers are loaded by the browser (relative URLs below the API's path, so a
portal behind a reverse proxy with a path prefix still works). Callbacks that
need data on the server side (plan panel, list, dashboard, 3D envelopes) use
:class:`ApiClient`, which requests ``settings.api_url`` and forwards the
visitor's ``Authorization``/``Cookie`` headers, so the API applies the same
access rules it applies to QGIS or a script. For a signed-in staff member it adds
the session's CSRF token, when the callback came from the portal's own page
(``access.sessions.csrf_for_dash_callback``).
"""

from __future__ import annotations

import http.cookiejar
import logging
import threading
import time
from dataclasses import dataclass
from urllib.parse import quote, urlencode, urlsplit

import requests

LOG = logging.getLogger(__name__)

#: Upper bound the API accepts per page (api/config.py: max_items).
MAX_ITEMS = 10000


def api_path(api_url: str) -> str:
    """The API's path as the browser sees it: ``http://host/x/oapi`` -> ``/x/oapi``."""
    return urlsplit(api_url).path.rstrip("/") or "/oapi"


def portal_path(api_url: str) -> str:
    """The portal's path prefix as the browser sees it: ``http://host/x/oapi`` -> ``/x`` (``""`` at the root)."""
    path = api_path(api_url)
    return path[: -len("/oapi")] if path.endswith("/oapi") else ""


def items_url(api_url: str, collection: str, limit: int = MAX_ITEMS, **params) -> str:
    """Browser-side URL of a collection's items as GeoJSON (CRS84)."""
    query = urlencode({"f": "json", "limit": limit, **params})
    return f"{api_path(api_url)}/collections/{collection}/items?{query}"


def tiles_url(api_url: str, collection: str) -> str:
    """Browser-side URL template of a collection's Mapbox vector tiles (OGC API Tiles, WebMercatorQuad).

    ``{z}/{y}/{x}`` is the OGC order (tileMatrix/tileRow/tileCol); deck.gl fills the names, not the order.
    """
    return f"{api_path(api_url)}/collections/{collection}/tiles/WebMercatorQuad/{{z}}/{{y}}/{{x}}?f=mvt"


def unescape_pygeoapi(value):
    """Undo pygeoapi's ``<``/``>`` -> ``&lt;``/``&gt;`` in its JSON (``pygeoapi.util.to_json``).

    pygeoapi escapes these two characters in every JSON document it writes; the UI
    shows text through Dash (which escapes when rendering), so it reads the text
    back as it was written: a plan named ``…API>`` stays ``…API>``.
    """
    if isinstance(value, str):
        return value.replace("&lt;", "<").replace("&gt;", ">") if "&" in value else value
    if isinstance(value, list):
        return [unescape_pygeoapi(v) for v in value]
    if isinstance(value, dict):
        return {k: unescape_pygeoapi(v) for k, v in value.items()}
    return value


class ApiError(Exception):
    """The API answered with an error status (``status``) or could not be reached (``status`` None)."""

    def __init__(self, status: int | None, detail: str = ""):
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail


@dataclass
class Response:
    status: int
    body: dict | None
    text: str
    headers: dict | None = None


def _forwarded_headers() -> dict[str, str]:
    """The visitor's credentials, when called inside a Dash callback (a Flask request)."""
    try:
        from flask import has_request_context, request
    except ImportError:  # pragma: no cover
        return {}
    if not has_request_context():
        return {}
    headers = {name: request.headers[name] for name in ("Authorization", "Cookie") if name in request.headers}
    # A signed-in staff member's writes need the session's CSRF token. It is added only when this callback
    # request came from our own page (Sec-Fetch-Site/Origin; why that is safe: access/sessions.py).
    from access.sessions import CSRF_HEADER, csrf_for_dash_callback

    token = csrf_for_dash_callback()
    if token:
        headers[CSRF_HEADER] = token
    headers.update(_visitor_address())
    from api.voters import forwarded_header

    headers.update(forwarded_header())  # the browser's signed id, so its like counts once (api/voters.py)
    return headers


def _visitor_address() -> dict[str, str]:
    """The visitor's address, signed, so the API's abuse limits count each visitor on their own (api/limits.py)."""
    from flask import current_app

    from api.limits import CLIENT_HEADER, SIGNATURE_HEADER, LimitSettings, client_address, sign

    key = current_app.extensions.get("buergergis.portal_key")
    if not key:
        return {}
    address = client_address(key, LimitSettings().trusted_proxies)
    return {CLIENT_HEADER: address, SIGNATURE_HEADER: sign(key, address)}


class ApiClient:
    """Small HTTP client for the OGC API with a short cache for public reads."""

    def __init__(self, api_url: str, timeout: float = 15, cache_seconds: float = 20):
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout
        self.cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, dict]] = {}
        self._lock = threading.Lock()
        self._session = requests.Session()
        # Shared by all visitors: it must never keep a cookie one of them was sent (their own Cookie header
        # is forwarded per request instead).
        self._session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))

    def get_json(
        self,
        path: str,
        params: dict | None = None,
        cache: bool = True,
        headers: dict | None = None,
        forward: bool = True,
    ) -> dict:
        """GET ``path`` (relative to the API root) as JSON; raises :class:`ApiError`.

        ``forward=False``: without the visitor's credentials (public data shared by all visitors).
        """
        params = {"f": "json", **(params or {})}
        url = f"{self.api_url}/{path.lstrip('/')}"
        key = f"{url}?{urlencode(sorted(params.items()))}"
        headers = {**(_forwarded_headers() if forward else {}), **(headers or {})}
        use_cache = cache and not headers  # personalised answers are never shared
        now = time.monotonic()
        if use_cache:
            with self._lock:
                hit = self._cache.get(key)
            if hit and now - hit[0] < self.cache_seconds:
                return hit[1]
        try:
            reply = self._session.get(url, params=params, headers=headers, timeout=self.timeout)
        except requests.RequestException as err:
            raise ApiError(None, str(err)) from err
        if not reply.ok:
            raise ApiError(reply.status_code, _detail(reply))
        body = unescape_pygeoapi(reply.json())
        if use_cache:
            with self._lock:
                self._cache[key] = (now, body)
        return body

    def items(
        self,
        collection: str,
        limit: int = MAX_ITEMS,
        cache: bool = True,
        headers: dict | None = None,
        forward: bool = True,
        **params,
    ) -> list[dict]:
        """All features of a collection (one page up to ``limit``)."""
        body = self.get_json(
            f"collections/{collection}/items", {"limit": limit, **params}, cache=cache, headers=headers, forward=forward
        )
        return body.get("features", [])

    def all_items(self, collection: str, page: int = MAX_ITEMS, forward: bool = True, **params) -> list[dict]:
        """Every feature of a collection, page by page (a city's 45,000 zones do not fit one request)."""
        features: list[dict] = []
        while True:
            body = self.get_json(
                f"collections/{collection}/items", {"limit": page, "offset": len(features), **params}, forward=forward
            )
            batch = body.get("features", [])
            features.extend(batch)
            matched = body.get("numberMatched")
            if len(batch) < page or (matched is not None and len(features) >= int(matched)):
                return features

    def count(self, collection: str, forward: bool = True) -> int | None:
        """numberMatched of a collection, None when the collection does not exist."""
        try:
            body = self.get_json(
                f"collections/{collection}/items", {"limit": 1, "skipGeometry": "true"}, forward=forward
            )
        except ApiError as err:
            if err.status == 404:
                return None
            raise
        matched = body.get("numberMatched")
        return int(matched) if matched is not None else len(body.get("features", []))

    @property
    def site_url(self) -> str:
        """The portal root the API hangs below (``…/oapi`` -> ``…``): home of the ``/api/…`` routes."""
        return self.api_url.rsplit("/", 1)[0]

    def get_site_json(self, path: str, params: dict | None = None, headers: dict | None = None) -> dict | list:
        """GET a non-OGC route below the portal root (e.g. ``api/procedures``); never cached."""
        try:
            reply = self._session.get(
                f"{self.site_url}/{path.lstrip('/')}",
                params=params,
                headers={**_forwarded_headers(), **(headers or {})},
                timeout=self.timeout,
            )
        except requests.RequestException as err:
            raise ApiError(None, str(err)) from err
        if not reply.ok:
            raise ApiError(reply.status_code, _detail(reply))
        return reply.json()

    def post_feature(self, collection: str, feature: dict, headers: dict | None = None) -> Response:
        """POST one GeoJSON feature (OGC API Features Part 4 create)."""
        url = f"{self.api_url}/collections/{collection}/items"
        return self._post(url, feature, {"Content-Type": "application/geo+json", **(headers or {})})

    def post_site_json(self, path: str, body: dict | None, headers: dict | None = None) -> Response:
        """POST JSON to a non-OGC route below the portal root (likes, moderation)."""
        return self.send_site_json("POST", path, body, headers)

    def post_site_files(
        self, path: str, files: list[tuple[str, tuple[str, bytes, str]]], headers: dict | None = None
    ) -> Response:
        """POST files as multipart/form-data to a route below the portal root as the visitor (report photos)."""
        try:
            reply = self._session.post(
                f"{self.site_url}/{path.lstrip('/')}",
                files=files,
                timeout=self.timeout,
                headers={"Accept": "application/json", **_forwarded_headers(), **(headers or {})},
            )
        except requests.RequestException as err:
            raise ApiError(None, str(err)) from err
        try:
            parsed = reply.json()
        except ValueError:
            parsed = None
        with self._lock:
            self._cache.clear()
        return Response(reply.status_code, parsed, reply.text, dict(reply.headers))

    def send_site_json(self, method: str, path: str, body: dict | None = None, headers: dict | None = None) -> Response:
        """POST, PUT or DELETE a non-OGC route below the portal root as the visitor (procedures, Abwägung)."""
        return self._post(
            f"{self.site_url}/{path.lstrip('/')}",
            body if method != "DELETE" else None,
            {"Content-Type": "application/json", **(headers or {})},
            method=method,
        )

    def delete_item(self, collection: str, item_id: str, headers: dict | None = None) -> Response:
        """DELETE one feature (OGC API Features Part 4), as the visitor (e.g. an author with their secret)."""
        return self._post(
            f"{self.api_url}/collections/{collection}/items/{quote(str(item_id), safe='')}",
            None,
            headers or {},
            method="DELETE",
        )

    def _post(self, url: str, body, headers: dict, method: str = "POST") -> Response:
        headers = {"Accept": "application/json", **_forwarded_headers(), **headers}
        try:
            reply = self._session.request(method, url, json=body, headers=headers, timeout=self.timeout)
        except requests.RequestException as err:
            raise ApiError(None, str(err)) from err
        try:
            parsed = unescape_pygeoapi(reply.json())
        except ValueError:
            parsed = None
        with self._lock:
            self._cache.clear()  # a write makes cached lists stale
        return Response(reply.status_code, parsed, reply.text, dict(reply.headers))


def _detail(reply: requests.Response) -> str:
    try:
        body = reply.json()
    except ValueError:
        return reply.text[:300]
    if isinstance(body, dict):
        return unescape_pygeoapi(str(body.get("description") or body.get("detail") or body.get("code") or ""))[:300]
    return ""
