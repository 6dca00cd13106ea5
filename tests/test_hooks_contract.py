"""The agents' own signals, end to end: a fake `claude` (and `codex`) on PATH records the argv
Maestro gives it; the test runs the hook commands of the `--settings` file (and Codex's `notify`
program) as the agent would, with its documented payloads, in the session's environment, and
sees the session change over REST. Also: `--mcp-config` (issue 16) and resume (issue 13)."""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.spawn.conftest import RECORDER, make_task, wait_for_record, wait_for_status

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def records(tmp_path: Path) -> Path:
    folder = tmp_path / "records"
    folder.mkdir()
    return folder


@pytest.fixture
def fake_agents(tmp_path: Path, records: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`claude` and `codex` that record their argv, cwd and environment, then wait."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("claude", "codex"):
        fake = bin_dir / name
        fake.write_text(
            f'#!/bin/sh\nexec "{sys.executable}" "{RECORDER}" --out "{records}" --sleep 300'
            ' -- "$@"\n'
        )
        fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return bin_dir


@pytest.fixture
def maestro_config(fake_agents: Path, records: Path) -> dict[str, Any]:
    """The built-in claude and codex (found on PATH when the server starts), and an agent that
    could resume but is given no agent session id."""
    plain = [sys.executable, RECORDER, "--out", str(records), "--sleep", "300", "--"]
    agent = {"argv": [*plain, "{prompt}"], "resume": [*plain, "{agent_session_id}"]}
    return {"default_agent": "claude", "agents": {"plain": agent}}


@pytest.fixture
def spawner(jp_serverapp: Any) -> Any:
    spawner = jp_serverapp.web_app.settings["maestro_spawner"]
    spawner.poll_interval = 0.05
    spawner.stop_timeout = 2.0
    return spawner


def maestro_hook_exists() -> bool:
    """`maestro hook` is the CLI's (built beside this); the hook runs are skipped without it."""
    from maestro_jupyter.spawner.hooks import maestro_argv

    probe = subprocess.run([*maestro_argv(), "hook", "--help"], capture_output=True, timeout=60)
    return probe.returncode == 0


async def run(argv: list[str], env: dict[str, str], stdin: str = "", cwd: str | None = None):
    """Run a hook as the agent would, off the server's loop (the hook calls the server)."""
    process = await asyncio.create_subprocess_exec(
        *argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=cwd,
    )
    out, err = await asyncio.wait_for(process.communicate(stdin.encode()), 30)
    return process.returncode, out.decode(), err.decode()


def option(args: list[str], name: str) -> str:
    return args[args.index(name) + 1]


async def spawn(api: Any, body: dict[str, Any]) -> dict[str, Any]:
    reply = await api("POST", "sessions/spawn", body)
    assert reply.status == 201, reply
    return reply.json


async def test_claude_hooks_change_the_session(api, records, spawner):
    task = await make_task(api)  # the needs-input message goes on the session's tasks
    session = await spawn(api, {"taskIds": [task["id"]]})
    record = await wait_for_record(records, session["id"])
    settings_path = Path(option(record["args"], "--settings"))
    assert settings_path.parent.name == session["id"]
    assert stat.S_IMODE(settings_path.stat().st_mode) == 0o600
    hooks = json.loads(settings_path.read_text())["hooks"]
    assert set(hooks) == {
        "Notification",
        "PermissionRequest",
        "UserPromptSubmit",
        "Stop",
        "SessionEnd",
    }
    for groups in hooks.values():
        (hook,) = groups[0]["hooks"]
        assert hook["type"] == "command" and 0 < hook["timeout"] <= 10
        command = shlex.split(hook["command"])
        assert os.path.isabs(command[0]) and command[-2:] == ["hook", "claude"]
    if not maestro_hook_exists():
        pytest.skip("`maestro hook` (the CLI's) is not built yet")

    env = {**os.environ, **record["env"]}
    common = {
        "session_id": session["agentSessionId"],
        "cwd": record["cwd"],
        "transcript_path": "/nonexistent/transcript.jsonl",
    }
    steps = [
        (
            {
                "hook_event_name": "Notification",
                "message": "Claude needs your permission to use Bash",
            },
            "needs_input",
            "idle",
        ),
        ({"hook_event_name": "UserPromptSubmit", "prompt": "go on"}, "running", "working"),
        (
            {
                "hook_event_name": "PermissionRequest",
                "tool_name": "Bash",
                "tool_input": {"command": "ls"},
            },
            "needs_input",
            "idle",
        ),
        ({"hook_event_name": "UserPromptSubmit", "prompt": "yes"}, "running", "working"),
        ({"hook_event_name": "Stop", "stop_hook_active": False}, "running", "idle"),
        ({"hook_event_name": "SessionEnd", "reason": "other"}, "running", "unknown"),
    ]
    for payload, status, activity in steps:
        event = payload["hook_event_name"]
        (command,) = [group["hooks"][0]["command"] for group in hooks[event]]
        code, out, _ = await run(
            ["/bin/sh", "-c", command], env, json.dumps({**common, **payload}), record["cwd"]
        )
        assert code == 0 and out == "", (event, out)  # stdout would be read as a decision
        now = (await api("GET", f"sessions/{session['id']}")).json
        assert (now["status"], now["activity"], now["activitySource"]) == (
            status,
            activity,
            "hook",
        ), event
    timeline = (await api("GET", f"sessions/{session['id']}/timeline")).json["items"]
    asked = [entry["message"] for entry in timeline if entry["kind"] == "needs_input"]
    assert "Claude needs your permission to use Bash" in asked
    await api("POST", f"sessions/{session['id']}/stop")


async def test_codex_notify_changes_the_session(api, records, spawner):
    session = await spawn(api, {"agent": "codex"})
    record = await wait_for_record(records, session["id"])
    overrides = [
        value
        for flag, value in zip(record["args"], record["args"][1:], strict=False)
        if flag == "-c"
    ]
    (notify,) = [value for value in overrides if value.startswith("notify=")]
    argv = json.loads(notify.removeprefix("notify="))
    assert os.path.isabs(argv[0]) and argv[-2:] == ["hook", "codex"]
    assert any(value.startswith("mcp_servers.maestro.command=") for value in overrides)
    if not maestro_hook_exists():
        pytest.skip("`maestro hook` (the CLI's) is not built yet")

    payload = {
        "type": "agent-turn-complete",
        "turn-id": "1",
        "input-messages": ["hi"],
        "last-assistant-message": "Done.",
    }
    code, out, _ = await run([*argv, json.dumps(payload)], {**os.environ, **record["env"]})
    assert code == 0 and out == ""
    now = (await api("GET", f"sessions/{session['id']}")).json
    assert (now["activity"], now["activitySource"]) == ("idle", "hook")
    await api("POST", f"sessions/{session['id']}/stop")


async def test_claude_gets_maestro_mcp_with_the_sessions_environment(api, records, spawner):
    session = await spawn(api, {})
    record = await wait_for_record(records, session["id"])
    path = Path(option(record["args"], "--mcp-config"))
    assert path == Path(record["env"]["MAESTRO_BRIEF"]).parent / "mcp.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    server = json.loads(path.read_text())["mcpServers"]["maestro"]
    assert server["args"] == ["mcp"] and Path(server["command"]).name == "maestro"
    for name in ("MAESTRO_SESSION_ID", "MAESTRO_URL", "MAESTRO_TOKEN"):
        assert server["env"][name] == record["env"][name]
    assert server["env"]["MAESTRO_SESSION_ID"] == session["id"]
    await api("POST", f"sessions/{session['id']}/stop")


async def test_resume_runs_claude_resume_in_the_same_folder(api, records, spawner):
    task = await make_task(api)
    first = await spawn(api, {"taskIds": [task["id"]]})
    before = await wait_for_record(records, first["id"])
    running = await api("POST", f"sessions/{first['id']}/resume")
    assert running.status == 409 and "stop it" in running.json["message"], running
    await api("POST", f"sessions/{first['id']}/stop")

    reply = await api("POST", f"sessions/{first['id']}/resume")
    assert reply.status == 201, reply
    second = reply.json
    assert second["id"] != first["id"] and second["resumedFrom"] == first["id"]
    assert second["agentSessionId"] == first["agentSessionId"]
    assert second["taskIds"] == [task["id"]] and second["cwd"] == first["cwd"]
    after = await wait_for_record(records, second["id"])
    assert after["args"][:2] == ["--resume", first["agentSessionId"]]
    assert "--settings" in after["args"] and "--session-id" not in after["args"]
    assert not [arg for arg in after["args"] if "maestro whoami" in arg]  # no new first prompt
    assert after["cwd"] == before["cwd"]
    assert (await api("GET", f"tasks/{task['id']}")).json["claimedBy"] == second["id"]
    await api("POST", f"sessions/{second['id']}/stop")


async def test_resume_without_an_agent_session_id_is_refused(api, records, spawner):
    session = await spawn(api, {"agent": "plain"})
    assert session["agentSessionId"] is None
    await api("POST", f"sessions/{session['id']}/stop")
    reply = await api("POST", f"sessions/{session['id']}/resume")
    assert reply.status == 409 and "no agent session id" in reply.json["message"], reply
    stored = (await api("GET", "sessions")).json["items"]
    assert [item["id"] for item in stored] == [session["id"]]  # nothing made
    await wait_for_status(api, session["id"], "stopped")
