"""The Abwägungstabelle as XLSX, DOCX, CSV and GeoPackage: pure functions from rows to bytes.

The *Abwägungstabelle* lists every *Stellungnahme* (statement) of a *Beteiligungsverfahren*
(or every section of one) with the planners' *Abwägungsvorschlag* (proposed answer), the
result and the *Beschlussvorschlag* (proposed resolution for the council), § 1 Abs. 7 BauGB.

Input, built from the store by the caller:

* ``procedure``: a dict with ``id``, ``kind`` (a code of
  :data:`participation.model.PROCEDURE_KINDS`), ``title_de``, ``title_en``, ``opens_at``,
  ``closes_at`` (ISO 8601 UTC), ``plan_names`` (list of str) and ``reference_prefix``.
* ``rows``: one dict per statement or section, in the order to show, with ``reference``,
  ``section_no`` (None for a whole statement), ``created_at``, ``kind``, ``category``,
  ``pseudonym``, ``status``, ``late``, ``plan_name``, ``target_label``, ``target_id``,
  ``text``, ``proposal``, ``result`` (a code of :data:`participation.model.RESULTS`),
  ``decision``, ``tags``, ``group`` and ``geometry`` (GeoJSON, WGS84 lon/lat).

Every export has the same columns (German headers by default, ``lang="en"`` for English);
``anonymised=True`` leaves the author column out entirely. Texts may contain anything:
spreadsheet cells never become formulas (see :func:`formula_like`), characters XML cannot
hold (control characters, lone surrogates) are dropped, line breaks are kept.

Dates are shown in the time zone of the Kommune (Europe/Berlin).
"""

from __future__ import annotations

import csv
import io
import json
import re
import tempfile
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from participation.model import CATEGORIES, PROCEDURE_KINDS, RESULTS, STATEMENT_KINDS, STATUSES

#: Local time of the Kommune, for every date shown.
LOCAL_TZ = ZoneInfo("Europe/Berlin")
#: The layer of the GeoPackage export.
GPKG_LAYER = "abwaegung"
#: The CRS of the GeoPackage export (ETRS89 / UTM 32N, the storage CRS of the project).
GPKG_EPSG = 25832

#: Texts of the exports: key -> (German, English).
TEXTS: dict[str, tuple[str, str]] = {
    "sheet.table": ("Abwägungstabelle", "Consideration table"),
    "sheet.summary": ("Übersicht", "Summary"),
    "title": ("Abwägungstabelle", "Consideration table (Abwägungstabelle)"),
    "procedure": ("Verfahren", "Procedure"),
    "period": ("Zeitraum", "Period"),
    "plans": ("Pläne", "Plans"),
    "exported": ("Stand des Exports", "Exported"),
    "anonymised": ("Anonymisiert", "Anonymised"),
    "anonymised.note": (
        "Namen der Verfasserinnen und Verfasser sind ausgeblendet.",
        "The names of the authors are left out.",
    ),
    "anonymous": ("anonym", "anonymous"),
    "late": ("verspätet", "late"),
    "clock": ("{time} Uhr", "{time}"),
    "summary.result": ("Ergebnis", "Result"),
    "summary.count": ("Anzahl", "Count"),
    "summary.open": ("noch ohne Abwägung", "not yet considered"),
    "summary.total": ("Einträge insgesamt", "Entries in total"),
    "summary.statements": ("Stellungnahmen", "Statements"),
    "summary.sections": ("davon in Abschnitte geteilt", "of which split into sections"),
    "summary.late": ("davon verspätet eingegangen", "of which received late"),
    "intro": (
        "Die Abwägungstabelle stellt die im Verfahren eingegangenen Stellungnahmen zusammen. Nach "
        "§ 1 Abs. 7 BauGB sind bei der Aufstellung der Bauleitpläne die öffentlichen und privaten "
        "Belange gegeneinander und untereinander gerecht abzuwägen (Abwägung). Für jede Stellungnahme, "
        "oder jeden ihrer Abschnitte, nennt die Tabelle den Abwägungsvorschlag, das Ergebnis und den "
        "Beschlussvorschlag für den Rat. Eingegangen sind {statements} Stellungnahmen in {entries} "
        "Einträgen, davon {late} verspätet; {open} Einträge sind noch ohne Abwägung.",
        "This table lists the statements received in the procedure. Under § 1 (7) BauGB (German "
        "Federal Building Code) all public and private interests must be weighed fairly against each "
        "other when a land-use plan is drawn up (Abwägung). For each statement, or each of its "
        "sections, the table gives the proposed response, the result and the proposed resolution for "
        "the council. {statements} statements were received in {entries} entries, {late} of them "
        "late; {open} entries are not yet considered.",
    ),
}


@dataclass(frozen=True)
class Column:
    """One column of the Abwägungstabelle.

    Attributes
    ----------
    key : str
        snake_case name, also the field name in the GeoPackage.
    de, en : str
        Header in German and English.
    width : int
        Width in characters (XLSX).
    mm : int
        Width in the DOCX table in mm on landscape A4 (scaled to the page when a column is left out).
    """

    key: str
    de: str
    en: str
    width: int
    mm: int


#: The columns, in order. ``verfasser`` is left out of anonymised exports.
COLUMNS: tuple[Column, ...] = (
    Column("nr", "Nr.", "No.", 18, 23),
    Column("eingang", "Eingang", "Received", 11, 15),
    Column("verfasser", "Verfasser/in", "Author", 15, 17),
    Column("art", "Art", "Type", 15, 17),
    Column("status", "Status", "Status", 13, 15),
    Column("plan", "Plan", "Plan", 14, 15),
    Column("planinhalt", "Planinhalt", "Plan content", 22, 21),
    Column("stellungnahme", "Stellungnahme", "Statement", 55, 38),
    Column("abwaegungsvorschlag", "Abwägungsvorschlag", "Proposed response", 48, 35),
    Column("ergebnis", "Ergebnis", "Result", 15, 16),
    Column("beschlussvorschlag", "Beschlussvorschlag", "Proposed resolution", 36, 28),
    Column("schlagworte", "Schlagworte", "Tags", 14, 15),
    Column("gruppe", "Gruppe", "Group", 13, 12),
)

#: First characters that make a spreadsheet read a cell as a formula (or split it in a CSV):
#: = + - @, tab, CR, LF, and their full-width forms.
FORMULA_TRIGGERS = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: Longest text a spreadsheet cell holds.
_XLSX_MAX_CHARS = 32767


# --- labels -----------------------------------------------------------------------------------


def _lang(lang: str | None) -> str:
    """``"en"`` for any English code (``en``, ``en-GB``), else ``"de"``."""
    return "en" if str(lang or "").lower().startswith("en") else "de"


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if _lang(lang) == "en" else pair[0]


def _t(key: str, lang: str, **values: Any) -> str:
    text = _pick(TEXTS[key], lang)
    return text.format(**values) if values else text


def _label(table: Mapping[str, tuple[str, str]], code: str | None, lang: str) -> str:
    if code in (None, ""):
        return ""
    pair = table.get(str(code))
    return _pick(pair, lang) if pair else str(code)


def result_label(code: str | None, lang: str = "de") -> str:
    """The label of an Abwägung result.

    Parameters
    ----------
    code : str or None
        A key of :data:`participation.model.RESULTS`, e.g. ``"teilweise_beruecksichtigt"``.
    lang : {"de", "en"}
        Language of the label.

    Returns
    -------
    str
        The label (``"teilweise berücksichtigt"``), ``""`` for no result, the code itself
        for an unknown code.
    """
    return _label(RESULTS, code, lang)


def kind_label(code: str | None, lang: str = "de") -> str:
    """The label of a kind of procedure.

    Parameters
    ----------
    code : str or None
        A key of :data:`participation.model.PROCEDURE_KINDS`, e.g. ``"veroeffentlichung"``.
    lang : {"de", "en"}
        Language of the label.

    Returns
    -------
    str
        The label (``"Veröffentlichung im Internet (§ 3 Abs. 2 BauGB)"``), ``""`` for none,
        the code itself for an unknown code.
    """
    return _label(PROCEDURE_KINDS, code, lang)


def statement_kind_label(code: str | None, lang: str = "de") -> str:
    """The label of a kind of statement (``kommentar``, ``vorschlag``, ``maengelmeldung``)."""
    return _label(STATEMENT_KINDS, code, lang)


def category_label(code: str | None, lang: str = "de") -> str:
    """The label of a statement's topic (``verkehr`` -> ``Verkehr``)."""
    return _label(CATEGORIES, code, lang)


def status_label(code: str | None, lang: str = "de") -> str:
    """The label of a moderation state (``freigegeben`` -> ``freigegeben`` / ``approved``)."""
    return _label(STATUSES, code, lang)


def columns(anonymised: bool = False) -> tuple[Column, ...]:
    """The columns of an export; without ``verfasser`` when ``anonymised``."""
    return tuple(c for c in COLUMNS if not (anonymised and c.key == "verfasser"))


# --- values -----------------------------------------------------------------------------------


def clean_text(value: Any) -> str:
    """Text as every format can hold it.

    ``None`` becomes ``""``; CR LF and CR become LF; control characters other than tab and
    LF, lone surrogates and U+FFFE/U+FFFF (which XML cannot hold) are dropped.
    """
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return _XML_ILLEGAL.sub("", text)


def formula_like(text: str) -> bool:
    """Whether a spreadsheet could read ``text`` as a formula (or a CSV reader split it).

    True when it starts with one of :data:`FORMULA_TRIGGERS`, also after leading spaces.
    """
    if not text:
        return False
    stripped = text.lstrip(" \u00a0")
    return text[0] in FORMULA_TRIGGERS or (bool(stripped) and stripped[0] in FORMULA_TRIGGERS)


def _parse_time(value: Any) -> datetime | None:
    """An aware datetime from an ISO 8601 string (naive ones count as UTC); None if unreadable."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _local_date(value: Any) -> date | None:
    moment = _parse_time(value)
    return moment.astimezone(LOCAL_TZ).date() if moment else None


def _date_text(day: date | None, lang: str) -> str:
    if day is None:
        return ""
    return day.isoformat() if _lang(lang) == "en" else day.strftime("%d.%m.%Y")


def _period(procedure: Mapping[str, Any], lang: str) -> str:
    opens = _date_text(_local_date(procedure.get("opens_at")), lang) or "…"
    closes = _date_text(_local_date(procedure.get("closes_at")), lang) or "…"
    return f"{opens} – {closes}"


def _title(procedure: Mapping[str, Any], lang: str) -> str:
    if _lang(lang) == "en" and procedure.get("title_en"):
        return clean_text(procedure["title_en"])
    return clean_text(procedure.get("title_de") or procedure.get("title_en") or procedure.get("id") or "")


def _export_time(exported_at: datetime | None) -> datetime:
    """The time of the export, aware (naive counts as UTC); now when not given."""
    if exported_at is None:
        return datetime.now(UTC)
    return exported_at if exported_at.tzinfo else exported_at.replace(tzinfo=UTC)


def _exported_text(exported_at: datetime | None, lang: str) -> str:
    moment = _export_time(exported_at).astimezone(LOCAL_TZ)
    day = _date_text(moment.date(), lang)
    return f"{day} " + _t("clock", lang, time=moment.strftime("%H:%M"))


def _heading_block(
    procedure: Mapping[str, Any], anonymised: bool, lang: str, exported_at: datetime | None
) -> list[tuple[str, str]]:
    """(label, value) pairs describing the procedure, shown above the table."""
    block = [
        (_t("procedure", lang), kind_label(procedure.get("kind"), lang)),
        (_t("period", lang), _period(procedure, lang)),
        (_t("plans", lang), ", ".join(clean_text(p) for p in procedure.get("plan_names") or [])),
        (_t("exported", lang), _exported_text(exported_at, lang)),
    ]
    if anonymised:
        block.append((_t("anonymised", lang), _t("anonymised.note", lang)))
    return block


def entry_number(row: Mapping[str, Any]) -> str:
    """The number of a row: the reference, with ``/n`` for section n (``LA22-2026-0042/2``)."""
    reference = clean_text(row.get("reference"))
    section = row.get("section_no")
    return f"{reference}/{section}" if section not in (None, "") else reference


def _author(row: Mapping[str, Any], lang: str) -> str:
    return clean_text(row.get("pseudonym")).strip() or _t("anonymous", lang)


def _art(row: Mapping[str, Any], lang: str) -> str:
    kind = statement_kind_label(row.get("kind"), lang)
    category = category_label(row.get("category"), lang)
    return f"{kind} ({category})" if kind and category else kind or category


def _status(row: Mapping[str, Any], lang: str) -> str:
    status = status_label(row.get("status"), lang)
    if row.get("late"):
        return f"{status}, {_t('late', lang)}" if status else _t("late", lang)
    return status


def _tags(row: Mapping[str, Any]) -> str:
    tags = row.get("tags") or []
    if isinstance(tags, str):  # a JSON array as a store may hand it over, or one tag
        try:
            tags = json.loads(tags) if tags.lstrip().startswith("[") else [tags]
        except ValueError:
            tags = [tags]
    return ", ".join(clean_text(t) for t in tags if clean_text(t))


def _record(row: Mapping[str, Any], cols: Sequence[Column], lang: str) -> list[Any]:
    """The values of one row, in column order: text, or a date for ``eingang``."""
    values: dict[str, Any] = {
        "nr": entry_number(row),
        "eingang": _local_date(row.get("created_at")),
        "verfasser": _author(row, lang),
        "art": _art(row, lang),
        "status": _status(row, lang),
        "plan": clean_text(row.get("plan_name")),
        "planinhalt": clean_text(row.get("target_label") or row.get("target_id")),
        "stellungnahme": clean_text(row.get("text")),
        "abwaegungsvorschlag": clean_text(row.get("proposal")),
        "ergebnis": result_label(row.get("result"), lang),
        "beschlussvorschlag": clean_text(row.get("decision")),
        "schlagworte": _tags(row),
        "gruppe": clean_text(row.get("group")),
    }
    return [values[c.key] for c in cols]


def _cell_text(value: Any, lang: str) -> str:
    """A value of :func:`_record` as text: dates in the language's format, nothing as ``""``."""
    return _date_text(value, lang) if isinstance(value, date) else clean_text(value)


def _header(cols: Sequence[Column], lang: str) -> list[str]:
    return [c.en if _lang(lang) == "en" else c.de for c in cols]


@dataclass(frozen=True)
class Counts:
    """Figures of the Übersicht."""

    entries: int
    statements: int
    split: int
    late: int
    open: int
    by_result: dict[str, int]


def count(rows: Sequence[Mapping[str, Any]]) -> Counts:
    """How many entries per result, without result, statements, late statements.

    Each row (a statement or a section of one) is one entry with its own Abwägung; an entry
    without a result counts as not yet considered. Statements are counted by reference.
    """
    references = {clean_text(r.get("reference")) for r in rows}
    split = {clean_text(r.get("reference")) for r in rows if r.get("section_no") not in (None, "")}
    late = {clean_text(r.get("reference")) for r in rows if r.get("late")}
    results = Counter(str(r["result"]) for r in rows if r.get("result") not in (None, ""))
    by_result = {code: results.pop(code, 0) for code in RESULTS}
    by_result.update(sorted(results.items()))  # unknown codes after the known ones
    return Counts(
        entries=len(rows),
        statements=len(references),
        split=len(split),
        late=len(late),
        open=sum(1 for r in rows if r.get("result") in (None, "")),
        by_result=by_result,
    )


# --- XLSX -------------------------------------------------------------------------------------


def _put(ws, row: int, column: int, value: Any, style: dict[str, Any] | None = None):
    """Write one cell; text is always stored as text, formula-like text with a quote prefix."""
    cell = ws.cell(row=row, column=column)
    if isinstance(value, str):
        text = clean_text(value)[:_XLSX_MAX_CHARS]
        if text:
            cell.value = text
            cell.data_type = "s"  # openpyxl would store "=…" as a formula
            if formula_like(text):
                cell.quotePrefix = True  # Excel/LibreOffice keep it text even when edited
    elif value is not None:
        cell.value = value
    for name, setting in (style or {}).items():
        setattr(cell, name, setting)
    return cell


def abwaegung_xlsx(
    procedure: Mapping[str, Any],
    rows: Sequence[Mapping[str, Any]],
    anonymised: bool = False,
    lang: str = "de",
    *,
    exported_at: datetime | None = None,
) -> bytes:
    """The Abwägungstabelle as an Excel workbook.

    Sheet "Abwägungstabelle": a title block (procedure, kind, period, plans, time of the
    export), then one row per statement or section under a frozen header row with an
    autofilter; text wraps, columns have fixed widths, it prints landscape on A4 with the
    header repeated. Sheet "Übersicht": entries per result, entries without Abwägung,
    statements, late statements.

    Parameters
    ----------
    procedure : mapping
        The procedure (see the module docstring).
    rows : sequence of mappings
        One per statement or section, in the order to show.
    anonymised : bool
        Leave the author column out.
    lang : {"de", "en"}
        Language of headers and labels.
    exported_at : datetime, optional
        Time of the export shown in the title block; now by default.

    Returns
    -------
    bytes
        The ``.xlsx`` file. No cell holds a formula.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.properties import PageSetupProperties

    lang = _lang(lang)
    cols = columns(anonymised)
    last_col = get_column_letter(len(cols))
    thin = Side(style="thin", color="A0A0A0")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    header_style = {
        "font": Font(bold=True),
        "fill": PatternFill("solid", fgColor="D9E1F2"),
        "alignment": Alignment(wrap_text=True, vertical="top"),
        "border": border,
    }
    body_style = {"alignment": Alignment(wrap_text=True, vertical="top"), "border": border}
    date_format = "YYYY-MM-DD" if lang == "en" else "DD.MM.YYYY"

    wb = Workbook()
    title = _title(procedure, lang)
    wb.properties.creator = "Bürger-GIS"
    wb.properties.lastModifiedBy = "Bürger-GIS"
    wb.properties.title = f"{_t('title', lang)}: {title}"

    ws = wb.active
    ws.title = _t("sheet.table", lang)
    _put(ws, 1, 1, f"{_t('title', lang)}: {title}", {"font": Font(bold=True, size=14)})
    row_no = 2
    for label, value in _heading_block(procedure, anonymised, lang, exported_at):
        _put(ws, row_no, 1, label, {"font": Font(bold=True)})
        _put(ws, row_no, 2, value)
        row_no += 1
    header_row = row_no + 1
    for col_no, text in enumerate(_header(cols, lang), start=1):
        _put(ws, header_row, col_no, text, header_style)
    for offset, row in enumerate(rows, start=1):
        for col_no, value in enumerate(_record(row, cols, lang), start=1):
            cell = _put(ws, header_row + offset, col_no, value, body_style)
            if isinstance(value, date):
                cell.number_format = date_format
    for col_no, col in enumerate(cols, start=1):
        ws.column_dimensions[get_column_letter(col_no)].width = col.width
    last_row = header_row + max(len(rows), 1)
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    ws.auto_filter.ref = f"A{header_row}:{last_col}{last_row}"
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)

    summary = wb.create_sheet(_t("sheet.summary", lang))
    figures = count(rows)
    lines: list[tuple[str, int] | None] = [
        *((result_label(code, lang), n) for code, n in figures.by_result.items()),
        (_t("summary.open", lang), figures.open),
        (_t("summary.total", lang), figures.entries),
        None,
        (_t("summary.statements", lang), figures.statements),
        (_t("summary.sections", lang), figures.split),
        (_t("summary.late", lang), figures.late),
    ]
    _put(summary, 1, 1, _t("summary.result", lang), header_style)
    _put(summary, 1, 2, _t("summary.count", lang), header_style)
    for row_no, line in enumerate(lines, start=2):
        if line:
            _put(summary, row_no, 1, line[0])
            _put(summary, row_no, 2, line[1])
    summary.column_dimensions["A"].width = 34
    summary.column_dimensions["B"].width = 10
    summary.freeze_panes = "A2"

    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- DOCX -------------------------------------------------------------------------------------


def _shade(cell, fill: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)


def _repeat_as_header(row) -> None:
    """Mark a table row as header row, repeated at the top of every page (and never split)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tr_pr = row._tr.get_or_add_trPr()
    for tag in ("w:cantSplit", "w:tblHeader"):
        element = OxmlElement(tag)
        element.set(qn("w:val"), "true")
        tr_pr.append(element)


def _narrow_cell_margins(table, twips: int = 57) -> None:
    """1 mm instead of Word's 1.9 mm left and right in every cell: 13 columns need the room."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        element = OxmlElement(f"w:{side}")
        element.set(qn("w:w"), str(twips))
        element.set(qn("w:type"), "dxa")
        margins.append(element)
    tbl_pr = table._tbl.tblPr
    look = tbl_pr.find(qn("w:tblLook"))  # the schema wants tblCellMar before tblLook
    if look is None:
        tbl_pr.append(margins)
    else:
        look.addprevious(margins)


def _fill_cell(cell, text: str, bold: bool = False) -> None:
    cell.text = text  # "\n" becomes a line break, "\t" a tab; size and spacing come from "Normal"
    if bold:
        for paragraph in cell.paragraphs:
            for run in paragraph.runs:
                run.font.bold = True


def abwaegung_docx(
    procedure: Mapping[str, Any],
    rows: Sequence[Mapping[str, Any]],
    anonymised: bool = False,
    lang: str = "de",
    *,
    exported_at: datetime | None = None,
) -> bytes:
    """The Abwägungstabelle as a Word document (landscape A4), for the council's papers.

    A heading with the procedure, its kind, period, plans and the time of the export, a short
    introduction (what the table is, § 1 Abs. 7 BauGB, how many statements), then the table
    with the same columns as :func:`abwaegung_xlsx`; its header row repeats on every page.

    Parameters
    ----------
    procedure : mapping
        The procedure (see the module docstring).
    rows : sequence of mappings
        One per statement or section, in the order to show.
    anonymised : bool
        Leave the author column out.
    lang : {"de", "en"}
        Language of headers, labels and the introduction.
    exported_at : datetime, optional
        Time of the export shown under the heading; now by default.

    Returns
    -------
    bytes
        The ``.docx`` file.
    """
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Emu, Mm, Pt
    from docx.table import _Cell

    lang = _lang(lang)
    cols = columns(anonymised)
    moment = _export_time(exported_at)
    title = _title(procedure, lang)

    doc = Document()
    props = doc.core_properties
    props.author = props.last_modified_by = "Bürger-GIS"
    props.title = f"{_t('title', lang)}: {title}"
    props.comments = props.subject = props.keywords = props.category = ""
    props.created = props.modified = moment.astimezone(UTC).replace(tzinfo=None)
    props.revision = 1
    props.language = "en" if lang == "en" else "de-DE"

    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(15))
    # "Normal" is the style of the table's cells: small, no space after. Set once here, not per
    # cell (python-docx takes milliseconds per property; an Abwägungstabelle has thousands of cells).
    normal = doc.styles["Normal"]
    normal.font.size = Pt(7)
    normal.paragraph_format.space_after = Pt(0)
    body_size, body_gap = Pt(9), Pt(6)

    doc.add_heading(f"{_t('title', lang)}: {title}", level=1)
    facts = doc.add_paragraph()
    for n, (label, value) in enumerate(_heading_block(procedure, anonymised, lang, moment)):
        if n:
            facts.add_run().add_break()
        facts.add_run(f"{label}: ").bold = True
        facts.add_run(value)
    figures = count(rows)
    intro = doc.add_paragraph(
        _t("intro", lang, statements=figures.statements, entries=figures.entries, late=figures.late, open=figures.open)
    )
    for paragraph in (facts, intro):
        paragraph.paragraph_format.space_after = body_gap
        for run in paragraph.runs:
            run.font.size = body_size

    table = doc.add_table(rows=1, cols=len(cols))
    table.style = "Table Grid"
    table.autofit = False  # fixed layout: the widths below hold whatever the texts
    usable = section.page_width - section.left_margin - section.right_margin
    total = sum(c.mm for c in cols)
    widths = [Emu(int(usable * col.mm / total)) for col in cols]
    _narrow_cell_margins(table)
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width  # the grid; add_row gives each new cell its column's width
    header = table.rows[0]
    _repeat_as_header(header)
    for cell, text, width in zip(header.cells, _header(cols, lang), widths, strict=True):
        cell.width = width
        _fill_cell(cell, text, bold=True)
        _shade(cell, "D9E1F2")
    for row in rows:
        values = _record(row, cols, lang)
        # _Row.cells walks the whole table (quadratic for long tables); the row's own cells suffice
        cells = [_Cell(tc, table) for tc in table.add_row()._tr.tc_lst]
        for cell, value in zip(cells, values, strict=True):
            _fill_cell(cell, _cell_text(value, lang))

    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# --- CSV --------------------------------------------------------------------------------------


def abwaegung_csv(
    procedure: Mapping[str, Any], rows: Sequence[Mapping[str, Any]], anonymised: bool = False, lang: str = "de"
) -> bytes:
    """The Abwägungstabelle as CSV for German Excel: UTF-8 with BOM, ``;``, CRLF.

    A header row and one row per statement or section, the same columns as
    :func:`abwaegung_xlsx` (no title block, so any CSV reader takes it as a table). Dates
    are ``dd.mm.yyyy`` (``yyyy-mm-dd`` in English). A field that a spreadsheet could read as
    a formula (:func:`formula_like`) gets a leading ``'``, which Excel and LibreOffice treat
    as "this is text".

    Parameters
    ----------
    procedure : mapping
        The procedure (see the module docstring); only for the signature's symmetry.
    rows : sequence of mappings
        One per statement or section, in the order to show.
    anonymised : bool
        Leave the author column out.
    lang : {"de", "en"}
        Language of headers and labels.

    Returns
    -------
    bytes
        The ``.csv`` file.
    """
    lang = _lang(lang)
    cols = columns(anonymised)

    def guard(value: Any) -> str:
        text = _cell_text(value, lang)
        return "'" + text if formula_like(text) else text

    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([guard(h) for h in _header(cols, lang)])
    for row in rows:
        writer.writerow([guard(v) for v in _record(row, cols, lang)])
    return out.getvalue().encode("utf-8-sig")


# --- GeoPackage -------------------------------------------------------------------------------


def _shape(geometry: Any):
    """A 2D shapely geometry from GeoJSON, or None (none given, empty or unreadable)."""
    if not geometry:
        return None
    import shapely
    from shapely.geometry import shape

    try:
        geom = shapely.force_2d(shape(json.loads(geometry) if isinstance(geometry, str) else geometry))
    except Exception:  # noqa: BLE001 -- an unreadable geometry must not stop the export
        return None
    return None if geom.is_empty else geom


def abwaegung_gpkg(procedure: Mapping[str, Any], rows: Sequence[Mapping[str, Any]], anonymised: bool = False) -> bytes:
    """The Abwägungstabelle as a GeoPackage, to see the statements on the plan in a GIS.

    One layer ``abwaegung`` in EPSG:25832 with one feature per statement or section, in
    the order given, with the fields of the table under snake_case names and German labels
    (``nr``, ``eingang``, ``verfasser``, ``art``, ``status``, ``plan``, ``planinhalt``,
    ``stellungnahme``, ``abwaegungsvorschlag``, ``ergebnis``, ``beschlussvorschlag``,
    ``schlagworte``, ``gruppe``), plus fields to filter on: ``referenz``, ``abschnitt``,
    ``kategorie``, ``verspaetet``, ``planinhalt_id``, ``ergebnis_code``. ``eingang`` is the
    UTC time of receipt (a DateTime field), ``status`` leaves "late" to ``verspaetet``.

    The layer's geometry type is generic (GEOMETRY), so points, lines and polygons share it.
    Rows without a location are kept in the same layer with an empty (NULL) geometry rather
    than in a second table: the layer stays the complete Abwägungstabelle, whoever opens only
    it misses nothing, and QGIS or ArcGIS list such features in the attribute table while the
    map simply does not draw them.

    Parameters
    ----------
    procedure : mapping
        The procedure (see the module docstring); its title and period become the layer's
        identifier and description.
    rows : sequence of mappings
        One per statement or section; ``geometry`` is GeoJSON in WGS84 lon/lat.
    anonymised : bool
        Leave the author field out.

    Returns
    -------
    bytes
        The ``.gpkg`` file.
    """
    import geopandas as gpd
    import pandas as pd

    lang = "de"
    cols = columns(anonymised)
    table = [dict(zip((c.key for c in cols), _record(r, cols, lang), strict=True)) for r in rows]

    def text(values) -> pd.Series:
        return pd.Series([value or None for value in values], dtype=object)

    def shown(key: str) -> pd.Series:
        return text(entry[key] for entry in table)

    data = {
        "nr": shown("nr"),
        "referenz": text(clean_text(r.get("reference")) for r in rows),
        "abschnitt": pd.Series([r.get("section_no") for r in rows], dtype="Int64"),
        "eingang": pd.Series([_parse_time(r.get("created_at")) for r in rows], dtype="datetime64[ms, UTC]"),
        "verfasser": None if anonymised else shown("verfasser"),
        "art": text(statement_kind_label(r.get("kind"), lang) for r in rows),
        "kategorie": text(category_label(r.get("category"), lang) for r in rows),
        "status": text(status_label(r.get("status"), lang) for r in rows),
        "verspaetet": pd.Series([bool(r.get("late")) for r in rows], dtype=bool),
        "plan": shown("plan"),
        "planinhalt": shown("planinhalt"),
        "planinhalt_id": text(clean_text(r.get("target_id")) for r in rows),
        "stellungnahme": shown("stellungnahme"),
        "abwaegungsvorschlag": shown("abwaegungsvorschlag"),
        "ergebnis": shown("ergebnis"),
        "ergebnis_code": text(clean_text(r.get("result")) for r in rows),
        "beschlussvorschlag": shown("beschlussvorschlag"),
        "schlagworte": shown("schlagworte"),
        "gruppe": shown("gruppe"),
    }
    data = {name: values for name, values in data.items() if values is not None}

    geometry = gpd.GeoSeries([_shape(r.get("geometry")) for r in rows], crs="EPSG:4326")
    frame = gpd.GeoDataFrame(pd.DataFrame(data), geometry=geometry.to_crs(epsg=GPKG_EPSG))
    title = _title(procedure, lang)
    description = f"{_t('title', lang)}: {title}. {kind_label(procedure.get('kind'), lang)}, {_period(procedure, lang)}"
    with tempfile.TemporaryDirectory(prefix="abwaegung-") as folder:
        path = Path(folder) / "abwaegung.gpkg"
        frame.to_file(
            path,
            layer=GPKG_LAYER,
            driver="GPKG",
            engine="pyogrio",
            geometry_type="Unknown",
            layer_options={"IDENTIFIER": f"{_t('title', lang)}: {title}"[:250], "DESCRIPTION": description},
        )
        return path.read_bytes()
