"""Spawn-side cost of a worktree: `create_worktree` on a repository of 10,000 files, against
`isolation: none` (a spawn then only resolves its working directory: `resolve_cwd`).

Also timed on the same repository, for the review that follows a session: its diff (a few files
changed, untracked ones included), a merge into the main tree, a discard; and ten creations
started at once (they queue on the repository's lock, as concurrent spawns do).

    python -m bench.bench_worktree [--files N] [--rounds N]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from maestro_jupyter.git import create_worktree, diff, discard, merge
from maestro_jupyter.spawner.orchestration import resolve_cwd

from .report import median, ms, table


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, timeout=600)


def _repository(folder: Path, files: int) -> Path:
    """A repository with `files` small files in folders of 100, committed on `main`."""
    folder.mkdir()
    for number in range(files):
        path = folder / f"pkg{number // 100:03}" / f"module{number % 100:02}.py"
        path.parent.mkdir(exist_ok=True)
        path.write_text(f"VALUE = {number}\n\n\ndef value():\n    return VALUE\n")
    _git(folder, "init", "--quiet", "-b", "main")
    _git(folder, "config", "user.name", "Maestro Bench")
    _git(folder, "config", "user.email", "bench@example.invalid")
    _git(folder, "config", "commit.gpgsign", "false")
    _git(folder, "add", "--all")
    _git(folder, "commit", "--quiet", "-m", "base")
    return folder


async def _plain_worktree_add(repo: Path, folder: Path, number: int) -> None:
    process = await asyncio.create_subprocess_exec(
        *("git", "-c", "checkout.workers=0", "worktree", "add", "--quiet"),
        *("-b", f"plain{number}", str(folder), "main"),
        cwd=repo,
    )
    await process.wait()


async def _timed(action: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    began = time.perf_counter()
    result = await action()
    return time.perf_counter() - began, result


def _p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]


async def _measure(repo: Path, root: Path, rounds: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {
        name: [] for name in ("none", "git", "create", "diff", "merge", "discard", "ten")
    }
    for round_number in range(rounds):
        # isolation none: the cwd resolved, as a spawn without a worktree does (many calls: it
        # is too quick to time one by one)
        began = time.perf_counter()
        for _ in range(100):
            resolve_cwd(str(repo), str(root))
        times["none"].append((time.perf_counter() - began) / 100)

        # git alone (what Maestro's checks and lock add to) and create_worktree, taking turns at
        # going first: a checkout is mostly disk writes, which other work on the machine slows.
        plain = root / "plain" / str(round_number)
        session_id = f"sess_bench{round_number}"
        measured = {}
        for kind in ("git", "create") if round_number % 2 == 0 else ("create", "git"):
            if kind == "git":
                seconds, _ = await _timed(
                    lambda plain=plain, number=round_number: _plain_worktree_add(
                        repo, plain, number
                    )
                )
            else:
                seconds, measured["made"] = await _timed(
                    lambda session_id=session_id: create_worktree(
                        repo,
                        session_id=session_id,
                        slug="bench",
                        base_branch="main",
                        root_dir=root,
                    )
                )
            times[kind].append(seconds)
        _git(repo, "worktree", "remove", "--force", str(plain))
        made = measured["made"]
        worktree = Path(made["worktree"])
        for number in range(5):
            (worktree / f"pkg{number:03}" / "module00.py").write_text(f"VALUE = -{number}\n")
        (worktree / "added.py").write_text("NEW = True\n")
        seconds, _ = await _timed(lambda made=made: diff(made["worktree"], made["baseCommit"]))
        times["diff"].append(seconds)
        if round_number == 0:  # one merge changes the main tree; later rounds start from it
            seconds, _ = await _timed(
                lambda made=made: merge(
                    repo, made["worktree"], made["branch"], "main", message="bench merge"
                )
            )
            times["merge"].append(seconds)
        seconds, _ = await _timed(lambda made=made: discard(repo, made["worktree"], made["branch"]))
        times["discard"].append(seconds)

    for round_number in range(max(1, rounds // 5)):
        ids = [f"sess_many{round_number}x{n}" for n in range(10)]
        seconds, created = await _timed(
            lambda ids=ids: asyncio.gather(
                *(
                    create_worktree(repo, session_id=one, slug="many", base_branch="main")
                    for one in ids
                )
            )
        )
        times["ten"].append(seconds)
        for made in created:
            await discard(repo, made["worktree"], made["branch"])
    return times


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_worktree")
    parser.add_argument("--files", type=int, default=10_000, help="files in the repository")
    parser.add_argument("--rounds", type=int, default=5, help="worktrees created one by one")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="maestro-bench-worktree-") as folder:
        root = Path(folder)
        began = time.perf_counter()
        repo = _repository(root / "project", args.files)
        setup = time.perf_counter() - began
        times = asyncio.run(_measure(repo, root, args.rounds))

    none = median(times["none"])
    labels = {
        "none": "`isolation: none` (resolve the cwd): baseline",
        "git": "`git worktree add` alone (no Maestro checks, no lock)",
        "create": "`isolation: worktree`: `create_worktree`",
        "diff": "diff of a session (6 files changed, 1 untracked)",
        "merge": "merge into the main tree (commit the worktree, `--no-ff`)",
        "discard": "discard (worktree and branch removed)",
        "ten": "10 `create_worktree` at once (total, queued on the lock)",
    }
    rows = [
        [
            labels[name],
            len(values),
            ms(median(values)),
            ms(_p90(values)),
            f"{median(values) / none:,.0f}x",
        ]
        for name, values in times.items()
        if values
    ]
    report = "\n".join(
        [
            "## Worktree per session (`python -m bench.bench_worktree`)",
            "",
            f"A repository of {args.files:,} files ({setup:.1f} s to make and commit). A spawn "
            "with `isolation: worktree` adds `create_worktree` (git checks out every file) to "
            "what a spawn with `isolation: none` pays for its working directory.",
            "",
            table(["operation", "runs", "median ms", "p90 ms", "x baseline"], rows),
            "",
            f"A worktree adds {ms(median(times['create']) - none)} ms to a spawn here "
            f"({median(times['create']) * 1e6 / args.files:.0f} µs per file of the repository). "
            "The cost is git's checkout: `create_worktree` takes "
            f"{median(times['create']) / median(times['git']):.2f}x the time of `git worktree "
            "add` alone (its checks, lock and exclude are a few git calls of a few ms each).",
        ]
    )
    print(report)
    return report


if __name__ == "__main__":
    main()
