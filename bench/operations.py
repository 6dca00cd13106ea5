"""The measured operations: Maestro's hot REST calls and Jupyter's own `GET /api/status` baseline.

Each operation is built against a pool of existing tasks and subtasks, so reads and updates hit
real rows and creates spread across tasks.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from harness import ServerProcess

from .load import Request, RequestFactory

API = "/maestro/api/"
BASELINE = "baseline GET /api/status"
READS = ("GET task", "list tasks (limit 50)")
WRITES = ("create task", "create subtask", "PATCH subtask")


@dataclass
class Pool:
    """Existing rows the operations read and update."""

    task_ids: list[str]
    subtasks: list[tuple[str, str]]  # (task id, subtask id)


def make_pool(server: ServerProcess, tasks: int = 100, subtasks_per_task: int = 5) -> Pool:
    task_ids, subtasks = [], []
    for i in range(tasks):
        task = server.api(
            "POST",
            "tasks",
            {
                "title": f"pool task {i}",
                "description": "A task the benchmark reads and updates.",
                "labels": ["bench"],
                "subtasks": [{"title": f"step {j}"} for j in range(subtasks_per_task)],
            },
        )
        task_ids.append(task["id"])
        for item in server.api("GET", f"tasks/{task['id']}/subtasks")["items"]:
            subtasks.append((task["id"], item["id"]))
    return Pool(task_ids, subtasks)


def operations(pool: Pool) -> dict[str, RequestFactory]:
    """Name -> request factory, the baseline first."""
    task_ids, subtasks = pool.task_ids, pool.subtasks
    unique = itertools.count()

    def baseline(i: int) -> Request:
        return "GET", "/api/status", None

    def get_task(i: int) -> Request:
        return "GET", f"{API}tasks/{task_ids[i % len(task_ids)]}", None

    def list_tasks(i: int) -> Request:
        return "GET", f"{API}tasks?limit=50", None

    def create_task(i: int) -> Request:
        return "POST", f"{API}tasks", {"title": f"bench task {next(unique)}", "priority": "high"}

    def create_subtask(i: int) -> Request:
        task_id = task_ids[i % len(task_ids)]
        return "POST", f"{API}tasks/{task_id}/subtasks", {"title": f"bench step {next(unique)}"}

    def patch_subtask(i: int) -> Request:
        task_id, subtask_id = subtasks[i % len(subtasks)]
        return (
            "PATCH",
            f"{API}tasks/{task_id}/subtasks/{subtask_id}",
            {"completed": (i // len(subtasks)) % 2 == 0},
        )

    return {
        BASELINE: baseline,
        "GET task": get_task,
        "list tasks (limit 50)": list_tasks,
        "create task": create_task,
        "create subtask": create_subtask,
        "PATCH subtask": patch_subtask,
    }
