"""Atom feeds of contributions and procedures (per plan, per area, overall), read as XML with lxml; both stores.

The same servers run without SMTP settings, so they also show what a Kommune without mail gets: no address
field offered, and an address sent anyway refused with a 400 that says why.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests
from lxml import etree

from tests.conftest import LiveServer, fresh_postgis_database, import_demo_plans
from tests.contributions.common import GEOJSON, MODERATOR, MODERATOR_TOKEN, PLANNER, SECRET, TIMEOUT, feature

ATOM = "{http://www.w3.org/2005/Atom}"
P1, P2, FAR = [10.0, 53.67], [10.012, 53.675], [10.03, 53.66]


def _iso(delta_days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=delta_days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _create(server, point, status: str | None, **props) -> str:
    body = feature(geometry={"type": "Point", "coordinates": point}, **props)
    r = requests.post(f"{server.api}/collections/contributions/items", json=body, headers=GEOJSON, timeout=TIMEOUT)
    assert r.status_code == 201, r.text[:500]
    cid = r.headers["Location"].rsplit("/", 1)[-1]
    if status:
        r = requests.post(
            f"{server.url}/api/contributions/{cid}/status", json={"status": status}, headers=MODERATOR, timeout=TIMEOUT
        )
        assert r.status_code == 200, r.text
    return cid


@pytest.fixture(scope="module", params=["geopackage", "postgis"])
def feed_server(request, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp(f"feeds-{request.param}")
    if request.param == "geopackage":
        store = str(data_dir / "store.gpkg")
    else:
        store = fresh_postgis_database(request.getfixturevalue("postgis"), "feeds")
    import_demo_plans(store, data_dir / "rasters")
    server = LiveServer(
        store, data_dir, extra_env={"BUERGERGIS_UI": "0", "BUERGERGIS_MODERATOR_TOKEN": MODERATOR_TOKEN}
    )
    try:
        plans = sorted(
            p["id"]
            for p in requests.get(
                f"{server.api}/collections/bp_plan/items", params={"f": "json", "limit": 100}, timeout=TIMEOUT
            ).json()["features"]
        )
        server.plan_a, server.plan_b = plans[0], plans[1]
        server.procedures = {}
        for name, body in (
            ("a", {"plan_ids": [server.plan_a], "title_de": "Verfahren A <Test>"}),
            ("b", {"plan_ids": [server.plan_b], "title_de": "Verfahren B", "title_en": "Procedure B"}),
            ("general", {"title_de": "Allgemeine Beiträge"}),
        ):
            r = requests.post(
                f"{server.url}/api/procedures",
                headers=PLANNER,
                timeout=TIMEOUT,
                json={"kind": "informell", "opens_at": _iso(-1), "closes_at": _iso(30), **body},
            )
            assert r.status_code == 201, r.text
            server.procedures[name] = r.json()["id"]
        server.ids = {
            "a": _create(
                server,
                P1,
                "freigegeben",
                plan_id=server.plan_a,
                text="Mehr Bäume <script>alert(1)</script> & Bänke",
                pseudonym="Anwohnerin",
            ),
            "b": _create(server, P2, "freigegeben", plan_id=server.plan_b, text="Radweg bitte breiter"),
            "pending": _create(server, P1, None, plan_id=server.plan_a, text="Noch nicht geprüft (geheim)"),
            "rejected": _create(server, P1, "abgelehnt", plan_id=server.plan_a, text="Abgelehnter Beitrag"),
            "defect": _create(
                server, FAR, "in_bearbeitung", kind="maengelmeldung", category="beleuchtung", text="Laterne defekt"
            ),
        }
        yield server
    finally:
        server.stop()


def atom(server, name: str, headers: dict | None = None, **params) -> etree._Element:
    r = requests.get(f"{server.url}/api/feeds/{name}.atom", params=params, headers=headers or {}, timeout=TIMEOUT)
    assert r.status_code == 200, r.text[:500]
    assert r.headers["Content-Type"].startswith("application/atom+xml")
    root = etree.fromstring(r.content, etree.XMLParser(resolve_entities=False, no_network=True))
    assert root.tag == f"{ATOM}feed" and root.findtext(f"{ATOM}id") and root.findtext(f"{ATOM}updated")
    assert root.find(f"{ATOM}link[@rel='self']").get("href").startswith(server.url)
    for entry in root.iter(f"{ATOM}entry"):  # what Atom requires of every entry
        assert entry.findtext(f"{ATOM}id") and entry.findtext(f"{ATOM}title") and entry.findtext(f"{ATOM}updated")
    return root


def entry_ids(root) -> set[str]:
    return {e.findtext(f"{ATOM}id").rsplit("/", 1)[-1] for e in root.iter(f"{ATOM}entry")}


def test_contributions_feed_shows_only_public_ones(feed_server):
    s = feed_server
    root = atom(s, "contributions")
    assert entry_ids(root) >= {s.ids["a"], s.ids["b"], s.ids["defect"]}
    assert not entry_ids(root) & {s.ids["pending"], s.ids["rejected"]}
    assert b"geheim" not in etree.tostring(root) and "Neue Beiträge" in root.findtext(f"{ATOM}title")
    # a moderator's token or an author's secret changes nothing: the feed is public data only
    as_moderator = atom(s, "contributions", headers=MODERATOR)
    assert not entry_ids(as_moderator) & {s.ids["pending"], s.ids["rejected"]}
    [entry] = [e for e in root.iter(f"{ATOM}entry") if e.findtext(f"{ATOM}id").endswith(s.ids["a"])]
    assert entry.findtext(f"{ATOM}content") == "Mehr Bäume <script>alert(1)</script> & Bänke"  # escaped, kept
    assert entry.findtext(f"{ATOM}author/{ATOM}name") == "Anwohnerin"
    assert entry.find(f"{ATOM}link").get("href") == f"{s.url}/oapi/collections/contributions/items/{s.ids['a']}?f=html"


def test_contributions_feed_by_plan_area_and_kind(feed_server):
    s = feed_server
    assert entry_ids(atom(s, "contributions", plan=s.plan_a)) == {s.ids["a"]}
    assert entry_ids(atom(s, "contributions", plan=s.plan_b)) == {s.ids["b"]}
    box = f"{P1[0] - 0.002},{P1[1] - 0.002},{P1[0] + 0.002},{P1[1] + 0.002}"
    assert entry_ids(atom(s, "contributions", bbox=box)) == {s.ids["a"]}
    assert entry_ids(atom(s, "contributions", point=f"{P2[0]},{P2[1]}", radius="100")) == {s.ids["b"]}
    # the circle is exact: P1 is 790 m east and 560 m south of P2 (970 m), inside the box around a 900 m circle
    # but outside the circle
    assert s.ids["a"] not in entry_ids(atom(s, "contributions", point=f"{P2[0]},{P2[1]}", radius="900"))
    assert s.ids["a"] in entry_ids(atom(s, "contributions", point=f"{P2[0]},{P2[1]}", radius="1500"))
    assert entry_ids(atom(s, "contributions", kind="maengelmeldung")) == {s.ids["defect"]}
    assert len(list(atom(s, "contributions", limit="1").iter(f"{ATOM}entry"))) == 1


@pytest.mark.parametrize(
    "params, field",
    [
        ({"bbox": "1,2,3"}, "bbox"),
        ({"bbox": "10,53,9,54"}, "bbox"),
        ({"bbox": "a,b,c,d"}, "bbox"),
        ({"bbox": "0,0,200,1"}, "bbox"),
        ({"point": "10,53.6", "radius": "0"}, "radius"),
        ({"point": "10,53.6", "radius": "50000"}, "radius"),
        ({"point": "10"}, "point"),
        ({"radius": "10"}, "radius"),
        ({"bbox": "9,53,10,54", "point": "10,53.6"}, "bbox"),
        ({"limit": "0"}, "limit"),
        ({"limit": "x"}, "limit"),
        ({"kind": "spam"}, "kind"),
    ],
)
def test_bad_feed_parameters_are_a_400_naming_them(feed_server, params, field):
    r = requests.get(f"{feed_server.url}/api/feeds/contributions.atom", params=params, timeout=TIMEOUT)
    assert r.status_code == 400, r.text
    assert r.json()["field"] == field and " / " in r.json()["description"]


def test_unknown_plan_is_a_404(feed_server):
    for name in ("contributions", "procedures"):
        r = requests.get(f"{feed_server.url}/api/feeds/{name}.atom", params={"plan": "gibt-es-nicht"}, timeout=TIMEOUT)
        assert r.status_code == 404 and r.json()["field"] == "plan"


def test_procedures_feed(feed_server):
    s = feed_server
    root = atom(s, "procedures")
    assert entry_ids(root) == set(s.procedures.values())
    assert {e.findtext(f"{ATOM}title") for e in root.iter(f"{ATOM}entry")} >= {
        "Verfahren A <Test>",
        "Verfahren B / Procedure B",
    }
    assert "Beteiligung vom" in etree.tostring(root, encoding="unicode")
    assert entry_ids(atom(s, "procedures", plan=s.plan_a)) == {s.procedures["a"]}
    # far from every plan only the procedure without an area (the whole Kommune) is found
    assert entry_ids(atom(s, "procedures", bbox="9.0,53.0,9.001,53.001")) == {s.procedures["general"]}


def test_without_smtp_no_mail_is_offered_and_an_address_is_refused(feed_server):
    s = feed_server
    assert requests.get(f"{s.url}/api/notifications", timeout=TIMEOUT).json()["enabled"] is False
    body = feature(plan_id=s.plan_a)
    body["properties"]["notify_email"] = "anna@example.org"
    r = requests.post(f"{s.api}/collections/contributions/items", json=body, headers=GEOJSON, timeout=TIMEOUT)
    assert r.status_code == 400 and "nicht eingerichtet" in r.json()["description"]
    assert "notify_email" in r.json()["description"] and "not set up" in r.json()["description"]
    body["properties"]["notify_email"] = ""  # an empty field (a form left blank) is no address
    r = requests.post(f"{s.api}/collections/contributions/items", json=body, headers=GEOJSON, timeout=TIMEOUT)
    assert r.status_code == 201, r.text
    cid, secret = r.headers["Location"].rsplit("/", 1)[-1], r.headers[SECRET]
    r = requests.put(
        f"{s.url}/api/contributions/{cid}/notify",
        json={"email": "anna@example.org"},
        headers={SECRET: secret},
        timeout=TIMEOUT,
    )
    assert r.status_code == 409 and "nicht eingerichtet" in r.json()["description"]
