"""GET /oapi/collections/{id}/items/{fid} : single feature by gml:id; 404 for unknown ids."""

import requests


def test_single_item_by_gml_id(api_server):
    first = requests.get(
        f"{api_server.api}/collections/bp_baugebiet/items", params={"f": "json", "limit": 1}, timeout=10
    ).json()["features"][0]
    r = requests.get(f"{api_server.api}/collections/bp_baugebiet/items/{first['id']}", params={"f": "json"}, timeout=10)
    assert r.ok
    feature = r.json()
    assert feature["id"] == first["id"]
    assert feature["properties"]["plan_id"] == first["properties"]["plan_id"]
    assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_unknown_item_is_404(api_server):
    r = requests.get(
        f"{api_server.api}/collections/bp_baugebiet/items/does-not-exist", params={"f": "json"}, timeout=10
    )
    assert r.status_code == 404
