"""Helpers shared by the contribution tests: headers, features, and the calls every test makes."""

from __future__ import annotations

import json

import requests

from tests.conftest import MODERATOR_TOKEN, PLANNER_TOKEN

GEOJSON = {"Content-Type": "application/geo+json"}
PLANNER = {"Authorization": f"Bearer {PLANNER_TOKEN}"}
MODERATOR = {"Authorization": f"Bearer {MODERATOR_TOKEN}"}
SECRET = "X-Contribution-Secret"
#: A point inside the demo plans (Hamburg-Langenhorn), lon/lat.
INSIDE = [10.0, 53.67]
TIMEOUT = 20


def feature(text: str = "Bitte mehr Bäume pflanzen (Testbeitrag)", geometry: dict | None = None, **props) -> dict:
    return {
        "type": "Feature",
        "geometry": geometry or {"type": "Point", "coordinates": INSIDE},
        "properties": {"text": text, **props},
    }


def create(server, body, headers: dict | None = None) -> requests.Response:
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return requests.post(
        f"{server.api}/collections/contributions/items",
        data=data,
        headers={**GEOJSON, **(headers or {})},
        timeout=TIMEOUT,
    )


def created(server, body=None, headers: dict | None = None, **props) -> tuple[str, str]:
    """Create and return (id, secret); fails the test on anything but 201."""
    r = create(server, body if body is not None else feature(**props), headers)
    assert r.status_code == 201, r.text[:500]
    return r.headers["Location"].rsplit("/", 1)[-1], r.headers[SECRET]


def item_url(server, cid: str) -> str:
    return f"{server.api}/collections/contributions/items/{cid}"


def get_item(server, cid: str, headers: dict | None = None) -> requests.Response:
    return requests.get(item_url(server, cid), params={"f": "json"}, headers=headers or {}, timeout=TIMEOUT)


def items(server, headers: dict | None = None, **params) -> dict:
    r = requests.get(
        f"{server.api}/collections/contributions/items",
        params={"f": "json", "limit": 10000, **params},
        headers=headers or {},
        timeout=TIMEOUT,
    )
    assert r.status_code == 200, r.text[:500]
    return r.json()


def ids(server, headers: dict | None = None, **params) -> set[str]:
    return {f["id"] for f in items(server, headers, **params)["features"]}


def count_all(server) -> int:
    return items(server, MODERATOR, resulttype="hits")["numberMatched"]


def set_status(server, cid: str, status: str, headers: dict | None = None) -> requests.Response:
    return requests.post(
        f"{server.url}/api/contributions/{cid}/status",
        json={"status": status},
        headers=MODERATOR if headers is None else headers,
        timeout=TIMEOUT,
    )


def approve(server, cid: str, status: str = "freigegeben") -> dict:
    r = set_status(server, cid, status)
    assert r.status_code == 200, r.text[:500]
    return r.json()


def with_secret(secret: str, **headers) -> dict:
    return {SECRET: secret, **headers}
