"""Output throughput with the activity watcher: a terminal printing 50 MB as fast as it can.

Two terminals of one terminado manager on one loop, as the server runs them, print the same
bytes, alternating (which goes first too): one with Maestro's output clock on its pty (one
timestamp per chunk read) and the watcher's activity check every 0.5 s, one without. Each
program times itself, from just before its first byte to just after its last one was taken
(the pty blocks the writer until the server has read it), so the figure is the server's reading
throughput. The goal: with the watcher, at least 0.95x the throughput without.

A shared machine's load moves single runs by more than the 5 % at stake, so the report also
gives the clock's own cost: its time per chunk (timeit) times the chunks a run reads, as a share
of the run, a bound that load does not blur.

    python -m bench.bench_activity [--megabytes N] [--runs N]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import timeit
from pathlib import Path

from terminado.management import NamedTermManager

from maestro_jupyter.spawner.activity import OutputClock, activity_at, output_clock

from .report import machine, median, table

# $1 the marker file, $2 the bytes to print; the pty is sized as a spawn sizes it.
FLOOD = (
    "stty rows 40 cols 120 2>/dev/null; "
    'start=$(date +%s%N); head -c "$2" /dev/zero | tr "\\0" x; end=$(date +%s%N); '
    'echo "$start $end" > "$1.tmp"; mv "$1.tmp" "$1"; exec sleep 600'
)
POLL_INTERVAL = 0.5  # the watcher's default
IDLE_AFTER = 3.0


class Counted:
    """A pty stand-in counting the chunks read, under the clock as a real pty is."""

    def __init__(self, ptyproc: object) -> None:
        self._read = ptyproc.read  # type: ignore[attr-defined]
        self.chunks = 0
        ptyproc.read = self.read  # type: ignore[attr-defined]

    def read(self, size: int) -> object:
        self.chunks += 1
        return self._read(size)


async def flood(
    manager: NamedTermManager, marker: Path, size: int, watched: bool
) -> tuple[float, int]:
    """(seconds, chunks read) of one terminal printing `size` bytes."""
    argv = ["/bin/sh", "-c", FLOOD, "sh", str(marker), str(size)]
    name, terminal = manager.new_named_terminal(shell_command=argv)
    counter = Counted(terminal.ptyproc)
    poller = None
    if watched:
        clock = output_clock(terminal)

        async def watch() -> None:
            while True:
                await asyncio.sleep(POLL_INTERVAL)
                if clock.at is not None:
                    activity_at(clock.at, IDLE_AFTER)

        poller = asyncio.ensure_future(watch())
    while not marker.exists():
        await asyncio.sleep(0.02)
    if poller is not None:
        poller.cancel()
    await manager.terminate(name, force=True)
    start, end = marker.read_text().split()
    return (int(end) - int(start)) / 1e9, counter.chunks


def clock_cost() -> float:
    """Seconds the clock adds to one chunk read (its wrapper around a read that costs nothing)."""

    class Pty:
        def read(self, size: int) -> bytes:
            return b""

    bare, clocked = Pty(), Pty()
    OutputClock(clocked)
    runs = 200_000
    plain = min(timeit.repeat(lambda: bare.read(65536), number=runs, repeat=5))
    wrapped = min(timeit.repeat(lambda: clocked.read(65536), number=runs, repeat=5))
    return max(wrapped - plain, 0.0) / runs


async def measure_async(megabytes: int, runs: int) -> dict[str, list[tuple[float, int]]]:
    manager = NamedTermManager(shell_command=["/bin/sh"])
    samples: dict[str, list[tuple[float, int]]] = {"watched": [], "bare": []}
    with tempfile.TemporaryDirectory(prefix="bench-activity-") as folder:
        for round_ in range(runs):
            order = ["watched", "bare"] if round_ % 2 == 0 else ["bare", "watched"]
            for kind in order:
                marker = Path(folder) / f"{kind}-{round_}"
                samples[kind].append(
                    await flood(manager, marker, megabytes * 1024 * 1024, kind == "watched")
                )
    await manager.shutdown()
    return samples


def measure(megabytes: int, runs: int) -> str:
    samples = asyncio.run(measure_async(megabytes, runs))
    seconds = {kind: median([s for s, _ in values]) for kind, values in samples.items()}
    chunks = median([c for _, c in samples["watched"]])
    ratio = seconds["bare"] / seconds["watched"]  # throughput with / without
    cost = clock_cost()
    share = cost * chunks / seconds["watched"]
    rows = [
        [
            "with the output clock and the activity watcher",
            f"{megabytes / seconds['watched']:.1f}",
            f"{seconds['watched']:.2f}",
        ],
        ["without", f"{megabytes / seconds['bare']:.1f}", f"{seconds['bare']:.2f}"],
    ]
    verdict = "meets" if ratio >= 0.95 else "misses"
    return "\n".join(
        [
            f"## Output throughput with the activity watcher ({megabytes} MB, {runs} runs each, "
            "interleaved)",
            "",
            table(["terminal", "MB/s (median)", "seconds (median)"], rows),
            "",
            f"Throughput with / without: **{ratio:.3f}x** ({verdict} the 0.95x goal). "
            f"The clock's own cost: {cost * 1e9:.0f} ns per chunk x {chunks:.0f} chunks = "
            f"{share:.4%} of a run.",
            "",
            machine(),
        ]
    )


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=50)
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_ACTIVITY_RUNS", 7)))
    args = parser.parse_args(argv)
    report = measure(args.megabytes, args.runs)
    print(report)
    return report


if __name__ == "__main__":
    main()
