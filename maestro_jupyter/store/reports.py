"""Reports: what an agent says about its work (`maestro report`), written in one transaction.

The entries always go on the timeline, credited to the session; the task and session changes a
report implies are made only while the session is live: a late report on an ended session
changes nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, select

from ..errors import ValidationFailed
from ..lifecycle import is_ended, next_status
from . import schema as t
from .transaction import StoreBase, bump

# A report's kind, and the kind of the timeline entries it writes.
REPORT_KINDS = {
    "progress": "progress",
    "blocked": "blocked",
    "needs_input": "needs_input",
    "complete": "milestone",
    "error": "error",
}
_EXISTING_TASKS = select(t.tasks.c.id).where(t.tasks.c.id.in_(bindparam("ids", expanding=True)))


class ReportsMixin(StoreBase):
    def report(
        self,
        session_id: str,
        kind: str,
        message: str,
        *,
        task_ids: Sequence[str] | None = None,
        actor: str | None = None,
    ) -> dict[str, Any]:
        """Write the report on each target task (default: the session's tasks), credited to the
        session. While the session is live: `needs_input` makes it needs_input, `progress` makes
        a needs_input one running again, `blocked` blocks the tasks with `message` as the reason,
        `complete` completes them (DependenciesUnmet refuses the whole report).
        Returns {session, entries, tasks, sessionEnded}."""
        if kind not in REPORT_KINDS:
            raise ValidationFailed.field("kind", f"must be one of {', '.join(REPORT_KINDS)}")
        actor = actor or session_id
        with self.transaction() as tx:
            session = self._session(tx.conn, session_id)
            targets = session["taskIds"] if task_ids is None else list(dict.fromkeys(task_ids))
            if task_ids:
                known = set(tx.conn.scalars(_EXISTING_TASKS, {"ids": targets}))
                missing = [task_id for task_id in targets if task_id not in known]
                if missing:
                    refused = ValidationFailed.field("taskIds", f"no task {', '.join(missing)}")
                    refused.details["ids"] = missing
                    raise refused
            ended = is_ended(session["status"])
            if not ended:
                changes = _task_changes(kind, message)
                for task_id in targets if changes else ():
                    self.update_task(task_id, changes, session_id=session_id, actor=actor)
                status = session["status"]
                if kind == "needs_input":
                    status = next_status(session_id, status, "needs_input")
                elif kind == "progress" and status == "needs_input":
                    status = next_status(session_id, status, "running")
                if status != session["status"]:
                    bump(tx.conn, t.sessions, session_id, {"status": status})
                    session = self._session(tx.conn, session_id)
                    tx.emit("session:updated", session)
            entries = [
                self._add_timeline(tx, task_id, REPORT_KINDS[kind], message, session_id, actor)
                for task_id in targets
            ]
            tasks = [self._task(tx.conn, task_id) for task_id in targets]
            return {"session": session, "entries": entries, "tasks": tasks, "sessionEnded": ended}


def _task_changes(kind: str, message: str) -> dict[str, Any] | None:
    """What a report does to its tasks, if anything."""
    if kind == "blocked":
        return {"status": "blocked", "blocked_reason": message}
    if kind == "complete":
        return {"status": "completed"}
    return None
