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

from ..actors import current_actor
from ..errors import Conflict, NotFound, ValidationFailed
from ..vocabulary import PRIORITY_RANK
from . import schema as t
from .dependencies import DEPENDENTS_OF, READY, READY_ORDER, names, unmet_error
from .dependencies import unmet_of as _unmet_of
from .transaction import StoreBase, Transaction, bump, check_version
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
_TITLES = select(t.tasks.c.id, t.tasks.c.title).where(
    t.tasks.c.id.in_(bindparam("ids", expanding=True))
)
_SESSION_EXISTS = select(t.sessions.c.id).where(t.sessions.c.id == bindparam("session_id"))
# Moving a task to one of these needs its dependencies met.
_NEEDS_DEPENDENCIES = ("in_progress", "completed")


@functools.cache
def _page_query(
    counts: bool,
    project: bool,
    status: bool,
    parent: bool,
    top_level: bool,
    search: bool,
    after: bool,
    ready: bool = False,
) -> Select:
    """The statement for one combination of filters; their values are execution parameters.
    Ready tasks come in the order claims take them (most urgent first), other pages oldest
    first; each page continues after its cursor's sort key."""
    query = _TASK_ROWS if counts else _TASK_ROWS_WITHOUT_COUNTS
    if ready:
        query = query.where(READY)
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
    order = READY_ORDER if ready else (t.tasks.c.created_at, t.tasks.c.id)
    if after:
        after_key = (bindparam("after_created"), bindparam("after_id"))
        if ready:
            after_key = (bindparam("after_rank", type_=Integer), *after_key)
        query = query.where(tuple_(*order) > tuple_(*after_key))
    return query.order_by(*order).limit(bindparam("limit"))


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
        ready: bool = False,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """A page of tasks, oldest first, and the cursor of the next page (None at the end).
        `top_level` keeps only tasks without a parent; `parent_id` only that task's children;
        `ready` only tasks a claim may take (todo, unclaimed, every dependency completed or
        cancelled), most urgent first as claims take them."""
        params: dict[str, Any] = {"limit": limit + 1}
        if project_id is not None:
            params["project_id"] = project_id
        if status:
            params["status"] = list(status)
        if parent_id is not None:
            params["parent_id"] = parent_id
        if q:
            params["pattern"] = _like_pattern(q)
        if cursor and ready:
            rank, params["after_created"], params["after_id"] = decode_cursor(cursor, 3)
            params["after_rank"] = _rank(rank)
        elif cursor:
            params["after_created"], params["after_id"] = decode_cursor(cursor)
        query = _page_query(
            not include_subtasks,
            project_id is not None,
            bool(status),
            parent_id is not None,
            top_level,
            bool(q),
            bool(cursor),
            ready,
        )
        with self.connection() as conn:
            rows = conn.execute(query, params).all()
            more = len(rows) > limit
            rows = rows[:limit]
            next_cursor = None
            if more and ready:
                last = rows[-1]
                rank = str(PRIORITY_RANK.get(last.priority, len(PRIORITY_RANK)))
                next_cursor = encode_cursor(rank, last.created_at, last.id)
            elif more:
                next_cursor = encode_cursor(rows[-1].created_at, rows[-1].id)
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
        stamp_, actor = now(), current_actor()
        with self.transaction() as tx:
            if parent_id is not None:
                parent = self._task(tx.conn, parent_id)
                if project_id is not None and project_id != parent["projectId"]:
                    raise ValidationFailed.field("parentId", "belongs to another project")
                project_id = parent["projectId"]
            project_id = project_id or self.default_project_id
            self._project(tx.conn, project_id)
            _check_dependencies(tx.conn, task_id, list(dependencies))
            if status in ("in_progress", "completed"):  # born started: its dependencies hold too
                unmet = _unmet_of(tx.conn, [task_id], {task_id: list(dependencies)})
                if unmet:
                    raise unmet_error(task_id, f"start as {status}", unmet[task_id])
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
                created_by=actor,
                updated_by=actor,
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

    def unmet_dependencies(self, task_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """For each task, its dependencies that are neither completed nor cancelled, as
        {id, title, status} in the order it lists them; tasks with none (or unknown) are left
        out."""
        with self.connection() as conn:
            return _unmet_of(conn, list(task_ids))

    def update_task(
        self,
        task_id: str,
        changes: dict[str, Any],
        expected_version: int | None = None,
        *,
        force: bool = False,
        session_id: str | None = None,
        actor: str | None = None,
    ) -> dict[str, Any]:
        """Change columns of a task (snake_case keys). Moving it to in_progress or completed
        while a dependency is unmet is refused (DependenciesUnmet) unless `force`, which its
        status entry records. `session_id`/`actor` are credited with the status entry."""
        with self.transaction() as tx:
            found = tx.conn.execute(_TASK_BY_ID, {"task_id": task_id}).first()
            if found is None:
                raise NotFound(f"Task {task_id} does not exist.", {"id": task_id})
            current = wire(found, t.tasks)
            check_version("Task", current, expected_version)
            if session_id is not None:
                _require_session(tx.conn, session_id)
            changes = dict(changes)
            if "dependencies" in changes:
                changes["dependencies"] = list(dict.fromkeys(changes["dependencies"]))
                _check_dependencies(tx.conn, task_id, changes["dependencies"])
            if changes.get("parent_id") is not None:
                _check_parent(tx.conn, task_id, changes["parent_id"], current["projectId"])
            status = changes.get("status", current["status"])
            forced: list[dict[str, Any]] = []
            if status != current["status"] and status in _NEEDS_DEPENDENCIES:
                dependencies = changes.get("dependencies", current["dependencies"])
                forced = _unmet_of(tx.conn, [task_id], {task_id: dependencies}).get(task_id, [])
                if forced and not force:
                    raise unmet_error(task_id, f"move to {status}", forced)
            if "status" in changes:
                changes.update(_status_stamps(current, status, changes))
            row = bump(tx.conn, t.tasks, task_id, changes, returning=True)
            if status != current["status"]:
                message = f"Status {current['status']} -> {status}."
                if forced:
                    message += f" Forced past unmet dependencies: {names(forced)}."
                self._add_timeline(tx, task_id, "status", message, session_id, actor)
            if row is None:  # a database that cannot return it from the update
                task = self._task(tx.conn, task_id)
            else:  # an update changes neither its subtasks nor its sessions: as read above
                sessions = _session_ids(tx.conn, task_id) if found.session_count else []
                task = task_dict(row, sessions, found.subtask_count, found.subtasks_completed)
            tx.emit("task:updated", task)
            return task

    def complete_task(
        self,
        task_id: str,
        message: str | None = None,
        session_id: str | None = None,
        *,
        force: bool = False,
        actor: str | None = None,
    ) -> dict[str, Any]:
        with self.transaction() as tx:
            task = self.update_task(
                task_id, {"status": "completed"}, force=force, session_id=session_id, actor=actor
            )
            if message:
                self._add_timeline(tx, task_id, "milestone", message, session_id, actor)
            return task

    def block_task(
        self,
        task_id: str,
        reason: str,
        session_id: str | None = None,
        *,
        actor: str | None = None,
    ) -> dict[str, Any]:
        with self.transaction() as tx:
            task = self.update_task(
                task_id,
                {"status": "blocked", "blocked_reason": reason},
                session_id=session_id,
                actor=actor,
            )
            self._add_timeline(tx, task_id, "blocked", reason, session_id, actor)
            return task

    def delete_task(
        self, task_id: str, recursive: bool = False, *, actor: str | None = None
    ) -> None:
        """Delete a task (and, with `recursive`, its descendants). Every other task that depended
        on one of them loses that dependency, with a timeline entry saying so."""
        with self.transaction() as tx:
            task = self._task(tx.conn, task_id)
            descendants = _descendants(tx.conn, task_id)
            if descendants and not recursive:
                raise Conflict(
                    f"Task {task_id} has {len(descendants)} child task(s); "
                    "delete them first or pass recursive=true.",
                    {"children": descendants},
                )
            doomed = [*reversed(descendants), task_id]
            titles = dict(tx.conn.execute(_TITLES, {"ids": doomed}).all())
            dependents = tx.conn.execute(DEPENDENTS_OF, {"ids": doomed}).all()
            for doomed_id in doomed:
                tx.conn.execute(_DELETE_TASK, {"task_id": doomed_id})
                tx.emit("task:deleted", {"id": doomed_id, "projectId": task["projectId"]})
            self._drop_dependencies(tx, dependents, titles, actor)

    def _drop_dependencies(
        self, tx: Transaction, dependents: Sequence[Row], titles: dict[str, str], actor: str | None
    ) -> None:
        """Remove the deleted tasks (`titles`) from the dependencies of `dependents`."""
        for dependent in dependents:
            if dependent.id in titles:  # deleted along with them
                continue
            kept = [dep for dep in dependent.dependencies if dep not in titles]
            bump(tx.conn, t.tasks, dependent.id, {"dependencies": kept})
            for dep in dependent.dependencies:
                if dep in titles:
                    message = f"Dependency {titles[dep]} ({dep}) was deleted."
                    self._add_timeline(tx, dependent.id, "status", message, None, actor)
            tx.emit("task:updated", self._task(tx.conn, dependent.id))


def _rank(text: str) -> int:
    if text.isdigit():
        return int(text)
    raise ValidationFailed.field("cursor", "is not a cursor this server handed out")


def _session_ids(conn: Connection, task_id: str) -> list[str]:
    return [session_id for _, session_id in conn.execute(_SESSIONS_OF, {"ids": [task_id]})]


def _require_session(conn: Connection, session_id: str) -> None:
    if conn.scalar(_SESSION_EXISTS, {"session_id": session_id}) is None:
        raise NotFound(f"Session {session_id} does not exist.", {"id": session_id})


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
