"""One provider name in ``pygeoapi-config.yml`` for both stores.

The config names ``providers.store.StoreFeatureProvider`` with ``data:
${BUERGERGIS_STORE}``; this picks the backend from that value, so the same
config file serves a GeoPackage on a laptop and PostGIS in production, and the
same API test suite runs against both.
"""

from __future__ import annotations


def is_postgis_url(data) -> bool:
    return isinstance(data, str) and data.startswith(("postgresql://", "postgres://"))


class StoreFeatureProvider:
    """Factory: ``StoreFeatureProvider(provider_def)`` returns the provider for the configured store.

    pygeoapi instantiates providers by calling the class named in the config, so
    ``__new__`` returning an instance of another class is the smallest hook
    that needs no change to pygeoapi.
    """

    def __new__(cls, provider_def: dict):
        if is_postgis_url(provider_def.get("data")):
            from providers.postgis import PostGISProvider

            return PostGISProvider(provider_def)
        from providers.geopackage import GeoPackageProvider

        return GeoPackageProvider(provider_def)


class StoreTileProvider:
    """Factory for MVT tiles: PostGIS renders them with ST_AsMVT; the embedded store with mapbox-vector-tile."""

    def __new__(cls, provider_def: dict):
        if is_postgis_url(provider_def.get("data")):
            from providers.postgis import PostGISTileProvider

            return PostGISTileProvider(provider_def)
        from providers.geopackage_tiles import GeoPackageTileProvider

        return GeoPackageTileProvider(provider_def)
