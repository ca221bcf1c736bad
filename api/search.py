"""One search for places (below ``/api``): addresses, streets, places, plans and Festsetzungen.

``GET /api/search?q=Kaivokatu 8&limit=10``  a GeoJSON FeatureCollection, best first. Each feature has
    ``properties.name`` (what to show), ``kind`` (``address``, ``street``, ``place``, ``plan``, ``zone``,
    ``geocoder``), ``context`` (postcode and city, the plan of a zone, …), ``collection`` and ``feature_id``
    (where it is stored: ``addresses``, ``bp_plan``, ``xplan_plan``, ``bp_baugebiet``) and ``plan_id``;
    the geometry in WGS84 (an address or place as its point, a street as its lines, a plan or zone as a
    point inside it) and ``bbox`` ([west, south, east, north]) to zoom to. "Nothing found" is an empty
    collection; an empty or overlong ``q`` or a bad ``limit`` is 400.

How it stays fast on a city's data: addresses, streets and places are a prefix match on the indexed
``addresses.search_key`` (the name in search spelling, :func:`layers.addresses.search_key`: case,
umlauts and "straße"/"strasse"/"str." do not matter), a range scan of a B-tree in the GeoPackage and a
``text_pattern_ops`` index in PostGIS; only when that finds too little does a substring match over
names, postcodes and cities run, in SQL, returning a few rows. Plans are matched by name and number in
SQL; zones by their Baugebiet (``WA``, "Allgemeines Wohngebiet", "Wohngebiet"), whose codes are looked
up first. Only the rows shown are read and converted. Every value reaches SQL as a parameter.

The online geocoder (Nominatim or Photon through geopy) is asked only where it is configured
(``BUERGERGIS_GEOCODER=nominatim|photon``), and only when the own data found fewer than ``limit``
results: without that setting no request leaves the server. Its answers are kept for an hour.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
import shapely
from flask import Blueprint, Response, current_app, request
from flask.blueprints import BlueprintSetupState
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.messages import message
from layers.addresses import natural_key, query_key, search_key
from schema.baunvo import BAUGEBIETE, baugebiet_of, code_key
from settings import Settings
from store.base import is_postgis_url
from store.crs import transformer

LOG = logging.getLogger(__name__)

BLUEPRINT = Blueprint("search_api", __name__)
_SETTINGS_KEY = "buergergis.search.settings"

#: Longest accepted query (characters) and the default and largest ``limit``.
MAX_QUERY = 200
DEFAULT_LIMIT = 10
MAX_LIMIT = 50
#: Address rows read per prefix query before ranking (the best of them are shown).
CANDIDATES = 200
#: Addresses of the same name closer than this (m) are one result (the shops of one house).
SAME_PLACE_M = 300.0

#: Order of kinds among equally good matches.
KIND_ORDER = {"street": 0, "place": 1, "plan": 2, "address": 3, "zone": 4, "geocoder": 5}


class GeocoderSettings(BaseSettings):
    """``BUERGERGIS_GEOCODER*``: the optional online geocoder (off unless ``BUERGERGIS_GEOCODER`` is set)."""

    model_config = SettingsConfigDict(env_prefix="BUERGERGIS_")

    #: ``nominatim`` or ``photon``; unset: no online geocoder, no third-party request.
    geocoder: str = ""
    #: Host (and port) of the service, e.g. ``nominatim.kommune.de`` or ``localhost:2322``; default the public one.
    geocoder_domain: str = ""
    #: ``https`` (default) or ``http`` (a service in the Kommune's own network).
    geocoder_scheme: str = "https"
    #: Sent as User-Agent (Nominatim's usage policy asks for one that names the application).
    geocoder_user_agent: str = "buergergis"
    #: ``minlon,minlat,maxlon,maxlat``: only results inside (default: BUERGERGIS_CITY_BBOX, if set).
    geocoder_bbox: str = ""
    #: ISO country codes for Nominatim, e.g. ``de``.
    geocoder_country: str = ""
    geocoder_timeout_s: float = 4.0


# --------------------------------------------------------------------------- the route


@BLUEPRINT.record
def _remember_settings(state: BlueprintSetupState) -> None:
    settings = state.options.get("settings")
    if settings is not None:
        state.app.extensions[_SETTINGS_KEY] = settings
        ensure_search_index(settings.store)


def _settings() -> Settings:
    return current_app.extensions.get(_SETTINGS_KEY) or Settings()


def _error(status: int, message: str) -> Response:
    body = {"code": "InvalidParameterValue", "description": message}
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json")


@BLUEPRINT.get("/search")
def search_route():
    query = request.args.get("q", "")
    if not query.strip():
        return _error(400, message("search_term_missing"))
    if len(query) > MAX_QUERY:
        return _error(400, message("search_term_too_long", max=MAX_QUERY))
    if "\x00" in query:
        return _error(400, message("search_term_invalid"))
    raw_limit = request.args.get("limit", str(DEFAULT_LIMIT))
    try:
        limit = int(raw_limit)
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_LIMIT:
        return _error(400, message("search_limit", max=MAX_LIMIT))
    settings = _settings()
    features = search(settings.store, settings.storage_epsg, query, limit)
    body = {"type": "FeatureCollection", "features": features, "numberReturned": len(features)}
    reply = Response(json.dumps(body, ensure_ascii=False, separators=(",", ":")), mimetype="application/geo+json")
    reply.headers["Cache-Control"] = "public, max-age=60"
    return reply


# --------------------------------------------------------------------------- the stores


class _Db:
    """One store's connection for this thread, with the few differences between SQLite and PostgreSQL."""

    postgres = False

    def rows(self, sql: str, params: list) -> list[tuple]:
        raise NotImplementedError

    def tables(self) -> set[str]:
        raise NotImplementedError

    def shape(self, value):
        raise NotImplementedError


class _GeoPackage(_Db):
    geom = "geom"

    def __init__(self, path: str):
        from providers.geopackage import connection_for

        self.conn = connection_for(path)

    def rows(self, sql, params):
        return self.conn.execute(sql, params).fetchall()

    def tables(self):
        return {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}

    def prefix(self, column: str, key: str) -> tuple[str, list]:
        # A range on the B-tree index of ``column`` (binary collation: exactly the strings starting with ``key``).
        return f"{column} >= ? AND {column} < ?", [key, key + "\U0010ffff"]

    def shape(self, value):
        from store.gpkg_functions import decode_one

        return decode_one(value) if value is not None else None


_PG_LOCAL = threading.local()


class _PostGIS(_Db):
    postgres = True
    geom = "ST_AsBinary(geom)"

    def __init__(self, url: str):
        import psycopg2

        pool = _PG_LOCAL.__dict__.setdefault("connections", {})
        conn, pid = pool.get(url, (None, None))
        if conn is None or conn.closed or pid != os.getpid():  # a forked worker opens its own
            conn = psycopg2.connect(url, options="-c jit=off")
            conn.autocommit = True
            conn.set_session(readonly=True, autocommit=True)
            pool[url] = (conn, os.getpid())
        self.conn = conn

    def rows(self, sql, params):
        import psycopg2

        try:
            with self.conn.cursor() as cur:
                cur.execute(sql.replace("?", "%s"), params)
                return cur.fetchall()
        except psycopg2.OperationalError:
            self.conn.close()  # reopened on the next request
            raise

    def tables(self):
        return {r[0] for r in self.rows("SELECT tablename FROM pg_tables WHERE schemaname = 'public'", [])}

    def prefix(self, column, key):
        # LIKE 'key%' on a text_pattern_ops index (ensure_search_index).
        return f"{column} LIKE ? ESCAPE '\\'", [_like_escape(key) + "%"]

    def shape(self, value):
        return shapely.from_wkb(bytes(value)) if value is not None else None


def _open(store: str) -> _Db:
    if is_postgis_url(store):
        return _PostGIS(store)
    return _GeoPackage(os.path.abspath(store))


def ensure_search_index(store: str) -> None:
    """PostGIS: the index a prefix LIKE can use (a plain B-tree cannot, under a non-C collation)."""
    if not is_postgis_url(store):
        return  # the GeoPackage's index on search_key (catalogue) serves the range query
    import psycopg2

    try:
        conn = psycopg2.connect(store)
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute("SELECT to_regclass('public.addresses')")
                if cur.fetchone()[0] is not None:
                    cur.execute(
                        "CREATE INDEX IF NOT EXISTS addresses_search_key_prefix_idx "
                        "ON public.addresses (search_key text_pattern_ops)"
                    )
        finally:
            conn.close()
    except psycopg2.Error as err:  # several workers at once, or no right to create: searching still works
        LOG.info("search index not created: %s", err)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _norm_sql(column: str) -> str:
    """SQL (both stores) for a column in search spelling, near enough for a substring match: lower case,
    umlauts as ae/oe/ue, ß as ss, hyphens as spaces. SQLite's lower() knows ASCII only, hence Ä Ö Ü."""
    expr = f"lower(coalesce({column}, ''))"
    for a, b in (("Ä", "ae"), ("Ö", "oe"), ("Ü", "ue"), ("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss"), ("-", " ")):
        expr = f"replace({expr}, '{a}', '{b}')"
    return expr


# --------------------------------------------------------------------------- searching


@dataclass
class Hit:
    kind: str
    name: str
    collection: str | None
    feature_id: str | None
    geometry: object  # shapely, storage CRS
    context: str | None = None
    plan_id: str | None = None
    key: str = ""
    extra: dict = field(default_factory=dict)

    def rank(self, query: str, tokens: list[str]) -> tuple:
        key = self.key or search_key(self.name)
        if key == query:
            score = 0
        elif key.startswith(query):
            score = 1
        elif tokens and any(word.startswith(tokens[0]) for word in key.split()):
            score = 2
        else:
            score = 3
        return score, KIND_ORDER.get(self.kind, 9), natural_key(self.name), 0 if self.context else 1


def search(store: str, epsg: int, query: str, limit: int = DEFAULT_LIMIT) -> list[dict]:
    """The features of :func:`search_route` for ``query``, best first."""
    key = query_key(query)
    tokens = key.split()
    hits: list[Hit] = []
    if key:
        db = _open(store)
        tables = db.tables()
        if "addresses" in tables:
            hits += _addresses(db, key, tokens, limit)
        if "bp_plan" in tables:
            hits += _plans(db, tokens, limit, tables)
        if "bp_baugebiet" in tables:
            hits += _zones(db, key, tokens, limit)
    hits.sort(key=lambda hit: hit.rank(key, tokens))
    hits = _distinct(hits)[:limit]
    features = [_feature(hit, epsg) for hit in hits]
    if len(features) < limit and geocoder_settings().geocoder:
        features += geocode(query, limit - len(features))
    return features


def _distinct(hits: list[Hit]) -> list[Hit]:
    """Drop repeats: an address, street or place of the same name again within :data:`SAME_PLACE_M` (the
    shops of one house, a second postcode of it). Plans and zones are distinct objects, kept."""
    kept: list[Hit] = []
    seen: dict[tuple, list] = {}
    for hit in hits:
        if hit.geometry is None:
            continue
        if hit.kind in ("plan", "zone"):
            kept.append(hit)
            continue
        ident = (hit.kind, hit.key or search_key(hit.name))
        point = hit.geometry if hit.geometry.geom_type == "Point" else hit.geometry.representative_point()
        if any(point.distance(other) < SAME_PLACE_M for other in seen.get(ident, [])):
            continue
        seen.setdefault(ident, []).append(point)
        kept.append(hit)
    return kept


def _addresses(db: _Db, key: str, tokens: list[str], limit: int) -> list[Hit]:
    columns = f"id, kind, name, postcode, city, search_key, {db.geom}"
    where, params = db.prefix("search_key", key)
    rows = db.rows(f"SELECT {columns} FROM addresses WHERE {where} ORDER BY search_key LIMIT ?", [*params, CANDIDATES])
    if len(rows) < limit and len(key) >= 3:
        # Too little by the name's start: every word somewhere in name, postcode or city ("8 helsinki", "22415").
        haystack = f"(search_key || ' ' || coalesce(postcode, '') || ' ' || {_norm_sql('city')})"
        clauses = " AND ".join(f"{haystack} LIKE ? ESCAPE '\\'" for _ in tokens)
        more = db.rows(
            f"SELECT {columns} FROM addresses WHERE {clauses} LIMIT ?",
            [*(f"%{_like_escape(t)}%" for t in tokens), CANDIDATES],
        )
        known = {row[0] for row in rows}
        rows += [row for row in more if row[0] not in known]
    if len(tokens) >= 2 and any(c.isdigit() for c in tokens[-1]):
        # "Kaivokatu 99": the street, too, whether or not the number exists (an equality on the index).
        street = " ".join(tokens[:-1])
        known = {row[0] for row in rows}
        rows += [
            row
            for row in db.rows(
                f"SELECT {columns} FROM addresses WHERE search_key = ? AND kind = 'street' LIMIT 5", [street]
            )
            if row[0] not in known
        ]
    hits = []
    for ident, kind, name, postcode, city, skey, geom in rows:
        context = " ".join(str(v) for v in (postcode, city) if v) or None
        hits.append(
            Hit(
                kind=kind or "address",
                name=name,
                collection="addresses",
                feature_id=ident,
                geometry=db.shape(geom),
                context=context,
                key=skey or "",
            )
        )
    return hits


def _plans(db: _Db, tokens: list[str], limit: int, tables: set[str]) -> list[Hit]:
    hits = []
    for table, extra in (("bp_plan", ""), ("xplan_plan", " AND plan_type <> 'BP'")):
        if table not in tables:
            continue
        text = f"({_norm_sql('name')} || ' ' || {_norm_sql('nummer')})"
        clauses = " AND ".join(
            f"({text} LIKE ? ESCAPE '\\' OR replace({text}, ' ', '') LIKE ? ESCAPE '\\')" for _ in tokens
        )
        params = [p for t in tokens for p in (f"%{_like_escape(t)}%", f"%{_like_escape(t)}%")]
        kind_column = "plan_type" if table == "xplan_plan" else "'BP'"
        rows = db.rows(
            f"SELECT id, name, nummer, {kind_column}, source_file, {db.geom} FROM {table} "
            f"WHERE {clauses}{extra} ORDER BY name LIMIT ?",
            [*params, limit],
        )
        for ident, name, nummer, plan_type, source_file, geom in rows:
            source = str(source_file or "").split("/")[0]
            context = ", ".join(v for v in (_PLAN_TYPES.get(plan_type, plan_type), source) if v)
            hits.append(
                Hit(
                    kind="plan",
                    name=plan_label(name, nummer, ident),
                    collection=table,
                    feature_id=ident,
                    plan_id=ident,
                    geometry=db.shape(geom),
                    context=context,
                    key=search_key(f"{name or ''} {nummer or ''}"),
                )
            )
    return hits


def plan_label(name, nummer, fallback: str = "") -> str:
    """ "51 – Langenhorn", or the name alone when it holds the number (as ui.catalog.plan_label)."""
    name, nummer = str(name or "").strip(), str(nummer or "").strip()
    if nummer and nummer not in name:
        return f"{nummer} – {name}" if name else nummer
    return name or nummer or fallback


_PLAN_TYPES = {
    "BP": "Bebauungsplan",
    "FP": "Flächennutzungsplan",
    "SO": "Sonstiger Plan",
    "RP": "Raumordnungsplan",
    "LP": "Landschaftsplan",
}


def _baugebiete_for(key: str, tokens: list[str]):
    """The Baugebiete (schema/baunvo.py) a query names: by sign ("WA") or by words of their name."""
    found = []
    for gebiet in BAUGEBIETE:
        names = f"{search_key(gebiet.name_de)} {search_key(gebiet.name_en)}"
        if (gebiet.sign and key == gebiet.sign.lower()) or (len(key) >= 4 and all(t in names for t in tokens)):
            found.append(gebiet)
    return found


_ZONE_VALUES: dict[str, tuple[float, list[str]]] = {}


def _zone_values(db: _Db) -> list[str]:
    """The distinct ``besondere_art_der_baulichen_nutzung`` values (an index-only read, kept for a minute)."""
    ident = f"{type(db).__name__}:{id(db.conn)}"
    hit = _ZONE_VALUES.get(ident)
    if hit and time.monotonic() - hit[0] < 60:
        return hit[1]
    values = [
        r[0]
        for r in db.rows(
            "SELECT DISTINCT besondere_art_der_baulichen_nutzung FROM bp_baugebiet "
            "WHERE besondere_art_der_baulichen_nutzung IS NOT NULL",
            [],
        )
    ]
    _ZONE_VALUES[ident] = (time.monotonic(), values)
    return values


def _zones(db: _Db, key: str, tokens: list[str], limit: int) -> list[Hit]:
    gebiete = _baugebiete_for(key, tokens)
    if not gebiete:
        return []
    codes = {code for g in gebiete for code in g.codes}
    values = [v for v in _zone_values(db) if code_key(v) in codes]
    signs = sorted({g.sign for g in gebiete if g.sign})
    clauses, params = [], []
    if values:
        clauses.append(f"z.besondere_art_der_baulichen_nutzung IN ({', '.join('?' * len(values))})")
        params += values
    if signs:
        clauses.append(f"z.art_code IN ({', '.join('?' * len(signs))})")
        params += signs
    if not clauses:
        return []
    geom = db.geom.replace("geom", "z.geom")
    rows = db.rows(
        f"SELECT z.id, z.plan_id, z.art_code, z.besondere_art_der_baulichen_nutzung, p.name, p.nummer, "
        f"z.grz, z.z, z.z_max, {geom} FROM bp_baugebiet z LEFT JOIN bp_plan p ON p.id = z.plan_id "
        f"WHERE {' OR '.join(clauses)} ORDER BY p.name, z.id LIMIT ?",
        [*params, limit],
    )
    hits = []
    for ident, plan_id, art_code, besondere, plan_name, plan_nummer, grz, storeys, storeys_max, geom in rows:
        gebiet = baugebiet_of({"art_code": art_code, "besondere_art_der_baulichen_nutzung": besondere})
        sign = art_code or (gebiet.sign if gebiet else "")
        label = f"{sign} – {gebiet.name_de}" if gebiet and sign else (gebiet.name_de if gebiet else str(besondere))
        plan = plan_label(plan_name, plan_nummer)
        # What tells one WA from the next in the list: its measures.
        measures = [
            f"GRZ {_number(grz)}" if grz else None,
            f"Z {_number(storeys or storeys_max)}" if storeys or storeys_max else None,
        ]
        context = " · ".join(v for v in (plan, *measures) if v) or None
        hits.append(
            Hit(
                kind="zone",
                name=label,
                collection="bp_baugebiet",
                feature_id=ident,
                plan_id=plan_id,
                geometry=db.shape(geom),
                context=context,
                key=search_key(sign or label),
                extra={"name_en": f"{sign} – {gebiet.name_en}" if gebiet and sign else None},
            )
        )
    return hits


def _number(value) -> str:
    """0.3 -> "0,3", 3.0 -> "3" (German decimal comma; the UI shows the list as it comes)."""
    number = float(value)
    return str(int(number)) if number.is_integer() else f"{number:g}".replace(".", ",")


# --------------------------------------------------------------------------- GeoJSON


def _wgs84(geometry, epsg: int):
    to_wgs84 = transformer(epsg, 4326)  # this thread's (pyproj objects must not be shared between threads)

    def move(coords):
        x, y = to_wgs84.transform(coords[:, 0], coords[:, 1])
        return np.round(np.column_stack([x, y]), 7)

    return shapely.transform(geometry, move)


def _feature(hit: Hit, epsg: int) -> dict:
    geometry = _wgs84(hit.geometry, epsg)
    west, south, east, north = (round(float(v), 7) for v in geometry.bounds)
    if hit.kind in ("plan", "zone"):  # the area is large: a point inside it, and its box to zoom to
        shown = _wgs84(hit.geometry.representative_point(), epsg) if hit.geometry.geom_type != "Point" else geometry
    else:
        shown = geometry
    properties = {
        "name": hit.name,
        "kind": hit.kind,
        "context": hit.context,
        "collection": hit.collection,
        "feature_id": hit.feature_id,
        "plan_id": hit.plan_id,
    }
    properties.update({k: v for k, v in hit.extra.items() if v is not None})
    return {
        "type": "Feature",
        "id": f"{hit.collection}:{hit.feature_id}",
        "bbox": [west, south, east, north],
        "geometry": shapely.geometry.mapping(shown),
        "properties": properties,
    }


# --------------------------------------------------------------------------- the online geocoder


def geocoder_settings() -> GeocoderSettings:
    return GeocoderSettings()


_GEOCODED: OrderedDict[tuple, tuple[float, list[dict]]] = OrderedDict()
_GEOCODED_LOCK = threading.Lock()
GEOCODER_CACHE_S = 3600.0


def _bbox(text: str) -> tuple[float, float, float, float] | None:
    try:
        west, south, east, north = (float(v) for v in text.split(","))
    except ValueError:
        return None
    return west, south, east, north


def geocode(query: str, limit: int) -> list[dict]:
    """Features from the configured online geocoder (``[]`` when none is configured or it fails)."""
    settings = geocoder_settings()
    service = settings.geocoder.strip().lower()
    if not service:
        return []
    cache_key = (service, settings.geocoder_domain, query.strip().lower(), limit)
    with _GEOCODED_LOCK:
        hit = _GEOCODED.get(cache_key)
        if hit and time.monotonic() - hit[0] < GEOCODER_CACHE_S:
            return hit[1]
    try:
        features = _ask_geocoder(service, settings, query, limit)
    except Exception as err:  # noqa: BLE001 - an outage of a third party must not break the search
        LOG.warning("geocoder %s failed: %s", service, err)
        return []
    with _GEOCODED_LOCK:
        _GEOCODED[cache_key] = (time.monotonic(), features)
        while len(_GEOCODED) > 1000:
            _GEOCODED.popitem(last=False)
    return features


def _ask_geocoder(service: str, settings: GeocoderSettings, query: str, limit: int) -> list[dict]:
    from geopy.geocoders import Nominatim, Photon

    common = {
        "scheme": settings.geocoder_scheme or "https",
        "timeout": settings.geocoder_timeout_s,
        "user_agent": settings.geocoder_user_agent or "buergergis",
    }
    if settings.geocoder_domain:
        common["domain"] = settings.geocoder_domain
    box = _bbox(settings.geocoder_bbox or os.environ.get("BUERGERGIS_CITY_BBOX", ""))
    if service == "nominatim":
        kwargs = {"exactly_one": False, "limit": limit}
        if box:
            kwargs.update(viewbox=[(box[1], box[0]), (box[3], box[2])], bounded=True)
        if settings.geocoder_country:
            kwargs["country_codes"] = settings.geocoder_country
        locations = Nominatim(**common).geocode(query, **kwargs) or []
        attribution = "Nominatim, © OpenStreetMap contributors"
    elif service == "photon":
        kwargs = {"exactly_one": False, "limit": limit}
        if box:
            kwargs["bbox"] = [(box[1], box[0]), (box[3], box[2])]
        locations = Photon(**common).geocode(query, **kwargs) or []
        attribution = "Photon, © OpenStreetMap contributors"
    else:
        LOG.warning("BUERGERGIS_GEOCODER=%r is not known (nominatim, photon)", service)
        return []
    features = []
    for location in locations[:limit]:
        lon, lat = float(location.longitude), float(location.latitude)
        features.append(
            {
                "type": "Feature",
                "id": f"geocoder:{len(features)}",
                "bbox": [lon, lat, lon, lat],
                "geometry": {"type": "Point", "coordinates": [round(lon, 7), round(lat, 7)]},
                "properties": {
                    "name": location.address,
                    "kind": "geocoder",
                    "context": attribution,
                    "collection": None,
                    "feature_id": None,
                    "plan_id": None,
                },
            }
        )
    return features


__all__ = ["BLUEPRINT", "GeocoderSettings", "ensure_search_index", "geocode", "search"]
