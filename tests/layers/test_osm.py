"""OSM import: the Helsinki extract and the ``other_tags`` / height parsers.

Counts are checked against GDAL's own SQL count and plain regular expressions
over ``other_tags``, not against the importer's parser.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from layers.geometry import LayerImportWarning
from layers.osm import building_height, parse_height, parse_levels, parse_other_tags, read_osm, roof_shape

SHARED = Path(
    os.environ.get("BUERGERGIS_SHARED_DATA") or Path(__file__).resolve().parents[2].parent / "shared" / "data"
)
PBF = SHARED / "osm-helsinki" / "Helsinki.osm.pbf"


@pytest.fixture(scope="module")
def pbf() -> Path:
    if not PBF.is_file():  # fail, not skip: the project's tests must not pass without their data
        pytest.fail(f"shared data not found at {PBF} (set BUERGERGIS_SHARED_DATA)")
    return PBF


@pytest.fixture(scope="module")
def helsinki(pbf):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frames = read_osm(PBF)
    return frames, [str(w.message) for w in caught if issubclass(w.category, LayerImportWarning)]


@pytest.fixture(scope="module")
def raw(pbf):
    """The building multipolygons as GDAL gives them (tags unparsed, broken geometries as None)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        frame = pyogrio.read_dataframe(PBF, layer="multipolygons", where="building IS NOT NULL", on_invalid="ignore")
    frame["sid"] = np.where(
        frame["osm_way_id"].notna(), "way/" + frame["osm_way_id"].fillna(""), "relation/" + frame["osm_id"].fillna("")
    )
    return frame


def _sql_count(sql: str) -> int:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return int(pyogrio.read_dataframe(PBF, sql=sql, read_geometry=False).iloc[0, 0])


# --------------------------------------------------------------------------- Helsinki


def test_building_counts(helsinki, raw):
    buildings = helsinki[0]["buildings"]
    assert _sql_count("SELECT COUNT(*) FROM multipolygons WHERE building IS NOT NULL") == 494 == len(raw)
    tags = raw["other_tags"].fillna("")
    assert tags.str.contains('"building:levels"=>', regex=False).sum() == 165
    assert tags.str.contains('"height"=>', regex=False).sum() == 17

    # 12 buildings cut by the extract's edge have no area left; everything else is kept.
    unusable = {
        sid for sid, g in zip(raw["sid"], raw.geometry, strict=True) if g is None or shapely.make_valid(g).area == 0
    }
    assert len(unusable) == 12
    assert len(buildings) == 494 - 12 == 482
    assert set(buildings["source_id"]) == set(raw["sid"]) - unusable
    dropped_with_levels = raw[raw["sid"].isin(unusable) & tags.str.contains('"building:levels"=>', regex=False)]
    assert buildings["storeys"].notna().sum() == 165 - len(dropped_with_levels) == 160
    assert (~buildings["height_estimated"]).sum() == 17  # every height tag parses and survives


def test_buildings_columns_and_values(helsinki):
    buildings = helsinki[0]["buildings"].set_index("source_id")
    assert buildings.crs.to_epsg() == 25832
    assert buildings["id"].is_unique
    assert (buildings.geometry.geom_type == "MultiPolygon").all() and buildings.geometry.is_valid.all()
    assert set(buildings["source"]) == {"osm:Helsinki.osm.pbf"}
    assert not buildings["synthetic"].any()

    tall = buildings.loc["way/123525580"]  # height=70, building:levels=13
    assert (tall["id"], tall["height"], tall["storeys"], tall["height_estimated"]) == ("osm:123525580", 70.0, 13, False)
    assert buildings.loc["way/185401488", "height"] == 12.13  # tagged "12.13 m"
    levels_only = buildings.loc["relation/5603"]  # building:levels=7, no height
    assert (levels_only["height"], levels_only["storeys"], levels_only["height_estimated"]) == (21.0, 7, True)
    bare = buildings.loc["way/17426424"]  # "Bockin talo": no height, no levels
    assert (bare["name"], bare["height"], bare["height_estimated"]) == ("Bockin talo", 9.0, True)
    assert pd.isna(bare["storeys"])
    # roof:shape "9.0" on one building is not a shape; the words are kept.
    assert set(buildings["roof_type"].dropna()) == {"gabled", "dome", "flat", "gambrel", "hipped"}


def test_inside_helsinki(helsinki):
    for frame in helsinki[0].values():
        west, south, east, north = frame.to_crs(4326).total_bounds
        assert 24.935 <= west < east <= 24.954 and 60.164 <= south < north <= 60.180


def test_streets(helsinki):
    streets = helsinki[0]["streets"]
    assert len(streets) == _sql_count("SELECT COUNT(*) FROM lines WHERE highway IS NOT NULL") == 2504
    assert (streets.geometry.geom_type == "MultiLineString").all()
    assert streets["id"].is_unique and streets["id"].str.startswith("osm:").all()
    assert streets["highway"].notna().all()
    assert streets.set_index("source_id").loc["way/4236349", "name"] == "Erottajankatu"


def test_warnings_name_the_repairs(helsinki):
    frames, messages = helsinki
    assert any("buildings dropped (geometry unusable): 12 feature(s)" in m for m in messages)
    assert any("buildings repaired: 11 feature(s)" in m for m in messages)
    assert frames["buildings"].attrs["warnings"] == messages


# --------------------------------------------------------------------------- parsers


@pytest.mark.parametrize(
    "text, expected",
    [
        (None, {}),
        ("", {}),
        ('"building:levels"=>"4"', {"building:levels": "4"}),
        ('"a"=>"1","b"=>"2"', {"a": "1", "b": "2"}),
        ('"name:de"=>"Kauf, Haus","x"=>"y"', {"name:de": "Kauf, Haus", "x": "y"}),  # comma inside a value
        ('"note"=>"says \\"hi\\"","k"=>"v"', {"note": 'says "hi"', "k": "v"}),  # escaped quotes
        ('"path"=>"C:\\\\dir"', {"path": "C:\\dir"}),  # escaped backslash
        ('"arrow"=>"a=>b"', {"arrow": "a=>b"}),
        ('"k"=>NULL', {"k": None}),
        ('"k" => "v" , "k2"=>"v2"', {"k": "v", "k2": "v2"}),
        ('"empty"=>""', {"empty": ""}),
    ],
)
def test_parse_other_tags(text, expected):
    assert parse_other_tags(text) == expected


@pytest.mark.parametrize("text", ['"k"=>"v" "k2"=>"v2"', '"k"=>v', '"k"=>"unterminated'])
def test_parse_other_tags_refuses_garbage(text):
    with pytest.raises(ValueError, match="other_tags"):
        parse_other_tags(text)


@pytest.mark.parametrize(
    "text, metres",
    [
        ("12", 12.0),
        ("12.5", 12.5),
        ("12,5", 12.5),
        ("12 m", 12.0),
        ("12m", 12.0),
        (" 7.25 metres ", 7.25),
        ("40'", 12.192),
        ("40 ft", 12.192),
        ("40'6\"", 12.3444),
        (None, None),
        ("", None),
        ("~12", None),
        ("10-12", None),
        ("12;15", None),
        ("-5", None),
        ("0", None),
        ("5000", None),
        ("tall", None),
        ("12 storeys", None),
    ],
)
def test_parse_height(text, metres):
    result = parse_height(text)
    assert result == (pytest.approx(metres) if metres is not None else None)


@pytest.mark.parametrize(
    "text, levels", [("3", 3.0), ("2.5", 2.5), (" 4 ", 4.0), ("abc", None), ("-1", None), ("500", None), (None, None)]
)
def test_parse_levels(text, levels):
    assert parse_levels(text) == levels


def test_building_height_rules():
    assert building_height({"height": "20", "building:levels": "5"}) == (20.0, False, 5)
    assert building_height({"building:levels": "2.5"}) == (7.5, True, 3)  # a partial storey counts
    assert building_height({"building:levels": "0"}) == (9.0, True, 0)  # 0 levels: default height
    assert building_height({"height": "nonsense"}) == (9.0, True, None)
    assert building_height({}) == (9.0, True, None)
    assert roof_shape("Gabled") == "gabled" and roof_shape("9.0") is None and roof_shape(None) is None
