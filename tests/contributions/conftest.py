"""A live server per store (GeoPackage, PostGIS) with a moderator token and participation procedures.

Procedures set up through the API as a planner: general contributions open, plan
``open`` open, plan ``closed`` closed since yesterday, plan ``upcoming`` opening
tomorrow. ``server.plans`` names the plan ids, ``server.zone`` a
Baugebietsteilfläche of the open plan.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests

from tests.conftest import LiveServer, fresh_postgis_database, import_demo_plans
from tests.contributions.common import MODERATOR_TOKEN, PLANNER, TIMEOUT


def _iso(delta_days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=delta_days)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="session", params=["geopackage", "postgis"])
def contrib_server(request, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp(f"contributions-{request.param}")
    if request.param == "geopackage":
        store = str(data_dir / "store.gpkg")
    else:
        store = fresh_postgis_database(request.getfixturevalue("postgis"), "contributions")
    import_demo_plans(store, data_dir / "rasters")  # no buildings: not needed here, and faster
    server = LiveServer(
        store, data_dir, extra_env={"BUERGERGIS_UI": "0", "BUERGERGIS_MODERATOR_TOKEN": MODERATOR_TOKEN}
    )
    server.backend = request.param
    try:
        plans = requests.get(
            f"{server.api}/collections/bp_plan/items", params={"f": "json", "limit": 100}, timeout=TIMEOUT
        ).json()["features"]
        zones = requests.get(
            f"{server.api}/collections/bp_baugebiet/items",
            params={"f": "json", "limit": 1000, "skipGeometry": "true"},
            timeout=TIMEOUT,
        ).json()["features"]
        zone = sorted(zones, key=lambda z: z["id"])[0]
        others = sorted(p["id"] for p in plans if p["id"] != zone["properties"]["plan_id"])
        server.plans = {"open": zone["properties"]["plan_id"], "closed": others[0], "upcoming": others[1]}
        server.zone = zone["id"]
        server.procedures = {}
        for name, body in (
            ("general", {"title_de": "Allgemeine Beiträge (Test)", "opens_at": _iso(-1), "closes_at": _iso(30)}),
            ("open", {"plan_ids": [server.plans["open"]], "opens_at": _iso(-1), "closes_at": _iso(30)}),
            ("closed", {"plan_ids": [server.plans["closed"]], "opens_at": _iso(-30), "closes_at": _iso(-1)}),
            ("upcoming", {"plan_ids": [server.plans["upcoming"]], "opens_at": _iso(1), "closes_at": _iso(30)}),
        ):
            body = {"kind": "informell", "title_de": f"Testverfahren {name}", **body}
            r = requests.post(f"{server.url}/api/procedures", json=body, headers=PLANNER, timeout=TIMEOUT)
            assert r.status_code == 201, r.text
            server.procedures[name] = r.json()["id"]
        yield server
    finally:
        server.stop()
