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
