"""Guessing staff tokens does not pay: wrong bearer tokens count against a per-client limit.

Every request that carries an ``Authorization`` header matching no role (environment tokens, service tokens;
``access/viewer.identify``, constant-time) counts once against ``BUERGERGIS_LIMIT_TOKEN_FAILURES`` (10 a minute,
100 a day by default) for its client (``api/limits.client_address``). Beyond it, *every* request with an
``Authorization`` header from that client is a 429 with ``Retry-After`` until the window has passed -- the
right token too, or the answer would still tell a right guess from a wrong one. Requests without a token
(citizens, the portal's visitors) are never affected. Installed right after ``api/limits.py``, before the
access checks.
"""

from __future__ import annotations

import time

from flask import Flask, jsonify, request

from access.viewer import identify
from api import limits
from api.messages import message

FAILURES = "token_failures"


def _locked_out(item, wait: int):
    response = jsonify(
        {
            "code": "TooManyRequests",
            "description": message("token_locked_out", limit=item, wait=wait),
        }
    )
    response.status_code = 429
    response.headers["Retry-After"] = str(wait)
    return response


def install(server: Flask) -> None:
    """Count wrong tokens per client; refuse tokens from a client that sent too many wrong ones."""

    @server.before_request
    def throttle_wrong_tokens():
        authorization = request.headers.get("Authorization")
        if not authorization or request.method == "OPTIONS":
            return None
        counter = limits.current_limits()
        if counter is None or counter.limiter is None or not counter.items:
            return None  # limits switched off
        client = counter.client()
        for item in counter.items.get(FAILURES, []):
            if not counter.limiter.test(item, FAILURES, client):
                reset = counter.limiter.get_window_stats(item, FAILURES, client).reset_time
                return _locked_out(item, max(1, int(reset - time.time()) + 1))
        _role, invalid, _name, _via = identify(authorization)
        if invalid:
            broken, wait = counter.hit(FAILURES, client)
            if broken is not None:
                return _locked_out(broken, wait)
        return None
