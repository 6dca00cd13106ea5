"""Attention over REST: an agent's own hooks move its session; Lab windows report their size."""

from __future__ import annotations

import asyncio
import json

import pytest

pytestmark = pytest.mark.timeout(120)


async def session_with_task(api):
    task = (await api("POST", "tasks", {"title": "hooked"})).json
    session = (await api("POST", "sessions", {"name": "claude", "taskIds": [task["id"]]})).json
    return session, task


async def hook(api, session_id, event, message=None, agent="claude"):
    body = {"agent": agent, "event": event, **({"message": message} if message else {})}
    return await api("POST", f"sessions/{session_id}/hook", body)


async def test_claude_hooks_move_status_and_activity(api):
    session, task = await session_with_task(api)
    asked = await hook(
        api, session["id"], "Notification", "Claude needs your permission to use Bash"
    )
    assert asked.status == 200 and asked.json["applied"] is True
    state = asked.json["session"]
    assert state["status"] == "needs_input"
    assert (state["activity"], state["activitySource"]) == ("idle", "hook")
    entries = (await api("GET", f"tasks/{task['id']}/timeline")).json["items"]
    assert entries[-1]["kind"] == "needs_input"
    assert entries[-1]["message"] == "Claude needs your permission to use Bash"
    typed = (await hook(api, session["id"], "UserPromptSubmit")).json["session"]
    assert (typed["status"], typed["activity"]) == ("running", "working")
    stopped = (await hook(api, session["id"], "Stop")).json["session"]
    assert (stopped["status"], stopped["activity"]) == ("running", "idle")


async def test_codex_turn_end_is_idle(api):
    session, _ = await session_with_task(api)
    done = await hook(api, session["id"], "agent-turn-complete", agent="codex")
    assert done.json["session"]["activity"] == "idle"


async def test_an_unknown_event_or_an_ended_session_changes_nothing(api, store):
    session, task = await session_with_task(api)
    before = (await api("GET", f"sessions/{session['id']}")).json
    odd = await hook(api, session["id"], "SomethingNew")
    assert odd.status == 200 and odd.json["applied"] is False
    assert (await api("GET", f"sessions/{session['id']}")).json == before
    store.end_session(session["id"], "completed")
    late = await hook(api, session["id"], "Notification", "late")
    assert late.json["applied"] is False and late.json["session"]["status"] == "completed"


async def test_a_hook_for_an_unknown_session_is_404_and_bad_text_422(api):
    assert (await hook(api, "sess_nothere", "Stop")).status == 404
    session, _ = await session_with_task(api)
    assert (await hook(api, session["id"], "Notification", "bell\x07")).status == 422


async def test_lab_windows_report_their_terminal_size_while_connected(jp_ws_fetch, jp_serverapp):
    windows = jp_serverapp.web_app.settings["maestro_lab_windows"]
    ws = await jp_ws_fetch("maestro", "api", "events")
    await ws.write_message(json.dumps({"type": "size", "rows": 48, "cols": 180}))
    await ws.write_message(json.dumps({"type": "ping"}))
    while json.loads(await ws.read_message()).get("type") != "pong":
        pass
    assert windows.latest() == (48, 180)
    await ws.write_message(json.dumps({"type": "size", "rows": 2, "cols": 99999}))
    assert json.loads(await ws.read_message())["type"] == "error"
    assert windows.latest() == (48, 180)
    ws.close()
    for _ in range(100):
        if windows.latest() is None:
            break
        await asyncio.sleep(0.02)
    assert windows.latest() is None
