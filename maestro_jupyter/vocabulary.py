"""Maestro's words: the one list of statuses, priorities, roles and timeline kinds.

Models, store, spawner, CLI, widgets and the Lab extension all read these (the TypeScript copy in
labextension/src/vocabulary.ts is kept equal by a test). Stdlib only: the CLI imports it.
"""

from __future__ import annotations

from typing import Literal, get_args

TaskStatus = Literal["todo", "in_progress", "blocked", "completed", "cancelled"]
Priority = Literal["low", "medium", "high", "urgent"]
SessionStatus = Literal["spawning", "running", "needs_input", "completed", "failed", "stopped"]
Role = Literal["worker", "orchestrator"]
SpawnSource = Literal["ui", "cli", "notebook", "session", "api"]
TimelineKind = Literal[
    "progress", "blocked", "needs_input", "milestone", "error", "status", "message", "claim"
]
Activity = Literal["working", "idle", "unknown"]
ActivitySource = Literal["hook", "output"]
Isolation = Literal["worktree", "none"]

TASK_STATUSES: tuple[str, ...] = get_args(TaskStatus)
PRIORITIES: tuple[str, ...] = get_args(Priority)
SESSION_STATUSES: tuple[str, ...] = get_args(SessionStatus)
ROLES: tuple[str, ...] = get_args(Role)
SPAWN_SOURCES: tuple[str, ...] = get_args(SpawnSource)
TIMELINE_KINDS: tuple[str, ...] = get_args(TimelineKind)
ACTIVITIES: tuple[str, ...] = get_args(Activity)
ACTIVITY_SOURCES: tuple[str, ...] = get_args(ActivitySource)
ISOLATIONS: tuple[str, ...] = get_args(Isolation)

# Every store has this project: the server's root folder.
DEFAULT_PROJECT_ID = "proj_default"

# A session in one of these has a live agent (or is about to); the others are final.
ACTIVE_SESSION_STATUSES: tuple[str, ...] = ("spawning", "running", "needs_input")
ENDED_SESSION_STATUSES: tuple[str, ...] = ("completed", "failed", "stopped")
# A dependency in one of these no longer holds back the tasks that depend on it. A cancelled
# dependency counts as met: the work was decided against, so nothing will ever complete it, and
# a task waiting on it would wait forever (as a "won't do" blocker unblocks in issue trackers).
RESOLVED_TASK_STATUSES: tuple[str, ...] = ("completed", "cancelled")

# Most urgent first, for sorting ("next" task, boards).
PRIORITY_RANK: dict[str, int] = {name: rank for rank, name in enumerate(reversed(PRIORITIES))}

TASK_STATUS_TITLES: dict[str, str] = {
    "todo": "To do",
    "in_progress": "In progress",
    "blocked": "Blocked",
    "completed": "Completed",
    "cancelled": "Cancelled",
}
