"""pygeoapi's OpenAPI document, generated at start-up and kept while what it is made of stays the same.

pygeoapi serves ``/openapi`` from a file (``PYGEOAPI_OPENAPI``) that must exist before ``pygeoapi.flask_app``
is imported. Making it cost every start about two seconds of CPU: pygeoapi loads each collection's provider
(reading the store's columns) to list fields and queryables, and the 400 kB document went through pure-Python
YAML four times. Now:

* it is made as a dict (pygeoapi's ``get_oas``, our security schemes: ``api.standards.add_security``) and
  written once with libyaml (``CSafeDumper``), in the same key order as before (pygeoapi sorts the keys, the
  security schemes come after);
* its first line is a comment with the **key** of what it was made from; a start whose key is the same keeps
  the file. The key is a SHA-256 over

  - the runtime config as pygeoapi reads it (``${BUERGERGIS_*}`` filled in from the environment): public
    URL, store, extents, titles, collections, processes;
  - the pygeoapi version;
  - the server's own code (every module of the packages below ``ui/``: providers' fields, process
    descriptions, the security schemes, this module);
  - the columns of the store's tables that are collections (the providers list them as fields and
    queryables), read from the GeoPackage's ``sqlite_master`` or PostgreSQL's ``information_schema``;
  - size and modification time of the other local files a provider reads (the DEM: its bands are the
    coverage's range).

  A change to any of them makes a new document at the next start, as before; a document that cannot be read
  (or has no key, as those written before) is made anew.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import yaml

from api.config import SAFE_DUMPER
from settings import ROOT, Settings

#: First line of the document: a YAML comment, which pygeoapi's loader skips.
KEY_PREFIX = "# buergergis-openapi-key: "

#: Packages whose code shapes the document (those below ui/, tests/test_package_graph.py's ranks).
CODE_PACKAGES = (
    "schema",
    "settings",
    "store",
    "layers",
    "access",
    "twin",
    "intake",
    "participation",
    "scenarios",
    "providers",
    "api",
)


def load_config(config_path: Path) -> dict:
    """The runtime config as pygeoapi reads it: placeholders filled in from the environment."""
    from pygeoapi.util import yaml_load

    with open(config_path, encoding="utf-8") as fh:
        return yaml_load(fh)


def code_fingerprint(root: Path = ROOT) -> str:
    """SHA-256 over the server's modules (names and contents); about 5 ms."""
    digest = hashlib.sha256()
    for package in CODE_PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()


def collection_tables(config: dict) -> list[str]:
    """Tables read by the collections' providers."""
    tables = {
        provider["table"]
        for resource in (config.get("resources") or {}).values()
        for provider in resource.get("providers") or []
        if isinstance(provider.get("table"), str)
    }
    return sorted(tables)


def store_columns(store: str, tables: list[str]) -> list:
    """The columns (and geometry columns) of ``tables`` in the store, as rows of plain values."""
    from store.base import is_postgis_url

    if is_postgis_url(store):
        import psycopg2

        conn = psycopg2.connect(store)
        try:
            with conn.cursor() as cur:
                cur.execute(
                    "SELECT table_schema, table_name, column_name, ordinal_position, data_type, udt_name, is_nullable"
                    " FROM information_schema.columns WHERE table_name = ANY(%s)"
                    " ORDER BY table_schema, table_name, ordinal_position",
                    (tables,),
                )
                rows = cur.fetchall()
                cur.execute(
                    "SELECT f_table_schema, f_table_name, f_geometry_column, coord_dimension, srid, type"
                    " FROM geometry_columns WHERE f_table_name = ANY(%s) ORDER BY 1, 2, 3",
                    (tables,),
                )
                return [list(row) for row in rows + cur.fetchall()]
        finally:
            conn.close()
    import sqlite3

    if not os.path.isfile(store):  # never create the file here (prepare() made it already)
        return []
    conn = sqlite3.connect(store)
    try:
        marks = ",".join("?" * len(tables))
        rows = conn.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name IN ({marks}) ORDER BY name", tables
        ).fetchall()
        try:
            rows += conn.execute(
                f"SELECT * FROM gpkg_geometry_columns WHERE table_name IN ({marks}) ORDER BY table_name", tables
            ).fetchall()
        except sqlite3.OperationalError:  # not a GeoPackage (yet): the providers will say so
            pass
        return [list(row) for row in rows]
    finally:
        conn.close()


def data_files(config: dict, store: str) -> list:
    """Path, size and modification time of each local file a provider reads, other than the store."""
    found = []
    for resource in (config.get("resources") or {}).values():
        for provider in resource.get("providers") or []:
            data = provider.get("data")
            if not isinstance(data, str) or data == store or not os.path.isfile(data):
                continue
            stat = os.stat(data)
            found.append([data, stat.st_size, stat.st_mtime_ns])
    return sorted(found)


def document_key(config: dict, settings: Settings) -> str:
    """The key of the OpenAPI document made from ``config`` for this store and this code (see the module)."""
    import pygeoapi

    parts = {
        "config": config,
        "pygeoapi": pygeoapi.__version__,
        "code": code_fingerprint(),
        "store": store_columns(settings.store, collection_tables(config)),
        "files": data_files(config, settings.store),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def stored_key(openapi_path: Path) -> str | None:
    """The key in the first line of an existing document; None without one."""
    try:
        with open(openapi_path, encoding="utf-8") as fh:
            first = fh.readline()
    except OSError:
        return None
    return first[len(KEY_PREFIX) :].strip() if first.startswith(KEY_PREFIX) else None


def _sorted_keys(value):
    """``value`` with every mapping's keys in sorted order, as pygeoapi's ``safe_dump`` wrote them."""
    if isinstance(value, dict):
        return {key: _sorted_keys(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted_keys(item) for item in value]
    return value


def generate(config: dict) -> dict:
    """The OpenAPI document of ``config``: pygeoapi's, with our security schemes and the writes marked."""
    from pygeoapi.openapi import get_oas

    from api.standards import add_security

    return add_security(_sorted_keys(get_oas(config, fail_on_invalid_collection=True)))


def write_openapi_document(config_path: Path, openapi_path: Path, settings: Settings) -> bool:
    """Write the OpenAPI document of the runtime config, unless the one there has the same key; True if written."""
    config = load_config(config_path)
    if stored_key(openapi_path) == document_key(config, settings):
        return False
    text = yaml.dump(generate(config), Dumper=SAFE_DUMPER, sort_keys=False, allow_unicode=True)
    # keyed by the state after generating: a provider creates its missing table when it loads, and the next
    # start, finding the table, keeps this document (the config read again: pygeoapi may have changed the dict)
    key = document_key(load_config(config_path), settings)
    partial = openapi_path.with_name(f".{openapi_path.name}.{os.getpid()}")
    partial.write_text(f"{KEY_PREFIX}{key}\n{text}", encoding="utf-8")
    os.replace(partial, openapi_path)  # a reader (another worker's start) sees the old file or the new one
    return True
