"""Sun hours at one place in two planning variants, on 21 March and 21 December (the 3D comparison).

A neighbour's question is "how much sun do I lose?", not "how did the sealed share change". This module
answers it for one chosen place: the buildings around it as the OGC API serves them (the stored ones),
those a variant replaces taken out and the variant's own put in (from the run-scenario Process, as the
3D view draws them), then :func:`twin.shadow.sun_hours` for a small disc at the place, once per variant
and day. Everything is read from the API like the rest of the UI; only the geometry is computed here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

#: Buildings farther than this from the place are not read: a 30 m building in Hamburg on 21 December
#: (sun at most ~13°) throws a shadow of ~130 m; 250 m leaves room for taller ones.
RADIUS_M = 250.0
#: The place is a disc this wide (a balcony, a garden bench), so one pixel-thin gap does not count as sun.
PLACE_RADIUS_M = 1.5
#: Minutes between two sun positions.
STEP_MINUTES = 10.0
#: The days a Verschattungsstudie looks at: the equinox and the winter solstice.
DAYS = (("march", 3, 21), ("december", 12, 21))


@dataclass(frozen=True)
class SunResult:
    """Sun hours at the place: {day key: (hours in A, hours in B)}."""

    lon: float
    lat: float
    hours: dict[str, tuple[float, float]]

    def lost(self, day: str) -> float:
        a, b = self.hours[day]
        return a - b


def utm_epsg(lon: float, lat: float) -> int:
    """The UTM zone (ETRS89/WGS84) of a place: metres for the shadow geometry."""
    zone = int((lon + 180) // 6) + 1
    return (32600 if lat >= 0 else 32700) + zone


def around(lon: float, lat: float, radius_m: float = RADIUS_M) -> str:
    """``west,south,east,north`` of a square ``radius_m`` around the place (for ``bbox=``)."""
    dlat = radius_m / 111_320.0
    dlon = radius_m / (111_320.0 * max(math.cos(math.radians(lat)), 0.01))
    return f"{lon - dlon:.6f},{lat - dlat:.6f},{lon + dlon:.6f},{lat + dlat:.6f}"


def _height(props: dict) -> float | None:
    try:
        value = float(props.get("height"))
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) and value > 0 else None


def scene(stored: list[dict], variant: dict | None, replaced: list[str]) -> list[tuple[dict, float]]:
    """(GeoJSON geometry, height) of every building of one variant near the place: the stored ones it does
    not replace, then its own."""
    gone = {str(i) for i in replaced or []}
    out = []
    for feature in stored:
        props = feature.get("properties") or {}
        if str(feature.get("id", props.get("id"))) in gone:
            continue
        height = _height(props)
        if height and feature.get("geometry"):
            out.append((feature["geometry"], height))
    for feature in (variant or {}).get("features") or []:
        height = _height(feature.get("properties") or {})
        if height and feature.get("geometry"):
            out.append((feature["geometry"], height))
    return out


def hours_at(lon: float, lat: float, buildings: list[tuple[dict, float]], day: date) -> float:
    """Sun hours of the place on ``day`` among ``buildings`` ((GeoJSON geometry in CRS84, height))."""
    import numpy as np
    import shapely
    from pyproj import Transformer
    from shapely.geometry import shape

    from twin.shadow import sun_hours

    transformer = Transformer.from_crs("EPSG:4326", f"EPSG:{utm_epsg(lon, lat)}", always_xy=True)
    x, y = transformer.transform(lon, lat)

    def to_metres(coords):
        xs, ys = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([xs, ys])

    target = shapely.Point(x, y).buffer(PLACE_RADIUS_M)
    footprints, heights = [], []
    for geometry, height in buildings:
        try:
            footprint = shapely.transform(shape(geometry), to_metres)
        except (ValueError, TypeError, AttributeError):
            continue
        if footprint.is_empty or footprint.geom_type not in ("Polygon", "MultiPolygon"):
            continue
        if footprint.contains(shapely.Point(x, y)):
            return 0.0  # the place is inside a building of this variant: no sun on the ground there
        footprints.append(footprint)
        heights.append(height)
    hours = sun_hours(
        [target], footprints, day.isoformat(), lat=lat, lon=lon, step_minutes=STEP_MINUTES, heights=heights
    )
    return round(float(hours[0]), 1)


def compare(
    lon: float,
    lat: float,
    stored: list[dict],
    a: tuple[dict | None, list[str]],
    b: tuple[dict | None, list[str]],
    year: int | None = None,
) -> SunResult:
    """Sun hours at the place in A and in B on 21 March and 21 December of ``year`` (default: this year).

    ``stored``: the stored buildings near the place (GeoJSON features); ``a``/``b``: (the variant's buildings,
    the stored ids it replaces).
    """
    year = year or date.today().year
    scenes = (scene(stored, *a), scene(stored, *b))
    hours = {
        key: tuple(hours_at(lon, lat, buildings, date(year, month, day)) for buildings in scenes)
        for key, month, day in DAYS
    }
    return SunResult(lon, lat, hours)


def default_place(zone_bbox) -> tuple[float, float] | None:
    """A place to start with: 15 m north of the middle of an affected zone (its shadows fall northwards)."""
    try:
        (_south, west), (north, east) = zone_bbox
    except (TypeError, ValueError):
        return None
    return round((west + east) / 2, 6), round(north + 15 / 111_320.0, 6)
