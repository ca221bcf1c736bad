"""The embedded store's vector tiles: the numpy encoder, the tile cache and its invalidation, reader settings.

The cache is the GeoPackage's own (PostGIS renders every tile with ST_AsMVT and keeps none), so these tests
run on the GeoPackage; tests/api/test_tiles.py serves tiles from both stores.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import mapbox_vector_tile
import pyproj
import pytest
import shapely

from providers.geopackage_tiles import EXTENT, GeoPackageTileProvider, lonlat_to_tile, reader_for, tile_bounds_3857
from providers.mvt_encoder import encode_layer
from providers.tile_cache import VERSIONS_TABLE
from tests.providers.conftest import BUILDINGS, EPSG, X0, Y0, _box

ROOT = Path(__file__).resolve().parents[2]
Z = 16


@pytest.fixture
def cache_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "tile-cache"
    monkeypatch.setenv("BUERGERGIS_TILE_CACHE_DIR", str(folder))
    monkeypatch.delenv("BUERGERGIS_TILE_CACHE_ENABLED", raising=False)
    return folder


def tile_provider(path, table: str = "buildings") -> GeoPackageTileProvider:
    return GeoPackageTileProvider(
        {
            "name": "providers.geopackage_tiles.GeoPackageTileProvider",
            "type": "tile",
            "data": str(path),
            "table": table,
            "options": {"zoom": {"min": 0, "max": 22}},
            "format": {"name": "pbf", "mimetype": "application/vnd.mapbox-vector-tile"},
        }
    )


def tile_of_b1() -> tuple[int, int, int]:
    lon, lat = pyproj.Transformer.from_crs(EPSG, "OGC:CRS84", always_xy=True).transform(X0 + 10, Y0 + 7)
    x, y = lonlat_to_tile(lon, lat, Z)
    return Z, x, y


def ids_in(tile: bytes | None, layer: str = "buildings") -> set[str]:
    if not tile:
        return set()
    return {f["properties"]["id"] for f in mapbox_vector_tile.decode(tile)[layer]["features"]}


def cached_rows(folder: Path) -> list[tuple]:
    with sqlite3.connect(folder / "tiles.sqlite") as conn:
        return conn.execute("SELECT layer, z, x, y, version, length(data) FROM tiles ORDER BY rowid").fetchall()


def run_elsewhere(code: str, **env) -> str:
    """Run ``code`` in a second Python process (another server worker, say) and return what it printed."""
    import os

    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


# -- the encoder ------------------------------------------------------------------------------------------


def test_encoder_gives_what_mapbox_vector_tile_gives():
    """Same coordinates, orientation and attributes as the library's own (slow) encoder, for every kind."""
    bounds = (0.0, 0.0, 4096.0, 4096.0)
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
    ours = mapbox_vector_tile.decode(encode_layer("layer", geometries, properties, bounds))["layer"]
    theirs = mapbox_vector_tile.decode(
        mapbox_vector_tile.encode(
            [
                {
                    "name": "layer",
                    "features": [{"geometry": g, "properties": p} for g, p in zip(geometries, properties, strict=True)],
                }
            ],
            default_options={"quantize_bounds": bounds, "extents": EXTENT, "y_coord_down": False},
        )
    )["layer"]
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


def test_encoder_drops_what_vanishes_at_tile_resolution():
    bounds = (0.0, 0.0, 4096.0, 4096.0)
    tiny = shapely.box(10.1, 10.1, 10.3, 10.3)  # one tile unit: no area left
    sliver = shapely.Polygon([(0, 0), (50, 0), (50, 0.2)])
    kept = shapely.box(0, 0, 8, 8)
    layer = mapbox_vector_tile.decode(
        encode_layer("l", [tiny, sliver, kept], [{"id": "t"}, {"id": "s"}, {"id": "k"}], bounds)
    )["l"]
    assert [f["properties"]["id"] for f in layer["features"]] == ["k"]
    assert encode_layer("l", [tiny], [{"id": "t"}], bounds) == b""


def test_city_tile_matches_the_library(gpkg_path):
    """The store's own rows through the provider: identical decoded tiles from both encoders."""
    provider = tile_provider(gpkg_path)
    z, x, y = tile_of_b1()
    for zoom, col, row in ((z, x, y), (z - 3, x >> 3, y >> 3)):
        bounds = tile_bounds_3857(zoom, col, row)
        geoms, properties = provider._features(reader_for(str(gpkg_path)), bounds, zoom)
        ours = mapbox_vector_tile.decode(encode_layer("buildings", list(geoms), properties, bounds))
        theirs = mapbox_vector_tile.decode(
            mapbox_vector_tile.encode(
                [
                    {
                        "name": "buildings",
                        "features": [{"geometry": g, "properties": p} for g, p in zip(geoms, properties, strict=True)],
                    }
                ],
                default_options={"quantize_bounds": bounds, "extents": EXTENT, "y_coord_down": False},
            )
        )
        assert ours == theirs
        assert ours["buildings"]["features"]


# -- reader settings ------------------------------------------------------------------------------------


def test_tile_reader_is_wal_and_query_only(gpkg_path):
    conn = reader_for(str(gpkg_path))
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA query_only").fetchone()[0] == 1
    assert conn.execute("PRAGMA mmap_size").fetchone()[0] > 0
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        conn.execute("DELETE FROM buildings")


# -- the cache ---------------------------------------------------------------------------------------------


def test_a_cached_tile_is_served_and_a_write_invalidates_it(gpkg_path, cache_dir):
    provider = tile_provider(gpkg_path)
    z, x, y = tile_of_b1()
    first = provider.get_tiles(tileset="WebMercatorQuad", z=z, y=y, x=x)
    assert "b1" in ids_in(first)
    [(layer, cz, cx, cy, version, size)] = cached_rows(cache_dir)
    assert (layer, cz, cx, cy, size) == ("buildings", z, x, y, len(first))
    # what the cache holds is what is served (no second rendering)
    marker = mapbox_vector_tile.encode(
        [{"name": "buildings", "features": [{"geometry": shapely.Point(1, 1), "properties": {"id": "from-the-cache"}}]}]
    )
    with sqlite3.connect(cache_dir / "tiles.sqlite") as cache:
        cache.execute("UPDATE tiles SET data = ?", (marker,))
    assert ids_in(provider.get_tiles(tileset="WebMercatorQuad", z=z, y=y, x=x)) == {"from-the-cache"}

    # a new building in the tile, written through the store: the next tile is rendered anew and shows it
    from store.geopackage import GeoPackageStore

    extra = BUILDINGS.iloc[:1].copy()
    extra["id"], extra["source"] = "neu-1", "synthetic:extra"
    extra = extra.set_geometry([_box(X0 + 30, Y0, X0 + 40, Y0 + 10)], crs=EPSG)
    with GeoPackageStore(gpkg_path, epsg=EPSG) as store:
        store.replace({"buildings": extra}, source="synthetic:extra")
    after = provider.get_tiles(tileset="WebMercatorQuad", z=z, y=y, x=x)
    assert {"b1", "neu-1"} <= ids_in(after)
    [(_, _, _, _, new_version, _)] = cached_rows(cache_dir)
    assert new_version > version
    # a tile outside the data is kept as empty: 204 again, from the cache
    assert provider.get_tiles(tileset="WebMercatorQuad", z=z, y=0, x=0) is None
    assert provider.get_tiles(tileset="WebMercatorQuad", z=z, y=0, x=0) is None
    assert [r[5] for r in cached_rows(cache_dir) if (r[2], r[3]) == (0, 0)] == [0]


def test_updates_and_deletes_invalidate_too(gpkg_path, cache_dir):
    provider = tile_provider(gpkg_path)
    z, x, y = tile_of_b1()
    assert "b1" in ids_in(provider.get_tiles(tileset="WebMercatorQuad", z=z, y=y, x=x))
    from store.geopackage import connect

    conn = connect(gpkg_path)  # a plain connection editing the file, as a script would
    conn.execute("UPDATE buildings SET height = 99.0 WHERE id = 'b1'")
    updated = mapbox_vector_tile.decode(provider.get_tiles(tileset="WebMercatorQuad", z=z, y=y, x=x))
    assert [f["properties"]["height"] for f in updated["buildings"]["features"] if f["properties"]["id"] == "b1"] == [
        99
    ]
    conn.execute("DELETE FROM buildings WHERE id = 'b1'")
    conn.close()
    assert "b1" not in ids_in(provider.get_tiles(tileset="WebMercatorQuad", z=z, y=y, x=x))


def test_two_processes_share_tiles_and_invalidation(gpkg_path, cache_dir):
    """Another worker renders a tile: this one serves it from the cache; another worker writes: this one sees it."""
    z, x, y = tile_of_b1()
    render = f"""
        from providers.geopackage_tiles import GeoPackageTileProvider
        p = GeoPackageTileProvider({{"name": "t", "type": "tile", "data": {str(gpkg_path)!r}, "table": "buildings",
                                    "options": {{}}, "format": {{"name": "pbf", "mimetype": "application/vnd.mapbox-vector-tile"}}}})
        print(len(p.get_tiles(tileset="WebMercatorQuad", z={z}, y={y}, x={x})))
    """
    size = int(run_elsewhere(render, BUERGERGIS_TILE_CACHE_DIR=str(cache_dir)))
    [row] = cached_rows(cache_dir)
    assert row[5] == size
    with sqlite3.connect(cache_dir / "tiles.sqlite") as cache:
        cache.execute(
            "UPDATE tiles SET data = ?",
            (
                mapbox_vector_tile.encode(
                    [
                        {
                            "name": "buildings",
                            "features": [{"geometry": shapely.Point(1, 1), "properties": {"id": "rendered-elsewhere"}}],
                        }
                    ]
                ),
            ),
        )
    provider = tile_provider(gpkg_path)
    assert ids_in(provider.get_tiles(tileset="WebMercatorQuad", z=z, y=y, x=x)) == {"rendered-elsewhere"}

    write = f"""
        from providers.geopackage import GeoPackageProvider
        p = GeoPackageProvider({{"name": "g", "type": "feature", "data": {str(gpkg_path)!r}, "table": "buildings",
                                 "id_field": "id", "editable": True}})
        p.create({{"type": "Feature", "id": "von-nebenan", "properties": {{"source": "synthetic:test"}},
                  "geometry": {{"type": "MultiPolygon", "coordinates": [[[[{X0 + 50}, {Y0}], [{X0 + 60}, {Y0}],
                      [{X0 + 60}, {Y0 + 10}], [{X0 + 50}, {Y0 + 10}], [{X0 + 50}, {Y0}]]]]}}}},
                 content_crs="http://www.opengis.net/def/crs/EPSG/0/{EPSG}")
    """
    run_elsewhere(write)
    assert {"b1", "von-nebenan"} <= ids_in(provider.get_tiles(tileset="WebMercatorQuad", z=z, y=y, x=x))


def test_version_triggers_live_in_the_geopackage(gpkg_path, cache_dir):
    tile_provider(gpkg_path).get_tiles(tileset="WebMercatorQuad", z=Z, y=0, x=0)
    from store.geopackage import connect

    with connect(gpkg_path) as conn:
        triggers = {
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'buildings' AND name LIKE ?",
                (f"{VERSIONS_TABLE}%",),
            )
        }
        assert triggers == {f"{VERSIONS_TABLE}_buildings_{op}" for op in ("insert", "update", "delete")}
        before = conn.execute(f"SELECT version FROM {VERSIONS_TABLE} WHERE table_name = 'buildings'").fetchone()[0]
        conn.execute("UPDATE buildings SET name = 'geändert' WHERE id = 'b2'")
        after = conn.execute(f"SELECT version FROM {VERSIONS_TABLE} WHERE table_name = 'buildings'").fetchone()[0]
    assert after == before + 1


def test_cache_can_be_switched_off(gpkg_path, cache_dir, monkeypatch):
    monkeypatch.setenv("BUERGERGIS_TILE_CACHE_ENABLED", "false")
    z, x, y = tile_of_b1()
    assert "b1" in ids_in(tile_provider(gpkg_path).get_tiles(tileset="WebMercatorQuad", z=z, y=y, x=x))
    assert not (cache_dir / "tiles.sqlite").exists()
