"""The database engine: SQLite's settings, the private database file, and the database's faults
translated, in this one place, into Maestro's errors (busy, full, unavailable, conflict)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError

from ..errors import Conflict, MaestroError, StorageFull, StoreBusy, StoreUnavailable

# How long a write waits for another program's lock before it gives up (SQLite's busy_timeout,
# PostgreSQL's lock_timeout).
LOCK_TIMEOUT = 10.0
# Seconds to reach a PostgreSQL server before it is deemed unavailable.
CONNECT_TIMEOUT = 10


def make_engine(url: str, lock_timeout: float = LOCK_TIMEOUT) -> Engine:
    lock_ms = int(lock_timeout * 1000)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        _create_private_file(url)
        engine = create_engine(
            url, connect_args={"timeout": lock_timeout}, json_deserializer=_load_json
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode survives a killed process (the OS keeps the WAL); only a power
            # loss can drop the last commits, and it costs an fsync per write to prevent that.
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA busy_timeout={lock_ms}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    connect_args: dict[str, Any] = {}
    if parsed.get_driver_name() in ("psycopg", "psycopg2"):
        if "options" not in parsed.query:
            # libpq's options: a write queued behind someone's row lock gives up like SQLite's.
            connect_args["options"] = f"-c lock_timeout={lock_ms}"
        if "connect_timeout" not in parsed.query:
            # A database host that drops packets is unavailable after this, not after TCP's
            # minutes, while the write that tried holds the writer thread.
            connect_args["connect_timeout"] = CONNECT_TIMEOUT
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args)


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


@contextmanager
def translated_faults(where: str) -> Iterator[None]:
    """Raise the database's faults as Maestro errors; `where` names the database for people."""
    try:
        yield
    except DBAPIError as exc:
        fault = _fault_for(exc, where)
        if fault is None:
            raise
        raise fault from exc


# SQLite's primary result codes (the low byte of an extended code), and the messages that name
# them for the Pythons (3.10) whose sqlite3 errors carry no code.
_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6
_SQLITE_READONLY = 8
_SQLITE_IOERR = 10
_SQLITE_FULL = 13
_SQLITE_CANTOPEN = 14
_SQLITE_MESSAGES = (
    ("database is locked", _SQLITE_BUSY),
    ("is locked", _SQLITE_LOCKED),
    ("readonly database", _SQLITE_READONLY),
    ("disk I/O error", _SQLITE_IOERR),
    ("database or disk is full", _SQLITE_FULL),
    ("unable to open database", _SQLITE_CANTOPEN),
)
_SQLITE_REASONS = {
    _SQLITE_READONLY: "it is read-only",
    _SQLITE_IOERR: "reading or writing its file failed",
    _SQLITE_CANTOPEN: "its file (or its folder) cannot be opened for writing",
}
# PostgreSQL's SQLSTATEs that a retry can get past (lock timeout, serialisation failure, deadlock,
# too many connections), and those (or their classes) that mean the server cannot be used now.
_PG_BUSY = {"55P03", "40001", "40P01", "53300"}
_PG_DISK_FULL = "53100"
_PG_REASONS = (
    ("25006", "it is read-only (a standby server, or a read-only transaction)"),
    ("53", "the database server is out of resources"),
    ("08", "the database server cannot be reached"),
    ("57", "the database server is shutting down or starting up"),
)


def _fault_for(exc: DBAPIError, where: str) -> MaestroError | None:
    """The Maestro error for a database fault, or None for one that is a bug of ours."""
    details = {"reason": str(exc.orig).strip()[:300]}
    if isinstance(exc, IntegrityError):
        # Validation catches the cases we know of; this keeps the rest a 409, not a 500.
        return Conflict("The change conflicts with stored data.", details)
    busy = StoreBusy(
        f"The Maestro database {where} is busy: another program holds its lock. "
        "Nothing was written; retry in a moment.",
        details,
        retry_after=1,
    )
    full = StorageFull(
        f"The disk that holds the Maestro database {where} is full (or the database reached "
        "its size limit). Nothing was written; free some space and retry.",
        details,
    )
    code = _sqlite_code(exc.orig)
    if code is not None:
        if code in (_SQLITE_BUSY, _SQLITE_LOCKED):
            return busy
        if code == _SQLITE_FULL:
            return full
        if code in _SQLITE_REASONS:
            return _unavailable(where, _SQLITE_REASONS[code], details)
        return None
    sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    if sqlstate in _PG_BUSY:
        return busy
    if sqlstate == _PG_DISK_FULL:
        return full
    if sqlstate:
        reason = next((text for prefix, text in _PG_REASONS if sqlstate.startswith(prefix)), None)
        return _unavailable(where, reason, details) if reason else None
    if exc.connection_invalidated or isinstance(exc, (OperationalError, InterfaceError)):
        return _unavailable(where, "the database server cannot be reached", details)
    return None


def _sqlite_code(orig: BaseException) -> int | None:
    """SQLite's primary result code, -1 for another SQLite error, None if not from SQLite."""
    code = getattr(orig, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF
    if orig.__class__.__module__ != "sqlite3":
        return None
    message = str(orig)
    return next((code for text, code in _SQLITE_MESSAGES if text in message), -1)


def _unavailable(where: str, reason: str, details: dict[str, Any]) -> StoreUnavailable:
    return StoreUnavailable(f"The Maestro database {where} cannot be used: {reason}.", details)
