"""Staff tokens cannot be guessed: wrong tokens are throttled per client (429 with Retry-After), weak environment
tokens keep the server from starting, the demo makes strong ones of its own."""

import os
import secrets
import subprocess
import sys
import time

import pytest
import requests

from access.tokens import demo_tokens, entropy_bits_per_char, weak_env_secrets
from tests.conftest import PLANNER_TOKEN, ROOT, LiveServer, import_demo_plans

WRONG_TOKENS = 500


@pytest.fixture(scope="module")
def throttled(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("tokens")
    store = str(data_dir / "store.gpkg")
    import_demo_plans(store, data_dir / "rasters")
    # one proxy hop believed, so that the test can speak as two clients (X-Forwarded-For)
    server = LiveServer(
        store,
        data_dir,
        extra_env={
            "BUERGERGIS_UI": "0",
            "BUERGERGIS_LIMIT_ENABLED": "1",
            "BUERGERGIS_LIMIT_TOKEN_FAILURES": "10/minute",
            "BUERGERGIS_LIMIT_WRITES": "10000/minute",
            "BUERGERGIS_LIMIT_TRUSTED_PROXIES": "1",
        },
    )
    yield server
    server.stop()


def _me(server, token: str, client: str):
    return requests.get(
        f"{server.url}/api/me", headers={"Authorization": f"Bearer {token}", "X-Forwarded-For": client}, timeout=10
    )


def test_500_wrong_tokens_in_5_seconds_are_throttled(throttled):
    session = requests.Session()
    started = time.monotonic()
    answers = []
    for _ in range(WRONG_TOKENS):
        r = session.get(
            f"{throttled.url}/api/me",
            headers={"Authorization": f"Bearer {secrets.token_urlsafe(32)}", "X-Forwarded-For": "203.0.113.7"},
            timeout=10,
        )
        answers.append(r)
    elapsed = time.monotonic() - started
    refused = [r for r in answers if r.status_code == 429]
    print(f"\n{WRONG_TOKENS} wrong tokens in {elapsed:.1f} s: {len(refused)} answered 429")
    assert len(answers) - len(refused) <= 10  # at most the limit was even compared
    assert all(1 <= int(r.headers["Retry-After"]) <= 61 for r in refused)
    text = refused[-1].json()["description"]
    assert "falschem Token" in text and "wrong token" in text
    # the right token from that client is refused as well while it is locked out: no oracle for guesses
    assert _me(throttled, PLANNER_TOKEN, "203.0.113.7").status_code == 429
    # another client with the right token, and anybody without a token, are not affected
    me = _me(throttled, PLANNER_TOKEN, "198.51.100.20")
    assert me.status_code == 200 and me.json()["role"] == "planner"
    assert requests.get(f"{throttled.api}/?f=json", headers={"X-Forwarded-For": "203.0.113.7"}, timeout=10).ok


def test_right_tokens_do_not_count_against_the_limit(throttled):
    answers = [_me(throttled, PLANNER_TOKEN, "198.51.100.30").status_code for _ in range(30)]
    assert set(answers) == {200}


@pytest.mark.parametrize(
    "token, problem",
    [
        ("test-planner-token", "zu kurz"),
        ("a" * 40, "zu regelmäßig"),
        ("abcd" * 10, "zu regelmäßig"),
    ],
)
def test_weak_tokens_are_named(token, problem):
    found = weak_env_secrets({"BUERGERGIS_PLANNER_TOKEN": token})
    assert len(found) == 1 and problem in found[0] and "BUERGERGIS_PLANNER_TOKEN" in found[0]


def test_strong_tokens_pass():
    for _ in range(200):
        token = secrets.token_urlsafe(32)
        assert entropy_bits_per_char(token) > 3.5
        assert (
            weak_env_secrets(
                {
                    "BUERGERGIS_PLANNER_TOKEN": token,
                    "BUERGERGIS_MODERATOR_TOKEN": token.upper(),
                    "BUERGERGIS_SECRET_KEY": secrets.token_hex(32),
                }
            )
            == []
        )


def _start(args: list[str], env_extra: dict, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}  # as a city starts it
    env.update(
        {
            "BUERGERGIS_STORE": str(tmp_path / "none.gpkg"),
            "BUERGERGIS_DATA_DIR": str(tmp_path),
            "BUERGERGIS_PLANNER_TOKEN": "",
            "BUERGERGIS_MODERATOR_TOKEN": "",
            **env_extra,
        }
    )
    return subprocess.run(
        [sys.executable, "-m", "commands.serve", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("args", [[], ["--production"]])
def test_the_server_refuses_to_start_with_a_weak_token(args, tmp_path):
    done = _start(args, {"BUERGERGIS_PLANNER_TOKEN": "planung2024", "BUERGERGIS_MODERATOR_TOKEN": "x" * 40}, tmp_path)
    assert done.returncode == 2, done.stdout[-2000:] + done.stderr[-2000:]
    message = done.stderr
    assert "startet nicht" in message and "will not start" in message
    assert "BUERGERGIS_PLANNER_TOKEN ist zu kurz" in message and "BUERGERGIS_MODERATOR_TOKEN" in message
    assert "token_urlsafe" in message  # how to make a good one
    assert "planung2024" not in message  # the token itself is never printed
    assert not (tmp_path / "pygeoapi-config.runtime.yml").exists()  # refused before anything was set up


def test_the_demo_makes_strong_tokens_where_none_are_set():
    environ = {"BUERGERGIS_MODERATOR_TOKEN": secrets.token_urlsafe(32)}
    made = demo_tokens(environ)
    assert list(made) == ["BUERGERGIS_PLANNER_TOKEN"]
    assert weak_env_secrets(environ) == []
