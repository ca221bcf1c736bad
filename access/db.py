"""Rows of the access tables (``staff_sessions``, ``service_tokens``) in either store.

One SQL text with named parameters (``:name``) serves both: sqlite3 takes it as it is, PostgreSQL through
SQLAlchemy's ``text()``. Date-times are passed and compared as the fixed-width ISO strings the GeoPackage
stores (``2024-05-01T08:00:00.000Z``; PostgreSQL casts them to ``timestamptz``), so text order is time order
in both. Connections belong to one process (gunicorn workers fork after ``--preload``): a small pool each.
"""

from __future__ import annotations

import json
import os
import threading
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from schema.catalog import SUPPORT_TABLES
from store.base import is_postgis_url
from store.statements import SqlAlchemyStatements, SqliteStatements

TABLES = ("staff_sessions", "service_tokens")


def iso(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def now() -> datetime:
    return datetime.now(UTC)


def later(seconds: float, start: datetime | None = None) -> str:
    return iso((start or now()) + timedelta(seconds=seconds))


def required_instant(value) -> datetime:
    """A stored date-time of a NOT NULL column (:func:`instant` that cannot be None)."""
    moment = instant(value)
    if moment is None:
        raise ValueError("a required date-time column is empty")
    return moment


def instant(value) -> datetime | None:
    """A stored date-time (ISO text from SQLite, ``datetime`` from PostgreSQL) as an aware datetime."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def as_iso(value) -> str | None:
    moment = instant(value)
    return iso(moment) if moment else None


def json_value(value):
    """A stored ``json`` column (text in SQLite, already parsed from PostgreSQL's jsonb)."""
    if value is None or isinstance(value, (dict, list)):
        return value
    return json.loads(value)


class Db:
    """``fetch``/``execute`` for one store URL; ``transaction()`` for several statements at once."""

    def __init__(self, url: str):
        self.url = url
        self.postgis = is_postgis_url(url)
        self._idle: list = []  # SQLite connections not in use (this process's)
        self._idle_pid = os.getpid()
        self._engines: dict[int, object] = {}
        self._lock = threading.Lock()

    # -- connections -------------------------------------------------------------------------------

    @contextmanager
    def _sqlite(self):
        """A connection of this process for one operation (a few are kept; threads come and go per request)."""
        from store.geopackage import connect

        with self._lock:
            if self._idle_pid != os.getpid():  # forked: the parent's connections are not ours
                self._idle, self._idle_pid = [], os.getpid()
            conn = self._idle.pop() if self._idle else None
        if conn is None:
            conn = connect(self.url, check_same_thread=False)
        try:
            yield conn
        finally:
            with self._lock:
                keep = self._idle_pid == os.getpid() and len(self._idle) < 8 and not conn.in_transaction
                if keep:
                    self._idle.append(conn)
            if not keep:
                conn.close()

    def _engine(self):
        pid = os.getpid()
        engine = self._engines.get(pid)
        if engine is None:
            from sqlalchemy import create_engine

            with self._lock:
                engine = self._engines.get(pid)
                if engine is None:
                    url = "postgresql+psycopg2://" + self.url.split("://", 1)[1]
                    engine = self._engines[pid] = create_engine(url, pool_size=2, max_overflow=8, pool_pre_ping=True)
        return engine

    # -- statements ----------------------------------------------------------------------------------

    def fetch(self, sql: str, params: dict | None = None) -> list[dict]:
        if self.postgis:
            with self._engine().connect() as conn:
                return SqlAlchemyStatements(conn).fetch(sql, params or {})
        with self._sqlite() as conn:
            return SqliteStatements(conn).fetch(sql, params or {})

    def execute(self, sql: str, params: dict | None = None) -> int:
        with self.transaction() as tx:
            return tx.execute(sql, params or {})

    @contextmanager
    def transaction(self, lock: str | None = None):
        """One transaction; ``lock`` names a lock held until it ends (serialises e.g. name checks)."""
        if self.postgis:
            with self._engine().begin() as conn:
                tx = SqlAlchemyStatements(conn)
                if lock:
                    tx.execute("SELECT pg_advisory_xact_lock(hashtext(:lock))", {"lock": f"buergergis:{lock}"})
                yield tx
            return
        from store.geopackage import write_transaction

        with self._sqlite() as conn, write_transaction(conn):  # BEGIN IMMEDIATE: the whole file is the lock
            yield SqliteStatements(conn)

    def create_tables(self, epsg: int | None = None) -> None:
        from store.base import open_store

        store = open_store(self.url, epsg=epsg)
        try:
            store.create_schema([SUPPORT_TABLES[name] for name in TABLES])
        finally:
            store.close()
