"""The scenario studio's pieces without a server: documents, messages, checks, the UI's helpers."""

from __future__ import annotations

import pytest
import shapely

from scenarios import studio
from scenarios.model import shipped_scenarios
from scenarios.studio import StudioError
from tests.scenarios.conftest import X0, Y0


def test_documents_round_trip_through_yaml():
    for scenario in shipped_scenarios().values():
        text = studio.document_yaml(scenario, header="exported\nby a test")
        assert text.startswith("# exported\n# by a test\n")
        again = studio.parse_document(text)
        assert again.model_dump() == scenario.model_dump()
        # explicit nulls (they remove a Festsetzung) survive, and every change starts with its op
        assert all(next(iter(c)) == "op" for c in studio.change_dicts(again))
    dense = studio.document_yaml(shipped_scenarios()["langenhorn_nachverdichtung"])
    assert "gfz: null" in dense


@pytest.mark.parametrize(
    "change,field,german",
    [
        ({"op": "change_festsetzung", "zones": ["a"], "set": {"grz": -0.1}}, "grz", "zwischen 0 und 1"),
        ({"op": "change_festsetzung", "zones": ["a"], "set": {"z": 61}}, "z", "unrealistisch"),
        ({"op": "change_festsetzung", "zones": ["a"], "set": {"h_max": 400}}, "h_max", "unrealistisch"),
        ({"op": "change_festsetzung", "zones": ["a"]}, "set", "mindestens einen Wert"),
        (
            {
                "op": "add_building",
                "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]},
                "storeys": 70,
            },
            "storeys",
            "unrealistisch",
        ),
        (
            {"op": "add_building", "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}},
            "height",
            "Höhe oder Geschosse",
        ),
        ("nonsense", "op", "Objekt mit 'op'"),
    ],
)
def test_steps_are_checked_with_bilingual_messages(change, field, german):
    with pytest.raises(StudioError) as caught:
        studio.validate_change(change)
    assert caught.value.field == field and german in caught.value.de and caught.value.en
    assert caught.value.to_json()["description"] == f"{caught.value.de} / {caught.value.en}"


def test_values_after_a_step_and_footprints_in_the_area(hand_model):
    model = hand_model.copy()
    model.zones.loc[0, "grz"] = 1.2
    with pytest.raises(StudioError, match="zwischen 0 und 1"):
        studio.check_values_after(model)
    scenario = studio.parse_document("id: t\ntitle_de: T\ntitle_en: T\n")
    inside = studio.validate_change(
        {
            "op": "add_building",
            "storeys": 2,
            "geometry": shapely.geometry.mapping(shapely.box(X0 + 20, Y0 + 10, X0 + 30, Y0 + 20)),
        }
    )
    studio.check_change_in_area(inside, hand_model, scenario, "unused", None)
    far = studio.validate_change(
        {
            "op": "add_building",
            "storeys": 2,
            "geometry": shapely.geometry.mapping(shapely.box(X0 + 500, Y0, X0 + 510, Y0 + 10)),
        }
    )
    with pytest.raises(StudioError, match="außerhalb"):
        studio.check_change_in_area(far, hand_model, scenario, "unused", None)
    tiny = studio.validate_change(
        {
            "op": "add_building",
            "storeys": 2,
            "geometry": shapely.geometry.mapping(shapely.box(X0 + 20, Y0 + 10, X0 + 21, Y0 + 11)),
        }
    )
    with pytest.raises(StudioError, match="zu klein"):
        studio.check_change_in_area(tiny, hand_model, scenario, "unused", None)


def test_ids_from_titles_and_step_descriptions():
    assert studio.new_variant_id("Mehr Wohnungen an der Straße", set()) == "mehr_wohnungen_an_der_strasse"
    assert studio.new_variant_id("Dichter", {"dichter", "dichter_2"}) == "dichter_3"
    assert studio.new_variant_id("!!!", set()) == "variante"
    step = {"op": "change_festsetzung", "zones": ["a", "b"], "add": {"z": 1}}
    assert studio.describe_change(step, "de") == "Festsetzung ändern (2 Zone(n)): Z (Vollgeschosse) + 1"
    assert studio.describe_change(step, "en") == "Change provisions (2 zone(s)): Z (full storeys) + 1"


def test_ui_helpers():
    from ui import studio as view

    shape = shapely.geometry.shape(view.footprint(10.0, 53.66, 12.0, 10.0))
    projected = shapely.transform(shape, lambda xy: xy * [111_320.0 * 0.5934, 111_320.0])
    assert projected.area == pytest.approx(120.0, rel=0.01)
    zone = {"id": "z", "plan_id": "p", "art_code": "WA", "z": 3, "grz_permitted": 0.4, "gfz_permitted": None}
    assert view.zone_label(zone, {"p": "LA 22"}, "de") == "WA · Z III · GRZ 0,4 · LA 22"
    state = {"indicators": {"zones": [zone, {**zone, "id": "y", "art_code": "MI", "plan_id": "q"}]}}
    assert [z["id"] for z in view.shown_zones(state, "p", "WA")] == ["z"]
    assert [z["id"] for z in view.shown_zones(state, None, None)] == ["z", "y"]


def test_type_of_use_and_bauweise_in_the_engine(hand_model):
    """change_festsetzung sets Art der Nutzung and Bauweise with the decoded XPlanung names; the housing share follows."""
    from scenarios.engine import run_scenario

    scenario = studio.parse_document(
        "id: t\ntitle_de: T\ntitle_en: T\nchanges:\n  - op: change_festsetzung\n"
        "    zones: [mi]\n    set: {art_code: WA, bauweise: OffeneBauweise}\n"
    )
    result = run_scenario(scenario, hand_model)
    zone = result.zones.set_index("id").loc["mi"]
    assert (
        zone["art_code"],
        zone["besondere_art_der_baulichen_nutzung"],
        zone["allg_art_der_baulichen_nutzung"],
        zone["bauweise"],
        zone["bauweise_code"],
    ) == ("WA", "AllgWohngebiet", "WohnBauflaeche", "OffeneBauweise", "1000")
    assert result.totals["dwellings"] > run_scenario("baseline", hand_model).totals["dwellings"]
    assert studio.parse_document(studio.document_yaml(scenario)).model_dump() == scenario.model_dump()
    with pytest.raises(StudioError) as caught:
        studio.validate_change({"op": "change_festsetzung", "zones": ["mi"], "set": {"art_code": "wa"}})
    assert caught.value.field == "art_code" and "erlaubt sind WS, WR, WA" in caught.value.de


def test_slider_and_places_are_checked():
    import datetime as dt

    assert studio.parse_day_hour("2026-06-21", "14.5") == (dt.date(2026, 6, 21), 14.5)
    assert studio.parse_day_hour(None, None)[1] == 12
    for day, hour, field in (
        ("gestern", "12", "day"),
        ("2026-06-21", "x", "hour"),
        ("2026-06-21", "-1", "hour"),
        ("2026-06-21", "nan", "hour"),
    ):
        with pytest.raises(StudioError) as caught:
            studio.parse_day_hour(day, hour)
        assert caught.value.field == field and caught.value.de and caught.value.en
    assert studio.parse_points("10.01,53.66;10.02,53.67;") == [(10.01, 53.66), (10.02, 53.67)]
    with pytest.raises(StudioError, match="höchstens 20"):
        studio.parse_points(";".join(["10,53"] * 21))


def test_studio_view_helpers():
    from ui import studio as view
    from ui.view3d import variants_from_link

    drawn = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [10, 53]}},
            {"type": "Feature", "geometry": view.footprint(10.0, 53.66, 20.0, 10.0)},
        ],
    }
    assert view.drawn_footprint(drawn)["type"] == "Polygon" and view.drawn_footprint({}) is None
    assert view._area_m2(view.drawn_footprint(drawn)) == pytest.approx(200.0, rel=0.02)
    assert view._size(3, None) == {"storeys": 3} and view._size(3, "12,5".replace(",", ".")) == {"height": 12.5}
    table = view.sun_table(
        {"day": "21. März", "points": [{"lon": 10.0, "lat": 53.6, "hours_a": 9.5, "hours_b": 7.0, "lost": 2.5}]}, "de"
    )
    assert "2,5 h" in str(table) and "Verlorene Sonnenstunden" in str(table)
    state = {"variant": {"id": "dicht", "base": "nachverdichtung", "versions": [{"version": 1}]}, "geojson": {}}
    link = view.link_3d(
        "http://example.org/buergergis/oapi",
        state,
        {"longitude": 10.01, "latitude": 53.66, "zoom": 16.2, "pitch": 60, "bearing": -20},
    )
    assert link.startswith("/buergergis/?view=3d&a=nachverdichtung&b=dicht&mode=side&lon=10.010000&lat=53.660000")
    assert view.link_3d("http://x/oapi", {"variant": {"id": "dicht", "versions": []}}, None) is None
    query = link.split("?", 1)[1]
    assert variants_from_link(query) == {"a": "nachverdichtung", "b": "dicht", "mode": "side"}
    assert variants_from_link("?view=3d&b=<script>") is None and variants_from_link("?view=3d") is None
