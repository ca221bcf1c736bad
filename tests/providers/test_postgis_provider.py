"""The PostGIS feature provider directly: session settings, and numberMatched from the page's statement."""

from __future__ import annotations

import pytest

from tests.conftest import fresh_postgis_database, import_demo_plans

pytestmark = pytest.mark.postgis


@pytest.fixture(scope="module")
def store_url(postgis, tmp_path_factory) -> str:
    url = fresh_postgis_database(postgis, "provider")
    import_demo_plans(url, tmp_path_factory.mktemp("rasters"))
    return url


@pytest.fixture(scope="module")
def provider(store_url):
    from providers.postgis import PostGISProvider

    return PostGISProvider(
        {
            "name": "providers.postgis.PostGISProvider",
            "type": "feature",
            "data": store_url,
            "table": "bp_baugebiet",
            "id_field": "id",
            "geom_field": "geom",
        }
    )


def test_connections_run_without_jit(provider):
    # JIT compiling costs ~15 ms once a page plus its count passes jit_above_cost: more than the query
    with provider._engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW jit").scalar() == "off"


def test_number_matched_on_full_short_empty_and_past_the_end_pages(provider):
    total = provider.query(limit=0)["numberMatched"]
    assert total > 30
    full = provider.query(limit=10)
    assert (full["numberReturned"], full["numberMatched"]) == (10, total)
    short = provider.query(offset=total - 3, limit=10)
    assert (short["numberReturned"], short["numberMatched"]) == (3, total)
    past = provider.query(offset=total + 5, limit=10)
    assert (past["numberReturned"], past["numberMatched"]) == (0, total)
    none = provider.query(limit=10, properties=[("art_code", "no such code")])
    assert (none["numberReturned"], none["numberMatched"]) == (0, 0)
    some = provider.query(limit=1, properties=[("art_code", "WA")])
    assert some["numberMatched"] == provider.query(limit=1000, properties=[("art_code", "WA")])["numberReturned"] > 1


def test_a_page_that_ends_exactly_at_the_end_is_counted(provider):
    total = provider.query(limit=0)["numberMatched"]
    last = provider.query(offset=total - 10, limit=10)
    assert (last["numberReturned"], last["numberMatched"]) == (10, total)


def test_page_keeps_the_requested_order(provider):
    page = provider.query(limit=40, sortby=[{"property": "grz", "order": "-"}])
    rows = [(f["properties"]["grz"], f["id"]) for f in page["features"]]
    assert len(rows) == 40
    # grz descending (PostgreSQL puts the rows without a value first), then the id
    key = [(g is not None, -(g or 0), i) for g, i in rows]
    assert key == sorted(key)
    everything = provider.query(limit=10000, sortby=[{"property": "grz", "order": "-"}])
    assert [f["id"] for f in everything["features"][:40]] == [i for _, i in rows]


def test_one_shared_provider_serves_threads_with_different_columns(store_url):
    """providers/store.py hands every request the same PostGIS provider instance."""
    from concurrent.futures import ThreadPoolExecutor

    from providers.store import StoreFeatureProvider

    definition = {
        "name": "providers.store.StoreFeatureProvider",
        "type": "feature",
        "data": store_url,
        "table": "bp_baugebiet",
        "id_field": "id",
        "geom_field": "geom",
    }
    shared = StoreFeatureProvider(definition)
    assert StoreFeatureProvider(dict(definition)) is shared
    choices = [["grz"], ["gfz", "art_code"], []]

    def page(k: int) -> set:
        names = choices[k % 3]
        return {frozenset(f["properties"]) for f in shared.query(limit=50, select_properties=names)["features"]}

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(page, range(60)))
    every = frozenset(shared.get_fields())
    for k, keys in enumerate(results):
        assert keys == {frozenset(choices[k % 3]) or every}, k
    # pygeoapi's schema route edits the field dicts it is given: the provider's own stay as they were
    shared.fields["grz"]["x-ogc-role"] = "edited"
    shared.get_fields()["grz"].pop("type")
    assert "x-ogc-role" not in shared.fields["grz"] and "type" in shared.fields["grz"]
