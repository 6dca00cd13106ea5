"""Live ipywidgets views of Maestro: `TaskBoard` (a kanban of tasks) and `SessionMonitor`.

Each view loads its state over REST, then follows the events WebSocket as a task on the kernel's
event loop (see `event_stream`), so it updates while cells run and never blocks them. The state
is readable from Python (`board.columns`, `monitor.statuses`), `await view.wait_for(...)` waits
for a condition, and `close()` closes the socket. Needs the `widgets` extra (ipywidgets).
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import Callable, Iterable, Mapping
from typing import Any

try:
    import ipywidgets as widgets
except ImportError as error:  # pragma: no cover - the `widgets` extra is missing
    raise ImportError(
        "Maestro's widgets need ipywidgets: pip install 'maestro-jupyter[widgets]'"
    ) from error

from .display import (
    GREEN,
    GREY,
    ORANGE,
    RED,
    STATUS_COLORS,
    code,
    dot,
    priority_badge,
    progress_bar,
    status_badge,
)
from .errors import MaestroError
from .event_stream import Event, EventStream
from .notebook import Maestro
from .vocabulary import (
    ACTIVE_SESSION_STATUSES,
    PRIORITIES,
    PRIORITY_RANK,
    TASK_STATUS_TITLES,
    TASK_STATUSES,
)

__all__ = ["TaskBoard", "SessionMonitor", "TaskCard"]

# The board's columns: every task status, in the order work moves through them.
COLUMNS = TASK_STATUSES


def _newer(incoming: Mapping[str, Any], current: Mapping[str, Any] | None) -> bool:
    """Whether an event's copy of a row is at least as new as the one held (events may replay)."""
    return current is None or incoming.get("version", 0) >= current.get("version", 0)


class LiveView(widgets.VBox):
    """What both views share: the connection, the event stream, waiting, closing."""

    def __init__(self, maestro: Maestro | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.maestro = maestro or Maestro()
        self.last_error: str | None = None
        self.status_line = widgets.HTML()
        self._changed = asyncio.Event()
        since = self.maestro.status()["lastSeq"]
        self.reload()
        # Events after `since` that the reload already saw replay harmlessly (row versions).
        self.stream = EventStream(
            self.maestro.server,
            self._on_event,
            since=since,
            on_resync=self.reload,
            on_state=self._notify,
        )
        self.stream.start()
        self._show_state()

    # -- to implement --
    def reload(self) -> None:
        """Load the whole state over REST and redraw."""
        raise NotImplementedError

    def apply(self, event: str, data: Mapping[str, Any]) -> None:
        """Apply one event to the state and redraw what it changed."""
        raise NotImplementedError

    # -- shared --
    @property
    def live(self) -> bool:
        """Whether the events socket is connected."""
        return self.stream.connected

    def refresh(self) -> None:
        """Reload everything over REST (live views do not need it)."""
        self.reload()
        self._notify()

    async def wait_for(self, predicate: Callable[[Any], bool], timeout: float = 30.0) -> None:
        """Wait (without blocking the kernel) until `predicate(view)` holds after an update.

        `await board.wait_for(lambda b: task.id in b.columns["completed"])`. Raises
        TimeoutError after `timeout` seconds.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate(self):
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"the condition did not hold within {timeout} s")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except asyncio.TimeoutError:
                raise TimeoutError(f"the condition did not hold within {timeout} s") from None

    def close(self) -> None:
        """Close the events socket and the widget."""
        stream = getattr(self, "stream", None)
        if stream is not None:
            stream.close()
        super().close()

    def _on_event(self, envelope: Event) -> None:
        self.apply(envelope["event"], envelope.get("data") or {})
        self._notify()

    def _notify(self) -> None:
        self._changed.set()
        self._show_state()

    def _show_state(self) -> None:
        stream = getattr(self, "stream", None)
        if stream is None:
            state = "loading"
        elif stream.connected:
            state = f"{dot(GREEN)} live (event {stream.seq})"
        elif stream.running:
            state = f"{dot(ORANGE)} reconnecting&hellip;"
        else:
            state = f"{dot(GREY)} not live"
        problem = self.last_error or (stream.error if stream is not None else None)
        if problem:
            state += f" &middot; <span style='color:{RED}'>{html.escape(problem)}</span>"
        self.status_line.value = f"<small>{state}</small>"

    def _run_action(self, action: Callable[[], Any]) -> Callable[[Any], None]:
        """A button handler: errors show in the status line instead of vanishing into a log."""

        def handler(_button: Any) -> None:
            try:
                action()
            except (MaestroError, ValueError) as error:
                self.last_error = getattr(error, "message", None) or str(error)
            else:
                self.last_error = None
            self._show_state()

        return handler


class TaskCard(widgets.VBox):
    """One task on the board: title, priority, subtask progress, sessions, and its actions."""

    def __init__(self, board: TaskBoard, task_id: str) -> None:
        self.task_id = task_id
        self.summary = widgets.HTML()
        self.input = widgets.Text(
            placeholder="block reason / subtask title", layout=widgets.Layout(width="auto")
        )
        small = widgets.Layout(width="auto", padding="0 4px")
        self.complete_button = widgets.Button(description="Complete", layout=small)
        self.block_button = widgets.Button(description="Block", layout=small)
        self.subtask_button = widgets.Button(description="+ Subtask", layout=small)
        self.spawn_button = widgets.Button(description="Spawn", layout=small)
        self.complete_button.on_click(board._run_action(lambda: board.complete(task_id)))
        self.block_button.on_click(
            board._run_action(lambda: board.block(task_id, self._take_input("a block reason")))
        )
        self.subtask_button.on_click(
            board._run_action(lambda: board.add_subtask(task_id, self._take_input("a title")))
        )
        self.spawn_button.on_click(board._run_action(lambda: board.spawn(task_id)))
        buttons = widgets.HBox(
            [self.complete_button, self.block_button, self.subtask_button, self.spawn_button],
            layout=widgets.Layout(flex_flow="row wrap"),
        )
        super().__init__(
            [self.summary, self.input, buttons],
            layout=widgets.Layout(border="1px solid #d1d5db", padding="4px", margin="2px 0"),
            _dom_classes=("maestro-board-card",),
        )

    def _take_input(self, what: str) -> str:
        text = self.input.value.strip()
        if not text:
            raise ValueError(f"type {what} in the card's text box first")
        self.input.value = ""
        return text

    def show(
        self, task: Mapping[str, Any], sessions: Iterable[Mapping[str, Any]], note: str | None
    ) -> None:
        priority = task.get("priority", "medium")
        lines = [
            f"<b>{html.escape(task['title'])}</b>",
            f"{priority_badge(priority)} {code(task['id'], size='0.8em')}",
        ]
        if task.get("status") == "blocked" and task.get("blockedReason"):
            lines.append(f"<i>blocked: {html.escape(task['blockedReason'])}</i>")
        subtasks = task.get("subtasks") or []
        if subtasks:
            done = sum(1 for s in subtasks if s.get("completed"))
            lines.append(progress_bar(done, len(subtasks)))
        for session in sessions:
            status = session.get("status", "")
            lines.append(
                f"<small>{html.escape(session.get('name') or session['id'])} "
                f"{status_badge(status)}</small>"
            )
        if note:
            lines.append(f"<small style='color:{GREY}'>{html.escape(note)}</small>")
        self.summary.value = "<div style='line-height:1.4'>" + "<br>".join(lines) + "</div>"
        ended = task.get("status") in ("completed", "cancelled")
        self.complete_button.disabled = ended
        self.block_button.disabled = ended or task.get("status") == "blocked"


class TaskBoard(LiveView):
    """A live kanban of tasks by status.

    `board.columns["todo"]` lists the task ids in that column (most urgent first);
    `board.tasks` holds each task's latest JSON (with its subtasks) and `board.card(id)` its card.
    `project` limits the board to one project; `agent` and `role` are used by Spawn.
    """

    def __init__(
        self,
        maestro: Maestro | None = None,
        *,
        project: str | None = None,
        agent: str | None = None,
        role: str = "worker",
    ) -> None:
        self.project = project
        self.agent = agent
        self.role = role
        self.tasks: dict[str, dict[str, Any]] = {}
        self.sessions: dict[str, dict[str, Any]] = {}
        self.notes: dict[str, str] = {}
        self._cards: dict[str, TaskCard] = {}
        self._column_boxes = {status: widgets.VBox() for status in COLUMNS}
        self._column_titles = {status: widgets.HTML() for status in COLUMNS}
        self.title_input = widgets.Text(
            placeholder="New task title", layout=widgets.Layout(width="320px")
        )
        self.priority_input = widgets.Dropdown(
            options=PRIORITIES, value="medium", layout=widgets.Layout(width="110px")
        )
        self.create_button = widgets.Button(description="Create task", button_style="primary")
        columns = widgets.HBox(
            [
                widgets.VBox(
                    [self._column_titles[status], self._column_boxes[status]],
                    layout=widgets.Layout(flex="1 1 0", min_width="160px", margin="0 3px"),
                    # Classes name the parts of the page for styling and for browser tests.
                    _dom_classes=("maestro-board-column", f"maestro-board-{status}"),
                )
                for status in COLUMNS
            ]
        )
        toolbar = widgets.HBox([self.title_input, self.priority_input, self.create_button])
        super().__init__(maestro)
        self.create_button.on_click(self._run_action(self._create_from_toolbar))
        self.children = (toolbar, columns, self.status_line)

    # -- state --
    @property
    def columns(self) -> dict[str, list[str]]:
        """Task ids by status, each column most urgent first, then oldest first."""
        columns: dict[str, list[str]] = {status: [] for status in COLUMNS}
        ordered = sorted(
            self.tasks.values(),
            key=lambda t: (PRIORITY_RANK.get(t.get("priority"), 9), t.get("createdAt", "")),
        )
        for task in ordered:
            columns.setdefault(task["status"], []).append(task["id"])
        return columns

    def card(self, task_id: str) -> TaskCard:
        return self._cards[task_id]

    def sessions_of(self, task_id: str) -> list[dict[str, Any]]:
        return [s for s in self.sessions.values() if task_id in s.get("taskIds", [])]

    # -- actions (also behind the buttons) --
    def create(self, title: str, *, priority: str = "medium", **fields: Any) -> str:
        """Create a task; answers its id. Fields as for `Maestro.tasks.create`."""
        task = self.maestro.tasks.create(title, priority=priority, project=self.project, **fields)
        self._put_task(task.to_dict())
        return task.id

    def complete(self, task_id: str) -> None:
        self._put_task(self.maestro.client.complete_task(task_id))

    def block(self, task_id: str, reason: str) -> None:
        self._put_task(self.maestro.client.block_task(task_id, reason))

    def add_subtask(self, task_id: str, title: str) -> None:
        self._put_subtask(self.maestro.client.create_subtask(task_id, title))

    def spawn(self, task_id: str) -> str:
        """Spawn a session for the task (the Lab opens its terminal); answers the session id."""
        session = self.maestro.sessions.spawn(task_id, role=self.role, agent=self.agent)
        self._put_session(session.to_dict())
        return session.id

    def _create_from_toolbar(self) -> None:
        title = self.title_input.value.strip()
        if not title:
            raise ValueError("type a title for the new task first")
        self.create(title, priority=self.priority_input.value)
        self.title_input.value = ""

    # -- loading and events --
    def reload(self) -> None:
        client = self.maestro.client
        tasks = client.list_tasks(project_id=self.project, include_subtasks=True)
        self.tasks = {task["id"]: task for task in tasks}
        self.sessions = {s["id"]: s for s in client.list_sessions()}
        self._draw(set(self.tasks))

    def apply(self, event: str, data: Mapping[str, Any]) -> None:
        kind, _, action = event.partition(":")
        if kind == "task":
            if action == "deleted":
                self.tasks.pop(data.get("id", ""), None)
                self._draw(set())
            else:
                self._put_task(data)
        elif kind == "subtask":
            if action == "deleted":
                self._drop_subtask(data)
            else:
                self._put_subtask(data)
        elif kind == "session":
            if action == "deleted":
                gone = self.sessions.pop(data.get("id", ""), None) or {}
                self._draw(set(gone.get("taskIds", [])))
            elif action in ("created", "updated"):
                self._put_session(data)
        elif kind == "timeline":
            self._put_note(data)

    def _put_note(self, entry: Mapping[str, Any]) -> None:
        """The latest report on a task shows on its card (a status change shows as its column)."""
        task_id = entry.get("taskId", "")
        if task_id in self.tasks and entry.get("kind") != "status":
            self.notes[task_id] = f"{entry.get('kind')}: {entry.get('message')}"
            self._draw({task_id})

    def _put_task(self, data: Mapping[str, Any]) -> None:
        if self.project and data.get("projectId") != self.project:
            return
        current = self.tasks.get(data["id"])
        if not _newer(data, current):
            return
        task = dict(data)
        if "subtasks" not in task:
            task["subtasks"] = (current or {}).get("subtasks", [])
        self.tasks[task["id"]] = task
        self._draw({task["id"]})

    def _put_subtask(self, data: Mapping[str, Any]) -> None:
        task = self.tasks.get(data.get("taskId", ""))
        if task is None:
            return
        subtasks = task.setdefault("subtasks", [])
        for index, subtask in enumerate(subtasks):
            if subtask["id"] == data["id"]:
                if _newer(data, subtask):
                    subtasks[index] = dict(data)
                break
        else:
            subtasks.append(dict(data))
        subtasks.sort(key=lambda s: (s.get("position", 0), s.get("createdAt", "")))
        self._draw({task["id"]})

    def _drop_subtask(self, data: Mapping[str, Any]) -> None:
        task = self.tasks.get(data.get("taskId", ""))
        if task is not None:
            task["subtasks"] = [s for s in task.get("subtasks", []) if s["id"] != data.get("id")]
            self._draw({task["id"]})

    def _put_session(self, data: Mapping[str, Any]) -> None:
        current = self.sessions.get(data["id"])
        if _newer(data, current):
            self.sessions[data["id"]] = dict(data)
            self._draw(set(data.get("taskIds", [])))

    # -- drawing --
    def _draw(self, changed: set[str]) -> None:
        """Redraw the cards of `changed` tasks and put every card in its column."""
        for task_id in list(self._cards):
            if task_id not in self.tasks:
                self._cards.pop(task_id).close()
        for task_id in changed & set(self.tasks):
            card = self._cards.get(task_id)
            if card is None:
                card = self._cards[task_id] = TaskCard(self, task_id)
            card.show(self.tasks[task_id], self.sessions_of(task_id), self.notes.get(task_id))
        for status, ids in self.columns.items():
            if status not in self._column_boxes:
                continue
            cards = tuple(self._cards[task_id] for task_id in ids)
            if self._column_boxes[status].children != cards:
                self._column_boxes[status].children = cards
            color = STATUS_COLORS.get(status, GREY)
            self._column_titles[status].value = (
                f"<b style='color:{color}'>{TASK_STATUS_TITLES[status]}</b> "
                f"<small>({len(ids)})</small>"
            )


class SessionMonitor(LiveView):
    """A live table of agent sessions: `monitor.statuses` maps session id to status.

    `task` limits it to the sessions of one task; `active_only` hides ended sessions. The Stop
    button stops the session picked beside it (`monitor.stop(session_id)` from Python).
    """

    def __init__(
        self,
        maestro: Maestro | None = None,
        *,
        task: Any = None,
        active_only: bool = False,
    ) -> None:
        self.task_id = getattr(task, "id", task)
        self.active_only = active_only
        self.sessions: dict[str, dict[str, Any]] = {}
        self.table = widgets.HTML()
        self.stop_picker = widgets.Dropdown(description="Session", options=[])
        self.stop_button = widgets.Button(description="Stop", button_style="danger")
        super().__init__(maestro)
        self.stop_button.on_click(self._run_action(self._stop_picked))
        controls = widgets.HBox([self.stop_picker, self.stop_button])
        self.children = (self.table, controls, self.status_line)

    @property
    def statuses(self) -> dict[str, str]:
        return {session_id: s["status"] for session_id, s in self.sessions.items()}

    def stop(self, session_id: str) -> None:
        self._put(self.maestro.client.stop_session(session_id))

    def _stop_picked(self) -> None:
        if not self.stop_picker.value:
            raise ValueError("no running session to stop")
        self.stop(self.stop_picker.value)

    def reload(self) -> None:
        sessions = self.maestro.client.list_sessions(task_id=self.task_id)
        self.sessions = {}
        for session in sessions:
            self._put(session, draw=False)
        self._draw()

    def apply(self, event: str, data: Mapping[str, Any]) -> None:
        kind, _, action = event.partition(":")
        if kind != "session":
            return
        if action == "deleted":
            self.sessions.pop(data.get("id", ""), None)
            self._draw()
        elif action in ("created", "updated"):
            self._put(data)

    def _put(self, data: Mapping[str, Any], draw: bool = True) -> None:
        if self.task_id and self.task_id not in data.get("taskIds", []):
            return
        if self.active_only and data.get("status") not in ACTIVE_SESSION_STATUSES:
            self.sessions.pop(data["id"], None)
        elif _newer(data, self.sessions.get(data["id"])):
            self.sessions[data["id"]] = dict(data)
        if draw:
            self._draw()

    def _draw(self) -> None:
        active = [
            (f"{s.get('name') or s['id']} ({s['status']})", s["id"])
            for s in self.sessions.values()
            if s.get("status") in ACTIVE_SESSION_STATUSES
        ]
        if list(self.stop_picker.options) != active:
            self.stop_picker.options = active
        self.stop_button.disabled = not active
        if not self.sessions:
            self.table.value = "<i>No sessions yet.</i>"
            return
        rows = []
        for session in sorted(self.sessions.values(), key=lambda s: s.get("createdAt", "")):
            status = session.get("status", "")
            exit_code = session.get("exitCode")
            cells = [
                html.escape(session.get("name") or ""),
                status_badge(status)
                + ("" if exit_code is None else f" <small>exit {exit_code}</small>"),
                html.escape(session.get("agent") or ""),
                html.escape(session.get("role") or ""),
                ", ".join(code(t) for t in session.get("taskIds", [])),
                html.escape(session.get("startedAt") or ""),
                code(session["id"]),
            ]
            rows.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
        head = "".join(
            f"<th style='text-align:left'>{name}</th>"
            for name in ("Session", "Status", "Agent", "Role", "Tasks", "Started", "Id")
        )
        body = "".join(rows)
        self.table.value = f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
