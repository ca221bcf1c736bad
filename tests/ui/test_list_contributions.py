"""The list view's contributions come from the API newest first, of one plan when filtered (real portal).

A city has 100,000 contributions: the list asks the API for the newest few thousand and says how
many there are in all, instead of reading an arbitrary first page.
"""

from __future__ import annotations

import json
import uuid

import requests

from tests.conftest import PLANNER_TOKEN
from ui.api import ApiClient
from ui.listview import newest_contributions

PLAN = "GML_0b83864b-3f47-4718-baa5-44b1101fc662"  # LA 22, one of the demo plans


def _public_contribution(server, text: str, plan_id: str | None) -> str:
    body = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [10.0, 53.67]},
        "properties": {
            "text": text,
            "kind": "maengelmeldung",
            "category": "strasse",
            **({"plan_id": plan_id} if plan_id else {}),
        },
    }
    r = requests.post(
        f"{server.api}/collections/contributions/items",
        data=json.dumps(body),
        headers={"Content-Type": "application/geo+json"},
        timeout=20,
    )
    assert r.status_code == 201, r.text[:300]
    cid = r.headers["Location"].rsplit("/", 1)[-1]
    r = requests.post(
        f"{server.url}/api/contributions/{cid}/status",
        json={"status": "in_bearbeitung"},
        headers={"Authorization": f"Bearer {PLANNER_TOKEN}"},
        timeout=20,
    )  # public from now on
    assert r.status_code == 200, r.text[:300]
    return cid


def test_newest_contributions_first_and_the_total(ui_server):
    run = uuid.uuid4().hex[:6]
    ids = [_public_contribution(ui_server, f"Liste {run} {k}", PLAN if k % 2 else None) for k in range(4)]
    client = ApiClient(ui_server.api)
    newest, total = newest_contributions(client, limit=2)
    assert [f["id"] for f in newest] == [ids[3], ids[2]]
    assert total is not None and total >= 4
    of_plan, plan_total = newest_contributions(client, PLAN, limit=1)
    assert [f["id"] for f in of_plan] == [ids[3]] and 2 <= plan_total < total
    assert all(f["properties"]["plan_id"] == PLAN for f in newest_contributions(client, PLAN)[0])
