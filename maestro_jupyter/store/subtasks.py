"""Subtasks: a task's ordered checklist."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select

from ..actors import current_actor
from ..errors import NotFound
from . import schema as t
from .transaction import StoreBase, Transaction, bump, check_version
from .wire import new_id, now, wire, wire_values

_SUBTASK_BY_ID = select(t.subtasks).where(
    t.subtasks.c.id == bindparam("subtask_id"), t.subtasks.c.task_id == bindparam("task_id")
)
_SUBTASKS_OF_TASK = (
    select(t.subtasks)
    .where(t.subtasks.c.task_id == bindparam("task_id"))
    .order_by(t.subtasks.c.position, t.subtasks.c.created_at)
)
# The task's existence and its last subtask position, in one query.
_TASK_LAST_POSITION = select(
    t.tasks.c.id,
    select(func.coalesce(func.max(t.subtasks.c.position), -1))
    .where(t.subtasks.c.task_id == t.tasks.c.id)
    .scalar_subquery()
    .label("last_position"),
).where(t.tasks.c.id == bindparam("task_id"))
_INSERT_SUBTASK = insert(t.subtasks)
_DELETE_SUBTASK = delete(t.subtasks).where(t.subtasks.c.id == bindparam("subtask_id"))


class SubtasksMixin(StoreBase):
    def _subtask(self, conn: Connection, task_id: str, subtask_id: str) -> dict[str, Any]:
        row = conn.execute(_SUBTASK_BY_ID, {"subtask_id": subtask_id, "task_id": task_id}).first()
        if row is None:
            self._require_task(conn, task_id)
            raise NotFound(
                f"Subtask {subtask_id} of task {task_id} does not exist.",
                {"id": subtask_id, "taskId": task_id},
            )
        return wire(row, t.subtasks)

    def list_subtasks(self, task_id: str) -> list[dict[str, Any]]:
        with self.connection() as conn:
            self._require_task(conn, task_id)
            rows = conn.execute(_SUBTASKS_OF_TASK, {"task_id": task_id})
            return [wire(row, t.subtasks) for row in rows]

    def get_subtask(self, task_id: str, subtask_id: str) -> dict[str, Any]:
        with self.connection() as conn:
            return self._subtask(conn, task_id, subtask_id)

    def create_subtasks(
        self, task_id: str, items: Sequence[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        with self.transaction() as tx:
            found = tx.conn.execute(_TASK_LAST_POSITION, {"task_id": task_id}).first()
            if found is None:
                raise NotFound(f"Task {task_id} does not exist.", {"id": task_id})
            return self._insert_subtasks(tx, task_id, items, found.last_position)

    def _insert_subtasks(
        self,
        tx: Transaction,
        task_id: str,
        items: Sequence[dict[str, Any]],
        last_position: int,
    ) -> list[dict[str, Any]]:
        stamp_, actor = now(), current_actor()
        created = []
        for position, item in enumerate(items, start=last_position + 1):
            completed = bool(item.get("completed", False))
            row = {
                "id": item.get("id") or new_id("sub"),
                "task_id": task_id,
                "title": item["title"],
                "description": item.get("description", ""),
                "completed": completed,
                "position": position,
                "created_at": stamp_,
                "updated_at": stamp_,
                "completed_at": stamp_ if completed else None,
                "version": 1,
                "created_by": actor,
                "updated_by": actor,
            }
            tx.conn.execute(_INSERT_SUBTASK, row)
            subtask = wire_values(row, t.subtasks)
            tx.emit("subtask:created", subtask)
            created.append(subtask)
        return created

    def update_subtask(
        self,
        task_id: str,
        subtask_id: str,
        changes: dict[str, Any],
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        with self.transaction() as tx:
            current = self._subtask(tx.conn, task_id, subtask_id)
            check_version("Subtask", current, expected_version)
            changes = dict(changes)
            if "completed" in changes and changes["completed"] != current["completed"]:
                changes["completed_at"] = now() if changes["completed"] else None
            row = bump(tx.conn, t.subtasks, subtask_id, changes, returning=True)
            subtask = wire(row, t.subtasks) if row else self._subtask(tx.conn, task_id, subtask_id)
            tx.emit("subtask:updated", subtask)
            return subtask

    def delete_subtask(self, task_id: str, subtask_id: str) -> None:
        with self.transaction() as tx:
            self._subtask(tx.conn, task_id, subtask_id)
            tx.conn.execute(_DELETE_SUBTASK, {"subtask_id": subtask_id})
            tx.emit("subtask:deleted", {"id": subtask_id, "taskId": task_id})
