"""The watcher: a periodic look at each running agent's terminal.

An exit-code file ends the session: `completed` for 0, else `failed` (with `exitSignal` when a
signal killed the agent); a terminal gone before the agent's exit was recorded (killed, closed
through the terminals API) ends it `failed`. Terminal activity becomes `lastActivity`, written at
most every `activity_interval` seconds; output and silence become `activity` (see `activity`).
A person typing into the terminal of a session that asked for input (`needs_input`) after it
asked makes it `running` again. It runs as an asyncio task on
the server's loop and awaits every store call, which run off the loop.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ..actors import acting_as
from .activity import OutputClock, activity_at, output_clock, record_activity
from .keyboard import Keyboard, keyboard
from .processes import end_processes, session_members
from .status import TERMINAL_CLOSED, Ending, closed, end_session, exited, move_session
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
    typing_seen: datetime | None = None
    activity: str | None = None  # as the output last said; None: not recorded yet

    @property
    def keyboard(self) -> Keyboard:
        return keyboard(self.terminal)

    @property
    def output(self) -> OutputClock:
        return output_clock(self.terminal)


class Watcher:
    def __init__(
        self,
        store: Any,
        terminal_manager: Callable[[], Any],
        log: logging.Logger,
        poll_interval: float,
        activity_interval: float,
        stop_timeout: float,
        idle_after: float = 3.0,
    ) -> None:
        self.store = store
        self.idle_after = idle_after
        self.terminal_manager = terminal_manager
        self.log = log
        self.poll_interval = poll_interval
        self.activity_interval = activity_interval
        self.stop_timeout = stop_timeout
        self.watched: dict[str, Watched] = {}
        self._task: asyncio.Task[None] | None = None
        self._cleanups: set[asyncio.Task[None]] = set()

    def watch(self, watched: Watched) -> None:
        """Watch from now on (call it on the loop); the polling task runs while any is watched."""
        self.watched[watched.session_id] = watched
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(
                self._run(), context=contextvars.Context()
            )

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
        """Look at one session's terminal; what it finds is written as made by the session."""
        if watched.stop_requested:  # the stop records the outcome
            return
        with acting_as(watched.session_id):
            await self._check(watched)

    async def _check(self, watched: Watched) -> None:
        record = read_exit_code(watched.exit_file)
        if record is not None:
            # A hangup with the server alive: the terminal was closed under the agent.
            ending = (
                Ending("failed", reason=TERMINAL_CLOSED) if record.hangup else exited(record.code)
            )
            await self._finish(watched, ending)
        elif not terminal_alive(self.terminal_manager(), watched.terminal_name, watched.terminal):
            # The wrapper died before the agent's exit was recorded: killed, or pty closed. An
            # agent that ignored the hangup would run on with no terminal: end what is left.
            leader = watched.terminal.ptyproc.pid
            cleanup = asyncio.get_running_loop().create_task(
                end_processes(leader, lambda: session_members(leader), self.stop_timeout)
            )
            self._cleanups.add(cleanup)
            cleanup.add_done_callback(self._cleanups.discard)
            await self._finish(watched, closed(exit_status(watched.terminal)))
        else:
            await self._record_activity(watched)
            await self._record_output(watched)
            await self._notice_person(watched)

    async def _finish(self, watched: Watched, ending: Ending) -> None:
        if self.forget(watched.session_id) is None:
            return  # another check got there first
        session = await end_session(self.store, watched.session_id, ending, watched.session_id)
        if session is not None and session["status"] == ending.status:
            self.log.info(
                "Maestro session %s: %s (%s)",
                watched.session_id,
                ending.status,
                ending.reason or "exit code 0",
            )

    async def _record_activity(self, watched: Watched) -> None:
        activity = getattr(watched.terminal, "last_activity", None)
        if activity is None or activity == watched.activity_recorded:
            return
        recorded = watched.activity_recorded
        if recorded is None or (activity - recorded).total_seconds() >= self.activity_interval:
            watched.activity_recorded = activity  # before the await: the next poll skips it
            await self.store.touch_session(watched.session_id, activity)

    async def _record_output(self, watched: Watched) -> None:
        """Output since the last look, or silence for `idle_after`: a transition is recorded."""
        output_at = watched.output.at
        if output_at is None:
            return
        activity = activity_at(output_at, self.idle_after)
        if activity == watched.activity:
            return
        watched.activity = activity  # before the await: the next poll skips it
        if not await record_activity(self.store, watched.session_id, output_at, activity):
            watched.activity = None  # changed meanwhile: looked at again next time

    async def _notice_person(self, watched: Watched) -> None:
        """Someone typed since the last look: if the session asked for input before that, the
        answer has come and the session is `running` again."""
        typed = watched.keyboard.person_typed_at
        if typed is None or typed == watched.typing_seen:
            return
        watched.typing_seen = typed
        session = await self.store.get_session(watched.session_id)
        if session["status"] != "needs_input":
            return
        asked = await self._asked_at(watched.session_id)
        if asked is None or typed > asked:
            await move_session(self.store, watched.session_id, "running", when=("needs_input",))

    async def _asked_at(self, session_id: str) -> datetime | None:
        """When the session last reported needs-input (None if it never did: it was set so by
        other means, and any input answers it)."""
        entries = await self.store.session_timeline(session_id)
        asked = [entry["at"] for entry in entries if entry["kind"] == "needs_input"]
        return datetime.fromisoformat(asked[-1]) if asked else None
