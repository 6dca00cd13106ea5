"""The store: every read and write of projects, tasks, subtasks, sessions, timeline and events.

Importable without a server, and synchronous (SQLAlchemy Core); the server runs it off the
event loop through runner.AsyncStore. `Store` is one class made of one mixin per resource:

    engine.py       engine, SQLite settings, the database's faults as Maestro errors
    migrations/     alembic revisions, run when the store starts
    transaction.py  the write transaction, the event log, versioned updates
    projects.py, tasks.py, subtasks.py, sessions.py, timeline.py
    claims.py       a session takes a task (atomically) and gives it back
    dependencies.py ready tasks and unmet dependencies, in SQL
    reports.py      what an agent reports, with the changes it implies
    tokens.py       session tokens (hashed), and what the role guard reads with them
    idempotency.py  Idempotency-Key records
    tokens.py       session tokens (only their hashes), issued at spawn, revoked at the end
    transfer.py     export and import
    wire.py         ids, timestamps, cursors, rows as camelCase dicts
    feed.py         PostgreSQL: every server's events to the bus, in seq order (LISTEN/NOTIFY)
    schema.py       the tables
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from .._version import __version__
from ..vocabulary import SESSION_STATUSES, TASK_STATUSES
from . import migrations
from . import schema as t
from .claims import ClaimsMixin
from .engine import LOCK_TIMEOUT
from .idempotency import IdempotencyMixin
from .projects import DEFAULT_PROJECT_ID, ProjectsMixin
from .reports import ReportsMixin
from .sessions import SessionsMixin
from .subtasks import SubtasksMixin
from .tasks import TasksMixin
from .timeline import TimelineMixin
from .tokens import TokensMixin
from .transaction import LAST_SEQ, Event
from .transfer import TransferMixin
from .wire import new_id, now

__all__ = ["DEFAULT_PROJECT_ID", "Event", "Store", "new_id", "now"]

_TASK_COUNTS = select(t.tasks.c.status, func.count()).group_by(t.tasks.c.status)
_SESSION_COUNTS = select(t.sessions.c.status, func.count()).group_by(t.sessions.c.status)
_PROJECT_COUNT = select(func.count()).select_from(t.projects)


class Store(
    ProjectsMixin,
    TasksMixin,
    SubtasksMixin,
    TimelineMixin,
    SessionsMixin,
    ClaimsMixin,
    ReportsMixin,
    IdempotencyMixin,
    TransferMixin,
    TokensMixin,
):
    """Persistence for Maestro. One instance per server; writes from one thread at a time."""

    def __init__(
        self,
        url: str,
        on_commit: Callable[[Event], None] | None = None,
        root_dir: str | None = None,
        event_retention: int = 100_000,
        lock_timeout: float = LOCK_TIMEOUT,
    ) -> None:
        """Open (and migrate) the database at `url`. StoreVersionError if it is newer than this
        code; StoreUnavailable if it cannot be written (read-only, unreachable)."""
        super().__init__(url, on_commit, event_retention, lock_timeout)
        try:
            with self.faults():
                migrations.upgrade(self.engine, self._where)
                with self.engine.connect() as conn:
                    self._revision = migrations.current_revision(conn)
            # Both write, so a database that cannot be written is found now, not by a user.
            self._ensure_default_project(root_dir)
            self.prune()
        except BaseException:
            self.close()
            raise

    def schema_version(self) -> int:
        """The database's migration revision, as a number (2 for revision 0002)."""
        return migrations.revision_number(self._revision)

    def status(self) -> dict[str, Any]:
        with self.connection() as conn:
            task_counts = dict.fromkeys(TASK_STATUSES, 0)
            task_counts.update(conn.execute(_TASK_COUNTS).all())
            session_counts = dict.fromkeys(SESSION_STATUSES, 0)
            session_counts.update(conn.execute(_SESSION_COUNTS).all())
            return {
                "version": __version__,
                "schemaVersion": self.schema_version(),
                "store": {"dialect": self.engine.dialect.name},
                "counts": {
                    "projects": conn.scalar(_PROJECT_COUNT),
                    "tasks": task_counts,
                    "sessions": session_counts,
                },
                "lastSeq": conn.scalar(LAST_SEQ),
            }
