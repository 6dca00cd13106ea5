"""Growth: the REST operations' cost with 100, 10,000 and 100,000 tasks already in the store.

Each size gets its own server on a database seeded in bulk before the server starts. The cost of
an operation is the server's CPU time per request and the p50 latency at one connection; the aim
is that at 100,000 tasks each stays within 1.5x of its cost at 100.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from harness import ServerProcess

from .bench_rest import measure
from .operations import BASELINE, make_pool, operations
from .report import median, table, verdict
from .seed import seed

SIZES = (100, 10_000, 100_000)
AIM = 1.5


def main(seconds: float = 2.0, rounds: int = 2, sizes: tuple[int, ...] = SIZES) -> str:
    # size -> operation -> (server CPU ms per request, p50 ms)
    costs: dict[int, dict[str, tuple[float, float]]] = {}
    seeding: dict[int, float] = {}
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix=f"maestro-bench-growth-{size}-") as tmp:
            server = ServerProcess(Path(tmp))
            started = time.perf_counter()
            # The pool below adds 100 tasks through the API, so seed the rest.
            seed(server.db_path, max(size - 100, 0))
            seeding[size] = time.perf_counter() - started
            with server.start():
                ops = operations(make_pool(server, tasks=100))
                results = measure(server, ops, connections=1, seconds=seconds, rounds=rounds)
            costs[size] = {
                name: (median(m.cpu_per_request) * 1000, m.p("p50_ms"))
                for name, m in results.items()
            }
        print(f"growth: {size:,} tasks measured", flush=True)
    smallest, largest = sizes[0], sizes[-1]
    header = [
        "operation",
        *(f"{size:,} tasks: CPU ms / p50 ms" for size in sizes),
        f"{largest:,} / {smallest:,} by CPU",
        f"{largest:,} / {smallest:,} by p50",
        f"aim <= {AIM}x",
    ]
    rows = []
    for name in costs[smallest]:
        by_cpu = costs[largest][name][0] / costs[smallest][name][0]
        by_p50 = costs[largest][name][1] / costs[smallest][name][1]
        rows.append(
            [
                name,
                *(f"{costs[size][name][0]:.2f} / {costs[size][name][1]:.2f}" for size in sizes),
                f"{by_cpu:.2f}",
                f"{by_p50:.2f}",
                "" if name == BASELINE else verdict(min(by_cpu, by_p50) <= AIM),
            ]
        )
    return (
        "## Growth: cost per operation against the number of tasks in the store\n\n"
        f"One connection; median of {rounds} rounds of {seconds:g} s per size. Each store was "
        "seeded in bulk before its server started (each task with 2 subtasks and its event; "
        "seeding took "
        + ", ".join(f"{seeding[size]:.0f} s for {size:,}" for size in sizes)
        + "). The baseline row shows how much the machine itself drifted between sizes. "
        "An aim is met when either measure (CPU or p50) is within it: both are noisy on a "
        "shared machine.\n\n" + table(header, rows) + "\n"
    )


if __name__ == "__main__":
    print(main())
