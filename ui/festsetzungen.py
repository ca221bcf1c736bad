"""Plain-language explanations of Festsetzungen, in German and English.

Pure functions over a feature's properties (as the OGC API returns them), no
I/O, so the same sentences serve the map panel, the list view and the tests:

>>> explain({"grz": 0.4}, "de")
['GRZ 0,4: höchstens 40 % des Grundstücks dürfen überbaut werden']

Values may arrive as numbers, numeric strings, None or NaN; 0 counts as "not
fixed" because the XPlanung exports in the demo write 0 for absent measures.
Codes are accepted as the plan sign (``WA``), the decoded XPlanung name
(``AllgWohngebiet``) or the numeric code (``1200``), so the texts do not depend
on how an importer decodes them.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

from schema.baunvo import BAUFLAECHEN, BAUGEBIETE, BY_SIGN, baugebiet_of, code_key  # noqa: F401 — BAUGEBIETE: below

#: The code list (schema/baunvo.py) under the names ui/map.py reads here: BAUGEBIETE, BAUFLAECHEN, and these.
_norm, _BY_SIGN = code_key, BY_SIGN

# ----------------------------------------------------------------------------
# Numbers and dates
# ----------------------------------------------------------------------------


def number(value: float, lang: str = "de", max_decimals: int = 2) -> str:
    """``1.2`` -> ``1,2`` (de) / ``1.2`` (en); thousands grouped (``1.000`` / ``1,000``); no trailing zeros."""
    text = f"{value:,.{max_decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if lang == "de":
        text = text.translate(str.maketrans({",": ".", ".": ","}))
    return text


def percent(fraction: float, lang: str = "de") -> str:
    """``0.4`` -> ``40 %`` (a space before % as DIN 5008 and the SI brochure ask, in both languages)."""
    return f"{number(fraction * 100, lang, 1)} %"


def roman(n: int) -> str:
    """Storeys as the plan writes them: ``3`` -> ``III``."""
    numerals = ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))
    out = []
    for value, sign in numerals:
        while n >= value:
            out.append(sign)
            n -= value
    return "".join(out)


def format_date(value, lang: str = "de") -> str:
    """ISO date/datetime -> ``29.06.1983`` (de) / ``29 June 1983`` (en); '' for nothing."""
    parsed = _parse_datetime(value)
    if parsed is None:
        return ""
    if lang == "de":
        return parsed.strftime("%d.%m.%Y")
    return f"{parsed.day} {_EN_MONTHS[parsed.month - 1]} {parsed.year}"


_EN_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _parse_datetime(value) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    else:
        try:
            parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _num(props: dict, key: str) -> float | None:
    """A fixed measure, or None where the plan fixes nothing (absent, empty, NaN or 0)."""
    value = props.get(key)
    if value is None or isinstance(value, bool):
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    if math.isnan(value) or value == 0:
        return None
    return value


def _storeys(n: float, lang: str) -> str:
    n = round(n)
    if lang == "de":
        return f"{n} Vollgeschoss" if n == 1 else f"{n} Vollgeschosse"
    return f"{n} full storey" if n == 1 else f"{n} full storeys"


# ----------------------------------------------------------------------------
# Maß der baulichen Nutzung
# ----------------------------------------------------------------------------


def explain_grz(props: dict, lang: str = "de") -> str | None:
    """Grundflächenzahl (§ 19 BauNVO): share of the plot that buildings may cover."""
    grz, lo, hi = _num(props, "grz"), _num(props, "grz_min"), _num(props, "grz_max")
    if grz:
        if lang == "de":
            return f"GRZ {number(grz, lang)}: höchstens {percent(grz, lang)} des Grundstücks dürfen überbaut werden"
        return f"GRZ {number(grz, lang)}: at most {percent(grz, lang)} of the plot may be built on"
    if lo and hi:
        if lang == "de":
            return (
                f"GRZ {number(lo, lang)} bis {number(hi, lang)}: mindestens {percent(lo, lang)} "
                f"und höchstens {percent(hi, lang)} des Grundstücks sind zu überbauen"
            )
        return (
            f"GRZ {number(lo, lang)} to {number(hi, lang)}: at least {percent(lo, lang)} "
            f"and at most {percent(hi, lang)} of the plot are to be built on"
        )
    if hi:
        return explain_grz({"grz": hi}, lang)
    return None


def explain_gfz(props: dict, lang: str = "de") -> str | None:
    """Geschossflächenzahl (§ 20 BauNVO): floor area of all full storeys relative to the plot."""
    gfz, lo, hi = _num(props, "gfz"), _num(props, "gfz_min"), _num(props, "gfz_max")
    if gfz:
        if lang == "de":
            return (
                f"GFZ {number(gfz, lang)}: die Geschossfläche darf höchstens das "
                f"{number(gfz, lang)}-fache der Grundstücksfläche betragen"
            )
        return f"GFZ {number(gfz, lang)}: the floor area may be at most {number(gfz, lang)} times the plot area"
    if lo and hi:
        if lang == "de":
            return (
                f"GFZ {number(lo, lang)} bis {number(hi, lang)}: die Geschossfläche muss mindestens das "
                f"{number(lo, lang)}-fache und darf höchstens das {number(hi, lang)}-fache der Grundstücksfläche betragen"
            )
        return (
            f"GFZ {number(lo, lang)} to {number(hi, lang)}: the floor area must be at least {number(lo, lang)} "
            f"times and may be at most {number(hi, lang)} times the plot area"
        )
    if hi:
        return explain_gfz({"gfz": hi}, lang)
    return None


def explain_gr(props: dict, lang: str = "de") -> str | None:
    """Grundfläche (§ 19 BauNVO) as an absolute area."""
    gr = _num(props, "gr") or _num(props, "gr_max")
    if not gr:
        return None
    if lang == "de":
        return f"GR {number(gr, lang)} m²: die Gebäude dürfen zusammen höchstens {number(gr, lang)} m² Grundfläche bedecken"
    return f"GR {number(gr, lang)} m²: the buildings may cover at most {number(gr, lang)} m² of ground in total"


def explain_gf(props: dict, lang: str = "de") -> str | None:
    """Geschossfläche (§ 20 BauNVO) as an absolute area."""
    gf = _num(props, "gf") or _num(props, "gf_max")
    if not gf:
        return None
    if lang == "de":
        return f"GF {number(gf, lang)} m²: die Geschossfläche aller Vollgeschosse darf zusammen höchstens {number(gf, lang)} m² betragen"
    return f"GF {number(gf, lang)} m²: the floor area of all full storeys may total at most {number(gf, lang)} m²"


def explain_bmz(props: dict, lang: str = "de") -> str | None:
    """Baumassenzahl (§ 21 BauNVO): cubic metres of building per square metre of plot."""
    bmz = _num(props, "bmz")
    if not bmz:
        return None
    if lang == "de":
        return f"BMZ {number(bmz, lang)}: je m² Grundstück dürfen höchstens {number(bmz, lang)} m³ Gebäude (Baumasse) entstehen"
    return f"BMZ {number(bmz, lang)}: at most {number(bmz, lang)} m³ of building volume per m² of plot"


def explain_z(props: dict, lang: str = "de") -> str | None:
    """Zahl der Vollgeschosse (§ 20 BauNVO), as maximum, range or binding number."""
    z, lo, hi, exact = (_num(props, k) for k in ("z", "z_min", "z_max", "z_zwingend"))
    if exact:
        if lang == "de":
            return f"Z {roman(int(exact))} (zwingend): genau {_storeys(exact, lang)}"
        return f"Z {roman(int(exact))} (binding): exactly {_storeys(exact, lang)}"
    if lo and hi:
        if lang == "de":
            return f"Z {roman(int(lo))}–{roman(int(hi))}: mindestens {int(lo)} und höchstens {_storeys(hi, lang)}"
        return f"Z {roman(int(lo))}–{roman(int(hi))}: at least {int(lo)} and at most {_storeys(hi, lang)}"
    top = z or hi
    if top:
        if lang == "de":
            return f"Z {roman(int(top))}: höchstens {_storeys(top, lang)}"
        return f"Z {roman(int(top))}: at most {_storeys(top, lang)}"
    if lo:
        if lang == "de":
            return f"Z mindestens {roman(int(lo))}: mindestens {_storeys(lo, lang)}"
        return f"Z at least {roman(int(lo))}: at least {_storeys(lo, lang)}"
    return None


def explain_height(props: dict, lang: str = "de") -> str | None:
    """A maximum height where the plan fixes one."""
    h = _num(props, "h_max")
    if not h:
        return None
    if lang == "de":
        return f"Höhe: Gebäude dürfen höchstens {number(h, lang)} m hoch sein"
    return f"Height: buildings may be at most {number(h, lang)} m high"


# ----------------------------------------------------------------------------
# Bauweise (§ 22 BauNVO)
# ----------------------------------------------------------------------------

_BAUWEISE = {
    "offen": (
        "Offene Bauweise (o): Gebäude halten Abstand zu den seitlichen Grundstücksgrenzen – als Einzelhaus, "
        "Doppelhaus oder Hausgruppe, höchstens 50 m lang",
        "Open building pattern (o): buildings keep a distance from the side boundaries – as detached, "
        "semi-detached or terraced houses, at most 50 m long",
    ),
    "geschlossen": (
        "Geschlossene Bauweise (g): Gebäude werden ohne seitlichen Abstand direkt aneinander gebaut, "
        "wie in einer Häuserzeile",
        "Closed building pattern (g): buildings are built right next to each other without side gaps, "
        "as in a continuous street frontage",
    ),
    "abweichend": (
        "Abweichende Bauweise (a): der Plan legt selbst fest, wie von offener oder geschlossener Bauweise "
        "abgewichen wird – siehe textliche Festsetzungen",
        "Deviating building pattern (a): the plan itself defines how buildings may deviate from the open "
        "or closed pattern – see the textual provisions",
    ),
}
_BAUWEISE_ALIASES = {
    "o": "offen",
    "1000": "offen",
    "offenebauweise": "offen",
    "offen": "offen",
    "g": "geschlossen",
    "2000": "geschlossen",
    "geschlossenebauweise": "geschlossen",
    "geschlossen": "geschlossen",
    "a": "abweichend",
    "3000": "abweichend",
    "abweichendebauweise": "abweichend",
    "abweichend": "abweichend",
}


def explain_bauweise(props: dict, lang: str = "de") -> str | None:
    """Offene / geschlossene / abweichende Bauweise in plain words."""
    for key in ("bauweise", "bauweise_code"):
        found = _BAUWEISE_ALIASES.get(code_key(props.get(key)))
        if found:
            de, en = _BAUWEISE[found]
            return en if lang == "en" else de
    return None


# ----------------------------------------------------------------------------
# Art der baulichen Nutzung (BauNVO §§ 2–11)
# ----------------------------------------------------------------------------


def nutzung_group(props: dict) -> str | None:
    """Colour family of a zone: ``wohnen``, ``misch``, ``gewerbe``, ``sonder`` (None if unknown)."""
    found = baugebiet_of(props)
    if found:
        return found.group
    allg = code_key(props.get("allg_art_der_baulichen_nutzung"))
    for group, (_, _, _, codes) in BAUFLAECHEN.items():
        if allg in codes:
            return group
    return None


def explain_art(props: dict, lang: str = "de") -> str | None:
    """``WA – Allgemeines Wohngebiet: vorwiegend Wohnen; …`` for a zone's type of use."""
    found = baugebiet_of(props)
    if found:
        name = found.name_en if lang == "en" else found.name_de
        meaning = found.meaning_en if lang == "en" else found.meaning_de
        prefix = f"{found.sign} – {name}" if found.sign else name
        return f"{prefix}: {meaning}"
    allg = code_key(props.get("allg_art_der_baulichen_nutzung"))
    for sign, name_de, name_en, codes in BAUFLAECHEN.values():
        if allg in codes:
            if lang == "en":
                return (
                    f"{sign} – {name_en}: the plan fixes only the general type of use; the exact uses follow the BauNVO"
                )
            return f"{sign} – {name_de}: der Plan legt nur die allgemeine Art der Nutzung fest; die genauen Nutzungen regelt die BauNVO"
    return None


def art_label(props: dict, lang: str = "de") -> str:
    """Short label for legends and tables: ``WA – Allgemeines Wohngebiet``."""
    found = baugebiet_of(props)
    if found:
        name = found.name_en if lang == "en" else found.name_de
        return f"{found.sign} – {name}" if found.sign else name
    allg = code_key(props.get("allg_art_der_baulichen_nutzung"))
    for sign, name_de, name_en, codes in BAUFLAECHEN.values():
        if allg in codes:
            return f"{sign} – {name_en if lang == 'en' else name_de}"
    return str(props.get("art_code") or props.get("besondere_art_der_baulichen_nutzung") or "–")


def measures_label(props: dict, lang: str = "de") -> str:
    """Compact plan notation for tables: ``GRZ 0,4 · GFZ 1,2 · III · o``."""
    parts = []
    for key, label in (("grz", "GRZ"), ("gfz", "GFZ"), ("bmz", "BMZ")):
        value = _num(props, key) or _num(props, f"{key}_max")
        if value:
            parts.append(f"{label} {number(value, lang)}")
    for key, label in (("gr", "GR"), ("gf", "GF")):
        value = _num(props, key)
        if value:
            parts.append(f"{label} {number(value, lang)} m²")
    z = _num(props, "z_zwingend") or _num(props, "z") or _num(props, "z_max")
    if z:
        parts.append(roman(int(z)))
    bauweise = _BAUWEISE_ALIASES.get(code_key(props.get("bauweise"))) or _BAUWEISE_ALIASES.get(
        code_key(props.get("bauweise_code"))
    )
    if bauweise:
        parts.append(bauweise[0])
    return " · ".join(parts) or "–"


# ----------------------------------------------------------------------------
# Baugrenze / Baulinie (§ 23 BauNVO)
# ----------------------------------------------------------------------------


def explain_baulinie(props: dict, lang: str = "de") -> str | None:
    """What a Baugrenze or Baulinie means for whoever builds."""
    art = code_key(props.get("art") or props.get("xplan_class"))
    if "baulinie" in art:
        if lang == "en":
            return "Baulinie (building line): buildings must be built right on this line"
        return "Baulinie: auf dieser Linie muss gebaut werden – die Gebäudewand steht genau hier"
    if "baugrenze" in art:
        if lang == "en":
            return "Baugrenze (building limit): buildings may reach up to this line but must not cross it"
        return "Baugrenze: Gebäude dürfen bis an diese Linie heran, sie aber nicht überschreiten"
    return None


# ----------------------------------------------------------------------------
# Rechtsstand and participation phase of a plan
# ----------------------------------------------------------------------------

_RECHTSSTAND = {
    "aufstellungsbeschluss": (
        "Aufstellungsbeschluss: die Gemeinde hat beschlossen, diesen Plan aufzustellen; er gilt noch nicht",
        "Decision to prepare: the municipality has decided to draw up this plan; it is not yet in force",
    ),
    "entwurf": (
        "Entwurf: der Plan wird ausgearbeitet und gilt noch nicht",
        "Draft: the plan is being prepared and is not yet in force",
    ),
    "fruehzeitigebehoerdenbeteiligung": (
        "Frühzeitige Behördenbeteiligung: Fachbehörden äußern sich zum Vorentwurf",
        "Early consultation of authorities: public agencies comment on the preliminary draft",
    ),
    "fruehzeitigeoeffentlichkeitsbeteiligung": (
        "Frühzeitige Öffentlichkeitsbeteiligung: alle können sich früh zu den Zielen des Plans äußern",
        "Early public participation: everyone can comment early on the aims of the plan",
    ),
    "behoerdenbeteiligung": (
        "Behördenbeteiligung: Fachbehörden nehmen Stellung zum Entwurf",
        "Consultation of authorities: public agencies comment on the draft",
    ),
    "oeffentlicheauslegung": (
        "Öffentliche Auslegung: der Entwurf liegt aus – jetzt können alle Stellungnahmen abgeben",
        "Public display: the draft is on display – everyone can submit comments now",
    ),
    "satzung": (
        "Beschlossen: der Plan ist als Satzung bzw. Verordnung beschlossen",
        "Adopted: the plan has been adopted as a by-law or ordinance",
    ),
    "inkraftgetreten": (
        "In Kraft: der Plan ist geltendes Recht; Bauanträge werden danach beurteilt",
        "In force: the plan is binding law; building applications are judged by it",
    ),
    "teilweiseuntergegangen": (
        "Teilweise außer Kraft: Teile des Plans gelten nicht mehr",
        "Partly lapsed: parts of the plan no longer apply",
    ),
    "untergegangen": ("Außer Kraft: der Plan gilt nicht mehr", "Lapsed: the plan no longer applies"),
    "aufgehoben": (
        "Aufgehoben: der Plan wurde aufgehoben und gilt nicht mehr",
        "Revoked: the plan was revoked and no longer applies",
    ),
    "ausserkraft": ("Außer Kraft: der Plan gilt nicht mehr", "No longer in force: the plan no longer applies"),
}
_RECHTSSTAND_CODES = {
    "1000": "aufstellungsbeschluss",
    "2000": "entwurf",
    "2100": "fruehzeitigebehoerdenbeteiligung",
    "2200": "fruehzeitigeoeffentlichkeitsbeteiligung",
    "2300": "behoerdenbeteiligung",
    "2400": "oeffentlicheauslegung",
    "3000": "satzung",
    "4000": "inkraftgetreten",
    "4500": "teilweiseuntergegangen",
    "5000": "untergegangen",
    "50000": "aufgehoben",
    "50100": "ausserkraft",
}


def explain_rechtsstand(props: dict, lang: str = "de") -> str | None:
    """The plan's legal status in plain words (from the decoded name or the XPlanung code)."""
    for key in ("rechtsstand", "rechtsstand_code"):
        norm = code_key(props.get(key))
        norm = _RECHTSSTAND_CODES.get(norm, norm)
        if norm in _RECHTSSTAND:
            de, en = _RECHTSSTAND[norm]
            return en if lang == "en" else de
    raw = props.get("rechtsstand")
    if raw:
        return f"Legal status: {raw}" if lang == "en" else f"Rechtsstand: {raw}"
    return None


def participation_phase(props: dict, now: datetime | None = None) -> str:
    """``open``, ``upcoming``, ``closed`` or ``none`` for a plan's participation window."""
    now = now or datetime.now(UTC)
    start, end = _parse_datetime(props.get("participation_start")), _parse_datetime(props.get("participation_end"))
    if not start and not end:
        return "none"
    if start and now < start:
        return "upcoming"
    if end and now > end:
        return "closed"
    return "open"


def explain_participation(props: dict, lang: str = "de", now: datetime | None = None) -> str:
    """One sentence on whether citizens can comment on the plan now."""
    phase = participation_phase(props, now)
    start = format_date(props.get("participation_start"), lang)
    end = format_date(props.get("participation_end"), lang)
    de = lang != "en"
    if phase == "open":
        if end:
            return (
                f"Beteiligung läuft bis {end}: Sie können jetzt Beiträge zu diesem Plan abgeben"
                if de
                else f"Participation open until {end}: you can submit contributions on this plan now"
            )
        return (
            "Beteiligung läuft: Sie können jetzt Beiträge zu diesem Plan abgeben"
            if de
            else "Participation open: you can submit contributions on this plan now"
        )
    if phase == "upcoming":
        return f"Beteiligung beginnt am {start}" if de else f"Participation starts on {start}"
    if phase == "closed":
        return f"Beteiligung beendet am {end}" if de else f"Participation closed on {end}"
    return "Zurzeit keine förmliche Beteiligungsphase" if de else "No formal participation phase at the moment"


# ----------------------------------------------------------------------------
# One entry point
# ----------------------------------------------------------------------------

_ZONE_EXPLAINERS = (
    explain_art,
    explain_grz,
    explain_gfz,
    explain_gr,
    explain_gf,
    explain_bmz,
    explain_z,
    explain_height,
    explain_bauweise,
)


def explain(props: dict, lang: str = "de") -> list[str]:
    """Every plain-language sentence that applies to a feature, in reading order.

    Works for Baugebietsteilflächen (type and measures of use, Bauweise),
    Baugrenzen/Baulinien and plans (Rechtsstand); unknown properties are ignored.
    """
    props = props or {}
    lines: list[str] = []
    line = explain_baulinie(props, lang) if "art" in props else None
    if line:
        return [line]
    for explainer in _ZONE_EXPLAINERS:
        sentence = explainer(props, lang)
        if sentence:
            lines.append(sentence)
    if "rechtsstand" in props or "rechtsstand_code" in props:
        sentence = explain_rechtsstand(props, lang)
        if sentence:
            lines.append(sentence)
    return lines
