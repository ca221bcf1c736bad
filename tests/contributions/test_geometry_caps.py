"""Contribution geometries are a place in the city drawn by a person: caps on parts, holes and area, and the
whole geometry inside the city's extent (providers/contributions.py ``_checked_geometry``); on both stores."""

from __future__ import annotations

import pytest

from tests.contributions.common import INSIDE, count_all, create, created, feature

LON, LAT = INSIDE


def _square(lon: float, lat: float, size: float) -> list:
    return [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]


def _triangles(n: int) -> dict:
    """n tiny triangles in a row inside the plans (4 vertices each: 2,400 of them stay below the vertex cap)."""
    polygons = []
    for k in range(n):
        x, y = LON + (k % 60) * 2e-5, LAT + (k // 60) * 2e-5
        polygons.append([[[x, y], [x + 1e-5, y], [x, y + 1e-5], [x, y]]])
    return {"type": "MultiPolygon", "coordinates": polygons}


def _with_holes(n: int) -> dict:
    outer = _square(LON - 0.002, LAT - 0.002, 0.004)
    holes = [_square(LON - 0.0019 + (k % 20) * 1.8e-4, LAT - 0.0019 + (k // 20) * 1.8e-4, 5e-5)[::-1] for k in range(n)]
    return {"type": "Polygon", "coordinates": [outer, *holes]}


@pytest.mark.parametrize(
    "geometry,needle",
    [
        (
            {"type": "Polygon", "coordinates": [[[-180, -90], [180, -90], [180, 90], [-180, 90], [-180, -90]]]},
            "too large",
        ),  # the whole earth
        ({"type": "Polygon", "coordinates": [_square(LON - 0.05, LAT - 0.03, 0.06)]}, "too large"),  # ~26 km²
        (_triangles(2_400), "too many parts (2400, at most 100)"),
        ({"type": "MultiPoint", "coordinates": [[LON + k * 1e-5, LAT] for k in range(101)]}, "too many parts"),
        (_with_holes(150), "too many holes (150, at most 100)"),
        ({"type": "LineString", "coordinates": [[LON, LAT], [LON + 0.5, LAT]]}, "beyond the city"),  # leaves the city
    ],
)
def test_oversized_geometries_are_refused_with_a_clear_message(contrib_server, geometry, needle):
    before = count_all(contrib_server)
    r = create(contrib_server, feature(geometry=geometry))
    assert r.status_code == 400, r.text[:300]
    assert needle in r.json()["description"], r.json()["description"]
    assert count_all(contrib_server) == before


def test_a_place_a_person_draws_is_accepted(contrib_server):
    block = {"type": "Polygon", "coordinates": [_square(LON, LAT, 0.003)]}  # about 0.07 km²
    created(contrib_server, body=feature(geometry=block))
    created(contrib_server, body=feature(geometry=_triangles(100)))  # at the cap
    created(contrib_server, body=feature(geometry=_with_holes(100)))
