"""CityGML import: the Berlin-Mitte LoD2 tiles and small hand-written files.

Expected values are read from the GML text independently of the importer
(regular expressions over the file), or copied literally from it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from layers.citygml import read_citygml

SHARED = Path(
    os.environ.get("BUERGERGIS_SHARED_DATA") or Path(__file__).resolve().parents[2].parent / "shared" / "data"
)
BERLIN = SHARED / "citygml-berlin-mitte"
FILES = {
    "Berlin1b_3900_5820.gml": 75,
    "Berlin1b_3910_5820.gml": 56,
    "Berlin1b_3920_5820.gml": 6,
    "Berlin2_3900_5819.gml": 4,
    "Berlin2_3910_5819.gml": 35,
}


@pytest.fixture(scope="module")
def berlin_dir() -> Path:
    if not BERLIN.is_dir():  # fail, not skip: the project's tests must not pass without their data
        pytest.fail(f"shared data not found at {BERLIN} (set BUERGERGIS_SHARED_DATA)")
    return BERLIN


@pytest.fixture(scope="module")
def berlin(berlin_dir):
    return read_citygml(berlin_dir)["buildings"]


def _building_chunks(path: Path) -> dict[str, str]:
    """gml:id → XML text of each bldg:Building (these files have no BuildingParts)."""
    text = path.read_text(encoding="utf-8")
    pieces = re.split(r'<bldg:Building gml:id="', text)[1:]
    return {p.split('"', 1)[0]: p.split("</bldg:Building>", 1)[0] for p in pieces}


# --------------------------------------------------------------------------- Berlin


def test_all_176_buildings_with_counts_per_file(berlin):
    assert len(berlin) == 176
    assert berlin["source"].value_counts().to_dict() == {f"citygml:{name}": n for name, n in FILES.items()}
    assert berlin["id"].is_unique
    assert (berlin["id"] == "citygml:" + berlin["source_id"]).all()
    assert not berlin["synthetic"].any()
    assert berlin.crs.to_epsg() == 25832


def test_one_building_literally(berlin):
    row = berlin.set_index("source_id").loc["BLDG_0003000e00964090"]
    # <bldg:measuredHeight>30.18406</bldg:measuredHeight>, function 1411, roofType 1130 in Berlin2_3900_5819.gml
    assert row["height"] == 30.18406
    assert row["function"] == "1411"
    assert row["roof_type"] == "1130"
    assert row["source"] == "citygml:Berlin2_3900_5819.gml"
    assert not row["height_estimated"]
    assert row["base_height"] == pytest.approx(33.7900009155273)  # z of its GroundSurface
    assert pd.isna(row["storeys"]) and row["name"] is None  # no storeysAboveGround, no gml:name


def test_heights_match_the_gml(berlin):
    """measuredHeight where present; else the z range of the building's envelope."""
    by_id = berlin.set_index("source_id")
    measured = from_geometry = 0
    for name in FILES:
        for gml_id, chunk in _building_chunks(BERLIN / name).items():
            height = re.search(r"<bldg:measuredHeight[^>]*>([^<]+)<", chunk)
            if height:
                assert by_id.loc[gml_id, "height"] == float(height.group(1))
                measured += 1
            else:
                low = float(re.search(r"<gml:lowerCorner>\S+ \S+ (\S+)</", chunk).group(1))
                high = float(re.search(r"<gml:upperCorner>\S+ \S+ (\S+)</", chunk).group(1))
                assert by_id.loc[gml_id, "height"] == pytest.approx(high - low, abs=0.01)
                from_geometry += 1
            assert not by_id.loc[gml_id, "height_estimated"]
    assert (measured, from_geometry) == (174, 2)  # _stats.txt: measuredHeight on 74+56+6+4+34


def test_footprints_valid_and_inside_berlin_mitte(berlin):
    assert berlin.geometry.notna().all()
    assert (berlin.geometry.geom_type == "MultiPolygon").all()
    assert berlin.geometry.is_valid.all()
    west, south, east, north = berlin.to_crs(4326).total_bounds
    assert 13.385 <= west < east <= 13.413
    assert 52.510 <= south < north <= 52.523
    # Terrain heights: _stats.txt gives z from 29.8 m; Spree island ground is ~30-37 m.
    assert berlin["base_height"].between(29.5, 40).all()
    assert berlin["height"].between(1.2, 93.95).all()


def test_footprint_is_the_ground_surface(berlin):
    """Area of the stored footprint equals the area of the GroundSurface rings in the file."""
    chunk = _building_chunks(BERLIN / "Berlin2_3900_5819.gml")["BLDG_0003000e00964090"]
    ground = chunk.split("<bldg:GroundSurface", 1)[1].split("</bldg:GroundSurface>", 1)[0]
    rings = [
        np.array(p.split(), dtype=float).reshape(-1, 3)[:, :2]
        for p in re.findall(r"<gml:posList[^>]*>([^<]+)<", ground)
    ]
    expected = shapely.union_all([shapely.Polygon(r) for r in rings]).area
    footprint = berlin.set_index("source_id").to_crs(25833).geometry.loc["BLDG_0003000e00964090"]
    assert footprint.area == pytest.approx(expected, rel=1e-4)
    assert expected == pytest.approx(857.83, abs=0.01)  # a real block, not a sliver


def test_single_file_and_list_of_files(berlin_dir):
    one = read_citygml(BERLIN / "Berlin2_3900_5819.gml")["buildings"]
    assert len(one) == 4
    two = read_citygml([BERLIN / "Berlin2_3900_5819.gml", BERLIN / "Berlin1b_3920_5820.gml"])["buildings"]
    assert len(two) == 10


# --------------------------------------------------------------------------- small files

CITYGML_1 = """<?xml version="1.0" encoding="UTF-8"?>
<CityModel xmlns="http://www.opengis.net/citygml/1.0" xmlns:gml="http://www.opengis.net/gml"
           xmlns:bldg="http://www.opengis.net/citygml/building/1.0">
  <gml:boundedBy><gml:Envelope srsName="{srs}" srsDimension="3">
    <gml:lowerCorner>0 0 0</gml:lowerCorner><gml:upperCorner>1 1 1</gml:upperCorner></gml:Envelope></gml:boundedBy>
  <cityObjectMember>
    <bldg:Building gml:id="B1">
      <gml:name>Rathaus</gml:name>
      <bldg:function>3000</bldg:function>
      <bldg:storeysAboveGround>2</bldg:storeysAboveGround>
      <bldg:consistsOfBuildingPart><bldg:BuildingPart gml:id="B1-P1">
        <bldg:measuredHeight uom="m">8.5</bldg:measuredHeight>
        <bldg:storeysAboveGround>3</bldg:storeysAboveGround>
        <bldg:lod1Solid><gml:Solid><gml:exterior><gml:CompositeSurface>
          {box1}
        </gml:CompositeSurface></gml:exterior></gml:Solid></bldg:lod1Solid>
      </bldg:BuildingPart></bldg:consistsOfBuildingPart>
      <bldg:consistsOfBuildingPart><bldg:BuildingPart gml:id="B1-P2">
        <bldg:measuredHeight uom="m">12</bldg:measuredHeight>
        <bldg:lod1Solid><gml:Solid><gml:exterior><gml:CompositeSurface>
          {box2}
        </gml:CompositeSurface></gml:exterior></gml:Solid></bldg:lod1Solid>
      </bldg:BuildingPart></bldg:consistsOfBuildingPart>
    </bldg:Building>
  </cityObjectMember>
  <cityObjectMember>
    <bldg:Building gml:id="B2">
      <bldg:lod1Solid><gml:Solid><gml:exterior><gml:CompositeSurface>
        {box3}
      </gml:CompositeSurface></gml:exterior></gml:Solid></bldg:lod1Solid>
    </bldg:Building>
  </cityObjectMember>
</CityModel>
"""


def _box(x0, y0, x1, y1, z0, z1) -> str:
    """A LoD1 block as six gml:Polygon surfaceMembers with 3D posLists."""

    def face(points):
        coords = " ".join(f"{x} {y} {z}" for x, y, z in [*points, points[0]])
        return (
            f"<gml:surfaceMember><gml:Polygon><gml:exterior><gml:LinearRing><gml:posList srsDimension=\"3\">"
            f"{coords}</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon></gml:surfaceMember>"
        )

    a, b, c, d = (x0, y0), (x1, y0), (x1, y1), (x0, y1)
    faces = [[(*p, z0) for p in (a, d, c, b)], [(*p, z1) for p in (a, b, c, d)]]
    for p, q in ((a, b), (b, c), (c, d), (d, a)):
        faces.append([(*p, z0), (*q, z0), (*q, z1), (*p, z1)])
    return "".join(face(f) for f in faces)


def _write(tmp_path: Path, srs: str = "EPSG:25832") -> Path:
    path = tmp_path / "tiny.gml"
    path.write_text(
        CITYGML_1.format(
            srs=srs,
            box1=_box(500000, 5900000, 500010, 5900010, 20, 28.5),
            box2=_box(500010, 5900000, 500020, 5900010, 20.5, 32.5),
            box3=_box(500100, 5900100, 500110, 5900105, 21, 27),
        ),
        encoding="utf-8",
    )
    return path


def test_citygml_1_parts_merged_lod1(tmp_path):
    frame = read_citygml(_write(tmp_path), epsg=25832)["buildings"].set_index("source_id")
    assert list(frame.index) == ["B1", "B2"]
    b1 = frame.loc["B1"]
    assert b1["geometry"].area == pytest.approx(200.0)  # two 10 × 10 parts, merged
    assert len(b1["geometry"].geoms) == 1  # they touch: one polygon
    assert b1["height"] == 12.0  # the taller part's measuredHeight
    assert b1["storeys"] == 3  # max over building and parts
    assert b1["name"] == "Rathaus" and b1["function"] == "3000"
    assert b1["base_height"] == 20.0
    b2 = frame.loc["B2"]  # no measuredHeight: z range of the solid
    assert b2["height"] == pytest.approx(6.0) and not b2["height_estimated"]
    assert b2["geometry"].area == pytest.approx(50.0)
    assert b2["base_height"] == 21.0


def test_citygml_reprojects(tmp_path):
    frame = read_citygml(_write(tmp_path, srs="urn:ogc:def:crs:EPSG::25832"), epsg=4326)["buildings"]
    assert frame.crs.to_epsg() == 4326
    lon, lat = frame.geometry.iloc[0].centroid.coords[0]
    assert lon == pytest.approx(9.0, abs=0.01) and lat == pytest.approx(53.25, abs=0.01)  # UTM 32 centre meridian


def test_citygml_without_crs(tmp_path):
    path = _write(tmp_path, srs="local")
    with pytest.raises(ValueError, match="cannot tell the CRS"):
        read_citygml(path)
    assert len(read_citygml(path, src_epsg=25832)["buildings"]) == 2
