"""Maestro from a notebook: `Maestro()` finds the server and hands out typed objects.

Built on `maestro_jupyter.client` (same discovery, retries and typed errors as the CLI). Objects
wrap the server's JSON: `task.title`, `task.subtask_count`... read the camelCase fields in
snake_case, and each has a readable `_repr_html_`. Errors are those of `maestro_jupyter.errors`
(re-exported here), carrying the server's error code (`error.code`), message and details.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar, Generic, TypeVar

from .client import MaestroClient, find_server, kernel_server
from .client.config import DEFAULT_RETRIES, DEFAULT_TIMEOUT
from .client.waits import wait_for_sessions
from .display import code, made_by, priority_badge, status_badge
from .errors import (
    BadRequest,
    Claimed,
    Conflict,
    ConnectionFailed,
    DependenciesUnmet,
    Forbidden,
    MaestroError,
    NotFound,
    ServerError,
    ServerNotFound,
    SessionEnded,
    StorageFull,
    StoreBusy,
    StoreUnavailable,
    TooLarge,
    Unauthorized,
    ValidationFailed,
    VersionMismatch,
)
from .vocabulary import ENDED_SESSION_STATUSES

__all__ = [
    "Maestro",
    "Project",
    "Task",
    "Subtask",
    "Session",
    "TimelineEntry",
    "find_server",
    "kernel_server",
    # Maestro's errors (maestro_jupyter.errors), re-exported so a notebook needs one import
    "MaestroError",
    "ServerNotFound",
    "ConnectionFailed",
    "BadRequest",
    "Unauthorized",
    "Forbidden",
    "NotFound",
    "Conflict",
    "Claimed",
    "DependenciesUnmet",
    "SessionEnded",
    "VersionMismatch",
    "TooLarge",
    "ValidationFailed",
    "ServerError",
    "StoreBusy",
    "StoreUnavailable",
    "StorageFull",
]


# --- objects ------------------------------------------------------------------------------------


def snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def camel_case(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def wire_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Python keyword arguments (snake_case) as the API's camelCase body."""
    return {camel_case(key): value for key, value in fields.items()}


def identifier(value: Any) -> str:
    """The id of a Task/Session/Subtask object, or the string itself."""
    if isinstance(value, Resource):
        return value.id
    if isinstance(value, str):
        return value
    raise TypeError(f"expected an id or a Maestro object, got {type(value).__name__}")


class Resource:
    """A server object: its JSON fields as snake_case attributes (`task.created_at`)."""

    columns: ClassVar[tuple[str, ...]] = ("id",)

    def __init__(self, maestro: Maestro, data: Mapping[str, Any]) -> None:
        self._maestro = maestro
        self._data = dict(data)

    def __getattr__(self, name: str) -> Any:
        data = self.__dict__.get("_data", {})
        for key in (camel_case(name), name):
            if key in data:
                return data[key]
        raise AttributeError(f"{type(self).__name__} has no field {name!r}")

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | {snake_case(key) for key in self._data})

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.id == self.id  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.id))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.id}>"

    def to_dict(self) -> dict[str, Any]:
        """The fields as the server sent them (camelCase)."""
        return dict(self._data)

    def row(self) -> dict[str, Any]:
        """The fields with snake_case names, for tables and DataFrames."""
        return {snake_case(key): value for key, value in self._data.items()}

    def _set(self, data: Mapping[str, Any]) -> None:
        self._data = dict(data)

    def _cell(self, column: str) -> str:
        value = getattr(self, column, None)
        if isinstance(value, list):
            value = ", ".join(map(str, value))
        if column == "status" and value:
            return status_badge(str(value))
        if column == "priority" and value:
            return priority_badge(str(value))
        return "" if value is None else html.escape(str(value))


class Subtask(Resource):
    columns = ("id", "title", "completed")

    def __repr__(self) -> str:
        mark = "x" if self.completed else " "
        return f"<Subtask {self.id} [{mark}] {self.title!r}>"

    def complete(self) -> Subtask:
        return self.update(completed=True)

    def reopen(self) -> Subtask:
        return self.update(completed=False)

    def update(self, **fields: Any) -> Subtask:
        """Change the named fields (title, description, completed, position)."""
        client = self._maestro.client
        self._set(client.update_subtask(self.task_id, self.id, wire_fields(fields)))
        return self

    def delete(self) -> None:
        self._maestro.client.delete_subtask(self.task_id, self.id)

    def _repr_html_(self) -> str:
        mark = "&#9745;" if self.completed else "&#9744;"
        return f"{mark} {html.escape(self.title)} {code(self.id)}"


class Subtasks(Sequence[Subtask]):
    """A task's subtasks, in order: a list that can also add, complete, update and delete."""

    def __init__(self, task: Task, items: Iterable[Mapping[str, Any]]) -> None:
        self._task = task
        self._items = [Subtask(task._maestro, item) for item in items]

    def __getitem__(self, index: int) -> Subtask:  # type: ignore[override]
        return self._items[index]

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return repr(self._items)

    @property
    def done(self) -> int:
        return sum(1 for item in self._items if item.completed)

    def find(self, subtask: Subtask | str | int) -> Subtask:
        """A subtask by object, id, position in this list, or exact title."""
        if isinstance(subtask, int):
            return self._items[subtask]
        if isinstance(subtask, Subtask):
            return subtask
        for item in self._items:
            if subtask in (item.id, item.title):
                return item
        raise NotFound(f"task {self._task.id} has no subtask {subtask!r}")

    def add(
        self, title: str | Sequence[str | Mapping[str, Any]], *, description: str = ""
    ) -> Subtask | list[Subtask]:
        """Add one subtask (a title) or several in one request (a list of titles or dicts)."""
        client = self._task._maestro.client
        if isinstance(title, str):
            created = [client.create_subtask(self._task.id, title, description=description)]
        else:
            items = [{"title": item} if isinstance(item, str) else dict(item) for item in title]
            created = client.create_subtasks(self._task.id, items)
        added = [Subtask(self._task._maestro, item) for item in created]
        self._items.extend(added)
        return added[0] if isinstance(title, str) else added

    def complete(self, subtask: Subtask | str | int) -> Subtask:
        return self.find(subtask).complete()

    def reopen(self, subtask: Subtask | str | int) -> Subtask:
        return self.find(subtask).reopen()

    def update(self, subtask: Subtask | str | int, **fields: Any) -> Subtask:
        return self.find(subtask).update(**fields)

    def delete(self, subtask: Subtask | str | int) -> None:
        item = self.find(subtask)
        item.delete()
        self._items = [other for other in self._items if other.id != item.id]

    def refresh(self) -> Subtasks:
        client = self._task._maestro.client
        self._items = [Subtask(self._task._maestro, i) for i in client.list_subtasks(self._task.id)]
        return self

    def _repr_html_(self) -> str:
        rows = "".join(f"<li style='list-style:none'>{s._repr_html_()}</li>" for s in self._items)
        return f"<ul style='padding-left:0.5em;margin:0'>{rows}</ul>"


class Project(Resource):
    columns = ("id", "name", "working_dir", "description")

    def __repr__(self) -> str:
        return f"<Project {self.id} {self.name!r}>"

    def refresh(self) -> Project:
        self._set(self._maestro.client.get_project(self.id))
        return self

    def tasks(self, **filters: Any) -> ResourceList[Task]:
        """This project's tasks; the filters of `Maestro.tasks.list`."""
        return self._maestro.tasks.list(project=self.id, **filters)

    def _repr_html_(self) -> str:
        folder = f" in {code(self.working_dir)}" if self._data.get("workingDir") else ""
        return f"<b>{html.escape(self.name)}</b> {code(self.id)}{folder}"


class Task(Resource):
    columns = (
        "id", "title", "status", "priority", "subtasks_done", "claimed_by", "parent_id", "labels",
        "updated_by",
    )  # fmt: skip

    def __init__(self, maestro: Maestro, data: Mapping[str, Any]) -> None:
        super().__init__(maestro, data)
        self._subtasks: Subtasks | None = None

    def __repr__(self) -> str:
        made = "".join(
            f" {name}={self._data[key]}"
            for name, key in (("created_by", "createdBy"), ("updated_by", "updatedBy"))
            if self._data.get(key)
        )
        return f"<Task {self.id} {self.status} {self.priority} {self.title!r}{made}>"

    def _set(self, data: Mapping[str, Any]) -> None:
        super()._set(data)
        self._subtasks = None

    def row(self) -> dict[str, Any]:
        """The fields for a table: subtasks are summed up by subtask_count/subtasks_completed."""
        row = super().row()
        row.pop("subtasks", None)
        return row

    @property
    def subtasks(self) -> Subtasks:
        """The subtasks (fetched on first use when the server did not embed them)."""
        if self._subtasks is None:
            embedded = self._data.get("subtasks")
            if embedded is None:
                embedded = self._maestro.client.list_subtasks(self.id)
            self._subtasks = Subtasks(self, embedded)
        return self._subtasks

    @property
    def subtasks_done(self) -> str:
        return f"{self._data.get('subtasksCompleted', 0)}/{self._data.get('subtaskCount', 0)}"

    def refresh(self) -> Task:
        """Reload the task and its subtasks from the server."""
        self._set(self._maestro.client.get_task(self.id, include_subtasks=True))
        return self

    def update(self, *, force: bool = False, **fields: Any) -> Task:
        """Change the named fields (title, description, status, priority, labels...); see
        `Maestro.tasks.update`."""
        self._set(self._maestro.tasks.update(self, force=force, **fields).to_dict())
        return self

    def complete(self, message: str | None = None, *, force: bool = False) -> Task:
        self._set(self._maestro.tasks.complete(self, message, force=force).to_dict())
        return self

    def claim(self, session: Session | str, *, force: bool = False) -> Task:
        """Take this task for `session`; see `Maestro.tasks.claim`."""
        self._set(self._maestro.tasks.claim(self, session=session, force=force).to_dict())
        return self

    def release(self, session: Session | str | None = None) -> Task:
        """Give the claim back; see `Maestro.tasks.release`."""
        self._set(self._maestro.tasks.release(self, session=session).to_dict())
        return self

    def block(self, reason: str) -> Task:
        self._set(self._maestro.client.block_task(self.id, reason))
        return self

    def delete(self, *, recursive: bool = False) -> None:
        self._maestro.client.delete_task(self.id, recursive=recursive)

    def children(self) -> ResourceList[Task]:
        items = self._maestro.client.task_children(self.id)
        return ResourceList(Task(self._maestro, item) for item in items)

    def log(self) -> ResourceList[TimelineEntry]:
        """The task's timeline, oldest first: who (`actor`), when (`at`), `kind`, `message`."""
        return self._maestro.timeline(self)

    def sessions(self) -> ResourceList[Session]:
        return self._maestro.sessions.list(task=self)

    def spawn(self, **options: Any) -> Session:
        """Spawn an agent session for this task; see `Maestro.sessions.spawn`."""
        return self._maestro.sessions.spawn(self, **options)

    def _repr_html_(self) -> str:
        status = status_badge(self.status)
        priority = priority_badge(self.priority)
        parts = [f"<b>{html.escape(self.title)}</b> {status} {priority} {code(self.id)}"]
        if self._data.get("blockedReason"):
            parts.append(f"<i>blocked: {html.escape(self.blocked_reason)}</i>")
        if self._data.get("claimedBy"):
            parts.append(f"claimed by {code(self.claimed_by)}")
        if self._data.get("description"):
            parts.append(f"<div>{html.escape(self.description)}</div>")
        if self._data.get("subtaskCount"):
            parts.append(f"subtasks {self.subtasks_done}" + self.subtasks._repr_html_())
        if self._data.get("sessionIds"):
            parts.append("sessions: " + ", ".join(code(s) for s in self.session_ids))
        made = made_by(self._data.get("createdBy"), self._data.get("updatedBy"))
        if made:
            parts.append(f"<small>{made}</small>")
        return "<div style='line-height:1.5'>" + "<br>".join(parts) + "</div>"


class Session(Resource):
    columns = ("id", "name", "status", "agent", "role", "task_ids", "exit_code", "started_at")

    def __repr__(self) -> str:
        return f"<Session {self.id} {self.status} agent={self.agent}>"

    @property
    def ended(self) -> bool:
        return self.status in ENDED_SESSION_STATUSES

    def refresh(self) -> Session:
        self._set(self._maestro.client.get_session(self.id))
        return self

    def stop(self) -> Session:
        self._set(self._maestro.client.stop_session(self.id))
        return self

    def wait(self, *, until: str = "ended", timeout: float | None = 300.0) -> Session:
        """Block until the session ends (or `until` holds) or `timeout` seconds pass; see
        `Sessions.wait`."""
        self._maestro.sessions.wait([self], until=until, timeout=timeout)
        return self

    def send(self, text: str, *, submit: bool = True) -> Session:
        """Type `text` into its terminal (then Enter); see `Sessions.send`."""
        self._set(self._maestro.sessions.send(self, text, submit=submit).to_dict())
        return self

    def assign(self, tasks: Task | str | Iterable[Task | str]) -> Session:
        self._set(self._maestro.sessions.assign(self, tasks).to_dict())
        return self

    def unassign(self, tasks: Task | str | Iterable[Task | str]) -> Session:
        self._set(self._maestro.sessions.unassign(self, tasks).to_dict())
        return self

    def log(self) -> ResourceList[TimelineEntry]:
        """The entries this session wrote, across its tasks, oldest first."""
        return self._maestro.sessions.log(self)

    def _repr_html_(self) -> str:
        status = status_badge(self.status)
        tasks = ", ".join(code(t) for t in self.task_ids) or "none yet"
        exit_code = "" if self.exit_code is None else f" exit code {self.exit_code}"
        owner = self._data.get("owner") or {}
        runs = f" on {html.escape(owner['user'])}'s server" if owner.get("user") else ""
        made = made_by(self._data.get("createdBy"), None)
        return (
            f"<b>{html.escape(self.name)}</b> {status} {code(self.id)} agent "
            f"{code(self.agent)} ({html.escape(self.role)}){exit_code}{runs}<br>tasks: {tasks}"
            + (f"<br><small>{made}</small>" if made else "")
        )


class TimelineEntry(Resource):
    columns = ("at", "task_id", "actor", "kind", "message")

    @property
    def who(self) -> str:
        """Who wrote it: its actor (a user name or a session id), else its session, else ""."""
        return self._data.get("actor") or self._data.get("sessionId") or ""

    def __repr__(self) -> str:
        who = f" {self.who}" if self.who else ""
        return f"<TimelineEntry {self.at}{who} {self.kind}: {self.message!r}>"

    def _repr_html_(self) -> str:
        return (
            f"{html.escape(self.at)} {html.escape(self.who)} <b>{html.escape(self.kind)}</b> "
            f"{html.escape(self.message)}"
        )


R = TypeVar("R", bound=Resource)


class ResourceList(list[R], Generic[R]):
    """A list of objects that shows as a table and converts to a DataFrame."""

    def to_dataframe(self) -> Any:
        return to_dataframe(self)

    def ids(self) -> list[str]:
        return [item.id for item in self]

    def _repr_html_(self) -> str:
        if not self:
            return "<i>(none)</i>"
        columns = type(self[0]).columns
        head = "".join(f"<th style='text-align:left'>{c}</th>" for c in columns)
        rows = "".join(
            "<tr>"
            + "".join(f"<td style='text-align:left'>{item._cell(c)}</td>" for c in columns)
            + "</tr>"
            for item in self
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def to_dataframe(items: Iterable[Resource | Mapping[str, Any]]) -> Any:
    """A pandas DataFrame of objects (or API dicts), snake_case columns, indexed by id."""
    try:
        import pandas as pd
    except ImportError:
        raise ImportError(
            "to_dataframe needs pandas: pip install 'maestro-jupyter[pandas]'"
        ) from None
    rows = [
        item.row() if isinstance(item, Resource) else {snake_case(k): v for k, v in item.items()}
        for item in items
    ]
    frame = pd.DataFrame(rows)
    if "id" in frame.columns:
        frame = frame.set_index("id")
    return frame


# --- collections --------------------------------------------------------------------------------


class Tasks:
    """`m.tasks`: create, list, get, update, complete, block and delete tasks; claim, release
    and take the next ready one for a session."""

    def __init__(self, maestro: Maestro) -> None:
        self._maestro = maestro

    def _task(self, data: Mapping[str, Any]) -> Task:
        return Task(self._maestro, data)

    def create(
        self,
        title: str,
        *,
        description: str | None = None,
        priority: str | None = None,
        status: str | None = None,
        parent: Task | str | None = None,
        project: Project | str | None = None,
        labels: Sequence[str] | None = None,
        dependencies: Sequence[Task | str] | None = None,
        subtasks: Sequence[str | Mapping[str, Any]] | None = None,
    ) -> Task:
        """Create a task, with its subtasks (titles or dicts) in the same request."""
        fields = {
            "description": description,
            "priority": priority,
            "status": status,
            "parentId": identifier(parent) if parent is not None else None,
            "projectId": identifier(project) if project else self._maestro.project,
            "labels": list(labels) if labels is not None else None,
            "dependencies": [identifier(d) for d in dependencies] if dependencies else None,
            "subtasks": [{"title": s} if isinstance(s, str) else dict(s) for s in subtasks]
            if subtasks
            else None,
        }
        return self._task(self._maestro.client.create_task(title, **fields))

    def list(
        self,
        *,
        status: str | Sequence[str] | None = None,
        parent: Task | str | None = None,
        top_level: bool = False,
        q: str | None = None,
        project: Project | str | None = None,
        ready: bool = False,
        limit: int | None = None,
    ) -> ResourceList[Task]:
        """Tasks (with their subtasks), filtered by status, parent, text or project; `ready`
        keeps those a session could claim now (todo, unclaimed, dependencies completed or
        cancelled), most urgent first."""
        if isinstance(status, str):
            status = [status]
        parent_id = "null" if top_level else (identifier(parent) if parent else None)
        items = self._maestro.client.list_tasks(
            project_id=identifier(project) if project else self._maestro.project,
            status=list(status) if status else None,
            parent_id=parent_id,
            q=q,
            include_subtasks=True,
            ready=ready,
            limit=limit,
        )
        return ResourceList(self._task(item) for item in items)

    def get(self, task: Task | str) -> Task:
        return self._task(self._maestro.client.get_task(identifier(task), include_subtasks=True))

    def update(self, task: Task | str, *, force: bool = False, **fields: Any) -> Task:
        """Change the named fields. A move to in_progress or completed while a dependency is
        open raises DependenciesUnmet (`details["dependencies"]`) unless `force`."""
        client = self._maestro.client
        return self._task(client.update_task(identifier(task), wire_fields(fields), force=force))

    def complete(
        self, task: Task | str, message: str | None = None, *, force: bool = False
    ) -> Task:
        """Complete a task (DependenciesUnmet while a dependency is open, unless `force`)."""
        client = self._maestro.client
        return self._task(client.complete_task(identifier(task), message, force=force))

    def block(self, task: Task | str, reason: str) -> Task:
        return self._task(self._maestro.client.block_task(identifier(task), reason))

    def delete(self, task: Task | str, *, recursive: bool = False) -> None:
        self._maestro.client.delete_task(identifier(task), recursive=recursive)

    def claim(self, task: Task | str, *, session: Session | str, force: bool = False) -> Task:
        """Take `task` for `session`: in_progress, claimed by it, linked to it. Raises Claimed
        when another live session holds it (`details["claimedBy"]`), DependenciesUnmet while a
        dependency is open (unless `force`), SessionEnded for an ended session."""
        client = self._maestro.client
        claimed = client.claim_task(identifier(session), identifier(task), force=force)
        return self._task(claimed)

    def next(
        self, *, session: Session | str | None = None, project: Project | str | None = None
    ) -> Task | None:
        """The most urgent ready task, or None. With a `session` it is claimed for it,
        atomically: two sessions asking at once never get the same task."""
        project_id = identifier(project) if project else self._maestro.project
        client = self._maestro.client
        if session is None:
            ready = client.list_tasks(project_id=project_id, ready=True, limit=1)
            found = ready[0] if ready else None
        else:
            found = client.claim_task(identifier(session), project_id=project_id)
        return self._task(found) if found else None

    def release(self, task: Task | str, *, session: Session | str | None = None) -> Task:
        """Give a claimed task back (in_progress goes back to todo); with `session`, only if
        that session holds it."""
        session_id = identifier(session) if session is not None else None
        return self._task(
            self._maestro.client.release_task(identifier(task), session_id=session_id)
        )


class Sessions:
    """`m.sessions`: spawn or register agent sessions, message them, wait for them, stop them."""

    def __init__(self, maestro: Maestro) -> None:
        self._maestro = maestro

    def _session(self, data: Mapping[str, Any]) -> Session:
        return Session(self._maestro, data)

    def spawn(
        self,
        task: Task | str | Sequence[Task | str] = (),
        *,
        role: str | None = None,
        agent: str | None = None,
        name: str | None = None,
        prompt: str | None = None,
        skills: Sequence[str] | None = None,
        cwd: str | None = None,
        project: Project | str | None = None,
        parent_session: Session | str | None = None,
        force: bool = False,
    ) -> Session:
        """Start an agent in a new terminal for one or more tasks (the Lab opens it as a tab);
        with none, it claims its work from the project itself.

        `agent` names one of the server's `c.Maestro.agents`; None uses its default agent. The
        session claims its tasks: Claimed if a live session holds one, DependenciesUnmet while
        a dependency is open (unless `force`).
        """
        tasks = [task] if isinstance(task, (str, Resource)) else list(task)
        session = self._maestro.client.spawn_session(
            [identifier(t) for t in tasks],
            projectId=identifier(project) if project else self._maestro.project,
            role=role,
            agent=agent,
            name=name,
            prompt=prompt,
            skills=list(skills) if skills is not None else None,
            cwd=cwd,
            parentSessionId=identifier(parent_session) if parent_session else None,
            spawnSource="notebook",
            force=force or None,
        )
        return self._session(session)

    def register(
        self,
        tasks: Task | str | Iterable[Task | str] = (),
        *,
        name: str | None = None,
        role: str = "worker",
        agent: str | None = None,
        cwd: str | None = None,
        project: Project | str | None = None,
    ) -> Session:
        """Record an agent Maestro did not start (e.g. one in a Lab terminal), `running` from
        now on. Give it `MAESTRO_SESSION_ID=<session.id>` (and `MAESTRO_URL`, `MAESTRO_TOKEN`)
        so that its `maestro` commands act as this session. Linking tasks does not claim them."""
        return self._session(
            self._maestro.client.register_session(
                name=name,
                taskIds=_ids(tasks),
                projectId=identifier(project) if project else self._maestro.project,
                role=role,
                agent=agent,
                cwd=cwd or os.getcwd(),
                spawnSource="notebook",
            )
        )

    def list(
        self, *, status: str | None = None, task: Task | str | None = None
    ) -> ResourceList[Session]:
        items = self._maestro.client.list_sessions(
            status=status, task_id=identifier(task) if task is not None else None
        )
        return ResourceList(self._session(item) for item in items)

    def get(self, session: Session | str) -> Session:
        return self._session(self._maestro.client.get_session(identifier(session)))

    def stop(self, session: Session | str) -> Session:
        return self._session(self._maestro.client.stop_session(identifier(session)))

    def send(self, session: Session | str, text: str, *, submit: bool = True) -> Session:
        """Type `text` into the session's terminal, then Enter unless `submit=False`, as a
        person would: an agent such as Claude Code takes it as a prompt. Recorded as a `message`
        entry on its tasks; a session waiting for input is running again. Raises SessionEnded
        for an ended session, ValidationFailed for control characters other than newline and
        tab."""
        client = self._maestro.client
        return self._session(client.send_input(identifier(session), text, submit=submit))

    def assign(self, session: Session | str, tasks: Task | str | Iterable[Task | str]) -> Session:
        """Link tasks to a session (not claimed: the session claims what it takes on)."""
        return self._session(self._maestro.client.link_tasks(identifier(session), add=_ids(tasks)))

    def unassign(self, session: Session | str, tasks: Task | str | Iterable[Task | str]) -> Session:
        """Unlink tasks from a session; its claim on them is released."""
        client = self._maestro.client
        return self._session(client.link_tasks(identifier(session), remove=_ids(tasks)))

    def log(self, session: Session | str) -> ResourceList[TimelineEntry]:
        """The entries a session wrote, across its tasks, oldest first."""
        entries = self._maestro.client.session_timeline(identifier(session))
        return ResourceList(TimelineEntry(self._maestro, entry) for entry in entries)

    def wait(
        self,
        sessions: Session | str | Iterable[Session | str],
        *,
        until: str = "ended",
        timeout: float | None = 300.0,
    ) -> ResourceList[Session]:
        """Block until the sessions meet `until` or `timeout` seconds pass (None: no limit),
        following the server's event stream (no polling); answers them refreshed.

        until: "ended" (every one has ended: completed, failed or stopped), "needs-input" (one
        asks for input), "any" (one has ended or asks for input). It returns as soon as that
        holds (at once if it already does), or at the timeout: check `session.ended` /
        `session.status`. Session objects given are refreshed in place. Unknown ids raise
        NotFound naming them.
        """
        given = [sessions] if isinstance(sessions, (str, Resource)) else list(sessions)
        outcome = wait_for_sessions(self._maestro.client, _ids(given), until=until, timeout=timeout)
        latest = {state["id"]: state for state in outcome.sessions}
        waited = ResourceList[Session]()
        for item in given:
            session = item if isinstance(item, Session) else self._session({"id": item})
            session._set(latest[session.id])
            waited.append(session)
        return waited


class Projects:
    """`m.projects`: list, create and get projects, and `use` one for this `Maestro`."""

    def __init__(self, maestro: Maestro) -> None:
        self._maestro = maestro

    def _project(self, data: Mapping[str, Any]) -> Project:
        return Project(self._maestro, data)

    def list(self) -> ResourceList[Project]:
        return ResourceList(self._project(p) for p in self._maestro.client.list_projects())

    def get(self, project: Project | str) -> Project:
        return self._project(self._maestro.client.get_project(identifier(project)))

    def create(
        self, name: str, *, path: str | None = None, description: str | None = None
    ) -> Project:
        """Create a project; `path` is its working folder on the server's machine (e.g. a
        repository), where its sessions start."""
        working_dir = os.path.abspath(os.path.expanduser(path)) if path else None
        created = self._maestro.client.create_project(
            name, workingDir=working_dir, description=description
        )
        return self._project(created)

    def use(self, project: Project | str) -> Project:
        """Work in `project` from now on: `m.tasks.create/list/next` and `m.sessions.spawn`
        default to it (`m.project`)."""
        chosen = self.get(project)
        self._maestro.project = chosen.id
        return chosen


def _ids(items: Task | Session | str | Iterable[Task | Session | str]) -> list[str]:
    listed = [items] if isinstance(items, (str, Resource)) else list(items)
    return [identifier(item) for item in listed]


# --- the entry point ----------------------------------------------------------------------------


class Maestro:
    """A connection to a Maestro server, from a notebook.

    `Maestro()` finds the server (see `find_server`); `Maestro(url, token)` names it.
    `project` scopes task creation, listing, `tasks.next` and spawns to one project (default:
    all tasks, and new ones go to the server's default project); `projects.use` changes it.
    """

    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        *,
        project: str | None = None,
        retries: int = DEFAULT_RETRIES,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.server = find_server(url, token)
        self.client = MaestroClient(self.server, retries=retries, timeout=timeout)
        self.project = project
        self.tasks = Tasks(self)
        self.sessions = Sessions(self)
        self.projects = Projects(self)

    def __repr__(self) -> str:
        return f"<Maestro {self.server.url} ({self.server.source})>"

    @property
    def url(self) -> str:
        return self.server.url

    def status(self) -> dict[str, Any]:
        """The server's version, store and counts of tasks and sessions by status."""
        return self.client.status()

    def timeline(self, task: Task | str | Iterable[Task | str]) -> ResourceList[TimelineEntry]:
        """A task's timeline, or the timelines of several tasks merged in time order."""
        tasks = [task] if isinstance(task, (str, Resource)) else list(task)
        entries = [
            TimelineEntry(self, entry)
            for t in tasks
            for entry in self.client.list_timeline(identifier(t))
        ]
        entries.sort(key=lambda entry: entry.at)
        return ResourceList(entries)

    def to_dataframe(self, items: str | Iterable[Resource | Mapping[str, Any]] = "tasks") -> Any:
        """A pandas DataFrame of "tasks", "sessions", "projects", or any list of Maestro
        objects."""
        if items == "tasks":
            items = self.tasks.list()
        elif items == "sessions":
            items = self.sessions.list()
        elif items == "projects":
            items = self.projects.list()
        elif isinstance(items, str):
            raise ValueError(
                f"to_dataframe takes 'tasks', 'sessions', 'projects' or objects, not {items!r}"
            )
        return to_dataframe(items)

    def _repr_html_(self) -> str:
        source = html.escape(self.server.source)
        return f"Maestro at {code(self.server.url)} <small>found by {source}</small>"
