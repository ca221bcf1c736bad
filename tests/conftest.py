"""Session fixtures shared by all tests: the shared real data, a real PostGIS, live API servers.

PostGIS: a throwaway cluster is started for the session (store/local_postgis.py).
Where PostgreSQL/PostGIS cannot exist the PostGIS tests skip with the reason --
unless BUERGERGIS_REQUIRE_POSTGIS=1 (set by ./dev test, so CI never skips silently).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("BUERGERGIS_SHARED_DATA", ROOT.parent / "shared" / "data"))
SAMPLE = ROOT / "data" / "sample"
ARTIFACTS = ROOT / "test-artifacts"

#: Staff tokens of the test servers: long and irregular, as the servers' start-up check (access/tokens.py) demands
#: of every deployment; known to the tests only.
PLANNER_TOKEN = "test-planner-Zq8vR2mXk7LpT4wNc9Hb3Ys6"
MODERATOR_TOKEN = "test-moderator-Wj5dK8nQr3VyB6tLm2Px9Gf4"


def pytest_configure(config):
    global _templates_folder
    ARTIFACTS.mkdir(exist_ok=True)
    from tests.xdist_units import FOLDER_KEY

    # the demo stores' templates lie in the run's folder, which every worker knows (see demo_store)
    workerinput = getattr(config, "workerinput", None)
    _templates_folder = Path(workerinput[FOLDER_KEY]) if workerinput else _units_folder(config)


def pytest_unconfigure(config):
    folder = getattr(config, "_buergergis_units", None)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)


# -- several workers (pytest-xdist, ./dev test): tests on one shared server run on one worker, see xdist_units.py


def _units_folder(config) -> Path:
    if not hasattr(config, "_buergergis_units"):
        config._buergergis_units = Path(tempfile.mkdtemp(prefix="buergergis-units-"))
    return config._buergergis_units


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    from tests.xdist_units import FOLDER_KEY

    node.workerinput[FOLDER_KEY] = str(_units_folder(node.config))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "loadgroup":
        return None
    from tests.xdist_units import UnitScheduling

    return UnitScheduling(config, log, _units_folder(config))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After a module's last browser test, the worker's Chromium leaves the portal for a blank page: a 3D view left
    open kept ≈ 11 % of a core busy (software WebGL) while the worker went on with other modules."""
    browser = item.funcargs.get("browser") if hasattr(item, "funcargs") else None
    if browser is not None and (nextitem is None or nextitem.module is not item.module):
        try:
            browser.get("about:blank")
        except Exception:  # noqa: BLE001 - a browser that is gone already needs no blank page
            pass
    return (yield)


@pytest.hookimpl(trylast=True)  # after pytest has ordered the tests by their fixtures
def pytest_collection_modifyitems(config, items):
    if hasattr(config, "workerinput"):
        from tests.xdist_units import order_and_record

        order_and_record(config, items)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.fail(f"shared data not found at {SHARED_DATA} (set BUERGERGIS_SHARED_DATA)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def postgis():
    """A running PostGIS server for the whole session; yields its LocalPostGIS."""
    from store.local_postgis import LocalPostGIS, PostGISUnavailable

    try:
        server = LocalPostGIS(durable=False).start()  # commits not flushed to disk: 519 PostGIS tests 5 s faster
    except PostGISUnavailable as err:
        if os.environ.get("BUERGERGIS_REQUIRE_POSTGIS") == "1":
            pytest.fail(f"PostGIS is required here but unavailable: {err}")
        pytest.skip(f"PostGIS unavailable: {err}")
    # Per-test databases are copied from a template nobody connects to (PostgreSQL refuses to
    # copy a database in use, and the session's live servers use the main one).
    import psycopg2

    admin = psycopg2.connect(server.url)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{TEMPLATE_DB}"')
    admin.close()
    template = psycopg2.connect(server.url.rsplit("/", 1)[0] + f"/{TEMPLATE_DB}")
    template.autocommit = True
    with template.cursor() as cur:
        cur.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    template.close()
    yield server
    server.stop()


TEMPLATE_DB = "template_buergergis"
_db_counter = iter(range(1, 10_000))


def fresh_postgis_database(postgis, name: str | None = None) -> str:
    """Create an empty PostGIS database (copied from the unused template); return its URL."""
    import psycopg2

    name = name or f"t{next(_db_counter)}"
    admin = psycopg2.connect(postgis.url)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE_DB}"')
    admin.close()
    return postgis.url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture
def postgis_url(postgis) -> str:
    """A fresh, empty PostGIS database per test."""
    return fresh_postgis_database(postgis)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _ForkedProcess:
    """The part of ``subprocess.Popen`` LiveServer uses, for a portal forked by tests/forkserver.py (which reaps
    it: once it has ended, the process id is gone; its exit status is in its log, not here)."""

    def __init__(self, pid: int):
        self.pid = pid

    def poll(self) -> int | None:
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return 0
        return None

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"portal {self.pid}", timeout or 0)
            time.sleep(0.05)
        return 0

    def _signal(self, number: int) -> None:
        try:
            os.kill(self.pid, number)
        except ProcessLookupError:
            pass

    def terminate(self) -> None:
        self._signal(signal.SIGTERM)

    def kill(self) -> None:
        self._signal(signal.SIGKILL)


_forkserver: subprocess.Popen | None = None


def _forked_portal(env: dict, log: Path) -> _ForkedProcess:
    """``python -m commands.serve`` with ``env``, forked by this worker's portal factory (tests/forkserver.py,
    started on first use)."""
    global _forkserver
    if _forkserver is None or _forkserver.poll() is not None:
        _forkserver = subprocess.Popen(
            [sys.executable, "-m", "tests.forkserver"],
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
    request = {"module": "commands.serve", "args": [], "env": env, "cwd": str(ROOT), "log": str(log)}
    _forkserver.stdin.write(json.dumps(request) + "\n")
    _forkserver.stdin.flush()
    return _ForkedProcess(int(_forkserver.stdout.readline()))


#: How often a LiveServer chooses another port when the one it chose was taken meanwhile.
PORT_ATTEMPTS = 3
#: What the one-process server and gunicorn say when their port is taken.
PORT_TAKEN = ("Address already in use", "Connection in use")


class _PortTaken(RuntimeError):
    """The portal could not bind the port chosen for it."""


class LiveServer:
    """``python -m commands.serve`` in a subprocess (pygeoapi reads one config per process).

    With ``workers`` the portal runs as a city deploys it: ``gunicorn -w N -k gthread --preload
    'commands.portal:create_app()'`` (API only, unless ``ui``), each request's worker pid in ``data_dir/access.log``.
    """

    def __init__(self, store: str, data_dir: Path, extra_env: dict | None = None, workers: int = 0, ui: bool = False):
        self.store = store
        self.data_dir = data_dir
        # A port free when chosen may be taken before the portal binds it (another process's outgoing connection
        # gets it as its ephemeral port): then the portal is started again on another one.
        for attempt in range(1, PORT_ATTEMPTS + 1):
            try:
                self._start(extra_env, workers, ui)
                return
            except _PortTaken:
                if attempt == PORT_ATTEMPTS:
                    raise

    def _start(self, extra_env: dict | None, workers: int, ui: bool) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.api = f"{self.url}/oapi"
        env = {
            **os.environ,
            "BUERGERGIS_STORE": self.store,
            "BUERGERGIS_DATA_DIR": str(self.data_dir),
            "BUERGERGIS_PUBLIC_URL": self.url,
            "BUERGERGIS_PORT": str(self.port),
            "BUERGERGIS_PLANNER_TOKEN": PLANNER_TOKEN,
            "PYTHONUNBUFFERED": "1",
            # the suites write hundreds of times a minute from one address; tests/contributions/test_limits.py
            # switches the abuse limits on
            "BUERGERGIS_LIMIT_ENABLED": "0",
            **(extra_env or {}),
        }
        self.log = open(self.data_dir / "server.log", "w")  # noqa: SIM115 - the server writes to it until stop()
        self.proc: subprocess.Popen | _ForkedProcess
        if workers:
            from api.production import gthread_command

            env["BUERGERGIS_UI"] = "1" if ui else "0"
            command = gthread_command(
                "commands.portal:create_app()",
                workers,
                f"127.0.0.1:{self.port}",
                "--access-logfile",
                str(self.data_dir / "access.log"),
                "--access-logformat",
                "%(p)s %(m)s %(U)s %(s)s",
            )
            self.proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        else:
            self.proc = _forked_portal(env, self.data_dir / "server.log")
        self._wait()

    def _wait(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                log = (self.data_dir / "server.log").read_text()
                self.log.close()
                if any(said in log for said in PORT_TAKEN):
                    raise _PortTaken(f"port {self.port} taken")
                raise RuntimeError(f"server exited: {log[-3000:]}")
            try:
                if requests.get(f"{self.api}/?f=json", timeout=2).ok:
                    return
            except (requests.ConnectionError, requests.Timeout):
                pass
            time.sleep(0.05)  # a refused connection costs nothing; each portal start waited 0.15 s more on average
        self.stop()
        raise RuntimeError(f"server did not start: {(self.data_dir / 'server.log').read_text()[-3000:]}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


# -- demo stores: each kind is imported once per session and copied for every fixture that asks for it -----------
#
# Reading and checking the XPlanGML files is most of a fixture's set-up (1-2 s of CPU each, some 30 fixtures a run).
# A GeoPackage template is one file shared by the xdist workers (made under a file lock by the first that needs it);
# PostGIS copies a database with CREATE DATABASE ... TEMPLATE inside the worker's own cluster.

#: kind -> what the store holds: "plans" just the demo plans; "demo" what ``./dev demo`` loads (plans, synthetic
#: buildings, the two stored variants, the open procedure); "berlin" that plus the real Berlin CityGML buildings.
DEMO_KINDS = ("plans", "demo", "berlin")
_templates_folder: Path | None = None
_postgis_templates: dict[tuple[str, str], tuple[str, Path]] = {}


def _templates() -> Path:
    global _templates_folder
    if _templates_folder is None:
        _templates_folder = Path(tempfile.mkdtemp(prefix="buergergis-templates-"))
    return _templates_folder


def _build_demo(kind: str, url: str, data_dir: Path) -> None:
    from commands.demo import demo_plan_files, load_demo
    from layers.importing import import_layer_frames, import_xplan_files
    from settings import Settings
    from store.base import open_store

    if kind == "plans":
        store = open_store(url)
        try:
            store.create_schema()
            import_xplan_files(store, demo_plan_files(), raster_dir=data_dir / "rasters")
        finally:
            store.close()
        return
    load_demo(Settings(store=url, data_dir=data_dir))
    if kind == "berlin":
        from layers.citygml import read_citygml

        store = open_store(url)
        try:
            for path in sorted((SHARED_DATA / "citygml-berlin-mitte").glob("*.gml")):
                import_layer_frames(store, read_citygml(path, epsg=store.epsg), source=f"citygml:{path.name}")
        finally:
            store.close()


def _geopackage_template(kind: str) -> Path:
    """The template's folder (``store.gpkg`` and ``rasters/``), made by the first worker that asks for it."""
    import fcntl
    import sqlite3

    folder = _templates() / f"demo-{kind}"
    with open(_templates() / f"demo-{kind}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / "ready").exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            _build_demo(kind, str(folder / "store.gpkg"), folder)
            with sqlite3.connect(folder / "store.gpkg") as conn:  # one self-contained file to copy
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            (folder / "ready").touch()
    return folder


def _replace_database(cluster: str, name: str, template: str | None = None) -> None:
    """Drop the database ``name`` of ``cluster`` (a server URL without database) if it exists, and create it anew,
    empty or as a copy of ``template``."""
    import psycopg2

    admin = psycopg2.connect(f"{cluster}/postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cur.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    admin.close()


def _postgis_template(url: str, kind: str) -> tuple[str, Path]:
    """(database name, folder of its plan images) of the template in the cluster of ``url``; made once per worker
    and cluster, and nobody stays connected to it."""
    import psycopg2

    cluster = url.rsplit("/", 1)[0]
    if (cluster, kind) not in _postgis_templates:
        name = f"template_demo_{kind}"
        folder = _templates() / f"postgis-{kind}-{os.getpid()}-{len(_postgis_templates)}"
        folder.mkdir()
        _replace_database(cluster, name)
        with psycopg2.connect(f"{cluster}/{name}") as conn, conn.cursor() as cur:
            cur.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        conn.close()
        _build_demo(kind, f"{cluster}/{name}", folder)
        _postgis_templates[(cluster, kind)] = (name, folder)
    return _postgis_templates[(cluster, kind)]


def demo_store(kind: str, url: str, raster_dir: Path) -> None:
    """Make the store at ``url`` (a GeoPackage path, or a database of a local PostGIS cluster: replaced) hold the
    demo ``kind`` (DEMO_KINDS), its plan images under ``raster_dir``; copied from the kind's template."""
    assert kind in DEMO_KINDS, kind
    if not url.startswith("postgresql"):
        template = _geopackage_template(kind)
        shutil.copyfile(template / "store.gpkg", url)
    else:
        name, template = _postgis_template(url, kind)
        _replace_database(*url.rsplit("/", 1), template=name)
    if (template / "rasters").is_dir():
        shutil.copytree(template / "rasters", raster_dir, dirs_exist_ok=True)


def import_demo_plans(url: str, raster_dir: Path) -> None:
    """The store at ``url`` holds just the demo plans (no buildings), their images under ``raster_dir``."""
    demo_store("plans", url, raster_dir)


def load_demo_store(store_url: str, data_dir: Path) -> None:
    """The demo (plans, buildings, variants, procedure) plus the real Berlin CityGML buildings, as the API tests
    expect them."""
    demo_store("berlin", store_url, data_dir / "rasters")


def load_demo_copy(store_url: str, data_dir: Path) -> None:
    """What ``./dev demo`` loads (``commands.demo.load_demo``) into the store at ``store_url``."""
    demo_store("demo", store_url, data_dir / "rasters")


def store_with_demo_plans(request, tmp_path: Path) -> str:
    """A fresh store of the requested backend holding just the demo plans; returns its URL."""
    url = str(tmp_path / "store.gpkg") if request.param == "geopackage" else request.getfixturevalue("postgis_url")
    import_demo_plans(url, tmp_path / "rasters")
    return url


@pytest.fixture(scope="session", params=["geopackage", "postgis"])
def api_server(request, tmp_path_factory):
    """A live server over the demo data, once per store backend."""
    data_dir = tmp_path_factory.mktemp(f"api-{request.param}")
    if request.param == "geopackage":
        store = str(data_dir / "store.gpkg")
    else:
        store = fresh_postgis_database(request.getfixturevalue("postgis"))
    load_demo_store(store, data_dir)
    server = LiveServer(store, data_dir, extra_env={"BUERGERGIS_UI": "0"})  # the UI has its own tests
    server.backend = request.param
    yield server
    server.stop()


@pytest.fixture(scope="session")
def chromium_paths():
    chrome, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chrome and driver):
        if os.environ.get("BUERGERGIS_REQUIRE_BROWSER") == "1":
            pytest.fail("Debian's chromium and chromium-driver are required (apt-get install chromium chromium-driver)")
        pytest.skip("chromium/chromedriver not installed")
    return chrome, driver
