"""Indicators against hand-computed cases (numbers worked out in the comments)."""

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, box

from twin.indicators import (
    assign_to_plots,
    buildable_windows,
    building_volume,
    compliance,
    dwellings,
    floor_area,
    footprint_area,
    gfz,
    green_share,
    grz,
    lod1_heights,
    permitted_gfz,
    permitted_grz,
    permitted_z,
    residents,
    sealed_share,
    subdivide,
    totals,
    union_area_per_target,
    zone_indicators,
)

X0, Y0 = 566_000.0, 5_947_000.0  # EPSG:25832, Hamburg-Langenhorn


def rect(x, y, w, h):
    return box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + h)


def test_building_on_plot_grz_gfz_literal():
    # 20 m × 10 m = 200 m², 3 Vollgeschosse, on a 40 m × 25 m = 1000 m² plot:
    # GRZ = 200 / 1000 = 0.2, GF = 200 × 3 = 600 m², GFZ = 600 / 1000 = 0.6
    building, plot = rect(5, 5, 20, 10), rect(0, 0, 40, 25)
    assert footprint_area([building])[0] == 200.0
    assert floor_area([building], [3])[0] == 600.0
    assert building_volume([building], [9.0])[0] == 1800.0  # 200 m² × 9 m
    assert grz([building], plot) == pytest.approx(0.2, abs=1e-12)
    assert gfz([building], [3], plot) == pytest.approx(0.6, abs=1e-12)


def test_grz_gfz_per_parcel_split_building():
    # two parcels 25 m × 20 m = 500 m² side by side; a 20 m × 10 m building, 2 storeys, straddles
    # the border at x = 25 with 10 m on each side: 100 m² per parcel
    # GRZ = 100 / 500 = 0.2 each, GFZ = 100 × 2 / 500 = 0.4 each; a third, empty parcel: 0
    parcels = gpd.GeoSeries([rect(0, 0, 25, 20), rect(25, 0, 25, 20), rect(50, 0, 25, 20)], crs=25832)
    building = gpd.GeoSeries([rect(15, 5, 20, 10)], crs=25832)
    np.testing.assert_allclose(grz(building, parcels), [0.2, 0.2, 0.0], atol=1e-12)
    np.testing.assert_allclose(gfz(building, [2], parcels), [0.4, 0.4, 0.0], atol=1e-12)
    # the building belongs to the parcel holding its larger part (a tie goes to the first)
    assert assign_to_plots([rect(15, 5, 20, 10), rect(40, 5, 5, 5), rect(200, 0, 5, 5)], parcels).tolist() == [0, 1, -1]


def test_grz_of_several_buildings_and_multipolygon():
    # 10×10 + 10×5 in one MultiPolygon + a separate 5×4 on a 50×20 = 1000 m² plot: (100 + 50 + 20) / 1000
    multi = shapely.MultiPolygon([rect(0, 0, 10, 10), rect(20, 0, 10, 5)])
    assert grz([multi, rect(40, 10, 5, 4)], rect(0, 0, 50, 20)) == pytest.approx(0.17)


def test_dwellings_and_residents_assumptions():
    # 1200 m² GF / 90 m² per dwelling = 13.33 dwellings; × 2.0 persons = 26.67 residents
    assert dwellings(1200.0) == pytest.approx(1200 / 90)
    assert residents(dwellings(1200.0)) == pytest.approx(2 * 1200 / 90)
    # configurable: 100 m² per dwelling, 2.5 persons, half of the floor area housing (MI)
    assert dwellings(1200.0, m2_per_dwelling=100) == pytest.approx(12.0)
    assert dwellings(1200.0, m2_per_dwelling=100, residential_share=0.5) == pytest.approx(6.0)
    assert residents(12.0, persons_per_dwelling=2.5) == pytest.approx(30.0)
    with pytest.raises(ValueError):
        dwellings(100.0, m2_per_dwelling=0)


def test_sealed_and_green_share():
    # area 40 × 25 = 1000 m²; building 20×10 = 200 m²; street strip 40 × 5 = 200 m² along the top;
    # a second building 10×10 overlapping the street by 10×2 = 20 m² is counted once:
    # sealed = 200 + 200 + (100 - 20) = 480 m² -> 0.48, green 0.52
    area = rect(0, 0, 40, 25)
    buildings = [rect(0, 0, 20, 10), rect(25, 12, 10, 10)]
    street = [rect(0, 20, 40, 5)]
    assert sealed_share(area, buildings, street) == pytest.approx(0.48)
    assert green_share(area, buildings, street) == pytest.approx(0.52)
    # parts outside the area do not count: a building half outside adds 50 of its 100 m²
    assert sealed_share(area, [rect(35, 0, 10, 10)]) == pytest.approx(0.05)


def test_union_area_matches_a_full_union():
    rng = np.random.default_rng(3)
    pieces = shapely.buffer(shapely.points(rng.uniform(0, 100, (300, 2))), rng.uniform(1, 6, 300))
    targets = np.array([box(0, 0, 50, 50), box(30, 30, 100, 100), box(200, 200, 210, 210)])
    expected = [shapely.area(shapely.intersection(shapely.union_all(pieces), t)) for t in targets]
    np.testing.assert_allclose(union_area_per_target(targets, pieces), expected, rtol=1e-9)


def test_subdivide_keeps_area():
    holes = [shapely.get_coordinates(box(x, y, x + 5, y + 5)) for x in range(0, 200, 10) for y in range(0, 200, 10)]
    grid = shapely.Polygon(shapely.get_coordinates(box(-5, -5, 205, 205)), holes)
    parts = subdivide([grid], max_vertices=64)
    assert len(parts) > 4
    assert (shapely.get_num_coordinates(parts) <= 64).all()
    assert shapely.area(parts).sum() == pytest.approx(grid.area)


def zones_frame(**columns):
    base = {"id": ["z1"], "plan_id": ["p1"], "art_code": ["WA"]}
    base.update({k: [v] for k, v in columns.items()})
    return gpd.GeoDataFrame(base, geometry=[rect(0, 0, 50, 40)], crs=25832)  # 2000 m²


def test_permitted_values_fall_back_to_max_and_absolute():
    # GRZ missing -> grz_max; GFZ missing -> gf / area = 1800 / 2000 = 0.9; Z missing -> z_max
    z = zones_frame(grz=np.nan, grz_max=0.35, gfz=np.nan, gf=1800.0, z=None, z_max=3)
    assert permitted_grz(z)[0] == pytest.approx(0.35)
    assert permitted_gfz(z)[0] == pytest.approx(0.9)
    assert permitted_z(z)[0] == 3
    none = zones_frame()
    assert np.isnan(permitted_grz(none)[0]) and np.isnan(permitted_gfz(none)[0]) and np.isnan(permitted_z(none)[0])


def test_lod1_heights():
    height, estimated = lod1_heights([12.5, np.nan, np.nan, 0.0], [4, 3, np.nan, 2], storey_height=3.0)
    np.testing.assert_allclose(height, [12.5, 9.0, np.nan, 6.0])
    assert estimated.tolist() == [False, True, False, True]


def test_buildable_windows_from_lines():
    closed = LineString([(0, 0), (30, 0), (30, 20), (0, 20), (0, 0)])  # a closed Baugrenze: 600 m²
    # an open Baugrenze in two pieces that together close a 10 × 10 square
    a = LineString([(100, 0), (110, 0), (110, 10)])
    b = LineString([(110, 10), (100, 10), (100, 0)])
    polygon = box(200, 0, 205, 5)
    dangling = LineString([(300, 0), (310, 0)])  # bounds nothing
    windows = buildable_windows([closed, a, b, polygon, dangling])
    assert sorted(np.round(shapely.area(windows), 6).tolist()) == [25.0, 100.0, 600.0]


def test_compliance_each_rule_with_messages():
    # zone 50 × 40 = 2000 m², GRZ 0.1, GFZ 0.3 (via grz_max / gf), Z 2, h_max 7 m;
    # Baufenster 30 × 20 at (10, 10).
    zone = zones_frame(grz=np.nan, grz_max=0.1, gfz=np.nan, gf=600.0, z=2, h_max=7.0)
    baugrenze = [
        LineString([(X0 + 10, Y0 + 10), (X0 + 40, Y0 + 10), (X0 + 40, Y0 + 30), (X0 + 10, Y0 + 30), (X0 + 10, Y0 + 10)])
    ]
    buildings = gpd.GeoDataFrame(
        {
            "id": ["inside", "sticks_out", "too_high"],
            "storeys": [2, 2, 3],
            "height": [6.0, 6.0, 9.0],
        },
        geometry=[
            rect(12, 12, 10, 10),  # 100 m², inside the Baufenster
            rect(30, 12, 12, 5),  # 60 m², 2 m beyond the Baugrenze at x = 40: 2 × 5 = 10 m² outside,
            # with 0.5 m tolerance 1.5 × 5 = 7.5 m² count
            rect(12, 24, 5, 5.2),  # 26 m², inside; 3 storeys > Z 2, 9 m > 7 m
        ],
        crs=25832,
    )
    v = compliance(buildings, zone, baugrenze, tolerance=0.5)
    by_rule = {rule: rows for rule, rows in v.groupby("rule")}  # noqa: C416 — dict(GroupBy) fails: not a mapping
    # GRZ (100 + 60 + 26) / 2000 = 0.093 <= 0.1 and GFZ (200 + 120 + 78) / 2000 = 0.199 <= 0.3: no zone rule
    assert set(by_rule) == {"baugrenze", "z", "h_max"}
    bg = by_rule["baugrenze"].iloc[0]
    assert bg.building_id == "sticks_out" and bg.value == pytest.approx(7.5)
    assert "Baugrenze" in bg.message_de and "7,5 m²" in bg.message_de and "7.5 m²" in bg.message_en
    assert by_rule["z"].iloc[0].building_id == "too_high"
    assert "3 Vollgeschosse, zulässig sind 2" in by_rule["z"].iloc[0].message_de
    assert "3 full storeys" in by_rule["z"].iloc[0].message_en
    assert by_rule["h_max"].iloc[0].value == 9.0
    # without tolerance the full 10 m² count
    v0 = compliance(buildings, zone, baugrenze, tolerance=0.0)
    assert v0[v0.rule == "baugrenze"].value.iloc[0] == pytest.approx(10.0)


def test_compliance_grz_uses_grz_max_and_gfz_uses_gf():
    zone = zones_frame(grz=np.nan, grz_max=0.1, gfz=np.nan, gf=600.0, z=4)
    # 15 × 10 = 150 m² with 4 storeys: GRZ 0.075 <= 0.1 fine; GF 600 = 600 fine
    ok = gpd.GeoDataFrame({"id": ["a"], "storeys": [4], "height": [12.0]}, geometry=[rect(1, 1, 15, 10)], crs=25832)
    assert compliance(ok, zone).empty
    # 25 × 10 = 250 m², 3 storeys: GRZ 0.125 > 0.1 and GF 750 -> GFZ 0.375 > 0.3
    big = gpd.GeoDataFrame({"id": ["b"], "storeys": [3], "height": [9.0]}, geometry=[rect(1, 1, 25, 10)], crs=25832)
    v = compliance(big, zone).set_index("rule")
    assert v.loc["grz", "value"] == pytest.approx(0.125) and v.loc["grz", "permitted"] == pytest.approx(0.1)
    assert v.loc["gfz", "value"] == pytest.approx(0.375) and v.loc["gfz", "permitted"] == pytest.approx(0.3)
    assert "GRZ 0,125 überschreitet die zulässige GRZ 0,1 " in v.loc["grz", "message_de"]
    assert "GRZ 0.125 exceeds the permitted GRZ 0.1 " in v.loc["grz", "message_en"]
    assert "GFZ 0,375 überschreitet die zulässige GFZ 0,3 " in v.loc["gfz", "message_de"]
    assert v.loc["grz", "building_id"] is None


def test_zone_indicators_and_totals_literal():
    # zone 2000 m² (WA): buildings 20×10 × 3 storeys (9 m) and 10×10 × 2 storeys (6 m)
    # GR = 300, GF = 600 + 200 = 800, V = 1800 + 600 = 2400; GRZ 0.15, GFZ 0.4;
    # dwellings 800 / 90 = 8.89, residents 17.78
    zone = zones_frame(grz=0.4, gfz=0.8, z=3)
    b = gpd.GeoDataFrame(
        {"id": ["a", "b"], "storeys": [3, 2], "height": [9.0, 6.0]},
        geometry=[rect(1, 1, 20, 10), rect(30, 20, 10, 10)],
        crs=25832,
    )
    row = zone_indicators(b, zone).iloc[0]
    assert (row.area_m2, row.buildings, row.footprint_m2, row.floor_area_m2, row.volume_m3) == (
        2000.0,
        2,
        300.0,
        800.0,
        2400.0,
    )
    assert row.grz == pytest.approx(0.15) and row.gfz == pytest.approx(0.4)
    assert row.dwellings == pytest.approx(800 / 90) and row.residents == pytest.approx(1600 / 90)
    assert (row.grz_permitted, row.gfz_permitted, row.z_permitted, row.max_storeys) == (0.4, 0.8, 3.0, 3.0)
    t = totals(zone_indicators(b, zone))
    assert t["floor_area_m2"] == 800.0 and t["grz"] == pytest.approx(0.15) and t["buildings"] == 2
    # a GE zone houses nobody
    ge = zones_frame(grz=0.8, art_code="GE")
    assert zone_indicators(b, ge).iloc[0].dwellings == 0.0
