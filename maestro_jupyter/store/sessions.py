"""Sessions: an agent at work in a terminal, the tasks it works on, and its lifecycle.

Every status change goes through lifecycle.next_status. A session that ends gives back the tasks
it claimed (and a failed one says why on each of its tasks), and its tokens are revoked, in the
same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, func, insert, select, tuple_, update

from ..actors import current_actor
from ..errors import Conflict, NotFound, SessionEnded, ValidationFailed
from ..lifecycle import is_ended, next_status
from ..vocabulary import ENDED_SESSION_STATUSES
from . import schema as t
from .transaction import StoreBase, Transaction, bump, check_version
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
_EXISTING_TASKS = select(t.tasks.c.id).where(t.tasks.c.id.in_(bindparam("ids", expanding=True)))
_LAST_POSITION = select(func.coalesce(func.max(t.session_tasks.c.position), -1)).where(
    t.session_tasks.c.session_id == bindparam("session_id")
)
_UNLINK = delete(t.session_tasks).where(
    t.session_tasks.c.session_id == bindparam("session_id"),
    t.session_tasks.c.task_id == bindparam("task_id"),
)
_CLAIMED_BY = select(t.tasks.c.claimed_by).where(t.tasks.c.id == bindparam("task_id"))
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
        *,
        claim: bool = False,
        force: bool = False,
        actor: str | None = None,
    ) -> dict[str, Any]:
        """A session linked to `task_ids` (which may be empty), created by the acting user or
        session (`createdBy`, see actors.py). Linking claims nothing; with `claim` every task is
        also claimed for the new session (see claim_task; `force` goes past unmet dependencies
        and ended holders' claims) and a refusal creates nothing."""
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
                    created_by=current_actor(),
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
                if claim:
                    self.claim_task(session_id, task_id, force=force, actor=actor)
                else:
                    bump(tx.conn, t.tasks, task_id, {})
                    tx.emit("task:updated", self._task(tx.conn, task_id))
            return session

    def update_session(
        self, session_id: str, expected_version: int | None = None, **changes: Any
    ) -> dict[str, Any]:
        """Change columns of a session (snake_case keywords); datetimes become timestamps.
        A `status` change must be one the lifecycle allows (SessionEnded, Conflict); moving to
        an ended status does what end_session does."""
        with self.transaction() as tx:
            current = self._session(tx.conn, session_id)
            check_version("Session", current, expected_version)
            for key in _STAMPS:
                if key in changes:
                    changes[key] = stamp(changes[key])
            ending = False
            if "status" in changes:
                status = next_status(session_id, current["status"], changes["status"])
                ending = is_ended(status) and not is_ended(current["status"])
                if ending:
                    changes.setdefault("ended_at", now())
            row = bump(tx.conn, t.sessions, session_id, changes, returning=True)
            session = (
                session_dict(row, current["taskIds"]) if row else self._session(tx.conn, session_id)
            )
            tx.emit("session:updated", session)
            if ending:
                reason = _failure_reason(session["exitCode"], session["exitSignal"], None)
                self._after_end(tx, session, reason, None)
            return session

    def end_session(
        self,
        session_id: str,
        status: str,
        *,
        exit_code: int | None = None,
        exit_signal: int | None = None,
        reason: str | None = None,
        actor: str | None = None,
    ) -> dict[str, Any]:
        """End a session as `status` (completed, failed or stopped), in one transaction: its
        claims on tasks not completed are released (in_progress ones back to todo) with an entry
        each, and when it failed, an `error` entry with `reason` goes on each of its tasks. An
        ended session is returned as it is."""
        if status not in ENDED_SESSION_STATUSES:
            raise ValidationFailed.field(
                "status", f"must be one of {', '.join(ENDED_SESSION_STATUSES)}"
            )
        with self.transaction() as tx:
            current = self._session(tx.conn, session_id)
            if is_ended(current["status"]):
                return current
            next_status(session_id, current["status"], status)
            changes = {
                "status": status,
                "ended_at": now(),
                "exit_code": exit_code,
                "exit_signal": exit_signal,
            }
            row = bump(tx.conn, t.sessions, session_id, changes, returning=True)
            session = (
                session_dict(row, current["taskIds"]) if row else self._session(tx.conn, session_id)
            )
            tx.emit("session:updated", session)
            self._after_end(tx, session, _failure_reason(exit_code, exit_signal, reason), actor)
            return session

    def _after_end(
        self, tx: Transaction, session: dict[str, Any], reason: str, actor: str | None
    ) -> None:
        session_id, status = session["id"], session["status"]
        self._revoke_session_tokens(tx, session_id)
        self._release_claims_of(
            tx, session_id, f"Released: session {session_id} ended ({status}).", session_id, actor
        )
        if status == "failed":
            for task_id in session["taskIds"]:
                message = f"Session {session_id} failed: {reason}."
                self._add_timeline(tx, task_id, "error", message, session_id, actor)

    def assign_tasks(
        self,
        session_id: str,
        add: Sequence[str] = (),
        remove: Sequence[str] = (),
        *,
        actor: str | None = None,
    ) -> dict[str, Any]:
        """Link tasks to a live session and unlink others; unlinking releases the session's
        claim on that task. Unknown task ids: ValidationFailed naming them, nothing changed."""
        add, remove = list(dict.fromkeys(add)), list(dict.fromkeys(remove))
        both = sorted(set(add) & set(remove))
        if both:
            raise ValidationFailed.field("taskIds", f"both added and removed: {', '.join(both)}")
        with self.transaction() as tx:
            current = self._session(tx.conn, session_id)
            if is_ended(current["status"]):
                raise SessionEnded(
                    f"Session {session_id} has ended ({current['status']}); "
                    "its tasks cannot change.",
                    {"id": session_id, "status": current["status"]},
                )
            wanted = [*add, *remove]
            known = set(tx.conn.scalars(_EXISTING_TASKS, {"ids": wanted})) if wanted else set()
            missing = [task_id for task_id in wanted if task_id not in known]
            if missing:
                refused = ValidationFailed.field("taskIds", f"no task {', '.join(missing)}")
                refused.details["ids"] = missing
                raise refused
            linked = set(current["taskIds"])
            added = [task_id for task_id in add if task_id not in linked]
            removed = [task_id for task_id in remove if task_id in linked]
            if not added and not removed:
                return current
            first = tx.conn.scalar(_LAST_POSITION, {"session_id": session_id}) + 1
            for position, task_id in enumerate(added, start=first):
                tx.conn.execute(
                    _INSERT_LINK,
                    {"session_id": session_id, "task_id": task_id, "position": position},
                )
            for task_id in removed:
                tx.conn.execute(_UNLINK, {"session_id": session_id, "task_id": task_id})
            bump(tx.conn, t.sessions, session_id, {})
            session = self._session(tx.conn, session_id)
            tx.emit("session:updated", session)
            for task_id in [*added, *removed]:
                if task_id in removed and (
                    tx.conn.scalar(_CLAIMED_BY, {"task_id": task_id}) == session_id
                ):
                    message = f"Released: unassigned from session {session_id}."
                    self._release(tx, self._task(tx.conn, task_id), message, session_id, actor)
                else:
                    bump(tx.conn, t.tasks, task_id, {})
                    tx.emit("task:updated", self._task(tx.conn, task_id))
            return session

    def touch_session(self, session_id: str, at: datetime | str | None = None) -> None:
        """Record terminal activity without a version bump or event (it is throttled telemetry)."""
        with self.transaction() as tx:
            tx.conn.execute(_TOUCH, {"session_id": session_id, "at": stamp(at) or now()})

    def delete_session(self, session_id: str, *, actor: str | None = None) -> None:
        """Delete a session; the tasks it claimed are released first (with an entry each)."""
        with self.transaction() as tx:
            session = self._session(tx.conn, session_id)
            tx.conn.execute(_DELETE_SESSION, {"session_id": session_id})
            tx.emit("session:deleted", {"id": session_id, "taskIds": session["taskIds"]})
            released = self._release_claims_of(
                tx, session_id, f"Released: session {session_id} was deleted.", None, actor
            )
            for task_id in session["taskIds"]:
                if task_id not in released and tx.conn.scalar(_TASK_EXISTS, {"task_id": task_id}):
                    bump(tx.conn, t.tasks, task_id, {})
                    tx.emit("task:updated", self._task(tx.conn, task_id))


def _failure_reason(exit_code: int | None, exit_signal: int | None, reason: str | None) -> str:
    if reason:
        return reason
    if exit_signal is not None:
        return f"killed by signal {exit_signal}"
    if exit_code is not None:
        return f"exit code {exit_code}"
    return "no exit code was recorded"
