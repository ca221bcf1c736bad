"""Addresses, streets and places for the place search: from the Helsinki OSM extract and from an address list.

The OSM counts are checked against GDAL's own SQL over the raw tags (``other_tags LIKE``), not
against the importer's tag parser.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pyogrio
import pytest
import shapely

from layers.addresses import natural_key, query_key, read_address_list, search_key
from tests.layers.test_osm import PBF
from tests.search_data import ADDRESSES, write_hk_csv


@pytest.fixture(scope="module")
def helsinki():
    if not PBF.is_file():
        pytest.fail(f"shared data not found at {PBF} (set BUERGERGIS_SHARED_DATA)")
    from layers.osm import read_osm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read_osm(PBF)


def _count(sql: str) -> int:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return int(pyogrio.read_dataframe(PBF, sql=sql, read_geometry=False).iloc[0, 0])


_NUMBER = "other_tags LIKE '%\"addr:housenumber\"=>%'"
_STREET = "(other_tags LIKE '%\"addr:street\"=>%' OR other_tags LIKE '%\"addr:place\"=>%')"


def test_osm_address_counts_match_gdal(helsinki):
    addresses = helsinki["addresses"]
    nodes = _count(f"SELECT COUNT(*) FROM points WHERE {_NUMBER} AND {_STREET}")
    areas = _count(f"SELECT COUNT(*) FROM multipolygons WHERE {_NUMBER} AND {_STREET}")
    assert (nodes, areas) == (1359, 92)  # the extract as shared; 18 nodes and 1 area have a number but no street
    assert _count(f"SELECT COUNT(*) FROM points WHERE {_NUMBER}") == 1377
    # Two of the areas lost nodes at the extract's edge: GDAL cannot build them, so they have no place.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        raw = pyogrio.read_dataframe(
            PBF, layer="multipolygons", where=f"{_NUMBER} AND {_STREET}", on_invalid="ignore", columns=["osm_id"]
        )
    unbuildable = int(raw.geometry.isna().sum())
    assert unbuildable == 2
    kinds = addresses["kind"].value_counts().to_dict()
    assert kinds["address"] == nodes + areas - unbuildable == 1449
    named = _count("SELECT COUNT(DISTINCT name) FROM lines WHERE highway IS NOT NULL AND name IS NOT NULL")
    streets = addresses[addresses["kind"] == "street"]
    assert set(streets["name"]) == set(helsinki["streets"]["name"].dropna())
    assert len(streets) == named == 92  # the ways of a name merged (none lie far apart in this extract)
    places = _count("SELECT COUNT(*) FROM points WHERE place IS NOT NULL AND name IS NOT NULL")
    assert kinds["place"] >= places == 7
    assert addresses["id"].is_unique and addresses.crs.to_epsg() == 25832


def test_osm_address_values(helsinki):
    addresses = helsinki["addresses"]
    row = addresses[addresses["name"] == "Kaivokatu 8"].iloc[0]
    assert (row["street"], row["housenumber"], row["search_key"]) == ("Kaivokatu", "8", "kaivokatu 8")
    assert row.geometry.geom_type == "Point"
    street = addresses[(addresses["kind"] == "street") & (addresses["name"] == "Kaivokatu")].iloc[0]
    assert street.geometry.geom_type in ("LineString", "MultiLineString") and street["city"] == "Helsinki"
    # The street runs past its number 8.
    assert street.geometry.distance(row.geometry) < 120
    assert set(helsinki["landcover"]["kind"]) == {"water", "green"}
    assert helsinki["landcover"].geometry.is_valid.all()


@pytest.mark.parametrize(
    "a, b",
    [
        ("Tangstedter Landstraße 12", "tangstedter landstrasse 12"),
        ("Tangstedter Landstraße 12", "TANGSTEDTER LANDSTR. 12"),
        ("Tangstedter Landstraße 12", "Tangstedter  Landstr 12"),
        ("Müllerstraße 3", "Muellerstrasse 3"),
        ("Max-Brauer-Allee 14 a", "max brauer allee 14a"),
        ("Straße des 17. Juni", "Str. des 17 Juni"),
    ],
)
def test_search_key_variants(a, b):
    assert search_key(a) == search_key(b)


def test_search_key_keeps_words_apart():
    assert search_key("Straßburger Platz") == "strassburger platz"  # "straß…" inside a word is no Straße
    assert search_key("Strassenbahnring") == "strassenbahnring"
    assert query_key("Tangstedter Landstra") == "tangstedter landstr"  # typing on the way to "straße"
    assert search_key(None) == "" and search_key("  --  ") == ""
    assert sorted(["Weg 10", "Weg 2", "Weg 2a"], key=natural_key) == ["Weg 2", "Weg 2a", "Weg 10"]


def test_address_list_csv(tmp_path):
    path = write_hk_csv(tmp_path / "hauskoordinaten.csv")
    frame = read_address_list(path, crs="EPSG:25832")["addresses"]
    assert len(frame) == len(ADDRESSES)
    row = frame.set_index("source_id").loc["DEHHTEST0002"]
    assert (row["name"], row["housenumber"], row["postcode"], row["city"]) == (
        "Tangstedter Landstraße 14a",
        "14a",
        "22415",
        "Hamburg",
    )
    assert row["search_key"] == "tangstedter landstr 14a" and row["kind"] == "address"
    lon, lat = shapely.get_coordinates(frame.to_crs(4326).geometry)[1]
    assert (round(lon, 4), round(lat, 4)) == (10.0116, 53.6703)
    with pytest.raises(ValueError, match="need their CRS"):
        read_address_list(path)


def test_address_list_lonlat_and_geopackage(tmp_path):
    csv = tmp_path / "adressen.csv"
    csv.write_text(
        "strasse,hausnummer,plz,ort,lon,lat\nMüllerstraße,3,22415,Hamburg,10.0131,53.6688\n"
        "Ohne Koordinate,1,22415,Hamburg,,\n",
        encoding="utf-8",
    )
    with pytest.warns(UserWarning, match="1 row\\(s\\) without coordinates skipped"):
        frame = read_address_list(csv)["addresses"]
    assert frame["name"].tolist() == ["Müllerstraße 3"] and frame.crs.to_epsg() == 25832
    gpkg = tmp_path / "adressen.gpkg"
    frame.to_crs(4326).rename(columns={"street": "Strassenname", "housenumber": "HNR"}).to_file(gpkg)
    again = read_address_list(gpkg, source="addresses:gpkg")["addresses"]
    assert again["name"].tolist() == ["Müllerstraße 3"] and set(again["source"]) == {"addresses:gpkg"}


def test_address_list_refuses_what_it_cannot_place(tmp_path):
    csv = tmp_path / "ohne.csv"
    csv.write_text("strasse;hausnummer\nA;1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no coordinate columns"):
        read_address_list(csv)
    csv.write_text("name;x;y\nA;1;2\n", encoding="utf-8")
    with pytest.raises(ValueError, match="street and a house number"):
        read_address_list(csv, crs="EPSG:25832")
    csv.write_text("strasse;hnr;x;y\nA;1;abc;2\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not a number"):
        read_address_list(csv, crs="EPSG:25832")


def test_cli_import_addresses(tmp_path, capsys):
    from commands.cli import main
    from store.base import open_store

    store = tmp_path / "store.gpkg"
    path = write_hk_csv(tmp_path / "hk.csv")
    assert main(["--store", str(store), "import-addresses", str(path), "--crs", "EPSG:25832"]) == 0
    assert "4 addresses" in capsys.readouterr().out
    assert main(["--store", str(store), "import-addresses", str(path), "--crs", "EPSG:25832"]) == 0  # replaces
    opened = open_store(str(store))
    try:
        assert opened.count("addresses") == 4
    finally:
        opened.close()
    assert main(["--store", str(store), "import-addresses", str(path)]) == 1  # no CRS: refused, nothing written
    assert main(["--store", str(store), "import-addresses", str(path), "--column", "bad"]) == 1
    assert Path(store).exists()
