"""The PostGIS feature provider directly: session settings, and numberMatched from the page's statement."""

from __future__ import annotations

import pytest

from tests.conftest import fresh_postgis_database, import_demo_plans

pytestmark = pytest.mark.postgis


@pytest.fixture(scope="module")
def provider(postgis, tmp_path_factory):
    from providers.postgis import PostGISProvider

    url = fresh_postgis_database(postgis, "provider")
    import_demo_plans(url, tmp_path_factory.mktemp("rasters"))
    return PostGISProvider({"name": "providers.postgis.PostGISProvider", "type": "feature", "data": url,
                            "table": "bp_baugebiet", "id_field": "id", "geom_field": "geom"})


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
