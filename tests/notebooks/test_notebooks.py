"""The planner notebooks in notebooks/ run top to bottom against a live API, on both stores.

Every notebook reads the API root from ``BUERGERGIS_API`` and asserts in its own
cells, so a broken API or a broken notebook fails here.  Executed copies are
written to ``test-artifacts/notebooks/`` (gitignored) for inspection.

03_beitraege also runs against a server holding a few approved contributions,
so its analyses (not only its "no contributions yet" branch) are exercised.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import nbformat
import pytest
import requests
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from tests.conftest import ARTIFACTS, ROOT, LiveServer

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
OUT = ARTIFACTS / "notebooks"
CELL_TIMEOUT = 180


def execute(path: Path, api: str, suffix: str) -> nbformat.NotebookNode:
    """Run a notebook (cwd notebooks/, kernel python3) against ``api``; save the executed copy."""
    nb = nbformat.read(path, as_version=4)
    previous = os.environ.get("BUERGERGIS_API")
    os.environ["BUERGERGIS_API"] = api  # the kernel inherits the environment
    OUT.mkdir(parents=True, exist_ok=True)
    try:
        NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    except CellExecutionError as err:
        pytest.fail(f"{path.name} failed against {api}:\n{str(err)[-4000:]}", pytrace=False)
    finally:
        nbformat.write(nb, OUT / f"{path.stem}.{suffix}.ipynb")
        if previous is None:
            os.environ.pop("BUERGERGIS_API", None)
        else:
            os.environ["BUERGERGIS_API"] = previous
    return nb


def text_output(nb: nbformat.NotebookNode) -> str:
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                parts.append(out["text"])
            elif "data" in out:
                parts.append(out["data"].get("text/plain", ""))
    return "\n".join(parts)


def test_notebooks_exist():
    assert {p.name for p in NOTEBOOKS} >= {
        "01_plaene_und_gebaeude.ipynb", "02_szenarien.ipynb", "03_beitraege.ipynb"}
    for path in NOTEBOOKS:  # committed without outputs, and no hard-coded server address
        nb = nbformat.read(path, as_version=4)
        assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), f"{path.name} has outputs"
        source = "\n".join(c.source for c in nb.cells)
        assert "127.0.0.1" not in source and "BUERGERGIS_API" in source, path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(api_server, path):
    nb = execute(path, api_server.api, api_server.backend)
    assert not any(o.get("output_type") == "error" for c in nb.cells for o in c.get("outputs", []))


# ----------------------------------------------------------------------------- contributions

MODERATOR_TOKEN = "test-notebook-moderator"
MODERATOR = {"Authorization": f"Bearer {MODERATOR_TOKEN}"}

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


@pytest.fixture(scope="module")
def contributions_server(tmp_path_factory):
    """A GeoPackage server with a few contributions of every kind, moderated through the API."""
    from commands.demo import load_demo
    from settings import Settings

    data_dir = tmp_path_factory.mktemp("notebook-contributions")
    store = str(data_dir / "store.gpkg")
    load_demo(Settings(store=store, data_dir=data_dir))
    server = LiveServer(store, data_dir, extra_env={"BUERGERGIS_UI": "0",
                                                     "BUERGERGIS_MODERATOR_TOKEN": MODERATOR_TOKEN})
    try:
        collections = requests.get(f"{server.api}/collections", params={"f": "json"}, timeout=20).json()
        assert "contributions" in {c["id"] for c in collections["collections"]}
        plan = requests.get(f"{server.api}/collections/bp_plan/items", params={"f": "json", "limit": 1},
                            timeout=20).json()["features"][0]["id"]
        public = 0
        for i, (kind, lon, lat, statuses) in enumerate(SEED):
            props = {"kind": kind, "text": f"Testbeitrag {i} ({kind})"}
            if kind == "maengelmeldung":
                props["category"] = "strasse"
            if i % 2 == 0:
                props["plan_id"] = plan
            body = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": props}
            r = requests.post(f"{server.api}/collections/contributions/items", data=json.dumps(body),
                              headers={"Content-Type": "application/geo+json", **MODERATOR}, timeout=20)
            assert r.status_code == 201, r.text[:500]
            cid = r.headers["Location"].rsplit("/", 1)[-1]
            for status in statuses:
                r = requests.post(f"{server.url}/api/contributions/{cid}/status", json={"status": status},
                                  headers=MODERATOR, timeout=20)
                assert r.status_code == 200, r.text[:500]
            public += bool(statuses) and statuses[-1] in PUBLIC
        server.public_contributions = public
        yield server
    finally:
        server.stop()


def test_contributions_notebook_analyses_real_contributions(contributions_server):
    path = ROOT / "notebooks" / "03_beitraege.ipynb"
    nb = execute(path, contributions_server.api, "with-contributions")
    text = text_output(nb)
    n = contributions_server.public_contributions
    assert f"{n} öffentliche Beiträge (numberMatched = {n})" in text, text[:2000]
    assert "ist leer" not in text and "keine Dichtekarte" not in text.lower()
    assert "maengelmeldung" in text and "vorschlag" in text
    images = sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))
    assert images >= 3, "kind/status bars, weekly chart and density map"
    assert str(datetime.now(UTC).year) in text  # the weekly table names this year's week
