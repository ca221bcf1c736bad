"""The DEM as an OGC API Coverage: pygeoapi's rasterio provider with client errors reported as such.

The stock provider raises ``ProviderQueryError`` (a 500) when a bbox has six
values or lies outside the raster, or when bbox and subset are combined; those
are mistakes in the request, so they become 400 with the same message. Beyond that (OGC API Coverages):

* ``bbox-crs`` arrives as a URI, which the stock provider hands to ``CRS.from_epsg`` (a 500); here it is
  read as a CRS (an unknown one is a 400);
* ``subset`` axis names are those of the coverage's domain (``x``, ``y``, as its CoverageJSON names them),
  also ``Lon``/``Long``/``Lat``; the stock provider knew only ``Long``/``Lat``;
* the DEM has no time axis: a ``datetime`` is a 400 instead of being ignored.
"""

from __future__ import annotations

from pygeoapi.provider.base import ProviderInvalidQueryError, ProviderQueryError
from pygeoapi.provider.rasterio_ import RasterioProvider

from intake.messages import message

#: Subset axis names accepted for the x and y axes (the domain's names first).
X_NAMES = ("x", "Lon", "Long", "E")
Y_NAMES = ("y", "Lat", "N")


class DEMCoverageProvider(RasterioProvider):
    def __init__(self, provider_def):
        super().__init__(provider_def)
        self.axes = [*X_NAMES, *Y_NAMES]  # pygeoapi checks subset names against these

    def query(self, properties=None, subsets=None, bbox=None, bbox_crs=4326, datetime_=None, format_="json", **kwargs):
        properties = properties or []
        if datetime_ not in (None, "", "../.."):
            raise ProviderInvalidQueryError(user_msg=message("coverage_no_time"))
        if bbox and len(bbox) != 4:
            raise ProviderInvalidQueryError(user_msg="bbox needs four values: minx,miny,maxx,maxy")
        subsets = self._stock_axis_names(subsets or {})
        try:
            return super().query(
                properties=properties,
                subsets=subsets,
                bbox=bbox,
                bbox_crs=_epsg(bbox_crs),
                datetime_=datetime_,
                format_=format_,
                **kwargs,
            )
        except ProviderQueryError as err:
            raise ProviderInvalidQueryError(
                user_msg=f"coverage query not possible: {err.message or 'bbox outside the raster'}"
            ) from None

    def _stock_axis_names(self, subsets: dict) -> dict:
        """Subsets under the names the stock provider reads (its x/y axis labels)."""
        x_label, y_label = self._coverage_properties["x_axis_label"], self._coverage_properties["y_axis_label"]
        renamed = {}
        for name, value in subsets.items():
            target = x_label if name in X_NAMES else y_label if name in Y_NAMES else name
            if target in renamed:
                raise ProviderInvalidQueryError(user_msg=f"subset names the axis {target} twice")
            renamed[target] = value
        return renamed


def _epsg(bbox_crs) -> int:
    """The EPSG code of a ``bbox-crs`` (URI, URN, ``EPSG:n`` or a number); CRS84 is 4326 (lon/lat, as used)."""
    if isinstance(bbox_crs, int) or bbox_crs is None:
        return bbox_crs or 4326
    text = str(bbox_crs).strip()
    if text.endswith(("OGC/1.3/CRS84", "OGC:CRS84", "CRS84")):
        return 4326
    import pyproj

    try:
        code = pyproj.CRS.from_user_input(text).to_epsg()
    except pyproj.exceptions.CRSError:
        code = None
    if code is None:
        raise ProviderInvalidQueryError(user_msg=message("bbox_crs_unknown", uri=text[:120]))
    return int(code)
