"""pygeoapi's items route with pre-serialised pages and its CRS work done once: for both stores.

pygeoapi turns a page of features into text with ``json.dumps`` over a thousand dicts, and
for every request builds a pyproj Transformer for the bbox and three CRS objects for the
output CRS. A store that can write a page as JSON text itself (PostGIS builds it in SQL, the
GeoPackage provider from ``shapely.to_geojson``) returns :class:`RawFeatures`, and
:func:`install_json_passthrough` (run at start-up, ``api/wsgi.py``) splices that text into the
FeatureCollection and keeps the CRS work.
"""

from __future__ import annotations

import json
import math
import os
import threading
import uuid
from collections.abc import MutableSequence


class RawFeatures(MutableSequence):
    """A page of features held as the JSON array text its store built.

    ``len()`` needs no parsing. Any other access parses the text once into a list
    of dicts and from then on behaves as that list (callers may change it); only
    an untouched page is written out as the original text (:attr:`raw`).
    """

    __slots__ = ("_count", "_items", "_text")

    def __init__(self, text: str, count: int):
        self._text, self._count, self._items = text, count, None

    @property
    def raw(self) -> str | None:
        """The JSON array text, or None once the features were accessed as objects."""
        return self._text if self._items is None else None

    def _list(self) -> list:
        if self._items is None:
            self._items = json.loads(self._text)
        return self._items

    def __len__(self) -> int:
        return self._count if self._items is None else len(self._items)

    def __getitem__(self, index):
        return self._list()[index]

    def __setitem__(self, index, value):
        self._list()[index] = value

    def __delitem__(self, index):
        del self._list()[index]

    def insert(self, index, value):
        self._list().insert(index, value)

    def __iter__(self):
        return iter(self._list())

    def __eq__(self, other):
        return list(self) == list(other)

    def __repr__(self):
        return f"<RawFeatures {len(self)} features>"


_MARKER = f"bgis-raw-features-{uuid.uuid4().hex}"
_PASSTHROUGH_LOCK = threading.Lock()


def install_json_passthrough() -> None:
    """Teach pygeoapi's items route about :class:`RawFeatures`; cache its bbox transformer (idempotent).

    * ``pygeoapi.api.itemtypes.to_json`` (items responses) splices an untouched
      page's text into the collection document, with pygeoapi's own escaping of
      ``<`` and ``>``, instead of ``json.dumps`` over a thousand dicts;
    * ``pygeoapi.util.json_serial`` (the ``default`` hook of every other
      ``json.dumps`` in pygeoapi, templates included) writes a page as its list;
    * ``pygeoapi.api.itemtypes.transform_bbox`` keeps its pyproj Transformer
      (:func:`transform_bbox`);
    * ``pygeoapi.api.itemtypes.create_crs_transform_spec`` is worked out once per
      collection and ``crs`` value (it builds three pyproj CRS and two WKT texts,
      ~0.3 ms, on every items request).

    ``api/wsgi.create_app`` installs it at start-up (the PostGIS provider does as well, for
    pygeoapi set up elsewhere, e.g. in tests).
    """
    from pygeoapi import util
    from pygeoapi.api import itemtypes

    with _PASSTHROUGH_LOCK:
        if getattr(itemtypes.to_json, "_bgis_passthrough", False):
            return
        original_to_json, original_serial = itemtypes.to_json, util.json_serial
        marker_json = json.dumps(_MARKER)

        def to_json(dict_, pretty: bool = False) -> str:
            features = dict_.get("features") if isinstance(dict_, dict) else None
            raw = features.raw if isinstance(features, RawFeatures) else None
            if raw is None:
                return original_to_json(dict_, pretty)
            document = original_to_json({**dict_, "features": _MARKER}, pretty)
            if "<" in raw or ">" in raw:  # a scan is cheaper than two replaces over half a megabyte
                raw = raw.replace("<", "&lt;").replace(">", "&gt;")
            return document.replace(marker_json, raw, 1)

        def json_serial(obj):
            if isinstance(obj, RawFeatures):
                return list(obj)
            return original_serial(obj)

        to_json._bgis_passthrough = True
        itemtypes.to_json = to_json
        util.json_serial = json_serial
        itemtypes.transform_bbox = transform_bbox
        itemtypes.create_crs_transform_spec = _cached_crs_transform_spec(itemtypes.create_crs_transform_spec)


def _cached_crs_transform_spec(create):
    """``create_crs_transform_spec`` remembered by what it reads of the provider definition.

    Refusals (an unsupported ``crs``) raise and are not remembered; the spec is a frozen
    description that providers only read.
    """
    import functools

    @functools.lru_cache(maxsize=256)
    def cached(always_xy, storage_crs, crs_list, query_crs_uri):
        definition = {"always_xy": always_xy}
        if storage_crs is not None:
            definition["storage_crs"] = storage_crs
        if crs_list is not None:
            definition["crs"] = list(crs_list)
        return create(definition, query_crs_uri)

    def create_crs_transform_spec(provider_def: dict, query_crs_uri=None):
        crs_list = provider_def.get("crs")
        try:
            key = (
                provider_def.get("always_xy", False),
                provider_def.get("storage_crs"),
                tuple(crs_list) if crs_list is not None else None,
                query_crs_uri,
            )
            hash(key)
        except TypeError:  # an unusual definition: no caching
            return create(provider_def, query_crs_uri)
        return cached(*key)

    return create_crs_transform_spec


_PROJ = {"pid": None, "executor": None, "cache": {}}
_PROJ_LOCK = threading.Lock()


def _proj_thread():
    """One long-lived thread that owns every pyproj Transformer used here (re-made after a fork).

    pyproj objects belong to the PROJ context of the thread that uses them: a
    Transformer first used in a new thread costs 10-25 ms, every time. The dev server
    (``python -m commands.serve``) answers each request in a new thread, so a per-thread
    cache never hits there; handing the four numbers to this thread costs ~0.1 ms.
    """
    from concurrent.futures import ThreadPoolExecutor

    with _PROJ_LOCK:
        if _PROJ["pid"] != os.getpid():
            _PROJ.update(
                pid=os.getpid(), cache={}, executor=ThreadPoolExecutor(max_workers=1, thread_name_prefix="bgis-proj")
            )
        return _PROJ["executor"]


def _transform_bbox_in_proj_thread(bbox: list, from_crs, to_crs, always_xy: bool) -> list:
    from pygeoapi.crs import get_crs

    from store.crs import transformer

    key = (
        from_crs if isinstance(from_crs, str) else from_crs.to_wkt(),
        to_crs if isinstance(to_crs, str) else to_crs.to_wkt(),
        bool(always_xy),
    )
    entry = _PROJ["cache"].get(key)
    if entry is None:  # what pygeoapi's CRS names come to; the transformer itself is store.crs's (this thread's)
        from_obj, to_obj = get_crs(from_crs), get_crs(to_crs)
        entry = _PROJ["cache"][key] = (
            transformer(from_obj, to_obj, bool(always_xy)).transform,
            to_obj.to_epsg() == 3857,
            _usable_degrees(from_obj, to_obj, always_xy),
        )
    transform, mercator, usable = entry
    if mercator:
        bbox = [bbox[0], max(-85.0511, bbox[1]), bbox[2], min(85.0511, bbox[3])]
    n_dims = len(bbox) // 2
    lower, upper = list(bbox[:n_dims]), list(bbox[n_dims:])
    if usable is not None:  # lon/lat in: keep to where the storage CRS is used (widened), see _usable_degrees
        (x_low, y_low, x_high, y_high) = usable
        if upper[0] < x_low or lower[0] > x_high or upper[1] < y_low or lower[1] > y_high:
            # nowhere near: a point box at the region's corner (beyond any stored data) holds nothing
            point = list(transform(x_high, y_high))
            return [*point, *lower[2:], *point, *upper[2:]]
        if lower[0] < x_low or lower[1] < y_low or upper[0] > x_high or upper[1] > y_high:
            lower[0], lower[1] = max(lower[0], x_low), max(lower[1], y_low)
            upper[0], upper[1] = min(upper[0], x_high), min(upper[1], y_high)
            return envelope_of_transformed(transform, lower, upper)
    # within the region: the two corners, as pygeoapi does (unless one has no image)
    corners = list(transform(*lower) + transform(*upper))
    if all(math.isfinite(v) for v in corners):
        return corners
    return envelope_of_transformed(transform, lower, upper)


#: Degrees the storage CRS's area of use is widened by before a lon/lat bbox is kept to it.
_AREA_MARGIN = 30.0


def _usable_degrees(from_obj, to_obj, always_xy: bool) -> tuple[float, float, float, float] | None:
    """For a geographic bbox: the storage CRS's area of use widened by 30°, in the bbox's axis order.

    A projected CRS maps only part of the earth sensibly; far from it Transverse Mercator wraps around
    (a box in the southern hemisphere would find Hamburg). A bbox is kept to this region before it is
    transformed: ``-180,-90,180,90`` finds everything stored, a box on the other side of the earth
    nothing. None where no clipping applies (a projected bbox, a global storage CRS).
    """
    area = getattr(to_obj, "area_of_use", None)
    if not from_obj.is_geographic or area is None or to_obj.is_geographic or area.west > area.east:
        return None
    west, east = area.west - _AREA_MARGIN, area.east + _AREA_MARGIN
    south, north = max(-90.0, area.south - _AREA_MARGIN), min(90.0, area.north + _AREA_MARGIN)
    if west <= -180 and east >= 180 and south <= -90 and north >= 90:
        return None
    lat_first = not always_xy and (from_obj.axis_info[0].direction or "").lower() in ("north", "south")
    return (south, west, north, east) if lat_first else (west, south, east, north)


#: Points per side of the grid a bbox is sampled with before it is transformed.
_BBOX_GRID = 33


def envelope_of_transformed(transform, lower: list, upper: list) -> list:
    """The envelope of a box's image: a grid of its points transformed, those without an image left out.

    Only the corners, as pygeoapi transforms them, go wrong for a box reaching ±180°/±90°: in a UTM zone
    (Transverse Mercator) both poles lie on the central meridian, so ``-180,-90,180,90`` became a box of
    zero width that holds nothing, and points 90° from the zone have no image at all (inf). A grid of
    33 × 33 points takes the image's true extent. Used for boxes reaching beyond the storage CRS's
    region (after they are kept to it) and where a corner has no image; a box within the region keeps
    pygeoapi's two corners (answers unchanged). A third (height) value stays as given.
    """
    import numpy as np

    xs = np.linspace(float(lower[0]), float(upper[0]), _BBOX_GRID)
    ys = np.linspace(float(lower[1]), float(upper[1]), _BBOX_GRID)
    grid_x, grid_y = (a.ravel() for a in np.meshgrid(xs, ys))
    out_x, out_y = (np.asarray(v, dtype=float) for v in transform(grid_x, grid_y))
    finite = np.isfinite(out_x) & np.isfinite(out_y)
    if not finite.any():  # nothing of it has an image: the corners, as pygeoapi does (refused downstream)
        return (
            list(transform(*lower[:2]) + transform(*upper[:2]))
            if len(lower) == 2
            else list(transform(*lower) + transform(*upper))
        )
    low = [float(out_x[finite].min()), float(out_y[finite].min())]
    high = [float(out_x[finite].max()), float(out_y[finite].max())]
    if len(lower) > 2:
        return [*low, *lower[2:], *high, *upper[2:]]
    return [*low, *high]


def transform_bbox(bbox: list, from_crs, to_crs, always_xy: bool = False) -> list:
    """pygeoapi's ``transform_bbox``, with its pyproj Transformer kept (see :func:`_proj_thread`).

    pygeoapi builds a new Transformer for every request with a bbox: 10 ms, half the
    page query at limit=1000. Same result: the two corners are transformed, and a
    Web Mercator target is clipped to ±85.0511° first, as pygeoapi does -- except for a
    lon/lat box reaching beyond where the storage CRS is used (``-180,-90,180,90``): it is
    kept to that region and its image's envelope taken (:func:`envelope_of_transformed`).
    """
    return _proj_thread().submit(_transform_bbox_in_proj_thread, bbox, from_crs, to_crs, always_xy).result()
