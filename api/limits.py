"""Abuse limits per client: how many contributions, likes, process runs, sign-ins and other writes one
client may send in a window, answered with 429 and ``Retry-After`` beyond that.

Counting is done by ``limits`` (the rate-limit library behind Flask-Limiter: moving windows, storage in
memory, Redis or Memcached by URI). With several gunicorn workers on one machine ``memory://`` counts per
worker; a city sets ``BUERGERGIS_LIMIT_STORAGE=redis://…`` to count across workers and machines.

Who is "one client": its address, as seen by the server (``BUERGERGIS_LIMIT_TRUSTED_PROXIES`` hops of
``X-Forwarded-For`` are believed when the portal runs behind that many reverse proxies). The portal's
own Dash callbacks call the API from the server itself; they pass the visitor's address in
``X-Portal-Client``, signed with a key only the server knows (``X-Portal-Signature``), so every visitor
is counted on their own and nobody outside can claim another address.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, jsonify, request
from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from pydantic_settings import BaseSettings, SettingsConfigDict

CLIENT_HEADER = "X-Portal-Client"
SIGNATURE_HEADER = "X-Portal-Signature"
_LOOPBACK = ("127.0.0.1", "::1")


class LimitSettings(BaseSettings):
    """``BUERGERGIS_LIMIT_*``: limits in the ``limits`` notation ("10/minute;200/day")."""

    model_config = SettingsConfigDict(env_prefix="BUERGERGIS_LIMIT_")

    enabled: bool = True
    storage: str = "memory://"
    contributions: str = "10/minute;100/hour;300/day"
    likes: str = "60/minute;600/day"
    processes: str = "20/minute"
    logins: str = "20/minute"
    writes: str = "120/minute"
    trusted_proxies: int = 0


@dataclass(frozen=True)
class Rule:
    name: str
    methods: tuple[str, ...]
    path: re.Pattern


RULES = (
    Rule("contributions", ("POST",), re.compile(r"^/oapi/collections/contributions/items/?$")),
    Rule("contributions", ("POST",), re.compile(r"^/open311/v2/requests(\.json|\.xml)?/?$")),
    Rule("likes", ("POST", "DELETE"), re.compile(r"^/api/(contributions|scenarios)/[^/]+/like/?$")),
    Rule("processes", ("POST",), re.compile(r"^/oapi/processes/[^/]+/execution/?$")),
    Rule("logins", ("GET", "POST"), re.compile(r"^/auth/(login|callback)/?$")),
    Rule("writes", ("POST", "PUT", "PATCH", "DELETE"), re.compile(r"^/(oapi|api|open311)/")),
)


def signing_key(data_dir: Path) -> bytes:
    """The key that signs forwarded visitor addresses: ``BUERGERGIS_SECRET_KEY`` or a file made once in
    the data directory (shared by the workers of one machine)."""
    import os

    given = os.environ.get("BUERGERGIS_SECRET_KEY", "")
    if given:
        return given.encode()
    path = Path(data_dir) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with open(path, "x", encoding="utf-8") as handle:  # the first worker wins; the others read it
                handle.write(secrets.token_urlsafe(32))
            path.chmod(0o600)
        except FileExistsError:
            pass
    return path.read_text(encoding="utf-8").strip().encode()


def sign(key: bytes, address: str) -> str:
    return hmac.new(key, f"portal-client:{address}".encode(), hashlib.sha256).hexdigest()


def client_address(key: bytes, trusted_proxies: int = 0) -> str:
    """The address a request is counted for (see the module docstring)."""
    remote = request.remote_addr or "unknown"
    if trusted_proxies:
        hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",") if h.strip()]
        if len(hops) >= trusted_proxies:
            remote = hops[-trusted_proxies]
    claimed, signature = request.headers.get(CLIENT_HEADER), request.headers.get(SIGNATURE_HEADER, "")
    if claimed and remote in _LOOPBACK and hmac.compare_digest(sign(key, claimed), signature):
        return claimed
    return remote


def install(server: Flask, settings, limit_settings: LimitSettings | None = None) -> None:
    """Count every matching request before any other check; 429 with Retry-After beyond a limit."""
    config = limit_settings or LimitSettings()
    key = signing_key(settings.data_dir)
    server.extensions["buergergis.portal_key"] = key
    if not config.enabled:
        return
    limiter = MovingWindowRateLimiter(storage_from_string(config.storage))
    limits: dict[str, list[RateLimitItem]] = {name: parse_many(getattr(config, name))
                                              for name in {r.name for r in RULES}}

    @server.before_request
    def count():
        if request.method == "OPTIONS":
            return None
        rule = next((r for r in RULES if request.method in r.methods and r.path.match(request.path)), None)
        if rule is None:
            return None
        client = client_address(key, config.trusted_proxies)
        for item in limits[rule.name]:
            if not limiter.hit(item, rule.name, client):
                reset = limiter.get_window_stats(item, rule.name, client).reset_time
                wait = max(1, int(reset - time.time()) + 1)
                response = jsonify({
                    "code": "TooManyRequests",
                    "description": f"Zu viele Anfragen in kurzer Zeit ({item}); bitte in {wait} s erneut versuchen / "
                                   f"too many requests in a short time ({item}); please try again in {wait} s"})
                response.status_code = 429
                response.headers["Retry-After"] = str(wait)
                return response
        return None
