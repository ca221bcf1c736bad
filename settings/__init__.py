"""Settings from the environment (prefix ``BUERGERGIS_``), one place for all of them.

A Kommune configures its installation with environment variables only, e.g.
``BUERGERGIS_STORE=postgresql://gis@db/buergergis BUERGERGIS_STORAGE_EPSG=25833``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parents[1]  # the repository (settings/ sits at its top)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BUERGERGIS_")

    #: A GeoPackage path (embedded default) or a ``postgresql://`` URL (PostGIS; ``store.base.is_postgis_url`` tells).
    store: str = Field(default=str(ROOT / "var" / "demo.gpkg"))
    #: EPSG code everything is stored in (25832 = ETRS89 / UTM 32N, most of Germany).
    storage_epsg: int = 25832
    #: Working files: plan rasters, the generated OpenAPI document.
    data_dir: Path = ROOT / "var"
    #: The URL citizens reach the portal at (no trailing slash); the OGC API is below /oapi. Unset: this
    #: machine at :attr:`port` (``http://localhost:<port>``), so the API's links work on any port.
    public_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8050
    #: Serve the Dash UI at / (off: the OGC API alone, e.g. for an API-only worker).
    ui: bool = True
    #: Largest accepted request body for writes (bytes).
    max_upload_bytes: int = 1_000_000
    #: A 2D map layer with at most this many features is loaded whole; a larger one (a city's
    #: buildings) only for the area in view, once zoomed in far enough (``ui.map.VIEWPORT_MIN_ZOOM``).
    map_whole_layer_max: int = 10_000

    @model_validator(mode="after")
    def _public_url_follows_port(self) -> Settings:
        # Links in every API answer are built from public_url: without one, they must name the port
        # actually served, or clients (GDAL, QGIS) follow them to a closed port.
        if not self.public_url:
            self.public_url = f"http://localhost:{self.port}"
        self.public_url = self.public_url.rstrip("/")
        return self

    @property
    def api_url(self) -> str:
        return f"{self.public_url}/oapi"

    @property
    def raster_dir(self) -> Path:
        return self.data_dir / "rasters"


@lru_cache
def get_settings() -> Settings:
    return Settings()
