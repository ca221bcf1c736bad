"""Generic vector import (GeoPackage, GeoJSON, Shapefile) and the shared geometry helpers."""

from __future__ import annotations

import warnings

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import LineString, MultiPolygon, Point, Polygon

from layers.geometry import LayerImportWarning, repair, reproject, to_multilinestring, to_multipolygon
from layers.vector import read_vector

SQUARE = Polygon([(390000, 5820000), (390020, 5820000), (390020, 5820030), (390000, 5820030)])
BOWTIE = Polygon([(390100, 5820100), (390110, 5820110), (390110, 5820100), (390100, 5820110)])  # self-intersecting
TWO_PARTS = MultiPolygon([SQUARE.buffer(-5), Polygon([(390050, 5820000), (390060, 5820000), (390060, 5820010)])])


def _parcels() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "flurstueck_nummer": ["12/1", "12/2", "13"],
            "area_ha": [0.06, 0.005, 0.001],  # not in the catalogue: dropped with a warning
        },
        geometry=[SQUARE, TWO_PARTS, BOWTIE],
        crs=25833,
    )


def _read(*args, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frames = read_vector(*args, **kwargs)
    return frames, [str(w.message) for w in caught if issubclass(w.category, LayerImportWarning)]


def test_geopackage_round_trip(tmp_path):
    path = tmp_path / "alkis.gpkg"
    _parcels().to_file(path, layer="flurstuecke", driver="GPKG")
    frames, messages = _read(path, "parcels", epsg=25832)
    parcels = frames["parcels"]
    assert list(parcels.columns) == ["id", "source", "source_id", "flurstueck_nummer", "synthetic", "geometry"]
    assert parcels["id"].tolist() == ["file:alkis.gpkg:1", "file:alkis.gpkg:2", "file:alkis.gpkg:3"]  # GPKG fids from 1
    assert parcels["source_id"].tolist() == ["1", "2", "3"]
    assert set(parcels["source"]) == {"file:alkis.gpkg"}
    assert parcels["flurstueck_nummer"].tolist() == ["12/1", "12/2", "13"]
    assert not parcels["synthetic"].any()
    assert parcels.crs.to_epsg() == 25832
    assert (parcels.geometry.geom_type == "MultiPolygon").all() and parcels.geometry.is_valid.all()
    back = parcels.to_crs(25833).geometry
    assert back.iloc[0].area == pytest.approx(600.0, rel=1e-6)  # 20 m × 30 m, reprojected and back
    assert back.iloc[0].equals_exact(MultiPolygon([SQUARE]), tolerance=1e-4)
    assert back.iloc[2].area == pytest.approx(50.0, rel=1e-6)  # the bow-tie as its two triangles
    assert any("dropped: ['area_ha']" in m for m in messages)
    assert any("invalid geometry repaired" in m and "file:alkis.gpkg:3" in m for m in messages)
    assert parcels.attrs["warnings"] == messages


def test_geojson_with_mapping(tmp_path):
    path = tmp_path / "gebaeude.geojson"
    gpd.GeoDataFrame(
        {
            "gebaeude_id": ["DEHH_1", "DEHH_2"],
            "hoehe": [12.5, "n/a"],
            "geschosse": [4, 2],
            "bez": ["Schule", None],
            "Name": ["not used: bez is mapped to name", "x"],
            "synthetic": ["nein", "ja"],
        },
        geometry=[SQUARE, SQUARE.buffer(-2)],
        crs=25832,
    ).to_crs(4326).to_file(path, driver="GeoJSON")
    frames, messages = _read(
        path, "buildings", mapping={"gebaeude_id": "id", "hoehe": "height", "geschosse": "storeys", "bez": "name"}
    )
    buildings = frames["buildings"]
    assert buildings["id"].tolist() == ["DEHH_1", "DEHH_2"]
    assert buildings["source_id"].tolist() == ["DEHH_1", "DEHH_2"]
    assert buildings["height"].iloc[0] == 12.5 and buildings["height"].isna().iloc[1]
    assert buildings["storeys"].tolist() == [4, 2] and str(buildings["storeys"].dtype) == "Int64"
    assert buildings["name"].iloc[0] == "Schule" and buildings["name"].iloc[1] is None
    assert buildings["synthetic"].tolist() == [False, True]
    assert buildings.to_crs(25832).geometry.iloc[0].area == pytest.approx(600.0, rel=1e-6)
    assert any("column hoehe: 1 value(s) are not real" in m for m in messages)
    assert any("dropped: ['Name']" in m for m in messages)


def test_shapefile_lines_and_truncated_names(tmp_path):
    path = tmp_path / "strassen.shp"
    gpd.GeoDataFrame(
        {
            "name": ["Hauptstraße", "Weg"],
            "highway": ["primary", "footway"],
            "source_id": ["w1", "w2"],
        },
        geometry=[
            LineString([(390000, 5820000), (390100, 5820000)]),
            LineString([(390000, 5820050), (390050, 5820080)]),
        ],
        crs=25832,
    ).to_file(path)
    streets, _ = _read(path, "streets", source="kommune:strassen")
    streets = streets["streets"]
    assert streets["id"].tolist() == ["kommune:strassen:0", "kommune:strassen:1"]  # shapefile fids from 0
    assert streets["source_id"].tolist() == ["w1", "w2"]
    assert streets["name"].tolist() == ["Hauptstraße", "Weg"]
    assert (streets.geometry.geom_type == "MultiLineString").all()
    assert streets.geometry.iloc[0].length == pytest.approx(100.0)

    # A buildings shapefile: "height_estimated" is stored as "height_est" and still found.
    path = tmp_path / "haeuser.shp"
    with warnings.catch_warnings():  # GDAL and geopandas announce the truncation
        warnings.simplefilter("ignore")
        gpd.GeoDataFrame(
            {"height": [9.0], "height_estimated": [1], "base_height": [31.5]}, geometry=[SQUARE], crs=25832
        ).to_file(path)
    buildings = _read(path, "buildings")[0]["buildings"]
    assert buildings["height_estimated"].tolist() == [True]
    assert buildings["base_height"].tolist() == [31.5]


def test_missing_crs_needs_an_override(tmp_path):
    path = tmp_path / "ohne_crs.shp"
    gpd.GeoDataFrame({"flurstueck": ["1"]}, geometry=[SQUARE], crs=25833).to_file(path)
    path.with_suffix(".prj").unlink()
    with pytest.raises(ValueError, match=r"ohne_crs.shp has no CRS; pass --crs"):
        read_vector(path, "parcels")
    parcels = _read(path, "parcels", crs="EPSG:25833")[0]["parcels"]
    assert parcels["flurstueck_nummer"].tolist() == ["1"]  # 10-letter shapefile name matched
    back = shapely.normalize(parcels.to_crs(25833).geometry.iloc[0])  # shapefiles turn rings clockwise
    assert back.equals_exact(shapely.normalize(MultiPolygon([SQUARE])), tolerance=1e-4)


def test_crs_override_replaces_the_files_crs(tmp_path):
    path = tmp_path / "falsch.geojson"
    gpd.GeoDataFrame(geometry=[SQUARE], crs=4326).to_file(path)  # numbers in metres, labelled degrees
    frames, messages = _read(path, "parcels", crs=25833)
    assert frames["parcels"].to_crs(25833).geometry.iloc[0].area == pytest.approx(600.0, rel=1e-6)
    assert any("overridden by 25833" in m for m in messages)


def test_points_refused_for_a_polygon_layer(tmp_path):
    path = tmp_path / "punkte.gpkg"
    gpd.GeoDataFrame(geometry=[Point(390000, 5820000), Point(390001, 5820001)], crs=25832).to_file(path)
    with pytest.raises(ValueError, match="layer buildings needs polygons, but the file has 2 Point"):
        read_vector(path, "buildings")
    with pytest.raises(ValueError, match="layer streets needs lines"):
        read_vector(path, "streets")


def test_several_layers_need_a_choice(tmp_path):
    path = tmp_path / "zwei.gpkg"
    _parcels().to_file(path, layer="a")
    _parcels().iloc[:1].to_file(path, layer="b")
    with pytest.raises(ValueError, match=r"zwei.gpkg has 2 layers \(a, b\)"):
        read_vector(path, "parcels")
    parcels = _read(path, "parcels", layer="b")[0]["parcels"]
    assert parcels["id"].tolist() == ["file:zwei.gpkg:b:1"]


def test_bad_mappings_and_duplicate_ids(tmp_path):
    path = tmp_path / "p.gpkg"
    _parcels().assign(nr=["1", "1", "2"]).to_file(path)
    with pytest.raises(ValueError, match="mapped columns not in the file"):
        read_vector(path, "parcels", mapping={"nope": "id"})
    with pytest.raises(ValueError, match="layer parcels has no columns \\['hoehe'\\]"):
        read_vector(path, "parcels", mapping={"nr": "hoehe"})
    with pytest.raises(ValueError, match="duplicate ids \\['1'\\]"):
        read_vector(path, "parcels", mapping={"nr": "id"})


def test_rows_without_geometry_are_dropped(tmp_path):
    path = tmp_path / "luecke.gpkg"
    gpd.GeoDataFrame({"flurstueck_nummer": ["1", "2"]}, geometry=[SQUARE, None], crs=25832).to_file(path)
    frames, messages = _read(path, "parcels")
    assert frames["parcels"]["flurstueck_nummer"].tolist() == ["1"]
    assert any("rows without geometry dropped" in m for m in messages)


# --------------------------------------------------------------------------- geometry helpers


def test_to_multi():
    assert to_multipolygon(SQUARE).equals(MultiPolygon([SQUARE]))
    assert to_multipolygon(TWO_PARTS) is TWO_PARTS
    mixed = shapely.GeometryCollection([SQUARE, LineString([(0, 0), (1, 1)]), Point(5, 5)])
    assert to_multipolygon(mixed).equals(MultiPolygon([SQUARE]))
    assert to_multipolygon(Point(1, 1)) is None and to_multipolygon(None) is None
    assert to_multilinestring(LineString([(0, 0), (1, 1)])).geom_type == "MultiLineString"


def test_repair():
    assert repair(SQUARE, "a") == (SQUARE, None)
    fixed, message = repair(BOWTIE, "b-1")
    assert fixed.geom_type == "MultiPolygon" and fixed.is_valid and fixed.area == pytest.approx(50.0)
    assert message.startswith("b-1: invalid geometry repaired (Self-intersection")
    flat = Polygon([(0, 0), (1, 1), (2, 2), (0, 0)])  # zero area: nothing polygonal survives
    fixed, message = repair(flat, "c")
    assert fixed is None and "dropped" in message
    assert repair(None, "d") == (None, "d: empty geometry dropped")


def test_reproject():
    frame = gpd.GeoDataFrame(geometry=[Point(9, 53.25)], crs=4326)
    assert reproject(frame, 4326) is frame
    x, _y = reproject(frame, 25832).geometry.iloc[0].coords[0]
    assert x == pytest.approx(500000, abs=0.01)
    with pytest.raises(ValueError, match="no CRS; pass --crs"):
        reproject(gpd.GeoDataFrame(geometry=[Point(0, 0)]), 25832)
