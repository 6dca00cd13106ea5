"""Soak: a mixed read/write load at 50 connections for 60 s; the server's memory must stay flat.

    python -m bench.soak [--seconds 60] [--connections 50]

Reports RSS after a warm-up, during the run and at the end, and every error. The test suite runs
a 5 s version of it (tests/test_hardening_soak.py) that asserts only that nothing failed.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from harness import ServerProcess

from .load import Request, RunResult, run_load
from .operations import BASELINE, make_pool, operations
from .report import table

MiB = 1024 * 1024


@dataclass
class SoakResult:
    run: RunResult
    rss_before: int
    rss_after: int
    rss_samples: list[int] = field(default_factory=list)

    @property
    def growth(self) -> float:
        return self.rss_after / self.rss_before - 1


def soak(server: ServerProcess, seconds: float, connections: int = 50) -> SoakResult:
    """Run every Maestro operation in turn on `connections` connections for `seconds`."""
    ops = operations(make_pool(server, tasks=50))
    mixed = [make for name, make in ops.items() if name != BASELINE]

    def make_request(i: int) -> Request:
        return mixed[i % len(mixed)](i // len(mixed))

    def run(duration: float) -> RunResult:
        return asyncio.run(
            run_load(
                "127.0.0.1",
                server.port,
                server.token,
                make_request,
                connections=connections,
                seconds=duration,
            )
        )

    run(min(5.0, seconds / 4))  # warm-up: caches, pools and the allocator settle first
    rss_before = server.rss_bytes()
    samples: list[int] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(max(seconds / 12, 0.5)):
            samples.append(server.rss_bytes())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        result = run(seconds)
    finally:
        stop.set()
        sampler.join()
    return SoakResult(result, rss_before, server.rss_bytes(), samples)


def report(result: SoakResult, seconds: float, connections: int) -> str:
    run = result.run
    rows = [
        [
            f"{seconds:g} s x {connections} connections",
            f"{run.requests:,}",
            f"{run.rate:,.0f}",
            f"{run.p50_ms:.1f}",
            f"{run.p99_ms:.1f}",
            run.errors,
            f"{result.rss_before / MiB:.1f}",
            f"{result.rss_after / MiB:.1f}",
            f"{result.growth:+.1%}",
        ]
    ]
    header = [
        "load",
        "requests",
        "req/s",
        "p50 ms",
        "p99 ms",
        "errors",
        "RSS before MiB",
        "RSS after MiB",
        "growth",
    ]
    during = ", ".join(f"{rss / MiB:.1f}" for rss in result.rss_samples)
    errors = "".join(f"\n- {sample}" for sample in run.error_samples)
    return (
        "## Soak: mixed load (GET task, list, create task, create subtask, PATCH subtask)\n\n"
        + table(header, rows)
        + f"\n\nRSS during the run (MiB): {during}.{errors}\n"
    )


def measure(seconds: float = 60, connections: int = 50) -> str:
    with tempfile.TemporaryDirectory(prefix="maestro-bench-soak-") as tmp:
        with ServerProcess(Path(tmp)) as server:
            result = soak(server, seconds, connections)
    return report(result, seconds, connections)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--connections", type=int, default=50)
    args = parser.parse_args(argv)
    print(measure(args.seconds, args.connections))


if __name__ == "__main__":
    main()
