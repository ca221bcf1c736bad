"""Tileset metadata of the vector tile providers (both stores): OGC API Tiles and TileJSON.

pygeoapi 0.24's defaults fall short for real clients: the GeoPackage provider's tileset had no
``tiling-scheme`` link (GDAL's OGCAPI driver needs it to read the tile matrix set) and claimed EPSG:3857 for
any tileset id; ``?f=tilejson`` was a 500 on both stores (not implemented; a CRS URI passed to pyproj as
``EPSG:http://…``). Both providers build their metadata here, from the tile matrix sets they serve.
"""

from __future__ import annotations

from pygeoapi.provider.tile import ProviderTileNotFoundError
from pygeoapi.util import url_join

TILING_SCHEME_REL = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"
MVT = "application/vnd.mapbox-vector-tile"


def _scheme(provider, tileset: str):
    """The provider's tile matrix set of that id; ProviderTileNotFoundError (404) for one it does not serve."""
    for scheme in provider.get_tiling_schemes():
        if scheme.tileMatrixSet == tileset:
            return scheme
    raise ProviderTileNotFoundError(f"tile matrix set {tileset!r} is not served; see …/tiles for those that are")


def _zooms(provider) -> tuple[int, int]:
    zoom = (getattr(provider, "options", None) or {}).get("zoom") or {}
    return int(zoom.get("min", 0)), int(zoom.get("max", 22))


def tileset_metadata(
    provider, dataset: str, server_url: str, layer: str, tileset: str, title, description, keywords
) -> dict:
    """OGC API Tiles tileset metadata: the set's own CRS and URI, a ``tiling-scheme`` link, the tile template."""
    scheme = _scheme(provider, tileset)
    template = url_join(server_url, f"collections/{dataset}/tiles/{tileset}", "{tileMatrix}/{tileRow}/{tileCol}?f=mvt")
    minzoom, maxzoom = _zooms(provider)
    return {
        "title": title,
        "description": description,
        "keywords": keywords,
        "crs": str(scheme.crs),
        "dataType": "vector",
        "tileMatrixSetURI": str(scheme.tileMatrixSetURI),
        "links": [
            {
                "href": url_join(server_url, "TileMatrixSets", scheme.tileMatrixSet),
                "rel": TILING_SCHEME_REL,
                "type": "application/json",
                "title": f"{scheme.tileMatrixSet} tile matrix set definition",
            },
            {
                "href": template,
                "rel": "item",
                "type": MVT,
                "title": "This collection as Mapbox vector tiles",
                "templated": True,
            },
        ],
        "tileMatrixSetLimits": [{"tileMatrix": str(z)} for z in range(minzoom, maxzoom + 1)],
        "layers": [{"id": layer, "dataType": "vector", "geometryDimension": 2}],
    }


def tilejson(
    provider, dataset: str, server_url: str, layer: str, tileset: str, title, description, fields: dict[str, str]
) -> dict:
    """TileJSON 3.0.0 of a Web Mercator tileset (the only tiling TileJSON describes)."""
    from pygeoapi.provider.base import ProviderInvalidQueryError

    scheme = _scheme(provider, tileset)
    if scheme.tileMatrixSet != "WebMercatorQuad":
        raise ProviderInvalidQueryError(
            user_msg="TileJSON beschreibt nur WebMercatorQuad / TileJSON describes WebMercatorQuad tiles only"
        )
    minzoom, maxzoom = _zooms(provider)
    return {
        "tilejson": "3.0.0",
        "name": str(title or dataset),
        "description": str(description or ""),
        "scheme": "xyz",
        "minzoom": minzoom,
        "maxzoom": maxzoom,
        "tiles": [url_join(server_url, f"collections/{dataset}/tiles/{tileset}", "{z}/{y}/{x}?f=mvt")],
        "vector_layers": [
            {
                "id": layer,
                "fields": {name: str(kind) for name, kind in fields.items()},
                "minzoom": minzoom,
                "maxzoom": maxzoom,
            }
        ],
    }
