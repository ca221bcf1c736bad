"""The injection corpus (tests/injection_payloads.py) through every text field, filter and route, on both stores.

Issue 6, item 7: none of the XSS, SQL and CQL2 payloads executes or leaks.

* **Text fields**: every payload goes into every field a client can write. Stored:
  a contribution's ``text`` and ``pseudonym`` (when <= 40 characters; longer ones
  are refused), Open311 ``description``, a participation phase's ``title`` and
  ``scenario_id`` (planners). Refused with a 4xx: ``kind``, ``category``, ``plan_id``,
  ``parent_id``, ``scenario_id``, ``target_collection``, ``target_id`` (no such value
  or object), Open311 ``service_code``; the ``X-Contribution-Secret`` and
  ``X-Voter-Id`` headers, contribution and variant ids in the like/status paths,
  a status value. Open311's personal fields (``email``, ``first_name``, ...) take
  the payload and must be dropped. Each answer is a 2xx or a clean 4xx (JSON with a
  description), never a 5xx, never slow (``pg_sleep``).
* **Read back**: what was stored comes back verbatim from ``/api`` and ``/open311``
  (Flask JSON) and in pygeoapi's documented form from ``/oapi`` (its JSON writes
  ``<`` and ``>`` as ``&lt;`` and ``&gt;``, nothing else). pygeoapi's HTML pages
  (item pages of the XSS payloads, the items page with all of them, error pages,
  collection pages) show it as text: no element, attribute, script or URL of a
  payload's making; the map data in the page is still one JSON string.
* **Filters** on ``contributions``: every payload as the whole CQL2 filter
  (anonymously), pasted into CQL2 string literals, as property filter, ``q``,
  ``sortby``, ``properties``, ``bbox``, ``datetime`` and item id; all payloads at
  once as CQL2 JSON string values (POST, must find exactly the corpus), as CQL2 JSON
  property names (GET), as Open311 ids and service codes. On ``bp_baugebiet``:
  every payload as CQL2 filter, property filter and item id, the generic parameters
  in turn, all at once in ``art_code IN (...)`` and a CQL2 JSON ``like``. Open311
  ``status``/``start_date`` and phase ``plan_id``/``scenario_id`` queries too.
  Never a 5xx, no database error text or stack trace, no author hash, nothing
  pending revealed (someone else's pending and rejected contributions, the pending
  Open311 reports; for anonymous requests the pending corpus itself), and
  afterwards every table holds what it held.

pygeofilter 0.4's CQL2 text has no escaped quote inside a string literal (CQL2's
``''``): a payload with a quote pasted into a literal ends it early; the test only
asks that such filters are refused or answered within the visibility rules.

One module-scoped corpus per store (the contributions server of
tests/contributions/conftest.py); problems are collected and reported together,
so one run shows every payload that misbehaves.

``./dev test`` sends a sample of the corpus (``SAMPLE``: every kind, the payloads whose way through HTTP itself is
at stake -- line breaks and non-Latin-1 characters for headers, percent signs in paths, NUL, ``pg_sleep``) through
all of the above over HTTP, on each store; and every payload of the corpus in-process to the rules where they live:
the intake of text fields (``providers/contribution_model.py``, ``participation/model.py``) and, on each store, the
store's own feature providers as pygeoapi calls them (CQL2 filters, pasted literals, ``q``, property filters, item
ids: the store's SQL and the visibility rule). Over HTTP all of it took about 100 s of every run; it is heavy
(``./dev heavy``).
"""

from __future__ import annotations

import io
import json
import re
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
import requests
from jinja2 import Environment
from lxml import html as lxml_html

from access.rules import hash_secret
from tests.contributions.common import GEOJSON, INSIDE, MODERATOR, PLANNER, SECRET, TIMEOUT
from tests.injection_payloads import PAYLOADS, Payload

#: The payloads sent over HTTP in ./dev test (every payload meets its rules in-process; all of them over HTTP is
#: heavy): each kind, and those whose way through HTTP itself is at stake (headers, paths, NUL, pg_sleep).
SAMPLE = [
    PAYLOADS[i]
    for i in (
        1,  # </script><script>: breaks out of pygeoapi's map data
        7,  # quotes and an iframe
        12,  # an attribute break-out
        23,  # percent-encoded: must not be decoded twice in a path
        25,  # full-width characters: not Latin-1, never a header
        27,  # CR LF: header injection
        31,  # an UPDATE
        35,  # pg_sleep
        41,  # NUL
        43,  # a CQL2 filter for pending contributions
        46,  # the author hash as a filter
        52,  # pg_sleep as a CQL2 function
        55,  # deep nesting
    )
]

PUBLIC_STATUSES = {"freigegeben", "in_bearbeitung", "erledigt"}
#: One client-chosen author secret for every contribution of the corpus (so one header shows them all).
AUTHOR_SECRET = "injection-corpus-author-secret-0001"
#: Text of a contribution that stays pending: it must never appear in a public answer.
PENDING_MARKER = "GEHEIM-ausstehend-7f3c9a"
#: Signs of an internal error or a database message in a response body.
LEAK_SIGNS = (
    "Traceback",
    'File "/',
    "[SQL:",
    "sqlite3.",
    "psycopg2",
    "sqlalchemy",
    "OperationalError",
    "ProgrammingError",
    "syntax error at or near",
    "LINE 1:",
    "Internal Server Error",
)
#: A request that takes longer ran something it should not have (pg_sleep(5) payloads).
SLOW_S = 4.5
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_REFERENCE = re.compile(r"^[^\x00-\x1f\x7f/]{1,256}$")
_TRUNCATE = Environment(autoescape=False).from_string("{{ v | string | truncate(35) }}")


def pygeoapi_json(text: str) -> str:
    """How pygeoapi's JSON writes a stored string (``pygeoapi.util.to_json``)."""
    return text.replace("<", "&lt;").replace(">", "&gt;")


def _html_text(text: str) -> str:
    """A string as an HTML parser hands it back (CR LF and lone CR become LF)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def text_ok(value: str, limit: int) -> bool:
    """Whether a free-text field takes the value (as providers/contributions.py documents it)."""
    value = value.strip()
    return bool(value) and not _CONTROL.search(value) and len(value) <= limit


def reference_ok(value: str) -> bool:
    return text_ok(value, 256) and bool(_REFERENCE.match(value.strip()))


def cql_literal_ok(value: str) -> bool:
    """Whether pygeofilter 0.4's CQL2 text takes the value as a string literal (no quote, no line break)."""
    return not re.search(r"['\r\n]", value)


class Corpus:
    """The seeded server and every problem found on it; ``call`` wraps each request."""

    def __init__(self, server, payloads: list[Payload] = PAYLOADS):
        self.server = server
        self.payloads = payloads
        self.session = requests.Session()
        self.problems: dict[str, list[str]] = {}
        self.requests = 0
        self.secret_hashes = {hash_secret(AUTHOR_SECRET)}
        self.hidden: set[str] = set()  # ids the public must never see
        self.stored: dict[Payload, str] = {}  # payload -> id of its contribution (text and pseudonym)
        self.reports: dict[Payload, str] = {}  # payload -> id of its Open311 request (pending)
        self.phases: dict[Payload, str] = {}  # payload -> id of its participation phase
        self.baseline: dict[str, object] = {}

    def problem(self, area: str, payload, message: str) -> None:
        self.problems.setdefault(area, []).append(f"{payload}: {message}")

    def call(self, area: str, payload, method: str, url: str, expect=None, **kwargs) -> requests.Response | None:
        """Send a request; note a 5xx, an unclean 4xx, a slow answer, leak signs, or a status not in ``expect``."""
        kwargs.setdefault("timeout", TIMEOUT)
        self.requests += 1
        try:
            r = self.session.request(method, url, **kwargs)
        except requests.RequestException as err:
            self.problem(area, payload, f"{method} {url}: no answer ({err})")
            return None
        where = f"{method} {url.replace(self.server.url, '')}"
        if r.status_code >= 500:
            self.problem(area, payload, f"{where} -> {r.status_code}: {r.text[:200]}")
            return r
        if r.elapsed.total_seconds() > SLOW_S:
            self.problem(area, payload, f"{where} took {r.elapsed.total_seconds():.1f} s")
        for sign in LEAK_SIGNS:
            if sign in r.text:
                self.problem(area, payload, f"{where} -> {r.status_code} shows {sign!r}: {r.text[:200]}")
        for secret_hash in self.secret_hashes:
            if secret_hash in r.text:
                self.problem(area, payload, f"{where} reveals an author hash")
        if 400 <= r.status_code < 500 and "json" in r.headers.get("Content-Type", ""):
            body = r.json()
            described = (
                body.get("description")
                if isinstance(body, dict)
                else body[0].get("description")
                if isinstance(body, list) and body
                else None
            )
            if not described:
                self.problem(area, payload, f"{where} -> {r.status_code} without a description: {r.text[:200]}")
        if expect is not None and r.status_code not in (expect if isinstance(expect, tuple) else (expect,)):
            self.problem(area, payload, f"{where} -> {r.status_code}, expected {expect}: {r.text[:200]}")
        return r


# -- seeding: every payload through every writable field --------------------------------------------------


def _create(c: Corpus, area: str, payload, properties: dict, expect, headers: dict | None = None):
    body = {"type": "Feature", "geometry": {"type": "Point", "coordinates": INSIDE}, "properties": properties}
    return c.call(
        area,
        payload,
        "POST",
        f"{c.server.api}/collections/contributions/items",
        expect,
        data=json.dumps(body),
        headers={**GEOJSON, SECRET: AUTHOR_SECRET, **(headers or {})},
    )


def _header(name: str, value: str) -> dict:
    """The value as a request header, where HTTP allows it (latin-1, no line breaks)."""
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return {}
    return {} if ("\r" in value or "\n" in value or "\x00" in value) else {name: value}


def _seed(c: Corpus, p: Payload) -> None:
    s, value = c.server, p.text
    # a participation procedure titled and described by the payload (planner), one day of its own in 2000
    start = (datetime(2000, 1, 1, tzinfo=UTC) + timedelta(days=2 * PAYLOADS.index(p))).strftime("%Y-%m-%d")
    end = (datetime(2000, 1, 2, tzinfo=UTC) + timedelta(days=2 * PAYLOADS.index(p))).strftime("%Y-%m-%d")
    phase = {"title_de": value, "description_de": value, "opens_at": start, "closes_at": end}
    r = c.call(
        "text fields",
        p,
        "POST",
        f"{s.url}/api/procedures",
        201 if text_ok(value, 200) else 400,
        json=phase,
        headers=PLANNER,
    )
    if r is not None and r.status_code == 201:
        c.phases[p] = r.json()["id"]
        if (r.json().get("title_de"), r.json().get("description_de")) != (value.strip(), value.strip()):
            c.problem("text fields", p, f"the procedure came back as {r.json()}")
    # the contribution (citizen): text and pseudonym carry the payload
    props = {"kind": "vorschlag", "text": value}
    if text_ok(value, 40):
        props["pseudonym"] = value
    r = _create(c, "text fields", p, props, 201 if text_ok(value, 2000) else 400)
    if r is not None and r.status_code == 201:
        c.stored[p] = r.headers["Location"].rsplit("/", 1)[-1]
    if not text_ok(value, 40) and text_ok(value, 2000):
        _create(c, "text fields", p, {"text": "Pseudonym zu lang", "pseudonym": value}, 400)
    # fields with fixed values or references to existing objects: refused (the payload as author secret, too)
    for extra in (
        {"kind": value},
        {"category": value},
        {"plan_id": value},
        {"parent_id": value},
        {"scenario_id": value},
        {"target_collection": value, "target_id": "GML_x"},
        {"target_collection": "bp_baugebiet", "target_id": value},
    ):
        _create(c, "text fields", p, {"text": "Feldtest", **extra}, 400, headers=_header(SECRET, value))
    # Open311: the description is stored; the personal fields are dropped; an unknown service is refused
    form = {
        "service_code": "strasse",
        "lat": str(INSIDE[1]),
        "long": str(INSIDE[0]),
        "description": value,
        **dict.fromkeys(("email", "first_name", "last_name", "phone", "device_id", "account_id"), value),
    }
    send = {"json": form} if len(c.reports) % 2 else {"data": form}  # form-encoded as in the spec, or JSON
    r = c.call(
        "text fields", p, "POST", f"{s.url}/open311/v2/requests.json", 201 if text_ok(value, 2000) else 400, **send
    )
    if r is not None and r.status_code == 201:
        c.reports[p] = r.json()[0]["service_request_id"]
    c.call(
        "text fields", p, "POST", f"{s.url}/open311/v2/requests.json", (400, 404), data={**form, "service_code": value}
    )
    # address_string is kept and shown (Open311): one line of at most 300 characters
    one_line = text_ok(value, 300) and not any(ch in value for ch in "\r\n")
    c.call(
        "text fields",
        p,
        "POST",
        f"{s.url}/open311/v2/requests.json",
        201 if one_line else 400,
        data={**form, "description": "Adresse", "address_string": value},
    )
    # media_url must be an http(s) address (it is shown as a link, never loaded): anything else is a 400
    is_url = value.startswith(("http://", "https://")) and len(value) <= 2000 and not any(ch.isspace() for ch in value)
    c.call(
        "text fields",
        p,
        "POST",
        f"{s.url}/open311/v2/requests.json",
        (201, 400) if is_url else 400,
        data={**form, "description": "Foto", "media_url": value},
    )
    # /api routes: the payload as contribution id, voter id, status, author secret
    path, some_id = quote(value, safe=""), c.baseline["id"]
    for route in ("contributions", "scenarios"):
        c.call(
            "text fields",
            p,
            "POST",
            f"{s.url}/api/{route}/{path}/like",
            (400, 404, 405),
            headers={"X-Voter-Id": "injection-voter-000001"},
        )
    # The payload as the browser id: only a cookie the server signed counts (api/voters.py): a forged one is
    # refused (403), or, where the Cookie header does not parse as that cookie, the client is a new person (200).
    cookie = _header("Cookie", f"buergergis_voter={value}")
    if cookie:
        # (the baseline waits for moderation: not public, so a like finds nothing: 404)
        c.call("text fields", p, "POST", f"{s.url}/api/contributions/{some_id}/like", (200, 403, 404), headers=cookie)
    c.call(
        "text fields",
        p,
        "POST",
        f"{s.url}/api/contributions/{some_id}/status",
        400,
        json={"status": value},
        headers=MODERATOR,
    )
    c.call(
        "text fields",
        p,
        "POST",
        f"{s.url}/api/contributions/{path}/status",
        (400, 404, 405),
        json={"status": "freigegeben"},
        headers=MODERATOR,
    )
    if (header := _header(SECRET, value)) and p.kind == "sql":
        c.call("text fields", p, "DELETE", f"{s.url}/api/contributions/mine", (400, 401), headers=header)


def seed(c: Corpus) -> Corpus:
    """Someone else's pending and rejected contributions, a baseline, then every payload through every field."""
    s = c.server
    # a pending and a rejected contribution of someone else: never shown, whatever the filter
    other = "someone-elses-secret-000000000000"
    c.secret_hashes.add(hash_secret(other))
    for text, status in ((PENDING_MARKER, None), (PENDING_MARKER + " abgelehnt", "abgelehnt")):
        r = _create(c, "setup", "-", {"text": text, "kind": "kommentar"}, 201, headers={SECRET: other})
        cid = r.headers["Location"].rsplit("/", 1)[-1]
        c.hidden.add(cid)
        if status:
            c.call(
                "setup",
                "-",
                "POST",
                f"{s.url}/api/contributions/{cid}/status",
                200,
                json={"status": status},
                headers=MODERATOR,
            )
    r = _create(
        c, "setup", "-", {"text": "Baseline ohne Sonderzeichen", "pseudonym": "Basis", "kind": "vorschlag"}, 201
    )
    c.baseline["id"] = r.headers["Location"].rsplit("/", 1)[-1]
    for p in c.payloads:
        _seed(c, p)
    c.hidden |= set(c.reports.values())  # Open311 reports stay pending (their authors' secrets are not sent)
    c.counts = table_counts(s)
    return c


def remove_phases(c: Corpus) -> None:
    for phase in c.phases.values():
        c.session.delete(f"{c.server.url}/api/procedures/{phase}", headers=PLANNER, timeout=TIMEOUT)


@pytest.fixture(scope="module", params=["sample", pytest.param("all", marks=pytest.mark.heavy)])
def corpus(request, contrib_server):
    """The corpus over HTTP: a sample of it in ./dev test, all of it in ./dev heavy."""
    c = seed(Corpus(contrib_server, SAMPLE if request.param == "sample" else PAYLOADS))
    yield c
    remove_phases(c)


def table_counts(server) -> dict[str, int]:
    """Rows per table, read from the store itself."""
    tables = ("contributions", "procedures", "contribution_likes", "bp_plan", "bp_baugebiet")
    if server.backend == "geopackage":
        import sqlite3

        with sqlite3.connect(server.store) as conn:
            return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
    import psycopg2

    with psycopg2.connect(server.store) as conn, conn.cursor() as cur:
        counts = {}
        for t in tables:
            cur.execute(f"SELECT count(*) FROM {t}")
            counts[t] = cur.fetchone()[0]
        return counts


def _report(c: Corpus, *areas: str) -> None:
    found = [f"[{area}] {line}" for area in areas for line in c.problems.get(area, [])]
    assert not found, f"{len(found)} problems on {c.server.backend}:\n" + "\n".join(found[:40])


# -- the tests ------------------------------------------------------------------------------------------------

AUTHOR = {SECRET: AUTHOR_SECRET}


def check_read_back(c: Corpus) -> None:
    s = c.server
    # OGC API (pygeoapi's escaped form): the author's list, and each item through the HTML page's map data below
    r = c.call(
        "read",
        "-",
        "GET",
        f"{s.api}/collections/contributions/items",
        200,
        params={"f": "json", "limit": 10000, "skipGeometry": "true"},
        headers=AUTHOR,
    )
    listed = {f["id"]: f["properties"] for f in r.json()["features"]}
    for p, cid in c.stored.items():
        expected = pygeoapi_json(p.text)
        single = None
        if p.kind != "xss":  # the XSS ones are read one by one through their HTML page (its map data)
            r = c.call(
                "read",
                p,
                "GET",
                f"{s.api}/collections/contributions/items/{cid}",
                200,
                params={"f": "json"},
                headers=AUTHOR,
            )
            single = r.json()["properties"] if r is not None and r.ok else {}
        for where, props in (("list", listed.get(cid)), ("item", single)):
            if props is None:
                continue
            if props.get("text") != expected:
                c.problem("read", p, f"{where}: text {props.get('text')!r} != {expected!r}")
            if text_ok(p.text, 40) and props.get("pseudonym") != expected:
                c.problem("read", p, f"{where}: pseudonym {props.get('pseudonym')!r} != {expected!r}")
        if cid not in listed:
            c.problem("read", p, "not listed for its author")
    # Open311 (Flask JSON, not escaped): a back office with a moderator token sees the pending reports
    r = c.call(
        "read",
        "-",
        "GET",
        f"{s.url}/open311/v2/requests.json",
        200,
        params={"service_request_id": ",".join(c.reports.values())},
        headers=MODERATOR,
    )
    by_id = {req["service_request_id"]: req for req in r.json()}
    for p, rid in c.reports.items():
        report = by_id.get(rid, {})
        if report.get("description") != p.text:
            c.problem("read", p, f"open311 description {report.get('description')!r} != {p.text!r}")
        # e-mail, names, phone, device and account are dropped; address and media_url are kept (their own calls)
        if any(p.text in str(v) for k, v in report.items() if k not in ("description", "address", "media_url")):
            c.problem("read", p, "a dropped personal field came back")
    # participation procedures (Flask JSON)
    phases = {ph["id"]: ph for ph in c.call("read", "-", "GET", f"{s.url}/api/procedures", 200).json()["procedures"]}
    for p, phase in c.phases.items():
        got = phases.get(phase, {})
        if (got.get("title_de"), got.get("description_de")) != (p.text.strip(), p.text.strip()):
            c.problem("read", p, f"procedure came back as {got}")


# -- HTML ---------------------------------------------------------------------------------------------------

_URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "srcdoc", "background", "poster", "xlink:href"}


def _parse(r: requests.Response):
    """pygeoapi sends text/html without a charset; the page itself says UTF-8."""
    return lxml_html.document_fromstring(r.content.decode("utf-8") or "<p></p>")


def _element_problems(doc) -> list[str]:
    """Event handlers, script URLs or payload markers in attributes or scripts anywhere on the page."""
    found = []
    for el in doc.iter():
        if not isinstance(el.tag, str):
            continue
        for name, value in el.attrib.items():
            squeezed = re.sub(r"[\s\x00-\x1f]", "", value).lower()
            if name.lower().startswith("on"):
                found.append(f"<{el.tag} {name}=...>")
            elif (name.lower() in _URL_ATTRIBUTES and squeezed.startswith(("javascript:", "vbscript:", "data:"))) or (
                "__xss" in value and name.lower() not in ("title", "alt", "aria-label", "value")
            ):
                found.append(f"<{el.tag} {name}={value[:60]!r}>")
        if el.tag in ("script", "style") and "__xss" in (el.text or "") and "geojson_data" not in (el.text or ""):
            found.append(f"<{el.tag}> with a payload")
    return found


def _tags(doc) -> Counter:
    return Counter(el.tag for el in doc.iter() if isinstance(el.tag, str))


def _extra_tags(doc, baseline: Counter) -> list[str]:
    """Elements beyond the clean page's, except urlize's http(s)/mailto links."""
    extra = _tags(doc) - baseline
    links = [a for a in doc.iter("a") if a.get("href", "").lower().startswith(("http://", "https://", "mailto:"))]
    if extra.get("a", 0) <= len(links):
        extra.pop("a", None)
    return [f"{n} x <{tag}>" for tag, n in extra.items()]


def _geojson_in_script(doc):
    """pygeoapi's map data (``var geojson_data = …;``) as parsed JSON: proves no payload left the string."""
    for script in doc.iter("script"):
        match = re.search(r"var geojson_data = (.*);\s*$", script.text or "", re.M)
        if match:
            return json.loads(match.group(1))
    return None


def _property_cells(doc) -> dict[str, object]:
    cells = {}
    for row in doc.xpath("//table//tr[count(td) = 2]"):
        key, value = row.findall("td")
        cells[key.text_content().strip()] = value
    return cells


def check_html(c: Corpus) -> None:
    """The item page of every payload, the items page with all of them, the collection pages."""
    s = c.server
    page = c.call(
        "html",
        "-",
        "GET",
        f"{s.api}/collections/contributions/items/{c.baseline['id']}",
        200,
        params={"f": "html"},
        headers=AUTHOR,
    )
    baseline_item = _tags(_parse(page))
    for p, cid in c.stored.items():
        if p.kind != "xss":  # the items page below shows the others (and the JSON test reads them all)
            continue
        r = c.call(
            "html",
            p,
            "GET",
            f"{s.api}/collections/contributions/items/{cid}",
            200,
            params={"f": "html"},
            headers=AUTHOR,
        )
        if r is None or not r.ok:
            continue
        doc = _parse(r)
        for issue in _element_problems(doc) + _extra_tags(doc, baseline_item):
            c.problem("html", p, f"item page: {issue}")
        cells = _property_cells(doc)
        fields = ["text"] + (["pseudonym"] if text_ok(p.text, 40) else [])
        for field in fields:
            cell = cells.get(field)
            shown = cell.text_content().strip() if cell is not None else None
            if shown != _html_text(p.text):
                c.problem("html", p, f"item page shows {field} as {shown!r}")
            if cell is not None and any(child.tag != "a" for child in cell.iter() if child is not cell):
                c.problem("html", p, f"item page: elements inside the {field} cell")
        data = _geojson_in_script(doc)
        if data is None or data["properties"]["text"] != pygeoapi_json(p.text):
            c.problem("html", p, "item page: the map data does not hold the text as one string")
    # the items page: all of the corpus, as its author sees it
    r = c.call(
        "html",
        "-",
        "GET",
        f"{s.api}/collections/contributions/items",
        200,
        params={"f": "html", "limit": 10000},
        headers=AUTHOR,
    )
    doc = _parse(r)
    for issue in _element_problems(doc):
        c.problem("html", "items page", issue)
    rows = {}
    for row in doc.xpath("//tbody/tr"):
        link, text_cell = row.xpath(".//a[@href]"), row.xpath("./td[@data-label='text']")
        if link and text_cell:
            rows[link[0].get("href").rsplit("/", 1)[-1]] = text_cell[0]
        for cell in row.xpath("./td[position() > 1]"):
            if len(cell):
                c.problem("html", "items page", f"elements inside a cell: {lxml_html.tostring(cell)[:120]!r}")
    for p, cid in c.stored.items():
        cell, expected = rows.get(cid), _html_text(_TRUNCATE.render(v=p.text))
        shown = cell.text_content().strip() if cell is not None else None
        if shown != expected:
            c.problem("html", p, f"items page shows {shown!r}, expected {expected!r}")
    data = _geojson_in_script(doc)
    if data is None or {f["id"] for f in data} != set(rows):
        c.problem("html", "items page", "map data and table disagree")
    if PENDING_MARKER in r.text or c.hidden & set(rows):
        c.problem("html", "items page", "a hidden contribution is listed")
    for collection in ("contributions", "bp_baugebiet"):  # no user text there at all
        r = c.call("html", "-", "GET", f"{s.api}/collections/{collection}", 200, params={"f": "html"})
        for issue in _element_problems(_parse(r)):
            c.problem("html", collection, issue)


# -- filters -----------------------------------------------------------------------------------------------------


def _check_answer(c: Corpus, area: str, p, r, expect_ids: set[str] | None = None) -> None:
    """A 200 holds no hidden contribution; with ``expect_ids``, at least those (the filter's own matches)."""
    if r is None or r.status_code != 200:
        return
    if r.headers.get("Content-Type", "").startswith("text/html"):
        if PENDING_MARKER in r.text or any(h in r.text for h in c.hidden):
            c.problem(area, p, "an HTML answer lists a hidden contribution")
        for issue in _element_problems(_parse(r)):
            c.problem(area, p, f"HTML answer: {issue}")
        return
    features = r.json()["features"]
    found = {f["id"] for f in features}
    if found & c.hidden or PENDING_MARKER in r.text:
        c.problem(area, p, f"hidden contributions in the answer: {sorted(found & c.hidden)}")
    if expect_ids is not None and not expect_ids <= found:
        c.problem(area, p, f"the filter missed {len(expect_ids - found)} of its own contributions")


def _public(c: Corpus, area: str, p, r) -> None:
    """An anonymous 200 holds public contributions only (none of the corpus: it is pending)."""
    _check_answer(c, area, p, r)
    if r is not None and r.status_code == 200 and not r.headers.get("Content-Type", "").startswith("text/html"):
        features = r.json()["features"]
        if any(f["properties"].get("status", "freigegeben") not in PUBLIC_STATUSES for f in features):
            c.problem(area, p, "a non-public status in an anonymous answer")
        if {f["id"] for f in features} & set(c.stored.values()):
            c.problem(area, p, "a pending contribution of the corpus in an anonymous answer")


def check_contribution_filters(c: Corpus) -> None:
    s = c.server
    url = f"{s.api}/collections/contributions/items"
    base = {"f": "json", "limit": 10000, "skipGeometry": "true"}
    stored = [p for p in c.payloads if p in c.stored]
    mine = set(c.stored.values())
    # every stored payload as a CQL2 JSON string, in one query: must find exactly the corpus
    query = {"op": "or", "args": [{"op": "=", "args": [{"property": "text"}, p.text]} for p in stored]}
    r = c.call(
        "filters",
        "all",
        "POST",
        url,
        200,
        params=base,
        data=json.dumps(query),
        headers={"Content-Type": "application/json", **AUTHOR},
    )
    _check_answer(c, "filters", "CQL2 JSON (all)", r, mine)
    # every payload as a property name, in one query: refused, naming them
    names = {"op": "or", "args": [{"op": "=", "args": [{"property": p.text}, "x"]} for p in c.payloads]}
    c.call("filters", "all", "GET", url, 400, params={**base, "filter-lang": "cql2-json", "filter": json.dumps(names)})
    # Open311: all payloads as ids and as service codes (comma-separated lists), anonymously: nothing pending
    o311 = f"{s.url}/open311/v2/requests.json"
    for name in ("service_request_id", "service_code"):
        r = c.call(
            "filters",
            "all",
            "GET",
            o311,
            (200, 400, 404),
            params={name: ",".join([*(p.text for p in c.payloads), *c.reports.values()])},
        )
        if r is not None and r.status_code == 200 and any(q["service_request_id"] in c.hidden for q in r.json()):
            c.problem("filters", "all", f"open311 {name} lists a pending report")
    for p in c.payloads:
        v = p.text
        # the payload as the whole CQL2 filter, anonymously: 4xx or public contributions only
        _public(c, "filters", p, c.call("filters", p, "GET", url, (200, 400), params={**base, "filter": v}))
        # pasted into CQL2 string literals, as a careless client would: where the payload holds a quote
        # (pygeofilter 0.4's CQL2 text has no escaped quote) it may make a valid filter of its own, but the
        # visibility filter still holds
        exact = 200 if text_ok(v, 2000) else (200, 400)  # PostgreSQL refuses NUL in text: 400
        literal = f"text = '{v}' OR pseudonym LIKE '{v}'"
        r = c.call(
            "filters",
            p,
            "GET",
            url,
            exact if cql_literal_ok(v) else (200, 400),
            params={**base, "filter": literal},
            headers=AUTHOR,
        )
        _check_answer(c, "filters", p, r, {c.stored[p]} if p in c.stored and cql_literal_ok(v) else None)
        # property filter and free text: find the payload's own contribution (the author asks)
        r = c.call("filters", p, "GET", url, exact, params={**base, "text": v}, headers=AUTHOR)
        _check_answer(c, "filters", p, r, {c.stored[p]} if p in c.stored else None)
        _public(c, "filters", p, c.call("filters", p, "GET", url, exact, params={**base, "q": v}))
        # every other query parameter, and the payload as item id
        for name in ("sortby", "properties", "bbox", "datetime"):
            _public(c, "filters", p, c.call("filters", p, "GET", url, (200, 400), params={**base, name: v}))
        fmt = "html" if p.kind == "xss" else "json"  # the HTML error page shows the id
        r = c.call("filters", p, "GET", f"{url}/{quote(v, safe='')}", (400, 404), params={"f": fmt})
        if r is not None and fmt == "html":
            for issue in _element_problems(_parse(r)):
                c.problem("filters", p, f"error page: {issue}")
        # Open311 and participation procedure queries, the statement lookup by reference number
        for params in ({"status": v}, {"start_date": v}):
            c.call("filters", p, "GET", o311, (200, 400), params=params)
        r = c.call("filters", p, "GET", f"{s.url}/api/procedures", (200, 400), params={"plan_id": v})
        if r is not None and r.ok and r.json()["procedures"]:
            c.problem("filters", p, f"procedures for plan {v!r}: {r.text[:200]}")
        c.call("filters", p, "GET", f"{s.url}/api/statements/{quote(v, safe='')}", (400, 404))


def check_plan_filters(c: Corpus) -> None:
    s = c.server
    url = f"{s.api}/collections/bp_baugebiet/items"
    base = {"f": "json", "limit": 5, "skipGeometry": "true"}
    total = c.call("plan filters", "-", "GET", url, 200, params=base).json()["numberMatched"]
    literals = ", ".join(f"'{p.text}'" for p in c.payloads if text_ok(p.text, 2000) and cql_literal_ok(p.text))
    r = c.call("plan filters", "all", "GET", url, 200, params={**base, "filter": f"art_code IN ({literals})"})
    if r is not None and r.ok and r.json()["numberMatched"]:
        c.problem("plan filters", "all", f"art_code IN (payloads) matched {r.json()['numberMatched']} zones")
    query = {
        "op": "or",
        "args": [
            {"op": "like", "args": [{"property": "besondere_art_der_baulichen_nutzung"}, p.text]}
            for p in c.payloads
            if text_ok(p.text, 2000)
        ],
    }
    c.call(
        "plan filters",
        "all",
        "POST",
        url,
        200,
        params=base,
        data=json.dumps(query),
        headers={"Content-Type": "application/json"},
    )
    for p in c.payloads:
        v = p.text
        exact = 200 if text_ok(v, 2000) else (200, 400)
        c.call("plan filters", p, "GET", url, (200, 400), params={**base, "filter": v})
        r = c.call("plan filters", p, "GET", url, exact, params={**base, "art_code": v})
        if r is not None and r.ok and r.json()["numberMatched"]:
            c.problem("plan filters", p, f"art_code={v!r} matched {r.json()['numberMatched']} zones")
        # the generic parameters take turns (pygeoapi parses them alike for every collection; the
        # contributions test gives each of them every payload)
        name = ("sortby", "properties", "bbox", "datetime")[PAYLOADS.index(p) % 4]
        c.call("plan filters", p, "GET", url, (200, 400), params={**base, name: v})
        fmt = "html" if p.kind == "xss" else "json"
        r = c.call("plan filters", p, "GET", f"{url}/{quote(v, safe='')}", (400, 404), params={"f": fmt})
        if r is not None and fmt == "html":
            for issue in _element_problems(_parse(r)):
                c.problem("plan filters", p, f"error page: {issue}")
    after = c.call("plan filters", "-", "GET", url, 200, params=base).json()["numberMatched"]
    if after != total:
        c.problem("plan filters", "-", f"bp_baugebiet held {total} zones, now {after}")


def check_tables(c: Corpus) -> None:
    """Every table holds what it held, and nothing of the corpus was deleted."""
    counts = table_counts(c.server)
    if counts != c.counts:
        c.problem("tables", "-", f"rows per table were {c.counts}, now {counts}")
    r = c.session.get(
        f"{c.server.api}/collections/contributions/items",
        params={"f": "json", "limit": 10000},
        headers=MODERATOR,
        timeout=TIMEOUT,
    )
    missing = (set(c.stored.values()) | c.hidden) - {f["id"] for f in r.json()["features"]}
    if missing:
        c.problem("tables", "-", f"{len(missing)} contributions of the corpus are gone")


# -- over HTTP (a sample; all of it in ./dev heavy) --------------------------------------------------------------


def test_every_text_field_takes_every_payload_or_refuses_it_cleanly(corpus):
    _report(corpus, "setup", "text fields")
    assert len(corpus.stored) >= len(corpus.payloads) - 2  # all but the ones with control characters are stored


def test_stored_payloads_come_back_verbatim_as_json(corpus):
    check_read_back(corpus)
    _report(corpus, "read")


def test_html_pages_show_payloads_as_text(corpus):
    check_html(corpus)
    _report(corpus, "html")


def test_contribution_filters_never_fail_or_leak(corpus):
    check_contribution_filters(corpus)
    _report(corpus, "filters")


def test_plan_collection_filters_never_fail(corpus):
    check_plan_filters(corpus)
    _report(corpus, "plan filters")


def test_tables_are_intact_afterwards(corpus):
    check_tables(corpus)
    _report(corpus, "tables")
    print(f"\n{corpus.server.backend}: {len(corpus.payloads)} payloads, {corpus.requests} requests")


# -- every payload in-process, where its rule lives ---------------------------------------------------------------


def test_every_payload_meets_the_intake_rules_in_process():
    """The rules the text-field part of the corpus meets over HTTP, for every payload, called where they live
    (providers/contribution_model.py, participation/model.py): a text field takes the payload stripped or refuses
    it with a 400 (IntakeError, ParticipationError); a field with fixed values refuses it; a reference refuses it
    or keeps it to be looked up in the store (unknown: a 400, shown over HTTP); nothing else is raised (a 500)."""
    from intake.errors import IntakeError
    from participation.model import ParticipationError, clean_procedure
    from providers.contribution_model import check_status, clean_properties

    problems: list[str] = []

    def outcome(call, refused) -> tuple[bool, object]:
        try:
            return True, call()
        except refused:
            return False, None
        except Exception as err:  # noqa: BLE001 - anything else would be a 500
            return False, f"{type(err).__name__}: {err}"

    for p in PAYLOADS:
        v = p.text
        props = {"kind": "vorschlag", "text": v, **({"pseudonym": v} if text_ok(v, 40) else {})}
        taken, clean = outcome(lambda props=props: clean_properties(props)[0], IntakeError)
        if isinstance(clean, str):
            problems.append(f"{p}: text -> {clean}")
        elif taken != text_ok(v, 2000):
            problems.append(f"{p}: text {'taken' if taken else 'refused'}")
        elif taken and (clean["text"], clean["pseudonym"]) != (v.strip(), props.get("pseudonym", "").strip() or None):
            problems.append(f"{p}: text kept as {clean['text']!r} / {clean['pseudonym']!r}")
        if not text_ok(v, 40) and text_ok(v, 2000):
            taken, error = outcome(
                lambda v=v: clean_properties({"text": "Pseudonym zu lang", "pseudonym": v}), IntakeError
            )
            if taken or error:
                problems.append(f"{p}: a long pseudonym {error or 'taken'}")
        for extra in ({"kind": v}, {"category": v}, {"target_collection": v, "target_id": "GML_x"}):
            taken, error = outcome(lambda extra=extra: clean_properties({"text": "Feldtest", **extra}), IntakeError)
            if taken or error:
                problems.append(f"{p}: {next(iter(extra))} {error or 'taken'}")
        for extra in (
            {"plan_id": v},
            {"parent_id": v},
            {"scenario_id": v},
            {"target_collection": "bp_baugebiet", "target_id": v},
        ):
            name = next(k for k in extra if k != "target_collection")
            taken, clean = outcome(lambda extra=extra: clean_properties({"text": "Feldtest", **extra})[0], IntakeError)
            if isinstance(clean, str) or (taken and clean[name] != v.strip()):
                problems.append(f"{p}: {name} -> {clean if isinstance(clean, str) else clean[name]!r}")
        taken, error = outcome(lambda v=v: check_status("kommentar", v), IntakeError)
        if taken or error:
            problems.append(f"{p}: status {error or 'taken'}")
        body = {"title_de": v, "description_de": v, "opens_at": "2000-01-01", "closes_at": "2000-01-02"}
        taken, clean = outcome(lambda body=body: clean_procedure(body).values, ParticipationError)
        if isinstance(clean, str):
            problems.append(f"{p}: procedure -> {clean}")
        elif taken != text_ok(v, 200):
            problems.append(f"{p}: procedure {'taken' if taken else 'refused'}")
        elif taken and (clean["title_de"], clean["description_de"]) != (v.strip(), v.strip()):
            problems.append(f"{p}: procedure kept as {clean['title_de']!r}")
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:40])


@pytest.fixture
def providers_of(contrib_server, monkeypatch):
    """The store's own feature providers of ``contrib_server`` (as pygeoapi loads them from the runtime config),
    called outside any request: the viewer is the anonymous public (providers/contributions.py)."""
    import yaml
    from pygeoapi.plugin import load_plugin
    from pygeoapi.util import yaml_load

    from api.config import runtime_config
    from settings import Settings

    monkeypatch.setenv("BUERGERGIS_STORE", contrib_server.store)  # the config names it as ${BUERGERGIS_STORE}
    settings = Settings(store=contrib_server.store, data_dir=contrib_server.data_dir, ui=False)
    config = yaml_load(io.StringIO(yaml.safe_dump(runtime_config(settings))))
    loaded = {}

    def provider(collection: str):
        if collection not in loaded:
            loaded[collection] = load_plugin("provider", config["resources"][collection]["providers"][0])
        return loaded[collection]

    return provider


def test_every_payload_as_a_filter_in_process(contrib_server, providers_of):
    """Every payload as the filters of the corpus, given to the store's own providers (the store's SQL, the
    visibility rule) as pygeoapi gives them: the whole CQL2 filter, pasted into CQL2 literals, as ``q``, as a
    property filter, as an item id; on ``contributions`` (anonymously: public contributions only, never a hidden
    field) and ``bp_baugebiet`` (no zone matches). A clean refusal is a 400 (a filter that does not parse,
    ProviderInvalidQueryError) or a 404 (ProviderItemNotFoundError); anything else, or a slow answer, is a
    problem. Over HTTP the sample shows the same answers come out of the whole app."""
    from pygeoapi.provider.base import ProviderInvalidQueryError, ProviderItemNotFoundError

    from providers.cql import FilterSyntaxError, parse_cql2_text

    # a pending contribution (and the store's others): an anonymous filter must not find them
    r = requests.post(
        f"{contrib_server.api}/collections/contributions/items",
        data=json.dumps(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": INSIDE},
                "properties": {"kind": "vorschlag", "text": PENDING_MARKER},
            }
        ),
        headers=GEOJSON,
        timeout=TIMEOUT,
    )
    assert r.status_code == 201, r.text[:300]
    contributions, zones = providers_of("contributions"), providers_of("bp_baugebiet")
    refused = (FilterSyntaxError, ProviderInvalidQueryError)
    problems: list[str] = []

    def run(p, where: str, call) -> dict | None:
        started = time.perf_counter()
        try:
            result = call()
        except refused + (ProviderItemNotFoundError,):
            result = None
        except Exception as err:  # noqa: BLE001 - anything else would be a 500
            problems.append(f"{p}: {where} -> {type(err).__name__}: {str(err)[:200]}")
            result = None
        if time.perf_counter() - started > SLOW_S:
            problems.append(f"{p}: {where} took {time.perf_counter() - started:.1f} s")
        return result

    def public_only(p, where: str, result) -> None:
        for feature in (result or {}).get("features", []):
            props = feature.get("properties") or {}
            if props.get("status", "freigegeben") not in PUBLIC_STATUSES or PENDING_MARKER in str(props.get("text")):
                problems.append(f"{p}: {where} shows a hidden contribution ({props.get('status')})")
            if set(props) & {"author_secret_hash"}:
                problems.append(f"{p}: {where} shows an author hash")

    def parsed(text: str):
        try:
            return parse_cql2_text(text)
        except refused:
            return None

    query = {"limit": 10000, "skip_geometry": True}
    for p in PAYLOADS:
        v = p.text
        for where, text in (("filter", v), ("filter literal", f"text = '{v}' OR pseudonym LIKE '{v}'")):
            node = run(p, f"parsing the {where}", lambda text=text: parsed(text))
            if node is not None:
                result = run(p, where, lambda node=node: contributions.query(filterq=node, **query))
                public_only(p, where, result)
                result = run(p, f"zones {where}", lambda node=node: zones.query(filterq=node, **query))
                if where == "filter literal" and result and result.get("features"):
                    problems.append(f"{p}: zones {where} matched {len(result['features'])} zones")
        public_only(p, "q", run(p, "q", lambda v=v: contributions.query(q=v, **query)))
        public_only(p, "text=", run(p, "text=", lambda v=v: contributions.query(properties=[("text", v)], **query)))
        result = run(p, "art_code=", lambda v=v: zones.query(properties=[("art_code", v)], **query))
        if result and result.get("features"):
            problems.append(f"{p}: art_code={v!r} matched {len(result['features'])} zones")
        for collection, provider in (("contributions", contributions), ("bp_baugebiet", zones)):
            item = run(p, f"{collection} item", lambda provider=provider, v=v: provider.get(v))
            if item is not None:
                problems.append(f"{p}: {collection} item {v!r} found")
    assert not problems, f"{len(problems)} problems on {contrib_server.backend}:\n" + "\n".join(problems[:40])
