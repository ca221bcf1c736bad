"""The GeoPackage provider's cached connections belong to one process: a forked worker opens its own.

gunicorn forks its workers from a parent that may have read the store already (``--preload``, the start-up
checks); SQLite forbids using a connection across ``fork()``, so ``connection_for`` keys its cache by the
process id too.
"""

from __future__ import annotations

import os
import sqlite3

from providers.geopackage_tables import close_connections, connection_for


def test_a_forked_child_gets_its_own_connection_and_the_parent_keeps_its_own(tmp_path):
    path = str(tmp_path / "store.gpkg")
    sqlite3.connect(path).close()
    parent = connection_for(path)
    assert connection_for(path) is parent  # cached within the process and thread
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report, then leave without pytest's clean-up
        try:
            os.close(read_fd)
            child = connection_for(path)
            fine = child is not parent and connection_for(path) is child and child.execute("SELECT 1").fetchone()
            os.write(write_fd, b"own" if fine else b"inherited")
        finally:
            os._exit(0)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as answer:
        said = answer.read()
    os.waitpid(pid, 0)
    assert said == b"own"
    assert connection_for(path) is parent and parent.execute("SELECT 1").fetchone() == (1,)
    close_connections(path)
