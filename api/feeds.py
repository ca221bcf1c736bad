"""Atom feeds of new public contributions and of participation procedures (below ``/api``), with feedgen.

``GET /api/feeds/contributions.atom``   the newest published contributions (and Mängelmeldungen in progress or
                                        done): never one awaiting moderation or rejected, whoever asks
``GET /api/feeds/procedures.atom``      participation procedures, newest first

Both take ``?plan=<plan id>`` (one plan), ``?bbox=minlon,minlat,maxlon,maxlat`` (an area drawn on the map) or
``?point=lon,lat&radius=<metres>`` (around a place, up to 20 km), ``?limit=`` (1-200, default 50); the
contributions feed also ``?kind=kommentar|vorschlag|maengelmeldung``. Bad parameters are a 400 naming the
parameter ("Deutsch / English"); an unknown plan a 404. Titles are German first, English second; what
citizens wrote stays as written (feedgen escapes it).

Why feedgen: a maintained generator (BSD/LGPL) that writes valid Atom (ids, dates, escaping) so no XML is built
by hand here.
"""

from __future__ import annotations

import math
import os
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlencode

from feedgen.feed import FeedGenerator
from flask import Blueprint, Response, jsonify, request
from pygeoapi.provider.base import ProviderGenericError
from pygeofilter import ast

from access.rules import ANONYMOUS
from api.contributions import contributions_provider
from api.messages import message
from intake.messages import message as intake_message
from participation import store as pstore
from participation.mail_texts import KIND_LABELS
from participation.model import LOCAL_TZ, PROCEDURE_KINDS
from schema.bilingual import join

BLUEPRINT = Blueprint("feeds_api", __name__)
ATOM = "application/atom+xml"
DEFAULT_LIMIT, MAX_LIMIT, MAX_RADIUS_M = 50, 200, 20_000.0
KINDS = tuple(KIND_LABELS)


class FeedError(ValueError):
    def __init__(self, parameter: str | None, message: str, status: int = 400):
        super().__init__(message)
        self.parameter, self.status = parameter, status


@BLUEPRINT.errorhandler(FeedError)
def _feed_error(err: FeedError):
    code = "InvalidParameterValue" if err.status == 400 else "NotFound"
    return jsonify({"code": code, "description": str(err), "field": err.parameter}), err.status


@BLUEPRINT.errorhandler(ProviderGenericError)
def _provider_error(err: ProviderGenericError):
    return jsonify({"code": err.ogc_exception_code, "description": err.message}), int(err.http_status_code)


# -- parameters ------------------------------------------------------------------------------------------------


def _numbers(name: str, text: str, count: int) -> list[float]:
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        values = []
    if len(values) != count or not all(math.isfinite(v) for v in values):
        raise FeedError(name, message("feed_numbers", name=name, count=count))
    return values


def _lonlat(name: str, lon: float, lat: float) -> None:
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise FeedError(name, message("feed_lonlat", name=name))


class Area:
    """Where a feed looks: a CRS84 box for the store's index, and an exact test (a circle) if one was asked for."""

    def __init__(self, bbox: list[float], point: tuple[float, float] | None = None, radius_m: float = 0.0):
        self.bbox, self.point, self.radius_m = bbox, point, radius_m

    def storage_bbox(self, epsg: int) -> list[float]:
        """The box in the storage CRS, as pygeoapi hands a bbox to a provider (it transforms before asking)."""
        from pyproj import Transformer

        west, south, east, north = self.bbox
        to_storage = Transformer.from_crs("OGC:CRS84", f"EPSG:{epsg}", always_xy=True)
        return list(to_storage.transform_bounds(west, south, east, north))

    def contains(self, geometry, epsg: int) -> bool:
        """The geometry (shapely, in the storage CRS ``epsg``, metres) lies within the radius of the point."""
        if self.point is None or geometry is None:
            return True
        import shapely
        from pyproj import Transformer

        x, y = Transformer.from_crs("OGC:CRS84", f"EPSG:{epsg}", always_xy=True).transform(*self.point)
        return geometry.distance(shapely.Point(x, y)) <= self.radius_m


def _area() -> Area | None:
    bbox_text, point_text = request.args.get("bbox"), request.args.get("point")
    if bbox_text and point_text:
        raise FeedError("bbox", message("feed_bbox_or_point"))
    if bbox_text:
        west, south, east, north = _numbers("bbox", bbox_text, 4)
        _lonlat("bbox", west, south)
        _lonlat("bbox", east, north)
        if west >= east or south >= north:
            raise FeedError("bbox", message("feed_bbox_order"))
        return Area([west, south, east, north])
    if point_text:
        lon, lat = _numbers("point", point_text, 2)
        _lonlat("point", lon, lat)
        radius = _numbers("radius", request.args.get("radius", "500"), 1)[0]
        if not 0 < radius <= MAX_RADIUS_M:
            max_de = f"{MAX_RADIUS_M:,.0f}".replace(",", ".")
            raise FeedError("radius", message("feed_radius", max_de=max_de, max=MAX_RADIUS_M))
        dlat = radius / 111_320.0
        dlon = radius / (111_320.0 * max(math.cos(math.radians(lat)), 0.01))
        return Area([lon - dlon, lat - dlat, lon + dlon, lat + dlat], (lon, lat), radius)
    if request.args.get("radius"):
        raise FeedError("radius", message("feed_radius_needs_point"))
    return None


def _limit() -> int:
    text = request.args.get("limit")
    if text is None:
        return DEFAULT_LIMIT
    if not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
        raise FeedError("limit", message("feed_limit", max=MAX_LIMIT))
    return int(text)


def _plan(rows) -> tuple[str | None, str | None]:
    """(plan id, its name) of ``?plan=``; 404 for a plan the store does not hold."""
    plan_id = request.args.get("plan")
    if plan_id is None:
        return None, None
    plan_id = plan_id.strip()
    for table in ("bp_plan", "xplan_plan"):
        try:
            found = rows.fetch(f"SELECT id, name FROM {table} WHERE id = :id", {"id": plan_id})
        except Exception:  # noqa: BLE001 - a store without this plan table
            found = []
        if found:
            return plan_id, found[0].get("name") or plan_id
    raise FeedError("plan", intake_message("plan_missing", id=plan_id[:80]), 404)


# -- writing the feed --------------------------------------------------------------------------------------------


def _public_url() -> str:
    """The portal's public address (set by ``api.wsgi.prepare``), else the address this request came to."""
    return (os.environ.get("BUERGERGIS_PUBLIC_URL") or request.host_url).rstrip("/")


def _day(value, lang: str = "de", last_day: bool = False) -> str:
    """A stored instant as a date in the Kommune's time zone; ``last_day``: an end at midnight names the day before."""
    if not value:
        return "–"
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(LOCAL_TZ)
    if last_day and (moment.hour, moment.minute, moment.second) == (0, 0, 0):
        moment -= timedelta(seconds=1)
    return moment.strftime("%Y-%m-%d" if lang == "en" else "%d.%m.%Y")


def _feed(kind: str, title: str, subtitle: str) -> FeedGenerator:
    base = _public_url()
    query = urlencode(sorted(request.args.items()))
    self_url = f"{base}{request.path}" + (f"?{query}" if query else "")
    feed = FeedGenerator()
    feed.id(self_url)
    feed.title(title)
    feed.subtitle(subtitle)
    feed.language("de")
    feed.author({"name": "Bürger-GIS"})
    feed.link(href=self_url, rel="self", type=ATOM)
    feed.link(href=f"{base}/", rel="alternate", type="text/html")
    feed.updated(datetime.now(UTC))
    return feed


def _answer(feed: FeedGenerator, newest: str | None) -> Response:
    if newest:
        feed.updated(newest)
    response = Response(feed.atom_str(pretty=True), mimetype=ATOM)
    response.headers["Content-Type"] = f"{ATOM}; charset=utf-8"
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def _suffix(plan_name: str | None, area: Area | None) -> tuple[str, str]:
    if plan_name:
        return f" – {plan_name}", f" – {plan_name}"
    if area is not None and area.point is not None:
        return f" im Umkreis von {area.radius_m:,.0f} m".replace(",", "."), f" within {area.radius_m:,.0f} m"
    if area is not None:
        return " im gewählten Gebiet", " in the chosen area"
    return "", ""


@BLUEPRINT.get("/feeds/contributions.atom")
def contributions_feed():
    """The newest public contributions, filtered by plan, area and kind."""
    import shapely.geometry

    provider = contributions_provider()
    plan_id, plan_name = _plan(provider.rows)
    area, limit = _area(), _limit()
    kind = request.args.get("kind")
    if kind is not None and kind not in KINDS:
        raise FeedError("kind", message("feed_kind", kinds=", ".join(KINDS)))
    from providers.contributions import visibility_filter

    node = visibility_filter(ANONYMOUS)  # only what everyone may see, whoever asks
    if plan_id:
        node = ast.And(node, ast.Equal(ast.Attribute("plan_id"), plan_id))
    if kind:
        node = ast.And(node, ast.Equal(ast.Attribute("kind"), kind))
    found = provider.query(
        offset=0,
        limit=limit if area is None or area.point is None else MAX_LIMIT * 5,
        bbox=area.storage_bbox(provider.storage_epsg) if area else [],
        sortby=[{"property": "created_at", "order": "-"}],
        filterq=node,
        skip_geometry=area is None or area.point is None,
    )
    suffix_de, suffix_en = _suffix(plan_name, area)
    feed = _feed(
        "contributions",
        f"Neue Beiträge{suffix_de} / New contributions{suffix_en}",
        "Veröffentlichte Kommentare, Vorschläge und Mängelmeldungen im Bürger-GIS / published comments, "
        "proposals and defect reports",
    )
    base = _public_url()
    newest = None
    shown = 0
    for item in found.get("features", []):
        geometry = shapely.geometry.shape(item["geometry"]) if item.get("geometry") else None  # storage CRS
        if area is not None and not area.contains(geometry, provider.storage_epsg):
            continue
        props = item.get("properties") or {}
        identifier = str(item.get("id") or props.get("id"))
        kind_de, kind_en = KIND_LABELS.get(str(props.get("kind")), (str(props.get("kind")),) * 2)
        entry = feed.add_entry(order="append")
        url = f"{base}/oapi/collections/contributions/items/{quote(identifier, safe='')}"
        entry.id(url)
        label = " ".join(x for x in (kind_de, props.get("reference")) if x)
        text = " ".join(str(props.get("text") or "").split())
        entry.title(f"{label}: {text[:80]}{'…' if len(text) > 80 else ''}")
        entry.content(str(props.get("text") or ""), type="text")
        # one link per entry: feedgen 1.0 writes an entry link's href only (no rel, no type), and a link without
        # rel is the entry's alternate in Atom
        entry.link(href=f"{url}?f=html", rel="alternate", type="text/html")
        entry.author({"name": props.get("pseudonym") or "anonym / anonymous"})
        entry.category(term=props.get("kind") or "", label=join(kind_de, kind_en))
        if props.get("category"):
            entry.category(term=props["category"])
        entry.published(props.get("created_at"))
        entry.updated(props.get("updated_at") or props.get("created_at"))
        newest = max(newest or "", props.get("updated_at") or props.get("created_at") or "") or None
        shown += 1
        if shown >= limit:
            break
    return _answer(feed, newest)


@BLUEPRINT.get("/feeds/procedures.atom")
def procedures_feed():
    """Participation procedures (newest start first), filtered by plan and area."""
    provider = contributions_provider()
    rows = provider.rows
    plan_id, plan_name = _plan(rows)
    area, limit = _area(), _limit()
    found = pstore.procedures(rows, plan_id=plan_id)
    if area is not None:
        within = _procedures_in(provider, area)
        found = [p for p in found if p["id"] in within]
    found.sort(key=lambda p: (p.get("opens_at") or "", p["id"]), reverse=True)
    suffix_de, suffix_en = _suffix(plan_name, area)
    feed = _feed(
        "procedures",
        f"Beteiligungsverfahren{suffix_de} / Participation procedures{suffix_en}",
        "Neue und laufende Beteiligungsverfahren zu Bebauungsplänen / new and current participation "
        "procedures on zoning plans",
    )
    base = _public_url()
    newest = None
    for proc in found[:limit]:
        kind_de, kind_en = PROCEDURE_KINDS.get(proc["kind"], (proc["kind"], proc["kind"]))
        entry = feed.add_entry(order="append")
        url = f"{base}/oapi/collections/procedures/items/{quote(proc['id'], safe='')}"
        entry.id(url)
        entry.title(join(proc["title_de"], proc["title_en"]) if proc.get("title_en") else f"{proc['title_de']}")
        window_de = f"Beteiligung vom {_day(proc['opens_at'])} bis {_day(proc['closes_at'], last_day=True)}"
        window_en = (
            f"participation from {_day(proc['opens_at'], 'en')} to {_day(proc['closes_at'], 'en', last_day=True)}"
        )
        summary = [
            f"{kind_de}: {window_de}",
            proc.get("description_de") or "",
            f"{kind_en}: {window_en}",
            proc.get("description_en") or "",
        ]
        entry.content("\n\n".join(s for s in summary if s), type="text")
        entry.link(href=f"{url}?f=html", rel="alternate", type="text/html")
        entry.category(term=proc["kind"], label=join(kind_de, kind_en))
        entry.published(proc.get("created_at") or proc.get("opens_at"))
        entry.updated(proc.get("updated_at") or proc.get("created_at") or proc.get("opens_at"))
        newest = max(newest or "", proc.get("updated_at") or proc.get("created_at") or "") or None
    return _answer(feed, newest)


def _procedures_in(provider, area: Area) -> set[str]:
    """Ids of procedures whose area meets the requested one (procedures without an area: the whole Kommune)."""
    import shapely.ops
    from pyproj import Transformer

    from providers.contributions import _store_key
    from store.base import open_store

    store = open_store(_store_key(provider), epsg=provider.storage_epsg)
    try:
        frame = store.read("procedures")
    finally:
        store.close()
    to_crs84 = Transformer.from_crs(f"EPSG:{provider.storage_epsg}", "OGC:CRS84", always_xy=True)
    box = shapely.box(*area.bbox)
    found = set()
    for identifier, geometry in zip(frame["id"], frame.geometry, strict=True):
        if geometry is None or geometry.is_empty:
            found.add(identifier)
            continue
        lonlat = shapely.ops.transform(to_crs84.transform, geometry)
        if lonlat.intersects(box) and area.contains(geometry, provider.storage_epsg):
            found.add(identifier)
    return found
