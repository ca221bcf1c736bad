"""What GIS clients and other web maps expect of the OGC API at the HTTP level (installed by ``api/wsgi.py``).

* **CORS** (flask-cors): the read API -- ``/oapi``, ``/api/search``, ``/api/feeds`` -- answers every origin
  (``Access-Control-Allow-Origin: *``, no credentials), so the city's other web maps can read it; on by
  default, ``BUERGERGIS_CORS=0`` switches it off. Writes from a browser only from the origins named in
  ``BUERGERGIS_CORS_WRITE_ORIGINS`` (comma-separated, e.g. ``https://karte.kommune.de``): their preflights
  allow POST/PUT/PATCH/DELETE with credentials; every other origin's preflight for a write allows nothing.
* **Content types and links**: feature collections and features are ``application/geo+json``; a
  collection's description and its items pages link their ``/schema`` as ``describedby``
  (``application/schema+json``), which GDAL's OAPIF driver (QGIS) reads for the field types -- a number that
  is null on the first page stays a number, an empty collection still has its fields. ``/schema`` names the
  geometry type (``geometry-multipolygon`` ..., from ``schema/catalog.py``) instead of ``geometry-any``.
* **Content-Crs on writes** (OGC API Features Part 4 with Part 2): a POST/PUT/PATCH of a feature with
  ``Content-Crs: <http://www.opengis.net/def/crs/EPSG/0/25832>`` has its coordinates taken in that CRS
  (axis order as the CRS defines it); the body is turned into CRS84 before any check sees it, so every
  collection and both stores treat it alike. An unknown CRS is a 400.
* **401 with WWW-Authenticate** (``Bearer realm="buergergis"``) on every 401, as RFC 9110 requires.
* **OpenAPI security**: :func:`add_security` adds ``securitySchemes`` (planner/moderator bearer
  token, the staff session cookie, a contribution's secret header) to the generated document and marks the
  feature writes with them.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field

from flask import Flask, Response, jsonify, request
from werkzeug.datastructures import Headers

from api.messages import message

#: Paths any origin may read (CORS); below /api only the public reads.
READ_PATHS = r"^/(oapi(/.*)?|api/search.*|api/feeds/.*)$"
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
#: Response headers a cross-origin script may read.
EXPOSED_HEADERS = [
    "Content-Crs",
    "Link",
    "Retry-After",
    "ETag",
    "X-Job-Secret",
]  # api/access.py adds Location, X-Contribution-Secret
#: Request headers a configured origin may send with its writes.
WRITE_HEADERS = [
    "Authorization",
    "Content-Type",
    "Content-Crs",
    "X-Contribution-Secret",
    "X-Job-Secret",
    "Accept",
    "Accept-Language",
]

_COLLECTION = re.compile(r"^/oapi/collections/([^/]+)/?$")
_ITEMS = re.compile(r"^/oapi/collections/([^/]+)/items/?$")
_ITEM = re.compile(r"^/oapi/collections/([^/]+)/items/[^/]+/?$")
_SCHEMA = re.compile(r"^/oapi/collections/([^/]+)/schema/?$")
_TILE = re.compile(r"^/oapi/collections/[^/]+/tiles/[^/]+/\d+/\d+/\d+/?$")

WWW_AUTHENTICATE = 'Bearer realm="buergergis"'


@dataclass(frozen=True)
class CorsSettings:
    """CORS from the environment: read API open to all (default), writes from the named origins only."""

    enabled: bool = True
    write_origins: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def from_env(cls, env: dict | None = None) -> CorsSettings:
        env = os.environ if env is None else env
        enabled = str(env.get("BUERGERGIS_CORS", "1")).strip().lower() not in ("0", "false", "no", "off")
        origins = tuple(
            o.strip().rstrip("/") for o in str(env.get("BUERGERGIS_CORS_WRITE_ORIGINS", "")).split(",") if o.strip()
        )
        return cls(enabled=enabled, write_origins=origins)


def _wants_json(response: Response) -> bool:
    return (
        response.status_code == 200
        and (response.mimetype or "") == "application/json"
        and (request.args.get("f") in (None, "json"))
    )


def _schema_link(collection_href: str) -> dict:
    """The GeoJSON-Feature form of the collection's schema (:func:`feature_schema`), which GDAL reads."""
    return {
        "rel": "describedby",
        "type": "application/schema+json",
        "title": "JSON Schema eines Objekts als GeoJSON-Feature / JSON Schema of a feature as GeoJSON",
        "href": f"{collection_href}/schema/feature",
    }


def _part5_schema_link(collection_href: str) -> dict:
    """pygeoapi's own ``/schema`` (OGC API Features Part 5 form: the properties flat, with x-ogc-role)."""
    return {
        "rel": "describedby",
        "type": "application/schema+json",
        "title": "Schema der Objekte (OGC API Features Teil 5) / Schema of the features (Part 5)",
        "href": f"{collection_href}/schema?f=json",
    }


def _gml_schema_link(collection_href: str) -> dict:
    """The collection's GML application schema (:mod:`api.gml_schema`) for GDAL up to 3.8, which looks for
    the relation spelled ``describedBy`` and learns the geometry type only from an XML schema (Debian's QGIS
    3.22 opens OGC API layers through that GDAL)."""
    return {
        "rel": "describedBy",
        "type": "application/xml",
        "title": "GML-Anwendungsschema (XSD) der Objekte / GML application schema of the features",
        "href": f"{collection_href}/schema/gml",
    }


def feature_schema(part5: dict) -> dict:
    """A collection's schema as the JSON Schema of one GeoJSON Feature.

    GDAL's OAPIF driver (and so QGIS) builds its field types from a ``describedby`` JSON Schema only in
    this form -- the feature's attributes under ``properties.properties`` -- not from the flat Part 5
    form pygeoapi serves at ``/schema``. With it, a number that is null on the first page is still a
    number, and an empty collection still has its fields.

    >>> feature_schema({"title": "t", "properties": {"geometry": {"format": "geometry-polygon"},
    ...                 "grz": {"type": "number"}}})["properties"]["properties"]["properties"]
    {'grz': {'type': 'number'}}
    """
    attributes = {
        name: {key: value for key, value in spec.items() if key in ("type", "format", "title", "description", "enum")}
        for name, spec in (part5.get("properties") or {}).items()
        # the id is the feature's own "id", not one of its properties
        if name != "geometry" and isinstance(spec, dict) and spec.get("x-ogc-role") != "id"
    }
    geometry = (part5.get("properties") or {}).get("geometry") or {}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": part5.get("title"),
        "type": "object",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"type": ["string", "integer"]},
            "geometry": {"type": ["object", "null"], "format": geometry.get("format", "geometry-any")},
            "properties": {"type": "object", "properties": attributes},
        },
    }


def _collection_href(collection_id: str) -> str:
    from pygeoapi.flask_app import CONFIG

    return f"{CONFIG['server']['url'].rstrip('/')}/collections/{collection_id}"


def _is_feature_collection(collection_id: str) -> bool:
    from pygeoapi.flask_app import CONFIG

    resource = CONFIG["resources"].get(collection_id) or {}
    return any(p.get("type") == "feature" for p in resource.get("providers", []))


def _coverage_item_type(collection: dict) -> None:
    """``itemType: coverage`` for a coverage (GDAL's OAPIF driver takes a collection without one for features)."""
    from pygeoapi.flask_app import CONFIG

    resource = CONFIG["resources"].get(collection.get("id")) or {}
    if "itemType" not in collection and any(p.get("type") == "coverage" for p in resource.get("providers", [])):
        collection["itemType"] = "coverage"


def _link_schema(collection: dict) -> None:
    """Add the ``describedby`` schema link to a feature collection's description (once)."""
    collection_id = collection.get("id")
    if not collection_id or not _is_feature_collection(collection_id):
        return
    links = collection.setdefault("links", [])
    if not any(link.get("rel") == "describedby" for link in links):
        # GDAL takes the first JSON Schema link: the GeoJSON-Feature form first, then the Part 5 one.
        links.append(_schema_link(_collection_href(collection_id)))
        links.append(_part5_schema_link(_collection_href(collection_id)))
        links.append(_gml_schema_link(_collection_href(collection_id)))


def _splice_items_link(body: bytes, link: dict) -> bytes:
    """The link inserted into the top-level ``links`` of an items page, without parsing the page.

    The page's own ``"links":[`` comes after the features (pygeoapi writes them last); a feature's text
    cannot contain it unescaped, so the last occurrence is the top-level one.
    """
    at = body.rfind(b'"links":[')
    if at < 0:
        return body
    at += len(b'"links":[')
    tail = b"," if body[at : at + 1] != b"]" else b""
    return body[:at] + json.dumps(link).encode("utf-8") + tail + body[at:]


def geometry_format(collection_id: str) -> str | None:
    """The Part 5 schema ``format`` of a collection's geometry (``geometry-multipolygon`` ...), from the catalogue."""
    from schema.catalog import LAYERS

    layer = LAYERS.get(collection_id)
    kind = (layer.geometry_type or "").lower() if layer else ""
    kinds = {"point", "multipoint", "linestring", "multilinestring", "polygon", "multipolygon"}
    return f"geometry-{kind}" if kind in kinds else None


# -- Content-Crs ---------------------------------------------------------------------------------------------


def _content_crs_problem(text: str) -> tuple[object | None, str | None]:
    """(pyproj CRS, None) for a Content-Crs header, or (None, why not)."""
    from pygeoapi.crs import get_crs

    uri = text.strip().removeprefix("<").removesuffix(">").strip()
    try:
        return get_crs(uri), None
    except Exception:  # noqa: BLE001 - pygeoapi raises CRSError or ValueError for what it cannot read
        return None, message("content_crs_unknown", uri=uri[:120])


def feature_in_crs84(feature: dict, source) -> dict:
    """A GeoJSON feature (or collection) with its coordinates transformed from ``source`` to CRS84.

    ``source`` keeps its own axis order (EPSG:4326 is latitude first), as Content-Crs means it;
    a ``bbox`` member (in the old CRS) and a legacy ``crs`` member are dropped.
    """
    import pyproj
    import shapely
    import shapely.geometry

    transformer = pyproj.Transformer.from_crs(source, pyproj.CRS("OGC:CRS84"))

    def transformed(geometry):
        if not isinstance(geometry, dict):
            return geometry
        shape = shapely.geometry.shape(geometry)
        coords = shapely.get_coordinates(shape, include_z=shapely.has_z(shape))
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        coords[:, 0], coords[:, 1] = x, y
        return shapely.geometry.mapping(shapely.set_coordinates(shape, coords))

    out = {k: v for k, v in feature.items() if k not in ("bbox", "crs")}
    if out.get("type") == "FeatureCollection" and isinstance(out.get("features"), list):
        out["features"] = [feature_in_crs84(f, source) if isinstance(f, dict) else f for f in out["features"]]
    elif "geometry" in out:
        out["geometry"] = transformed(out["geometry"])
    return out


def _refuse(status: int, code: str, text: str):
    response = jsonify({"code": code, "type": code, "description": text})
    response.status_code = status
    return response


# -- installation --------------------------------------------------------------------------------------------


def _usable_longitudes() -> tuple[float, float] | None:
    """West and east longitude of the storage CRS's area of use widened by 30° (as bboxes are kept to it by
    providers/passthrough.py), or None for a geographic or global storage CRS."""
    from pyproj import CRS

    try:
        crs = CRS.from_epsg(int(os.environ.get("BUERGERGIS_STORAGE_EPSG", "25832")))
    except (ValueError, TypeError):
        return None
    area = crs.area_of_use
    if crs.is_geographic or area is None or area.west > area.east or area.east - area.west >= 300:
        return None
    return area.west - 30.0, area.east + 30.0


def _rewrite_query(args: dict | None = None, **replace: str) -> None:
    """Let the rest of the request see a changed query string (``args`` whole, or single values replaced)."""
    from urllib.parse import urlencode

    args = args if args is not None else request.args.to_dict(flat=False)
    for key, value in replace.items():
        args[key] = [value]
    query = urlencode([(k, v) for k, vs in args.items() for v in vs])
    request.environ["QUERY_STRING"] = query
    request.query_string = query.encode("latin-1")  # werkzeug copied it from the environ when the request began
    for cached in ("args", "url", "full_path", "values"):
        request.__dict__.pop(cached, None)  # werkzeug caches what it parsed; parse the new query


def install(server: Flask, cors: CorsSettings | None = None) -> None:
    """CORS, geo+json, describedby links, Content-Crs on writes, WWW-Authenticate (see the module text)."""
    cors = cors or CorsSettings.from_env()
    if cors.enabled:
        from flask_cors import CORS

        CORS(
            server,
            resources={READ_PATHS: {"origins": "*"}},
            send_wildcard=True,
            methods=["GET", "HEAD", "OPTIONS"],
            expose_headers=EXPOSED_HEADERS,
            supports_credentials=False,
            max_age=86400,
            vary_header=True,
        )

    from pygeoapi.provider.base import ProviderInvalidQueryError
    from pygeoapi.provider.tile import ProviderTileNotFoundError

    @server.get("/oapi/collections/<collection_id>/schema/<any(feature, gml):form>")
    def schema_in_another_form(collection_id: str, form: str):
        """The collection's ``/schema`` (Part 5, read through the same rules as any read) written in another form:
        ``feature`` the JSON Schema of a GeoJSON Feature (:func:`feature_schema`, GDAL 3.9+), ``gml`` a GML
        application schema (:func:`api.gml_schema.gml_application_schema`, GDAL up to 3.8)."""
        from api.gml_schema import gml_application_schema

        if not _is_feature_collection(collection_id):
            return _refuse(404, "NotFound", message("not_a_feature_collection", id=collection_id))
        with server.test_client() as inner:
            part5 = inner.get(f"/oapi/collections/{collection_id}/schema?f=json")
        if part5.status_code != 200:
            return part5.get_data(), part5.status_code, {"Content-Type": part5.content_type}
        schema = part5.get_json(force=True)
        if form == "gml":
            body, mimetype = gml_application_schema(collection_id, schema), "application/xml"
        else:
            body, mimetype = json.dumps(feature_schema(schema), ensure_ascii=False), "application/schema+json"
        return Response(body, mimetype=mimetype, headers={"Cache-Control": "max-age=300"})

    @server.errorhandler(ProviderTileNotFoundError)
    def tileset_not_served(err):  # tileset metadata of a tile matrix set the collection does not have
        return _refuse(404, "NotFound", message("tileset_not_served", error=err))

    @server.errorhandler(ProviderInvalidQueryError)
    def metadata_not_possible(err):  # e.g. TileJSON of a WorldCRS84Quad tileset
        return _refuse(400, "InvalidParameterValue", err.user_msg or str(err))

    @server.before_request
    def bbox_across_the_antimeridian():
        """A CRS84 bbox with minx > maxx crosses the antimeridian (OGC API Features 1, 7.15.3): answered as two
        boxes, by turning it into the equivalent CQL2 ``S_INTERSECTS`` with a two-part polygon (ANDed with a
        filter the request has), so both stores answer it alike. In a projected ``bbox-crs`` it is a 400."""
        bbox = request.args.get("bbox")
        if bbox is None or request.method not in ("GET", "HEAD", "POST") or not _ITEMS.match(request.path):
            return None
        try:
            values = [float(v) for v in bbox.split(",")]
        except ValueError:
            return None  # pygeoapi answers with 400
        if len(values) not in (4, 6) or values[0] <= values[len(values) // 2]:
            return None
        minx, miny, maxx, maxy = values[0], values[1], values[len(values) // 2], values[len(values) // 2 + 1]
        crs = (request.args.get("bbox-crs") or "").strip()
        geographic = crs in ("", "http://www.opengis.net/def/crs/OGC/1.3/CRS84", "OGC:CRS84")
        if not geographic or not (-180 <= maxx < minx <= 180) or miny > maxy:
            return _refuse(400, "InvalidParameterValue", message("bbox_across_antimeridian"))
        # A regional storage CRS (a UTM zone) holds data only near its area of use: there at most one of the
        # two boxes can find anything, and that one is kept to the area and sent as a plain bbox (a CQL2
        # polygon reaching 180° has no sensible image in UTM). A global storage CRS gets both boxes.
        usable = _usable_longitudes()
        if usable is not None:
            west, east = usable
            parts = [(max(minx, west), min(180.0, east)), (max(-180.0, west), min(maxx, east))]
            kept = [(lo, hi) for lo, hi in parts if lo < hi]
            if len(kept) < 2:
                lo, hi = kept[0] if kept else (minx, 180.0)  # neither: a box far from all data finds nothing
                values[0], values[len(values) // 2] = lo, hi
                return _rewrite_query(bbox=",".join(repr(v) for v in values))
        ring = "(({a} {lo}, {b} {lo}, {b} {hi}, {a} {hi}, {a} {lo}))"
        parts = ", ".join((ring.format(a=minx, b=180, lo=miny, hi=maxy), ring.format(a=-180, b=maxx, lo=miny, hi=maxy)))
        args = request.args.to_dict(flat=False)
        args.pop("bbox")
        args.pop("bbox-crs", None)
        existing = (args.get("filter") or [None])[0]
        if (args.get("filter-lang") or [""])[0] == "cql2-json" or (existing or "").lstrip().startswith("{"):
            crossing = {
                "op": "s_intersects",
                "args": [
                    {"property": "geometry"},
                    {
                        "type": "MultiPolygon",
                        "coordinates": [
                            [[[minx, miny], [180, miny], [180, maxy], [minx, maxy], [minx, miny]]],
                            [[[-180, miny], [maxx, miny], [maxx, maxy], [-180, maxy], [-180, miny]]],
                        ],
                    },
                ],
            }
            combined = crossing if not existing else {"op": "and", "args": [json.loads(existing), crossing]}
            args["filter"] = [json.dumps(combined)]
        else:
            crossing_text = f"S_INTERSECTS(geometry, MULTIPOLYGON({parts}))"
            args["filter"] = [crossing_text if not existing else f"({existing}) AND {crossing_text}"]
        return _rewrite_query(args=args)

    @server.before_request
    def content_crs_of_writes():
        header = request.headers.get("Content-Crs")
        if (
            header is None
            or request.method not in ("POST", "PUT", "PATCH")
            or not (_ITEMS.match(request.path) or _ITEM.match(request.path))
        ):
            return None
        if request.args.get("filter") is not None or "json" not in (request.content_type or ""):
            return None
        source, problem = _content_crs_problem(header)
        if problem:
            return _refuse(400, "InvalidParameterValue", problem)
        try:
            body = json.loads(request.get_data(cache=True) or b"null")
        except ValueError:
            return None  # pygeoapi and api/access.py say what is wrong with it
        if not isinstance(body, dict):
            return None
        try:
            body = feature_in_crs84(body, source)
        except Exception as err:  # noqa: BLE001 - shapely/pyproj raise several types for a malformed geometry
            return _refuse(400, "InvalidParameterValue", message("content_crs_geometry", error=str(err)[:200]))
        # every later reader (api/access.py, api/edges.py, pygeoapi) gets the CRS84 body
        request._cached_data = json.dumps(body).encode("utf-8")
        return None

    @server.after_request
    def cacheable_tiles(response: Response) -> Response:
        """Vector tiles with an ETag (304 when unchanged) and a short public cache: a map panning back and forth
        asks again for tiles it has (the GeoPackage's tile cache, providers/tile_cache.py, serves the rest)."""
        if (
            request.method in ("GET", "HEAD")
            and response.status_code == 200
            and _TILE.match(request.path)
            and not response.direct_passthrough
        ):
            response.add_etag()
            response.headers.setdefault("Cache-Control", "public, max-age=60")
            response.make_conditional(request)
        return response

    @server.after_request
    def standard_answers(response: Response):
        if not isinstance(response.headers, Headers):  # pygeoapi's views assign a plain dict
            response.headers = Headers(response.headers)
        if response.status_code == 401 and "WWW-Authenticate" not in response.headers:
            response.headers["WWW-Authenticate"] = WWW_AUTHENTICATE
        if cors.enabled and cors.write_origins:
            _write_origin_headers(response, cors)
        if request.method == "GET" and request.path.rstrip("/") == "/oapi/collections" and _wants_json(response):
            body = json.loads(response.get_data())  # GDAL's OAPIF driver reads the links of this list only
            for collection in body.get("collections", []):
                _link_schema(collection)
                _coverage_item_type(collection)
            response.set_data(json.dumps(body, ensure_ascii=False).encode("utf-8"))
            return response
        if request.method not in ("GET", "HEAD") or not request.path.startswith("/oapi/collections/"):
            return response
        if (match := _ITEMS.match(request.path)) and _wants_json(response) and _is_feature_collection(match.group(1)):
            response.headers["Content-Type"] = "application/geo+json"
            if request.method == "GET" and not response.direct_passthrough:
                href = _collection_href(match.group(1))
                body = _splice_items_link(response.get_data(), _part5_schema_link(href))
                response.set_data(_splice_items_link(body, _schema_link(href)))  # spliced first: GDAL's pick
        elif (match := _ITEM.match(request.path)) and _wants_json(response) and _is_feature_collection(match.group(1)):
            response.headers["Content-Type"] = "application/geo+json"
        elif (
            (match := _COLLECTION.match(request.path))
            and _wants_json(response)
            and _is_feature_collection(match.group(1))
            and request.method == "GET"
        ):
            body = json.loads(response.get_data())
            _link_schema(body)
            response.set_data(json.dumps(body, ensure_ascii=False).encode("utf-8"))
        elif (match := _COLLECTION.match(request.path)) and _wants_json(response) and request.method == "GET":
            body = json.loads(response.get_data())
            _coverage_item_type(body)
            response.set_data(json.dumps(body, ensure_ascii=False).encode("utf-8"))
        elif (
            (match := _SCHEMA.match(request.path))
            and response.status_code == 200
            and request.method == "GET"
            and (response.mimetype or "").endswith("json")
            and (kind := geometry_format(match.group(1)))
        ):
            body = json.loads(response.get_data())
            geometry = body.get("properties", {}).get("geometry")
            if isinstance(geometry, dict) and geometry.get("format") == "geometry-any":
                geometry["format"] = kind
            response.set_data(json.dumps(body, ensure_ascii=False).encode("utf-8"))
        return response


def _write_origin_headers(response: Response, cors: CorsSettings) -> None:
    """A configured origin may write: its preflights and answers name it, with credentials."""
    origin = (request.headers.get("Origin") or "").rstrip("/")
    if origin not in cors.write_origins or not request.path.startswith(("/oapi/", "/api/", "/open311/")):
        return
    requested = (request.headers.get("Access-Control-Request-Method") or "").upper()
    if request.method == "OPTIONS" and requested and requested not in (*WRITE_METHODS, "GET", "HEAD"):
        return
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Access-Control-Allow-Credentials"] = "true"
    response.vary.add("Origin")
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = ", ".join(("GET", "HEAD", "OPTIONS", *WRITE_METHODS))
        response.headers["Access-Control-Allow-Headers"] = ", ".join(WRITE_HEADERS)
        response.headers["Access-Control-Max-Age"] = "86400"
    response.headers["Access-Control-Expose-Headers"] = ", ".join(EXPOSED_HEADERS)


# -- OpenAPI -------------------------------------------------------------------------------------------------

SECURITY_SCHEMES = {
    "bearerToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "Token der Planung oder Moderation (BUERGERGIS_PLANNER_TOKEN, BUERGERGIS_MODERATOR_TOKEN) "
        "oder ein Diensttoken / the planners' or moderators' token, or a service token",
    },
    "staffSession": {
        "type": "apiKey",
        "in": "cookie",
        "name": "bgis_session",
        "description": "Sitzung nach der Anmeldung im Portal (OpenID Connect) / the portal's staff session "
        "after signing in",
    },
    "contributionSecret": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Contribution-Secret",
        "description": "Geheimnis, das die Antwort auf das Anlegen eines Beitrags im gleichnamigen Header "
        "mitgibt; damit ändert oder löscht die Verfasserin ihren Beitrag / the secret returned in "
        "this header when a contribution is created; it lets its author replace or delete it",
    },
}


def openapi_with_security(document: str) -> str:
    """The generated OpenAPI document (YAML) with security schemes and the feature writes marked."""
    import yaml

    return yaml.safe_dump(add_security(yaml.safe_load(document)), sort_keys=False, allow_unicode=True)


def add_security(spec: dict) -> dict:
    """Add the security schemes to an OpenAPI document (a dict, changed in place and returned); mark the writes.

    Writes to plan and city layers need the bearer token or a staff session; a contribution is created by
    anyone (``{}``: no credentials) and replaced or deleted with its secret or by staff. The start-up works on
    the dict (``api/openapi_document.py``): a YAML round trip of the 400 kB document cost a second.
    """
    spec.setdefault("components", {}).setdefault("securitySchemes", {}).update(SECURITY_SCHEMES)
    staff = [{"bearerToken": []}, {"staffSession": []}]
    for path, operations in (spec.get("paths") or {}).items():
        match = re.match(r"^/collections/([^/]+)/items(/\{featureId\})?$", path)
        if not match or not isinstance(operations, dict):
            continue
        contributions = match.group(1) == "contributions"
        for method in ("post", "put", "patch", "delete"):
            operation = operations.get(method)
            if not isinstance(operation, dict):
                continue
            if contributions:
                operation["security"] = [{}] if method == "post" else [{"contributionSecret": []}, *staff]
            else:
                operation["security"] = staff
            responses = operation.setdefault("responses", {})
            if contributions and method == "post":
                continue
            responses.setdefault("401", {"description": message("openapi_unauthorized")})
            responses.setdefault("403", {"description": message("openapi_forbidden")})
    return spec
