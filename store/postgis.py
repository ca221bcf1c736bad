"""PostGIS store: the production backend, same interface as the GeoPackage file.

Tables mirror the catalogue one to one, so pygeoapi's stock PostgreSQL provider
and its MVT-postgresql tile provider can serve them without a plugin of ours.
Geometries are written as EWKB through psycopg2 parameters (never formatted into
SQL), and every ``replace`` runs in one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg2
import psycopg2.extras
import shapely
from psycopg2 import sql

from schema.catalog import LAYERS, Layer
from store.base import Store, StoreError, check_frames, checked_bbox

#: Catalogue column type -> PostgreSQL type.
PG_TYPES = {
    "text": "text",
    "integer": "integer",
    "real": "double precision",
    "boolean": "boolean",
    "date": "date",
    "datetime": "timestamptz",
    "json": "jsonb",
}

#: GeoPackage geometry type name (as in the catalogue) -> PostGIS type modifier.
POSTGIS_GEOMETRY_TYPES = {
    "GEOMETRY": "Geometry",
    "POINT": "Point",
    "LINESTRING": "LineString",
    "POLYGON": "Polygon",
    "MULTIPOINT": "MultiPoint",
    "MULTILINESTRING": "MultiLineString",
    "MULTIPOLYGON": "MultiPolygon",
}


#: Advisory lock key held while tables are created (any constant; "bgis" in ASCII).
SCHEMA_LOCK = 0x62676973


class PostGISStore(Store):
    """Catalogue layers as tables in one PostgreSQL schema (``public`` by default)."""

    def __init__(self, url: str, epsg: int = 25832, schema: str = "public"):
        self.url = url
        self.epsg = epsg
        self.schema = schema
        try:
            self.conn = psycopg2.connect(url)
        except psycopg2.OperationalError as err:
            raise StoreError(f"cannot connect to PostGIS at {_redact(url)}: {err}".strip()) from err

    def close(self) -> None:
        self.conn.close()

    # -- schema -----------------------------------------------------------------

    def create_schema(self, layers: Iterable[Layer] = LAYERS.values()) -> None:
        with self.conn, self.conn.cursor() as cur:
            # IF NOT EXISTS does not make DDL safe to run twice at once: two servers (or importers)
            # starting on one fresh database both create the table, one fails on the catalogue's
            # unique index. One transaction-scoped lock lets them take turns.
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
            cur.execute("CREATE EXTENSION IF NOT EXISTS postgis")
            for layer in layers:
                cur.execute(self._create_table_sql(layer))
                table = sql.Identifier(self.schema, layer.id)
                if layer.geometry_type:
                    cur.execute(
                        sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} USING gist (geom)").format(
                            sql.Identifier(f"{layer.id}_geom_idx"), table
                        )
                    )
                for column in layer.indexes:
                    cur.execute(
                        sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} ({})").format(
                            sql.Identifier(f"{layer.id}_{column}_idx"), table, sql.Identifier(column)
                        )
                    )

    def _create_table_sql(self, layer: Layer) -> sql.Composed:
        # The gml:id (or another stable text id) is the key; no surrogate column, so the
        # features pygeoapi serves carry exactly the catalogue's properties on both stores.
        columns = [sql.SQL("id text PRIMARY KEY")]
        for name, kind in layer.columns.items():
            if name != "id":
                columns.append(sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(PG_TYPES[kind])))
        if layer.geometry_type:
            gtype = POSTGIS_GEOMETRY_TYPES[layer.geometry_type]
            columns.append(sql.SQL("geom geometry({}, {})").format(sql.SQL(gtype), sql.Literal(self.epsg)))
        return sql.SQL("CREATE TABLE IF NOT EXISTS {} ({})").format(
            sql.Identifier(self.schema, layer.id), sql.SQL(", ").join(columns)
        )

    # -- writing ----------------------------------------------------------------

    def replace(self, frames: Mapping[str, gpd.GeoDataFrame], *, plan_id=None, source=None) -> dict[str, int]:
        check_frames(frames, self.epsg)
        written: dict[str, int] = {}
        try:
            with self.conn, self.conn.cursor() as cur:
                if plan_id is not None:
                    for layer in LAYERS.values():
                        if layer.plan_scoped:
                            cur.execute(
                                sql.SQL("DELETE FROM {} WHERE plan_id = %s").format(
                                    sql.Identifier(self.schema, layer.id)
                                ),
                                (plan_id,),
                            )
                if source is not None:
                    for layer_id in frames:
                        if LAYERS[layer_id].source_scoped:
                            cur.execute(
                                sql.SQL("DELETE FROM {} WHERE source = %s").format(
                                    sql.Identifier(self.schema, layer_id)
                                ),
                                (source,),
                            )
                for layer_id, frame in frames.items():
                    written[layer_id] = self._insert(cur, LAYERS[layer_id], frame)
        except (psycopg2.Error, ValueError, TypeError) as err:
            raise StoreError(f"writing to PostGIS failed, nothing was changed: {err}".strip()) from err
        return written

    def _insert(self, cur, layer: Layer, frame: gpd.GeoDataFrame) -> int:
        if frame.empty:
            return 0
        names = [c for c in layer.columns if c in frame.columns]
        rows = _python_rows(frame, names, layer)
        targets = [sql.Identifier(n) for n in names]
        values = "(" + ", ".join(["%s"] * len(names))
        if layer.geometry_type and "geometry" in frame.columns:
            targets.append(sql.Identifier("geom"))
            values += f", ST_SetSRID(%s::geometry, {int(self.epsg)})"
            wkb = shapely.to_wkb(frame.geometry.values, hex=True, output_dimension=2)
            rows = [(*row, None if pd.isna(g) else g) for row, g in zip(rows, wkb, strict=True)]
        values += ")"
        query = sql.SQL("INSERT INTO {} ({}) VALUES %s").format(
            sql.Identifier(self.schema, layer.id), sql.SQL(", ").join(targets)
        )
        psycopg2.extras.execute_values(cur, query.as_string(cur), rows, template=values, page_size=1000)
        return len(rows)

    def delete_plan(self, plan_id: str) -> int:
        deleted = 0
        with self.conn, self.conn.cursor() as cur:
            for layer in LAYERS.values():
                if layer.plan_scoped:
                    cur.execute(
                        sql.SQL("DELETE FROM {} WHERE plan_id = %s").format(sql.Identifier(self.schema, layer.id)),
                        (plan_id,),
                    )
                    deleted += cur.rowcount
        return deleted

    # -- reading ----------------------------------------------------------------

    def read(
        self,
        layer_id: str,
        where: Mapping[str, object] | None = None,
        bbox: tuple[float, float, float, float] | None = None,
    ) -> gpd.GeoDataFrame:
        layer = LAYERS[layer_id]
        names = list(layer.columns)
        select = [sql.Identifier(n) for n in names]
        if layer.geometry_type:
            select.append(sql.SQL("ST_AsBinary(geom) AS geom"))
        query = sql.SQL("SELECT {} FROM {}").format(sql.SQL(", ").join(select), sql.Identifier(self.schema, layer_id))
        clauses = [sql.SQL("{} = %s").format(sql.Identifier(k)) for k in (where or {})]
        params = list((where or {}).values())
        if bbox is not None and layer.geometry_type:
            clauses.append(sql.SQL("geom && ST_MakeEnvelope(%s, %s, %s, %s, %s)"))
            params += [*checked_bbox(bbox), self.epsg]
        if clauses:
            query += sql.SQL(" WHERE ") + sql.SQL(" AND ").join(clauses)
        query += sql.SQL(" ORDER BY id")
        with self.conn, self.conn.cursor() as cur:
            cur.execute(query, params)
            rows = cur.fetchall()
        frame = pd.DataFrame([r[: len(names)] for r in rows], columns=names)
        for name, kind in layer.columns.items():
            if kind in ("date", "datetime"):
                frame[name] = frame[name].map(lambda v: v.isoformat() if v is not None else None)
            elif kind == "json":
                frame[name] = frame[name].map(lambda v: json.dumps(v) if v is not None else None)
            elif kind == "integer":
                frame[name] = frame[name].astype("Int64")
        geometry = (
            shapely.from_wkb([bytes(r[-1]) if r[-1] is not None else None for r in rows])
            if (layer.geometry_type)
            else None
        )
        return gpd.GeoDataFrame(frame, geometry=geometry, crs=f"EPSG:{self.epsg}")

    def bounds(self, layer_id: str):
        LAYERS[layer_id]
        with self.conn, self.conn.cursor() as cur:
            cur.execute(
                sql.SQL(
                    "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
                    "(SELECT ST_Extent(geom) AS e FROM {}) AS x"
                ).format(sql.Identifier(self.schema, layer_id))
            )
            row = cur.fetchone()
        return None if row[0] is None else tuple(float(v) for v in row)

    def count(self, layer_id: str) -> int:
        LAYERS[layer_id]  # unknown layer -> KeyError with the known ones
        with self.conn, self.conn.cursor() as cur:
            cur.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(self.schema, layer_id)))
            return cur.fetchone()[0]


def _python_rows(frame: pd.DataFrame, names: list[str], layer: Layer) -> list[tuple]:
    """Rows of plain Python values (NaN -> None) in column order, ready for psycopg2."""
    columns = []
    for name in names:
        values = frame[name].to_numpy(dtype=object)
        kind = layer.columns[name]
        out: list[object] = []
        for v in values:
            if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and np.isnan(v)):
                out.append(None)
            elif kind == "integer":
                out.append(int(v))
            elif kind == "real":
                out.append(float(v))
            elif kind == "boolean":
                out.append(bool(v))
            elif kind == "json":
                out.append(v if isinstance(v, str) else json.dumps(v))
            else:
                out.append(v if not isinstance(v, np.generic) else v.item())
        columns.append(out)
    return list(zip(*columns, strict=True)) if columns else [() for _ in range(len(frame))]


def _redact(url: str) -> str:
    """The URL without its password, for error messages."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url
