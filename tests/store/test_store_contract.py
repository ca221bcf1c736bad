"""The Store interface, the same assertions against the GeoPackage file and a real PostGIS."""

import geopandas as gpd
import pytest
import shapely

from store.base import StoreError, open_store

EPSG = 25832


@pytest.fixture(params=["geopackage", "postgis"])
def store(request, tmp_path):
    url = str(tmp_path / "contract.gpkg") if request.param == "geopackage" else request.getfixturevalue("postgis_url")
    s = open_store(url, epsg=EPSG)
    s.create_schema()
    yield s
    s.close()


def zones(plan_id: str, n: int, grz: float = 0.4) -> gpd.GeoDataFrame:
    """n square zones of 50 m near Hamburg-Langenhorn (test geometry, not real plan data)."""
    geoms = [shapely.MultiPolygon([shapely.box(566000 + 60 * i, 5947000, 566050 + 60 * i, 5947050)]) for i in range(n)]
    return gpd.GeoDataFrame(
        {
            "id": [f"{plan_id}_zone{i}" for i in range(n)],
            "plan_id": plan_id,
            "grz": grz,
            "z": [2 + i for i in range(n)],
            "art_code": "WA",
        },
        geometry=geoms,
        crs=EPSG,
    )


def plan(plan_id: str) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"id": [plan_id], "plan_id": [plan_id], "name": [f"Plan {plan_id}"], "inkrafttretens_datum": ["2001-05-17"]},
        geometry=[shapely.MultiPolygon([shapely.box(565990, 5946990, 566400, 5947060)])],
        crs=EPSG,
    )


def test_replace_writes_and_reads_back(store):
    written = store.replace({"bp_plan": plan("P1"), "bp_baugebiet": zones("P1", 3)}, plan_id="P1")
    assert written == {"bp_plan": 1, "bp_baugebiet": 3}
    back = store.read("bp_baugebiet").sort_values("id")
    assert list(back["id"]) == ["P1_zone0", "P1_zone1", "P1_zone2"]
    assert list(back["z"]) == [2, 3, 4]
    assert back["grz"].tolist() == [0.4, 0.4, 0.4]
    assert back.crs.to_epsg() == EPSG
    assert back.geometry.iloc[0].equals(zones("P1", 1).geometry.iloc[0])
    assert store.read("bp_plan")["inkrafttretens_datum"].iloc[0].startswith("2001-05-17")


def test_reimport_replaces_never_duplicates(store):
    store.replace({"bp_plan": plan("P1"), "bp_baugebiet": zones("P1", 3)}, plan_id="P1")
    store.replace({"bp_plan": plan("P2"), "bp_baugebiet": zones("P2", 2)}, plan_id="P2")
    store.replace({"bp_plan": plan("P1"), "bp_baugebiet": zones("P1", 2, grz=0.3)}, plan_id="P1")
    assert store.count("bp_baugebiet") == 4
    assert store.count("bp_plan") == 2
    p1 = store.read("bp_baugebiet", where={"plan_id": "P1"})
    assert len(p1) == 2 and set(p1["grz"]) == {0.3}


def test_failed_replace_leaves_store_unchanged(store):
    store.replace({"bp_plan": plan("P1"), "bp_baugebiet": zones("P1", 3)}, plan_id="P1")
    bad = zones("P1", 2)
    bad.loc[1, "id"] = bad.loc[0, "id"]  # duplicate id
    with pytest.raises(StoreError, match="duplicate id"):
        store.replace({"bp_plan": plan("P1"), "bp_baugebiet": bad}, plan_id="P1")
    bad = zones("P1", 2).assign(z=["two", "three"])  # wrong type, caught by the database
    with pytest.raises(StoreError):
        store.replace({"bp_plan": plan("P1"), "bp_baugebiet": bad}, plan_id="P1")
    assert store.count("bp_baugebiet") == 3 and store.count("bp_plan") == 1


def test_unknown_columns_and_crs_refused(store):
    with pytest.raises(StoreError, match="not in the catalogue"):
        store.replace({"bp_baugebiet": zones("P1", 1).assign(colour="red")}, plan_id="P1")
    with pytest.raises(StoreError, match="EPSG:25832"):
        store.replace({"bp_baugebiet": zones("P1", 1).to_crs(4326)}, plan_id="P1")


def test_delete_plan_and_source_scoped_replace(store):
    store.replace({"bp_plan": plan("P1"), "bp_baugebiet": zones("P1", 3)}, plan_id="P1")
    assert store.delete_plan("P1") == 4
    assert store.count("bp_baugebiet") == 0
    buildings = gpd.GeoDataFrame(
        {"id": ["b1", "b2"], "source": "osm:x", "height": [9.0, 12.0]},
        geometry=[shapely.MultiPolygon([shapely.box(0, 0, 10, 10)])] * 2,
        crs=EPSG,
    )
    store.replace({"buildings": buildings}, source="osm:x")
    store.replace({"buildings": buildings.iloc[:1]}, source="osm:x")
    assert store.count("buildings") == 1


def test_bounds_and_crs84_extents(store):
    store.replace({"bp_plan": plan("P1"), "bp_baugebiet": zones("P1", 3)}, plan_id="P1")
    assert store.bounds("bp_baugebiet") == pytest.approx((566000, 5947000, 566170, 5947050))
    assert store.bounds("buildings") is None
    west, south, east, north = store.extents_crs84()["bp_plan"]
    assert 9.9 < west < east < 10.1 and 53.6 < south < north < 53.75


@pytest.mark.postgis
def test_servers_starting_together_create_the_tables_once(postgis_url):
    """Two servers (or an importer and a server) on one fresh database create the schema at once."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from providers.contributions import create_tables

    barrier = Barrier(6)

    def start(_):
        barrier.wait()
        create_tables(postgis_url, EPSG)  # what every server does at start-up
        s = open_store(postgis_url, epsg=EPSG)
        try:
            s.create_schema()
        finally:
            s.close()

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(start, range(6)))
    s = open_store(postgis_url, epsg=EPSG)
    try:
        assert s.count("contributions") == 0 and s.count("bp_plan") == 0
    finally:
        s.close()


def test_read_a_bbox_through_the_spatial_index(store):
    store.replace({"bp_plan": plan("P1"), "bp_baugebiet": zones("P1", 5)}, plan_id="P1")
    # zones are 50 m squares every 60 m from x = 566000: this box meets the second and third
    got = store.read("bp_baugebiet", bbox=(566070, 5947010, 566130, 5947020))
    assert sorted(got["id"]) == ["P1_zone1", "P1_zone2"]
    assert list(store.read("bp_baugebiet", where={"plan_id": "P1"}, bbox=(565000, 5946000, 566010, 5947001))["id"]) == [
        "P1_zone0"
    ]
    assert store.read("bp_baugebiet", bbox=(0, 0, 1, 1)).empty
    for bad in ((1, 2, 3), (0, 0, float("nan"), 1), (5, 0, 1, 1), "abcd"):
        with pytest.raises(StoreError, match="bbox"):
            store.read("bp_baugebiet", bbox=bad)
