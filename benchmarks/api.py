"""OGC API benchmark at city scale: our API vs tipg vs raw SQL vs the embedded GeoPackage store.

``python -m benchmarks.api [--buildings 400000] [--clients 1 4] [--requests 40] …``

One PostGIS (a throwaway cluster from ``store/local_postgis.py``, or ``--pg URL``) is
filled by :mod:`benchmarks.generate`; the same synthetic city goes into a GeoPackage
(``var/bench/city-<n>.gpkg``, kept between runs). Then, on the same data:

* **ours**: ``python -m commands.serve`` (``BUERGERGIS_UI=0``) on PostGIS, and with
  ``--gunicorn N`` also ``gunicorn -w N --preload 'commands.portal:create_app()'``;
* **tipg**: ``uvicorn tipg.main:app`` on the same database (``public`` schema);
* **raw SQL**: psycopg2 in this process, one statement that builds the same answer
  (``json_build_object``/``json_agg(ST_AsGeoJSON(t.*))``, ``ST_AsMVT``) — the floor;
* **ours (GeoPackage)**: ``python -m commands.serve`` on the GeoPackage file;
* with ``--gunicorn N`` also **raw SQL via HTTP**: the raw SQL statement behind a bare WSGI
  app under the same gunicorn (:mod:`benchmarks.raw_http`; items with bbox only) — the
  HTTP floor, so the table shows what HTTP costs and what pygeoapi adds.

Queries (the same request sequence for every target): ``items?limit=1000`` with a
bbox (2 km × 2 km windows spread over the city, ~2 200 matches each), the same with
a CQL2 filter (``storeys >= 3 AND function = 'Wohnhaus'``), a single item by id, and
MVT tiles of ``buildings`` at z14 and z16 (WebMercatorQuad). Output is CRS84
(lon/lat) everywhere. Raw SQL uses the bbox exactly as pygeoapi does (two corners
transformed to EPSG:25832, ``ST_Intersects``) so it returns the same rows as ours;
tipg transforms the whole CRS84 envelope and may differ by a few rows at the edges
(the "rows" line says so).

Each cell runs ``--requests`` requests (after 2 unmeasured warm-ups) from ``c``
client threads (``requests.Session`` each), or stops at ``--cap`` seconds; p50/p95
are per-request latencies, req/s is requests over wall time. The table gives every
p50 as a ratio to ours on PostGIS. The header prints the machine's load and the busiest
other processes: the figures are only comparable within one run.

PostgreSQL settings: ``max_parallel_workers_per_gather`` (``--pg-parallel``, default 0)
and ``jit = off`` are set for the whole database, for every target alike (JIT compiling
costs ~15 ms once a statement's cost estimate passes ``jit_above_cost``; our providers
switch it off for their own sessions in any case). Launching a parallel worker costs
~20 ms on a small machine, more than these queries take; a server answering many small
requests at once gains nothing from it.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / "var" / "bench"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
WINDOW_M = 2000.0
CQL = "storeys >= 3 AND function = 'Wohnhaus'"
CQL_SQL = "storeys >= 3 AND function = 'Wohnhaus'"
QUERIES = {
    "items_bbox": "items?limit=1000&bbox",
    "items_cql": "items?limit=1000&bbox&filter",
    "item": "items/{id}",
    "tile_z14": "tiles z14",
    "tile_z16": "tiles z16",
}


def say(*args) -> None:
    print(*args, file=sys.stderr, flush=True)


def run_timed(main) -> None:
    """Run a benchmark's ``main()`` as a script: its tables, then how long it took, then its exit code."""
    started = time.perf_counter()
    code = main()
    print(f"({time.perf_counter() - started:.0f} s)")
    sys.exit(code)


# -- the request sequence ----------------------------------------------------------------------------


@dataclass
class Workload:
    """Deterministic windows, ids and tiles over the synthetic city."""

    bboxes_crs84: list[tuple[float, float, float, float]]
    bboxes_storage: list[tuple[float, float, float, float]]
    ids: list[str]
    tiles: dict[int, list[tuple[int, int]]]  # zoom -> [(x, y)]

    @classmethod
    def for_city(cls, buildings: int, n: int = 32, seed: int = 7) -> Workload:
        from pyproj import Transformer

        from benchmarks.generate import City

        city = City.for_buildings(buildings)
        minx, miny, maxx, maxy = city.extent
        rng = np.random.default_rng(seed)
        span_x, span_y = max(maxx - minx - WINDOW_M, 0.0), max(maxy - miny - WINDOW_M, 0.0)
        x0 = minx + rng.uniform(0, 1, n) * span_x
        y0 = miny + rng.uniform(0, 1, n) * span_y
        to84 = Transformer.from_crs(25832, "OGC:CRS84", always_xy=True)
        from84 = Transformer.from_crs("OGC:CRS84", 25832, always_xy=True)
        boxes84, boxes_storage, tiles = [], [], {14: [], 16: []}
        for x, y in zip(x0, y0, strict=True):
            w = min(WINDOW_M, maxx - minx)
            lon0, lat0, lon1, lat1 = (round(v, 6) for v in to84.transform_bounds(x, y, x + w, y + w))
            boxes84.append((lon0, lat0, lon1, lat1))
            # as pygeoapi does it: the two corners, transformed
            a, b = from84.transform(lon0, lat0)
            c, d = from84.transform(lon1, lat1)
            boxes_storage.append((a, b, c, d))
            lon, lat = to84.transform(x + w / 2, y + w / 2)
            for z in tiles:
                tiles[z].append(lonlat_to_tile(lon, lat, z))
        count = max(buildings, 1)
        ids = [f"synthetic-building-{k:07d}" for k in rng.integers(0, count, n)]
        return cls(boxes84, boxes_storage, ids, tiles)


def lonlat_to_tile(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return x, y


# -- targets -------------------------------------------------------------------------------------------


class HttpTarget:
    """An OGC API server reached over HTTP."""

    def __init__(self, name: str, base: str, flavour: str, collection: str = "buildings"):
        self.name, self.base, self.flavour, self.collection = name, base.rstrip("/"), flavour, collection

    def url(self, query: str, i: int, w: Workload) -> str:
        k = i % len(w.ids)
        col = f"{self.base}/collections/{self.collection}"
        fmt = "&f=json" if self.flavour == "pygeoapi" else ""
        if query in ("items_bbox", "items_cql"):
            bbox = ",".join(f"{v:.6f}" for v in w.bboxes_crs84[k])
            url = f"{col}/items?limit=1000&bbox={bbox}{fmt}"
            if query == "items_cql":
                from urllib.parse import quote

                url += "&filter=" + quote(CQL) + ("&filter-lang=cql2-text" if self.flavour == "tipg" else "")
            return url
        if query == "item":
            return f"{col}/items/{w.ids[k]}" + ("?f=json" if self.flavour == "pygeoapi" else "")
        z = 14 if query == "tile_z14" else 16
        x, y = w.tiles[z][k]
        if self.flavour == "tipg":
            return f"{col}/tiles/WebMercatorQuad/{z}/{x}/{y}"
        return f"{col}/tiles/WebMercatorQuad/{z}/{y}/{x}?f=mvt"

    def caller(self, query: str, w: Workload):
        import requests

        if query not in getattr(self, "only", QUERIES):
            raise RuntimeError("n/a (only items?bbox)")
        session = requests.Session()

        def call(i: int) -> bytes:
            r = session.get(self.url(query, i, w), timeout=120)
            if r.status_code not in (200, 204):
                raise RuntimeError(f"{self.name} {query}: HTTP {r.status_code} {r.text[:200]}")
            return r.content

        return call


class SqlTarget:
    """The raw SQL floor: one statement per request, psycopg2, same rows and output CRS."""

    name = "raw SQL"

    def __init__(self, url: str, columns: list[str]):
        self.url = url
        cols = ", ".join(f'"{c}"' for c in columns)
        self.columns = cols
        page = (
            "SELECT json_build_object('type', 'FeatureCollection', 'features', "
            "coalesce(json_agg(ST_AsGeoJSON(t.*, 'geom', 9)::json), '[]'::json))::text FROM "
            f"(SELECT {cols}, ST_Transform(geom, 4326) AS geom FROM buildings "
            "WHERE ST_Intersects(geom, ST_MakeEnvelope(%s, %s, %s, %s, 25832)) {extra} "
            "ORDER BY id LIMIT 1000) t"
        )
        self.sql = {
            "items_bbox": page.replace("{extra}", ""),
            "items_cql": page.replace("{extra}", f"AND {CQL_SQL}"),
            "item": (
                f"SELECT ST_AsGeoJSON(t.*, 'geom', 9) FROM (SELECT {cols}, ST_Transform(geom, 4326) AS geom "
                "FROM buildings WHERE id = %s) t"
            ),
            "tile": (
                "SELECT ST_AsMVT(q, 'buildings', 4096, 'geom') FROM (SELECT "
                "ST_AsMVTGeom(ST_Transform(geom, 3857), ST_TileEnvelope(%s, %s, %s)) AS geom, "
                f"{cols} FROM buildings WHERE geom && ST_Transform(ST_TileEnvelope(%s, %s, %s), 25832)) q"
            ),
        }

    def statement(self, query: str, i: int, w: Workload) -> tuple[str, tuple]:
        k = i % len(w.ids)
        if query in ("items_bbox", "items_cql"):
            return self.sql[query], tuple(w.bboxes_storage[k])
        if query == "item":
            return self.sql["item"], (w.ids[k],)
        z = 14 if query == "tile_z14" else 16
        x, y = w.tiles[z][k]
        return self.sql["tile"], (z, x, y, z, x, y)

    def caller(self, query: str, w: Workload):
        import psycopg2

        conn = psycopg2.connect(self.url)
        conn.autocommit = True
        cur = conn.cursor()

        def call(i: int) -> bytes:
            cur.execute(*self.statement(query, i, w))
            row = cur.fetchone()
            value = row[0] if row else None
            if value is None:
                return b""
            return bytes(value) if isinstance(value, memoryview) else value.encode()

        return call


# -- running a cell ------------------------------------------------------------------------------------


@dataclass
class Cell:
    target: str
    query: str
    clients: int
    latencies: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    wall: float = 0.0
    error: str | None = None

    @property
    def p50(self) -> float:
        return float(np.percentile(self.latencies, 50)) * 1000 if self.latencies else float("nan")

    @property
    def p95(self) -> float:
        return float(np.percentile(self.latencies, 95)) * 1000 if self.latencies else float("nan")

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.wall if self.wall else float("nan")


def run_cell(target, query: str, w: Workload, clients: int, requests: int, cap: float, warmup: int = 2) -> Cell:
    cell = Cell(target.name, query, clients)
    try:
        warm = target.caller(query, w)
        for i in range(warmup):
            warm(len(w.ids) - 1 - i)
    except Exception as err:  # noqa: BLE001 — a target that cannot answer this query (any library's error): shown in the table
        cell.error = str(err)[:120]
        return cell
    counter = itertools.count()
    lock = threading.Lock()
    start = time.perf_counter()
    deadline = start + cap
    errors: list[str] = []

    def worker():
        try:
            call = target.caller(query, w)
        except Exception as err:  # noqa: BLE001 — the worker reports any target failure as the cell's error
            errors.append(str(err))
            return
        while True:
            i = next(counter)
            if i >= requests or time.perf_counter() > deadline:
                return
            t0 = time.perf_counter()
            try:
                body = call(i)
            except Exception as err:  # noqa: BLE001 — the worker reports any target failure as the cell's error
                errors.append(str(err))
                return
            dt = time.perf_counter() - t0
            with lock:
                cell.latencies.append(dt)
                cell.sizes.append(len(body))

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    cell.wall = time.perf_counter() - start
    if errors:
        cell.error = errors[0][:120]
    return cell


# -- servers ---------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A subprocess serving HTTP; waits until ``probe`` answers."""

    def __init__(self, name: str, cmd: list[str], env: dict, probe: str, log: Path, cwd: Path = ROOT):
        self.name, self.probe, self.log_path = name, probe, log
        self.log = open(log, "w")  # noqa: SIM115 — the server writes to it until stop() closes it
        self.proc = subprocess.Popen(
            cmd, cwd=cwd, env={**os.environ, **env}, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def wait(self, timeout: float = 180) -> Server:
        import requests

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log_path.read_text()[-2000:]}")
            try:
                if requests.get(self.probe, timeout=5).ok:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"{self.name} did not start: {self.log_path.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, 15)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait(5)
        self.log.close()


def start_ours(
    name: str, store: str, work: Path, gunicorn_workers: int = 0, cwd: Path = ROOT, ui: bool = False
) -> Server:
    """Our server on ``store``: the OGC API alone, or with ``ui`` the whole portal."""
    port = free_port()
    data_dir = work / name.replace(" ", "_").replace("(", "").replace(")", "").replace("×", "x")
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {
        "BUERGERGIS_UI": "1" if ui else "0",
        "BUERGERGIS_STORE": store,
        "BUERGERGIS_DATA_DIR": str(data_dir),
        "BUERGERGIS_PORT": str(port),
        "BUERGERGIS_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "PYTHONUNBUFFERED": "1",
    }
    if gunicorn_workers:
        from api.production import gthread_command

        cmd = gthread_command(
            "commands.portal:create_app()", gunicorn_workers, f"127.0.0.1:{port}", "--log-level", "warning"
        )
    else:
        cmd = [sys.executable, "-m", "commands.serve"]
    server = Server(name, cmd, env, f"http://127.0.0.1:{port}/oapi/?f=json", data_dir / "server.log", cwd=cwd)
    server.base = f"http://127.0.0.1:{port}/oapi"
    return server


def start_raw_http(pg_url: str, work: Path, workers: int) -> Server:
    """The raw SQL statement behind a bare WSGI app (:mod:`benchmarks.raw_http`), under gunicorn like ours."""
    from api.production import gthread_command

    port = free_port()
    cmd = gthread_command(
        "benchmarks.raw_http:app", workers, f"127.0.0.1:{port}", "--log-level", "warning", preload=False
    )
    server = Server(
        f"raw SQL via HTTP ×{workers}",
        cmd,
        {"BENCH_PG_URL": pg_url, "PYTHONPATH": str(ROOT)},
        f"http://127.0.0.1:{port}/",
        work / "raw_http.log",
    )
    server.base = f"http://127.0.0.1:{port}"
    return server


def start_tipg(pg_url: str, work: Path) -> Server:
    port = free_port()
    env = {"DATABASE_URL": pg_url, "TIPG_DB_SCHEMAS": '["public"]', "TIPG_DEBUG": "FALSE"}
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "tipg.main:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    server = Server("tipg", cmd, env, f"http://127.0.0.1:{port}/collections", work / "tipg.log")
    server.base = f"http://127.0.0.1:{port}"
    return server


# -- data ------------------------------------------------------------------------------------------------------


def _count_synthetic(store_url: str) -> int:
    from store.base import open_store

    try:
        store = open_store(store_url)
    except Exception:  # noqa: BLE001 — no city there yet (sqlite3, psycopg2 or SQLAlchemy error): generate it
        return -1
    try:
        return store.count("buildings")
    except Exception:  # noqa: BLE001 — an empty or foreign database, whichever driver says so: generate it
        return -1
    finally:
        store.close()


def prepare_postgis(pg_url: str, sizes: dict, parallel: int) -> None:
    import psycopg2

    from benchmarks.generate import generate

    if _count_synthetic(pg_url) != sizes["buildings"]:
        say(f"generating the synthetic city into PostGIS: {sizes}")
        generate(pg_url, parcels=0, replace=True, log=say, **sizes)
    conn = psycopg2.connect(pg_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
        cur.execute("SELECT current_database()")
        db = cur.fetchone()[0]
        cur.execute(f'ALTER DATABASE "{db}" SET max_parallel_workers_per_gather = {int(parallel)}')
        # JIT off for every target alike (our providers turn it off for their own sessions anyway)
        cur.execute(f'ALTER DATABASE "{db}" SET jit = off')
    conn.close()


@contextmanager
def city_postgis(url: str | None, dbname: str, buildings: int):
    """A PostGIS holding the synthetic city (one plan per 80 buildings, no contributions): the database
    at ``url``, or a throwaway local cluster that is stopped afterwards."""
    pg_server = None
    try:
        if url:
            pg_url = url
        else:
            from store.local_postgis import LocalPostGIS

            pg_server = LocalPostGIS(dbname=dbname).start()
            pg_url = pg_server.url
        prepare_postgis(
            pg_url, {"buildings": buildings, "plans": max(buildings // 80, 1), "contributions": 0}, parallel=0
        )
        yield pg_url
    finally:
        if pg_server is not None:
            pg_server.stop()


def prepare_geopackage(path: Path, sizes: dict) -> None:
    from benchmarks.generate import generate

    if path.exists() and _count_synthetic(str(path)) == sizes["buildings"]:
        return
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    say(f"generating the synthetic city into {path}: {sizes}")
    generate(str(path), parcels=0, log=say, **sizes)


# -- report --------------------------------------------------------------------------------------------------


def machine_note() -> str:
    load = os.getloadavg()
    lines = [f"machine: {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"]
    try:
        out = subprocess.run(
            ["ps", "-eo", "pcpu,etime,args", "--sort=-pcpu"], capture_output=True, text=True, timeout=10
        ).stdout.splitlines()[1:]
        mine = {str(os.getpid())}
        busy = [
            line.strip()
            for line in out
            if line.strip() and float(line.split()[0]) >= 5.0 and not any(p in line for p in mine)
        ][:6]
        if busy:
            lines.append("busiest processes now (%CPU, elapsed, command):")
            lines += [f"  {b[:140]}" for b in busy]
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):  # no ps here: the note stays short
        pass
    return "\n".join(lines)


def _ids_of(body: bytes) -> list[str] | None:
    try:
        return [f.get("id") or (f.get("properties") or {}).get("id") for f in json.loads(body)["features"]]
    except (ValueError, KeyError, TypeError, AttributeError):  # not a FeatureCollection
        return None


def _tile_count(body: bytes) -> int | None:
    if not body:
        return 0
    try:
        import mapbox_vector_tile

        tile = mapbox_vector_tile.decode(body)
        return sum(len(layer["features"]) for layer in tile.values())
    except Exception:  # noqa: BLE001 — protobuf's DecodeError and friends: the table shows "None features"
        return None


def agreement(targets, w: Workload) -> list[str]:
    """Do the targets return the same rows for the first request of each query?"""
    lines = []
    for query in QUERIES:
        parts = []
        reference = None
        for target in targets:
            if query not in getattr(target, "only", QUERIES):
                continue
            try:
                body = target.caller(query, w)(0)
            except Exception as err:  # noqa: BLE001 — any target failure is shown in the agreement table
                parts.append(f"{target.name}: error {str(err)[:60]}")
                continue
            if query.startswith("tile"):
                parts.append(f"{target.name}: {_tile_count(body)} features, {len(body) // 1024} KB")
                continue
            if query == "item":
                try:
                    fid = json.loads(body).get("id") or json.loads(body).get("properties", {}).get("id")
                except (ValueError, AttributeError):  # not a JSON object
                    fid = None
                parts.append(f"{target.name}: {fid}")
                continue
            ids = _ids_of(body)
            if ids is None:
                parts.append(f"{target.name}: unreadable")
                continue
            if reference is None:
                reference = ids
                parts.append(f"{target.name}: {len(ids)} rows")
            else:
                same = (
                    "same rows"
                    if ids == reference
                    else (f"{len(set(ids) & set(reference))}/{len(reference)} rows in common")
                )
                parts.append(f"{target.name}: {len(ids)} rows, {same}")
        lines.append(f"  {QUERIES[query]:<28} " + "; ".join(parts))
    return lines


def table(cells: list[Cell], reference: str) -> str:
    out = []
    header = f"{'query':<28} {'target':<22} {'c':>2} {'p50 ms':>8} {'p95 ms':>8} {'req/s':>7} {'KB':>6} {'p50/ours':>8}"
    out.append(header)
    out.append("-" * len(header))
    by_key = {(c.query, c.clients, c.target): c for c in cells}
    for query in QUERIES:
        for clients in sorted({c.clients for c in cells}):
            ref = by_key.get((query, clients, reference))
            for cell in [c for c in cells if c.query == query and c.clients == clients]:
                if cell.error and not cell.latencies:
                    out.append(f"{QUERIES[query]:<28} {cell.target:<22} {clients:>2}  n/a: {cell.error}")
                    continue
                ratio = cell.p50 / ref.p50 if ref and ref.latencies else float("nan")
                kb = np.mean(cell.sizes) / 1024 if cell.sizes else 0
                note = f"  ({len(cell.latencies)} req; {cell.error})" if cell.error else ""
                out.append(
                    f"{QUERIES[query]:<28} {cell.target:<22} {clients:>2} {cell.p50:>8.1f} {cell.p95:>8.1f} "
                    f"{cell.rps:>7.1f} {kb:>6.0f} {ratio:>8.2f}{note}"
                )
        out.append("")
    return "\n".join(out)


def verdict(cells: list[Cell], ours: str) -> list[str]:
    by_key = {(c.query, c.clients, c.target): c for c in cells}
    lines = []
    for clients in sorted({c.clients for c in cells}):
        mine = by_key.get(("items_bbox", clients, ours))
        tipg = by_key.get(("items_bbox", clients, "tipg"))
        raw = by_key.get(("items_bbox", clients, "raw SQL"))
        if not (mine and mine.latencies):
            continue
        if tipg and tipg.latencies:
            ok = mine.p50 <= tipg.p50
            lines.append(
                f"  c={clients}: ours p50 {mine.p50:.1f} ms vs tipg {tipg.p50:.1f} ms -> "
                f"{'MET' if ok else 'NOT MET'} (target: ours <= tipg)"
            )
        if raw and raw.latencies:
            ratio = mine.p50 / raw.p50
            lines.append(
                f"  c={clients}: ours p50 {mine.p50:.1f} ms vs raw SQL {raw.p50:.1f} ms = {ratio:.2f}x -> "
                f"{'MET' if ratio <= 1.3 else 'NOT MET'} (target: <= 1.3x)"
            )
        for name in sorted({c.target for c in cells if c.target.startswith("ours gunicorn")}):
            served = by_key.get(("items_bbox", clients, name))
            floor = by_key.get(("items_bbox", clients, name.replace("ours gunicorn", "raw SQL via HTTP ")))
            if not (served and served.latencies):
                continue
            if raw and raw.latencies:
                ratio = served.p50 / raw.p50
                lines.append(
                    f"  c={clients}: {name} p50 {served.p50:.1f} ms vs raw SQL {raw.p50:.1f} ms = "
                    f"{ratio:.2f}x -> {'MET' if ratio <= 1.3 else 'NOT MET'} (target: <= 1.3x)"
                )
            if floor and floor.latencies:
                lines.append(
                    f"  c={clients}: of that, HTTP alone (raw SQL via HTTP, same gunicorn) "
                    f"{floor.p50:.1f} ms; pygeoapi adds {served.p50 - floor.p50:.1f} ms "
                    f"({served.p50 / floor.p50:.2f}x the HTTP floor)"
                )
    return lines


# -- main ---------------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    from benchmarks.generate import CITY_SCALE

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", help="postgresql:// URL to use (default: a throwaway local cluster)")
    parser.add_argument("--buildings", type=int, default=CITY_SCALE["buildings"])
    parser.add_argument("--plans", type=int, default=CITY_SCALE["plans"])
    parser.add_argument("--contributions", type=int, default=CITY_SCALE["contributions"])
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--requests", type=int, default=40, help="measured requests per cell")
    parser.add_argument("--cap", type=float, default=20.0, help="seconds at most per cell")
    parser.add_argument("--queries", nargs="+", default=list(QUERIES), choices=list(QUERIES))
    parser.add_argument("--gunicorn", type=int, default=0, metavar="N", help="also ours under gunicorn, N workers")
    parser.add_argument("--no-tipg", action="store_true")
    parser.add_argument("--no-geopackage", action="store_true")
    parser.add_argument("--pg-parallel", type=int, default=0, help="max_parallel_workers_per_gather (default 0)")
    parser.add_argument(
        "--tree",
        action="append",
        default=[],
        metavar="NAME=DIR",
        help="also serve PostGIS from another checkout (e.g. stock=/tmp/old-checkout)",
    )
    args = parser.parse_args(argv)
    sizes = {"buildings": args.buildings, "plans": args.plans, "contributions": args.contributions}

    work = Path(tempfile.mkdtemp(prefix="buergergis-bench-"))
    pg_server = None
    servers: list[Server] = []
    try:
        if args.pg:
            pg_url = args.pg
        else:
            from store.local_postgis import LocalPostGIS

            say("starting a throwaway PostGIS")
            pg_server = LocalPostGIS(dbname="bench").start()
            pg_url = pg_server.url
        t0 = time.perf_counter()
        prepare_postgis(pg_url, sizes, args.pg_parallel)
        gpkg = BENCH_DIR / f"city-{args.buildings}-{args.plans}-{args.contributions}.gpkg"
        if not args.no_geopackage:
            prepare_geopackage(gpkg, sizes)
        say(f"data ready in {time.perf_counter() - t0:.0f} s")

        from schema.catalog import LAYERS

        ours_name = "ours (PostGIS)"
        targets = []
        # the first server creates the tables a fresh database lacks; the others start once it is up
        pending = [("ours", start_ours(ours_name, pg_url, work).wait())]
        if args.gunicorn:
            pending.append(("ours", start_ours(f"ours gunicorn×{args.gunicorn}", pg_url, work, args.gunicorn)))
            pending.append(("raw", start_raw_http(pg_url, work, args.gunicorn)))
        for spec in args.tree:
            name, _, directory = spec.partition("=")
            pending.append(("ours", start_ours(name, pg_url, work, cwd=Path(directory).resolve())))
        if not args.no_tipg:
            pending.append(("tipg", start_tipg(pg_url, work)))
        if not args.no_geopackage:
            pending.append(("ours", start_ours("ours (GeoPackage)", str(gpkg), work)))
        for flavour, server in pending:
            servers.append(server.wait())
            targets.append(
                HttpTarget(
                    server.name,
                    server.base,
                    "tipg" if flavour == "tipg" else "pygeoapi",
                    "public.buildings" if flavour == "tipg" else "buildings",
                )
            )
            if flavour == "raw":
                targets[-1].only = {"items_bbox"}
        targets.insert(2 if len(targets) > 1 else 1, SqlTarget(pg_url, list(LAYERS["buildings"].columns)))

        w = Workload.for_city(args.buildings)
        print(
            "\nOGC API benchmark, synthetic city: "
            + ", ".join(f"{v} {k}" for k, v in sizes.items())
            + " (PostGIS and GeoPackage)"
        )
        print(machine_note())
        print(f"PostgreSQL max_parallel_workers_per_gather = {args.pg_parallel} (all targets)")
        print("rows of the first request per query:")
        print("\n".join(agreement(targets, w)))
        cells = []
        for query in args.queries:
            for clients in args.clients:
                for target in targets:
                    cell = run_cell(target, query, w, clients, args.requests, args.cap)
                    cells.append(cell)
                    say(
                        f"  {QUERIES[query]:<28} {target.name:<22} c={clients}: p50 {cell.p50:.1f} ms"
                        + (f" ({cell.error})" if cell.error else "")
                    )
        print()
        print(table(cells, ours_name))
        print("targets (items?limit=1000&bbox, p50):")
        print("\n".join(verdict(cells, ours_name)))
        print(machine_note().splitlines()[0].replace("machine:", "after the run:"))
    finally:
        for server in servers:
            server.stop()
        for _, server in locals().get("pending", []):
            if server not in servers:
                server.stop()
        if pg_server is not None:
            pg_server.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
