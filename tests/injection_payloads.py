"""The injection corpus (issue 6, item 7): XSS, SQL and CQL2 payloads, each labelled by kind.

Used by tests/contributions/test_injection_corpus.py (every text field, filter and
route of the API, both stores) and tests/ui/test_injection_browser.py (the portal
in Chromium). Every XSS payload that would run sets ``window.__xss`` (or calls
``alert``, which the browser test turns into the same marker), so a test can see
execution; none of them loads anything from outside.

Rules for the strings (so the expected stored form is simply the string itself):
no leading or trailing whitespace (text fields are stored stripped) and at most
2000 characters (the text limit). A few are deliberately over the 40-character
pseudonym limit or carry control characters: those must be refused with a 400.
"""

from __future__ import annotations

from dataclasses import dataclass

#: What an executed XSS payload leaves behind in the page.
MARKER = "__xss"


@dataclass(frozen=True)
class Payload:
    kind: str  # "xss", "sql" or "cql2"
    text: str

    def __str__(self) -> str:  # readable test ids
        return f"{self.kind}:{self.text[:40]!r}"


_XSS = [
    # script elements, and breaking out of one (pygeoapi puts the map data into a <script>)
    "<script>window.__xss=1</script>",
    "</script><script>window.__xss=1</script>",
    # event handlers
    "<img src=x onerror=window.__xss=1>",
    "<img src=x onerror=alert(1)>",
    '<IMG SRC="x" oNeRrOr="window.__xss=1">',
    "<svg onload=window.__xss=1>",
    "<details open ontoggle=window.__xss=1>",
    "<iframe srcdoc='<script>parent.__xss=1</script>'></iframe>",
    '<a href="javascript:window.__xss=1">klick</a>',
    '<!--<img src="--><img src=x onerror=window.__xss=1//">',
    "<math><mtext><table><mglyph><style><img src=x onerror=window.__xss=1>",
    # attribute break-outs (no angle brackets needed in an attribute)
    '"><img src=x onerror=window.__xss=1>',
    '" onmouseover="window.__xss=1" x="',
    "' onfocus='window.__xss=1' autofocus='",
    "`;window.__xss=1;`",
    # URLs: javascript:, and one ending like an image (pygeoapi's item page made such values <a href><img src>)
    "javascript:window.__xss=1",
    "javascript:window.__xss=1//.png",
    "data:text/html,<script>window.__xss=1</script>",
    # template injection: Jinja/Angular, JS template literals, deck.gl JSON accessors
    "{{7*7}}",
    "${window.__xss=1}",
    "@@=window.__xss=1",
    '{"@@function": "window.__xss=1"}',
    # encoded variants (must come back as these very characters, not decoded)
    "&lt;script&gt;window.__xss=1&lt;/script&gt;",
    "%3Cscript%3Ewindow.__xss%3D1%3C%2Fscript%3E",
    "\\u003cscript\\u003ewindow.__xss=1\\u003c/script\\u003e",
    "＜script＞window.__xss=1＜/script＞",
    "\u202e<script>window.__xss=1</script>",
    "<img src=x onerror=window.__xss=1>\r\nX-Injected: 1",
]

_SQL = [
    "' OR 1=1 --",
    "' OR '1'='1",
    "'; DROP TABLE contributions; --",
    "x'; UPDATE contributions SET status='freigegeben'; --",
    "' UNION SELECT author_secret_hash FROM contributions --",
    "' UNION SELECT NULL, sqlite_version(), NULL --",
    "'||(SELECT author_secret_hash FROM contributions LIMIT 1)||'",
    "'); SELECT pg_sleep(5); --",
    "' AND randomblob(1000000000) --",
    "\\'; DROP TABLE contributions; --",
    "%' OR 1=1 --",
    "'; ATTACH DATABASE '/tmp/bgis-pwned.db' AS pwned; --",
    "'; COPY contributions TO PROGRAM 'touch /tmp/bgis-pwned'; --",
    "'\x00' OR 1=1 --",  # a NUL: refused as a control character in text fields
]

_CQL2 = [
    "status = 'eingereicht'",
    "text LIKE '%' OR status = 'eingereicht'",
    "text = 'x'' OR ''1''=''1'",
    "1=1) OR (status = 'eingereicht'",
    "author_secret_hash IS NOT NULL",
    '"text"" OR 1=1 --" = \'x\'',
    "created_at > 'not a date'",
    "like_count = 'abc'",
    "like_count = 99999999999999999999999999",
    "CASEI(text) LIKE CASEI('%SCRIPT%')",
    "pg_sleep(5) = 1",
    "S_INTERSECTS(geometry, POINT(1e999 0))",
    "text LIKE '%%%%%%%%%%%%%%%%%%%%_%%%%%%%%%%%%%%%%%%%%'",
    "(" * 200 + "text = 'x'" + ")" * 200,
]

PAYLOADS: list[Payload] = (
    [Payload("xss", p) for p in _XSS] + [Payload("sql", p) for p in _SQL] + [Payload("cql2", p) for p in _CQL2]
)

XSS = [p for p in PAYLOADS if p.kind == "xss"]


def _check() -> None:
    texts = [p.text for p in PAYLOADS]
    assert len(set(texts)) == len(texts), "duplicate payloads"
    assert len(texts) >= 50
    for text in texts:
        assert text == text.strip() and 0 < len(text) <= 2000, text
    for p in XSS:
        assert MARKER in p.text or "alert(" in p.text or p.text == "{{7*7}}", p


_check()
