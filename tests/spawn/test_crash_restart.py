"""`kill -9` of a real server with agents running, then a start on the same home and database.

The agents' terminals die with the server. An agent that ignores SIGHUP would run on as an orphan
nobody can stop; a shell agent reads end-of-file and exits 0, which the old wrapper recorded as a
success ("completed 0"). Started with SIGHUP ignored (`nohup jupyter lab`, as the issue's tester
likely had it), every spawned process inherited that too. After the restart, each session is
`failed` with a "lost when the server stopped" entry on its task, and none of its processes runs.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from harness import ServerProcess
from maestro_jupyter.spawner.processes import session_members

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

HUPLESS = 'trap "" HUP; echo $$ > "$MAESTRO_BRIEF.pid"; exec sleep 1000'


def wait(check: Any, timeout: float = 60, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what or check}")


@contextmanager
def sighup_ignored() -> Iterator[None]:
    """Start processes as `nohup` does: SIGHUP ignored, inherited through fork and exec."""
    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGHUP, previous)


def process_group(server: ServerProcess, session_id: str) -> int:
    record = server.maestro_home / "sessions" / session_id / "process.json"
    return json.loads(wait(lambda: record.exists() and record.read_text(), what="process.json"))[
        "pid"
    ]


@pytest.mark.parametrize("nohup", [False, True], ids=["plain", "nohup"])
def test_after_kill_9_every_session_is_lost_and_no_process_survives(tmp_path: Path, nohup: bool):
    config = {"Maestro": {"agents": {"hupless": {"argv": ["/bin/sh", "-c", HUPLESS]}}}}
    server = ServerProcess(tmp_path / "server", config=config)
    groups: list[int] = []
    try:
        if nohup:
            with sighup_ignored():
                server.start()
        else:
            server.start()
        sessions = {}
        for agent in ("hupless", "shell"):
            task = server.api("POST", "tasks", {"title": f"work for {agent}"})
            session = server.api(
                "POST", "sessions/spawn", {"taskIds": [task["id"]], "agent": agent}
            )
            sessions[agent] = (task, session)
            groups.append(process_group(server, session["id"]))
        hupless = sessions["hupless"][1]["id"]
        pid_file = server.maestro_home / "sessions" / hupless / "brief.md.pid"
        agent_pid = int(
            wait(lambda: pid_file.exists() and pid_file.read_text().strip(), what="the agent's pid")
        )
        # Both agents run: the wrapper and the agent (the shell agent: a shell, then bash -i).
        for group in groups:
            wait(lambda group=group: len(session_members(group)) >= 2, what="the agents")

        server.kill()
        assert _alive(agent_pid), "the agent that ignores SIGHUP outlives its server"
        server.start()

        for task, session in sessions.values():
            ended = wait(
                lambda session=session: _ended(server, session["id"]),
                what="the session to be settled",
            )
            assert ended["status"] == "failed", ended
            assert ended["exitCode"] != 0
            timeline = server.api("GET", f"tasks/{task['id']}/timeline")["items"]
            errors = [entry["message"] for entry in timeline if entry["kind"] == "error"]
            assert any("lost when the server stopped" in message for message in errors), timeline
            released = server.api("GET", f"tasks/{task['id']}")
            assert released["claimedBy"] is None and released["status"] == "todo"
        assert not _alive(agent_pid)
        for group in groups:
            assert session_members(group) == [], "a process of the session survived"
    finally:
        server.stop()
        for group in groups:
            for pid in session_members(group):
                os.kill(pid, signal.SIGKILL)


def _ended(server: ServerProcess, session_id: str) -> dict[str, Any] | None:
    session = server.api("GET", f"sessions/{session_id}")
    return session if session["status"] in ("completed", "failed", "stopped") else None


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rpartition(")")[2].split()[0] not in ("Z", "X")
    except OSError:
        return False
