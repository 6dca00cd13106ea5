"""Activity from the terminal's output (working, then idle after silence), the Lab window's size
for spawns that give none, and hooks winning over output."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .conftest import script, wait_for, wait_for_record, wait_for_status

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def maestro_config(maestro_config: dict[str, Any], records: Path) -> dict[str, Any]:
    agents = {
        **maestro_config["agents"],
        # Prints for about two seconds, then goes silent until stopped.
        "chatty": script(
            records,
            'i=0; while [ $i -lt 20 ]; do echo "working $i"; sleep 0.1; i=$((i+1)); done; '
            'touch "$1/$MAESTRO_SESSION_ID.quiet"; exec sleep 1000',
        ),
    }
    return {**maestro_config, "agents": agents}


async def session_of(api: Any, session_id: str) -> dict[str, Any]:
    return (await api("GET", f"sessions/{session_id}")).json


async def test_output_then_silence_is_working_then_idle(api, records, spawner):
    spawner.idle_after = 1.0
    reply = await api("POST", "sessions/spawn", {"agent": "chatty"})
    assert reply.status == 201, reply
    session_id = reply.json["id"]

    async def activity(wanted: str) -> dict[str, Any] | None:
        session = await session_of(api, session_id)
        return session if session["activity"] == wanted else None

    working = await wait_for(lambda: activity("working"))
    assert working["activitySource"] == "output" and working["lastOutputAt"]
    await wait_for((records / f"{session_id}.quiet").exists)
    idle = await wait_for(lambda: activity("idle"))
    assert idle["activitySource"] == "output"
    assert idle["lastOutputAt"] >= working["lastOutputAt"]
    # Transitions only: a second of printing ten lines a second was one update, not ten.
    assert idle["version"] - working["version"] <= 2
    await api("POST", f"sessions/{session_id}/stop")


async def test_a_hook_wins_over_the_output(api, records, spawner):
    spawner.idle_after = 1.0
    session_id = (await api("POST", "sessions/spawn", {"agent": "chatty"})).json["id"]
    reply = await api("POST", f"sessions/{session_id}/hook", {"agent": "claude", "event": "Stop"})
    assert reply.status == 200 and reply.json["applied"], reply
    await wait_for((records / f"{session_id}.quiet").exists)
    # Output kept coming after the hook, then stopped: the hook's word stands throughout.
    session = await session_of(api, session_id)
    assert (session["activity"], session["activitySource"]) == ("idle", "hook")
    reply = await api(
        "POST", f"sessions/{session_id}/hook", {"agent": "claude", "event": "UserPromptSubmit"}
    )
    assert reply.json["session"]["activity"] == "working"
    await wait_for(lambda: spawner.watcher.get(session_id).output.at is not None)
    session = await session_of(api, session_id)
    assert (session["activity"], session["activitySource"]) == ("working", "hook")
    await api("POST", f"sessions/{session_id}/stop")


async def test_a_spawn_without_a_size_takes_the_lab_windows(api, records, spawner):
    spawner.terminal_size = lambda: (33, 111)
    session = (await api("POST", "sessions/spawn", {})).json
    assert (await wait_for_record(records, session["id"]))["size"] == [111, 33]
    # A size in the request wins; with no Lab window, the defaults.
    session = (await api("POST", "sessions/spawn", {"rows": 20, "cols": 90})).json
    assert (await wait_for_record(records, session["id"]))["size"] == [90, 20]
    spawner.terminal_size = lambda: None
    session = (await api("POST", "sessions/spawn", {})).json
    record = await wait_for_record(records, session["id"])
    assert record["size"] == [spawner.default_cols, spawner.default_rows]
    await wait_for_status(api, session["id"], "completed")
