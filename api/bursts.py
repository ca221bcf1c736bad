"""Suspicious bursts for the moderation: ``GET /api/moderation/bursts`` (moderators and planners).

Limits (api/limits.py) stop a flood; a slower campaign stays below them. This lists what looks bought,
so a moderator can look closer (and, e.g., reject a pushed contribution or report a variant's count):

``items``    contributions and planning variants with at least ``min`` likes in the last ``window`` seconds
             (from the store: every worker's likes);
``authors``  author secrets that wrote at least ``min`` contributions in the window (a keyed hash of the
             secret's hash: no secret, no address);
``clients``  client addresses (as a keyed pseudonym) with at least ``min`` contributions, likes or new browser
             ids in the window, or refused by a limit -- as seen by the worker that answers (memory).

``window`` defaults to ``BUERGERGIS_LIMIT_BURST_WINDOW_S`` (600), ``min`` to ``BUERGERGIS_LIMIT_BURST_EVENTS`` (20).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from flask import Blueprint, jsonify, request
from pygeoapi.provider.base import ProviderGenericError

from access.rules import require_moderator
from access.viewer import current_viewer
from api.contributions import _provider_error, contributions_provider
from api.limits import LimitSettings, current_limits
from api.messages import message

BLUEPRINT = Blueprint("bursts_api", __name__)
BLUEPRINT.register_error_handler(ProviderGenericError, _provider_error)


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    try:
        value = int(request.args.get(name, default))
    except ValueError:
        raise ValueError(message("whole_number", name=name)) from None
    if not low <= value <= high:
        raise ValueError(message("number_between", name=name, low=low, high=high))
    return value


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@BLUEPRINT.get("/moderation/bursts")
def bursts():
    from providers.contributions import LIKES, SCENARIO_LIKES, TABLE, iso

    require_moderator(current_viewer())
    config = LimitSettings()
    try:
        window = _int_arg("window", config.burst_window_s, 60, 7 * 86400)
        threshold = _int_arg("min", config.burst_events, 2, 100_000)
    except ValueError as err:
        return jsonify({"code": "InvalidParameterValue", "description": str(err)}), 400
    since = _stamp(datetime.now(UTC) - timedelta(seconds=window))
    rows = contributions_provider().rows
    params = {"since": since, "n": threshold}
    items = []
    for table, key, kind in ((LIKES, "contribution_id", "contribution"), (SCENARIO_LIKES, "scenario_id", "variant")):
        for row in rows.fetch(
            f"SELECT {key} AS item, count(*) AS likes, min(created_at) AS first, "
            f"max(created_at) AS last FROM {table} WHERE created_at >= :since GROUP BY {key} "
            f"HAVING count(*) >= :n",
            params,
        ):
            items.append(
                {
                    "kind": kind,
                    "id": row["item"],
                    "likes": int(row["likes"]),
                    "first": iso(row["first"]),
                    "last": iso(row["last"]),
                }
            )
    authors = [
        {
            "author": hashlib.sha256(f"burst:{row['author']}".encode()).hexdigest()[:12],
            "contributions": int(row["n"]),
            "first": iso(row["first"]),
            "last": iso(row["last"]),
        }
        for row in rows.fetch(
            f"SELECT author_secret_hash AS author, count(*) AS n, min(created_at) AS first, "
            f"max(created_at) AS last FROM {TABLE} WHERE created_at >= :since "
            "GROUP BY author_secret_hash HAVING count(*) >= :n",
            params,
        )
    ]
    limits = current_limits()
    clients = limits.activity.bursts(threshold) if limits is not None else []
    clients = [c for c in clients if c["kind"] in ("contributions", "likes", "voters") or c["refused"]]
    answer = jsonify(
        {
            "window_s": window,
            "min": threshold,
            "since": since,
            "items": sorted(items, key=lambda i: -i["likes"]),
            "authors": sorted(authors, key=lambda a: -a["contributions"]),
            "clients": clients,
        }
    )
    answer.headers["Cache-Control"] = "no-store"
    return answer
