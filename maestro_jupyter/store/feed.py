"""Every server's events, on PostgreSQL: what this server commits and what the others do.

Several servers may share one PostgreSQL database. Each insert into the event log notifies
`maestro_events` at commit (migration 0004), with the highest seq it stored, and seq order is
commit order (the store's write lock). `EventFeed` hands the log to the loop's bus in seq order,
each event once and none skipped, from two sources that take turns under one lock:

- this server's commits (`on_commit`, on the store's writer thread): delivered at once when
  they follow the last delivered seq, which is the rule when one server writes;
- a listener thread with a connection of its own (LISTEN), notified of every commit (this
  server's too), which reads the log past the last delivered seq. A commit of this server that
  another server's events precede is left to it: reading those on the writer thread cost every
  write a round trip when two servers took turns (bench_crossserver).

When the listener's connection is lost it reconnects (0.1 s, doubling to 2 s) and reads what it
missed. What is delivered was read from the log, or just committed to it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg.rows import dict_row
from sqlalchemy.engine import Engine

from . import schema as t

Event = dict[str, Any]
log = logging.getLogger(__name__)

CHANNEL = "maestro_events"
READ_BATCH = 5_000
_READ = (
    f"SELECT {', '.join(t.events.c.keys())} FROM {t.events.name} "
    "WHERE seq > %s ORDER BY seq LIMIT %s"
)
MIN_DELAY, MAX_DELAY = 0.1, 2.0
# How often the listener looks up from its wait to see whether it was stopped.
WAKE_EVERY = 0.5
_CONNECTION_DEFAULTS = {
    "connect_timeout": 5,
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
}


class EventFeed:
    """Events of every server sharing the database, to `publish` on `loop`, in seq order.

    `on_commit` is the store's; `start(store)` begins following once the store is open (what
    was committed before is for subscribers to replay from the store, as with SQLite).
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, publish: Callable[[Event], None]) -> None:
        self._loop = loop
        self._publish = publish
        self._connect_args: tuple[list[Any], dict[str, Any]] = ([], {})
        self._lock = threading.Lock()
        self._last: int | None = None  # the last seq delivered; None until started
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._connection: psycopg.Connection[Event] | None = None

    def start(self, store: Any) -> None:
        """Follow the log from its current end; `store` is the synchronous Store."""
        engine: Engine = store.engine
        args, kwargs = engine.dialect.create_connect_args(engine.url)
        # The listener's own connection, named in pg_stat_activity for this process; keepalives
        # notice a database server that vanished without closing the connection.
        kwargs["application_name"] = application_name()
        for name, value in _CONNECTION_DEFAULTS.items():
            kwargs.setdefault(name, value)
        self._connect_args = (args, kwargs)
        with self._lock:
            self._last = store.last_seq()
        self._thread = threading.Thread(target=self._listen, name="maestro-events", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the listener (blocks up to `timeout` seconds: call it off the loop)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def on_commit(self, event: Event) -> None:
        """The store's on_commit: deliver `event` now if it follows the last delivered seq;
        else the listener, notified of it, delivers it after the seqs before it."""
        if self._last is not None and not self._stopping.is_set():
            self._deliver([event])

    # -- delivery -------------------------------------------------------------------------------
    def _deliver(self, events: list[Event]) -> None:
        """Deliver those of `events` (ascending seqs) that follow the last delivered one,
        unless a seq between is missing."""
        with self._lock:
            assert self._last is not None
            fresh = [event for event in events if event["seq"] > self._last]
            if fresh and fresh[0]["seq"] == self._last + 1:
                self._last = fresh[-1]["seq"]
                try:
                    self._loop.call_soon_threadsafe(self._publish_all, fresh)
                except RuntimeError:  # the loop is closed: the server is going away
                    pass

    def _publish_all(self, events: list[Event]) -> None:
        for event in events:
            self._publish(event)

    # -- the listener ---------------------------------------------------------------------------
    def _listen(self) -> None:
        delay, lost = MIN_DELAY, False
        while not self._stopping.is_set():
            try:
                self._connect()
                if lost:
                    log.warning("Maestro: following other servers' events again")
                delay, lost = MIN_DELAY, False
                self._wait_for_commits()
            except Exception as exc:  # noqa: BLE001 - whatever broke, reconnect and read again
                if self._stopping.is_set():
                    break
                if not lost:
                    log.warning(
                        "Maestro: lost the database connection that follows other servers' "
                        "events (%s); reconnecting",
                        _first_line(exc),
                    )
                    lost = True
                self._stopping.wait(delay)
                delay = min(delay * 2, MAX_DELAY)
            finally:
                self._close_connection()

    def _connect(self) -> None:
        """LISTEN, then read what was missed: a commit after the read is notified, one before
        is read."""
        args, kwargs = self._connect_args
        self._connection = psycopg.connect(*args, **kwargs, autocommit=True, row_factory=dict_row)
        self._connection.execute(f"LISTEN {CHANNEL}")
        self._catch_up()

    def _wait_for_commits(self) -> None:
        """Read the log when a seq not delivered yet is notified, until stopped."""
        connection = self._connection
        assert connection is not None
        while not self._stopping.is_set():
            newest = 0
            # The generator holds the connection until it ends: it ends after one batch of
            # notifications, the log is read, and those arriving meanwhile wait in psycopg.
            for notice in connection.notifies(timeout=WAKE_EVERY, stop_after=1):
                newest = max(newest, _seq(notice.payload))
            if newest > (self._last or 0):
                self._catch_up()

    def _catch_up(self) -> None:
        """Deliver what the log holds past the last delivered seq."""
        assert self._connection is not None and self._last is not None
        while True:
            start = self._last
            batch = self._connection.execute(_READ, (start, READ_BATCH)).fetchall()
            if batch and batch[0]["seq"] > start + 1:
                # Pruned before this server read them (a long outage): sockets skip them.
                log.warning(
                    "Maestro: events %d to %d are no longer kept; live clients skip them",
                    start + 1,
                    batch[0]["seq"] - 1,
                )
                with self._lock:
                    self._last = max(self._last, batch[0]["seq"] - 1)
            self._deliver(batch)
            if len(batch) < READ_BATCH:
                return

    def _close_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except psycopg.Error:
                pass


def application_name(pid: int | None = None) -> str:
    """The name in pg_stat_activity of the listener connection of the server process `pid`
    (this one by default)."""
    return f"maestro-events-{pid or os.getpid()}"


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


def _seq(payload: str) -> int:
    """The seq a notification carries; any other payload means: look at the log."""
    try:
        return int(payload)
    except ValueError:
        return 1 << 62
