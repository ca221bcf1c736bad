"""The XPlanGML importer against the 13 real test plans in shared/data/xplan.

Expected values are taken from the GML files themselves (counted with a regular
expression or lxml, independently of the importer) and, for the Gauß-Krüger
plans, from GDAL's GML driver.  The plans are parsed once per module.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import rasterio
import shapely
from lxml import etree
from pyproj import Transformer

from layers.xplanung import XPlanError, read_xplan, xplan_version
from layers.xplanung import bplan as xplan_module
from layers.xplanung import rasters as raster_module
from schema.catalog import LAYERS
from store.base import check_frames

EPSG = 25832

# The warped PNGs carry no georeference by design (their place is bounds_wgs84).
pytestmark = pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")


def _data_dir() -> Path:
    shared = os.environ.get("BUERGERGIS_SHARED_DATA")
    base = Path(shared) if shared else Path(__file__).resolve().parents[2].parent / "shared" / "data"
    return base / "xplan"


DATA = _data_dir()
CITYGML = DATA.parent / "citygml-berlin-mitte" / "Berlin2_3900_5819.gml"

#: folder -> (XPlanung version, CRS of the file, number of BP_Plan, BTF count from SOURCE.txt)
PLANS = {
    "Bahrenfeld74_5-2": ("5.2", 25832, 1, 0),
    "Blankenese29_Test_60": ("6.0", 25832, 1, 42),
    "BPlan001_5-4": ("5.4", 25832, 1, 2),
    "BPlan002_5-1": ("5.1", 25832, 1, 5),
    "BPlan006_6-0_tiff": ("6.0", 25832, 1, 2),
    "Bremen_BP2070_5-2": ("5.2", 31467, 1, 37),
    "Bremen_BP2135_5-2": ("5.2", 31467, 1, 23),
    "Freiburg_Textsortierung_5-1": ("5.1", 25832, 1, 5),
    "LA22_5-2": ("5.2", 31467, 1, 35),
    "LA67_5-2": ("5.2", 31467, 1, 3),
    # SOURCE.txt speaks of two plans; the XPlanAuszug holds three BP_Plan (the plan and two amendments).
    "Langenhorn51_5-2": ("5.2", 25832, 3, 47),
    "Osdorf48_Test_60": ("6.0", 25832, 1, 0),
    "Sallgast_5-1": ("5.1", 25833, 1, 9),
}

#: layer -> XPlanung classes it holds
LAYER_CLASSES = {
    "bp_plan": ("BP_Plan",),
    "bp_bereich": ("BP_Bereich",),
    "bp_baugebiet": ("BP_BaugebietsTeilFlaeche",),
    "bp_baugrenze": ("BP_BauGrenze", "BP_BauLinie"),
    "bp_verkehrsflaeche": (
        "BP_StrassenVerkehrsFlaeche",
        "BP_VerkehrsflaecheBesondererZweckbestimmung",
        "SO_Strassenverkehr",
    ),
    "bp_gruenflaeche": ("BP_GruenFlaeche",),
    "bp_textabschnitt": ("BP_TextAbschnitt", "XP_TextAbschnitt"),
}

GML_ID = "{http://www.opengis.net/gml/3.2}id"


def gml(name: str) -> Path:
    return DATA / name / "xplan.gml"


def gml_ids(name: str, classes) -> set[str]:
    """gml:ids of the features of ``classes`` in a file, read with plain lxml."""
    root = etree.parse(str(gml(name))).getroot()
    return {
        el.get(GML_ID)
        for el in root.iter()
        if isinstance(el.tag, str) and etree.QName(el).localname in classes and el.get(GML_ID)
    }


def frame(imports, layer_id: str) -> gpd.GeoDataFrame:
    """One layer of all plans of a file."""
    return gpd.GeoDataFrame(
        pd.concat([p.frames[layer_id] for p in imports], ignore_index=True), geometry="geometry", crs=EPSG
    )


def to_wgs84_bounds(geom) -> tuple[float, float, float, float]:
    return Transformer.from_crs(EPSG, 4326, always_xy=True).transform_bounds(*geom.bounds)


@pytest.fixture(scope="module")
def imported() -> dict[str, list]:
    """Every plan file read once (without rasters)."""
    if not DATA.is_dir():
        pytest.fail(f"XPlanGML test data not found at {DATA} (set BUERGERGIS_SHARED_DATA)")
    return {name: read_xplan(gml(name), epsg=EPSG) for name in PLANS}


@pytest.fixture(scope="module")
def with_rasters(tmp_path_factory) -> tuple[Path, dict[str, list]]:
    raster_dir = tmp_path_factory.mktemp("rasters")
    names = ("BPlan006_6-0_tiff", "Blankenese29_Test_60", "Osdorf48_Test_60", "BPlan002_5-1", "Sallgast_5-1")
    return raster_dir, {name: read_xplan(gml(name), epsg=EPSG, raster_dir=raster_dir) for name in names}


# --------------------------------------------------------------------------- every plan


def test_all_thirteen_plan_folders_are_there():
    assert sorted(p.name for p in DATA.iterdir() if p.is_dir()) == sorted(PLANS)


@pytest.mark.parametrize("name", sorted(PLANS))
def test_plan_imports_into_the_common_schema(imported, name):
    version, _, n_plans, _ = PLANS[name]
    plans = imported[name]
    assert len(plans) == n_plans
    for plan in plans:
        assert set(plan.frames) == set(xplan_module.XPLAN_LAYERS) | {"xplan_plan", "xplan_objekt"}
        check_frames(plan.frames, EPSG)  # what the store will check before writing
        for layer_id, f in plan.frames.items():
            assert set(f.columns) <= set(LAYERS[layer_id].columns) | {"geometry"}, layer_id
            assert f.crs.to_epsg() == EPSG
            assert (f["plan_id"] == plan.plan_id).all()
        row = plan.frames["bp_plan"].iloc[0]
        assert row["id"] == plan.plan_id and row["name"] == plan.name
        assert row["xplan_version"] == version
        assert row["source_file"] == f"{name}/xplan.gml"
        assert row["imported_at"].endswith("+00:00")
        geom = row.geometry
        assert geom.geom_type == "MultiPolygon" and geom.is_valid and geom.area > 100
        assert all(w and isinstance(w, str) for w in plan.warnings)


@pytest.mark.parametrize("name", sorted(PLANS))
def test_xplan_version_is_read_from_the_namespace(name):
    assert xplan_version(etree.parse(str(gml(name))).getroot()) == PLANS[name][0]


@pytest.mark.parametrize("name", sorted(PLANS))
def test_baugebiet_count_equals_the_elements_in_the_file(imported, name):
    text = gml(name).read_text(encoding="utf-8-sig")
    in_file = len(re.findall(r"<(?:\w+:)?BP_BaugebietsTeilFlaeche[\s>]", text))
    assert in_file == PLANS[name][3]  # SOURCE.txt agrees with the file
    assert sum(len(p.frames["bp_baugebiet"]) for p in imported[name]) == in_file


@pytest.mark.parametrize("name", sorted(PLANS))
def test_row_ids_are_the_gml_ids_of_the_file(imported, name):
    for layer_id, classes in LAYER_CLASSES.items():
        ids = [i for p in imported[name] for i in p.frames[layer_id]["id"]]
        assert len(ids) == len(set(ids)), layer_id
        assert set(ids) == gml_ids(name, classes), layer_id
    xplan_classes = set(frame(imported[name], "bp_baugrenze")["xplan_class"])
    assert xplan_classes <= {"BP_BauGrenze", "BP_BauLinie"}


@pytest.mark.parametrize("name", sorted(PLANS))
def test_polygon_layers_hold_valid_polygons(imported, name):
    for plan in imported[name]:
        for layer_id in ("bp_bereich", "bp_baugebiet", "bp_textabschnitt"):
            geoms = plan.frames[layer_id].geometry
            assert geoms.notna().all(), layer_id
            assert (geoms.geom_type == "MultiPolygon").all() and geoms.is_valid.all(), layer_id
        for layer_id in ("bp_baugrenze", "bp_verkehrsflaeche", "bp_gruenflaeche"):
            geoms = plan.frames[layer_id].geometry.dropna()
            assert geoms.is_valid.all() and not geoms.is_empty.any(), layer_id
        bg = plan.frames["bp_baugebiet"]
        assert np.allclose(bg["flaeche_m2"], bg.geometry.area)


@pytest.mark.parametrize("name", sorted(PLANS))
def test_grz_gfz_z_agree_with_the_gml(imported, name):
    """Every BTF's GRZ, GFZ and Z as lxml reads them (0 meaning 'not set')."""
    bg = frame(imported[name], "bp_baugebiet").set_index("id")
    root = etree.parse(str(gml(name))).getroot()
    for el in root.iter("{*}BP_BaugebietsTeilFlaeche"):
        row = bg.loc[el.get(GML_ID)]
        for tag, column in (("GRZ", "grz"), ("GFZ", "gfz"), ("Z", "z"), ("GF", "gf")):
            value = el.findtext(f"{{*}}{tag}")
            if value is None or float(value) == 0:
                assert pd.isna(row[column]), (tag, row.name)
            else:
                assert float(row[column]) == float(value), (tag, row.name)


# --------------------------------------------------------------------------- particular plans


def test_la22_baugebiet_values_literally(imported):
    bg = frame(imported["LA22_5-2"], "bp_baugebiet").set_index("id")
    mi = bg.loc["GML_0e0bbca5-6210-4f68-9407-9fa4d9479fec"]
    assert (mi.grz, mi.gfz, mi.z) == (0.8, 1.6, 3)
    assert (mi.art_code, mi.besondere_art_der_baulichen_nutzung) == ("MI", "Mischgebiet")
    assert (mi.bauweise, mi.bauweise_code) == ("GeschlosseneBauweise", "2000")
    assert (mi.rechtscharakter, mi.xplan_class) == ("Festsetzung", "BP_BaugebietsTeilFlaeche")
    wa = bg.loc["GML_026f9102-b180-4047-92c1-db19733f8375"]
    assert (wa.grz, wa.gf, wa.z, wa.art_code) == (0.3, 360.0, 3, "WA")
    assert np.isnan(wa.gfz)  # GFZ=0 in the file: the writer's "empty"
    assert wa.bauweise is None
    warnings_ = imported["LA22_5-2"][0].warnings
    assert any("GFZ ×30" in w for w in warnings_)
    # A self-intersecting BTF is repaired, and the warning names it.
    assert any(w.startswith("GML_8628d73e-fce5-42f8-933e-75df84725900: invalid geometry repaired") for w in warnings_)
    assert bg.loc["GML_8628d73e-fce5-42f8-933e-75df84725900"].geometry.is_valid


def test_plan_attributes_are_decoded(imported):
    bahrenfeld = imported["Bahrenfeld74_5-2"][0].frames["bp_plan"].iloc[0]
    assert bahrenfeld.planart == "EinfacherBPlan"
    assert (bahrenfeld.rechtsstand, bahrenfeld.rechtsstand_code) == ("Satzung", "3000")
    assert bahrenfeld.gemeinde == "Freie und Hansestadt Hamburg"
    assert (
        bahrenfeld.aufstellungsbeschluss_datum,
        bahrenfeld.auslegung_start_datum,
        bahrenfeld.auslegung_end_datum,
        bahrenfeld.inkrafttretens_datum,
    ) == ("2017-11-08", "2021-11-22", "2021-12-23", "2022-03-02")
    osdorf = imported["Osdorf48_Test_60"][0].frames["bp_plan"].iloc[0]
    assert (osdorf.rechtsstand, osdorf.planart) == ("AusserKraft", "BebauungsplanZurWohnraumversorgung")
    assert osdorf.satzungsbeschluss_datum == "2019-04-25"
    freiburg = imported["Freiburg_Textsortierung_5-1"][0].frames["bp_plan"].iloc[0]
    assert (freiburg.nummer, freiburg.rechtsstand, freiburg.planart) == (
        "2-097",
        "InkraftGetreten",
        "QualifizierterBPlan",
    )


def test_other_layers_are_decoded(imported):
    gruen = frame(imported["LA22_5-2"], "bp_gruenflaeche")
    assert {"Parkanlage", "Spielplatz"} <= set(gruen["zweckbestimmung"].dropna())
    assert set(gruen["nutzungsform"].dropna()) == {"Oeffentlich", "Privat"}
    assert set(gruen["rechtscharakter"]) == {"Unbekannt"}  # 9998 in the file
    # 6.0 nests the Zweckbestimmung in BP_KomplexeZweckbestGruen/allgemein.
    assert list(frame(imported["BPlan006_6-0_tiff"], "bp_gruenflaeche")["zweckbestimmung"]) == ["Spielplatz"]
    verkehr = frame(imported["Freiburg_Textsortierung_5-1"], "bp_verkehrsflaeche")
    assert {"RadGehweg", "VerkehrsberuhigterBereich", "Fussgaengerbereich"} <= set(verkehr["zweckbestimmung"].dropna())
    grenzen = frame(imported["Bremen_BP2070_5-2"], "bp_baugrenze")
    assert grenzen["art"].value_counts().to_dict() == {"Baugrenze": 33, "Baulinie": 23}
    blankenese = frame(imported["Blankenese29_Test_60"], "bp_baugebiet")
    assert set(blankenese["art_code"]) == {"WR", "WA"}
    assert "Einzelhaeuser" in set(blankenese["bebauungsart"].dropna())
    assert blankenese["max_zahl_wohnungen"].notna().sum() == 39
    # Heights: GBH over NHN sits on the overbuildable areas inside the BTF (BPlan006: "GH 30", "GH 22,5").
    assert sorted(frame(imported["BPlan006_6-0_tiff"], "bp_baugebiet")["h_max_nhn"]) == [22.5, 30.0]


def test_texts_in_document_order_on_the_geltungsbereich(imported):
    plan = imported["Freiburg_Textsortierung_5-1"][0]
    texts = plan.frames["bp_textabschnitt"]
    assert list(texts["sort_key"]) == list(range(1, 43))
    assert texts.iloc[0]["schluessel"].startswith("1.1 Dorfgebiet")
    assert set(texts["rechtscharakter"]) == {"Festsetzung", "Hinweis"}
    geltungsbereich = plan.frames["bp_plan"].geometry.iloc[0]
    assert all(g.equals(geltungsbereich) for g in texts.geometry)
    assert texts["text"].notna().all()


def test_langenhorn_holds_three_plans_each_with_its_objects(imported):
    plans = {p.plan_id: p for p in imported["Langenhorn51_5-2"]}
    assert set(plans) == gml_ids("Langenhorn51_5-2", ("BP_Plan",))
    main = plans["GML_BE1B6E29-B3EC-4766-A10A-8FDD720984A9"]
    assert main.name == "Langenhorn51_SoapUI-XPlanManagerAPI"
    assert len(main.frames["bp_baugebiet"]) == 47
    assert set(main.frames["bp_baugebiet"]["bereich_id"]) == {"GML_B19506E0-E9BF-4240-8AF7-03DE77C94B0C"}
    # Texts follow BP_Plan.texte: 3 + 7 + 4.
    assert sorted(len(p.frames["bp_textabschnitt"]) for p in plans.values()) == [3, 4, 7]
    assert not any("belong to no BP_Plan" in w for p in plans.values() for w in p.warnings)


def test_langenhorn_cluster_lies_in_hamburg_langenhorn(imported):
    for name in ("Langenhorn51_5-2", "LA22_5-2", "LA67_5-2"):
        for plan in imported[name]:
            west, south, east, north = to_wgs84_bounds(plan.frames["bp_plan"].geometry.iloc[0])
            assert 9.98 < west < east < 10.03 and 53.655 < south < north < 53.685, (name, plan.plan_id)
    langenhorn = imported["Langenhorn51_5-2"][-1].frames["bp_plan"].geometry.iloc[0]
    west, south, east, north = to_wgs84_bounds(langenhorn)
    assert west > 9.99 and east < 10.02 and south > 53.66 and north < 53.68


@pytest.mark.parametrize("name", ["LA22_5-2", "LA67_5-2", "Bremen_BP2070_5-2", "Bremen_BP2135_5-2", "Sallgast_5-1"])
def test_geltungsbereich_agrees_with_gdal(imported, name):
    """Gauß-Krüger (EPSG:31467) and UTM 33 plans land where GDAL's GML driver puts them."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gdal = pyogrio.read_dataframe(gml(name), layer="BP_Plan", WRITE_GFS="NO")
    assert gdal.crs.to_epsg() == PLANS[name][1]
    gdal = gdal.to_crs(EPSG).set_index("gml_id")
    for plan in imported[name]:
        ours = plan.frames["bp_plan"].geometry.iloc[0]
        theirs = gdal.loc[plan.plan_id].geometry
        assert abs(ours.area - theirs.area) / theirs.area < 0.005
        assert ours.centroid.distance(theirs.centroid) < 1.0
        assert shapely.hausdorff_distance(ours, theirs) < 1.0


def test_curved_geometries_agree_with_gdal(imported):
    """Langenhorn51 is full of Arc/ArcString rings: our densified curves match GDAL's to centimetres."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gdal = pyogrio.read_dataframe(gml("Langenhorn51_5-2"), layer="BP_BaugebietsTeilFlaeche", WRITE_GFS="NO")
    gdal = gdal.set_index("gml_id")
    ours = frame(imported["Langenhorn51_5-2"], "bp_baugebiet").set_index("id")
    for gml_id, row in ours.iterrows():
        theirs = gdal.loc[gml_id].geometry
        assert abs(row.geometry.area - theirs.area) / theirs.area < 1e-3, gml_id
        assert shapely.hausdorff_distance(row.geometry, theirs) < 0.1, gml_id


# --------------------------------------------------------------------------- rasters


def test_rasters_are_warped_to_web_mercator_pngs(with_rasters):
    raster_dir, imports = with_rasters
    expected = {
        "BPlan006_6-0_tiff": ["BPlan006_6-0"],
        "Blankenese29_Test_60": ["Blankenese29"],
        "Osdorf48_Test_60": ["Osdorf48"],
        "BPlan002_5-1": ["BPlan002_5-1TeilA", "BPlan002_5-1TeilB"],
    }
    for name, stems in expected.items():
        (plan,) = imports[name]
        rasters = plan.frames["bp_planraster"]
        assert sorted(rasters["id"]) == [f"{plan.plan_id}:{s}" for s in stems]
        check_frames(plan.frames, EPSG)
        plan_box = to_wgs84_bounds(plan.frames["bp_plan"].geometry.iloc[0])
        for _, row in rasters.iterrows():
            stem = row["id"].split(":", 1)[1]
            assert row.image_url == f"rasters/{plan.plan_id}/{stem}.png"
            png = raster_dir / plan.plan_id / f"{stem}.png"
            with rasterio.open(png) as ds:
                assert (ds.width, ds.height, ds.count) == (row.width_px, row.height_px, 4)
                alpha = ds.read(4)
            assert max(row.width_px, row.height_px) <= raster_module.MAX_RASTER_PX
            assert (alpha == 0).any() and (alpha == 255).any()  # transparent outside, opaque plan
            (south, west), (north, east) = json.loads(row.bounds_wgs84)
            assert south < north and west < east
            # Near the plan: within ~500 m of its Geltungsbereich.
            assert west < plan_box[2] + 0.01 and east > plan_box[0] - 0.01
            assert south < plan_box[3] + 0.005 and north > plan_box[1] - 0.005
            assert row.geometry.geom_type == "Polygon" and row.geometry.is_valid
        main = rasters.iloc[0]
        if name != "BPlan002_5-1":  # TeilA/TeilB: the first sheet covers the plan
            assert main.geometry.intersection(plan.frames["bp_plan"].geometry.iloc[0]).area > 0


def test_geotiff_bounds_match_the_tiff(with_rasters):
    _, imports = with_rasters
    row = imports["BPlan006_6-0_tiff"][0].frames["bp_planraster"].iloc[0]
    with rasterio.open(DATA / "BPlan006_6-0_tiff" / "BPlan006_6-0.tiff") as ds:
        west, south, east, north = Transformer.from_crs(ds.crs.to_epsg(), 4326, always_xy=True).transform_bounds(
            *ds.bounds
        )
    (s, w), (n, e) = json.loads(row.bounds_wgs84)
    assert np.allclose([s, w, n, e], [south, west, north, east], atol=2e-5)
    assert abs(row.geometry.area - 88.5 * 103.8) < 5  # the tiff covers ~88.5 m x 103.8 m


def test_missing_raster_is_a_warning(with_rasters):
    _, imports = with_rasters
    (plan,) = imports["Sallgast_5-1"]
    assert plan.frames["bp_planraster"].empty
    missing = [w for w in plan.warnings if "referenced but missing" in w]
    assert len(missing) == 2 and any("B-Plan_Klingmuehl_Heideweg_Karte.tif" in w for w in missing)


def test_no_raster_rows_without_raster_dir(imported):
    assert all(p.frames["bp_planraster"].empty for plans in imported.values() for p in plans)


def test_big_rasters_are_downsampled(tmp_path, monkeypatch):
    monkeypatch.setattr(raster_module, "MAX_RASTER_PX", 200)
    (plan,) = read_xplan(gml("BPlan006_6-0_tiff"), raster_dir=tmp_path)
    row = plan.frames["bp_planraster"].iloc[0]
    assert 190 <= max(row.width_px, row.height_px) <= 200  # 878 px high in the tiff
    with rasterio.open(tmp_path / plan.plan_id / "BPlan006_6-0.png") as ds:
        assert (ds.width, ds.height) == (row.width_px, row.height_px)


# --------------------------------------------------------------------------- errors


def _expect_error(path, *fragments):
    with pytest.raises(XPlanError) as err:
        read_xplan(path)
    message = str(err.value)
    for fragment in fragments:
        assert fragment in message, message
    return message


def test_missing_file(tmp_path):
    _expect_error(tmp_path / "nirgends.gml", "nirgends.gml", "not found")


def test_not_xml(tmp_path):
    path = tmp_path / "kaputt.gml"
    path.write_text("Das ist kein XML.\n")
    _expect_error(path, "kaputt.gml", "not well-formed XML")


def test_citygml_is_not_xplangml():
    _expect_error(CITYGML, "Berlin2_3900_5819.gml", "not an XPlanGML document", "CityModel")


def test_random_xml_is_not_xplangml(tmp_path):
    path = tmp_path / "fremd.xml"
    path.write_text('<?xml version="1.0"?><foo xmlns="urn:example"><bar/></foo>')
    _expect_error(path, "fremd.xml", "not an XPlanGML document (root element is {urn:example}foo)")


def test_truncated_xplangml(tmp_path):
    path = tmp_path / "abgeschnitten.gml"
    path.write_bytes(gml("LA67_5-2").read_bytes()[:30000])
    _expect_error(path, "abgeschnitten.gml", "not well-formed XML")


def test_xplangml_without_any_plan(tmp_path):
    path = tmp_path / "keinplan.gml"
    path.write_text(gml("Bahrenfeld74_5-2").read_text(encoding="utf-8").replace("BP_Plan", "XP_Plan_unbekannt"))
    _expect_error(path, "keinplan.gml", "without any plan")


def test_unreadable_geometry_names_the_object(tmp_path):
    text = gml("BPlan001_5-4").read_text(encoding="utf-8")
    start = text.index("<gml:posList")
    end = text.index(">", start) + 1
    path = tmp_path / "geometrie.gml"
    path.write_text(text[:end] + "abc " + text[end:])
    _expect_error(path, "geometrie.gml", "GML_bf2168c4-c292-4340-bc50-7a2aa2cab5be", "not numbers")


# --------------------------------------------------------------------------- GML geometry kinds


def _synthetic(tmp_path: Path) -> Path:
    """A small XPlanGML 5.4 plan using geometry kinds the real files lack (Surface/PolygonPatch,
    CompositeSurface, MultiCurve, MultiPoint, a bow-tie, northing-first Gauß-Krüger)."""
    to_gk = Transformer.from_crs(EPSG, 31467, always_xy=True)
    square = [(500120, 5900120), (500140, 5900120), (500140, 5900140), (500120, 5900140), (500120, 5900120)]
    gk_northing_first = " ".join(f"{y:.3f} {x:.3f}" for x, y in (to_gk.transform(*p) for p in square))
    doc = f"""<?xml version="1.0" encoding="utf-8"?>
<xplan:XPlanAuszug xmlns:xplan="http://www.xplanung.de/xplangml/5/4" xmlns:gml="http://www.opengis.net/gml/3.2"
  xmlns:xlink="http://www.w3.org/1999/xlink" gml:id="DOC">
 <gml:boundedBy><gml:Envelope srsName="EPSG:25832"><gml:lowerCorner>500000 5900000</gml:lowerCorner>
   <gml:upperCorner>500200 5900200</gml:upperCorner></gml:Envelope></gml:boundedBy>
 <gml:featureMember><xplan:BP_Plan gml:id="P1">
  <xplan:name>Synthetischer Plan</xplan:name>
  <xplan:raeumlicherGeltungsbereich>
   <gml:Surface gml:id="S1" srsName="urn:ogc:def:crs:EPSG::25832"><gml:patches><gml:PolygonPatch>
    <gml:exterior><gml:Ring><gml:curveMember><gml:Curve gml:id="C1"><gml:segments>
     <gml:LineStringSegment interpolation="linear"><gml:posList>500000 5900000 500100 5900000</gml:posList></gml:LineStringSegment>
     <gml:Arc interpolation="circularArc3Points"><gml:posList>500100 5900000 500150 5900050 500100 5900100</gml:posList></gml:Arc>
     <gml:LineStringSegment interpolation="linear"><gml:posList>500100 5900100 500000 5900100 500000 5900000</gml:posList></gml:LineStringSegment>
    </gml:segments></gml:Curve></gml:curveMember></gml:Ring></gml:exterior>
   </gml:PolygonPatch></gml:patches></gml:Surface>
  </xplan:raeumlicherGeltungsbereich>
  <xplan:planArt>1000</xplan:planArt>
  <xplan:rechtsstand>4000</xplan:rechtsstand>
  <xplan:auslegungsStartDatum>2020-03-01</xplan:auslegungsStartDatum>
  <xplan:auslegungsStartDatum>2020-01-01</xplan:auslegungsStartDatum>
  <xplan:auslegungsEndDatum>2020-02-01</xplan:auslegungsEndDatum>
  <xplan:auslegungsEndDatum>2020-04-01</xplan:auslegungsEndDatum>
  <xplan:bereich xlink:href="#B1"/>
 </xplan:BP_Plan></gml:featureMember>
 <gml:featureMember><xplan:BP_Bereich gml:id="B1"><xplan:nummer>0</xplan:nummer>
  <xplan:gehoertZuPlan xlink:href="#P1"/></xplan:BP_Bereich></gml:featureMember>
 <gml:featureMember><xplan:BP_BaugebietsTeilFlaeche gml:id="BTF1">
  <xplan:gehoertZuBereich xlink:href="#B1"/>
  <xplan:rechtscharakter>1000</xplan:rechtscharakter>
  <xplan:position><gml:CompositeSurface gml:id="CS1" srsName="EPSG:25832">
   <gml:surfaceMember><gml:Polygon gml:id="CS1a"><gml:exterior><gml:LinearRing><gml:posList>
    500000 5900000 500050 5900000 500050 5900050 500000 5900050 500000 5900000</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon></gml:surfaceMember>
   <gml:surfaceMember><gml:Polygon gml:id="CS1b"><gml:exterior><gml:LinearRing><gml:posList>
    500050 5900000 500100 5900000 500100 5900050 500050 5900050 500050 5900000</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon></gml:surfaceMember>
  </gml:CompositeSurface></xplan:position>
  <xplan:GRZ>0.6</xplan:GRZ><xplan:GFZ>1.2</xplan:GFZ><xplan:Zmax>4</xplan:Zmax>
  <xplan:besondereArtDerBaulNutzung>1550</xplan:besondereArtDerBaulNutzung>
  <xplan:hoehenangabe><xplan:XP_Hoehenangabe><xplan:hoehenbezug>2000</xplan:hoehenbezug>
   <xplan:bezugspunkt>2000</xplan:bezugspunkt><xplan:hMax uom="m">12.5</xplan:hMax></xplan:XP_Hoehenangabe></xplan:hoehenangabe>
 </xplan:BP_BaugebietsTeilFlaeche></gml:featureMember>
 <gml:featureMember><xplan:BP_BaugebietsTeilFlaeche gml:id="BTF2">
  <xplan:gehoertZuBereich xlink:href="#B1"/>
  <xplan:position><gml:Polygon gml:id="BOWTIE" srsName="EPSG:25832"><gml:exterior><gml:LinearRing><gml:posList>
   500000 5900060 500040 5900100 500040 5900060 500000 5900100 500000 5900060</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon></xplan:position>
  <xplan:allgArtDerBaulNutzung>3000</xplan:allgArtDerBaulNutzung>
 </xplan:BP_BaugebietsTeilFlaeche></gml:featureMember>
 <gml:featureMember><xplan:BP_BaugebietsTeilFlaeche gml:id="BTF3">
  <xplan:gehoertZuBereich xlink:href="#B1"/>
  <xplan:position><gml:Polygon gml:id="GK" srsName="urn:ogc:def:crs:EPSG::31467"><gml:exterior><gml:LinearRing>
   <gml:posList>{gk_northing_first}</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon></xplan:position>
  <xplan:besondereArtDerBaulNutzung>1200</xplan:besondereArtDerBaulNutzung>
 </xplan:BP_BaugebietsTeilFlaeche></gml:featureMember>
 <gml:featureMember><xplan:BP_BauLinie gml:id="BL1">
  <xplan:gehoertZuBereich xlink:href="#B1"/>
  <xplan:position><gml:MultiCurve gml:id="MC1" srsName="EPSG:25832">
   <gml:curveMember><gml:LineString gml:id="L1"><gml:posList>500000 5900000 500010 5900000</gml:posList></gml:LineString></gml:curveMember>
   <gml:curveMember><gml:LineString gml:id="L2"><gml:posList>500020 5900000 500030 5900000</gml:posList></gml:LineString></gml:curveMember>
  </gml:MultiCurve></xplan:position>
 </xplan:BP_BauLinie></gml:featureMember>
 <gml:featureMember><xplan:BP_HoehenMass gml:id="HM1">
  <xplan:gehoertZuBereich xlink:href="#B1"/>
  <xplan:hoehenangabe><xplan:XP_Hoehenangabe><xplan:hoehenbezug>1000</xplan:hoehenbezug>
   <xplan:bezugspunkt>6000</xplan:bezugspunkt><xplan:h uom="m">31</xplan:h></xplan:XP_Hoehenangabe></xplan:hoehenangabe>
  <xplan:position><gml:MultiPoint gml:id="MP1" srsName="EPSG:25832">
   <gml:pointMember><gml:Point gml:id="PT1"><gml:pos>500010 5900010</gml:pos></gml:Point></gml:pointMember>
  </gml:MultiPoint></xplan:position>
 </xplan:BP_HoehenMass></gml:featureMember>
 <gml:featureMember><xplan:BP_TextAbschnitt gml:id="T1">
  <xplan:schluessel>§ 1</xplan:schluessel><xplan:text>Nur ein Text.</xplan:text>
  <xplan:rechtscharakter>3000</xplan:rechtscharakter>
 </xplan:BP_TextAbschnitt></gml:featureMember>
</xplan:XPlanAuszug>
"""
    path = tmp_path / "synthetisch.gml"
    path.write_text(doc, encoding="utf-8")
    return path


def test_geometry_kinds_of_a_synthetic_plan(tmp_path):
    (plan,) = read_xplan(_synthetic(tmp_path), epsg=EPSG)
    check_frames(plan.frames, EPSG)
    row = plan.frames["bp_plan"].iloc[0]
    # Surface/PolygonPatch with a Ring of line segments and a half-circle Arc of radius 50.
    assert abs(row.geometry.area - (100 * 100 + np.pi * 50**2 / 2)) < 1.0
    assert row.geometry.bounds == pytest.approx((500000, 5900000, 500150, 5900100), abs=1e-6)
    assert (row.planart, row.rechtsstand) == ("BPlan", "InkraftGetreten")
    assert (row.auslegung_start_datum, row.auslegung_end_datum) == ("2020-01-01", "2020-04-01")
    assert plan.frames["bp_bereich"].geometry.iloc[0].equals(row.geometry)  # no own geltungsbereich

    bg = plan.frames["bp_baugebiet"].set_index("id")
    btf1 = bg.loc["BTF1"]
    assert btf1.geometry.area == pytest.approx(5000)  # the two squares of the CompositeSurface
    assert len(btf1.geometry.geoms) == 1  # ... merged into one surface
    assert (btf1.art_code, btf1.grz, btf1.gfz, btf1.z_max) == ("MU", 0.6, 1.2, 4)
    assert (btf1.h_max, btf1.h_max_nhn) == (12.5, 31.0)  # own FH; GBH of the MultiPoint HoehenMass inside
    btf2 = bg.loc["BTF2"]
    assert btf2.geometry.is_valid and btf2.geometry.area == pytest.approx(800)
    assert btf2.art_code == "G"
    assert any(w.startswith("BTF2: invalid geometry repaired") for w in plan.warnings)
    btf3 = bg.loc["BTF3"]
    assert btf3.geometry.centroid.distance(shapely.Point(500130, 5900130)) < 1.5
    assert btf3.geometry.area == pytest.approx(400, rel=0.01)
    assert any("northing/easting order" in w for w in plan.warnings)

    baulinie = plan.frames["bp_baugrenze"].iloc[0]
    assert (baulinie.art, baulinie.geometry.geom_type, baulinie.geometry.length) == ("Baulinie", "MultiLineString", 20)
    text = plan.frames["bp_textabschnitt"].iloc[0]  # not in BP_Plan.texte: the only plan's
    assert (text.id, text.rechtscharakter, text.sort_key) == ("T1", "Hinweis", 1)
    objekte = plan.frames["xplan_objekt"].set_index("id")
    assert "BP_HoehenMass" in set(objekte["xplan_class"])  # no dedicated layer, stored with every other object
    assert not any("not imported" in w for w in plan.warnings)


def test_reprojection_to_another_storage_crs(tmp_path):
    """A Kommune with EPSG:25833 storage gets the same plan in UTM 33."""
    (plan,) = read_xplan(gml("Bahrenfeld74_5-2"), epsg=25833)
    geom = plan.frames["bp_plan"].geometry.iloc[0]
    assert plan.frames["bp_plan"].crs.to_epsg() == 25833
    back = Transformer.from_crs(25833, 4326, always_xy=True).transform_bounds(*geom.bounds)
    assert 9.9 < back[0] < back[2] < 9.95 and 53.55 < back[1] < back[3] < 53.57
    check_frames(plan.frames, 25833)


def test_gml_copied_without_rasters_warns(tmp_path):
    folder = tmp_path / "Osdorf48_copy"
    folder.mkdir()
    shutil.copy(gml("Osdorf48_Test_60"), folder / "xplan.gml")
    (plan,) = read_xplan(folder / "xplan.gml", raster_dir=tmp_path / "out")
    assert plan.frames["bp_planraster"].empty
    assert any("Osdorf48.png is referenced but missing" in w for w in plan.warnings)
