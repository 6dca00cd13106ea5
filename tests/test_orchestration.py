"""End to end: an orchestrator agent spawns 5 workers that claim and complete 12 tasks.

Both agents are scripts (tests/spawn/agents/orchestrator.py and worker.py) run by a real
`jupyter server` in real terminals, and drive it through the real `maestro` CLI only: the
orchestrator plans 12 tasks with dependencies, spawns 5 workers without a task, waits for them on
the event stream and completes its own task; each worker claims ready tasks with `maestro task
next --claim` until nothing is ready. Then, from the store's own record (timelines over REST):
every task was completed exactly once, claimed exactly once, and never before its dependencies
were completed. On SQLite and on PostgreSQL.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness import ServerProcess
from tests.postgres_support import empty_database, postgres_cluster

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

AGENTS = Path(__file__).parent / "spawn" / "agents"
TASKS, WORKERS = 12, 5


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with postgres_cluster() as cluster:
        yield cluster.url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_config(request: pytest.FixtureRequest) -> dict[str, Any]:
    if request.param == "sqlite":
        return {}
    url = request.getfixturevalue("postgres_url")
    empty_database(url)
    return {"db_url": url}


def wait_until(check: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def test_an_orchestrator_and_five_workers_complete_twelve_tasks_in_order(
    tmp_path: Path, db_config: dict[str, Any]
):
    agents = {
        "orchestrator": {"argv": [sys.executable, str(AGENTS / "orchestrator.py")]},
        "worker": {"argv": [sys.executable, str(AGENTS / "worker.py")]},
    }
    config = {"Maestro": {"agents": agents, **db_config}}
    with ServerProcess(tmp_path / "server", config=config) as server:
        project = server.api("POST", "projects", {"name": "Release 2"})["id"]
        goal = server.api("POST", "tasks", {"title": "Ship release 2", "projectId": project})
        orchestrator = server.api("POST", "sessions/spawn", {
            "taskIds": [goal["id"]], "role": "orchestrator", "agent": "orchestrator"})

        def ended() -> dict[str, Any] | None:
            session = server.api("GET", f"sessions/{orchestrator['id']}")
            return session if session["status"] in ("completed", "failed", "stopped") else None

        finished = wait_until(ended, 600, "the orchestrator to end")
        sessions = server.api("GET", "sessions?limit=100")["items"]
        workers = [s for s in sessions if s["parentSessionId"] == orchestrator["id"]]
        assert finished["status"] == "completed", (finished, _logs(server))
        assert len(workers) == WORKERS
        assert all(w["status"] == "completed" and w["exitCode"] == 0 for w in workers), workers
        assert server.api("GET", f"tasks/{goal['id']}")["status"] == "completed"

        tasks = server.api("GET", f"tasks?parentId={goal['id']}&limit=100")["items"]
        assert len(tasks) == TASKS
        by_id = {task["id"]: task for task in tasks}
        timelines = {task_id: server.api("GET", f"tasks/{task_id}/timeline")["items"]
                     for task_id in by_id}

    worker_ids = {worker["id"] for worker in workers}
    for task_id, task in by_id.items():
        timeline = timelines[task_id]
        claims = [e for e in timeline if e["kind"] == "claim" and "Claimed by" in e["message"]]
        completions = [e for e in timeline
                       if e["kind"] == "status" and e["message"].endswith("-> completed.")]
        assert task["status"] == "completed" and task["completedAt"], task
        assert len(claims) == 1, (task["title"], claims)  # never claimed twice
        assert len(completions) == 1, (task["title"], completions)  # completed exactly once
        [claim], [completion] = claims, completions
        assert claim["sessionId"] in worker_ids
        assert completion["sessionId"] == claim["sessionId"]  # by the worker that claimed it
        assert not [e for e in timeline if "Forced" in e["message"]]
        for dependency_id in task["dependencies"]:
            dependency = by_id[dependency_id]
            # Claimed only once its dependencies were completed, so completed after them too.
            assert dependency["completedAt"] <= claim["at"], (task["title"], dependency["title"])
            assert dependency["completedAt"] < task["completedAt"]
    order = sorted(by_id.values(), key=lambda task: task["completedAt"])
    done: set[str] = set()
    for task in order:
        assert set(task["dependencies"]) <= done, f"{task['title']} completed before a dependency"
        done.add(task["id"])
    assert sum(bool(task["dependencies"]) for task in tasks) >= 6  # the plan has real ordering


def _logs(server: ServerProcess) -> str:
    return server.log()[-4000:]
