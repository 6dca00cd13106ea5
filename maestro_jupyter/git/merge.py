"""Merging a session's branch into its base branch, in the main working tree and only when that
tree is clean: the session's uncommitted work is committed first, and a conflict is undone
before it is reported, so the main tree's HEAD and files are exactly as they were."""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path
from typing import Any, Literal

from ..errors import Conflict, MergeConflict, ValidationFailed
from .repository import (
    branch_commit,
    check_branch_name,
    open_repository,
    operation_in_progress,
    require_clean,
    resolve_commit,
)
from .runner import Completed, GitFailed, git, repository_lock
from .worktrees import check_maestro_branch, registered_worktrees

STRATEGIES = ("merge", "squash")
MAIN_TREE = "the main working tree"


def _among(path: str, paths: list[str]) -> bool:
    return os.path.realpath(path) in {os.path.realpath(other) for other in paths}


async def _commit_worktree(
    root: str, worktree: str | None, branch: str, message: str
) -> str | None:
    """Commit everything uncommitted in the session's worktree (not ignored files); the new
    commit, or None when there was nothing to commit or the worktree is gone."""
    entries = (await registered_worktrees(root))[1:]
    entry = next((entry for entry in entries if entry["branch"] == branch), None)
    if entry is None:
        paths = [other["path"] for other in entries]
        if worktree and await asyncio.to_thread(_among, worktree, paths):
            raise Conflict(f"the session's worktree {worktree} is no longer on {branch}")
        return None  # the worktree was removed: merge what the branch holds
    if entry["prunable"]:
        return None
    path = entry["path"]
    operation = await operation_in_progress(path)
    if operation:
        raise Conflict(f"the session's worktree is in the middle of {operation}", {"path": path})
    await git(path, "add", "--all")
    if (await git(path, "diff", "--cached", "--quiet", check=False)).returncode == 0:
        return None
    await git(path, "commit", "--quiet", "--no-verify", "--file=-", input=message.encode())
    return await resolve_commit(path, "HEAD")


async def _conflicted_files(root: str) -> list[str]:
    result = await git(root, "diff", "--name-only", "--diff-filter=U", "-z")
    return sorted({name for name in os.fsdecode(result.stdout).split("\0") if name})


async def _restore(root: str) -> None:
    """Undo a merge that did not complete: the index and files back to HEAD. The tree had no
    uncommitted change before, so every change in it now is the merge's."""
    if (await operation_in_progress(root)) == "a merge":
        await git(root, "merge", "--abort")
    else:  # a squash leaves no MERGE_HEAD behind, only staged changes and its message
        await git(root, "reset", "--merge")
    squash_message = await git(
        root, "rev-parse", "--path-format=absolute", "--git-path", "SQUASH_MSG"
    )
    await asyncio.to_thread(Path(squash_message.text).unlink, True)


def _refusal(result: Completed) -> tuple[str, list[str]]:
    """Why git refused to start a merge, and the files it named (tab-indented in its message)."""
    lines = (result.stderr + os.fsdecode(result.stdout)).splitlines()
    files = [line.strip() for line in lines if line.startswith("\t")]
    fallback = lines[-1].strip() if lines else "no message"
    return next((line for line in lines if re.match(r"(error|fatal): ", line)), fallback), files


async def _commit_squash(root: str, message: str) -> None:
    """Commit what `merge --squash` staged; undone when git refuses (no identity, a lock)."""
    try:
        if (await git(root, "diff", "--cached", "--quiet", check=False)).returncode == 0:
            await _restore(root)  # the branch's changes are in the base branch already
            return
        await git(root, "commit", "--quiet", "--no-verify", "--file=-", input=message.encode())
    except Conflict:
        await _restore(root)
        raise


async def _merge_branch(
    root: str, branch: str, base_branch: str, strategy: str, message: str
) -> None:
    if strategy == "squash":
        options = ["--squash"]
    else:  # the message travels as one argv item: never read as an option
        options = ["--no-ff", f"--message=Merge branch '{branch}'\n\n{message}"]
    result = await git(
        root,
        "merge",
        *options,
        "--no-verify",
        "--no-autostash",
        "--quiet",
        f"refs/heads/{branch}",
        check=False,
    )
    if result.returncode == 0:
        if strategy == "squash":
            await _commit_squash(root, message)
        return
    conflicted = await _conflicted_files(root)
    await _restore(root)
    if conflicted:
        raise MergeConflict(
            f"{branch} conflicts with {base_branch} in {', '.join(conflicted)}: nothing was "
            "merged (rebase the session's branch on the base branch, then merge again)",
            {"files": conflicted, "branch": branch, "baseBranch": base_branch},
        )
    reason, files = _refusal(result)
    raise GitFailed(
        f"git refused to merge {branch}: {reason}",
        {"files": files, "branch": branch, "stderr": result.stderr[-4000:]},
    )


async def _holds(root: str, head: str | None, tip: str) -> bool:
    """Whether the commit `head` already contains `tip` (nothing left to merge)."""
    if head is None:
        return False
    result = await git(root, "merge-base", "--is-ancestor", tip, head, check=False)
    return result.returncode == 0


async def merge(
    repo_root: str | Path,
    worktree: str | Path | None,
    branch: str,
    base_branch: str,
    *,
    strategy: Literal["merge", "squash"] = "merge",
    message: str,
) -> dict[str, Any]:
    """Merge a session's `branch` into `base_branch` in the main working tree at `repo_root`:
    `{commit, merged: True, strategy, worktreeCommit}`.

    First, what is uncommitted in the session's worktree is committed with `message` (which
    names the session and its task; `worktreeCommit` is that commit or None). Then `merge`
    makes a merge commit (`--no-ff`, "Merge branch '<branch>'" then `message`), `squash` one
    commit with `message`. `commit` is the base branch's new HEAD (unchanged when the branch
    held nothing new).

    Refused, with nothing changed: Conflict when the main tree is not on `base_branch`, has
    uncommitted changes to tracked files or is mid-merge/rebase (checked before the worktree is
    committed); GitFailed when git refuses (untracked files in the way: `details.files`; no
    identity to commit with), with the main tree restored; MergeConflict
    (`details.files`, the conflicting paths) after the merge has been undone.
    """
    if strategy not in STRATEGIES:
        raise ValidationFailed.field("strategy", "must be merge or squash")
    if not isinstance(message, str) or not message.strip():
        raise ValidationFailed.field("message", "must not be empty")
    check_maestro_branch(branch)
    repository = await open_repository(repo_root, "repoRoot")
    root = repository.root
    await check_branch_name(root, base_branch, "baseBranch")
    async with repository_lock(repository.common_dir):
        await branch_commit(root, branch)
        await require_clean(root, base_branch, MAIN_TREE)
        worktree_commit = await _commit_worktree(
            root, str(worktree) if worktree else None, branch, message
        )
        head = await resolve_commit(root, "HEAD")
        if await _holds(root, head, await branch_commit(root, branch)):
            commit = head
        else:
            await require_clean(root, base_branch, MAIN_TREE)  # still, just before we touch it
            await _merge_branch(root, branch, base_branch, strategy, message)
            commit = await resolve_commit(root, "HEAD")
    return {
        "commit": commit,
        "merged": True,
        "strategy": strategy,
        "worktreeCommit": worktree_commit,
    }
