"""The embedded store's MVT encoder (providers/mvt_encoder.py) against independent computations.

* mapbox-vector-tile's own encoder (slow, feature by feature, through the generated protobuf classes) on the
  same geometries and attributes: the same coordinates, orientation and attributes for every geometry kind,
  holes, multi-parts, long and non-ASCII strings, negative and large integers, mixed-type columns;
* shapely's clipping of the source rows, read from the GeoPackage with plain SQL: a tile rendered by the
  provider holds the same features, attributes and shapes as the library's encoding of those clipped rows.

The encoder writes protobuf's wire format itself (numpy, a layer at a time), so these tests decode every tile
with the library (``mapbox_vector_tile.decode``) and also parse it with the library's protobuf classes.
"""

from __future__ import annotations

import sqlite3

import mapbox_vector_tile
import numpy as np
import pyproj
import pytest
import shapely
from mapbox_vector_tile.Mapbox import vector_tile_pb2
from shapely.geometry import shape

from providers.geopackage_tiles import BUFFER, EXTENT, GeoPackageTileProvider, lonlat_to_tile, tile_bounds_3857
from providers.mvt_encoder import encode_columns, encode_layer
from store import gpkg_functions
from tests.providers.conftest import EPSG, X0, Y0

#: mapbox-vector-tile, the reference encoder here, calls shapely's deprecated ``ops.transform`` once per feature
#: (1,269 warnings a run that said nothing about our code).
pytestmark = pytest.mark.filterwarnings(
    r"ignore:The 'shapely\.ops\.transform\(\)' function is deprecated:DeprecationWarning:mapbox_vector_tile"
)

BOUNDS = (0.0, 0.0, 4096.0, 4096.0)


def library_tile(name: str, geometries, properties, bounds=BOUNDS) -> bytes:
    """The same layer through mapbox-vector-tile's own encoder."""
    return mapbox_vector_tile.encode(
        [
            {
                "name": name,
                "features": [{"geometry": g, "properties": p} for g, p in zip(geometries, properties, strict=True)],
            }
        ],
        default_options={"quantize_bounds": bounds, "extents": EXTENT, "y_coord_down": False},
    )


def features_of(tile: bytes | None, layer: str) -> list[dict]:
    return mapbox_vector_tile.decode(tile)[layer]["features"] if tile else []


# -- against the library's encoder ------------------------------------------------------------------------


def test_encoder_gives_what_mapbox_vector_tile_gives():
    """Same coordinates, orientation and attributes as the library's own encoder, for every kind."""
    ring_ccw = [(10, 10), (10, 100), (100, 100), (100, 10)]  # clockwise in y-up: must be turned
    hole = [(20, 20), (40, 20), (40, 40), (20, 40)]
    geometries = [
        shapely.Polygon(ring_ccw, [hole]),
        shapely.MultiPolygon([shapely.box(200, 200, 300, 260), shapely.box(400.4, 400.4, 450.6, 470.2)]),
        shapely.LineString([(0, 0), (10.2, 10.2), (10.4, 10.4), (50, 70)]),
        shapely.MultiLineString([[(1, 1), (5, 9)], [(7, 7), (30, 2), (31, 3)]]),
        shapely.Point(3000, 1000),
        shapely.MultiPoint([(5, 5), (6, 9), (4000, 4000)]),
    ]
    properties = [
        {"id": "a", "height": 9.5, "storeys": 3, "synthetic": True},
        {"id": "b", "height": 9.5, "storeys": -2, "synthetic": False},
        {"id": "c", "art": "Baugrenze", "n": 1},
        {"id": "d", "n": 1.0, "flag": True},
        {"id": "e", "big": 2**40},
        {"id": "f", "name": "Müllerstraße <b>&"},
    ]
    ours = mapbox_vector_tile.decode(encode_layer("layer", geometries, properties, BOUNDS))["layer"]
    theirs = mapbox_vector_tile.decode(library_tile("layer", geometries, properties))["layer"]
    assert ours["extent"] == theirs["extent"] == EXTENT
    assert [f["geometry"] for f in ours["features"]] == [f["geometry"] for f in theirs["features"]]
    assert [f["properties"] for f in ours["features"]] == [f["properties"] for f in theirs["features"]]
    assert [f["geometry"]["type"] for f in ours["features"]] == [
        "Polygon",
        "MultiPolygon",
        "LineString",
        "MultiLineString",
        "Point",
        "MultiPoint",
    ]


def random_layer(rng: np.random.Generator, count: int) -> tuple[list, list[dict]]:
    """Polygons (rotated, with holes, several parts), lines and points inside and across the tile, with attributes
    drawn from small pools (so values repeat) and per-feature ones (so they don't)."""
    pool = {
        "art": ["Wohnhaus", "Schule", "Bürogebäude", "Kiosk_1", "Ö" * 130, ""],  # a text longer than 125 bytes
        "storeys": [0, 1, 3, -2, 2**62, -(2**40)],
        "height": [3.0, 9.5, -0.0, 1e-9, 12.25],
        "flag": [True, False],
        "mixed": [1, 1.0, True, "1", None],  # a column of several types, as SQLite may hold
    }
    geometries, properties = [], []
    for i in range(count):
        x, y = rng.uniform(-200, 4296, 2)
        kind = rng.integers(0, 6)
        if kind == 0:
            geom = shapely.affinity.rotate(
                shapely.box(x, y, x + rng.uniform(5, 80), y + rng.uniform(5, 80)), rng.uniform(0, 90)
            )
        elif kind == 1:
            outer = shapely.box(x, y, x + 100, y + 80)
            geom = shapely.Polygon(outer.exterior.coords, [shapely.box(x + 10, y + 10, x + 30, y + 25).exterior.coords])
        elif kind == 2:
            geom = shapely.MultiPolygon([shapely.box(x, y, x + 20, y + 20), shapely.box(x + 40, y, x + 70, y + 15)])
        elif kind == 3:
            geom = shapely.LineString(
                np.column_stack([x + np.cumsum(rng.uniform(2, 30, 6)), y + rng.uniform(-40, 40, 6)])
            )
        elif kind == 4:
            geom = shapely.Point(x, y)
        else:
            geom = shapely.MultiPoint([(x, y), (x + 7.3, y - 3.1)])
        props = {"id": f"f-{i}", "name": f"Gebäude {i} (Testdaten)"}
        for key, values in pool.items():
            value = values[rng.integers(0, len(values))]
            if value is not None and rng.random() < 0.9:
                props[key] = value
        geometries.append(geom)
        properties.append(props)
    return geometries, properties


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_layers_match_the_library(seed):
    geometries, properties = random_layer(np.random.default_rng(seed), 400)
    ours = mapbox_vector_tile.decode(encode_layer("layer", geometries, properties, BOUNDS))["layer"]["features"]
    theirs = mapbox_vector_tile.decode(library_tile("layer", geometries, properties))["layer"]["features"]
    assert len(ours) == len(theirs) == 400
    assert [f["geometry"] for f in ours] == [f["geometry"] for f in theirs]
    assert [f["properties"] for f in ours] == [f["properties"] for f in theirs]
    # and each value keeps its type (the library keeps one value for 1, 1.0 and True alike; this encoder does not)
    for mine, source in zip(ours, properties, strict=True):
        assert {k: (type(v), v) for k, v in mine["properties"].items()} == {k: (type(v), v) for k, v in source.items()}


def test_each_distinct_value_is_stored_once_in_order_of_first_use():
    geometries = [shapely.box(i * 10, 0, i * 10 + 5, 5) for i in range(4)]
    properties = [
        {"id": "a", "function": "Wohnhaus", "storeys": 1},
        {"id": "b", "function": "Wohnhaus", "storeys": 1, "flag": True},
        {"id": "c", "function": "Schule", "label": "Wohnhaus", "storeys": 1.0},
        {"id": "d", "flag": 1},
    ]
    tile = vector_tile_pb2.tile()
    tile.ParseFromString(encode_layer("l", geometries, properties, BOUNDS))
    [layer] = tile.layers
    assert (layer.name, layer.version, layer.extent) == ("l", 2, EXTENT)
    assert list(layer.keys) == ["id", "function", "storeys", "flag", "label"]
    assert {len(v.ListFields()) for v in layer.values} == {1}
    values = [(field.name, value) for v in layer.values for field, value in v.ListFields()]
    assert values == [
        ("string_value", "a"),
        ("string_value", "Wohnhaus"),
        ("int_value", 1),
        ("string_value", "b"),
        ("bool_value", True),
        ("string_value", "c"),
        ("string_value", "Schule"),
        ("double_value", 1.0),
        ("string_value", "d"),  # d's flag 1 is storeys' 1: the same value (an int), stored once
    ]
    flags = [f["properties"].get("flag") for f in features_of(tile.SerializeToString(), "l")]
    assert [(type(v), v) for v in flags] == [(type(None), None), (bool, True), (type(None), None), (int, 1)]


def test_values_that_are_no_tile_attributes_are_left_out():
    geometries = [shapely.box(0, 0, 10, 10), shapely.box(20, 0, 30, 10)]
    properties = [
        {"id": "a", "blob": b"\x00\x01", "list": [1, 2], "none": None, "numpy": np.int64(3), 7: "not a text key"},
        {"id": "b", "blob": "text this time", "list": None},
    ]
    ours = features_of(encode_layer("l", geometries, properties, BOUNDS), "l")
    assert [f["properties"] for f in ours] == [{"id": "a"}, {"id": "b", "blob": "text this time"}]


def test_encoder_drops_what_vanishes_at_tile_resolution():
    tiny = shapely.box(10.1, 10.1, 10.3, 10.3)  # one tile unit: no area left
    sliver = shapely.Polygon([(0, 0), (50, 0), (50, 0.2)])
    kept = shapely.box(0, 0, 8, 8)
    layer = features_of(
        encode_layer("l", [tiny, sliver, kept, None], [{"id": "t"}, {"id": "s"}, {"id": "k"}, {}], BOUNDS), "l"
    )
    assert [f["properties"]["id"] for f in layer] == ["k"]
    assert encode_layer("l", [tiny], [{"id": "t"}], BOUNDS) == b""
    assert encode_layer("l", [], [], BOUNDS) == b""


def test_transform_and_buffer_give_what_clipping_first_gives():
    """``transform`` and ``buffer``: the same tile as transforming and clipping (shapely) before encoding."""
    rng = np.random.default_rng(7)
    to_3857 = pyproj.Transformer.from_crs(EPSG, 3857, always_xy=True)
    lon, lat = pyproj.Transformer.from_crs(EPSG, "OGC:CRS84", always_xy=True).transform(X0, Y0)
    z = 16
    x, y = lonlat_to_tile(lon, lat, z)
    bounds = tile_bounds_3857(z, x, y)
    # buildings in storage coordinates around the tile, some across its edges and the buffer's
    cx, cy = pyproj.Transformer.from_crs(3857, EPSG, always_xy=True).transform(
        (bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2
    )
    storage = [
        shapely.box(bx, by, bx + rng.uniform(5, 60), by + rng.uniform(5, 60))
        for bx, by in zip(cx + rng.uniform(-500, 500, 300), cy + rng.uniform(-500, 500, 300), strict=True)
    ]
    columns = {"id": [f"b{i}" for i in range(300)], "height": list(rng.uniform(3, 30, 300).round(2))}

    def transform(xy):
        return np.column_stack(to_3857.transform(xy[:, 0], xy[:, 1]))

    ours = features_of(encode_columns("b", storage, columns, bounds, EXTENT, transform=transform, buffer=BUFFER), "b")
    margin = (bounds[2] - bounds[0]) * BUFFER / EXTENT
    clip = shapely.box(bounds[0] - margin, bounds[1] - margin, bounds[2] + margin, bounds[3] + margin)
    clipped = [shapely.intersection(shapely.transform(g, transform), clip) for g in storage]
    keep = [i for i, g in enumerate(clipped) if not g.is_empty]
    theirs = features_of(
        library_tile("b", [clipped[i] for i in keep], [{k: columns[k][i] for k in columns} for i in keep], bounds),
        "b",
    )
    assert 30 < len(ours) < 300  # some inside, some cut, some outside
    assert [f["properties"] for f in ours] == [f["properties"] for f in theirs]
    for mine, library in zip(ours, theirs, strict=True):
        # a cut ring may start at another of its corners: the same shape
        assert shape(mine["geometry"]).equals(shape(library["geometry"])), mine["properties"]["id"]


# -- the store's tiles against shapely's clipping of the store's rows --------------------------------------


def clipped_rows(path, bounds, columns: list[str]) -> tuple[list, list[dict]]:
    """The rows of ``buildings`` (plain SQL, every row) in EPSG:3857, clipped to the tile and its buffer."""
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(f"SELECT {', '.join(columns)}, geom FROM buildings ORDER BY fid").fetchall()
    finally:
        conn.close()
    to_3857 = pyproj.Transformer.from_crs(EPSG, 3857, always_xy=True)
    margin = (bounds[2] - bounds[0]) * BUFFER / EXTENT
    clip = shapely.box(bounds[0] - margin, bounds[1] - margin, bounds[2] + margin, bounds[3] + margin)
    tile = shapely.box(*bounds)
    geometries, properties = [], []
    for *values, blob in rows:
        geom = shapely.transform(gpkg_functions.decode_one(blob), lambda xy: np.column_stack(to_3857.transform(*xy.T)))
        if geom.intersects(tile):
            geometries.append(shapely.intersection(geom, clip))
            properties.append({k: v for k, v in zip(columns, values, strict=True) if v is not None})
    return geometries, properties


@pytest.mark.parametrize("zoom", [12, 15, 16, 18])
def test_store_tiles_match_clipped_rows(gpkg_path, zoom):
    provider = GeoPackageTileProvider(
        {
            "name": "providers.geopackage_tiles.GeoPackageTileProvider",
            "type": "tile",
            "data": str(gpkg_path),
            "table": "buildings",
            "options": {"zoom": {"min": 0, "max": 22}},
            "format": {"name": "pbf", "mimetype": "application/vnd.mapbox-vector-tile"},
        }
    )
    lon, lat = pyproj.Transformer.from_crs(EPSG, "OGC:CRS84", always_xy=True).transform(X0 + 10, Y0 + 7)
    x, y = lonlat_to_tile(lon, lat, zoom)
    bounds = tile_bounds_3857(zoom, x, y)
    ours = features_of(provider.get_tiles(tileset="WebMercatorQuad", z=zoom, y=y, x=x), "buildings")
    # every column; below zoom 14 the id, numbers and flags only (providers/tile_detail.py)
    with sqlite3.connect(gpkg_path) as conn:
        declared = [(r[1], r[2]) for r in conn.execute("PRAGMA table_info(buildings)") if r[1] not in ("fid", "geom")]
    columns = [name for name, kind in declared if zoom >= 14 or name == "id" or kind != "TEXT"]
    geometries, properties = clipped_rows(gpkg_path, bounds, columns)
    theirs = features_of(library_tile("buildings", geometries, properties, bounds), "buildings")
    assert ours, "the tile of b1 holds buildings"
    assert sorted(f["properties"]["id"] for f in ours) == sorted(f["properties"]["id"] for f in theirs)
    by_id = {f["properties"]["id"]: f for f in theirs}
    for feature in ours:
        library = by_id[feature["properties"]["id"]]
        assert feature["properties"] == library["properties"]
        assert feature["geometry"]["type"] == library["geometry"]["type"]
        assert shape(feature["geometry"]).equals(shape(library["geometry"]))
