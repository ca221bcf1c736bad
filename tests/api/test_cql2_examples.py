"""Every example of the CQL2 standard (OGC 21-065: 120 in CQL2 text, 109 in CQL2-JSON) on both stores.

Each either works or is refused with 400 and a reason, never a 500, and the GeoPackage and PostGIS give the
same answer (the same status, the same ids). The examples name the standard's properties (``windSpeed``,
``landsat:scene_id``, ...): sent as they are, to the ``scenarios`` collection, and with each name mapped to a
property of that collection of the same kind (numbers to numbers, texts to texts, times to its time), so
that the comparison, temporal, spatial and function clauses reach the stores' SQL.
Both stores run side by side (one server each), so every answer is compared with the other store's.
"""

from __future__ import annotations

import json
import re

import pytest
import requests

from tests.conftest import SHARED_DATA, LiveServer, fresh_postgis_database, load_demo_copy

EXAMPLES = SHARED_DATA / "cql2-examples"

#: The standard's property names -> properties of ``scenarios`` of the same kind.
PROPERTY_MAP = {
    # numbers
    "value": "grz",
    "floors": "buildings",
    "windSpeed": "gfz",
    "depth": "footprint_m2",
    "balance": "volume_m3",
    "eo:cloud_cover": "sealed_share",
    "vehicle_height": "residents",
    "bridge_clearance": "dwellings",
    "taxes": "floor_area_m2",
    "x": "violations",
    "landsat:wrs_row": "like_count",
    # texts
    "city": "title_de",
    "name": "title_de",
    "cityName": "title_en",
    "owner": "description",
    "road_class": "base",
    "etat_vol": "title_en",
    "eo:instrument": "source",
    "landsat:scene_id": "id",
    "landsat:wrs_path": "source",
    "polarization": "base",
    "beamMode": "source",
    "swathDirection": "base",
    "geophys:SURVEY_NAME": "title_en",
    "category": "source",
    "material": "description",
    "foo": "title_de",
    "bar": "title_en",
    "id": "id",
    # booleans
    "swimming_pool": "synthetic",
    # times
    "updated": "computed_at",
    "updated_at": "computed_at",
    "event_time": "computed_at",
    "touchdown": "computed_at",
    "liftOff": "computed_at",
    "built": "computed_at",
    "starts_at": "computed_at",
    "ends_at": "computed_at",
    # geometries
    "geometry": "geometry",
    "road": "geometry",
    "footprint": "geometry",
    "location": "geometry",
    # arrays
    "layer:ids": "plan_ids",
    "values": "plan_ids",
}

_QUOTED = re.compile(r"('(?:[^']|'')*')")
_NAME = re.compile(r"(?<![\w:])([A-Za-z_][\w:]*)(?![\w(:])")


def mapped_text(text: str) -> str:
    """CQL2 text with the standard's property names replaced (quoted strings and function names left alone)."""
    parts = _QUOTED.split(text)
    for i in range(0, len(parts), 2):
        parts[i] = _NAME.sub(lambda m: PROPERTY_MAP.get(m.group(1), m.group(1)), parts[i])
    return "".join(parts)


def mapped_json(node):
    """CQL2-JSON with every ``{"property": name}`` mapped."""
    if isinstance(node, list):
        return [mapped_json(item) for item in node]
    if isinstance(node, dict):
        if set(node) == {"property"}:
            return {"property": PROPERTY_MAP.get(node["property"], node["property"])}
        return {key: mapped_json(value) for key, value in node.items()}
    return node


def _examples() -> list[tuple[str, str, str]]:
    """(name, language, filter) for every example, as sent and mapped."""
    cases = []
    for path in sorted((EXAMPLES / "text").glob("*.txt")):
        text = path.read_text(encoding="utf-8").strip()
        cases += [
            (f"text/{path.stem}", "cql2-text", text),
            (f"text/{path.stem}~mapped", "cql2-text", mapped_text(text)),
        ]
    for path in sorted((EXAMPLES / "json").glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        cases += [
            (f"json/{path.stem}", "cql2-json", json.dumps(document)),
            (f"json/{path.stem}~mapped", "cql2-json", json.dumps(mapped_json(document))),
        ]
    return cases


@pytest.fixture(scope="module")
def both_stores(tmp_path_factory, postgis):
    """One live server per store over the demo data (plans, buildings, the two stored planning variants)."""
    servers = {}
    try:
        for backend in ("geopackage", "postgis"):
            data_dir = tmp_path_factory.mktemp(f"cql2-{backend}")
            store = str(data_dir / "store.gpkg") if backend == "geopackage" else fresh_postgis_database(postgis)
            load_demo_copy(store, data_dir)
            servers[backend] = LiveServer(store, data_dir, extra_env={"BUERGERGIS_UI": "0"})
        yield servers
    finally:
        for server in servers.values():
            server.stop()


def _answer(server, language: str, text: str) -> tuple[int, object]:
    """(status, sorted ids or the error description), the filter sent by GET as the client would."""
    r = requests.get(
        f"{server.api}/collections/scenarios/items",
        params={"f": "json", "limit": 10000, "filter": text, "filter-lang": language, "skipGeometry": "true"},
        timeout=60,
    )
    if r.status_code == 200:
        return 200, sorted(f["id"] for f in r.json()["features"])
    try:
        return r.status_code, r.json().get("description", "")
    except ValueError:
        return r.status_code, r.text[:300]


def test_every_cql2_example_works_or_is_a_400_with_a_reason_and_both_stores_agree(both_stores):
    cases = _examples()
    assert len([c for c in cases if c[1] == "cql2-text"]) == 2 * 120
    assert len([c for c in cases if c[1] == "cql2-json"]) == 2 * 109  # json/ also holds validate.sh
    problems, answered = [], 0
    for name, language, text in cases:
        answers = {backend: _answer(server, language, text) for backend, server in both_stores.items()}
        for backend, (status, detail) in answers.items():
            if status not in (200, 400):
                problems.append(f"{name} on {backend}: {status} {str(detail)[:200]}")
            elif status == 400 and len(str(detail)) < 12:
                problems.append(f"{name} on {backend}: 400 without a reason ({detail!r})")
        (gs, gd), (ps, pd) = answers["geopackage"], answers["postgis"]
        if gs != ps or (gs == 200 and gd != pd):
            problems.append(f"{name}: GeoPackage {gs} {str(gd)[:120]} vs PostGIS {ps} {str(pd)[:120]}")
        answered += gs == 200
    assert not problems, f"{len(problems)} of {len(cases)}:\n" + "\n".join(problems)
    assert answered >= 60, answered  # the mapped examples mostly reach the stores
