"""Abuse limits per client (api/limits.py): 429 with Retry-After and a German/English message; each visitor of the
portal counted on their own through the signed address the portal forwards; a forged address buys nothing."""

import pytest
import requests

from api.limits import CLIENT_HEADER, SIGNATURE_HEADER, sign, signing_key
from tests.conftest import LiveServer, import_demo_plans
from tests.contributions.common import GEOJSON, INSIDE, PLANNER, TIMEOUT


@pytest.fixture(scope="module")
def limited(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("limits")
    store = str(data_dir / "store.gpkg")
    import_demo_plans(store, data_dir / "rasters")
    server = LiveServer(
        store,
        data_dir,
        extra_env={
            "BUERGERGIS_UI": "0",
            "BUERGERGIS_LIMIT_ENABLED": "1",
            "BUERGERGIS_LIMIT_CONTRIBUTIONS": "3/minute",
            "BUERGERGIS_LIMIT_LIKES": "5/minute",
            "BUERGERGIS_LIMIT_WRITES": "1000/minute",
        },
    )
    r = requests.post(
        f"{server.url}/api/procedures",
        json={"title_de": "Limits", "opens_at": "2020-01-01", "closes_at": "2099-01-01"},
        headers=PLANNER,
        timeout=TIMEOUT,
    )
    assert r.status_code == 201, r.text
    yield server
    server.stop()


def _post(server, headers=None):
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": INSIDE},
        "properties": {"text": "Noch ein Beitrag (Limit-Test)"},
    }
    return requests.post(
        f"{server.api}/collections/contributions/items",
        json=feature,
        headers={**GEOJSON, **(headers or {})},
        timeout=TIMEOUT,
    )


def test_a_flood_from_one_client_is_stopped_and_told_when_to_retry(limited):
    answers = [_post(limited).status_code for _ in range(5)]
    assert answers[:3] == [201, 201, 201] and answers[3:] == [429, 429]
    refused = _post(limited)
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 61
    assert "Zu viele Anfragen" in refused.json()["description"] and "too many" in refused.json()["description"]
    # reading is not limited
    assert (
        requests.get(
            f"{limited.api}/collections/contributions/items", params={"f": "json"}, timeout=TIMEOUT
        ).status_code
        == 200
    )


def test_visitors_of_the_portal_are_counted_each_on_their_own(limited):
    key = signing_key(limited.data_dir)
    for address in ("203.0.113.7", "198.51.100.23"):
        signed = {CLIENT_HEADER: address, SIGNATURE_HEADER: sign(key, address)}
        assert [_post(limited, signed).status_code for _ in range(4)] == [201, 201, 201, 429]
    # an address claimed without the server's signature counts as the sender's own: use that up first (this
    # test must not depend on the one before it), then a forged address buys nothing
    own = [_post(limited).status_code for _ in range(4)]
    assert own[-1] == 429, own
    forged = {CLIENT_HEADER: "192.0.2.99", SIGNATURE_HEADER: "0" * 64}
    assert _post(limited, forged).status_code == 429
