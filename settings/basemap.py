"""The 2D map's background map as configured: ``BUERGERGIS_BASEMAP*`` read into a :class:`Basemap`.

A Kommune chooses its basemap with environment settings; nothing is requested from a third party
unless one is configured:

================================  ===================================================================
``BUERGERGIS_BASEMAP``            a preset (``basemap.de``, ``basemap.de-grau``, ``osm``), or ``xyz``,
                                  ``wmts`` or ``wms`` for the Kommune's own service; unset: none
``BUERGERGIS_BASEMAP_URL``        xyz: a tile template with ``{z}/{x}/{y}``; wmts: a RESTful template
                                  (``{z}``/``{TileMatrix}``, ``{y}``/``{TileRow}``, ``{x}``/``{TileCol}``)
                                  or the service's KVP address; wms: the GetMap address
``BUERGERGIS_BASEMAP_LAYERS``     wms: layer names (comma-separated); wmts (KVP): the layer
``BUERGERGIS_BASEMAP_ATTRIBUTION`` shown on the map (HTML allowed, e.g. a link); presets bring theirs
``BUERGERGIS_BASEMAP_TITLE``      its name in the layer switcher (default: the preset's, else "Hintergrundkarte")
``BUERGERGIS_BASEMAP_FORMAT``     ``image/png`` (wms, wmts KVP)
``BUERGERGIS_BASEMAP_STYLE``      wmts KVP style (``default``), wms styles (empty)
``BUERGERGIS_BASEMAP_MATRIX_SET`` wmts KVP tile matrix set (``GLOBAL_WEBMERCATOR``); must be Web Mercator
``BUERGERGIS_BASEMAP_MAX_ZOOM``   the deepest zoom the service has tiles for (deeper zooms enlarge them)
================================  ===================================================================

Settings only, no Dash: the portal draws it (``ui/basemap.py``: the Leaflet layer), the API allows its tile
host in the portal's Content-Security-Policy (``api/headers.py``) and shows it on pygeoapi's HTML maps
(``api/pygeoapi_pages.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from pydantic_settings import BaseSettings, SettingsConfigDict

BASEMAP_DE_ATTRIBUTION = (
    '&copy; <a href="https://basemap.de/">basemap.de</a> / '
    '<a href="https://www.bkg.bund.de/">BKG</a> | Datenquellen: &copy; GeoBasis-DE'
)
OSM_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>-Mitwirkende'
_BASEMAP_DE = (
    "https://sgx.geodatenzentrum.de/wmts_basemapde/tile/1.0.0/de_basemapde_web_raster_{style}/default/"
    "GLOBAL_WEBMERCATOR/{{z}}/{{y}}/{{x}}.png"
)

#: name -> (kind, url, attribution, title de, title en, deepest native zoom)
PRESETS = {
    "basemap.de": (
        "xyz",
        _BASEMAP_DE.format(style="farbe"),
        BASEMAP_DE_ATTRIBUTION,
        "Hintergrundkarte basemap.de",
        "Background map basemap.de",
        18,
    ),
    "basemap.de-grau": (
        "xyz",
        _BASEMAP_DE.format(style="grau"),
        BASEMAP_DE_ATTRIBUTION,
        "Hintergrundkarte basemap.de (grau)",
        "Background map basemap.de (grey)",
        18,
    ),
    "osm": (
        "xyz",
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        OSM_ATTRIBUTION,
        "Stadtplan OpenStreetMap",
        "Street map OpenStreetMap",
        19,
    ),
}
KINDS = ("xyz", "wmts", "wms")


class BasemapSettings(BaseSettings):
    """``BUERGERGIS_BASEMAP*`` (see the module's table)."""

    model_config = SettingsConfigDict(env_prefix="BUERGERGIS_")

    basemap: str = ""
    basemap_url: str = ""
    basemap_layers: str = ""
    basemap_attribution: str = ""
    basemap_title: str = ""
    basemap_format: str = "image/png"
    basemap_style: str = ""
    basemap_matrix_set: str = "GLOBAL_WEBMERCATOR"
    basemap_max_zoom: int | None = None


class BasemapError(ValueError):
    """The basemap settings do not describe a usable basemap (the message says which setting)."""


@dataclass(frozen=True)
class Basemap:
    """A configured basemap: where its tiles come from, its attribution and titles."""

    kind: str  # xyz (also WMTS, as a tile template) | wms
    url: str
    attribution: str
    title_de: str
    title_en: str
    max_native_zoom: int = 19
    layers: str = ""  # wms
    format: str = "image/png"  # wms
    styles: str = ""  # wms

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_de

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc

    @property
    def origin(self) -> str | None:
        """``scheme://host`` the tiles come from (the portal's Content-Security-Policy allows it); None for a
        URL that names no http(s) host."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else None


def basemap_from(settings: BasemapSettings | None = None) -> Basemap | None:
    """The configured basemap, None where none is (:class:`BasemapError` for an unusable setting)."""
    settings = settings or BasemapSettings()
    name = settings.basemap.strip()
    if not name or name.lower() in ("none", "off", "0", "false", "keine"):
        return None
    key = name.lower()
    if key in PRESETS:
        kind, url, attribution, title_de, title_en, native = PRESETS[key]
        return Basemap(
            kind=kind,
            url=settings.basemap_url or url,
            attribution=settings.basemap_attribution or attribution,
            title_de=settings.basemap_title or title_de,
            title_en=settings.basemap_title or title_en,
            max_native_zoom=settings.basemap_max_zoom or native,
        )
    if key not in KINDS:
        raise BasemapError(
            f"BUERGERGIS_BASEMAP={name!r}: choose a preset ({', '.join(PRESETS)}) or one of "
            f"{', '.join(KINDS)} with BUERGERGIS_BASEMAP_URL"
        )
    url = settings.basemap_url.strip()
    if not url.startswith(("https://", "http://", "/")):
        raise BasemapError(f"BUERGERGIS_BASEMAP={key} needs BUERGERGIS_BASEMAP_URL (an http(s) address)")
    title = settings.basemap_title or "Hintergrundkarte"
    attribution = settings.basemap_attribution or f"Hintergrundkarte: {urlsplit(url).netloc or url}"
    native = settings.basemap_max_zoom or 19
    if key == "wms":
        if not settings.basemap_layers:
            raise BasemapError("BUERGERGIS_BASEMAP=wms needs BUERGERGIS_BASEMAP_LAYERS (the layer names)")
        return Basemap(
            kind="wms",
            url=url,
            attribution=attribution,
            title_de=title,
            title_en=settings.basemap_title or "Background map",
            max_native_zoom=native,
            layers=settings.basemap_layers,
            format=settings.basemap_format or "image/png",
            styles=settings.basemap_style,
        )
    if key == "wmts":
        url = wmts_template(url, settings)
    elif not all(part in url for part in ("{z}", "{x}", "{y}")):
        raise BasemapError(
            "BUERGERGIS_BASEMAP=xyz needs a tile template with {z}, {x} and {y} in BUERGERGIS_BASEMAP_URL"
        )
    return Basemap(
        kind="xyz",
        url=url,
        attribution=attribution,
        title_de=title,
        title_en=settings.basemap_title or "Background map",
        max_native_zoom=native,
    )


def wmts_template(url: str, settings: BasemapSettings) -> str:
    """A WMTS as a Leaflet tile template: a RESTful template with its placeholders renamed, or GetTile (KVP)."""
    for wmts_name, leaflet_name in (("{TileMatrix}", "{z}"), ("{TileRow}", "{y}"), ("{TileCol}", "{x}")):
        url = url.replace(wmts_name, leaflet_name)
    if all(part in url for part in ("{z}", "{x}", "{y}")):
        return url
    if not settings.basemap_layers:
        raise BasemapError(
            "BUERGERGIS_BASEMAP=wmts: give a RESTful template ({TileMatrix}/{TileRow}/{TileCol} or "
            "{z}/{y}/{x}) in BUERGERGIS_BASEMAP_URL, or the service address and "
            "BUERGERGIS_BASEMAP_LAYERS (the layer) for GetTile requests"
        )
    query = urlencode(
        {
            "SERVICE": "WMTS",
            "REQUEST": "GetTile",
            "VERSION": "1.0.0",
            "LAYER": settings.basemap_layers,
            "STYLE": settings.basemap_style or "default",
            "TILEMATRIXSET": settings.basemap_matrix_set or "GLOBAL_WEBMERCATOR",
            "FORMAT": settings.basemap_format or "image/png",
        }
    )
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}{query}&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}"
