"""OGC API Coverages: the DEM collection."""

import requests


def test_dem_coverage_domainset(api_server):
    r = requests.get(f"{api_server.api}/collections/dem/coverage", params={"f": "json"}, timeout=30)
    assert r.ok, r.text[:300]
    body = r.json()
    assert body["type"] == "Coverage"
