"""A portal factory for the tests: a process that has imported the libraries a portal needs, and forks a fresh
``python -m commands.serve`` for each LiveServer.

A run starts about 30 portals; each spent some 1.5 s of CPU importing pandas, geopandas, shapely, pygeoapi, Dash
and Flask before it read its own settings. Forked from here a portal still reads its environment, its
pygeoapi configuration and our packages itself (nothing of ours is imported here: a portal must not inherit a
configuration read at import), so it behaves as one started by ``python -m`` -- only sooner.

Protocol: one JSON line per portal on stdin (``module``, ``args``, ``env``, ``cwd``, ``log``); the answer is the
new process's id on a line of stdout. Children are reaped here (SIGCHLD ignored), so a LiveServer sees its
portal gone once ``os.kill(pid, 0)`` fails. Started by tests/conftest.py, one per pytest worker.
"""

from __future__ import annotations

import importlib
import json
import os
import runpy
import signal
import sys
import traceback

#: What the portal's own modules import first (``python -X importtime``), heaviest first. None of these reads
#: the portal's environment at import; ``pygeoapi.flask_app`` and ``pygeoapi.starlette_app`` do and are left out.
PRELOAD = (
    "pandas",
    "geopandas",
    "shapely",
    "pyproj",
    "numpy",
    "pygeofilter.parsers.cql2_text",
    "pygeofilter.parsers.cql2_json",
    "pygeoapi.util",
    "pygeoapi.plugin",
    "pygeoapi.provider.base",
    "pygeoapi.provider.rasterio_",
    "pygeoapi.api",
    "pygeoapi.api.itemtypes",
    "pygeoapi.api.tiles",
    "pygeoapi.api.processes",
    "pygeoapi.api.coverages",
    "pygeoapi.openapi",
    "pygeoapi.process.manager",
    "flask",
    "werkzeug.serving",
    "dash",
    "dash_leaflet",
    "deckgl_dash",
    "pydantic",
    "pydantic_settings",
    "markdown_it",
    "limits",
    "yaml",
    "lxml.etree",
    "jinja2",
    "sqlalchemy",
    "psycopg2",
    "PIL.Image",
    "babel.dates",
    "dateparser",
)


def _serve(request: dict) -> None:
    """In the forked child: become the portal ``request`` asks for; never returns."""
    code = 1
    try:
        os.setsid()  # signals to the test's process group do not reach the portals
        log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the portal waits for its own children
        os.environ.clear()
        os.environ.update(request["env"])
        os.chdir(request["cwd"])
        sys.argv = [request["module"], *request["args"]]
        runpy.run_module(request["module"], run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    except BaseException:  # noqa: BLE001 - whatever ended the portal goes to its log, as python -m would print it
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    sys.exit(code)  # atexit runs (coverage writes its data), then the child ends


def main() -> None:
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:
            pass  # not installed: the portal imports what it needs itself
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _serve(request)
        print(pid, flush=True)


if __name__ == "__main__":
    main()
