"""Bad spawn requests: each a clear 4xx, no orphaned terminal, no session left `spawning`;
and text from users (titles, names, prompts) is never run by a shell."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from maestro_jupyter.errors import Conflict, SpawnFailed
from maestro_jupyter.models import SpawnRequest

from .conftest import maestro_terminals, make_task, wait_for, wait_for_record, wait_for_status

pytestmark = pytest.mark.timeout(120)


async def refused(api: Any, jp_serverapp: Any, body: dict[str, Any], status: int = 422) -> Any:
    reply = await api("POST", "sessions/spawn", body)
    assert reply.status == status, reply
    assert reply.json["error"] and reply.json["message"]
    assert maestro_terminals(jp_serverapp) == []
    assert (await api("GET", "sessions")).json["items"] == []
    return reply.json


def field_of(error: dict[str, Any]) -> str:
    return error["details"]["errors"][0]["field"]


async def test_unknown_task_is_refused(api, jp_serverapp, spawner):
    error = await refused(api, jp_serverapp, {"taskIds": ["task_nope"]})
    assert field_of(error) == "taskIds" and "task_nope" in error["message"]


async def test_unknown_misconfigured_and_missing_agents_are_refused(api, jp_serverapp, spawner):
    task = await make_task(api)
    error = await refused(api, jp_serverapp, {"taskIds": [task["id"]], "agent": "nope"})
    assert field_of(error) == "agent" and "ok" in error["message"]
    error = await refused(api, jp_serverapp, {"taskIds": [task["id"]], "agent": "ghost"})
    assert field_of(error) == "agent" and "not on PATH" in error["message"]
    error = await refused(api, jp_serverapp, {"taskIds": [task["id"]], "agent": "misconfigured"})
    assert field_of(error) == "agent" and "argv" in error["message"]


@pytest.mark.parametrize("cwd", ["/", "..", "../..", "work/../..", "/etc"])
async def test_cwd_outside_the_root_is_refused(api, jp_serverapp, spawner, work_dir, cwd):
    task = await make_task(api)
    error = await refused(api, jp_serverapp, {"taskIds": [task["id"]], "cwd": cwd})
    assert field_of(error) == "cwd" and "outside" in error["message"]


async def test_cwd_symlink_leading_outside_the_root_is_refused(
    api, jp_serverapp, jp_root_dir, tmp_path, spawner
):
    outside = tmp_path / "outside"
    outside.mkdir()
    (jp_root_dir / "escape").symlink_to(outside)
    task = await make_task(api)
    error = await refused(api, jp_serverapp, {"taskIds": [task["id"]], "cwd": "escape"})
    assert "outside" in error["message"]


async def test_missing_cwd_and_file_cwd_are_refused(api, jp_serverapp, jp_root_dir, spawner):
    (jp_root_dir / "notes.txt").write_text("x")
    task = await make_task(api)
    error = await refused(api, jp_serverapp, {"taskIds": [task["id"]], "cwd": "missing"})
    assert "does not exist" in error["message"]
    error = await refused(api, jp_serverapp, {"taskIds": [task["id"]], "cwd": "notes.txt"})
    assert "not a directory" in error["message"]


@pytest.mark.parametrize(
    "extra, field",
    [
        ({"role": "boss"}, "role"),
        ({"skills": ["no-such-skill"]}, "skills"),
        ({"parentSessionId": "sess_nope"}, "parentSessionId"),
        ({"projectId": "proj_nope"}, "projectId"),
        ({"name": "two\nlines"}, "name"),
        ({"cols": 5}, "cols"),
        ({"shell": "rm -rf /"}, "shell"),
    ],
)
async def test_invalid_fields_are_refused(api, jp_serverapp, spawner, extra, field):
    task = await make_task(api)
    error = await refused(api, jp_serverapp, {"taskIds": [task["id"]], **extra})
    assert field in field_of(error)


async def test_no_task_ids_and_an_unknown_project_is_refused(api, jp_serverapp, spawner):
    error = await refused(api, jp_serverapp, {"taskIds": [], "projectId": "proj_nope"})
    assert field_of(error) == "projectId"
    error = await refused(api, jp_serverapp, {"projectId": "proj_nope"})
    assert field_of(error) == "projectId"


async def test_duplicate_session_id_is_a_conflict_with_one_terminal(
    api, jp_serverapp, records, spawner
):
    task = await make_task(api)
    request = SpawnRequest(task_ids=[task["id"]], agent="sleeper")
    first = await spawner.spawn(request, session_id="sess_twice")
    with pytest.raises(Conflict):
        await spawner.spawn(request, session_id="sess_twice")
    assert maestro_terminals(jp_serverapp) == ["maestro_sess_twice"]
    assert len((await api("GET", "sessions")).json["items"]) == 1
    await wait_for_record(records, first["id"])
    await api("POST", "sessions/sess_twice/stop")


async def test_existing_terminal_of_that_name_is_never_replaced(api, jp_serverapp, spawner):
    manager = jp_serverapp.web_app.settings["terminal_manager"]
    manager.create(name="maestro_sess_taken")
    existing = manager.terminals["maestro_sess_taken"]
    task = await make_task(api)
    with pytest.raises(Conflict):
        await spawner.spawn(SpawnRequest(task_ids=[task["id"]]), session_id="sess_taken")
    assert manager.terminals["maestro_sess_taken"] is existing
    assert (await api("GET", "sessions")).json["items"] == []
    await manager.terminate("maestro_sess_taken", force=True)


@pytest.mark.parametrize(
    "agent, reason",
    [("oversized", "Argument list too long"), ("nul", "NUL byte")],
)
@pytest.mark.parametrize("key", [None, "spawn-an-agent-that-cannot-start"])
async def test_a_terminal_that_cannot_start_leaves_the_session_failed(
    api, jp_serverapp, spawner, agent, reason, key
):
    task = await make_task(api)
    headers = {"Idempotency-Key": key} if key else {}
    reply = await api(
        "POST", "sessions/spawn", {"taskIds": [task["id"]], "agent": agent}, headers=headers
    )
    assert reply.status == 500 and reply.json["error"] == "spawn_failed", reply
    assert reason in reply.json["message"]
    [session] = (await api("GET", "sessions")).json["items"]
    assert reply.json["details"]["sessionId"] == session["id"]
    assert session["status"] == "failed" and session["endedAt"]
    assert maestro_terminals(jp_serverapp) == []


async def test_the_spawner_records_a_failed_start_before_raising(api, spawner):
    task = await make_task(api)
    with pytest.raises(SpawnFailed) as failure:
        await spawner.spawn(SpawnRequest(task_ids=[task["id"]], agent="oversized"))
    assert isinstance(failure.value.__cause__, OSError)
    session = await spawner.store.get_session(failure.value.details["sessionId"])
    assert session["status"] == "failed"
    assert spawner.watcher.get(session["id"]) is None


async def test_a_working_folder_removed_before_the_start_fails_the_session_not_the_server(
    api, jp_fetch, jp_serverapp, records, spawner, work_dir
):
    """Handed to ptyprocess, a missing cwd would block the server for good (the forked child
    fails before exec and never reports it): the wrapper enters the folder instead."""

    def remove_work_dir(event: dict[str, Any]) -> None:
        # Events are published after their commit, before the spawner goes on to the terminal.
        if event["event"] == "session:created":
            shutil.rmtree(work_dir)

    unsubscribe = jp_serverapp.web_app.settings["maestro_events"].subscribe(remove_work_dir)
    task = await make_task(api)
    try:
        reply = await api("POST", "sessions/spawn", {"taskIds": [task["id"]], "cwd": "work"})
    finally:
        unsubscribe()
    assert reply.status == 201, reply
    assert not work_dir.exists()
    ended = await wait_for_status(api, reply.json["id"], "completed", "failed")
    assert ended["status"] == "failed" and ended["exitCode"] not in (None, 0)
    assert not (records / f"{reply.json['id']}.json").exists()  # the agent never ran
    assert (await jp_fetch("api", "status")).code == 200


async def test_shell_metacharacters_in_user_text_are_never_executed(
    api, jp_serverapp, records, spawner, tmp_path
):
    marks = [tmp_path / f"pwned-{n}" for n in range(4)]
    title = f"$(touch {marks[0]}); x"
    task = (await api("POST", "tasks", {"title": title, "description": f"`touch {marks[1]}`"})).json
    prompt = f"line one\n$(touch {marks[2]})\n'; touch {marks[3]}; '"
    name = f"$(touch {marks[3]})"

    recorded = (
        await api(
            "POST", "sessions/spawn", {"taskIds": [task["id"]], "prompt": prompt, "name": name}
        )
    ).json
    record = await wait_for_record(records, recorded["id"])
    brief = Path(record["args"][0]).read_text()
    assert prompt in brief and title in brief  # verbatim, in the brief file, not in argv
    assert prompt not in record["args"][1]
    await wait_for_status(api, recorded["id"], "completed", "failed")

    shell = (
        await api(
            "POST",
            "sessions/spawn",
            {"taskIds": [task["id"]], "prompt": prompt, "name": name, "agent": "shell"},
        )
    ).json
    terminal = jp_serverapp.web_app.settings["terminal_manager"].terminals[shell["terminalName"]]
    await wait_for(lambda: title in "".join(terminal.read_buffer))  # the brief was printed
    await api("POST", f"sessions/{shell['id']}/stop")
    assert [mark for mark in marks if mark.exists()] == []


async def test_orchestrator_is_briefed_with_its_skills_and_the_requested_ones(
    api, maestro_home, records, spawner, tmp_path
):
    extra = tmp_path / "user-skills" / "house-style"
    extra.mkdir(parents=True)
    (extra / "SKILL.md").write_text(
        "---\nname: house-style\ndescription: Our conventions.\nroles: [worker]\n---\nUse tabs.\n"
    )
    task = await make_task(api)
    reply = await api(
        "POST",
        "sessions/spawn",
        {"taskIds": [task["id"]], "role": "orchestrator", "skills": ["house-style"]},
    )
    assert reply.status == 201, reply
    session = reply.json
    assert session["skills"] == ["maestro-cli", "maestro-orchestrator", "house-style"]
    brief = (maestro_home / "sessions" / session["id"] / "brief.md").read_text()
    assert "Use tabs." in brief and "never" in brief.lower()
    assert "## Skill: maestro-worker" not in brief
    assert (await wait_for_record(records, session["id"]))["env"]["MAESTRO_ROLE"] == "orchestrator"


async def test_a_failure_after_the_terminal_started_ends_it_and_fails_the_session(
    api, jp_serverapp, records, spawner, monkeypatch
):
    update = spawner.store.update_session

    async def refuse_running(session_id: str, *args: Any, **changes: Any) -> Any:
        if changes.get("status") == "running":
            raise RuntimeError("disk full")
        return await update(session_id, *args, **changes)

    monkeypatch.setattr(spawner.store, "update_session", refuse_running)
    task = await make_task(api)
    reply = await api("POST", "sessions/spawn", {"taskIds": [task["id"]], "agent": "sleeper"})
    assert reply.status == 500 and reply.json["error"] == "spawn_failed", reply
    assert "disk full" not in reply.json["message"]
    [session] = (await api("GET", "sessions")).json["items"]
    assert session["status"] == "failed" and reply.json["details"]["sessionId"] == session["id"]
    await wait_for(lambda: maestro_terminals(jp_serverapp) == [])
