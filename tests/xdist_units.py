"""Work units for pytest-xdist: which tests must run on the same worker, and in which order units go out.

``./dev test`` runs the suite on several workers (``-n auto --dist loadgroup``). A live server shared by the
session (``api_server``, ``contrib_server``, ...) starts a subprocess over a freshly imported store; if its
tests were spread over the workers, every worker would start its own copy. So all tests on one shared server
(and store) form one unit, and every other test stays with its module, whose module-scoped servers then
start once too. A test marked ``@pytest.mark.xdist_group("name")`` joins the unit ``name``.

pytest-xdist 3.8 marks a group by appending ``@group`` to the test's node id, which pytest 9.2 no longer
lets a plugin change (``Item.nodeid`` is read-only there). So each worker writes its test -> unit table to
a folder the controller gave it, and :class:`UnitScheduling` (xdist's own group scheduler) reads it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from xdist.scheduler import LoadGroupScheduling  # type: ignore[import-untyped]

#: Live servers shared by the whole session (fixture names).
SHARED_SERVERS = ("api_server", "contrib_server", "staff_server", "ui_server")
#: ``workerinput`` key: the folder where workers write their unit tables.
FOLDER_KEY = "buergergis_units"


def _fixtures(item: pytest.Item) -> list[str]:
    return getattr(item, "fixturenames", [])  # test functions have them; doctest items do not


def unit_of(item: pytest.Item) -> str:
    """The work unit of a test: its shared server (and store), an xdist_group mark, or its module."""
    for name in SHARED_SERVERS:
        if name in _fixtures(item):
            param = item.callspec.params.get(name) if hasattr(item, "callspec") else None
            return f"{name}-{param}" if param else name
    mark = item.get_closest_marker("xdist_group")
    if mark is not None:
        return str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
    return item.nodeid.split("::", 1)[0]


#: Units whose cost their count of tests does not tell (a long browser journey, a server of their own, a corpus):
#: seconds one of them took in ``./dev test`` on the 2-core machine (2026-12-06, under a load of about 10 from
#: other runs beside it; only the order matters). A long unit handed out last makes the run's tail: these go first.
MEASURED_SECONDS = {
    "ui_server": 390,
    "api_server-geopackage": 170,
    "tests/ui/test_browser_studio.py": 150,
    "contrib_server-geopackage": 130,
    "tests/api/test_xplan_complete.py": 100,
    "tests/scenarios/test_studio_api.py": 90,
    "tests/api/test_cql2_examples.py": 90,
    "contrib_server-postgis": 85,
    "tests/layers/test_cli.py": 65,
    "tests/api/test_feeds.py": 65,
    "tests/participation/test_notify.py": 60,
    "api_server-postgis": 60,
    "tests/contributions/test_workers.py": 60,
    "tests/ui/test_staff_views.py": 60,
    "tests/layers/test_xplan_export.py": 45,
    "tests/api/test_search.py": 40,
    "tests/api/test_openapi_document.py": 40,
    "tests/ui/test_injection_browser.py": 40,
    "tests/ui/test_browser_map_viewport.py": 35,
    "tests/scenarios/test_processes.py": 30,
    "staff_server-geopackage": 27,
}


def estimated_seconds(unit: list[pytest.Item]) -> float:
    """A rough cost of a unit, to hand out the long ones first: its measured seconds where known (above), else a
    shared server's start, and a browser test costs far more than one over HTTP or in-process."""
    measured = MEASURED_SECONDS.get(unit_of(unit[0]))
    if measured is not None:
        return float(measured)
    server = 15.0 if any(name in _fixtures(unit[0]) for name in SHARED_SERVERS) else 0.0
    return server + sum(8.0 if item.get_closest_marker("browser") else 0.3 for item in unit)


def order_and_record(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On a worker: put the units in order (longest first; pytest's own order within a unit) and write the
    test -> unit table for the controller. Outside xdist nothing changes."""
    workerinput: dict = getattr(config, "workerinput", {})
    folder = workerinput.get(FOLDER_KEY)
    if not folder:
        return
    units: dict[str, list[pytest.Item]] = {}
    for item in items:
        units.setdefault(unit_of(item), []).append(item)
    ordered = sorted(units.items(), key=lambda unit: -estimated_seconds(unit[1]))
    items[:] = [item for _, unit in ordered for item in unit]
    table = {item.nodeid: name for name, unit in ordered for item in unit}
    path = Path(folder) / f"{workerinput['workerid']}.json"
    path.with_suffix(".tmp").write_text(json.dumps(table), encoding="utf-8")
    os.replace(path.with_suffix(".tmp"), path)  # the controller never reads half a table


class UnitScheduling(LoadGroupScheduling):
    """xdist's group scheduler with the units the workers recorded (units go out in collection order when
    ``--no-loadscope-reorder`` is given, as ``./dev test`` does)."""

    def __init__(self, config: pytest.Config, log=None, folder: Path | None = None) -> None:
        super().__init__(config, log)
        self.folder = folder
        self.units: dict[str, str] | None = None

    def _split_scope(self, nodeid: str) -> str:
        if self.units is None:
            # every worker collected the same tests (xdist checks that before scheduling): read any table
            tables = sorted(self.folder.glob("*.json")) if self.folder else []
            self.units = json.loads(tables[0].read_text(encoding="utf-8")) if tables else {}
        return self.units.get(nodeid) or super()._split_scope(nodeid)
