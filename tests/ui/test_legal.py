"""Impressum, Datenschutz, Barrierefreiheit (with its feedback form) and Leichte Sprache (ui/legal.py).

In-process: a Flask app with the staff access (sessions) and the legal routes, on both stores; the pages
in a real browser with axe-core are in tests/ui/test_browser_paths.py.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask

from ui import legal

SLUGS = [page.slug for page in legal.PAGES]


@pytest.fixture(params=["geopackage", "postgis"])
def app(request, tmp_path, monkeypatch):
    from access import web as staff_access
    from settings import Settings

    monkeypatch.delenv(legal.LEGAL_DIR_ENV, raising=False)
    if request.param == "geopackage":
        store = str(tmp_path / "legal.gpkg")
    else:
        from tests.conftest import fresh_postgis_database

        store = fresh_postgis_database(request.getfixturevalue("postgis"))
    settings = Settings(store=store, public_url="http://localhost:8050", data_dir=tmp_path)
    server = Flask("legal-test")
    staff_access.install(server, settings)
    legal.register(server, settings)
    server.config["store"] = store
    return server


def _admin_cookie(client, store: str) -> str:
    """A signed-in admin's session (as /auth/callback makes one); its CSRF token."""
    from access.db import Db
    from access.sessions import COOKIE, Sessions
    from access.settings import AccessSettings

    session_id, session = Sessions(Db(store), AccessSettings()).create("test-admin", "Test Admin", "", "admin")
    client.set_cookie(COOKIE, session_id)
    return session["csrf_token"]


@pytest.mark.parametrize("slug", SLUGS)
@pytest.mark.parametrize("lang", ["de", "en"])
def test_every_page_in_both_languages_with_the_footer_links(app, slug, lang):
    reply = app.test_client().get(f"/{slug}" + ("?lang=en" if lang == "en" else ""))
    assert reply.status_code == 200 and reply.mimetype == "text/html"
    page = reply.get_data(as_text=True)
    assert f'<html lang="{lang}">' in page
    assert page.count("<h1>") == 1
    for other in SLUGS:  # every legal page links every other one, in the same language
        assert f'href="/{other}{"?lang=en" if lang == "en" else ""}"' in page
    assert '<script' not in page  # plain HTML: works without JavaScript
    # the bundled texts say clearly what the Kommune must fill in
    assert '<mark class="fill-in">' in page and 'class="legal-incomplete"' in page


def test_the_privacy_policy_says_what_the_code_stores(app):
    page = app.test_client().get("/datenschutz").get_data(as_text=True)
    for fact in (
        "keine IP-Adressen",
        "ein technisch notwendiges Cookie",
        "buergergis_voter",
        "Meine Beiträge",
        "Prüfwert (Hash)",
        "Art. 17",
        "Arbeitsspeicher",
        "Löschen",
    ):
        assert fact in page, fact
    english = app.test_client().get("/datenschutz?lang=en").get_data(as_text=True)
    assert "no IP addresses" in english and "My contributions" in english


def test_a_kommunes_own_texts_replace_the_bundled_ones_and_stay_text(app, tmp_path, monkeypatch):
    folder = tmp_path / "kommune"
    folder.mkdir()
    (folder / "impressum.de.md").write_text(
        "# Impressum\n\nStadt Musterhausen\nRathausplatz 1\n\n<script>alert(1)</script>\n", encoding="utf-8"
    )
    monkeypatch.setenv(legal.LEGAL_DIR_ENV, str(folder))
    page = app.test_client().get("/impressum").get_data(as_text=True)
    assert "Stadt Musterhausen<br />\nRathausplatz 1" in page  # a line break in the file is one on the page
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "legal-incomplete" not in page  # nothing left to fill in
    # a page the Kommune has not written yet: the bundled one
    assert "fill-in" in app.test_client().get("/datenschutz").get_data(as_text=True)


def test_feedback_is_stored_and_listed_for_admins_only(app):
    client = app.test_client()
    text = "Der Knopf <Absenden> ist mit der Tastatur nicht erreichbar."
    reply = client.post("/barrierefreiheit", data={"message": text, "page": "Karte", "contact": "a@example.org"})
    assert reply.status_code == 303 and reply.headers["Location"].endswith("/barrierefreiheit?sent=1#feedback")
    assert "Danke! Ihre Meldung ist gespeichert." in client.get("/barrierefreiheit?sent=1").get_data(as_text=True)
    # citizens do not see what others reported
    assert client.get("/barrierefreiheit/rueckmeldungen").status_code == 401
    csrf = _admin_cookie(client, app.config["store"])
    listing = client.get("/barrierefreiheit/rueckmeldungen")
    assert listing.status_code == 200
    body = listing.get_data(as_text=True)
    assert "Der Knopf &lt;Absenden&gt; ist" in body and "a@example.org" in body  # escaped
    rows = client.get("/barrierefreiheit/rueckmeldungen?f=json").get_json()["feedback"]
    assert [(r["message"], r["page"], r["contact"], r["lang"]) for r in rows] == [
        (text, "Karte", "a@example.org", "de")
    ]
    assert set(rows[0]) == {"id", "created_at", "lang", "page", "message", "contact"}  # nothing else (no address)
    # done: deleted (only with the session's CSRF token)
    assert client.post(f"/barrierefreiheit/rueckmeldungen/{rows[0]['id']}/loeschen", data={}).status_code == 403
    assert (
        client.post(f"/barrierefreiheit/rueckmeldungen/{rows[0]['id']}/loeschen", data={"csrf_token": csrf}).status_code
        == 303
    )
    assert client.get("/barrierefreiheit/rueckmeldungen?f=json").get_json()["feedback"] == []


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"message": "kurz"}, "message", "mindestens 10 Zeichen"),
        ({"message": "x" * 4001}, "message", "Höchstens 4000 Zeichen"),
        ({"message": "Eine echte Barriere hier.", "contact": "y" * 201}, "contact", "Höchstens 200 Zeichen"),
        ({"message": "Eine echte Barriere hier.", "page": "p" * 301}, "page", "Höchstens 300 Zeichen"),
    ],
)
def test_bad_feedback_is_a_400_that_names_the_field_and_keeps_the_text(app, data, field, message):
    reply = app.test_client().post("/barrierefreiheit", data=data)
    assert reply.status_code == 400
    page = reply.get_data(as_text=True)
    assert message in page
    assert re.search(rf'id="feedback-{field}"[^>]*aria-invalid="true"', page, re.S)
    kept = data.get("message", "")
    assert kept[:50] in page  # nothing typed is lost
    english = app.test_client().post("/barrierefreiheit?lang=en", data=data).get_data(as_text=True)
    assert "Please correct:" in english and ("at least 10" in english or "at most" in english)
