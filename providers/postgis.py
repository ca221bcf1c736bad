"""pygeoapi's PostgreSQL feature provider, configured from a store URL, counting only when needed.

The stock provider runs ``SELECT count(*)`` with the same filters on every page.
A page shorter than ``limit`` already tells the total (offset + rows returned),
so the extra count query runs only when the page is full or lands past the end.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from pygeoapi.provider.sql import PostgreSQLProvider


def pygeoapi_connection(url: str, schema: str = "public") -> dict:
    """``postgresql://user:pw@host:port/db`` -> the ``data`` mapping pygeoapi's SQL providers expect."""
    parts = urlsplit(url)
    return {
        "host": parts.hostname or "localhost",
        "port": parts.port or 5432,
        "dbname": parts.path.lstrip("/"),
        "user": unquote(parts.username or "postgres"),
        "password": unquote(parts.password or ""),
        "search_path": [schema],
    }


class PostGISProvider(PostgreSQLProvider):
    """PostgreSQL provider whose ``data`` may be a ``postgresql://`` URL and which counts lazily."""

    def __init__(self, provider_def: dict):
        if isinstance(provider_def.get("data"), str):
            provider_def = {**provider_def, "data": pygeoapi_connection(provider_def["data"])}
        super().__init__(provider_def)

    def query(self, offset=0, limit=10, resulttype="results", **kwargs):
        from providers.cql import check_filter_properties

        check_filter_properties(kwargs.get("filterq"), set(self.get_fields()) | {self.geom})
        if resulttype == "hits" or not self.count:
            return super().query(offset=offset, limit=limit, resulttype=resulttype, **kwargs)
        self.count = False
        try:
            page = super().query(offset=offset, limit=limit, resulttype=resulttype, **kwargs)
        finally:
            self.count = True
        returned = page["numberReturned"]
        if returned < limit and (returned > 0 or offset == 0):
            page["numberMatched"] = offset + returned
        else:
            hits = super().query(offset=0, limit=0, resulttype="hits", **kwargs)
            page["numberMatched"] = hits["numberMatched"]
        return page

    # -- writes (OGC API Features Part 4) ------------------------------------------

    def update(self, identifier, item):
        """Replace an item; the id comes from the URL (the stock provider wants it in the body too)."""
        from sqlalchemy.orm import Session

        identifier, json_data = self._load_and_prepare_item(item, identifier=identifier, raise_if_exists=False)
        new_instance = self._feature_to_sqlalchemy(json_data, identifier)
        with Session(self._engine) as session:
            session.merge(new_instance)
            session.commit()
        return True

    # The stock provider stores GeoJSON coordinates as if they were in the storage
    # CRS and accepts any property; both stores share the checks in providers/incoming.py.

    def _feature_to_sqlalchemy(self, json_data, identifier=None):
        from geoalchemy2.shape import from_shape
        from pygeoapi.crs import get_srid
        from pygeoapi.provider.base import ProviderInvalidDataError

        from layers.catalog import LAYERS
        from providers.incoming import check_geometry, check_properties, new_id

        srid = get_srid(self.storage_crs)
        layer = LAYERS.get(self.table)
        fields = {k: v for k, v in self.get_fields().items() if k != self.id_field}
        attributes = check_properties(json_data.get("properties") or {}, fields, readonly={"identifier"})
        geom = check_geometry(json_data.get("geometry"), layer.geometry_type if layer else "GEOMETRY", srid)
        if geom is not None and layer and layer.geometry_type and layer.geometry_type.startswith("MULTI") and (
                not geom.geom_type.startswith("Multi")):
            import shapely

            geom = {"Point": shapely.MultiPoint, "LineString": shapely.MultiLineString,
                    "Polygon": shapely.MultiPolygon}[geom.geom_type]([geom])
        attributes[self.geom] = from_shape(geom, srid=srid) if geom is not None else None
        attributes[self.id_field] = identifier if identifier is not None else new_id()
        try:
            return self.table_model(**attributes)
        except Exception as err:
            raise ProviderInvalidDataError(str(err)) from None
