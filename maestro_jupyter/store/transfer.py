"""Export and import of the whole store (`maestro export` / `maestro import`).

Built on the store's public methods and its public transaction API only. An import trusts
nothing of its input's text: control characters are refused before anything is written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Table, delete, insert, select, update

from ..errors import Conflict, ValidationFailed
from . import schema as t
from .projects import DEFAULT_PROJECT_ID
from .transaction import StoreBase
from .wire import now, row_from_wire

EXPORT_FORMAT = "maestro-export"
_PAGE = 500
_TABLES: tuple[tuple[str, Table], ...] = (  # parents before children: foreign keys hold
    ("projects", t.projects),
    ("tasks", t.tasks),
    ("subtasks", t.subtasks),
    ("sessions", t.sessions),
    ("timeline", t.timeline),
)
# C0 controls, DEL and C1 controls (xterm.js takes 0x9B as CSI and 0x9D as OSC); the fields
# that hold several lines may keep newlines and tabs.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROL_EXCEPT_LINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_MULTILINE = frozenset({"description", "message", "blockedReason"})


class TransferMixin(StoreBase):
    def export(self) -> dict[str, Any]:
        """The whole store as portable JSON (the wire shapes)."""
        tasks: list[dict[str, Any]] = []
        subtasks: list[dict[str, Any]] = []
        cursor = None
        while True:
            page, cursor = self.list_tasks(limit=_PAGE, cursor=cursor, include_subtasks=True)
            for task in page:
                subtasks.extend(task.pop("subtasks"))
            tasks.extend(page)
            if cursor is None:
                break
        return {
            "format": EXPORT_FORMAT,
            "schemaVersion": self.schema_version(),
            "exportedAt": now(),
            "projects": self.list_projects(),
            "tasks": tasks,
            "subtasks": subtasks,
            "sessions": self.list_sessions(),
            "timeline": self.list_timeline(),
        }

    def import_data(self, data: Mapping[str, Any], on_conflict: str = "fail") -> dict[str, Any]:
        """Load an export in one transaction. Ids that exist already: `fail` (Conflict, nothing
        written), `skip` them or `overwrite` them. Counts of what was done, by kind."""
        _refuse_control_characters(data)
        result: dict[str, dict[str, int]] = {"created": {}, "skipped": {}, "overwritten": {}}
        with self.transaction() as tx:
            existing = {
                kind: set(
                    tx.conn.scalars(
                        select(table.c.id).where(
                            table.c.id.in_([item["id"] for item in data.get(kind, [])])
                        )
                    )
                )
                for kind, table in _TABLES
            }
            # Every store has the default project: importing it merges rather than conflicts.
            conflicts = {
                kind: sorted(ids - {DEFAULT_PROJECT_ID})
                for kind, ids in existing.items()
                if ids - {DEFAULT_PROJECT_ID}
            }
            if conflicts and on_conflict == "fail":
                raise Conflict(
                    f"{sum(map(len, conflicts.values()))} id(s) already exist; "
                    "import with onConflict=skip or onConflict=overwrite.",
                    {"ids": conflicts},
                )
            for kind, table in _TABLES:
                items = (
                    _parents_first(data.get(kind, [])) if kind == "tasks" else data.get(kind, [])
                )
                for counts in result.values():
                    counts[kind] = 0
                for item in items:
                    row = row_from_wire(table, item)
                    if item["id"] in existing[kind]:
                        if on_conflict != "overwrite":
                            result["skipped"][kind] += 1
                            continue
                        tx.conn.execute(update(table).where(table.c.id == item["id"]).values(row))
                        result["overwritten"][kind] += 1
                    else:
                        tx.conn.execute(insert(table).values(row))
                        result["created"][kind] += 1
                    if kind == "sessions":
                        _link_tasks(tx.conn, item["id"], item.get("taskIds", []))
            tx.emit("store:imported", result)
        return result


def _link_tasks(conn: Any, session_id: str, task_ids: list[str]) -> None:
    conn.execute(delete(t.session_tasks).where(t.session_tasks.c.session_id == session_id))
    for position, task_id in enumerate(task_ids):
        conn.execute(
            insert(t.session_tasks).values(
                session_id=session_id, task_id=task_id, position=position
            )
        )


def _parents_first(tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_id = {task["id"]: task for task in tasks}
    ordered: list[dict[str, Any]] = []
    placed: set[str] = set()

    def place(task: dict[str, Any], depth: int = 0) -> None:
        if task["id"] in placed or depth > len(tasks):
            return
        parent = by_id.get(task.get("parentId") or "")
        if parent is not None:
            place(parent, depth + 1)
        placed.add(task["id"])
        ordered.append(task)

    for task in tasks:
        place(task)
    return ordered


def _refuse_control_characters(data: Mapping[str, Any]) -> None:
    """ValidationFailed naming the first text field that holds a control character."""
    for kind, _table in _TABLES:
        for index, item in enumerate(data.get(kind, [])):
            for field, value in item.items():
                lines = field in _MULTILINE
                where = _control_in(value, _CONTROL_EXCEPT_LINES if lines else _CONTROL)
                if where is not None:
                    raise ValidationFailed.field(
                        f"{kind}[{index}].{field}{where}",
                        "must not contain control characters"
                        + (" other than newlines and tabs" if lines else ""),
                    )


def _control_in(value: Any, pattern: re.Pattern[str]) -> str | None:
    """Where in `value` (a text, or a list or object of them) a control character is:
    "" for the text itself, "[2]" or ".user" inside; None if nowhere."""
    if isinstance(value, str):
        return "" if pattern.search(value) else None
    inner = (
        value.items()
        if isinstance(value, Mapping)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, item in inner:
        where = _control_in(item, pattern)
        if where is not None:
            return (f".{key}" if isinstance(key, str) else f"[{key}]") + where
    return None
