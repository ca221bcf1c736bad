"""Start a throwaway PostGIS cluster on this machine (tests, benchmarks, demo).

Uses Debian's ``postgresql-15`` + ``postgresql-15-postgis-3`` binaries. The
cluster lives in a temporary directory, listens on a free loopback port with
trust authentication, and is stopped (and deleted) by :meth:`LocalPostGIS.stop`.
PostgreSQL refuses to run as root, so as root the server runs as ``postgres``.

Run ``python -m store.local_postgis`` to check the prerequisites: it prints what
is missing and how to install it.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

INSTALL_HINT = "sudo apt-get install postgresql postgresql-15-postgis-3"


class PostGISUnavailable(RuntimeError):
    """PostgreSQL or PostGIS binaries are missing on this machine."""


def find_pg_bin() -> Path:
    """Directory of initdb/pg_ctl of the newest installed PostgreSQL with PostGIS."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    for initdb in candidates:
        version = Path(initdb).parents[1].name
        if glob.glob(f"/usr/share/postgresql/{version}/extension/postgis.control"):
            return Path(initdb).parent
    if candidates:
        raise PostGISUnavailable(f"PostgreSQL is installed but PostGIS is not; install it: {INSTALL_HINT}")
    raise PostGISUnavailable(f"PostgreSQL is not installed; install it: {INSTALL_HINT}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalPostGIS:
    """A PostGIS server in a temp directory; ``url`` is a ready database with the extension."""

    def __init__(self, dbname: str = "buergergis", port: int | None = None, durable: bool = True):
        """``durable=False``: commits are not flushed to disk (``fsync``, ``synchronous_commit`` off), for a cluster
        whose data may be lost with the machine: the tests' (a crashed server process still loses nothing, the
        operating system holds what it wrote). The benchmarks keep durable commits, as a city's server has them."""
        self.bin = find_pg_bin()
        self.dbname = dbname
        self.durable = durable
        self.port = port or _free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="buergergis-pg-"))
        self.data = self.dir / "data"
        self.as_postgres = os.geteuid() == 0
        self.user = "postgres" if self.as_postgres else os.environ.get("USER", "postgres")

    @property
    def url(self) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{self.dbname}"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = list(args)
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True)

    def start(self) -> LocalPostGIS:
        if self.as_postgres:
            shutil.chown(self.dir, user="postgres")
        try:
            self._run(
                str(self.bin / "initdb"),
                "-D",
                str(self.data),
                "-U",
                self.user,
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            )
        except subprocess.CalledProcessError as err:
            raise PostGISUnavailable(f"initdb failed: {err.stderr.strip()}") from err
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.dir} "
            "-c max_connections=200 -c shared_buffers=256MB "
            + ("-c fsync=on" if self.durable else "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
        )
        try:
            self._run(
                str(self.bin / "pg_ctl"),
                "-D",
                str(self.data),
                "-o",
                options,
                "-l",
                str(self.dir / "server.log"),
                "-w",
                "-t",
                "60",
                "start",
            )
        except subprocess.CalledProcessError as err:
            log = (self.dir / "server.log").read_text(errors="replace")[-2000:]
            raise PostGISUnavailable(f"PostgreSQL did not start: {err.stderr.strip()}\n{log}") from err
        self._create_database()
        return self

    def _create_database(self) -> None:
        import psycopg2

        deadline = time.monotonic() + 30
        while True:
            try:
                conn = psycopg2.connect(f"postgresql://{self.user}@127.0.0.1:{self.port}/postgres")
                break
            except psycopg2.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{self.dbname}"')
        conn.close()
        conn = psycopg2.connect(self.url)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        conn.close()

    def stop(self) -> None:
        if self.data.exists():
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> LocalPostGIS:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


if __name__ == "__main__":
    try:
        print(f"PostGIS found: {find_pg_bin()}")
    except PostGISUnavailable as err:
        print(err, file=sys.stderr)
        sys.exit(1)
