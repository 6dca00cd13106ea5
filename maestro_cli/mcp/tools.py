"""The board as MCP tools: what each one takes (a schema from the REST models) and does (REST calls
through the CLI's client), acting as the session the agent runs in.

Independent of the MCP SDK (`server.py` serves this table), so each tool is a plain function of a
`Board` and its arguments that answers JSON-able data or raises a `MaestroError`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel, ValidationError

from maestro_jupyter import models
from maestro_jupyter.client import MaestroClient, SessionEnv, waits
from maestro_jupyter.errors import MaestroError, ValidationFailed
from maestro_jupyter.vocabulary import ACTIVE_SESSION_STATUSES

from .schemas import arguments

ID = {"type": "string"}
TASK_ID = {"type": "string", "description": "default: this session's task"}
# An MCP client cuts long calls (Codex after 60 s by default), so a wait answers before that.
WAIT_DEFAULT_SECONDS = 50.0
WAIT_MAX_SECONDS = 600.0
LOG_DEFAULT_ENTRIES = 20
LATEST_ENTRIES = 3


class NoSession(MaestroError):
    """A tool that acts as a session was called outside one."""

    status = 400
    code = "no_session"


class Board:
    """What the tools act through: the REST client, made on first use (so a server that is not
    there yet is a tool error rather than a failed start), and the session the agent runs in."""

    def __init__(self, env: SessionEnv, connect: Callable[[], MaestroClient]) -> None:
        self.env = env
        self._connect = connect
        self._client: MaestroClient | None = None
        self._lock = threading.Lock()

    @property
    def client(self) -> MaestroClient:
        with self._lock:
            if self._client is None:
                self._client = self._connect()
            return self._client

    def session_id(self, action: str) -> str:
        if not self.env.session_id:
            raise NoSession(
                f"{action} acts as a Maestro session, and MAESTRO_SESSION_ID is not set: run "
                "inside a session Maestro spawned, or register one ('maestro session register')"
            )
        return self.env.session_id

    def project(self) -> dict[str, str]:
        """The project a call defaults to: the session's (MAESTRO_PROJECT_ID), if any."""
        return {"projectId": self.env.project_id} if self.env.project_id else {}

    def session_task_ids(self) -> list[str]:
        """The session's tasks as linked now (spawned for, claimed, assigned), else as its
        environment named them at the start."""
        if self.env.session_id:
            return list(self.client.get_session(self.env.session_id)["taskIds"])
        return list(self.env.task_ids)

    def task_id(self, arguments: Mapping[str, Any]) -> str:
        given = arguments.get("taskId")
        if given is not None:
            return _text_argument(given, "taskId")
        linked = self.session_task_ids()
        if len(linked) == 1:
            return linked[0]
        if not linked:
            raise ValidationFailed.field("taskId", "required: this session has no task")
        raise ValidationFailed.field(
            "taskId", f"required: this session has several tasks ({', '.join(linked)})"
        )


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    schema: dict[str, Any]
    run: Callable[[Board, dict[str, Any]], Any]


# -- arguments --------------------------------------------------------------------------------
def validated(
    model: type[BaseModel], body: Mapping[str, Any], implicit: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """`body` checked by the REST model (unknown arguments refused), as the wire JSON to send,
    with the `implicit` fields the session supplies."""
    try:
        parsed = model.model_validate({**body, **(implicit or {})})
    except ValidationError as exc:
        details = models.validation_details(exc)
        problems = "; ".join(f"{e['field']}: {e['message']}" for e in details["errors"])
        raise ValidationFailed(f"invalid arguments ({problems})", details) from None
    return parsed.model_dump(mode="json", by_alias=True, exclude_unset=True)


def _split(arguments: Mapping[str, Any], *names: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The tool's own arguments (`names`) apart from the request body."""
    own = {name: arguments[name] for name in names if name in arguments}
    return own, {key: value for key, value in arguments.items() if key not in names}


def _only(arguments: Mapping[str, Any], *names: str) -> None:
    unknown = sorted(set(arguments) - set(names))
    if unknown:
        raise ValidationFailed(
            f"unknown argument{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}",
            {"errors": [{"field": name, "message": "unknown argument"} for name in unknown]},
        )


def _text_argument(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed.field(name, "must be a non-empty string")
    return value.strip()


def _segment(value: str) -> str:
    return quote(value, safe="")


# -- what the answers keep --------------------------------------------------------------------
TASK_FIELDS = (
    "id", "title", "status", "priority", "claimedBy", "dependencies", "parentId", "labels",
    "blockedReason", "subtaskCount", "subtasksCompleted",
)  # fmt: skip
SESSION_FIELDS = (
    "id", "name", "status", "role", "agent", "taskIds", "parentSessionId", "exitCode",
    "exitSignal", "activity",
)  # fmt: skip
ENTRY_FIELDS = ("at", "actor", "kind", "message")


def pick(resource: Mapping[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """The named fields that say something (no nulls, no empty lists)."""
    return {name: resource[name] for name in fields if resource.get(name) not in (None, [], {}, "")}


def brief_task(task: Mapping[str, Any]) -> dict[str, Any]:
    return pick(task, TASK_FIELDS)


def full_task(task: Mapping[str, Any]) -> dict[str, Any]:
    shown = pick(task, (*TASK_FIELDS, "projectId", "description"))
    if task.get("subtasks"):
        shown["subtasks"] = [pick(s, ("id", "title", "completed")) for s in task["subtasks"]]
    return shown


def brief_session(session: Mapping[str, Any]) -> dict[str, Any]:
    return pick(session, SESSION_FIELDS)


def brief_entry(entry: Mapping[str, Any]) -> dict[str, Any]:
    return pick(entry, ENTRY_FIELDS)


def _with_latest_entries(board: Board, task: Mapping[str, Any]) -> dict[str, Any]:
    shown = full_task(task)
    entries = board.client.list_timeline(task["id"])[-LATEST_ENTRIES:]
    if entries:
        shown["latestEntries"] = [brief_entry(e) for e in entries]
    return shown


# -- the tools --------------------------------------------------------------------------------
def whoami(board: Board, arguments: dict[str, Any]) -> Any:
    _only(arguments)
    env = board.env
    answer: dict[str, Any] = {"server": board.client.server.url}
    if not env.active:
        answer["session"] = None
        answer["note"] = "not inside a Maestro session: the tools act as the Jupyter user"
        return answer
    answer.update(pick({"role": env.role, "projectId": env.project_id}, ("role", "projectId")))
    if env.session_id:
        answer["session"] = brief_session(board.client.get_session(env.session_id))
    task_ids = board.session_task_ids()
    answer["tasks"] = [_with_latest_entries(board, board.client.get_task(t)) for t in task_ids]
    return answer


def task_list(board: Board, arguments: dict[str, Any]) -> Any:
    query = validated(models.TaskQuery, {**board.project(), **arguments})
    if query.get("status"):
        query["status"] = ",".join(query["status"])
    if "ready" in query:
        query["ready"] = "true" if query["ready"] else None
    page = board.client.get("tasks", **query)
    answer: dict[str, Any] = {"tasks": [brief_task(t) for t in page["items"]]}
    if page.get("nextCursor"):
        answer["more"] = True
    return answer


def task_get(board: Board, arguments: dict[str, Any]) -> Any:
    _only(arguments, "taskId")
    task = board.client.get_task(board.task_id(arguments))
    return _with_latest_entries(board, task)


def task_create(board: Board, arguments: dict[str, Any]) -> Any:
    body = validated(models.TaskCreate, {**board.project(), **arguments})
    created = board.client.post("tasks", body)
    # The answer counts the subtasks; the agent needs their ids to tick them.
    return full_task(board.client.get_task(created["id"]) if body.get("subtasks") else created)


def _acting(board: Board) -> dict[str, Any]:
    """The session a change is credited to, when there is one."""
    return {"sessionId": board.env.session_id} if board.env.session_id else {}


def task_update(board: Board, arguments: dict[str, Any]) -> Any:
    own, rest = _split(arguments, "taskId")
    body = validated(models.TaskUpdate, rest, _acting(board))
    task_id = board.task_id(own)
    return full_task(board.client.patch(f"tasks/{_segment(task_id)}", body))


def task_complete(board: Board, arguments: dict[str, Any]) -> Any:
    own, rest = _split(arguments, "taskId")
    body = validated(models.TaskComplete, rest, _acting(board))
    task_id = board.task_id(own)
    return brief_task(board.client.post(f"tasks/{_segment(task_id)}/complete", body))


def task_block(board: Board, arguments: dict[str, Any]) -> Any:
    own, rest = _split(arguments, "taskId")
    body = validated(models.TaskBlock, rest, _acting(board))
    task_id = board.task_id(own)
    return brief_task(board.client.post(f"tasks/{_segment(task_id)}/block", body))


def task_next(board: Board, arguments: dict[str, Any]) -> Any:
    own, rest = _split(arguments, "claim")
    claim = own.get("claim", board.env.session_id is not None)
    if not isinstance(claim, bool):
        raise ValidationFailed.field("claim", "must be true or false")
    if claim:
        session = {"sessionId": board.session_id("Claiming a task")}
        body = validated(models.ClaimRequest, {**board.project(), **rest}, session)
        task = board.client.post("tasks/claim", body)["task"]
    else:  # a look at what a claim would take: the first of the ready tasks
        query = validated(models.TaskQuery, {**board.project(), **rest})
        page = board.client.get("tasks", projectId=query.get("projectId"), ready="true", limit=1)
        task = page["items"][0] if page["items"] else None
    if task is None:
        return {"task": None, "note": "no task is ready (todo, unclaimed, dependencies met)"}
    return {"task": full_task(task), "claimed": claim}


def task_log(board: Board, arguments: dict[str, Any]) -> Any:
    _only(arguments, "taskId", "limit")
    limit = arguments.get("limit", LOG_DEFAULT_ENTRIES)
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValidationFailed.field("limit", "must be a whole number of at least 1")
    task_id = board.task_id(arguments)
    entries = board.client.list_timeline(task_id)
    return {"taskId": task_id, "entries": [brief_entry(e) for e in entries[-limit:]]}


def subtask_complete(board: Board, arguments: dict[str, Any]) -> Any:
    own, rest = _split(arguments, "taskId", "subtaskId")
    if "subtaskId" not in own:
        raise ValidationFailed.field("subtaskId", "required")
    subtask_id = _text_argument(own["subtaskId"], "subtaskId")
    body = validated(models.SubtaskUpdate, {"completed": True, **rest})
    task_id = board.task_id(own)
    path = f"tasks/{_segment(task_id)}/subtasks/{_segment(subtask_id)}"
    return pick(board.client.patch(path, body), ("id", "taskId", "title", "completed"))


def report(board: Board, arguments: dict[str, Any]) -> Any:
    body = validated(models.SessionReport, arguments)
    session_id = board.session_id("report")
    result = board.client.post(f"sessions/{_segment(session_id)}/report", body)
    answer: dict[str, Any] = {
        "session": brief_session(result["session"]),
        "tasks": [brief_task(t) for t in result["tasks"]],
        "entries": len(result["entries"]),
    }
    if result.get("sessionEnded"):
        answer["note"] = "the session has ended: only the timeline got this report"
    return answer


def session_spawn(board: Board, arguments: dict[str, Any]) -> Any:
    parent = board.env.session_id
    implicit = {"parentSessionId": parent, "spawnSource": "session" if parent else "api"}
    body = validated(
        models.SpawnRequest,
        {**board.project(), **arguments},
        {key: value for key, value in implicit.items() if value},
    )
    session = board.client.post("sessions/spawn", body)
    return {**brief_session(session), "terminalName": session.get("terminalName")}


WAIT_UNTIL = ("ended", "needs_input", "any")


def session_wait(board: Board, arguments: dict[str, Any]) -> Any:
    _only(arguments, "sessionIds", "until", "timeout")
    session_ids = arguments.get("sessionIds")
    if session_ids is None:
        session_ids = _spawned_sessions(board)
    elif not isinstance(session_ids, list) or not all(
        isinstance(i, str) and i for i in session_ids
    ):
        raise ValidationFailed.field("sessionIds", "must be a list of session ids")
    until = arguments.get("until", "ended")
    if until not in WAIT_UNTIL:
        raise ValidationFailed.field("until", f"must be one of {', '.join(WAIT_UNTIL)}")
    timeout = arguments.get("timeout", WAIT_DEFAULT_SECONDS)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout < 0:
        raise ValidationFailed.field("timeout", "must be a number of seconds")
    return wait_for_sessions(
        board.client, list(dict.fromkeys(session_ids)), until, min(timeout, WAIT_MAX_SECONDS)
    )


def _spawned_sessions(board: Board) -> list[str]:
    """What a wait with no ids waits for, as `maestro session wait` does: the active sessions
    this session spawned; outside a session, every active one."""
    parent = board.env.session_id
    active = board.client.list_sessions(status=list(ACTIVE_SESSION_STATUSES))
    return [s["id"] for s in active if parent is None or s.get("parentSessionId") == parent]


def wait_for_sessions(
    client: MaestroClient, session_ids: list[str], until: str, timeout: float
) -> dict[str, Any]:
    """The client's wait on the events WebSocket (no polling): `result` satisfied, unreachable
    (all ended, none asked for input) or timeout. Unknown ids are a NotFound naming them."""
    outcome = waits.wait_for_sessions(client, session_ids, until=until, timeout=timeout)
    sessions = [brief_session(s) for s in outcome.sessions]
    return {"result": outcome.result, "matched": outcome.matched, "sessions": sessions}


def session_send(board: Board, arguments: dict[str, Any]) -> Any:
    own, rest = _split(arguments, "sessionId")
    if "sessionId" not in own:
        raise ValidationFailed.field("sessionId", "required")
    session_id = _text_argument(own["sessionId"], "sessionId")
    body = validated(models.SessionInput, rest)
    return brief_session(board.client.post(f"sessions/{_segment(session_id)}/input", body))


def skill_show(board: Board, arguments: dict[str, Any]) -> Any:
    _only(arguments, "name")
    name = _text_argument(arguments.get("name"), "name")
    skill = board.client.get(f"skills/{_segment(name)}")
    return pick(skill, ("name", "description", "roles", "error", "instructions"))


TOOLS: tuple[Tool, ...] = (
    Tool(
        "whoami",
        "This session (id, role, status) and its tasks with subtasks and latest entries.",
        arguments(),
        whoami,
    ),
    Tool(
        "task_list",
        "List tasks, most urgent first with ready=true (todo, unclaimed, dependencies met). "
        "Default: this session's project.",
        arguments(models.TaskQuery, omit=("cursor", "include")),
        task_list,
    ),
    Tool(
        "task_get",
        "A task with its subtasks and latest timeline entries.",
        arguments(extra={"taskId": TASK_ID}),
        task_get,
    ),
    Tool(
        "task_create",
        "Create a task, with subtasks and dependencies (ids of tasks that must finish first).",
        arguments(models.TaskCreate, omit=("blockedReason",)),
        task_create,
    ),
    Tool(
        "task_update",
        "Change a task's fields. force: move to in_progress/completed past unmet dependencies.",
        arguments(models.TaskUpdate, omit=("sessionId",), extra={"taskId": TASK_ID}),
        task_update,
    ),
    Tool(
        "task_complete",
        "Mark a task completed; message is kept on its timeline.",
        arguments(models.TaskComplete, omit=("sessionId",), extra={"taskId": TASK_ID}),
        task_complete,
    ),
    Tool(
        "task_block",
        "Mark a task blocked, saying why.",
        arguments(models.TaskBlock, omit=("sessionId",), extra={"taskId": TASK_ID}),
        task_block,
    ),
    Tool(
        "task_next",
        "The most urgent ready task (or taskId), claimed for this session (claim=false: only "
        "look). Null when none is ready.",
        arguments(
            models.ClaimRequest,
            omit=("sessionId",),
            extra={"claim": {"type": "boolean", "description": "default: true in a session"}},
        ),
        task_next,
    ),
    Tool(
        "task_log",
        "A task's timeline: who did what, when (latest last).",
        arguments(extra={"taskId": TASK_ID, "limit": {"type": "integer", "default": 20}}),
        task_log,
    ),
    Tool(
        "subtask_complete",
        "Tick a subtask (completed=false unticks it).",
        arguments(
            models.SubtaskUpdate,
            only=("completed",),
            extra={"subtaskId": ID, "taskId": TASK_ID},
            required=("subtaskId",),
        ),
        subtask_complete,
    ),
    Tool(
        "report",
        "Report on this session's tasks (or taskIds): progress; blocked (tasks blocked); "
        "needs_input (asks a person); complete (tasks completed); error.",
        arguments(models.SessionReport),
        report,
    ),
    Tool(
        "session_spawn",
        "Start an agent session in a new terminal for tasks (none: it claims its own work).",
        arguments(models.SpawnRequest, omit=("parentSessionId", "spawnSource", "cols", "rows")),
        session_spawn,
    ),
    Tool(
        "session_wait",
        "Wait until sessions have ended, one needs input, or either (any); answers their status. "
        f"Default: the sessions this one spawned; timeout {WAIT_DEFAULT_SECONDS:g} s.",
        arguments(
            extra={
                "sessionIds": {"type": "array", "items": ID},
                "until": {"type": "string", "enum": list(WAIT_UNTIL), "default": "ended"},
                "timeout": {"type": "number"},
            }
        ),
        session_wait,
    ),
    Tool(
        "session_send",
        "Type text into a session's terminal, then Enter unless submit=false.",
        arguments(models.SessionInput, extra={"sessionId": ID}, required=("sessionId",)),
        session_send,
    ),
    Tool(
        "skill_show",
        "A skill's instructions.",
        arguments(extra={"name": {"type": "string"}}, required=("name",)),
        skill_show,
    ),
)

TOOLS_BY_NAME = {tool.name: tool for tool in TOOLS}
