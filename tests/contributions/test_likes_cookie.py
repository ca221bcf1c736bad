"""A like counts once per person (api/voters.py): the person is the browser id in a server-issued, signed,
HttpOnly cookie -- not a client-chosen ``X-Voter-Id``. Forged ids are refused, new ids are limited per client
address, and bursts show up for the moderation (``GET /api/moderation/bursts``)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from itsdangerous import URLSafeTimedSerializer

from api.limits import CLIENT_HEADER, SIGNATURE_HEADER, sign, signing_key
from tests.conftest import LiveServer, import_demo_plans
from tests.contributions.common import MODERATOR, MODERATOR_TOKEN, PLANNER, TIMEOUT, approve, created, get_item

COOKIE = "buergergis_voter"


def like_url(server, cid: str) -> str:
    return f"{server.url}/api/contributions/{cid}/like"


def published(server, text="Ein Beitrag zum Liken (Cookie-Test)") -> str:
    cid, _ = created(server, text=text)
    approve(server, cid)
    return cid


# A hundred likes from 8 threads prove the rule on each store; the thousand (the flood as a script would send it)
# is heavy.
@pytest.mark.parametrize("likes", [100, pytest.param(1000, marks=pytest.mark.heavy)])
def test_many_likes_with_rotating_voter_ids_count_once(contrib_server, likes):
    cid = published(contrib_server)
    browser = requests.Session()
    first = browser.post(
        like_url(contrib_server, cid), headers={"X-Voter-Id": "rotating-voter-000000"}, timeout=TIMEOUT
    )
    assert first.status_code == 200 and first.json()["like_count"] == 1
    cookie = first.cookies[COOKIE]
    set_cookie = first.headers["Set-Cookie"]
    assert "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie and "Max-Age=" in set_cookie

    def again(i: int) -> int:
        r = requests.post(
            like_url(contrib_server, cid),
            headers={"X-Voter-Id": f"rotating-voter-{i:06d}"},
            cookies={COOKIE: cookie},
            timeout=TIMEOUT,
        )
        assert r.status_code == 200, r.text
        return r.json()["like_count"]

    with ThreadPoolExecutor(8) as pool:
        counts = list(pool.map(again, range(1, likes)))
    assert set(counts) == {1}
    assert get_item(contrib_server, cid).json()["properties"]["like_count"] == 1
    # the same browser takes its like back; a second browser is a second person
    assert browser.delete(like_url(contrib_server, cid), timeout=TIMEOUT).json()["like_count"] == 0
    assert requests.Session().post(like_url(contrib_server, cid), timeout=TIMEOUT).json()["like_count"] == 1


def test_a_forged_cookie_is_refused(contrib_server):
    cid = published(contrib_server, "Gefälschte Likes?")
    genuine = requests.post(like_url(contrib_server, cid), timeout=TIMEOUT).cookies[COOKIE]
    value, _, signature = genuine.rpartition(".")
    tampered = f"{value}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    other_key = URLSafeTimedSerializer(b"not-the-server-key", salt="buergergis-voter").dumps("a" * 32)
    for forged in (tampered, other_key, "plain-client-chosen-id-0001"):
        r = requests.post(like_url(contrib_server, cid), cookies={COOKIE: forged}, timeout=TIMEOUT)
        assert r.status_code == 403 and "Ungültige Browser-Kennung" in r.json()["description"], forged
        assert f"{COOKIE}=;" in r.headers.get("Set-Cookie", "")  # the bad cookie is dropped
        r = requests.post(like_url(contrib_server, cid), headers={"X-Portal-Voter": forged}, timeout=TIMEOUT)
        assert r.status_code == 403
    # planning variants use the same rule (api.access.voter_id is the one place)
    r = requests.post(
        f"{contrib_server.url}/api/scenarios/no-such-variant/like", cookies={COOKIE: tampered}, timeout=TIMEOUT
    )
    assert r.status_code == 403
    assert get_item(contrib_server, cid).json()["properties"]["like_count"] == 1


def test_the_portal_forwards_the_browser_id_signed(contrib_server):
    cid = published(contrib_server, "Über das Portal geliked")
    key = signing_key(contrib_server.data_dir)
    portal_voter = URLSafeTimedSerializer(key, salt="buergergis-voter").dumps("portal-browser-0000000001")
    address = "203.0.113.50"
    portal = {CLIENT_HEADER: address, SIGNATURE_HEADER: sign(key, address), "X-Portal-Voter": portal_voter}
    assert requests.post(like_url(contrib_server, cid), headers=portal, timeout=TIMEOUT).json()["like_count"] == 1
    again = requests.post(like_url(contrib_server, cid), headers=portal, timeout=TIMEOUT).json()
    assert again["like_count"] == 1 and again["changed"] is False
    # a portal call without a browser id (cookies refused): nothing is counted for a throwaway id
    no_voter = {CLIENT_HEADER: address, SIGNATURE_HEADER: sign(key, address)}
    r = requests.post(like_url(contrib_server, cid), headers=no_voter, timeout=TIMEOUT)
    assert r.status_code == 400 and "Cookie" in r.json()["description"] and COOKIE not in r.cookies


def test_bursts_are_for_moderators_and_list_much_liked_items(contrib_server):
    url = f"{contrib_server.url}/api/moderation/bursts"
    assert requests.get(url, timeout=TIMEOUT).status_code == 401
    cid = published(contrib_server, "Plötzlich sehr beliebt")
    for _ in range(3):
        assert requests.post(like_url(contrib_server, cid), timeout=TIMEOUT).status_code == 200
    found = requests.get(url, params={"min": 3, "window": 600}, headers=MODERATOR, timeout=TIMEOUT)
    assert found.status_code == 200, found.text
    item = next(i for i in found.json()["items"] if i["id"] == cid)
    assert item["kind"] == "contribution" and item["likes"] >= 3
    assert requests.get(url, params={"min": "viele"}, headers=MODERATOR, timeout=TIMEOUT).status_code == 400


# -- with the limits switched on ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def limited_portal(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("voter-limits")
    store = str(data_dir / "store.gpkg")
    import_demo_plans(store, data_dir / "rasters")
    server = LiveServer(
        store,
        data_dir,
        extra_env={
            "BUERGERGIS_UI": "1",
            "BUERGERGIS_LIMIT_ENABLED": "1",
            "BUERGERGIS_LIMIT_VOTERS": "5/minute",
            "BUERGERGIS_LIMIT_LIKES": "1000/minute",
            "BUERGERGIS_LIMIT_WRITES": "1000/minute",
            "BUERGERGIS_LIMIT_BURST_EVENTS": "5",
            "BUERGERGIS_MODERATOR_TOKEN": MODERATOR_TOKEN,
        },
    )
    r = requests.post(
        f"{server.url}/api/procedures",
        json={"title_de": "Likes", "opens_at": "2020-01-01", "closes_at": "2099-01-01"},
        headers=PLANNER,
        timeout=TIMEOUT,
    )
    assert r.status_code == 201, r.text
    yield server
    server.stop()


def test_a_client_that_throws_its_cookie_away_gets_few_likes(limited_portal):
    cid = published(limited_portal, "Gekaufte Likes?")
    answers = [
        requests.post(like_url(limited_portal, cid), headers={"X-Voter-Id": f"bought-{i:08d}"}, timeout=TIMEOUT)
        for i in range(12)
    ]
    assert [a.status_code for a in answers] == [200] * 5 + [429] * 7
    assert "Browser-Kennungen" in answers[-1].json()["description"] and "keep the cookie" in answers[-1].text
    assert get_item(limited_portal, cid).json()["properties"]["like_count"] == 5
    bursts = requests.get(f"{limited_portal.url}/api/moderation/bursts", headers=MODERATOR, timeout=TIMEOUT).json()
    voters = [c for c in bursts["clients"] if c["kind"] == "voters"]
    assert voters and voters[0]["refused"] >= 7 and "127.0.0.1" not in str(bursts)
    assert any(i["id"] == cid and i["likes"] == 5 for i in bursts["items"])


def test_the_portal_hands_every_browser_its_signed_id(limited_portal):
    key = signing_key(limited_portal.data_dir)

    def visitor(address: str) -> dict:  # as a proxy in front of the portal would name them (signed)
        return {CLIENT_HEADER: address, SIGNATURE_HEADER: sign(key, address)}

    page = requests.get(f"{limited_portal.url}/", headers=visitor("198.51.100.77"), timeout=TIMEOUT)
    assert page.status_code == 200 and COOKIE in page.cookies
    set_cookie = page.headers["Set-Cookie"]
    assert "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie
    cid = published(limited_portal, "Im Portal geliked")
    cookie = {COOKIE: page.cookies[COOKIE]}
    assert requests.post(like_url(limited_portal, cid), cookies=cookie, timeout=TIMEOUT).json()["like_count"] == 1
    assert requests.post(like_url(limited_portal, cid), cookies=cookie, timeout=TIMEOUT).json()["changed"] is False
    # new ids per address are limited on the portal too: the page still loads, without a new cookie
    pages = [
        requests.get(f"{limited_portal.url}/", headers=visitor("198.51.100.78"), timeout=TIMEOUT) for _ in range(6)
    ]
    assert all(p.status_code == 200 for p in pages)
    assert [COOKIE in p.cookies for p in pages] == [True] * 5 + [False]
