"""`maestro worktree list|prune`: the worktrees and branches Maestro made for sessions in a
project's repository (`maestro/<slug>-<session id>`), and cleaning up those left behind."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import click

from .. import output
from ..context import examples, global_options, state


@click.group()
def worktree() -> None:
    """Worktrees: one per isolated session, until it is merged or discarded."""


def _state(entry: Mapping[str, Any]) -> str:
    if entry.get("prunable"):
        return output.style("folder gone", "red")
    if not entry.get("worktree"):
        return "branch only"
    return "session" if entry.get("sessionExists") else output.style("orphan", "yellow")


def print_worktrees(entries: Sequence[Mapping[str, Any]], *, empty: str) -> None:
    if not entries:
        output.echo(empty)
        return
    output.echo(
        output.table(
            entries,
            [
                ("SESSION", lambda e: e.get("sessionId") or "-"),
                ("STATE", _state),
                ("HEAD", lambda e: str(e.get("head") or "")[:12] or "-"),
                ("BRANCH", lambda e: e.get("branch") or "-"),
                ("WORKTREE", lambda e: e.get("worktree") or "-"),
            ],
        )
    )


@worktree.command("list")
@global_options
@examples("maestro worktree list", "maestro worktree list --project proj_3kd8m2qa --json")
def list_worktrees() -> None:
    """List Maestro's worktrees and branches in the project's repository (--project, else the
    current one). STATE: `session` (its session exists: merge or discard it), `orphan` (its
    session was deleted: prune removes it), `folder gone`, `branch only`."""
    st = state()
    entries = st.client.list_worktrees(st.project_id())
    st.emit(entries, lambda e: print_worktrees(e, empty="No worktrees."))


@worktree.command("prune")
@global_options
@examples("maestro worktree prune", "maestro worktree prune --project proj_3kd8m2qa")
def prune() -> None:
    """Remove the worktrees and branches whose session no longer exists. Those of ended sessions
    stay until `maestro session merge` or `maestro session discard`."""
    st = state()
    removed = st.client.prune_worktrees(st.project_id())
    st.emit(removed, _print_pruned)


def _print_pruned(entries: Sequence[Mapping[str, Any]]) -> None:
    if entries:
        output.echo(f"Removed {len(entries)} worktree{'' if len(entries) == 1 else 's'}:")
    print_worktrees(entries, empty="Nothing to prune.")
