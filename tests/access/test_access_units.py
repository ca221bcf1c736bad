"""Staff access without servers: sign-in not set up, cookie flags over https, role claims, next paths, and the
CSRF token the Dash callbacks pass on only for requests from the portal's own page."""

from __future__ import annotations

import pytest
from flask import Flask

from access.oidc import claim_values, display_name, role_from_claims
from access.settings import AccessSettings


@pytest.fixture
def app(tmp_path, monkeypatch):
    """The access part of the app (guard, sign-in routes) over a fresh GeoPackage, public URL https, no OIDC."""
    for name in ("BUERGERGIS_OIDC_ISSUER", "BUERGERGIS_OIDC_CLIENT_ID", "BUERGERGIS_OIDC_ROLE_MAP"):
        monkeypatch.delenv(name, raising=False)
    from access import web
    from api import access
    from settings import Settings

    settings = Settings(store=str(tmp_path / "store.gpkg"), public_url="https://portal.example.de")
    server = Flask("access-test")
    access.install(server, settings)
    web.install(server, settings)
    return server


def test_sign_in_not_set_up_is_said_in_german_and_english(app):
    client = app.test_client()
    for path in ("/auth/login?next=/", "/auth/callback?code=x&state=y"):
        r = client.get(path)
        assert r.status_code == 503 and r.mimetype == "text/html"
        text = r.get_data(as_text=True)
        assert "Anmeldung nicht eingerichtet" in text and "Sign-in is not set up" in text
    me = client.get("/api/me").get_json()
    assert me["signed_in"] is False and me["sign_in_available"] is False


def test_an_unreachable_identity_provider_is_a_clear_page(tmp_path, monkeypatch):
    from access import web
    from api import access
    from settings import Settings
    from tests.conftest import free_port

    monkeypatch.setenv("BUERGERGIS_OIDC_ISSUER", f"http://127.0.0.1:{free_port()}/realms/rathaus")
    monkeypatch.setenv("BUERGERGIS_OIDC_CLIENT_ID", "buergergis")
    monkeypatch.setenv("BUERGERGIS_OIDC_TIMEOUT", "2")
    settings = Settings(store=str(tmp_path / "store.gpkg"), public_url="http://127.0.0.1:1")
    server = Flask("access-test-unreachable")
    access.install(server, settings)
    web.install(server, settings)
    r = server.test_client().get("/auth/login?next=/")
    assert r.status_code == 502
    assert "Anmeldedienst nicht erreichbar" in r.get_data(as_text=True) and "unreachable" in r.get_data(as_text=True)
    assert server.test_client().get("/api/me").get_json()["sign_in_available"] is True


def test_cookies_are_secure_over_https_and_sessions_work_without_oidc(app):
    from access.sessions import COOKIE, EXTENSION, set_session_cookie

    context = app.extensions[EXTENSION]
    assert context.settings.secure_cookies
    with app.test_request_context():
        from flask import Response

        response = Response()
        set_session_cookie(response, "x" * 43, context.settings)
        header = response.headers["Set-Cookie"]
    assert "Secure" in header and "HttpOnly" in header and "SameSite=Lax" in header
    session_id, _ = context.sessions.create("s-1", "Test Person", "t@example.org", "moderator")
    client = app.test_client()
    client.set_cookie(COOKIE, session_id)
    me = client.get("/api/me").get_json()
    assert (me["signed_in"], me["name"], me["role"], me["via"]) == (True, "Test Person", "moderator", "oidc")
    # logout without the token is refused, with it the row goes
    assert client.post("/auth/logout").status_code == 403
    r = client.post("/auth/logout", headers={"X-CSRF-Token": me["csrf_token"]})
    assert r.status_code == 200 and "Secure" in r.headers["Set-Cookie"]
    assert context.sessions.lookup(session_id) == (None, True)


def test_sessions_end_when_idle_and_at_their_absolute_end(app):
    from access.sessions import EXTENSION, hash_id

    context = app.extensions[EXTENSION]
    sessions, db = context.sessions, context.db
    idle_id, _ = sessions.create("s-idle", "Idle", "", "planner")
    old_id, _ = sessions.create("s-old", "Old", "", "planner")
    live_id, _ = sessions.create("s-live", "Live", "", "planner")
    # 61 minutes without a request (idle limit 60), and past the absolute end while active
    db.execute(
        "UPDATE staff_sessions SET last_seen_at = :t WHERE id = :id",
        {"t": "2000-01-01T00:00:00.000Z", "id": hash_id(idle_id)},
    )
    db.execute(
        "UPDATE staff_sessions SET expires_at = :t WHERE id = :id",
        {"t": "2000-01-01T00:00:00.000Z", "id": hash_id(old_id)},
    )
    assert sessions.lookup(idle_id) == (None, True)
    assert sessions.lookup(old_id) == (None, True)
    assert sessions.lookup(live_id)[0]["name"] == "Live"
    assert sessions.lookup("made-up-but-well-formed-session-id-000000") == (None, True)
    assert sessions.lookup(None) == (None, False)
    ids = {row["id"] for row in db.fetch("SELECT id FROM staff_sessions")}
    assert ids == {hash_id(live_id)}  # ended sessions are deleted
    # an abandoned sign-in is one-use and short-lived
    login_id = sessions.start_login({"state": "s", "next": "/"})
    assert sessions.take_login(login_id) == {"state": "s", "next": "/"}
    assert sessions.take_login(login_id) is None


def test_dash_callbacks_pass_the_csrf_token_only_from_our_own_page(app):
    from access.sessions import COOKIE, EXTENSION
    from ui.api import _forwarded_headers

    context = app.extensions[EXTENSION]
    session_id, row = context.sessions.create("s-2", "Paula", "", "planner")
    cookie = f"{COOKIE}={session_id}"

    def forwarded(path="/_dash-update-component", method="POST", **headers):
        with app.test_request_context(path, method=method, headers={"Cookie": cookie, **headers}):
            return _forwarded_headers()

    assert forwarded(**{"Sec-Fetch-Site": "same-origin"})["X-CSRF-Token"] == row["csrf_token"]
    assert forwarded(Origin="https://portal.example.de")["X-CSRF-Token"] == row["csrf_token"]
    assert forwarded(**{"Sec-Fetch-Site": "same-origin"})["Cookie"] == cookie
    for refused in (
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Sec-Fetch-Site": "cross-site", "Origin": "https://portal.example.de"},
        {"Origin": "https://evil.example"},
        {"Origin": "http://portal.example.de"},
        {},
    ):
        assert "X-CSRF-Token" not in forwarded(**refused), refused
    assert "X-CSRF-Token" not in forwarded(method="GET", **{"Sec-Fetch-Site": "same-origin"})
    assert "X-CSRF-Token" not in forwarded(path="/api/x", **{"Sec-Fetch-Site": "same-origin"})


def test_next_must_be_a_local_path(app):
    from access.web import local_path

    with app.test_request_context():
        assert local_path("/?view=dashboard") == "/?view=dashboard"
        assert local_path("/oapi/collections?f=html") == "/oapi/collections?f=html"
        for bad in (
            "https://evil.example/",
            "//evil.example",
            "/\\evil.example",
            "javascript:alert(1)",
            "/x y",
            "",
            None,
            "evil.example",
            "/javascript:alert(1)",
        ):
            assert local_path(bad) == "/", bad


def test_roles_from_claims():
    keycloak = {"realm_access": {"roles": ["offline_access", "stadtplanung"]}, "sub": "u1"}
    assert claim_values(keycloak, "realm_access.roles") == ["offline_access", "stadtplanung"]
    assert role_from_claims(keycloak, "realm_access.roles", {"stadtplanung": "planner"}) == "planner"
    assert role_from_claims(keycloak, "realm_access.roles", {"x": "admin"}) == "citizen"
    client_roles = {"resource_access": {"buergergis": {"roles": ["moderation"]}}}
    assert (
        role_from_claims(client_roles, "resource_access.buergergis.roles", {"moderation": "moderator"}) == "moderator"
    )
    azure = {"roles": ["moderator", "admin"]}  # the highest wins
    assert role_from_claims(azure, "roles", AccessSettings().oidc_role_map) == "admin"
    adfs = {"http://schemas.microsoft.com/ws/2008/06/identity/claims/role": "planner"}
    assert (
        role_from_claims(adfs, "http://schemas.microsoft.com/ws/2008/06/identity/claims/role", {"planner": "planner"})
        == "planner"
    )
    assert role_from_claims({"roles": "planner"}, "roles.deeper", {"planner": "planner"}) == "citizen"
    assert role_from_claims({}, "roles", {"planner": "planner"}) == "citizen"
    assert display_name({"sub": "abc", "email": "a@b.de"}) == "a@b.de"
    assert display_name({"sub": "abc", "name": " Anna "}) == "Anna"


def test_settings_refuse_unknown_roles(monkeypatch):
    monkeypatch.setenv("BUERGERGIS_OIDC_ROLE_MAP", '{"stadtplanung": "king"}')
    with pytest.raises(ValueError, match="unknown roles"):
        AccessSettings()
    monkeypatch.setenv("BUERGERGIS_OIDC_ROLE_MAP", '{"stadtplanung": "planner"}')
    monkeypatch.setenv("BUERGERGIS_OIDC_ISSUER", "https://login.kommune.de/realms/rathaus/")
    monkeypatch.setenv("BUERGERGIS_OIDC_CLIENT_ID", "buergergis")
    settings = AccessSettings()
    assert settings.oidc_configured and settings.oidc_role_map == {"stadtplanung": "planner"}
    assert settings.discovery_url == "https://login.kommune.de/realms/rathaus/.well-known/openid-configuration"
