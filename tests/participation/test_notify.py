"""E-mail updates against a real SMTP server (aiosmtpd, started here on a free port), on both stores.

The live server sends through it as it would through the Kommune's: double opt-in, receipt with the reference
number, status change with the moderator's note, the published Abwägung, unsubscribe, deletion with the
contribution, bad addresses, and a mail server that is down while a citizen writes.
"""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest
import requests
from aiosmtpd.controller import Controller

from access.db import Db
from tests.conftest import LiveServer, free_port, fresh_postgis_database, import_demo_plans
from tests.contributions.common import GEOJSON, MODERATOR, MODERATOR_TOKEN, PLANNER, SECRET, TIMEOUT, feature

SENDER = "Beteiligung Musterstadt <beteiligung@musterstadt.example>"
LINK = re.compile(r"https?://\S+/api/notifications/(confirm|unsubscribe)\?token=[A-Za-z0-9_.\-]+")


class Inbox:
    """An aiosmtpd handler keeping every message; tests wait on it (a condition, no sleeps)."""

    def __init__(self):
        self.messages: list = []
        self._changed = threading.Condition()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's hook name
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self._changed:
            self.messages.append(message)
            self._changed.notify_all()
        return "250 OK"

    def to(self, address: str) -> list:
        with self._changed:
            return [m for m in self.messages if m["To"] == address]

    def wait(self, address: str, count: int, timeout: float = 30.0) -> list:
        """The first ``count`` mails to ``address``, waiting up to ``timeout`` seconds for them."""
        with self._changed:
            done = self._changed.wait_for(
                lambda: len([m for m in self.messages if m["To"] == address]) >= count, timeout
            )
        found = self.to(address)
        assert done, f"expected {count} mails to {address}, got {[m['Subject'] for m in found]}"
        return found[:count]


class Smtp:
    """A real SMTP server on a fixed port that a test can stop and start again."""

    def __init__(self):
        self.inbox = Inbox()
        self.port = free_port()
        self.controller: Controller | None = None
        self.start()

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def link(message, purpose: str) -> str:
    found = [m.group(0) for m in LINK.finditer(text_of(message)) if m.group(1) == purpose]
    assert found, text_of(message)
    return found[0]


@pytest.fixture(scope="module")
def smtp():
    server = Smtp()
    yield server
    server.stop()


def _iso(delta_days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=delta_days)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module", params=["geopackage", "postgis"])
def mail_server(request, smtp, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp(f"notify-{request.param}")
    if request.param == "geopackage":
        store = str(data_dir / "store.gpkg")
    else:
        store = fresh_postgis_database(request.getfixturevalue("postgis"), "notify")
    import_demo_plans(store, data_dir / "rasters")
    server = LiveServer(
        store,
        data_dir,
        extra_env={
            "BUERGERGIS_UI": "0",
            "BUERGERGIS_MODERATOR_TOKEN": MODERATOR_TOKEN,
            "BUERGERGIS_SMTP_HOST": "127.0.0.1",
            "BUERGERGIS_SMTP_PORT": str(smtp.port),
            "BUERGERGIS_SMTP_SECURITY": "none",
            "BUERGERGIS_SMTP_SENDER": SENDER,
            "BUERGERGIS_SMTP_RETRY_S": "0.2",
            "BUERGERGIS_SMTP_MAX_ATTEMPTS": "8",
        },
    )
    server.backend = request.param
    try:
        plans = requests.get(
            f"{server.api}/collections/bp_plan/items", params={"f": "json", "limit": 100}, timeout=TIMEOUT
        ).json()["features"]
        server.plan = sorted(p["id"] for p in plans)[0]
        r = requests.post(
            f"{server.url}/api/procedures",
            headers=PLANNER,
            timeout=TIMEOUT,
            json={
                "kind": "informell",
                "title_de": "Testverfahren Benachrichtigung",
                "plan_ids": [server.plan],
                "opens_at": _iso(-1),
                "closes_at": _iso(30),
                "reference_prefix": "LGH",
            },
        )
        assert r.status_code == 201, r.text
        server.procedure = r.json()["id"]
        server.db = Db(store)
        yield server
    finally:
        server.stop()


def post(server, body, headers: dict | None = None) -> requests.Response:
    return requests.post(
        f"{server.api}/collections/contributions/items",
        json=body,
        headers={**GEOJSON, **(headers or {})},
        timeout=TIMEOUT,
    )


def contribute(server, address: str | None = None, **props) -> tuple[str, str, requests.Response]:
    body = feature(plan_id=server.plan, **props)
    if address is not None:
        body["properties"]["notify_email"] = address
    r = post(server, body)
    assert r.status_code == 201, r.text[:500]
    return r.headers["Location"].rsplit("/", 1)[-1], r.headers[SECRET], r


def stored(server, table: str, contribution_id: str) -> list[dict]:
    return server.db.fetch(f"SELECT * FROM {table} WHERE contribution_id = :c", {"c": contribution_id})


def test_opt_in_receipt_status_answer_and_unsubscribe(mail_server, smtp):
    s = mail_server
    address = f"anna.{s.backend}@example.org"
    cid, secret, created = contribute(s, address, text="Bitte einen Zebrastreifen an der Schule (Test)")
    assert created.headers["X-Notify-Email"] == "confirmation-queued"
    item = requests.get(
        f"{s.api}/collections/contributions/items/{cid}",
        params={"f": "json"},
        headers={SECRET: secret},
        timeout=TIMEOUT,
    ).json()
    reference = item["properties"]["reference"]
    assert reference.startswith("LGH-") and address not in str(item)  # the address is never in the contribution
    # before confirming: exactly the confirmation mail, and a status change sends nothing
    [confirmation] = smtp.inbox.wait(address, 1)
    assert confirmation["From"] == SENDER and "bestätigen" in confirmation["Subject"]
    assert text_of(confirmation).index("Bitte bestätigen") < text_of(confirmation).index("Please confirm")
    assert confirmation["List-Unsubscribe"].startswith("<http")
    html_part = confirmation.get_body(preferencelist=("html",)).get_content()
    assert "<a href=" in html_part and "Zebrastreifen" not in html_part
    assert (
        requests.post(
            f"{s.url}/api/contributions/{cid}/status",
            json={"status": "freigegeben"},
            headers=MODERATOR,
            timeout=TIMEOUT,
        ).status_code
        == 200
    )
    mine = requests.get(f"{s.url}/api/contributions/mine", headers={SECRET: secret}, timeout=TIMEOUT).json()
    assert mine["contributions"][0]["notify"] == {"state": "pending", "email": "a…@example.org"}
    # the link: a page with a button (mail scanners only GET), the POST confirms
    url = link(confirmation, "confirm")
    page = requests.get(url, headers={"Accept": "text/html"}, timeout=TIMEOUT)
    assert page.status_code == 200 and "<form method=\"post\"" in page.text and "Ja, bestätigen" in page.text
    done = requests.post(url, data={"confirm": "1"}, timeout=TIMEOUT)
    assert done.status_code == 200 and "Adresse ist bestätigt" in done.text and "address is confirmed" in done.text
    receipt = smtp.inbox.wait(address, 2)[1]  # the approval before confirming sent nothing: next is the receipt
    assert reference in receipt["Subject"] and f"Eingangsnummer: {reference}" in text_of(receipt)
    assert "Reference number: " + reference in text_of(receipt)
    assert requests.post(url, json={}, timeout=TIMEOUT).json() == {"confirmed": True, "newly_confirmed": False}
    mine = requests.get(f"{s.url}/api/contributions/mine", headers={SECRET: secret}, timeout=TIMEOUT).json()
    assert mine["contributions"][0]["notify"]["state"] == "confirmed"
    # a rejection with the moderator's public note
    note = "Der Beitrag enthält personenbezogene Daten <Dritter> & mehr."
    r = requests.post(
        f"{s.url}/api/contributions/{cid}/status",
        json={"status": "abgelehnt", "note": note},
        headers=MODERATOR,
        timeout=TIMEOUT,
    )
    assert r.status_code == 200, r.text
    rejected = smtp.inbox.wait(address, 3)[2]
    assert reference in rejected["Subject"] and "nicht veröffentlicht" in rejected["Subject"]
    assert note in text_of(rejected) and "not published" in text_of(rejected)
    assert "&lt;Dritter&gt; &amp; mehr" in rejected.get_body(preferencelist=("html",)).get_content()
    # the published Abwägung
    r = requests.put(
        f"{s.url}/api/statements/{cid}/abwaegung",
        headers=PLANNER,
        timeout=TIMEOUT,
        json={"proposal": "Ein Zebrastreifen wird geprüft.", "result": "teilweise_beruecksichtigt"},
    )
    assert r.status_code == 200, r.text
    r = requests.post(
        f"{s.url}/api/procedures/{s.procedure}/publish", json={"ids": [cid]}, headers=PLANNER, timeout=TIMEOUT
    )
    assert r.status_code == 200 and r.json()["published"] == 1, r.text
    answer = smtp.inbox.wait(address, 4)[3]
    assert reference in answer["Subject"] and "Antwort veröffentlicht" in answer["Subject"]
    assert (
        "Ergebnis: teilweise berücksichtigt" in text_of(answer)
        and "Ein Zebrastreifen wird geprüft." in text_of(answer)
        and "Result: partly taken into account" in text_of(answer)
    )
    # unsubscribe with the mail program's one-click POST (RFC 8058): address and unsent mails gone
    one_click = answer["List-Unsubscribe"].strip("<>")
    assert one_click == link(answer, "unsubscribe")
    r = requests.post(one_click, data={"List-Unsubscribe": "One-Click"}, timeout=TIMEOUT)
    assert r.status_code == 200 and "Abbestellt" in r.text
    assert stored(s, "notify_subscriptions", cid) == [] and stored(s, "notify_outbox", cid) == []
    assert requests.post(one_click, json={}, timeout=TIMEOUT).json() == {"unsubscribed": True, "deleted": False}
    mine = requests.get(f"{s.url}/api/contributions/mine", headers={SECRET: secret}, timeout=TIMEOUT).json()
    assert mine["contributions"][0]["notify"] is None
    # a changed link is refused, an old confirmation link finds nothing
    assert requests.post(url[:-3] + "abc", json={}, timeout=TIMEOUT).status_code == 400
    assert requests.post(url, json={}, timeout=TIMEOUT).status_code == 404


def test_set_later_by_the_author_and_gone_with_the_contribution(mail_server, smtp):
    s = mail_server
    address = f"bernd.{s.backend}@example.org"
    cid, secret, created = contribute(s)
    assert "X-Notify-Email" not in created.headers
    notify_url = f"{s.url}/api/contributions/{cid}/notify"
    assert requests.put(notify_url, json={"email": address}, timeout=TIMEOUT).status_code == 401
    assert (
        requests.put(notify_url, json={"email": address}, headers={SECRET: "x" * 30}, timeout=TIMEOUT).status_code
        == 404
    )  # another person's secret: no such contribution
    r = requests.put(notify_url, json={"email": "kein-at-zeichen"}, headers={SECRET: secret}, timeout=TIMEOUT)
    assert r.status_code == 400 and r.json()["field"] == "email" and " / " in r.json()["description"]
    r = requests.put(notify_url, json={"email": address}, headers={SECRET: secret}, timeout=TIMEOUT)
    assert r.status_code == 202 and r.json()["notify"] == {"state": "pending", "email": "b…@example.org"}
    [confirmation] = smtp.inbox.wait(address, 1)
    assert requests.post(link(confirmation, "confirm"), json={}, timeout=TIMEOUT).json()["newly_confirmed"]
    smtp.inbox.wait(address, 2)  # the receipt
    assert len(stored(s, "notify_subscriptions", cid)) == 1
    r = requests.delete(f"{s.api}/collections/contributions/items/{cid}", headers={SECRET: secret}, timeout=TIMEOUT)
    assert r.status_code in (200, 204), r.text
    assert stored(s, "notify_subscriptions", cid) == [] and stored(s, "notify_outbox", cid) == []
    assert not server_holds(s, address)


def eventually(condition, timeout: float = 20.0) -> None:
    """Wait for something the server's background sender does (it writes to the store, nothing to wait on)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


def server_holds(server, address: str) -> bool:
    return bool(server.db.fetch("SELECT id FROM notify_subscriptions WHERE email = :e", {"e": address}))


BAD_ADDRESSES = [
    "kein-at-zeichen",
    "a@b",
    "zwei@@example.org",
    "leer zeichen@example.org",
    "x@example..org",
    "x@-example.org",
    "a@example.org\r\nBcc: victim@example.org",
    "<a@example.org>",
    "a,b@example.org",
    "a@example.123",
    42,
    ["a@example.org"],
    "a" * 65 + "@example.org",
    "a@" + "b" * 250 + ".org",
]


@pytest.mark.parametrize("address", BAD_ADDRESSES, ids=range(len(BAD_ADDRESSES)))
def test_bad_addresses_are_a_400_and_nothing_is_stored(mail_server, address):
    s = mail_server
    before = requests.get(
        f"{s.api}/collections/contributions/items",
        headers=MODERATOR,
        timeout=TIMEOUT,
        params={"f": "json", "resulttype": "hits"},
    ).json()["numberMatched"]
    body = feature(plan_id=s.plan)
    body["properties"]["notify_email"] = address
    r = post(s, body)
    assert r.status_code == 400, r.text
    description = r.json()["description"]
    assert "notify_email" in description and " / " in description
    assert "gültige E-Mail-Adresse" in description or "muss Text sein" in description
    after = requests.get(
        f"{s.api}/collections/contributions/items",
        headers=MODERATOR,
        timeout=TIMEOUT,
        params={"f": "json", "resulttype": "hits"},
    ).json()["numberMatched"]
    assert after == before


def test_good_addresses_are_accepted(mail_server, smtp):
    s = mail_server
    for given, sent_to in (
        (f"first.last+tag.{s.backend}@Sub.Example.ORG", f"first.last+tag.{s.backend}@sub.example.org"),
        (f"  anna.{s.backend}@bücher.example  ", f"anna.{s.backend}@xn--bcher-kva.example"),
    ):
        contribute(s, given)
        smtp.inbox.wait(sent_to, 1)


def test_smtp_down_the_contribution_is_stored_and_the_mail_follows(mail_server, smtp):
    s = mail_server
    address = f"carla.{s.backend}@example.org"
    smtp.stop()
    try:
        cid, secret, created = contribute(s, address)
        assert created.headers["X-Notify-Email"] == "confirmation-queued"
        item = requests.get(
            f"{s.api}/collections/contributions/items/{cid}",
            params={"f": "json"},
            headers={SECRET: secret},
            timeout=TIMEOUT,
        )
        assert item.status_code == 200 and item.json()["properties"]["text"]
        eventually(lambda: any(row["last_error"] for row in stored(s, "notify_outbox", cid)))  # a try failed
    finally:
        smtp.start()
    [confirmation] = smtp.inbox.wait(address, 1)  # a later try delivers it
    assert "bestätigen" in confirmation["Subject"]
    eventually(lambda: stored(s, "notify_outbox", cid) == [])  # sent mail is not kept (deleted after the send)
