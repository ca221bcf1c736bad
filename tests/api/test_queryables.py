"""GET /oapi/collections/{id}/queryables : the Festsetzungen one can filter on."""

import requests


def test_baugebiet_queryables(api_server):
    r = requests.get(f"{api_server.api}/collections/bp_baugebiet/queryables", params={"f": "json"}, timeout=10)
    assert r.ok
    props = r.json()["properties"]
    for name in ("grz", "gfz", "z", "bauweise", "art_code", "plan_id"):
        assert name in props, name
    assert props["grz"]["type"] == "number"
    assert props["z"]["type"] == "integer"
