"""REST routes: every happy path, and the errors DESIGN.md names."""

from __future__ import annotations

import pytest

from maestro_jupyter.store import migrations

pytestmark = pytest.mark.timeout(120)


async def test_status_reports_version_store_and_counts(api):
    reply = await api("GET", "status")
    assert reply.status == 200
    assert reply.json["store"]["dialect"] == "sqlite"
    assert reply.json["schemaVersion"] == int(migrations.head())
    assert reply.json["counts"]["projects"] == 1
    assert reply.json["defaultAgent"] in reply.json["agents"]
    await api("POST", "tasks", {"title": "one", "status": "blocked"})
    after = await api("GET", "status")
    assert after.json["counts"]["tasks"]["blocked"] == 1
    assert after.json["lastSeq"] > reply.json["lastSeq"]


async def test_projects_crud(api):
    created = await api("POST", "projects", {"name": "Site", "workingDir": "/tmp/site"})
    assert created.status == 201
    project = created.json
    assert project["id"].startswith("proj_") and project["version"] == 1
    listed = await api("GET", "projects")
    assert {p["id"] for p in listed.json["items"]} == {"proj_default", project["id"]}
    patched = await api("PATCH", f"projects/{project['id']}", {"description": "the site"})
    assert patched.json["description"] == "the site" and patched.json["version"] == 2
    assert patched.json["name"] == "Site"
    assert (await api("DELETE", f"projects/{project['id']}")).status == 204
    assert (await api("GET", f"projects/{project['id']}")).status == 404
    refused = await api("DELETE", "projects/proj_default")
    assert refused.status == 409 and refused.json["error"] == "conflict"


async def test_task_lifecycle_create_list_update_complete_delete(api):
    created = await api(
        "POST",
        "tasks",
        {
            "title": "Write docs",
            "priority": "high",
            "labels": ["docs"],
            "subtasks": [{"title": "outline"}, {"title": "draft"}],
        },
    )
    assert created.status == 201
    task = created.json
    assert task["projectId"] == "proj_default" and task["status"] == "todo"
    assert task["subtaskCount"] == 2 and task["subtasksCompleted"] == 0

    fetched = await api("GET", f"tasks/{task['id']}", params={"include": "subtasks"})
    assert [s["title"] for s in fetched.json["subtasks"]] == ["outline", "draft"]

    started = await api("PATCH", f"tasks/{task['id']}", {"status": "in_progress"})
    assert started.json["status"] == "in_progress" and started.json["startedAt"]
    assert started.json["priority"] == "high"  # untouched fields stay

    blocked = await api("POST", f"tasks/{task['id']}/block", {"reason": "needs a decision"})
    assert blocked.json["status"] == "blocked"
    assert blocked.json["blockedReason"] == "needs a decision"

    done = await api("POST", f"tasks/{task['id']}/complete", {"message": "shipped"})
    assert done.json["status"] == "completed" and done.json["completedAt"]
    assert done.json["blockedReason"] is None

    timeline = await api("GET", f"tasks/{task['id']}/timeline")
    kinds = [entry["kind"] for entry in timeline.json["items"]]
    assert "blocked" in kinds and "milestone" in kinds

    assert (await api("DELETE", f"tasks/{task['id']}")).status == 204
    assert (await api("GET", f"tasks/{task['id']}")).status == 404
    assert (await api("GET", f"tasks/{task['id']}/subtasks")).status == 404


async def test_task_list_filters_and_cursor_pagination(api):
    ids = []
    for i in range(7):
        reply = await api(
            "POST", "tasks", {"title": f"task {i}", "status": "blocked" if i % 2 else "todo"}
        )
        ids.append(reply.json["id"])
    seen, cursor = [], None
    while True:
        params = {"limit": "3", **({"cursor": cursor} if cursor else {})}
        page = await api("GET", "tasks", params=params)
        seen += [t["id"] for t in page.json["items"]]
        cursor = page.json["nextCursor"]
        if cursor is None:
            break
    assert seen == ids
    blocked = await api("GET", "tasks", params={"status": "blocked"})
    assert [t["id"] for t in blocked.json["items"]] == ids[1::2]
    both = await api("GET", "tasks", params={"status": "blocked,todo"})
    assert len(both.json["items"]) == 7
    found = await api("GET", "tasks", params={"q": "TASK 3"})
    assert [t["id"] for t in found.json["items"]] == [ids[3]]
    bad = await api("GET", "tasks", params={"cursor": "garbage"})
    assert bad.status == 422


async def test_children_and_parent_filter(api):
    parent = (await api("POST", "tasks", {"title": "epic"})).json
    child = (await api("POST", "tasks", {"title": "story", "parentId": parent["id"]})).json
    children = await api("GET", f"tasks/{parent['id']}/children")
    assert [t["id"] for t in children.json["items"]] == [child["id"]]
    top = await api("GET", "tasks", params={"parentId": "null"})
    assert [t["id"] for t in top.json["items"]] == [parent["id"]]
    refused = await api("DELETE", f"tasks/{parent['id']}")
    assert refused.status == 409 and refused.json["details"]["children"] == [child["id"]]
    cycle = await api("PATCH", f"tasks/{parent['id']}", {"parentId": child["id"]})
    assert cycle.status == 422
    assert (
        await api("DELETE", f"tasks/{parent['id']}", params={"recursive": "true"})
    ).status == 204
    assert (await api("GET", f"tasks/{child['id']}")).status == 404


async def test_dependencies_are_checked(api):
    a = (await api("POST", "tasks", {"title": "a"})).json
    b = (await api("POST", "tasks", {"title": "b", "dependencies": [a["id"]]})).json
    assert b["dependencies"] == [a["id"]]
    missing = await api("POST", "tasks", {"title": "c", "dependencies": ["task_nothere"]})
    assert missing.status == 422 and missing.json["details"]["errors"][0]["field"] == "dependencies"
    cycle = await api("PATCH", f"tasks/{a['id']}", {"dependencies": [b["id"]]})
    assert cycle.status == 422


async def test_subtasks_crud_one_or_many(api):
    task = (await api("POST", "tasks", {"title": "t"})).json
    one = await api("POST", f"tasks/{task['id']}/subtasks", {"title": "first"})
    assert one.status == 201 and one.json["position"] == 0
    many = await api("POST", f"tasks/{task['id']}/subtasks", [{"title": "b"}, {"title": "c"}])
    assert many.status == 201 and [s["position"] for s in many.json["items"]] == [1, 2]
    sid = one.json["id"]
    done = await api("PATCH", f"tasks/{task['id']}/subtasks/{sid}", {"completed": True})
    assert done.json["completed"] is True and done.json["completedAt"] and done.json["version"] == 2
    assert (await api("GET", f"tasks/{task['id']}")).json["subtasksCompleted"] == 1
    got = await api("GET", f"tasks/{task['id']}/subtasks/{sid}")
    assert got.json["title"] == "first"
    assert (await api("DELETE", f"tasks/{task['id']}/subtasks/{sid}")).status == 204
    listed = await api("GET", f"tasks/{task['id']}/subtasks")
    assert [s["title"] for s in listed.json["items"]] == ["b", "c"]
    other = (await api("POST", "tasks", {"title": "other"})).json
    wrong_parent = await api("GET", f"tasks/{other['id']}/subtasks/{many.json['items'][0]['id']}")
    assert wrong_parent.status == 404


async def test_timeline_entries(api):
    task = (await api("POST", "tasks", {"title": "t"})).json
    entry = await api(
        "POST", f"tasks/{task['id']}/timeline", {"kind": "progress", "message": "halfway\nthere"}
    )
    assert entry.status == 201 and entry.json["message"] == "halfway\nthere"
    listed = await api("GET", f"tasks/{task['id']}/timeline")
    assert listed.json["items"][-1]["id"] == entry.json["id"]
    unknown_session = await api(
        "POST", f"tasks/{task['id']}/timeline", {"message": "x", "sessionId": "sess_nothere"}
    )
    assert unknown_session.status == 404


async def test_stale_if_match_is_refused_with_412(api):
    task = (await api("POST", "tasks", {"title": "t"})).json
    ok = await api("PATCH", f"tasks/{task['id']}", {"title": "t2"}, headers={"If-Match": "1"})
    assert ok.status == 200 and ok.json["version"] == 2
    stale = await api("PATCH", f"tasks/{task['id']}", {"title": "t3"}, headers={"If-Match": '"1"'})
    assert stale.status == 412 and stale.json["error"] == "version_mismatch"
    assert stale.json["details"]["currentVersion"] == 2
    assert (await api("GET", f"tasks/{task['id']}")).json["title"] == "t2"
    sub = (await api("POST", f"tasks/{task['id']}/subtasks", {"title": "s"})).json
    stale_sub = await api(
        "PATCH",
        f"tasks/{task['id']}/subtasks/{sub['id']}",
        {"completed": True},
        headers={"If-Match": "7"},
    )
    assert stale_sub.status == 412


async def test_idempotency_key_returns_the_first_result(api):
    headers = {"Idempotency-Key": "retry-1"}
    first = await api("POST", "tasks", {"title": "once"}, headers=headers)
    again = await api("POST", "tasks", {"title": "once"}, headers=headers)
    assert first.status == again.status == 201
    assert first.json["id"] == again.json["id"]
    listed = await api("GET", "tasks")
    assert [t["title"] for t in listed.json["items"]] == ["once"]
    sub_a = await api("POST", f"tasks/{first.json['id']}/subtasks", {"title": "s"}, headers=headers)
    sub_b = await api("POST", f"tasks/{first.json['id']}/subtasks", {"title": "s"}, headers=headers)
    assert sub_a.json["id"] == sub_b.json["id"]


async def test_sessions_list_get_patch_delete(api, store):
    task = (await api("POST", "tasks", {"title": "t"})).json
    session = store.create_session(task_ids=[task["id"]], agent="shell", name="probe")
    listed = await api("GET", "sessions", params={"taskId": task["id"]})
    assert [s["id"] for s in listed.json["items"]] == [session["id"]]
    assert (await api("GET", f"tasks/{task['id']}")).json["sessionIds"] == [session["id"]]
    patched = await api("PATCH", f"sessions/{session['id']}", {"status": "needs_input"})
    assert patched.json["status"] == "needs_input"
    by_status = await api("GET", "sessions", params={"status": "needs_input"})
    assert len(by_status.json["items"]) == 1
    refused = await api("PATCH", f"sessions/{session['id']}", {"status": "completed"})
    assert refused.status == 422
    assert (await api("DELETE", f"sessions/{session['id']}")).status == 204
    assert (await api("GET", f"sessions/{session['id']}")).status == 404
    assert (await api("GET", f"tasks/{task['id']}")).json["sessionIds"] == []


async def test_export_then_import_into_an_empty_store_round_trips(api, store):
    task = (await api("POST", "tasks", {"title": "t", "subtasks": [{"title": "s"}]})).json
    await api("POST", f"tasks/{task['id']}/timeline", {"message": "note"})
    store.create_session(task_ids=[task["id"]], agent="shell")
    exported = (await api("GET", "export")).json
    conflict = await api("POST", "import", exported)
    assert conflict.status == 409 and "tasks" in conflict.json["details"]["ids"]
    skipped = await api("POST", "import", exported, params={"onConflict": "skip"})
    assert skipped.status == 200 and skipped.json["skipped"]["tasks"] == 1
    for session in exported["sessions"]:
        await api("DELETE", f"sessions/{session['id']}")
    await api("DELETE", f"tasks/{task['id']}")
    imported = await api("POST", "import", exported)
    assert imported.status == 200 and imported.json["created"]["tasks"] == 1
    again = (await api("GET", "export")).json
    for kind in ("projects", "tasks", "subtasks", "timeline", "sessions"):
        assert again[kind] == exported[kind], kind


async def test_block_complete_and_import_are_idempotent_with_a_key(api):
    task = (await api("POST", "tasks", {"title": "t"})).json
    session_headers = {"Idempotency-Key": "block-1"}
    for _ in range(2):
        blocked = await api(
            "POST", f"tasks/{task['id']}/block", {"reason": "waiting"}, headers=session_headers
        )
        assert blocked.status == 200 and blocked.json["status"] == "blocked"
    timeline = (await api("GET", f"tasks/{task['id']}/timeline")).json["items"]
    assert [e["kind"] for e in timeline].count("blocked") == 1
    exported = (await api("GET", "export")).json
    await api("DELETE", f"tasks/{task['id']}")
    first = await api("POST", "import", exported, headers={"Idempotency-Key": "imp-1"})
    retry = await api("POST", "import", exported, headers={"Idempotency-Key": "imp-1"})
    assert first.status == retry.status == 200 and retry.json == first.json


async def test_block_and_complete_attribute_their_entries_to_the_session(api, store):
    task = (await api("POST", "tasks", {"title": "t"})).json
    session = store.create_session(task_ids=[task["id"]], agent="shell")
    await api("POST", f"tasks/{task['id']}/block", {"reason": "r", "sessionId": session["id"]})
    await api(
        "POST", f"tasks/{task['id']}/complete", {"message": "done", "sessionId": session["id"]}
    )
    entries = (await api("GET", f"tasks/{task['id']}/timeline")).json["items"]
    attributed = {e["kind"]: e["sessionId"] for e in entries if e["kind"] != "status"}
    assert attributed == {"blocked": session["id"], "milestone": session["id"]}


async def test_a_numeric_cache_buster_in_the_query_is_ignored(api):
    await api("POST", "tasks", {"title": "t"})
    reply = await api("GET", "tasks", params={"status": "todo", "1795511292685": ""})
    assert reply.status == 200 and len(reply.json["items"]) == 1
