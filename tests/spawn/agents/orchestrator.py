"""A scripted orchestrator agent (tests/test_orchestration.py), driving the real `maestro` CLI.

It plans 12 tasks with dependencies under its own task, spawns 5 workers without a task (they
claim from the project), waits for them on the event stream, reads the log of the last task,
checks that every task is completed, and completes its own task. Exit 1 if anything went wrong.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

WORKERS = 5
# Title and dependencies (indexes of earlier tasks): a graph with fan-out, fan-in and a chain.
PLAN = [
    ("Schema", []),
    ("Fixtures", []),
    ("Config loader", []),
    ("Logging", []),
    ("Parser", [0]),
    ("Validator", [0, 1]),
    ("CLI flags", [2]),
    ("Reader", [3, 4]),
    ("Writer", [5]),
    ("Pipeline", [6, 7]),
    ("Integration tests", [8, 9]),
    ("Release notes", [10]),
]


def maestro(*args: str, codes: tuple[int, ...] = (0,)) -> Any:
    run = subprocess.run(["maestro", *args, "--json"], capture_output=True, text=True)
    if run.returncode not in codes:
        sys.exit(f"maestro {' '.join(args)}: exit {run.returncode}: {run.stderr.strip()}")
    return json.loads(run.stdout)["data"] if run.returncode == 0 else None


def items(data: Any) -> list[dict[str, Any]]:
    """A list, or a page of one."""
    return data["items"] if isinstance(data, dict) else data


def main() -> None:
    [goal] = os.environ["MAESTRO_TASK_IDS"].split(",")
    ids: list[str] = []
    for title, dependencies in PLAN:
        depends = [arg for index in dependencies for arg in ("--depends-on", ids[index])]
        ids.append(
            maestro("task", "create", title, "--parent", goal, *depends, "--subtask", "Do it")["id"]
        )
    for number in range(1, WORKERS + 1):
        maestro(
            "session",
            "spawn",
            "--role",
            "worker",
            "--agent",
            "worker",
            "--name",
            f"worker {number}",
        )
    # The sessions it spawned: exit 0 once all have ended, 1 on timeout.
    maestro("session", "wait", "--until", "ended", "--timeout", "600")
    maestro("task", "log", ids[-1])
    tasks = items(maestro("task", "list", "--parent", goal, "--limit", "100"))
    open_tasks = [task["title"] for task in tasks if task["status"] != "completed"]
    if len(tasks) != len(PLAN) or open_tasks:
        maestro("report", "error", f"Not done: {', '.join(open_tasks) or 'tasks missing'}")
        sys.exit(1)
    maestro("report", "complete", f"{len(PLAN)} tasks completed by {WORKERS} workers")


if __name__ == "__main__":
    main()
