"""Claims: 50 sessions claim from 1,000 tasks through the REST API of a real server, on SQLite and
on PostgreSQL.

Two runs per database, each a bounded number of requests:
- claim only: 1,000 ready tasks; every session calls `POST tasks/claim` until the answer is
  null. Claims per second, claim latency, and a check that the 1,000 claims are distinct.
- claim and complete: 1,000 more tasks, a quarter of them waiting on another one; every session
  loops claim -> complete, as `maestro task next --claim` workers do. Checks each task was taken
  once, and after its dependency was completed (claimedAt > the dependency's completedAt).

The baseline is Jupyter's `GET /api/status` from the same 50 connections, in the same run.

    python -m bench.bench_claims [--tasks N] [--sessions N] [--database sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import ServerProcess
from maestro_jupyter.store import DEFAULT_PROJECT_ID

from .load import HTTPConnection
from .operations import API
from .report import table, verdict

SESSIONS = 50
TASKS = 1_000
PRIORITIES = ("low", "medium", "high", "urgent")
# A run that has not drained its tasks by then is cut off (and reported as such).
DEADLINE = 300.0
# The Retry-After of a 503 store_busy answer.
BUSY_RETRY_AFTER = 1.0


@dataclass
class Run:
    """What the sessions did: the tasks they were given, and the answers' counts and times."""

    claimed: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    empty: int = 0
    busy: int = 0
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0
    cpu: float = 0.0
    finished: bool = False

    def percentile_ms(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


def _connection(server: ServerProcess) -> HTTPConnection:
    headers = {"Authorization": f"token {server.token}", "Content-Type": "application/json"}
    return HTTPConnection("127.0.0.1", server.port, headers)


async def _post_all(server: ServerProcess, path: str, bodies: list[dict[str, Any]]) -> list[Any]:
    """POST every body (10 connections at a time); the decoded answers, in order."""
    answers: list[Any] = [None] * len(bodies)
    queue = list(enumerate(bodies))

    async def sender() -> None:
        conn = _connection(server)
        while queue:
            index, body = queue.pop()
            status, payload = await conn.request("POST", API + path, body)
            if status not in (200, 201):
                raise RuntimeError(f"POST {path} answered {status}: {payload[:300]!r}")
            answers[index] = json.loads(payload)
        await conn.close()

    await asyncio.gather(*(sender() for _ in range(10)))
    return answers


async def _tasks(
    server: ServerProcess, count: int, project_id: str, dependent_share: int
) -> list[dict[str, Any]]:
    """`count` tasks of mixed priorities; every `dependent_share`-th one (0: none) depends on
    one of the others, created first."""
    dependent = count // dependent_share if dependent_share else 0
    free = await _post_all(
        server,
        "tasks",
        [
            {"title": f"claim me {i}", "priority": PRIORITIES[i % 4], "projectId": project_id}
            for i in range(count - dependent)
        ],
    )
    waiting = await _post_all(
        server,
        "tasks",
        [
            {
                "title": f"after {free[(7 * i) % len(free)]['title']}",
                "priority": PRIORITIES[i % 4],
                "projectId": project_id,
                "dependencies": [free[(7 * i) % len(free)]["id"]],
            }
            for i in range(dependent)
        ],
    )
    return free + waiting


async def _sessions(server: ServerProcess, count: int) -> list[str]:
    bodies = [{"name": f"bench worker {i}", "agent": "shell"} for i in range(count)]
    return [session["id"] for session in await _post_all(server, "sessions", bodies)]


async def _claim(
    server: ServerProcess, sessions: list[str], project_id: str, total: int, complete: bool
) -> Run:
    """Every session claims (and, with `complete`, completes) until all `total` tasks are done."""
    run = Run()
    done = 0
    deadline = time.monotonic() + DEADLINE

    async def post(conn: HTTPConnection, path: str, body: dict[str, Any]) -> Any:
        """The answer to a POST, retried after a 503 store_busy (nothing was written, so a
        retry is safe) as clients do; None (and a failure noted) for any other error."""
        while True:
            began = time.perf_counter()
            status, payload = await conn.request("POST", API + path, body)
            if path == "tasks/claim":
                run.latencies.append(time.perf_counter() - began)
            if status != 503:
                break
            run.busy += 1
            await asyncio.sleep(BUSY_RETRY_AFTER)
        if status != 200:
            run.failures.append(f"{path} {status}: {payload[:200]!r}")
            return None
        return json.loads(payload)

    async def session(session_id: str) -> None:
        nonlocal done
        conn = _connection(server)
        body = {"sessionId": session_id, "projectId": project_id}
        while time.monotonic() < deadline and len(run.failures) < 20:
            answer = await post(conn, "tasks/claim", body)
            if answer is None:
                continue
            task = answer["task"]
            if task is None:
                if not complete or done >= total:
                    break
                run.empty += 1  # the rest wait on tasks others are finishing
                await asyncio.sleep(0.005)
                continue
            run.claimed.append(task["id"])
            if complete:
                if await post(conn, f"tasks/{task['id']}/complete", {"sessionId": session_id}):
                    done += 1
        await conn.close()

    cpu = server.cpu_seconds()
    began = time.perf_counter()
    await asyncio.gather(*(session(session_id) for session_id in sessions))
    run.seconds = time.perf_counter() - began
    run.cpu = server.cpu_seconds() - cpu
    run.finished = len(run.claimed) == total
    return run


async def _baseline(server: ServerProcess, connections: int, requests: int) -> tuple[float, float]:
    """Requests per second and server CPU ms per request of GET /api/status."""
    each = max(1, requests // connections)

    async def reader() -> None:
        conn = _connection(server)
        for _ in range(each):
            await conn.request("GET", "/api/status")
        await conn.close()

    cpu = server.cpu_seconds()
    began = time.perf_counter()
    await asyncio.gather(*(reader() for _ in range(connections)))
    seconds = time.perf_counter() - began
    done = each * connections
    return done / seconds, (server.cpu_seconds() - cpu) / done * 1000


def _all_tasks(server: ServerProcess, project_id: str) -> list[dict[str, Any]]:
    tasks, cursor = [], None
    while True:
        query = f"tasks?projectId={project_id}&limit=500" + (f"&cursor={cursor}" if cursor else "")
        page = server.api("GET", query)
        tasks.extend(page["items"])
        cursor = page["nextCursor"]
        if cursor is None:
            return tasks


def _dependency_order_kept(tasks: list[dict[str, Any]]) -> bool:
    by_id = {task["id"]: task for task in tasks}
    return all(
        task["claimedAt"] is not None
        and by_id[dep]["completedAt"] is not None
        and by_id[dep]["completedAt"] < task["claimedAt"]
        for task in tasks
        for dep in task["dependencies"]
    )


async def _measure(server: ServerProcess, sessions: int, tasks: int) -> list[list[object]]:
    """The two runs on one server: rows of the report's table."""
    session_ids = await _sessions(server, sessions)
    default = DEFAULT_PROJECT_ID
    await _tasks(server, tasks, default, dependent_share=0)
    baseline_rate, baseline_cpu = await _baseline(server, sessions, tasks)
    claims = await _claim(server, session_ids, default, tasks, complete=False)
    project = server.api("POST", "projects", {"name": "bench: dependencies", "workingDir": "/tmp"})
    await _tasks(server, tasks, project["id"], dependent_share=4)
    cycles = await _claim(server, session_ids, project["id"], tasks, complete=True)
    rows = []
    for name, run, project_id in (
        ("claim only", claims, default),
        ("claim + complete, 1/4 wait on another", cycles, project["id"]),
    ):
        stored = await asyncio.to_thread(_all_tasks, server, project_id)
        holders_ok = all(task["claimedBy"] in session_ids for task in stored)
        distinct = len(set(run.claimed)) == len(run.claimed)
        assert distinct, f"{name}: a task was claimed twice"
        assert not run.failures, run.failures[:3]
        checks = [
            f"{len(set(run.claimed)):,}/{tasks:,} distinct: {verdict(distinct and run.finished)}",
            f"holders: {verdict(holders_ok)}",
        ]
        if run is cycles:
            checks.append(f"dependency order: {verdict(_dependency_order_kept(stored))}")
        rate = len(run.claimed) / run.seconds
        rows.append(
            [
                name,
                f"{len(run.claimed):,}",
                f"{rate:,.0f}",
                f"{rate / baseline_rate:.2f}",
                f"{run.percentile_ms(50):.1f} / {run.percentile_ms(95):.1f}",
                f"{run.cpu / len(run.claimed) * 1000:.2f} (baseline {baseline_cpu:.2f})",
                f"{run.empty} / {run.busy}",
                "; ".join(checks),
            ]
        )
    return rows


def _run(server: ServerProcess, sessions: int, tasks: int) -> list[list[object]]:
    with server:
        return asyncio.run(_measure(server, sessions, tasks))


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_claims", description=__doc__)
    parser.add_argument("--tasks", type=int, default=TASKS)
    parser.add_argument("--sessions", type=int, default=SESSIONS)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), action="append")
    args = parser.parse_args(argv)
    databases = args.database or ["sqlite", "postgresql"]
    rows = []
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="maestro-bench-claims-")))
        for database in databases:
            config = None
            if database == "postgresql":
                from tests.postgres_support import postgres_cluster

                cluster = stack.enter_context(postgres_cluster())
                config = {"Maestro": {"db_url": cluster.url}}
            server = ServerProcess(tmp / database, config=config)
            rows += [[database, *row] for row in _run(server, args.sessions, args.tasks)]
    header = [
        "database",
        "run",
        "claims",
        "claims/s",
        "x baseline req/s",
        "claim p50 / p95 ms",
        "server CPU ms/claim",
        "null (waiting) / 503 busy answers",
        "checks",
    ]
    section = (
        f"## Claims: {args.sessions} sessions claiming from {args.tasks:,} tasks (REST)\n\n"
        "Each session loops `POST maestro/api/tasks/claim {sessionId}` on its own keep-alive "
        "connection; the baseline is `GET /api/status` from as many connections. Claims are "
        "serialised by the database's write lock, so claims/s is the store's write rate. A 503 "
        "`store_busy` (a claim queued longer than the server waits) is retried after its "
        "Retry-After, as clients do.\n\n"
        + table(header, rows)
        + "\n"
    )
    print(section)
    return section


if __name__ == "__main__":
    main()
