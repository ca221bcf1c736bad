"""Who may write what, enforced in front of every write route (pygeoapi has no auth).

Foundation rules until roles and tokens exist (see issue on contributions):
every POST/PUT/DELETE to a collection is refused with 401 unless the request
carries the planner token from ``BUERGERGIS_PLANNER_TOKEN``.
"""

from __future__ import annotations

import hmac
import os

from flask import Flask, jsonify, request

from api.settings import Settings

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def planner_token() -> str | None:
    return os.environ.get("BUERGERGIS_PLANNER_TOKEN") or None


def _is_planner() -> bool:
    token = planner_token()
    header = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(header, f"Bearer {token}")


def install(server: Flask, settings: Settings) -> None:
    @server.before_request
    def guard_writes():
        path = request.path
        if request.method not in WRITE_METHODS or not path.startswith("/oapi/collections/"):
            return None
        if request.method == "POST" and path.endswith("/items") and request.mimetype != "application/geo+json":
            return None  # a CQL2-JSON query in the body, not a write (pygeoapi routes it to the items query)
        if _is_planner():
            return None
        status = 403 if request.headers.get("Authorization") else 401
        return jsonify({
            "code": "Unauthorized" if status == 401 else "Forbidden",
            "description": "Schreiben nur mit Berechtigung / writing needs a planner token",
        }), status
