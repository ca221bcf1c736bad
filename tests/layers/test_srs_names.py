"""One srsName reading for every GML importer: an XPlanGML plan and a CityGML building written with the
same German AdV srsName (Gauß-Krüger zone 3, ``DE_DHDN_3GK3``) land on the same ground.

Before store.crs there were two parsers, and the CityGML one did not know the Gauß-Krüger names: the
CityGML import failed ("cannot tell the CRS") where the XPlanGML import of the same square passed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import shapely
from pyproj import Transformer

from layers.citygml import read_citygml
from layers.xplanung import read_xplan
from store.crs import epsg_from_srs_name

GK3_SRS = "urn:adv:crs:DE_DHDN_3GK3*DE_DHHN92_NH"
#: A 20 m square in Bremen, in Gauß-Krüger zone 3 (EPSG:31467), easting first.
GK3_SQUARE = [(3487000.0, 5880000.0), (3487020.0, 5880000.0), (3487020.0, 5880020.0), (3487000.0, 5880020.0)]


def _pos_list(points, z: float | None = None) -> str:
    ring = [*points, points[0]]
    return " ".join(f"{x} {y}" if z is None else f"{x} {y} {z}" for x, y in ring)


def _xplan(tmp_path: Path) -> Path:
    path = tmp_path / "gk3_plan.gml"
    path.write_text(
        f"""<?xml version="1.0" encoding="utf-8"?>
<xplan:XPlanAuszug xmlns:xplan="http://www.xplanung.de/xplangml/5/4" xmlns:gml="http://www.opengis.net/gml/3.2"
  xmlns:xlink="http://www.w3.org/1999/xlink" gml:id="DOC">
 <gml:featureMember><xplan:BP_Plan gml:id="P_GK3">
  <xplan:name>Gauß-Krüger-Plan</xplan:name>
  <xplan:raeumlicherGeltungsbereich>
   <gml:Polygon gml:id="GB" srsName="{GK3_SRS}"><gml:exterior><gml:LinearRing>
    <gml:posList>{_pos_list(GK3_SQUARE)}</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon>
  </xplan:raeumlicherGeltungsbereich>
  <xplan:planArt>1000</xplan:planArt>
 </xplan:BP_Plan></gml:featureMember>
</xplan:XPlanAuszug>
""",
        encoding="utf-8",
    )
    return path


def _citygml(tmp_path: Path) -> Path:
    path = tmp_path / "gk3_city.gml"
    floor = f"""<gml:surfaceMember><gml:Polygon><gml:exterior><gml:LinearRing>
        <gml:posList srsDimension="3">{_pos_list(GK3_SQUARE[::-1], 10.0)}</gml:posList>
        </gml:LinearRing></gml:exterior></gml:Polygon></gml:surfaceMember>"""
    path.write_text(
        f"""<?xml version="1.0" encoding="UTF-8"?>
<CityModel xmlns="http://www.opengis.net/citygml/2.0" xmlns:gml="http://www.opengis.net/gml"
           xmlns:bldg="http://www.opengis.net/citygml/building/2.0">
  <gml:boundedBy><gml:Envelope srsName="{GK3_SRS}" srsDimension="3">
    <gml:lowerCorner>3487000 5880000 10</gml:lowerCorner><gml:upperCorner>3487020 5880020 19</gml:upperCorner>
  </gml:Envelope></gml:boundedBy>
  <cityObjectMember><bldg:Building gml:id="HAUS">
    <bldg:measuredHeight uom="m">9</bldg:measuredHeight>
    <bldg:lod1Solid><gml:Solid><gml:exterior><gml:CompositeSurface>{floor}</gml:CompositeSurface>
    </gml:exterior></gml:Solid></bldg:lod1Solid>
  </bldg:Building></cityObjectMember>
</CityModel>
""",
        encoding="utf-8",
    )
    return path


def test_gauss_krueger_srs_name_reads_the_same_in_xplangml_and_citygml(tmp_path):
    assert epsg_from_srs_name(GK3_SRS) == 31467
    [plan] = read_xplan(_xplan(tmp_path), epsg=25832, validate=False)
    plan_area = plan.frames["bp_plan"].geometry.iloc[0]
    building = read_citygml(_citygml(tmp_path), epsg=25832)["buildings"].geometry.iloc[0]

    to_utm = Transformer.from_crs(31467, 25832, always_xy=True)
    expected = shapely.Polygon([to_utm.transform(x, y) for x, y in GK3_SQUARE])
    assert plan_area.area == pytest.approx(expected.area, rel=1e-3)  # 400 m², give or take the datum shift
    assert plan_area.symmetric_difference(expected).area < 0.5
    assert building.symmetric_difference(expected).area < 0.5
    assert plan_area.symmetric_difference(building).area < 0.5


@pytest.mark.parametrize(
    "name, code",
    [
        ("urn:ogc:def:crs:EPSG::25833", 25833),
        ("EPSG:25832", 25832),
        ("urn:ogc:def:crs:EPSG:6.12:31467", 31467),
        ("http://www.opengis.net/def/crs/EPSG/0/4326", 4326),
        ("http://www.opengis.net/gml/srs/epsg.xml#25832", 25832),
        ("urn:ogc:def:crs,crs:EPSG::25832,crs:EPSG::7837", 25832),  # compound: the horizontal part
        ("urn:adv:crs:ETRS89_UTM32*DE_DHHN2016_NH", 25832),
        ("urn:adv:crs:ETRS89_UTM33", 25833),
        ("urn:adv:crs:DE_DHDN_3GK2*DE_DHHN92_NH", 31466),
        ("urn:adv:crs:DE_DHDN_3GK4", 31468),
        ("urn:adv:crs:ETRS89_Lat-Lon", 4258),
        ("local", None),
        ("", None),
        (None, None),
    ],
)
def test_srs_names(name, code):
    assert epsg_from_srs_name(name) == code
