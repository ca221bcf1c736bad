"""Fuzzing the served OpenAPI document with schemathesis: ≥ 2000 generated GET requests, no 5xx.

For every GET operation of ``/oapi/openapi`` schemathesis generates requests that fit
the document (positive) and requests that break it (negative: wrong types, missing or
extra parameters), deterministically (``derandomize``). Every answer must be below 500;
the test collects all 5xx with their URLs (``test-artifacts/fuzz-<store>.json``) instead of
stopping at the first, so one run shows every fault. On both stores, over the demo plans
and a small synthetic city.

pygeoapi's document refers to OGC schemas on schemas.opengis.net, which this test does
not download: those references are replaced by local equivalents (the OGC parameters
``featureId``, ``datetime``, ``sortby``, the tile matrix parameters; responses as
plain descriptions: only the status code is checked).

Run with ``./dev heavy``.
"""

from __future__ import annotations

import copy
import json
import math
import time

import pytest
import requests

from tests.conftest import ARTIFACTS, LiveServer, store_with_demo_plans

pytestmark = pytest.mark.heavy

MIN_REQUESTS = 2000

#: Local stand-ins for the parameters pygeoapi takes from the OGC API schemas.
OGC_PARAMETERS = {
    "datetime": {"name": "datetime", "in": "query", "required": False, "schema": {"type": "string"}},
    "featureId": {"name": "featureId", "in": "path", "required": True, "schema": {"type": "string"}},
    "sortby": {"name": "sortby", "in": "query", "required": False, "schema": {"type": "string"}},
    "subset": {"name": "subset", "in": "query", "required": False, "schema": {"type": "string"}},
    "tileMatrixSetId": {"name": "tileMatrixSetId", "in": "path", "required": True,
                        "schema": {"type": "string", "enum": ["WebMercatorQuad", "WorldCRS84Quad"]}},
    "tileMatrix": {"name": "tileMatrix", "in": "path", "required": True, "schema": {"type": "string"}},
    "tileRow": {"name": "tileRow", "in": "path", "required": True, "schema": {"type": "integer"}},
    "tileCol": {"name": "tileCol", "in": "path", "required": True, "schema": {"type": "integer"}},
}


def localise(document: dict) -> dict:
    """The OpenAPI document with every remote ``$ref`` replaced by a local equivalent."""

    def fix(node):
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and not ref.startswith("#"):
                name = ref.rstrip("/").rsplit("/", 1)[-1].removesuffix(".yaml").removesuffix(".json")
                if "/parameters/" in ref or name == "sortby":
                    return copy.deepcopy(OGC_PARAMETERS.get(
                        name, {"name": name, "in": "query", "required": False, "schema": {"type": "string"}}))
                if "/responses/" in ref:
                    return {"description": name}
                return {"type": "object"}
            return {key: fix(value) for key, value in node.items()}
        if isinstance(node, list):
            return [fix(value) for value in node]
        return node

    return fix(document)


@pytest.fixture(params=["geopackage", "postgis"])
def fuzz_server(request, tmp_path):
    from benchmarks.generate import generate

    url = store_with_demo_plans(request, tmp_path)
    generate(url, buildings=2000, plans=20, contributions=200, parcels=200, log=lambda *a: None)
    server = LiveServer(url, tmp_path, extra_env={"BUERGERGIS_UI": "0"})
    server.backend = request.param
    yield server
    server.stop()


def test_generated_get_requests_never_get_a_server_error(fuzz_server):
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from hypothesis.errors import Unsatisfiable

    base = fuzz_server.api
    document = requests.get(f"{base}/openapi", params={"f": "json"}, timeout=60).json()
    schema = schemathesis.openapi.from_dict(localise(document))
    results = list(schema.get_all_operations())
    broken = [str(r.err())[:200] for r in results if type(r).__name__ != "Ok"]
    assert not broken, f"operations schemathesis cannot read: {broken[:3]}"
    operations = [r.ok() for r in results if r.ok().method.upper() == "GET"]
    modes = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)
    per_operation = math.ceil(MIN_REQUESTS * 1.25 / (len(operations) * len(modes)))

    session = requests.Session()
    sent, statuses, server_errors, not_generated = [0], {}, [], []
    started = time.perf_counter()
    for operation in operations:
        for mode in modes:
            @given(operation.as_strategy(generation_mode=mode))
            @settings(max_examples=per_operation, deadline=None, database=None, derandomize=True,
                      suppress_health_check=list(HealthCheck), print_blob=False)
            def probe(case):
                response = case.call(base_url=base, session=session, timeout=120)
                sent[0] += 1
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                if response.status_code >= 500:
                    server_errors.append({"operation": operation.path, "mode": mode.value,
                                          "url": response.request.url, "status": response.status_code,
                                          "body": response.text[:300]})

            try:
                probe()
            except Unsatisfiable:  # e.g. no negative case exists for an operation without parameters
                not_generated.append(f"{operation.path} ({mode.value})")

    figures = {"store": fuzz_server.backend, "operations": len(operations), "requests": sent[0],
               "seconds": round(time.perf_counter() - started), "statuses": statuses,
               "server_errors": len(server_errors), "not_generated": not_generated,
               "examples": server_errors[:50]}
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"fuzz-{fuzz_server.backend}.json").write_text(json.dumps(figures, indent=2, ensure_ascii=False),
                                                                 encoding="utf-8")
    assert sent[0] >= MIN_REQUESTS, figures
    kinds = sorted({(e["operation"], e["status"]) for e in server_errors})
    assert not server_errors, (f"{len(server_errors)} of {sent[0]} requests got a 5xx, on "
                               f"{kinds[:10]}; e.g. {[e['url'] for e in server_errors[:5]]}")
