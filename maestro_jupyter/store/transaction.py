"""The write transaction and the event log it appends to; reads that join it; versioned updates.

A write runs in one transaction, appends its events to the persisted log in that transaction
(so `seq` has no gap and nothing is announced that was not stored), and hands them to
`on_commit` only after the commit. Every resource module of the store is a mixin over
`StoreBase`, and transfer.py uses `transaction()` and `connection()` as its public API.

Every event, and every row a write creates or changes (`created_by`, `updated_by`), names who
made it: `actors.current_actor()`, from the caller's context (runner.py runs each call in it).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Connection, Row, Table, bindparam, delete, func, insert, select, update

from ..actors import current_actor
from ..errors import MaestroError, VersionMismatch
from . import schema as t
from .engine import LOCK_TIMEOUT, make_engine, translated_faults
from .wire import now, stamp

Event = dict[str, Any]
log = logging.getLogger(__name__)

LAST_SEQ = select(func.coalesce(func.max(t.events.c.seq), 0))
_FIRST_SEQ = select(func.min(t.events.c.seq))
_EVENTS_SINCE = (
    select(t.events)
    .where(t.events.c.seq > bindparam("seq"))
    .order_by(t.events.c.seq)
    .limit(bindparam("limit"))
)
_INSERT_EVENT = insert(t.events)
# A transaction's first event takes the next seq and is stored in the same statement.
_INSERT_FIRST_EVENT = (
    insert(t.events)
    .from_select(
        ["seq", "event", "data", "timestamp", "actor"],
        select(
            func.coalesce(func.max(t.events.c.seq), 0) + 1,
            bindparam("event", type_=t.events.c.event.type),
            bindparam("data", type_=t.events.c.data.type),
            bindparam("timestamp", type_=t.events.c.timestamp.type),
            bindparam("actor", type_=t.events.c.actor.type),
        ),
    )
    .returning(t.events.c.seq)
)
# PostgreSQL's advisory lock key of Maestro's writes (any constant not used for anything else).
_PG_WRITE_LOCK = 0x6D61657374726F + 1
# One UPDATE per table that bumps `version`; the changed columns come as execution parameters.
_BUMPS = {
    table.name: update(table)
    .where(table.c.id == bindparam("row_id"))
    .values(version=table.c.version + 1)
    for table in (t.projects, t.tasks, t.subtasks, t.sessions)
}
_BUMPS_RETURNING = {name: bump.returning(*bump.table.c) for name, bump in _BUMPS.items()}
# The tables whose rows name who last changed them (sessions name only who created them).
_UPDATED_BY = frozenset(table.name for table in (t.projects, t.tasks, t.subtasks))


class Transaction:
    """An open write: its connection, and the events it will publish once committed.

    The first event takes its seq from the log as it is stored; the write lock the transaction
    holds (see StoreBase) keeps the log to this writer, so the later ones are numbered here and
    stored together by `flush()` before the commit: one statement however many tasks a write
    touches (a session that ends, a report on every task of a session).
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.events: list[Event] = []
        self._next_seq: int | None = None
        self._unstored: list[Event] = []

    def emit(self, name: str, data: dict[str, Any]) -> Event:
        """Append an event, stamped with who is acting (actors.current_actor())."""
        stamp_, actor = now(), current_actor()
        envelope = {
            "seq": self._next_seq,
            "event": name,
            "data": data,
            "timestamp": stamp_,
            "actor": actor,
        }
        if self._next_seq is None and self.conn.dialect.insert_returning:
            values = {"event": name, "data": data, "timestamp": stamp_, "actor": actor}
            envelope["seq"] = self.conn.scalar(_INSERT_FIRST_EVENT, values)
        else:
            if self._next_seq is None:
                envelope["seq"] = self.conn.scalar(LAST_SEQ) + 1
            self._unstored.append(envelope)
        self.events.append(envelope)
        self._next_seq = envelope["seq"] + 1
        return envelope

    def flush(self) -> None:
        """Store the events not stored yet (the transaction is about to commit)."""
        if self._unstored:
            self.conn.execute(_INSERT_EVENT, self._unstored)
            self._unstored = []


class StoreBase:
    """The engine, the transactions and the event log; the resource mixins build on it."""

    def __init__(
        self,
        url: str,
        on_commit: Callable[[Event], None] | None = None,
        event_retention: int = 100_000,
        lock_timeout: float = LOCK_TIMEOUT,
    ) -> None:
        self.url = url
        self.engine = make_engine(url, lock_timeout)
        self._where = f"at {self.describe()}"
        self._on_commit = on_commit or (lambda event: None)
        # A write takes the database's write lock when it begins, so its reads and its writes
        # see one state (a claim picks a task no one else is taking), and a lock held elsewhere
        # is waited for (then refused as busy) before any work. SQLite: BEGIN IMMEDIATE.
        # PostgreSQL: a transaction-scoped advisory lock, which also keeps the event log's seq
        # gapless and in commit order when several servers (or threads) write one database.
        self._begin = {
            "sqlite": "BEGIN IMMEDIATE",
            "postgresql": f"SELECT pg_advisory_xact_lock({_PG_WRITE_LOCK})",
        }.get(self.engine.dialect.name)
        # The open transaction of this thread: writes run on one thread, reads on others.
        self._local = threading.local()
        self.event_retention = event_retention
        # Housekeeping runs after this many events, often enough to keep the log near its size.
        self._prune_every = max(1, min(1_000, event_retention // 10))
        self._events_since_prune = 0

    def describe(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def faults(self) -> Iterator[None]:
        """Database faults raised inside as Maestro errors (busy, full, unavailable...)."""
        with translated_faults(self._where):
            yield

    # -- transactions ---------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """A write transaction; nested calls join the outer one (e.g. complete = update + note)."""
        current = getattr(self._local, "tx", None)
        if current is not None:
            yield current
            return
        with self.faults(), self.engine.begin() as conn:
            if self._begin:
                conn.exec_driver_sql(self._begin)
            tx = self._local.tx = Transaction(conn)
            try:
                yield tx
                tx.flush()
            finally:
                self._local.tx = None
        for envelope in tx.events:
            self._on_commit(envelope)
        self._events_since_prune += len(tx.events)
        if self._events_since_prune >= self._prune_every:
            try:
                self.prune()
            except MaestroError as exc:  # the write is committed: its caller must hear so
                log.warning("Maestro: pruning the event log failed: %s", exc)

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A connection to read with; inside a transaction, the transaction's own."""
        current = getattr(self._local, "tx", None)
        if current is not None:
            yield current.conn
            return
        with self.faults(), self.engine.connect() as conn:
            yield conn

    # -- the event log --------------------------------------------------------------------------
    def emit(self, name: str, data: dict[str, Any]) -> Event:
        """Persist and publish one event that no row change carries (e.g. spawn requests)."""
        with self.transaction() as tx:
            return tx.emit(name, data)

    def events_since(self, seq: int, limit: int = 10_000) -> list[Event]:
        with self.connection() as conn:
            rows = conn.execute(_EVENTS_SINCE, {"seq": seq, "limit": limit})
            return [dict(row._mapping) for row in rows]

    def last_seq(self) -> int:
        with self.connection() as conn:
            return conn.scalar(LAST_SEQ)

    def first_seq(self) -> int:
        """The oldest event still kept (the next one's seq when none is)."""
        with self.connection() as conn:
            first = conn.scalar(_FIRST_SEQ)
            return first if first is not None else conn.scalar(LAST_SEQ) + 1

    def prune(self) -> None:
        """Keep the newest `event_retention` events (0 keeps all) and a day of idempotency keys.

        A client whose `since` is older than what is kept is told to resync (events socket).
        """
        self._events_since_prune = 0
        a_day_ago = stamp(datetime.now(timezone.utc) - timedelta(days=1))
        with self.transaction() as tx:
            if self.event_retention:
                oldest_kept = tx.conn.scalar(LAST_SEQ) - self.event_retention
                tx.conn.execute(delete(t.events).where(t.events.c.seq <= oldest_kept))
            tx.conn.execute(
                delete(t.idempotency_keys).where(t.idempotency_keys.c.created_at < a_day_ago)
            )


# -- versioned rows -----------------------------------------------------------------------------
def check_version(kind: str, current: dict[str, Any], expected: int | None) -> None:
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


def bump(
    conn: Connection, table: Table, row_id: str, changes: dict[str, Any], returning: bool = False
) -> Row | None:
    """Apply `changes` and bump the version, naming who is acting as `updated_by`; with
    `returning`, the updated row where the database can give it back from the same statement
    (else None: read it again)."""
    values = dict(changes)
    if table.name in _UPDATED_BY:
        values["updated_at"] = now()
        values["updated_by"] = current_actor()
    params = {"row_id": row_id, **values}
    if returning and conn.dialect.update_returning:
        return conn.execute(_BUMPS_RETURNING[table.name], params).first()
    conn.execute(_BUMPS[table.name], params)
    return None
