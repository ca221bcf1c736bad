"""Many simultaneous writers: every 201 is exactly one stored row, ids are unique, nothing is lost."""

import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
import requests

from tests.conftest import ARTIFACTS
from tests.contributions.common import GEOJSON, MODERATOR, count_all, feature, items

THREADS = 40


# 40 writers at once with 2 POSTs each prove it on each store; 5 each (200 POSTs, the README's figure) is heavy.
@pytest.mark.parametrize("per_thread", [2, pytest.param(5, marks=pytest.mark.heavy)])
def test_simultaneous_posts_lose_and_duplicate_nothing(contrib_server, per_thread):
    run = uuid.uuid4().hex[:8]
    url = f"{contrib_server.api}/collections/contributions/items"
    before = count_all(contrib_server)
    barrier = Barrier(THREADS)

    def writer(thread: int) -> list[tuple[int, str | None]]:
        session = requests.Session()
        barrier.wait()
        out = []
        for n in range(per_thread):
            body = feature(
                text=f"conc-{run}-{thread}-{n}",
                geometry={"type": "Point", "coordinates": [10.0 + thread * 1e-4, 53.67 + n * 1e-4]},
            )
            r = session.post(url, data=json.dumps(body), headers=GEOJSON, timeout=60)
            out.append((r.status_code, r.headers.get("Location")))
        return out

    started = time.perf_counter()
    with ThreadPoolExecutor(THREADS) as pool:
        results = [x for chunk in pool.map(writer, range(THREADS)) for x in chunk]
    elapsed = time.perf_counter() - started

    statuses = [s for s, _ in results]
    assert all(s == 201 for s in statuses), sorted(set(statuses))
    created_ids = [loc.rsplit("/", 1)[-1] for _, loc in results]
    assert len(set(created_ids)) == len(created_ids) == THREADS * per_thread

    stored = items(contrib_server, MODERATOR, filter=f"text LIKE 'conc-{run}-%'")["features"]
    stored_ids = [f["id"] for f in stored]
    assert sorted(stored_ids) == sorted(created_ids)  # each 201 exactly one row
    assert len({f["properties"]["text"] for f in stored}) == THREADS * per_thread
    assert count_all(contrib_server) == before + THREADS * per_thread
    figures = {
        "backend": contrib_server.backend,
        "writers": THREADS,
        "posts_each": per_thread,
        "posts": len(results),
        "created_201": statuses.count(201),
        "rows_found": len(stored_ids),
        "seconds": round(elapsed, 2),
        "posts_per_second": round(len(results) / elapsed, 1),
    }
    (ARTIFACTS / f"contributions-concurrency-{contrib_server.backend}.json").write_text(json.dumps(figures, indent=2))
    print(figures)
