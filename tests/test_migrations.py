"""Migrations real users can trust: a database written by release 0.1 (a committed fixture)
upgrades in place on SQLite and PostgreSQL with nothing lost; a newer one is refused untouched."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, create_engine, insert, select, text

from maestro_jupyter.errors import StoreVersionError
from maestro_jupyter.store import Store, migrations
from maestro_jupyter.store.schema import metadata
from tests.postgres_support import empty_database, postgres_cluster

FIXTURE = Path(__file__).parent / "fixtures" / "maestro-0.1.db"
# What release 0.1 stored that must survive (idempotency keys are pruned after a day anyway).
KEPT = ("projects", "tasks", "subtasks", "sessions", "session_tasks", "timeline", "events")
NEW_COLUMNS = {
    "projects": {"base_branch": None, "created_by": None, "updated_by": None},
    "tasks": {"claimed_by": None, "claimed_at": None, "created_by": None, "updated_by": None},
    "subtasks": {"created_by": None, "updated_by": None},
    "sessions": {
        "activity": "unknown",
        "activity_source": None,
        "last_output_at": None,
        "worktree": None,
        "branch": None,
        "base_commit": None,
        "isolation": "none",
        "resumed_from": None,
        "owner_user": None,
        "owner_server": None,
        "process_group": None,
        "exit_signal": None,
        "created_by": None,
    },
    "timeline": {"actor": None},
    "events": {"actor": None},
}


def sqlite_dump(path: Path, tables: tuple[str, ...] = KEPT) -> dict[str, list[dict[str, Any]]]:
    """Every row of `tables`, as plain sqlite3 reads them (no SQLAlchemy types in between)."""
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return {
            table: sorted((dict(row) for row in conn.execute(f"SELECT * FROM {table}")), key=repr)
            for table in tables
        }
    finally:
        conn.close()


def sqlite_schema(path: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(path)
    try:
        return sorted(conn.execute("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL"))
    finally:
        conn.close()


def assert_kept_with_new_defaults(before: dict[str, list], after: dict[str, list]) -> None:
    for table, rows in before.items():
        assert rows, f"the fixture has {table}"
        old_columns = list(rows[0])
        assert sorted(({c: row[c] for c in old_columns} for row in after[table]), key=repr) == rows
        for row in after[table]:
            assert {c: row[c] for c in NEW_COLUMNS.get(table, {})} == NEW_COLUMNS.get(table, {})


def differences(url: str) -> list[Any]:
    """What alembic's autogenerate would change to make the database match schema.py."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return compare_metadata(MigrationContext.configure(conn), metadata)
    finally:
        engine.dispose()


@pytest.fixture
def release_0_1(tmp_path: Path) -> Path:
    path = tmp_path / "maestro.db"
    shutil.copyfile(FIXTURE, path)
    return path


# -- SQLite -------------------------------------------------------------------------------------
def test_a_release_0_1_database_upgrades_in_place_with_nothing_lost(release_0_1):
    before = sqlite_dump(release_0_1)
    store = Store(f"sqlite:///{release_0_1}")
    assert store.schema_version() == store.status()["schemaVersion"] == int(migrations.head())
    task = next(t for t in store.list_tasks()[0] if t["sessionIds"])
    assert task["claimedBy"] is None and task["subtaskCount"] == 2
    store.close()
    assert_kept_with_new_defaults(before, sqlite_dump(release_0_1))
    marks = sqlite_dump(release_0_1, ("alembic_version", "maestro_schema"))
    assert marks["alembic_version"] == [{"version_num": migrations.head()}]
    assert marks["maestro_schema"] == [{"id": 1, "version": 2}]  # release 0.1 now refuses it
    assert differences(f"sqlite:///{release_0_1}") == []


def test_opening_an_upgraded_database_again_changes_nothing(release_0_1):
    everything = (*KEPT, "idempotency_keys", "alembic_version", "maestro_schema")
    Store(f"sqlite:///{release_0_1}").close()
    upgraded = sqlite_dump(release_0_1, everything), sqlite_schema(release_0_1)
    Store(f"sqlite:///{release_0_1}").close()
    assert (sqlite_dump(release_0_1, everything), sqlite_schema(release_0_1)) == upgraded


def test_a_new_database_runs_every_revision_and_matches_the_declared_tables(tmp_path):
    url = f"sqlite:///{tmp_path}/maestro.db"
    Store(url).close()
    assert differences(url) == []
    assert sqlite_dump(tmp_path / "maestro.db", ("alembic_version",))["alembic_version"] == [
        {"version_num": migrations.head()}
    ]


def test_two_servers_starting_on_one_new_database_both_open_it(tmp_path):
    url = f"sqlite:///{tmp_path}/maestro.db"
    opened: list[Any] = []

    def open_store() -> None:
        try:
            opened.append(Store(url))
        except Exception as exc:  # noqa: BLE001 - the assertion shows it
            opened.append(exc)

    threads = [threading.Thread(target=open_store) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(isinstance(store, Store) for store in opened), opened
    assert [p["id"] for p in opened[0].list_projects()] == ["proj_default"]
    for store in opened:
        store.close()


@pytest.mark.parametrize(
    "newer",
    [
        "UPDATE alembic_version SET version_num = '9999'",
        "DROP TABLE alembic_version; UPDATE maestro_schema SET version = 3",
    ],
    ids=["unknown alembic revision", "release mark above 1 without alembic"],
)
def test_a_database_newer_than_the_code_is_refused_untouched(tmp_path, newer):
    path = tmp_path / "maestro.db"
    store = Store(f"sqlite:///{path}")
    store.create_task("keep")
    store.close()
    conn = sqlite3.connect(path)
    conn.executescript(newer)
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreVersionError, match="newer than this maestro-jupyter") as refused:
        Store(f"sqlite:///{path}")
    assert "9999" in str(refused.value) or "version 3" in str(refused.value)
    assert path.read_bytes() == before


# -- PostgreSQL ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def postgres():
    with postgres_cluster() as cluster:
        yield cluster


@pytest.fixture
def pg_url(postgres):
    yield postgres.url
    empty_database(postgres.url)


def typed_rows(url: str, tables: tuple[str, ...] = KEPT) -> dict[str, list[dict[str, Any]]]:
    """Every row of `tables` through SQLAlchemy's reflection (JSON parsed, booleans as bool),
    so SQLite's and PostgreSQL's rows compare."""
    engine = create_engine(url)
    reflected = MetaData()
    reflected.reflect(engine, only=tables)
    try:
        with engine.connect() as conn:
            return {
                table: sorted(
                    (dict(row._mapping) for row in conn.execute(select(reflected.tables[table]))),
                    key=repr,
                )
                for table in tables
            }
    finally:
        engine.dispose()


def load_release_0_1_into(url: str) -> None:
    """Make `url` what release 0.1 would have left there: its tables (revision 0001), its mark
    and no alembic table, and the fixture's rows."""
    engine = create_engine(url)
    migrations.upgrade(engine, "under test", target=migrations.RELEASE_0_1)
    rows = typed_rows(f"sqlite:///{FIXTURE}", (*KEPT, "idempotency_keys"))
    tables = MetaData()
    tables.reflect(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))
        for table in ("projects", "tasks", "sessions", "subtasks", "session_tasks", "timeline"):
            ordered = sorted(rows[table], key=lambda row: row.get("parent_id") is not None)
            conn.execute(insert(tables.tables[table]), ordered)
        conn.execute(insert(tables.tables["events"]), rows["events"])
        conn.execute(insert(tables.tables["idempotency_keys"]), rows["idempotency_keys"])
    engine.dispose()


def test_a_release_0_1_database_upgrades_in_place_on_postgresql(pg_url):
    load_release_0_1_into(pg_url)
    before = typed_rows(pg_url)
    assert before == typed_rows(f"sqlite:///{FIXTURE}")
    store = Store(pg_url)
    assert store.status()["schemaVersion"] == int(migrations.head())
    store.close()
    upgraded = typed_rows(pg_url)
    assert_kept_with_new_defaults(before, upgraded)
    assert differences(pg_url) == []
    everything = (*KEPT, "alembic_version", "maestro_schema", "idempotency_keys")
    once = typed_rows(pg_url, everything)
    assert once["maestro_schema"] == [{"id": 1, "version": 2}]
    Store(pg_url).close()
    assert typed_rows(pg_url, everything) == once


def test_a_newer_database_is_refused_untouched_on_postgresql(pg_url):
    store = Store(pg_url)
    store.create_task("keep")
    store.close()
    engine = create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    before = typed_rows(pg_url, (*KEPT, "alembic_version"))
    with pytest.raises(StoreVersionError, match="9999"):
        Store(pg_url)
    assert typed_rows(pg_url, (*KEPT, "alembic_version")) == before
