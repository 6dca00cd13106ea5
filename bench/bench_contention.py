"""Contention: 50 writers each add and complete 20 subtasks on one task, all at once.

Prints operations per second against the same number of `GET /api/status` requests from the same
50 connections, and checks that all 1,000 subtasks persisted, completed.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from harness import ServerProcess

from .load import HTTPConnection
from .operations import API
from .report import table, verdict

WRITERS = 50
SUBTASKS_EACH = 20


async def run_writers(servers: Sequence[ServerProcess], task_id: str) -> tuple[float, int]:
    """WRITERS writers, each adding and completing SUBTASKS_EACH subtasks of `task_id`; writer n
    talks to servers[n % len(servers)]. Returns the seconds taken and the failed requests."""
    failures = 0

    async def writer(number: int) -> None:
        nonlocal failures
        server = servers[number % len(servers)]
        headers = {"Authorization": f"token {server.token}", "Content-Type": "application/json"}
        conn = HTTPConnection("127.0.0.1", server.port, headers)
        for i in range(SUBTASKS_EACH):
            status, body = await conn.request(
                "POST", f"{API}tasks/{task_id}/subtasks", {"title": f"writer {number} step {i}"}
            )
            if status != 201:
                failures += 1
                continue
            subtask_id = json.loads(body)["id"]
            status, _ = await conn.request(
                "PATCH", f"{API}tasks/{task_id}/subtasks/{subtask_id}", {"completed": True}
            )
            failures += status != 200
        await conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(writer(n) for n in range(WRITERS)))
    return time.perf_counter() - started, failures


async def _baseline(server: ServerProcess) -> float:
    headers = {"Authorization": f"token {server.token}"}

    async def reader() -> None:
        conn = HTTPConnection("127.0.0.1", server.port, headers)
        for _ in range(2 * SUBTASKS_EACH):
            await conn.request("GET", "/api/status")
        await conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(reader() for _ in range(WRITERS)))
    return time.perf_counter() - started


def main() -> str:
    operations = WRITERS * SUBTASKS_EACH * 2
    with tempfile.TemporaryDirectory(prefix="maestro-bench-contention-") as tmp:
        with ServerProcess(Path(tmp)) as server:
            task_id = server.api("POST", "tasks", {"title": "one busy task"})["id"]
            cpu = server.cpu_seconds()
            baseline_seconds = asyncio.run(_baseline(server))
            baseline_cpu, cpu = server.cpu_seconds() - cpu, server.cpu_seconds()
            seconds, failures = asyncio.run(run_writers([server], task_id))
            writers_cpu = server.cpu_seconds() - cpu
            task = server.api("GET", f"tasks/{task_id}")
            stored = server.api("GET", f"tasks/{task_id}/subtasks")["items"]
    expected = WRITERS * SUBTASKS_EACH
    positions_unique = len({s["position"] for s in stored}) == len(stored)
    persisted_ok = (
        task["subtaskCount"] == expected
        and task["subtasksCompleted"] == expected
        and len(stored) == expected
        and positions_unique
    )
    rate, baseline_rate = operations / seconds, operations / baseline_seconds
    rows = [
        [
            "baseline: GET /api/status",
            operations,
            f"{baseline_rate:,.0f}",
            "1.00",
            f"{baseline_cpu / operations * 1000:.2f}",
            "1.00",
            "",
            "",
        ],
        [
            f"{WRITERS} writers x {SUBTASKS_EACH} (create + complete subtask)",
            operations,
            f"{rate:,.0f}",
            f"{rate / baseline_rate:.2f}",
            f"{writers_cpu / operations * 1000:.2f}",
            f"{baseline_cpu / writers_cpu:.2f}",
            f"{task['subtaskCount']:,} created / {task['subtasksCompleted']:,} completed "
            f"of {expected:,}, positions unique: {positions_unique}: {verdict(persisted_ok)}",
            failures,
        ],
    ]
    header = [
        "load",
        "requests",
        "ops/s",
        "x baseline",
        "server CPU ms/req",
        "x baseline by CPU",
        "persisted",
        "failed requests",
    ]
    return (
        f"## Contention: {WRITERS} concurrent writers on one task\n\n" + table(header, rows) + "\n"
    )


if __name__ == "__main__":
    print(main())
