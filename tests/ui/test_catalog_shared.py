"""The plan catalogue stays on the server; the browser keeps a summary of a fixed, small size.

Against the live portal over the demo plans (real OGC API, no stand-ins). Why: a city's catalogue
runs to megabytes, and Dash sends a store's data with every callback that reads it (over the
request size limit at ~250 plans: the 3D camera, the panel and the list stopped working).
"""

from __future__ import annotations

import json

from ui.api import ApiClient
from ui.catalog import SharedCatalog, summary_of


def test_the_browser_gets_a_summary_and_callbacks_the_full_catalogue(ui_server):
    client = ApiClient(ui_server.api)
    shared = SharedCatalog(client)
    summary = shared.refresh()
    plans = client.count("bp_plan")
    assert plans and summary["plans"] == plans and summary["has_contributions"] is True
    assert summary["bbox"] and summary["version"]
    assert set(summary) == {"version", "loaded_at", "bbox", "has_contributions", "plans", "errors"}
    full = shared.resolve(summary)
    assert full["version"] == summary["version"] and len(full["plans"]) == plans
    assert full["zones"] and full["texts"] and all(z.get("bbox") for z in full["zones"])
    assert len(json.dumps(summary)) < 1000 < len(json.dumps(full))
    assert shared.resolve({}) == {} and shared.resolve(None) == {}


def test_another_process_loads_the_catalogue_the_summary_names(ui_server):
    """Under gunicorn the page's summary may come from one worker and a callback reach another."""
    page = SharedCatalog(ApiClient(ui_server.api)).refresh()
    other = SharedCatalog(ApiClient(ui_server.api))  # a fresh worker: nothing loaded yet
    full = other.resolve(page)
    assert full["version"] == page["version"]  # the same data gives the same version everywhere
    assert other.resolve({"version": "outdated"})["version"] == page["version"]


def test_summary_size_does_not_grow_with_the_city():
    zones = [
        {"id": f"z{i}", "plan_id": f"p{i // 12}", "bbox": [[53.5, 9.9], [53.6, 10.0]], "art_code": "WA"}
        for i in range(60_000)
    ]
    catalog = {
        "plans": [{"id": f"p{i}"} for i in range(5_000)],
        "zones": zones,
        "texts": [],
        "bbox": [[53.5, 9.9], [53.8, 10.4]],
        "version": "v",
        "has_contributions": True,
    }
    assert len(json.dumps(summary_of(catalog))) < 300 and summary_of(catalog)["plans"] == 5_000


def test_the_catalogue_is_read_whole_page_by_page_and_at_most_twice_a_minute(ui_server):
    """No truncation at a page's limit (a city's 45,000 zones), and not one read per visitor."""
    client = ApiClient(ui_server.api)
    zones = client.count("bp_baugebiet")
    paged = client.all_items("bp_baugebiet", page=7)  # pages of 7: many requests, every zone once
    assert len(paged) == zones > 7 and len({f["id"] for f in paged}) == zones

    calls = []
    original = client.get_json

    def counting(path, *args, **kwargs):
        calls.append(path)
        return original(path, *args, **kwargs)

    client.get_json = counting
    shared = SharedCatalog(client)
    first = shared.refresh()
    reads = len(calls)
    assert reads >= 4 and shared.refresh() == first and len(calls) == reads  # a second visitor: no reading
    newer = shared.refresh(max_age=0)
    assert len(calls) > reads and newer["version"] == first["version"] and newer["loaded_at"] > first["loaded_at"]
    # a page loaded before the newer copy: its callbacks get the newer copy, without reading again
    reads = len(calls)
    assert shared.resolve(first)["loaded_at"] == newer["loaded_at"] and len(calls) == reads
