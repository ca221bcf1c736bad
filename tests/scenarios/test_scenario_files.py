"""Scenario files: the shipped examples load; bad files get errors naming the line."""

import pytest

from scenarios.model import (
    EXAMPLES_DIR,
    ScenarioError,
    load_scenario,
    load_scenarios,
    parse_filter,
    parse_scenario,
    scenario_from_dict,
    shipped_scenarios,
)

HEADER = "id: test\ntitle_de: Test\ntitle_en: Test\n"


def error_of(text: str) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, source="bad.yaml")
    return info.value


def test_shipped_scenarios_load():
    scenarios = shipped_scenarios()
    assert {"langenhorn_baseline", "langenhorn_nachverdichtung"} <= set(scenarios)
    nach = scenarios["langenhorn_nachverdichtung"]
    assert nach.base == "langenhorn_baseline"
    assert [c.op for c in nach.changes] == ["change_festsetzung", "fill_envelope"]
    assert nach.changes[0].add.z == 2
    assert nach._source == "langenhorn_nachverdichtung.yaml"
    assert nach.where(1).startswith("langenhorn_nachverdichtung.yaml, line ")
    assert (EXAMPLES_DIR / "langenhorn_baseline.yaml").exists()


def test_wrong_value_names_line_and_column():
    err = error_of(HEADER + "changes:\n  - op: modify_buildings\n    ids: [b1]\n    set:\n      storeys: -2\n")
    assert str(err) == "bad.yaml, line 8, column 7: changes[0].set.storeys: Input should be greater than or equal to 1"
    assert err.issues[0].line == 8


def test_unknown_key_names_its_line():
    err = error_of(HEADER + "changes:\n  - op: remove_buildings\n    ids: [b1]\n    colour: red\n")
    assert "bad.yaml, line 7, column 5: changes[0].colour: unknown key" in str(err)


def test_unknown_op_names_its_line():
    err = error_of(HEADER + "changes:\n  - op: remove_buildings\n    ids: [b1]\n  - op: demolish_all\n")
    assert "line 7" in str(err) and "unknown op 'demolish_all'" in str(err)


def test_several_errors_each_with_its_line():
    text = HEADER + (
        "changes:\n"
        "  - op: add_building\n"  # line 5
        "    geometry: {type: Polygon, coordinates: [[[0, 0], [10, 0], [10, 10], [0, 0]]]}\n"
        "    height: 0\n"  # line 7
        "  - op: change_festsetzung\n"  # line 8
        "    where: {art_code: WA}\n"
        "    add: {z: zwei}\n"  # line 10
    )
    err = error_of(text)
    lines = sorted(i.line for i in err.issues)
    assert 7 in lines and 10 in lines
    assert "line 10, column 11: changes[1].add.z: Input should be a valid integer" in str(err)


def test_yaml_syntax_error_names_line():
    err = error_of(HEADER + "changes:\n  - op: remove_buildings\n    ids: [b1\n")
    assert err.issues[0].line is not None and "YAML syntax" in str(err)
    assert str(err).startswith("bad.yaml, line ")


def test_duplicate_key_names_both_lines():
    err = error_of(HEADER + "title_de: Nochmal\n")
    assert "line 4" in str(err) and "duplicate key 'title_de' (first on line 2)" in str(err)


def test_missing_required_field():
    err = error_of("id: test\ntitle_de: Test\n")
    assert "bad.yaml, line 1, column 1: title_en: Field required" in str(err)


def test_not_a_mapping():
    assert "must be a mapping" in str(error_of("- just\n- a list\n"))


def test_selection_and_values_are_required():
    err = error_of(HEADER + "changes:\n  - op: remove_buildings\n")
    assert "line 5" in str(err) and "choose buildings with ids, where, filter or zones" in str(err)
    err = error_of(HEADER + "changes:\n  - op: change_festsetzung\n    zones: [wa]\n")
    assert "change_festsetzung needs set or add" in str(err)
    err = error_of(
        HEADER + "changes:\n  - op: add_building\n"
        "    geometry: {type: Polygon, coordinates: [[[0, 0], [10, 0], [10, 10], [0, 0]]]}\n"
    )
    assert "a new building needs height or storeys" in str(err)


def test_invalid_geometry_and_crs():
    err = error_of(
        HEADER + "changes:\n  - op: add_building\n    height: 9\n"
        "    geometry: {type: Polygon, coordinates: [[[0, 0], [10, 10], [10, 0], [0, 10], [0, 0]]]}\n"
    )
    assert "line 7" in str(err) and "invalid Polygon" in str(err)
    err = error_of(
        HEADER + "changes:\n  - op: add_building\n    height: 9\n    crs: EPSG:abc\n"
        "    geometry: {type: Polygon, coordinates: [[[0, 0], [10, 0], [10, 10], [0, 0]]]}\n"
    )
    assert "line 7" in str(err) and "unknown crs" in str(err)


def test_filter_syntax():
    assert parse_filter("art_code = 'WA' AND z = 3 and synthetic = true") == {
        "art_code": "WA",
        "z": 3,
        "synthetic": True,
    }
    assert parse_filter("name = 'O''Neill'") == {"name": "O'Neill"}
    err = error_of(HEADER + "changes:\n  - op: remove_buildings\n    filter: \"height > 3\"\n")
    assert "line 6" in str(err) and "cannot read filter term" in str(err)


def test_base_rules():
    assert "cannot be its own base" in str(error_of(HEADER + "base: test\n"))
    err = error_of("id: 'bad id!'\ntitle_de: T\ntitle_en: T\n")
    assert "line 1" in str(err) and "id:" in str(err)


def test_dict_documents_name_the_path():
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(
            {
                "id": "x",
                "title_de": "T",
                "title_en": "T",
                "changes": [{"op": "modify_buildings", "ids": ["a"], "set": {"height": -1}}],
            }
        )
    assert "changes[0].set.height: Input should be greater than 0" in str(info.value)


def test_directory_loading_rejects_duplicates(tmp_path):
    (tmp_path / "a.yaml").write_text(HEADER)
    (tmp_path / "b.yml").write_text(HEADER)
    with pytest.raises(ScenarioError, match="used by another file"):
        load_scenarios(tmp_path)
    (tmp_path / "b.yml").write_text("id: baseline\ntitle_de: T\ntitle_en: T\nbase: other\n")
    with pytest.raises(ScenarioError, match="reserved"):
        load_scenarios(tmp_path)
    assert load_scenario(tmp_path / "a.yaml").id == "test"
