"""A throw-away PostgreSQL cluster for the tests that prove the store is not SQLite-only."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager


def _bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresCluster:
    """A private cluster on loopback: its SQLAlchemy `url`, and `stop()`/`start()` to take the
    server away and bring it back (PostgreSQL refuses to run as root: then as `postgres`)."""

    def __init__(self, workdir: str, run_as: list[str]) -> None:
        self.data, self.port, self.run_as = os.path.join(workdir, "data"), _free_port(), run_as
        self.log = os.path.join(workdir, "log")
        self.options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} "
            f"-c unix_socket_directories={workdir} -c fsync=off"
        )
        self.url = f"postgresql+psycopg://maestro@127.0.0.1:{self.port}/maestro"

    def _run(self, *argv: str, timeout: float = 120) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([*self.run_as, *argv], capture_output=True, timeout=timeout)

    def start(self) -> None:
        pg_ctl = _bin("pg_ctl")
        self._run(pg_ctl, "-D", self.data, "-w", "-l", self.log, "-o", self.options, "start")
        deadline = time.monotonic() + 30
        isready = _bin("pg_isready") or "pg_isready"
        while self._run(isready, "-h", "127.0.0.1", "-p", str(self.port)).returncode != 0:
            if time.monotonic() > deadline:
                raise RuntimeError("PostgreSQL did not start")
            time.sleep(0.2)

    def stop(self) -> None:
        self._run(_bin("pg_ctl"), "-D", self.data, "-m", "immediate", "stop", timeout=60)


@contextmanager
def postgres_cluster() -> Iterator[PostgresCluster]:
    """Start a throw-away cluster with an empty `maestro` database; remove it afterwards."""
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    if not (initdb and pg_ctl):
        raise RuntimeError("PostgreSQL is not installed (make test installs Debian's postgresql)")
    run_as: list[str] = []
    workdir = tempfile.mkdtemp(prefix="maestro-pg-")
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(workdir, user.pw_uid, user.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    cluster = PostgresCluster(workdir, run_as)
    subprocess.run(
        [*run_as, initdb, "-D", cluster.data, "-U", "maestro", "--auth=trust", "-E", "UTF8"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    try:
        cluster.start()
        createdb = _bin("createdb") or "createdb"
        subprocess.run(
            [
                *run_as,
                createdb,
                "-h",
                "127.0.0.1",
                "-p",
                str(cluster.port),
                "-U",
                "maestro",
                "maestro",
            ],
            check=True,
            capture_output=True,
        )
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def empty_database(url: str) -> None:
    """Drop every table (the store's and alembic's) so the next test starts from nothing."""
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()
