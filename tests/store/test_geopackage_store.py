"""The embedded store: a real GeoPackage 1.4 file, atomic replace, a consistent R-tree, GDAL can read it.

All rows are synthetic test data (squares and lines near Hamburg-Langenhorn,
EPSG:25832 x≈566000 y≈5947000), not real plan content.
"""

from __future__ import annotations

import sqlite3
import struct
import warnings

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely

from store import gpkg_functions
from store.base import StoreError
from store.geopackage import BULK_ROWS, GeoPackageStore, connect, format_datetime

EPSG = 25832
X0, Y0 = 566000.0, 5947000.0


# -- synthetic test rows -----------------------------------------------------------------


def zones(plan_id: str, n: int, grz: float = 0.4, start: int = 0) -> gpd.GeoDataFrame:
    """n synthetic 50 m squares in a row (test data)."""
    geoms = [
        shapely.MultiPolygon([shapely.box(X0 + 60 * i, Y0, X0 + 60 * i + 50, Y0 + 50)]) for i in range(start, start + n)
    ]
    return gpd.GeoDataFrame(
        {
            "id": [f"{plan_id}_zone{i}" for i in range(start, start + n)],
            "plan_id": plan_id,
            "grz": grz,
            "z": [2 + i for i in range(n)],
            "art_code": "WA",
        },
        geometry=geoms,
        crs=EPSG,
    )


def plan(plan_id: str, x: float = X0) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "id": [plan_id],
            "plan_id": [plan_id],
            "name": [f"Testplan {plan_id}"],
            "inkrafttretens_datum": ["2001-05-17"],
            "imported_at": ["2024-06-30T12:00:00+02:00"],
        },
        geometry=[shapely.MultiPolygon([shapely.box(x - 10, Y0 - 10, x + 400, Y0 + 60)])],
        crs=EPSG,
    )


def lines(plan_id: str, n: int) -> gpd.GeoDataFrame:
    geoms = [shapely.LineString([(X0 + 10 * i, Y0), (X0 + 10 * i + 5, Y0 + 30)]) for i in range(n)]
    return gpd.GeoDataFrame(
        {"id": [f"{plan_id}_line{i}" for i in range(n)], "plan_id": plan_id, "art": "Baugrenze"},
        geometry=geoms,
        crs=EPSG,
    )


def buildings(source: str, n: int, prefix: str = "b") -> gpd.GeoDataFrame:
    rng = np.random.default_rng(7)
    xs = X0 + rng.uniform(0, 2000, n)
    ys = Y0 + rng.uniform(0, 2000, n)
    geoms = [shapely.MultiPolygon([shapely.box(x, y, x + 12, y + 9)]) for x, y in zip(xs, ys, strict=True)]
    return gpd.GeoDataFrame(
        {
            "id": [f"{prefix}{i}" for i in range(n)],
            "source": source,
            "height": rng.uniform(3, 30, n),
            "storeys": rng.integers(1, 8, n),
            "synthetic": True,
        },
        geometry=geoms,
        crs=EPSG,
    )


@pytest.fixture(autouse=True)
def gdal_must_not_complain():
    """GDAL warns (e.g. "bad application_id") about files that are not proper GeoPackages: fail on that."""
    with warnings.catch_warnings():
        warnings.filterwarnings("error", category=RuntimeWarning, module="pyogrio")
        yield


@pytest.fixture
def store(tmp_path):
    s = GeoPackageStore(tmp_path / "store.gpkg", epsg=EPSG)
    s.create_schema()
    yield s
    s.close()


def snapshot(store: GeoPackageStore) -> dict:
    """Every row of every layer (for "nothing changed" assertions)."""
    out = {}
    for (table,) in store.conn.execute("SELECT table_name FROM gpkg_contents ORDER BY table_name").fetchall():
        out[table] = store.conn.execute(f"SELECT * FROM {table} ORDER BY fid").fetchall()
        out[f"rtree_{table}"] = store.conn.execute(f"SELECT * FROM rtree_{table}_geom ORDER BY id").fetchall()
    return out


def assert_rtree_consistent(conn: sqlite3.Connection, table: str) -> None:
    """The R-tree holds exactly the non-empty geometries, with their envelopes (float32, rounded outwards)."""
    expected = {}
    for fid, blob in conn.execute(f"SELECT fid, geom FROM {table}"):
        if blob is not None and not gpkg_functions.is_empty(blob):
            geom = gpkg_functions.decode_one(blob)
            minx, miny, maxx, maxy = geom.bounds
            expected[fid] = (minx, maxx, miny, maxy)
    actual = {row[0]: row[1:] for row in conn.execute(f"SELECT * FROM rtree_{table}_geom")}
    assert set(actual) == set(expected), f"{table}: R-tree ids differ from feature rows"
    for fid, (minx, maxx, miny, maxy) in expected.items():
        rminx, rmaxx, rminy, rmaxy = actual[fid]
        assert rminx <= minx and rmaxx >= maxx and rminy <= miny and rmaxy >= maxy, fid
        assert minx - rminx < 1 and rmaxx - maxx < 1 and miny - rminy < 1 and rmaxy - maxy < 1, fid


# -- the file is a GeoPackage ---------------------------------------------------------------------


def test_file_is_a_geopackage_1_4(store):
    conn = store.conn
    assert conn.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 10400
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    srs = {
        row[0]: row
        for row in conn.execute(
            "SELECT srs_id, organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys"
        )
    }
    assert {-1, 0, 4326, EPSG} <= set(srs)
    assert srs[EPSG][1:3] == ("EPSG", EPSG) and "ETRS89" in srs[EPSG][3] and srs[EPSG][3].startswith("PROJCS")
    contents = conn.execute("SELECT data_type, srs_id FROM gpkg_contents WHERE table_name = 'buildings'").fetchone()
    assert contents == ("features", EPSG)
    assert conn.execute(
        "SELECT column_name, geometry_type_name, srs_id, z, m FROM gpkg_geometry_columns WHERE table_name = 'buildings'"
    ).fetchone() == ("geom", "MULTIPOLYGON", EPSG, 0, 0)
    assert conn.execute(
        "SELECT extension_name, scope FROM gpkg_extensions WHERE table_name = 'buildings'"
    ).fetchone() == ("gpkg_rtree_index", "write-only")
    assert (
        conn.execute("SELECT sql FROM sqlite_master WHERE name = 'rtree_buildings_geom'").fetchone()[0]
        == "CREATE VIRTUAL TABLE rtree_buildings_geom USING rtree(id, minx, maxx, miny, maxy)"
    )
    triggers = {
        r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'buildings'")
    }
    assert triggers == {
        f"rtree_buildings_geom_{t}" for t in ("insert", "update2", "update4", "update5", "update6", "update7", "delete")
    }
    columns = {r[1]: (r[2], r[3], r[5]) for r in conn.execute("PRAGMA table_info(buildings)")}
    assert columns["fid"] == ("INTEGER", 1, 1) and columns["id"][:2] == ("TEXT", 1)
    assert columns["synthetic"][0] == "BOOLEAN" and columns["geom"][0] == "MULTIPOLYGON"
    assert {r[1] for r in conn.execute("PRAGMA index_list(bp_baugebiet)")} >= {
        "idx_bp_baugebiet_plan_id",
        "idx_bp_baugebiet_besondere_art_der_baulichen_nutzung",
    }
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_gdal_reads_layers_crs_and_features(store):
    store.replace({"bp_plan": plan("P1"), "bp_baugebiet": zones("P1", 3), "bp_baugrenze": lines("P1", 2)}, plan_id="P1")
    path = str(store.path)
    layers = dict(pyogrio.list_layers(path))
    assert layers["bp_baugebiet"] == "MultiPolygon" and layers["bp_baugrenze"] == "Unknown"
    info = pyogrio.read_info(path, layer="bp_baugebiet")
    assert info["crs"] == "EPSG:25832" and info["features"] == 3 and info["geometry_type"] == "MultiPolygon"
    assert list(info["total_bounds"]) == pytest.approx([X0, Y0, X0 + 170, Y0 + 50])
    frame = pyogrio.read_dataframe(path, layer="bp_baugebiet")
    assert frame.crs.to_epsg() == EPSG
    assert list(frame["id"]) == ["P1_zone0", "P1_zone1", "P1_zone2"] and list(frame["z"]) == [2, 3, 4]
    assert all(a.equals(b) for a, b in zip(frame.geometry, zones("P1", 3).geometry, strict=True))
    plans = pyogrio.read_dataframe(path, layer="bp_plan")
    assert str(plans["inkrafttretens_datum"].iloc[0])[:10] == "2001-05-17"
    assert str(plans["imported_at"].iloc[0]).startswith("2024-06-30 10:00:00")  # stored as UTC
    assert pyogrio.read_dataframe(path, layer="bp_baugrenze").geometry.iloc[0].geom_type == "LineString"


def test_gdal_written_blobs_decode(tmp_path):
    """Blobs GDAL writes (points without envelope, empty with NaN) work with our ST_* functions."""
    path = tmp_path / "gdal.gpkg"
    frame = gpd.GeoDataFrame(
        {"a": [1, 2, 3]}, geometry=[shapely.Point(566001, 5947002), shapely.Point(), None], crs=EPSG
    )
    pyogrio.write_dataframe(frame, path, layer="pts")
    conn = connect(path)
    rows = conn.execute("SELECT ST_IsEmpty(geom), ST_MinX(geom), ST_MaxY(geom) FROM pts ORDER BY fid").fetchall()
    assert rows == [(0, 566001.0, 5947002.0), (1, None, None), (None, None, None)]
    blobs = [r[0] for r in conn.execute("SELECT geom FROM pts ORDER BY fid")]
    assert gpkg_functions.decode(blobs)[0].equals(shapely.Point(566001, 5947002))
    assert gpkg_functions.srs_id(blobs[0]) == EPSG


def test_blob_encoding_roundtrip_and_big_endian():
    geoms = [
        shapely.Polygon([(0, 0), (4, 0), (4, 3), (0, 0)]),
        shapely.Polygon(),
        None,
        shapely.Point(1, 2),
        shapely.LineString([(0, 0, 5), (1, 1, 6)]),
    ]
    blobs = gpkg_functions.encode(geoms, EPSG)
    assert blobs[2] is None
    assert blobs[0][:4] == b"GP\x00\x03" and gpkg_functions.envelope(blobs[0]) == (0, 4, 0, 3)
    assert gpkg_functions.is_empty(blobs[1]) and gpkg_functions.envelope(blobs[1]) is None
    back = gpkg_functions.decode(blobs)
    assert back[0].equals(geoms[0]) and back[1].is_empty and back[2] is None
    assert not back[4].has_z  # stored 2D
    # A big-endian blob with envelope, as another writer might produce.
    wkb = shapely.to_wkb(shapely.Point(7, 8), byte_order=0, flavor="iso")
    big = struct.pack(">2sBBi4d", b"GP", 0, 0b10, EPSG, 7, 7, 8, 8) + wkb
    assert gpkg_functions.envelope(big) == (7, 7, 8, 8) and gpkg_functions.srs_id(big) == EPSG
    assert gpkg_functions.decode_one(big).equals(shapely.Point(7, 8))
    with pytest.raises(gpkg_functions.GeoPackageBlobError):
        gpkg_functions.header_size(b"not a geometry")
    assert gpkg_functions.gpkg_is_assignable("MULTIPOLYGON", "MULTIPOLYGON") == 1
    assert gpkg_functions.gpkg_is_assignable("GEOMETRY", "POINT") == 1
    assert gpkg_functions.gpkg_is_assignable("MULTIPOLYGON", "POLYGON") == 0


# -- replace -------------------------------------------------------------------------------------


def test_reimport_of_the_same_plan_replaces(store):
    store.replace({"bp_plan": plan("P1"), "bp_baugebiet": zones("P1", 3)}, plan_id="P1")
    store.replace({"bp_plan": plan("P2", X0 + 1000), "bp_baugebiet": zones("P2", 2, start=20)}, plan_id="P2")
    first = snapshot(store)
    store.replace({"bp_plan": plan("P1"), "bp_baugebiet": zones("P1", 3)}, plan_id="P1")
    assert store.count("bp_baugebiet") == 5 and store.count("bp_plan") == 2
    again = store.read("bp_baugebiet", where={"plan_id": "P1"})
    assert list(again["id"]) == ["P1_zone0", "P1_zone1", "P1_zone2"]
    # Same content (only the fids of the replaced plan are new).
    strip = [row[1:] for row in first["bp_baugebiet"]]
    assert sorted(row[1:] for row in snapshot(store)["bp_baugebiet"]) == sorted(strip)
    # A plan re-imported without one of its layers loses that layer's rows.
    store.replace({"bp_plan": plan("P1")}, plan_id="P1")
    assert store.count("bp_baugebiet") == 2
    assert_rtree_consistent(store.conn, "bp_baugebiet")


def test_bad_row_raises_and_leaves_store_unchanged(store):
    store.replace({"bp_plan": plan("P1"), "bp_baugebiet": zones("P1", 3)}, plan_id="P1")
    store.replace({"bp_plan": plan("P2", X0 + 1000), "bp_baugebiet": zones("P2", 2, start=20)}, plan_id="P2")
    before = snapshot(store)
    bad_value = zones("P1", 3).astype({"z": object})
    bad_value.loc[2, "z"] = "drei"
    with pytest.raises(StoreError, match=r"P1_zone2.*column z"):
        store.replace({"bp_plan": plan("P1"), "bp_baugebiet": bad_value}, plan_id="P1")
    wrong_type = zones("P1", 2)
    wrong_type.loc[1, "geometry"] = shapely.Point(X0, Y0)
    with pytest.raises(StoreError, match=r"P1_zone1.*POINT.*MULTIPOLYGON"):
        store.replace({"bp_baugebiet": wrong_type}, plan_id="P1")
    bad_date = plan("P1").assign(inkrafttretens_datum=["17.05.2001"])
    with pytest.raises(StoreError, match="inkrafttretens_datum"):
        store.replace({"bp_plan": bad_date}, plan_id="P1")
    # Fails inside the transaction, after P1's rows were deleted: an id P2 owns.
    clash = zones("P1", 2)
    clash.loc[1, "id"] = "P2_zone20"
    with pytest.raises(StoreError, match=r"P2_zone20.*already stored"):
        store.replace({"bp_plan": plan("P1"), "bp_baugebiet": clash}, plan_id="P1")
    assert snapshot(store) == before
    assert_rtree_consistent(store.conn, "bp_baugebiet")


def test_failure_in_bulk_mode_restores_rtree_and_triggers(store):
    n = BULK_ROWS + 10
    frame = buildings("osm:test", n)
    frame.loc[n - 1, "id"] = "b0"  # duplicate: check_frames refuses before any write
    with pytest.raises(StoreError, match="duplicate id"):
        store.replace({"buildings": frame}, source="osm:test")
    store.replace({"buildings": buildings("osm:other", 3, prefix="o")}, source="osm:other")
    before = snapshot(store)
    clash = buildings("osm:test", n)
    clash.loc[n - 1, "id"] = "o1"  # collides with another source inside the transaction
    with pytest.raises(StoreError, match="o1"):
        store.replace({"buildings": clash}, source="osm:test")
    assert snapshot(store) == before
    triggers = store.conn.execute(
        "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'buildings'"
    ).fetchone()[0]
    assert triggers == 7


def test_source_scoped_replace_bulk_and_trigger_paths(store):
    big = buildings("osm:test", BULK_ROWS + 500)
    assert store.replace({"buildings": big}, source="osm:test") == {"buildings": len(big)}  # bulk path
    assert_rtree_consistent(store.conn, "buildings")
    store.replace({"buildings": buildings("citygml:x", 5, prefix="c")}, source="citygml:x")  # trigger path
    assert_rtree_consistent(store.conn, "buildings")
    store.replace({"buildings": big.iloc[:100]}, source="osm:test")  # deletes many, inserts few
    assert store.count("buildings") == 105
    assert_rtree_consistent(store.conn, "buildings")
    info = pyogrio.read_info(str(store.path), layer="buildings")
    assert info["features"] == 105


def test_rtree_follows_inserts_updates_and_deletes(store):
    store.replace({"bp_baugrenze": lines("P1", 4)}, plan_id="P1")
    conn = store.conn
    blob = gpkg_functions.encode_one(shapely.LineString([(X0 - 500, Y0), (X0 - 400, Y0 + 9)]), EPSG)
    empty = gpkg_functions.encode_one(shapely.LineString(), EPSG)
    conn.execute("UPDATE bp_baugrenze SET geom = ? WHERE id = 'P1_line0'", (blob,))  # update6
    assert_rtree_consistent(conn, "bp_baugrenze")
    conn.execute("UPDATE bp_baugrenze SET geom = NULL WHERE id = 'P1_line1'")  # update2
    conn.execute("UPDATE bp_baugrenze SET geom = ? WHERE id = 'P1_line2'", (empty,))  # update2 (empty)
    assert_rtree_consistent(conn, "bp_baugrenze")
    conn.execute("UPDATE bp_baugrenze SET geom = ? WHERE id = 'P1_line1'", (blob,))  # update7
    conn.execute("UPDATE bp_baugrenze SET fid = 100 WHERE id = 'P1_line3'")  # update5
    conn.execute("UPDATE bp_baugrenze SET fid = 101 WHERE id = 'P1_line2'")  # update4 (empty geometry)
    conn.execute("INSERT INTO bp_baugrenze (id, plan_id, geom) VALUES ('new', 'P1', ?)", (blob,))  # insert
    assert_rtree_consistent(conn, "bp_baugrenze")
    conn.execute("DELETE FROM bp_baugrenze WHERE id IN ('P1_line0', 'new')")  # delete
    assert_rtree_consistent(conn, "bp_baugrenze")
    assert store.delete_plan("P1") == 3
    assert conn.execute("SELECT count(*) FROM rtree_bp_baugrenze_geom").fetchone()[0] == 0


# -- reading -------------------------------------------------------------------------------------


def test_read_types_filters_and_bounds(store):
    store.replace({"bp_plan": plan("P1"), "bp_baugebiet": zones("P1", 3)}, plan_id="P1")
    store.replace({"buildings": buildings("osm:x", 2).assign(synthetic=[True, False])}, source="osm:x")
    zones_back = store.read("bp_baugebiet", where={"plan_id": "P1", "z": 3})
    assert list(zones_back["id"]) == ["P1_zone1"] and str(zones_back["z"].dtype) == "Int64"
    assert zones_back.crs.to_epsg() == EPSG
    plans = store.read("bp_plan")
    assert plans["inkrafttretens_datum"].iloc[0] == "2001-05-17"
    assert plans["imported_at"].iloc[0] == "2024-06-30T10:00:00.000Z"
    assert store.read("buildings")["synthetic"].tolist() == [True, False]
    assert store.read("bp_baugebiet", where={"plan_id": "nope"}).empty
    with pytest.raises(StoreError, match="unknown columns"):
        store.read("bp_baugebiet", where={"colour": "red"})
    with pytest.raises(KeyError, match="known"):
        store.read("no_such_layer")
    # Exact bounds, although the R-tree holds float32.
    assert store.bounds("bp_baugebiet") == (X0, Y0, X0 + 170, Y0 + 50)
    store.conn.execute("DELETE FROM bp_baugebiet WHERE id = 'P1_zone2'")
    assert store.bounds("bp_baugebiet") == (X0, Y0, X0 + 110, Y0 + 50)
    contents = store.conn.execute(
        "SELECT min_x, min_y, max_x, max_y FROM gpkg_contents WHERE table_name = 'bp_plan'"
    ).fetchone()
    assert contents == (X0 - 10, Y0 - 10, X0 + 400, Y0 + 60)


def test_datetimes_are_normalised_to_fixed_width_utc():
    assert format_datetime("2024-05-01T10:00:00+02:00") == "2024-05-01T08:00:00.000Z"
    assert format_datetime("2024-05-01T08:00:00.5Z") == "2024-05-01T08:00:00.500Z"
    assert format_datetime("2024-05-01") == "2024-05-01T00:00:00.000Z"
    with pytest.raises(ValueError):
        format_datetime("gestern")


def test_reopen_with_other_crs_is_refused(tmp_path):
    path = tmp_path / "s.gpkg"
    with GeoPackageStore(path, epsg=EPSG) as s:
        s.create_schema()
    with pytest.raises(StoreError, match=r"EPSG:25832.*EPSG:25833"):
        GeoPackageStore(path, epsg=25833)
    plain = tmp_path / "plain.sqlite"
    sqlite3.connect(plain).execute("CREATE TABLE t (a)").connection.commit()
    with pytest.raises(StoreError, match="not a GeoPackage"):
        GeoPackageStore(plain, epsg=EPSG)


def test_readers_are_not_blocked_by_a_writer(store):
    """WAL: a reader sees the last committed state while a write transaction is open."""
    store.replace({"bp_baugebiet": zones("P1", 2)}, plan_id="P1")
    reader = connect(store.path)
    store.conn.execute("BEGIN IMMEDIATE")
    store.conn.execute("DELETE FROM bp_baugebiet")
    assert reader.execute("SELECT count(*) FROM bp_baugebiet").fetchone()[0] == 2
    store.conn.execute("ROLLBACK")
    reader.close()


def test_tables_of_an_older_catalogue_gain_new_columns(tmp_path):
    """A file written before a catalogue column existed still takes imports (the column is added)."""
    path = tmp_path / "old.gpkg"
    with GeoPackageStore(path, epsg=EPSG) as s:
        s.create_schema()
        s.conn.execute("ALTER TABLE bp_baugebiet DROP COLUMN grz")  # as if grz were new in the catalogue
        assert "grz" not in {r[1] for r in s.conn.execute("PRAGMA table_info(bp_baugebiet)")}
    with GeoPackageStore(path, epsg=EPSG) as s:
        s.replace({"bp_baugebiet": zones("P1", 2, grz=0.35)}, plan_id="P1")
        assert s.read("bp_baugebiet")["grz"].tolist() == [0.35, 0.35]
    with warnings.catch_warnings():
        warnings.filterwarnings("error", category=RuntimeWarning, module="pyogrio")
        assert "grz" in list(pyogrio.read_info(str(path), layer="bp_baugebiet")["fields"])
