"""Who is acting: the user name or session id that the writes of a request are made by.

A handler names its actor once (`act_as`); the store stamps every write made in that context
(events, and who created or last changed a row). Writes the server makes on its own, outside
any request (an agent that exits, start-up recovery), name the session they concern.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_actor: ContextVar[str | None] = ContextVar("maestro_actor", default=None)


def current_actor() -> str | None:
    return _actor.get()


def act_as(actor: str | None) -> None:
    """Name the actor of the rest of this task (a request's handler calls it in `prepare`)."""
    _actor.set(actor)


@contextmanager
def acting_as(actor: str | None) -> Iterator[None]:
    """Name the actor of the writes made inside the block."""
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)
