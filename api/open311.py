"""Open311 GeoReport v2 for Mängelmeldungen, at ``/open311/v2`` (JSON only).

So existing Mängelmelder apps and city back offices can connect:

``GET  discovery.json``             endpoints and formats
``GET  services.json``              the categories (``service_code`` = the contribution's ``category``)
``GET  services/<code>.json``       a service definition (no extra attributes)
``GET  requests.json``              public Mängelmeldungen; ``service_request_id``, ``service_code``,
                                    ``status`` (open|closed), ``start_date``, ``end_date`` (default:
                                    the last 90 days), at most 1000, newest first
``POST requests.json``              a new Mängelmeldung: ``service_code``, ``lat``, ``long``,
                                    ``description`` (form-encoded as in the spec, or JSON)
``GET  requests/<id>.json``         one request with its status

A POST goes through the contributions provider's ``create``: the same checks
(text, category, geometry inside the city, secret) as an OGC API create, and it
is moderated the same way. Personal fields of the spec (``email``, ``first_name``,
``last_name``, ``phone``, ``device_id``, ``account_id``) are accepted and dropped,
never stored. The edit secret comes back in ``X-Contribution-Secret``.

Status: ``eingereicht``, ``freigegeben``, ``in_bearbeitung`` are ``open``;
``erledigt`` and ``abgelehnt`` are ``closed``; ``status_notes`` says which.
A request is public once freigegeben, in Bearbeitung or erledigt; back offices
send a moderator token and see every Mängelmeldung.
``jurisdiction_id`` is optional; when ``BUERGERGIS_OPEN311_JURISDICTION`` is set,
another value is refused (404).
"""

from __future__ import annotations

import json
import math
import os
from datetime import UTC, datetime, timedelta

import shapely.geometry
from flask import Blueprint, jsonify, request
from pygeoapi.provider.base import ProviderGenericError
from pygeofilter import ast
from pyproj import Transformer

from api.contributions import contributions_provider
from providers.contributions import DEFECT_CATEGORIES, DONE, REJECTED, iso

BLUEPRINT = Blueprint("open311", __name__)

MAX_REQUESTS = 1000
DEFAULT_DAYS = 90
STATUS_NOTES = {
    "eingereicht": "Eingereicht, wird geprüft / submitted, under review",
    "freigegeben": "Angenommen / accepted",
    "in_bearbeitung": "In Bearbeitung / in progress",
    "erledigt": "Erledigt / done",
    "abgelehnt": "Abgelehnt / rejected",
}
OPEN_STATUSES = ["eingereicht", "freigegeben", "in_bearbeitung"]
CLOSED_STATUSES = [DONE, REJECTED]
NOTICE = ("Danke! Ihre Meldung wird geprüft und nach Freigabe veröffentlicht. / "
          "Thank you! Your report will be reviewed and published once accepted.")


def _error(status: int, description: str):
    return jsonify([{"code": status, "description": description}]), status


@BLUEPRINT.errorhandler(ProviderGenericError)
def _provider_error(err: ProviderGenericError):
    return _error(int(err.http_status_code), err.message)


def _jurisdiction_error(params):
    wanted = os.environ.get("BUERGERGIS_OPEN311_JURISDICTION")
    given = params.get("jurisdiction_id")
    if wanted and given and given != wanted:
        return _error(404, f"jurisdiction_id {given!r} is not served here (this is {wanted!r})")
    return None


def _service(code: str) -> dict:
    name_de, name_en = DEFECT_CATEGORIES[code]
    return {"service_code": code, "service_name": name_de, "description": f"{name_de} / {name_en}",
            "metadata": False, "type": "realtime", "keywords": "Mängelmeldung", "group": "Mängelmeldungen"}


@BLUEPRINT.get("/discovery.json")
def discovery():
    base = request.url_root.rstrip("/") + "/open311/v2/"
    return jsonify({"changeset": "2024-01-01T00:00:00Z", "contact": "Bürger-GIS",
                    "key_service": "no API key needed",
                    "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2", "url": base,
                                   "changeset": "2024-01-01T00:00:00Z", "type": "production",
                                   "formats": ["application/json"]}]})


@BLUEPRINT.get("/services.json")
def services():
    if (error := _jurisdiction_error(request.args)) is not None:
        return error
    return jsonify([_service(code) for code in DEFECT_CATEGORIES])


@BLUEPRINT.get("/services/<code>.json")
def service_definition(code: str):
    if code not in DEFECT_CATEGORIES:
        return _error(404, f"unknown service_code {code!r}")
    return jsonify({"service_code": code, "attributes": []})


def _as_request(feature: dict, to_crs84: Transformer) -> dict:
    props = feature["properties"]
    geom = shapely.geometry.shape(feature["geometry"]) if feature.get("geometry") else None
    lat = lon = None
    if geom is not None and not geom.is_empty:
        point = geom if geom.geom_type == "Point" else geom.representative_point()
        lon, lat = to_crs84.transform(point.x, point.y)
    code = props.get("category") or "sonstiges"
    return {
        "service_request_id": str(feature["id"]),
        "status": "closed" if props.get("status") in CLOSED_STATUSES else "open",
        "status_notes": STATUS_NOTES.get(props.get("status"), props.get("status")),
        "service_name": DEFECT_CATEGORIES.get(code, (code,))[0],
        "service_code": code,
        "description": props.get("text"),
        "agency_responsible": os.environ.get("BUERGERGIS_ORGANISATION") or None,
        "service_notice": None,
        "requested_datetime": iso(props.get("created_at")),
        "updated_datetime": iso(props.get("updated_at")),
        "expected_datetime": None,
        "address": None,
        "address_id": None,
        "zipcode": None,
        "lat": None if lat is None else round(lat, 7),
        "long": None if lon is None else round(lon, 7),
        "media_url": None,
    }


def _transformer(provider) -> Transformer:
    return Transformer.from_crs(provider.storage_crs, "OGC:CRS84", always_xy=True)


def _date(name: str, value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{name} must be an ISO 8601 date-time, e.g. 2024-05-01T00:00:00Z") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _and(nodes):
    result = None
    for node in nodes:
        result = node if result is None else ast.And(result, node)
    return result


def _in(column: str, values: list) -> ast.Node:
    return ast.In(ast.Attribute(column), values, False)


@BLUEPRINT.get("/requests.json")
def list_requests():
    params = request.args
    if (error := _jurisdiction_error(params)) is not None:
        return error
    conditions = [ast.Equal(ast.Attribute("kind"), "maengelmeldung")]
    ids = [i.strip() for i in params.get("service_request_id", "").split(",") if i.strip()]
    if ids:  # the spec: other parameters are ignored when ids are given
        conditions.append(_in("id", ids[:MAX_REQUESTS]))
    else:
        codes = [c.strip() for c in params.get("service_code", "").split(",") if c.strip()]
        if codes:
            conditions.append(_in("category", codes))
        statuses = [s.strip().lower() for s in params.get("status", "").split(",") if s.strip()]
        if any(s not in ("open", "closed") for s in statuses):
            return _error(400, "status must be open or closed (or both, comma-separated)")
        if statuses and set(statuses) != {"open", "closed"}:
            conditions.append(_in("status", OPEN_STATUSES if statuses == ["open"] else CLOSED_STATUSES))
        try:
            start, end = _date("start_date", params.get("start_date")), _date("end_date", params.get("end_date"))
        except ValueError as err:
            return _error(400, str(err))
        if start is None and end is None:
            start = datetime.now(UTC) - timedelta(days=DEFAULT_DAYS)
        if start is not None:
            conditions.append(ast.GreaterEqual(ast.Attribute("created_at"), start))
        if end is not None:
            conditions.append(ast.LessEqual(ast.Attribute("created_at"), end))
    provider = contributions_provider()
    result = provider.query(offset=0, limit=MAX_REQUESTS, resulttype="results", filterq=_and(conditions),
                            sortby=[{"property": "created_at", "order": "-"}])
    to_crs84 = _transformer(provider)
    return jsonify([_as_request(f, to_crs84) for f in result["features"]])


@BLUEPRINT.get("/requests/<request_id>.json")
def get_request(request_id: str):
    if (error := _jurisdiction_error(request.args)) is not None:
        return error
    provider = contributions_provider()
    feature = provider.get(request_id)
    if feature["properties"].get("kind") != "maengelmeldung":
        return _error(404, f"no service request {request_id!r}")
    return jsonify([_as_request(feature, _transformer(provider))])


def _post_params() -> dict:
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise ValueError("malformed JSON: expected an object with service_code, lat, long, description")
        return body
    return request.form.to_dict()


@BLUEPRINT.post("/requests.json")
def create_request():
    try:
        params = _post_params()
    except ValueError as err:
        return _error(400, str(err))
    if (error := _jurisdiction_error(params)) is not None:
        return error
    code = params.get("service_code")
    if not code:
        return _error(400, "service_code is required (see services.json)")
    if code not in DEFECT_CATEGORIES:
        return _error(404, f"unknown service_code {code!r} (see services.json)")
    try:
        lat, lon = float(params.get("lat")), float(params.get("long"))
    except (TypeError, ValueError):
        return _error(400, "lat and long are required (WGS 84 decimal degrees); an address alone is not enough")
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return _error(400, "lat and long must be finite numbers")
    if not isinstance(params.get("description"), str) or not params["description"].strip():
        return _error(400, "description is required")
    feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
               "properties": {"kind": "maengelmeldung", "category": code, "text": params.get("description")}}
    identifier = contributions_provider().create(json.dumps(feature))
    return jsonify([{"service_request_id": identifier, "service_notice": NOTICE, "account_id": None}]), 201
