"""A spawn claims its tasks for the new session; it is refused (409, nothing recorded) for tasks
whose dependencies are unmet or that a live session holds, unless forced; and with no task, the
agent is briefed to claim work from the project."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import maestro_terminals, wait_for_record, wait_for_status

pytestmark = pytest.mark.timeout(120)


async def task(api: Any, title: str, **fields: Any) -> dict[str, Any]:
    reply = await api("POST", "tasks", {"title": title, **fields})
    assert reply.status == 201, reply
    return reply.json


async def spawn(api: Any, body: dict[str, Any]) -> Any:
    return await api("POST", "sessions/spawn", {"agent": "sleeper", **body})


async def nothing_recorded(api: Any, jp_serverapp: Any, sessions_before: int = 0) -> None:
    assert len((await api("GET", "sessions")).json["items"]) == sessions_before
    assert len(maestro_terminals(jp_serverapp)) == sessions_before


async def stop_all(api: Any) -> None:
    for session in (await api("GET", "sessions")).json["items"]:
        await api("POST", f"sessions/{session['id']}/stop")


async def test_spawning_claims_the_task_for_the_new_session(api, records, spawner):
    work = await task(api, "Write the parser")
    reply = await spawn(api, {"taskIds": [work["id"]]})
    assert reply.status == 201, reply
    session = reply.json
    claimed = (await api("GET", f"tasks/{work['id']}")).json
    assert claimed["claimedBy"] == session["id"] and claimed["status"] == "in_progress"
    timeline = (await api("GET", f"tasks/{work['id']}/timeline")).json["items"]
    [entry] = [entry for entry in timeline if entry["kind"] == "claim"]
    assert entry["sessionId"] == session["id"] and session["id"] in entry["message"]
    await wait_for_record(records, session["id"])
    await stop_all(api)
    released = (await api("GET", f"tasks/{work['id']}")).json
    assert released["claimedBy"] is None and released["status"] == "todo"


async def test_unmet_dependencies_refuse_the_spawn_unless_forced(
    api, jp_serverapp, records, spawner
):
    first = await task(api, "Design the schema")
    second = await task(api, "Write the migrations", dependencies=[first["id"]])
    reply = await spawn(api, {"taskIds": [second["id"]]})
    assert reply.status == 409 and reply.json["error"] == "dependencies_unmet", reply
    assert "Design the schema" in reply.json["message"] and first["id"] in reply.json["message"]
    assert [dep["id"] for dep in reply.json["details"]["dependencies"]] == [first["id"]]
    await nothing_recorded(api, jp_serverapp)
    assert (await api("GET", f"tasks/{second['id']}")).json["status"] == "todo"

    forced = await spawn(api, {"taskIds": [second["id"]], "force": True})
    assert forced.status == 201, forced
    held = (await api("GET", f"tasks/{second['id']}")).json
    assert held["claimedBy"] == forced.json["id"]
    claims = [
        entry["message"]
        for entry in (await api("GET", f"tasks/{second['id']}/timeline")).json["items"]
        if entry["kind"] == "claim"
    ]
    assert any("Design the schema" in message for message in claims)  # forced past, said so
    await stop_all(api)


async def test_a_cancelled_dependency_counts_as_met(api, records, spawner):
    dropped = await task(api, "Support IE11", status="cancelled")
    work = await task(api, "Ship the site", dependencies=[dropped["id"]])
    reply = await spawn(api, {"taskIds": [work["id"]]})
    assert reply.status == 201, reply
    await stop_all(api)


async def test_a_task_a_live_session_holds_is_refused_unless_forced(
    api, jp_serverapp, records, spawner
):
    work = await task(api, "Refactor the client")
    holder = (await spawn(api, {"taskIds": [work["id"]]})).json
    reply = await spawn(api, {"taskIds": [work["id"]]})
    assert reply.status == 409 and reply.json["error"] == "claimed", reply
    assert reply.json["details"]["claimedBy"] == holder["id"]
    assert holder["id"] in reply.json["message"]
    await nothing_recorded(api, jp_serverapp, sessions_before=1)

    forced = await spawn(api, {"taskIds": [work["id"]], "force": True})
    assert forced.status == 201, forced
    assert (await api("GET", f"tasks/{work['id']}")).json["claimedBy"] == forced.json["id"]
    await stop_all(api)


async def test_a_claim_held_by_an_ended_session_is_taken_over(api, records, spawner):
    work = await task(api, "Fix the flaky test")
    first = (await spawn(api, {"taskIds": [work["id"]], "agent": "fail"})).json
    await wait_for_status(api, first["id"], "failed")
    again = await spawn(api, {"taskIds": [work["id"]]})
    assert again.status == 201, again
    assert (await api("GET", f"tasks/{work['id']}")).json["claimedBy"] == again.json["id"]
    await stop_all(api)


async def test_completed_tasks_are_linked_not_claimed(api, records, spawner):
    done = await task(api, "Old work", status="completed")
    reply = await spawn(api, {"taskIds": [done["id"]]})
    assert reply.status == 201, reply
    assert reply.json["taskIds"] == [done["id"]]
    after = (await api("GET", f"tasks/{done['id']}")).json
    assert after["status"] == "completed" and after["claimedBy"] is None
    await stop_all(api)


async def test_a_spawn_without_tasks_is_briefed_to_claim_from_the_project(
    api, maestro_home, records, spawner
):
    project = (await api("POST", "projects", {"name": "Site"})).json
    reply = await spawn(api, {"taskIds": [], "projectId": project["id"], "agent": "ok"})
    assert reply.status == 201, reply
    session = reply.json
    assert session["taskIds"] == [] and session["projectId"] == project["id"]
    record = await wait_for_record(records, session["id"])
    assert record["env"]["MAESTRO_TASK_IDS"] == ""
    assert record["env"]["MAESTRO_PROJECT_ID"] == project["id"]
    brief = (maestro_home / "sessions" / session["id"] / "brief.md").read_text()
    assert "maestro task next --claim" in brief and project["id"] in brief

    default = await spawn(api, {"taskIds": [], "agent": "ok"})
    assert default.status == 201, default
    assert default.json["projectId"] == "proj_default"
