"""Session status changes made by the spawner, and how an agent's end becomes a final status.

The watcher, a stop, the agent itself (through the API) and another server may all change a
session at about the same time. A move between live statuses names the version it read: if the
session changed meanwhile, it is read again and the move made only if it still applies. Ending
goes through `store.end_session`, one transaction that leaves an ended session as it is.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from ..actors import acting_as, current_actor
from ..errors import NotFound, SessionEnded, VersionMismatch

LOST = "lost when the server stopped"
TERMINAL_CLOSED = "its terminal was closed"


def now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Ending:
    """A session's final status and what is recorded with it."""

    status: str
    exit_code: int | None = None
    exit_signal: int | None = None
    reason: str | None = None


def exited(code: int) -> Ending:
    """The end of an agent whose exit status, as a shell reports it, is `code`: 0 is completed;
    128 + N means killed by signal N, which is never a success; any other code failed."""
    if code == 0:
        return Ending("completed", 0)
    if code > 128:
        return Ending("failed", exit_signal=code - 128, reason=f"killed by signal {code - 128}")
    return Ending("failed", code, reason=f"exit code {code}")


def closed(code: int | None) -> Ending:
    """The end of a session whose terminal went away before the agent's exit was recorded."""
    if code is not None and code > 128:
        return Ending(
            "failed",
            exit_signal=code - 128,
            reason=f"{TERMINAL_CLOSED} (killed by signal {code - 128})",
        )
    return Ending("failed", reason=TERMINAL_CLOSED)


async def end_session(
    store: Any, session_id: str, ending: Ending, actor: str | None = None
) -> dict[str, Any] | None:
    """Give a still active session its final status; one already ended keeps its own.
    None if the session was deleted. The writes (the session, the claims it releases, its
    entries) are made by `actor`, by default whoever is acting (the session itself when it
    exited, see the watcher)."""
    try:
        with acting_as(actor or current_actor()):
            return await store.end_session(
                session_id,
                ending.status,
                exit_code=ending.exit_code,
                exit_signal=ending.exit_signal,
                reason=ending.reason,
                actor=actor,
            )
    except NotFound:
        return None


async def move_session(
    store: Any,
    session_id: str,
    status: str,
    *,
    when: Collection[str],
    attempts: int = 3,
    **changes: Any,
) -> dict[str, Any] | None:
    """Set `status` (and `changes`) if the session's status is one of `when`.

    Returns the session as it then is (changed or not), None if it was deleted.
    """
    for _ in range(attempts):
        try:
            session = await store.get_session(session_id)
            if session["status"] not in when:
                return session
            return await store.update_session(
                session_id, session["version"], status=status, **changes
            )
        except (VersionMismatch, SessionEnded):
            continue
        except NotFound:
            return None
    try:
        return await store.get_session(session_id)
    except NotFound:
        return None
