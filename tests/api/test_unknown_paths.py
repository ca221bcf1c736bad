"""Unknown paths below /api, /oapi and /open311 answer 404 in JSON, not the portal's page; known ones still work."""

import pytest
import requests


@pytest.mark.parametrize(
    "path",
    [
        "/api/contributions",
        "/api/procedures/x/y/z",
        "/api/nonsense",
        "/oapi/nonsense",
        "/oapi/collections/bp_plan/nonsense",
        "/open311/v2/nonsense",
    ],
)
def test_unknown_api_paths_are_404_in_json(api_server, path):
    r = requests.get(f"{api_server.url}{path}", timeout=30)
    assert r.status_code == 404 and r.headers["Content-Type"].startswith("application/json"), (path, r.status_code)
    body = r.json()
    # Open311 answers errors as its list of {code, description} (GeoReport v2); ours and pygeoapi's as one object
    error = body[0] if path.startswith("/open311/") else body
    assert error["description"]  # ours: "no such resource"; pygeoapi's own for its collection routes


def test_known_routes_still_answer(api_server):
    for path in (
        "/api/procedures",
        "/oapi/collections/bp_plan/items?f=json&limit=1",
        "/oapi/conformance?f=json",
        "/open311/v2/services.json",
    ):
        assert requests.get(f"{api_server.url}{path}", timeout=30).status_code == 200, path
    assert requests.post(f"{api_server.url}/api/procedures", json={}, timeout=30).status_code == 401
