"""What applies at a place, plan objects in the list view and on the map, the envelope from Baufenster:
pure functions over GeoJSON features, checked against hand-built plans."""

from __future__ import annotations

import json

from ui.envelope import envelopes
from ui.map import OWN_LAYER_CLASSES, plan_legend, xplan_styles
from ui.plan_contents import (
    applicable,
    key_values,
    object_rows,
    plan_status_line,
    validation_block,
    value_text,
)


def square(x0, y0, size, **props):
    ring = [[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]
    return {
        "type": "Feature",
        "id": props.pop("id", None),
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": props,
    }


PLAN_BP = square(
    10.0,
    53.0,
    0.01,
    id="bp",
    plan_type="BP",
    name="Langenhorn 51",
    rechtsstand="InkraftGetreten",
    in_kraft=True,
    inkrafttretens_datum="2004-03-12",
)
PLAN_BP_CHANGE = square(
    10.004,
    53.004,
    0.002,
    id="bp1",
    plan_type="BP",
    name="Langenhorn 51, 1. Änderung",
    rechtsstand="Entwurf",
    in_kraft=False,
    aendert=json.dumps([{"beziehung": "aendert", "name": "Langenhorn 51"}]),
)
PLAN_FP = square(9.9, 52.9, 0.3, id="fp", plan_type="FP", name="FNP Hamburg", rechtsstand="Wirksamkeit", in_kraft=True)
OBJECTS = [
    square(
        10.0,
        53.0,
        0.006,
        id="o1",
        plan_id="bp",
        xplan_class="BP_BaugebietsTeilFlaeche",
        attributes=json.dumps({"GRZ": 0.4, "besondereArtDerBaulNutzung": {"code": "1200", "name": "AllgWohngebiet"}}),
    ),
    square(
        10.0045,
        53.0045,
        0.0005,
        id="o2",
        plan_id="bp1",
        xplan_class="BP_UeberbaubareGrundstuecksFlaeche",
        attributes=json.dumps({"Z": 3}),
    ),
    square(9.9, 52.9, 0.3, id="o3", plan_id="fp", xplan_class="FP_BebauungsFlaeche", attributes="{}"),
    square(10.0, 53.0, 0.01, id="o4", plan_id="bp", xplan_class="XP_PPO", attributes="{}"),  # presentation only
    square(10.008, 53.008, 0.001, id="o5", plan_id="bp", xplan_class="BP_GruenFlaeche", attributes="{}"),  # elsewhere
]


def test_applicable_lists_every_plan_at_the_place_binding_plan_first():
    entries = applicable([PLAN_FP, PLAN_BP_CHANGE, PLAN_BP], OBJECTS, 10.0047, 53.0047)
    assert [e["plan"]["id"] for e in entries] == ["bp", "bp1", "fp"]  # in force BP, its amendment, the FNP
    assert [o["id"] for o in entries[0]["objects"]] == ["o1"]  # not the label, not the far green space
    assert [o["id"] for o in entries[1]["objects"]] == ["o2"]
    assert [o["id"] for o in entries[2]["objects"]] == ["o3"]
    # outside the amendment only the original plan and the FNP apply
    assert [e["plan"]["id"] for e in applicable([PLAN_FP, PLAN_BP_CHANGE, PLAN_BP], OBJECTS, 10.001, 53.001)] == [
        "bp",
        "fp",
    ]


def test_status_lines_tell_in_force_from_not_yet():
    assert plan_status_line(PLAN_BP["properties"], "de") == "Bebauungsplan · in Kraft seit 12.03.2004"
    assert "noch nicht in Kraft" in plan_status_line(PLAN_BP_CHANGE["properties"], "de")
    assert "no longer in force" in plan_status_line(
        {"plan_type": "BP", "rechtsstand": "Aufgehoben", "in_kraft": False}, "en"
    )
    assert plan_status_line(PLAN_FP["properties"], "en").startswith("Land-use plan · in force")


def test_values_are_shown_with_their_labels():
    assert (
        value_text({"code": "1200", "name": "AllgWohngebiet", "label": "Allgemeines Wohngebiet"})
        == "Allgemeines Wohngebiet"
    )
    assert value_text([{"code": "1000", "name": "A"}, {"code": "2000", "name": "B"}]) == "A, B"
    assert (
        value_text(
            {
                "_type": "XP_Hoehenangabe",
                "bezugspunkt": {"code": "6000", "name": "GBH", "label": "Gebäudehöhe"},
                "h": 12.5,
            }
        )
        == "Gebäudehöhe 12,5 m"
    )
    assert value_text(0.4, "en") == "0.4" and value_text(0.4, "de") == "0,4"
    # the names people read, and 0 (a writer's "not set") left out
    assert (
        key_values({"GRZ": 0.4, "GFZ": 0, "Z": 2, "MaxZahlWohnungen": 2}, "de")
        == "GRZ: 0,4 · Vollgeschosse: 2 · Wohnungen je Gebäude höchstens: 2"
    )


def test_list_rows_group_objects_and_leave_out_presentation():
    grouped = object_rows(OBJECTS, "", "de")
    titles = [title for title, _ in grouped]
    assert "Beschriftung (Präsentationsobjekte)" not in titles
    assert sum(len(rows) for _, rows in grouped) == 4
    found = object_rows(OBJECTS, "baufenster", "de")
    assert [row[0] for _, rows in found for row in rows] == ["Überbaubare Grundstücksfläche (Baufenster)"]


def test_validation_report_is_shown_with_its_findings():
    plan = {
        "valid": False,
        "error_count": 1,
        "warning_count": 0,
        "validation": json.dumps(
            {
                "findings": [
                    {
                        "severity": "error",
                        "rule": "geometrie.laufrichtung",
                        "object_id": "GML_1",
                        "message_de": "Außenring im Uhrzeigersinn",
                        "message_en": "exterior ring clockwise",
                    }
                ]
            }
        ),
    }
    text = str(validation_block(plan, "de").to_plotly_json())
    assert "nicht gültig" in text and "geometrie.laufrichtung" in text and "Außenring" in text


def test_map_styles_follow_the_planzv_and_skip_own_layers():
    styles = xplan_styles(["FP_Gruen", "BP_AnpflanzungBindungErhaltung", "XP_TextAbschnitt"], "de")
    assert set(OWN_LAYER_CLASSES) <= set(styles["skip"])
    green = styles["styles"]["FP_Gruen"]["area"]["fillColor"].lstrip("#")
    r, g, b = (int(green[i : i + 2], 16) for i in (0, 2, 4))
    assert g > r and g > b  # green
    assert styles["styles"]["BP_AnpflanzungBindungErhaltung"]["point"]["symbol"] == "baum"
    assert "XP_TextAbschnitt" not in styles["styles"]  # no geometry to draw
    legend = str(plan_legend(["FP_Gruen", "BP_BaugebietsTeilFlaeche", "BP_GruenFlaeche"], "de").to_plotly_json())
    # zones and the green spaces of Bebauungspläne have layers and legend entries of their own
    assert legend.count("Grünfläche") == 1 and "Baugebiet" not in legend


def test_envelope_uses_the_plans_baufenster_and_their_own_heights():
    zone = square(10.0, 53.0, 0.002, id="z", z=2, art_code="WA")
    window = square(10.0005, 53.0005, 0.0005, id="w", z=5)
    lines = [
        {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": [[10.0, 53.0], [10.002, 53.002]]},
            "properties": {},
        }
    ]
    out = envelopes([zone], lines, [window])["features"]
    assert len(out) == 1
    assert out[0]["properties"]["source"] == "baufenster"
    assert out[0]["properties"]["envelope_height"] == 15.0  # its own Z 5 × 3 m, not the zone's Z 2
    inherited = envelopes([zone], [], [square(10.0005, 53.0005, 0.0005, id="w2")])["features"][0]["properties"]
    assert (inherited["envelope_height"], inherited["height_from"]) == (6.0, "zone")


def test_hatched_planzv_areas_carry_their_hatch_to_the_map():
    area = xplan_styles(["BP_BesondererNutzungszweckFlaeche"], "de")["styles"]["BP_BesondererNutzungszweckFlaeche"]
    assert area["area"]["hatch"] == "diagonal" and area["area"]["hatchColor"].startswith("#")
