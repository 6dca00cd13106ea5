"""The same store and REST API on a real PostgreSQL server (DESIGN.md: not SQLite-only)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import create_engine, text

from maestro_jupyter.errors import IdempotencyKeyReused, StoreBusy, StoreUnavailable
from maestro_jupyter.store import Store
from tests.postgres_support import _free_port, empty_database, postgres_cluster

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def postgres():
    with postgres_cluster() as cluster:
        yield cluster


@pytest.fixture
def pg_store(postgres):
    store = Store(postgres.url, root_dir="/srv")
    yield store
    store.close()
    empty_database(postgres.url)


@pytest.fixture
def maestro_config(pg_store):
    return {"db_url": pg_store.url}


def test_the_store_runs_on_postgresql(pg_store):
    assert pg_store.engine.dialect.name == "postgresql"
    parent = pg_store.create_task("epic", subtasks=[{"title": "a"}, {"title": "b"}])
    child = pg_store.create_task("story", parent_id=parent["id"], dependencies=[parent["id"]])
    sub = pg_store.list_subtasks(parent["id"])[0]
    pg_store.update_subtask(parent["id"], sub["id"], {"completed": True})
    items, cursor = pg_store.list_tasks(limit=1, q="EPIC")
    assert [t["id"] for t in items] == [parent["id"]] and cursor is None
    page, cursor = pg_store.list_tasks(limit=1)
    assert (
        cursor is not None
        and pg_store.list_tasks(limit=1, cursor=cursor)[0][0]["id"] == child["id"]
    )
    assert pg_store.get_task(parent["id"])["subtasksCompleted"] == 1
    session = pg_store.create_session(task_ids=[child["id"]], agent="shell")
    assert pg_store.get_task(child["id"])["sessionIds"] == [session["id"]]
    seqs = [e["seq"] for e in pg_store.events_since(0)]
    assert seqs == list(range(1, len(seqs) + 1))
    status = pg_store.status()
    assert status["store"]["dialect"] == "postgresql" and status["counts"]["tasks"]["todo"] == 2


def test_export_import_round_trip_on_postgresql(pg_store):
    task = pg_store.create_task("t", subtasks=[{"title": "s"}])
    pg_store.add_timeline(task["id"], "progress", "note")
    exported = pg_store.export()
    pg_store.delete_task(task["id"])
    result = pg_store.import_data(exported)
    assert result["created"]["tasks"] == 1 and result["created"]["subtasks"] == 1
    again = pg_store.export()
    assert again["tasks"] == exported["tasks"] and again["timeline"] == exported["timeline"]


async def test_rest_api_on_postgresql_with_concurrent_writers(api):
    status = (await api("GET", "status")).json
    assert status["store"]["dialect"] == "postgresql"
    task = (await api("POST", "tasks", {"title": "busy"})).json
    replies = await asyncio.gather(
        *(api("POST", f"tasks/{task['id']}/subtasks", {"title": f"s{i}"}) for i in range(20))
    )
    assert [r.status for r in replies] == [201] * 20
    stale = await api("PATCH", f"tasks/{task['id']}", {"title": "x"}, headers={"If-Match": "9"})
    assert stale.status == 412
    assert (await api("GET", f"tasks/{task['id']}")).json["subtaskCount"] == 20


def test_idempotency_records_on_postgresql(pg_store):
    assert pg_store.begin_request("POST tasks", "k", "sha-a") is None
    pg_store.finish_request("POST tasks", "k", 201, {"id": "task_x"})
    assert pg_store.begin_request("POST tasks", "k", "sha-a") == (201, {"id": "task_x"})
    with pytest.raises(IdempotencyKeyReused):
        pg_store.begin_request("POST tasks", "k", "sha-b")


def test_an_unreachable_server_is_unavailable_at_start_up():
    url = f"postgresql+psycopg://maestro@127.0.0.1:{_free_port()}/maestro"
    with pytest.raises(StoreUnavailable, match="cannot be reached"):
        Store(url)


def test_lost_connections_recover_and_a_stopped_server_is_unavailable_until_back(
    postgres, pg_store
):
    task = pg_store.create_task("before")
    admin = create_engine(postgres.url)
    with admin.begin() as conn:  # the server drops every other connection (as a restart would)
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE pid <> pg_backend_pid() AND datname = current_database()"
            )
        )
    admin.dispose()
    assert pg_store.get_task(task["id"])["title"] == "before"  # the pool pings and reconnects
    postgres.stop()
    try:
        with pytest.raises(StoreUnavailable, match="cannot be reached"):
            pg_store.create_task("while stopped")
        with pytest.raises(StoreUnavailable):
            pg_store.list_tasks()
    finally:
        postgres.start()
    assert pg_store.create_task("after")["title"] == "after"
    assert [t["title"] for t in pg_store.list_tasks()[0]] == ["before", "after"]


def test_a_write_waiting_on_another_sessions_lock_is_refused_as_busy(postgres, pg_store):
    store = Store(postgres.url, lock_timeout=0.2)
    holder = create_engine(postgres.url)
    with holder.connect() as conn:
        conn.execute(text("LOCK TABLE tasks IN EXCLUSIVE MODE"))  # reads go on, writes wait
        with pytest.raises(StoreBusy) as busy:
            store.create_task("waits")
        assert busy.value.retry_after == 1
        assert store.list_tasks()[0] == []
        conn.rollback()
    holder.dispose()
    assert store.create_task("after")["title"] == "after"
    store.close()
