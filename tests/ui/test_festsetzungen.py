"""Plain-language Festsetzungen: literal sentences in German and English."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from schema.baunvo import BAUGEBIETE
from ui.festsetzungen import (
    art_label,
    explain,
    explain_art,
    explain_baulinie,
    explain_bauweise,
    explain_bmz,
    explain_gf,
    explain_gfz,
    explain_gr,
    explain_grz,
    explain_height,
    explain_participation,
    explain_rechtsstand,
    explain_z,
    format_date,
    measures_label,
    number,
    nutzung_group,
    participation_phase,
    percent,
    roman,
)

# --- numbers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, de, en",
    [
        (0.4, "0,4", "0.4"),
        (1.2, "1,2", "1.2"),
        (1.0, "1", "1"),
        (0.35, "0,35", "0.35"),
        (1250, "1.250", "1,250"),
        (1234567.891, "1.234.567,89", "1,234,567.89"),
        (6, "6", "6"),
    ],
)
def test_number_uses_decimal_comma_in_german(value, de, en):
    assert number(value, "de") == de
    assert number(value, "en") == en


def test_percent_and_roman():
    assert percent(0.4) == "40 %"
    assert percent(0.333) == "33,3 %"
    assert percent(0.333, "en") == "33.3 %"
    assert [roman(n) for n in (1, 2, 3, 4, 5, 9, 12)] == ["I", "II", "III", "IV", "V", "IX", "XII"]


def test_dates():
    assert format_date("1983-06-29") == "29.06.1983"
    assert format_date("1983-06-29", "en") == "29 June 1983"
    assert format_date("2025-03-01T10:00:00Z") == "01.03.2025"
    assert format_date(None) == ""
    assert format_date("not a date") == ""


# --- Maß der baulichen Nutzung -------------------------------------------------------


def test_grz():
    assert explain_grz({"grz": 0.4}) == "GRZ 0,4: höchstens 40 % des Grundstücks dürfen überbaut werden"
    assert explain_grz({"grz": 0.4}, "en") == "GRZ 0.4: at most 40 % of the plot may be built on"
    assert explain_grz({"grz_min": 0.2, "grz_max": 0.4}) == (
        "GRZ 0,2 bis 0,4: mindestens 20 % und höchstens 40 % des Grundstücks sind zu überbauen"
    )
    assert explain_grz({"grz_max": 0.6}) == "GRZ 0,6: höchstens 60 % des Grundstücks dürfen überbaut werden"


def test_gfz():
    assert explain_gfz({"gfz": 1.2}) == (
        "GFZ 1,2: die Geschossfläche darf höchstens das 1,2-fache der Grundstücksfläche betragen"
    )
    assert explain_gfz({"gfz": 1.2}, "en") == "GFZ 1.2: the floor area may be at most 1.2 times the plot area"
    assert explain_gfz({"gfz_min": 0.8, "gfz_max": 1.6}) == (
        "GFZ 0,8 bis 1,6: die Geschossfläche muss mindestens das 0,8-fache und darf höchstens "
        "das 1,6-fache der Grundstücksfläche betragen"
    )


def test_z_storeys():
    assert explain_z({"z": 3}) == "Z III: höchstens 3 Vollgeschosse"
    assert explain_z({"z": 3}, "en") == "Z III: at most 3 full storeys"
    assert explain_z({"z_max": 1}) == "Z I: höchstens 1 Vollgeschoss"
    assert explain_z({"z_min": 2, "z_max": 4}) == "Z II–IV: mindestens 2 und höchstens 4 Vollgeschosse"
    assert explain_z({"z_zwingend": 2}) == "Z II (zwingend): genau 2 Vollgeschosse"
    assert explain_z({"z_zwingend": 2}, "en") == "Z II (binding): exactly 2 full storeys"
    assert explain_z({"z_min": 2}) == "Z mindestens II: mindestens 2 Vollgeschosse"


def test_gr_gf_bmz_height():
    assert explain_gr({"gr": 250}) == "GR 250 m²: die Gebäude dürfen zusammen höchstens 250 m² Grundfläche bedecken"
    assert explain_gf({"gf": 1200}) == (
        "GF 1.200 m²: die Geschossfläche aller Vollgeschosse darf zusammen höchstens 1.200 m² betragen"
    )
    assert (
        explain_gf({"gf": 1200}, "en") == "GF 1,200 m²: the floor area of all full storeys may total at most 1,200 m²"
    )
    assert explain_bmz({"bmz": 6}) == "BMZ 6: je m² Grundstück dürfen höchstens 6 m³ Gebäude (Baumasse) entstehen"
    assert explain_bmz({"bmz": 6}, "en") == "BMZ 6: at most 6 m³ of building volume per m² of plot"
    assert explain_height({"h_max": 12.5}) == "Höhe: Gebäude dürfen höchstens 12,5 m hoch sein"


@pytest.mark.parametrize("props", [{}, {"grz": None}, {"grz": 0}, {"grz": float("nan")}, {"grz": "abc"}, {"grz": True}])
def test_absent_measures_say_nothing(props):
    assert explain_grz(props) is None


def test_numeric_strings_are_read():
    assert explain_grz({"grz": "0.4"}) == "GRZ 0,4: höchstens 40 % des Grundstücks dürfen überbaut werden"


# --- Bauweise ------------------------------------------------------------------


@pytest.mark.parametrize("value", ["OffeneBauweise", "1000", "o", "offen"])
def test_bauweise_offen(value):
    assert explain_bauweise({"bauweise": value}) == (
        "Offene Bauweise (o): Gebäude halten Abstand zu den seitlichen Grundstücksgrenzen – als Einzelhaus, "
        "Doppelhaus oder Hausgruppe, höchstens 50 m lang"
    )


def test_bauweise_geschlossen_und_abweichend():
    assert explain_bauweise({"bauweise": "GeschlosseneBauweise"}) == (
        "Geschlossene Bauweise (g): Gebäude werden ohne seitlichen Abstand direkt aneinander gebaut, "
        "wie in einer Häuserzeile"
    )
    assert explain_bauweise({"bauweise_code": "3000"}, "en") == (
        "Deviating building pattern (a): the plan itself defines how buildings may deviate from the open "
        "or closed pattern – see the textual provisions"
    )
    assert explain_bauweise({"bauweise": "Unbekannt"}) is None


# --- Art der baulichen Nutzung ---------------------------------------------------------


def test_art_wa_by_sign_name_and_code():
    expected = (
        "WA – Allgemeines Wohngebiet: vorwiegend Wohnen; Läden, Gaststätten, nicht störende Handwerksbetriebe zulässig"
    )
    assert explain_art({"art_code": "WA"}) == expected
    assert explain_art({"besondere_art_der_baulichen_nutzung": "AllgWohngebiet"}) == expected
    assert explain_art({"besondere_art_der_baulichen_nutzung": "1200"}) == expected
    assert explain_art({"art_code": "WA"}, "en") == (
        "WA – General residential area: mainly housing; shops, restaurants and non-disturbing craft businesses allowed"
    )


@pytest.mark.parametrize(
    "sign, start",
    [
        ("WS", "WS – Kleinsiedlungsgebiet: vorwiegend Kleinsiedlungen"),
        ("WR", "WR – Reines Wohngebiet: nur Wohnen"),
        ("WB", "WB – Besonderes Wohngebiet: "),
        ("MD", "MD – Dorfgebiet: Bauernhöfe, Wohnen und Gewerbe"),
        ("MDW", "MDW – Dörfliches Wohngebiet: "),
        ("MI", "MI – Mischgebiet: Wohnen und Gewerbe, das das Wohnen nicht wesentlich stört"),
        ("MU", "MU – Urbanes Gebiet: "),
        ("MK", "MK – Kerngebiet: Zentrum mit Handel"),
        ("GE", "GE – Gewerbegebiet: vorwiegend Gewerbebetriebe, die nicht erheblich belästigen"),
        ("GI", "GI – Industriegebiet: ausschließlich Gewerbe- und Industriebetriebe"),
        ("SO", "SO – Sonstiges Sondergebiet: ein besonderer Zweck"),
    ],
)
def test_every_baunvo_baugebiet_is_explained(sign, start):
    assert explain_art({"art_code": sign}).startswith(start)


def test_every_baugebiet_has_both_languages():
    for gebiet in BAUGEBIETE:
        assert gebiet.meaning_de and gebiet.meaning_en and gebiet.name_de and gebiet.name_en


def test_sondergebiet_erholung_by_code():
    assert explain_art({"besondere_art_der_baulichen_nutzung": "SondergebietErholung"}) == (
        "SO – Sondergebiet, das der Erholung dient: Wochenendhäuser, Ferienhäuser oder Campingplätze"
    )


def test_only_allgemeine_art():
    assert explain_art({"allg_art_der_baulichen_nutzung": "WohnBauflaeche"}) == (
        "W – Wohnbaufläche: der Plan legt nur die allgemeine Art der Nutzung fest; die genauen Nutzungen regelt die BauNVO"
    )
    assert nutzung_group({"allg_art_der_baulichen_nutzung": "GewerblicheBauflaeche"}) == "gewerbe"
    assert nutzung_group({"art_code": "MI"}) == "misch"
    assert nutzung_group({}) is None


def test_labels():
    assert art_label({"art_code": "GE"}) == "GE – Gewerbegebiet"
    assert art_label({"art_code": "GE"}, "en") == "GE – Commercial area"
    assert (
        measures_label({"grz": 0.4, "gfz": 1.2, "z": 3, "bauweise": "OffeneBauweise"}) == "GRZ 0,4 · GFZ 1,2 · III · o"
    )
    assert measures_label({}) == "–"


# --- Baugrenze / Baulinie, Rechtsstand, Beteiligung -----------------------------------


def test_baugrenze_baulinie():
    assert (
        explain_baulinie({"art": "Baugrenze"})
        == "Baugrenze: Gebäude dürfen bis an diese Linie heran, sie aber nicht überschreiten"
    )
    assert (
        explain_baulinie({"art": "Baulinie"})
        == "Baulinie: auf dieser Linie muss gebaut werden – die Gebäudewand steht genau hier"
    )
    assert explain_baulinie({"art": "Baugrenze"}, "en") == (
        "Baugrenze (building limit): buildings may reach up to this line but must not cross it"
    )
    assert explain({"art": "Baulinie"}, "en") == [
        "Baulinie (building line): buildings must be built right on this line"
    ]


@pytest.mark.parametrize("value", ["InkraftGetreten", "4000"])
def test_rechtsstand_in_kraft(value):
    assert explain_rechtsstand({"rechtsstand": value}) == (
        "In Kraft: der Plan ist geltendes Recht; Bauanträge werden danach beurteilt"
    )


def test_rechtsstand_other():
    assert explain_rechtsstand({"rechtsstand": "OeffentlicheAuslegung"}) == (
        "Öffentliche Auslegung: der Entwurf liegt aus – jetzt können alle Stellungnahmen abgeben"
    )
    assert (
        explain_rechtsstand({"rechtsstand": "Satzung"}, "en")
        == "Adopted: the plan has been adopted as a by-law or ordinance"
    )
    assert (
        explain_rechtsstand({"rechtsstand_code": "2000"}) == "Entwurf: der Plan wird ausgearbeitet und gilt noch nicht"
    )
    assert explain_rechtsstand({"rechtsstand": "Sonderfall"}) == "Rechtsstand: Sonderfall"
    assert explain_rechtsstand({}) is None


def test_participation_phases():
    now = datetime(2025, 5, 1, tzinfo=UTC)
    window = {"participation_start": "2025-04-01T00:00:00Z", "participation_end": "2025-05-31T23:59:59Z"}
    assert participation_phase(window, now) == "open"
    assert explain_participation(window, "de", now) == (
        "Beteiligung läuft bis 31.05.2025: Sie können jetzt Beiträge zu diesem Plan abgeben"
    )
    assert explain_participation(window, "en", now) == (
        "Participation open until 31 May 2025: you can submit contributions on this plan now"
    )
    assert participation_phase(window, datetime(2025, 3, 1, tzinfo=UTC)) == "upcoming"
    assert explain_participation(window, "de", datetime(2025, 7, 1, tzinfo=UTC)) == "Beteiligung beendet am 31.05.2025"
    assert explain_participation({}, "de") == "Zurzeit keine förmliche Beteiligungsphase"


# --- all together -----------------------------------------------------------------


def test_explain_zone_in_reading_order():
    zone = {
        "art_code": "WA",
        "grz": 0.4,
        "gfz": 1.2,
        "z": 3,
        "bauweise": "OffeneBauweise",
        "rechtscharakter": "Festsetzung",
        "flaeche_m2": 1234.5,
    }
    assert explain(zone) == [
        "WA – Allgemeines Wohngebiet: vorwiegend Wohnen; Läden, Gaststätten, nicht störende Handwerksbetriebe zulässig",
        "GRZ 0,4: höchstens 40 % des Grundstücks dürfen überbaut werden",
        "GFZ 1,2: die Geschossfläche darf höchstens das 1,2-fache der Grundstücksfläche betragen",
        "Z III: höchstens 3 Vollgeschosse",
        "Offene Bauweise (o): Gebäude halten Abstand zu den seitlichen Grundstücksgrenzen – als Einzelhaus, "
        "Doppelhaus oder Hausgruppe, höchstens 50 m lang",
    ]


def test_explain_plan_gives_its_status():
    assert explain({"name": "LA 22", "rechtsstand": "InkraftGetreten"}) == [
        "In Kraft: der Plan ist geltendes Recht; Bauanträge werden danach beurteilt"
    ]


def test_explain_nothing():
    assert explain({}) == []
    assert explain(None) == []
