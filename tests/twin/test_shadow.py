"""Shadows: hand-checked lengths, exact non-convex shapes, sun-hours."""

import itertools

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon, box

import twin.shadow
from twin.shadow import (
    ShadowCaster,
    convex_parts,
    hourly_shadows,
    is_convex,
    shadow_polygons,
    shadow_vectors,
    sun_hours,
)


def brute_force_shadow(footprint, dx, dy):
    """Footprint ∪ shifted copy ∪ the quadrilateral swept by every edge (every ring)."""
    pieces = [footprint, shapely.affinity.translate(footprint, dx, dy)]
    for ring in [footprint.exterior, *footprint.interiors]:
        c = np.asarray(ring.coords)
        for p0, p1 in itertools.pairwise(c):
            quad = Polygon([p0, p1, p1 + (dx, dy), p0 + (dx, dy)])
            if quad.area > 0:
                pieces.append(quad)
    return shapely.union_all(pieces)


def test_cube_with_sun_at_45_degrees_casts_10_m():
    # 10 m cube, sun due south at 45°: the shadow reaches 10 m north of the cube
    cube = box(0, 0, 10, 10)
    shadow = shadow_polygons([cube], [10.0], 180.0, 45.0)[0]
    np.testing.assert_allclose(shadow.bounds, (0, 0, 10, 20), atol=1e-9)
    assert shadow.area == pytest.approx(200.0)


def test_shadow_length_and_direction():
    # L = h / tan(elevation): 10 m at 30° -> 17.32 m; sun in the east (90°) -> shadow to the west
    dx, dy = shadow_vectors(10.0, 90.0, 30.0)
    assert dx == pytest.approx(-10 / np.tan(np.radians(30)))
    assert dy == pytest.approx(0.0, abs=1e-9)
    shadow = shadow_polygons([box(0, 0, 10, 10)], [10.0], 90.0, 30.0)[0]
    assert shadow.bounds[0] == pytest.approx(-17.3205, abs=1e-3)


def test_sun_below_horizon_no_shadow():
    assert shadow_polygons([box(0, 0, 10, 10)], [10.0], 180.0, -5.0)[0] is None
    assert np.isnan(shadow_vectors(10.0, 180.0, 0.0)[0])


@pytest.mark.parametrize("azimuth,elevation", [(225.0, 45.0), (135.0, 20.0), (10.0, 8.0), (300.0, 60.0)])
def test_non_convex_and_courtyard_shadows_are_exact(azimuth, elevation):
    l_shape = Polygon([(0, 0), (20, 0), (20, 10), (10, 10), (10, 20), (0, 20)])
    courtyard = box(0, 0, 30, 30).difference(box(10, 10, 20, 20))
    u_shape = Polygon([(0, 0), (30, 0), (30, 20), (20, 20), (20, 8), (10, 8), (10, 20), (0, 20)])
    angles = np.linspace(0, 2 * np.pi, 31)[:-1]
    star = Polygon(
        [(100 + np.cos(a) * (10 if k % 2 else 4), np.sin(a) * (10 if k % 2 else 4)) for k, a in enumerate(angles)]
    )
    footprints = [l_shape, courtyard, u_shape, shapely.MultiPolygon([box(50, 0, 55, 5), box(60, 0, 70, 3)]), star]
    heights = [10.0, 12.0, 7.0, 5.0, 20.0]
    shadows = shadow_polygons(footprints, heights, azimuth, elevation)
    for footprint, h, shadow in zip(footprints, heights, shadows, strict=True):
        dx, dy = shadow_vectors(h, azimuth, elevation)
        parts = shapely.get_parts(footprint)
        expected = shapely.union_all([brute_force_shadow(p, dx, dy) for p in parts])
        assert shadow.is_valid
        assert shadow.symmetric_difference(expected).area < 1e-6
        assert shadow.buffer(1e-6).covers(footprint)  # floating point: unions move vertices by ~1e-12


def test_convex_parts_tile_the_polygon():
    l_shape = Polygon([(0, 0), (20, 0), (20, 10), (10, 10), (10, 20), (0, 20)])
    assert len(convex_parts(l_shape)) == 2
    angles = np.linspace(0, 2 * np.pi, 41)[:-1]
    star = Polygon([(np.cos(a) * (10 if k % 2 else 4), np.sin(a) * (10 if k % 2 else 4)) for k, a in enumerate(angles)])
    courtyard = box(0, 0, 30, 30).difference(box(10, 10, 20, 20))
    for polygon in (l_shape, star, courtyard):
        parts = convex_parts(polygon)
        assert is_convex(parts).all()
        assert sum(p.area for p in parts) == pytest.approx(polygon.area)
        assert shapely.union_all(parts).symmetric_difference(polygon).area < 1e-9


def test_swept_fallback_is_exact_too(monkeypatch):
    # where a footprint cannot be cut into convex pieces, the edge-sweep path gives the same shadow
    def fail(polygons):
        raise shapely.errors.GEOSException("no triangulation")

    courtyard = box(0, 0, 30, 30).difference(box(10, 10, 20, 20))
    expected = shadow_polygons([courtyard], [12.0], 135.0, 20.0)[0]
    monkeypatch.setattr(twin.shadow, "convex_decomposition", fail)
    caster = ShadowCaster([courtyard], [12.0])
    assert len(caster.swept_idx) == 1
    assert caster.cast(135.0, 20.0)[0].symmetric_difference(expected).area < 1e-6


def test_convex_fast_path_equals_hull():
    rng = np.random.default_rng(7)
    footprints = shapely.convex_hull(shapely.multipoints(rng.uniform(0, 30, (200, 7, 2))))
    heights = rng.uniform(3, 40, 200)
    assert is_convex(footprints).all()
    caster = ShadowCaster(footprints, heights)
    for az, el in [(100.0, 15.0), (180.0, 50.0), (260.0, 5.0)]:
        dx, dy = shadow_vectors(heights, az, el)
        expected = [
            shapely.convex_hull(shapely.union(f, shapely.affinity.translate(f, x, y)))
            for f, x, y in zip(footprints, dx, dy, strict=True)
        ]
        shadows = caster.cast(az, el)
        assert shapely.is_valid(shadows).all()
        assert np.abs(shapely.area(shadows) - shapely.area(expected)).max() < 1e-6
        assert shapely.equals(shadows, expected).all()


def test_geoseries_in_geoseries_out():
    s = gpd.GeoSeries([box(0, 0, 10, 10), None], index=["a", "b"], crs=25832)
    out = shadow_polygons(s, [10.0, 5.0], 180.0, 45.0)
    assert list(out.index) == ["a", "b"] and out.crs == s.crs and out.iloc[1] is None


X0, Y0 = 566_000.0, 5_947_000.0  # Hamburg


def test_sun_hours_open_space_equinox_and_polar_night():
    # nothing around: every daylight step counts; equinox day ≈ 12 h, hourly midpoints -> 12 steps
    square = gpd.GeoSeries([box(X0, Y0, X0 + 10, Y0 + 10)], crs=25832)
    no_buildings = gpd.GeoDataFrame({"height": []}, geometry=[], crs=25832)
    assert sun_hours(square, no_buildings, "equinox")[0] == pytest.approx(12.0)
    # sun never above the horizon (80° N in December): no sun-hours
    assert sun_hours(square, no_buildings, "winter_solstice", lat=80.0, lon=10.0)[0] == 0.0


def test_sun_hours_north_and_south_of_a_tall_wall():
    # A 100 m long, 30 m high slab running east-west; in winter the noon sun is 13° high, so the
    # 30 m slab shades 130 m to the north: the square just north gets no sun, the one south all of it.
    slab = gpd.GeoDataFrame({"height": [30.0]}, geometry=[box(X0 - 50, Y0, X0 + 50, Y0 + 5)], crs=25832)
    north = box(X0 - 5, Y0 + 10, X0 + 5, Y0 + 20)
    south = box(X0 - 5, Y0 - 20, X0 + 5, Y0 - 10)
    targets = gpd.GeoSeries([north, south], crs=25832)
    hours = sun_hours(targets, slab, "winter_solstice")
    daylight = sun_hours(
        gpd.GeoSeries([south], crs=25832), gpd.GeoDataFrame({"height": []}, geometry=[], crs=25832), "winter_solstice"
    )[0]
    assert hours[0] == 0.0
    assert hours[1] == daylight and 7 <= daylight <= 9  # Hamburg, 21 December: about 7.4 h of daylight
    # the threshold is configurable: demanding 100 % sunlit never counts less than 50 %
    strict = sun_hours(targets, slab, "winter_solstice", min_sunlit_share=1.0)
    assert (strict <= hours).all()


def test_hourly_shadows_frame():
    b = gpd.GeoDataFrame(
        {"id": ["a", "b"], "height": [10.0, 20.0]},
        geometry=[box(X0, Y0, X0 + 10, Y0 + 10), box(X0 + 50, Y0, X0 + 60, Y0 + 10)],
        crs=25832,
    )
    frame = hourly_shadows(b.geometry, b["height"], "equinox", ids=b["id"])
    assert frame.crs == b.crs
    assert frame["time"].nunique() == 12 and len(frame) == 24
    assert (frame["sun_elevation"] > 0).all()
    assert set(frame["building_id"]) == {"a", "b"}
