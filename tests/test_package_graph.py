"""The package graph runs one way: a package imports only packages below it.

    schema | settings ← store ← layers ← access | twin ← participation | scenarios ← providers ← api ← ui | commands

Imports are read with ``ast`` from every module of the top-level packages, including imports inside
functions: a lazy import hides a cycle from the interpreter, not from a reader.  Each import that goes
upwards (or sideways, between packages of one rank) must be listed in ``KNOWN_UPWARD_IMPORTS`` with the
module that makes it; the list is strict both ways: a new upward import fails, and so does an entry that
no longer exists (remove it when the import is gone, so the list only shrinks).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Rank of each top-level package: a package may import packages of a lower rank only.
RANK = {
    "schema": 0,  # the application's schema (layer catalogue): imports nothing of ours
    "settings": 0,  # settings from the environment (BUERGERGIS_*): imports nothing of ours
    "store": 1,  # stores (GeoPackage, PostGIS) and CRS helpers; reads the schema
    "layers": 2,  # importers of XPlanung, CityGML, OSM, vector files and address lists
    "access": 3,  # sessions, tokens, OIDC: rules over the store
    "twin": 3,  # city model and indicators over frames
    "intake": 3,  # checks of incoming features and process inputs, their errors and messages (issue 15)
    "participation": 4,  # procedures, statements, notifications
    "scenarios": 4,  # scenario engine and studio over the twin
    "providers": 5,  # pygeoapi providers over the stores
    "api": 6,  # the OGC API and the JSON endpoints
    "ui": 7,  # the Dash portal
    "commands": 8,  # applications over the whole stack: the command line, the demo loader, the portal (API + UI)
}

#: Imports that go against the ranks: (importing module, imported module) -> why, and the way out. None are left
#: (when this test was written all nine packages formed one import cycle); an entry needs a reason to exist.
KNOWN_UPWARD_IMPORTS: dict[tuple[str, str], str] = {}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Absolute module names imported anywhere in ``path`` (relative imports stay in their package)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


@lru_cache(maxsize=1)
def _package_imports() -> dict[tuple[str, str], list[str]]:
    """(importing module, imported module of another project package) -> [file:line, ...]."""
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for package in RANK:
        for path in sorted((ROOT / package).rglob("*.py")):
            source = _module_name(path)
            for target in _imports(path):
                top = target.split(".")[0]
                if top in RANK and top != package:
                    edges[(source, target)].append(str(path.relative_to(ROOT)))
    return edges


def _upward(edges) -> set[tuple[str, str]]:
    return {(source, target) for source, target in edges if RANK[target.split(".")[0]] >= RANK[source.split(".")[0]]}


def test_every_top_level_package_has_a_rank():
    packages = {p.name for p in ROOT.iterdir() if (p / "__init__.py").is_file() and p.name not in ("tests",)}
    packages -= {"benchmarks"}  # tools that drive the whole application from outside
    assert packages <= set(RANK), f"place the new package(s) in RANK: {sorted(packages - set(RANK))}"


def test_no_new_upward_import():
    new = sorted(_upward(_package_imports()) - set(KNOWN_UPWARD_IMPORTS))
    assert not new, f"imports against the package order (a package imports only packages below it; see RANK): {new}"


def test_known_upward_imports_still_exist():
    gone = sorted(set(KNOWN_UPWARD_IMPORTS) - _upward(_package_imports()))
    assert not gone, f"these imports are gone: remove them from KNOWN_UPWARD_IMPORTS: {gone}"


def test_package_graph_without_the_known_exceptions_is_acyclic():
    graph: dict[str, set[str]] = defaultdict(set)
    for source, target in set(_package_imports()) - set(KNOWN_UPWARD_IMPORTS):
        graph[source.split(".")[0]].add(target.split(".")[0])
    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                raise AssertionError(f"import cycle: {' → '.join([*path, node, nxt])}")
            if nxt not in state:
                visit(nxt, [*path, node])
        state[node] = "done"

    for package in RANK:
        if package not in state:
            visit(package, [])
