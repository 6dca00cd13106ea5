"""Schema migrations (alembic, as JupyterHub does it), run when the store starts.

The revisions in versions/ ship inside the package and run from code: no alembic.ini. A new
database runs them all; a database of release 0.1 (its own `maestro_schema` mark at 1, no
`alembic_version`) is stamped at 0001 first; a database newer than this code is refused and
left untouched. To change the schema, write versions/NNNN_<what>.py by hand (`revision` =
"NNNN", `down_revision` = the last one; `schemaVersion` is that number) and change schema.py to
match: tests/test_migrations.py checks that the two agree. Revisions only go up.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, func, inspect, select
from sqlalchemy.engine import Engine

from ..._version import __version__
from ...errors import StoreVersionError
from .. import schema as t

RELEASE_0_1 = "0001"
# Any constant: two servers starting on one new PostgreSQL database take turns.
_PG_LOCK = 0x6D61657374726F


def config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent))
    cfg.set_main_option("path_separator", "os")
    cfg.attributes["connection"] = connection
    return cfg


def head() -> str:
    head = ScriptDirectory.from_config(config()).get_current_head()
    assert head is not None
    return head


def revision_number(revision: str | None) -> int:
    """A revision as the integer `schemaVersion` says (revisions are numbered 0001, 0002, ...)."""
    return int(revision or 0)


def current_revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, where: str, target: str = "head") -> None:
    """Bring the database to `target` (head), in one transaction; StoreVersionError if newer."""
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if sqlite:
            # Copying a table (alembic's batch mode) drops the old one, and with foreign keys on,
            # dropping a parent table deletes its children's rows. The pragma is a no-op inside
            # a transaction, so it is set before.
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()
        try:
            with conn.begin():
                if sqlite:
                    conn.exec_driver_sql("BEGIN IMMEDIATE")  # DDL and all, or nothing
                else:
                    conn.execute(select(func.pg_advisory_xact_lock(_PG_LOCK)))
                cfg = config(conn)
                if _check_known(conn, where) == "release 0.1":
                    command.stamp(cfg, RELEASE_0_1)
                command.upgrade(cfg, target)
        finally:
            if sqlite:
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                conn.commit()


def _check_known(conn: Connection, where: str) -> str:
    """What the database is ("new", "release 0.1" or "alembic"); refuse one newer than us."""
    known = {script.revision for script in ScriptDirectory.from_config(config()).walk_revisions()}
    revision = current_revision(conn)
    if revision is not None:
        if revision not in known:
            raise _newer(where, revision)
        return "alembic"
    if not inspect(conn).has_table(t.schema_info.name):
        return "new"
    version = conn.scalar(select(t.schema_info.c.version).where(t.schema_info.c.id == 1))
    if version != 1:
        raise _newer(where, version)
    return "release 0.1"


def _newer(where: str, found: object) -> StoreVersionError:
    return StoreVersionError(
        f"The Maestro database {where} has schema version {found}, newer than this "
        f"maestro-jupyter {__version__} understands ({revision_number(head())}). Upgrade "
        "maestro-jupyter or point c.Maestro.db_url at another database; it was left untouched."
    )
