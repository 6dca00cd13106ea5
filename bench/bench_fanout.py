"""Event fan-out: one write with 100 WebSocket subscribers connected; delivery latency p50/p99.

Latency runs from sending the write (`POST tasks`) to each subscriber receiving its
`task:created` event. The baseline is the same write with a single subscriber. All subscribers
live in this one process, so the last of 100 also waits for the client to read the 99 before it.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from pathlib import Path

from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

from harness import ServerProcess

from .load import HTTPConnection, RunResult
from .operations import API
from .report import table

SUBSCRIBERS = 100
WRITES = 20


async def _latencies(server: ServerProcess, subscribers: int, writes: int) -> RunResult:
    last_seq = server.api("GET", "status")["lastSeq"]
    received: dict[str, list[float]] = {}  # task title -> receive times

    def on_message(message: str | bytes | None) -> None:
        if message is None:
            return
        event = json.loads(message)
        if event.get("event") == "task:created":
            received.setdefault(event["data"]["title"], []).append(time.perf_counter())

    request = HTTPRequest(
        f"ws://127.0.0.1:{server.port}{API}events?since={last_seq}",
        headers={"Authorization": f"token {server.token}"},
    )
    sockets = [
        await websocket_connect(request, on_message_callback=on_message) for _ in range(subscribers)
    ]
    writer = HTTPConnection(
        "127.0.0.1",
        server.port,
        {"Authorization": f"token {server.token}", "Content-Type": "application/json"},
    )
    result = RunResult()
    started = time.perf_counter()
    for i in range(writes):
        title = f"fan-out {subscribers} #{i}"
        sent = time.perf_counter()
        status, _ = await writer.request("POST", f"{API}tasks", {"title": title})
        result.errors += status != 201
        deadline = time.perf_counter() + 10
        while len(received.get(title, [])) < subscribers and time.perf_counter() < deadline:
            await asyncio.sleep(0.001)
        times = received.get(title, [])
        result.errors += subscribers - len(times)
        result.latencies += [at - sent for at in times]
        result.requests += 1
        await asyncio.sleep(0.02)  # let the server settle between writes
    result.seconds = time.perf_counter() - started
    await writer.close()
    for socket in sockets:
        socket.close()
    return result


def main(subscribers: int = SUBSCRIBERS, writes: int = WRITES) -> str:
    with tempfile.TemporaryDirectory(prefix="maestro-bench-fanout-") as tmp:
        with ServerProcess(Path(tmp)) as server:
            single = asyncio.run(_latencies(server, 1, writes))
            many = asyncio.run(_latencies(server, subscribers, writes))
    rows = []
    for label, run in (("baseline: 1 subscriber", single), (f"{subscribers} subscribers", many)):
        rows.append(
            [
                label,
                writes,
                len(run.latencies),
                f"{run.p50_ms:.2f}",
                f"{run.p99_ms:.2f}",
                f"{run.p99_ms / single.p99_ms:.1f}x",
                run.errors,
            ]
        )
    header = ["subscribers", "writes", "deliveries", "p50 ms", "p99 ms", "p99 x baseline", "lost"]
    return (
        f"## Event fan-out: one write, {subscribers} WebSocket subscribers\n\n"
        "From sending `POST tasks` to each subscriber's receipt of `task:created`, over "
        f"{writes} writes.\n\n" + table(header, rows) + "\n"
    )


if __name__ == "__main__":
    print(main())
