"""One provider name in ``pygeoapi-config.yml`` for both stores.

The config names ``providers.store.StoreFeatureProvider`` with ``data:
${BUERGERGIS_STORE}``; this picks the backend from that value, so the same
config file serves a GeoPackage on a laptop and PostGIS in production, and the
same API test suite runs against both.
"""

from __future__ import annotations

import json
import threading

from store.base import is_postgis_url

#: PostGIS providers by their definition: pygeoapi makes a provider per request, and building
#: one (SQLAlchemy table model, CRS objects) costs ~0.4 ms of a ~12 ms page. They hold no
#: per-request state (the engine and its pool are shared anyway), so one per definition serves
#: every thread. GeoPackage providers are made per request, as pygeoapi does.
_POSTGIS_PROVIDERS: dict[tuple[str, str], object] = {}
_LOCK = threading.Lock()


def _shared(kind: str, provider_def: dict, make):
    key = (kind, json.dumps(provider_def, sort_keys=True, default=str))
    provider = _POSTGIS_PROVIDERS.get(key)
    if provider is None:
        with _LOCK:
            provider = _POSTGIS_PROVIDERS.get(key)
            if provider is None:
                provider = _POSTGIS_PROVIDERS[key] = make(provider_def)
    return provider


class StoreFeatureProvider:
    """Factory: ``StoreFeatureProvider(provider_def)`` returns the provider for the configured store.

    pygeoapi instantiates providers by calling the class named in the config, so
    ``__new__`` returning an instance of another class is the smallest hook
    that needs no change to pygeoapi.
    """

    def __new__(cls, provider_def: dict):
        if is_postgis_url(provider_def.get("data")):
            from providers.postgis import PostGISProvider

            return _shared("features", provider_def, PostGISProvider)
        from providers.geopackage import GeoPackageProvider

        return GeoPackageProvider(provider_def)


class StoreTileProvider:
    """Factory for Mapbox vector tiles (MVT), by the configured store.

    PostGIS: :class:`providers.postgis.PostGISTileProvider`, one per definition for every thread (as the
    feature providers), renders a tile in one statement (``ST_AsMVT``). The GeoPackage:
    :class:`providers.geopackage_tiles.GeoPackageTileProvider`, made per request, cuts the tile's features from
    the R-tree, encodes the whole layer with numpy (``providers/mvt_encoder.py``, not mapbox-vector-tile's
    per-feature encoder) and keeps the tile in ``providers/tile_cache.py`` until its table is written. Both
    leave out attributes at low zoom (``providers/tile_detail.py``).
    """

    def __new__(cls, provider_def: dict):
        if is_postgis_url(provider_def.get("data")):
            from providers.postgis import PostGISTileProvider

            return _shared("tiles", provider_def, PostGISTileProvider)
        from providers.geopackage_tiles import GeoPackageTileProvider

        return GeoPackageTileProvider(provider_def)
