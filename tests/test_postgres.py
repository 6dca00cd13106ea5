"""The same store and REST API on a real PostgreSQL server (DESIGN.md: not SQLite-only)."""

from __future__ import annotations

import asyncio

import pytest

from maestro_jupyter.store import Store, export_store, import_store
from tests.postgres_support import postgres_cluster

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def postgres_url():
    with postgres_cluster() as url:
        yield url


@pytest.fixture
def pg_store(postgres_url):
    store = Store(postgres_url, root_dir="/srv")
    yield store
    with store.engine.begin() as conn:
        from maestro_jupyter.store.schema import metadata

        metadata.drop_all(conn)
    store.close()


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
    exported = export_store(pg_store)
    pg_store.delete_task(task["id"])
    result = import_store(pg_store, exported)
    assert result["created"]["tasks"] == 1 and result["created"]["subtasks"] == 1
    again = export_store(pg_store)
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
