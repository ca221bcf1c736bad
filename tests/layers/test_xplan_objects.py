"""Every object of every shared plan (BP, FP, SO, RP, LP; XPlanung 4.0–6.0) is read, with every property.

Expected counts come straight from the GML with lxml (no importer code): a feature member is an element
of the document's XPlanung namespace carrying a gml:id directly below a featureMember/member (or the root).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

from layers.xplanung import XPlanError, read_xplan
from layers.xplanung.reader import read_document
from layers.xplanung.schema import VERSIONS, schema
from tests.conftest import SHARED_DATA

GML_ID = ("{http://www.opengis.net/gml/3.2}id", "{http://www.opengis.net/gml}id")
PLAN_FILES = sorted((SHARED_DATA / "xplan").glob("*/xplan.gml")) + sorted(
    (SHARED_DATA / "xplan-more").glob("*/xplan.gml")
)


def gml_class_counts(path: Path) -> Counter:
    """Feature members per class, counted from the raw XML."""
    root = etree.parse(str(path)).getroot()
    counts: Counter = Counter()
    for member in root.iter():
        if not isinstance(member.tag, str) or etree.QName(member).localname not in (
            "featureMember",
            "featureMembers",
            "member",
        ):
            continue
        for el in member:
            if isinstance(el.tag, str) and "xplanung.de" in el.tag and any(el.get(a) for a in GML_ID):
                counts[etree.QName(el).localname] += 1
    return counts


def test_the_shared_files_cover_every_plan_type_and_many_versions():
    assert len(PLAN_FILES) == 25
    kinds = Counter()
    for path in PLAN_FILES:
        kinds.update(c.split("_")[0] for c in gml_class_counts(path) if c.endswith("_Plan"))
    assert set(kinds) == {"BP", "FP", "SO", "RP", "LP"}


@pytest.mark.parametrize("path", PLAN_FILES, ids=lambda p: p.parent.name)
def test_every_feature_member_is_read_with_its_class(path):
    expected = gml_class_counts(path)
    plans = read_xplan(path, validate=False)
    stored: Counter = Counter()
    for plan in plans:
        frame = plan.frames["xplan_objekt"]
        stored.update(frame["xplan_class"])
        assert all(v["in_file"] == v["stored"] for v in plan.class_counts.values()), plan.class_counts
        assert set(frame["plan_id"]) == {plan.plan_id}
        assert len(plan.frames["xplan_plan"]) == 1
    assert stored == expected
    assert sum(plan.frames["xplan_objekt"]["id"].nunique() for plan in plans) == sum(expected.values())


def test_a_baufenster_keeps_every_attribute_with_codes_and_labels():
    path = SHARED_DATA / "xplan" / "BPlan006_6-0_tiff" / "xplan.gml"
    frame = read_xplan(path, validate=False)[0].frames["xplan_objekt"]
    row = frame[frame.xplan_class == "BP_UeberbaubareGrundstuecksFlaeche"].iloc[0]
    attributes = json.loads(row["attributes"])
    assert attributes["Z"] == 7
    height = attributes["hoehenangabe"][0]
    assert height["_type"] == "XP_Hoehenangabe"
    assert height["bezugspunkt"] == {"code": "6000", "name": "GBH", "label": "Gebäudehöhe"}
    assert height["h"] == 30.0
    assert attributes["rechtscharakter"]["name"] == "FestsetzungBPlan"
    assert row["rechtscharakter"] == "FestsetzungBPlan"
    assert row["geometry_kind"] == "Flaeche"
    assert row["class_group"] == "BP_Ueberlagerungsobjekt"


def test_xplan_4_0_codes_get_names_from_later_versions():
    """The 4.0 schema lists bare codes; their names come from the same enumeration in 4.1+."""
    path = SHARED_DATA / "xplan-more" / "BP_4-0_Hamburg" / "xplan.gml"
    frame = read_xplan(path, validate=False)[0].frames["xplan_objekt"]
    btf = json.loads(frame[frame.xplan_class == "BP_BaugebietsTeilFlaeche"].iloc[0]["attributes"])
    assert btf["besondereArtDerBaulNutzung"]["code"] == "1200"
    assert btf["besondereArtDerBaulNutzung"]["name"] == "AllgWohngebiet"


@pytest.mark.parametrize(
    "folder, plan_type",
    [
        ("FP_6-0-2_Hamburg_SO-Objekte", "FP"),
        ("LP_6-0_Test", "LP"),
        ("RP_5-1_Test", "RP"),
        ("SO_5-1_StErhVO_Heidberg", "SO"),
        ("BP_4-1_BPlan001_Hamburg", "BP"),
    ],
)
def test_plans_of_every_type_are_imported(folder, plan_type):
    plan = read_xplan(SHARED_DATA / "xplan-more" / folder / "xplan.gml", validate=False)[0]
    row = plan.frames["xplan_plan"].iloc[0]
    assert row["plan_type"] == plan_type
    assert row["name"]
    assert plan.frames["xplan_plan"].geometry.iloc[0] is not None
    # only Bebauungspläne fill the dedicated bp_* layers
    assert ("bp_baugebiet" in plan.frames) == (plan_type == "BP")


def test_objects_keep_their_plan_and_bereich():
    doc = read_document(SHARED_DATA / "xplan" / "Langenhorn51_5-2" / "xplan.gml")
    plans = [o for o in doc.objects if o.is_plan]
    assert len(plans) == 3  # the plan and its two amendments
    assert all(o.plan_id in {p.id for p in plans} for o in doc.objects)
    bereiche = {o.id for o in doc.objects if o.is_bereich}
    content = [o for o in doc.objects if not o.is_plan and not o.is_bereich and o.bereich_id]
    assert content and all(o.bereich_id in bereiche for o in content)


def test_every_shipped_schema_knows_its_feature_classes():
    for version in VERSIONS:
        model = schema(version)
        classes = model.feature_classes()
        assert len(classes) > 150, version
        assert "BP_BaugebietsTeilFlaeche" in classes and "FP_Plan" in classes, version
        assert model.classes["BP_BaugebietsTeilFlaeche"].geometry_kind == "Flaeche"


def test_a_file_without_any_plan_is_refused(tmp_path):
    path = tmp_path / "noplan.gml"
    path.write_text(
        '<xplan:XPlanAuszug xmlns:xplan="http://www.xplanung.de/xplangml/5/2" '
        'xmlns:gml="http://www.opengis.net/gml/3.2" gml:id="a"><gml:featureMember>'
        '<xplan:BP_TextAbschnitt gml:id="t1"><xplan:text>x</xplan:text></xplan:BP_TextAbschnitt>'
        '</gml:featureMember></xplan:XPlanAuszug>'
    )
    with pytest.raises(XPlanError, match=r"noplan\.gml: XPlanGML document without any plan"):
        read_xplan(path, validate=False)


def test_a_tiled_fnp_reads_completely_and_closes_its_flaechenschluss(tmp_path):
    """The benchmark's synthetic FNP: every square stored; squares that tile the plan leave no gap or overlap."""
    from benchmarks.xplan_all import synthetic_fnp

    path = tmp_path / "fnp.gml"
    n = synthetic_fnp(path, 10)
    (plan,) = read_xplan(path)
    assert plan.plan_type == "FP"
    assert len(plan.frames["xplan_objekt"]) == n == 102
    assert plan.report.valid, plan.report.text()
    assert not [f for f in plan.report.findings if f.rule.startswith("flaechenschluss")]
    # one square removed: the hole is reported as a gap with its area
    text = path.read_text(encoding="utf-8")
    start = text.index('<gml:featureMember><xplan:FP_BebauungsFlaeche gml:id="SYN_0_1"')
    end = text.index("</gml:featureMember>", start) + len("</gml:featureMember>")
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    (plan,) = read_xplan(path)
    gaps = [f for f in plan.report.findings if f.rule == "flaechenschluss.luecke"]
    assert len(gaps) == 1 and "2500" in gaps[0].message_de
