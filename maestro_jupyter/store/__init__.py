"""The store: every read and write of projects, tasks, subtasks, sessions, timeline and events.

Importable without a server. Writes run in one transaction each, append their events to the
persisted event log in that same transaction (so `seq` has no gap and nothing is announced that
was not stored), and hand the events to `on_commit` only after the commit.
"""

from __future__ import annotations

import base64
import functools
import json
import os
import secrets
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    Row,
    bindparam,
    cast,
    create_engine,
    delete,
    event,
    func,
    insert,
    inspect,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError

from . import schema as t
from .._version import __version__
from ..errors import Conflict, NotFound, StoreVersionError, ValidationFailed, VersionMismatch
from ..models import SESSION_STATUSES, TASK_STATUSES

DEFAULT_PROJECT_ID = "proj_default"
_ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
Event = dict[str, Any]

# Steps from version N to N+1, run in order inside one transaction.
MIGRATIONS: dict[int, Callable[[Connection], None]] = {}


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def stamp(value: datetime | str | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return value.astimezone(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def new_id(prefix: str) -> str:
    bits = secrets.randbits(50)  # ten characters of 5 bits each: one call, not ten
    return prefix + "_" + "".join(_ID_ALPHABET[(bits >> shift) & 31] for shift in range(0, 50, 5))


def _encode_cursor(*values: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> list[Any]:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if (
            isinstance(values, list)
            and len(values) == 2
            and all(isinstance(v, str) for v in values)
        ):
            return values
    except ValueError:
        pass
    raise ValidationFailed.field("cursor", "is not a cursor this server handed out")


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
_TASK_BY_ID = _TASK_ROWS.where(t.tasks.c.id == bindparam("task_id"))
_PROJECT_BY_ID = select(t.projects).where(t.projects.c.id == bindparam("project_id"))
_TASK_EXISTS = select(t.tasks.c.id).where(t.tasks.c.id == bindparam("task_id"))
_SUBTASK_BY_ID = select(t.subtasks).where(
    t.subtasks.c.id == bindparam("subtask_id"), t.subtasks.c.task_id == bindparam("task_id")
)
_LAST_SEQ = select(func.coalesce(func.max(t.events.c.seq), 0))
_INSERT_EVENT = insert(t.events)
_INSERT_SUBTASK = insert(t.subtasks)
_INSERT_TIMELINE = insert(t.timeline)
# One UPDATE per table that bumps `version`; the changed columns come as execution parameters.
_BUMPS = {
    table.name: update(table)
    .where(table.c.id == bindparam("row_id"))
    .values(version=table.c.version + 1)
    for table in (t.projects, t.tasks, t.subtasks, t.sessions)
}
_BUMPS_RETURNING = {name: bump.returning(*bump.table.c) for name, bump in _BUMPS.items()}
# The task's existence and its last subtask position, in one query.
_TASK_LAST_POSITION = select(
    t.tasks.c.id,
    select(func.coalesce(func.max(t.subtasks.c.position), -1))
    .where(t.subtasks.c.task_id == t.tasks.c.id)
    .scalar_subquery()
    .label("last_position"),
).where(t.tasks.c.id == bindparam("task_id"))
_INSERT_TASK = insert(t.tasks)
# A transaction's first event takes the next seq and is stored in the same statement.
_INSERT_FIRST_EVENT = (
    insert(t.events)
    .from_select(
        ["seq", "event", "data", "timestamp"],
        select(
            func.coalesce(func.max(t.events.c.seq), 0) + 1,
            bindparam("event", type_=t.events.c.event.type),
            bindparam("data", type_=t.events.c.data.type),
            bindparam("timestamp", type_=t.events.c.timestamp.type),
        ),
    )
    .returning(t.events.c.seq)
)


class _Transaction:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.events: list[Event] = []
        self._next_seq: int | None = None

    def emit(self, name: str, data: dict[str, Any]) -> None:
        stamp_ = now()
        if self._next_seq is None and self.conn.dialect.insert_returning:
            values = {"event": name, "data": data, "timestamp": stamp_}
            self._next_seq = self.conn.scalar(_INSERT_FIRST_EVENT, values)
        else:
            if self._next_seq is None:
                self._next_seq = self.conn.scalar(_LAST_SEQ) + 1
            values = {"seq": self._next_seq, "event": name, "data": data, "timestamp": stamp_}
            self.conn.execute(_INSERT_EVENT, values)
        envelope = {"seq": self._next_seq, "event": name, "data": data, "timestamp": stamp_}
        self.events.append(envelope)
        self._next_seq += 1


class Store:
    """Persistence for Maestro. One instance per server; used from the server's event loop."""

    def __init__(
        self,
        url: str,
        on_commit: Callable[[Event], None] | None = None,
        root_dir: str | None = None,
        event_retention: int = 100_000,
    ) -> None:
        self.url = url
        self.engine = _make_engine(url)
        self._on_commit = on_commit or (lambda event: None)
        # The open transaction of this thread: writes run on one thread, reads on others.
        self._local = threading.local()
        self.event_retention = event_retention
        # Housekeeping runs after this many events, often enough to keep the log near its size.
        self._prune_every = max(1, min(1_000, event_retention // 10))
        self._events_since_prune = 0
        self._migrate()
        self.default_project_id = self._ensure_default_project(root_dir)
        self.prune()

    def describe(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        self.engine.dispose()

    # -- transactions ---------------------------------------------------------------------------
    @contextmanager
    def _write(self) -> Iterator[_Transaction]:
        """A write transaction; nested calls join the outer one (e.g. a create under a key)."""
        current = getattr(self._local, "tx", None)
        if current is not None:
            yield current
            return
        try:
            with self.engine.begin() as conn:
                tx = self._local.tx = _Transaction(conn)
                try:
                    yield tx
                    events = tx.events
                finally:
                    self._local.tx = None
        except IntegrityError as exc:
            # Validation catches the cases we know of; this keeps the rest a 409, not a 500.
            raise Conflict(
                "The change conflicts with stored data.", {"reason": str(exc.orig)[:300]}
            ) from None
        for envelope in events:
            self._on_commit(envelope)
        self._events_since_prune += len(events)
        if self._events_since_prune >= self._prune_every:
            self.prune()

    def prune(self) -> None:
        """Keep the newest `event_retention` events (0 keeps all) and a day of idempotency keys.

        A client whose `since` is older than what is kept is told to resync (events socket).
        """
        self._events_since_prune = 0
        a_day_ago = stamp(datetime.now(timezone.utc) - timedelta(days=1))
        with self.engine.begin() as conn:
            if self.event_retention:
                oldest_kept = conn.scalar(_LAST_SEQ) - self.event_retention
                conn.execute(delete(t.events).where(t.events.c.seq <= oldest_kept))
            conn.execute(
                delete(t.idempotency_keys).where(t.idempotency_keys.c.created_at < a_day_ago)
            )

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        current = getattr(self._local, "tx", None)
        if current is not None:
            yield current.conn
            return
        with self.engine.connect() as conn:
            yield conn

    def emit(self, name: str, data: dict[str, Any]) -> Event:
        """Persist and publish one event that no row change carries (e.g. spawn requests)."""
        with self._write() as tx:
            tx.emit(name, data)
            return tx.events[-1]

    def idempotent(
        self, scope: str, key: str | None, make: Callable[[], Any], status: int = 201
    ) -> tuple[int, Any]:
        """Run a create once per (scope, key): a retry with the same key gets the first answer."""
        if key is None:
            return status, make()
        with self._write() as tx:
            row = tx.conn.execute(
                select(t.idempotency_keys.c.status, t.idempotency_keys.c.body).where(
                    t.idempotency_keys.c.scope == scope, t.idempotency_keys.c.key == key
                )
            ).first()
            if row is not None:
                return row.status, row.body
            body = make()
            tx.conn.execute(
                insert(t.idempotency_keys),
                dict(scope=scope, key=key, status=status, body=body, created_at=now()),
            )
            return status, body

    # -- schema ---------------------------------------------------------------------------------
    def _migrate(self) -> None:
        with self.engine.begin() as conn:
            if not inspect(conn).has_table(t.schema_info.name):
                t.metadata.create_all(conn)
                conn.execute(insert(t.schema_info).values(id=1, version=t.SCHEMA_VERSION))
                return
            version = conn.scalar(select(t.schema_info.c.version).where(t.schema_info.c.id == 1))
            if version is None or version > t.SCHEMA_VERSION:
                raise StoreVersionError(
                    f"The Maestro database at {self.describe()} has schema version {version}, "
                    f"newer than this maestro-jupyter {__version__} understands "
                    f"({t.SCHEMA_VERSION}). Upgrade maestro-jupyter or point c.Maestro.db_url "
                    "at another database; it was left untouched."
                )
            while version < t.SCHEMA_VERSION:
                MIGRATIONS[version](conn)
                version += 1
            conn.execute(update(t.schema_info).values(version=version))

    def schema_version(self) -> int:
        with self._read() as conn:
            return conn.scalar(select(t.schema_info.c.version))

    def _ensure_default_project(self, root_dir: str | None) -> str:
        with self._read() as conn:
            exists = conn.scalar(
                select(t.projects.c.id).where(t.projects.c.id == DEFAULT_PROJECT_ID)
            )
        if exists is None:
            stamp_ = now()
            with self._write() as tx:
                tx.conn.execute(
                    insert(t.projects),
                    dict(
                        id=DEFAULT_PROJECT_ID,
                        name="Default",
                        working_dir=root_dir,
                        description="The server's root folder.",
                        created_at=stamp_,
                        updated_at=stamp_,
                        version=1,
                    ),
                )
                tx.emit("project:created", self._project(tx.conn, DEFAULT_PROJECT_ID))
        return DEFAULT_PROJECT_ID

    # -- projects -------------------------------------------------------------------------------
    def _project(self, conn: Connection, project_id: str) -> dict[str, Any]:
        row = conn.execute(_PROJECT_BY_ID, {"project_id": project_id}).first()
        if row is None:
            raise NotFound(f"Project {project_id} does not exist.", {"id": project_id})
        return _wire(row)

    def get_project(self, project_id: str) -> dict[str, Any]:
        with self._read() as conn:
            return self._project(conn, project_id)

    def list_projects(self) -> list[dict[str, Any]]:
        with self._read() as conn:
            rows = conn.execute(
                select(t.projects).order_by(t.projects.c.created_at, t.projects.c.id)
            )
            return [_wire(row) for row in rows]

    def create_project(
        self,
        name: str,
        working_dir: str | None = None,
        description: str = "",
        id: str | None = None,
    ) -> dict[str, Any]:
        project_id = id or new_id("proj")
        stamp_ = now()
        with self._write() as tx:
            tx.conn.execute(
                insert(t.projects),
                dict(
                    id=project_id,
                    name=name,
                    working_dir=working_dir,
                    description=description,
                    created_at=stamp_,
                    updated_at=stamp_,
                    version=1,
                ),
            )
            project = self._project(tx.conn, project_id)
            tx.emit("project:created", project)
            return project

    def update_project(
        self, project_id: str, changes: dict[str, Any], expected_version: int | None = None
    ) -> dict[str, Any]:
        with self._write() as tx:
            current = self._project(tx.conn, project_id)
            _check_version("Project", current, expected_version)
            _bump(tx.conn, t.projects, project_id, changes)
            project = self._project(tx.conn, project_id)
            tx.emit("project:updated", project)
            return project

    def delete_project(self, project_id: str) -> None:
        if project_id == self.default_project_id:
            raise Conflict("The default project cannot be deleted.", {"id": project_id})
        with self._write() as tx:
            self._project(tx.conn, project_id)
            tx.conn.execute(delete(t.projects).where(t.projects.c.id == project_id))
            tx.emit("project:deleted", {"id": project_id})

    # -- tasks ----------------------------------------------------------------------------------
    def _task_dicts(
        self, conn: Connection, rows: Sequence[Row], include_subtasks: bool = False
    ) -> list[dict[str, Any]]:
        """Wire dicts of rows selected with `_TASK_ROWS` (which carry their subtask counts)."""
        ids = [row.id for row in rows]
        if not ids:
            return []
        sessions: dict[str, list[str]] = {}
        with_sessions = [row.id for row in rows if row.session_count]
        if with_sessions:
            for task_id, session_id in conn.execute(
                select(t.session_tasks.c.task_id, t.session_tasks.c.session_id)
                .join(t.sessions, t.sessions.c.id == t.session_tasks.c.session_id)
                .where(t.session_tasks.c.task_id.in_(with_sessions))
                .order_by(t.sessions.c.created_at, t.sessions.c.id)
            ):
                sessions.setdefault(task_id, []).append(session_id)
        subtasks: dict[str, list[dict[str, Any]]] = {}
        if include_subtasks:
            for row in conn.execute(
                select(t.subtasks)
                .where(t.subtasks.c.task_id.in_(ids))
                .order_by(t.subtasks.c.position, t.subtasks.c.created_at)
            ):
                subtasks.setdefault(row.task_id, []).append(_wire(row))
        result = []
        for row in rows:
            task = _task_dict(
                row, sessions.get(row.id, []), row.subtask_count, row.subtasks_completed
            )
            if include_subtasks:
                task["subtasks"] = subtasks.get(row.id, [])
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
        with self._read() as conn:
            return self._task(conn, task_id, include_subtasks)

    def get_tasks(self, ids: Sequence[str], include_subtasks: bool = True) -> list[dict[str, Any]]:
        """The named tasks in the order given; NotFound naming every id that does not exist."""
        with self._read() as conn:
            rows = {row.id: row for row in conn.execute(_TASK_ROWS.where(t.tasks.c.id.in_(ids)))}
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
    ) -> tuple[list[dict[str, Any]], str | None]:
        query = _TASK_ROWS
        if project_id is not None:
            query = query.where(t.tasks.c.project_id == project_id)
        if status:
            query = query.where(t.tasks.c.status.in_(status))
        if parent_id == "null":
            query = query.where(t.tasks.c.parent_id.is_(None))
        elif parent_id is not None:
            query = query.where(t.tasks.c.parent_id == parent_id)
        if q:
            query = query.where(
                or_(
                    t.tasks.c.title.icontains(q, autoescape=True),
                    t.tasks.c.description.icontains(q, autoescape=True),
                )
            )
        if cursor:
            query = query.where(
                tuple_(t.tasks.c.created_at, t.tasks.c.id) > tuple(_decode_cursor(cursor))
            )
        query = query.order_by(t.tasks.c.created_at, t.tasks.c.id).limit(limit + 1)
        with self._read() as conn:
            rows = conn.execute(query).all()
            more = len(rows) > limit
            rows = rows[:limit]
            next_cursor = _encode_cursor(rows[-1].created_at, rows[-1].id) if more else None
            return self._task_dicts(conn, rows, include_subtasks), next_cursor

    def children(self, task_id: str) -> list[dict[str, Any]]:
        with self._read() as conn:
            self._require_task(conn, task_id)
            rows = conn.execute(
                _TASK_ROWS.where(t.tasks.c.parent_id == task_id).order_by(
                    t.tasks.c.created_at, t.tasks.c.id
                )
            ).all()
            return self._task_dicts(conn, rows)

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
        with self._write() as tx:
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
            )
            tx.conn.execute(_INSERT_TASK, row)
            # Every column is in `row`: the new task needs no read-back.
            task = _task_dict(row, [], 0, 0)
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
        with self._write() as tx:
            current = self._task(tx.conn, task_id)
            _check_version("Task", current, expected_version)
            changes = dict(changes)
            if "dependencies" in changes:
                changes["dependencies"] = list(dict.fromkeys(changes["dependencies"]))
                _check_dependencies(tx.conn, task_id, changes["dependencies"])
            if changes.get("parent_id") is not None:
                _check_parent(tx.conn, task_id, changes["parent_id"], current["projectId"])
            if "status" in changes:
                changes.update(_status_stamps(current, changes["status"], changes))
            _bump(tx.conn, t.tasks, task_id, changes)
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
        with self._write():
            task = self.update_task(task_id, {"status": "completed"})
            if message:
                self.add_timeline(task_id, "milestone", message, session_id)
            return task

    def block_task(
        self, task_id: str, reason: str, session_id: str | None = None
    ) -> dict[str, Any]:
        with self._write():
            task = self.update_task(task_id, {"status": "blocked", "blocked_reason": reason})
            self.add_timeline(task_id, "blocked", reason, session_id)
            return task

    def delete_task(self, task_id: str, recursive: bool = False) -> None:
        with self._write() as tx:
            task = self._task(tx.conn, task_id)
            descendants = _descendants(tx.conn, task_id)
            if descendants and not recursive:
                raise Conflict(
                    f"Task {task_id} has {len(descendants)} child task(s); "
                    "delete them first or pass recursive=true.",
                    {"children": descendants},
                )
            for doomed in [*reversed(descendants), task_id]:
                tx.conn.execute(delete(t.tasks).where(t.tasks.c.id == doomed))
                tx.emit("task:deleted", {"id": doomed, "projectId": task["projectId"]})

    # -- subtasks -------------------------------------------------------------------------------
    def _subtask(self, conn: Connection, task_id: str, subtask_id: str) -> dict[str, Any]:
        row = conn.execute(_SUBTASK_BY_ID, {"subtask_id": subtask_id, "task_id": task_id}).first()
        if row is None:
            self._require_task(conn, task_id)
            raise NotFound(
                f"Subtask {subtask_id} of task {task_id} does not exist.",
                {"id": subtask_id, "taskId": task_id},
            )
        return _wire(row)

    def list_subtasks(self, task_id: str) -> list[dict[str, Any]]:
        with self._read() as conn:
            self._require_task(conn, task_id)
            rows = conn.execute(
                select(t.subtasks)
                .where(t.subtasks.c.task_id == task_id)
                .order_by(t.subtasks.c.position, t.subtasks.c.created_at)
            )
            return [_wire(row) for row in rows]

    def get_subtask(self, task_id: str, subtask_id: str) -> dict[str, Any]:
        with self._read() as conn:
            return self._subtask(conn, task_id, subtask_id)

    def create_subtasks(
        self, task_id: str, items: Sequence[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        with self._write() as tx:
            found = tx.conn.execute(_TASK_LAST_POSITION, {"task_id": task_id}).first()
            if found is None:
                raise NotFound(f"Task {task_id} does not exist.", {"id": task_id})
            return self._insert_subtasks(tx, task_id, items, found.last_position)

    def _insert_subtasks(
        self,
        tx: _Transaction,
        task_id: str,
        items: Sequence[dict[str, Any]],
        last_position: int,
    ) -> list[dict[str, Any]]:
        position = last_position
        stamp_ = now()
        created = []
        for item in items:
            position += 1
            subtask_id = item.get("id") or new_id("sub")
            completed = bool(item.get("completed", False))
            row = {
                "id": subtask_id,
                "task_id": task_id,
                "title": item["title"],
                "description": item.get("description", ""),
                "completed": completed,
                "position": position,
                "created_at": stamp_,
                "updated_at": stamp_,
                "completed_at": stamp_ if completed else None,
                "version": 1,
            }
            tx.conn.execute(_INSERT_SUBTASK, row)
            subtask = _wire(row)
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
        with self._write() as tx:
            current = self._subtask(tx.conn, task_id, subtask_id)
            _check_version("Subtask", current, expected_version)
            changes = dict(changes)
            if "completed" in changes and changes["completed"] != current["completed"]:
                changes["completed_at"] = now() if changes["completed"] else None
            row = _bump(tx.conn, t.subtasks, subtask_id, changes, returning=True)
            subtask = _wire(row) if row else self._subtask(tx.conn, task_id, subtask_id)
            tx.emit("subtask:updated", subtask)
            return subtask

    def delete_subtask(self, task_id: str, subtask_id: str) -> None:
        with self._write() as tx:
            self._subtask(tx.conn, task_id, subtask_id)
            tx.conn.execute(delete(t.subtasks).where(t.subtasks.c.id == subtask_id))
            tx.emit("subtask:deleted", {"id": subtask_id, "taskId": task_id})

    # -- timeline -------------------------------------------------------------------------------
    def get_timeline(self, task_id: str) -> list[dict[str, Any]]:
        with self._read() as conn:
            self._require_task(conn, task_id)
            rows = conn.execute(
                select(t.timeline)
                .where(t.timeline.c.task_id == task_id)
                .order_by(t.timeline.c.at, t.timeline.c.id)
            )
            return [_wire(row) for row in rows]

    def add_timeline(
        self, task_id: str, kind: str, message: str, session_id: str | None = None
    ) -> dict[str, Any]:
        with self._write() as tx:
            self._require_task(tx.conn, task_id)
            if session_id is not None:
                self._session(tx.conn, session_id)
            return self._add_timeline(tx, task_id, kind, message, session_id)

    def _add_timeline(
        self, tx: _Transaction, task_id: str, kind: str, message: str, session_id: str | None = None
    ) -> dict[str, Any]:
        entry = {
            "id": new_id("tl"),
            "task_id": task_id,
            "session_id": session_id,
            "kind": kind,
            "message": message,
            "at": now(),
        }
        tx.conn.execute(_INSERT_TIMELINE, entry)
        result = _wire(entry)
        tx.emit("timeline:created", result)
        return result

    # -- sessions -------------------------------------------------------------------------------
    def _session(self, conn: Connection, session_id: str) -> dict[str, Any]:
        row = conn.execute(select(t.sessions).where(t.sessions.c.id == session_id)).first()
        if row is None:
            raise NotFound(f"Session {session_id} does not exist.", {"id": session_id})
        task_ids = conn.scalars(
            select(t.session_tasks.c.task_id)
            .where(t.session_tasks.c.session_id == session_id)
            .order_by(t.session_tasks.c.position)
        ).all()
        return _session_dict(row, list(task_ids))

    def get_session(self, session_id: str) -> dict[str, Any]:
        with self._read() as conn:
            return self._session(conn, session_id)

    def list_sessions(
        self,
        status: Sequence[str] | None = None,
        task_id: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> list[dict[str, Any]]:
        query = select(t.sessions.c.id)
        if status:
            query = query.where(t.sessions.c.status.in_(status))
        if task_id is not None:
            linked = select(t.session_tasks.c.session_id).where(
                t.session_tasks.c.task_id == task_id
            )
            query = query.where(t.sessions.c.id.in_(linked))
        if cursor:
            after = tuple(_decode_cursor(cursor))
            query = query.where(tuple_(t.sessions.c.created_at, t.sessions.c.id) > after)
        query = query.order_by(t.sessions.c.created_at, t.sessions.c.id).limit(limit)
        with self._read() as conn:
            return [self._session(conn, session_id) for session_id in conn.scalars(query)]

    def page_sessions(
        self,
        status: Sequence[str] | None = None,
        task_id: str | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        items = self.list_sessions(status, task_id, limit + 1, cursor)
        if len(items) <= limit:
            return items, None
        items = items[:limit]
        return items, _encode_cursor(items[-1]["createdAt"], items[-1]["id"])

    def create_session(
        self,
        task_ids: Sequence[str],
        agent: str,
        project_id: str | None = None,
        name: str | None = None,
        role: str = "worker",
        skills: Sequence[str] = (),
        cwd: str | None = None,
        parent_session_id: str | None = None,
        spawn_source: str = "api",
        terminal_name: str | None = None,
        agent_session_id: str | None = None,
        id: str | None = None,
        status: str = "spawning",
    ) -> dict[str, Any]:
        session_id = id or new_id("sess")
        tasks = self.get_tasks(list(task_ids), include_subtasks=False)
        project_id = project_id or tasks[0]["projectId"]
        with self._write() as tx:
            self._project(tx.conn, project_id)
            if tx.conn.scalar(select(t.sessions.c.id).where(t.sessions.c.id == session_id)):
                raise Conflict(f"Session {session_id} already exists.", {"id": session_id})
            if parent_session_id is not None:
                self._session(tx.conn, parent_session_id)
            tx.conn.execute(
                insert(t.sessions),
                dict(
                    id=session_id,
                    project_id=project_id,
                    name=name or f"{role}: {tasks[0]['title']}"[:200],
                    role=role,
                    skills=list(skills),
                    agent=agent,
                    status=status,
                    terminal_name=terminal_name,
                    cwd=cwd,
                    exit_code=None,
                    parent_session_id=parent_session_id,
                    spawn_source=spawn_source,
                    agent_session_id=agent_session_id,
                    created_at=now(),
                    version=1,
                ),
            )
            for position, task_id in enumerate(dict.fromkeys(task_ids)):
                tx.conn.execute(
                    insert(t.session_tasks),
                    {"session_id": session_id, "task_id": task_id, "position": position},
                )
            session = self._session(tx.conn, session_id)
            tx.emit("session:created", session)
            for task_id in dict.fromkeys(task_ids):
                _bump(tx.conn, t.tasks, task_id, {})
                tx.emit("task:updated", self._task(tx.conn, task_id))
            return session

    def update_session(
        self, session_id: str, expected_version: int | None = None, **changes: Any
    ) -> dict[str, Any]:
        with self._write() as tx:
            current = self._session(tx.conn, session_id)
            _check_version("Session", current, expected_version)
            for key in ("started_at", "ended_at", "last_activity"):
                if key in changes:
                    changes[key] = stamp(changes[key])
            _bump(tx.conn, t.sessions, session_id, changes)
            session = self._session(tx.conn, session_id)
            tx.emit("session:updated", session)
            return session

    def touch_session(self, session_id: str, at: datetime | str | None = None) -> None:
        """Record terminal activity without a version bump or event (it is throttled telemetry)."""
        with self._write() as tx:
            tx.conn.execute(
                update(t.sessions)
                .where(t.sessions.c.id == session_id)
                .values(last_activity=stamp(at) or now())
            )

    def delete_session(self, session_id: str) -> None:
        with self._write() as tx:
            session = self._session(tx.conn, session_id)
            tx.conn.execute(delete(t.sessions).where(t.sessions.c.id == session_id))
            tx.emit("session:deleted", {"id": session_id, "taskIds": session["taskIds"]})
            for task_id in session["taskIds"]:
                if tx.conn.scalar(select(t.tasks.c.id).where(t.tasks.c.id == task_id)):
                    _bump(tx.conn, t.tasks, task_id, {})
                    tx.emit("task:updated", self._task(tx.conn, task_id))

    # -- events and status ----------------------------------------------------------------------
    def events_since(self, seq: int, limit: int = 10_000) -> list[Event]:
        with self._read() as conn:
            rows = conn.execute(
                select(t.events).where(t.events.c.seq > seq).order_by(t.events.c.seq).limit(limit)
            )
            return [dict(row._mapping) for row in rows]

    def last_seq(self) -> int:
        with self._read() as conn:
            return conn.scalar(_LAST_SEQ)

    def first_seq(self) -> int:
        """The oldest event still kept (the next one's seq when none is)."""
        with self._read() as conn:
            first = conn.scalar(select(func.min(t.events.c.seq)))
            return first if first is not None else conn.scalar(_LAST_SEQ) + 1

    def status(self) -> dict[str, Any]:
        with self._read() as conn:
            task_counts = dict.fromkeys(TASK_STATUSES, 0)
            task_counts.update(
                conn.execute(
                    select(t.tasks.c.status, func.count()).group_by(t.tasks.c.status)
                ).all()
            )
            session_counts = dict.fromkeys(SESSION_STATUSES, 0)
            session_counts.update(
                conn.execute(
                    select(t.sessions.c.status, func.count()).group_by(t.sessions.c.status)
                ).all()
            )
            return {
                "version": __version__,
                "schemaVersion": conn.scalar(select(t.schema_info.c.version)),
                "store": {"dialect": self.engine.dialect.name},
                "counts": {
                    "projects": conn.scalar(select(func.count()).select_from(t.projects)),
                    "tasks": task_counts,
                    "sessions": session_counts,
                },
                "lastSeq": conn.scalar(select(func.coalesce(func.max(t.events.c.seq), 0))),
            }


# -- helpers ------------------------------------------------------------------------------------
def _create_private_file(url: str) -> None:
    """Create a new SQLite file readable by the user only; its -wal and -shm files inherit
    the mode. The database holds every task and brief, so it is as private as MAESTRO_HOME."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    try:
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError:  # it exists, or cannot be created: then SQLite says why when it connects
        pass


def _load_json(text: str) -> Any:
    """json.loads, short-cut for the empty list that most tasks' labels and dependencies hold
    (a page of 50 tasks decodes 100 of them)."""
    return [] if text == "[]" else json.loads(text)


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        _create_private_file(url)
        engine = create_engine(url, connect_args={"timeout": 10}, json_deserializer=_load_json)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode survives a killed process (the OS keeps the WAL); only a power
            # loss can drop the last commits, and it costs an fsync per write to prevent that.
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def _check_version(kind: str, current: dict[str, Any], expected: int | None) -> None:
    if expected is not None and current["version"] != expected:
        raise VersionMismatch(
            f"{kind} {current['id']} is at version {current['version']}, not {expected}; "
            "fetch it again and retry.",
            {
                "id": current["id"],
                "currentVersion": current["version"],
                "expectedVersion": expected,
            },
        )


def _bump(
    conn: Connection, table: Any, row_id: str, changes: dict[str, Any], returning: bool = False
) -> Row | None:
    """Apply `changes` and bump the version; with `returning`, the updated row where the
    database can give it back from the same statement (else None: read it again)."""
    values = dict(changes)
    if "updated_at" in table.c:
        values["updated_at"] = now()
    params = {"row_id": row_id, **values}
    if returning and conn.dialect.update_returning:
        return conn.execute(_BUMPS_RETURNING[table.name], params).first()
    conn.execute(_BUMPS[table.name], params)
    return None


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
    known = set(conn.scalars(select(t.tasks.c.id).where(t.tasks.c.id.in_(dependencies))))
    missing = [dep for dep in dependencies if dep not in known]
    if missing:
        raise ValidationFailed.field("dependencies", f"no task {', '.join(missing)}")
    # A cycle exists if task_id is reachable from one of its new dependencies.
    seen, frontier = set(), list(dependencies)
    while frontier:
        rows = conn.execute(
            select(t.tasks.c.id, t.tasks.c.dependencies).where(t.tasks.c.id.in_(frontier))
        ).all()
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
    parent_project = conn.scalar(select(t.tasks.c.project_id).where(t.tasks.c.id == parent_id))
    if parent_project is None:
        raise ValidationFailed.field("parentId", f"no task {parent_id}")
    if parent_project != project_id:
        raise ValidationFailed.field("parentId", "belongs to another project")


def _descendants(conn: Connection, task_id: str) -> list[str]:
    found: list[str] = []
    frontier = [task_id]
    while frontier:
        frontier = list(conn.scalars(select(t.tasks.c.id).where(t.tasks.c.parent_id.in_(frontier))))
        found.extend(frontier)
    return found


def _wire(row: Any, table: Any = None) -> dict[str, Any]:
    """A row (or a dict of column values) as the camelCase object the API sends; with `table`,
    only that table's columns (a row may carry computed ones too)."""
    if table is not None and isinstance(row, Row):
        # Selected as select(table, ...extras): the table's columns come first, in order.
        return dict(zip(_wire_camels(table.name), row, strict=False))
    values = row._mapping if hasattr(row, "_mapping") else row
    if table is not None:
        return {camel: values[name] for name, camel in _wire_names(table.name)}
    return {_camel(column): value for column, value in values.items()}


@functools.cache  # serialising a row is on every request's path: name each column once
def _wire_names(table_name: str) -> tuple[tuple[str, str], ...]:
    return tuple((column.name, _camel(column.name)) for column in t.metadata.tables[table_name].c)


@functools.cache
def _wire_camels(table_name: str) -> tuple[str, ...]:
    return tuple(camel for _, camel in _wire_names(table_name))


@functools.cache
def _camel(column: str) -> str:
    head, *rest = column.split("_")
    return head + "".join(part.title() for part in rest)


def _task_dict(
    row: Any, session_ids: list[str], subtask_count: int, subtasks_completed: int
) -> dict[str, Any]:
    task = _wire(row, t.tasks)
    task.update(
        sessionIds=session_ids,
        subtaskCount=subtask_count,
        subtasksCompleted=int(subtasks_completed),
    )
    return task


def _session_dict(row: Any, task_ids: list[str]) -> dict[str, Any]:
    session = _wire(row)
    session["taskIds"] = task_ids
    return session


# -- export / import ----------------------------------------------------------------------------
_TRANSFER = (  # parents before children, so foreign keys hold while importing
    ("projects", t.projects),
    ("tasks", t.tasks),
    ("subtasks", t.subtasks),
    ("sessions", t.sessions),
    ("timeline", t.timeline),
)


def export_store(store: Store) -> dict[str, Any]:
    """The whole store as portable JSON (the wire shapes), for `maestro export`."""
    with store._read() as conn:
        tasks = conn.execute(_TASK_ROWS.order_by(t.tasks.c.created_at, t.tasks.c.id)).all()
        return {
            "format": "maestro-export",
            "schemaVersion": t.SCHEMA_VERSION,
            "exportedAt": now(),
            "projects": [
                _wire(r) for r in conn.execute(select(t.projects).order_by(t.projects.c.created_at))
            ],
            "tasks": store._task_dicts(conn, tasks),
            "subtasks": [
                _wire(r)
                for r in conn.execute(
                    select(t.subtasks).order_by(t.subtasks.c.task_id, t.subtasks.c.position)
                )
            ],
            "sessions": [
                store._session(conn, sid)
                for sid in conn.scalars(select(t.sessions.c.id).order_by(t.sessions.c.created_at))
            ],
            "timeline": [
                _wire(r)
                for r in conn.execute(select(t.timeline).order_by(t.timeline.c.at, t.timeline.c.id))
            ],
        }


def import_store(store: Store, data: dict[str, Any], on_conflict: str = "fail") -> dict[str, Any]:
    """Load an export in one transaction. Ids that exist already: fail (409), skip or overwrite."""
    result: dict[str, dict[str, int]] = {"created": {}, "skipped": {}, "overwritten": {}}
    with store._write() as tx:
        existing = {
            kind: set(
                tx.conn.scalars(
                    select(table.c.id).where(
                        table.c.id.in_([item["id"] for item in data.get(kind, [])])
                    )
                )
            )
            for kind, table in _TRANSFER
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
        tasks = _parents_first(data.get("tasks", []))
        for kind, table in _TRANSFER:
            items = tasks if kind == "tasks" else data.get(kind, [])
            for key in result:
                result[key][kind] = 0
            for item in items:
                row = _row_from_wire(table, item)
                if item["id"] in existing[kind]:
                    if on_conflict != "overwrite":
                        result["skipped"][kind] += 1
                        continue
                    tx.conn.execute(update(table).where(table.c.id == item["id"]).values(**row))
                    result["overwritten"][kind] += 1
                else:
                    tx.conn.execute(insert(table).values(**row))
                    result["created"][kind] += 1
                if kind == "sessions":
                    tx.conn.execute(
                        delete(t.session_tasks).where(t.session_tasks.c.session_id == item["id"])
                    )
                    for position, task_id in enumerate(item.get("taskIds", [])):
                        tx.conn.execute(
                            insert(t.session_tasks).values(
                                session_id=item["id"], task_id=task_id, position=position
                            )
                        )
        tx.emit("store:imported", result)
    return result


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


def _row_from_wire(table: Any, item: dict[str, Any]) -> dict[str, Any]:
    return {column.name: item.get(_camel(column.name)) for column in table.columns}
