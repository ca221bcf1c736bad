"""A cache of the embedded store's vector tiles, shared by all server processes, invalidated by writes.

Why: a citizen's map asks for the same few dozen tiles as every other citizen's map of that area; the
GeoPackage renders each in Python (10–40 ms at zoom 14), PostGIS in C. So a tile is rendered once per
version of its collection and then read from the cache (well under a millisecond).

* **Versions** live in the GeoPackage itself: ``buergergis_tile_versions(table_name, version)``, bumped by
  ``AFTER INSERT/UPDATE/DELETE`` triggers on each tiled table. So every write, from any process or tool
  (this server's workers, imports, QGIS editing the file), changes the version in the same transaction
  as the data; a tile is looked up under the version read *before* its data, so it is never newer data
  under an older version, and no stale tile is served after a write has committed.
* **Tiles** live in one SQLite file beside the other runtime data (``<data dir>/tile-cache/tiles.sqlite``,
  WAL mode, so the worker processes read it at once and write it one after the other), one row per
  file, table and z/x/y holding the version it was rendered for. A re-rendered tile replaces its row;
  past ``BUERGERGIS_TILE_CACHE_MAX_MB`` the oldest half is deleted (the file's pages are reused).
* The cache never breaks a tile: any SQLite error in it (a full disk, a read-only directory, a
  read-only GeoPackage that cannot hold the triggers) is logged once and the tile is rendered.

Settings: ``BUERGERGIS_TILE_CACHE_ENABLED`` (default true), ``BUERGERGIS_TILE_CACHE_DIR`` (default
``$BUERGERGIS_DATA_DIR/tile-cache``; no data dir and no setting: no cache), ``BUERGERGIS_TILE_CACHE_MAX_MB``
(default 512).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from store.geopackage import connect, quote, write_transaction

LOG = logging.getLogger(__name__)

VERSIONS_TABLE = "buergergis_tile_versions"
#: Inserts per process between two checks of the cache file's size.
TRIM_EVERY = 200


class TileCacheSettings(BaseSettings):
    """``BUERGERGIS_TILE_CACHE_*``: where the embedded store's tile cache lives and how large it may grow."""

    model_config = SettingsConfigDict(env_prefix="BUERGERGIS_TILE_CACHE_")

    enabled: bool = True
    #: The cache's folder; default ``$BUERGERGIS_DATA_DIR/tile-cache``.
    dir: Path | None = None
    max_mb: int = Field(default=512, ge=1)

    def folder(self) -> Path | None:
        if not self.enabled:
            return None
        if self.dir is not None:
            return self.dir
        data_dir = os.environ.get("BUERGERGIS_DATA_DIR")
        return Path(data_dir) / "tile-cache" if data_dir else None


#: Environment variables the settings depend on (by prefix, upper case: pydantic-settings ignores case).
_SETTINGS_VARIABLES = ("BUERGERGIS_TILE_CACHE_", "BUERGERGIS_DATA_DIR")
_SETTINGS: dict[tuple, TileCacheSettings] = {}


def current_settings() -> TileCacheSettings:
    """The settings of the environment as it is now, read once per distinct environment.

    Why not ``TileCacheSettings()`` per tile: pydantic-settings reads and validates the environment in about
    0.5 ms, a fifth of serving a cached tile (the tile provider is made per request). Tests change the
    environment between tiles, so the settings are kept by the values of the variables they are read from.
    """
    key = tuple(sorted((k.upper(), v) for k, v in os.environ.items() if k.upper().startswith(_SETTINGS_VARIABLES)))
    settings = _SETTINGS.get(key)
    if settings is None:
        if len(_SETTINGS) > 32:
            _SETTINGS.clear()
        settings = _SETTINGS[key] = TileCacheSettings()
    return settings


# -- versions in the GeoPackage ---------------------------------------------------------------------

_VERSIONED: set[tuple] = set()  # (path, device, inode, schema_version, table) known to carry the triggers
_WARNED: set[str] = set()


def _warn_once(key: str, message: str, *args) -> None:
    if key not in _WARNED:
        _WARNED.add(key)
        LOG.warning(message, *args)


def ensure_versioned(path: str, conn: sqlite3.Connection, table: str) -> bool:
    """Make sure ``table`` has a version row and the triggers that bump it; False where the file is read-only."""
    stat = os.stat(path)
    key = (path, stat.st_dev, stat.st_ino, conn.execute("PRAGMA schema_version").fetchone()[0], table)
    if key in _VERSIONED:
        return True
    names = {
        row[0]
        for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", (table,))
    }
    wanted = {f"{VERSIONS_TABLE}_{table}_{op.lower()}" for op in ("INSERT", "UPDATE", "DELETE")}
    has_table = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (VERSIONS_TABLE,)
    ).fetchone()
    if not (wanted <= names and has_table):
        try:
            writer = connect(path)  # the reader is query_only; triggers are written once per file and table
            try:
                with write_transaction(writer):
                    add_version_triggers(writer, table)
            finally:
                writer.close()
        except sqlite3.Error as err:
            _warn_once(f"versions:{path}", "tile cache off for %s: cannot add version triggers (%s)", path, err)
            return False
        key = (*key[:3], conn.execute("PRAGMA schema_version").fetchone()[0], table)
    _VERSIONED.add(key)
    return True


def add_version_triggers(conn: sqlite3.Connection, table: str) -> None:
    """Create the version table, ``table``'s row in it and its three triggers (inside the caller's transaction)."""
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {VERSIONS_TABLE} "
        "(table_name TEXT PRIMARY KEY NOT NULL, version INTEGER NOT NULL DEFAULT 0)"
    )
    conn.execute(f"INSERT OR IGNORE INTO {VERSIONS_TABLE} (table_name, version) VALUES (?, 0)", (table,))
    # Triggers missing means writes may have gone unversioned (a table dropped and created anew): a new version.
    conn.execute(f"UPDATE {VERSIONS_TABLE} SET version = version + 1 WHERE table_name = ?", (table,))
    literal = "'" + table.replace("'", "''") + "'"
    for op in ("INSERT", "UPDATE", "DELETE"):
        conn.execute(
            f"CREATE TRIGGER IF NOT EXISTS {quote(f'{VERSIONS_TABLE}_{table}_{op.lower()}')} "
            f"AFTER {op} ON {quote(table)} BEGIN UPDATE {VERSIONS_TABLE} SET version = version + 1 "
            f"WHERE table_name = {literal}; END"
        )


def table_version(conn: sqlite3.Connection, table: str) -> int | None:
    """The current version of ``table``'s data (None: not versioned)."""
    row = conn.execute(f"SELECT version FROM {VERSIONS_TABLE} WHERE table_name = ?", (table,)).fetchone()
    return row[0] if row else None


# -- the cache file -----------------------------------------------------------------------------------

_LOCAL = threading.local()
_INSERTS = {"count": 0}


def _cache_connection(folder: Path) -> sqlite3.Connection:
    """This thread's connection to the cache file (a forked process opens its own)."""
    pool = _LOCAL.__dict__.setdefault("caches", {})
    entry = pool.get(folder)
    if entry is not None and entry[1] == os.getpid():
        return entry[0]
    folder.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(folder / "tiles.sqlite", timeout=5, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 5000")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")  # a cache: a lost last tile after a power cut is re-rendered
    conn.execute(
        "CREATE TABLE IF NOT EXISTS tiles (source TEXT NOT NULL, layer TEXT NOT NULL, z INTEGER NOT NULL, "
        "x INTEGER NOT NULL, y INTEGER NOT NULL, version INTEGER NOT NULL, data BLOB NOT NULL, "
        "PRIMARY KEY (source, layer, z, x, y))"
    )
    pool[folder] = (conn, os.getpid())
    return conn


def source_key(path: str) -> str:
    """The GeoPackage's identity in the cache: its path and inode (a file replaced on disk starts afresh)."""
    stat = os.stat(path)
    return f"{os.path.abspath(path)}:{stat.st_dev}:{stat.st_ino}"


class TileCache:
    """Cached tiles of one GeoPackage table."""

    def __init__(self, path: str, table: str, settings: TileCacheSettings | None = None):
        settings = settings or current_settings()
        self.path, self.table = path, table
        self.folder = settings.folder()
        self.max_bytes = settings.max_mb * 1024 * 1024

    def get(self, version: int, z: int, x: int, y: int) -> bytes | None:
        """The tile rendered for ``version`` (``b""``: an empty tile), or None."""
        if self.folder is None:
            return None
        try:
            row = (
                _cache_connection(self.folder)
                .execute(
                    "SELECT version, data FROM tiles WHERE source = ? AND layer = ? AND z = ? AND x = ? AND y = ?",
                    (source_key(self.path), self.table, z, x, y),
                )
                .fetchone()
            )
        except (sqlite3.Error, OSError) as err:
            _warn_once(f"read:{self.folder}", "tile cache %s unreadable, tiles are rendered: %s", self.folder, err)
            return None
        return bytes(row[1]) if row and row[0] == version else None

    def put(self, version: int, z: int, x: int, y: int, data: bytes) -> None:
        """Keep ``data`` as the tile z/x/y of ``version`` (replacing any older one)."""
        if self.folder is None:
            return
        try:
            conn = _cache_connection(self.folder)
            conn.execute(
                "INSERT OR REPLACE INTO tiles (source, layer, z, x, y, version, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (source_key(self.path), self.table, z, x, y, version, data),
            )
            _INSERTS["count"] += 1
            if _INSERTS["count"] % TRIM_EVERY == 0:
                self.trim(conn)
        except (sqlite3.Error, OSError) as err:
            _warn_once(f"write:{self.folder}", "tile cache %s not writable, tiles are rendered: %s", self.folder, err)

    def trim(self, conn: sqlite3.Connection) -> None:
        """Past the size limit, delete the older half of the tiles (rowid order = order of rendering)."""
        pages = conn.execute("PRAGMA page_count").fetchone()[0] - conn.execute("PRAGMA freelist_count").fetchone()[0]
        if pages * conn.execute("PRAGMA page_size").fetchone()[0] <= self.max_bytes:
            return
        conn.execute(
            "DELETE FROM tiles WHERE rowid IN (SELECT rowid FROM tiles ORDER BY rowid "
            "LIMIT (SELECT count(*) / 2 FROM tiles))"
        )
