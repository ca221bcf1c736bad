"""The plan catalogue the panels share: plans, zones and texts as plain dicts.

Read once per page load from the OGC API (through :class:`ui.api.ApiClient`)
and kept on the server (:class:`SharedCatalog`, one per process): the browser's
``catalog`` store holds only a small summary (version, extent, whether
contributions exist), and each callback resolves it to the full catalogue.
A city's catalogue (thousands of plans, tens of thousands of zones) runs to
many megabytes: sent with every callback, it would make each one slow and
exceed the request size limit. Geometries are reduced to their bounding box
([[south, west], [north, east]], what Leaflet's ``fitBounds`` takes).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time

from ui.api import ApiClient, ApiError

LOG = logging.getLogger(__name__)


def bbox_of(geometry: dict | None) -> list[list[float]] | None:
    """[[south, west], [north, east]] of a GeoJSON geometry (CRS84), None for none."""
    if not geometry:
        return None
    xs: list[float] = []
    ys: list[float] = []

    def walk(coords):
        if coords and isinstance(coords[0], (int, float)):
            xs.append(coords[0])
            ys.append(coords[1])
        else:
            for part in coords or ():
                walk(part)

    if geometry.get("type") == "GeometryCollection":
        for part in geometry.get("geometries", []):
            box = bbox_of(part)
            if box:
                ys.extend([box[0][0], box[1][0]])
                xs.extend([box[0][1], box[1][1]])
    else:
        walk(geometry.get("coordinates"))
    if not xs:
        return None
    return [[min(ys), min(xs)], [max(ys), max(xs)]]


def union_bbox(boxes) -> list[list[float]] | None:
    boxes = [b for b in boxes if b]
    if not boxes:
        return None
    return [
        [min(b[0][0] for b in boxes), min(b[0][1] for b in boxes)],
        [max(b[1][0] for b in boxes), max(b[1][1] for b in boxes)],
    ]


def _rows(features: list[dict]) -> list[dict]:
    rows = []
    for feature in features:
        props = dict(feature.get("properties") or {})
        props["id"] = str(feature.get("id", props.get("id", "")))
        props["bbox"] = bbox_of(feature.get("geometry"))
        rows.append(props)
    return rows


#: What the catalogue keeps of a plan of another type (its attributes and report are read when shown).
OTHER_PLAN_PROPERTIES = (
    "plan_id,plan_type,xplan_class,name,nummer,gemeinde,rechtsstand,in_kraft,source_file,import_report"
)


def load_catalog(client: ApiClient) -> dict:
    """``{"plans": [...], "zones": [...], "texts": [...], "bbox": ..., "errors": [...]}`` from the API.

    Public data, read without the visitor's credentials, so one copy serves everyone.
    """
    out: dict = {"plans": [], "zones": [], "texts": [], "errors": []}
    for key, collection in (("plans", "bp_plan"), ("zones", "bp_baugebiet"), ("texts", "bp_textabschnitt")):
        try:
            out[key] = _rows(client.all_items(collection, forward=False))
        except ApiError as err:
            LOG.warning("catalogue: %s not readable: %s", collection, err)
            out["errors"].append(collection)
    # Plans of the other types (Flächennutzungsplan, Landschaftsplan, …): searchable and selectable too.
    try:
        rows = _rows(client.all_items("xplan_plan", forward=False, properties=OTHER_PLAN_PROPERTIES))
        classes: set[str] = set()
        for row in rows:  # the import report lists every class of the plan: the map styles and legend need them
            report = row.pop("import_report", None)
            if isinstance(report, str):
                try:
                    report = json.loads(report)
                except ValueError:
                    report = None
            classes.update(report or {})
        out["xplan_classes"] = sorted(classes)
        out["other_plans"] = [row for row in rows if row.get("plan_type") != "BP"]
    except ApiError as err:
        LOG.warning("catalogue: xplan_plan not readable: %s", err)
        out["errors"].append("xplan_plan")
        out["other_plans"], out["xplan_classes"] = [], []
    for text in out["texts"]:
        text.pop("bbox", None)  # texts carry the plan's outline; the plan has it already
    _label_plans(out["plans"])
    out["plans"].sort(key=lambda p: p["label"].lower())
    out["texts"].sort(key=lambda t: (str(t.get("plan_id")), t.get("sort_key") or 0, str(t.get("schluessel") or "")))
    out["bbox"] = (
        union_bbox(p["bbox"] for p in out["plans"])
        or union_bbox(p["bbox"] for p in out["other_plans"])
        or union_bbox(z["bbox"] for z in out["zones"])
    )
    return out


#: A page load reads the catalogue again once the process's copy is this old (seconds): a city's
#: catalogue (every page of 45,000 zones) is read at most twice a minute, not for every visitor.
CATALOG_MAX_AGE_S = 30.0


class SharedCatalog:
    """The catalogue on the server; the browser holds its :meth:`summary` and callbacks :meth:`resolve` it.

    :meth:`refresh` runs at each page load (reading the API again once the copy is older than
    :data:`CATALOG_MAX_AGE_S`). With several server processes (gunicorn workers) a callback may
    reach a process whose copy is older than the page's summary: the versions differ, and
    :meth:`resolve` reloads before answering.
    """

    def __init__(self, client: ApiClient):
        self.client = client
        self._catalog: dict = {}
        self._read_at = float("-inf")
        self._lock = threading.Lock()
        # One reload at a time: the callbacks of a page load arrive together, and each reading the
        # whole catalogue from the API at once made all of them wait many times as long.
        self._loading = threading.Lock()

    def refresh(self, max_age: float = CATALOG_MAX_AGE_S) -> dict:
        """The summary for the browser, read from the API again when the copy is older than ``max_age``."""
        with self._lock:
            if self._catalog and time.monotonic() - self._read_at < max_age:
                return summary_of(self._catalog)
        catalog = load_catalog(self.client)
        try:
            self.client.get_json("collections/contributions", forward=False)
            catalog["has_contributions"] = True
        except ApiError:
            catalog["has_contributions"] = False
        catalog["version"] = hashlib.sha1(json.dumps(catalog, sort_keys=True, default=str).encode()).hexdigest()[:16]
        catalog["loaded_at"] = time.time()  # wall clock: comparable between worker processes
        with self._lock:
            self._catalog, self._read_at = catalog, time.monotonic()
        return summary_of(catalog)

    def current(self) -> dict:
        """The catalogue as this process holds it now (``{}`` before the first page load)."""
        with self._lock:
            return self._catalog or {}

    def resolve(self, summary: dict | None) -> dict:
        """The full catalogue the ``summary`` stands for (``{}`` before the page's first load).

        A copy read after the summary's is at least as new: it answers as it is (an old page
        must not make every callback read a city's catalogue again).
        """
        if not summary or not summary.get("version"):
            return {}
        with self._lock:
            catalog = self._catalog
        if _behind(catalog, summary):
            with self._loading:
                with self._lock:
                    catalog = self._catalog
                if _behind(catalog, summary):  # nobody reloaded while we waited
                    self.refresh(max_age=0)
                    with self._lock:
                        catalog = self._catalog
        return catalog


def _behind(catalog: dict, summary: dict) -> bool:
    """Is this copy other than, and older than, the one the page's summary was made from?"""
    return catalog.get("version") != summary["version"] and catalog.get("loaded_at", float("-inf")) < float(
        summary.get("loaded_at") or 0
    )


def summary_of(catalog: dict) -> dict:
    """What the browser keeps of the catalogue: small, whatever the size of the city."""
    return {
        "version": catalog.get("version"),
        "loaded_at": catalog.get("loaded_at"),
        "bbox": catalog.get("bbox"),
        "has_contributions": bool(catalog.get("has_contributions")),
        "plans": len(catalog.get("plans", [])),
        "errors": catalog.get("errors", []),
    }


_SHARED: dict[str, SharedCatalog] = {}
_SHARED_LOCK = threading.Lock()


def shared_catalog(client: ApiClient) -> SharedCatalog:
    """The process's catalogue for the API ``client`` talks to."""
    with _SHARED_LOCK:
        if client.api_url not in _SHARED:
            _SHARED[client.api_url] = SharedCatalog(client)
        return _SHARED[client.api_url]


def _label_plans(plans: list[dict]) -> None:
    """Give every plan a display ``label``; equal names get their source (or id) appended."""
    for plan in plans:
        plan["label"] = plan_label({**plan, "label": None})
    counts: dict[str, int] = {}
    for plan in plans:
        counts[plan["label"]] = counts.get(plan["label"], 0) + 1
    for plan in plans:
        if counts[plan["label"]] > 1:
            source = str(plan.get("source_file") or "").split("/")[0] or str(plan.get("id", ""))[-8:]
            plan["label"] = f"{plan['label']} ({source})"


def plan_label(plan: dict) -> str:
    """``51 – Langenhorn`` (number first: that is what people search for); a catalogue ``label`` wins."""
    if plan.get("label"):
        return str(plan["label"])
    name, nummer = str(plan.get("name") or "").strip(), str(plan.get("nummer") or "").strip()
    if nummer and nummer not in name:
        return f"{nummer} – {name}" if name else nummer
    return name or nummer or plan.get("id", "?")


def _index(catalog: dict, key: str) -> dict:
    """id (and, for plans, plan_id) -> first row with it, built once per catalogue and list.

    A city's catalogue holds 45,000 zones: a linear search per lookup made the list view of
    them take 13 s. The index lives in the catalogue dict, so it goes when a new one is read.
    """
    indexes = catalog.get("_index")
    if indexes is None:
        indexes = catalog["_index"] = {}
    index = indexes.get(key)
    if index is None:
        index = {}
        for row in catalog.get(key, []):
            index.setdefault(row.get("id"), row)
            if key == "plans":
                index.setdefault(row.get("plan_id"), row)
        index.pop(None, None)
        indexes[key] = index
    return index


def find(catalog: dict | None, collection: str, feature_id: str) -> dict | None:
    """The catalogue row of a plan or zone by id."""
    key = {"bp_plan": "plans", "bp_baugebiet": "zones", "bp_textabschnitt": "texts", "xplan_plan": "other_plans"}.get(
        collection
    )
    if not catalog or not key or not feature_id:
        return None
    return _index(catalog, key).get(feature_id)


def plan_of(catalog: dict | None, plan_id: str | None) -> dict | None:
    """The plan row for a ``plan_id`` (plans carry their own gml:id as ``plan_id`` and ``id``)."""
    if not catalog or not plan_id:
        return None
    return _index(catalog, "plans").get(plan_id)
