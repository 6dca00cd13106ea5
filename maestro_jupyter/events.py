"""Fan-out of committed events to live subscribers (the events WebSocket, in-process listeners).

The event log itself is a table written by the store in each write's transaction; this bus only
delivers what was committed to whoever is connected now. Replay is the store's `events_since`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

Event = dict[str, Any]
Subscriber = Callable[[Event], None]

log = logging.getLogger(__name__)


class EventBus:
    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Deliver every later event to `subscriber`; returns the function that stops it."""
        self._subscribers.append(subscriber)

        def unsubscribe() -> None:
            if subscriber in self._subscribers:
                self._subscribers.remove(subscriber)

        return unsubscribe

    def publish(self, event: Event) -> None:
        for subscriber in list(self._subscribers):
            try:
                subscriber(event)
            except Exception:  # one broken listener must not starve the others
                log.exception("Maestro event subscriber failed on %s", event.get("event"))


class LabWindows:
    """The terminal size each connected Lab window reports for its main area.

    A session spawned from the CLI, a notebook or another agent has no tab to measure: it starts
    at the size the most recent connected Lab window reported, so it is drawn for the screen it
    will be seen on rather than at 80 columns.
    """

    def __init__(self) -> None:
        self._sizes: dict[int, tuple[int, int]] = {}  # by socket, in reporting order

    def report(self, window: int, rows: int, cols: int) -> None:
        self._sizes.pop(window, None)
        self._sizes[window] = (rows, cols)

    def forget(self, window: int) -> None:
        self._sizes.pop(window, None)

    def latest(self) -> tuple[int, int] | None:
        """(rows, cols) of the last report of a window still connected, or None."""
        return next(reversed(self._sizes.values()), None)
