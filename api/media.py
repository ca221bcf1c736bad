"""Photos of Mängelmeldungen and the duplicate hint, below ``/api``.

``POST   /api/contributions/<id>/photos``         up to 3 photos of a report (``multipart/form-data``, field
                                                   ``photo``, several allowed): its author (secret in
                                                   ``X-Contribution-Secret``) while it is not yet published,
                                                   or moderators; 201 with the photos' ``media_url``
``DELETE /api/contributions/<id>/photos/<name>``  remove one (the author while pending, moderators always --
                                                   e.g. a photo showing a face or a number plate)
``GET    /api/media/<name>``                       the photo (JPEG), public once its report is published;
                                                   before that only to its author and to moderators
``GET    /api/contributions/nearby``               ``category``, ``lon``, ``lat`` (WGS 84), optional ``radius``
                                                   (m, default 50, at most 500): open reports of that category
                                                   nearby, to support one instead of reporting it again

Photos are checked and re-encoded by ``participation/photos.py`` (no EXIF, no GPS); the limits are its
``BUERGERGIS_PHOTO_*`` settings. This route takes bodies larger than ``BUERGERGIS_MAX_UPLOAD_BYTES`` (up to
``BUERGERGIS_PHOTO_MAX_REQUEST_BYTES``); ``api/access.py`` leaves its size to this module.
"""

from __future__ import annotations

import math

from flask import Blueprint, Response, jsonify, request
from pygeoapi.provider.base import ProviderGenericError
from werkzeug.exceptions import RequestEntityTooLarge

from access.rules import require_author_or_moderator
from access.viewer import current_viewer
from api.contributions import _provider_error, contributions_provider
from api.messages import message, pair
from participation import photos
from participation.reports import nearby as reports_nearby

BLUEPRINT = Blueprint("media_api", __name__)
BLUEPRINT.register_error_handler(ProviderGenericError, _provider_error)

FIELD = "photo"
MAX_RADIUS_M = 500.0


def _error(status: int, message: str, code: str | None = None):
    codes = {400: "InvalidParameterValue", 404: "NotFound", 413: "PayloadTooLarge", 415: "UnsupportedMediaType"}
    return jsonify({"code": code or codes.get(status, "Error"), "description": message}), status


def _report_for_change(contribution_id: str):
    """(provider, the stored report) if the viewer may change its photos; raises or returns an error answer."""
    from providers.contributions import SUBMITTED, _not_found, visible_to

    provider = contributions_provider()
    viewer = current_viewer()
    row = provider.rows.row(str(contribution_id))
    if row is None or not visible_to(viewer, row):
        raise _not_found(contribution_id)
    require_author_or_moderator(viewer, row.get("author_secret_hash"))
    if row["kind"] != "maengelmeldung":
        return provider, row, _error(400, message("photos_defects_only"))
    if not viewer.is_moderator and row["status"] != SUBMITTED:
        return (
            provider,
            row,
            _error(403, message("photos_reviewed"), "Forbidden"),
        )
    return provider, row, None


def read_uploads(settings: photos.PhotoSettings) -> list[tuple[str, bytes]]:
    """The uploaded files of this request as (name, bytes), within the request limit; raises PhotoError."""
    request.max_content_length = settings.max_request_bytes  # above the API's general limit, for photos only
    length = request.content_length
    if length is not None and length > settings.max_request_bytes:
        raise _request_too_large(settings)
    try:
        files = request.files.getlist(FIELD) or [f for _, f in request.files.items(multi=True)]
    except RequestEntityTooLarge:
        raise _request_too_large(settings) from None
    uploads = []
    for upload in files:
        data = upload.stream.read(settings.max_file_bytes + 1)
        uploads.append((upload.filename or FIELD, data))
    return uploads


def _request_too_large(settings: photos.PhotoSettings) -> photos.PhotoError:
    mb = settings.max_request_bytes / 1e6
    return photos.PhotoError(413, message("photos_request_too_large", mb=mb))


def store_uploads(
    provider, contribution_id: str, uploads: list[tuple[str, bytes]], settings: photos.PhotoSettings
) -> list[str]:
    """Re-encode and store uploads of one report (all or none); their names. Raises PhotoError."""
    from providers.contributions import now_iso

    if not uploads:
        raise photos.PhotoError(400, message("photo_field_missing", field=FIELD))
    if len(uploads) > settings.max_per_report:
        raise photos.TooManyPhotos(settings.max_per_report, 0)
    encoded = [photos.reencode(data, name, settings) for name, data in uploads]
    return photos.add(provider.rows, contribution_id, encoded, now_iso(), settings.max_per_report)


@BLUEPRINT.post("/contributions/<contribution_id>/photos")
def add_photos(contribution_id: str):
    settings = photos.PhotoSettings()
    provider, _row, refusal = _report_for_change(contribution_id)
    if refusal is not None:
        return refusal
    if request.mimetype != "multipart/form-data":
        got_de, got = (request.mimetype, request.mimetype) if request.mimetype else pair("no_type")
        return _error(415, message("photos_multipart", field=FIELD, got_de=got_de, got=got))
    try:
        names = store_uploads(provider, contribution_id, read_uploads(settings), settings)
    except photos.PhotoError as err:
        return _error(err.status, err.message)
    answer = jsonify({"id": contribution_id, "photos": [{"name": n, "media_url": photos.media_url(n)} for n in names]})
    answer.headers["Cache-Control"] = "no-store"
    return answer, 201


@BLUEPRINT.delete("/contributions/<contribution_id>/photos/<name>")
def delete_photo(contribution_id: str, name: str):
    provider, _row, refusal = _report_for_change(contribution_id)
    if refusal is not None:
        return refusal
    if not photos.delete(provider.rows, contribution_id, name):
        return _error(404, message("photo_not_of_report", name=name[:60]))
    return "", 204


@BLUEPRINT.get("/media/<name>")
def media(name: str):
    """A stored photo, to whoever may see its report (the same rule as for the report itself)."""
    from providers.contributions import is_public, visible_to

    provider = contributions_provider()
    found = photos.read(provider.rows, name) if len(name) <= 64 else None
    row = provider.rows.row(found[0]) if found else None
    if row is None or not visible_to(current_viewer(), row):
        return _error(404, message("photo_not_found", name=name[:60]))
    answer = Response(found[1], mimetype=photos.MEDIA_TYPE)
    public = is_public(row.get("kind"), row.get("status"))
    # A published photo may be cached; one only its author or the moderation sees never by shared caches.
    answer.headers["Cache-Control"] = "public, max-age=3600" if public else "private, no-store"
    answer.headers["Content-Disposition"] = f'inline; filename="{name}"'
    return answer


@BLUEPRINT.get("/contributions/nearby")
def nearby():
    """Open reports of one category near a place: the hint before a citizen reports the same again."""
    from providers.contributions import DEFECT_CATEGORIES, _store_key, normalise_category, visible_to

    args = request.args
    try:
        category = normalise_category("maengelmeldung", args.get("category") or "sonstiges")
    except ProviderGenericError as err:
        return _error(400, err.message)
    try:
        lon, lat = float(args.get("lon", "")), float(args.get("lat", ""))
        radius = float(args.get("radius") or 50)
    except ValueError:
        return _error(400, message("nearby_lonlat_required"))
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        return _error(400, message("lonlat_out_of_range"))
    if not (math.isfinite(radius) and 0 < radius <= MAX_RADIUS_M):
        return _error(400, message("nearby_radius", max=MAX_RADIUS_M))
    provider = contributions_provider()
    viewer = current_viewer()
    found, pending = reports_nearby(
        _store_key(provider), provider.storage_epsg, category, lon, lat, radius, lambda row: visible_to(viewer, row)
    )
    name_de, name_en = DEFECT_CATEGORIES[category]
    answer = jsonify(
        {
            "category": category,
            "category_de": name_de,
            "category_en": name_en,
            "radius_m": radius,
            "reports": found,
            "pending_count": pending,
        }
    )
    answer.headers["Cache-Control"] = "no-store"
    return answer
