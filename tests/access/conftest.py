"""One live server per store with staff sign-in against a real OpenID provider (tests/oidc/provider.mjs).

GeoPackage: ``python -m commands.serve`` with the Dash UI (the browser test signs in there), roles read from
Keycloak's ``realm_access.roles`` through a role map. PostGIS: gunicorn with two workers (a session made by
one worker is known to the other), roles from the default ``roles`` claim and the default map.
The provider starts after the server, once the server's callback address (its port) is known; the server
reads the provider's discovery document only at the first sign-in.
"""

from __future__ import annotations

import json

import pytest

from tests.access.common import CLIENT_ID, CLIENT_SECRET, OidcProvider, node_for_tests
from tests.conftest import (
    MODERATOR_TOKEN,
    PLANNER_TOKEN,
    LiveServer,
    free_port,
    fresh_postgis_database,
    import_demo_plans,
)

ROLE_MAP = {"stadtplanung": "planner", "moderation": "moderator", "it-admin": "admin"}


@pytest.fixture(scope="session")
def oidc_node() -> str:
    return node_for_tests()


@pytest.fixture(scope="session", params=["geopackage", "postgis"])
def staff_server(request, tmp_path_factory, oidc_node):
    data_dir = tmp_path_factory.mktemp(f"staff-{request.param}")
    if request.param == "geopackage":
        store = str(data_dir / "store.gpkg")
    else:
        store = fresh_postgis_database(request.getfixturevalue("postgis"), "staff")
    import_demo_plans(store, data_dir / "rasters")  # plan layers to write to, and a city extent
    provider_port = free_port()
    env = {
        "BUERGERGIS_MODERATOR_TOKEN": MODERATOR_TOKEN,
        "BUERGERGIS_OIDC_ISSUER": f"http://127.0.0.1:{provider_port}",
        "BUERGERGIS_OIDC_CLIENT_ID": CLIENT_ID,
        "BUERGERGIS_OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "BUERGERGIS_OIDC_SCOPES": "openid profile email roles",
    }
    if request.param == "geopackage":
        env.update(
            {
                "BUERGERGIS_UI": "1",
                "BUERGERGIS_OIDC_ROLES_CLAIM": "realm_access.roles",
                "BUERGERGIS_OIDC_ROLE_MAP": json.dumps(ROLE_MAP),
            }
        )
        server = LiveServer(store, data_dir, extra_env=env)
    else:
        server = LiveServer(store, data_dir, extra_env=env, workers=2)
    server.backend = request.param
    server.planner_token = PLANNER_TOKEN
    try:
        server.provider = OidcProvider(oidc_node, provider_port, f"{server.url}/auth/callback", data_dir)
    except Exception:
        server.stop()
        raise
    yield server
    server.provider.stop()
    server.stop()
