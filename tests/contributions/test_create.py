"""POST /collections/contributions/items as a citizen: within a participation phase, with server-set fields."""

import requests

from tests.contributions.common import (
    MODERATOR,
    SECRET,
    TIMEOUT,
    count_all,
    create,
    created,
    feature,
    get_item,
    with_secret,
)


def test_anonymous_create_returns_id_and_secret_and_stays_pending(contrib_server):
    r = create(contrib_server, feature(kind="kommentar", pseudonym="Anwohnerin"))
    assert r.status_code == 201, r.text
    cid = r.headers["Location"].rsplit("/", 1)[-1]
    secret = r.headers[SECRET]
    assert len(secret) >= 22 and r.headers["Cache-Control"] == "no-store"
    assert get_item(contrib_server, cid).status_code == 404  # not public before moderation
    own = get_item(contrib_server, cid, with_secret(secret))
    assert own.status_code == 200
    props = own.json()["properties"]
    assert props["status"] == "eingereicht" and props["like_count"] == 0 and props["pseudonym"] == "Anwohnerin"
    assert [h["status"] for h in props["status_history"]] == ["eingereicht"]
    assert props["created_at"] and props["updated_at"]
    assert "author_secret_hash" not in props
    assert "author_secret_hash" not in get_item(contrib_server, cid, MODERATOR).json()["properties"]


def test_link_to_a_festsetzung_takes_its_plan(contrib_server):
    cid, _ = created(contrib_server, target_collection="bp_baugebiet", target_id=contrib_server.zone)
    props = get_item(contrib_server, cid, MODERATOR).json()["properties"]
    assert props["plan_id"] == contrib_server.plans["open"]
    assert props["target_collection"] == "bp_baugebiet" and props["target_id"] == contrib_server.zone


def test_link_to_any_plan_content_takes_its_plan(contrib_server):
    """A citizen may click any object of the plan on the map (``xplan_objekt``), not only the Bebauungsplan layers."""
    objects = requests.get(
        f"{contrib_server.api}/collections/xplan_objekt/items",
        params={"f": "json", "plan_id": contrib_server.plans["open"], "limit": 1, "skipGeometry": "true"},
        timeout=TIMEOUT,
    ).json()["features"]
    assert objects, "the demo plan has objects in xplan_objekt"
    cid, _ = created(contrib_server, target_collection="xplan_objekt", target_id=objects[0]["id"])
    props = get_item(contrib_server, cid, MODERATOR).json()["properties"]
    assert props["plan_id"] == contrib_server.plans["open"]
    assert (props["target_collection"], props["target_id"]) == ("xplan_objekt", objects[0]["id"])
    plan, _ = created(contrib_server, target_collection="xplan_plan", target_id=contrib_server.plans["open"])
    assert get_item(contrib_server, plan, MODERATOR).json()["properties"]["plan_id"] == contrib_server.plans["open"]


def test_outside_the_participation_phase_refused_with_a_clear_message(contrib_server):
    before = count_all(contrib_server)
    closed = create(contrib_server, feature(plan_id=contrib_server.plans["closed"]))
    assert closed.status_code == 403
    message = closed.json()["description"]
    assert "nicht geöffnet" in message and "closed" in message
    upcoming = create(contrib_server, feature(plan_id=contrib_server.plans["upcoming"], kind="vorschlag"))
    assert upcoming.status_code == 403 and "opens on" in upcoming.json()["description"]
    assert count_all(contrib_server) == before


def test_maengelmeldung_accepted_outside_phases(contrib_server):
    cid, _ = created(
        contrib_server,
        kind="maengelmeldung",
        category="beleuchtung",
        plan_id=contrib_server.plans["closed"],
        text="Laterne defekt (Test)",
    )
    assert get_item(contrib_server, cid, MODERATOR).json()["properties"]["category"] == "beleuchtung"


def test_moderators_may_write_outside_phases(contrib_server):
    created(contrib_server, headers=MODERATOR, plan_id=contrib_server.plans["closed"], text="Antwort der Stadt")


def test_citizen_cannot_set_server_fields(contrib_server):
    r = create(contrib_server, feature(status="freigegeben"))
    assert r.status_code == 403 and "status" in r.json()["description"]
    cid, _ = created(
        contrib_server,
        like_count=99,
        created_at="2000-01-01T00:00:00Z",
        status_history=[{"status": "erledigt", "at": "2000-01-01T00:00:00Z"}],
    )
    props = get_item(contrib_server, cid, MODERATOR).json()["properties"]
    assert props["like_count"] == 0 and not props["created_at"].startswith("2000")
    assert [h["status"] for h in props["status_history"]] == ["eingereicht"]
    assert create(contrib_server, feature(author_secret_hash="0" * 64)).status_code == 400


def test_client_chosen_secret_is_kept_and_a_bad_one_refused(contrib_server):
    mine = "my-own-browser-secret-0123456789"
    r = create(contrib_server, feature(), {SECRET: mine})
    assert r.status_code == 201 and r.headers[SECRET] == mine
    assert create(contrib_server, feature(), {SECRET: "short"}).status_code == 400


def test_english_form_values_are_normalised(contrib_server):
    cid, _ = created(contrib_server, kind="defect", category="lighting")
    props = get_item(contrib_server, cid, MODERATOR).json()["properties"]
    assert (props["kind"], props["category"]) == ("maengelmeldung", "beleuchtung")


def test_links_to_missing_objects_refused(contrib_server):
    assert create(contrib_server, feature(target_collection="bp_baugebiet", target_id="GML_nope")).status_code == 400
    assert create(contrib_server, feature(plan_id="GML_no_such_plan")).status_code == 400
    assert create(contrib_server, feature(target_collection="buildings", target_id="x")).status_code == 400
    assert create(contrib_server, feature(parent_id="no-such-contribution")).status_code == 400


def test_reply_takes_its_parents_plan(contrib_server):
    parent, _ = created(contrib_server, target_collection="bp_baugebiet", target_id=contrib_server.zone)
    # a pending parent is not visible to others: no reply to it
    assert create(contrib_server, feature(parent_id=parent)).status_code == 400
    r = requests.post(
        f"{contrib_server.url}/api/contributions/{parent}/status",
        json={"status": "freigegeben"},
        headers=MODERATOR,
        timeout=TIMEOUT,
    )
    assert r.status_code == 200
    reply, _ = created(contrib_server, parent_id=parent, text="Sehe ich auch so")
    props = get_item(contrib_server, reply, MODERATOR).json()["properties"]
    assert props["parent_id"] == parent and props["plan_id"] == contrib_server.plans["open"]
    assert props["target_id"] == contrib_server.zone
