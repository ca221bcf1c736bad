"""Fuzzing the served OpenAPI document with schemathesis: ≥ 2000 generated GET and ≥ 2000 write requests, no 5xx.

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

The write operations of the same document (``POST``/``PUT``/``DELETE`` of collection items,
``/processes/*/execution``, ``DELETE /jobs/{jobId}``) are fuzzed the same way, on a store of
their own (so no deletion can take away what the GET test reads), each request sent as one
of four roles in turn: the planner (bearer token), a moderator (bearer token), a citizen
without anything and a citizen who sends an author secret (``X-Contribution-Secret``; some
contributions of theirs exist). So that bodies can get past the first check, the document is
given local detail it lacks: a GeoJSON Feature schema where it has none (on PostGIS pygeoapi
serves ``{}``: the properties are then the collection's queryables), GeoJSON geometry schemas
(of the collection's geometry type, coordinates within the data's extent) instead of
pygeoapi's ``{"type": "object"}``, ids that exist as choices for ``featureId`` and the id
properties, the contribution vocabularies, and execute requests built from each process's
description (pygeoapi refers to the remote OGC ``execute.yaml``). A general participation
phase is open, so citizens' comments can be accepted, and a planning variant is stored, so
the scenario collections have rows. The test fails on any 5xx, on fewer than 2000 write
requests, and when no POST, PUT or DELETE succeeded at all (bodies or tokens that never get
past the checks would test little). Every 5xx goes to ``test-artifacts/fuzz-writes-<store>.json``
with method, URL, role and body, beside the counts by method, role, content type and operation.

``BUERGERGIS_FUZZ_SCALE=4`` (or more) generates that many times the examples in both tests,
for a deeper search than the regular run.

Run with ``./dev heavy``.
"""

from __future__ import annotations

import copy
import json
import math
import os
import re
import time

import pytest
import requests

from tests.conftest import ARTIFACTS, MODERATOR_TOKEN, PLANNER_TOKEN, LiveServer, store_with_demo_plans

pytestmark = pytest.mark.heavy

MIN_REQUESTS = 2000
MIN_WRITE_REQUESTS = 2000
#: More examples per operation for a deeper search (``BUERGERGIS_FUZZ_SCALE=4``); the minimums stay.
SCALE = max(1.0, float(os.environ.get("BUERGERGIS_FUZZ_SCALE") or 1))
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")

#: A citizen's author secret (22-128 characters of A-Z a-z 0-9 _ -).
AUTHOR_SECRET = "fuzz-author-secret-0123456789"
#: Who sends a write request, in turn: the headers each role adds.
ROLES = {
    "planner": {"Authorization": f"Bearer {PLANNER_TOKEN}"},
    "moderator": {"Authorization": f"Bearer {MODERATOR_TOKEN}"},
    "citizen": {},
    "author": {"X-Contribution-Secret": AUTHOR_SECRET},
}

#: Local stand-ins for the parameters pygeoapi takes from the OGC API schemas.
OGC_PARAMETERS = {
    "datetime": {"name": "datetime", "in": "query", "required": False, "schema": {"type": "string"}},
    "featureId": {"name": "featureId", "in": "path", "required": True, "schema": {"type": "string"}},
    "sortby": {"name": "sortby", "in": "query", "required": False, "schema": {"type": "string"}},
    "subset": {"name": "subset", "in": "query", "required": False, "schema": {"type": "string"}},
    "tileMatrixSetId": {
        "name": "tileMatrixSetId",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "enum": ["WebMercatorQuad", "WorldCRS84Quad"]},
    },
    "tileMatrix": {"name": "tileMatrix", "in": "path", "required": True, "schema": {"type": "string"}},
    "tileRow": {"name": "tileRow", "in": "path", "required": True, "schema": {"type": "integer"}},
    "tileCol": {"name": "tileCol", "in": "path", "required": True, "schema": {"type": "integer"}},
}


def generation_modes() -> tuple:
    """Requests that fit the document (positive) and requests that break it (negative)."""
    import schemathesis

    return schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE


def send_generated(operations, per_operation: int, send) -> list[str]:
    """``send(operation, mode, case)`` for ``per_operation`` deterministic cases of each operation and mode.

    Returns the operations and modes no case exists for (e.g. no negative case of an operation
    without parameters).
    """
    from hypothesis import HealthCheck, given, settings
    from hypothesis.errors import Unsatisfiable

    not_generated = []
    for operation in operations:
        for mode in generation_modes():

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=per_operation,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
                print_blob=False,
            )
            def probe(case, operation=operation, mode=mode):  # bound now: the loop moves on
                send(operation, mode, case)

            try:
                probe()
            except Unsatisfiable:
                not_generated.append(f"{operation.method.upper()} {operation.path} ({mode.value})")
    return not_generated


def localise(document: dict) -> dict:
    """The OpenAPI document with every remote ``$ref`` replaced by a local equivalent."""

    def fix(node):
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and not ref.startswith("#"):
                name = ref.rstrip("/").rsplit("/", 1)[-1].removesuffix(".yaml").removesuffix(".json")
                if "/parameters/" in ref or name == "sortby":
                    return copy.deepcopy(
                        OGC_PARAMETERS.get(
                            name, {"name": name, "in": "query", "required": False, "schema": {"type": "string"}}
                        )
                    )
                if "/responses/" in ref:
                    return {"description": name}
                return {"type": "object"}
            return {key: fix(value) for key, value in node.items()}
        if isinstance(node, list):
            return [fix(value) for value in node]
        return node

    return fix(document)


def _fuzz_store(request, tmp_path) -> str:
    """A fresh store (its own file or database) with the demo plans and a small synthetic city."""
    from benchmarks.generate import generate

    url = store_with_demo_plans(request, tmp_path)
    generate(url, buildings=2000, plans=20, contributions=200, parcels=200, log=lambda *a: None)
    return url


@pytest.fixture(params=["geopackage", "postgis"])
def fuzz_server(request, tmp_path):
    server = LiveServer(_fuzz_store(request, tmp_path), tmp_path, extra_env={"BUERGERGIS_UI": "0"})
    server.backend = request.param
    yield server
    server.stop()


@pytest.fixture(params=["geopackage", "postgis"])
def write_fuzz_server(request, tmp_path):
    """A server over a store of its own: the writes may delete anything in it."""
    server = LiveServer(
        _fuzz_store(request, tmp_path),
        tmp_path,
        extra_env={"BUERGERGIS_UI": "0", "BUERGERGIS_MODERATOR_TOKEN": MODERATOR_TOKEN},
    )
    server.backend = request.param
    yield server
    server.stop()


def test_generated_get_requests_never_get_a_server_error(fuzz_server):
    import schemathesis

    base = fuzz_server.api
    document = requests.get(f"{base}/openapi", params={"f": "json"}, timeout=60).json()
    schema = schemathesis.openapi.from_dict(localise(document))
    results = list(schema.get_all_operations())
    broken = [str(r.err())[:200] for r in results if type(r).__name__ != "Ok"]
    assert not broken, f"operations schemathesis cannot read: {broken[:3]}"
    operations = [r.ok() for r in results if r.ok().method.upper() == "GET"]
    per_operation = math.ceil(MIN_REQUESTS * 1.25 * SCALE / (len(operations) * len(generation_modes())))

    session = requests.Session()
    sent, statuses, server_errors = [0], {}, []
    started = time.perf_counter()

    def send(operation, mode, case):
        response = case.call(base_url=base, session=session, timeout=120)
        sent[0] += 1
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        if response.status_code >= 500:
            server_errors.append(
                {
                    "operation": operation.path,
                    "mode": mode.value,
                    "url": response.request.url,
                    "status": response.status_code,
                    "body": response.text[:300],
                }
            )

    not_generated = send_generated(operations, per_operation, send)

    figures = {
        "store": fuzz_server.backend,
        "operations": len(operations),
        "requests": sent[0],
        "seconds": round(time.perf_counter() - started),
        "statuses": statuses,
        "server_errors": len(server_errors),
        "not_generated": not_generated,
        "examples": server_errors[:50],
    }
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"fuzz-{fuzz_server.backend}.json").write_text(
        json.dumps(figures, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    assert sent[0] >= MIN_REQUESTS, figures
    kinds = sorted({(e["operation"], e["status"]) for e in server_errors})
    assert not server_errors, (
        f"{len(server_errors)} of {sent[0]} requests got a 5xx, on "
        f"{kinds[:10]}; e.g. {[e['url'] for e in server_errors[:5]]}"
    )


# -- writes ------------------------------------------------------------------------------------------


def geometry_schema(geometry_type: str, bbox: list[float]) -> dict:
    """A local JSON schema of GeoJSON geometries a collection accepts, coordinates within ``bbox`` (CRS84)."""
    from intake.geometry import ACCEPTED_TYPES

    minx, miny, maxx, maxy = bbox
    position = {
        "type": "array",
        "minItems": 2,
        "maxItems": 2,
        "items": [
            {"type": "number", "minimum": minx, "maximum": maxx},
            {"type": "number", "minimum": miny, "maximum": maxy},
        ],
    }
    line = {"type": "array", "minItems": 2, "maxItems": 5, "items": position}
    ring = {"type": "array", "minItems": 4, "maxItems": 6, "items": position}
    polygon = {"type": "array", "minItems": 1, "maxItems": 2, "items": ring}
    coordinates = {
        "Point": position,
        "LineString": line,
        "Polygon": polygon,
        "MultiPoint": {"type": "array", "minItems": 1, "maxItems": 3, "items": position},
        "MultiLineString": {"type": "array", "minItems": 1, "maxItems": 2, "items": line},
        "MultiPolygon": {"type": "array", "minItems": 1, "maxItems": 2, "items": polygon},
    }
    # one valid geometry of each accepted type near the extent's centre, so some writes can succeed
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    d = min(maxx - minx, maxy - miny) / 50
    square = [[cx, cy], [cx + d, cy], [cx + d, cy + d], [cx, cy + d], [cx, cy]]
    valid = {
        "Point": [cx, cy],
        "LineString": square[:3],
        "Polygon": [square],
        "MultiPoint": square[:2],
        "MultiLineString": [square[:3]],
        "MultiPolygon": [[square]],
    }
    accepted = sorted(ACCEPTED_TYPES.get(geometry_type.upper(), ACCEPTED_TYPES["GEOMETRY"]))
    return {
        "anyOf": [
            {"enum": [{"type": kind, "coordinates": valid[kind]} for kind in accepted]},
            *(
                {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["type", "coordinates"],
                    "properties": {"type": {"type": "string", "enum": [kind]}, "coordinates": coordinates[kind]},
                }
                for kind in accepted
            ),
        ]
    }


def _one_of_or_any(choices: list, schema: dict | None = None) -> dict:
    """Known values as choices, anything of the schema beside them."""
    schema = schema or {"type": "string"}
    return {"anyOf": [{"enum": sorted(set(choices))}, schema]} if choices else schema


def _data_bbox(base: str) -> list[float]:
    """The CRS84 extent of the plans (demo plans and synthetic city): contributions must lie near them."""
    collection = requests.get(f"{base}/collections/bp_plan", params={"f": "json"}, timeout=60).json()
    return collection["extent"]["spatial"]["bbox"][0][:4]


def _known_ids(base: str, collections: list[str], per_collection: int = 8) -> dict[str, list[str]]:
    """A few ids that exist in each collection (planners see every contribution)."""
    found = {}
    for collection in collections:
        r = requests.get(
            f"{base}/collections/{collection}/items",
            params={"f": "json", "limit": per_collection},
            headers=ROLES["planner"],
            timeout=60,
        )
        found[collection] = [str(f["id"]) for f in r.json().get("features", [])] if r.ok else []
    return found


def writable(document: dict, base: str, known: dict[str, list[str]], bbox: list[float]) -> dict:
    """The localised document, with the local detail that lets generated write bodies mean something."""
    from participation.model import CATEGORIES
    from providers.contributions import KINDS, STATUSES, TARGET_COLLECTIONS
    from scenarios.model import shipped_scenarios

    document = localise(document)
    scenario_ids = ["baseline", *shipped_scenarios(), *known.get("scenarios", [])]
    plan_ids = known.get("bp_plan", [])
    target_ids = [i for c in TARGET_COLLECTIONS for i in known.get(c, [])]
    contribution_ids = known.get("contributions", [])
    id_hints = {
        "plan_id": plan_ids,
        "target_id": target_ids,
        "parent_id": contribution_ids,
        "scenario_id": scenario_ids,
        "building_id": known.get("buildings", []),
    }
    contribution_hints = {
        "kind": {"type": "string", "enum": list(KINDS)},
        "category": {"type": "string", "enum": list(CATEGORIES)},
        "status": {"type": "string", "enum": sorted({s for v in STATUSES.values() for s in v})},
        "target_collection": {"type": "string", "enum": list(TARGET_COLLECTIONS)},
    }

    def local_feature_schema(collection: str) -> dict:
        """A GeoJSON Feature of the collection: properties as its queryables, geometry type from the catalogue."""
        from schema.catalog import LAYERS

        queryables = (
            requests.get(f"{base}/collections/{collection}/queryables", params={"f": "json"}, timeout=60)
            .json()
            .get("properties", {})
        )
        properties = {
            name: {"type": spec["type"]}
            for name, spec in queryables.items()
            if spec.get("type") in ("string", "integer", "number", "boolean") and name != "id"
        }
        layer = LAYERS.get(collection)
        kind = (layer.geometry_type if layer else None) or "GEOMETRY"
        return {
            "type": "object",
            "required": ["type", "geometry", "properties"],
            "properties": {
                "type": {"type": "string", "enum": ["Feature"]},
                "id": {"type": "string"},
                "geometry": {"type": "object", "description": f"GeoJSON geometry, {kind}"},
                "properties": {"type": "object", "properties": properties, "additionalProperties": False},
            },
        }

    def feature_schema(collection: str, given: dict | None, replacing: bool) -> dict:
        # pygeoapi's document has a feature schema where the provider gives one (GeoPackage), else {} (PostGIS)
        schema = copy.deepcopy(given) if given and given.get("properties") else local_feature_schema(collection)
        geometry = schema["properties"].get("geometry") or {}
        found = re.search(r"GeoJSON geometry, (\w+)", geometry.get("description", ""))
        schema["properties"]["geometry"] = geometry_schema(found[1] if found else "GEOMETRY", bbox)
        if replacing:  # PUT takes the id from the URL; another one in the body is refused
            schema["properties"].pop("id", None)
        props = schema["properties"].get("properties") or {}
        (props.get("properties") or {}).pop("id", None)  # must repeat the feature's id: rather left out
        for name, value in (props.get("properties") or {}).items():
            if collection == "contributions" and name in contribution_hints:
                props["properties"][name] = contribution_hints[name]
            elif name in id_hints and value.get("type", "string") == "string":
                props["properties"][name] = _one_of_or_any(id_hints[name], value)
        if collection == "contributions":
            props["required"] = ["kind", "text"]
        return schema

    def execute_schema(process: str) -> dict:
        description = requests.get(f"{base}/processes/{process}", params={"f": "json"}, timeout=60).json()
        inputs, required = {}, []
        for name, spec in (description.get("inputs") or {}).items():
            schema = localise(copy.deepcopy(spec.get("schema") or {}))
            if schema.get("contentMediaType") == "application/geo+json" or name == "geometry":
                schema = geometry_schema("MULTIPOLYGON", bbox)
            elif name == "scenario":  # a known id (positive cases); anything else in the negative ones
                schema = {"enum": scenario_ids}
            elif name == "compare_to":
                schema = {"anyOf": [{"enum": [*scenario_ids, "none"]}, schema]}
            elif schema.get("examples"):
                schema = {"anyOf": [{"enum": schema.pop("examples")}, schema]}
            inputs[name] = schema
            if spec.get("minOccurs", 1) >= 1:
                required.append(name)
        # OGC execute.yaml, locally; without 'subscriber': callbacks are refused (api/compat.py)
        return {
            "type": "object",
            "required": ["inputs"],
            "properties": {
                "inputs": {"type": "object", "properties": inputs, "required": required},
                "outputs": {"type": "object"},
                "response": {"type": "string", "enum": ["raw", "document"]},
            },
        }

    for path, operations in document["paths"].items():
        items = re.fullmatch(r"/collections/([^/]+)/items(/\{featureId\})?", path)
        process = re.fullmatch(r"/processes/([^/]+)/execution", path)
        for method, operation in operations.items():
            if method.upper() not in WRITE_METHODS or not isinstance(operation, dict):
                continue
            if items:
                collection = items[1]
                for parameter in operation.get("parameters", []):
                    if parameter.get("name") == "featureId" and known.get(collection):
                        # positive cases name existing items; negative cases any other string
                        parameter["schema"] = {"type": "string", "enum": known[collection]}
                if method.upper() in ("POST", "PUT"):
                    body = operation.setdefault("requestBody", {"required": True, "content": {}})
                    content = body.setdefault("content", {})
                    given = (content.get("application/geo+json") or {}).get("schema")
                    content["application/geo+json"] = {
                        "schema": feature_schema(collection, given, replacing=method.upper() == "PUT")
                    }
            elif process:
                operation["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": execute_schema(process[1])}},
                }
    return document


def _setup_writes(base: str, bbox: list[float]) -> list[str]:
    """A stored planning variant (rows in the scenario collections), an open general participation procedure
    and a few contributions of the author (the citizen with a secret); returns their ids."""
    r = requests.post(
        f"{base}/processes/run-scenario/execution",
        headers=ROLES["planner"],
        timeout=300,
        json={"inputs": {"scenario": "langenhorn_nachverdichtung", "store_results": True}},
    )
    assert r.status_code == 200, r.text[:300]
    r = requests.post(
        f"{base.removesuffix('/oapi')}/api/procedures",
        headers=ROLES["planner"],
        json={"title_de": "Fuzzing", "opens_at": "2020-01-01", "closes_at": "2099-01-01"},
        timeout=60,
    )
    assert r.status_code == 201, r.text[:300]
    cx, cy = (bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2
    created = []
    for number, kind in enumerate(("kommentar", "vorschlag", "maengelmeldung", "kommentar")):
        feature = {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [cx, cy]},
            "properties": {"kind": kind, "text": f"Beitrag {number} zum Fuzzing"},
        }
        r = requests.post(
            f"{base}/collections/contributions/items",
            data=json.dumps(feature),
            headers={**ROLES["author"], "Content-Type": "application/geo+json"},
            timeout=60,
        )
        assert r.status_code == 201, r.text[:300]
        created.append(r.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    return created


def test_generated_write_requests_never_get_a_server_error(write_fuzz_server):
    import schemathesis

    base = write_fuzz_server.api
    bbox = _data_bbox(base)
    authored = _setup_writes(base, bbox)
    document = requests.get(f"{base}/openapi", params={"f": "json"}, timeout=60).json()
    collections = sorted(
        {m[1] for path in document["paths"] if (m := re.fullmatch(r"/collections/([^/]+)/items", path))}
    )
    known = _known_ids(base, collections)
    known["contributions"] = [*authored, *known.get("contributions", [])]
    schema = schemathesis.openapi.from_dict(writable(document, base, known, bbox))
    results = list(schema.get_all_operations())
    broken = [str(r.err())[:200] for r in results if type(r).__name__ != "Ok"]
    assert not broken, f"operations schemathesis cannot read: {broken[:3]}"
    # creations and replacements before deletions, so that the ids they may pick still exist
    operations = sorted(
        (r.ok() for r in results if r.ok().method.upper() in WRITE_METHODS),
        key=lambda o: (WRITE_METHODS.index(o.method.upper()), o.path),
    )
    assert any(o.path.endswith("/execution") for o in operations), [o.path for o in operations]
    per_operation = math.ceil(MIN_WRITE_REQUESTS * 1.25 * SCALE / (len(operations) * len(generation_modes())))
    roles = list(ROLES)

    session = requests.Session()
    sent, samples, server_errors = [], {}, []
    started = time.perf_counter()

    def send(operation, mode, case):
        role = roles[len(sent) % len(roles)]
        response = case.call(base_url=base, session=session, headers=ROLES[role], timeout=120)
        method, status = response.request.method, response.status_code
        media = (response.request.headers.get("Content-Type") or "-").split(";")[0]
        sent.append((method, operation.path, role, media, status))
        answers = samples.setdefault(f"{method} {operation.path} {status}", [])
        if len(answers) < 2 and status < 500:  # what the answers say, to judge the generated bodies
            answers.append(f"{role}: {response.text[:160]}")
        if status >= 500:
            body = response.request.body
            if isinstance(body, bytes):
                body = body.decode("utf-8", errors="backslashreplace")
            server_errors.append(
                {
                    "operation": f"{method} {operation.path}",
                    "mode": mode.value,
                    "role": role,
                    "url": response.request.url,
                    "content_type": media,
                    "request_body": (body or "")[:2000],
                    "status": status,
                    "body": response.text[:300],
                }
            )

    not_generated = send_generated(operations, per_operation, send)

    def tally(key) -> dict:
        counts: dict = {}
        for request in sent:
            group = counts.setdefault(key(*request), {})
            group[request[-1]] = group.get(request[-1], 0) + 1
        return {k: dict(sorted(counts[k].items())) for k in sorted(counts)}

    figures = {
        "store": write_fuzz_server.backend,
        "operations": len(operations),
        "requests": len(sent),
        "seconds": round(time.perf_counter() - started),
        "statuses": tally(lambda *r: "all")["all"] if sent else {},
        "by_method_and_role": tally(lambda method, path, role, media, status: f"{method} {role}"),
        "by_method_and_content_type": tally(lambda method, path, role, media, status: f"{method} {media}"),
        "by_operation": tally(lambda method, path, role, media, status: f"{method} {path}"),
        "server_errors": len(server_errors),
        "not_generated": not_generated,
        "answers": {k: samples[k] for k in sorted(samples)},
        "examples": server_errors[:50],
    }
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"fuzz-writes-{write_fuzz_server.backend}.json").write_text(
        json.dumps(figures, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    assert len(sent) >= MIN_WRITE_REQUESTS, {k: figures[k] for k in ("requests", "operations", "not_generated")}
    # the bodies and tokens are good enough to get past the checks: every kind of write succeeded somewhere
    succeeded = {method for method, path, role, media, status in sent if 200 <= status < 300}
    assert succeeded >= {"POST", "PUT", "DELETE"}, figures["by_method_and_role"]
    kinds = sorted({(e["operation"], e["status"]) for e in server_errors})
    assert not server_errors, (
        f"{len(server_errors)} of {len(sent)} write requests got a 5xx, on "
        f"{kinds[:10]}; e.g. {[(e['role'], e['url']) for e in server_errors[:5]]}"
    )
