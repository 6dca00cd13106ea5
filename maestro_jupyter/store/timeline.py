"""The timeline: what happened to a task, and who said so (a session, a user)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, insert, select

from ..actors import current_actor
from . import schema as t
from .transaction import StoreBase, Transaction
from .wire import new_id, now, wire, wire_values

_ORDER = (t.timeline.c.at, t.timeline.c.id)
_ALL = select(t.timeline).order_by(*_ORDER)
_OF_TASK = select(t.timeline).where(t.timeline.c.task_id == bindparam("task_id")).order_by(*_ORDER)
_OF_SESSION = (
    select(t.timeline).where(t.timeline.c.session_id == bindparam("session_id")).order_by(*_ORDER)
)
_INSERT_ENTRY = insert(t.timeline)


class TimelineMixin(StoreBase):
    def get_timeline(self, task_id: str) -> list[dict[str, Any]]:
        """A task's entries, oldest first."""
        with self.connection() as conn:
            self._require_task(conn, task_id)
            return [wire(row, t.timeline) for row in conn.execute(_OF_TASK, {"task_id": task_id})]

    def session_timeline(self, session_id: str) -> list[dict[str, Any]]:
        """The entries a session wrote, across its tasks, oldest first."""
        with self.connection() as conn:
            self._session(conn, session_id)
            rows = conn.execute(_OF_SESSION, {"session_id": session_id})
            return [wire(row, t.timeline) for row in rows]

    def list_timeline(self) -> list[dict[str, Any]]:
        """Every entry, oldest first (an export)."""
        with self.connection() as conn:
            return [wire(row, t.timeline) for row in conn.execute(_ALL)]

    def add_timeline(
        self,
        task_id: str,
        kind: str,
        message: str,
        session_id: str | None = None,
        actor: str | None = None,
    ) -> dict[str, Any]:
        with self.transaction() as tx:
            self._require_task(tx.conn, task_id)
            if session_id is not None:
                self._session(tx.conn, session_id)
            return self._add_timeline(tx, task_id, kind, message, session_id, actor)

    def _add_timeline(
        self,
        tx: Transaction,
        task_id: str,
        kind: str,
        message: str,
        session_id: str | None = None,
        actor: str | None = None,
    ) -> dict[str, Any]:
        """An entry credited to `actor`, by default whoever is acting (actors.current_actor())."""
        entry = {
            "id": new_id("tl"),
            "task_id": task_id,
            "session_id": session_id,
            "kind": kind,
            "message": message,
            "at": now(),
            "actor": actor if actor is not None else current_actor(),
        }
        tx.conn.execute(_INSERT_ENTRY, entry)
        result = wire_values(entry, t.timeline)
        tx.emit("timeline:created", result)
        return result
