"""Art der baulichen Nutzung (BauNVO §§ 1–11): the Baugebiete and Bauflächen, their signs, names and meaning.

Code-list knowledge every layer of the application reads: the portal explains a zone in plain words
(``ui/festsetzungen.py``) and colours it by its group (``ui/map.py``), the place search finds zones by sign or
name (``api/search.py``, "WA", "Allgemeines Wohngebiet"). A zone names its type as the plan sign (``art_code``,
``WA``), the decoded XPlanung name (``AllgWohngebiet``) or the numeric code (``1200``); :func:`baugebiet_of`
accepts each, so nothing depends on how an importer decoded it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Baugebiet:
    """One Baugebiet type of the BauNVO with its sign, names and plain-language meaning."""

    sign: str
    name_de: str
    name_en: str
    meaning_de: str
    meaning_en: str
    paragraph: str
    group: str  # wohnen | misch | gewerbe | sonder -> map colour family
    codes: tuple[str, ...]  # XPlanung code and decoded names


BAUGEBIETE: tuple[Baugebiet, ...] = (
    Baugebiet(
        "WS",
        "Kleinsiedlungsgebiet",
        "Small settlement area",
        "vorwiegend Kleinsiedlungen mit großen Nutzgärten; auch Wohngebäude mit höchstens zwei Wohnungen",
        "mainly small settlement houses with large kitchen gardens; also houses with at most two flats",
        "§ 2 BauNVO",
        "wohnen",
        ("1000", "kleinsiedlungsgebiet"),
    ),
    Baugebiet(
        "WR",
        "Reines Wohngebiet",
        "Purely residential area",
        "nur Wohnen; ausnahmsweise kleine Läden und nicht störende Handwerksbetriebe für den täglichen Bedarf",
        "housing only; small shops and non-disturbing craft businesses for daily needs by exception",
        "§ 3 BauNVO",
        "wohnen",
        ("1100", "reineswohngebiet"),
    ),
    Baugebiet(
        "WA",
        "Allgemeines Wohngebiet",
        "General residential area",
        "vorwiegend Wohnen; Läden, Gaststätten, nicht störende Handwerksbetriebe zulässig",
        "mainly housing; shops, restaurants and non-disturbing craft businesses allowed",
        "§ 4 BauNVO",
        "wohnen",
        ("1200", "allgwohngebiet", "allgemeineswohngebiet"),
    ),
    Baugebiet(
        "WB",
        "Besonderes Wohngebiet",
        "Special residential area",
        "bestehende Wohngebiete mit Läden, Büros und Betrieben; das Wohnen soll erhalten und fortentwickelt werden",
        "existing residential areas with shops, offices and businesses; housing is to be kept and developed",
        "§ 4a BauNVO",
        "wohnen",
        ("1300", "besondereswohngebiet"),
    ),
    Baugebiet(
        "MD",
        "Dorfgebiet",
        "Village area",
        "Bauernhöfe, Wohnen und Gewerbe, das nicht wesentlich stört; die Landwirtschaft hat Vorrang",
        "farms, housing and businesses that do not disturb significantly; agriculture has priority",
        "§ 5 BauNVO",
        "misch",
        ("1400", "dorfgebiet"),
    ),
    Baugebiet(
        "MDW",
        "Dörfliches Wohngebiet",
        "Village residential area",
        "Wohnen, Nebenerwerbs-Landwirtschaft und nicht wesentlich störendes Gewerbe nebeneinander",
        "housing, part-time farming and businesses that do not disturb significantly, side by side",
        "§ 5a BauNVO",
        "misch",
        ("1450", "doerflicheswohngebiet"),
    ),
    Baugebiet(
        "MI",
        "Mischgebiet",
        "Mixed area",
        "Wohnen und Gewerbe, das das Wohnen nicht wesentlich stört, gleichberechtigt nebeneinander",
        "housing and businesses that do not significantly disturb housing, on equal terms",
        "§ 6 BauNVO",
        "misch",
        ("1500", "mischgebiet"),
    ),
    Baugebiet(
        "MU",
        "Urbanes Gebiet",
        "Urban area",
        "Wohnen, Gewerbe, soziale und kulturelle Einrichtungen dicht gemischt; die Mischung muss nicht gleich verteilt sein",
        "housing, businesses, social and cultural facilities densely mixed; the mix need not be even",
        "§ 6a BauNVO",
        "misch",
        ("1550", "urbanesgebiet"),
    ),
    Baugebiet(
        "MK",
        "Kerngebiet",
        "Core area",
        "Zentrum mit Handel, Büros, Verwaltung, Gastronomie und Kultur; Wohnen nur eingeschränkt",
        "centre with retail, offices, administration, restaurants and culture; housing only in part",
        "§ 7 BauNVO",
        "misch",
        ("1600", "kerngebiet"),
    ),
    Baugebiet(
        "GE",
        "Gewerbegebiet",
        "Commercial area",
        "vorwiegend Gewerbebetriebe, die nicht erheblich belästigen; Wohnungen nur ausnahmsweise für Betriebsinhaber und Aufsicht",
        "mainly businesses that do not cause significant nuisance; flats only by exception for owners and supervisors",
        "§ 8 BauNVO",
        "gewerbe",
        ("1700", "gewerbegebiet"),
    ),
    Baugebiet(
        "GI",
        "Industriegebiet",
        "Industrial area",
        "ausschließlich Gewerbe- und Industriebetriebe, vor allem solche, die anderswo unzulässig sind; kein Wohnen",
        "exclusively commercial and industrial plants, above all those not allowed elsewhere; no housing",
        "§ 9 BauNVO",
        "gewerbe",
        ("1800", "industriegebiet"),
    ),
    Baugebiet(
        "SO",
        "Sondergebiet, das der Erholung dient",
        "Special area for recreation",
        "Wochenendhäuser, Ferienhäuser oder Campingplätze",
        "weekend houses, holiday homes or camp sites",
        "§ 10 BauNVO",
        "sonder",
        ("2000", "sondergebieterholung"),
    ),
    Baugebiet(
        "SO",
        "Sonstiges Sondergebiet",
        "Other special area",
        "ein besonderer Zweck, den der Plan festlegt, z. B. Einkaufszentrum, Hochschule oder Klinik",
        "a particular purpose set by the plan, e.g. shopping centre, university or hospital",
        "§ 11 BauNVO",
        "sonder",
        ("2100", "sondergebietsonst", "4000", "sondergebiet"),
    ),
    Baugebiet(
        "SO",
        "Wochenendhausgebiet",
        "Weekend house area",
        "Wochenendhäuser als Einzelhäuser; kein dauerhaftes Wohnen",
        "weekend houses as detached houses; no permanent living",
        "§ 10 BauNVO",
        "sonder",
        ("3000", "wochenendhausgebiet"),
    ),
    Baugebiet(
        "",
        "Sonstiges Gebiet",
        "Other area",
        "eine besondere Nutzung – siehe Planzeichnung und textliche Festsetzungen",
        "a particular use – see the plan drawing and the textual provisions",
        "",
        "sonder",
        ("9999", "sonstigesgebiet"),
    ),
)

#: Bauflächen (§ 1 (1) BauNVO), used where a plan fixes only the general type of use.
BAUFLAECHEN = {
    "wohnen": ("W", "Wohnbaufläche", "Residential building land", ("1000", "wohnbauflaeche", "w")),
    "misch": ("M", "Gemischte Baufläche", "Mixed building land", ("2000", "gemischtebauflaeche", "m")),
    "gewerbe": ("G", "Gewerbliche Baufläche", "Commercial building land", ("3000", "gewerblichebauflaeche", "g")),
    "sonder": (
        "S",
        "Sonderbaufläche",
        "Special building land",
        ("4000", "sonderbauflaeche", "s", "9999", "sonstigebauflaeche"),
    ),
}

#: Baugebiet by plan sign; "SO" names several (Sondergebiete, Wochenendhausgebiet), their codes tell them apart.
BY_SIGN = {g.sign: g for g in BAUGEBIETE if g.sign and g.sign != "SO"}
_BY_CODE = {code: g for g in BAUGEBIETE for code in g.codes}


def code_key(value) -> str:
    """A code or name as the code lists compare it: lower-case letters/digits only, umlauts folded.

    >>> code_key("Allg. Wohngebiet")
    'allgwohngebiet'
    >>> code_key(1200.0)
    '1200'
    """
    if value is None:
        return ""
    text = str(value).strip().lower()
    text = text.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    if text.endswith(".0") and text[:-2].isdigit():  # numeric codes that went through a float
        text = text[:-2]
    return re.sub(r"[^a-z0-9]", "", text)


def baugebiet_of(props: dict) -> Baugebiet | None:
    """The BauNVO Baugebiet a zone belongs to, from its sign, decoded name or code."""
    sign = str(props.get("art_code") or "").strip().upper()
    if sign in BY_SIGN:
        return BY_SIGN[sign]
    found = _BY_CODE.get(code_key(props.get("besondere_art_der_baulichen_nutzung")))
    if found:
        return found
    if sign == "SO":
        return _BY_CODE["2100"]
    return None
