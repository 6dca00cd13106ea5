"""A store that is locked, unusable or slow never stalls Jupyter, and says so in JSON."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from maestro_jupyter.handlers import api_routes

pytestmark = pytest.mark.timeout(120)


def hold_write_lock(database: Path) -> sqlite3.Connection:
    """Another connection takes the database's write lock, as a second program would."""
    holder = sqlite3.connect(database, isolation_level=None, timeout=0)
    holder.execute("BEGIN IMMEDIATE")
    return holder


async def test_a_held_write_lock_leaves_jupyter_answering_and_the_write_lands_after(
    api, jp_fetch, maestro_home
):
    await api("GET", "status")  # the store is open
    holder = hold_write_lock(maestro_home / "maestro.db")
    released = False
    write = asyncio.ensure_future(api("POST", "tasks", {"title": "waits for the lock"}))
    try:
        for _ in range(5):
            await asyncio.sleep(0.2)
            reply = await jp_fetch("api", "status", request_timeout=5)
            assert reply.code == 200 and not released  # answered while the lock was held
            reads = await api("GET", "tasks")  # Maestro's reads go on beside a write
            assert reads.status == 200
        assert not write.done()
    finally:
        holder.rollback()
        holder.close()
        released = True
    created = await write
    assert created.status == 201, created
    titles = [task["title"] for task in (await api("GET", "tasks")).json["items"]]
    assert titles == ["waits for the lock"]


@pytest.fixture
def maestro_config():
    return {"store_queue_timeout": 0.3}


async def test_a_write_queued_behind_a_stuck_writer_is_503_with_retry_after_and_not_done(
    api, maestro_home
):
    await api("GET", "status")
    holder = hold_write_lock(maestro_home / "maestro.db")
    try:
        first = asyncio.ensure_future(api("POST", "tasks", {"title": "first"}))
        await asyncio.sleep(0.1)  # the first write is on the writer thread, waiting for SQLite
        second = await api("POST", "tasks", {"title": "second"})
        assert second.status == 503, second
        assert second.json["error"] == "store_busy"
        assert int(second.headers["Retry-After"]) >= 1
        assert "Traceback" not in second.json["message"]
    finally:
        holder.rollback()
        holder.close()
    assert (await first).status == 201
    titles = [task["title"] for task in (await api("GET", "tasks")).json["items"]]
    assert titles == ["first"]


class TestAnUnusableStore:
    @pytest.fixture
    def maestro_config(self, tmp_path):
        not_a_folder = tmp_path / "a-file"
        not_a_folder.write_text("this is a file, so no database can live under it")
        return {"db_url": f"sqlite:///{not_a_folder}/maestro.db"}

    async def test_every_route_answers_json_503_saying_why_and_jupyter_runs_on(self, api, jp_fetch):
        status = await api("GET", "status")
        assert status.status == 503
        assert status.json["error"] == "store_unavailable"
        assert "a-file" in status.json["message"]  # says which store, and why
        for route in api_routes():
            if route.path == "openapi.json":
                continue
            path = route.path.format(
                task_id="task_x",
                subtask_id="sub_x",
                session_id="sess_x",
                project_id="proj_x",
                name="maestro-worker",
            )
            for method in route.operations:
                reply = await api(method.upper(), path)
                assert reply.status == 503, (method, path, reply)
                assert reply.json["error"] == "store_unavailable"
        assert (await api("GET", "openapi.json")).status == 200
        assert (await jp_fetch("api", "status")).code == 200
