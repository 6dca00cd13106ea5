"""The store off the event loop: writes on one thread, in order; reads on a small pool.

The `Store` is synchronous (SQLAlchemy Core). Run on Tornado's loop, a write waiting for SQLite's
lock or a round trip to PostgreSQL froze every kernel and terminal of the server. `AsyncStore`
offers the same methods as coroutines that run on threads:

- writes go to one writer thread, so they commit in the order they were asked and SQLite never
  has two of our writers fighting for its lock; events are handed to the loop in commit order;
- reads go to a pool of reader threads (SQLite in WAL mode reads beside a write);
- a write still queued after `queue_timeout` seconds (the writer is stuck behind someone
  else's lock) is dropped and answered `StoreBusy` (503 with Retry-After); one that started runs
  to its end, bounded by the database's own lock timeout, which the store maps to `StoreBusy` too.

Each call runs in a copy of its caller's context (contextvars), so the actor a request names
(actors.act_as) is the one the store stamps on its writes, whichever thread makes them, and a
thread never carries one request's actor into the next.

Measured against SQLAlchemy's asyncio engine (aiosqlite, which also runs each connection on a
thread of its own): see bench/README.md. Threads won on CPU per request and kept one code path.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..errors import StoreBusy

# Methods that only read: they may run beside a write. Any other method is a write.
READ_METHODS = frozenset(
    {
        "describe",
        "schema_version",
        "get_project",
        "list_projects",
        "get_task",
        "get_tasks",
        "list_tasks",
        "children",
        "list_subtasks",
        "get_subtask",
        "get_timeline",
        "session_timeline",
        "list_timeline",
        "get_session",
        "list_sessions",
        "page_sessions",
        "events_since",
        "last_seq",
        "first_seq",
        "status",
        "export",
        "unmet_dependencies",
        "idempotent_reply",
        "token_caller",
    }
)


class AsyncStore:
    """`await store.get_task(id)`: the `Store`'s methods as coroutines, run off the loop."""

    def __init__(
        self,
        store: Any,
        *,
        readers: int = 4,
        queue_timeout: float = 5.0,
    ) -> None:
        self.sync = store
        self.queue_timeout = queue_timeout
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="maestro-store-write")
        self._readers = ThreadPoolExecutor(readers, thread_name_prefix="maestro-store-read")
        self._methods: dict[str, Callable[..., Any]] = {}

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = self._methods.get(name)
        if method is None:
            target = getattr(self.sync, name)
            if not callable(target):
                return target
            run = self.read if name in READ_METHODS else self.write
            method = self._methods[name] = functools.partial(run, target)
        return method

    async def read(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        call = functools.partial(contextvars.copy_context().run, function, *args, **kwargs)
        return await loop.run_in_executor(self._readers, call)

    async def write(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run `function` on the writer thread; 503 if it cannot start within `queue_timeout`."""
        loop = asyncio.get_running_loop()
        future = self._writer.submit(contextvars.copy_context().run, function, *args, **kwargs)
        timer = loop.call_later(self.queue_timeout, future.cancel)
        try:
            return await asyncio.wrap_future(future, loop=loop)
        except asyncio.CancelledError:
            # Our timer took it back before it started: it will never run, so refusing is
            # truthful. (A started write is never cancelled; its outcome, bounded by the
            # database's own lock timeout, is the answer.)
            if future.cancelled() and not _current_task_cancelling():
                raise StoreBusy(
                    "The Maestro database is busy (another program holds its write lock); "
                    "nothing was written. Retry in a moment.",
                    retry_after=1,
                ) from None
            raise
        finally:
            timer.cancel()

    def close(self) -> None:
        self._writer.shutdown(wait=True, cancel_futures=True)
        self._readers.shutdown(wait=True, cancel_futures=True)
        self.sync.close()


def _current_task_cancelling() -> bool:
    """Whether the awaiting task itself is being cancelled (not just the store's future)."""
    task = asyncio.current_task()
    cancelling = getattr(task, "cancelling", None)  # Python 3.11+; before, a cancel reads as busy
    return bool(cancelling and cancelling())


def loop_publisher(
    loop: asyncio.AbstractEventLoop, publish: Callable[[dict[str, Any]], None]
) -> Callable[[dict[str, Any]], None]:
    """An `on_commit` for the store that hands each event to `publish` on `loop`, in order.

    Commits happen on the writer thread; subscribers (WebSockets, the spawner) live on the loop.
    `call_soon_threadsafe` keeps the order of the calls, so the order of the commits.
    """

    def on_commit(event: dict[str, Any]) -> None:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            publish(event)
        else:
            loop.call_soon_threadsafe(publish, event)

    return on_commit
