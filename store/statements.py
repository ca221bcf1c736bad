"""One statement interface over both stores' connections: ``execute(sql, params) -> rowcount`` and
``fetch(sql, params) -> list[dict]``, with named ``:params`` (sqlite3 and SQLAlchemy both take them).

Used by the code that runs a few direct statements beside the layer interface (contributions,
procedures, staff sessions).
"""

from __future__ import annotations


class SqliteStatements:
    """Statements on a sqlite3 connection (the GeoPackage)."""

    def __init__(self, conn):
        self.conn = conn

    def execute(self, sql: str, params: dict) -> int:
        return self.conn.execute(sql, params).rowcount

    def fetch(self, sql: str, params: dict) -> list[dict]:
        cursor = self.conn.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


class SqlAlchemyStatements:
    """Statements on a SQLAlchemy connection (PostGIS)."""

    def __init__(self, conn):
        self.conn = conn

    def execute(self, sql: str, params: dict) -> int:
        from sqlalchemy import text

        return self.conn.execute(text(sql), params).rowcount

    def fetch(self, sql: str, params: dict) -> list[dict]:
        from sqlalchemy import text

        return [dict(r._mapping) for r in self.conn.execute(text(sql), params)]
