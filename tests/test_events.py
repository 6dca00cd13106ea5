"""The events WebSocket: envelopes after commit, gap-free seq, replay with ?since=, ping/pong."""

from __future__ import annotations

import asyncio
import json

import pytest

pytestmark = pytest.mark.timeout(120)


async def receive(ws, timeout: float = 10) -> dict:
    message = await asyncio.wait_for(ws.read_message(), timeout)
    assert message is not None, "socket closed"
    return json.loads(message)


async def events_until(ws, name: str) -> list[dict]:
    seen = []
    while True:
        seen.append(await receive(ws))
        if seen[-1].get("event") == name:
            return seen


async def test_writes_emit_their_events_with_consecutive_seq(api, jp_ws_fetch):
    ws = await jp_ws_fetch("maestro", "api", "events")
    backlog = await events_until(ws, "project:created")  # the default project's, replayed
    task = (await api("POST", "tasks", {"title": "t", "subtasks": [{"title": "s"}]})).json
    sub = (await api("GET", f"tasks/{task['id']}/subtasks")).json["items"][0]
    await api("PATCH", f"tasks/{task['id']}/subtasks/{sub['id']}", {"completed": True})
    await api("POST", f"tasks/{task['id']}/timeline", {"message": "note"})
    await api("PATCH", f"tasks/{task['id']}", {"title": "t2"})
    await api("DELETE", f"tasks/{task['id']}")
    live = await events_until(ws, "task:deleted")
    names = [e["event"] for e in live]
    assert names == [
        "task:created",
        "subtask:created",
        "subtask:updated",
        "timeline:created",
        "task:updated",
        "task:deleted",
    ]
    seqs = [e["seq"] for e in backlog + live]
    assert seqs == list(range(1, len(seqs) + 1))
    assert live[0]["data"]["id"] == task["id"] and live[0]["timestamp"].endswith("Z")
    assert live[2]["data"]["completed"] is True
    assert live[-1]["data"] == {"id": task["id"], "projectId": "proj_default"}
    ws.close()


async def test_an_event_missed_while_disconnected_is_replayed_with_since(api, jp_ws_fetch):
    ws = await jp_ws_fetch("maestro", "api", "events")
    await api("POST", "tasks", {"title": "seen"})
    seen = await events_until(ws, "task:created")
    last = seen[-1]["seq"]
    ws.close()
    missed = (await api("POST", "tasks", {"title": "missed while away"})).json
    again = await jp_ws_fetch("maestro", "api", "events", params={"since": str(last)})
    first = await receive(again)
    assert first["seq"] == last + 1
    assert first["event"] == "task:created" and first["data"]["id"] == missed["id"]
    live = (await api("POST", "tasks", {"title": "live"})).json
    after = await receive(again)
    assert after["seq"] == last + 2 and after["data"]["id"] == live["id"]
    again.close()


async def test_ping_gets_pong(jp_ws_fetch):
    ws = await jp_ws_fetch("maestro", "api", "events", params={"since": "999999"})
    resync = await receive(ws)
    assert resync["type"] == "resync"  # a seq this store never had: start again from 0
    assert (await receive(ws))["seq"] == 1
    await ws.write_message(json.dumps({"type": "ping"}))
    assert await receive(ws) == {"type": "pong"}
    ws.close()


async def test_a_failed_write_emits_nothing(api, jp_ws_fetch, store):
    before = store.last_seq()
    await api("POST", "tasks", {"title": "x", "dependencies": ["task_missing"]})
    await api("POST", "tasks", {"title": "x", "parentId": "task_missing"})
    assert store.last_seq() == before


async def test_project_and_session_writes_emit_their_events(api, jp_ws_fetch, store):
    ws = await jp_ws_fetch("maestro", "api", "events", params={"since": str(store.last_seq())})
    project = (await api("POST", "projects", {"name": "p"})).json
    await api("PATCH", f"projects/{project['id']}", {"name": "p2"})
    task = (await api("POST", "tasks", {"title": "t", "projectId": project["id"]})).json
    session = store.create_session(task_ids=[task["id"]], agent="shell")
    await api("PATCH", f"sessions/{session['id']}", {"status": "needs_input"})
    await api("DELETE", f"sessions/{session['id']}")
    await api("DELETE", f"projects/{project['id']}")
    names = [e["event"] for e in await events_until(ws, "project:deleted")]
    assert names == [
        "project:created",
        "project:updated",
        "task:created",
        "session:created",
        "task:updated",  # the task gains the session id
        "session:updated",  # needs_input
        "session:updated",  # DELETE stops the session first
        "session:deleted",
        "task:updated",
        "project:deleted",
    ]
    ws.close()


async def test_a_store_lost_as_the_socket_opens_is_a_json_error_and_a_close(
    jp_serverapp, jp_ws_fetch
):
    from maestro_jupyter.errors import StoreUnavailable

    async_store = jp_serverapp.web_app.settings["maestro_store"]

    def unavailable() -> int:
        raise StoreUnavailable("The Maestro database cannot be used: it went away.")

    async_store._methods.pop("first_seq", None)
    async_store.sync.first_seq = unavailable
    ws = await jp_ws_fetch("maestro", "api", "events")
    message = await receive(ws)
    assert message["type"] == "error" and message["error"] == "store_unavailable"
    assert await asyncio.wait_for(ws.read_message(), 10) is None  # closed by the server
    assert ws.close_code == 1011

    del async_store.sync.first_seq  # the store is back: a new socket replays as usual
    async_store._methods.pop("first_seq", None)
    again = await jp_ws_fetch("maestro", "api", "events")
    assert (await receive(again))["seq"] == 1
