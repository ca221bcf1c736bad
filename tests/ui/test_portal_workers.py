"""The portal (UI and API) under gunicorn with several workers, as a city deploys it.

A fresh server's first page load reaches every worker at once: the page, then a dozen scripts
in parallel. Dash fills its script registry on a worker's first request without a lock, and a
script request racing that found it empty (500, a blank portal) until ``ui.app`` filled it
before serving. Real gunicorn, real PostGIS, requests as a browser sends them.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.conftest import LiveServer, fresh_postgis_database, import_demo_plans

pytestmark = pytest.mark.postgis


def test_first_page_loads_on_every_worker_get_every_script(postgis, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("portal-workers")
    store = fresh_postgis_database(postgis, "portal_workers")
    import_demo_plans(store, data_dir / "rasters")
    server = LiveServer(store, data_dir, workers=3, ui=True)
    try:
        page = requests.get(server.url + "/", timeout=30)
        assert page.status_code == 200
        scripts = re.findall(r'<script src="([^"]+)"', page.text)
        assert len(scripts) >= 8 and any("dash_renderer" in s for s in scripts)
        # many first page loads at once, as browsers opening the portal after a restart
        urls = [server.url + s for s in scripts] * 6 + [server.url + "/_dash-layout"] * 6
        for _ in range(5):  # the kernel picks the worker per connection: again until several answered
            with ThreadPoolExecutor(24) as pool:
                statuses = list(
                    pool.map(
                        lambda u: (u, requests.get(u, timeout=60, headers={"Connection": "close"}).status_code), urls
                    )
                )
            assert [s for s in statuses if s[1] != 200] == []
            pids = {line.split()[0] for line in (data_dir / "access.log").read_text().splitlines() if line.strip()}
            if len(pids) >= 2:
                break
        assert len(pids) >= 2  # the requests did reach several workers
    finally:
        server.stop()
