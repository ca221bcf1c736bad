"""Slow clients cannot stall the production server (``python -m commands.serve --production``, gunicorn's asyncio worker).

300 connections send their request headers a line at a time (slowloris) and 30 more send a body a few bytes at a
time; meanwhile normal requests must be answered within a few seconds. The server runs with one worker and 4
app threads, so under gunicorn's ``gthread`` worker the 300 connections would hold every thread (measured:
0 of 3 answered in 10 s). Real sockets, a real gunicorn, a GeoPackage store with the demo plans.
"""

import json
import os
import socket
import subprocess
import sys
import threading
import time

import pytest
import requests

from tests.conftest import ROOT, free_port, import_demo_plans

SLOW_HEADER_CONNECTIONS = 300
SLOW_BODY_CONNECTIONS = 30
ANSWER_WITHIN_S = 3.0

# About 35 s (a production server, 330 slow connections): in the heavy suite with the other attack tests.
pytestmark = pytest.mark.heavy


@pytest.fixture(scope="module")
def production_server(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("slow-clients")
    store = str(data_dir / "store.gpkg")
    import_demo_plans(store, data_dir / "rasters")
    port = free_port()
    env = {
        **os.environ,
        "BUERGERGIS_STORE": store,
        "BUERGERGIS_DATA_DIR": str(data_dir),
        "BUERGERGIS_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "BUERGERGIS_PORT": str(port),
        "BUERGERGIS_UI": "0",
        "BUERGERGIS_LIMIT_ENABLED": "0",
        "BUERGERGIS_SERVER_WORKERS": "1",
        "BUERGERGIS_SERVER_THREADS": "4",
        "PYTHONUNBUFFERED": "1",
    }
    log = open(data_dir / "server.log", "w")  # noqa: SIM115 -- open while the server runs
    proc = subprocess.Popen(
        [sys.executable, "-m", "commands.serve", "--production"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"server did not start: {(data_dir / 'server.log').read_text()[-3000:]}")
        try:
            if requests.get(f"{url}/oapi/?f=json", timeout=2).ok:
                break
        except requests.ConnectionError:
            time.sleep(0.3)
    yield url, port
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


class SlowClients:
    """Connections that trickle their requests: header lines (slowloris) or body bytes, one piece a second."""

    def __init__(self, port: int, headers: int, bodies: int):
        self.sockets: list[socket.socket] = []
        for i in range(headers):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(f"GET /oapi/?slow={i} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode())
            self.sockets.append(s)
        for _ in range(bodies):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(
                b"POST /oapi/processes/run-scenario/execution HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"
            )
            self.sockets.append(s)
        self.headers = headers
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._trickle, daemon=True)
        self._thread.start()

    def _trickle(self) -> None:
        while not self._stop.wait(1.0):
            for n, s in enumerate(self.sockets):
                try:
                    s.sendall(b"X-Slow: 1\r\n" if n < self.headers else b" ")
                except OSError:
                    pass

    def still_open(self) -> int:
        """Connections the server has not closed (a closed one reads as EOF or an error at once)."""
        alive = 0
        for s in self.sockets:
            s.setblocking(False)
            try:
                alive += s.recv(1, socket.MSG_PEEK) != b""
            except BlockingIOError:
                alive += 1
            except OSError:
                pass
        return alive

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        for s in self.sockets:
            s.close()


def test_normal_requests_are_answered_while_hundreds_of_clients_trickle(production_server):
    url, port = production_server
    paths = ("/oapi/?f=json", "/oapi/collections?f=json", "/oapi/processes?f=json")
    for path in paths:  # warm: the first listing of collections fills pygeoapi's caches (seconds on 2 cores)
        assert requests.get(f"{url}{path}", timeout=30).ok
    slow = SlowClients(port, SLOW_HEADER_CONNECTIONS, SLOW_BODY_CONNECTIONS)
    try:
        time.sleep(1.5)  # let the trickling begin: every slow connection has sent a second piece
        timings = []
        for path in paths:
            started = time.monotonic()
            r = requests.get(f"{url}{path}", timeout=10)
            timings.append(time.monotonic() - started)
            assert r.status_code == 200, (path, r.status_code)
        print(
            f"\n3 normal requests beside {SLOW_HEADER_CONNECTIONS} slow-header and {SLOW_BODY_CONNECTIONS} "
            f"slow-body connections: {', '.join(f'{t * 1000:.0f} ms' for t in timings)}"
        )
        assert max(timings) < ANSWER_WITHIN_S, timings
        # a process run (a write, a thread of the app) is answered too
        started = time.monotonic()
        run = requests.post(
            f"{url}/oapi/processes/run-scenario/execution",
            json={"inputs": {"scenario": "baseline", "compare_to": "none"}},
            timeout=30,
        )
        assert run.status_code == 200, run.text[:300]
        print(f"a process run beside them: {(time.monotonic() - started) * 1000:.0f} ms")
        assert slow.still_open() >= SLOW_HEADER_CONNECTIONS  # they were really held open, not refused
    finally:
        slow.close()


def test_the_production_server_names_no_version_and_refuses_oversized_chunked_bodies(production_server):
    url, _port = production_server
    r = requests.get(f"{url}/oapi/?f=json", timeout=10)
    assert not any(ch.isdigit() for ch in r.headers.get("Server", "")), r.headers.get("Server")

    def chunks():
        for _ in range(40):
            yield b"x" * 100_000  # 4 MB, chunked: over the write limit (1 MB)

    r = requests.post(
        f"{url}/oapi/collections/contributions/items",
        data=chunks(),
        headers={"Content-Type": "application/geo+json"},
        timeout=30,
    )
    assert r.status_code == 413, r.text[:300]
    assert "zu groß" in r.json()["description"] and "too large" in r.json()["description"]
    small = json.dumps({"type": "Feature", "geometry": None, "properties": {}}).encode()
    r = requests.post(
        f"{url}/oapi/collections/contributions/items",
        data=iter([small]),
        headers={"Content-Type": "application/geo+json"},
        timeout=30,
    )
    assert r.status_code not in (411, 413, 500), r.text[:300]  # a small chunked body reaches the app whole
