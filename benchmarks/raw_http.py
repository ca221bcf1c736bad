"""The raw-SQL floor over HTTP: the benchmark's raw SQL statement behind a 40-line WSGI app.

``gunicorn -w N -k gthread --threads 4 'benchmarks.raw_http:app'`` (``BENCH_PG_URL`` names the
database). It answers ``/collections/buildings/items?bbox=…`` with exactly the statement
:class:`benchmarks.api.SqlTarget` runs in-process (the bbox corners transformed to the
storage CRS as pygeoapi does), and nothing else: no parameter checks, no links, no count.
Set beside ours, it shows how much of our latency is HTTP itself (serialising ~1 MB,
the socket, the client reading it) and how much is pygeoapi's request handling.
"""

from __future__ import annotations

import os
import threading
from urllib.parse import parse_qs

from pyproj import Transformer

from benchmarks.api import SqlTarget

_local = threading.local()
_SQL = None


def _cursor():
    global _SQL
    if _SQL is None:
        from schema.catalog import LAYERS

        _SQL = SqlTarget(os.environ["BENCH_PG_URL"], list(LAYERS["buildings"].columns)).sql["items_bbox"]
    if not hasattr(_local, "cursor"):
        import psycopg2

        conn = psycopg2.connect(os.environ["BENCH_PG_URL"], options="-c jit=off")
        conn.autocommit = True
        _local.cursor = conn.cursor()
        _local.to_storage = Transformer.from_crs("OGC:CRS84", 25832, always_xy=True)
    return _local.cursor, _SQL


def app(environ, start_response):
    if environ.get("PATH_INFO", "").rstrip("/") == "":
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b"{}"]
    if not environ.get("PATH_INFO", "").endswith("/collections/buildings/items"):
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"only items?bbox= of buildings"]
    query = parse_qs(environ.get("QUERY_STRING", ""))
    lon0, lat0, lon1, lat1 = (float(v) for v in query["bbox"][0].split(","))
    cursor, sql = _cursor()
    x0, y0 = _local.to_storage.transform(lon0, lat0)
    x1, y1 = _local.to_storage.transform(lon1, lat1)
    cursor.execute(sql, (x0, y0, x1, y1))
    body = cursor.fetchone()[0].encode()
    start_response("200 OK", [("Content-Type", "application/geo+json"), ("Content-Length", str(len(body)))])
    return [body]
