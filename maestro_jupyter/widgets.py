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
    from ipywidgets.widgets.widget_string import HTMLStyle, TextStyle
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
    made_by,
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


class BoardStyles:
    """Layouts and styles shared by every card of a board: one widget model each, not one per
    card (a widget's layout and style are models of their own)."""

    def __init__(self) -> None:
        self.card = widgets.Layout(border="1px solid #d1d5db", padding="4px", margin="2px 0")
        self.summary = widgets.Layout(width="auto")
        self.html = HTMLStyle()
        self.small = widgets.Layout(width="auto", padding="0 4px")
        self.toggle = widgets.Layout(width="auto", height="22px", padding="0 6px")
        self.button = widgets.ButtonStyle()
        self.row = widgets.Layout(flex_flow="row wrap")
        self.text = widgets.Layout(width="auto")
        self.text_style = TextStyle()

    def close(self) -> None:
        for model in vars(self).values():
            model.close()


class TaskCard(widgets.VBox):
    """One task on the board: its title, priority, subtask progress, sessions and latest note,
    and an Actions button that opens its controls (complete, block, add a subtask, spawn).

    Three widgets until the controls are first opened (or used from Python): a board of many
    cards stays a few hundred widget models.
    """

    def __init__(self, board: TaskBoard, task_id: str) -> None:
        self.task_id = task_id
        self._board = board
        self._task: Mapping[str, Any] = {}
        self._controls: tuple[widgets.Text, widgets.Button, ...] | None = None
        styles = board.styles
        self.summary = widgets.HTML(layout=styles.summary, style=styles.html)
        self.actions_button = widgets.Button(
            description="Actions",
            tooltip="Complete, block, add a subtask, spawn an agent",
            layout=styles.toggle,
            style=styles.button,
        )
        self.actions_button.on_click(lambda _button: self.show_actions(not self.actions_shown))
        super().__init__(
            [self.summary, self.actions_button],
            layout=styles.card,
            _dom_classes=("maestro-board-card",),
        )

    # -- the controls, made on first use --
    @property
    def input(self) -> widgets.Text:
        return self._made_controls()[0]

    @property
    def complete_button(self) -> widgets.Button:
        return self._made_controls()[1]

    @property
    def block_button(self) -> widgets.Button:
        return self._made_controls()[2]

    @property
    def subtask_button(self) -> widgets.Button:
        return self._made_controls()[3]

    @property
    def spawn_button(self) -> widgets.Button:
        return self._made_controls()[4]

    @property
    def actions_shown(self) -> bool:
        return len(self.children) == 3

    def show_actions(self, shown: bool = True) -> None:
        """Open (or close) the card's controls."""
        if shown != self.actions_shown:
            row = self._made_controls()[-1]
            parts = (
                (self.summary, row, self.actions_button)
                if shown
                else (
                    self.summary,
                    self.actions_button,
                )
            )
            self.children = parts
            self.actions_button.description = "Hide" if shown else "Actions"

    def _made_controls(self) -> tuple[Any, ...]:
        if self._controls is None:
            board, task_id, styles = self._board, self.task_id, self._board.styles
            text = widgets.Text(
                placeholder="block reason / subtask title",
                layout=styles.text,
                style=styles.text_style,
            )

            def button(description: str, action: Callable[[], Any]) -> widgets.Button:
                made = widgets.Button(
                    description=description, layout=styles.small, style=styles.button
                )
                made.on_click(board._run_action(action))
                return made

            buttons = (
                button("Complete", lambda: board.complete(task_id)),
                button("Block", lambda: board.block(task_id, self._take_input("a block reason"))),
                button(
                    "+ Subtask",
                    lambda: board.add_subtask(task_id, self._take_input("a title")),
                ),
                button("Spawn", lambda: board.spawn(task_id)),
            )
            buttons_row = widgets.HBox(buttons, layout=styles.row)
            row = widgets.VBox([text, buttons_row])
            self._controls = (text, *buttons, buttons_row, row)
            self._enable()
        return self._controls

    def _take_input(self, what: str) -> str:
        text = self.input.value.strip()
        if not text:
            raise ValueError(f"type {what} in the card's text box first")
        self.input.value = ""
        return text

    def _enable(self) -> None:
        if self._controls is None:
            return
        status = self._task.get("status")
        ended = status in ("completed", "cancelled")
        self._controls[1].disabled = ended
        self._controls[2].disabled = ended or status == "blocked"

    def show(
        self, task: Mapping[str, Any], sessions: Iterable[Mapping[str, Any]], note: str | None
    ) -> None:
        self._task = task
        priority = task.get("priority", "medium")
        lines = [
            f"<b>{html.escape(task['title'])}</b>",
            f"{priority_badge(priority)} {code(task['id'], size='0.8em')}",
        ]
        made = made_by(task.get("createdBy"), task.get("updatedBy"))
        if made:
            lines[-1] += f" <small style='color:{GREY}'>{made}</small>"
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
        summary = "<div style='line-height:1.4'>" + "<br>".join(lines) + "</div>"
        if self.summary.value != summary:
            self.summary.value = summary
        self._enable()

    def close(self) -> None:
        """Close the card and the widgets it made (not the board's shared layouts)."""
        for widget in (self.summary, self.actions_button, *(self._controls or ())):
            widget.close()
        super().close()


class TaskBoard(LiveView):
    """A live kanban of tasks by status.

    `board.columns["todo"]` lists the task ids in that column (most urgent first);
    `board.tasks` holds each task's latest JSON (with its subtasks) and `board.card(id)` its card.
    Each column shows its first `page_size` cards and a "Show more" button for the next page:
    widgets exist for the cards shown only, so a board of thousands of tasks stays a few hundred
    widget models and renders at once. `project` limits the board to one project; `agent` and
    `role` are used by Spawn.
    """

    def __init__(
        self,
        maestro: Maestro | None = None,
        *,
        project: str | None = None,
        agent: str | None = None,
        role: str = "worker",
        page_size: int = 20,
    ) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self.project = project
        self.agent = agent
        self.role = role
        self.page_size = page_size
        self.tasks: dict[str, dict[str, Any]] = {}
        self.sessions: dict[str, dict[str, Any]] = {}
        self.notes: dict[str, str] = {}
        self.styles = BoardStyles()
        self._cards: dict[str, TaskCard] = {}
        self._limits = dict.fromkeys(COLUMNS, page_size)
        self._column_boxes = {status: widgets.VBox() for status in COLUMNS}
        self._column_titles = {status: widgets.HTML() for status in COLUMNS}
        self.more_buttons = {status: self._more_button(status) for status in COLUMNS}
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
                    [
                        self._column_titles[status],
                        self._column_boxes[status],
                        self.more_buttons[status],
                    ],
                    layout=widgets.Layout(flex="1 1 0", min_width="160px", margin="0 3px"),
                    # Classes name the parts of the page for styling and for browser tests.
                    _dom_classes=("maestro-board-column", f"maestro-board-{status}"),
                )
                for status in COLUMNS
            ]
        )
        toolbar = widgets.HBox([self.title_input, self.priority_input, self.create_button])
        # The whole tree exists before the first draw and before the board is displayed; draws
        # then change values and the columns' children, never the tree's shape.
        super().__init__(maestro, _dom_classes=("maestro-board",))
        self.create_button.on_click(self._run_action(self._create_from_toolbar))
        self.children = (toolbar, columns, self.status_line)

    def _more_button(self, status: str) -> widgets.Button:
        button = widgets.Button(
            layout=widgets.Layout(width="auto", display="none"),
            _dom_classes=("maestro-board-more",),
        )
        button.on_click(lambda _button: self.show_more(status))
        return button

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

    @property
    def visible(self) -> dict[str, list[str]]:
        """The task ids whose cards are shown, by column (the first pages of `columns`)."""
        return self._first_pages(self.columns)

    def _first_pages(self, columns: Mapping[str, list[str]]) -> dict[str, list[str]]:
        return {
            status: ids[: self._limits.get(status, self.page_size)]
            for status, ids in columns.items()
        }

    def card(self, task_id: str) -> TaskCard:
        """The task's card; its column shows more pages if the task was further down."""
        if task_id not in self._cards:
            status = self.tasks[task_id]["status"]
            position = self.columns[status].index(task_id)
            self._limits[status] = (position // self.page_size + 1) * self.page_size
            self._draw(set())
        return self._cards[task_id]

    def show_more(self, status: str) -> None:
        """Show the next page of a column's cards."""
        self._limits[status] = self._limits.get(status, self.page_size) + self.page_size
        self._draw(set())

    def sessions_of(self, task_id: str) -> list[dict[str, Any]]:
        return [s for s in self.sessions.values() if task_id in s.get("taskIds", [])]

    # -- actions (also behind the buttons) --
    def create(self, title: str, *, priority: str = "medium", **fields: Any) -> str:
        """Create a task and show its card; answers its id. Fields as for
        `Maestro.tasks.create`."""
        task = self.maestro.tasks.create(title, priority=priority, project=self.project, **fields)
        self._put_task(task.to_dict())
        if task.id in self.tasks:
            self.card(task.id)
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

    def close(self) -> None:
        """Close the events socket and every widget of the board."""
        cards = getattr(self, "_cards", {})  # absent if the board failed while being made
        for card in cards.values():
            card.close()
        cards.clear()
        styles = getattr(self, "styles", None)
        if styles is not None:
            styles.close()
        super().close()

    # -- loading and events --
    def reload(self) -> None:
        client = self.maestro.client
        tasks = client.paginate("tasks", page_size=500, projectId=self.project, include="subtasks")
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
            who = entry.get("actor") or entry.get("sessionId")
            said = f"{entry.get('kind')} ({who})" if who else entry.get("kind")
            self.notes[task_id] = f"{said}: {entry.get('message')}"
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
        """Show the first pages of every column: cards are made for tasks coming into view,
        redrawn if `changed`, and closed once out of view (after the columns stop showing
        them, so the page never refers to a closed widget)."""
        columns = self.columns
        visible = self._first_pages(columns)
        shown = {task_id for ids in visible.values() for task_id in ids}
        for task_id in shown:
            card = self._cards.get(task_id)
            if card is None:
                card = self._cards[task_id] = TaskCard(self, task_id)
            elif task_id not in changed:
                continue
            card.show(self.tasks[task_id], self.sessions_of(task_id), self.notes.get(task_id))
        total = {status: len(ids) for status, ids in columns.items()}
        for status, ids in visible.items():
            if status not in self._column_boxes:
                continue
            cards = tuple(self._cards[task_id] for task_id in ids)
            if self._column_boxes[status].children != cards:
                self._column_boxes[status].children = cards
            color = STATUS_COLORS.get(status, GREY)
            title = (
                f"<b style='color:{color}'>{TASK_STATUS_TITLES[status]}</b> "
                f"<small>({total[status]})</small>"
            )
            if self._column_titles[status].value != title:
                self._column_titles[status].value = title
            self._show_more_button(status, total[status] - len(ids))
        for task_id in [t for t in self._cards if t not in shown]:
            self._cards.pop(task_id).close()

    def _show_more_button(self, status: str, hidden: int) -> None:
        button = self.more_buttons[status]
        description = f"Show {min(hidden, self.page_size)} more of {hidden}" if hidden else ""
        if button.description != description:
            button.description = description
        display = None if hidden else "none"
        if button.layout.display != display:
            button.layout.display = display


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
                html.escape((session.get("owner") or {}).get("user") or ""),
                html.escape(session.get("startedAt") or ""),
                code(session["id"]),
            ]
            rows.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
        head = "".join(
            f"<th style='text-align:left'>{name}</th>"
            for name in ("Session", "Status", "Agent", "Role", "Tasks", "Owner", "Started", "Id")
        )
        body = "".join(rows)
        self.table.value = f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
