"""The watcher: a periodic look at each running agent's terminal.

An exit-code file ends the session `completed` (0) or `failed`; a terminal gone without one
(killed, closed through the terminals API) ends it `failed` with the wrapper's status; terminal
output becomes `lastActivity`, written at most every `activity_interval` seconds. It runs as an
asyncio task on the server's loop and awaits every store call, which run off the loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from .status import end_session, outcome
from .terminals import exit_status, read_exit_code, terminal_alive


@dataclass
class Watched:
    """A session whose agent is still running in a terminal this server owns."""

    session_id: str
    terminal_name: str
    terminal: Any  # terminado's PtyWithClients
    exit_file: Path
    stop_requested: bool = False
    activity_recorded: datetime | None = None


class Watcher:
    def __init__(
        self,
        store: Any,
        terminal_manager: Callable[[], Any],
        log: logging.Logger,
        poll_interval: float,
        activity_interval: float,
    ) -> None:
        self.store = store
        self.terminal_manager = terminal_manager
        self.log = log
        self.poll_interval = poll_interval
        self.activity_interval = activity_interval
        self.watched: dict[str, Watched] = {}
        self._task: asyncio.Task[None] | None = None

    def watch(self, watched: Watched) -> None:
        """Watch from now on (call it on the loop); the polling task runs while any is watched."""
        self.watched[watched.session_id] = watched
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())

    def get(self, session_id: str) -> Watched | None:
        return self.watched.get(session_id)

    def forget(self, session_id: str) -> Watched | None:
        return self.watched.pop(session_id, None)

    async def close(self) -> list[Watched]:
        """Stop polling; return the sessions that were still watched."""
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        left = list(self.watched.values())
        self.watched.clear()
        return left

    async def _run(self) -> None:
        while self.watched:
            await asyncio.sleep(self.poll_interval)
            for watched in list(self.watched.values()):
                try:
                    await self.check(watched)
                except Exception:
                    self.log.exception("Maestro session %s: watch failed", watched.session_id)
                    self.forget(watched.session_id)

    async def check(self, watched: Watched) -> None:
        if watched.stop_requested:  # the stop records the outcome
            return
        code = read_exit_code(watched.exit_file)
        if code is not None:
            await self._finish(watched, outcome(code), code)
        elif not terminal_alive(self.terminal_manager(), watched.terminal_name, watched.terminal):
            # The wrapper died before the agent's exit was recorded: killed, or pty closed.
            await self._finish(watched, "failed", exit_status(watched.terminal))
        else:
            await self._record_activity(watched)

    async def _finish(self, watched: Watched, status: str, exit_code: int | None) -> None:
        if self.forget(watched.session_id) is None:
            return  # another check got there first
        session = await end_session(self.store, watched.session_id, status, exit_code)
        if session is not None and session["status"] == status:
            self.log.info("Maestro session %s: %s (exit code %s)",
                          watched.session_id, status, exit_code)

    async def _record_activity(self, watched: Watched) -> None:
        activity = getattr(watched.terminal, "last_activity", None)
        if activity is None or activity == watched.activity_recorded:
            return
        recorded = watched.activity_recorded
        if recorded is None or (activity - recorded).total_seconds() >= self.activity_interval:
            watched.activity_recorded = activity  # before the await: the next poll skips it
            await self.store.touch_session(watched.session_id, activity)
