"""The 2D map's background: a configured basemap (XYZ, WMTS or WMS) as a Leaflet layer, else one drawn from
the store's own layers.

What is configured (``BUERGERGIS_BASEMAP*``, presets, checks) is read in ``settings/basemap.py``; this
module makes the Dash/Leaflet layer of it (:class:`Basemap`, :func:`basemap_from`).

Where none is configured (offline, the demo), the map draws its own background from the store:
water and green areas (``landcover``), the plans' Verkehrsflächen as quiet grey road surfaces, the
streets as white lines with their names from zoom 16 (``addresses`` of kind street), under the plan layers;
the buildings layer above them is grey too. See :data:`BACKGROUND_LAYERS`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import dash_leaflet as dl

from settings import basemap as configured
from settings.basemap import BasemapError, BasemapSettings  # noqa: F401 — ui/map.py reads BasemapError here


@dataclass(frozen=True)
class Basemap(configured.Basemap):
    """A configured basemap, ready for Leaflet."""

    def layer(self):
        """The Leaflet layer (a TileLayer, or a WMSTileLayer)."""
        common = {
            "attribution": self.attribution,
            "maxZoom": 20,
            "maxNativeZoom": self.max_native_zoom,
            "className": "basemap-tiles",
        }
        if self.kind == "wms":
            return dl.WMSTileLayer(
                url=self.url,
                layers=self.layers,
                format=self.format,
                styles=self.styles,
                transparent=False,
                version="1.3.0",
                **common,
            )
        return dl.TileLayer(url=self.url, **common)


def basemap_from(settings: BasemapSettings | None = None) -> Basemap | None:
    """The configured basemap with its Leaflet layer, None where none is (:class:`BasemapError` for an unusable
    setting)."""
    found = configured.basemap_from(settings)
    return None if found is None else Basemap(**asdict(found))


# --------------------------------------------------------------------------- the own background

#: Map layers of the own background, drawn bottom to top below the plan layers:
#: id -> (collection, style function, label function or None). The streets themselves are the map's
#: ``streets`` layer (style ``backgroundStreet``), just above these; their names come from here.
BACKGROUND_LAYERS = {
    "bg-landcover": ("landcover", "backgroundLandcover", None),
    "bg-verkehr": ("bp_verkehrsflaeche", "backgroundTraffic", None),
    "bg-street-names": ("addresses", "backgroundStreetName", "streetLabel"),
}
#: What the background asks of its collections: only what it draws.
BACKGROUND_PARAMS = {
    "landcover": {"properties": "kind"},
    "bp_verkehrsflaeche": {"properties": "zweckbestimmung"},
    "streets": {"properties": "highway"},
    "addresses": {"properties": "name,kind", "kind": "street"},
}
