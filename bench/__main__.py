"""Run every benchmark and write the figures to bench/RESULTS.md.

    python -m bench                  # everything, about 6 minutes (make bench)
    python -m bench rest fanout      # some of them (the list: python -m bench --help)
    python -m bench --quick          # short runs to try them out; RESULTS.md is left alone
    python -m bench --compare REV    # also server CPU per request before (REV) and after

Every figure is a ratio against a baseline measured in the same run, on the same machine.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from .report import machine

RESULTS = Path(__file__).with_name("RESULTS.md")


def _printed_by(module_name: str) -> Callable[[bool], str | None]:
    """A benchmark written by another part (`bench_cli`, `bench_spawn`): run its `main([])`."""

    def run(quick: bool) -> str | None:
        try:
            module = importlib.import_module(f"bench.{module_name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"bench.{module_name}":
                raise
            print(f"(bench/{module_name}.py is not there yet: skipped)")
            return None
        printed = io.StringIO()  # main() prints its report; it is printed again below
        with contextlib.redirect_stdout(printed):
            returned = module.main([])
        return returned if isinstance(returned, str) else printed.getvalue()

    return run


def _rest(quick: bool) -> str:
    from . import bench_rest

    return bench_rest.main(seconds=1 if quick else 2, rounds=1 if quick else 3)


def _growth(quick: bool) -> str:
    from . import bench_growth

    if quick:
        return bench_growth.main(seconds=1, rounds=1, sizes=(100, 10_000))
    return bench_growth.main()


def _contention(quick: bool) -> str:
    from . import bench_contention

    return bench_contention.main()


def _fanout(quick: bool) -> str:
    from . import bench_fanout

    return bench_fanout.main(writes=5 if quick else 20)


def _crossserver(quick: bool) -> str:
    from . import bench_crossserver

    printed = io.StringIO()  # main() prints its report; it is printed again below
    with contextlib.redirect_stdout(printed):
        return bench_crossserver.main(["--writes", "50" if quick else "500"])


def _soak(quick: bool) -> str:
    from . import soak

    return soak.measure(seconds=10 if quick else 60)


BENCHMARKS: dict[str, Callable[[bool], str | None]] = {
    "rest": _rest,
    "growth": _growth,
    "contention": _contention,
    "fanout": _fanout,
    "soak": _soak,
    "cli": _printed_by("bench_cli"),
    "spawn": _printed_by("bench_spawn"),
    "lock": _printed_by("bench_lock"),
    "claims": _printed_by("bench_claims"),
    "mcp": _printed_by("bench_mcp"),
    "worktree": _printed_by("bench_worktree"),
    "offloop": _printed_by("bench_offloop"),
    "activity": _printed_by("bench_activity"),
    "lab": _printed_by("bench_lab"),
    "crossserver": _crossserver,
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("only", nargs="*", metavar="BENCHMARK", help=", ".join(BENCHMARKS))
    parser.add_argument("--quick", action="store_true", help="short runs; RESULTS.md untouched")
    parser.add_argument("--compare", metavar="REVISION", help="add bench.compare against REVISION")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.only) - set(BENCHMARKS))
    if unknown:
        parser.error(f"no benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    chosen = args.only or list(BENCHMARKS)
    started = datetime.now(timezone.utc)
    command = " ".join(["python -m bench", *(sys.argv[1:] if argv is None else argv)])
    header = (
        "# Benchmark results\n\n"
        f"Produced by `{command}` on {started:%Y-%m-%d %H:%M} UTC (`make bench` runs "
        "`python -m bench`).\n\n" + machine() + "\n"
    )
    print(header, flush=True)
    sections = []
    for name in chosen:
        began = time.perf_counter()
        print(f"--- {name}", flush=True)
        section = BENCHMARKS[name](args.quick)
        if section:
            sections.append(section.strip() + "\n")
            print(section, flush=True)
        print(f"--- {name}: {time.perf_counter() - began:.0f} s", flush=True)
    if args.compare:
        from .compare import compare

        section = compare(args.compare, rounds=1 if args.quick else 3)
        sections.append(section)
        print(section, flush=True)
    if not args.quick:
        RESULTS.write_text(header + "\n" + "\n".join(sections))
        print(f"Wrote {RESULTS}")


if __name__ == "__main__":
    main()
