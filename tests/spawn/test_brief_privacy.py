"""Briefs stay private: task text travels by a 0600 file in a 0700 folder, never in argv, where
`ps` shows it to every user of the machine."""

from __future__ import annotations

import os
import stat
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from .conftest import RECORDER, make_task, wait_for_record

pytestmark = pytest.mark.timeout(120)

TITLE = "Acquire Initech quietly"
DESCRIPTION = "Board-only: the price is 4.2 billion."
PROMPT = "Do not mention the merger in commits."
NAME = "merger-prep"


@pytest.fixture
def fake_claude(tmp_path: Path, records: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A `claude` on PATH that records its argv, then stays running (as a real one would)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "claude"
    fake.write_text(
        f'#!/bin/sh\nexec "{sys.executable}" "{RECORDER}" --out "{records}" --sleep 300 -- "$@"\n'
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return fake


@pytest.fixture
def maestro_config(fake_claude: Path, records: Path) -> dict[str, Any]:
    """The built-in agents, found on PATH when the server starts (agents are resolved once)."""
    inline = [sys.executable, RECORDER, "--out", str(records), "--", "{brief_text}"]
    return {"agents": {"inline": {"argv": inline}}}


def cmdline(pid: int) -> str:
    with open(f"/proc/{pid}/cmdline", "rb") as handle:
        return handle.read().replace(b"\0", b" ").decode("utf-8", "replace")


async def spawn_about_the_merger(api: Any, agent: str) -> dict[str, Any]:
    task = (await api("POST", "tasks", {"title": TITLE, "description": DESCRIPTION})).json
    reply = await api(
        "POST",
        "sessions/spawn",
        {"taskIds": [task["id"]], "agent": agent, "prompt": PROMPT, "name": NAME},
    )
    assert reply.status == 201, reply
    return reply.json


async def test_claude_is_the_default_and_reads_its_brief_from_the_file(
    api, jp_serverapp, maestro_home, records, spawner
):
    assert spawner.default_agent == "claude"
    task = await make_task(api)
    session = (await api("POST", "sessions/spawn", {"taskIds": [task["id"]]})).json
    args = (await wait_for_record(records, session["id"]))["args"]
    brief = maestro_home / "sessions" / session["id"] / "brief.md"
    folder = brief.parent
    assert args[:2] == ["--session-id", session["agentSessionId"]]
    assert args[2:4] == ["--settings", str(folder / "claude-settings.json")]
    assert args[4:8] == ["--mcp-config", str(folder / "mcp.json"), "--allowedTools", "mcp__maestro"]
    assert args[8:10] == ["--append-system-prompt-file", str(brief)]
    assert str(uuid.UUID(session["agentSessionId"])) == session["agentSessionId"]
    assert "maestro whoami" in args[10] and str(brief) in args[10] and len(args) == 11
    assert "## Skill: maestro-worker" in brief.read_text()
    await api("POST", f"sessions/{session['id']}/stop")


async def test_no_task_text_in_any_command_line_of_the_session(
    api, jp_serverapp, maestro_home, records, spawner
):
    session = await spawn_about_the_merger(api, "claude")
    record = await wait_for_record(records, session["id"])
    terminal = jp_serverapp.web_app.settings["terminal_manager"].terminals[session["terminalName"]]
    from maestro_jupyter.spawner.terminals import session_processes

    # The agent itself, and the wrapper and shell around it: all that `ps` shows of the session.
    pids = {record["pid"], *session_processes(terminal)}
    shown = {pid: cmdline(pid) for pid in pids}
    assert "--append-system-prompt-file" in shown[record["pid"]]
    for secret in (TITLE, DESCRIPTION, PROMPT, NAME):
        assert not [pid for pid, line in shown.items() if secret in line], secret

    folder = maestro_home / "sessions" / session["id"]
    brief = folder / "brief.md"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(brief.stat().st_mode) == 0o600
    text = brief.read_text()
    assert all(secret in text for secret in (TITLE, DESCRIPTION, PROMPT))
    await api("POST", f"sessions/{session['id']}/stop")


async def test_an_agent_that_asks_for_brief_text_gets_it_as_one_argument(api, records, spawner):
    session = await spawn_about_the_merger(api, "inline")
    [brief_text] = (await wait_for_record(records, session["id"]))["args"]
    assert TITLE in brief_text and PROMPT in brief_text and brief_text.startswith("# Maestro")
