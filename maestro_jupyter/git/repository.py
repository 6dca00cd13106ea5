"""A folder as a git repository: whether it is one, its branch, and the checks every operation
makes before it writes (a name git accepts, a tree with nothing uncommitted, no merge or rebase
half done)."""

from __future__ import annotations

import asyncio
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import Conflict, NotFound, ValidationFailed
from .runner import GitFailed, git

_COMMIT = re.compile(r"[0-9a-f]{4,64}")
# Operations that leave a tree half done, by the file git keeps while they last.
_OPERATIONS = {
    "MERGE_HEAD": "a merge",
    "CHERRY_PICK_HEAD": "a cherry-pick",
    "REVERT_HEAD": "a revert",
    "rebase-merge": "a rebase",
    "rebase-apply": "a rebase",
    "BISECT_LOG": "a bisect",
}


@dataclass(frozen=True)
class Repository:
    """A work tree: `root` is its top-level folder, `common_dir` the .git folder it shares with
    its other worktrees (the key of the repository's lock)."""

    root: str
    common_dir: str
    prefix: str


async def open_repository(path: str | Path, field: str = "path") -> Repository:
    """The work tree that holds `path`; a folder that is not inside one is refused."""
    if not await asyncio.to_thread(os.path.isdir, path):
        raise ValidationFailed(
            f"{field}: {path} is not a folder", {"errors": [{"field": field, "path": str(path)}]}
        )
    try:
        result = await git(
            path,
            "rev-parse",
            "--path-format=absolute",
            "--show-toplevel",
            "--git-common-dir",
            "--show-prefix",
        )
    except GitFailed as exc:
        raise ValidationFailed(
            f"{field}: {path} is not a git repository",
            {"errors": [{"field": field, "path": str(path)}], "stderr": exc.details["stderr"]},
        ) from None
    root, common_dir, prefix = os.fsdecode(result.stdout).split("\n")[:3]
    return Repository(root, common_dir, prefix.rstrip("/"))


async def current_branch(root: str) -> str | None:
    """The branch checked out in the work tree at `root`, or None on a detached HEAD."""
    result = await git(root, "symbolic-ref", "--quiet", "HEAD", check=False)
    name = result.text
    return name.removeprefix("refs/heads/") if name.startswith("refs/heads/") else None


async def resolve_commit(root: str, revision: str) -> str | None:
    """The full id of the commit `revision` names, or None when there is none."""
    result = await git(
        root,
        "rev-parse",
        "--quiet",
        "--verify",
        "--end-of-options",
        f"{revision}^{{commit}}",
        check=False,
    )
    return result.text if result.returncode == 0 and result.text else None


async def repository_info(path: str | Path) -> dict[str, Any]:
    """`{root, prefix, baseBranch, head}` of the repository holding `path`: its top-level
    folder, `path` inside it ("" at the top), the branch checked out (what a project records as
    its base branch; None when detached) and that branch's commit (None before the first one).
    A folder that is not in a git work tree is refused (ValidationFailed naming it)."""
    repository = await open_repository(path)
    return {
        "root": repository.root,
        "prefix": repository.prefix,
        "baseBranch": await current_branch(repository.root),
        "head": await resolve_commit(repository.root, "HEAD"),
    }


async def check_branch_name(root: str, name: str, field: str) -> None:
    """Refuse a branch name git would not accept (or one that reads as an option)."""
    valid = isinstance(name, str) and name and not name.startswith("-")
    if valid:
        result = await git(root, "check-ref-format", f"refs/heads/{name}", check=False)
        valid = result.returncode == 0
    if not valid:
        raise ValidationFailed.field(field, f"{name!r} is not a valid branch name")


async def branch_commit(root: str, branch: str, field: str = "branch") -> str:
    """The commit at the tip of `branch`; a branch that does not exist is NotFound."""
    commit = await resolve_commit(root, f"refs/heads/{branch}")
    if commit is None:
        raise NotFound(f"{field}: branch {branch} does not exist", {field: branch})
    return commit


async def check_commit(root: str, commit: str, field: str) -> str:
    """The full id of `commit` (an id or an abbreviation of one: never a revision expression)."""
    if not isinstance(commit, str) or not _COMMIT.fullmatch(commit):
        raise ValidationFailed.field(field, "must be a commit id (hexadecimal)")
    resolved = await resolve_commit(root, commit)
    if resolved is None:
        raise ValidationFailed.field(field, f"no commit {commit} in the repository")
    return resolved


async def operation_in_progress(root: str) -> str | None:
    """The operation the work tree at `root` is in the middle of, if any ("a merge", ...)."""
    result = await git(root, "rev-parse", "--path-format=absolute", "--git-dir")
    git_dir = Path(result.text)
    found = await asyncio.to_thread(
        lambda: [name for name in _OPERATIONS if (git_dir / name).exists()]
    )
    return _OPERATIONS[found[0]] if found else None


async def uncommitted_changes(root: str) -> list[str]:
    """Tracked files with changes not committed (staged or not) in the work tree at `root`.
    Untracked files are left out: they do not stop a merge, and git refuses one that would
    overwrite them."""
    result = await git(
        root,
        "status",
        "--porcelain=v1",
        "-z",
        "--untracked-files=no",
        "--ignore-submodules=none",
        env={"GIT_OPTIONAL_LOCKS": "0"},  # never take the index lock from a person's git
    )
    changes, fields = [], os.fsdecode(result.stdout).split("\0")
    index = 0
    while index < len(fields):
        record = fields[index]
        index += 1
        if len(record) < 4:
            continue
        changes.append(record[3:])
        if record[0] in "RC":  # a rename or copy is followed by its source path
            index += 1
    return changes


async def require_clean(root: str, base_branch: str, what: str) -> None:
    """Refuse (Conflict) unless the work tree at `root` is on `base_branch`, has no uncommitted
    change to a tracked file and is not in the middle of a merge or rebase."""
    operation = await operation_in_progress(root)
    if operation:
        raise Conflict(f"{what} is in the middle of {operation}", {"path": root})
    branch = await current_branch(root)
    if branch != base_branch:
        raise Conflict(
            f"{what} is on {branch or 'a detached HEAD'}, not on the base branch {base_branch}",
            {"path": root, "branch": branch, "baseBranch": base_branch},
        )
    changes = await uncommitted_changes(root)
    if changes:
        shown = ", ".join(changes[:20]) + (f" and {len(changes) - 20} more" if changes[20:] else "")
        raise Conflict(f"{what} has uncommitted changes: {shown}", {"path": root, "files": changes})
