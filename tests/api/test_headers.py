"""Security headers on every answer, and pygeoapi's HTML pages without third-party requests (api/headers.py,
api/pygeoapi_pages.py). The portal page itself is checked in a browser: tests/ui/test_browser_csp.py."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from api.headers import DATA_POLICY, portal_policy, pygeoapi_policy, sha256_source
from api.pygeoapi_pages import BLANK_TILE, LOCAL_COPIES, VENDOR, LocalPages
from tests.conftest import PLANNER_TOKEN

TIMEOUT = 30
#: Every kind of pygeoapi HTML page the portal serves (EDR, STAC, admin are not configured).
HTML_PAGES = (
    "/oapi/?f=html",
    "/oapi/conformance?f=html",
    "/oapi/openapi?f=html",
    "/oapi/openapi?f=html&ui=redoc",
    "/oapi/collections?f=html",
    "/oapi/collections/bp_plan?f=html",
    "/oapi/collections/bp_plan/items?f=html",
    "/oapi/collections/bp_plan/queryables?f=html",
    "/oapi/collections/bp_plan/schema?f=html",
    "/oapi/collections/buildings/tiles?f=html",
    "/oapi/collections/dem?f=html",
    "/oapi/collections/dem/coverage?f=html",
    "/oapi/processes?f=html",
    "/oapi/processes/run-scenario?f=html",
    "/oapi/jobs?f=html",
    "/oapi/TileMatrixSets?f=html",
    "/oapi/TileMatrixSets/WebMercatorQuad?f=html",
    "/oapi/collections/bp_plan/items/no-such-item?f=html",
)


class _Tags(HTMLParser):
    """Every script, stylesheet/icon link and image of a page, and the inline scripts' nonces."""

    def __init__(self):
        super().__init__()
        self.loads: list[tuple[str, str]] = []  # (tag, address)
        self.inline_nonces: list[str | None] = []
        self.integrity: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        address = {"script": attrs.get("src"), "link": attrs.get("href"), "img": attrs.get("src")}.get(tag)
        if tag == "link" and not {"stylesheet", "icon", "shortcut", "preload", "modulepreload"} & set(
            (attrs.get("rel") or "").split()
        ):
            address = None  # rel=alternate/canonical/... are references, not loads
        if address is not None:
            self.loads.append((tag, address))
            if attrs.get("integrity"):
                self.integrity[address] = attrs["integrity"]
        elif tag == "script" and (attrs.get("type") or "text/javascript") in ("text/javascript", "module"):
            self.inline_nonces.append(attrs.get("nonce"))


def _directives(policy: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in (p.strip() for p in policy.split(";")) if part}


def test_every_answer_carries_the_security_headers_and_no_version_banner(api_server):
    for path in (
        "/oapi/?f=json",
        "/oapi/?f=html",
        "/oapi/collections/bp_plan/items?f=json&limit=1",
        "/oapi/collections/buildings/tiles/WebMercatorQuad/16/21144/34589?f=mvt",
        "/oapi/no-such-page",
        "/api/me",
    ):
        r = requests.get(api_server.url + path, timeout=TIMEOUT)
        headers = r.headers
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin", path
        assert headers["X-Frame-Options"] == "DENY", path
        assert "X-Powered-By" not in headers, path
        banner = headers.get("Server", "")
        assert not re.search(r"werkzeug|python|pygeoapi|\d+\.\d+", banner, re.I), (path, banner)
        if r.headers.get("Content-Type", "").startswith(("application/json", "application/geo+json")):
            assert headers["Content-Security-Policy"] == DATA_POLICY, path


@pytest.mark.parametrize("path", HTML_PAGES)
def test_pygeoapi_pages_load_everything_from_the_portal_under_a_nonce_policy(api_server, path):
    r = requests.get(api_server.url + path, timeout=TIMEOUT)
    assert r.headers["Content-Type"].startswith("text/html"), (path, r.status_code)
    policy = _directives(r.headers["Content-Security-Policy"])
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
    scripts = policy["script-src"]
    assert "'unsafe-inline'" not in scripts and "*" not in scripts and "https:" not in scripts
    assert ("'unsafe-eval'" in scripts) == path.startswith("/oapi/collections/dem/coverage")
    nonces = [s[len("'nonce-") : -1] for s in scripts if s.startswith("'nonce-")]
    assert len(nonces) == 1 and len(nonces[0]) >= 16
    tags = _Tags()
    tags.feed(r.text)
    own = urlsplit(api_server.url).netloc
    offsite = [
        (tag, url)
        for tag, url in tags.loads
        if urlsplit(urljoin(api_server.url + path, url)).netloc not in (own, "") and not url.startswith("data:")
    ]
    assert not offsite, offsite
    assert "unpkg.com" not in r.text and "cdn.jsdelivr.net" not in r.text and "cdnjs.cloudflare.com" not in r.text
    assert "tile.openstreetmap.org" not in r.text  # no basemap configured: none requested
    assert all(n == nonces[0] for n in tags.inline_nonces), tags.inline_nonces
    vendored = [url for _, url in tags.loads if "/oapi/vendor/" in url and not url.endswith(".png")]
    assert all(url in tags.integrity for url in vendored), vendored


def test_a_fresh_nonce_for_every_page(api_server):
    seen = {
        _directives(requests.get(f"{api_server.api}/?f=html", timeout=TIMEOUT).headers["Content-Security-Policy"])[
            "script-src"
        ][1]
        for _ in range(3)
    }
    assert len(seen) == 3


def test_the_local_copies_are_the_packages_files_and_are_served(api_server):
    manifest = json.loads((VENDOR / "manifest.json").read_text(encoding="utf-8"))
    for name, entry in manifest["files"].items():
        digest = "sha384-" + base64.b64encode(hashlib.sha384((VENDOR / name).read_bytes()).digest()).decode()
        assert digest == entry["sha384"], f"{name} differs from the copy named in manifest.json"
        assert entry["package"] in manifest["packages"]
    for path in set(LOCAL_COPIES.values()):
        assert path in manifest["files"], path
    r = requests.get(f"{api_server.api}/vendor/leaflet-1.9.4/leaflet.js", timeout=TIMEOUT)
    assert r.status_code == 200 and r.content == (VENDOR / "leaflet-1.9.4" / "leaflet.js").read_bytes()
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    for name in ("manifest.json", "../../api/settings.py", "SOURCE.txt", "leaflet-1.9.4/nope.js"):
        assert requests.get(f"{api_server.api}/vendor/{name}", timeout=TIMEOUT).status_code == 404, name


def test_an_image_address_in_a_value_is_a_link_on_the_item_page_never_an_img(api_server):
    pixel = "https://tracker.example.org/pixel.png"
    auth = {"Content-Type": "application/geo+json", "Authorization": f"Bearer {PLANNER_TOKEN}"}
    feature = {
        "type": "Feature",
        "properties": {"plan_id": "TEST_PLAN", "art": pixel},
        "geometry": {"type": "LineString", "coordinates": [[10.0, 53.67], [10.001, 53.671]]},
    }
    r = requests.post(
        f"{api_server.api}/collections/bp_baugrenze/items", data=json.dumps(feature), headers=auth, timeout=TIMEOUT
    )
    assert r.status_code == 201, r.text[:300]
    location = r.headers["Location"]
    try:
        page = requests.get(location, params={"f": "html"}, timeout=TIMEOUT).text
        tags = _Tags()
        tags.feed(page)
        assert not [url for tag, url in tags.loads if tag == "img" and "tracker" in url], tags.loads
        assert f'<a href="{pixel}"' in page
    finally:
        requests.delete(location, headers=auth, timeout=TIMEOUT)


def test_the_template_copy_has_no_third_party_address_and_a_nonce_on_every_inline_script(tmp_path):
    from pygeoapi.util import TEMPLATESDIR

    pages = LocalPages(tmp_path)
    directory = pages.write(Path(TEMPLATESDIR))
    assert directory.name.startswith("pygeoapi-pages-") and (directory / ".complete").is_file()
    assert pages.write(Path(TEMPLATESDIR)) == directory  # same content, same copy
    for template in directory.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"""<(script|link)\b[^>]*(src|href)=["']https?://""", text), template
        assert not re.search(r"<script(?![^>]*\b(src|nonce)=)[^>]*>", text), template
        assert "<img src=\"{{ val }}\"" not in text, template
    assert len(pages.handler_hashes) == 3  # the items page's search form: onchange, two onclick
    assert pages.handler_hashes == sorted(
        {
            sha256_source("checkSpatialFilter()"),
            sha256_source("submitForm();"),
            sha256_source("document.getElementById('searchForm').reset();"),
        }
    )


def test_policies_name_no_more_than_needed():
    portal = _directives(portal_policy(["'sha256-abc='"], ["https://tiles.example.org"]))
    assert portal["script-src"] == ["'self'", "'unsafe-eval'", "'sha256-abc='"]
    assert portal["img-src"] == ["'self'", "data:", "https://tiles.example.org"]
    assert portal["connect-src"] == ["'self'"] and portal["worker-src"] == ["'self'"]
    assert portal["frame-ancestors"] == ["'none'"] and portal["base-uri"] == ["'self'"]
    pages = _directives(pygeoapi_policy("n0nce", ["'sha256-x='"]))
    assert pages["script-src"] == ["'self'", "'nonce-n0nce'", "'unsafe-hashes'", "'sha256-x='"]
    assert BLANK_TILE.startswith("data:image/png;base64,")


def test_csv_cells_are_text_never_formulas(api_server):
    from api.csv_cells import safe_cell

    assert safe_cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert [safe_cell(v) for v in ("+cmd|' /C calc'!A0", "@SUM(A1)", "-1+2", "\tx")] == [
        "'+cmd|' /C calc'!A0",
        "'@SUM(A1)",
        "'-1+2",
        "'\tx",
    ]
    assert [safe_cell(v) for v in ("-12.5", "+3", "Baugrenze", -4, None)] == ["-12.5", "+3", "Baugrenze", -4, None]
    auth = {"Content-Type": "application/geo+json", "Authorization": f"Bearer {PLANNER_TOKEN}"}
    formula = '=HYPERLINK("https://evil.example.org/","Klick")'
    feature = {
        "type": "Feature",
        "id": "csv-formula-test",
        "properties": {"plan_id": "CSV_TEST", "art": formula},
        "geometry": {"type": "LineString", "coordinates": [[10.0, 53.67], [10.001, 53.671]]},
    }
    r = requests.post(
        f"{api_server.api}/collections/bp_baugrenze/items", data=json.dumps(feature), headers=auth, timeout=TIMEOUT
    )
    assert r.status_code == 201, r.text[:300]
    try:
        csv = requests.get(
            f"{api_server.api}/collections/bp_baugrenze/items",
            params={"f": "csv", "plan_id": "CSV_TEST"},
            timeout=TIMEOUT,
        )
        assert csv.status_code == 200 and csv.headers["Content-Type"].startswith("text/csv")
        import csv as csv_module

        rows = list(csv_module.reader(csv.text.splitlines()))
        cells = [cell for row in rows[1:] for cell in row]
        assert "'" + formula in cells and formula not in cells, rows
    finally:
        requests.delete(r.headers["Location"], headers=auth, timeout=TIMEOUT)
