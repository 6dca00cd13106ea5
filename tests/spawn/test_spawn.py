"""Spawning sessions: a real terminado terminal runs the configured agent, tracked to its end."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import AsyncHTTPClient

from maestro_jupyter.spawner.processes import ProcessRecord, boot_id, server_identity

from .conftest import (
    maestro_terminals,
    make_task,
    spawner_like,
    wait_for,
    wait_for_record,
    wait_for_status,
)

pytestmark = pytest.mark.timeout(120)


async def spawn(api: Any, body: dict[str, Any], **kwargs: Any) -> Any:
    return await api("POST", "sessions/spawn", body, **kwargs)


async def test_agent_runs_in_a_named_terminal_with_the_session_env(
    api, jp_fetch, jp_serverapp, records, work_dir, spawner
):
    task = await make_task(api)
    reply = await spawn(api, {"taskIds": [task["id"]], "cwd": "work", "cols": 100, "rows": 30})
    assert reply.status == 201, reply
    session = reply.json
    assert session["status"] == "running" and session["agent"] == "ok"
    assert session["terminalName"] == f"maestro_{session['id']}"
    assert session["cwd"] == str(work_dir.resolve())

    terminals = json.loads((await jp_fetch("api", "terminals")).body)
    assert session["terminalName"] in [terminal["name"] for terminal in terminals]

    record = await wait_for_record(records, session["id"])
    env = record["env"]
    assert env["MAESTRO_SESSION_ID"] == session["id"]
    assert env["MAESTRO_TASK_IDS"] == task["id"]
    assert env["MAESTRO_PROJECT_ID"] == "proj_default"
    assert env["MAESTRO_ROLE"] == "worker"
    assert env["MAESTRO_URL"] == jp_serverapp.connection_url
    assert "COLUMNS" not in env and "LINES" not in env
    assert record["size"] == [100, 30]  # the pty was sized before the agent started
    assert record["cwd"] == str(work_dir.resolve())
    brief_path, prompt, session_id = record["args"]
    assert brief_path == env["MAESTRO_BRIEF"] and session_id == session["id"]
    assert "maestro whoami" in prompt

    ended = await wait_for_status(api, session["id"], "completed", "failed")
    assert ended["status"] == "completed" and ended["exitCode"] == 0 and ended["endedAt"]
    # The agent got a token of its own, which its end revoked (tests/test_session_tokens.py).
    own = env["MAESTRO_URL"] + f"maestro/api/sessions/{env['MAESTRO_SESSION_ID']}"
    assert env["MAESTRO_TOKEN"].startswith("mst_")
    revoked = await AsyncHTTPClient().fetch(
        own, headers={"Authorization": f"token {env['MAESTRO_TOKEN']}"}, raise_error=False
    )
    assert revoked.code == 401 and json.loads(revoked.body)["error"] == "token_revoked"
    refused = await AsyncHTTPClient().fetch(own, raise_error=False)
    assert refused.code in (401, 403)
    tasks = (await api("GET", f"tasks/{task['id']}")).json
    assert tasks["sessionIds"] == [session["id"]]
    # The tab stays usable: the terminal is now a shell.
    assert session["terminalName"] in maestro_terminals(jp_serverapp)


async def test_session_folder_holds_manifest_and_brief(api, maestro_home, records, spawner):
    task = await make_task(api)
    await api("POST", f"tasks/{task['id']}/timeline", {"message": "Lexer design agreed"})
    reply = await spawn(api, {"taskIds": [task["id"]], "prompt": "Mind the Unicode."})
    session = reply.json
    folder = maestro_home / "sessions" / session["id"]
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for private in ("manifest.json", "brief.md"):
        assert stat.S_IMODE((folder / private).stat().st_mode) == 0o600
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["session"]["id"] == session["id"]
    assert manifest["terminalName"] == session["terminalName"]
    text = json.dumps(manifest)
    assert '"token' not in text.lower() and "mst_" not in text  # no token, the session's or not
    brief = (folder / "brief.md").read_text()
    for expected in (
        "Write the parser",
        "Lexer",
        "Lexer design agreed",
        "Mind the Unicode.",
        "## Skill: maestro-cli",
        "## Skill: maestro-worker",
    ):
        assert expected in brief
    assert "maestro-orchestrator" not in brief
    assert session["skills"] == ["maestro-cli", "maestro-worker"]


async def test_failing_agent_ends_failed_with_its_exit_code(api, records, spawner):
    task = await make_task(api)
    session = (await spawn(api, {"taskIds": [task["id"]], "agent": "fail"})).json
    ended = await wait_for_status(api, session["id"], "completed", "failed")
    assert ended["status"] == "failed" and ended["exitCode"] == 3


async def test_terminal_websocket_shows_the_agent_output(api, jp_ws_fetch, records, spawner):
    task = await make_task(api)
    session = (await spawn(api, {"taskIds": [task["id"]]})).json
    await wait_for_record(records, session["id"])
    socket = await jp_ws_fetch("terminals", "websocket", session["terminalName"])
    expected = [f"MAESTRO-TEST-AGENT ran for {session['id']}", "the agent exited with code 0"]

    async def read_until(texts: list[str]) -> str:
        seen = ""
        while not all(text in seen for text in texts):
            kind, *payload = json.loads(await socket.read_message())
            if kind == "stdout":
                seen += payload[0]
        return seen

    try:
        seen = await read_until(expected)
        # The agent's output, then the wrapper's notice: the tab is now a shell, still briefed.
        assert seen.index(expected[0]) < seen.index(expected[1])
        socket.write_message(json.dumps(["stdin", "echo shell-of-$MAESTRO_SESSION_ID\r"]))
        await read_until([f"shell-of-{session['id']}"])
    finally:
        socket.close()


async def test_stop_ends_the_agent_its_children_and_the_terminal(
    api, jp_serverapp, records, spawner
):
    task = await make_task(api)
    session = (await spawn(api, {"taskIds": [task["id"]], "agent": "sleeper"})).json
    record = await wait_for_record(records, session["id"])
    reply = await api("POST", f"sessions/{session['id']}/stop")
    assert reply.status == 200, reply
    assert reply.json["status"] == "stopped" and reply.json["endedAt"]
    for pid in (record["pid"], record["childPid"]):
        await wait_for(lambda pid=pid: not _alive(pid), timeout=10)
    await wait_for(lambda: session["terminalName"] not in maestro_terminals(jp_serverapp))
    assert (await api("GET", f"sessions/{session['id']}")).json["status"] == "stopped"


async def test_delete_stops_the_session_first(api, jp_serverapp, records, spawner):
    task = await make_task(api)
    session = (await spawn(api, {"taskIds": [task["id"]], "agent": "sleeper"})).json
    record = await wait_for_record(records, session["id"])
    assert (await api("DELETE", f"sessions/{session['id']}")).status == 204
    await wait_for(lambda: not _alive(record["pid"]), timeout=10)
    await wait_for(lambda: session["terminalName"] not in maestro_terminals(jp_serverapp))


async def test_last_activity_follows_terminal_output(api, records, spawner):
    spawner.activity_interval = 0
    task = await make_task(api)
    session = (await spawn(api, {"taskIds": [task["id"]], "agent": "sleeper"})).json
    await wait_for_record(records, session["id"])

    async def active() -> bool:
        return bool((await api("GET", f"sessions/{session['id']}")).json["lastActivity"])

    await wait_for(active)
    await api("POST", f"sessions/{session['id']}/stop")


async def test_spawn_request_event_names_the_terminal(api, jp_serverapp, records, spawner):
    store = jp_serverapp.web_app.settings["maestro_store"].sync
    since = store.last_seq()
    task = await make_task(api)
    session = (await spawn(api, {"taskIds": [task["id"]]})).json
    events = store.events_since(since)
    requests = [e for e in events if e["event"] == "session:spawn_request"]
    assert len(requests) == 1
    assert requests[0]["data"]["terminalName"] == session["terminalName"]
    assert requests[0]["data"]["session"]["status"] == "running"
    names = [e["event"] for e in events]
    assert names.index("session:created") < names.index("session:spawn_request")
    assert "task:updated" in names


async def test_retried_spawn_with_the_same_idempotency_key_spawns_once(
    api, jp_serverapp, records, spawner
):
    task = await make_task(api)
    headers = {"Idempotency-Key": "spawn-once"}
    first = await spawn(api, {"taskIds": [task["id"]]}, headers=headers)
    second = await spawn(api, {"taskIds": [task["id"]]}, headers=headers)
    assert first.status == second.status == 201
    assert first.json["id"] == second.json["id"]
    assert maestro_terminals(jp_serverapp) == [first.json["terminalName"]]


async def test_restart_reconciles_sessions_whose_terminal_is_gone(
    jp_serverapp, maestro_home, api, spawner
):
    from maestro_jupyter.store import Store
    from maestro_jupyter.store.runner import AsyncStore

    task = await make_task(api)
    app = jp_serverapp.web_app.settings["maestro_app"]
    old = Store(app.db_url)
    left_running = old.create_session(
        task_ids=[task["id"]], agent="ok", terminal_name="maestro_sess_gone1"
    )
    old.update_session(left_running["id"], status="running")
    finished = old.create_session(
        task_ids=[task["id"]], agent="ok", terminal_name="maestro_sess_gone2", status="needs_input"
    )
    outside = old.create_session(task_ids=[task["id"]], agent="ok", status="running")
    exit_file = maestro_home / "sessions" / finished["id"] / "exit_code"
    exit_file.parent.mkdir(parents=True)
    exit_file.write_text("0\n")
    old.close()

    store = AsyncStore(Store(app.db_url))  # a new server over the same database
    try:
        restarted = spawner_like(jp_serverapp, store)
        assert sorted(await restarted.reconcile()) == sorted([left_running["id"], finished["id"]])
        assert await restarted.reconcile() == []
    finally:
        store.close()
    failed = (await api("GET", f"sessions/{left_running['id']}")).json
    assert failed["status"] == "failed" and failed["endedAt"]
    timeline = (await api("GET", f"tasks/{task['id']}/timeline")).json["items"]
    assert any(
        entry["kind"] == "error"
        and "lost when the server stopped" in entry["message"]
        and entry["sessionId"] == left_running["id"]
        for entry in timeline
    )
    completed = (await api("GET", f"sessions/{finished['id']}")).json
    assert completed["status"] == "completed" and completed["exitCode"] == 0
    # A session without a terminal is not the spawner's: it is left as it is.
    assert (await api("GET", f"sessions/{outside['id']}")).json["status"] == "running"


async def test_reconcile_settles_only_the_sessions_of_this_server(
    jp_serverapp, maestro_home, api, spawner, store
):
    """Servers may share a database: a session owned by another server is left alone, unless its
    process.json shows that server stopped on this machine (the same one, on another port)."""
    task = await make_task(api)
    free_pid = _finished_pid()  # a leader long gone: nothing to kill

    def session(server: str, identity: dict[str, Any] | None) -> str:
        made = store.create_session(
            task_ids=[task["id"]],
            agent="ok",
            status="running",
            terminal_name=f"maestro_{server.replace(':', '_')}",
            owner_user="bob",
            owner_server=server,
        )
        if identity is not None:
            folder = maestro_home / "sessions" / made["id"]
            folder.mkdir(parents=True)
            ProcessRecord(made["id"], free_pid, -1, boot_id(), {"id": server, **identity}).write(
                folder
            )
        return made["id"]

    running_here = server_identity()
    elsewhere = session("otherhost:8888/", None)
    alive = session("thishost:1/", running_here)
    stopped = session("thishost:2/", {**running_here, "startTime": -1})
    assert await spawner_like(jp_serverapp, spawner.store).reconcile() == [stopped]
    assert (await api("GET", f"sessions/{stopped}")).json["status"] == "failed"
    for left in (elsewhere, alive):
        assert (await api("GET", f"sessions/{left}")).json["status"] == "running"


async def test_reconcile_keeps_watching_a_session_whose_terminal_is_alive(
    api, jp_serverapp, records, spawner
):
    task = await make_task(api)
    session = (await spawn(api, {"taskIds": [task["id"]], "agent": "sleeper"})).json
    other = spawner_like(jp_serverapp, spawner.store)
    assert await other.reconcile() == []
    assert other.watcher.get(session["id"]) is not None
    assert (await api("GET", f"sessions/{session['id']}")).json["status"] == "running"
    await other.watcher.close()
    await api("POST", f"sessions/{session['id']}/stop")


def _finished_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rpartition(")")[2].split()[0] not in ("Z", "X")
    except OSError:
        return False
    except IndexError:
        return os.path.exists(f"/proc/{pid}")


async def test_the_default_project_starts_at_the_root_of_the_server_that_spawns(
    api, jp_serverapp, records, spawner, tmp_path
):
    # Another server (a teammate's, on a shared database) made the default project at its root.
    store = jp_serverapp.web_app.settings["maestro_store"].sync
    store.update_project(store.default_project_id, {"working_dir": str(tmp_path / "elsewhere")})
    task = await make_task(api)
    reply = await spawn(api, {"taskIds": [task["id"]]})
    assert reply.status == 201, reply
    assert reply.json["cwd"] == str(Path(jp_serverapp.root_dir).resolve())
