"""Open311 GeoReport v2 for Mängelmeldungen, at ``/open311/v2``, in JSON and XML.

So existing Mängelmelder apps and city back offices can connect. Every route answers in the format its
extension names (``.json`` or ``.xml``), errors included (``[{"code", "description"}]`` or
``<errors><error>…``); any other path below ``/open311/v2`` ending in ``.xml`` is a 404 in XML.

``GET  discovery.{json,xml}``         endpoints and formats
``GET  services.{json,xml}``          the categories (``service_code`` = the contribution's ``category``)
``GET  services/<code>.{json,xml}``   a service definition (no extra attributes)
``GET  requests.{json,xml}``          public Mängelmeldungen; ``service_request_id``, ``service_code``,
                                      ``status`` (open|closed), ``start_date``, ``end_date`` (default:
                                      the last 90 days), ``lat``/``long``/``radius`` (metres, default 1000,
                                      at most 20000: the reports within that distance), at most 1000,
                                      newest first
``POST requests.{json,xml}``          a new Mängelmeldung: ``service_code``, ``lat``, ``long``,
                                      ``description``, optional ``address_string`` and ``media_url`` (kept,
                                      served back), optional photo files ``media`` (``multipart/form-data``,
                                      up to 3, checked and re-encoded as on ``/api/contributions/<id>/photos``);
                                      form-encoded as in the spec, multipart, or JSON
``GET  requests/<id>.{json,xml}``     one request with its status; its submitter sees it before moderation
                                      with the ``token`` of the POST (query parameter ``token`` or header
                                      ``X-Contribution-Secret``)
``GET  tokens/<token>.{json,xml}``    the spec's token lookup: the request id a token belongs to

A POST goes through the contributions provider's ``create``: the same checks (text, category, geometry
inside the city, secret) as an OGC API create, and it is moderated the same way. Personal fields of the
spec (``email``, ``first_name``, ``last_name``, ``phone``, ``device_id``, ``account_id``) are accepted and
dropped, never stored. The answer carries the report's ``token`` (its author secret, also in the
``X-Contribution-Secret`` header): with it the submitter follows the report before it is published.

Status: ``eingereicht``, ``freigegeben``, ``in_bearbeitung`` are ``open``; ``erledigt`` and ``abgelehnt``
are ``closed``; ``status_notes`` says which (and the moderation's public note). A request is public once
freigegeben, in Bearbeitung or erledigt; back offices send a moderator token and see every Mängelmeldung.
``media_url`` is the report's first photo (once public) or the link its client sent; ``address`` the
``address_string`` it was sent with. ``jurisdiction_id`` is optional; when
``BUERGERGIS_OPEN311_JURISDICTION`` is set, another value is refused (404).
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import shapely.geometry
from flask import Blueprint, Response, g, jsonify, request
from pygeoapi.provider.base import ProviderGenericError
from pygeofilter import ast
from pyproj import Geod, Transformer
from werkzeug.exceptions import RequestEntityTooLarge

from access.rules import hash_secret
from access.viewer import current_viewer
from api.contributions import contributions_provider
from api.messages import message
from participation import photos, reports
from providers.contributions import DEFECT_CATEGORIES, DONE, REJECTED, iso
from schema.bilingual import join
from store.crs import transformer

BLUEPRINT = Blueprint("open311", __name__)

MAX_REQUESTS = 1000
DEFAULT_DAYS = 90
DEFAULT_RADIUS_M = 1000.0
MAX_RADIUS_M = 20_000.0
MEDIA_FIELD = "media"
FORMATS = "json, xml"
STATUS_NOTES = {
    "eingereicht": "Eingereicht, wird geprüft / submitted, under review",
    "freigegeben": "Angenommen / accepted",
    "in_bearbeitung": "In Bearbeitung / in progress",
    "erledigt": "Erledigt / done",
    "abgelehnt": "Abgelehnt / rejected",
}
OPEN_STATUSES = ["eingereicht", "freigegeben", "in_bearbeitung"]
CLOSED_STATUSES = [DONE, REJECTED]
NOTICE = (
    "Danke! Ihre Meldung wird geprüft und nach Freigabe veröffentlicht. / "
    "Thank you! Your report will be reviewed and published once accepted."
)
_GEOD = Geod(ellps="WGS84")


# -- answers in the requested format ----------------------------------------------------------------------------


def _format() -> str:
    return "xml" if request.path.lower().endswith(".xml") else "json"


def _xml_value(parent: ET.Element, name: str, value) -> None:
    child = ET.SubElement(parent, name)
    if isinstance(value, dict):
        for key, inner in value.items():
            _xml_value(child, key, inner)
    elif isinstance(value, list):
        singular = {
            "endpoints": "endpoint",
            "formats": "format",
            "attributes": "attribute",
            "media_urls": "media_url",
        }.get(name, "item")
        for inner in value:
            _xml_value(child, singular, inner)
    elif isinstance(value, bool):
        child.text = "true" if value else "false"
    elif value is not None:
        child.text = str(value)


def _answer(data, root: str, item: str | None = None, status: int = 200) -> Response:
    """``data`` as JSON, or as Open311 XML: ``<root><item>…</item>…</root>`` for a list, ``<root>…`` for an object."""
    if _format() == "json":
        response = jsonify(data)
        response.status_code = status
        return response
    element = ET.Element(root)
    for entry in data if isinstance(data, list) else [data]:
        target = ET.SubElement(element, item) if item else element
        for key, value in entry.items():
            _xml_value(target, key, value)
    text = ET.tostring(element, encoding="unicode", xml_declaration=False)
    return Response('<?xml version="1.0" encoding="utf-8"?>\n' + text, status=status, mimetype="application/xml")


def _error(status: int, description: str) -> Response:
    return _answer([{"code": status, "description": description}], "errors", "error", status)


@BLUEPRINT.errorhandler(ProviderGenericError)
def _provider_error(err: ProviderGenericError):
    return _error(int(err.http_status_code), err.message)


@BLUEPRINT.errorhandler(RequestEntityTooLarge)
def _too_large(_err):
    limit = photos.PhotoSettings().max_request_bytes / 1e6
    return _error(413, message("open311_too_large", mb=limit))


def _jurisdiction_error(params):
    wanted = os.environ.get("BUERGERGIS_OPEN311_JURISDICTION")
    given = params.get("jurisdiction_id")
    if wanted and given and given != wanted:
        return _error(404, f"jurisdiction_id {given!r} is not served here (this is {wanted!r})")
    return None


def _service(code: str) -> dict:
    name_de, name_en = DEFECT_CATEGORIES[code]
    return {
        "service_code": code,
        "service_name": name_de,
        "description": join(name_de, name_en),
        "metadata": False,
        "type": "realtime",
        "keywords": "Mängelmeldung",
        "group": "Mängelmeldungen",
    }


@BLUEPRINT.get("/discovery.<any(json, xml):fmt>")
def discovery(fmt: str):
    base = request.url_root.rstrip("/") + "/open311/v2/"
    return _answer(
        {
            "changeset": "2024-01-01T00:00:00Z",
            "contact": "Bürger-GIS",
            "key_service": "no API key needed",
            "endpoints": [
                {
                    "specification": "http://wiki.open311.org/GeoReport_v2",
                    "url": base,
                    "changeset": "2024-01-01T00:00:00Z",
                    "type": "production",
                    "formats": ["application/json", "text/xml"],
                }
            ],
        },
        "discovery",
    )


@BLUEPRINT.get("/services.<any(json, xml):fmt>")
def services(fmt: str):
    if (error := _jurisdiction_error(request.args)) is not None:
        return error
    return _answer([_service(code) for code in DEFECT_CATEGORIES], "services", "service")


@BLUEPRINT.get("/services/<code>.<any(json, xml):fmt>")
def service_definition(code: str, fmt: str):
    if code not in DEFECT_CATEGORIES:
        return _error(404, f"unknown service_code {code!r}")
    return _answer({"service_code": code, "attributes": []}, "service_definition")


# -- reading -------------------------------------------------------------------------------------------------------


def _as_request(feature: dict, to_crs84: Transformer, details: dict, names: list[str]) -> dict:
    props = feature["properties"]
    geom = shapely.geometry.shape(feature["geometry"]) if feature.get("geometry") else None
    lat = lon = None
    if geom is not None and not geom.is_empty:
        point = geom if geom.geom_type == "Point" else geom.representative_point()
        lon, lat = to_crs84.transform(point.x, point.y)
    code = props.get("category") or "sonstiges"
    notes = STATUS_NOTES.get(props.get("status"), props.get("status"))
    if props.get("status_note"):
        notes = f"{notes}: {props['status_note']}"
    media = [photos.media_url(n) for n in names] + ([details["media_url"]] if details.get("media_url") else [])
    return {
        "service_request_id": str(feature["id"]),
        "status": "closed" if props.get("status") in CLOSED_STATUSES else "open",
        "status_notes": notes,
        "service_name": DEFECT_CATEGORIES.get(code, (code,))[0],
        "service_code": code,
        "description": props.get("text"),
        "agency_responsible": os.environ.get("BUERGERGIS_ORGANISATION") or None,
        "service_notice": None,
        "requested_datetime": iso(props.get("created_at")),
        "updated_datetime": iso(props.get("updated_at")),
        "expected_datetime": None,
        "address": details.get("address_string"),
        "address_id": None,
        "zipcode": None,
        "lat": None if lat is None else round(lat, 7),
        "long": None if lon is None else round(lon, 7),
        "media_url": media[0] if media else None,
        "reference": props.get("reference"),
    }


def _as_requests(provider, features: list[dict]) -> list[dict]:
    ids = [str(f["id"]) for f in features]
    details, names = reports.details_of(provider.rows, ids), photos.names_of(provider.rows, ids)
    to_crs84 = transformer(provider.storage_crs, "OGC:CRS84")
    return [_as_request(f, to_crs84, details.get(str(f["id"]), {}), names.get(str(f["id"]), [])) for f in features]


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


def _circle(params) -> tuple[float, float, float] | None:
    """(lon, lat, radius m) of the ``lat``/``long``/``radius`` parameters, None without them; ValueError if bad."""
    if params.get("lat") in (None, "") and params.get("long") in (None, ""):
        if params.get("radius") not in (None, ""):
            raise ValueError("radius needs lat and long (WGS 84 decimal degrees)")
        return None
    try:
        lat, lon = float(params.get("lat", "")), float(params.get("long", ""))
        radius = float(params.get("radius") or DEFAULT_RADIUS_M)
    except ValueError:
        raise ValueError("lat and long must both be WGS 84 decimal degrees; radius in metres") from None
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError("lat must be within -90..90 and long within -180..180")
    if not (math.isfinite(radius) and 0 < radius <= MAX_RADIUS_M):
        raise ValueError(f"radius must be above 0 and at most {MAX_RADIUS_M:g} metres")
    return lon, lat, radius


@BLUEPRINT.get("/requests.<any(json, xml):fmt>")
def list_requests(fmt: str):
    params = request.args
    if (error := _jurisdiction_error(params)) is not None:
        return error
    conditions = [ast.Equal(ast.Attribute("kind"), "maengelmeldung")]
    circle = None
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
            circle = _circle(params)
        except ValueError as err:
            return _error(400, str(err))
        if start is None and end is None:
            start = datetime.now(UTC) - timedelta(days=DEFAULT_DAYS)
        if start is not None:
            conditions.append(ast.GreaterEqual(ast.Attribute("created_at"), start))
        if end is not None:
            conditions.append(ast.LessEqual(ast.Attribute("created_at"), end))
    provider = contributions_provider()
    bbox = []
    if circle is not None:  # candidates by the box around the circle (spatial index), then the exact distance
        lon, lat, radius = circle
        x, y = transformer("OGC:CRS84", provider.storage_crs).transform(lon, lat)
        reach = radius * 1.01 + 1  # a projected metre is not quite a metre on the ground
        bbox = [x - reach, y - reach, x + reach, y + reach]
    result = provider.query(
        offset=0,
        limit=MAX_REQUESTS,
        resulttype="results",
        filterq=_and(conditions),
        bbox=bbox,
        sortby=[{"property": "created_at", "order": "-"}],
    )
    found = _as_requests(provider, list(result["features"]))
    if circle is not None:
        found = [
            r
            for r in found
            if r["lat"] is not None and _GEOD.inv(circle[0], circle[1], r["long"], r["lat"])[2] <= circle[2]
        ]
    return _answer(found, "service_requests", "request")


def _with_token() -> None:
    """A ``token`` query parameter counts as the author secret (for clients that cannot send headers)."""
    token = request.args.get("token", "").strip()
    if token:
        viewer = current_viewer()
        g.viewer = dataclasses.replace(viewer, secret_hashes=(*viewer.secret_hashes, hash_secret(token)))


@BLUEPRINT.get("/requests/<request_id>.<any(json, xml):fmt>")
def get_request(request_id: str, fmt: str):
    if (error := _jurisdiction_error(request.args)) is not None:
        return error
    _with_token()
    provider = contributions_provider()
    feature = provider.get(request_id)
    if feature["properties"].get("kind") != "maengelmeldung":
        return _error(404, f"no service request {request_id!r}")
    answer = _answer(_as_requests(provider, [feature]), "service_requests", "request")
    answer.headers["Cache-Control"] = "no-store" if request.args.get("token") else "no-cache"
    return answer


@BLUEPRINT.get("/tokens/<token>.<any(json, xml):fmt>")
def token_lookup(token: str, fmt: str):
    """The spec's ``GET tokens/<token>``: which request a token made (only the token's holder can ask)."""
    provider = contributions_provider()
    found = provider.rows.fetch(
        "SELECT id FROM contributions WHERE author_secret_hash = :h AND kind = :k ORDER BY created_at DESC",
        {"h": hash_secret(token), "k": "maengelmeldung"},
    )
    if not found:
        return _error(404, "unknown token")
    answer = _answer(
        [{"service_request_id": row["id"], "token": token} for row in found], "service_requests", "request"
    )
    answer.headers["Cache-Control"] = "no-store"
    return answer


# -- writing -------------------------------------------------------------------------------------------------------


def _post_params() -> dict:
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise ValueError("malformed JSON: expected an object with service_code, lat, long, description")
        return body
    return request.form.to_dict()


@BLUEPRINT.post("/requests.<any(json, xml):fmt>")
def create_request(fmt: str):
    settings = photos.PhotoSettings()
    if request.mimetype == "multipart/form-data":
        request.max_content_length = settings.max_request_bytes  # photos may come along
    else:
        from flask import current_app

        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        if limit and (request.content_length or 0) > limit:
            return _error(413, message("open311_too_large_bytes", max=limit))
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
    try:
        address = reports.check_address(params.get("address_string"))
        media_url = reports.check_media_url(params.get("media_url"))
    except ValueError as err:
        return _error(400, str(err))
    uploads = (
        [
            (f.filename or MEDIA_FIELD, f.stream.read(settings.max_file_bytes + 1))
            for f in request.files.getlist(MEDIA_FIELD)
        ]
        if request.files
        else []
    )
    try:  # every photo checked before the report is stored: a bad one refuses the whole request
        if len(uploads) > settings.max_per_report:
            raise photos.TooManyPhotos(settings.max_per_report, 0)
        encoded = [photos.reencode(data, name, settings) for name, data in uploads]
    except photos.PhotoError as err:
        return _error(err.status, err.message)
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {"kind": "maengelmeldung", "category": code, "text": params.get("description")},
    }
    provider = contributions_provider()
    identifier = provider.create(json.dumps(feature))
    reports.save_details(provider.rows, identifier, address, media_url)
    if encoded:
        from providers.contributions import now_iso

        photos.add(provider.rows, identifier, encoded, now_iso(), settings.max_per_report)
    token = g.get("contribution_secret")
    answer = _answer(
        [{"service_request_id": identifier, "token": token, "service_notice": NOTICE, "account_id": None}],
        "service_requests",
        "request",
        201,
    )
    answer.headers["Cache-Control"] = "no-store"
    return answer


@BLUEPRINT.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown(rest: str):
    """Below /open311/v2 an unknown path or format is a 404 in the format it asked for (JSON otherwise)."""
    return _error(404, message("open311_no_resource", formats=FORMATS, path=rest[:200]))
