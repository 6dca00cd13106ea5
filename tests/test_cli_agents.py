"""`maestro` as many agents run it, in separate processes: twenty claims at once, a shell that
evals `session register`, `task log --follow` and `session wait` woken by the events socket, and
the start-up cost of `task next --claim`."""
# ruff: noqa: F811 - pytest fixtures imported from tests.cli_support are arguments here

from __future__ import annotations

import json
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from harness import ServerProcess
from maestro_jupyter.client import MaestroClient
from maestro_jupyter.client.waits import wait_for_sessions
from tests.cli_support import (  # noqa: F401
    add_session,
    maestro_server,
    run_maestro,
    start_maestro,
)
from tests.test_cli_process import HEAVY_MODULES, imported_modules

pytestmark = pytest.mark.timeout(240)


@pytest.fixture
def project(maestro_server: ServerProcess) -> str:
    return maestro_server.api("POST", "projects", {"name": "Agents at work"})["id"]


def test_twenty_concurrent_claims_from_twenty_sessions_take_twenty_distinct_tasks(
    maestro_server: ServerProcess, project: str
) -> None:
    tasks = [
        maestro_server.api("POST", "tasks", {"title": f"Pool {n}", "projectId": project})["id"]
        for n in range(20)
    ]
    sessions = [add_session(maestro_server, [], project_id=project) for _ in range(20)]

    def claim(session_id: str) -> subprocess.CompletedProcess[str]:
        env = maestro_server.cli_env(MAESTRO_SESSION_ID=session_id, MAESTRO_RETRY_DELAY="50ms")
        return run_maestro("task", "next", "--claim", "--json", env=env)

    with ThreadPoolExecutor(max_workers=20) as pool:
        runs = list(pool.map(claim, sessions))

    assert [run.returncode for run in runs] == [0] * 20, [run.stderr for run in runs]
    claimed = [json.loads(run.stdout)["data"] for run in runs]
    assert sorted(task["id"] for task in claimed) == sorted(tasks)
    assert [task["claimedBy"] for task in claimed] == sessions
    for task in claimed:
        stored = maestro_server.api("GET", f"tasks/{task['id']}")
        assert (stored["claimedBy"], stored["status"]) == (task["claimedBy"], "in_progress")


def test_a_shell_that_evals_session_register_works_as_that_session(
    maestro_server: ServerProcess, project: str
) -> None:
    task = maestro_server.api("POST", "tasks", {"title": "By hand", "projectId": project})
    env = maestro_server.cli_env()
    maestro = f"{sys.executable} -m maestro_cli"
    script = (
        f'eval "$({maestro} session register --task {task["id"]} --name hand)" && '
        f"{maestro} task claim {task['id']} && {maestro} whoami --json"
    )
    run = subprocess.run(["sh", "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    claimed, _, answer = run.stdout.partition("\n")
    assert claimed == f"Claimed {task['id']}: By hand"
    whoami = json.loads(answer)["data"]
    assert whoami["session"]["name"] == "hand" and whoami["projectId"] == project
    assert maestro_server.api("GET", f"tasks/{task['id']}")["claimedBy"] == whoami["sessionId"]


def read_entries(process: subprocess.Popen[str], until: str) -> list[dict[str, Any]]:
    """Envelopes printed by `task log --follow --json`, up to the entry whose message is
    `until` (the test's timeout bounds the wait)."""
    assert process.stdout is not None
    entries = []
    for line in process.stdout:
        envelope = json.loads(line)
        assert envelope["success"] is True
        entries.append(envelope["data"])
        if envelope["data"]["message"] == until:
            return entries
    raise AssertionError(f"the follow ended before {until!r}: {process.stderr.read()}")


def test_task_log_follow_streams_new_entries_until_ctrl_c(
    maestro_server: ServerProcess, project: str
) -> None:
    task = maestro_server.api("POST", "tasks", {"title": "Followed", "projectId": project})
    other = maestro_server.api("POST", "tasks", {"title": "Not followed", "projectId": project})
    timeline = f"tasks/{task['id']}/timeline"
    maestro_server.api("POST", timeline, {"kind": "progress", "message": "before"})
    follower = start_maestro(
        "task", "log", task["id"], "--follow", "--json", env=maestro_server.cli_env()
    )
    try:
        assert [e["message"] for e in read_entries(follower, "before")] == ["before"]
        maestro_server.api("POST", f"tasks/{other['id']}/timeline", {"message": "elsewhere"})
        for message in ("first", "second"):
            maestro_server.api("POST", timeline, {"kind": "progress", "message": message})
        streamed = read_entries(follower, "second")
        assert [e["message"] for e in streamed] == ["first", "second"]
        assert {e["taskId"] for e in streamed} == {task["id"]}
    finally:
        follower.send_signal(signal.SIGINT)
        code = follower.wait(30)
    assert code == 0 and follower.stderr is not None and follower.stderr.read() == ""


def test_session_wait_in_another_process_returns_when_the_session_ends(
    maestro_server: ServerProcess, project: str
) -> None:
    running = add_session(maestro_server, [], project_id=project)
    waiter = start_maestro(
        "session", "wait", running, "--timeout", "120", "--json", env=maestro_server.cli_env()
    )
    maestro_server.api("POST", f"sessions/{running}/stop")
    out, err = waiter.communicate(timeout=120)
    assert waiter.returncode == 0, err
    data = json.loads(out)["data"]
    assert data["matched"] == [running] and data["sessions"][0]["status"] == "stopped"


def test_a_wait_is_satisfied_by_an_event_and_not_by_reading_again(
    maestro_server: ServerProcess, project: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first read shows the session running (as it was when the wait began); that it
    stopped can only come from the events socket, replayed from the seq taken before."""
    session_id = add_session(maestro_server, [], project_id=project)
    client = MaestroClient.from_environment(maestro_server.url, maestro_server.token)
    before = client.last_seq()
    running = client.get_session(session_id)
    maestro_server.api("POST", f"sessions/{session_id}/stop")
    monkeypatch.setattr(client, "last_seq", lambda: before)
    monkeypatch.setattr(client, "get_session", lambda _id: running)

    outcome = wait_for_sessions(client, [session_id], until="ended", timeout=60)

    assert outcome.satisfied and outcome.sessions[0]["status"] == "stopped"


def test_task_next_claim_starts_without_the_events_socket_or_heavy_modules(
    maestro_server: ServerProcess, project: str
) -> None:
    maestro_server.api("POST", "tasks", {"title": "Quick", "projectId": project})
    session_id = add_session(maestro_server, [], project_id=project)
    env = maestro_server.cli_env(MAESTRO_SESSION_ID=session_id)
    timed = ("-X", "importtime")

    claim = run_maestro("task", "next", "--claim", "--json", env=env, python_flags=timed)

    assert claim.returncode == 0, claim.stderr[-2000:]
    modules = imported_modules(claim.stderr)
    assert sorted(m for m in modules if m.split(".")[0] in HEAVY_MODULES) == []
    assert "maestro_jupyter.client.events" not in modules
    wait = run_maestro(
        "session", "wait", session_id, "--timeout", "1ms", env=env, python_flags=timed
    )
    assert wait.returncode == 1  # it timed out, having followed the events socket
    waited = imported_modules(wait.stderr)
    assert "maestro_jupyter.client.events" in waited
    assert sorted(m for m in waited if m.split(".")[0] in HEAVY_MODULES) == []
