"""Activity from the terminal's output: `working` while the agent prints, `idle` after
`idle_after` seconds of silence (issue 13).

terminado reads every terminal's pty on the server's loop, whether or not a tab is connected.
The clock takes the place of the pty's `read` to note the time of the last output: one float
per chunk, no parsing, so a session printing as fast as it can is not slowed (bench_activity).
The watcher turns those times into the session's `activity` at each poll and writes only the
transitions (one `session:updated` each, never one per chunk). A session whose activity came
from the agent's own hooks (`activitySource: hook`) is left alone: the agent knows better.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any

from ..errors import NotFound, SessionEnded, VersionMismatch
from ..lifecycle import is_ended


class OutputClock:
    def __init__(self, ptyproc: Any) -> None:
        self._read = ptyproc.read
        self.at: float | None = None  # time.time() of the last output
        ptyproc.read = self._reads

    def _reads(self, size: int) -> Any:
        data = self._read(size)
        self.at = time.time()
        return data


def output_clock(terminal: Any) -> OutputClock:
    """The terminal's output clock, attached the first time it is asked for."""
    found = getattr(terminal, "maestro_output_clock", None)
    if found is None:
        found = terminal.maestro_output_clock = OutputClock(terminal.ptyproc)
    return found


def activity_at(output_at: float, idle_after: float, now: float | None = None) -> str:
    silent = (now if now is not None else time.time()) - output_at
    return "idle" if silent >= idle_after else "working"


async def record_activity(store: Any, session_id: str, output_at: float, activity: str) -> bool:
    """Record an output transition (with `lastOutputAt`) unless a hook decides this session's
    activity or it already says so. False when the session changed meanwhile: try again."""
    try:
        session = await store.get_session(session_id)
        if (
            session["activitySource"] == "hook"
            or session["activity"] == activity
            or is_ended(session["status"])
        ):
            return True
        await store.update_session(
            session_id,
            session["version"],
            activity=activity,
            activity_source="output",
            last_output_at=datetime.fromtimestamp(output_at, timezone.utc),
        )
    except (VersionMismatch, SessionEnded):
        return False
    except NotFound:
        pass
    return True
