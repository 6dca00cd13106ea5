"""A scripted worker agent (tests/test_orchestration.py), driving the real `maestro` CLI.

It claims the most urgent ready task of its project with `maestro task next --claim`, reports
progress, ticks the subtasks, completes it, and starts again until nothing is ready; then it
exits 0. Any refusal ends it with exit 1 (the test would see a failed session).
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from typing import Any


def maestro(*args: str) -> Any:
    run = subprocess.run(["maestro", *args, "--json"], capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"maestro {' '.join(args)}: exit {run.returncode}: {run.stderr.strip()}")
    return json.loads(run.stdout)["data"]


def items(data: Any) -> list[dict[str, Any]]:
    """A list, or a page of one."""
    return data["items"] if isinstance(data, dict) else data


def main() -> None:
    while True:
        task = maestro("task", "next", "--claim")
        if task is None:
            return
        maestro("report", "progress", f"Working on {task['title']}", "--task", task["id"])
        time.sleep(random.uniform(0, 0.2))  # let the workers interleave
        for subtask in items(maestro("subtask", "list", task["id"])):
            maestro("subtask", "complete", task["id"], subtask["id"])
        maestro("task", "complete", task["id"])


if __name__ == "__main__":
    main()
