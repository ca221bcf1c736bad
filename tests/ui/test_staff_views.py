"""The staff screens ("Verwaltung"): procedures, moderation queue, Abwägung.

Unit tests of the pure layout and table functions, and one browser walk through a whole procedure: a
planner opens a § 3 (2) procedure in the portal's form (and sees the API's warning), a citizen comments on
the plan through the API, a moderator approves it in the queue, the planner writes the Abwägung in the
portal and downloads the Abwägungstabelle as XLSX and DOCX (opened again with openpyxl / python-docx).
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests

from ui import abwaegung, admin, moderation, procedures
from ui.i18n import TEXTS

BERLIN = ZoneInfo("Europe/Berlin")


def texts_of(component) -> list[str]:
    """Every string in a Dash component tree (what a visitor reads), in order."""
    found: list[str] = []

    def walk(node):
        if node is None or isinstance(node, bool):
            return
        if isinstance(node, (str, int, float)):
            found.append(str(node))
        elif isinstance(node, (list, tuple)):
            for child in node:
                walk(child)
        else:
            walk(getattr(node, "children", None))

    walk(component)
    return found


def props_of(component, prop: str) -> list:
    """Every value of ``prop`` in a component tree."""
    found = []

    def walk(node):
        if isinstance(node, (list, tuple)):
            for child in node:
                walk(child)
        elif node is not None and hasattr(node, "to_plotly_json"):
            value = getattr(node, prop, None)
            if value is not None:
                found.append(value)
            walk(getattr(node, "children", None))

    walk(component)
    return found


# -- shared helpers ------------------------------------------------------------------------------------------------


def test_dates_are_shown_in_berlin_time_and_ends_as_the_last_day_included():
    # the API stores a bare end date "2027-01-17" as the start of the next day, Berlin time (winter: UTC+1)
    assert admin.local_date("2026-12-04T23:00:00.000Z") == "05.12.2026"
    assert admin.end_date("2027-01-17T23:00:00.000Z") == "17.01.2027"
    assert admin.form_date("2027-01-17T23:00:00.000Z", end=True) == "2027-01-17"
    # summer time (UTC+2), and an end in the middle of a day stays on its day
    assert admin.end_date("2026-07-01T22:00:00Z") == "01.07.2026"
    assert admin.form_date("2026-06-30T22:00:00Z") == "2026-07-01"
    assert admin.end_date("2026-07-01T10:00:00Z") == "01.07.2026"
    assert admin.local_datetime("2026-07-01T08:30:00Z") == "01.07.2026, 10:30"
    assert admin.local_day("2026-12-05T23:30:00Z") == "2026-12-06"
    assert admin.local_date(None) == "–" and admin.end_date("") == "–"


def test_roles_see_their_screens():
    assert admin.visible_screens("planner") == ["procedures", "moderation", "abwaegung"]
    assert admin.visible_screens("admin") == ["procedures", "moderation", "abwaegung"]
    assert admin.visible_screens("moderator") == ["moderation"]
    assert admin.visible_screens("citizen") == [] and admin.visible_screens(None) == []


def test_api_messages_in_the_visitors_language():
    body = {"description": "Unbekannte Pläne / unknown plans: x"}
    assert admin.api_error(400, body, "de") == "Nicht angenommen (400): Unbekannte Pläne"
    assert admin.api_error(400, body, "en") == "Not accepted (400): unknown plans: x"
    assert "403" in admin.api_error(403, {"description": "nur Planung / planners only"}, "de")
    assert "nur Planung" in admin.api_error(403, {"description": "nur Planung / planners only"}, "de")
    assert "abgelaufen" in admin.api_error(401, None, "de")
    assert "nicht erreichbar" in admin.api_error(None, None, "de")
    assert "500" in admin.api_error(500, "boom", "en")


def test_a_citizen_sees_a_note_not_the_screens():
    note = " ".join(texts_of(admin.note_for({"signed_in": False}, None, "de")))
    assert "Mitarbeitende" in note
    note = " ".join(texts_of(admin.note_for({"signed_in": True, "role": "citizen"}, None, "en")))
    assert "no moderator or planner role" in note
    links = props_of(admin.session_view({"sign_in_available": True}, None, "de", "/x"), "href")
    assert links == ["/x/auth/login?next=%2Fx%2F%3Fview%3Dadmin"]


def test_every_screen_renders_in_both_languages():
    """Every text the layouts use exists in ui/i18n.py (a missing key raises), German and English."""
    for lang in ("de", "en"):
        for module in (procedures, moderation, abwaegung):
            assert texts_of(module.layout(lang))
        admin.layout(lang)
    assert TEXTS["tab.admin"] == ("Verwaltung", "Administration")


def test_no_module_renders_html_from_text():
    for module in (admin, procedures, moderation, abwaegung):
        assert "dangerously_allow_html" not in Path(module.__file__).read_text(encoding="utf-8")


# -- procedures ------------------------------------------------------------------------------------------------------


NOW = datetime(2026, 12, 6, 12, tzinfo=UTC)


def _proc(**values) -> dict:
    return {
        "id": "p1",
        "kind": "veroeffentlichung",
        "kind_label_de": "Veröffentlichung im Internet (§ 3 Abs. 2 BauGB)",
        "kind_label_en": "Publication for public comment (§ 3 (2) BauGB)",
        "title_de": "Entwurf LA 22",
        "title_en": None,
        "plan_ids": ["a"],
        "plan_names": ["Bebauungsplan LA 22"],
        "opens_at": "2026-12-04T23:00:00.000Z",
        "closes_at": "2027-01-17T23:00:00.000Z",
        "closed_at": None,
        "open_now": True,
        "days_left": 43,
        "reference_prefix": "LA22",
        **values,
    }


def test_state_of_a_procedure():
    assert procedures.state_of(_proc(), "de", NOW) == ("läuft, noch 43 Tage", "badge open")
    assert procedures.state_of(_proc(days_left=1), "en", NOW)[0] == "open, 1 day left"
    upcoming = _proc(open_now=False, days_left=None, opens_at="2027-02-28T23:00:00Z", closes_at="2027-03-31T22:00:00Z")
    assert procedures.state_of(upcoming, "de", NOW) == ("beginnt am 01.03.2027", "badge")
    ended = _proc(open_now=False, days_left=None, opens_at="2026-10-31T23:00:00Z", closes_at="2026-11-30T23:00:00Z")
    assert procedures.state_of(ended, "de", NOW) == ("beendet am 30.11.2026", "badge closed")
    early = _proc(open_now=False, days_left=None, closed_at="2026-12-06T09:00:00Z")
    assert procedures.state_of(early, "en", NOW) == ("closed early on 06.12.2026", "badge closed")


def test_procedures_table():
    procs = [
        _proc(),
        _proc(
            id="p2",
            title_de="Alt",
            open_now=False,
            days_left=None,
            opens_at="2026-01-01T00:00:00Z",
            closes_at="2026-02-01T00:00:00Z",
        ),
    ]
    table = procedures.procedures_table(procs, {"p1": 3}, "de")
    text = texts_of(table)
    assert "Verfahren, neueste zuerst: 2" in text
    assert "Entwurf LA 22" in text and "05.12.2026 – 17.01.2027" in text and "3" in text
    assert "Bebauungsplan LA 22" in text and "läuft, noch 43 Tage" in text
    ids = props_of(table, "id")
    assert {"type": "proc-close", "id": "p1"} in ids and {"type": "proc-close", "id": "p2"} not in ids
    assert {"type": "proc-edit", "id": "p2"} in ids
    # every cell names its column (the phone layout shows it)
    assert "Stellungnahmen" in props_of(table, "data-label")
    assert "Noch keine Verfahren." in texts_of(procedures.procedures_table([], {}, "de"))


def test_procedure_body_and_form_values():
    body = procedures.procedure_body(
        kind="veroeffentlichung",
        title_de=" Entwurf ",
        title_en="",
        description_de="Text",
        description_en=None,
        plan_ids=["a", "b"],
        opens="2026-12-07",
        closes="2026-12-27",
        allowed=["vorschlag", "kommentar"],
        prefix=" LA22 ",
    )
    assert body == {
        "kind": "veroeffentlichung",
        "title_de": "Entwurf",
        "plan_ids": ["a", "b"],
        "opens_at": "2026-12-07",
        "closes_at": "2026-12-27",
        "allowed_kinds": ["kommentar", "vorschlag"],
        "description_de": "Text",
        "reference_prefix": "LA22",
    }
    for missing, key in (
        ({"title_de": " "}, "proc.err.title"),
        ({"opens": None}, "proc.err.dates"),
        ({"allowed": []}, "proc.err.kinds"),
    ):
        values = {
            "kind": "informell",
            "title_de": "T",
            "title_en": None,
            "description_de": None,
            "description_en": None,
            "plan_ids": [],
            "opens": "2026-12-07",
            "closes": "2026-12-08",
            "allowed": ["kommentar"],
            "prefix": None,
            **missing,
        }
        with pytest.raises(procedures.FormProblem) as err:
            procedures.procedure_body(**values)
        assert err.value.key == key
    values = procedures.form_values(_proc())
    assert values["opens"] == "2026-12-05" and values["closes"] == "2027-01-17"  # round trip of the dates
    assert values["plan_ids"] == ["a"] and values["prefix"] == "LA22"
    assert procedures.form_values(None)["allowed"] == ["kommentar", "vorschlag"]


def test_plan_options_keep_the_chosen_and_filter_the_rest():
    plans = [{"id": f"p{n}", "name": f"Plan {n}", "nummer": None} for n in range(100)]
    options, more = procedures.plan_options(plans, "", ["p99"], limit=10)
    assert options[0] == ("p99", "Plan 99") and len(options) == 10 and more == 99 - 9
    options, more = procedures.plan_options(plans, "plan 5", [], limit=40)
    assert [o[0] for o in options] == ["p5"] + [f"p{n}" for n in range(50, 60)] and more == 0


def test_statement_counts():
    features = [
        {"properties": {"procedure_id": "a"}},
        {"properties": {"procedure_id": "a"}},
        {"properties": {"procedure_id": None}},
        {"properties": {"procedure_id": "b"}},
    ]
    assert procedures.statement_counts(features) == {"a": 2, "b": 1}


# -- moderation ----------------------------------------------------------------------------------------------------


HOSTILE = '<img src=x onerror="window.__xss=1"> Bitte prüfen'


def _feature(cid: str, **props) -> dict:
    return {
        "type": "Feature",
        "id": cid,
        "geometry": {"type": "Point", "coordinates": [10.0, 53.66]},
        "properties": {
            "kind": "kommentar",
            "category": "verkehr",
            "status": "eingereicht",
            "plan_id": "plan-a",
            "procedure_id": "p1",
            "reference": f"LA22-2026-{cid}",
            "text": f"Text {cid}",
            "created_at": "2026-12-05T10:00:00.000Z",
            **props,
        },
    }


def test_filter_queue():
    features = [
        _feature("0003", created_at="2026-12-05T23:30:00Z"),  # 06.12. in Berlin
        _feature("0001"),
        _feature("0002", kind="maengelmeldung", procedure_id=None, plan_id=None),
        _feature("0004", status="freigegeben", plan_id="plan-b"),
    ]
    ids = lambda found: [f["id"] for f in found]  # noqa: E731
    assert ids(moderation.filter_queue(features)) == ["0001", "0002", "0004", "0003"]  # oldest first
    assert ids(moderation.filter_queue(features, status="eingereicht")) == ["0001", "0002", "0003"]
    assert ids(moderation.filter_queue(features, procedure="p1", plan="plan-a")) == ["0001", "0003"]
    assert ids(moderation.filter_queue(features, procedure="-")) == ["0002"]
    assert ids(moderation.filter_queue(features, kind="maengelmeldung")) == ["0002"]
    assert ids(moderation.filter_queue(features, day_from="2026-12-06")) == ["0003"]
    assert ids(moderation.filter_queue(features, day_to="2026-12-05")) == ["0001", "0002", "0004"]


def test_queue_table_shows_text_as_text_with_the_post_it_answers():
    features = [_feature("0001", text=HOSTILE), _feature("0002", parent_id="0001", late=True)]
    table = moderation.queue_table(features, {"0001": HOSTILE}, None, ["0002"], "de")
    text = texts_of(table)
    assert HOSTILE in text  # a plain string child: React renders it as text
    assert f"Antwort auf: „{HOSTILE}“" in text
    assert "verspätet" in text and "LA22-2026-0001" in text and "Beiträge, älteste zuerst: 2" in text
    pressed = {
        json.dumps(b.id, sort_keys=True): getattr(b, "aria-pressed")
        for b in _buttons(table)
        if isinstance(b.id, dict) and b.id["type"] == "modq-pick"
    }
    assert pressed == {
        json.dumps({"id": "0001", "type": "modq-pick"}): "false",
        json.dumps({"id": "0002", "type": "modq-pick"}): "true",
    }
    many = [_feature(f"{n:04d}") for n in range(moderation.MAX_ROWS + 5)]
    caption = texts_of(moderation.queue_table(many, {}, None, [], "en"))
    assert (
        f"The oldest {moderation.MAX_ROWS} of {moderation.MAX_ROWS + 5} contributions (filters narrow it down)"
        in caption
    )
    assert "Keine Beiträge zu diesen Filtern." in texts_of(moderation.queue_table([], {}, None, [], "de"))


def _buttons(component) -> list:
    from dash import html

    found = []

    def walk(node):
        if isinstance(node, (list, tuple)):
            for child in node:
                walk(child)
        elif node is not None and hasattr(node, "to_plotly_json"):
            if isinstance(node, html.Button):
                found.append(node)
            walk(getattr(node, "children", None))

    walk(component)
    return found


def test_detail_offers_the_statuses_of_the_kind():
    templates = moderation.note_templates({"rejection": {"doppelt": {"de": "Doppelt.", "en": "Duplicate."}}}, "en")
    assert templates == [("doppelt", "Duplicate.")]
    assert moderation.template_options(templates, "de") == [("doppelt", "Doppelt")]
    for kind, expected in (
        ("kommentar", ["freigegeben", "abgelehnt"]),
        ("maengelmeldung", ["in_bearbeitung", "erledigt", "freigegeben", "abgelehnt"]),
    ):
        feature = _feature(
            "0001",
            kind=kind,
            status="eingereicht",
            status_history=[{"status": "eingereicht", "at": "2026-12-05T10:00:00Z"}],
        )
        view = moderation.detail_view(
            moderation.props_of(feature), feature, None, [], templates, None, "http://h/oapi", "de"
        )
        statuses = [b.id["status"] for b in _buttons(view) if isinstance(b.id, dict) and b.id["type"] == "modq-set"]
        assert statuses == expected
        assert "Keine ähnlichen Beiträge in der Nähe." in texts_of(view)
    dup = [
        {
            "id": "x",
            "reference": "LA22-2026-0009",
            "status": "eingereicht",
            "text": "gleich",
            "created_at": "2026-12-01T10:00:00Z",
            "distance_m": 12.5,
        }
    ]
    text = " ".join(texts_of(moderation.duplicates_block(dup, "de")))
    assert "LA22-2026-0009" in text and "12.5 m entfernt" in text
    assert moderation.location_map("http://h/oapi", {"geometry": None}, "de") is None


# -- Abwägung ------------------------------------------------------------------------------------------------------


def _states(entries: list[dict]) -> tuple[list, list]:
    fields, results = [], []
    for i, entry in enumerate(entries):
        for field in abwaegung.FIELDS:
            if field in entry:
                fields.append({"id": {"type": "abw-field", "field": field, "i": i}, "value": entry[field]})
        for result in abwaegung.RESULTS:
            results.append(
                {
                    "id": {"type": "abw-result", "i": i, "value": result},
                    "value": "true" if entry.get("result") == result else "false",
                }
            )
    return fields, results


def test_abwaegung_body_for_a_whole_statement_and_for_sections():
    fields, results = _states(
        [
            {
                "proposal": " Wird berücksichtigt. ",
                "decision": "",
                "tags": "Bäume, Grün,, Bäume",
                "group": "",
                "result": "beruecksichtigt",
            }
        ]
    )
    entries = abwaegung.entries_from(fields, results)
    assert abwaegung.abwaegung_body(entries, "whole") == {
        "proposal": "Wird berücksichtigt.",
        "result": "beruecksichtigt",
        "decision": None,
        "tags": ["Bäume", "Grün"],
        "group": None,
    }
    fields, results = _states(
        [
            {"text": "Erster Teil", "proposal": "A", "result": "zur_kenntnis"},
            {"text": "Zweiter Teil", "proposal": "B", "group": "Verkehr"},
        ]
    )
    body = abwaegung.abwaegung_body(abwaegung.entries_from(fields, results), "sections")
    assert [s["text"] for s in body["sections"]] == ["Erster Teil", "Zweiter Teil"]
    assert [s["result"] for s in body["sections"]] == ["zur_kenntnis", None]
    assert body["sections"][1]["group"] == "Verkehr"
    assert abwaegung.parse_tags("a;b\nc, " + "x" * 70) == ["a", "b", "c", "x" * 60]


def test_draft_entries_and_split():
    stored = {
        "abwaegung": [
            {
                "section_no": 1,
                "section_text": "Teil 1",
                "proposal": "P",
                "result": "beruecksichtigt",
                "decision": None,
                "tags": ["t"],
                "group_name": "g",
            },
            {
                "section_no": 2,
                "section_text": "Teil 2",
                "proposal": None,
                "result": None,
                "decision": None,
                "tags": [],
                "group_name": None,
            },
        ]
    }
    mode, entries = abwaegung.draft_entries(stored)
    assert mode == "sections" and entries[0] == {
        "text": "Teil 1",
        "proposal": "P",
        "decision": "",
        "tags": "t",
        "group": "g",
        "result": "beruecksichtigt",
    }
    assert abwaegung.draft_entries({"abwaegung": []})[0] == "whole"
    assert abwaegung.result_summary(stored, "de") == "2 Abschnitte: berücksichtigt, noch offen"
    assert abwaegung.result_summary({"abwaegung": []}, "en") == "not decided yet"
    assert abwaegung.split_text("Eins.\n\nZwei.\n  \nDrei.") == ["Eins.", "Zwei.", "Drei."]
    assert abwaegung.split_text("Nur einer.") == ["Nur einer."]


def test_editor_labels_belong_to_their_fields():
    block = abwaegung.entry_block(0, {"proposal": "x"}, "sections", [{"id": "t1", "title": "Radverkehr"}], "de")
    fors = props_of(block, "htmlFor")
    ids = [abwaegung.dom_id(i) for i in props_of(block, "id") if isinstance(i, dict) and i.get("type") == "abw-field"]
    assert sorted(fors) == sorted(ids) and len(ids) == 5
    assert "Radverkehr" in texts_of(block) and "Abschnitt 1 entfernen" in texts_of(block)


def test_export_links_and_statements_table():
    links = abwaegung.export_links("/portal", "p1", "en")
    hrefs = props_of(links, "href")
    assert "/portal/api/procedures/p1/abwaegung.xlsx?lang=en" in hrefs
    assert "/portal/api/procedures/p1/abwaegung.gpkg?lang=en&anonymised=1" in hrefs and len(hrefs) == 8
    statements = [
        {
            "id": "c1",
            "reference": "LA22-2026-0001",
            "created_at": "2026-12-05T10:00:00Z",
            "text": HOSTILE,
            "plan_name": "Bebauungsplan LA 22",
            "target_label": "Baugebiet (z1)",
            "status": "freigegeben",
            "late": True,
            "abwaegung": [{"result": "teilweise_beruecksichtigt", "section_no": None}],
        }
    ]
    text = texts_of(abwaegung.statements_table(statements, "de"))
    assert HOSTILE in text and "teilweise berücksichtigt" in text and "verspätet" in text
    assert "Baugebiet (z1)" in text and "05.12.2026" in text
    counts = texts_of(abwaegung.counts_line({"statements": 3, "without_abwaegung": 1, "beruecksichtigt": 2}, "de"))
    assert "Stellungnahmen: 3, davon noch nicht (ganz) abgewogen: 1" in counts and "berücksichtigt: 2" in counts
    audit = texts_of(
        abwaegung.audit_table(
            [
                {
                    "at": "2026-12-06T10:00:00Z",
                    "actor": "Paula",
                    "role": "planner",
                    "action": "abwaegung.save",
                    "detail": {"reference": "LA22-2026-0001"},
                }
            ],
            "de",
        )
    )
    assert "Abwägung gespeichert" in audit and "LA22-2026-0001" in audit and "06.12.2026, 11:00" in audit


# -- the whole walk in a browser -----------------------------------------------------------------------------------

PLAN_BUTTON = "LA22_5-2"
CITIZEN_TEXT = "Bitte die alten Eichen an der Tangstedter Landstraße erhalten <b>unbedingt</b>."
PROPOSAL = "Die Eichen werden als zu erhaltende Bäume festgesetzt."
DECISION = "Der Anregung wird gefolgt."


# The staff journey runs on PostGIS in ./dev test (the citizens' journeys run on the GeoPackage portal); its
# GeoPackage twin is heavy. Procedures, moderation and the Abwägung are proven on both stores by their API tests
# (tests/contributions/test_procedures.py, test_moderation.py, test_abwaegung.py).
@pytest.fixture(
    scope="module",
    params=[pytest.param("geopackage", marks=pytest.mark.heavy), pytest.param("postgis", marks=pytest.mark.postgis)],
)
def staff_portal(request, tmp_path_factory, chromium_paths):
    """A portal over the demo plans only, with no procedure yet (the planner opens the first one)."""
    from tests.conftest import LiveServer, fresh_postgis_database, import_demo_plans

    data_dir = tmp_path_factory.mktemp(f"ui-staff-{request.param}")
    store = (
        str(data_dir / "store.gpkg")
        if request.param == "geopackage"
        else fresh_postgis_database(request.getfixturevalue("postgis"), "ui_staff")
    )
    import_demo_plans(store, data_dir / "rasters")
    server = LiveServer(store, data_dir)
    yield server
    server.stop()


@pytest.mark.browser
def test_a_procedure_from_opening_to_the_abwaegungstabelle(staff_portal, browser):
    from openpyxl import load_workbook
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    from tests.ui.conftest import assert_axe_clean, screenshot, sign_in_staff, wait_until

    page, server = browser, staff_portal

    def text(css: str) -> str:
        return page.execute_script(
            "const e = document.querySelector(arguments[0]); return e ? e.textContent : '';", css
        )

    def button(scope: str, label: str):
        return wait_until(
            lambda: next(
                b
                for b in page.find_elements(By.CSS_SELECTOR, f"{scope} button")
                if b.text.strip() == label and b.is_displayed()
            ),
            20,
            message=label,
        )

    def as_staff(role: str, name: str) -> None:
        page.delete_cookie("bgis_session")
        sign_in_staff(page, server, role, name)
        page.find_element(By.ID, "admin-refresh").click()
        wait_until(lambda: f"Angemeldet als {name}" in text("#admin-session"), 20, message=f"signed in as {role}")

    def set_date(element_id: str, value: str) -> None:  # the native date field, as its picker sets it
        page.execute_script(
            """const e = document.getElementById(arguments[0]);
            Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set.call(e, arguments[1]);
            e.dispatchEvent(new Event('input', {bubbles: true}));
            e.dispatchEvent(new Event('change', {bubbles: true}));""",
            element_id,
            value,
        )

    try:
        page.get(f"{server.url}/?view=admin")
        # a citizen: a short note, no screens
        wait_until(lambda: "für Mitarbeitende der Verwaltung" in text("#admin-note"), 30, message="the citizen's note")
        assert not page.find_element(By.ID, "admin-area").is_displayed()

        # 1. a planner opens a § 3 (2) procedure in the form, shorter than the 30 days the law asks for
        as_staff("planner", "Paula Planer")
        wait_until(lambda: page.find_element(By.ID, "admin-tab-procedures").is_displayed(), 20, message="screens")
        assert "Noch keine Verfahren." in wait_until(lambda: text("#proc-list"), 20, message="the procedure list")
        button("#proc-kind-buttons", "Veröffentlichung (§ 3 Abs. 2 BauGB)").click()
        page.find_element(By.ID, "proc-title-de").send_keys("Entwurf LA 22: Veröffentlichung")
        page.find_element(By.ID, "proc-title-en").send_keys("Draft LA 22: publication")
        plan = wait_until(
            lambda: next(
                b for b in page.find_elements(By.CSS_SELECTOR, "#proc-plans-buttons button") if PLAN_BUTTON in b.text
            ),
            20,
            message="the plan button",
        )
        plan.send_keys(Keys.SPACE)  # by keyboard
        wait_until(lambda: PLAN_BUTTON in text("#proc-plans-chosen"), 10, message="the plan chosen")
        today = datetime.now(BERLIN).date()
        set_date("proc-opens", today.isoformat())
        set_date("proc-closes", (today + timedelta(days=20)).isoformat())
        page.find_element(By.ID, "proc-prefix").send_keys("LA22")
        page.find_element(By.ID, "proc-save").click()
        wait_until(lambda: "Gespeichert" in text("#proc-feedback"), 20, message="the procedure saved")
        assert "mindestens 30 Tage" in text("#proc-warnings")  # the API's warning, in German
        row = wait_until(
            lambda: next(
                r for r in page.find_elements(By.CSS_SELECTOR, "#proc-table tbody tr") if "Entwurf LA 22" in r.text
            ),
            20,
            message="the procedure in the list",
        )
        assert "läuft, noch" in row.text and today.strftime("%d.%m.%Y") in row.text
        assert "Änderungen speichern" in page.find_element(By.ID, "proc-save").text  # the form now edits it
        assert_axe_clean(page, "staff-procedures")
        listed = requests.get(f"{server.url}/api/procedures", timeout=20).json()["procedures"]
        proc = next(p for p in listed if p["title_de"] == "Entwurf LA 22: Veröffentlichung")
        assert proc["kind"] == "veroeffentlichung" and proc["open_now"] and proc["reference_prefix"] == "LA22"
        assert len(proc["plan_ids"]) == 1 and proc["allowed_kinds"] == ["kommentar", "vorschlag"]

        # 2. a citizen comments on the plan through the API
        feature = {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [10.0002, 53.6659]},
            "properties": {
                "kind": "kommentar",
                "category": "gruen",
                "text": CITIZEN_TEXT,
                "plan_id": proc["plan_ids"][0],
                "pseudonym": "Anwohnerin",
            },
        }
        r = requests.post(
            f"{server.api}/collections/contributions/items",
            data=json.dumps(feature),
            timeout=20,
            headers={"Content-Type": "application/geo+json"},
        )
        assert r.status_code == 201, r.text[:300]
        cid = r.headers["Location"].rstrip("/").rsplit("/", 1)[-1]

        # 3. a moderator approves it in the queue (by keyboard)
        as_staff("moderator", "Moritz Moderation")
        wait_until(
            lambda: page.find_element(By.ID, "admin-tab-moderation").get_attribute("aria-selected") == "true",
            20,
            message="the moderation screen",
        )
        assert not page.find_element(By.ID, "admin-tab-procedures").is_displayed()  # not a planner's screens
        row = wait_until(
            lambda: next(
                r for r in page.find_elements(By.CSS_SELECTOR, "#modq-table tbody tr") if CITIZEN_TEXT in r.text
            ),
            30,
            message="the contribution in the queue",
        )
        reference = row.find_element(By.TAG_NAME, "strong").text
        assert reference.startswith(f"LA22-{today.year}-")
        row.find_element(By.XPATH, ".//button[normalize-space()='Prüfen']").send_keys(Keys.ENTER)
        wait_until(lambda: text("#modq-detail-text") == CITIZEN_TEXT, 20, message="the contribution's detail")
        assert page.find_elements(By.CSS_SELECTOR, "#modq-detail .mini-map .leaflet-container")
        assert "Keine ähnlichen Beiträge" in text("#modq-detail")
        assert_axe_clean(page, "staff-moderation")
        button("#modq-detail", "Freigeben").send_keys(Keys.ENTER)
        wait_until(lambda: "freigegeben" in text("#modq-feedback"), 20, message="approved")
        public = requests.get(f"{server.api}/collections/contributions/items/{cid}", params={"f": "json"}, timeout=20)
        assert public.ok and public.json()["properties"]["status"] == "freigegeben"

        # 4. the planner writes the Abwägung in the portal
        as_staff("planner", "Paula Planer")
        # the planner's tabs show once the screens have re-rendered for the new session
        wait_until(lambda: page.find_element(By.ID, "admin-tab-abwaegung").is_displayed(), 20, message="planner's tabs")
        page.find_element(By.ID, "admin-tab-abwaegung").click()
        row = wait_until(
            lambda: next(r for r in page.find_elements(By.CSS_SELECTOR, "#abw-table tbody tr") if reference in r.text),
            30,
            message="the statement in the Abwägung list",
        )
        assert "noch offen" in row.text and "freigegeben" in row.text
        row.find_element(By.XPATH, ".//button[normalize-space()='Abwägen']").click()
        wait_until(lambda: reference in text("#abw-editor-heading"), 20, message="the editor")
        areas = page.find_elements(By.CSS_SELECTOR, "#abw-entries textarea")
        areas[0].send_keys(PROPOSAL)
        areas[1].send_keys(DECISION)
        page.find_element(By.CSS_SELECTOR, "#abw-entries input[type=text]").send_keys("Bäume, Grün")
        button("#abw-entries", "berücksichtigt").click()
        wait_until(
            lambda: button("#abw-entries", "berücksichtigt").get_attribute("aria-pressed") == "true",
            10,
            message="the result chosen",
        )
        page.find_element(By.ID, "abw-save").click()
        wait_until(lambda: "gespeichert" in text("#abw-save-feedback"), 20, message="the Abwägung saved")
        wait_until(
            lambda: (
                "berücksichtigt"
                in next(
                    r.text for r in page.find_elements(By.CSS_SELECTOR, "#abw-table tbody tr") if reference in r.text
                )
            ),
            20,
            message="the list updated",
        )
        assert_axe_clean(page, "staff-abwaegung")
        screenshot(page, "staff-abwaegung")

        # 5. ... and downloads the Abwägungstabelle: plain links, the browser's session cookie goes along
        cookies = {c["name"]: c["value"] for c in page.get_cookies()}
        xlsx = requests.get(page.find_element(By.ID, "abw-dl-xlsx").get_attribute("href"), cookies=cookies, timeout=30)
        assert xlsx.ok, xlsx.text[:300]
        sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
        rows = [[str(c) if c is not None else "" for c in r] for r in sheet.iter_rows(values_only=True)]
        found = next(r for r in rows if reference in r)
        assert PROPOSAL in found and DECISION in found and "berücksichtigt" in found
        assert any(CITIZEN_TEXT in cell for cell in found) and "Anwohnerin" in found
        docx = requests.get(page.find_element(By.ID, "abw-dl-docx").get_attribute("href"), cookies=cookies, timeout=30)
        assert docx.ok, docx.text[:300]
        import docx as python_docx

        table = python_docx.Document(io.BytesIO(docx.content)).tables[-1]
        cells = next([c.text for c in r.cells] for r in table.rows if any(reference in c.text for c in r.cells))
        assert PROPOSAL in cells and DECISION in cells and "berücksichtigt" in cells
        # without the session the same link is refused
        assert requests.get(page.find_element(By.ID, "abw-dl-xlsx").get_attribute("href"), timeout=20).status_code in (
            401,
            403,
        )
    finally:
        page.delete_cookie("bgis_session")
