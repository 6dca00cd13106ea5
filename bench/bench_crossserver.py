"""Two servers on one PostgreSQL database: event latency across servers, and contention.

    python -m bench.bench_crossserver [--writes N]

Latency: writes alternate between the two servers (`POST tasks`, one at a time); for each, the
time from sending it to `task:created` arriving on the writer's own events socket (the
same-server baseline, measured on the same writes) and on the other server's (cross-server,
through LISTEN/NOTIFY: store/feed.py). Aim: cross-server p99 <= 100 ms.

Contention: bench_contention's 50 writers (each adds and completes 20 subtasks on one task),
spread across the two servers, against the same 50 writers on one server of the same database
(the baseline), with an events socket on each server in both runs; lost updates must be 0, and
both sockets must carry every event of the run once, in order.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from harness import ServerProcess

from .bench_contention import SUBTASKS_EACH, WRITERS, run_writers
from .load import HTTPConnection, RunResult
from .operations import API
from .report import table, verdict

WRITES = 500
AIM_P99_MS = 100.0


class Follower:
    """One server's events socket: when each event arrived, and every seq, in arrival order."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}  # task title -> receipt time
        self.seqs: list[int] = []

    async def open(self, server: ServerProcess) -> Any:
        since = server.api("GET", "status")["lastSeq"]
        self.seqs = [since]
        return await server_socket(server, since, self._receive)

    def _receive(self, message: str | bytes | None) -> None:
        if message is None:
            return
        event = json.loads(message)
        if "seq" not in event:
            return
        self.seqs.append(event["seq"])
        if event["event"] == "task:created":
            self.arrived[event["data"]["title"]] = time.perf_counter()

    def in_order_once(self, last: int) -> bool:
        """Every seq from the first through `last`, each once, ascending."""
        return self.seqs == list(range(self.seqs[0], last + 1))


async def server_socket(server: ServerProcess, since: int, on_message: Any) -> Any:
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    request = HTTPRequest(
        f"ws://127.0.0.1:{server.port}{API}events?since={since}",
        headers={"Authorization": f"token {server.token}"},
    )
    return await websocket_connect(request, on_message_callback=on_message)


def _connection(server: ServerProcess) -> HTTPConnection:
    headers = {"Authorization": f"token {server.token}", "Content-Type": "application/json"}
    return HTTPConnection("127.0.0.1", server.port, headers)


async def _latencies(servers: list[ServerProcess], writes: int) -> tuple[RunResult, RunResult]:
    """(same server, across servers) delivery latencies of `writes` task creations."""
    followers = [Follower() for _ in servers]
    sockets = [await f.open(s) for f, s in zip(followers, servers, strict=True)]
    writers = [_connection(server) for server in servers]
    same, across = RunResult(), RunResult()
    started = time.perf_counter()
    for i in range(writes):
        title = f"latency #{i}"
        mine = i % len(servers)
        sent = time.perf_counter()
        status, _ = await writers[mine].request("POST", f"{API}tasks", {"title": title})
        same.errors += status != 201
        deadline = sent + 10
        while not all(title in f.arrived for f in followers) and time.perf_counter() < deadline:
            await asyncio.sleep(0.0005)
        for number, follower in enumerate(followers):
            run = same if number == mine else across
            run.requests += 1
            if title in follower.arrived:
                run.latencies.append(follower.arrived[title] - sent)
            else:
                run.errors += 1
    same.seconds = across.seconds = time.perf_counter() - started
    for connection in writers:
        await connection.close()
    for socket in sockets:
        socket.close()
    return same, across


async def _contention(
    servers: list[ServerProcess], watched: list[ServerProcess], title: str
) -> dict[str, Any]:
    """The 50 writers, writer n on servers[n % len(servers)], on a new task; an events socket
    on each of `watched`."""
    task_id = servers[0].api("POST", "tasks", {"title": title})["id"]
    followers = [Follower() for _ in watched]
    sockets = [await f.open(s) for f, s in zip(followers, watched, strict=True)]
    cpu = [server.cpu_seconds() for server in watched]
    seconds, failures = await run_writers(servers, task_id)
    cpu = [server.cpu_seconds() - before for server, before in zip(watched, cpu, strict=True)]
    last = servers[0].api("GET", "status")["lastSeq"]
    deadline = time.perf_counter() + 30
    while any(f.seqs[-1] < last for f in followers) and time.perf_counter() < deadline:
        await asyncio.sleep(0.01)
    for socket in sockets:
        socket.close()
    task = servers[0].api("GET", f"tasks/{task_id}")
    stored = servers[0].api("GET", f"tasks/{task_id}/subtasks")["items"]
    return {
        "seconds": seconds,
        "cpu": sum(cpu),
        "failures": failures,
        "lost": WRITERS * SUBTASKS_EACH - task["subtasksCompleted"],
        "created": task["subtaskCount"],
        "positions unique": len({s["position"] for s in stored}) == len(stored),
        "streams ok": all(f.in_order_once(last) for f in followers),
    }


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_crossserver")
    parser.add_argument("--writes", type=int, default=WRITES)
    args = parser.parse_args(argv)
    from tests.postgres_support import postgres_cluster

    with tempfile.TemporaryDirectory(prefix="maestro-bench-crossserver-") as tmp:
        with postgres_cluster() as cluster:
            config = {"Maestro": {"db_url": cluster.url}}
            first = ServerProcess(Path(tmp) / "a", config=config)
            second = ServerProcess(Path(tmp) / "b", config=config)
            with first, second:
                both = [first, second]
                asyncio.run(_latencies(both, 20))  # warm-up: connections, statement caches
                same, across = asyncio.run(_latencies(both, args.writes))
                one = asyncio.run(_contention([first], both, "contention on one server"))
                two = asyncio.run(_contention(both, both, "contention across two servers"))
    report = _latency_table(same, across, args.writes) + "\n\n" + _contention_table(one, two)
    print(report)
    return report


def _latency_table(same: RunResult, across: RunResult, writes: int) -> str:
    rows = [
        [
            label,
            len(run.latencies),
            f"{run.p50_ms:.2f}",
            f"{run.p99_ms:.2f}",
            f"{run.p50_ms / same.p50_ms:.2f}",
            f"{run.p99_ms / same.p99_ms:.2f}",
            aim,
            run.errors,
        ]
        for label, run, aim in (
            ("baseline: the writer's own server", same, ""),
            (
                "the other server",
                across,
                f"p99 <= {AIM_P99_MS:.0f} ms: {verdict(across.p99_ms <= AIM_P99_MS)}",
            ),
        )
    ]
    header = ["socket", "deliveries", "p50 ms", "p99 ms", "p50 x", "p99 x", "aim", "lost"]
    return (
        "## Events across servers: two servers on one PostgreSQL "
        "(`python -m bench.bench_crossserver`)\n\n"
        f"{writes} `POST tasks`, one at a time, alternating between the two servers; from sending "
        "each to `task:created` arriving on the writer's own events socket (baseline) and on the "
        "other server's (LISTEN/NOTIFY).\n\n" + table(header, rows)
    )


def _contention_table(one: dict[str, Any], two: dict[str, Any]) -> str:
    operations = WRITERS * SUBTASKS_EACH * 2
    rows = []
    for label, run in (("baseline: all on one server", one), ("spread across two servers", two)):
        rate = operations / run["seconds"]
        ok = run["lost"] == 0 and run["created"] == WRITERS * SUBTASKS_EACH
        rows.append(
            [
                label,
                operations,
                f"{rate:,.0f}",
                f"{rate / (operations / one['seconds']):.2f}",
                f"{run['cpu'] / operations * 1000:.2f}",
                f"{run['created']:,} created, {run['lost']} lost updates, positions unique: "
                f"{run['positions unique']}: {verdict(ok and run['positions unique'])}",
                verdict(run["streams ok"]),
                run["failures"],
            ]
        )
    header = [
        "writers",
        "requests",
        "ops/s",
        "x baseline",
        "servers' CPU ms/req",
        "persisted",
        "every event on every socket, in order, once",
        "failed requests",
    ]
    return (
        f"## Contention across servers: {WRITERS} writers on one task, one PostgreSQL\n\n"
        f"bench_contention's load ({WRITERS} writers x {SUBTASKS_EACH} subtasks added and "
        "completed); the writers alternate between the two servers, against all of them on one "
        "server of the same database. Both runs have an events socket on each server; CPU is "
        "both servers' together.\n\n" + table(header, rows)
    )


if __name__ == "__main__":
    main()
