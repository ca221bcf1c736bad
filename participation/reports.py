"""Mängelmeldungen beyond the contribution row: their number, the address and link an Open311 client
sends, and the reports near a place (the duplicate hint before a citizen submits one).

* **Number**: every Mängelmeldung gets a reference number like a statement (``MM-2026-0001``, prefix
  ``BUERGERGIS_REPORT_PREFIX``), so a citizen follows it at ``GET /api/statements/<number>``.
* **Details** (table ``report_details``): ``address_string`` and an external ``media_url`` as an Open311
  client posts them (kept as text and shown as a link, never loaded by the server).
* **Nearby**: open reports of one category within a radius, as the public may see them, plus how many
  not yet published ones there are (a count only: their text is not public before moderation).
"""

from __future__ import annotations

import math
import os
import re

from participation.messages import message
from schema.catalog import Layer

DETAILS = "report_details"
REPORT_DETAILS = Layer(
    id=DETAILS,
    title_de="Angaben zu Mängelmeldungen",
    title_en="Details of defect reports",
    description_de="Adresse und Link, wie ein Open311-Programm sie mitschickt.",
    description_en="Address and link as an Open311 client sends them.",
    geometry_type=None,
    columns={"id": "text", "contribution_id": "text", "address_string": "text", "media_url": "text"},
    indexes=("contribution_id",),
)
MAX_ADDRESS = 300
MAX_URL = 2000
_URL = re.compile(r"^https?://[^\s<>\"']{3,}$", re.IGNORECASE)
#: Statuses of a report that is still worth supporting.
OPEN_STATUSES = ("eingereicht", "freigegeben", "in_bearbeitung")


def reference_prefix() -> str:
    """Prefix of the reports' reference numbers (letters and digits, default ``MM``)."""
    given = re.sub(r"[^A-Za-z0-9]", "", os.environ.get("BUERGERGIS_REPORT_PREFIX", ""))[:12]
    return given or "MM"


def check_address(value) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str) or len(value.strip()) > MAX_ADDRESS or re.search(r"[\x00-\x1f\x7f]", value):
        raise ValueError(message("address_string", max=MAX_ADDRESS))
    return value.strip()


def check_media_url(value) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str) or len(value.strip()) > MAX_URL or not _URL.match(value.strip()):
        raise ValueError(message("media_url", max=MAX_URL))
    return value.strip()


def save_details(rows, contribution_id: str, address: str | None, media_url: str | None) -> None:
    if address is None and media_url is None:
        return
    with rows.transaction() as tx:
        tx.execute(
            f"INSERT INTO {DETAILS} (id, contribution_id, address_string, media_url) VALUES (:id, :id, :a, :m)",
            {"id": contribution_id, "a": address, "m": media_url},
        )


def details_of(rows, contribution_ids: list[str]) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for start in range(0, len(contribution_ids), 500):
        chunk = contribution_ids[start : start + 500]
        marks = ", ".join(f":c{i}" for i in range(len(chunk)))
        for row in rows.fetch(
            f"SELECT contribution_id, address_string, media_url FROM {DETAILS} WHERE contribution_id IN ({marks})",
            {f"c{i}": c for i, c in enumerate(chunk)},
        ):
            found[row["contribution_id"]] = row
    return found


def nearby(
    store_url: str, epsg: int, category: str, lon: float, lat: float, radius_m: float, is_visible
) -> tuple[list[dict], int]:
    """(open reports of ``category`` within ``radius_m`` of lon/lat that ``is_visible(row)`` allows, nearest
    first; how many others are there that are not public yet)."""
    from pyproj import Transformer
    from shapely import Point

    from store.base import open_store

    x, y = Transformer.from_crs("OGC:CRS84", f"EPSG:{epsg}", always_xy=True).transform(lon, lat)
    if not (math.isfinite(x) and math.isfinite(y)):
        return [], 0
    store = open_store(store_url, epsg=epsg)
    try:
        frame = store.read(
            "contributions",
            where={"kind": "maengelmeldung", "category": category},
            bbox=(x - radius_m, y - radius_m, x + radius_m, y + radius_m),
        )
    finally:
        store.close()
    here = Point(x, y)
    shown, hidden = [], 0
    for _, row in frame.iterrows():
        if row.get("status") not in OPEN_STATUSES or row.geometry is None:
            continue
        distance = float(row.geometry.distance(here))
        if distance > radius_m:
            continue
        if not is_visible(row.to_dict()):
            hidden += 1
            continue
        shown.append(
            {
                "id": str(row["id"]),
                "reference": row.get("reference"),
                "status": row["status"],
                "category": row["category"],
                "text": row["text"],
                "like_count": int(row.get("like_count") or 0),
                "distance_m": round(distance, 1),
            }
        )
    return sorted(shown, key=lambda r: r["distance_m"]), hidden
