"""The store on its own: schema versions, SQLite settings, file permissions."""

from __future__ import annotations

import stat

import pytest
from sqlalchemy import text

from maestro_jupyter.errors import Conflict, StoreVersionError
from maestro_jupyter.store import Store


def test_a_database_from_a_newer_version_is_refused_untouched(tmp_path):
    url = f"sqlite:///{tmp_path}/maestro.db"
    store = Store(url)
    store.create_task("keep")
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE maestro_schema SET version = 99"))
    store.close()
    before = (tmp_path / "maestro.db").read_bytes()
    with pytest.raises(StoreVersionError, match="schema version 99"):
        Store(url)
    assert (tmp_path / "maestro.db").read_bytes() == before


def test_reopening_keeps_data_and_the_default_project(tmp_path):
    url = f"sqlite:///{tmp_path}/maestro.db"
    first = Store(url, root_dir="/srv")
    task = first.create_task("persisted", subtasks=[{"title": "s"}])
    first.close()
    second = Store(url)
    assert second.get_task(task["id"], include_subtasks=True)["subtasks"][0]["title"] == "s"
    assert [p["id"] for p in second.list_projects()] == ["proj_default"]
    assert second.get_project("proj_default")["workingDir"] == "/srv"


def test_sqlite_runs_in_wal_with_foreign_keys(tmp_path):
    store = Store(f"sqlite:///{tmp_path}/maestro.db")
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 10000


def test_events_are_published_only_after_commit(tmp_path):
    published = []
    store = Store(f"sqlite:///{tmp_path}/maestro.db", on_commit=published.append)
    published.clear()
    task = store.create_task("t")
    assert [e["event"] for e in published] == ["task:created"]
    with pytest.raises(Conflict):
        store.create_task("dup", id=task["id"])
    assert [e["event"] for e in published] == ["task:created"]
    assert store.events_since(0)[-1]["seq"] == published[-1]["seq"]


async def test_the_home_folder_is_private(jp_serverapp, maestro_home):
    assert stat.S_IMODE(maestro_home.stat().st_mode) == 0o700


def test_the_event_log_keeps_the_newest_events_and_a_day_of_idempotency_keys(tmp_path):
    store = Store(f"sqlite:///{tmp_path}/maestro.db", event_retention=10)
    for i in range(30):
        store.idempotent("POST tasks", f"key-{i}", lambda i=i: store.create_task(f"t{i}"))
    last = store.last_seq()
    kept = store.events_since(0)
    assert [e["seq"] for e in kept] == list(range(store.first_seq(), last + 1))
    assert 10 <= len(kept) < 20 and kept[-1]["seq"] == last
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE idempotency_keys SET created_at = '2000-01-01T00:00:00Z'"))
        assert conn.execute(text("SELECT count(*) FROM idempotency_keys")).scalar() == 30
    store.prune()
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM idempotency_keys")).scalar() == 0
    store.create_task("after pruning")
    assert store.last_seq() == last + 1  # seq goes on without a gap
