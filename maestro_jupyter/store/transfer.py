"""Export and import of the whole store (`maestro export` / `maestro import`).

Built on the store's public methods and its public transaction API only. An import trusts
nothing of its input's text: control characters are refused before anything is written.
Session tokens are neither exported nor imported; a session overwritten as ended loses its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import Connection, Table, bindparam, delete, insert, select, update

from ..errors import Conflict, ValidationFailed
from ..lifecycle import is_ended
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
_EXISTING = {
    table.name: select(table.c.id).where(table.c.id.in_(bindparam("ids", expanding=True)))
    for _, table in _TABLES
}
_INSERTS = {kind: insert(table) for kind, table in _TABLES}
_UPDATES = {kind: update(table).where(table.c.id == bindparam("row_id")) for kind, table in _TABLES}
_UNLINK = delete(t.session_tasks).where(t.session_tasks.c.session_id == bindparam("session_id"))
_LINK = insert(t.session_tasks)


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
                kind: _existing_ids(tx.conn, table, [item["id"] for item in data.get(kind, [])])
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
            overwrite = on_conflict == "overwrite"
            for kind, table in _TABLES:
                items = data.get(kind, [])
                if kind == "tasks":
                    items = _parents_first(items)
                new = [item for item in items if item["id"] not in existing[kind]]
                known = [item for item in items if item["id"] in existing[kind]]
                for rows in _same_columns([row_from_wire(table, item) for item in new]):
                    tx.conn.execute(_INSERTS[kind], rows)  # many rows per statement
                for item in known if overwrite else ():
                    row = row_from_wire(table, item)
                    tx.conn.execute(_UPDATES[kind], {**row, "row_id": item["id"]})
                result["created"][kind] = len(new)
                result["overwritten"][kind] = len(known) if overwrite else 0
                result["skipped"][kind] = 0 if overwrite else len(known)
                if kind == "sessions":
                    written = [*new, *known] if overwrite else new
                    _link_tasks(
                        tx.conn, [(item["id"], item.get("taskIds", [])) for item in written]
                    )
                    for item in known if overwrite else ():
                        if is_ended(item["status"]):
                            self._revoke_session_tokens(tx, item["id"])
            tx.emit("store:imported", result)
        return result


def _existing_ids(conn: Connection, table: Table, ids: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(ids), _PAGE):  # a bounded IN list: databases cap bound parameters
        found.update(conn.scalars(_EXISTING[table.name], {"ids": ids[start : start + _PAGE]}))
    return found


def _same_columns(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """Runs of consecutive rows with the same columns (an executemany needs one shape)."""
    run: list[dict[str, Any]] = []
    for row in rows:
        if run and row.keys() != run[0].keys():
            yield run
            run = []
        run.append(row)
    if run:
        yield run


def _link_tasks(conn: Connection, sessions: list[tuple[str, list[str]]]) -> None:
    """Each session's task links, as given (replacing any it had)."""
    for session_id, _task_ids in sessions:
        conn.execute(_UNLINK, {"session_id": session_id})
    links = [
        {"session_id": session_id, "task_id": task_id, "position": position}
        for session_id, task_ids in sessions
        for position, task_id in enumerate(task_ids)
    ]
    if links:
        conn.execute(_LINK, links)


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
