"""The tests' own portal starter (tests/conftest.py ``LiveServer``): a port taken between choosing and binding it."""

from __future__ import annotations

import socket

import requests

from tests import conftest
from tests.conftest import LiveServer, import_demo_plans


def test_a_portal_whose_port_was_taken_starts_on_another(tmp_path, monkeypatch):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))  # bound, not listening: as the local end of another process's connection
    port = taken.getsockname()[1]
    chosen = iter([port])  # the first choice is the taken port, as when another process got it meanwhile
    free_port = conftest.free_port
    monkeypatch.setattr(conftest, "free_port", lambda: next(chosen, None) or free_port())
    store = str(tmp_path / "store.gpkg")
    import_demo_plans(store, tmp_path / "rasters")
    try:
        server = LiveServer(store, tmp_path, extra_env={"BUERGERGIS_UI": "0"})
        try:
            assert server.port != port
            assert requests.get(f"{server.api}/?f=json", timeout=10).ok
        finally:
            server.stop()
    finally:
        taken.close()
