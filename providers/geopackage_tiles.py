"""Mapbox vector tiles from the embedded GeoPackage store (pygeoapi tile provider).

PostGIS renders tiles with ST_AsMVT (pygeoapi's MVT-postgresql provider); the
embedded store does the same in Python: the tile's envelope is transformed to
the storage CRS, candidates come from the R-tree (only the columns the zoom level
carries), and :mod:`providers.mvt_encoder` takes it from there for the whole layer
at once: all coordinates to EPSG:3857 in one call, geometries reaching out of the
tile clipped, quantised, encoded with numpy, attributes by column as SQLite gave
them. A rendered tile is kept in :mod:`providers.tile_cache` (shared by all worker
processes) until the next write to its table. Reads go through a ``query_only``
connection per thread, kept for the thread's life (WAL: readers never wait for the
writer). Served for WebMercatorQuad, which is what MapLibre, deck.gl and QGIS ask for.
"""

from __future__ import annotations

import logging
import math
import os
import sqlite3
import threading
from functools import lru_cache

import numpy as np
import pyproj
from pygeoapi.models.provider.base import TileMatrixSetEnum
from pygeoapi.provider.base import ProviderConnectionError, ProviderInvalidQueryError
from pygeoapi.provider.base_mvt import BaseMVTProvider
from pygeoapi.provider.tile import ProviderTileNotFoundError
from pygeoapi.util import url_join

from providers.geopackage import table_schema
from providers.mvt_encoder import encode_columns
from providers.tile_cache import TileCache, ensure_versioned, table_version
from providers.tile_detail import DETAIL_ZOOM, keep_column
from store import gpkg_functions
from store.geopackage import connect

LOG = logging.getLogger(__name__)

#: Half the width of the Web Mercator square (metres).
_ORIGIN = 20037508.342789244
#: A tile holds at most this many features; city-scale tiles at low zoom stay small.
MAX_FEATURES_PER_TILE = 20000
EXTENT = 4096
#: Tile units around the tile beyond which geometries are clipped (1/64 of the tile; ST_AsMVTGeom's default is 256).
BUFFER = 64
#: Deepest WebMercatorQuad level (OGC TMS 2.0 defines 0..24).
MAX_ZOOM = 24


def tile_bounds_3857(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """Web Mercator bounds of XYZ tile z/x/y (y counted from the top, as WebMercatorQuad does)."""
    size = 2 * _ORIGIN / (2**z)
    minx = -_ORIGIN + x * size
    maxy = _ORIGIN - y * size
    return minx, maxy - size, minx + size, maxy


_READERS = threading.local()


def reader_for(path: str) -> sqlite3.Connection:
    """This thread's read-only (``query_only``) connection to ``path``; reopened when the file was replaced or
    the process forked (SQLite connections must not cross a fork)."""
    try:
        stat = os.stat(path)
    except OSError:
        raise ProviderConnectionError(f"GeoPackage store not found: {path}") from None
    identity = (stat.st_dev, stat.st_ino, os.getpid())
    pool = _READERS.__dict__.setdefault("connections", {})
    entry = pool.get(path)
    if entry is not None and entry[1] == identity:
        return entry[0]
    if entry is not None and entry[1][2] == identity[2]:
        entry[0].close()
    try:
        conn = connect(path)
        conn.execute("PRAGMA query_only = ON")
    except sqlite3.Error as err:
        raise ProviderConnectionError(f"cannot open GeoPackage {path}: {err}") from err
    pool[path] = (conn, identity)
    return conn


@lru_cache(maxsize=16)
def _to_3857(epsg_wkt: str) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(pyproj.CRS.from_wkt(epsg_wkt), "EPSG:3857", always_xy=True)


@lru_cache(maxsize=16)
def _from_3857(epsg_wkt: str) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs("EPSG:3857", pyproj.CRS.from_wkt(epsg_wkt), always_xy=True)


class _TilePlan:
    """What every tile of one table schema shares: the transformers and the two statements (all columns from
    DETAIL_ZOOM on, fewer below). Made once per schema (its CRS's WKT alone takes ~0.1 ms to write)."""

    def __init__(self, schema, id_field: str):
        wkt = schema.crs.to_wkt()
        self.to_3857, self.from_3857 = _to_3857(wkt), _from_3857(wkt)
        self.columns = {}
        for detailed in (False, True):
            names = [
                c
                for c, kind in schema.columns.items()
                if c != "geometry" and keep_column(c, kind, id_field, DETAIL_ZOOM if detailed else 0)
            ]
            select = ", ".join(f't."{c}"' for c in names)
            sql = (
                f'SELECT {select}, t."{schema.geometry_column}" FROM "{schema.table}" AS t '
                f'JOIN "{schema.rtree}" AS r ON t.fid = r.id '
                "WHERE r.maxx >= ? AND r.minx <= ? AND r.maxy >= ? AND r.miny <= ? LIMIT ?"
            )
            self.columns[detailed] = (names, sql)

    def to_tile_crs(self, xy: np.ndarray) -> np.ndarray:
        """Storage coordinates (n × 2) in EPSG:3857."""
        x, y = self.to_3857.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])


#: Plans by schema (schemas are cached and replaced when the table changes; the schema is kept with its plan
#: so its id is not reused while the entry lives).
_PLANS: dict[tuple[int, str], tuple[object, _TilePlan]] = {}


def _plan(schema, id_field: str) -> _TilePlan:
    entry = _PLANS.get((id(schema), id_field))
    if entry is None or entry[0] is not schema:
        if len(_PLANS) > 64:
            _PLANS.clear()
        entry = _PLANS[id(schema), id_field] = (schema, _TilePlan(schema, id_field))
    return entry[1]


#: The tile square's outline, 16 segments a side (a tile's edges are curved in the storage CRS), in tile units.
_OUTLINE = np.concatenate(
    [
        np.column_stack([np.linspace(0, 1, 17)[:-1], np.zeros(16)]),
        np.column_stack([np.ones(16), np.linspace(0, 1, 17)[:-1]]),
        np.column_stack([np.linspace(1, 0, 17)[:-1], np.ones(16)]),
        np.column_stack([np.zeros(16), np.linspace(1, 0, 17)[:-1]]),
    ]
)


class GeoPackageTileProvider(BaseMVTProvider):
    """Vector tiles of one GeoPackage table (config: ``data`` = the .gpkg path, ``table``)."""

    def __init__(self, provider_def: dict):
        super().__init__(provider_def)
        self.table = provider_def["table"]
        self.id_field = provider_def.get("id_field", "id")
        self.schema = table_schema(self.data, self.table)
        self._fields = {name: {"type": kind} for name, kind in self.schema.columns.items()}

    def get_layer(self) -> str:
        return self.table

    def get_fields(self) -> dict:
        return self._fields

    def get_tiling_schemes(self):
        return [TileMatrixSetEnum.WEBMERCATORQUAD.value]

    def get_tiles_service(self, baseurl=None, servicepath=None, dirpath=None, tile_type=None):
        super().get_tiles_service(baseurl, servicepath, dirpath, tile_type)
        self._service_url = servicepath
        return self.get_tms_links()

    def get_html_metadata(self, dataset, server_url, layer, tileset, title, description, keywords, **kwargs):
        return {
            "id": dataset,
            "title": title,
            "tileset": tileset,
            "collections_path": url_join(server_url, "collections"),
            "json_url": url_join(server_url, f"collections/{dataset}/tiles/{tileset}/metadata") + "?f=json",
        }

    def get_default_metadata(self, dataset, server_url, layer, tileset, title, description, keywords, **kwargs):
        from providers.tile_metadata import tileset_metadata

        return tileset_metadata(self, dataset, server_url, layer, tileset, title, description, keywords)

    def get_vendor_metadata(self, dataset, server_url, layer, tileset, title, description, keywords, **kwargs):
        """TileJSON (``?f=tilejson``)."""
        from providers.tile_metadata import tilejson

        return tilejson(
            self,
            dataset,
            server_url,
            layer,
            tileset,
            title,
            description,
            {name: spec["type"] for name, spec in self._fields.items()},
        )

    def get_tiles(self, layer=None, tileset=None, z=None, y=None, x=None, format_=None) -> bytes | None:
        try:
            z, y, x = int(z), int(y), int(x)
        except (TypeError, ValueError):
            raise ProviderInvalidQueryError(user_msg="tile matrix, row and column must be integers") from None
        [scheme] = [s for s in self.get_tiling_schemes() if s.tileMatrixSet == tileset] or [None]
        if scheme is None or not (0 <= z <= MAX_ZOOM) or not (0 <= x < 2**z and 0 <= y < 2**z):
            raise ProviderTileNotFoundError
        conn = reader_for(self.data)
        # the version is read before the data: a tile is never kept under a version older than its data
        version = table_version(conn, self.table) if ensure_versioned(self.data, conn, self.table) else None
        cache = TileCache(self.data, self.table)
        if version is not None:
            cached = cache.get(version, z, x, y)
            if cached is not None:
                return cached or None
        bounds = tile_bounds_3857(z, x, y)
        plan = _plan(self.schema, self.id_field)
        geoms, columns = self._features(conn, bounds, z, plan)
        tile = b""
        if len(geoms):
            tile = encode_columns(self.table, geoms, columns, bounds, EXTENT, transform=plan.to_tile_crs, buffer=BUFFER)
        if version is not None:
            cache.put(version, z, x, y, tile)
        return tile or None

    def _features(
        self, conn: sqlite3.Connection, bounds: tuple[float, float, float, float], z: int, plan: _TilePlan | None = None
    ) -> tuple[np.ndarray, dict[str, tuple]]:
        """The geometries (storage CRS, as stored) of the tile's candidates and their attributes by column.

        Candidates are the rows whose R-tree box meets the tile's envelope in the storage CRS. The columns stay
        as SQLite gave them (a tuple each): no dictionary per feature. Transforming, clipping and leaving out
        what vanishes at tile resolution is :func:`encode_columns`'s (all coordinates at once).
        """
        plan = plan or _plan(self.schema, self.id_field)
        minx, miny, maxx, maxy = bounds
        sx, sy = plan.from_3857.transform(minx + _OUTLINE[:, 0] * (maxx - minx), miny + _OUTLINE[:, 1] * (maxy - miny))
        names, sql = plan.columns[z >= DETAIL_ZOOM]  # fewer columns at low zoom (tile_detail)
        envelope = (float(sx.min()), float(sx.max()), float(sy.min()), float(sy.max()))
        rows = conn.execute(sql, (*envelope, MAX_FEATURES_PER_TILE)).fetchall()
        if not rows:
            return np.empty(0, dtype=object), {}
        *values, blobs = zip(*rows, strict=True)
        return gpkg_functions.decode(blobs), dict(zip(names, values, strict=True))

    def __repr__(self):
        return f"<GeoPackageTileProvider> {self.data} {self.table}"


def lonlat_to_tile(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The XYZ tile holding a CRS84 point (for tests and clients)."""
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y
