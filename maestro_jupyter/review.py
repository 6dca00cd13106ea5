"""Review of a session's work: its diff, and merging or discarding its worktree.

Glue between sessions (the store) and git (`maestro_jupyter.git`): which repository, branch and
base a session's worktree has, what the merge commit says, and what the timeline records. Every
git call runs off the event loop, serialised per repository by the git package.
"""

from __future__ import annotations

from typing import Any

from . import git
from .errors import Conflict, MergeConflict, NotFound, ValidationFailed
from .spawner.owner import ensure_here


async def _worktree_session(
    store: Any, session_id: str, server: str | None = None, doing: str = "review"
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The session and its project; with `server`, 409 unless that server owns the session
    (its worktree is on that server's disk)."""
    session = await store.get_session(session_id)
    if server is not None:
        ensure_here(session, server, doing)
    if session["isolation"] != "worktree" or not session["branch"]:
        raise Conflict(
            f"Session {session_id} has no worktree of its own (isolation: "
            f"{session['isolation']}); there is nothing to review, merge or discard.",
            {"id": session_id},
        )
    project = await store.get_project(session["projectId"])
    if not project["workingDir"]:
        raise Conflict(f"Project {project['id']} has no working folder.", {"id": project["id"]})
    return session, project


async def base_branch(project: dict[str, Any]) -> str:
    """The project's recorded base branch, else the branch its repository has checked out."""
    if project.get("baseBranch"):
        return project["baseBranch"]
    branch = (await git.repository_info(project["workingDir"]))["baseBranch"]
    if not branch:
        raise Conflict("The project's repository has no branch checked out (detached HEAD).")
    return branch


async def recorded_base_branch(working_dir: str | None) -> str | None:
    """What a project records as its base branch: the checked-out branch of its repository,
    or None when the folder is not a git work tree."""
    if not working_dir:
        return None
    try:
        return (await git.repository_info(working_dir))["baseBranch"]
    except ValidationFailed:
        return None


async def session_diff(store: Any, session_id: str, *, stat: bool = False) -> dict[str, Any]:
    """The session's changes against the commit it started from (committed, uncommitted and
    untracked); with `stat`, the file list and counts without patches."""
    session, _ = await _worktree_session(store, session_id)
    if not session["worktree"]:
        return {"baseCommit": session["baseCommit"], "files": [], "stats": _no_stats()}
    changes = await git.diff(session["worktree"], session["baseCommit"])
    if stat:
        for file in changes["files"]:
            file.pop("diff", None)
            file.pop("notebook", None)
    return changes


async def merge_session(
    store: Any, session_id: str, *, server: str, strategy: str, actor: str | None = None
) -> dict[str, Any]:
    """Commit what the worktree holds, merge its branch into the base branch in a clean main
    tree, then remove the worktree and branch. A conflict changes nothing, answers 409 naming the
    files, and says on the session's tasks that the branch must be rebased. Only the server that
    ran the session (`server` must be its owner) merges it."""
    session, project = await _worktree_session(store, session_id, server, "merge")
    base = await base_branch(project)
    tasks = await store.get_tasks(session["taskIds"], include_subtasks=False)
    titles = "; ".join(task["title"] for task in tasks) or "no task"
    message = f"{session['name']} (Maestro session {session_id})\n\nTasks: {titles}"
    try:
        merged = await git.merge(
            project["workingDir"],
            session["worktree"],
            session["branch"],
            base,
            strategy=strategy,
            message=message,
        )
    except MergeConflict as conflict:
        files = ", ".join(conflict.details.get("files", [])) or "unknown files"
        for task in tasks:
            await store.add_timeline(
                task["id"],
                "error",
                f"Merging {session['branch']} into {base} conflicts in {files}; nothing was "
                f"changed. Rebase the branch on {base} and merge again.",
                session_id,
                actor=actor,
            )
        raise
    await git.discard(project["workingDir"], session["worktree"], session["branch"])
    session = await store.update_session(session_id, worktree=None)
    for task in tasks:
        await store.add_timeline(
            task["id"],
            "milestone",
            f"Merged {session['branch']} into {base} ({strategy}, {merged['commit'][:12]}).",
            session_id,
            actor=actor,
        )
    return {**merged, "session": session}


async def discard_session(
    store: Any, session_id: str, *, server: str, actor: str | None = None
) -> dict:
    """Remove the session's worktree and branch, whatever they hold (on its owner's server)."""
    session, project = await _worktree_session(store, session_id, server, "discard")
    await git.discard(project["workingDir"], session["worktree"], session["branch"])
    session = await store.update_session(session_id, worktree=None)
    for task_id in session["taskIds"]:
        await store.add_timeline(
            task_id, "milestone", f"Discarded {session['branch']}.", session_id, actor=actor
        )
    return session


async def project_worktrees(store: Any, project_id: str) -> list[dict[str, Any]]:
    """Maestro's worktrees and branches in the project's repository, with their sessions."""
    project = await store.get_project(project_id)
    if not project["workingDir"]:
        return []
    listed = await git.list_worktrees(project["workingDir"])
    for entry in listed:
        entry["sessionExists"] = await _exists(store, entry["sessionId"])
    return listed


async def prune_worktrees(store: Any, project_id: str) -> list[dict[str, Any]]:
    """Remove the worktrees and branches whose session no longer exists. Those of ended
    sessions stay until they are merged or discarded."""
    listed = await project_worktrees(store, project_id)
    keep = {entry["sessionId"] for entry in listed if entry["sessionExists"]}
    project = await store.get_project(project_id)
    return await git.prune(project["workingDir"], keep)


async def _exists(store: Any, session_id: str | None) -> bool:
    if session_id is None:
        return False
    try:
        await store.get_session(session_id)
    except NotFound:  # the session was deleted
        return False
    return True


def _no_stats() -> dict[str, int]:
    return {"files": 0, "additions": 0, "deletions": 0}
