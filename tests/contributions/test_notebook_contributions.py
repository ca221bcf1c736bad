"""The planners' notebook 03_beitraege analyses real contributions: run top to bottom against the contributions
server (tests/contributions/conftest.py; no server of its own) after a few contributions of every kind were
moderated there. Its other tests' contributions are there too: the count the notebook must report is the public
ones before plus the public ones of SEED. (Every notebook's plain run: tests/notebooks/test_notebooks.py.)"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import requests

from tests.conftest import ROOT
from tests.contributions.common import MODERATOR
from tests.notebooks.test_notebooks import execute, text_output

#: (kind, lon, lat, statuses set by the moderator); the points lie in the demo plans (Hamburg-Langenhorn).
SEED = [
    ("kommentar", 10.000, 53.670, ["freigegeben"]),
    ("kommentar", 10.001, 53.671, ["freigegeben"]),
    ("vorschlag", 10.002, 53.672, ["freigegeben"]),
    ("vorschlag", 10.010, 53.675, ["freigegeben"]),
    ("maengelmeldung", 10.005, 53.668, ["in_bearbeitung"]),
    ("maengelmeldung", 10.012, 53.677, ["in_bearbeitung", "erledigt"]),
    ("kommentar", 10.003, 53.673, ["abgelehnt"]),  # not public
    ("kommentar", 10.004, 53.674, []),  # pending, not public
]
PUBLIC = {"freigegeben", "in_bearbeitung", "erledigt"}


def _public_count(server) -> int:
    r = requests.get(
        f"{server.api}/collections/contributions/items", params={"f": "json", "resulttype": "hits"}, timeout=20
    )
    assert r.status_code == 200, r.text[:500]
    return r.json()["numberMatched"]


def _seed_contributions(server) -> int:
    """SEED through the API, moderated through its status route; returns how many became public."""
    public = 0
    for i, (kind, lon, lat, statuses) in enumerate(SEED):
        props = {"kind": kind, "text": f"Testbeitrag {i} ({kind}) für das Notebook"}
        if kind == "maengelmeldung":
            props["category"] = "strasse"
        if i % 2 == 0:
            props["plan_id"] = server.plans["open"]
        body = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": props}
        r = requests.post(
            f"{server.api}/collections/contributions/items",
            data=json.dumps(body),
            headers={"Content-Type": "application/geo+json", **MODERATOR},
            timeout=20,
        )
        assert r.status_code == 201, r.text[:500]
        cid = r.headers["Location"].rsplit("/", 1)[-1]
        for status in statuses:
            r = requests.post(
                f"{server.url}/api/contributions/{cid}/status", json={"status": status}, headers=MODERATOR, timeout=20
            )
            assert r.status_code == 200, r.text[:500]
        public += bool(statuses) and statuses[-1] in PUBLIC
    return public


@pytest.mark.parametrize("contrib_server", ["geopackage"], indirect=True)
def test_contributions_notebook_analyses_real_contributions(contrib_server):
    before = _public_count(contrib_server)
    n = before + _seed_contributions(contrib_server)
    path = ROOT / "notebooks" / "03_beitraege.ipynb"
    nb = execute(path, contrib_server.api, "with-contributions")
    text = text_output(nb)
    assert f"{n} öffentliche Beiträge (numberMatched = {n})" in text, text[:2000]
    assert "ist leer" not in text and "keine Dichtekarte" not in text.lower()
    assert "maengelmeldung" in text and "vorschlag" in text
    images = sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))
    assert images >= 3, "kind/status bars, weekly chart and density map"
    assert str(datetime.now(UTC).year) in text  # the weekly table names this year's week
