"""REST throughput and latency of Maestro's hot calls against Jupyter's own `GET /api/status`.

Baseline and operations run interleaved, round after round, on the same server with the same
token, so a ratio compares figures taken under the same background load.
"""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from harness import ServerProcess

from .load import RequestFactory, RunResult, run_load
from .operations import BASELINE, READS, make_pool, operations
from .report import median, table, verdict

CONNECTIONS = (1, 50)
GET_AIM, WRITE_AIM = 0.80, 0.60


@dataclass
class Measured:
    """Every round's result of one operation at one concurrency."""

    runs: list[RunResult] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)
    server_cpu: list[float] = field(default_factory=list)  # share of one core
    cpu_per_request: list[float] = field(default_factory=list)  # server CPU seconds
    cost_ratios: list[float] = field(default_factory=list)  # baseline CPU/request over this one

    @property
    def rate(self) -> float:
        return median([run.rate for run in self.runs])

    @property
    def ratio(self) -> float:
        return median(self.ratios)

    def p(self, which: str) -> float:
        return median([getattr(run, which) for run in self.runs])

    @property
    def cost_ratio(self) -> float:
        return median(self.cost_ratios)

    @property
    def errors(self) -> int:
        return sum(run.errors for run in self.runs)

    @property
    def client_cpu(self) -> float:
        return median([run.client_cpu_share for run in self.runs])


def measure(
    server: ServerProcess,
    ops: dict[str, RequestFactory],
    connections: int,
    seconds: float,
    rounds: int,
) -> dict[str, Measured]:
    """Run the baseline then each operation, `rounds` times; ratios are within each round."""
    results = {name: Measured() for name in ops}

    async def one(make: RequestFactory) -> RunResult:
        return await run_load(
            "127.0.0.1", server.port, server.token, make, connections=connections, seconds=seconds
        )

    for _ in range(rounds):
        baseline_rate = baseline_cost = 0.0
        for name, make in ops.items():
            cpu_before = server.cpu_seconds()
            run = asyncio.run(one(make))
            cpu = server.cpu_seconds() - cpu_before
            cost = cpu / max(run.requests, 1)
            measured = results[name]
            measured.runs.append(run)
            measured.server_cpu.append(cpu / run.seconds)
            measured.cpu_per_request.append(cost)
            if name == BASELINE:
                baseline_rate, baseline_cost = run.rate, cost
            measured.ratios.append(run.rate / baseline_rate if baseline_rate else float("nan"))
            measured.cost_ratios.append(baseline_cost / cost if cost else float("nan"))
    return results


def rows(results: dict[str, Measured], connections: int) -> list[list[object]]:
    out = []
    for name, m in results.items():
        aim = "" if name == BASELINE else (GET_AIM if name in READS else WRITE_AIM)
        out.append(
            [
                name,
                connections,
                f"{m.rate:,.0f}",
                f"{m.p('p50_ms'):.2f}",
                f"{m.p('p99_ms'):.2f}",
                "1.00" if name == BASELINE else f"{m.ratio:.2f}",
                ""
                if aim == ""
                else f">= {aim:.2f}: rate {verdict(m.ratio >= aim)}, "
                f"CPU {verdict(m.cost_ratio >= aim)}",
                f"{median(m.cpu_per_request) * 1000:.2f}",
                "1.00" if name == BASELINE else f"{m.cost_ratio:.2f}",
                f"{median(m.server_cpu):.0%} / {m.client_cpu:.0%}",
                m.errors,
            ]
        )
    return out


HEADER = [
    "operation",
    "connections",
    "req/s",
    "p50 ms",
    "p99 ms",
    "x baseline",
    "aim",
    "server CPU ms/req",
    "x baseline by CPU",
    "CPU server / load generator",
    "errors",
]


def main(seconds: float = 2.0, rounds: int = 3) -> str:
    with tempfile.TemporaryDirectory(prefix="maestro-bench-rest-") as tmp:
        with ServerProcess(Path(tmp)) as server:
            ops = operations(make_pool(server))
            all_rows = []
            for connections in CONNECTIONS:
                results = measure(server, ops, connections, seconds, rounds)
                all_rows += rows(results, connections)
                print(table(HEADER, rows(results, connections)), flush=True)
    return (
        "## REST: Maestro operations against Jupyter's `GET /api/status`\n\n"
        f"Each cell is the median of {rounds} rounds of {seconds:g} s; every round measures the "
        "baseline first, on the same server with the same token, and the ratio is taken within "
        "the round. Aims: reads >= 0.80 x baseline, writes >= 0.60 x. `x baseline by CPU` is the "
        "same ratio computed from the server's CPU time per request (baseline's over the "
        "operation's): it is the capacity ratio, and it holds up when other processes take "
        "CPU from the server mid-run, which skews req/s. CPU shares are of one core: a server "
        "near 100% and a load generator well below it means the server was the bottleneck.\n\n"
        + table(HEADER, all_rows)
        + "\n"
    )


if __name__ == "__main__":
    print(main())
