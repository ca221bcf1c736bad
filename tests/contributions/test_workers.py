"""Scale-out as a city runs it: the portal (UI and API) under gunicorn with several worker processes on one PostGIS.

A fresh server's first page load reaches every worker at once: the page, then a dozen scripts in parallel.
Every worker serves requests, simultaneous writes through different workers are each stored exactly once, a
write through one worker is read back through the others, and likes counted by different workers add up.
Throughput per worker count is measured by ``python -m benchmarks.scaling`` and, with a loose threshold, by the
heavy test ``tests/hard/test_worker_scaling.py`` (timings do not belong in CI).

One server for the module (real gunicorn, real PostGIS), started fresh: the first test is the first page load.
"""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
import requests

from tests.conftest import LiveServer, fresh_postgis_database, import_demo_plans
from tests.contributions.common import GEOJSON, MODERATOR, MODERATOR_TOKEN, TIMEOUT, feature, items
from tests.ui.conftest import stop_in_background

pytestmark = pytest.mark.postgis

WORKERS = 3
THREADS, PER_THREAD = 30, 3
ROUNDS = 5


@pytest.fixture(scope="module")
def gunicorn_server(postgis, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("gunicorn")
    store = fresh_postgis_database(postgis, "gunicorn")
    import_demo_plans(store, data_dir / "rasters")
    server = LiveServer(
        store, data_dir, extra_env={"BUERGERGIS_MODERATOR_TOKEN": MODERATOR_TOKEN}, workers=WORKERS, ui=True
    )
    yield server
    stop_in_background(server)


def test_first_page_loads_on_every_worker_get_every_script(gunicorn_server):
    """Dash fills its script registry on a worker's first request without a lock, and a script request racing
    that found it empty (500, a blank portal) until ``ui.app`` filled it before serving. So this test must be
    the first to load the portal on this server: requests as browsers send them after a restart."""
    server = gunicorn_server
    page = requests.get(server.url + "/", timeout=30)
    assert page.status_code == 200
    scripts = re.findall(r'<script src="([^"]+)"', page.text)
    assert len(scripts) >= 8 and any("dash_renderer" in s for s in scripts)
    # many first page loads at once, as browsers opening the portal after a restart
    urls = [server.url + s for s in scripts] * 6 + [server.url + "/_dash-layout"] * 6
    for _ in range(ROUNDS):  # the kernel picks the worker per connection: again until several answered
        with ThreadPoolExecutor(24) as pool:
            statuses = list(
                pool.map(lambda u: (u, requests.get(u, timeout=60, headers={"Connection": "close"}).status_code), urls)
            )
        assert [s for s in statuses if s[1] != 200] == []
        pids = set(_pids(server, "GET", "/"))  # every worker that answered a GET
        if len(pids) >= 2:
            break
    assert len(pids) >= 2  # the requests did reach several workers


def _pids(server, method: str, path_part: str) -> Counter:
    """Worker pid -> requests of that method whose path contains ``path_part`` (gunicorn's access log)."""
    counts = Counter()
    for line in (server.data_dir / "access.log").read_text().splitlines():
        pid, m, path, _status = line.split(" ", 3)
        if m == method and path_part in path:
            counts[pid] += 1
    return counts


def _write_round(server, tag: str) -> Counter:
    """THREADS × PER_THREAD simultaneous POSTs, each stored exactly once; returns worker pid -> POSTs."""
    url = f"{server.api}/collections/contributions/items"
    barrier = Barrier(THREADS)
    before = _pids(server, "POST", "/collections/contributions/items")

    def writer(thread: int) -> list[tuple[int, str | None]]:
        barrier.wait()
        out = []
        for n in range(PER_THREAD):
            # Mängelmeldungen need no open participation phase
            body = feature(
                text=f"{tag}-{thread}-{n}",
                kind="maengelmeldung",
                category="strasse",
                geometry={"type": "Point", "coordinates": [10.0 + thread * 1e-4, 53.67 + n * 1e-4]},
            )
            # a new connection per request, so the kernel hands each one to whichever worker accepts first
            # (a kept-alive connection stays with one worker)
            r = requests.post(url, data=json.dumps(body), headers={**GEOJSON, "Connection": "close"}, timeout=60)
            out.append((r.status_code, r.headers.get("Location")))
        return out

    with ThreadPoolExecutor(THREADS) as pool:
        results = [x for chunk in pool.map(writer, range(THREADS)) for x in chunk]
    assert Counter(s for s, _ in results) == {201: THREADS * PER_THREAD}
    created = {location.rsplit("/", 1)[-1] for _, location in results}
    assert len(created) == THREADS * PER_THREAD

    stored = items(server, MODERATOR, filter=f"text LIKE '{tag}-%'")["features"]
    assert Counter(f["properties"]["text"] for f in stored) == Counter(
        f"{tag}-{t}-{n}" for t in range(THREADS) for n in range(PER_THREAD)
    )
    assert {f["id"] for f in stored} == created
    return _pids(server, "POST", "/collections/contributions/items") - before


def test_simultaneous_writes_through_several_workers_are_stored_once(gunicorn_server):
    # Which worker accepts a connection is the kernel's choice: on a busy machine one worker can take a
    # whole round. Every round must store each write once; some round must have spread over workers.
    run = uuid.uuid4().hex[:8]
    writers = Counter()
    for round_ in range(ROUNDS):
        writers += _write_round(gunicorn_server, f"workers-{run}-{round_}")
        if len(writers) >= 2:
            break
    assert len(writers) >= 2, f"in {ROUNDS} rounds the writes all went to one worker: {writers}"


def test_every_worker_reads_what_another_wrote(gunicorn_server):
    server = gunicorn_server
    r = requests.post(
        f"{server.api}/collections/contributions/items",
        headers=GEOJSON,
        timeout=TIMEOUT,
        data=json.dumps(feature(text=f"read-back-{uuid.uuid4().hex}", kind="maengelmeldung", category="beleuchtung")),
    )
    assert r.status_code == 201
    cid = r.headers["Location"].rsplit("/", 1)[-1]
    before = _pids(server, "GET", f"/items/{cid}")
    for _ in range(ROUNDS):  # until every worker has answered (the kernel picks the worker per connection)
        with ThreadPoolExecutor(12) as pool:
            statuses = list(
                pool.map(
                    lambda _: (
                        requests.get(
                            f"{server.api}/collections/contributions/items/{cid}",
                            params={"f": "json"},
                            headers={**MODERATOR, "Connection": "close"},
                            timeout=TIMEOUT,
                        ).status_code
                    ),
                    range(36),
                )
            )
        assert statuses == [200] * 36
        readers = _pids(server, "GET", f"/items/{cid}") - before
        if len(readers) == WORKERS:
            break
    assert len(readers) == WORKERS, f"not every worker answered: {readers}"


def test_likes_counted_by_different_workers_add_up(gunicorn_server):
    server = gunicorn_server
    r = requests.post(
        f"{server.api}/collections/contributions/items",
        headers=GEOJSON,
        timeout=TIMEOUT,
        data=json.dumps(feature(text="likes across workers", kind="maengelmeldung", category="gruen")),
    )
    cid = r.headers["Location"].rsplit("/", 1)[-1]
    r = requests.post(
        f"{server.url}/api/contributions/{cid}/status",
        json={"status": "in_bearbeitung"},
        headers=MODERATOR,
        timeout=TIMEOUT,
    )  # public from now on, so citizens can like it
    assert r.status_code == 200, r.text[:300]
    like_url = f"{server.url}/api/contributions/{cid}/like"
    voters = 0
    for _ in range(ROUNDS):  # until likes have gone through several workers (the kernel picks the worker)
        round_voters = [f"voter-{uuid.uuid4().hex}" for _ in range(24)]
        with ThreadPoolExecutor(12) as pool:
            replies = list(
                pool.map(
                    lambda v: requests.post(
                        like_url, timeout=TIMEOUT, headers={"X-Voter-Id": v, "Connection": "close"}
                    ),
                    round_voters,
                )
            )
        voters += len(round_voters)
        assert [x.status_code for x in replies] == [200] * len(round_voters)
        assert max(x.json()["like_count"] for x in replies) == voters
        r = requests.get(
            f"{server.api}/collections/contributions/items/{cid}",
            params={"f": "json"},
            headers=MODERATOR,
            timeout=TIMEOUT,
        )
        assert r.json()["properties"]["like_count"] == voters
        if len(_pids(server, "POST", f"/api/contributions/{cid}/like")) >= 2:
            break
    assert len(_pids(server, "POST", f"/api/contributions/{cid}/like")) >= 2
