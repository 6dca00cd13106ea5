"""Claims: a session takes a task so that no other session works on it.

A claim is one write transaction, and every write holds the database's write lock from its start
(SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory lock, see transaction.py), so two claims never
interleave, across threads, processes and servers. On top of that the task is taken with a
compare-and-set UPDATE on its version, and PostgreSQL picks the next task with
`FOR UPDATE SKIP LOCKED`, so a claim stays atomic even beside a writer that is not Maestro's.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, String, bindparam, exists, func, insert, select, update

from ..actors import current_actor
from ..errors import Claimed, Conflict, NotFound, SessionEnded, StoreBusy
from ..lifecycle import is_ended
from ..vocabulary import RESOLVED_TASK_STATUSES
from . import schema as t
from .dependencies import READY, READY_ORDER, names, unmet_error, unmet_of
from .transaction import StoreBase, Transaction, bump
from .wire import now

_SESSION_STATE = select(
    t.sessions.c.id, t.sessions.c.name, t.sessions.c.status, t.sessions.c.project_id
).where(t.sessions.c.id == bindparam("session_id"))
_SESSION_ROW = select(t.sessions).where(t.sessions.c.id == bindparam("session_id"))
_SESSION_STATUS = select(t.sessions.c.status).where(t.sessions.c.id == bindparam("session_id"))
_TASK_STATE = select(t.tasks.c.id, t.tasks.c.version, t.tasks.c.status, t.tasks.c.claimed_by).where(
    t.tasks.c.id == bindparam("task_id")
)
# The most urgent ready task of a project (locked, skipping those another transaction holds).
_NEXT_READY = (
    select(t.tasks.c.id, t.tasks.c.version, t.tasks.c.status, t.tasks.c.claimed_by)
    .where(t.tasks.c.project_id == bindparam("project_id"), READY)
    .order_by(*READY_ORDER)
    .limit(1)
    .with_for_update(skip_locked=True, of=t.tasks)
)
# Take the task if it is still at the version read: nothing else changed it meanwhile.
_TAKE = (
    update(t.tasks)
    .where(t.tasks.c.id == bindparam("task_id"), t.tasks.c.version == bindparam("seen"))
    .values(
        claimed_by=bindparam("session_id"),
        claimed_at=bindparam("at"),
        status="in_progress",
        started_at=func.coalesce(t.tasks.c.started_at, bindparam("at")),
        completed_at=None,
        blocked_reason=None,
        updated_at=bindparam("at"),
        updated_by=bindparam("actor", type_=String),
        version=t.tasks.c.version + 1,
    )
)
_link = t.session_tasks.alias("link")
# Link the task to the session after its other tasks, unless it is linked already.
_LINK_IF_NEW = insert(t.session_tasks).from_select(
    ["session_id", "task_id", "position"],
    select(
        bindparam("session_id", type_=String),
        bindparam("task_id", type_=String),
        func.coalesce(func.max(t.session_tasks.c.position), -1) + 1,
    )
    .where(t.session_tasks.c.session_id == bindparam("session_id"))
    .having(
        ~exists().where(
            _link.c.session_id == bindparam("session_id"),
            _link.c.task_id == bindparam("task_id"),
        )
    ),
)
# Claims a session holds on tasks that are not completed (those keep the name of who did them).
_CLAIMS_OF = (
    select(t.tasks.c.id)
    .where(t.tasks.c.claimed_by == bindparam("session_id"), t.tasks.c.status != "completed")
    .order_by(t.tasks.c.created_at, t.tasks.c.id)
)
_ATTEMPTS = 5


class ClaimsMixin(StoreBase):
    def claim_task(
        self,
        session_id: str,
        task_id: str | None = None,
        project_id: str | None = None,
        *,
        force: bool = False,
        actor: str | None = None,
    ) -> dict[str, Any] | None:
        """Claim `task_id` for the session, or without it the most urgent ready task of
        `project_id` (default: the session's project); None when nothing is ready.

        The task becomes in_progress, claimed by the session, linked to it, with a `claim`
        entry credited to the session. Refused: unknown session (NotFound), ended session
        (SessionEnded), a completed or cancelled task (Conflict), one a live session holds
        (Claimed, naming it), unmet dependencies (DependenciesUnmet) unless `force`. A claim
        held by an ended (or deleted) session is taken over."""
        with self.transaction() as tx:
            session = tx.conn.execute(_SESSION_STATE, {"session_id": session_id}).first()
            if session is None:
                raise NotFound(f"Session {session_id} does not exist.", {"id": session_id})
            if is_ended(session.status):
                raise SessionEnded(
                    f"Session {session_id} has ended ({session.status}); it cannot claim tasks.",
                    {"id": session_id, "status": session.status},
                )
            for _ in range(_ATTEMPTS):
                if task_id is None:
                    project = project_id or session.project_id
                    row = tx.conn.execute(_NEXT_READY, {"project_id": project}).first()
                    if row is None:
                        return None
                    note = ""
                else:
                    row = tx.conn.execute(_TASK_STATE, {"task_id": task_id}).first()
                    if row is None:
                        raise NotFound(f"Task {task_id} does not exist.", {"id": task_id})
                    note = self._may_claim(tx, row, session_id, force)
                    if note is None:  # this session holds it already
                        return self._task(tx.conn, task_id)
                values = {"task_id": row.id, "seen": row.version, "session_id": session_id}
                taken = tx.conn.execute(_TAKE, {**values, "at": now(), "actor": current_actor()})
                if taken.rowcount == 1:
                    return self._record_claim(tx, session, row.id, note, actor)
            raise StoreBusy(  # others kept changing the task: let the caller retry later
                "The task kept changing while it was being claimed; nothing was claimed. Retry.",
                retry_after=1,
            )

    def _may_claim(self, tx: Transaction, row: Row, session_id: str, force: bool) -> str | None:
        """Why `session_id` may claim the task (a note for its entry, "" when plain), None when it
        holds it already; raises when it may not."""
        if row.status in RESOLVED_TASK_STATUSES:
            raise Conflict(
                f"Task {row.id} is {row.status}; it cannot be claimed.",
                {"id": row.id, "status": row.status},
            )
        note = ""
        if row.claimed_by == session_id:
            return None
        if row.claimed_by is not None:
            holder = tx.conn.scalar(_SESSION_STATUS, {"session_id": row.claimed_by})
            if holder is not None and not is_ended(holder):
                raise Claimed(
                    f"Task {row.id} is claimed by session {row.claimed_by} ({holder}).",
                    {"id": row.id, "claimedBy": row.claimed_by, "holderStatus": holder},
                )
            gone = "was deleted" if holder is None else f"ended ({holder})"
            note += f" Taken over from session {row.claimed_by}, which {gone}."
        unmet = unmet_of(tx.conn, [row.id]).get(row.id)
        if unmet and not force:
            raise unmet_error(row.id, "be claimed", unmet)
        if unmet:
            note += f" Forced past unmet dependencies: {names(unmet)}."
        return note

    def _record_claim(
        self, tx: Transaction, session: Row, task_id: str, note: str, actor: str | None
    ) -> dict[str, Any]:
        """The rest of a claim once the task is taken: link, events, entry."""
        linked = tx.conn.execute(_LINK_IF_NEW, {"session_id": session.id, "task_id": task_id})
        task = self._task(tx.conn, task_id)
        tx.emit("task:updated", task)
        if linked.rowcount:
            row = bump(tx.conn, t.sessions, session.id, {}, returning=True)
            if row is None:  # a database that cannot return it from the update
                row = tx.conn.execute(_SESSION_ROW, {"session_id": session.id}).one()
            tx.emit("session:updated", self._session_dicts(tx.conn, [row])[0])
        message = f"Claimed by session {session.name} ({session.id}).{note}"
        self._add_timeline(tx, task_id, "claim", message, session.id, actor or session.id)
        return task

    def release_task(
        self, task_id: str, session_id: str | None = None, *, actor: str | None = None
    ) -> dict[str, Any]:
        """Give a claimed task back: no longer claimed, and todo again if it was in_progress.
        With `session_id`, that session must be the one holding it (else Conflict). A task
        nobody holds is returned as it is."""
        with self.transaction() as tx:
            current = self._task(tx.conn, task_id)
            holder = current["claimedBy"]
            if session_id is not None and holder != session_id:
                held = f"session {holder} holds it" if holder else "nobody holds it"
                raise Conflict(
                    f"Task {task_id} is not claimed by session {session_id}: {held}.",
                    {"id": task_id, "claimedBy": holder},
                )
            if holder is None:
                return current
            message = (
                f"Released by session {holder}."
                if session_id
                else (f"Released (it was claimed by session {holder}).")
            )
            return self._release(tx, current, message, session_id, actor)

    def _release(
        self,
        tx: Transaction,
        current: dict[str, Any],
        message: str,
        session_id: str | None,
        actor: str | None,
    ) -> dict[str, Any]:
        changes: dict[str, Any] = {"claimed_by": None, "claimed_at": None}
        if current["status"] == "in_progress":
            changes["status"] = "todo"
            message += " Back to todo."
        bump(tx.conn, t.tasks, current["id"], changes)
        task = self._task(tx.conn, current["id"])
        tx.emit("task:updated", task)
        self._add_timeline(tx, current["id"], "claim", message, session_id, actor)
        return task

    def _release_claims_of(
        self,
        tx: Transaction,
        session_id: str,
        message: str,
        entry_session_id: str | None,
        actor: str | None,
    ) -> list[str]:
        """Release every claim the session holds on a task that is not completed; their ids."""
        released = list(tx.conn.scalars(_CLAIMS_OF, {"session_id": session_id}))
        for task_id in released:
            self._release(tx, self._task(tx.conn, task_id), message, entry_session_id, actor)
        return released
