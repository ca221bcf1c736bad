"""From statement to Abwägung over HTTP: moderation with reasons, the Abwägung per statement and section, the
Abwägungstabelle as XLSX/DOCX/CSV/GeoPackage checked row by row, publication, the audit trail; both stores."""

import csv
import io

import openpyxl
import pytest
import requests
from docx import Document

from tests.contributions.common import MODERATOR, PLANNER, TIMEOUT, created, get_item, with_secret

JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def procedure(contrib_server):
    """A §3 (2) procedure of its own (a plan no other test comments on in this kind) with three statements."""
    s = contrib_server
    r = requests.post(
        f"{s.url}/api/procedures",
        json={
            "kind": "veroeffentlichung",
            "title_de": "Entwurf (Abwägungstest)",
            "title_en": "Draft (weighing test)",
            "plan_ids": [s.plans["open"]],
            "opens_at": "2020-01-01",
            "closes_at": "2099-12-31",
            "reference_prefix": "ABW",
        },
        headers=PLANNER,
        timeout=TIMEOUT,
    )
    assert r.status_code == 201, r.text
    proc = r.json()
    statements = {}
    for name, props in (
        ("trees", {"text": "Bitte die Eichen erhalten. Und weniger Parkplätze.", "pseudonym": "Eva"}),
        (
            "traffic",
            {
                "text": "=HYPERLINK(\"http://x\") <script>alert(1)</script>",
                "kind": "vorschlag",
                "target_collection": "bp_baugebiet",
                "target_id": s.zone,
            },
        ),
        ("spam", {"text": "Kaufen Sie Uhren!", "pseudonym": "Werbung"}),
    ):
        cid, secret = created(s, plan_id=s.plans["open"], **props)
        statements[name] = (cid, secret)
    yield {"id": proc["id"], "statements": statements}
    requests.post(f"{s.url}/api/procedures/{proc['id']}/close", headers=PLANNER, timeout=TIMEOUT)


def _statements(s, proc_id, headers=PLANNER):
    return requests.get(f"{s.url}/api/procedures/{proc_id}/statements", headers=headers, timeout=TIMEOUT)


def test_the_statements_of_a_procedure_carry_its_reference_prefix(contrib_server, procedure):
    listed = _statements(contrib_server, procedure["id"], MODERATOR).json()
    refs = [st["reference"] for st in listed["statements"]]
    assert len(refs) == 3 and all(r.startswith("ABW-") for r in refs) and len(set(refs)) == 3
    assert listed["counts"]["statements"] == 3 and listed["counts"]["without_abwaegung"] == 3
    assert _statements(contrib_server, procedure["id"], {}).status_code == 401


def test_a_rejection_carries_its_reason_to_the_author_and_into_the_audit_trail(contrib_server, procedure):
    s = contrib_server
    cid, secret = procedure["statements"]["spam"]
    r = requests.post(
        f"{s.url}/api/contributions/status",
        json={
            "ids": [cid, "no-such-id"],
            "status": "abgelehnt",
            "note": "Der Beitrag ist Werbung oder hat keinen Bezug zur Planung.",
        },
        headers=MODERATOR,
        timeout=TIMEOUT,
    )
    assert r.status_code == 200 and [c["id"] for c in r.json()["changed"]] == [cid]
    assert r.json()["failed"][0]["id"] == "no-such-id"
    mine = get_item(s, cid, with_secret(secret)).json()["properties"]
    assert mine["status"] == "abgelehnt" and mine["status_note"].startswith("Der Beitrag ist Werbung")
    by_number = requests.get(f"{s.url}/api/statements/{mine['reference']}", timeout=TIMEOUT).json()
    assert by_number["status"] == "abgelehnt" and "Werbung" in by_number["status_note"]
    trail = requests.get(f"{s.url}/api/audit", params={"target_id": cid}, headers=PLANNER, timeout=TIMEOUT).json()
    entry = trail["entries"][0]
    assert entry["action"] == "contribution.status" and entry["role"] == "moderator" and entry["actor"]
    assert entry["detail"]["to"] == "abgelehnt" and entry["detail"]["from"] == "eingereicht"
    # citizens cannot moderate
    assert (
        requests.post(
            f"{s.url}/api/contributions/status", json={"ids": [cid], "status": "freigegeben"}, timeout=TIMEOUT
        ).status_code
        == 401
    )


def test_abwaegung_export_and_publication(contrib_server, procedure):
    s = contrib_server
    trees, traffic = procedure["statements"]["trees"][0], procedure["statements"]["traffic"][0]
    for cid in (trees, traffic):
        assert (
            requests.post(
                f"{s.url}/api/contributions/{cid}/status",
                json={"status": "freigegeben"},
                headers=MODERATOR,
                timeout=TIMEOUT,
            ).status_code
            == 200
        )
    split = {
        "sections": [
            {
                "text": "Bitte die Eichen erhalten.",
                "proposal": "Die Eichen werden als zu erhalten festgesetzt.",
                "result": "beruecksichtigt",
                "decision": "Der Anregung wird gefolgt.",
                "tags": ["Bäume"],
            },
            {
                "text": "Und weniger Parkplätze.",
                "proposal": "Der Stellplatzschlüssel folgt der Satzung.",
                "result": "nicht_beruecksichtigt",
                "group": "Verkehr",
            },
        ]
    }
    r = requests.put(f"{s.url}/api/statements/{trees}/abwaegung", json=split, headers=PLANNER, timeout=TIMEOUT)
    assert r.status_code == 200 and len(r.json()["abwaegung"]) == 2
    assert (
        requests.put(
            f"{s.url}/api/statements/{traffic}/abwaegung",
            json={"result": "vielleicht"},
            headers=PLANNER,
            timeout=TIMEOUT,
        ).status_code
        == 400
    )
    assert (
        requests.put(
            f"{s.url}/api/statements/{traffic}/abwaegung", json={"proposal": "x"}, headers=MODERATOR, timeout=TIMEOUT
        ).status_code
        == 403
    )
    listed = {st["id"]: st for st in _statements(s, procedure["id"]).json()["statements"]}
    reference = listed[trees]["reference"]

    # the Abwägungstabelle, every statement (pending or rejected ones too), row by row
    xlsx = requests.get(f"{s.url}/api/procedures/{procedure['id']}/abwaegung.xlsx", headers=PLANNER, timeout=TIMEOUT)
    assert xlsx.status_code == 200 and xlsx.headers["Content-Disposition"].endswith('.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content))["Abwägungstabelle"]
    table = [[c.value for c in row] for row in sheet.iter_rows()]
    header_at = next(i for i, row in enumerate(table) if row[0] == "Nr.")
    header, body = table[header_at], [r for r in table[header_at + 1 :] if r[0]]
    col = {name: header.index(name) for name in header if name}
    by_nr = {row[col["Nr."]]: row for row in body}
    assert set(by_nr) == {
        f"{reference}/1",
        f"{reference}/2",
        listed[traffic]["reference"],
        listed[procedure["statements"]["spam"][0]]["reference"],
    }
    first = by_nr[f"{reference}/1"]
    assert first[col["Stellungnahme"]] == "Bitte die Eichen erhalten."
    assert first[col["Abwägungsvorschlag"]] == "Die Eichen werden als zu erhalten festgesetzt."
    assert first[col["Ergebnis"]] == "berücksichtigt" and first[col["Verfasser/in"]] == "Eva"
    assert by_nr[f"{reference}/2"][col["Ergebnis"]] == "nicht berücksichtigt"
    formula = by_nr[listed[traffic]["reference"]][col["Stellungnahme"]]
    assert formula.startswith("=HYPERLINK") and sheet.cell(header_at + 1, 1).data_type == "s"
    anonymous = requests.get(
        f"{s.url}/api/procedures/{procedure['id']}/abwaegung.xlsx",
        params={"anonymised": "1"},
        headers=PLANNER,
        timeout=TIMEOUT,
    )
    names = [c.value for row in openpyxl.load_workbook(io.BytesIO(anonymous.content)).active.iter_rows() for c in row]
    assert "Eva" not in names and "Verfasser/in" not in names

    docx = requests.get(f"{s.url}/api/procedures/{procedure['id']}/abwaegung.docx", headers=PLANNER, timeout=TIMEOUT)
    document = Document(io.BytesIO(docx.content))
    cells = [[c.text for c in row.cells] for t in document.tables for row in t.rows]
    assert any(f"{reference}/1" in row and "Die Eichen werden als zu erhalten festgesetzt." in row for row in cells)
    assert any("<script>" in cell for row in cells for cell in row)  # kept as text, not markup

    text = requests.get(
        f"{s.url}/api/procedures/{procedure['id']}/abwaegung.csv", headers=PLANNER, timeout=TIMEOUT
    ).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert any(row and row[0] == f"{reference}/2" for row in rows)
    assert any("'=HYPERLINK" in cell for row in rows for cell in row)  # no formula for a spreadsheet
    gpkg = requests.get(f"{s.url}/api/procedures/{procedure['id']}/abwaegung.gpkg", headers=PLANNER, timeout=TIMEOUT)
    assert gpkg.status_code == 200 and gpkg.content[:16] == b"SQLite format 3\x00"
    assert (
        requests.get(
            f"{s.url}/api/procedures/{procedure['id']}/abwaegung.pdf", headers=PLANNER, timeout=TIMEOUT
        ).status_code
        == 404
    )

    # publication after the council's decision: found by the reference number and as an OGC collection
    before = requests.get(f"{s.url}/api/statements/{reference}", timeout=TIMEOUT).json()
    assert before["abwaegung"] == []
    published = requests.post(f"{s.url}/api/procedures/{procedure['id']}/publish", headers=PLANNER, timeout=TIMEOUT)
    assert published.status_code == 200 and published.json()["published"] == 2
    after = requests.get(f"{s.url}/api/statements/{reference}", timeout=TIMEOUT).json()
    assert [e["result_label_de"] for e in after["abwaegung"]] == ["berücksichtigt", "nicht berücksichtigt"]
    items = requests.get(
        f"{s.api}/collections/statement_results/items",
        params={"f": "json", "procedure_id": procedure["id"]},
        timeout=TIMEOUT,
    ).json()["features"]
    assert sorted(f["id"] for f in items) == [f"{reference}/1", f"{reference}/2"]
    assert items[0]["geometry"]["type"] == "Point" and items[0]["properties"]["plan_id"] == s.plans["open"]
    actions = {
        e["action"] for e in requests.get(f"{s.url}/api/audit", headers=PLANNER, timeout=TIMEOUT).json()["entries"]
    }
    assert {"abwaegung.save", "abwaegung.export", "abwaegung.publish", "procedure.create"} <= actions
    exported = requests.get(f"{s.url}/api/audit", params={"f": "csv"}, headers=PLANNER, timeout=TIMEOUT)
    assert exported.headers["Content-Type"].startswith("text/csv") and "abwaegung.publish" in exported.text


def test_answer_templates_and_rejection_reasons(contrib_server):
    s = contrib_server
    reasons = requests.get(f"{s.url}/api/moderation/templates", timeout=TIMEOUT).json()
    assert "beleidigend" in reasons["rejection"] and reasons["results"]["zur_kenntnis"]["de"] == "zur Kenntnis genommen"
    r = requests.post(
        f"{s.url}/api/answer-templates",
        json={
            "title": "Stellplätze",
            "text": "Der Stellplatzschlüssel folgt der Satzung.",
            "result": "nicht_beruecksichtigt",
        },
        headers=PLANNER,
        timeout=TIMEOUT,
    )
    assert r.status_code == 201
    listed = requests.get(f"{s.url}/api/answer-templates", headers=PLANNER, timeout=TIMEOUT).json()["templates"]
    assert r.json()["id"] in {t["id"] for t in listed}
    assert (
        requests.post(f"{s.url}/api/answer-templates", json={"title": ""}, headers=PLANNER, timeout=TIMEOUT).status_code
        == 400
    )
    assert (
        requests.delete(f"{s.url}/api/answer-templates/{r.json()['id']}", headers=PLANNER, timeout=TIMEOUT).status_code
        == 200
    )


def test_two_reports_of_one_street_light_are_flagged_as_duplicates(contrib_server):
    s = contrib_server
    near = {"type": "Point", "coordinates": [10.0105, 53.6705]}
    close_by = {"type": "Point", "coordinates": [10.01055, 53.67053]}  # about 5 m away
    first, _ = created(s, kind="maengelmeldung", category="beleuchtung", geometry=near, text="Laterne aus")
    second, _ = created(s, kind="maengelmeldung", category="beleuchtung", geometry=close_by, text="Lampe dunkel")
    other, _ = created(s, kind="maengelmeldung", category="muell", geometry=close_by, text="Müll")
    found = requests.get(f"{s.url}/api/contributions/{second}/duplicates", headers=MODERATOR, timeout=TIMEOUT).json()
    ids = [d["id"] for d in found["duplicates"]]
    assert first in ids and other not in ids and found["duplicates"][0]["distance_m"] < 10
    assert requests.get(f"{s.url}/api/contributions/{second}/duplicates", timeout=TIMEOUT).status_code == 401
