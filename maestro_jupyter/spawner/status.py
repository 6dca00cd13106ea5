"""Session status changes made by the spawner, which never overwrite a concurrent one.

The watcher, a stop, the agent itself (through the API) and another server may all change a
session at about the same time. Each change here names the version it read: if the session
changed meanwhile, it is read again and the change made only if it still applies.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timezone
from typing import Any

from ..errors import NotFound, VersionMismatch
from ..vocabulary import ACTIVE_SESSION_STATUSES


def now() -> datetime:
    return datetime.now(timezone.utc)


def outcome(exit_code: int | None) -> str:
    """The final status of a session whose agent exited with `exit_code`."""
    return "completed" if exit_code == 0 else "failed"


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
        except VersionMismatch:
            continue
        except NotFound:
            return None
    return await store.get_session(session_id)


async def end_session(
    store: Any, session_id: str, status: str, exit_code: int | None = None
) -> dict[str, Any] | None:
    """Give a still active session its final `status`; one already ended keeps its own."""
    return await move_session(
        store, session_id, status, when=ACTIVE_SESSION_STATUSES,
        exit_code=exit_code, ended_at=now(),
    )
