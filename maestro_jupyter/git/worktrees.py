"""A worktree per session: `git worktree add` on a branch named from ids only, inside the
server's root folder and excluded from the main repository; removal, listing and pruning of
Maestro's worktrees (its branches under `maestro/`)."""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path
from typing import Any

from ..errors import Conflict, ValidationFailed
from .repository import (
    Repository,
    check_branch_name,
    open_repository,
    resolve_commit,
)
from .runner import GitFailed, git, repository_lock

BRANCH_PREFIX = "maestro/"
WORKTREES_FOLDER = "maestro-worktrees"
"""Where a repository's session worktrees go unless the caller names another folder. Not a
dot-folder: Jupyter's contents API refuses everything under a hidden one (`allow_hidden`), and
Lab must open the worktree's files."""

# Session ids are the store's (`sess_...`, at most 64 characters): with their `_`, a branch reads
# back unambiguously, since a slug never holds one.
_ID = "[A-Za-z0-9]+_[A-Za-z0-9_]+"
_SESSION_ID = re.compile(_ID)
_MAESTRO_BRANCH = re.compile(f"maestro/[a-z0-9-]{{1,40}}-(?P<session>{_ID})")
_EXCLUDE_COMMENT = "# Session worktrees of Maestro (maestro-jupyter): never committed"


def slugify(text: str | None, fallback: str = "session") -> str:
    """A branch-safe slug of `text`: lowercase ASCII letters and digits joined by `-`, at most
    40 characters; `fallback` when nothing of `text` survives."""
    slug = "-".join(re.findall(r"[a-z0-9]+", (text or "").lower()))[:40].strip("-")
    return slug or fallback


def check_session_id(session_id: str) -> str:
    valid = isinstance(session_id, str) and len(session_id) <= 64
    if not valid or not _SESSION_ID.fullmatch(session_id):
        raise ValidationFailed.field("sessionId", "must be a session id: letters and digits, _")
    return session_id


def branch_name(slug: str | None, session_id: str) -> str:
    """`maestro/<slug>-<session id>`: nothing in it comes from user text but a sanitised slug."""
    return f"{BRANCH_PREFIX}{slugify(slug)}-{check_session_id(session_id)}"


def session_of(branch: str) -> str | None:
    """The session id a Maestro branch was named for (None for any other branch)."""
    match = _MAESTRO_BRANCH.fullmatch(branch)
    return match["session"] if match and len(match["session"]) <= 64 else None


def check_maestro_branch(branch: str) -> str:
    """Only Maestro's own branches may be merged or deleted through it."""
    if not isinstance(branch, str) or session_of(branch) is None:
        raise ValidationFailed.field("branch", "is not a Maestro session branch (maestro/...)")
    return branch


def _gitignore_literal(relative: str) -> str:
    """`relative` as a gitignore pattern matching that folder of the top level only."""
    escaped = re.sub(r"([\\*?\[\]])", r"\\\1", relative)
    return "/" + (escaped[:-1] + "\\ " if escaped.endswith(" ") else escaped) + "/"


def _worktree_folder(
    repository: Repository,
    worktrees_dir: str | Path | None,
    session_id: str,
    root_dir: str | Path | None,
) -> str:
    """The new worktree's absolute, symlink-free path: inside the server root, outside .git."""
    base = Path(worktrees_dir) if worktrees_dir else Path(repository.root) / WORKTREES_FOLDER
    folder = (Path(repository.root) / base / session_id).resolve()
    if root_dir is not None and not folder.is_relative_to(Path(root_dir).resolve()):
        raise ValidationFailed.field("worktreesDir", f"{folder} is outside the server root")
    if folder.is_relative_to(repository.common_dir):
        raise ValidationFailed.field("worktreesDir", "is inside the repository's .git folder")
    if os.path.lexists(folder):
        raise Conflict(f"{folder} already exists", {"worktree": str(folder)})
    return str(folder)


def _exclude(common_dir: str, root: str, folder: str) -> None:
    """List the worktrees' folder in the repository's info/exclude (once), so that the main
    tree never shows or commits them. Nothing to do for a folder outside the main tree."""
    parent = Path(folder).parent
    excluded = parent if parent != Path(root) else Path(folder)
    if not excluded.is_relative_to(root):
        return
    pattern = _gitignore_literal(excluded.relative_to(root).as_posix())
    exclude = Path(common_dir) / "info" / "exclude"
    exclude.parent.mkdir(parents=True, exist_ok=True)
    existing = exclude.read_text(errors="replace") if exclude.exists() else ""
    if pattern in existing.splitlines():
        return
    lead = "" if not existing or existing.endswith("\n") else "\n"
    with exclude.open("a") as file:
        file.write(f"{lead}{_EXCLUDE_COMMENT}\n{pattern}\n")


async def create_worktree(
    repo_root: str | Path,
    *,
    session_id: str,
    slug: str | None,
    base_branch: str,
    worktrees_dir: str | Path | None = None,
    root_dir: str | Path | None = None,
) -> dict[str, str]:
    """A new worktree for a session, on a new branch `maestro/<slug>-<session id>` started at
    `base_branch`'s HEAD: `{worktree, branch, baseCommit}`.

    The worktree is `<worktrees_dir>/<session id>` (default `<repository>/maestro-worktrees`),
    which must lie inside `root_dir` (the server's root) when given. Calls on one repository run
    one at a time, so concurrent spawns each get theirs.
    """
    branch = branch_name(slug, session_id)
    repository = await open_repository(repo_root, "repoRoot")
    root = repository.root
    await check_branch_name(root, base_branch, "baseBranch")
    async with repository_lock(repository.common_dir):
        base_commit = await resolve_commit(root, f"refs/heads/{base_branch}")
        if base_commit is None:
            raise ValidationFailed.field("baseBranch", f"{base_branch} has no commit to start from")
        if await resolve_commit(root, f"refs/heads/{branch}"):
            raise Conflict(f"branch {branch} already exists", {"branch": branch})
        folder = await asyncio.to_thread(
            _worktree_folder, repository, worktrees_dir, session_id, root_dir
        )
        await asyncio.to_thread(_exclude, repository.common_dir, root, folder)
        try:
            await git(
                root,
                *("-c", "checkout.workers=0"),  # files written in parallel: ~2x on 10,000 files
                *("worktree", "add", "--quiet", "-b", branch, folder, base_commit),
            )
        except GitFailed:
            await _remove(root, folder, branch)  # git may leave the branch behind
            raise
    return {"worktree": folder, "branch": branch, "baseCommit": base_commit}


async def registered_worktrees(root: str) -> list[dict[str, Any]]:
    """The repository's worktrees as git lists them, the main one first:
    `{path, head, branch (short name or None), locked, prunable}`."""
    result = await git(root, "worktree", "list", "--porcelain", "-z")
    entries: list[dict[str, Any]] = []
    for field in os.fsdecode(result.stdout).split("\0"):
        key, _, value = field.partition(" ")
        if key == "worktree":
            entries.append(
                {"path": value, "head": None, "branch": None, "locked": False, "prunable": False}
            )
        elif key == "HEAD" and entries:
            entries[-1]["head"] = value
        elif key == "branch" and entries:
            entries[-1]["branch"] = value.removeprefix("refs/heads/")
        elif key in ("locked", "prunable") and entries:
            entries[-1][key] = True
    return entries


async def _maestro_branches(root: str) -> dict[str, str]:
    result = await git(
        root, "for-each-ref", "--format=%(refname)%00%(objectname)", "refs/heads/maestro/"
    )
    branches = {}
    for line in os.fsdecode(result.stdout).splitlines():
        ref, _, commit = line.partition("\0")
        branches[ref.removeprefix("refs/heads/")] = commit
    return branches


async def _list(root: str) -> list[dict[str, Any]]:
    checked_out = {
        entry["branch"]: entry
        for entry in (await registered_worktrees(root))[1:]
        if entry["branch"] and entry["branch"].startswith(BRANCH_PREFIX)
    }
    branches = await _maestro_branches(root)
    present = await asyncio.to_thread(
        lambda: {branch for branch, entry in checked_out.items() if os.path.isdir(entry["path"])}
    )
    listed = []
    for branch in sorted(set(branches) | set(checked_out)):
        entry = checked_out.get(branch)
        listed.append(
            {
                "sessionId": session_of(branch),
                "branch": branch,
                "worktree": entry["path"] if entry else None,
                "head": entry["head"] if entry else branches[branch],
                "prunable": entry is not None and branch not in present,
            }
        )
    return listed


async def list_worktrees(repo_root: str | Path) -> list[dict[str, Any]]:
    """Maestro's branches (under `maestro/`) in the repository, with their worktrees:
    `[{sessionId, branch, worktree (path or None), head, prunable (its folder is gone)}]`."""
    return await _list((await open_repository(repo_root, "repoRoot")).root)


def _same_path(first: str, second: str) -> bool:
    return os.path.realpath(first) == os.path.realpath(second)


async def _remove(root: str, worktree: str | None, branch: str) -> dict[str, bool]:
    """Remove the worktree holding `branch` (or at `worktree`) and the branch; the caller holds
    the repository's lock."""
    await git(root, "worktree", "prune")
    removed = False
    for entry in (await registered_worktrees(root))[1:]:  # never the main tree
        at_path = worktree is not None and await asyncio.to_thread(
            _same_path, entry["path"], worktree
        )
        if entry["branch"] == branch or at_path:
            # Twice forced: also a worktree with changes, untracked files or a lock.
            await git(root, "worktree", "remove", "--force", "--force", entry["path"])
            removed = True
    deleted = False
    if await resolve_commit(root, f"refs/heads/{branch}"):
        await git(root, "branch", "--delete", "--force", branch)
        deleted = True
    return {"worktreeRemoved": removed, "branchDeleted": deleted}


async def discard(
    repo_root: str | Path, worktree: str | Path | None, branch: str
) -> dict[str, bool]:
    """Remove a session's worktree (whatever it holds) and delete its branch:
    `{worktreeRemoved, branchDeleted}`. Idempotent: what is already gone is skipped."""
    check_maestro_branch(branch)
    repository = await open_repository(repo_root, "repoRoot")
    async with repository_lock(repository.common_dir):
        return await _remove(repository.root, str(worktree) if worktree else None, branch)


async def prune(repo_root: str | Path, keep: set[str]) -> list[dict[str, Any]]:
    """Discard every Maestro worktree and branch whose session id is not in `keep` (branches
    under `maestro/` not named by Maestro are left alone); the entries removed, as listed."""
    repository = await open_repository(repo_root, "repoRoot")
    async with repository_lock(repository.common_dir):
        pruned = []
        for entry in await _list(repository.root):
            if entry["sessionId"] is not None and entry["sessionId"] not in keep:
                await _remove(repository.root, entry["worktree"], entry["branch"])
                pruned.append(entry)
        await git(repository.root, "worktree", "prune")
        return pruned
