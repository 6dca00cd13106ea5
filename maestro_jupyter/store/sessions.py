"""Sessions: an agent at work in a terminal, the tasks it works on, and its lifecycle fields."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, insert, select, tuple_, update

from ..errors import Conflict, NotFound
from . import schema as t
from .transaction import StoreBase, bump, check_version
from .wire import decode_cursor, encode_cursor, new_id, now, session_dict, stamp

_SESSIONS = select(t.sessions)
_SESSION_BY_ID = select(t.sessions).where(t.sessions.c.id == bindparam("session_id"))
_TASK_LINKS = (
    select(t.session_tasks.c.session_id, t.session_tasks.c.task_id)
    .where(t.session_tasks.c.session_id.in_(bindparam("ids", expanding=True)))
    .order_by(t.session_tasks.c.session_id, t.session_tasks.c.position)
)
_INSERT_SESSION = insert(t.sessions)
_INSERT_LINK = insert(t.session_tasks)
_DELETE_SESSION = delete(t.sessions).where(t.sessions.c.id == bindparam("session_id"))
_TOUCH = (
    update(t.sessions)
    .where(t.sessions.c.id == bindparam("session_id"))
    .values(last_activity=bindparam("at"))
)
_TASK_EXISTS = select(t.tasks.c.id).where(t.tasks.c.id == bindparam("task_id"))
# Timestamps a caller may hand over as datetimes.
_STAMPS = ("started_at", "ended_at", "last_activity", "last_output_at")


class SessionsMixin(StoreBase):
    def _session_dicts(self, conn: Connection, rows: Sequence[Row]) -> list[dict[str, Any]]:
        """Wire dicts of session rows, with their task ids (one query for all of them)."""
        if not rows:
            return []
        task_ids: dict[str, list[str]] = {}
        for session_id, task_id in conn.execute(_TASK_LINKS, {"ids": [row.id for row in rows]}):
            task_ids.setdefault(session_id, []).append(task_id)
        return [session_dict(row, task_ids.get(row.id, [])) for row in rows]

    def _session(self, conn: Connection, session_id: str) -> dict[str, Any]:
        row = conn.execute(_SESSION_BY_ID, {"session_id": session_id}).first()
        if row is None:
            raise NotFound(f"Session {session_id} does not exist.", {"id": session_id})
        return self._session_dicts(conn, [row])[0]

    def get_session(self, session_id: str) -> dict[str, Any]:
        with self.connection() as conn:
            return self._session(conn, session_id)

    def list_sessions(
        self,
        status: Sequence[str] | None = None,
        task_id: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> list[dict[str, Any]]:
        query = _SESSIONS
        if status:
            query = query.where(t.sessions.c.status.in_(status))
        if task_id is not None:
            linked = select(t.session_tasks.c.session_id).where(
                t.session_tasks.c.task_id == task_id
            )
            query = query.where(t.sessions.c.id.in_(linked))
        if cursor:
            query = query.where(
                tuple_(t.sessions.c.created_at, t.sessions.c.id) > decode_cursor(cursor)
            )
        query = query.order_by(t.sessions.c.created_at, t.sessions.c.id).limit(limit)
        with self.connection() as conn:
            return self._session_dicts(conn, conn.execute(query).all())

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
        return items, encode_cursor(items[-1]["createdAt"], items[-1]["id"])

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
        isolation: str = "none",
        worktree: str | None = None,
        branch: str | None = None,
        base_commit: str | None = None,
        resumed_from: str | None = None,
        owner_user: str | None = None,
        owner_server: str | None = None,
    ) -> dict[str, Any]:
        session_id = id or new_id("sess")
        task_ids = list(dict.fromkeys(task_ids))
        with self.transaction() as tx:
            tasks = self.get_tasks(task_ids, include_subtasks=False)
            if tasks:
                project_id = project_id or tasks[0]["projectId"]
            project_id = project_id or self.default_project_id
            self._project(tx.conn, project_id)
            if tx.conn.execute(_SESSION_BY_ID, {"session_id": session_id}).first():
                raise Conflict(f"Session {session_id} already exists.", {"id": session_id})
            if parent_session_id is not None:
                self._session(tx.conn, parent_session_id)
            tx.conn.execute(
                _INSERT_SESSION,
                dict(
                    id=session_id,
                    project_id=project_id,
                    name=name or (f"{role}: {tasks[0]['title']}" if tasks else role)[:200],
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
                    isolation=isolation,
                    worktree=worktree,
                    branch=branch,
                    base_commit=base_commit,
                    resumed_from=resumed_from,
                    owner_user=owner_user,
                    owner_server=owner_server,
                ),
            )
            for position, task_id in enumerate(task_ids):
                tx.conn.execute(
                    _INSERT_LINK,
                    {"session_id": session_id, "task_id": task_id, "position": position},
                )
            session = self._session(tx.conn, session_id)
            tx.emit("session:created", session)
            for task_id in task_ids:
                bump(tx.conn, t.tasks, task_id, {})
                tx.emit("task:updated", self._task(tx.conn, task_id))
            return session

    def update_session(
        self, session_id: str, expected_version: int | None = None, **changes: Any
    ) -> dict[str, Any]:
        """Change columns of a session (snake_case keywords); datetimes become timestamps."""
        with self.transaction() as tx:
            current = self._session(tx.conn, session_id)
            check_version("Session", current, expected_version)
            for key in _STAMPS:
                if key in changes:
                    changes[key] = stamp(changes[key])
            row = bump(tx.conn, t.sessions, session_id, changes, returning=True)
            session = (
                session_dict(row, current["taskIds"]) if row else self._session(tx.conn, session_id)
            )
            tx.emit("session:updated", session)
            return session

    def touch_session(self, session_id: str, at: datetime | str | None = None) -> None:
        """Record terminal activity without a version bump or event (it is throttled telemetry)."""
        with self.transaction() as tx:
            tx.conn.execute(_TOUCH, {"session_id": session_id, "at": stamp(at) or now()})

    def delete_session(self, session_id: str) -> None:
        with self.transaction() as tx:
            session = self._session(tx.conn, session_id)
            tx.conn.execute(_DELETE_SESSION, {"session_id": session_id})
            tx.emit("session:deleted", {"id": session_id, "taskIds": session["taskIds"]})
            for task_id in session["taskIds"]:
                if tx.conn.scalar(_TASK_EXISTS, {"task_id": task_id}):
                    bump(tx.conn, t.tasks, task_id, {})
                    tx.emit("task:updated", self._task(tx.conn, task_id))
