"""The session lifecycle, in one place: which status may follow which.

    spawning -> running <-> needs_input -> completed | failed | stopped

The three ended statuses are final: a late report goes on the timeline but never changes an
ended session, and nothing revives one. Every writer of a session's status (store, spawner,
hooks, reports) asks `next_status` first. Stdlib only.
"""

from __future__ import annotations

from .errors import Conflict, SessionEnded
from .vocabulary import ENDED_SESSION_STATUSES

TRANSITIONS: dict[str, frozenset[str]] = {
    # An agent may exit (or be stopped) before its session was marked running.
    "spawning": frozenset({"running", "needs_input", "completed", "failed", "stopped"}),
    "running": frozenset({"needs_input", "completed", "failed", "stopped"}),
    "needs_input": frozenset({"running", "completed", "failed", "stopped"}),
    "completed": frozenset(),
    "failed": frozenset(),
    "stopped": frozenset(),
}


def is_ended(status: str) -> bool:
    return status in ENDED_SESSION_STATUSES


def can_move(current: str, new: str) -> bool:
    """Whether `new` may follow `current` (staying put is always allowed)."""
    return new == current or new in TRANSITIONS[current]


def next_status(session_id: str, current: str, new: str) -> str:
    """`new` when it may follow `current`; SessionEnded (409) for an ended session, Conflict
    (409) for a move the lifecycle does not have (e.g. back to `spawning`)."""
    if new == current:
        return new
    if is_ended(current):
        raise SessionEnded(
            f"Session {session_id} has ended ({current}); it cannot become {new}.",
            {"id": session_id, "status": current, "requested": new},
        )
    if new not in TRANSITIONS[current]:
        raise Conflict(
            f"Session {session_id} cannot go from {current} to {new}.",
            {"id": session_id, "status": current, "requested": new},
        )
    return new
