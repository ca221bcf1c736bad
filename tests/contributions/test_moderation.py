"""Moderation: approve -> public; rejected never public; pending visible to its author and moderators only."""

import json

import requests

from tests.contributions.common import (
    MODERATOR,
    PLANNER,
    TIMEOUT,
    created,
    get_item,
    ids,
    item_url,
    set_status,
    with_secret,
)


def test_approved_contribution_appears_in_the_public_collection(contrib_server):
    cid, _ = created(contrib_server, text="Freigabe-Test")
    assert cid not in ids(contrib_server)
    body = set_status(contrib_server, cid, "freigegeben").json()
    assert [h["status"] for h in body["status_history"]] == ["eingereicht", "freigegeben"]
    assert cid in ids(contrib_server)
    assert get_item(contrib_server, cid).json()["properties"]["status"] == "freigegeben"


def test_rejected_contribution_is_never_public(contrib_server):
    cid, secret = created(contrib_server, text="Ablehnungs-Test")
    assert set_status(contrib_server, cid, "abgelehnt").status_code == 200
    assert cid not in ids(contrib_server)
    assert cid not in ids(contrib_server, filter="status = 'abgelehnt'")
    assert cid not in ids(contrib_server, filter=f"id = '{cid}'")
    assert get_item(contrib_server, cid).status_code == 404
    assert get_item(contrib_server, cid, with_secret(secret)).status_code == 200  # its author still sees it
    assert cid in ids(contrib_server, MODERATOR)


def test_pending_visible_to_author_and_moderators_only(contrib_server):
    cid, secret = created(contrib_server, text="Sichtbarkeits-Test")
    _, other = created(contrib_server, text="Jemand anderes")
    assert cid in ids(contrib_server, with_secret(secret))
    assert cid not in ids(contrib_server, with_secret(other))
    assert cid not in ids(contrib_server)
    assert cid in ids(contrib_server, MODERATOR) and cid in ids(contrib_server, PLANNER)
    assert cid in ids(contrib_server, with_secret(f"{other},{secret}"))  # several secrets, comma-separated
    wrong = {"Authorization": "Bearer not-a-token"}
    assert cid not in ids(contrib_server, wrong)


def test_maengelmeldung_status_history_is_public(contrib_server):
    cid, _ = created(contrib_server, kind="maengelmeldung", category="strasse", text="Schlagloch (Test)")
    set_status(contrib_server, cid, "in_bearbeitung")
    public = get_item(contrib_server, cid)
    assert public.status_code == 200 and public.json()["properties"]["status"] == "in_bearbeitung"
    set_status(contrib_server, cid, "erledigt")
    history = get_item(contrib_server, cid).json()["properties"]["status_history"]
    assert [h["status"] for h in history] == ["eingereicht", "in_bearbeitung", "erledigt"]
    assert all(h["at"] for h in history)


def test_status_must_fit_the_kind(contrib_server):
    cid, _ = created(contrib_server)
    r = set_status(contrib_server, cid, "erledigt")
    assert r.status_code == 400 and "erledigt" in r.json()["description"]
    assert set_status(contrib_server, cid, "nonsense").status_code == 400


def test_only_moderators_set_status(contrib_server):
    cid, secret = created(contrib_server)
    assert set_status(contrib_server, cid, "freigegeben", headers={}).status_code == 401
    assert set_status(contrib_server, cid, "freigegeben", headers=with_secret(secret)).status_code == 401
    assert set_status(contrib_server, cid, "freigegeben", headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert set_status(contrib_server, cid, "freigegeben", headers=PLANNER).status_code == 200  # planners moderate too
    assert set_status(contrib_server, "no-such-id", "freigegeben").status_code == 404


def test_moderator_approves_through_ogc_put(contrib_server):
    cid, _ = created(contrib_server, text="PUT-Freigabe")
    item = get_item(contrib_server, cid, MODERATOR).json()
    item["properties"]["status"] = "freigegeben"
    r = requests.put(
        item_url(contrib_server, cid),
        data=json.dumps(item),
        headers={**MODERATOR, "Content-Type": "application/geo+json"},
        timeout=TIMEOUT,
    )
    assert r.status_code == 204, r.text
    assert get_item(contrib_server, cid).json()["properties"]["status"] == "freigegeben"


def test_public_sorting_by_time(contrib_server):
    first, _ = created(contrib_server, text="früher")
    second, _ = created(contrib_server, text="später")
    for cid in (first, second):
        set_status(contrib_server, cid, "freigegeben")
    r = requests.get(
        f"{contrib_server.api}/collections/contributions/items",
        params={"f": "json", "sortby": "-created_at", "limit": 2},
        timeout=TIMEOUT,
    )
    assert [f["id"] for f in r.json()["features"]] == [second, first]


def test_cql2_filters_by_status_kind_and_plan(contrib_server):
    plan = contrib_server.plans["open"]
    linked, _ = created(contrib_server, kind="vorschlag", plan_id=plan, text="Filter-Test verknüpft")
    pending, _ = created(contrib_server, kind="vorschlag", plan_id=plan, text="Filter-Test wartet")
    set_status(contrib_server, linked, "freigegeben")
    found = ids(contrib_server, filter=f"plan_id = '{plan}' AND kind = 'vorschlag'")
    assert linked in found and pending not in found
    assert pending in ids(contrib_server, MODERATOR, filter="status = 'eingereicht' AND kind = 'vorschlag'")
    assert linked in ids(contrib_server, filter="status = 'freigegeben'", lang="de")
    assert linked in ids(contrib_server, datetime="2020-01-01T00:00:00Z/..")
    assert linked not in ids(contrib_server, datetime="../2020-01-01T00:00:00Z")
