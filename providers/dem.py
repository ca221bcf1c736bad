"""The DEM as an OGC API Coverage: pygeoapi's rasterio provider with client errors reported as such.

The stock provider raises ``ProviderQueryError`` (a 500) when a bbox has six
values or lies outside the raster, or when bbox and subset are combined; those
are mistakes in the request, so they become 400 with the same message.
"""

from __future__ import annotations

from pygeoapi.provider.base import ProviderInvalidQueryError, ProviderQueryError
from pygeoapi.provider.rasterio_ import RasterioProvider


class DEMCoverageProvider(RasterioProvider):
    def query(self, properties=[], subsets={}, bbox=None, bbox_crs=4326, datetime_=None, format_="json",
              **kwargs):
        if bbox and len(bbox) != 4:
            raise ProviderInvalidQueryError(user_msg="bbox needs four values: minx,miny,maxx,maxy")
        try:
            return super().query(properties=properties, subsets=subsets, bbox=bbox, bbox_crs=bbox_crs,
                                 datetime_=datetime_, format_=format_, **kwargs)
        except ProviderQueryError as err:
            raise ProviderInvalidQueryError(
                user_msg=f"coverage query not possible: {err.message or 'bbox outside the raster'}") from None
