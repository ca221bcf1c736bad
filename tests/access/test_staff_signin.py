"""Staff sign-in through a real OpenID provider, server-side sessions, CSRF and service tokens, on both stores.

Every sign-in goes the whole way over HTTP: /auth/login → the provider's authorization endpoint (PKCE,
state, nonce) → its login and consent forms → /auth/callback → a session cookie.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from access.db import Db
from access.tokens import hash_token
from tests.access.common import (
    TIMEOUT,
    authorize_params,
    post_baugrenze,
    set_cookie_headers,
    sign_in,
)
from tests.access.conftest import MODERATOR_TOKEN

ME = "/api/me"


def _rows(server, table: str) -> list[dict]:
    return Db(server.store).fetch(f"SELECT * FROM {table}")


def _me(server, http=requests, **kwargs) -> requests.Response:
    return http.get(f"{server.url}{ME}", timeout=TIMEOUT, **kwargs)


def test_planner_signs_in_through_the_provider(staff_server):
    sign = sign_in(staff_server, "planner")
    # authorization code flow with PKCE (S256), state and nonce, back to our callback
    params = authorize_params(sign)
    assert params["response_type"] == "code" and params["code_challenge_method"] == "S256"
    assert len(params["code_challenge"]) >= 43 and params["state"] and params["nonce"]
    assert params["redirect_uri"] == f"{staff_server.url}/auth/callback"
    assert "openid" in params["scope"].split()
    # the callback sets the session cookie: HttpOnly, SameSite=Lax, Path=/ (not Secure: the portal is http here)
    assert sign.callback.status_code == 303 and sign.callback.headers["Location"] == ME
    cookies = set_cookie_headers(sign.callback)
    session_cookie = next(c for c in cookies if c.startswith("bgis_session="))
    flags = {part.strip().split("=")[0].lower() for part in session_cookie.split(";")[1:]}
    assert {"httponly", "path", "samesite", "max-age"} <= flags and "secure" not in flags
    assert "SameSite=Lax" in session_cookie and "Path=/;" in session_cookie + ";"
    assert any(c.startswith("bgis_login=;") for c in cookies)  # the sign-in's own cookie is cleared
    # beside it a hint the page's script may read (no credential): "ask whether staff tools show"
    hint = next(c for c in cookies if c.startswith("bgis_staff="))
    assert (
        hint.startswith("bgis_staff=1;")
        and "httponly" not in hint.lower()
        and session_cookie.split(";")[0][12:] not in hint
    )
    # /api/me: who, which role, how; never cached
    assert sign.final.status_code == 200 and sign.final.headers["Cache-Control"] == "no-store"
    me = sign.final.json()
    assert me["signed_in"] is True and me["name"] == "Paula Planer" and me["role"] == "planner"
    assert me["via"] == "oidc" and len(me["csrf_token"]) >= 32 and me["expired"] is False
    assert me["sign_in_available"] is True


@pytest.mark.parametrize("login, role", [("moderator", "moderator"), ("admin", "admin"), ("norole", "citizen")])
def test_roles_come_from_the_roles_claim(staff_server, login, role):
    me = sign_in(staff_server, login).final.json()
    assert (me["signed_in"], me["role"], me["via"]) == (True, role, "oidc")


def test_planner_write_needs_the_csrf_token(staff_server):
    sign = sign_in(staff_server, "planner")
    r = post_baugrenze(staff_server, sign.http)  # the cookie alone: refused
    assert r.status_code == 403 and "X-CSRF-Token" in r.json()["description"], r.text[:300]
    r = post_baugrenze(staff_server, sign.http, {"X-CSRF-Token": "falsch-" + "x" * 40})
    assert r.status_code == 403
    r = post_baugrenze(staff_server, sign.http, sign.csrf)
    assert r.status_code == 201, r.text[:300]
    location = r.headers["Location"]
    assert sign.http.delete(location, headers={"X-CSRF-Token": "x"}, timeout=TIMEOUT).status_code == 403
    assert sign.http.delete(location, headers=sign.csrf, timeout=TIMEOUT).status_code == 200
    # a moderator is no planner
    moderator = sign_in(staff_server, "moderator")
    assert post_baugrenze(staff_server, moderator.http, moderator.csrf).status_code == 403


def _pending(server, http) -> int:
    r = http.get(
        f"{server.api}/collections/contributions/items",
        timeout=TIMEOUT,
        params={"f": "json", "status": "eingereicht", "resulttype": "hits"},
    )
    assert r.status_code == 200, r.text[:300]
    return r.json()["numberMatched"]


def test_a_person_without_role_has_citizen_rights(staff_server):
    sign = sign_in(staff_server, "norole")
    assert sign.me()["role"] == "citizen"
    r = post_baugrenze(staff_server, sign.http, sign.csrf)
    assert r.status_code == 403, r.text[:300]
    # a citizen's write (a Mängelmeldung) goes through, with the session's CSRF token like every cookie write
    report = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [10.0, 53.67]},
        "properties": {"kind": "maengelmeldung", "category": "muell", "text": "Müll am Spielplatz (Test)"},
    }
    r = sign.http.post(
        f"{staff_server.api}/collections/contributions/items",
        json=report,
        timeout=TIMEOUT,
        headers={"Content-Type": "application/geo+json", **sign.csrf},
    )
    assert r.status_code == 201, r.text[:300]
    # pending contributions: a planner's session sees them, this one does not (no moderation view)
    planner = sign_in(staff_server, "planner")
    assert _pending(staff_server, planner.http) >= 1
    assert _pending(staff_server, sign.http) == 0
    r = sign.http.post(
        f"{staff_server.url}/api/service-tokens",
        json={"name": "x", "role": "admin"},
        headers=sign.csrf,
        timeout=TIMEOUT,
    )
    assert r.status_code == 403


def test_sign_out_ends_the_session(staff_server):
    sign = sign_in(staff_server, "planner")
    cookie = sign.cookie
    csrf = sign.csrf
    assert any(
        row["id"] == hashlib.sha256(b"buergergis-session:" + cookie.encode()).hexdigest()
        for row in _rows(staff_server, "staff_sessions")
    )
    r = sign.http.post(f"{staff_server.url}/auth/logout", timeout=TIMEOUT)  # no CSRF token: refused
    assert r.status_code == 403 and sign.me()["signed_in"] is True
    r = sign.http.post(f"{staff_server.url}/auth/logout", headers=csrf, timeout=TIMEOUT)
    assert r.status_code == 200 and r.json() == {"signed_in": False}
    assert any(c.startswith("bgis_session=;") for c in set_cookie_headers(r))  # the cookie is cleared
    assert any(c.startswith("bgis_staff=;") for c in set_cookie_headers(r))  # and its hint
    assert sign.http.cookies.get("bgis_session") is None
    assert not any(
        row["id"] == hashlib.sha256(b"buergergis-session:" + cookie.encode()).hexdigest()
        for row in _rows(staff_server, "staff_sessions")
    )
    # the old cookie, sent again, opens nothing: 401 with a clear message, writes refused
    old = {"Cookie": f"bgis_session={cookie}"}
    r = _me(staff_server, headers=old)
    assert r.status_code == 401 and r.json()["expired"] is True and r.json()["signed_in"] is False
    assert "abgelaufen" in r.json()["description"] and "expired" in r.json()["description"]
    r = post_baugrenze(staff_server, headers={**old, **csrf})
    assert r.status_code == 401 and "sign in again" in r.json()["description"]
    # a form post (the dashboard's "Abmelden" button) is sent back to a local page only
    again = sign_in(staff_server, "planner")
    r = again.http.post(
        f"{staff_server.url}/auth/logout",
        allow_redirects=False,
        timeout=TIMEOUT,
        data={"csrf_token": again.csrf["X-CSRF-Token"], "next": "https://evil.example/"},
    )
    assert r.status_code == 303 and r.headers["Location"] == "/"


def test_an_expired_session_gets_401_and_no_staff_view(staff_server):
    sign = sign_in(staff_server, "moderator")
    csrf = sign.csrf
    key = hashlib.sha256(b"buergergis-session:" + sign.cookie.encode()).hexdigest()
    Db(staff_server.store).execute(
        "UPDATE staff_sessions SET expires_at = :past WHERE id = :id", {"past": "2000-01-01T00:00:00.000Z", "id": key}
    )
    r = _me(staff_server, sign.http)
    assert r.status_code == 401 and r.json()["expired"] is True
    r = sign.http.post(
        f"{staff_server.url}/api/contributions/some-id/status",
        json={"status": "freigegeben"},
        headers=csrf,
        timeout=TIMEOUT,
    )
    assert r.status_code == 401 and "abgelaufen" in r.json()["description"]
    # reads go on as an anonymous citizen's: no pending contributions (tests/access' others made some)
    assert _pending(staff_server, sign.http) == 0


def test_the_store_holds_only_hashes_of_session_ids(staff_server):
    sign = sign_in(staff_server, "planner")
    rows = [row for row in _rows(staff_server, "staff_sessions") if row["kind"] == "session"]
    assert rows
    for row in rows:
        assert all(sign.cookie not in str(value) for value in row.values())
    mine = [r for r in rows if r["id"] == hashlib.sha256(b"buergergis-session:" + sign.cookie.encode()).hexdigest()]
    assert len(mine) == 1 and mine[0]["subject"] == "planner" and mine[0]["role"] == "planner"
    assert mine[0]["name"] == "Paula Planer" and mine[0]["email"] == "paula.planer@example.org"


def test_login_refuses_foreign_next_and_unknown_callbacks(staff_server):
    for bad in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"):
        r = requests.get(f"{staff_server.url}/auth/login", params={"next": bad}, allow_redirects=False, timeout=TIMEOUT)
        assert r.status_code == 302
        rows = [row for row in _rows(staff_server, "staff_sessions") if row["kind"] == "login"]
        assert all(
            "evil" not in str(row["login_state"]) and "javascript" not in str(row["login_state"]) for row in rows
        )
    # a callback with a made-up state, or without the sign-in cookie: refused, no session
    r = requests.get(f"{staff_server.url}/auth/callback", params={"code": "x", "state": "y"}, timeout=TIMEOUT)
    assert r.status_code == 400 and "erneut" in r.text and "again" in r.text
    assert "bgis_session=" not in r.headers.get("Set-Cookie", "").replace("bgis_session=;", "")
    r = requests.get(f"{staff_server.url}/auth/callback", params={"error": "access_denied"}, timeout=TIMEOUT)
    assert r.status_code == 403 and "Anmeldung" in r.text


def test_service_tokens_from_the_command_line(staff_server, capsys):
    from commands.cli import main

    assert main(["--store", staff_server.store, "token", "create", "fachverfahren", "--role", "planner"]) == 0
    token = capsys.readouterr().out.strip()
    assert token.startswith("bgis_") and len(token) > 40
    auth = {"Authorization": f"Bearer {token}"}
    me = _me(staff_server, headers=auth).json()
    assert (me["signed_in"], me["role"], me["name"], me["via"]) == (
        True,
        "planner",
        "token:fachverfahren",
        "service-token",
    )
    assert me["csrf_token"] is None  # a bearer token needs none
    r = post_baugrenze(staff_server, headers=auth)
    assert r.status_code == 201, r.text[:300]
    assert requests.delete(r.headers["Location"], headers=auth, timeout=TIMEOUT).status_code == 200
    # stored as a hash, never as the token
    rows = [row for row in _rows(staff_server, "service_tokens") if row["name"] == "fachverfahren"]
    assert len(rows) == 1 and rows[0]["token_hash"] == hash_token(token)
    assert all(token not in str(value) for row in _rows(staff_server, "service_tokens") for value in row.values())
    assert rows[0]["last_used_at"] is not None
    assert main(["--store", staff_server.store, "token", "list"]) == 0
    listing = capsys.readouterr().out
    assert "fachverfahren" in listing and token not in listing
    # revoked: 403 "unknown token", never a signed-in view
    assert main(["--store", staff_server.store, "token", "revoke", "fachverfahren"]) == 0
    r = post_baugrenze(staff_server, headers=auth)
    assert r.status_code == 403 and r.json()["description"] == "Unbekanntes Token / unknown token"
    assert _me(staff_server, headers=auth).status_code == 403
    assert main(["--store", staff_server.store, "token", "revoke", "fachverfahren"]) == 1  # nothing left to revoke


def test_unknown_tokens_are_refused_and_env_tokens_keep_working(staff_server):
    for wrong in ("Bearer bgis_" + "A" * 43, "Bearer nonsense", "Basic dXNlcjpwdw=="):
        r = post_baugrenze(staff_server, headers={"Authorization": wrong})
        assert r.status_code == 403 and "unknown token" in r.json()["description"]
        assert _me(staff_server, headers={"Authorization": wrong}).status_code == 403
    me = _me(staff_server, headers={"Authorization": f"Bearer {staff_server.planner_token}"}).json()
    assert (me["role"], me["name"], me["via"]) == ("planner", "token:planner-env", "env-token")
    me = _me(staff_server, headers={"Authorization": f"Bearer {MODERATOR_TOKEN}"}).json()
    assert (me["role"], me["name"], me["via"]) == ("moderator", "token:moderator-env", "env-token")
    assert _me(staff_server).json() == {
        "signed_in": False,
        "name": None,
        "role": "citizen",
        "via": None,
        "csrf_token": None,
        "expired": False,
        "sign_in_available": True,
    }


def test_admins_manage_service_tokens_over_the_api(staff_server):
    url = f"{staff_server.url}/api/service-tokens"
    assert requests.post(url, json={"name": "qgis", "role": "planner"}, timeout=TIMEOUT).status_code == 401
    planner = sign_in(staff_server, "planner")
    assert (
        planner.http.post(
            url, json={"name": "qgis", "role": "planner"}, headers=planner.csrf, timeout=TIMEOUT
        ).status_code
        == 403
    )
    assert planner.http.get(url, timeout=TIMEOUT).status_code == 403
    admin = sign_in(staff_server, "admin")
    assert admin.http.post(url, json={"name": "qgis", "role": "planner"}, timeout=TIMEOUT).status_code == 403  # CSRF
    r = admin.http.post(url, json={"name": "qgis", "role": "planner"}, headers=admin.csrf, timeout=TIMEOUT)
    assert r.status_code == 201 and r.headers["Cache-Control"] == "no-store", r.text[:300]
    token = r.json()["token"]
    assert (
        admin.http.post(url, json={"name": "qgis", "role": "planner"}, headers=admin.csrf, timeout=TIMEOUT).status_code
        == 409
    )
    assert (
        admin.http.post(url, json={"name": "../x", "role": "planner"}, headers=admin.csrf, timeout=TIMEOUT).status_code
        == 400
    )
    assert (
        admin.http.post(url, json={"name": "y", "role": "king"}, headers=admin.csrf, timeout=TIMEOUT).status_code == 400
    )
    listed = admin.http.get(url, timeout=TIMEOUT).json()["tokens"]
    entry = next(t for t in listed if t["name"] == "qgis")
    assert entry["role"] == "planner" and entry["active"] is True
    assert "token" not in entry and "token_hash" not in entry and token not in str(listed)
    auth = {"Authorization": f"Bearer {token}"}
    assert _me(staff_server, headers=auth).json()["name"] == "token:qgis"
    r = admin.http.delete(f"{url}/qgis", headers=admin.csrf, timeout=TIMEOUT)
    assert r.status_code == 200 and r.json()["active"] is False
    assert _me(staff_server, headers=auth).status_code == 403
    assert admin.http.delete(f"{url}/qgis", headers=admin.csrf, timeout=TIMEOUT).status_code == 404
    # an admin service token may manage tokens too (no CSRF: not a cookie)
    from access.db import Db as _Db
    from access.tokens import ServiceTokens

    admin_token, _ = ServiceTokens(_Db(staff_server.store)).create("admin-skript", "admin")
    r = requests.get(url, headers={"Authorization": f"Bearer {admin_token}"}, timeout=TIMEOUT)
    assert r.status_code == 200 and any(t["name"] == "admin-skript" for t in r.json()["tokens"])


@pytest.mark.parametrize("staff_server", ["postgis"], indirect=True)  # the server with two gunicorn workers
def test_sessions_are_shared_by_the_workers(staff_server):
    sign = sign_in(staff_server, "planner")

    def me_on_a_new_connection(_) -> str:  # a kept-alive connection stays with one worker
        r = sign.http.get(f"{staff_server.url}{ME}", headers={"Connection": "close"}, timeout=TIMEOUT)
        assert r.status_code == 200, r.text[:300]
        return r.json()["role"]

    with ThreadPoolExecutor(8) as pool:  # side by side, so both workers take some
        assert set(pool.map(me_on_a_new_connection, range(48))) == {"planner"}
    pids = {
        line.split()[0]
        for line in (staff_server.data_dir / "access.log").read_text().splitlines()
        if f" GET {ME} 200" in line
    }
    assert len(pids) >= 2, pids
