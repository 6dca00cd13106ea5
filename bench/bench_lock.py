"""Jupyter while Maestro's database is locked: `GET /api/status` latency with a write waiting.

Another program holds the SQLite write lock for `hold` seconds (as a second server on the same
file, a backup or `sqlite3` in a terminal can) while a Maestro write waits for it. Jupyter's own
`GET /api/status` is timed throughout, against the same request with nothing locked, measured in
the same run. Before the store ran off the event loop, the loop froze for the whole wait.

    python -m bench.bench_lock
"""

from __future__ import annotations

import sqlite3
import statistics
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from harness import ServerProcess


def _status_latencies(server: ServerProcess, seconds: float) -> list[float]:
    request = urllib.request.Request(
        server.url + "api/status", headers={"Authorization": f"token {server.token}"}
    )
    latencies = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        began = time.perf_counter()
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
        latencies.append(time.perf_counter() - began)
        time.sleep(0.01)
    return latencies


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main(argv: list[str] | None = None, hold: float = 3.0) -> str:
    with tempfile.TemporaryDirectory(prefix="maestro-bench-lock-") as root:
        with ServerProcess(Path(root)) as server:
            server.api("POST", "tasks", {"title": "warm-up"})
            baseline = _status_latencies(server, hold)

            holder = sqlite3.connect(server.db_path, isolation_level=None, timeout=0)
            holder.execute("BEGIN IMMEDIATE")
            outcome: dict[str, object] = {}

            def write() -> None:
                began = time.perf_counter()
                try:
                    server.api("POST", "tasks", {"title": "waits for the lock"}, timeout=60)
                    outcome["status"] = 201
                except urllib.error.HTTPError as exc:
                    outcome["status"] = exc.code
                outcome["seconds"] = time.perf_counter() - began

            writer = threading.Thread(target=write)
            writer.start()
            time.sleep(0.05)
            locked = _status_latencies(server, hold)
            holder.rollback()
            holder.close()
            writer.join()

    lines = [
        "## Jupyter while the store is locked (`python -m bench.bench_lock`)",
        "",
        f"Another connection held the SQLite write lock for {hold:.0f} s while a Maestro "
        "`POST tasks` waited for it; Jupyter's `GET /api/status` was timed throughout.",
        "",
        "| `GET /api/status` | requests | p50 ms | p99 ms | max ms |",
        "|---|---|---|---|---|",
    ]
    for name, values in (("nothing locked (baseline)", baseline), ("write lock held", locked)):
        lines.append(
            f"| {name} | {len(values)} | {statistics.median(values) * 1000:.1f} | "
            f"{_p(values, 0.99):.1f} | {max(values) * 1000:.1f} |"
        )
    lines += [
        "",
        f"p99 ratio locked/baseline: {_p(locked, 0.99) / _p(baseline, 0.99):.2f}x. The waiting "
        f"write answered {outcome.get('status')} after {outcome.get('seconds', 0):.2f} s "
        "(it lands once the lock is released).",
    ]
    report = "\n".join(lines)
    print(report)
    return report


if __name__ == "__main__":
    main()
