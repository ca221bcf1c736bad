"""Citizens' preference for planning variants (below ``/api``): one like per person and variant.

``POST   /api/scenarios/<id>/like``    like a variant (``X-Voter-Id`` header, as for contributions)
``DELETE /api/scenarios/<id>/like``    take the like back

The variant must be a row of the ``scenarios`` collection (a stored result, see
``scenarios/results.py``); the count is ``like_count`` there, so any OGC API client
sees the preference count next to the variant's indicators.
"""

from __future__ import annotations

from flask import Blueprint, jsonify
from pygeoapi.provider.base import ProviderGenericError

from access.rules import VOTER_HEADER, hash_voter
from api.access import voter_id
from api.contributions import _body, _error, _provider_error, contributions_provider
from api.messages import message

BLUEPRINT = Blueprint("scenarios_api", __name__)
BLUEPRINT.register_error_handler(ProviderGenericError, _provider_error)


def _like(scenario_id: str, add: bool):
    body, error = _body(required=False)
    if error is not None:
        return error
    voter = voter_id(body if isinstance(body, dict) else None)
    if voter is None:
        return _error(400, message("voter_header", header=VOTER_HEADER))
    changed, count = contributions_provider().rows.like_scenario(scenario_id, hash_voter(voter), add=add)
    return jsonify({"id": scenario_id, "like_count": count, "liked": add, "changed": changed})


@BLUEPRINT.post("/scenarios/<scenario_id>/like")
def like(scenario_id: str):
    return _like(scenario_id, add=True)


@BLUEPRINT.delete("/scenarios/<scenario_id>/like")
def unlike(scenario_id: str):
    return _like(scenario_id, add=False)
