"""Coordination over REST: claims, dependencies that hold, registration, reports, timelines."""

from __future__ import annotations

import asyncio

import pytest

pytestmark = pytest.mark.timeout(120)


async def make_task(api, title, **fields):
    reply = await api("POST", "tasks", {"title": title, **fields})
    assert reply.status == 201, reply
    return reply.json


async def register(api, **fields):
    reply = await api("POST", "sessions", {"name": "outside agent", **fields})
    assert reply.status == 201, reply
    return reply.json


async def snapshot(api):
    data = (await api("GET", "export")).json
    data.pop("exportedAt")
    return data


async def test_a_registered_session_claims_the_most_urgent_ready_task(api):
    await make_task(api, "low one", priority="low")
    urgent = await make_task(api, "urgent one", priority="urgent")
    session = await register(api)
    assert session["status"] == "running" and session["taskIds"] == []
    claimed = await api("POST", "tasks/claim", {"sessionId": session["id"]})
    assert claimed.status == 200
    task = claimed.json["task"]
    assert task["id"] == urgent["id"]
    assert task["claimedBy"] == session["id"] and task["status"] == "in_progress"
    linked = (await api("GET", f"sessions/{session['id']}")).json
    assert urgent["id"] in linked["taskIds"]
    entries = (await api("GET", f"sessions/{session['id']}/timeline")).json["items"]
    assert [entry["kind"] for entry in entries] == ["claim"]
    assert entries[0]["actor"] == session["id"]


async def test_nothing_ready_answers_a_null_task_and_changes_nothing(api):
    session = await register(api)
    before = await snapshot(api)
    reply = await api("POST", "tasks/claim", {"sessionId": session["id"]})
    assert reply.status == 200 and reply.json == {"task": None}
    assert await snapshot(api) == before


async def test_twenty_sessions_claiming_at_once_get_twenty_distinct_tasks(api):
    for i in range(25):
        await make_task(api, f"task {i}")
    sessions = [await register(api, name=f"worker {i}") for i in range(20)]
    replies = await asyncio.gather(
        *(api("POST", "tasks/claim", {"sessionId": s["id"]}) for s in sessions)
    )
    claimed = [reply.json["task"]["id"] for reply in replies]
    assert len(set(claimed)) == 20
    ready = (await api("GET", "tasks", params={"ready": "true"})).json["items"]
    assert len(ready) == 5 and not set(t["id"] for t in ready) & set(claimed)


async def test_a_task_held_by_a_live_session_is_refused_naming_the_holder(api):
    task = await make_task(api, "contested")
    holder = await register(api, name="holder")
    other = await register(api, name="other")
    await api("POST", "tasks/claim", {"sessionId": holder["id"], "taskId": task["id"]})
    before = await snapshot(api)
    refused = await api("POST", "tasks/claim", {"sessionId": other["id"], "taskId": task["id"]})
    assert refused.status == 409 and refused.json["error"] == "claimed"
    assert holder["id"] in refused.json["message"]
    assert refused.json["details"]["claimedBy"] == holder["id"]
    assert await snapshot(api) == before
    released = await api("POST", f"tasks/{task['id']}/release", {"sessionId": holder["id"]})
    assert released.status == 200 and released.json["claimedBy"] is None
    assert released.json["status"] == "todo"


async def test_claims_by_unknown_or_ended_sessions_are_refused(api, store):
    await make_task(api, "t")
    before = await snapshot(api)
    unknown = await api("POST", "tasks/claim", {"sessionId": "sess_nothere"})
    assert unknown.status == 404 and unknown.json["error"] == "not_found"
    assert await snapshot(api) == before
    session = await register(api)
    store.end_session(session["id"], "completed")
    before = await snapshot(api)
    ended = await api("POST", "tasks/claim", {"sessionId": session["id"]})
    assert ended.status == 409 and ended.json["error"] == "session_ended"
    assert await snapshot(api) == before


async def test_dependencies_hold_unless_forced(api):
    first = await make_task(api, "first")
    second = await make_task(api, "second", dependencies=[first["id"]])
    ready = (await api("GET", "tasks", params={"ready": "true"})).json["items"]
    assert [t["id"] for t in ready] == [first["id"]]
    before = await snapshot(api)
    for method, path, body in (
        ("PATCH", f"tasks/{second['id']}", {"status": "in_progress"}),
        ("POST", f"tasks/{second['id']}/complete", {}),
    ):
        refused = await api(method, path, body)
        assert refused.status == 409 and refused.json["error"] == "dependencies_unmet"
        assert refused.json["details"]["dependencies"][0]["id"] == first["id"]
        assert "first" in refused.json["message"]
    assert await snapshot(api) == before
    forced = await api("POST", f"tasks/{second['id']}/complete", {"force": True})
    assert forced.status == 200 and forced.json["status"] == "completed"
    kinds = [
        e["message"] for e in (await api("GET", f"tasks/{second['id']}/timeline")).json["items"]
    ]
    assert any("depend" in message.lower() for message in kinds)


async def test_a_cancelled_dependency_counts_as_met(api):
    first = await make_task(api, "dropped")
    second = await make_task(api, "goes ahead", dependencies=[first["id"]])
    await api("PATCH", f"tasks/{first['id']}", {"status": "cancelled"})
    ready = (await api("GET", "tasks", params={"ready": "true"})).json["items"]
    assert [t["id"] for t in ready] == [second["id"]]


async def test_deleting_a_task_removes_it_from_its_dependents(api):
    first = await make_task(api, "doomed")
    second = await make_task(api, "dependent", dependencies=[first["id"]])
    assert (await api("DELETE", f"tasks/{first['id']}")).status == 204
    after = (await api("GET", f"tasks/{second['id']}")).json
    assert after["dependencies"] == []
    entries = (await api("GET", f"tasks/{second['id']}/timeline")).json["items"]
    assert any("doomed" in entry["message"] for entry in entries)


async def test_reports_move_the_session_and_a_late_one_only_writes_the_timeline(api, store):
    task = await make_task(api, "work")
    session = await register(api, taskIds=[task["id"]])
    asked = await api(
        "POST", f"sessions/{session['id']}/report", {"kind": "needs_input", "message": "password?"}
    )
    assert asked.status == 200 and asked.json["session"]["status"] == "needs_input"
    resumed = await api(
        "POST", f"sessions/{session['id']}/report", {"kind": "progress", "message": "got it"}
    )
    assert resumed.json["session"]["status"] == "running"
    store.end_session(session["id"], "completed")
    late = await api(
        "POST", f"sessions/{session['id']}/report", {"kind": "needs_input", "message": "late"}
    )
    assert late.status == 200 and late.json["sessionEnded"] is True
    assert late.json["session"]["status"] == "completed"
    messages = [
        e["message"] for e in (await api("GET", f"tasks/{task['id']}/timeline")).json["items"]
    ]
    assert "late" in messages
    revive = await api("PATCH", f"sessions/{session['id']}", {"status": "running"})
    assert revive.status == 409 and revive.json["error"] == "session_ended"


async def test_patch_task_ids_assigns_and_unassigns(api):
    a = await make_task(api, "a")
    b = await make_task(api, "b")
    session = await register(api, taskIds=[a["id"]])
    moved = await api("PATCH", f"sessions/{session['id']}", {"taskIds": [b["id"]]})
    assert moved.status == 200 and moved.json["taskIds"] == [b["id"]]
    unknown = await api("PATCH", f"sessions/{session['id']}", {"taskIds": ["task_nothere"]})
    assert unknown.status == 422
    assert (await api("GET", f"sessions/{session['id']}")).json["taskIds"] == [b["id"]]


async def test_input_to_an_ended_or_terminal_less_session_is_409_and_control_text_422(api, store):
    session = await register(api)
    no_terminal = await api("POST", f"sessions/{session['id']}/input", {"text": "hello"})
    assert no_terminal.status == 409
    escape = await api("POST", f"sessions/{session['id']}/input", {"text": "\x1b[2J"})
    assert escape.status == 422
    store.end_session(session["id"], "stopped")
    ended = await api("POST", f"sessions/{session['id']}/input", {"text": "hello"})
    assert ended.status == 409 and ended.json["error"] == "session_ended"


async def test_a_task_cannot_be_created_started_while_its_dependencies_are_open(api):
    first = await make_task(api, "first")
    before = await snapshot(api)
    for status in ("in_progress", "completed"):
        refused = await api(
            "POST", "tasks", {"title": "eager", "status": status, "dependencies": [first["id"]]}
        )
        assert refused.status == 409 and refused.json["error"] == "dependencies_unmet"
    assert await snapshot(api) == before
    fine = await make_task(api, "waits", dependencies=[first["id"]])
    assert fine["status"] == "todo"
