"""The OpenAPI document is kept between starts only while what it is made of is the same (api/openapi_document.py).

The key: the runtime config as pygeoapi reads it, the pygeoapi version, the server's code, the columns of the
store's collection tables and the other files providers read. Each test changes one of them. The document itself
is made in a subprocess (pygeoapi's providers change process-wide state when they load).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

import pytest

from api import openapi_document
from api.config import runtime_config
from api.openapi_document import code_fingerprint, document_key
from settings import Settings
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> str:
    from store.base import open_store

    path = tmp_path_factory.mktemp("openapi-key") / "store.gpkg"
    with open_store(str(path)) as created:
        created.create_schema()
    return str(path)


@pytest.fixture
def settings(store, tmp_path) -> Settings:
    return Settings(store=store, data_dir=tmp_path)


def test_the_same_inputs_give_the_same_key(settings):
    config = runtime_config(settings)
    assert document_key(config, settings) == document_key(runtime_config(settings), settings)
    assert len(document_key(config, settings)) == 64


def test_the_config_is_in_the_key(settings):
    config = runtime_config(settings)
    key = document_key(config, settings)
    config["server"]["url"] = "https://beteiligung.kommune.de/oapi"
    assert document_key(config, settings) != key
    config = runtime_config(settings)
    config["resources"]["bp_plan"]["title"]["de"] = "Bebauungspläne der Stadt"
    assert document_key(config, settings) != key
    config = runtime_config(settings)
    del config["resources"]["run-scenario"]
    assert document_key(config, settings) != key


def test_pygeoapi_version_and_our_code_are_in_the_key(settings, monkeypatch):
    import pygeoapi

    config = runtime_config(settings)
    key = document_key(config, settings)
    monkeypatch.setattr(pygeoapi, "__version__", "0.25.0")
    assert document_key(config, settings) != key
    monkeypatch.undo()
    monkeypatch.setattr(openapi_document, "code_fingerprint", lambda: "other code")
    assert document_key(config, settings) != key


def test_the_code_fingerprint_follows_every_module_of_the_server(tmp_path):
    (tmp_path / "providers").mkdir()
    module = tmp_path / "providers" / "fields.py"
    module.write_text("FIELDS = ['id']\n", encoding="utf-8")
    before = code_fingerprint(tmp_path)
    assert code_fingerprint(tmp_path) == before
    module.write_text("FIELDS = ['id', 'name']\n", encoding="utf-8")
    changed = code_fingerprint(tmp_path)
    assert changed != before
    (tmp_path / "ui").mkdir()  # the UI does not shape the API's document
    (tmp_path / "ui" / "map.py").write_text("ZOOM = 15\n", encoding="utf-8")
    assert code_fingerprint(tmp_path) == changed
    assert len(code_fingerprint()) == 64  # the repository's own


def test_a_new_column_in_the_store_changes_the_key(settings, tmp_path):
    copy = tmp_path / "copy.gpkg"
    with sqlite3.connect(settings.store) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    settings = Settings(store=str(copy), data_dir=tmp_path)
    config = runtime_config(settings)
    key = document_key(config, settings)
    with sqlite3.connect(copy) as conn:
        conn.execute("ALTER TABLE bp_plan ADD COLUMN traeger TEXT")
    assert document_key(config, settings) != key


def test_another_dem_file_changes_the_key(settings, tmp_path):
    dem = tmp_path / "dem.tif"
    dem.write_bytes(b"one")
    config = runtime_config(settings)
    config["resources"]["dem"]["providers"][0]["data"] = str(dem)
    key = document_key(config, settings)
    dem.write_bytes(b"another DEM")
    assert document_key(config, settings) != key


def test_pygeoapi_reads_the_same_config_with_libyaml(settings, monkeypatch):
    import yaml
    from pygeoapi import util

    from api import compat
    from api.config import write_runtime_config

    monkeypatch.setenv("BUERGERGIS_STORE", settings.store)
    monkeypatch.setenv("BUERGERGIS_PORT", "8123")
    monkeypatch.setenv("PYGEOAPI_CONFIG", "")  # restored afterwards: write_runtime_config sets both
    monkeypatch.setenv("PYGEOAPI_OPENAPI", "")
    monkeypatch.setattr(util, "yaml", yaml)  # PyYAML's pure-Python loader first; restored afterwards
    path = write_runtime_config(settings)
    with open(path, encoding="utf-8") as fh:
        pure = util.yaml_load(fh)
    compat.yaml_with_libyaml()
    assert util.yaml.SafeLoader.__name__ == "CSafeLoader"
    with open(path, encoding="utf-8") as fh:
        fast = util.yaml_load(fh)
    assert fast == pure
    assert fast["server"]["bind"]["port"] == 8123  # placeholders filled and typed as before
    assert fast["resources"]["bp_plan"]["providers"][0]["data"] == settings.store


MAKE_DOCUMENTS = """
import json, os, sys
from pathlib import Path
from settings import Settings
from api.wsgi import prepare
from api.openapi_document import stored_key, write_openapi_document
from pygeoapi.openapi import validate_openapi_document
from pygeoapi.util import yaml_load

store, data_dir = sys.argv[1:3]
results = []
for url in ("http://127.0.0.1:8123", "http://127.0.0.1:8123", "https://beteiligung.kommune.de"):
    settings = prepare(Settings(store=store, data_dir=data_dir, public_url=url))
    path = Path(os.environ["PYGEOAPI_OPENAPI"])
    with open(path, encoding="utf-8") as fh:
        document = yaml_load(fh)
    if not results:
        validate_openapi_document(document)  # the OpenAPI 3.0 schema (0.5 s; the later ones are the same code)
    again = write_openapi_document(Path(os.environ["PYGEOAPI_CONFIG"]), path, settings)
    results.append({"key": stored_key(path), "again": again, "server": document["servers"][0]["url"],
                    "security": sorted(document["components"]["securitySchemes"]), "mtime": path.stat().st_mtime_ns})
print(json.dumps(results))
"""


def test_an_unchanged_config_keeps_the_document_and_a_changed_one_makes_it_anew(store, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BUERGERGIS_", "PYGEOAPI_"))}
    done = subprocess.run(
        [sys.executable, "-c", MAKE_DOCUMENTS, store, str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    first, second, moved = json.loads(done.stdout.strip().splitlines()[-1])
    assert first["server"] == "http://127.0.0.1:8123/oapi"
    assert first["again"] is False  # the same inputs: the document is kept
    assert first["security"] == ["bearerToken", "contributionSecret", "staffSession"]
    assert (second["key"], second["mtime"]) == (first["key"], first["mtime"])  # the next start did not write it
    assert moved["server"] == "https://beteiligung.kommune.de/oapi"  # a changed config: made anew
    assert moved["key"] != first["key"]
    assert moved["security"] == first["security"]
