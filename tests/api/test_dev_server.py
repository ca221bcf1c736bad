"""The one-process server of ``python -m commands.serve`` (api/dev_server.py): Werkzeug's, with reused threads."""

from __future__ import annotations

import threading
import time

import pytest
import requests
from flask import Flask

from api import dev_server


@pytest.fixture
def served(monkeypatch):
    """(server, release event) of a small app served by ReusedThreadsWSGIServer; threads end after 0.5 s idle."""
    monkeypatch.setattr(dev_server, "IDLE_SECONDS", 0.5)
    release = threading.Event()
    app = Flask(__name__)
    app.add_url_rule("/thread", "thread", lambda: str(threading.get_native_id()))
    app.add_url_rule("/wait", "wait", lambda: f"{release.wait(10)} {threading.get_native_id()}")
    server = dev_server.ReusedThreadsWSGIServer("127.0.0.1", 0, app, handler=dev_server.QuietRequestHandler)
    runner = threading.Thread(target=server.serve_forever, daemon=True)
    runner.start()
    yield server, release
    release.set()
    server.shutdown()
    server.server_close()


def _thread(server) -> str:
    answer = requests.get(_url(server, "/thread"), headers={"Connection": "close"}, timeout=10)
    assert answer.status_code == 200 and answer.headers["Server"] == "buergergis"
    return answer.text


def _url(server, path: str) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}{path}"


def _when_idle(server) -> str:
    """The thread of a connection made once a thread is idle (an answer reaches the client a moment before its
    thread is back among the idle ones)."""
    deadline = time.monotonic() + 10
    while not server.idle_threads and time.monotonic() < deadline:
        time.sleep(0.01)
    return _thread(server)


def test_connections_one_after_another_are_served_by_the_same_thread(served):
    server, _ = served
    assert len({_thread(server)} | {_when_idle(server) for _ in range(4)}) == 1


def test_a_busy_thread_does_not_hold_up_the_next_connection_and_idle_threads_end(served):
    server, release = served
    slow: list[str] = []
    waiting = threading.Thread(
        target=lambda: slow.append(requests.get(_url(server, "/wait"), timeout=10).text.split()[1]), daemon=True
    )
    waiting.start()
    time.sleep(0.2)  # the slow request holds its thread
    started = time.monotonic()
    other = _thread(server)
    assert time.monotonic() - started < 2  # served by a second thread meanwhile, not after the slow one
    release.set()
    waiting.join(10)
    assert slow and slow[0] != other
    assert {_when_idle(server), _when_idle(server)} <= {slow[0], other}  # idle threads serve again
    deadline = time.monotonic() + 5
    while [t for t in threading.enumerate() if t.name == "request"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [t for t in threading.enumerate() if t.name == "request"], "idle threads end after IDLE_SECONDS"
