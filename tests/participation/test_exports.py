"""The Abwägungstabelle exports (participation/exports.py), each opened again and read row by row.

XLSX with openpyxl, DOCX with python-docx, CSV with the csv module, the GeoPackage with pyogrio.
No server, no store: the rows are built here as the store would hand them over.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, date, datetime

import docx
import pyogrio
import pytest
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn
from openpyxl import load_workbook
from pyproj import Transformer

from participation import exports
from participation.exports import (
    abwaegung_csv,
    abwaegung_docx,
    abwaegung_gpkg,
    abwaegung_xlsx,
    kind_label,
    result_label,
)

EXPORTED_AT = datetime(2027, 1, 20, 9, 5, tzinfo=UTC)  # 10:05 in Berlin

PROCEDURE = {
    "id": "7f3c2a10-1b7e-4a55-9a55-3e2f0c9b1d42",
    "kind": "veroeffentlichung",
    "title_de": "Bebauungsplan Langenhorn 22: Veröffentlichung des Entwurfs",
    "title_en": "Zoning plan Langenhorn 22: draft published for comment",
    "opens_at": "2026-12-01T08:00:00.000Z",
    "closes_at": "2027-01-15T22:59:59.999Z",
    "plan_names": ["Langenhorn 22", "Langenhorn 73"],
    "reference_prefix": "LA22",
}

SCRIPT = "<script>window.__xss=1</script> Die Straße ist zu schmal."
DDE = "=cmd|' /C calc'!A0"
HYPERLINK = '=HYPERLINK("http://example.invalid/x","Klick")'
EMOJI = "Mehr Bäume 🌳🌳 und eine Bank 🪑, bitte!\nZweite Zeile."

ROWS = [
    {  # a whole statement, named author, point, complete Abwägung; CR LF and a control character in its text
        "reference": "LA22-2026-0001",
        "section_no": None,
        "created_at": "2026-12-02T10:15:00.000Z",
        "kind": "vorschlag",
        "category": "verkehr",
        "pseudonym": "Erika Musterfrau",
        "status": "freigegeben",
        "late": False,
        "plan_name": "Langenhorn 22",
        "target_label": "Baugebiet WA 2 (Allgemeines Wohngebiet)",
        "target_id": "GML_6c1a1f0e-wa2",
        "text": "Bitte einen Radweg\r\nan der Tangstedter Landstraße.\x07",
        "proposal": "Der Radweg wird im Entwurf ergänzt.",
        "result": "beruecksichtigt",
        "decision": "Der Anregung wird gefolgt.",
        "tags": ["Radverkehr", "Sicherheit"],
        "group": "Verkehr",
        "geometry": {"type": "Point", "coordinates": [10.0135, 53.6661]},
    },
    {  # section 1 of a split statement: a script tag, a line
        "reference": "LA22-2026-0002",
        "section_no": 1,
        "created_at": "2026-12-03T07:00:00.000Z",
        "kind": "kommentar",
        "category": None,
        "pseudonym": "Hans Röder",
        "status": "freigegeben",
        "late": False,
        "plan_name": "Langenhorn 22",
        "target_label": "Straßenverkehrsfläche",
        "target_id": "GML_street-1",
        "text": SCRIPT,
        "proposal": "Die Breite entspricht den Richtlinien (RASt 06).",
        "result": "teilweise_beruecksichtigt",
        "decision": "Der Anregung wird teilweise gefolgt.",
        "tags": [],
        "group": "Verkehr",
        "geometry": {"type": "LineString", "coordinates": [[10.010, 53.665], [10.012, 53.667], [10.015, 53.668]]},
    },
    {  # section 2: a DDE formula as text, a polygon, a formula-looking proposal
        "reference": "LA22-2026-0002",
        "section_no": 2,
        "created_at": "2026-12-03T07:00:00.000Z",
        "kind": "kommentar",
        "category": None,
        "pseudonym": "Hans Röder",
        "status": "freigegeben",
        "late": False,
        "plan_name": "Langenhorn 22",
        "target_label": "Grünfläche (öffentlich)",
        "target_id": "GML_green-3",
        "text": DDE,
        "proposal": HYPERLINK,
        "result": "nicht_beruecksichtigt",
        "decision": "-- keine Änderung --",
        "tags": ["Grün"],
        "group": None,
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[10.000, 53.660], [10.004, 53.660], [10.004, 53.662], [10.000, 53.662], [10.000, 53.660]]],
        },
    },
    {  # anonymous, late, emoji, no Abwägung yet, no location
        "reference": "LA22-2026-0003",
        "section_no": None,
        "created_at": "2027-01-16T09:00:00.000Z",
        "kind": "vorschlag",
        "category": "gruen",
        "pseudonym": None,
        "status": "freigegeben",
        "late": True,
        "plan_name": "Langenhorn 73",
        "target_label": None,
        "target_id": None,
        "text": EMOJI,
        "proposal": None,
        "result": None,
        "decision": None,
        "tags": [],
        "group": None,
        "geometry": None,
    },
    {  # texts starting with @, + and a tab; still under review
        "reference": "LA22-2026-0004",
        "section_no": None,
        "created_at": "2026-12-10T12:00:00.000Z",
        "kind": "maengelmeldung",
        "category": "strasse",
        "pseudonym": "Kai Brandtner",
        "status": "eingereicht",
        "late": False,
        "plan_name": None,
        "target_label": None,
        "target_id": "GML_only-id",
        "text": "@SUM(1+1)*cmd|' /C calc'!A0",
        "proposal": "+ Schlagloch wird gemeldet.\tDanke.",
        "result": "zur_kenntnis",
        "decision": "\tKenntnisnahme",
        "tags": ["=Tag"],
        "group": "+Gruppe",
        "geometry": {"type": "Point", "coordinates": [10.0201, 53.6702, 12.5]},
    },
    {  # received on New Year's Eve 23:30 UTC = 1 January in Berlin; a proposal but no result yet
        "reference": "LA22-2026-0005",
        "section_no": None,
        "created_at": "2026-12-31T23:30:00.000Z",
        "kind": "kommentar",
        "category": "wohnen",
        "pseudonym": "  Zoë Quast ",
        "status": "freigegeben",
        "late": False,
        "plan_name": "Langenhorn 22",
        "target_label": "Baugebiet MI 1 (Mischgebiet)",
        "target_id": "GML_mi1",
        "text": "-5 Stellplätze sind zu wenig.",
        "proposal": "Wird geprüft.",
        "result": None,
        "decision": None,
        "tags": ["Parken"],
        "group": None,
        "geometry": None,
    },
]

#: The authors' names, and their rarer halves: none may appear in an anonymised export.
NAMES = ["Erika Musterfrau", "Hans Röder", "Kai Brandtner", "Zoë Quast", "Musterfrau", "Röder", "Brandtner", "Quast"]

#: What each row must show, column by column (German).
EXPECTED_DE = [
    {
        "Nr.": "LA22-2026-0001",
        "Eingang": date(2026, 12, 2),
        "Verfasser/in": "Erika Musterfrau",
        "Art": "Vorschlag (Verkehr)",
        "Status": "freigegeben",
        "Plan": "Langenhorn 22",
        "Planinhalt": "Baugebiet WA 2 (Allgemeines Wohngebiet)",
        "Stellungnahme": "Bitte einen Radweg\nan der Tangstedter Landstraße.",
        "Abwägungsvorschlag": "Der Radweg wird im Entwurf ergänzt.",
        "Ergebnis": "berücksichtigt",
        "Beschlussvorschlag": "Der Anregung wird gefolgt.",
        "Schlagworte": "Radverkehr, Sicherheit",
        "Gruppe": "Verkehr",
    },
    {
        "Nr.": "LA22-2026-0002/1",
        "Eingang": date(2026, 12, 3),
        "Verfasser/in": "Hans Röder",
        "Art": "Hinweis / Kommentar",
        "Status": "freigegeben",
        "Plan": "Langenhorn 22",
        "Planinhalt": "Straßenverkehrsfläche",
        "Stellungnahme": SCRIPT,
        "Abwägungsvorschlag": "Die Breite entspricht den Richtlinien (RASt 06).",
        "Ergebnis": "teilweise berücksichtigt",
        "Beschlussvorschlag": "Der Anregung wird teilweise gefolgt.",
        "Schlagworte": "",
        "Gruppe": "Verkehr",
    },
    {
        "Nr.": "LA22-2026-0002/2",
        "Eingang": date(2026, 12, 3),
        "Verfasser/in": "Hans Röder",
        "Art": "Hinweis / Kommentar",
        "Status": "freigegeben",
        "Plan": "Langenhorn 22",
        "Planinhalt": "Grünfläche (öffentlich)",
        "Stellungnahme": DDE,
        "Abwägungsvorschlag": HYPERLINK,
        "Ergebnis": "nicht berücksichtigt",
        "Beschlussvorschlag": "-- keine Änderung --",
        "Schlagworte": "Grün",
        "Gruppe": "",
    },
    {
        "Nr.": "LA22-2026-0003",
        "Eingang": date(2027, 1, 16),
        "Verfasser/in": "anonym",
        "Art": "Vorschlag (Grün und Bäume)",
        "Status": "freigegeben, verspätet",
        "Plan": "Langenhorn 73",
        "Planinhalt": "",
        "Stellungnahme": EMOJI,
        "Abwägungsvorschlag": "",
        "Ergebnis": "",
        "Beschlussvorschlag": "",
        "Schlagworte": "",
        "Gruppe": "",
    },
    {
        "Nr.": "LA22-2026-0004",
        "Eingang": date(2026, 12, 10),
        "Verfasser/in": "Kai Brandtner",
        "Art": "Mängelmeldung (Straßenschaden)",
        "Status": "eingereicht",
        "Plan": "",
        "Planinhalt": "GML_only-id",
        "Stellungnahme": "@SUM(1+1)*cmd|' /C calc'!A0",
        "Abwägungsvorschlag": "+ Schlagloch wird gemeldet.\tDanke.",
        "Ergebnis": "zur Kenntnis genommen",
        "Beschlussvorschlag": "\tKenntnisnahme",
        "Schlagworte": "=Tag",
        "Gruppe": "+Gruppe",
    },
    {
        "Nr.": "LA22-2026-0005",
        "Eingang": date(2027, 1, 1),
        "Verfasser/in": "Zoë Quast",
        "Art": "Hinweis / Kommentar (Wohnen und Bauen)",
        "Status": "freigegeben",
        "Plan": "Langenhorn 22",
        "Planinhalt": "Baugebiet MI 1 (Mischgebiet)",
        "Stellungnahme": "-5 Stellplätze sind zu wenig.",
        "Abwägungsvorschlag": "Wird geprüft.",
        "Ergebnis": "",
        "Beschlussvorschlag": "",
        "Schlagworte": "Parken",
        "Gruppe": "",
    },
]
HEADERS_DE = [
    "Nr.",
    "Eingang",
    "Verfasser/in",
    "Art",
    "Status",
    "Plan",
    "Planinhalt",
    "Stellungnahme",
    "Abwägungsvorschlag",
    "Ergebnis",
    "Beschlussvorschlag",
    "Schlagworte",
    "Gruppe",
]
HEADERS_EN = [
    "No.",
    "Received",
    "Author",
    "Type",
    "Status",
    "Plan",
    "Plan content",
    "Statement",
    "Proposed response",
    "Result",
    "Proposed resolution",
    "Tags",
    "Group",
]
#: A few English cells of the same rows (Nr. -> column -> value).
EXPECTED_EN = {
    "LA22-2026-0001": {"Type": "Proposal (Traffic)", "Result": "taken into account", "Received": date(2026, 12, 2)},
    "LA22-2026-0002/1": {"Result": "partly taken into account", "Type": "Comment"},
    "LA22-2026-0003": {"Author": "anonymous", "Status": "approved, late", "Result": ""},
    "LA22-2026-0004": {"Result": "noted", "Type": "Defect report (Road damage)", "Status": "submitted"},
}


def _text(value) -> str:
    """A cell as the table shows it: dates as dd.mm.yyyy, nothing as ""."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    return "" if value is None else str(value)


def _zip_text(data: bytes) -> str:
    """Every part of an Office file, unpacked and decoded, to search for names."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "\n".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())


# --- labels ------------------------------------------------------------------------------------


def test_labels_come_from_the_model():
    assert result_label("teilweise_beruecksichtigt") == "teilweise berücksichtigt"
    assert result_label("zur_kenntnis", "en") == "noted"
    assert result_label(None) == "" and result_label("neu_erfunden") == "neu_erfunden"
    assert kind_label("veroeffentlichung") == "Veröffentlichung im Internet (§ 3 Abs. 2 BauGB)"
    assert kind_label("fruehzeitig", "en") == "Early public participation (§ 3 (1) BauGB)"
    assert kind_label("unbekannt", "en") == "unbekannt" and kind_label(None) == ""


def test_formula_like():
    for text in ("=1", "+1", "-1", "@A1", "\tx", "\rx", "\nx", "  =1", "＝1"):
        assert exports.formula_like(text), text
    for text in ("", "LA22-2026-0001", "a=b", "Baugebiet WA 2", "1-2"):
        assert not exports.formula_like(text), text


# --- XLSX --------------------------------------------------------------------------------------


def _open_xlsx(data: bytes):
    wb = load_workbook(io.BytesIO(data))
    ws = wb.worksheets[0]
    header_row = next(r for r in range(1, 20) if ws.cell(row=r, column=1).value in ("Nr.", "No."))
    headers = [c.value for c in ws[header_row]]
    body = [dict(zip(headers, (c.value for c in row), strict=True)) for row in ws.iter_rows(min_row=header_row + 1)]
    return wb, ws, header_row, headers, body


def test_xlsx_row_by_row():
    data = abwaegung_xlsx(PROCEDURE, ROWS, exported_at=EXPORTED_AT)
    wb, ws, header_row, headers, body = _open_xlsx(data)
    assert wb.sheetnames == ["Abwägungstabelle", "Übersicht"]
    assert headers == HEADERS_DE
    assert len(body) == len(ROWS)
    for got, want in zip(body, EXPECTED_DE, strict=True):
        for column, value in want.items():
            if column == "Eingang":
                assert isinstance(got[column], datetime) and got[column].date() == value, got["Nr."]
            else:
                assert (got[column] or "") == value, (got["Nr."], column)
    # title block: procedure, kind, period in Berlin time, plans, time of the export
    block = "\n".join(_text(c.value) for row in ws.iter_rows(max_row=header_row - 1) for c in row)
    assert PROCEDURE["title_de"] in block
    assert "Veröffentlichung im Internet (§ 3 Abs. 2 BauGB)" in block
    assert "01.12.2026 – 15.01.2027" in block
    assert "Langenhorn 22, Langenhorn 73" in block
    assert "20.01.2027 10:05 Uhr" in block
    # frozen header, autofilter over the table, wrapped text, widths
    assert ws.freeze_panes == f"A{header_row + 1}"
    assert ws.auto_filter.ref == f"A{header_row}:M{header_row + len(ROWS)}"
    assert ws.cell(row=header_row + 1, column=8).alignment.wrap_text
    assert ws.column_dimensions["H"].width > ws.column_dimensions["B"].width
    assert ws.cell(row=header_row + 1, column=2).number_format == "DD.MM.YYYY"


def test_xlsx_formula_guard():
    data = abwaegung_xlsx(PROCEDURE, ROWS, exported_at=EXPORTED_AT)
    wb = load_workbook(io.BytesIO(data))
    guarded = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", cell.coordinate
                if isinstance(cell.value, str):
                    assert cell.data_type == "s"
                    if exports.formula_like(cell.value):
                        assert cell.quotePrefix, (ws.title, cell.coordinate, cell.value)
                        guarded += 1
    # DDE, HYPERLINK, "--", "@", "+", a tab, "=Tag", "+Gruppe", "-5"
    assert guarded == 9
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name)


def test_xlsx_summary_counts():
    wb = load_workbook(io.BytesIO(abwaegung_xlsx(PROCEDURE, ROWS, exported_at=EXPORTED_AT)))
    summary = {row[0]: row[1] for row in wb["Übersicht"].iter_rows(values_only=True) if row[0]}
    assert summary["Ergebnis"] == "Anzahl"
    assert summary["berücksichtigt"] == 1
    assert summary["teilweise berücksichtigt"] == 1
    assert summary["nicht berücksichtigt"] == 1
    assert summary["zur Kenntnis genommen"] == 1
    assert summary["noch ohne Abwägung"] == 2
    assert summary["Einträge insgesamt"] == 6
    assert summary["Stellungnahmen"] == 5
    assert summary["davon in Abschnitte geteilt"] == 1
    assert summary["davon verspätet eingegangen"] == 1


def test_xlsx_anonymised_has_no_author_anywhere():
    data = abwaegung_xlsx(PROCEDURE, ROWS, anonymised=True, exported_at=EXPORTED_AT)
    _, _, _, headers, body = _open_xlsx(data)
    assert headers == [h for h in HEADERS_DE if h != "Verfasser/in"]
    assert [r["Stellungnahme"] for r in body] == [e["Stellungnahme"] for e in EXPECTED_DE]
    everything = _zip_text(data)
    for name in NAMES:
        assert name not in everything
    assert "Anonymisiert" in everything  # the note in the title block


def test_xlsx_english():
    wb, ws, header_row, headers, body = _open_xlsx(abwaegung_xlsx(PROCEDURE, ROWS, lang="en", exported_at=EXPORTED_AT))
    assert wb.sheetnames == ["Consideration table", "Summary"]
    assert headers == HEADERS_EN
    rows = {r["No."]: r for r in body}
    for number, cells in EXPECTED_EN.items():
        for column, value in cells.items():
            got = rows[number][column]
            assert (got.date() if isinstance(got, datetime) else got or "") == value, (number, column)
    block = "\n".join(_text(c.value) for row in ws.iter_rows(max_row=header_row - 1) for c in row)
    assert PROCEDURE["title_en"] in block and "2026-12-01 – 2027-01-15" in block
    summary = {row[0]: row[1] for row in wb["Summary"].iter_rows(values_only=True) if row[0]}
    assert summary["not yet considered"] == 2 and summary["taken into account"] == 1


# --- DOCX --------------------------------------------------------------------------------------


def _open_docx(data: bytes):
    document = docx.Document(io.BytesIO(data))
    table = document.tables[0]
    headers = [c.text for c in table.rows[0].cells]
    body = [dict(zip(headers, (c.text for c in row.cells), strict=True)) for row in table.rows[1:]]
    return document, table, headers, body


def test_docx_row_by_row():
    data = abwaegung_docx(PROCEDURE, ROWS, exported_at=EXPORTED_AT)
    document, table, headers, body = _open_docx(data)
    section = document.sections[0]
    assert section.orientation == WD_ORIENT.LANDSCAPE and section.page_width > section.page_height
    assert round(section.page_width.mm) == 297 and round(section.page_height.mm) == 210
    assert headers == HEADERS_DE
    header_props = table.rows[0]._tr.trPr
    assert header_props is not None and header_props.find(qn("w:tblHeader")) is not None
    assert len(body) == len(ROWS)
    for got, want in zip(body, EXPECTED_DE, strict=True):
        for column, value in want.items():
            assert got[column] == _text(value), (got["Nr."], column)
    text = "\n".join(p.text for p in document.paragraphs)
    assert PROCEDURE["title_de"] in document.paragraphs[0].text
    assert "§ 1 Abs. 7 BauGB" in text and "Abwägung" in text
    assert "5 Stellungnahmen in 6 Einträgen, davon 1 verspätet; 2 Einträge sind noch ohne Abwägung" in text
    assert "Veröffentlichung im Internet (§ 3 Abs. 2 BauGB)" in text and "01.12.2026 – 15.01.2027" in text


def test_docx_anonymised_has_no_author_anywhere():
    data = abwaegung_docx(PROCEDURE, ROWS, anonymised=True, exported_at=EXPORTED_AT)
    _, _, headers, body = _open_docx(data)
    assert "Verfasser/in" not in headers and len(headers) == 12
    assert [r["Ergebnis"] for r in body] == [e["Ergebnis"] for e in EXPECTED_DE]
    everything = _zip_text(data)
    for name in NAMES:
        assert name not in everything
    assert "python-docx" not in everything  # the template's author and comment are replaced


def test_docx_english():
    document, _, headers, body = _open_docx(abwaegung_docx(PROCEDURE, ROWS, lang="en", exported_at=EXPORTED_AT))
    assert headers == HEADERS_EN
    rows = {r["No."]: r for r in body}
    for number, cells in EXPECTED_EN.items():
        for column, value in cells.items():
            want = value.isoformat() if isinstance(value, date) else value
            assert rows[number][column] == want, (number, column)
    text = "\n".join(p.text for p in document.paragraphs)
    assert PROCEDURE["title_en"] in text and "§ 1 (7) BauGB" in text and "5 statements" in text


# --- CSV ---------------------------------------------------------------------------------------


def _open_csv(data: bytes) -> tuple[list[str], list[dict[str, str]]]:
    assert data.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    headers = lines[0]
    return headers, [dict(zip(headers, line, strict=True)) for line in lines[1:]]


def test_csv_row_by_row_with_formula_guard():
    data = abwaegung_csv(PROCEDURE, ROWS)
    assert b"\r\n" in data
    headers, body = _open_csv(data)
    assert headers == HEADERS_DE
    assert len(body) == len(ROWS)
    for got, want in zip(body, EXPECTED_DE, strict=True):
        for column, value in want.items():
            expected = _text(value)
            if exports.formula_like(expected):
                expected = "'" + expected
            assert got[column] == expected, (got["Nr."], column)
        for value in got.values():
            assert not exports.formula_like(value), value
    assert body[2]["Stellungnahme"] == "'" + DDE
    assert body[5]["Eingang"] == "01.01.2027"


def test_csv_anonymised_and_english():
    data = abwaegung_csv(PROCEDURE, ROWS, anonymised=True, lang="en")
    headers, body = _open_csv(data)
    assert headers == [h for h in HEADERS_EN if h != "Author"]
    assert body[0]["Received"] == "2026-12-02" and body[3]["Status"] == "approved, late"
    text = data.decode("utf-8-sig")
    for name in NAMES:
        assert name not in text


# --- GeoPackage --------------------------------------------------------------------------------


def _open_gpkg(data: bytes, tmp_path):
    path = tmp_path / "abwaegung.gpkg"
    path.write_bytes(data)
    assert pyogrio.list_layers(path)[:, 0].tolist() == ["abwaegung"]
    return pyogrio.read_info(path, layer="abwaegung"), pyogrio.read_dataframe(path, layer="abwaegung")


def test_gpkg_row_by_row(tmp_path):
    data = abwaegung_gpkg(PROCEDURE, ROWS)
    assert data.startswith(b"SQLite format 3\x00")
    info, frame = _open_gpkg(data, tmp_path)
    assert info["crs"] == "EPSG:25832" and info["geometry_type"] == "Unknown"
    assert info["features"] == len(ROWS)
    assert PROCEDURE["title_de"] in info["layer_metadata"]["IDENTIFIER"]
    fields = set(info["fields"])
    assert {
        "nr",
        "eingang",
        "verfasser",
        "art",
        "status",
        "plan",
        "planinhalt",
        "stellungnahme",
        "abwaegungsvorschlag",
        "ergebnis",
        "beschlussvorschlag",
        "schlagworte",
        "gruppe",
        "referenz",
        "abschnitt",
        "verspaetet",
        "ergebnis_code",
    } <= fields
    for (_, got), row, want in zip(frame.iterrows(), ROWS, EXPECTED_DE, strict=True):

        def value(field, got=got):
            return "" if got[field] is None or got[field] != got[field] else got[field]  # NaN -> ""

        assert value("nr") == want["Nr."]
        assert value("verfasser") == want["Verfasser/in"]
        assert value("stellungnahme") == want["Stellungnahme"]
        assert value("abwaegungsvorschlag") == want["Abwägungsvorschlag"]
        assert value("ergebnis") == want["Ergebnis"]
        assert value("ergebnis_code") == (row["result"] or "")
        assert value("beschlussvorschlag") == want["Beschlussvorschlag"]
        assert value("planinhalt") == want["Planinhalt"]
        assert bool(got["verspaetet"]) == row["late"]
        assert got["eingang"].to_pydatetime() == datetime.fromisoformat(row["created_at"])
        section = got["abschnitt"]
        assert (None if section != section else int(section)) == row["section_no"]
    kinds = [None if g is None else g.geom_type for g in frame.geometry]
    assert kinds == ["Point", "LineString", "Polygon", None, "Point", None]
    to_utm = Transformer.from_crs(4326, 25832, always_xy=True)
    point = frame.geometry[0]
    x, y = to_utm.transform(10.0135, 53.6661)
    assert abs(point.x - x) < 0.01 and abs(point.y - y) < 0.01
    for geometry in frame.geometry.dropna():  # Hamburg-Langenhorn in UTM 32N
        minx, miny, maxx, maxy = geometry.bounds
        assert 560_000 < minx <= maxx < 575_000 and 5_940_000 < miny <= maxy < 5_960_000
        assert not geometry.has_z


def test_gpkg_anonymised_has_no_author_anywhere(tmp_path):
    data = abwaegung_gpkg(PROCEDURE, ROWS, anonymised=True)
    info, frame = _open_gpkg(data, tmp_path)
    assert "verfasser" not in info["fields"] and len(frame) == len(ROWS)
    for name in NAMES:
        assert name.encode() not in data


# --- every format --------------------------------------------------------------------------------


@pytest.mark.parametrize("export", [abwaegung_xlsx, abwaegung_docx, abwaegung_csv, abwaegung_gpkg])
def test_no_rows_still_gives_a_table(export, tmp_path):
    data = export(PROCEDURE, [])
    if export is abwaegung_xlsx:
        assert _open_xlsx(data)[3] == HEADERS_DE
    elif export is abwaegung_docx:
        assert _open_docx(data)[2] == HEADERS_DE and "0 Stellungnahmen" in _zip_text(data)
    elif export is abwaegung_csv:
        assert _open_csv(data) == (HEADERS_DE, [])
    else:
        info, frame = _open_gpkg(data, tmp_path)
        assert info["crs"] == "EPSG:25832" and len(frame) == 0 and "stellungnahme" in info["fields"]
