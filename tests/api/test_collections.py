"""GET /oapi/collections and /collections/{id}: titles (de/en), extents, links."""

import pytest
import requests

EXPECTED = [
    "bp_plan",
    "bp_bereich",
    "bp_baugebiet",
    "bp_baugrenze",
    "bp_verkehrsflaeche",
    "bp_gruenflaeche",
    "bp_textabschnitt",
    "bp_planraster",
    "buildings",
    "streets",
    "parcels",
    "dem",
]


def test_all_collections_listed(api_server):
    r = requests.get(f"{api_server.api}/collections", params={"f": "json"}, timeout=10)
    assert r.ok
    ids = [c["id"] for c in r.json()["collections"]]
    assert set(EXPECTED) <= set(ids)


@pytest.mark.parametrize(
    "lang,title", [("de", "Baugebietsteilflächen"), ("en", "Building zones (Baugebietsteilflächen)")]
)
def test_collection_titles_in_both_languages(api_server, lang, title):
    r = requests.get(f"{api_server.api}/collections/bp_baugebiet", params={"f": "json", "lang": lang}, timeout=10)
    assert r.ok
    assert r.json()["title"] == title


def test_extent_is_the_data_extent(api_server):
    """The demo plans lie in Hamburg-Langenhorn (~9.99-10.02 E, 53.66-53.68 N), not the Germany fallback."""
    r = requests.get(f"{api_server.api}/collections/bp_plan", params={"f": "json"}, timeout=10)
    west, south, east, north = r.json()["extent"]["spatial"]["bbox"][0]
    assert 9.9 < west < east < 10.1
    assert 53.6 < south < north < 53.75


def test_unknown_collection_is_404(api_server):
    r = requests.get(f"{api_server.api}/collections/nope", params={"f": "json"}, timeout=10)
    assert r.status_code == 404
