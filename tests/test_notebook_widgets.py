"""The live widgets against a real server: their state, read from Python, follows the events
socket; their buttons act on the server; they reconnect, resync and close their socket."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import pytest

from harness import ServerProcess
from maestro_jupyter.event_stream import EventStream
from maestro_jupyter.notebook import Maestro
from maestro_jupyter.widgets import SessionMonitor, TaskBoard
from tests.notebook_support import maestro, server  # noqa: F401

pytestmark = pytest.mark.timeout(120)


async def until(predicate: Callable[[], Any], timeout: float = 30.0) -> None:
    """Wait for a condition on something that is not a view (views have `wait_for`)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "the condition did not hold in time"
        await asyncio.sleep(0.02)


V = TypeVar("V", TaskBoard, SessionMonitor)


@asynccontextmanager
async def live(view: V) -> AsyncIterator[V]:
    """The view once its socket is connected; closed (socket and all) afterwards."""
    try:
        await view.wait_for(lambda v: v.live)
        yield view
    finally:
        view.close()
        await view.stream.wait_closed()


def post(server: ServerProcess, path: str, body: Any = None) -> Any:  # noqa: F811
    """A change made by someone else: straight to the REST API, not through the widget."""
    return server.api("POST", path, {} if body is None else body)


async def test_a_task_created_over_rest_appears_in_todo_and_moves_when_completed(
    maestro: Maestro, server: ServerProcess  # noqa: F811
) -> None:
    async with live(TaskBoard(maestro)) as board:
        task = post(server, "tasks", {"title": "Appears live", "priority": "urgent"})

        await board.wait_for(lambda b: task["id"] in b.columns["todo"])
        assert board.columns["todo"][0] == task["id"]  # urgent comes first
        assert "Appears live" in board.card(task["id"]).summary.value

        post(server, f"tasks/{task['id']}/complete")

        await board.wait_for(lambda b: task["id"] in b.columns["completed"])
        assert task["id"] not in board.columns["todo"]
        assert board.card(task["id"]).complete_button.disabled


async def test_blocking_updates_and_deletes_move_cards(
    maestro: Maestro, server: ServerProcess  # noqa: F811
) -> None:
    async with live(TaskBoard(maestro)) as board:
        task = post(server, "tasks", {"title": "Moves around"})
        post(server, f"tasks/{task['id']}/block", {"reason": "Waiting for the API"})

        await board.wait_for(lambda b: task["id"] in b.columns["blocked"])
        assert "Waiting for the API" in board.card(task["id"]).summary.value

        server.api("PATCH", f"tasks/{task['id']}", {"status": "in_progress"})
        await board.wait_for(lambda b: task["id"] in b.columns["in_progress"])

        server.api("DELETE", f"tasks/{task['id']}")
        await board.wait_for(lambda b: task["id"] not in b.tasks)
        assert all(task["id"] not in ids for ids in board.columns.values())


async def test_subtask_changes_update_the_cards_progress(
    maestro: Maestro, server: ServerProcess  # noqa: F811
) -> None:
    async with live(TaskBoard(maestro)) as board:
        subtasks = [{"title": "A"}, {"title": "B"}]
        task = post(server, "tasks", {"title": "Progress", "subtasks": subtasks})
        await board.wait_for(lambda b: len(b.tasks.get(task["id"], {}).get("subtasks", [])) == 2)
        first = server.api("GET", f"tasks/{task['id']}/subtasks")["items"][0]

        server.api("PATCH", f"tasks/{task['id']}/subtasks/{first['id']}", {"completed": True})
        post(server, f"tasks/{task['id']}/subtasks", {"title": "C"})

        def progress(b: TaskBoard) -> list[bool]:
            return [s["completed"] for s in b.tasks[task["id"]]["subtasks"]]

        await board.wait_for(lambda b: progress(b) == [True, False, False])
        assert "1/3 subtasks" in board.card(task["id"]).summary.value


async def test_the_buttons_create_block_add_subtasks_complete_and_spawn(
    maestro: Maestro, server: ServerProcess  # noqa: F811
) -> None:
    async with live(TaskBoard(maestro)) as board:
        board.title_input.value = "Made with the toolbar"
        board.priority_input.value = "high"
        board.create_button.click()
        [task_id] = [i for i, t in board.tasks.items() if t["title"] == "Made with the toolbar"]
        card = board.card(task_id)
        assert server.api("GET", f"tasks/{task_id}")["priority"] == "high"
        assert task_id in board.columns["todo"] and board.title_input.value == ""

        card.input.value = "Needs a review"
        card.block_button.click()
        card.input.value = "Write the tests"
        card.subtask_button.click()

        on_server = server.api("GET", f"tasks/{task_id}?include=subtasks")
        assert (on_server["status"], on_server["blockedReason"]) == ("blocked", "Needs a review")
        assert [s["title"] for s in on_server["subtasks"]] == ["Write the tests"]
        assert task_id in board.columns["blocked"] and board.last_error is None

        card.spawn_button.click()
        [session] = board.sessions_of(task_id)
        assert session["spawnSource"] == "notebook"
        # The test agent reports `complete`, which completes the task; the session then ends.
        await board.wait_for(
            lambda b: task_id in b.columns["completed"]
            and b.sessions_of(task_id)[0]["status"] == "completed"
        )
        assert "completed" in card.summary.value


async def test_a_button_without_its_text_shows_an_error_and_changes_nothing(
    maestro: Maestro, server: ServerProcess  # noqa: F811
) -> None:
    async with live(TaskBoard(maestro)) as board:
        task_id = board.create("Not blocked by accident")

        board.card(task_id).block_button.click()
        board.create_button.click()

        assert "title for the new task" in board.last_error
        assert server.api("GET", f"tasks/{task_id}")["status"] == "todo"
        board.card(task_id).spawn_button.click()  # fine, and clears the error
        assert board.last_error is None


async def test_server_errors_of_an_action_show_in_the_status_line(
    maestro: Maestro, server: ServerProcess  # noqa: F811
) -> None:
    async with live(TaskBoard(maestro)) as board:
        task_id = board.create("Deleted under the board's feet")
        server.api("DELETE", f"tasks/{task_id}")

        board.card(task_id).complete_button.click()

        assert task_id in board.last_error
        assert task_id in board.status_line.value


async def test_the_board_reconnects_and_catches_up_on_missed_events(
    maestro: Maestro, server: ServerProcess  # noqa: F811
) -> None:
    async with live(TaskBoard(maestro)) as board:
        board.stream.disconnect()
        task = post(server, "tasks", {"title": "Made while the socket was down"})

        await board.wait_for(
            lambda b: b.stream.connections == 2 and task["id"] in b.columns["todo"]
        )
        assert board.live


async def test_a_stream_ahead_of_the_server_resyncs_from_the_start(
    server: ServerProcess,  # noqa: F811
) -> None:
    events: list[dict[str, Any]] = []
    resyncs: list[int] = []
    client = Maestro(server.url, server.token)
    stream = EventStream(
        client.server, events.append, since=10**9, on_resync=lambda: resyncs.append(1)
    )
    stream.start()
    last = client.status()["lastSeq"]

    await until(lambda: resyncs and stream.seq >= last)
    stream.close()
    await stream.wait_closed()

    assert resyncs == [1]
    assert [e["seq"] for e in events] == list(range(1, stream.seq + 1))


async def test_a_board_limited_to_a_project_shows_only_its_tasks(
    maestro: Maestro, server: ServerProcess  # noqa: F811
) -> None:
    project = post(server, "projects", {"name": "Side project"})
    board = TaskBoard(maestro, project=project["id"])
    try:
        elsewhere = post(server, "tasks", {"title": "Default project task"})
        mine = post(server, "tasks", {"title": "Side task", "projectId": project["id"]})

        await board.wait_for(lambda b: mine["id"] in b.columns["todo"])
        assert elsewhere["id"] not in board.tasks
        assert board.columns["todo"] == [mine["id"]]
        created = board.create("Also on the side")
        assert server.api("GET", f"tasks/{created}")["projectId"] == project["id"]
    finally:
        board.close()
        await board.stream.wait_closed()


async def test_closing_a_board_closes_its_socket(
    maestro: Maestro,  # noqa: F811
) -> None:
    board = TaskBoard(maestro)
    await board.wait_for(lambda b: b.live)

    board.close()
    await board.stream.wait_closed()

    assert not board.live and not board.stream.running
    assert board.comm is None  # the widget itself is closed too


async def test_the_session_monitor_follows_session_status(
    maestro: Maestro, server: ServerProcess  # noqa: F811
) -> None:
    task = post(server, "tasks", {"title": "Watched"})
    monitor = SessionMonitor(maestro, task=task["id"])
    try:
        session = post(server, "sessions/spawn", {"taskIds": [task["id"]], "name": "Watched one"})

        await monitor.wait_for(lambda m: m.statuses.get(session["id"]) == "completed")
        assert list(monitor.statuses) == [session["id"]]
        assert "Watched one" in monitor.table.value
    finally:
        monitor.close()
        await monitor.stream.wait_closed()


async def test_a_failing_update_shows_and_the_next_events_still_arrive(
    maestro: Maestro, server: ServerProcess, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    async with live(TaskBoard(maestro)) as board:
        apply = board.apply
        broken = post(server, "tasks", {"title": "Breaks the handler"})

        def apply_except_for_broken(event: str, data: Any) -> None:
            if data.get("id") == broken["id"]:
                raise KeyError("simulated bug")
            apply(event, data)

        monkeypatch.setattr(board, "apply", apply_except_for_broken)
        await until(lambda: board.stream.error)
        fine = post(server, "tasks", {"title": "Arrives anyway"})

        await board.wait_for(lambda b: fine["id"] in b.columns["todo"])
        assert "simulated bug" in board.status_line.value
        assert broken["id"] not in board.tasks


async def test_the_session_monitors_stop_button_stops_the_picked_session(
    maestro: Maestro, server: ServerProcess  # noqa: F811
) -> None:
    task = post(server, "tasks", {"title": "Runs until stopped"})
    async with live(SessionMonitor(maestro, task=task["id"])) as monitor:
        assert monitor.stop_button.disabled  # nothing to stop yet
        session = post(server, "sessions/spawn", {"taskIds": [task["id"]], "agent": "sleeper"})
        await monitor.wait_for(lambda m: m.statuses.get(session["id"]) == "running")

        monitor.stop_picker.value = session["id"]
        monitor.stop_button.click()

        assert server.api("GET", f"sessions/{session['id']}")["status"] == "stopped"
        assert monitor.statuses[session["id"]] == "stopped"
        assert monitor.stop_picker.options == () and monitor.stop_button.disabled
