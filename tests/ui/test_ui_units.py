"""The UI's pure parts, without a browser: texts, contribution path, envelope, list, layout."""

from __future__ import annotations

import json
import re
import string
from datetime import UTC
from pathlib import Path

import pytest

from ui import contribute
from ui.api import api_path, items_url
from ui.catalog import bbox_of, plan_label, union_bbox
from ui.dashboard import contribution_counts, iso_week
from ui.envelope import envelopes, zone_height
from ui.i18n import TEXTS, T, normalize_lang, t
from ui.listview import rows_for

# --- i18n ----------------------------------------------------------------------------


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_text_has_german_and_english_with_the_same_placeholders():
    for key, (de, en) in TEXTS.items():
        assert de.strip() and en.strip(), key
        assert _fields(de) == _fields(en), key


def test_lookup_and_language_normalisation():
    assert t("tab.map") == "Karte"
    assert t("tab.map", "en") == "Map"
    assert t("list.count", "de", n=3) == "3 Einträge"
    assert normalize_lang("en-GB") == "en"
    assert normalize_lang("fr") == "de"
    assert normalize_lang(None) == "de"
    with pytest.raises(KeyError):
        t("no.such.key")


def test_translated_component_carries_its_key():
    span = T("tab.list")
    assert span.children == "Liste"
    assert span.id["type"] == "i18n" and span.id["key"] == "tab.list"


def test_ui_modules_use_only_known_keys():
    """Every literal t("...")/T("...") key in ui/ exists in the table (no KeyError at runtime)."""
    from pathlib import Path

    used = set()
    for path in Path("ui").glob("*.py"):
        used |= set(re.findall(r'\bt\(\s*"([a-z0-9_.]+)"', path.read_text()))
        used |= set(re.findall(r'\bT\(\s*"([a-z0-9_.]+)"', path.read_text()))
    missing = sorted(key for key in used if key not in TEXTS)
    assert not missing


# --- contributions: building the feature and reading the API's answer ------------------

POINT = {"type": "Point", "coordinates": [10.01, 53.66]}


def test_build_feature_with_drawn_point_and_link():
    feature = contribute.build_feature(
        text="  Mehr Bäume bitte  ",
        kind="vorschlag",
        category="gruen",
        pseudonym="Anna",
        geometry=POINT,
        target={"collection": "bp_baugebiet", "id": "Z1", "plan_id": "P1"},
    )
    assert feature == {
        "type": "Feature",
        "geometry": POINT,
        "properties": {
            "kind": "vorschlag",
            "category": "gruen",
            "text": "Mehr Bäume bitte",
            "pseudonym": "Anna",
            "plan_id": "P1",
            "target_collection": "bp_baugebiet",
            "target_id": "Z1",
        },
    }


def test_defect_reports_use_service_categories_and_replies_carry_their_parent():
    feature = contribute.build_feature(
        text="Laterne defekt",
        kind="maengelmeldung",
        category="allgemein",
        pseudonym="x" * 50,
        geometry=POINT,
        parent_id="C1",
    )
    props = feature["properties"]
    assert props["category"] == "strasse"  # "allgemein" is no Open311 service: first service instead
    assert props["parent_id"] == "C1"
    assert len(props["pseudonym"]) == 40


def test_a_reply_leaves_plan_and_object_to_its_parent_even_while_a_plan_is_selected():
    """Issue 13: "Antworten" on a zone-linked post with its plan selected was refused ("'target_collection'
    weicht ab"): the selected plan travelled with the reply. The API gives a reply its parent's links."""
    feature = contribute.build_feature(
        text="Sehe ich genauso",
        kind="kommentar",
        category=None,
        pseudonym="",
        geometry=POINT,
        target={"collection": "bp_plan", "id": "P1", "plan_id": "P1"},
        parent_id="C1",
    )
    assert feature["properties"]["parent_id"] == "C1"
    assert not {"plan_id", "target_collection", "target_id"} & set(feature["properties"])


def test_counts_of_one_are_singular_in_both_languages():
    from ui.i18n import PLURAL_ONE

    assert t("panel.zone_count", "de", n=1) == "1 Fläche" and t("panel.zone_count", "de", n=2) == "2 Flächen"
    assert t("dash.queue_caption", "de", n=1) == "1 Beitrag wartet auf Prüfung"
    assert t("dash.queue_caption", "de", n=2) == "2 Beiträge warten auf Prüfung"
    assert t("list.count", "en", n=1) == "1 entry" and t("list.count", "en", n=0) == "0 entries"
    assert t("form.geometry_drawn", "de", n=1, kind="Point") == "Gezeichnet: 1 Objekt (Point)."
    for key, (de, en) in PLURAL_ONE.items():
        if key not in TEXTS:  # a module's own texts (e.g. the studio's) may come later
            continue
        fields = {name for _, name, _, _ in string.Formatter().parse(TEXTS[key][0]) if name}
        assert fields == {name for _, name, _, _ in string.Formatter().parse(de) if name} - {"n"} | (fields & {"n"}), (
            key
        )
        assert "1" in de and "1" in en, key


def test_no_ui_text_counts_in_a_plural_without_a_singular_form():
    """Every "{n} <noun>" text with a plural noun right after the count has its singular in PLURAL_ONE
    ("… of {n} entries" is only shown for more entries than fit, never for one)."""
    from ui.i18n import PLURAL_ONE

    plural_after_count = re.compile(
        r"(?<!von )(?<!of )\{n\} (Flächen|Beiträge|Einträge|Treffer|Bauflächen|Tage|Ergebnisse|Abschnitte|"
        r"weitere Pläne|Objekte|Zustimmungen|areas|entries|results|days|sections|objects|"
        r"likes|contributions|building areas|more plans)\b"
    )
    missing = [
        key
        for key, (de, en) in TEXTS.items()
        if (plural_after_count.search(de) or plural_after_count.search(en)) and key not in PLURAL_ONE
    ]
    assert not missing, missing


def test_a_pending_contribution_offers_no_like_or_reply_but_says_why():
    from ui.plan_panel import contribution_item

    pending = contribution_item(
        {"id": "C1", "properties": {"text": "Noch nicht geprüft", "status": "eingereicht"}}, [], "de"
    )
    text = json.dumps(pending.to_plotly_json(), default=lambda o: o.to_plotly_json(), ensure_ascii=False)
    assert "sobald die Verwaltung den Beitrag geprüft und freigegeben hat" in text
    assert '"type": "like"' not in text and '"type": "reply"' not in text


@pytest.mark.parametrize("liked, pressed", [(False, "false"), (True, "true")])
def test_a_like_button_is_a_toggle_with_its_state(liked, pressed):
    from ui.plan_panel import contribution_item

    item = contribution_item(
        {"id": "C2", "properties": {"text": "Gut", "status": "freigegeben", "like_count": 1}}, [], "de", liked=liked
    )
    button = item.children[2].children[0]
    assert button.id == {"type": "like", "id": "C2"}
    assert button.children == "Zustimmen (1)"  # a toggle keeps its label
    assert getattr(button, "aria-pressed") == pressed
    assert getattr(button, "aria-label") == "Zustimmen: 1 Zustimmung"


def test_build_feature_falls_back_to_the_selected_objects_centre():
    feature = contribute.build_feature(
        text="Hallo Welt",
        kind="x",
        category=None,
        pseudonym="",
        geometry=None,
        target={"collection": "bp_plan", "id": "P1", "plan_id": "P1", "bbox": [[53.0, 10.0], [54.0, 11.0]]},
    )
    assert feature["geometry"] == {"type": "Point", "coordinates": [10.5, 53.5]}
    assert feature["properties"]["kind"] == "kommentar"  # unknown kinds fall back
    assert feature["properties"]["category"] == "allgemein"
    assert "pseudonym" not in feature["properties"]


def test_a_clicked_layer_that_is_no_link_target_links_its_plan():
    """A building or street clicked on the map: the contribution is about its plan, not refused for its layer."""
    from participation.model import TARGET_COLLECTIONS

    building = {"collection": "buildings", "id": "B7", "plan_id": "P1", "bbox": [[53.0, 10.0], [54.0, 11.0]]}
    target = contribute._target(building, {})
    assert target == {"collection": "xplan_plan", "id": "P1", "plan_id": "P1", "bbox": building["bbox"]}
    assert target["collection"] in TARGET_COLLECTIONS
    assert contribute._target({"collection": "osm_strassen", "id": "S1"}, {}) is None  # no plan: a place only
    zone = contribute._target({"collection": "xplan_objekt", "id": "O1", "plan_id": "P1"}, {})
    assert (zone["collection"], zone["id"]) == ("xplan_objekt", "O1")
    name = contribute._target_name(zone, {"properties": {"label": "Fläche für Gemeinbedarf"}}, {}, "de")
    assert name == "Fläche für Gemeinbedarf"


@pytest.mark.parametrize(
    "text, geometry, key",
    [
        ("", POINT, "form.err.text"),
        ("ab", POINT, "form.err.text"),
        ("x" * 2001, POINT, "form.err.text_long"),
        ("Genug Text", None, "form.err.geometry"),
    ],
)
def test_build_feature_refuses_incomplete_forms(text, geometry, key):
    with pytest.raises(contribute.FormError) as err:
        contribute.build_feature(text=text, kind="kommentar", category="allgemein", pseudonym=None, geometry=geometry)
    assert err.value.key == key


def test_drawn_geometry_takes_the_last_feature():
    line = {"type": "LineString", "coordinates": [[10, 53], [10.1, 53.1]]}
    geojson = {"features": [{"geometry": POINT}, {"geometry": line}]}
    assert contribute.drawn_geometry(geojson) == line
    assert contribute.drawn_geometry({"features": []}) is None
    assert contribute.drawn_geometry(None) is None


@pytest.mark.parametrize(
    "status, body, lang, css, text",
    [
        (
            201,
            {},
            "de",
            "ok",
            "Danke! Ihr Beitrag ist eingegangen. Er erscheint nach der Prüfung (Moderation) für alle.",
        ),
        (
            201,
            {},
            "en",
            "ok",
            "Thank you! Your contribution was received. It will appear for everyone after moderation.",
        ),
        (
            401,
            None,
            "de",
            "error",
            "Sie sind nicht angemeldet oder das Schreiben ist hier nicht erlaubt (401). Bitte melden Sie sich an.",
        ),
        (403, None, "en", "error", "This is not allowed right now (403)."),
        (
            403,
            {"description": "Die Beteiligung ist nicht geöffnet. / Participation is closed."},
            "en",
            "error",
            "This is not allowed right now (403). Participation is closed.",
        ),
        (
            403,
            {"description": "Die Beteiligung ist nicht geöffnet. / Participation is closed."},
            "de",
            "error",
            "Das ist gerade nicht erlaubt (403). Die Beteiligung ist nicht geöffnet.",
        ),
        (
            404,
            None,
            "de",
            "error",
            "Beiträge können noch nicht angenommen werden: die Sammlung „contributions“ gibt es auf diesem Server noch nicht (404).",
        ),
        (413, None, "de", "error", "Der Beitrag ist zu groß (413)."),
        (
            400,
            {"description": "Geometrie außerhalb des Stadtgebiets"},
            "de",
            "error",
            "Der Beitrag wurde nicht angenommen (400): Geometrie außerhalb des Stadtgebiets",
        ),
        (422, None, "en", "error", "The contribution was not accepted (422): –"),
        (500, None, "de", "error", "Der Server hat einen Fehler gemeldet (500). Bitte versuchen Sie es später erneut."),
        (None, None, "en", "error", "The server cannot be reached. Please check the connection."),
    ],
)
def test_every_api_answer_gets_a_clear_message(status, body, lang, css, text):
    assert contribute.message_for(status, body, lang) == (css, text)


def test_submit_posts_geojson_to_the_contributions_collection():
    """The real HTTP path against a throwaway server that records the request."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    seen = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            seen["path"] = self.path
            seen["type"] = self.headers["Content-Type"]
            seen["secret"] = self.headers["X-Contribution-Secret"]
            seen["body"] = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(403)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"code": "Forbidden"}')

        def log_message(self, *args):
            pass

    httpd = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        from ui.api import ApiClient

        client = ApiClient(f"http://127.0.0.1:{httpd.server_port}/oapi")
        feature = contribute.build_feature(
            text="Test", kind="kommentar", category="allgemein", pseudonym=None, geometry=POINT
        )
        css, message, accepted, secret = contribute.submit(client, feature, "de", "s" * 30)
    finally:
        httpd.shutdown()
    assert seen["path"] == "/oapi/collections/contributions/items"
    assert seen["type"] == "application/geo+json"
    assert seen["secret"] == "s" * 30 and secret == "s" * 30
    assert seen["body"] == feature
    assert (css, accepted) == ("error", False)
    assert "403" in message


def test_submit_reports_an_unreachable_server():
    from ui.api import ApiClient

    client = ApiClient("http://127.0.0.1:9/oapi", timeout=2)
    css, message, accepted, _ = contribute.submit(client, {"type": "Feature"}, "de")
    assert (css, accepted) == ("error", False)
    assert message == "Der Server ist nicht erreichbar. Bitte prüfen Sie die Verbindung."


# --- URLs, bboxes, labels ------------------------------------------------------------


def test_pygeoapi_json_escaping_is_undone_for_display():
    from ui.api import unescape_pygeoapi

    assert unescape_pygeoapi({"features": [{"properties": {"name": "Plan&gt;", "text": "&lt;b&gt;", "n": 3}}]}) == {
        "features": [{"properties": {"name": "Plan>", "text": "<b>", "n": 3}}]
    }


def test_browser_urls_follow_the_api_path():
    assert api_path("http://host:8050/oapi") == "/oapi"
    assert api_path("https://stadt.example/gis/oapi/") == "/gis/oapi"
    assert items_url("http://h/oapi", "bp_plan", limit=5) == "/oapi/collections/bp_plan/items?f=json&limit=5"


def test_bbox_helpers():
    poly = {"type": "MultiPolygon", "coordinates": [[[[10, 53], [11, 53], [11, 54], [10, 53]]]]}
    assert bbox_of(poly) == [[53, 10], [54, 11]]
    assert bbox_of(None) is None
    assert union_bbox([[[53, 10], [54, 11]], None, [[52, 9], [53, 10.5]]]) == [[52, 9], [54, 11]]


def test_plan_label():
    assert plan_label({"name": "Bebauungsplan LA 22", "nummer": "LA 22"}) == "Bebauungsplan LA 22"
    assert plan_label({"name": "Langenhorn", "nummer": "51"}) == "51 – Langenhorn"
    assert plan_label({"id": "X"}) == "X"


# --- envelope --------------------------------------------------------------------------


def _square(x0, y0, size, props, fid="Z"):
    """A square in CRS84 around (x0, y0), size in degrees."""
    ring = [[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]
    return {"type": "Feature", "id": fid, "geometry": {"type": "Polygon", "coordinates": [ring]}, "properties": props}


def test_zone_height():
    assert zone_height({"z": 3}) == 9
    assert zone_height({"z_max": 2, "z": None}) == 6
    assert zone_height({"h_max": 12.5, "z": 3}) == 12.5
    assert zone_height({"z": 0}) is None


def test_envelope_is_the_window_inside_the_baugrenze():
    zone = _square(10.0, 53.0, 0.002, {"z": 3, "plan_id": "P"})
    # A Baugrenze drawn as a closed line inside the zone: the building window.
    inner = [[10.0005, 53.0005], [10.0015, 53.0005], [10.0015, 53.0015], [10.0005, 53.0015], [10.0005, 53.0005]]
    line = {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": inner},
        "properties": {"art": "Baugrenze"},
    }
    result = envelopes([zone], [line])
    assert len(result["features"]) == 1
    props = result["features"][0]["properties"]
    assert props["envelope_height"] == 9 and props["storeys"] == 3 and props["zone_id"] == "Z"
    zone_area = 0.002 * 111_320 * 0.002 * 111_320 * 0.6  # rough m² at 53° N
    assert props["area_m2"] < zone_area / 2  # the window, not the whole zone


def test_envelope_without_baugrenzen_uses_the_zone():
    result = envelopes([_square(10.0, 53.0, 0.001, {"z": 2})], [])
    assert [f["properties"]["envelope_height"] for f in result["features"]] == [6]


def test_envelope_ignores_zones_without_height():
    assert envelopes([_square(10.0, 53.0, 0.001, {"grz": 0.4})], [])["features"] == []


# --- list and dashboard ---------------------------------------------------------------

CATALOG = {
    "plans": [
        {"id": "P1", "plan_id": "P1", "name": "Langenhorn 51", "rechtsstand": "InkraftGetreten"},
        {"id": "P2", "plan_id": "P2", "name": "LA 22", "rechtsstand": "Entwurf"},
    ],
    "zones": [
        {"id": "Z1", "plan_id": "P1", "art_code": "WA", "grz": 0.4, "z": 3},
        {"id": "Z2", "plan_id": "P2", "art_code": "GE", "grz": 0.8},
    ],
    "texts": [{"id": "T1", "plan_id": "P1", "schluessel": "§2 Nr. 1", "text": "Dachbegrünung ist vorgeschrieben."}],
}


def test_list_rows_filter_by_search_and_plan():
    columns, rows, _ = rows_for("zones", CATALOG, None, "", None, "de")
    assert columns[0] == "col.art" and len(rows) == 2
    _, rows, _ = rows_for("zones", CATALOG, None, "wohngebiet", None, "de")
    assert [r[0] for r in rows] == ["WA – Allgemeines Wohngebiet"]
    _, rows, _ = rows_for("zones", CATALOG, None, "", "P2", "en")
    assert [r[0] for r in rows] == ["GE – Commercial area"]
    _, rows, _ = rows_for("texts", CATALOG, None, "dachbegrünung", None, "de")
    assert rows[0][:2] == ["§2 Nr. 1", "Dachbegrünung ist vorgeschrieben."]
    _, rows, _ = rows_for("plans", CATALOG, None, "kraft", None, "de")
    assert [r[0] for r in rows] == ["Langenhorn 51"]


def test_list_rows_of_contributions_keep_user_text_as_text():
    contributions = [
        {
            "properties": {
                "text": "<script>alert(1)</script>",
                "kind": "kommentar",
                "plan_id": "P1",
                "status": "freigegeben",
                "created_at": "2025-01-02T10:00:00Z",
            }
        }
    ]
    _, rows, _ = rows_for("contributions", CATALOG, contributions, "", None, "de")
    assert rows == [
        ["<script>alert(1)</script>", "Hinweis / Kommentar zum Plan", "freigegeben", "02.01.2025", "Langenhorn 51"]
    ]
    _, rows, _ = rows_for("contributions", CATALOG, contributions, "approved", None, "en")
    assert rows[0][1:3] == ["Comment on the plan", "approved"]


def test_dashboard_counts():
    features = [
        {"properties": {"status": "eingereicht", "kind": "kommentar", "plan_id": "P1", "created_at": "2025-01-02"}},
        {"properties": {"status": "freigegeben", "kind": "kommentar", "plan_id": "P1", "created_at": "2025-01-09"}},
        {"properties": {"status": "freigegeben", "kind": "maengelmeldung"}},
    ]
    counts = contribution_counts(features, CATALOG, "en")
    assert counts["status"] == {"submitted (being reviewed)": 1, "approved": 2}
    assert counts["kind"] == {"Comment on the plan": 2, "Defect report": 1}
    assert counts["plan"] == {"Langenhorn 51": 2, "–": 1}
    assert counts["week"] == {"2025-W01": 1, "2025-W02": 1}
    assert iso_week("garbage") is None


# --- the assembled app ---------------------------------------------------------------


@pytest.fixture(scope="module")
def dash_app():
    from flask import Flask

    from settings import Settings
    from ui.app import create_dash

    return create_dash(Flask("t"), Settings(public_url="http://127.0.0.1:1"))


def _walk(component):
    yield component
    children = getattr(component, "children", None)
    if children is None:
        return
    for child in children if isinstance(children, (list, tuple)) else [children]:
        if hasattr(child, "to_plotly_json"):
            yield from _walk(child)


def test_layout_has_landmarks_skip_link_and_one_static_edit_control(dash_app):
    components = list(_walk(dash_app.layout))
    names = [type(c).__name__ for c in components]
    assert {"Header", "Nav", "Main", "Aside", "Footer"} <= set(names)
    # the citizens' drawing control once (the scenario studio has its own, "studio-draw")
    assert [c.id for c in components if type(c).__name__ == "EditControl"].count("edit") == 1
    skip = next(c for c in components if getattr(c, "className", None) == "skip-link")
    assert skip.href == "#main"
    # the map can be skipped, to the list view
    assert next(c for c in components if getattr(c, "id", None) == "skip-map").href == "#view-list"
    # the footer links every legal page at its stable address
    links = {c.id: c.href for c in components if str(getattr(c, "id", "")).startswith("legal-link-")}
    assert links == {
        f"legal-link-{slug}": f"/{slug}" for slug in ("impressum", "datenschutz", "barrierefreiheit", "leichte-sprache")
    }


def _view_3d():
    """The 3D view as it is mounted on its first showing (ui.layout.LAZY_VIEWS)."""
    from ui import view3d

    return view3d.layout("http://127.0.0.1:1/oapi", "de")


def test_deck_accessors_are_fixed_strings():
    """No deck.gl expression string is built from data: all are literals from ui/view3d.py."""
    from pathlib import Path

    source = Path("ui/view3d.py").read_text()
    deck = next(c for c in _walk(_view_3d()) if type(c).__name__ == "DeckGL")
    for layer in deck.layers:
        for key, value in layer.items():
            if isinstance(value, str) and value.startswith("@@="):
                assert f'"{value}"' in source, (layer["id"], key)
    assert not deck.tooltip  # picked objects are described by Dash, never by an HTML template


def test_index_page_declares_german(dash_app):
    with dash_app.server.test_client() as client:
        page = client.get("/").get_data(as_text=True)
    assert '<html lang="de">' in page


def test_plans_with_equal_names_get_distinct_labels():
    from ui.catalog import _label_plans

    plans = [
        {"id": "a", "name": "Bebauungsplan LA 22", "nummer": "LA 22", "source_file": "LA22_5-2/xplan.gml"},
        {"id": "b", "name": "Bebauungsplan LA 22", "nummer": "LA 22", "source_file": "LA67_5-2/xplan.gml"},
        {"id": "c", "name": "Langenhorn 51"},
    ]
    _label_plans(plans)
    assert [p["label"] for p in plans] == [
        "Bebauungsplan LA 22 (LA22_5-2)",
        "Bebauungsplan LA 22 (LA67_5-2)",
        "Langenhorn 51",
    ]


def test_the_procedure_that_matters_and_what_the_citizen_reads():
    from datetime import datetime

    from ui import procedure_info

    now = datetime(2025, 6, 1, tzinfo=UTC)
    past = {"kind_label_de": "Frühzeitig", "opens_at": "2025-01-01T00:00:00Z", "closes_at": "2025-02-01T00:00:00Z"}
    running = {
        "kind_label_de": "Veröffentlichung",
        "opens_at": "2025-05-01T00:00:00Z",
        "closes_at": "2025-06-30T22:00:00Z",
        "allowed_kinds": ["kommentar"],
    }
    later = {"kind_label_de": "Behörden", "opens_at": "2025-09-01T00:00:00Z", "closes_at": "2025-10-01T00:00:00Z"}
    assert procedure_info.current([past, running, later], now) is running
    assert procedure_info.current([past, later], now) is later
    assert procedure_info.current([past], now) is past and procedure_info.current([], now) is None
    assert (
        procedure_info.sentence(running, "de", now=now)
        == "Veröffentlichung: Stellungnahmen bis 30.06.2025 möglich (noch 30 Tage)."
    )
    assert procedure_info.sentence(running, "de", kind="vorschlag", now=now).startswith(
        "Veröffentlichung: bis 30.06.2025 sind nur Hinweise möglich"
    )
    assert procedure_info.accepts(running, "kommentar", now) and not procedure_info.accepts(running, "vorschlag", now)
    assert (
        procedure_info.sentence(past, "de", now=now)
        == "Frühzeitig: endete am 01.02.2025; Stellungnahmen werden nicht mehr angenommen."
    )
    assert procedure_info.sentence(later, "en", now=now) == "Behörden: opens on 1 September 2025."
    closed_early = {**running, "closed_at": "2025-05-20T10:00:00Z"}
    assert procedure_info.state(closed_early, now) == "closed"
    assert procedure_info.accepts(None, "maengelmeldung") and not procedure_info.accepts(None, "kommentar")
    assert "kein Beteiligungsverfahren" in procedure_info.sentence(None, "de")


def test_raster_overlays_from_the_api_rows():
    from ui.map import raster_overlays

    rows = [
        {
            "properties": {
                "name": "Blatt 1",
                "image_url": "rasters/P1/blatt.png",
                "bounds_wgs84": [[53.5, 9.7], [53.6, 9.8]],
            }
        },
        {"properties": {"name": "alt", "image_url": "rasters/P2/x.png", "bounds_wgs84": "[[1, 2], [3, 4]]"}},
        {"properties": {"name": "ohne Bild", "bounds_wgs84": [[1, 2], [3, 4]]}},
    ]
    overlays = raster_overlays(rows, "/gis", 0.5)
    assert [(o.url, o.bounds, o.opacity, o.alt) for o in overlays] == [
        ("/gis/rasters/P1/blatt.png", [[53.5, 9.7], [53.6, 9.8]], 0.5, "Blatt 1"),
        ("/gis/rasters/P2/x.png", [[1, 2], [3, 4]], 0.5, "alt"),
    ]


def test_zone_colours_follow_the_planzeichenverordnung_families():
    from ui.map import NUTZUNG_COLORS, zone_color_table

    table = zone_color_table()
    assert table["wa"] == table["allgwohngebiet"] == table["1200"] == NUTZUNG_COLORS["WA"]
    assert table["gewerbegebiet"] == NUTZUNG_COLORS["GE"]
    assert table["wohnbauflaeche"]  # zones with only the general type of use get their family colour


VARIANT_FEATURES = [
    {
        "id": "langenhorn_baseline",
        "properties": {
            "title_de": "Bestand Langenhorn",
            "title_en": "Langenhorn as it is",
            "plan_ids": ["P1"],
            "floor_area_m2": 114698.4,
            "grz": 0.1094,
            "gfz": 0.1513,
            "dwellings": 810.3,
            "violations": 0,
            "like_count": 2,
            "synthetic": True,
        },
    },
    {
        "id": "dicht",
        "properties": {
            "title_de": "Dichter <b>bauen</b>",
            "title_en": "Denser",
            "plan_ids": ["P2"],
            "floor_area_m2": 294607.9,
            "grz": 0.1685,
            "gfz": 0.3887,
            "dwellings": 2809.3,
            "violations": 1,
            "like_count": 0,
            "synthetic": False,
        },
    },
]


def test_list_rows_of_variants_show_indicators_likes_and_a_prefer_button():
    columns, rows, _ = rows_for("variants", CATALOG, None, "", None, "de", variants=VARIANT_FEATURES)
    assert columns[-2:] == ["col.likes", "col.action"] and len(rows) == 2
    name, floor, grz, gfz, dwellings, violations, likes, button = rows[0]
    assert name[0].children == "Bestand Langenhorn" and "synthetisch" in name[2].children
    assert (floor, grz, gfz, dwellings, violations, likes) == ("114.698 m²", "0,11", "0,15", "810", "0", "2")
    assert button.id == {"type": "variant-like", "id": "langenhorn_baseline"}
    assert button.children == "Bevorzugen (2)"
    assert button.to_plotly_json()["props"]["aria-label"] == "Variante „Bestand Langenhorn“ bevorzugen, bisher 2"
    # title text stays text (Dash escapes it), plan filter and search apply, English titles in English
    _, rows, _ = rows_for("variants", CATALOG, None, "", "P2", "de", variants=VARIANT_FEATURES)
    assert [r[0][0].children for r in rows] == ["Dichter <b>bauen</b>"] and len(rows[0][0]) == 1
    _, rows, _ = rows_for("variants", CATALOG, None, "denser", None, "en", variants=VARIANT_FEATURES)
    assert rows[0][0][0].children == "Denser" and rows[0][-1].children == "Prefer (0)"


def test_both_3d_views_load_the_city_buildings_as_vector_tiles():
    """City scale: buildings come as OGC API Tiles (MVT) in both views, never as one big GeoJSON page."""
    # the 3D view's two (the scenario studio's own preview, "studio-deck", is tested with the studio)
    decks = [c for c in _walk(_view_3d()) if type(c).__name__ == "DeckGL" and c.id in ("deck", "deck-b")]
    assert {d.id for d in decks} == {"deck", "deck-b"}
    for deck in decks:
        layers = {layer["id"]: layer for layer in deck.layers}
        tiles = layers["city-buildings"]
        assert tiles["@@type"] == "MVTLayer"
        assert tiles["data"] == "/oapi/collections/buildings/tiles/WebMercatorQuad/{z}/{y}/{x}?f=mvt"
        assert tiles["extruded"] and (tiles["minZoom"], tiles["maxZoom"]) == (10, 16)
        # each view filters its own replaced ids (assets/buergergis.js), with a fixed accessor
        assert tiles["getFilterValue"] == f"@@=window.buergergis.replaced3d('{deck.id}', properties.id) === 1 ? 1 : 0"
        assert tiles["filterRange"] == [0, 0.5] and "DataFilterExtension" in tiles["extensions"]
        assert layers["buildings"]["data"] == {"type": "FeatureCollection", "features": []}
        assert not any("/items" in str(layer.get("data")) for layer in deck.layers)  # nothing city-wide as GeoJSON
        for layer_id, collection in (("plans", "bp_plan"), ("streets", "streets")):
            assert layers[layer_id]["@@type"] == "MVTLayer"
            assert (
                layers[layer_id]["data"]
                == f"/oapi/collections/{collection}/tiles/WebMercatorQuad/{{z}}/{{y}}/{{x}}?f=mvt"
            )
        for layer in deck.layers:
            for key, value in layer.items():
                if isinstance(value, str) and value.startswith("@@="):
                    assert f'"{value}"' in Path("ui/view3d.py").read_text(), (deck.id, layer["id"], key)


def test_tile_url_template_is_the_served_tiles_route():
    """The template deck.gl fills is the route pygeoapi serves (tileMatrix/tileRow/tileCol = z/y/x)."""
    from api.config import TILED_LAYERS, template
    from ui.api import tiles_url
    from ui.view3d import TILE_MAX_ZOOM, TILE_MIN_ZOOM

    url = tiles_url("http://example.org/city/oapi", "buildings").format(z=14, y=5290, x=8647)
    assert url == "/city/oapi/collections/buildings/tiles/WebMercatorQuad/14/5290/8647?f=mvt"
    assert {"buildings", "bp_plan", "streets"} <= set(TILED_LAYERS)
    [tiles] = [p for p in template()["resources"]["buildings"]["providers"] if p["type"] == "tile"]
    zoom = tiles["options"]["zoom"]
    assert zoom["min"] == TILE_MIN_ZOOM and zoom["max"] >= TILE_MAX_ZOOM


@pytest.mark.parametrize(
    "search, expected",
    [
        (
            "?view=3d&lon=10.01&lat=53.66&zoom=15.5",
            {"longitude": 10.01, "latitude": 53.66, "zoom": 15.5, "pitch": 45, "bearing": -20},
        ),
        (
            "?view=3d&lon=10&lat=53.6&zoom=11&pitch=0&bearing=90",
            {"longitude": 10.0, "latitude": 53.6, "zoom": 11.0, "pitch": 0.0, "bearing": 90.0},
        ),
        (
            "?lon=500&lat=-99&zoom=40&pitch=120",
            {"longitude": 180.0, "latitude": -85.0, "zoom": 22.0, "pitch": 85.0, "bearing": -20},
        ),
        ("?view=3d", None),
        ("?view=3d&lon=10&lat=53", None),  # no zoom
        ("?lon=abc&lat=53&zoom=12", None),
        ("?lon=nan&lat=53&zoom=12", None),
        ("?lon=10&lat=inf&zoom=12", None),
        ("", None),
        (None, None),
    ],
)
def test_a_3d_link_can_carry_its_camera(search, expected):
    from ui.view3d import camera_from_link

    assert camera_from_link(search) == expected


def test_vector_tile_worker_is_served_but_never_a_page_script(dash_app):
    """deck.gl's MVT parser runs in a worker from our assets (offline: no CDN), not as a page script."""
    from ui.view3d import MVT_WORKER

    with dash_app.server.test_client() as client:
        page = client.get("/").get_data(as_text=True)
        worker = client.get(MVT_WORKER)
    assert "mvt-worker" not in page and "buergergis.js" in page
    assert worker.status_code == 200 and b"createLoaderWorker" in worker.data


def test_long_lists_come_in_pages_with_a_more_button():
    from ui.listview import LIST_PAGE, table

    rows = [[f"Zone {i}", "WA"] for i in range(LIST_PAGE * 2 + 5)]

    def texts(component):
        return [c.children for c in _walk(component) if type(c).__name__ == "Caption"]

    first = table("zones", ["col.name", "col.art"], rows[:LIST_PAGE], "de", len(rows))
    body = next(c for c in _walk(first) if type(c).__name__ == "Tbody")
    assert len(body.children) == LIST_PAGE
    assert any(f"die ersten {LIST_PAGE} von {len(rows)}" in x for x in texts(first))
    more = next(c for c in _walk(first) if getattr(c, "id", None) == "list-more")
    assert more.children == f"Weitere {LIST_PAGE} anzeigen"
    last = table("zones", ["col.name", "col.art"], rows, "en", len(rows))
    assert len(next(c for c in _walk(last) if type(c).__name__ == "Tbody").children) == len(rows)
    assert not any(getattr(c, "id", None) == "list-more" for c in _walk(last))
    assert any(f"{len(rows)} entries" in x for x in texts(last))


def test_viewport_bbox_widens_to_the_grid_and_refuses_nonsense():
    from ui.map import viewport_bbox

    assert viewport_bbox([[53.6612, 9.9951], [53.6688, 10.0149]]) == "9.995,53.660,10.015,53.670"
    # a small pan inside the same grid cells asks for the same area (the browser reuses it)
    assert viewport_bbox([[53.6613, 9.9952], [53.6689, 10.0148]]) == viewport_bbox(
        [[53.6612, 9.9951], [53.6688, 10.0149]]
    )
    assert viewport_bbox([[-91, -181], [91, 181]]) == "-180.000,-90.000,180.000,90.000"
    for nonsense in (None, [], [[1, 2]], [["a", 2], [3, 4]], [[54, 10], [53, 11]], [[float("nan"), 1], [2, 3]]):
        assert viewport_bbox(nonsense) is None, nonsense


def test_layer_url_whole_small_layers_and_the_view_of_city_sized_ones():
    from ui.map import VIEWPORT_MIN_ZOOM, layer_url

    api = "http://portal/oapi"
    view = [[53.66, 9.99], [53.67, 10.01]]
    whole = layer_url(api, "bp_plan", 5, 100, view, 3)
    assert "bbox" not in whole and "/collections/bp_plan/items" in whole
    assert "bbox" not in layer_url(api, "buildings", None, 100, view, 3)  # count unknown: as before, whole
    assert layer_url(api, "buildings", 400_000, 100, view, VIEWPORT_MIN_ZOOM - 1) is None  # wait for zoom
    assert layer_url(api, "buildings", 400_000, 100, None, VIEWPORT_MIN_ZOOM) is None
    url = layer_url(api, "buildings", 400_000, 100, view, VIEWPORT_MIN_ZOOM)
    assert "/collections/buildings/items" in url and "bbox=9.990%2C53.660%2C10.010%2C53.670" in url
    assert "/collections/bp_plan/items" in layer_url(api, "bp_plan_outline", 400_000, 100, view, 16)


def test_a_city_of_zones_lists_the_first_page_fast_and_counts_every_match():
    """45,000 zones: every one searched and counted, rows built only for the page shown."""
    from ui.listview import LIST_PAGE, rows_for

    zones = [
        {"id": f"z{i}", "plan_id": f"p{i // 9}", "art_code": ["WA", "MI", "GE"][i % 3], "grz": 0.4, "gfz": 1.2, "z": 3}
        for i in range(45_000)
    ]
    catalog = {"plans": [{"id": f"p{i}", "name": f"Plan {i}"} for i in range(5_000)], "zones": zones, "texts": []}
    _, rows, total = rows_for("zones", catalog, None, "", None, "de", limit=LIST_PAGE)
    assert (len(rows), total) == (LIST_PAGE, 45_000) and rows[0][3] == "Plan 0"
    _, rows, total = rows_for("zones", catalog, None, "Mischgebiet", "p4999", "de", limit=LIST_PAGE)
    assert total == 3 and all("Mischgebiet" in str(r[0]) for r in rows)
    assert [r[3] for r in rows] == ["Plan 4999"] * 3
    _, rows, total = rows_for("zones", catalog, None, "Mischgebiet", None, "de", limit=5)
    assert (len(rows), total) == (5, 15_000)


# --- the 3D comparison neighbours understand (ui/variants.py, ui/sun_compare.py) ----------------------------


def _zone_delta(zone_id, grz, floor, dwellings, residents, art="WA"):
    def d(a, b):
        return {"a": a, "b": b, "delta": None if a is None or b is None else b - a, "relative": None}

    return {
        "zone_id": zone_id,
        "plan_id": "P1",
        "art_code": art,
        "grz": d(*grz),
        "grz_permitted": d(0.4, 0.4),
        "floor_area_m2": d(*floor),
        "dwellings": d(*dwellings),
        "residents": d(*residents),
        "buildings": d(3, 3),
        "footprint_m2": d(100.0, 100.0),
        "gfz_permitted": d(None, None),
        "z_permitted": d(2, 2),
    }


def test_the_comparison_names_each_affected_zone_with_its_own_grz():
    from ui import variants

    deltas = {
        "zones": [
            _zone_delta("Z1", (0.2, 0.2), (900.0, 900.0), (10.0, 10.0), (20.0, 20.0)),  # unchanged
            _zone_delta("Z2", (0.21, 0.35), (1000.0, 2800.0), (11.1, 31.1), (22.2, 62.2)),
            _zone_delta("Z3", (0.1, 0.12), (500.0, 700.0), (5.5, 7.7), (11.1, 15.5)),
        ]
    }
    catalog = {
        "zones": [
            {"id": z, "plan_id": "P1", "art_code": "1000", "bbox": [[53.6, 10.0], [53.61, 10.01]]}
            for z in ("Z1", "Z2", "Z3")
        ]
    }
    rows = variants.zone_rows(deltas, catalog, "de")
    assert [r["zone_id"] for r in rows] == ["Z2", "Z3"]  # only changed zones, the biggest change first
    assert rows[0]["grz"] == "0,21 → 0,35 (0,4)"
    assert (rows[0]["floor"], rows[0]["dwellings"], rows[0]["residents"]) == ("+1.800 m²", "+20", "+40")
    assert rows[0]["name"].endswith(" 1") and rows[1]["name"].endswith(" 2")  # same kind of zone: numbered
    table = variants.zones_table(rows, "A", "B", "de")
    assert table.id == "variant-zones-table"
    assert variants.zones_table([], "A", "B", "en").children == "No area changes between A and B."


def test_the_comparison_says_what_it_assumes():
    from ui import variants

    deltas = {
        "totals": {"floor_area_m2": {"delta": 1800.0}, "dwellings": {"delta": 20.0}, "residents": {"delta": 40.0}},
        "buildings": {"added": 4, "changed": 2, "removed": 1},
    }
    text = json.dumps(
        variants.summary_block(deltas, "langenhorn_baseline", "langenhorn_nachverdichtung", "de").to_plotly_json(),
        default=lambda o: o.to_plotly_json(),
        ensure_ascii=False,
    )
    assert "Von A nach B: +1.800 m² Geschossfläche, etwa +20 Wohnungen und +40 Einwohnerinnen" in text
    assert "Gebäude: 4 neu, 2 verändert, 1 abgerissen." in text
    assert "eine Wohnung je 90 m² Geschossfläche" in text and "2 Personen je Wohnung" in text


def test_variant_buildings_are_marked_new_changed_or_as_today():
    from ui import variants

    square = {
        "type": "Polygon",
        "coordinates": [[[10, 53], [10.0001, 53], [10.0001, 53.0001], [10, 53.0001], [10, 53]]],
    }
    moved = {
        "type": "Polygon",
        "coordinates": [[[10.00005, 53], [10.00015, 53], [10.00015, 53.0001], [10.00005, 53.0001], [10.00005, 53]]],
    }
    stored = {
        "b1": {"height": 9.0, "storeys": 3, "geometry": square},
        "b2": {"height": 9.0, "storeys": 3, "geometry": square},
        "b3": {"height": 9.0, "storeys": 3, "geometry": square},
    }
    collection = {
        "features": [
            {"properties": {"id": "b1", "height": 9.0, "storeys": 3}, "geometry": square},
            {"properties": {"id": "b2", "height": 15.0, "storeys": 5}, "geometry": square},
            {"properties": {"id": "b3", "height": 9.0, "storeys": 3}, "geometry": moved},
            {"properties": {"id": "new-1", "height": 12.0, "storeys": 4}, "geometry": square},
        ]
    }
    changes = [f["properties"]["change"] for f in variants.slim_buildings(collection, stored)["features"]]
    assert changes == [variants.UNCHANGED, variants.CHANGED, variants.CHANGED, variants.NEW]
    assert "change" not in variants.slim_buildings(collection)["features"][0]["properties"]


def test_sun_hours_lost_behind_a_new_building_to_the_south():
    """Computed for real (twin.shadow): a 20 m block 10-40 m south of the place takes the winter sun."""
    from ui import sun_compare

    lon, lat = 10.0, 53.66
    dlat, dlon = 1 / 111_320.0, 1 / (111_320.0 * 0.5934)

    def block(south_m, north_m, half_width_m):
        return {
            "type": "Polygon",
            "coordinates": [
                [
                    [lon - half_width_m * dlon, lat - south_m * dlat],
                    [lon + half_width_m * dlon, lat - south_m * dlat],
                    [lon + half_width_m * dlon, lat - north_m * dlat],
                    [lon - half_width_m * dlon, lat - north_m * dlat],
                    [lon - half_width_m * dlon, lat - south_m * dlat],
                ]
            ],
        }

    variant_b = {"features": [{"properties": {"id": "new", "height": 20.0}, "geometry": block(40, 10, 30)}]}
    result = sun_compare.compare(lon, lat, [], (None, []), (variant_b, []), year=2026)
    march_a, march_b = result.hours["march"]
    december_a, december_b = result.hours["december"]
    assert march_a == pytest.approx(12.0, abs=0.5) and december_a == pytest.approx(7.5, abs=0.7)  # open sky
    assert december_b < 1.0 and result.lost("december") > 6  # the block shades the place all winter day
    assert march_b < march_a
    assert sun_compare.default_place([[53.60, 10.00], [53.61, 10.02]]) == (10.01, round(53.61 + 15 / 111_320.0, 6))


# --- the start page: what it mounts, what its first layout and its HTML carry ----------------------------


def test_the_start_page_mounts_the_map_view_only(dash_app):
    """3D, list and the staff views come when first shown: their sections are there, empty and hidden."""
    from ui.layout import LAZY_VIEWS

    assert {"3d", "list", "dashboard", "admin", "studio"} <= set(LAZY_VIEWS)
    components = list(_walk(dash_app.layout))
    assert not [c for c in components if type(c).__name__ == "DeckGL"]
    ids = {getattr(c, "id", None) for c in components if isinstance(getattr(c, "id", None), str)}
    assert {"view-3d", "view-list", "map", "plan-results", "open-procedures"} <= ids
    assert not {"deck", "list-table", "list-search"} & ids
    sections = {c.id: c for c in components if getattr(c, "id", None) in ("view-3d", "view-list")}
    assert all(section.hidden and section.role == "tabpanel" for section in sections.values())
    assert next(c for c in components if getattr(c, "id", None) == "tab-studio").hidden  # the gate shows it


class _StartClient:
    """What the start view reads from the API: counts, procedures, a first row per collection."""

    api_url = "http://127.0.0.1:1/oapi"

    def count(self, collection, forward=True):
        return 400_000 if collection == "buildings" else 5

    def get_site_json(self, path, params=None, headers=None):
        assert path == "api/procedures"
        return {
            "procedures": [
                {
                    "title_de": "Veröffentlichung <b>LA 22</b>",
                    "kind_label_de": "Veröffentlichung",
                    "opens_at": "2020-01-01T00:00:00Z",
                    "closes_at": "2999-01-01T00:00:00Z",
                    "plan_ids": ["P1"],
                    "plan_names": ["LA 22"],
                }
            ]
        }

    def get_json(self, path, params=None, cache=True, headers=None, forward=True):
        return {"features": [{"properties": {"source": "osm:way/1"}}]} if "streets" in path else {"features": []}


def test_the_first_layout_carries_the_start_view():
    """Extent, layers, procedures, plan list, hints and credit: no callback has to run before the plans show."""
    from settings import Settings
    from ui import map as map_view
    from ui import procedure_info

    catalog = {"plans": [{"id": "P1", "label": "LA 22"}], "xplan_classes": []}
    summary = {"bbox": [[53.66, 10.0], [53.68, 10.02]], "has_contributions": True}
    procedures = procedure_info.fetch(_StartClient())
    state = map_view.start_state(
        _StartClient(), Settings(public_url="http://127.0.0.1:1"), catalog, summary, None, procedures
    )
    assert state["map"]["zoom"] is ... and state["map"]["bounds"] == summary["bbox"]  # fitted, no flight
    lat, lon = state["map"]["center"]
    assert 53.67 < lat < 53.6701 and lon == pytest.approx(10.01)  # Leaflet's centre: the middle in Web Mercator
    urls = state["map-layers-loaded"]["data"]["urls"]
    assert "bp_plan" in urls and "bp_baugrenze" in urls and "buildings" not in urls  # a city's buildings wait
    assert state["grp-bp_plan"]["children"].url == urls["bp_plan"]
    assert "xplan_objekt" not in urls and "Zoomstufe" in state["map-detail-hint"]["children"]
    assert "Gebäude" in state["map-zoom-hint"]["children"]
    assert state["grp-contributions"]["children"] and state["grp-credits"]["children"]  # OSM streets shown
    text = str(state["open-procedures"]["children"]) + str(state["plan-results"]["children"])
    assert "LA 22" in text and "Beteiligung läuft" in text
    # a link to another view: the hidden map's layers wait until the map is shown
    other = map_view.start_state(
        _StartClient(), Settings(public_url="http://127.0.0.1:1"), catalog, summary, "3d", procedures
    )
    assert not [key for key in other if key.startswith("grp-")] and "map-layers-loaded" not in other


def test_the_first_layout_is_the_page_with_its_state_patched_in():
    from dash import dcc, html

    from ui.layout import StartLayout, _patch, _view_of

    page = html.Div([dcc.Store(id="catalog", data={}), html.Div(id="map", title="x", lang="de")], id="root")
    layout = StartLayout(page, None, None)
    calls = []
    layout.state = lambda view: (
        calls.append(view)
        or {
            "catalog": {"data": {"version": "v1"}},
            "map": {"lang": ..., "title": "y"},
        }
    )
    tree, complete = layout.tree("map")
    store, box = tree["props"]["children"]
    assert complete and store["props"]["data"] == {"version": "v1"}
    assert box["props"]["title"] == "y" and "lang" not in box["props"]  # ... leaves a prop out
    assert json.loads(layout.base)["props"]["children"][1]["props"]["lang"] == "de"  # the page itself unchanged
    # made once for every page load (public data), per view a link opens; the HTML copy from the same layout
    calls.clear()
    first = layout.json("http://portal/")
    assert layout.json("http://portal/?lang=en") == first and calls == [None]
    assert '"version": "v1"' in first.replace('":"', '": "') and 'title="y"' in layout.first_paint("http://portal/")
    layout.json("http://portal/?view=3d"), layout.json("http://portal/?view=nonsense")
    assert calls == [None, "3d"]  # an unknown view is the map's
    layout.state = lambda view: 1 / 0  # the API failing: the page as built, made again at the next load
    assert layout.tree()[0]["props"]["children"][0]["props"]["data"] == {} and not layout.tree()[1]
    assert _view_of("http://portal/?view=3d&lang=en") == "3d" and _view_of(None) is None
    nested = {"a": [{"namespace": "x", "type": "T", "props": {"id": "map"}}]}
    _patch(nested, {"map": {"n": 1}})
    assert nested["a"][0]["props"]["n"] == 1


def test_the_page_paints_its_first_layout_before_any_script_runs():
    """The copy is the layout as HTML: same classes, no ids, nothing focusable or read out, text escaped."""
    import json as json_

    from dash import dcc, html
    from dash._utils import to_json

    from ui.first_paint import page, render

    layout = html.Div(
        [
            html.P("<script>alert(1)</script> & Co", className="hint", id="p1", style={"marginTop": 4}),
            html.Section(html.P("not drawn"), hidden=True, id="s"),
            html.Label("Suche", htmlFor="q"),
            dcc.Input(id="q", type="search", value="", placeholder='Plan "LA"'),
            dcc.Store(id="store", data={"secret": 1}),
            html.Button("DE", n_clicks=0, **{"aria-pressed": "true"}),
        ],
        className="app",
    )
    status, copy = page(json_.loads(to_json(layout))).split("</p>", 1)
    assert (
        status.startswith('<p id="first-paint-status" class="visually-hidden" role="status">') and "geladen" in status
    )
    assert copy.startswith('<div id="first-paint" inert aria-hidden="true"><div class="app">')
    assert "<script>" not in copy and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in copy
    assert 'style="margin-top:4px"' in copy and "not drawn" not in copy and "<section hidden></section>" in copy
    assert ' id="' not in copy.removeprefix('<div id="first-paint"') and "secret" not in copy
    assert '<div class="dash-input-container dash-input"><input ' in copy and 'class="dash-input-element"' in copy
    assert 'placeholder="Plan &quot;LA&quot;"' in copy and 'aria-pressed="true"' in copy and "n_clicks" not in copy
    assert render({"namespace": "dash_leaflet", "type": "MapContainer", "props": {"className": "offline-bg"}}) == (
        '<div class="leaflet-container offline-bg"></div>'
    )


def test_the_index_page_paints_first_and_runs_its_scripts_after(dash_app):
    """The copy of the page is in the HTML; the scripts are fetched at once but run after the first paint."""
    from ui.app import FIRST_PAINT_WAIT_MS, START_CHUNKS

    with dash_app.server.test_client() as client:
        page = client.get("/").get_data(as_text=True)
    listed = page[page.index('<template id="page-scripts">') : page.index("</template>")]
    sources = re.findall(r'<script src="([^"]+)"></script>', listed)
    assert sources and not re.findall(r"<script[^>]*\bsrc=", page.replace(listed, ""))  # none runs on its own
    for src in sources:  # ... but each is fetched with the page
        assert f'<link rel="preload" as="script" href="{src}">' in page
    assert sources.index(next(s for s in sources if "dash_runtime" in s)) < sources.index(
        next(s for s in sources if "dash_renderer" in s)
    )  # in Dash's order: assets before the renderer
    assert "new DashRenderer" in dash_app.renderer and "first-contentful-paint" in dash_app.renderer
    assert str(FIRST_PAINT_WAIT_MS) in dash_app.renderer and 'id="_dash-renderer"' in page
    assert page.index('<div id="first-paint"') < page.index('id="react-entry-point"')
    assert "Bürger-GIS" in page[page.index('<div id="first-paint"') : page.index('id="react-entry-point"')]
    for chunk in START_CHUNKS:
        assert f'<link rel="preload" as="script" href="/_dash-component-suites/{chunk}">' in page
    assert '<link rel="preload" as="fetch" crossorigin href="/_dash-layout">' in page
    assert "dash_table/bundle" not in page  # no view uses the DataTable


def test_no_view_uses_the_bundles_left_out_of_the_page():
    """ui.bundles.UNUSED_BUNDLES: a view that starts using DataTable must take it out of that list."""
    from ui.bundles import UNUSED_BUNDLES

    assert ("dash.dash_table", "dash_table/bundle.js") in UNUSED_BUNDLES
    for path in Path("ui").glob("*.py"):
        assert path.name == "bundles.py" or "dash_table" not in path.read_text(), path


def test_the_legend_is_one_component_per_entry():
    from ui.map import LEGEND_SIGNS, legend, plan_legend

    entries = legend("de").children
    assert len(entries) == len(LEGEND_SIGNS) + 8
    assert all(isinstance(entry.children, str) and "sw" in entry.className.split() for entry in entries)
    assert entries[0].style == {"--sw-bg": "#f6aaaa"} and entries[0].children.startswith("WR – ")
    details = plan_legend(["FP_Gruen", "BP_AnpflanzungBindungErhaltung"], "en")
    items = details.children[1].children
    assert items[0].className == "legend-group" and isinstance(items[0].children, str)
    assert all(not hasattr(item.children, "children") or isinstance(item.children, list) for item in items)


def test_the_page_goes_without_babels_polyfill_and_needs_only_simple_generators(dash_app):
    """assets/dash_runtime.js stands in for regeneratorRuntime: the page's bundles use it for nothing else."""
    with dash_app.server.test_client() as client:
        page = client.get("/").get_data(as_text=True)
        sources = re.findall(r'<script src="([^"]+)"></script>', page)
        assert not [src for src in sources if "polyfill" in src]
        uses = []
        for src in sources:
            text = client.get(src).get_data(as_text=True)
            for match in re.finditer(r"regeneratorRuntime\.wrap\(function\((\w)\)\{(.*?)\1\.stop\(\)\}", text):
                uses.append((src, match.group(2)))
    assert uses and len(uses) <= 4  # dash-renderer's and dcc's isReady, as the runtime knows them
    for src, body in uses:
        assert not re.search(r"abrupt|delegateYield|\.t0|catch|finish", body), (src, body)
    assert any("dash_runtime.js" in src for src in sources)
