"""Text answers are compressed (brotli or gzip, as the client asks); binary downloads and small answers are not."""

import gzip
import json

import requests


def test_feature_pages_come_compressed_and_decode_to_the_same_json(api_server):
    url = f"{api_server.api}/collections/bp_baugebiet/items"
    params = {"f": "json", "limit": 500}
    plain = requests.get(url, params=params, headers={"Accept-Encoding": "identity"}, timeout=60)
    packed = requests.get(url, params=params, headers={"Accept-Encoding": "gzip"}, timeout=60, stream=True)
    raw = packed.raw.read(decode_content=False)
    assert plain.headers.get("Content-Encoding") is None
    assert packed.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed.headers["Vary"]
    assert len(raw) < len(plain.content) / 2
    assert _without_time(json.loads(gzip.decompress(raw))) == _without_time(plain.json())
    brotli = requests.get(url, params=params, headers={"Accept-Encoding": "br"}, timeout=60)
    assert brotli.headers["Content-Encoding"] == "br" and _without_time(brotli.json()) == _without_time(plain.json())


def _without_time(page: dict) -> dict:
    return {k: v for k, v in page.items() if k != "timeStamp"}


def test_the_landing_page_and_the_openapi_document_too(api_server):
    for path in ("/oapi/?f=json", "/oapi/openapi?f=json"):
        r = requests.get(f"{api_server.url}{path}", headers={"Accept-Encoding": "gzip"}, timeout=60)
        assert r.status_code == 200 and r.headers.get("Content-Encoding") == "gzip", path
