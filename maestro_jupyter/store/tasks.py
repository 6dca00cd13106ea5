"""Tasks: the board's cards, with their subtask counts and sessions, pages and filters,
parents and dependencies (checked for cycles), and the status stamps."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    Row,
    Select,
    bindparam,
    cast,
    delete,
    func,
    insert,
    or_,
    select,
    tuple_,
)

from ..errors import Conflict, NotFound, ValidationFailed
from . import schema as t
from .transaction import StoreBase, bump, check_version
from .wire import decode_cursor, encode_cursor, new_id, now, task_dict, wire, wire_values

# The hot statements, built once: building a Core statement costs more than SQLite running it.
_SUBTASK_COUNT = select(func.count()).where(t.subtasks.c.task_id == t.tasks.c.id).scalar_subquery()
_SUBTASKS_COMPLETED = (
    select(func.coalesce(func.sum(cast(t.subtasks.c.completed, Integer)), 0))
    .where(t.subtasks.c.task_id == t.tasks.c.id)
    .scalar_subquery()
)
_SESSION_COUNT = (
    select(func.count()).where(t.session_tasks.c.task_id == t.tasks.c.id).scalar_subquery()
)
# A task row with its subtask counts in one query; `session_count` says whether the (rarer)
# session lookup is needed at all.
_TASK_ROWS = select(
    t.tasks,
    _SUBTASK_COUNT.label("subtask_count"),
    _SUBTASKS_COMPLETED.label("subtasks_completed"),
    _SESSION_COUNT.label("session_count"),
)
# A page that brings its subtasks counts them itself.
_TASK_ROWS_WITHOUT_COUNTS = select(t.tasks, _SESSION_COUNT.label("session_count"))
_TASK_BY_ID = _TASK_ROWS.where(t.tasks.c.id == bindparam("task_id"))
_TASKS_BY_IDS = _TASK_ROWS.where(t.tasks.c.id.in_(bindparam("ids", expanding=True)))
_TASK_EXISTS = select(t.tasks.c.id).where(t.tasks.c.id == bindparam("task_id"))
_CHILDREN = _TASK_ROWS.where(t.tasks.c.parent_id == bindparam("task_id")).order_by(
    t.tasks.c.created_at, t.tasks.c.id
)
_SESSIONS_OF = (
    select(t.session_tasks.c.task_id, t.session_tasks.c.session_id)
    .join(t.sessions, t.sessions.c.id == t.session_tasks.c.session_id)
    .where(t.session_tasks.c.task_id.in_(bindparam("ids", expanding=True)))
    .order_by(t.sessions.c.created_at, t.sessions.c.id)
)
_SUBTASKS_OF = (
    select(t.subtasks)
    .where(t.subtasks.c.task_id.in_(bindparam("ids", expanding=True)))
    .order_by(t.subtasks.c.task_id, t.subtasks.c.position, t.subtasks.c.created_at)
)
_INSERT_TASK = insert(t.tasks)
_PARENT_PROJECT = select(t.tasks.c.project_id).where(t.tasks.c.id == bindparam("task_id"))
_CHILD_IDS = select(t.tasks.c.id).where(t.tasks.c.parent_id.in_(bindparam("ids", expanding=True)))
_DEPENDENCIES_OF = select(t.tasks.c.id, t.tasks.c.dependencies).where(
    t.tasks.c.id.in_(bindparam("ids", expanding=True))
)
_DELETE_TASK = delete(t.tasks).where(t.tasks.c.id == bindparam("task_id"))


@functools.cache
def _page_query(
    counts: bool,
    project: bool,
    status: bool,
    parent: bool,
    top_level: bool,
    search: bool,
    after: bool,
) -> Select:
    """The statement for one combination of filters; their values are execution parameters."""
    query = _TASK_ROWS if counts else _TASK_ROWS_WITHOUT_COUNTS
    if project:
        query = query.where(t.tasks.c.project_id == bindparam("project_id"))
    if status:
        query = query.where(t.tasks.c.status.in_(bindparam("status", expanding=True)))
    if parent:
        query = query.where(t.tasks.c.parent_id == bindparam("parent_id"))
    if top_level:
        query = query.where(t.tasks.c.parent_id.is_(None))
    if search:
        pattern = func.lower(bindparam("pattern"))
        query = query.where(
            or_(
                func.lower(t.tasks.c.title).like(pattern, escape="/"),
                func.lower(t.tasks.c.description).like(pattern, escape="/"),
            )
        )
    if after:
        query = query.where(
            tuple_(t.tasks.c.created_at, t.tasks.c.id)
            > tuple_(bindparam("after_created"), bindparam("after_id"))
        )
    return query.order_by(t.tasks.c.created_at, t.tasks.c.id).limit(bindparam("limit"))


def _like_pattern(text: str) -> str:
    """`%text%` with LIKE's wildcards in `text` taken literally (escape character `/`)."""
    return "%" + text.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"


class TasksMixin(StoreBase):
    def _task_dicts(
        self, conn: Connection, rows: Sequence[Row], include_subtasks: bool = False
    ) -> list[dict[str, Any]]:
        """Wire dicts of rows selected with `_TASK_ROWS` (which carry their subtask counts), or,
        with `include_subtasks`, with `_TASK_ROWS_WITHOUT_COUNTS` (the subtasks are counted)."""
        if not rows:
            return []
        sessions: dict[str, list[str]] = {}
        with_sessions = [row.id for row in rows if row.session_count]
        if with_sessions:
            for task_id, session_id in conn.execute(_SESSIONS_OF, {"ids": with_sessions}):
                sessions.setdefault(task_id, []).append(session_id)
        if not include_subtasks:
            return [
                task_dict(row, sessions.get(row.id, []), row.subtask_count, row.subtasks_completed)
                for row in rows
            ]
        subtasks: dict[str, list[dict[str, Any]]] = {row.id: [] for row in rows}
        for row in conn.execute(_SUBTASKS_OF, {"ids": list(subtasks)}):
            subtasks[row.task_id].append(wire(row, t.subtasks))
        result = []
        for row in rows:
            items = subtasks[row.id]
            task = task_dict(
                row, sessions.get(row.id, []), len(items), sum(item["completed"] for item in items)
            )
            task["subtasks"] = items
            result.append(task)
        return result

    def _task(
        self, conn: Connection, task_id: str, include_subtasks: bool = False
    ) -> dict[str, Any]:
        row = conn.execute(_TASK_BY_ID, {"task_id": task_id}).first()
        if row is None:
            raise NotFound(f"Task {task_id} does not exist.", {"id": task_id})
        return self._task_dicts(conn, [row], include_subtasks)[0]

    def _require_task(self, conn: Connection, task_id: str) -> None:
        if conn.scalar(_TASK_EXISTS, {"task_id": task_id}) is None:
            raise NotFound(f"Task {task_id} does not exist.", {"id": task_id})

    def get_task(self, task_id: str, include_subtasks: bool = False) -> dict[str, Any]:
        with self.connection() as conn:
            return self._task(conn, task_id, include_subtasks)

    def get_tasks(self, ids: Sequence[str], include_subtasks: bool = True) -> list[dict[str, Any]]:
        """The named tasks in the order given; NotFound naming every id that does not exist."""
        with self.connection() as conn:
            rows = {row.id: row for row in conn.execute(_TASKS_BY_IDS, {"ids": list(ids)})}
            missing = [task_id for task_id in ids if task_id not in rows]
            if missing:
                raise NotFound(f"No task {', '.join(missing)}.", {"ids": missing})
            return self._task_dicts(conn, [rows[task_id] for task_id in ids], include_subtasks)

    def list_tasks(
        self,
        project_id: str | None = None,
        status: Sequence[str] | None = None,
        parent_id: str | None = None,
        q: str | None = None,
        limit: int = 100,
        cursor: str | None = None,
        include_subtasks: bool = False,
        top_level: bool = False,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """A page of tasks, oldest first, and the cursor of the next page (None at the end).
        `top_level` keeps only tasks without a parent; `parent_id` only that task's children."""
        params: dict[str, Any] = {"limit": limit + 1}
        if project_id is not None:
            params["project_id"] = project_id
        if status:
            params["status"] = list(status)
        if parent_id is not None:
            params["parent_id"] = parent_id
        if q:
            params["pattern"] = _like_pattern(q)
        if cursor:
            params["after_created"], params["after_id"] = decode_cursor(cursor)
        query = _page_query(
            not include_subtasks,
            project_id is not None,
            bool(status),
            parent_id is not None,
            top_level,
            bool(q),
            bool(cursor),
        )
        with self.connection() as conn:
            rows = conn.execute(query, params).all()
            more = len(rows) > limit
            rows = rows[:limit]
            next_cursor = encode_cursor(rows[-1].created_at, rows[-1].id) if more else None
            return self._task_dicts(conn, rows, include_subtasks), next_cursor

    def children(self, task_id: str) -> list[dict[str, Any]]:
        with self.connection() as conn:
            self._require_task(conn, task_id)
            return self._task_dicts(conn, conn.execute(_CHILDREN, {"task_id": task_id}).all())

    def create_task(
        self,
        title: str,
        description: str = "",
        project_id: str | None = None,
        parent_id: str | None = None,
        status: str = "todo",
        priority: str = "medium",
        blocked_reason: str | None = None,
        dependencies: Sequence[str] = (),
        labels: Sequence[str] = (),
        subtasks: Sequence[dict[str, Any]] = (),
        id: str | None = None,
    ) -> dict[str, Any]:
        task_id = id or new_id("task")
        stamp_ = now()
        with self.transaction() as tx:
            if parent_id is not None:
                parent = self._task(tx.conn, parent_id)
                if project_id is not None and project_id != parent["projectId"]:
                    raise ValidationFailed.field("parentId", "belongs to another project")
                project_id = parent["projectId"]
            project_id = project_id or self.default_project_id
            self._project(tx.conn, project_id)
            _check_dependencies(tx.conn, task_id, list(dependencies))
            row = dict(
                id=task_id,
                project_id=project_id,
                parent_id=parent_id,
                title=title,
                description=description,
                status=status,
                priority=priority,
                blocked_reason=blocked_reason if status == "blocked" else None,
                dependencies=list(dict.fromkeys(dependencies)),
                labels=list(labels),
                created_at=stamp_,
                updated_at=stamp_,
                started_at=stamp_ if status == "in_progress" else None,
                completed_at=stamp_ if status == "completed" else None,
                version=1,
                claimed_by=None,
                claimed_at=None,
            )
            tx.conn.execute(_INSERT_TASK, row)
            # Every column is in `row`: the new task needs no read-back.
            task = {
                **wire_values(row, t.tasks),
                "sessionIds": [],
                "subtaskCount": 0,
                "subtasksCompleted": 0,
            }
            tx.emit("task:created", task)
            if subtasks:
                created = self._insert_subtasks(tx, task_id, subtasks, last_position=-1)
                task = {
                    **task,
                    "subtaskCount": len(created),
                    "subtasksCompleted": sum(item["completed"] for item in created),
                }
            return task

    def update_task(
        self, task_id: str, changes: dict[str, Any], expected_version: int | None = None
    ) -> dict[str, Any]:
        with self.transaction() as tx:
            current = self._task(tx.conn, task_id)
            check_version("Task", current, expected_version)
            changes = dict(changes)
            if "dependencies" in changes:
                changes["dependencies"] = list(dict.fromkeys(changes["dependencies"]))
                _check_dependencies(tx.conn, task_id, changes["dependencies"])
            if changes.get("parent_id") is not None:
                _check_parent(tx.conn, task_id, changes["parent_id"], current["projectId"])
            if "status" in changes:
                changes.update(_status_stamps(current, changes["status"], changes))
            bump(tx.conn, t.tasks, task_id, changes)
            if "status" in changes and changes["status"] != current["status"]:
                self._add_timeline(
                    tx, task_id, "status", f"Status {current['status']} -> {changes['status']}."
                )
            task = self._task(tx.conn, task_id)
            tx.emit("task:updated", task)
            return task

    def complete_task(
        self, task_id: str, message: str | None = None, session_id: str | None = None
    ) -> dict[str, Any]:
        with self.transaction():
            task = self.update_task(task_id, {"status": "completed"})
            if message:
                self.add_timeline(task_id, "milestone", message, session_id)
            return task

    def block_task(
        self, task_id: str, reason: str, session_id: str | None = None
    ) -> dict[str, Any]:
        with self.transaction():
            task = self.update_task(task_id, {"status": "blocked", "blocked_reason": reason})
            self.add_timeline(task_id, "blocked", reason, session_id)
            return task

    def delete_task(self, task_id: str, recursive: bool = False) -> None:
        with self.transaction() as tx:
            task = self._task(tx.conn, task_id)
            descendants = _descendants(tx.conn, task_id)
            if descendants and not recursive:
                raise Conflict(
                    f"Task {task_id} has {len(descendants)} child task(s); "
                    "delete them first or pass recursive=true.",
                    {"children": descendants},
                )
            for doomed in [*reversed(descendants), task_id]:
                tx.conn.execute(_DELETE_TASK, {"task_id": doomed})
                tx.emit("task:deleted", {"id": doomed, "projectId": task["projectId"]})


def _status_stamps(current: dict[str, Any], status: str, changes: dict[str, Any]) -> dict[str, Any]:
    stamps: dict[str, Any] = {}
    if status == "in_progress" and current["startedAt"] is None:
        stamps["started_at"] = now()
    if status == "completed" and current["status"] != "completed":
        stamps["completed_at"] = now()
    elif status != "completed":
        stamps["completed_at"] = None
    if status != "blocked" and "blocked_reason" not in changes:
        stamps["blocked_reason"] = None
    return stamps


def _check_dependencies(conn: Connection, task_id: str, dependencies: list[str]) -> None:
    if not dependencies:
        return
    if task_id in dependencies:
        raise ValidationFailed.field("dependencies", "a task cannot depend on itself")
    known = {row.id for row in conn.execute(_DEPENDENCIES_OF, {"ids": dependencies})}
    missing = [dep for dep in dependencies if dep not in known]
    if missing:
        raise ValidationFailed.field("dependencies", f"no task {', '.join(missing)}")
    # A cycle exists if task_id is reachable from one of its new dependencies.
    seen, frontier = set(), list(dependencies)
    while frontier:
        rows = conn.execute(_DEPENDENCIES_OF, {"ids": frontier}).all()
        frontier = []
        for _, deps in rows:
            for dep in deps or []:
                if dep == task_id:
                    raise ValidationFailed.field("dependencies", "would create a cycle")
                if dep not in seen:
                    seen.add(dep)
                    frontier.append(dep)


def _check_parent(conn: Connection, task_id: str, parent_id: str, project_id: str) -> None:
    if parent_id == task_id or parent_id in _descendants(conn, task_id):
        raise ValidationFailed.field("parentId", "would make the task its own ancestor")
    parent_project = conn.scalar(_PARENT_PROJECT, {"task_id": parent_id})
    if parent_project is None:
        raise ValidationFailed.field("parentId", f"no task {parent_id}")
    if parent_project != project_id:
        raise ValidationFailed.field("parentId", "belongs to another project")


def _descendants(conn: Connection, task_id: str) -> list[str]:
    found: list[str] = []
    frontier = [task_id]
    while frontier:
        frontier = list(conn.scalars(_CHILD_IDS, {"ids": frontier}))
        found.extend(frontier)
    return found
