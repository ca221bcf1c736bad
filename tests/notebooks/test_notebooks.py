"""The planner notebooks in notebooks/ run top to bottom against a live API.

Every notebook reads the API root from ``BUERGERGIS_API`` and asserts in its own
cells, so a broken API or a broken notebook fails here.  Executed copies are
written to ``test-artifacts/notebooks/`` (gitignored) for inspection.

They run against the session's GeoPackage server in ``./dev test`` and against the
PostGIS one in ``./dev heavy`` (a notebook is a client of the API; that the API
answers alike on both stores is the API tests' part, tests/api/).

03_beitraege also runs against the contributions server after a few contributions of every
kind were moderated there, so its analyses (not only its "no contributions yet" branch) are
exercised: tests/contributions/test_notebook_contributions.py (that server's fixture lives there).
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from tests.conftest import ARTIFACTS, ROOT

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


@pytest.mark.parametrize("api_server", ["geopackage", pytest.param("postgis", marks=pytest.mark.heavy)], indirect=True)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(api_server, path):
    nb = execute(path, api_server.api, api_server.backend)
    assert not any(o.get("output_type") == "error" for c in nb.cells for o in c.get("outputs", []))
