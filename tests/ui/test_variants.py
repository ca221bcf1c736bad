"""Scenario variants in the UI: compare-table builder, titles, slimmed buildings (no server needed)."""

from __future__ import annotations

from dash import html

from ui import variants
from ui.i18n import TEXTS, t

DELTAS = {
    "a": {"id": "langenhorn_baseline"},
    "b": {"id": "langenhorn_nachverdichtung"},
    "totals": {
        "floor_area_m2": {"a": 114698.42, "b": 294607.87, "delta": 179909.45, "relative": 1.5686},
        "grz": {"a": 0.1094, "b": 0.1685, "delta": 0.0591, "relative": 0.5402},
        "gfz": {"a": 0.1513, "b": 0.3887, "delta": 0.2373, "relative": 1.5685},
        "dwellings": {"a": 810.3, "b": 2809.3, "delta": 1999.0, "relative": 2.4669},
        "residents": {"a": 1620.6, "b": 5618.6, "delta": 3998.0, "relative": 2.4669},
        "sealed_share": {"a": 0.1756, "b": 0.2048, "delta": 0.0292, "relative": 0.1664},
        "violations": {"a": 0, "b": 3, "delta": 3, "relative": None},
        "green_share": {"a": 0.8244, "b": 0.7952, "delta": -0.0292, "relative": -0.0354},
    },
}


def _walk(component):
    yield component
    children = getattr(component, "children", None)
    if isinstance(children, (list, tuple)):
        for child in children:
            if hasattr(child, "children") or hasattr(child, "_type"):
                yield from _walk(child)
    elif children is not None and hasattr(children, "_type"):
        yield from _walk(children)


def test_compare_rows_german():
    rows = {row["indicator"]: row for row in variants.compare_rows(DELTAS, "de")}
    # GRZ and GFZ are shown per affected zone, not averaged over every zone (issue 13)
    assert list(rows) == ["floor_area_m2", "dwellings", "residents", "sealed_share", "violations"]
    floor = rows["floor_area_m2"]
    assert floor["label"] == "Geschossfläche"
    assert floor["a"] == "114.698 m²"
    assert floor["b"] == "294.608 m²"
    assert floor["delta"] == "+179.909 m²"
    assert floor["relative"] == "+156,9 %"
    assert floor["direction"] == "up"
    assert rows["dwellings"]["delta"] == "+1.999"
    assert rows["residents"]["b"] == "5.619"
    # a share's difference is in percentage points, and has no "relative" change
    assert rows["sealed_share"]["a"] == "17,6 %" and rows["sealed_share"]["delta"] == "+2,9 Prozentpunkte"
    assert rows["sealed_share"]["relative"] == "–"
    assert rows["violations"]["delta"] == "+3" and rows["violations"]["relative"] == "–"


def test_compare_rows_english_and_signs():
    deltas = {
        "totals": {
            "floor_area_m2": {"a": 2000.0, "b": 1500.0, "delta": -500.0, "relative": -0.25},
            "dwellings": {"a": 30, "b": 30, "delta": 0.0, "relative": 0.0},
            "sealed_share": {"a": 0.3, "b": 0.25, "delta": -0.05, "relative": -0.1667},
        }
    }
    rows = {row["indicator"]: row for row in variants.compare_rows(deltas, "en")}
    assert rows["floor_area_m2"]["a"] == "2,000 m²"
    assert rows["floor_area_m2"]["delta"] == "−500 m²"
    assert rows["floor_area_m2"]["relative"] == "−25 %"
    assert rows["floor_area_m2"]["direction"] == "down"
    assert rows["dwellings"]["delta"] == "±0" and rows["dwellings"]["direction"] == "same"
    assert rows["sealed_share"]["delta"] == "−5 percentage points"
    assert variants.compare_rows(None) == [] and variants.compare_rows({"totals": {}}) == []


def test_compare_table_is_accessible():
    table = variants.compare_table(DELTAS, "Bestand Langenhorn", "Nachverdichtung Langenhorn", "de")
    nodes = list(_walk(table))
    captions = [n for n in nodes if isinstance(n, html.Caption)]
    assert len(captions) == 1
    assert captions[0].children == "Kennzahlen von A (Bestand Langenhorn) nach B (Nachverdichtung Langenhorn)"
    headers = [n for n in nodes if isinstance(n, html.Th)]
    assert all(h.scope in ("col", "row") for h in headers)
    assert [h.children for h in headers if h.scope == "col"] == [
        "Kennzahl",
        "A: Bestand Langenhorn",
        "B: Nachverdichtung Langenhorn",
        "Differenz B − A",
        "relativ",
    ]
    assert len([h for h in headers if h.scope == "row"]) == 5
    cells = [n for n in nodes if isinstance(n, html.Td)]
    assert "+179.909 m²" in [c.children for c in cells]


def test_user_text_is_data_only():
    """Titles go into Dash children (escaped by React), never into the table as markup."""
    table = variants.compare_table(DELTAS, "<img src=x onerror=alert(1)>", "B", "en")
    caption = next(n for n in _walk(table) if isinstance(n, html.Caption))
    assert isinstance(caption.children, str) and "<img" in caption.children


def test_shipped_variants_have_titles_in_both_languages():
    assert "langenhorn_baseline" in variants.VARIANT_IDS
    assert "langenhorn_nachverdichtung" in variants.VARIANT_IDS
    assert variants.DEFAULT_A == "langenhorn_baseline"
    assert variants.DEFAULT_B == "langenhorn_nachverdichtung"
    assert variants.variant_title("langenhorn_nachverdichtung", "de") == "Nachverdichtung Langenhorn"
    assert variants.variant_title("langenhorn_nachverdichtung", "en") == "Densification of Langenhorn"
    assert variants.variant_title("langenhorn_baseline", "de") == "Bestand Langenhorn"


def test_variant_strings_exist_in_both_languages():
    keys = [k for k in TEXTS if k.startswith(("variants.", "variant."))]
    assert len(keys) > 20
    for key in keys:
        de, en = TEXTS[key]
        assert de and en, key
    assert t("variants.mode.side", "de") == "Nebeneinander"
    assert t("variants.mode.side", "en") == "Side by side"


def test_slim_buildings_keeps_numbers_only():
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [10, 53.6]},
                "properties": {
                    "id": "b1",
                    "height": "7.5",
                    "storeys": 2,
                    "synthetic": 1,
                    "name": "<b>x</b>",
                    "function": "Wohnhaus",
                },
            },
            {"type": "Feature", "geometry": None, "properties": {"height": None}},
        ],
    }
    slim = variants.slim_buildings(collection)
    assert slim["features"][0]["properties"] == {"id": "b1", "height": 7.5, "storeys": 2, "synthetic": True}
    assert slim["features"][1]["properties"] == {"height": 0.0, "synthetic": False}
    assert variants.slim_buildings(None) == {"type": "FeatureCollection", "features": []}
