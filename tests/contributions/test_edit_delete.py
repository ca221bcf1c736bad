"""PUT and DELETE of contributions: the author with the secret, moderators; nobody else (401/403)."""

import json

import requests

from tests.contributions.common import (
    GEOJSON,
    MODERATOR,
    SECRET,
    TIMEOUT,
    count_all,
    create,
    created,
    feature,
    get_item,
    ids,
    item_url,
    set_status,
    with_secret,
)


def put(server, cid, body, headers):
    return requests.put(item_url(server, cid), data=json.dumps(body), headers={**GEOJSON, **headers}, timeout=TIMEOUT)


def delete(server, cid, headers):
    return requests.delete(item_url(server, cid), headers=headers, timeout=TIMEOUT)


def test_author_edits_own_contribution_and_it_is_moderated_again(contrib_server):
    cid, secret = created(contrib_server, text="Erste Fassung")
    set_status(contrib_server, cid, "freigegeben")
    r = put(contrib_server, cid, feature(text="Zweite Fassung", pseudonym="Nachbar"), with_secret(secret))
    assert r.status_code == 204, r.text
    props = get_item(contrib_server, cid, with_secret(secret)).json()["properties"]
    assert props["text"] == "Zweite Fassung" and props["pseudonym"] == "Nachbar"
    assert props["status"] == "eingereicht"  # an edited contribution goes back to moderation
    assert [h["status"] for h in props["status_history"]] == ["eingereicht", "freigegeben", "eingereicht"]
    assert cid not in ids(contrib_server)


def test_citizen_cannot_edit_or_delete_others(contrib_server):
    cid, _secret = created(contrib_server, text="Nicht Ihrer")
    set_status(contrib_server, cid, "freigegeben")
    _, other = created(contrib_server, text="Meiner")
    assert put(contrib_server, cid, feature(text="übernommen"), with_secret(other)).status_code == 403
    assert put(contrib_server, cid, feature(text="übernommen"), {}).status_code == 401
    assert put(contrib_server, cid, feature(text="übernommen"), {"Authorization": "Bearer x"}).status_code == 403
    assert delete(contrib_server, cid, with_secret(other)).status_code == 403
    assert delete(contrib_server, cid, {}).status_code == 401
    assert get_item(contrib_server, cid).json()["properties"]["text"] == "Nicht Ihrer"  # unchanged
    # pending items of others: also refused, not deleted
    pending, _ = created(contrib_server, text="wartet")
    assert delete(contrib_server, pending, with_secret(other)).status_code == 403
    assert get_item(contrib_server, pending, MODERATOR).status_code == 200


def test_citizen_cannot_change_status_by_put(contrib_server):
    cid, secret = created(contrib_server)
    r = put(contrib_server, cid, feature(status="freigegeben"), with_secret(secret))
    assert r.status_code == 403
    assert get_item(contrib_server, cid, MODERATOR).json()["properties"]["status"] == "eingereicht"


def test_citizen_edit_outside_phase_refused(contrib_server):
    r = create(contrib_server, feature(plan_id=contrib_server.plans["closed"]), MODERATOR)
    cid, secret = r.headers["Location"].rsplit("/", 1)[-1], r.headers[SECRET]
    refused = put(
        contrib_server, cid, feature(text="nachträglich", plan_id=contrib_server.plans["closed"]), with_secret(secret)
    )
    assert refused.status_code == 403 and "ended" in refused.json()["description"]


def test_author_deletes_fully(contrib_server):
    cid, secret = created(contrib_server, text="Bitte löschen")
    set_status(contrib_server, cid, "freigegeben")
    requests.post(
        f"{contrib_server.url}/api/contributions/{cid}/like",
        headers={"X-Voter-Id": "voter-for-delete-test-1"},
        timeout=TIMEOUT,
    )
    before = count_all(contrib_server)
    r = delete(contrib_server, cid, with_secret(secret))
    assert r.status_code == 200, r.text
    assert get_item(contrib_server, cid, MODERATOR).status_code == 404
    assert count_all(contrib_server) == before - 1
    assert delete(contrib_server, cid, with_secret(secret)).status_code == 404


def test_moderator_deletes_any(contrib_server):
    cid, _ = created(contrib_server, text="Spam")
    assert delete(contrib_server, cid, MODERATOR).status_code == 200
    assert get_item(contrib_server, cid, MODERATOR).status_code == 404


def test_delete_all_of_an_author_by_secret(contrib_server):
    mine = "author-wants-everything-deleted-42"
    own = {created(contrib_server, headers={SECRET: mine}, text=f"Beitrag {i}")[0] for i in range(3)}
    keep, _ = created(contrib_server, text="bleibt")
    assert requests.delete(f"{contrib_server.url}/api/contributions/mine", timeout=TIMEOUT).status_code == 401
    r = requests.delete(f"{contrib_server.url}/api/contributions/mine", headers={SECRET: mine}, timeout=TIMEOUT)
    assert r.status_code == 200 and set(r.json()["ids"]) == own and r.json()["deleted"] == 3
    remaining = ids(contrib_server, MODERATOR)
    assert not own & remaining and keep in remaining


def test_my_contributions_lists_every_status_of_mine_only(contrib_server):
    secret = "mine-list-secret-" + "x" * 16
    first, _ = created(contrib_server, headers={SECRET: secret}, plan_id=contrib_server.plans["open"], text="erster")
    second, _ = created(
        contrib_server, headers={SECRET: secret}, kind="maengelmeldung", category="muell", text="zweiter"
    )
    created(contrib_server, text="von jemand anderem")
    set_status(contrib_server, second, "in_bearbeitung")
    url = f"{contrib_server.url}/api/contributions/mine"
    mine = requests.get(url, headers={SECRET: secret}, timeout=20).json()["contributions"]
    assert [c["id"] for c in mine] == [second, first]  # newest first
    assert mine[1]["reference"] and mine[1]["procedure_title_de"] and mine[0]["status"] == "in_bearbeitung"
    assert "author_secret_hash" not in mine[0]
    assert requests.get(url, timeout=20).status_code == 401
    assert requests.delete(item_url(contrib_server, first), headers={SECRET: secret}, timeout=20).status_code == 200
    assert [c["id"] for c in requests.get(url, headers={SECRET: secret}, timeout=20).json()["contributions"]] == [
        second
    ]
