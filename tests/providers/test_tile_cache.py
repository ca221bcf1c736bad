"""The embedded store's vector tiles: the tile cache and its invalidation, its settings, reader settings.

The cache is the GeoPackage's own (PostGIS renders every tile with ST_AsMVT and keeps none), so these tests
run on the GeoPackage; tests/api/test_tiles.py serves tiles from both stores, tests/providers/test_mvt_encoder.py
checks what a tile holds.
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

from providers.geopackage_tiles import GeoPackageTileProvider, lonlat_to_tile, reader_for
from providers.tile_cache import VERSIONS_TABLE, TileCache
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


def test_settings_follow_the_environment(tmp_path, monkeypatch):
    """Settings are read once per environment, not per tile; a changed environment is seen at once."""
    monkeypatch.delenv("BUERGERGIS_TILE_CACHE_ENABLED", raising=False)
    monkeypatch.setenv("BUERGERGIS_TILE_CACHE_DIR", str(tmp_path / "a"))
    assert TileCache("x.gpkg", "buildings").folder == tmp_path / "a"
    monkeypatch.setenv("BUERGERGIS_TILE_CACHE_DIR", str(tmp_path / "b"))
    monkeypatch.setenv("BUERGERGIS_TILE_CACHE_MAX_MB", "3")
    cache = TileCache("x.gpkg", "buildings")
    assert (cache.folder, cache.max_bytes) == (tmp_path / "b", 3 * 1024 * 1024)
    monkeypatch.setenv("BUERGERGIS_TILE_CACHE_ENABLED", "false")
    assert TileCache("x.gpkg", "buildings").folder is None
    monkeypatch.delenv("BUERGERGIS_TILE_CACHE_DIR")
    monkeypatch.delenv("BUERGERGIS_TILE_CACHE_ENABLED")
    monkeypatch.setenv("BUERGERGIS_DATA_DIR", str(tmp_path / "data"))
    assert TileCache("x.gpkg", "buildings").folder == tmp_path / "data" / "tile-cache"
