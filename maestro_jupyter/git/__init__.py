"""Git for sessions, importable without a server: a worktree and branch per session, its diff
against the commit it started from (notebooks through nbdime), merge into the base branch in a
clean main tree, discard, list and prune. Every call runs git as a subprocess, off the loop.

- `runner`: the git subprocess (argv only, no prompt, bounded) and the per-repository lock;
- `repository`: whether a folder is a work tree, its branch, the checks before a write;
- `worktrees`: create, discard, list, prune; branch names from ids only;
- `diff`: the changed files, unified diffs, nbdime notebook diffs;
- `merge`: commit the worktree, merge or squash into the base branch, undo a conflict.
"""

from __future__ import annotations

from .diff import diff
from .merge import merge
from .repository import repository_info
from .runner import GitFailed
from .worktrees import (
    branch_name,
    create_worktree,
    discard,
    list_worktrees,
    prune,
    slugify,
)

__all__ = [
    "GitFailed",
    "branch_name",
    "create_worktree",
    "diff",
    "discard",
    "list_worktrees",
    "merge",
    "prune",
    "repository_info",
    "slugify",
]
