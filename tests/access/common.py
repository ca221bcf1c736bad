"""The real OpenID provider of the sign-in tests and the sign-in a person does, driven with requests.

``tests/oidc/provider.mjs`` runs panva's ``oidc-provider`` 8.x (the OpenID-certified Node.js provider; its
8.x line is the one made for Node 18/20 LTS, 9.x asks for Node 22) with its own login and consent pages. Its
packages come from ``tests/oidc/package-lock.json`` (``npm ci``, here or in ``./dev test``).
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests

from tests.conftest import ROOT

OIDC_DIR = ROOT / "tests" / "oidc"
CLIENT_ID = "buergergis-test"
CLIENT_SECRET = "test-client-secret-0123456789"
TIMEOUT = 20
GEOJSON = {"Content-Type": "application/geo+json"}

_FORM = re.compile(r'<form[^>]*action="([^"]+)"[^>]*>(.*?)</form>', re.S | re.I)
_PROMPT = re.compile(r'name="prompt" value="([a-z]+)"')


def node_for_tests() -> str:
    """The node binary, with tests/oidc's packages installed (``npm ci`` when they are missing)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not (node and npm):
        if os.environ.get("BUERGERGIS_REQUIRE_OIDC") == "1":
            pytest.fail("node and npm are required for the sign-in tests (apt-get install nodejs npm)")
        pytest.skip("node/npm not installed: the OpenID Connect sign-in tests need them")
    if not (OIDC_DIR / "node_modules" / "oidc-provider" / "package.json").is_file():
        import fcntl
        import tempfile

        with open(Path(tempfile.gettempdir()) / "buergergis-oidc-npm.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not (OIDC_DIR / "node_modules" / "oidc-provider" / "package.json").is_file():
                done = subprocess.run(
                    [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                    cwd=OIDC_DIR,
                    capture_output=True,
                    text=True,
                    timeout=600,
                )
                if done.returncode != 0:
                    pytest.fail(f"npm ci in tests/oidc failed: {done.stderr[-2000:]}")
    return node


class OidcProvider:
    """``node provider.mjs`` on ``port`` with one confidential client."""

    def __init__(self, node: str, port: int, redirect_uri: str, log_dir: Path):
        self.url = f"http://127.0.0.1:{port}"
        clients = [
            {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "redirect_uris": [redirect_uri],
                "grant_types": ["authorization_code"],
                "response_types": ["code"],
            }
        ]
        self.log_path = log_dir / "oidc-provider.log"
        self.log = open(self.log_path, "w")  # noqa: SIM115 — the provider writes to it until stop() closes it
        self.proc = subprocess.Popen(
            [node, "provider.mjs", str(port), json.dumps(clients)],
            cwd=OIDC_DIR,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the OpenID provider exited: {self.log_path.read_text()[-2000:]}")
            try:
                if requests.get(f"{self.url}/.well-known/openid-configuration", timeout=2).ok:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the OpenID provider did not start: {self.log_path.read_text()[-2000:]}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


class SignIn:
    """What one sign-in left: the browser-like session, the redirect to the provider, the callback's answer."""

    def __init__(self, http: requests.Session, authorize: str, callback: requests.Response, final: requests.Response):
        self.http = http
        self.authorize = authorize
        self.callback = callback
        self.final = final

    @property
    def cookie(self) -> str:
        return self.http.cookies.get("bgis_session")

    def me(self) -> dict:
        r = self.http.get(f"{_site(self.callback.url)}/api/me", timeout=TIMEOUT)
        assert r.status_code == 200, r.text[:300]
        return r.json()

    @property
    def csrf(self) -> dict:
        return {"X-CSRF-Token": self.me()["csrf_token"]}


def _site(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def sign_in(server, login: str, next_path: str = "/api/me") -> SignIn:
    """The authorization code flow as a browser does it: our /auth/login, the provider's login and consent
    forms (filled in), our /auth/callback, then ``next_path``."""
    http = requests.Session()
    r = http.get(f"{server.url}/auth/login", params={"next": next_path}, allow_redirects=False, timeout=TIMEOUT)
    assert r.status_code == 302, r.text[:500]
    authorize = r.headers["Location"]
    r = http.get(authorize, timeout=TIMEOUT)
    for _ in range(4):
        if r.url.startswith(server.url):
            break
        found = _FORM.search(r.text)
        assert found, f"no form on the provider's page {r.url}: {r.text[:500]}"
        action, body = html.unescape(found[1]), found[2]
        prompt = _PROMPT.search(body)[1]
        data = {"prompt": prompt}
        if prompt == "login":
            data.update(login=login, password="beliebig")
        r = http.post(urljoin(r.url, action), data=data, timeout=TIMEOUT)
    else:
        raise AssertionError(f"the provider did not send us back: {r.url}")
    callbacks = [h for h in r.history if urlsplit(h.url).path == "/auth/callback"]
    assert callbacks, [h.url for h in r.history]
    return SignIn(http, authorize, callbacks[-1], r)


def authorize_params(sign: SignIn) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(sign.authorize).query).items()}


def baugrenze(**props) -> dict:
    return {
        "type": "Feature",
        "properties": {"plan_id": "STAFF_TEST", "art": "Baugrenze", **props},
        "geometry": {"type": "LineString", "coordinates": [[10.0, 53.67], [10.001, 53.671]]},
    }


def post_baugrenze(server, http=requests, headers: dict | None = None) -> requests.Response:
    return http.post(
        f"{server.api}/collections/bp_baugrenze/items",
        data=json.dumps(baugrenze()),
        headers={**GEOJSON, **(headers or {})},
        timeout=TIMEOUT,
    )


def set_cookie_headers(response: requests.Response) -> list[str]:
    """Every Set-Cookie header of a response, as sent."""
    return response.raw.headers.getlist("Set-Cookie")
