"""Before/after: the REST operations' server CPU per request, this checkout against a git revision.

    python -m bench.compare REVISION [--rounds 3] [--seconds 2]

The revision's maestro_jupyter (and skills) is extracted with `git archive` into a temporary
folder and served by a second server next to this checkout's; rounds alternate between the two,
so both are measured under the same background load.
"""

from __future__ import annotations

import argparse
import subprocess
import tarfile
import tempfile
from pathlib import Path

from harness import REPO, ServerProcess

from .bench_rest import measure
from .operations import make_pool, operations
from .report import median, table


def extract(revision: str, into: Path) -> Path:
    archive = subprocess.run(
        ["git", "archive", "--format=tar", revision, "maestro_jupyter", "skills"],
        cwd=REPO,
        check=True,
        capture_output=True,
    ).stdout
    into.mkdir(parents=True)
    tar_path = into / "code.tar"
    tar_path.write_bytes(archive)
    with tarfile.open(tar_path) as tar:
        tar.extractall(into, filter="data")
    return into


def compare(revision: str, rounds: int = 3, seconds: float = 2.0) -> str:
    with tempfile.TemporaryDirectory(prefix="maestro-bench-compare-") as tmp:
        old_code = extract(revision, Path(tmp) / "code")
        with (
            ServerProcess(Path(tmp) / "old", code=old_code) as old,
            ServerProcess(Path(tmp) / "new") as new,
        ):
            servers = {"before": old, "after": new}
            ops = {name: operations(make_pool(server)) for name, server in servers.items()}
            cost: dict[str, dict[str, list[float]]] = {name: {} for name in servers}
            for _ in range(rounds):
                for name, server in servers.items():
                    for op, measured in measure(server, ops[name], 1, seconds, 1).items():
                        cost[name].setdefault(op, []).extend(measured.cpu_per_request)
    rows = []
    for op in cost["after"]:
        before, after = median(cost["before"][op]), median(cost["after"][op])
        rows.append([op, f"{before * 1000:.2f}", f"{after * 1000:.2f}", f"{before / after:.2f}x"])
    header = ["operation", f"before ({revision}) CPU ms/req", "after CPU ms/req", "less CPU"]
    short = subprocess.run(
        ["git", "rev-parse", "--short", revision], cwd=REPO, capture_output=True, text=True
    ).stdout.strip()
    return (
        f"## Before/after: server CPU per request, {short} against this checkout\n\n"
        f"`python -m bench.compare {revision}`: one connection, median of {rounds} alternating "
        f"rounds of {seconds:g} s per server.\n\n" + table(header, rows) + "\n"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("revision")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args(argv)
    print(compare(args.revision, args.rounds, args.seconds))


if __name__ == "__main__":
    main()
