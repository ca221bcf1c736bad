"""The one small interface both stores implement.

Importers (``layers/``) hand a store *frames*: ``{layer_id: GeoDataFrame}`` whose
columns are a subset of the layer's catalogue columns plus ``geometry``, already
in the storage CRS.  The store writes them in one transaction: a re-import of the
same plan (or source) first deletes that plan's rows in every plan-scoped layer,
so it replaces and never duplicates, and a failure leaves the store unchanged.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping

import geopandas as gpd

from schema.catalog import LAYERS, Layer


class StoreError(Exception):
    """A store operation failed; the message says which layer and why."""


def checked_bbox(bbox) -> tuple[float, float, float, float]:
    """``(minx, miny, maxx, maxy)`` as four finite floats with min <= max, else :class:`StoreError`."""
    try:
        minx, miny, maxx, maxy = (float(v) for v in bbox)
    except (TypeError, ValueError):
        raise StoreError(f"bbox must be four numbers (minx, miny, maxx, maxy), got {bbox!r}") from None
    if not all(map(math.isfinite, (minx, miny, maxx, maxy))) or minx > maxx or miny > maxy:
        raise StoreError(f"bbox must be finite with min <= max, got {bbox!r}")
    return minx, miny, maxx, maxy


class Store(ABC):
    """A place where catalogue layers live: a GeoPackage file or a PostGIS schema."""

    #: EPSG code every geometry is stored in.
    epsg: int

    @abstractmethod
    def create_schema(self, layers: Iterable[Layer] = LAYERS.values()) -> None:
        """Create the tables (and spatial indexes) of ``layers`` if missing."""

    @abstractmethod
    def replace(
        self,
        frames: Mapping[str, gpd.GeoDataFrame],
        *,
        plan_id: str | None = None,
        source: str | None = None,
    ) -> dict[str, int]:
        """Atomically replace one plan's (or one source's) rows with ``frames``.

        With ``plan_id`` every plan-scoped layer loses its rows of that plan,
        including layers absent from ``frames``; with ``source`` every
        source-scoped layer in ``frames`` loses its rows of that source.
        Returns the number of rows written per layer.
        """

    @abstractmethod
    def read(
        self,
        layer_id: str,
        where: Mapping[str, object] | None = None,
        bbox: tuple[float, float, float, float] | None = None,
    ) -> gpd.GeoDataFrame:
        """Read a layer (equality filters in ``where``) as a GeoDataFrame in the storage CRS.

        ``bbox`` (minx, miny, maxx, maxy in the storage CRS) keeps the rows whose geometry's
        bounding box meets it, found through the spatial index: a district out of a city.
        """

    @abstractmethod
    def count(self, layer_id: str) -> int:
        """Number of rows in a layer."""

    @abstractmethod
    def delete_plan(self, plan_id: str) -> int:
        """Delete every row of a plan in every plan-scoped layer; return how many."""

    def bounds(self, layer_id: str) -> tuple[float, float, float, float] | None:
        """Bounding box of a layer in the storage CRS, or None when it is empty.

        Stores override this with an index-only query; this default reads the layer.
        """
        frame = self.read(layer_id)
        if frame.empty or frame.geometry.isna().all():
            return None
        minx, miny, maxx, maxy = (float(v) for v in frame.total_bounds)
        return minx, miny, maxx, maxy

    def extents_crs84(self) -> dict[str, list[float]]:
        """CRS84 bounding box of every non-empty layer with geometry (for collection metadata)."""
        from store.crs import transformer

        to_crs84 = transformer(self.epsg, "OGC:CRS84")
        extents = {}
        for layer in LAYERS.values():
            if not layer.geometry_type:
                continue
            box = self.bounds(layer.id)
            if box is not None:
                extents[layer.id] = list(to_crs84.transform_bounds(*box))
        return extents

    def close(self) -> None:  # noqa: B027 — optional hook: stores without connections keep this no-op
        """Release connections."""


def check_frames(frames: Mapping[str, gpd.GeoDataFrame], epsg: int) -> None:
    """Refuse frames that do not fit the catalogue, before anything is written."""
    for layer_id, frame in frames.items():
        if layer_id not in LAYERS:
            raise StoreError(f"unknown layer {layer_id!r}")
        columns = LAYERS[layer_id].columns
        extra = set(frame.columns) - set(columns) - {"geometry"}
        if extra:
            raise StoreError(f"layer {layer_id}: columns not in the catalogue: {sorted(extra)}")
        if "id" not in frame.columns:
            raise StoreError(f"layer {layer_id}: rows need an 'id'")
        if frame["id"].isna().any():
            raise StoreError(f"layer {layer_id}: some rows have no id")
        if frame["id"].duplicated().any():
            dup = frame.loc[frame["id"].duplicated(), "id"].iloc[0]
            raise StoreError(f"layer {layer_id}: duplicate id {dup!r}")
        if len(frame) and frame.crs is not None and frame.crs.to_epsg() != epsg:
            raise StoreError(f"layer {layer_id}: frame is in {frame.crs}, the store expects EPSG:{epsg}")


def is_postgis_url(url: object) -> bool:
    """Whether a store setting names PostGIS (a ``postgresql://`` or ``postgres://`` URL); else a GeoPackage path.

    The one test every package uses, so that a ``postgres://`` URL (Heroku's spelling) reaches PostGIS
    everywhere or nowhere.  Anything but a string (a provider's missing ``data``) is no URL.
    """
    return isinstance(url, str) and url.startswith(("postgresql://", "postgres://"))


def open_store(url: str, epsg: int | None = None) -> Store:
    """Open the store at ``url``: ``postgresql://…`` for PostGIS, else a GeoPackage path."""
    from schema.catalog import DEFAULT_STORAGE_EPSG

    epsg = epsg or DEFAULT_STORAGE_EPSG
    if is_postgis_url(url):
        from store.postgis import PostGISStore

        return PostGISStore(url, epsg=epsg)
    from store.geopackage import GeoPackageStore

    return GeoPackageStore(url, epsg=epsg)
