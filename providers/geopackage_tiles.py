"""Mapbox vector tiles from the embedded GeoPackage store (pygeoapi tile provider).

PostGIS renders tiles with ST_AsMVT (pygeoapi's MVT-postgresql provider); the
embedded store does the same in Python: the tile's envelope is transformed to
the storage CRS, candidates come from the R-tree, geometries are clipped and
quantised by ``mapbox_vector_tile``. Served for WebMercatorQuad, which is what
MapLibre, deck.gl and QGIS ask for.
"""

from __future__ import annotations

import logging
import math
from functools import lru_cache

import mapbox_vector_tile
import numpy as np
import pyproj
import shapely
from pygeoapi.models.provider.base import TileMatrixSetEnum
from pygeoapi.provider.base import ProviderInvalidQueryError
from pygeoapi.provider.base_mvt import BaseMVTProvider
from pygeoapi.provider.tile import ProviderTileNotFoundError
from pygeoapi.util import url_join

from providers.geopackage import connection_for, table_schema
from providers.tile_detail import keep_column
from store import gpkg_functions

LOG = logging.getLogger(__name__)

#: Half the width of the Web Mercator square (metres).
_ORIGIN = 20037508.342789244
#: A tile holds at most this many features; city-scale tiles at low zoom stay small.
MAX_FEATURES_PER_TILE = 20000
EXTENT = 4096
#: Deepest WebMercatorQuad level (OGC TMS 2.0 defines 0..24).
MAX_ZOOM = 24


def tile_bounds_3857(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """Web Mercator bounds of XYZ tile z/x/y (y counted from the top, as WebMercatorQuad does)."""
    size = 2 * _ORIGIN / (2 ** z)
    minx = -_ORIGIN + x * size
    maxy = _ORIGIN - y * size
    return minx, maxy - size, minx + size, maxy


@lru_cache(maxsize=16)
def _to_3857(epsg_wkt: str) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(pyproj.CRS.from_wkt(epsg_wkt), "EPSG:3857", always_xy=True)


@lru_cache(maxsize=16)
def _from_3857(epsg_wkt: str) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs("EPSG:3857", pyproj.CRS.from_wkt(epsg_wkt), always_xy=True)


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
            "id": dataset, "title": title, "tileset": tileset,
            "collections_path": url_join(server_url, "collections"),
            "json_url": url_join(server_url, f"collections/{dataset}/tiles/{tileset}/metadata") + "?f=json",
        }

    def get_default_metadata(self, dataset, server_url, layer, tileset, title, description, keywords, **kwargs):
        from providers.tile_metadata import tileset_metadata

        return tileset_metadata(self, dataset, server_url, layer, tileset, title, description, keywords)

    def get_vendor_metadata(self, dataset, server_url, layer, tileset, title, description, keywords, **kwargs):
        """TileJSON (``?f=tilejson``)."""
        from providers.tile_metadata import tilejson

        return tilejson(self, dataset, server_url, layer, tileset, title, description,
                        {name: spec["type"] for name, spec in self._fields.items()})

    def get_tiles(self, layer=None, tileset=None, z=None, y=None, x=None, format_=None) -> bytes | None:
        try:
            z, y, x = int(z), int(y), int(x)
        except (TypeError, ValueError):
            raise ProviderInvalidQueryError(user_msg="tile matrix, row and column must be integers") from None
        [scheme] = [s for s in self.get_tiling_schemes() if s.tileMatrixSet == tileset] or [None]
        if scheme is None or not (0 <= z <= MAX_ZOOM) or not (0 <= x < 2 ** z and 0 <= y < 2 ** z):
            raise ProviderTileNotFoundError
        bounds = tile_bounds_3857(z, x, y)
        features = self._features(bounds, z)
        if not features:
            return None
        return mapbox_vector_tile.encode(
            [{"name": layer or self.table, "features": features}],
            default_options={"quantize_bounds": bounds, "extents": EXTENT, "y_coord_down": False},
        )

    def _features(self, bounds: tuple[float, float, float, float], z: int) -> list[dict]:
        schema = self.schema
        wkt = schema.crs.to_wkt()
        # The tile square, densified so its curved outline in the storage CRS is covered.
        square = shapely.segmentize(shapely.box(*bounds), (bounds[2] - bounds[0]) / 16)
        to_storage = _from_3857(wkt)
        coords = shapely.get_coordinates(square)
        sx, sy = to_storage.transform(coords[:, 0], coords[:, 1])
        minx, miny, maxx, maxy = float(np.min(sx)), float(np.min(sy)), float(np.max(sx)), float(np.max(sy))
        columns = [c for c, kind in schema.columns.items()
                   if c != "geometry" and keep_column(c, kind, self.id_field, z)]  # fewer at low zoom (tile_detail)
        select = ", ".join(f't."{c}"' for c in columns)
        sql = (f'SELECT {select}, t."{schema.geometry_column}" FROM "{schema.table}" AS t '
               f'JOIN "{schema.rtree}" AS r ON t.fid = r.id '
               "WHERE r.maxx >= ? AND r.minx <= ? AND r.maxy >= ? AND r.miny <= ? LIMIT ?")
        rows = connection_for(self.data).execute(sql, (minx, maxx, miny, maxy, MAX_FEATURES_PER_TILE)).fetchall()
        if not rows:
            return []
        geoms = gpkg_functions.decode([row[-1] for row in rows])
        to_3857 = _to_3857(wkt)
        geoms = shapely.transform(geoms, lambda xy: np.column_stack(to_3857.transform(xy[:, 0], xy[:, 1])))
        clip = shapely.box(*bounds).buffer((bounds[2] - bounds[0]) / 64, join_style="mitre")
        geoms = shapely.intersection(geoms, clip)
        features = []
        for row, geom in zip(rows, geoms, strict=True):
            if geom is None or geom.is_empty:
                continue
            properties = {c: v for c, v in zip(columns, row[:-1], strict=True) if v is not None}
            features.append({"geometry": geom, "properties": properties})
        return features

    def __repr__(self):
        return f"<GeoPackageTileProvider> {self.data} {self.table}"


def lonlat_to_tile(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The XYZ tile holding a CRS84 point (for tests and clients)."""
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y
