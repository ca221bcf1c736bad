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

Besides the request rules, :func:`allow` counts other events per client, e.g. new browser ids for likes
(``voters``, see ``api/voters.py``). Every counted event is also noted in a short in-memory record
(:class:`Activity`, per worker) from which the moderation sees suspicious bursts (``api/bursts.py``);
clients appear there only as a keyed hash of their address, never as the address.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, jsonify, request
from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.messages import message

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
    #: Requests with a wrong bearer token (or other Authorization) from one client; beyond this every request
    #: with a token from that client is a 429 until the window has passed (api/token_throttle.py).
    token_failures: str = "10/minute;100/day"
    writes: str = "120/minute"
    #: New browser ids for likes (signed cookies, api/voters.py) handed to one client address: a script that
    #: throws its cookie away buys at most this many likes; a household or office behind one address shares it.
    voters: str = "30/hour;200/day"
    trusted_proxies: int = 0
    #: Suspicious bursts (``GET /api/moderation/bursts``): this many events of one kind in the window.
    burst_events: int = 20
    burst_window_s: int = 600


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


class Activity:
    """Recent events per (kind, client) in this worker, for the moderators' view of bursts.

    Bounded: at most ``max_clients`` clients per kind and the events of one window each; clients are kept
    as a keyed hash of their address (the same client gives the same pseudonym within one server key).
    """

    def __init__(self, key: bytes, window_s: int, max_clients: int = 5000):
        self.key, self.window_s, self.max_clients = key, window_s, max_clients
        self._events: dict[tuple[str, str], deque] = {}
        self._refused: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    def pseudonym(self, client: str) -> str:
        return hmac.new(self.key, f"client:{client}".encode(), hashlib.sha256).hexdigest()[:12]

    def note(self, kind: str, client: str, refused: bool = False) -> None:
        now = time.time()
        key = (kind, self.pseudonym(client))
        with self._lock:
            events = self._events.get(key)
            if events is None:
                if len(self._events) >= self.max_clients:
                    self._expire(now)
                    if len(self._events) >= self.max_clients:
                        return
                events = self._events[key] = deque()
            events.append(now)
            while events and events[0] < now - self.window_s:
                events.popleft()
            if refused:
                self._refused[key] = self._refused.get(key, 0) + 1

    def _expire(self, now: float) -> None:
        for key in [k for k, e in self._events.items() if not e or e[-1] < now - self.window_s]:
            self._events.pop(key, None)
            self._refused.pop(key, None)

    def bursts(self, threshold: int) -> list[dict]:
        """Clients with at least ``threshold`` events of one kind in the window (or refused by a limit)."""
        now = time.time()
        found = []
        with self._lock:
            self._expire(now)
            for (kind, client), events in self._events.items():
                recent = [e for e in events if e >= now - self.window_s]
                refused = self._refused.get((kind, client), 0)
                if len(recent) >= threshold or refused:
                    found.append(
                        {
                            "kind": kind,
                            "client": client,
                            "events": len(recent),
                            "refused": refused,
                            "first": _iso(min(recent)) if recent else None,
                            "last": _iso(max(recent)) if recent else None,
                        }
                    )
        return sorted(found, key=lambda b: (-b["events"], b["kind"], b["client"]))


def _iso(moment: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment))


@dataclass
class Limits:
    """The limiter of one app: counts events per client, answers whether one more is allowed."""

    config: LimitSettings
    key: bytes
    activity: Activity
    limiter: MovingWindowRateLimiter | None = None
    items: dict[str, list[RateLimitItem]] | None = None

    def client(self) -> str:
        return client_address(self.key, self.config.trusted_proxies)

    def hit(self, name: str, client: str) -> tuple[RateLimitItem | None, int]:
        """Count one event; (the limit it broke, seconds to wait) or (None, 0) when allowed."""
        for item in (self.items or {}).get(name, []):
            if self.limiter is not None and not self.limiter.hit(item, name, client):
                reset = self.limiter.get_window_stats(item, name, client).reset_time
                self.activity.note(name, client, refused=True)
                return item, max(1, int(reset - time.time()) + 1)
        self.activity.note(name, client)
        return None, 0


EXTENSION = "buergergis.limits"


def current_limits() -> Limits | None:
    """The limits of the current app (None outside one that installed them)."""
    from flask import current_app, has_app_context

    return current_app.extensions.get(EXTENSION) if has_app_context() else None


def allow(name: str) -> tuple[RateLimitItem | None, int]:
    """Count one ``name`` event (e.g. ``voters``) for the requesting client; see :meth:`Limits.hit`."""
    limits = current_limits()
    if limits is None:
        return None, 0
    return limits.hit(name, limits.client())


def too_many(item: RateLimitItem, wait: int):
    """The 429 answer for a broken limit, in German and English, with Retry-After."""
    response = jsonify(
        {
            "code": "TooManyRequests",
            "description": message("too_many_requests", limit=item, wait=wait),
        }
    )
    response.status_code = 429
    response.headers["Retry-After"] = str(wait)
    return response


def install(server: Flask, settings, limit_settings: LimitSettings | None = None) -> None:
    """Count every matching request before any other check; 429 with Retry-After beyond a limit."""
    config = limit_settings or LimitSettings()
    key = signing_key(settings.data_dir)
    server.extensions["buergergis.portal_key"] = key
    limits = Limits(config, key, Activity(key, config.burst_window_s))
    server.extensions[EXTENSION] = limits
    if config.enabled:  # switched off, events are still noted for the moderators' view of bursts
        limits.limiter = MovingWindowRateLimiter(storage_from_string(config.storage))
        limits.items = {
            name: parse_many(getattr(config, name)) for name in {r.name for r in RULES} | {"voters", "token_failures"}
        }

    @server.before_request
    def count():
        if request.method == "OPTIONS":
            return None
        rule = next((r for r in RULES if request.method in r.methods and r.path.match(request.path)), None)
        if rule is None:
            return None
        item, wait = limits.hit(rule.name, limits.client())
        return too_many(item, wait) if item is not None else None
