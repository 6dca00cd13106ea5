"""Start-up cost of the `maestro` CLI: median wall time per command beside `python -c pass`.

An agent runs the CLI dozens of times per task, so what counts is the time above bare Python
start-up (aim: under 150 ms per command). Baseline and commands run interleaved, round after
round, against one real server, so every figure is taken under the same background load.

    python -m bench.bench_cli [--runs N]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import ServerProcess

from .report import machine, median, ms, table, verdict

AIM_SECONDS = 0.150


def maestro_argv() -> list[str]:
    """The console script agents run, or `python -m maestro_cli` where it is not installed."""
    script = Path(sys.executable).with_name("maestro")
    return [str(script)] if script.exists() else [sys.executable, "-m", "maestro_cli"]


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one run of `argv`."""
    cpu_before, started = cpu_seconds(), time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed, cpu = time.perf_counter() - started, cpu_seconds() - cpu_before
    if done.returncode != 0:
        raise RuntimeError(f"{argv} failed: {done.stderr.decode(errors='replace')[-500:]}")
    return elapsed, cpu


def measure(runs: int) -> str:
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as root:
        with ServerProcess(Path(root) / "server") as server:
            env = {
                **server.env,
                "MAESTRO_URL": server.url,
                "MAESTRO_TOKEN": server.token,
                "NO_COLOR": "1",
            }
            maestro = maestro_argv()
            commands = {
                "python -c pass": [sys.executable, "-c", "pass"],
                "maestro --version": [*maestro, "--version"],
                "maestro task create": [*maestro, "task", "create", "Benchmark task"],
                "maestro task list --json": [*maestro, "task", "list", "--json"],
            }
            for argv in commands.values():  # warm the file cache and the server
                run_once(argv, env)
            wall: dict[str, list[float]] = {name: [] for name in commands}
            cpu: dict[str, list[float]] = {name: [] for name in commands}
            for _ in range(runs):
                for name, argv in commands.items():
                    elapsed, used = run_once(argv, env)
                    wall[name].append(elapsed)
                    cpu[name].append(used)
            tasks = len(server.api("GET", "tasks?limit=500")["items"])
    baseline, baseline_cpu = median(wall["python -c pass"]), median(cpu["python -c pass"])
    rows = []
    for name in commands:
        value, used = median(wall[name]), median(cpu[name])
        above = value - baseline
        is_baseline = name.startswith("python")
        rows.append(
            [
                f"`{name}`",
                ms(value),
                "-" if is_baseline else ms(above),
                f"{value / baseline:.1f}x",
                ms(used),
                "-" if is_baseline else ms(used - baseline_cpu),
                "-" if is_baseline else verdict(above < AIM_SECONDS),
            ]
        )
    header = [
        "command",
        "median wall ms",
        "above python",
        "ratio",
        "CPU ms",
        "CPU above python",
        "aim: < 150 ms above",
    ]
    return "\n".join(
        [
            f"## CLI start-up ({runs} interleaved runs each, {' '.join(maestro)})",
            "",
            table(header, rows),
            "",
            f"`task list` listed {tasks} tasks at the end of the run. CPU is the command's own "
            "user + system time (the server's is not in it): on a busy machine it moves less "
            "than wall time.",
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_CLI_RUNS", 20)))
    args = parser.parse_args(argv)
    print(measure(args.runs))


if __name__ == "__main__":
    main()
    print()
    print(machine())
