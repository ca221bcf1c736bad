"""GET /oapi/ : landing page in JSON and HTML, links to the building blocks."""

import requests


def test_landing_json(api_server):
    r = requests.get(f"{api_server.api}/", params={"f": "json"}, timeout=10)
    assert r.status_code == 200
    body = r.json()
    rels = {link["rel"] for link in body["links"]}
    assert {"service-desc", "conformance", "data"} <= rels
    assert "Bürger-GIS" in body["title"]


def test_landing_html_german_and_english(api_server):
    de = requests.get(f"{api_server.api}/", params={"f": "html", "lang": "de"}, timeout=10)
    en = requests.get(f"{api_server.api}/", params={"f": "html", "lang": "en"}, timeout=10)
    assert de.ok and en.ok
    # requests assumes ISO-8859-1 for text/html without a charset header; the page declares UTF-8
    assert '<meta charset="utf-8">' in de.text
    assert "Bebauungspläne und Stadtmodell" in de.content.decode("utf-8")
    assert "zoning plans and city model" in en.content.decode("utf-8")


def test_openapi_document(api_server):
    r = requests.get(f"{api_server.api}/openapi", params={"f": "json"}, timeout=30)
    assert r.ok
    doc = r.json()
    assert doc["openapi"].startswith("3.0")
    assert "/collections/bp_baugebiet/items" in doc["paths"]
