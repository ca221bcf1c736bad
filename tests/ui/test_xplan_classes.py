"""The table of XPlanung classes (ui/xplan_classes.yaml) against the official XSDs, and its API.

The class list is derived here, independently of the module, from the schemas in
``data/xplan-schemas/XPlanGML_*/``: every element of the XPlanung namespace whose substitution group
leads to ``gml:AbstractFeature`` and that is not ``abstract="true"``. The 4.0 ADE for Hamburg
(``XPlanGML_Bauleitplanung_ADE_FHH.xsd``, namespace ``http://www.xplanung.de/4/0/ADE_FHH``, class
``BP_Aussengebiet_FHH``) is in another namespace and left out; the 4.0 NRW and RLP extensions are in the
XPlanung namespace and included. The geometry kind comes from the class's base types
(``*Flaechenobjekt``/``*Flaechenschlussobjekt``/``*Ueberlagerungsobjekt``: area, ``*Linienobjekt``: line,
``*Punktobjekt``: point, ``*Geometrieobjekt``: any) because every ``position`` element is typed
``gml:GeometryPropertyType``; presentation objects after their ALKIS counterparts (PPO/PTO point,
LPO/LTO line, FPO area); plans and Bereiche by their Geltungsbereich (area); the rest has none.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path

import pytest
import yaml

from ui import xplan_classes as xc

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "data" / "xplan-schemas"
XS = "{http://www.w3.org/2001/XMLSchema}"
XPLAN_NS = "http://www.xplanung.de/xplangml/"
VERSIONS = ("4.0", "4.1", "5.0", "5.1", "5.2", "5.3", "5.4", "6.0")
GEOMETRY_PROPS = {"position", "raeumlicherGeltungsbereich", "geltungsbereich", "geltungsbereichAenderung"}
HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
DASH = re.compile(r"^\d+(\.\d+)?( \d+(\.\d+)?)*$")


# ---------------------------------------------------------------------------------------------------------
# The class list from the XSDs
# ---------------------------------------------------------------------------------------------------------


def _schema_dir(version: str) -> Path:
    return SCHEMAS / f"XPlanGML_{version.replace('.', '_')}"


@cache
def xsd_classes(version: str) -> dict[str, str]:
    """Concrete feature classes of one version -> geometry kind (area/line/point/any/none)."""
    folder = _schema_dir(version)
    assert folder.is_dir(), f"XPlanung schemas missing (bundled in the repository): {folder}"
    elements: dict[str, ET.Element] = {}
    types: dict[str, tuple[str | None, set[str]]] = {}
    for path in sorted(folder.glob("*.xsd")):
        root = ET.parse(path).getroot()
        if not root.get("targetNamespace", "").startswith(XPLAN_NS):
            continue  # ADE in its own namespace (4.0 Hamburg)
        for element in root.findall(XS + "element"):
            elements[element.get("name")] = element
        for ctype in root.findall(XS + "complexType"):
            ext = ctype.find(f"{XS}complexContent/{XS}extension")
            base = ext.get("base").split(":")[-1] if ext is not None else None
            props = {e.get("name") for e in ctype.iter(XS + "element") if e.get("name") in GEOMETRY_PROPS}
            types[ctype.get("name")] = (base, props)

    def is_feature(name: str) -> bool:
        element = elements.get(name)
        group = (element.get("substitutionGroup") or "") if element is not None else ""
        return group == "gml:AbstractFeature" or (group.startswith("xplan:") and is_feature(group[6:]))

    classes = {}
    for name, element in elements.items():
        if element.get("abstract") == "true" or not is_feature(name):
            continue
        chain, props, type_name = [], set(), element.get("type").split(":")[-1]
        while type_name:
            chain.append(type_name[:-4] if type_name.endswith("Type") else type_name)
            base, own = types.get(type_name, (None, set()))
            props |= own
            type_name = base
        classes[name] = _kind(chain, props)
    return classes


def _kind(chain: list[str], props: set[str]) -> str:
    for name in chain:
        if name in ("XP_PPO", "XP_PTO", "XP_Nutzungsschablone"):
            return "point"
        if name in ("XP_LPO", "XP_LTO"):
            return "line"
        if name == "XP_FPO" or name.endswith(("Flaechenobjekt", "Flaechenschlussobjekt", "Ueberlagerungsobjekt")):
            return "area"
        if name.endswith("Linienobjekt"):
            return "line"
        if name.endswith("Punktobjekt"):
            return "point"
        if name.endswith("Geometrieobjekt"):
            return "any"
    if "position" in props:
        return "any"
    return "area" if props else "none"


@cache
def all_xsd_classes() -> dict[str, set[str]]:
    """Class -> the geometry kinds it has in the versions that define it."""
    out: dict[str, set[str]] = {}
    for version in VERSIONS:
        for name, kind in xsd_classes(version).items():
            out.setdefault(name, set()).add(kind)
    return out


def expected_geometry(kinds: set[str]) -> str:
    if "any" in kinds or len(kinds - {"none"}) > 1:
        return "any"
    return next(iter(kinds))


@cache
def raw_table() -> dict:
    return yaml.safe_load(xc.DATA_PATH.read_text(encoding="utf-8"))


def xsd_enum_codes(type_name: str) -> set[str]:
    """Codes of an enumeration simpleType across all versions (``XP_BesondereArtDerBaulNutzung`` ...)."""
    codes: set[str] = set()
    for version in VERSIONS:
        for path in _schema_dir(version).glob("*.xsd"):
            root = ET.parse(path).getroot()
            for simple in root.iter(XS + "simpleType"):
                if simple.get("name") in (type_name, type_name + "Type"):
                    codes |= {e.get("value") for e in simple.iter(XS + "enumeration")}
    return codes


# ---------------------------------------------------------------------------------------------------------
# Completeness against the schemas
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_every_concrete_class_of_every_version_has_an_entry(version):
    classes = xsd_classes(version)
    assert len(classes) > 150, f"{version}: only {len(classes)} classes found, schema parsing broken?"
    missing = sorted(set(classes) - xc.known_classes())
    assert not missing, f"XPlanung {version}: no entry for {missing}"
    for name in classes:
        info = xc.class_info(name)
        assert info.known and info.xplan_class == name
        for text in (info.title_de, info.title_en, info.explain_de, info.explain_en):
            assert isinstance(text, str) and text.strip(), f"{name}: empty title or explanation"
        assert info.group in dict(xc.groups()), f"{name}: unknown group {info.group}"
        assert xc.group(name, "de") and xc.group(name, "en")


def test_the_table_holds_no_class_the_schemas_do_not_know():
    assert xc.known_classes() == set(all_xsd_classes())


def test_the_hamburg_ade_is_in_its_own_namespace_and_left_out():
    ade = _schema_dir("4.0") / "XPlanGML_Bauleitplanung_ADE_FHH.xsd"  # bundled: its absence is a regression
    assert not ET.parse(ade).getroot().get("targetNamespace").startswith(XPLAN_NS)
    assert "BP_Aussengebiet_FHH" not in xc.known_classes()
    # the NRW and RLP extensions of 4.0 are in the XPlanung namespace and covered
    assert {"RP_NRW_ASB", "RP_RLP_Welterbestaette", "LP_NRW_Brachflaeche"} <= set(xsd_classes("4.0"))


def test_geometry_of_each_entry_matches_the_schema():
    wrong = {
        name: (raw_table()["classes"][name]["geometry"], sorted(kinds))
        for name, kinds in all_xsd_classes().items()
        if raw_table()["classes"][name]["geometry"] != expected_geometry(kinds)
    }
    assert not wrong, f"table geometry vs. schema kinds: {wrong}"


def _assert_valid(one: dict, kind: str, where: str) -> None:
    assert one["kind"] == kind, where
    if kind == "area":
        assert HEX.match(one["fill"]) and HEX.match(one["stroke"]), where
        assert 0 <= one["fill_opacity"] <= 1, where
        assert one["hatch"] in (None, *xc.HATCHES), where
        if one["hatch"]:
            assert HEX.match(one["hatch_color"]), where
    if kind == "line":
        assert HEX.match(one["stroke"]), where
        assert one["pattern"] in (None, *xc.PATTERNS), where
    if kind in ("area", "line"):
        assert one["weight"] > 0, where
        assert one["dash"] is None or DASH.match(one["dash"]), where
    if kind == "point":
        assert one["symbol"] in xc.SYMBOLS and HEX.match(one["color"]), where


def test_every_class_has_a_valid_style_for_its_geometry_kinds():
    for name, kinds in all_xsd_classes().items():
        needed = set(xc.GEOMETRY_KINDS) if "any" in kinds else kinds - {"none"}
        for kind in needed:
            _assert_valid(xc.style(name, geometry=kind), kind, f"{name} as {kind}")
        default = xc.style(name)
        geometry = expected_geometry(kinds)
        if geometry == "any":
            assert default["kind"] == "any"
            for kind in xc.GEOMETRY_KINDS:
                _assert_valid(default[kind], kind, f"{name} default {kind}")
        elif geometry == "none":
            assert default == {"kind": "none"}
        else:
            _assert_valid(default, geometry, name)


def test_style_names_and_groups_in_the_table_exist():
    table = raw_table()
    styles, groups = table["styles"], table["groups"]
    for key, family in styles.items():
        assert family and set(family) <= set(xc.GEOMETRY_KINDS), key

    def refs(spec):
        if isinstance(spec, str):
            yield spec
        elif isinstance(spec, dict):
            if isinstance(spec.get("use"), str):
                yield spec["use"]
            for kind in xc.GEOMETRY_KINDS:
                if kind in spec:
                    yield from refs(spec[kind])

    for name, entry in table["classes"].items():
        assert entry["group"] in groups, name
        assert ("style" in entry) == (entry["geometry"] != "none"), f"{name}: style vs. geometry"
        for ref in refs(entry.get("style")):
            assert ref in styles, f"{name}: unknown style {ref}"
        for rule in entry.get("style_by") or []:
            for value in rule["values"].values():
                for ref in refs(value):
                    assert ref in styles, f"{name}: unknown style {ref}"


def test_table_is_sorted_by_plan_type_then_group():
    prefixes = ["BP", "FP", "SO", "LP", "RP", "XP"]
    order = list(raw_table()["groups"])
    keys = [(prefixes.index(n[:2]), order.index(e["group"])) for n, e in raw_table()["classes"].items()]
    assert keys == sorted(keys)


def test_explanations_are_short():
    for name in xc.known_classes():
        info = xc.class_info(name)
        for text in (info.explain_de, info.explain_en):
            assert len(text) < 400 and text.rstrip()[-1] in ".!?", name
        assert len(info.title_de) < 90 and len(info.title_en) < 90, name


def test_every_baunvo_code_of_the_schemas_has_a_colour():
    besondere = xsd_enum_codes("XP_BesondereArtDerBaulNutzung")
    allgemein = xsd_enum_codes("XP_AllgArtDerBaulNutzung")
    assert {"1000", "1200", "1450", "1550", "1700", "4000", "9999"} <= besondere
    assert allgemein == {"1000", "2000", "3000", "4000", "9999"}
    for name in ("BP_BaugebietsTeilFlaeche", "FP_BebauungsFlaeche"):
        rules = {r["attribute"]: r["values"] for r in raw_table()["classes"][name]["style_by"]}
        assert besondere <= set(rules["besondereArtDerBaulNutzung"]), name
        assert allgemein <= set(rules["allgArtDerBaulNutzung"]), name
        for code in besondere:
            _assert_valid(xc.style(name, {"besondereArtDerBaulNutzung": {"code": code}}), "area", f"{name} {code}")


# ---------------------------------------------------------------------------------------------------------
# Facts and PlanZV colours
# ---------------------------------------------------------------------------------------------------------


def rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))


def area_fill(name: str, attributes: dict | None = None) -> tuple[int, int, int]:
    return rgb(xc.style(name, attributes, "area")["fill"])


def test_key_facts_of_explanations():
    def de(name):
        return xc.class_info(name).explain_de

    assert "Baugrenze" in de("BP_UeberbaubareGrundstuecksFlaeche") and "Baulinie" in de(
        "BP_UeberbaubareGrundstuecksFlaeche"
    )
    assert "nicht überschreiten" in de("BP_BauGrenze")
    assert "muss gebaut werden" in de("BP_BauLinie")
    assert "gefällt" in de("BP_AnpflanzungBindungErhaltung")
    assert "Bebauungsplan" in de("FP_BebauungsFlaeche") and "Vorstufe" in de("FP_BebauungsFlaeche")
    assert "zwei Jahre" in de("BP_Veraenderungssperre")
    assert "Grundbuch" in de("BP_Wegerecht")  # the plan reserves the area, the right needs more
    assert "nicht verbindlich" in de("BP_UnverbindlicheVormerkung")
    assert "Gemeinden und Behörden" in de("RP_Plan")
    assert "must not cross" in xc.class_info("BP_BauGrenze").explain_en


def test_legal_basis_where_clear():
    basis = {name: xc.class_info(name).basis or "" for name in xc.known_classes()}
    assert "§ 9 Abs. 1 Nr. 2 BauGB" in basis["BP_UeberbaubareGrundstuecksFlaeche"]
    assert "§ 23" in basis["BP_BauGrenze"] and "BauNVO" in basis["BP_BauGrenze"]
    assert "§ 9 Abs. 1 Nr. 15 BauGB" in basis["BP_GruenFlaeche"]
    assert "§ 9 Abs. 1 Nr. 25 BauGB" in basis["BP_AnpflanzungBindungErhaltung"]
    assert "§ 5 Abs. 2 Nr. 1 BauGB" in basis["FP_BebauungsFlaeche"]
    assert "§ 172 BauGB" in basis["BP_ErhaltungsBereichFlaeche"]
    assert "ROG" in basis["RP_Plan"] and "BNatSchG" in basis["LP_Plan"]
    assert basis["BP_UnverbindlicheVormerkung"] == ""  # no legal basis invented


def test_planzv_colours():
    r, g, b = area_fill("BP_BaugebietsTeilFlaeche", {"besondereArtDerBaulNutzung": {"code": "1200"}})
    assert r > g + 60 and r > b + 60, "WA is reddish"
    wr = area_fill("BP_BaugebietsTeilFlaeche", {"besondereArtDerBaulNutzung": {"code": "1100"}})
    wb = area_fill("BP_BaugebietsTeilFlaeche", {"besondereArtDerBaulNutzung": {"code": "1300"}})
    assert sum(wr) > sum((r, g, b)) > sum(wb), "WR lighter than WA lighter than WB"
    mi = area_fill("BP_BaugebietsTeilFlaeche", {"besondereArtDerBaulNutzung": {"code": "1500"}})
    assert mi[0] > mi[1] > mi[2], "MI is brown/orange"
    ge = area_fill("BP_BaugebietsTeilFlaeche", {"besondereArtDerBaulNutzung": {"code": "1700"}})
    assert max(ge) - min(ge) < 20, "GE is grey"
    so = area_fill("FP_BebauungsFlaeche", {"allgArtDerBaulNutzung": {"code": "4000"}})
    assert so[0] > 200 and so[1] > 120 and so[2] < 120, "S is orange"
    gr = area_fill("BP_GruenFlaeche")
    assert gr[1] > gr[0] and gr[1] > gr[2], "Grünfläche is green"
    wald = area_fill("BP_WaldFlaeche")
    assert wald[1] > wald[0] and sum(wald) < sum(gr), "Wald is darker green"
    wasser = area_fill("BP_GewaesserFlaeche")
    assert wasser[2] > wasser[0] and wasser[2] > wasser[1], "Wasser is blue"
    gb = area_fill("BP_GemeinbedarfsFlaeche")
    assert gb[0] > 200 and gb[2] > gb[1] + 30, "Gemeinbedarf is magenta/pink"
    vk = area_fill("BP_StrassenVerkehrsFlaeche")
    assert vk[0] > vk[2] + 80 and vk[1] > vk[2] + 80, "Verkehr is yellow/ochre"
    lw = area_fill("BP_LandwirtschaftsFlaeche")
    assert lw[1] >= lw[0] > lw[2], "Landwirtschaft is light yellow-green"

    baugrenze = xc.style("BP_BauGrenze")
    r, g, b = rgb(baugrenze["stroke"])
    assert b > r + 100 and baugrenze["dash"] and baugrenze["pattern"] == "baugrenze", "Baugrenze blue dash-dot"
    baulinie = xc.style("BP_BauLinie")
    assert baulinie["pattern"] == "baulinie" and baulinie["dash"] and baulinie["dash"] != baugrenze["dash"]
    assert len(baulinie["dash"].split()) > len(baugrenze["dash"].split()), "Baulinie dash-dot-dot"
    sb = xc.style("BP_StrassenbegrenzungsLinie")
    assert sb["pattern"] == "strassenbegrenzung" and rgb(sb["stroke"])[1] > rgb(sb["stroke"])[0]
    assert xc.style("BP_Plan")["fill_opacity"] == 0, "Geltungsbereich is an outline only"


def test_baufenster_style_is_the_baugrenze_line():
    area = xc.style("BP_UeberbaubareGrundstuecksFlaeche")
    assert area["stroke"] == xc.style("BP_BauGrenze")["stroke"] and area["fill_opacity"] < 0.2


# ---------------------------------------------------------------------------------------------------------
# API behaviour
# ---------------------------------------------------------------------------------------------------------


def test_explain_adds_planting_or_preserving():
    erhalten = xc.explain(
        "BP_AnpflanzungBindungErhaltung",
        {"massnahme": {"code": "1000", "name": "BindungErhaltung", "label": "Bindung und Erhaltung"}},
    )
    assert "Erhalten" in erhalten and erhalten.startswith("Hier müssen Bäume")
    pflanzen = xc.explain("BP_AnpflanzungBindungErhaltung", {"massnahme": {"code": "2000", "name": "Anpflanzung"}})
    assert "Anpflanzen" in pflanzen and "Erhalten" not in pflanzen
    en = xc.explain(
        "BP_AnpflanzungBindungErhaltung",
        {"massnahme": {"code": "2000"}, "gegenstand": [{"code": "1000", "name": "Baeume", "label": "Bäume"}]},
        "en",
    )
    assert "planting" in en and "Bäume" in en
    assert (
        xc.style("BP_AnpflanzungBindungErhaltung", {"massnahme": {"code": "1000"}}, "Point")["symbol"]
        == "baum_erhalten"
    )
    assert xc.style("BP_AnpflanzungBindungErhaltung", {"massnahme": {"code": "2000"}}, "Point")["symbol"] == "baum"


def test_explain_baugebiet_uses_the_baunvo_texts():
    text = xc.explain(
        "BP_BaugebietsTeilFlaeche",
        {
            "besondereArtDerBaulNutzung": {"code": "1200", "name": "AllgWohngebiet"},
            "allgArtDerBaulNutzung": {"code": "1000"},
        },
    )
    assert "Allgemeines Wohngebiet" in text and "Wohnbaufläche" not in text
    assert "General residential area" in xc.explain("FP_BebauungsFlaeche", {"besondereArtDerBaulNutzung": "1200"}, "en")
    assert "Wohnbaufläche" in xc.explain("FP_BebauungsFlaeche", {"allgArtDerBaulNutzung": {"code": "1000"}})
    # 4.x files without decoded names, numbers that went through a float
    assert (
        xc.style("BP_BaugebietsTeilFlaeche", {"besondereArtDerBaulNutzung": 1700.0})["fill"]
        == xc.style("BP_BaugebietsTeilFlaeche", {"besondereArtDerBaulNutzung": {"code": "1700"}})["fill"]
    )
    # by name only
    assert (
        xc.style("BP_BaugebietsTeilFlaeche", {"allgArtDerBaulNutzung": {"name": "x", "code": "3000"}})["fill"]
        == xc.style("BP_BaugebietsTeilFlaeche", {"besondereArtDerBaulNutzung": {"code": "1700"}})["fill"]
    )


def test_explain_rechtscharakter_and_regional_planning():
    nachrichtlich = xc.explain(
        "SO_SchutzgebietWasserrecht", {"rechtscharakter": {"code": "2000", "name": "NachrichtlicheUebernahme"}}
    )
    assert "nachrichtlich übernommen" in nachrichtlich
    # 4.x typo in the code list name, matched all the same
    assert "nachrichtlich" in xc.explain(
        "RP_Gewaesser", {"rechtscharakter": {"code": "3000", "name": "NachrichtlicheUbernahme"}}
    )
    ziel = xc.explain(
        "RP_Rohstoff",
        {
            "rechtscharakter": {"code": "1000", "name": "ZielDerRaumordnung"},
            "gebietsTyp": {"code": "1000", "name": "Vorranggebiet"},
        },
        "en",
    )
    assert "Priority area" in ziel and "objective of regional planning" in ziel
    assert "Hinweis" in xc.explain("BP_GruenFlaeche", {"rechtscharakter": {"code": "3000", "label": "Hinweis"}})
    festsetzung = xc.explain("BP_GruenFlaeche", {"rechtscharakter": {"code": "1000", "name": "Festsetzung"}})
    assert festsetzung == xc.explain("BP_GruenFlaeche")
    vorbehalt = xc.style("RP_Landwirtschaft", {"gebietsTyp": {"code": "1100", "name": "Vorbehaltsgebiet"}}, "area")
    assert vorbehalt["hatch"] == "diagonal"


def test_explain_shows_the_purpose_the_plan_states():
    text = xc.explain(
        "BP_GruenFlaeche",
        {
            "zweckbestimmung": [
                {
                    "_type": "BP_KomplexeZweckbestGruen",
                    "allgemein": {"code": "1600", "name": "Spielplatz", "label": "Spielplatz"},
                }
            ],
            "nutzungsform": {"code": "2000", "name": "Oeffentlich"},
        },
    )
    assert "öffentlich" in text and "Spielplatz" in text
    assert "Purpose as stated in the plan (German): Spielplatz" in xc.explain(
        "BP_GruenFlaeche", {"zweckbestimmung": {"code": "1600", "label": "Spielplatz"}}, "en"
    )
    # bare numeric codes are not shown to people
    assert xc.explain("BP_GruenFlaeche", {"zweckbestimmung": "1600"}) == xc.explain("BP_GruenFlaeche")


def test_unknown_classes_get_an_honest_fallback():
    info = xc.class_info("BP_GanzNeueFlaeche")
    assert not info.known and info.plan_type == "BP" and info.geometry == "any"
    assert "BP_GanzNeueFlaeche" in info.explain_de and "Bebauungsplans" in info.explain_de
    assert "zoning plan" in info.title_en
    assert xc.group("BP_GanzNeueFlaeche", "en") == "Other"
    for weird in ("", None, "Irgendwas", "xplan:", 42):
        assert xc.class_info(weird).title_de
        assert xc.explain(weird, {"massnahme": float("nan")}, "en")
        assert xc.style(weird)["kind"] == "any"
    for kind in xc.GEOMETRY_KINDS:
        _assert_valid(xc.style("FP_Neu", geometry=kind), kind, kind)


def test_names_with_namespace_prefix_and_cached_table():
    assert xc.class_info("xplan:BP_Plan") is xc.class_info("BP_Plan")
    assert xc.class_info("BP_Plan").title("en") == "Zoning plan (Bebauungsplan)"
    assert xc.explain("BP_Plan", None, "fr") == xc.class_info("BP_Plan").explain_de  # German by default


def test_style_with_geojson_types_and_leaflet():
    assert xc.style("BP_VerEntsorgung", geometry="MultiPolygon")["kind"] == "area"
    assert xc.style("BP_VerEntsorgung", geometry="LineString")["kind"] == "line"
    assert xc.style("BP_EinfahrtPunkt")["symbol"] == "einfahrt"
    assert xc.style("XP_TextAbschnitt") == {"kind": "none"}
    leaflet = xc.leaflet_style(xc.style("BP_BauGrenze"))
    assert leaflet == {"color": "#1d4ed8", "weight": 2, "dashArray": "12 4 2 4", "fill": False}
    area = xc.leaflet_style(xc.style("BP_GruenFlaeche"))
    assert area["fill"] and area["fillColor"] == xc.style("BP_GruenFlaeche")["fill"]
    assert xc.leaflet_style({"kind": "none"}) == {}


def test_legend_entries():
    rows = xc.legend_entries(
        [
            "BP_GruenFlaeche",
            "BP_BauGrenze",
            "BP_Plan",
            "XP_TextAbschnitt",
            "BP_BauGrenze",
            ("BP_BaugebietsTeilFlaeche", {"besondereArtDerBaulNutzung": {"code": "1200"}}),
            ("BP_BaugebietsTeilFlaeche", {"besondereArtDerBaulNutzung": {"code": "1700"}}),
            ("BP_BaugebietsTeilFlaeche", {"besondereArtDerBaulNutzung": {"code": "1200"}}),
            "BP_Unbekannt",
        ],
        "de",
    )
    titles = [r["title"] for r in rows]
    assert len(titles) == len(set(titles)) == 6  # duplicates merged, the text class left out
    order = [key for key, _ in xc.groups()]
    assert [order.index(r["group"]) for r in rows] == sorted(order.index(r["group"]) for r in rows)
    wa = next(r for r in rows if "WA" in r["title"])
    assert wa["title"].startswith("Baugebiet") and "Allgemeines Wohngebiet" in wa["title"]
    assert wa["style"]["fill"] != next(r for r in rows if "GE" in r["title"])["style"]["fill"]
    assert rows[0]["xplan_class"] == "BP_Plan" and rows[0]["group_title"] == "Plan und Bereich"
    assert rows[-1]["xplan_class"] == "BP_Unbekannt" and rows[-1]["group"] == "sonstiges"
    en = xc.legend_entries(["BP_BauGrenze"], "en")
    assert en == [
        {
            "xplan_class": "BP_BauGrenze",
            "title": "Building limit",
            "group": "ueberbaubar",
            "group_title": "Buildable areas and building limits",
            "geometry": "line",
            "style": xc.style("BP_BauGrenze"),
        }
    ]
