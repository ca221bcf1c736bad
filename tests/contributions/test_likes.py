"""POST/DELETE /api/contributions/<id>/like: one like per person -- the browser id in the server-issued, signed
cookie (api/voters.py), stored hashed. Each "person" here is a requests.Session that keeps its cookie."""

from concurrent.futures import ThreadPoolExecutor

import requests

from tests.contributions.common import TIMEOUT, approve, created, get_item, ids

_BROWSERS: dict[str, requests.Session] = {}


def like(server, cid, voter=None, method="post"):
    """A like from the browser named ``voter`` (its own cookie jar), or from a client without cookies."""
    client = _BROWSERS.setdefault(f"{server.url}|{voter}", requests.Session()) if voter else requests
    return getattr(client, method)(f"{server.url}/api/contributions/{cid}/like", timeout=TIMEOUT)


def test_one_like_per_person(contrib_server):
    cid, _ = created(contrib_server, text="Gefällt mir?")
    approve(contrib_server, cid)
    first = like(contrib_server, cid, "browser-aaaaaaaaaaaa")
    assert first.status_code == 200 and first.json() == {"id": cid, "like_count": 1, "liked": True, "changed": True}
    again = like(contrib_server, cid, "browser-aaaaaaaaaaaa")
    assert again.json()["like_count"] == 1 and again.json()["changed"] is False
    assert like(contrib_server, cid, "browser-bbbbbbbbbbbb").json()["like_count"] == 2
    assert like(contrib_server, cid, "browser-aaaaaaaaaaaa", method="delete").json()["like_count"] == 1
    assert get_item(contrib_server, cid).json()["properties"]["like_count"] == 1


def test_like_needs_a_visible_contribution(contrib_server):
    pending, _ = created(contrib_server)
    assert like(contrib_server, pending).status_code == 404
    assert like(contrib_server, pending, "browser-cccccccccccc").status_code == 404
    assert like(contrib_server, "no-such-id", "browser-cccccccccccc").status_code == 404
    approve(contrib_server, pending)
    first = like(contrib_server, pending, "browser-cccccccccccc")
    browser = _BROWSERS[f"{contrib_server.url}|browser-cccccccccccc"]
    assert first.status_code == 200 and "buergergis_voter" in browser.cookies  # the id came with its first like


def test_simultaneous_likes_are_all_counted(contrib_server):
    cid, _ = created(contrib_server, text="Beliebt")
    approve(contrib_server, cid)
    with ThreadPoolExecutor(20) as pool:
        replies = list(pool.map(lambda i: like(contrib_server, cid, f"parallel-voter-{i:06d}"), range(30)))
    assert all(r.status_code == 200 for r in replies)
    assert get_item(contrib_server, cid).json()["properties"]["like_count"] == 30


def test_sort_by_likes(contrib_server):
    low, _ = created(contrib_server, text="wenig Zustimmung")
    high, _ = created(contrib_server, text="viel Zustimmung")
    for cid in (low, high):
        approve(contrib_server, cid)
    for i in range(3):
        like(contrib_server, high, f"sorting-voter-{i:06d}")
    r = requests.get(
        f"{contrib_server.api}/collections/contributions/items",
        params={"f": "json", "sortby": "-like_count", "limit": 1000},
        timeout=TIMEOUT,
    )
    order = [f["id"] for f in r.json()["features"]]
    assert order.index(high) < order.index(low)
    assert {low, high} <= ids(contrib_server)
