"""A session terminal's keyboard: messages typed into it for someone, and a person's own typing.

A message is typed as a person at the keyboard would: the text, a short pause, then Enter
(`\\r`). A TUI such as Claude Code reads input that arrives in one piece as a paste, and a `\\r`
inside a paste as a new line rather than "send"; the pause makes Enter a key press of its own.

terminado writes what a person types in a tab with the pty's `write` (on a worker thread). The
keyboard takes that method's place to note the time of the last keystroke, never the text (it
may be a password); messages are written with the original method, so they do not count.
"""

from __future__ import annotations

import asyncio
import unicodedata
from datetime import datetime
from typing import Any

from ..errors import ValidationFailed
from .status import now

ALLOWED_CONTROLS = frozenset("\n\t")


def check_text(text: str) -> None:
    """422 for a control character other than newline and tab: no escape sequence, Ctrl-C or
    raw Enter may reach an agent's terminal through a message."""
    for position, char in enumerate(text):
        if char not in ALLOWED_CONTROLS and unicodedata.category(char) == "Cc":
            raise ValidationFailed.field(
                "text",
                f"holds the control character U+{ord(char):04X} at {position} "
                "(only newline and tab are allowed)",
            )


class Keyboard:
    def __init__(self, ptyproc: Any) -> None:
        self._write = ptyproc.write
        self._lock = asyncio.Lock()  # one message at a time: texts and Enters never interleave
        self.person_typed_at: datetime | None = None
        ptyproc.write = self._person_writes

    def _person_writes(self, text: str) -> Any:
        self.person_typed_at = now()
        return self._write(text)

    async def type(self, text: str, submit: bool, pause: float) -> None:
        """Write `text`, then after `pause` seconds Enter when `submit`. The writes run on a
        thread: a pty whose program does not read blocks its writer once its buffer is full."""
        async with self._lock:
            if text:
                await asyncio.to_thread(self._write, text)
            if submit:
                if text:
                    await asyncio.sleep(pause)
                await asyncio.to_thread(self._write, "\r")


def keyboard(terminal: Any) -> Keyboard:
    """The terminal's keyboard, attached the first time it is asked for."""
    found = getattr(terminal, "maestro_keyboard", None)
    if found is None:
        found = terminal.maestro_keyboard = Keyboard(terminal.ptyproc)
    return found
