"""`maestro hook claude|codex` as the agents run it: a separate program, Claude Code's documented
payloads on stdin (Codex's as the last argument), against a real server. It prints nothing,
always exits 0, and a bad payload, an unknown event, a missing session or a dead server change
nothing and leave one line in the session folder's hook.log."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness import ServerProcess, free_port
from tests.cli_support import Maestro, cli_env, maestro, maestro_server, run_maestro  # noqa: F401
from tests.test_cli_process import HEAVY_MODULES, imported_modules

pytestmark = pytest.mark.timeout(180)

# Claude Code's hook payloads (its hooks reference: common fields, then the event's own).
COMMON = {
    "session_id": "8f1e2d3c-claude-session",
    "transcript_path": "/tmp/transcript.jsonl",
    "cwd": "/tmp",
}
NOTIFICATION = {
    **COMMON,
    "hook_event_name": "Notification",
    "message": "Claude needs your permission to use Bash",
}
PERMISSION = {
    **COMMON,
    "hook_event_name": "PermissionRequest",
    "tool_name": "Bash",
    "tool_input": {"command": "rm -rf build"},
}
PROMPT = {**COMMON, "hook_event_name": "UserPromptSubmit", "prompt": "go on"}
STOP = {**COMMON, "hook_event_name": "Stop", "stop_hook_active": False}
SESSION_END = {**COMMON, "hook_event_name": "SessionEnd", "reason": "exit"}
CODEX_TURN = {
    "type": "agent-turn-complete",
    "thread-id": "b5f6c1c2-1111-2222-3333-444455556666",
    "turn-id": "12345",
    "cwd": "/tmp",
    "input-messages": ["Rename foo to bar"],
    "last-assistant-message": "Renamed foo to bar.",
}


@pytest.fixture
def hooked(maestro_server: ServerProcess, tmp_path: Path) -> dict[str, Any]:  # noqa: F811
    """A running session with a task, and the environment its agent's hooks run in."""
    task = maestro_server.api("POST", "tasks", {"title": "Hooked work"})
    session = maestro_server.api(
        "POST", "sessions", {"name": "claude", "taskIds": [task["id"]], "agent": "claude"}
    )
    folder = tmp_path / "session-folder"
    folder.mkdir()
    env = maestro_server.cli_env(
        MAESTRO_SESSION_ID=session["id"], MAESTRO_BRIEF=str(folder / "brief.md")
    )
    return {"session": session, "task": task, "env": env, "log": folder / "hook.log"}


def run_hook(agent: str, payload: Any, env: dict[str, str], *extra: str) -> Any:
    text = payload if isinstance(payload, str) else json.dumps(payload)
    if agent == "claude":
        run = run_maestro("hook", "claude", *extra, env=env, stdin=text)
    else:
        run = run_maestro("hook", "codex", *extra, text, env=env)
    assert (run.returncode, run.stdout) == (0, ""), run.stderr
    return run


def state(server: ServerProcess, session_id: str) -> dict[str, Any]:
    return server.api("GET", f"sessions/{session_id}")


def test_each_claude_hook_moves_the_session(
    maestro_server: ServerProcess,  # noqa: F811
    hooked: dict[str, Any],
) -> None:
    session_id, env = hooked["session"]["id"], hooked["env"]

    run_hook("claude", NOTIFICATION, env)
    asked = state(maestro_server, session_id)
    assert (asked["status"], asked["activity"], asked["activitySource"]) == (
        "needs_input",
        "idle",
        "hook",
    )
    timeline = maestro_server.api("GET", f"tasks/{hooked['task']['id']}/timeline")["items"]
    assert (timeline[-1]["kind"], timeline[-1]["message"]) == (
        "needs_input",
        "Claude needs your permission to use Bash",
    )

    run_hook("claude", PROMPT, env)
    typed = state(maestro_server, session_id)
    assert (typed["status"], typed["activity"]) == ("running", "working")

    run_hook("claude", PERMISSION, env)
    assert state(maestro_server, session_id)["status"] == "needs_input"
    timeline = maestro_server.api("GET", f"tasks/{hooked['task']['id']}/timeline")["items"]
    assert timeline[-1]["message"] == "Claude asks permission to use Bash"

    run_hook("claude", PROMPT, env)
    run_hook("claude", STOP, env)
    stopped = state(maestro_server, session_id)
    assert (stopped["status"], stopped["activity"]) == ("running", "idle")

    run_hook("claude", SESSION_END, env)
    assert state(maestro_server, session_id)["activity"] == "unknown"
    assert not hooked["log"].exists()  # nothing went wrong, so nothing was logged


def test_control_characters_are_stripped_from_the_message(
    maestro_server: ServerProcess,  # noqa: F811
    hooked: dict[str, Any],
) -> None:
    payload = {**NOTIFICATION, "message": "Approve\x1b[31m the\x07 deploy?\u009b\r\nNow"}
    run_hook("claude", payload, hooked["env"])
    timeline = maestro_server.api("GET", f"tasks/{hooked['task']['id']}/timeline")["items"]
    assert timeline[-1]["message"] == "Approve[31m the deploy?\nNow"
    assert not hooked["log"].exists()


def test_codex_notify_payload_is_the_last_argument(
    maestro_server: ServerProcess,  # noqa: F811
    hooked: dict[str, Any],
) -> None:
    run_hook("codex", CODEX_TURN, hooked["env"])
    idle = state(maestro_server, hooked["session"]["id"])
    assert (idle["status"], idle["activity"], idle["activitySource"]) == ("running", "idle", "hook")
    assert not hooked["log"].exists()


BAD_RUNS = {
    "malformed JSON": ("claude", '{"hook_event_name": "Stop"', {}, "not JSON"),
    "not an object": ("claude", "[1, 2]", {}, "not a JSON object"),
    "no event": ("claude", {**COMMON}, {}, "no event name"),
    "unknown event": ("claude", {**COMMON, "hook_event_name": "PreCompact"}, {}, "changed nothing"),
    "unknown codex type": ("codex", {"type": "something-new"}, {}, "changed nothing"),
    "codex without payload": ("codex", None, {}, "not JSON"),
    "outside a session": ("claude", STOP, {"MAESTRO_SESSION_ID": ""}, "not inside a session"),
    "unknown session": ("claude", STOP, {"MAESTRO_SESSION_ID": "sess_nothere"}, "does not exist"),
    "dead server": ("claude", STOP, {"MAESTRO_URL": "dead"}, "cannot reach Maestro"),
    "unknown agent": ("gemini", STOP, {}, "unknown agent"),
}


@pytest.mark.parametrize("case", list(BAD_RUNS))
def test_bad_hooks_change_nothing_and_log_one_line(
    maestro_server: ServerProcess,  # noqa: F811
    hooked: dict[str, Any],
    case: str,
) -> None:
    agent, payload, env_changes, logged = BAD_RUNS[case]
    env = {**hooked["env"], **env_changes}
    if env.get("MAESTRO_URL") == "dead":
        env["MAESTRO_URL"] = f"http://127.0.0.1:{free_port()}/"
    before = state(maestro_server, hooked["session"]["id"])
    args = ["hook", agent]
    if agent == "codex" and payload is not None:
        args.append(json.dumps(payload))
    text = payload if isinstance(payload, str) or payload is None else json.dumps(payload)
    run = run_maestro(*args, env=env, stdin=text if agent != "codex" else None)
    assert (run.returncode, run.stdout) == (0, "")
    assert state(maestro_server, hooked["session"]["id"]) == before
    lines = hooked["log"].read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 and logged in lines[0], lines
    assert f"maestro hook {agent}" in lines[0]


def test_outside_a_session_folder_nothing_is_written_anywhere(
    maestro_server: ServerProcess,  # noqa: F811
    tmp_path: Path,
) -> None:
    env = maestro_server.cli_env()  # neither MAESTRO_SESSION_ID nor MAESTRO_BRIEF
    run = run_maestro("hook", "claude", env=env, stdin=json.dumps(STOP), cwd=tmp_path)
    assert (run.returncode, run.stdout, run.stderr) == (0, "", "")
    assert list(tmp_path.iterdir()) == []


def test_the_hook_imports_neither_click_nor_the_server(hooked: dict[str, Any]) -> None:
    run = run_maestro(
        "hook",
        "claude",
        env=hooked["env"],
        stdin=json.dumps(STOP),
        python_flags=("-X", "importtime"),
    )
    assert run.returncode == 0 and run.stdout == ""
    modules = imported_modules(run.stderr)
    assert "http.client" in modules and "maestro_cli.hook" in modules
    assert sorted(m for m in modules if m.split(".")[0] in (*HEAVY_MODULES, "click")) == []
    assert "maestro_cli.root" not in modules


def test_the_click_command_relays_too_and_has_help(
    maestro: Maestro,  # noqa: F811
    hooked: dict[str, Any],
    maestro_server: ServerProcess,  # noqa: F811
) -> None:
    env = {
        "MAESTRO_SESSION_ID": hooked["session"]["id"],
        "MAESTRO_BRIEF": hooked["env"]["MAESTRO_BRIEF"],
    }
    run = maestro("--json", "hook", "claude", env=env, stdin=json.dumps(NOTIFICATION))
    assert (run.code, run.out) == (0, "")
    assert state(maestro_server, hooked["session"]["id"])["status"] == "needs_input"
    helped = maestro("hook", "--help")
    assert helped.code == 0 and "Claude Code's hook JSON" in helped.out
