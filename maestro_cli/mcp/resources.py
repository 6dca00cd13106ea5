"""The session as MCP resources, for clients that read them: its brief and its tasks."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from maestro_jupyter.errors import NotFound

from .tools import Board, full_task


@dataclass(frozen=True)
class Resource:
    uri: str
    name: str
    description: str
    mime_type: str


BRIEF = Resource(
    "maestro://session/brief",
    "brief",
    "This session's brief: its tasks, role and skills, as given at the start.",
    "text/markdown",
)
TASKS = Resource(
    "maestro://session/tasks",
    "tasks",
    "This session's tasks as they are now, with their subtasks.",
    "application/json",
)


def available(board: Board) -> list[Resource]:
    """The brief when the session has one (MAESTRO_BRIEF), the tasks inside any session."""
    shown = []
    if board.env.brief:
        shown.append(BRIEF)
    if board.env.active:
        shown.append(TASKS)
    return shown


def read(board: Board, uri: str) -> str:
    if uri == BRIEF.uri and board.env.brief:
        try:
            return Path(board.env.brief).read_text(encoding="utf-8")
        except OSError as exc:
            raise NotFound(f"the brief {board.env.brief} cannot be read ({exc.strerror})") from None
    if uri == TASKS.uri and board.env.active:
        tasks: list[Any] = [full_task(board.client.get_task(t)) for t in board.session_task_ids()]
        return json.dumps(tasks, separators=(",", ":"), ensure_ascii=False)
    raise NotFound(f"no resource {uri} here")
