"""The role guard, route by route: every route and method of the route table, called with a
worker's token, an orchestrator's and a revoked one, on what the caller holds and what it does
not. Allowed calls are not refused (they may still fail on their own terms); refused ones answer
403 `forbidden` naming the role and the action, and change nothing; a revoked token is 401."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from maestro_jupyter import access
from maestro_jupyter.handlers import api_routes

pytestmark = pytest.mark.timeout(300)

# The policy of issue 17, written out independently of access.py: for each write, what a worker
# and an orchestrator may do. "held": on a task it holds; "reach": for itself (an orchestrator:
# also for the sessions it spawned); "any": on any task; None: never. Reads: all but the export.
POLICY: dict[str, tuple[str | None, str | None]] = {
    "POST import": (None, None),
    "POST projects": (None, None),
    "PATCH projects/{project_id}": (None, None),
    "DELETE projects/{project_id}": (None, None),
    "POST tasks": (None, "any"),
    "POST tasks/claim": ("reach", "reach"),
    "PATCH tasks/{task_id}": ("held", "any"),
    "DELETE tasks/{task_id}": (None, None),
    "POST tasks/{task_id}/complete": ("held", "held"),
    "POST tasks/{task_id}/block": ("held", "held"),
    "POST tasks/{task_id}/release": ("held", "held"),
    "POST tasks/{task_id}/timeline": ("held", "held"),
    "POST tasks/{task_id}/subtasks": ("held", "any"),
    "PATCH tasks/{task_id}/subtasks/{subtask_id}": ("held", "any"),
    "DELETE tasks/{task_id}/subtasks/{subtask_id}": (None, None),
    "POST sessions": (None, None),
    "POST sessions/spawn": (None, "reach"),
    "PATCH sessions/{session_id}": ("reach", "reach"),
    "DELETE sessions/{session_id}": (None, None),
    "POST sessions/{session_id}/report": ("reach", "reach"),
    "POST sessions/{session_id}/hook": ("reach", "reach"),
    "POST sessions/{session_id}/input": ("reach", "reach"),
    "POST sessions/{session_id}/stop": (None, "reach"),
    "POST sessions/{session_id}/resume": (None, "reach"),
    "POST sessions/{session_id}/merge": (None, "reach"),
    "POST sessions/{session_id}/discard": (None, "reach"),
    "POST worktrees/prune": (None, None),
}
REFUSED_READS = {"GET export"}

# A body each write accepts (or refuses on its own terms, after the guard): `{s}` is the
# session the call is for, `{t}` the task.
BODIES: dict[str, Any] = {
    "POST import": {"format": "maestro-export", "schemaVersion": 3},
    "POST projects": {"name": "Another"},
    "PATCH projects/{project_id}": {"name": "Renamed"},
    "POST tasks": {"title": "New work"},
    "POST tasks/claim": {"sessionId": "{s}", "taskId": "{t}"},
    "PATCH tasks/{task_id}": {"title": "Renamed task"},
    "POST tasks/{task_id}/complete": {"sessionId": "{s}", "message": "done"},
    "POST tasks/{task_id}/block": {"sessionId": "{s}", "reason": "waits for a key"},
    "POST tasks/{task_id}/release": {"sessionId": "{s}"},
    "POST tasks/{task_id}/timeline": {"sessionId": "{s}", "message": "a note"},
    "POST tasks/{task_id}/subtasks": {"title": "One more step"},
    "PATCH tasks/{task_id}/subtasks/{subtask_id}": {"completed": True},
    "POST sessions": {"name": "by hand"},
    # A folder that does not exist: an allowed spawn is refused after the guard (422).
    "POST sessions/spawn": {"parentSessionId": "{s}", "cwd": "no-such-folder"},
    "PATCH sessions/{session_id}": {"name": "renamed session"},
    "POST sessions/{session_id}/report": {"kind": "progress", "message": "half done"},
    "POST sessions/{session_id}/hook": {"agent": "claude", "event": "Stop"},
    "POST sessions/{session_id}/input": {"text": "hello"},
    "POST sessions/{session_id}/merge": {},
    "POST worktrees/prune": {},
}
# The sessions a call may be for: the caller, one the caller spawned, one of someone else.
SESSIONS = ("self", "child", "stranger")
TASKS = ("held", "other")


def build_world(store: Any, server: str, role: str) -> dict[str, Any]:
    """A caller session of `role` holding one task, its child, a stranger, another task; the
    caller's token, and the token of a session that ended."""
    held = store.create_task("Held by the caller", subtasks=[{"title": "a step"}])
    other = store.create_task("Someone else's", subtasks=[{"title": "a step"}])
    caller = store.create_session(
        [held["id"]], "shell", role=role, status="running", owner_server=server, claim=True
    )
    child = store.create_session(
        [], "shell", status="running", parent_session_id=caller["id"], owner_server=server
    )
    stranger = store.create_session([], "shell", status="running", owner_server=server)
    ended = store.create_session([], "shell", role=role, status="running", owner_server=server)
    revoked = store.issue_session_token(ended["id"], role, server)
    store.end_session(ended["id"], "completed")
    return {
        "token": store.issue_session_token(caller["id"], role, server),
        "revoked": revoked,
        "sessions": {"self": caller["id"], "child": child["id"], "stranger": stranger["id"]},
        "tasks": {"held": held["id"], "other": other["id"]},
        "subtasks": {
            "held": store.get_task(held["id"], include_subtasks=True)["subtasks"][0]["id"],
            "other": store.get_task(other["id"], include_subtasks=True)["subtasks"][0]["id"],
        },
    }


def calls() -> list[tuple[str, str, str, str]]:
    """(method, route, task variant, session variant) for every operation of the route table."""
    found = []
    for route in api_routes():
        for method in route.operations:
            key = f"{method.upper()} {route.path}"
            tasks = TASKS if "{task_id}" in route.path else ("held",)
            body = json.dumps(BODIES.get(key, {}))
            about_a_session = "{session_id}" in route.path or "{s}" in body
            sessions = SESSIONS if about_a_session else ("self",)
            found += [(method.upper(), route.path, t, s) for t in tasks for s in sessions]
    return found


def expected_allowed(role: str, method: str, route: str, task: str, session: str) -> bool:
    key = f"{method} {route}"
    if method == "GET":
        return key not in REFUSED_READS
    worker, orchestrator = POLICY[key]
    scope = orchestrator if role == "orchestrator" else worker
    reaches = session == "self" or (session == "child" and role == "orchestrator")
    if scope is None or not reaches:
        return False
    return scope != "held" or task == "held"


def concrete(route: str, world: dict[str, Any], task: str, session: str) -> str:
    return (
        route.replace("{task_id}", world["tasks"][task])
        .replace("{subtask_id}", world["subtasks"][task])
        .replace("{session_id}", world["sessions"][session])
        .replace("{project_id}", "proj_default")
        .replace("{name}", "maestro-worker")
    )


def body_of(key: str, world: dict[str, Any], task: str, session: str) -> Any:
    text = json.dumps(BODIES.get(key, {}))
    text = text.replace("{s}", world["sessions"][session]).replace("{t}", world["tasks"][task])
    return json.loads(text)


def test_every_write_of_the_route_table_has_a_rule_and_access_py_says_the_same():
    writes = {
        f"{method.upper()} {route.path}"
        for route in api_routes()
        for method in route.operations
        if method != "get"
    }
    assert writes == set(POLICY) == set(access.WRITES)
    for key, (worker, orchestrator) in POLICY.items():
        rule = access.WRITES[key]
        for role, scope in (("worker", worker), ("orchestrator", orchestrator)):
            mapped = {"held": access.HELD, "reach": access.REACH, "any": access.REACH}
            assert rule.of(role) == (mapped[scope] if scope else None), (key, role)
    reads = {f"GET {route.path}" for route in api_routes() if "get" in route.operations}
    assert access.REFUSED_READS == REFUSED_READS and REFUSED_READS <= reads


@pytest.mark.parametrize("role", ["worker", "orchestrator"])
async def test_every_route_follows_the_policy_for_a_sessions_token(api, jp_serverapp, store, role):
    server = jp_serverapp.web_app.settings["maestro_spawner"].server_id
    world = build_world(store, server, role)
    checked = {True: 0, False: 0}
    for method, route, task, session in calls():
        key = f"{method} {route}"
        path = concrete(route, world, task, session)
        body = body_of(key, world, task, session) if method in ("POST", "PATCH") else None
        before = store.last_seq()
        reply = await api(method, path, body, headers={"Authorization": f"token {world['token']}"})
        allowed = expected_allowed(role, method, route, task, session)
        case = (role, key, task, session, reply)
        checked[allowed] += 1
        if allowed:
            assert reply.status not in (401, 403), case
            if method != "GET":  # what it did is done: the next call gets a fresh world
                world = build_world(store, server, role)
        else:
            assert reply.status == 403, case
            assert reply.json["error"] == "forbidden", case
            assert reply.json["details"] == {"role": role, "action": key}, case
            assert world["sessions"]["self"] in reply.json["message"], case
            assert store.last_seq() == before, case  # nothing changed
    assert checked[True] > 20 and checked[False] > 20


async def test_a_revoked_token_is_refused_on_every_route(api, jp_serverapp, store):
    server = jp_serverapp.web_app.settings["maestro_spawner"].server_id
    world = build_world(store, server, "orchestrator")
    before = store.last_seq()
    for method, route, task, session in calls():
        key = f"{method} {route}"
        body = body_of(key, world, task, session) if method in ("POST", "PATCH") else None
        path = concrete(route, world, task, session)
        reply = await api(
            method, path, body, headers={"Authorization": f"token {world['revoked']}"}
        )
        assert reply.status == 401 and reply.json["error"] == "token_revoked", (key, reply)
    assert store.last_seq() == before


async def test_a_worker_cannot_act_in_another_sessions_name_on_its_own_task(
    api, jp_serverapp, store
):
    server = jp_serverapp.web_app.settings["maestro_spawner"].server_id
    world = build_world(store, server, "worker")
    held, stranger = world["tasks"]["held"], world["sessions"]["stranger"]
    reply = await api(
        "POST",
        f"tasks/{held}/complete",
        {"sessionId": stranger},
        headers={"Authorization": f"token {world['token']}"},
    )
    assert reply.status == 403 and stranger in reply.json["message"]
    assert store.get_task(held)["status"] == "in_progress"


@pytest.mark.parametrize("role", ["worker", "orchestrator"])
async def test_the_events_socket_takes_both_roles_but_not_a_revoked_token(
    jp_ws_fetch, jp_serverapp, store, role
):
    server = jp_serverapp.web_app.settings["maestro_spawner"].server_id
    world = build_world(store, server, role)
    ws = await jp_ws_fetch(
        "maestro", "api", "events", headers={"Authorization": f"token {world['token']}"}
    )
    assert json.loads(await ws.read_message())["seq"] == 1
    ws.close()
    with pytest.raises(HTTPClientError) as refused:
        await jp_ws_fetch(
            "maestro", "api", "events", headers={"Authorization": f"token {world['revoked']}"}
        )
    assert refused.value.code == 401
