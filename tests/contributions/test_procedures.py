"""/api/procedures: public list and OGC collection, planner writes, validation, reference numbers, late statements;
procedures and contributions survive a plan re-import."""

from datetime import UTC, datetime, timedelta

import requests

from tests.contributions.common import (
    MODERATOR,
    PLANNER,
    TIMEOUT,
    create,
    created,
    feature,
    get_item,
    with_secret,
)


def url(server, suffix=""):
    return f"{server.url}/api/procedures{suffix}"


def _day(delta: int) -> str:
    return (datetime.now(UTC) + timedelta(days=delta)).strftime("%Y-%m-%d")


def test_procedures_are_public_with_open_now_days_left_and_plan_names(contrib_server):
    listed = requests.get(url(contrib_server), timeout=TIMEOUT).json()["procedures"]
    by_id = {p["id"]: p for p in listed}
    opened, closed = by_id[contrib_server.procedures["open"]], by_id[contrib_server.procedures["closed"]]
    assert opened["open_now"] is True and 29 <= opened["days_left"] <= 31
    assert opened["plan_ids"] == [contrib_server.plans["open"]] and opened["plan_names"][0]
    assert opened["kind_label_de"] == "Informelle Beteiligung"
    assert closed["open_now"] is False and closed["days_left"] is None
    one = requests.get(url(contrib_server), params={"plan_id": contrib_server.plans["closed"]}, timeout=TIMEOUT)
    assert [p["id"] for p in one.json()["procedures"]] == [contrib_server.procedures["closed"]]
    only_open = requests.get(url(contrib_server), params={"open": "1"}, timeout=TIMEOUT).json()["procedures"]
    assert contrib_server.procedures["closed"] not in {p["id"] for p in only_open}
    # ... and an OGC API collection with the plans' area as geometry
    item = requests.get(
        f"{contrib_server.api}/collections/procedures/items/{contrib_server.procedures['open']}",
        params={"f": "json"},
        timeout=TIMEOUT,
    ).json()
    assert item["geometry"]["type"] == "MultiPolygon" and item["properties"]["kind"] == "informell"
    assert 9.9 < item["geometry"]["coordinates"][0][0][0][0] < 10.1  # Hamburg, lon/lat
    write = requests.post(
        f"{contrib_server.api}/collections/procedures/items",
        json=item,
        headers={**PLANNER, "Content-Type": "application/geo+json"},
        timeout=TIMEOUT,
    )
    assert write.status_code >= 400  # read-only over OGC: written through /api/procedures


def test_statements_get_reference_numbers_and_the_author_sees_them(contrib_server):
    cid, secret = created(contrib_server, plan_id=contrib_server.plans["open"], text="Stellungnahme eins")
    cid2, _ = created(contrib_server, plan_id=contrib_server.plans["open"], text="Stellungnahme zwei")
    mine = get_item(contrib_server, cid, with_secret(secret)).json()["properties"]
    assert mine["procedure_id"] == contrib_server.procedures["open"] and mine["late"] is False
    prefix, year, number = mine["reference"].rsplit("-", 2)
    assert year == str(datetime.now(UTC).year) and len(number) == 4
    other = get_item(contrib_server, cid2, MODERATOR).json()["properties"]["reference"]
    assert int(other.rsplit("-", 1)[1]) > int(number)
    state = requests.get(f"{contrib_server.url}/api/statements/{mine['reference']}", timeout=TIMEOUT).json()
    assert state["status"] == "eingereicht" and state["procedure_title_de"] == "Testverfahren open"
    assert "text" not in state and "pseudonym" not in state  # the number alone reveals nothing of the author
    assert requests.get(f"{contrib_server.url}/api/statements/XX-1999-0001", timeout=TIMEOUT).status_code == 404
    # a Mängelmeldung is no statement in a procedure: it gets a number of the reports' own series (MM-…)
    defect, _ = created(contrib_server, kind="maengelmeldung", category="beleuchtung")
    report_number = get_item(contrib_server, defect, MODERATOR).json()["properties"]["reference"]
    assert report_number.startswith("MM-") and report_number.rsplit("-", 2)[0] != prefix


def test_after_the_end_citizens_are_refused_and_staff_may_admit_a_late_statement(contrib_server):
    body = feature(plan_id=contrib_server.plans["closed"], text="zu spät")
    refused = create(contrib_server, body)
    assert refused.status_code == 403
    assert "nicht geöffnet" in refused.json()["description"] and "closed" in refused.json()["description"]
    admitted = create(contrib_server, body, MODERATOR)
    assert admitted.status_code == 201
    props = get_item(contrib_server, admitted.headers["Location"].rsplit("/", 1)[1], MODERATOR).json()["properties"]
    assert props["late"] is True and props["procedure_id"] == contrib_server.procedures["closed"]
    assert props["reference"]


def test_a_procedure_takes_only_the_kinds_it_allows(contrib_server):
    r = requests.post(
        url(contrib_server),
        json={
            "kind": "fruehzeitig",
            "title_de": "Nur Kommentare",
            "plan_ids": [contrib_server.plans["upcoming"]],
            "opens_at": _day(-1),
            "closes_at": _day(40),
            "allowed_kinds": ["kommentar"],
        },
        headers=PLANNER,
        timeout=TIMEOUT,
    )
    assert r.status_code == 201, r.text
    try:
        assert create(contrib_server, feature(plan_id=contrib_server.plans["upcoming"])).status_code == 201
        refused = create(contrib_server, feature(plan_id=contrib_server.plans["upcoming"], kind="vorschlag"))
        assert refused.status_code == 403 and "nur kommentar" in refused.json()["description"]
    finally:
        assert (
            requests.post(url(contrib_server, f"/{r.json()['id']}/close"), headers=PLANNER, timeout=TIMEOUT).status_code
            == 200
        )
    closed = requests.get(url(contrib_server, f"/{r.json()['id']}"), timeout=TIMEOUT).json()
    assert closed["open_now"] is False and closed["closed_at"]
    assert create(contrib_server, feature(plan_id=contrib_server.plans["upcoming"])).status_code == 403


def test_scenario_procedure_lifecycle(contrib_server):
    body = feature(scenario_id="langenhorn_nachverdichtung", kind="vorschlag")
    assert create(contrib_server, body).status_code == 403  # no procedure for the variant yet
    r = create(contrib_server, feature(scenario_id="no_such_variant", kind="vorschlag"), MODERATOR)
    assert r.status_code == 400 and "no planning variant 'no_such_variant'" in r.json()["description"]
    r = requests.post(
        url(contrib_server),
        json={
            "scenario_id": "langenhorn_nachverdichtung",
            "title_de": "Variante",
            "opens_at": "2020-01-01",
            "closes_at": _day(30),
        },
        headers=PLANNER,
        timeout=TIMEOUT,
    )
    assert r.status_code == 201 and r.json()["open_now"] is True
    procedure = r.json()["id"]
    assert create(contrib_server, body).status_code == 201
    r = requests.put(
        url(contrib_server, f"/{procedure}"),
        json={
            "scenario_id": "langenhorn_nachverdichtung",
            "title_de": "Variante",
            "opens_at": "2020-01-01",
            "closes_at": "2021-01-01",
        },
        headers=PLANNER,
        timeout=TIMEOUT,
    )
    assert r.status_code == 200 and r.json()["open_now"] is False
    assert any("Vergangenheit" in w for w in r.json()["warnings"])
    assert create(contrib_server, body).status_code == 403
    # it holds a statement: deleting would lose it, closing is the way
    assert requests.delete(url(contrib_server, f"/{procedure}"), headers=PLANNER, timeout=TIMEOUT).status_code == 409
    empty = requests.post(
        url(contrib_server),
        json={
            "title_de": "leer",
            "scenario_id": "langenhorn_nachverdichtung",
            "opens_at": "2019-01-01",
            "closes_at": "2019-02-01",
        },
        headers=PLANNER,
        timeout=TIMEOUT,
    ).json()["id"]
    assert requests.delete(url(contrib_server, f"/{empty}"), headers=PLANNER, timeout=TIMEOUT).status_code == 200
    assert requests.delete(url(contrib_server, f"/{empty}"), headers=PLANNER, timeout=TIMEOUT).status_code == 404


def test_procedure_validation_in_german_and_english(contrib_server):
    plan = contrib_server.plans["open"]
    for body, status in (
        ({"title_de": "x", "opens_at": "2025-02-01", "closes_at": "2025-01-01"}, 400),
        ({"title_de": "x", "opens_at": "soon", "closes_at": "2025-01-01"}, 400),
        ({"title_de": "x", "opens_at": "2025-01-01", "closes_at": "2025-02-01", "plan_ids": ["GML_nope"]}, 400),
        (
            {
                "title_de": "x",
                "opens_at": "2025-01-01",
                "closes_at": "2025-02-01",
                "plan_ids": [plan],
                "scenario_id": "b",
            },
            400,
        ),
        ({"title_de": "x", "opens_at": "2025-01-01", "closes_at": "2025-02-01", "kind": "geheim"}, 400),
        ({"opens_at": "2025-01-01", "closes_at": "2025-02-01"}, 400),
        ({"title_de": "x", "opens_at": "2025-01-01", "closes_at": "2025-02-01", "unknown": 1}, 400),
        ([], 400),
        # overlapping the open test procedure (same kind, same plan, same time)
        ({"kind": "informell", "title_de": "x", "plan_ids": [plan], "opens_at": _day(0), "closes_at": _day(5)}, 409),
    ):
        r = requests.post(url(contrib_server), json=body, headers=PLANNER, timeout=TIMEOUT)
        assert r.status_code == status, (body, r.text)
        assert " / " in r.json()["description"], r.text  # German / English
    r = requests.post(
        url(contrib_server), data="{bad", headers={**PLANNER, "Content-Type": "application/json"}, timeout=TIMEOUT
    )
    assert r.status_code == 400
    good = {"title_de": "x", "opens_at": "2025-01-01", "closes_at": "2025-02-01"}
    assert requests.put(url(contrib_server, "/no-such"), json=good, headers=PLANNER, timeout=TIMEOUT).status_code == 404
    assert requests.post(url(contrib_server), json=good, headers=MODERATOR, timeout=TIMEOUT).status_code == 403
    assert requests.post(url(contrib_server), json=good, timeout=TIMEOUT).status_code == 401
    assert requests.get(url(contrib_server), timeout=TIMEOUT).json()["procedures"]  # nothing half-written broke it


def test_a_short_publication_under_3_2_is_warned_about(contrib_server):
    r = requests.post(
        url(contrib_server),
        json={
            "kind": "veroeffentlichung",
            "title_de": "Kurz",
            "plan_ids": [contrib_server.plans["closed"]],
            "opens_at": "2024-03-01",
            "closes_at": "2024-03-14",
        },
        headers=PLANNER,
        timeout=TIMEOUT,
    )
    assert r.status_code == 201
    assert any("mindestens 30 Tage" in w and "at least 30 days" in w for w in r.json()["warnings"])
    # dates without a time are whole days in Europe/Berlin
    assert r.json()["opens_at"] == "2024-02-29T23:00:00.000Z" and r.json()["closes_at"] == "2024-03-14T23:00:00.000Z"


def test_plan_reimport_keeps_procedures_and_contributions(contrib_server):
    from commands.demo import demo_plan_files
    from layers.importing import import_xplan_files
    from store.base import open_store

    cid, _ = created(contrib_server, plan_id=contrib_server.plans["open"], text="vor dem Re-Import")
    before = requests.get(url(contrib_server), timeout=TIMEOUT).json()["procedures"]
    store = open_store(contrib_server.store)
    try:
        import_xplan_files(store, demo_plan_files(), raster_dir=contrib_server.data_dir / "rasters")
    finally:
        store.close()
    after = requests.get(url(contrib_server), timeout=TIMEOUT).json()["procedures"]
    assert {p["id"] for p in after} == {p["id"] for p in before}
    assert get_item(contrib_server, cid, MODERATOR).json()["properties"]["plan_id"] == contrib_server.plans["open"]
    assert create(contrib_server, feature(plan_id=contrib_server.plans["open"])).status_code == 201
