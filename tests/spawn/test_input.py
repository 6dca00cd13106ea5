"""Typing into a session's terminal: messages (`send_input`) reach a real agent, are recorded, and
answer a session that asked for input; so does a person typing in the tab, after the ask."""

from __future__ import annotations

import json
from typing import Any

import pytest

from maestro_jupyter.errors import Conflict, NotFound, SessionEnded, ValidationFailed

from .conftest import make_task, wait_for, wait_for_file, wait_for_record

pytestmark = pytest.mark.timeout(120)


async def spawn(api: Any, agent: str) -> tuple[dict[str, Any], dict[str, Any]]:
    task = await make_task(api)
    reply = await api("POST", "sessions/spawn", {"taskIds": [task["id"]], "agent": agent})
    assert reply.status == 201, reply
    return task, reply.json


async def status(api: Any, session_id: str) -> str:
    return (await api("GET", f"sessions/{session_id}")).json["status"]


async def test_a_message_reaches_the_agent_is_recorded_and_answers_its_question(
    api, records, spawner, store
):
    task, session = await spawn(api, "reader")
    store.report(session["id"], "needs_input", "Which database?")
    assert await status(api, session["id"]) == "needs_input"

    answered = await spawner.send_input(session["id"], "use PostgreSQL 16", actor="alice")
    assert answered["status"] == "running"
    assert await wait_for_file(records / f"{session['id']}.got") == "use PostgreSQL 16"
    timeline = (await api("GET", f"tasks/{task['id']}/timeline")).json["items"]
    [message] = [entry for entry in timeline if entry["kind"] == "message"]
    assert message["message"] == "use PostgreSQL 16" and message["actor"] == "alice"
    assert message["sessionId"] == session["id"]
    await api("POST", f"sessions/{session['id']}/stop")


async def test_text_without_submit_waits_for_the_next_enter(api, records, spawner):
    _, session = await spawn(api, "reader")
    await spawner.send_input(session["id"], "first half, ", submit=False)
    await spawner.send_input(session["id"], "second half")
    assert await wait_for_file(records / f"{session['id']}.got") == "first half, second half"
    await api("POST", f"sessions/{session['id']}/stop")


async def test_a_tab_in_a_line_is_typed_as_is(api, records, spawner):
    _, session = await spawn(api, "reader")
    await spawner.send_input(session["id"], "a\tb")
    assert await wait_for_file(records / f"{session['id']}.got") == "a\tb"
    await api("POST", f"sessions/{session['id']}/stop")


@pytest.mark.parametrize("text", ["\x1b[2J", "stop\x03", "line\r", "\x7f", "bell\x07", "\x9b"])
async def test_control_characters_are_refused_and_nothing_is_typed_or_recorded(
    api, records, spawner, text
):
    task, session = await spawn(api, "reader")
    with pytest.raises(ValidationFailed) as refused:
        await spawner.send_input(session["id"], text)
    assert refused.value.details["errors"][0]["field"] == "text"
    await spawner.send_input(session["id"], "clean")
    assert await wait_for_file(records / f"{session['id']}.got") == "clean"
    timeline = (await api("GET", f"tasks/{task['id']}/timeline")).json["items"]
    assert [entry["message"] for entry in timeline if entry["kind"] == "message"] == ["clean"]
    await api("POST", f"sessions/{session['id']}/stop")


async def test_ended_unknown_and_terminal_less_sessions_are_refused(api, records, spawner, store):
    task, session = await spawn(api, "ok")
    await wait_for_record(records, session["id"])
    await api("POST", f"sessions/{session['id']}/stop")
    with pytest.raises(SessionEnded):
        await spawner.send_input(session["id"], "hello")
    with pytest.raises(NotFound):
        await spawner.send_input("sess_nope", "hello")
    outside = store.create_session(task_ids=[task["id"]], agent="shell", status="running")
    with pytest.raises(Conflict) as refused:
        await spawner.send_input(outside["id"], "hello")
    assert "no terminal" in refused.value.message
    timeline = (await api("GET", f"tasks/{task['id']}/timeline")).json["items"]
    assert [entry for entry in timeline if entry["kind"] == "message"] == []


async def test_a_person_typing_after_the_ask_makes_the_session_running(
    api, jp_ws_fetch, records, spawner, store
):
    _, session = await spawn(api, "reader")
    watched = spawner.watcher.get(session["id"])
    socket = await jp_ws_fetch("terminals", "websocket", session["terminalName"])
    try:
        # Typed before the ask: no answer to it.
        socket.write_message(json.dumps(["stdin", "x"]))
        await wait_for(lambda: watched.keyboard.person_typed_at is not None)
        store.report(session["id"], "needs_input", "Overwrite the file?")
        await spawner.watcher.check(watched)
        assert await status(api, session["id"]) == "needs_input"
        # Typed after it: the answer.
        typed = watched.keyboard.person_typed_at
        socket.write_message(json.dumps(["stdin", "yes\r"]))
        await wait_for(lambda: watched.keyboard.person_typed_at != typed)
        await spawner.watcher.check(watched)
        assert await status(api, session["id"]) == "running"
        assert await wait_for_file(records / f"{session['id']}.got") == "xyes"
    finally:
        socket.close()
    await api("POST", f"sessions/{session['id']}/stop")


async def test_messages_are_not_taken_for_a_person_typing(api, records, spawner):
    _, session = await spawn(api, "reader")
    await spawner.send_input(session["id"], "from the orchestrator")
    await wait_for_file(records / f"{session['id']}.got")
    assert spawner.watcher.get(session["id"]).keyboard.person_typed_at is None
    await api("POST", f"sessions/{session['id']}/stop")
