"""The Maestro sidebar panel: create, edit, complete, block, subtasks, spawn; errors shown."""

from __future__ import annotations

from typing import Any

import pytest

from .lab import LabServer
from .pages import LabPage, eventually


@pytest.fixture
def lab(lab_server: LabServer, context: Any, workspace: str) -> LabPage:
    lab = LabPage(context.new_page(), lab_server).open(workspace)
    lab.wait_until_live()
    return lab


def find_tasks(server: LabServer, title: str) -> list[dict[str, Any]]:
    items = server.api("GET", "tasks?include=subtasks&limit=500")["items"]
    return [task for task in items if task["title"] == title]


def test_a_task_created_in_the_panel_is_stored(lab: LabPage, lab_server: LabServer) -> None:
    panel = lab.open_panel()
    panel.get_by_label("New task title").fill("Write the release notes")
    panel.get_by_label("New task description").fill("For 0.2, from the changelog")
    panel.get_by_label("New task priority").select_option("high")
    panel.get_by_role("button", name="Add task").click()

    (task,) = eventually(lambda: find_tasks(lab_server, "Write the release notes"))
    assert task["priority"] == "high"
    assert task["description"] == "For 0.2, from the changelog"
    assert task["status"] == "todo"
    lab.task_card("Write the release notes").wait_for()
    assert panel.get_by_label("New task title").input_value() == ""


def test_a_subtask_is_completed_by_its_checkbox(lab: LabPage, lab_server: LabServer) -> None:
    task = lab_server.api(
        "POST",
        "tasks",
        {
            "title": "Ship the login page",
            "priority": "urgent",
            "subtasks": [{"title": "Write the form"}, {"title": "Add the tests"}],
        },
    )
    lab_server.api("POST", "tasks", {"title": "Refresh the docs", "priority": "low"})
    card = lab.task_card("Ship the login page")
    card.wait_for()  # arrived through the event stream, no reload
    first = lab_server.api("GET", f"tasks/{task['id']}/subtasks")["items"][0]

    # click, not check(): the box turns when the server has answered, not before.
    card.locator(f'[data-subtask-id="{first["id"]}"] input[type=checkbox]').click()

    eventually(
        lambda: lab_server.api("GET", f"tasks/{task['id']}/subtasks/{first['id']}")["completed"]
    )
    card.locator(".maestro-Count", has_text="1/2").wait_for()


def test_complete_and_block_from_the_panel(lab: LabPage, lab_server: LabServer) -> None:
    done = lab_server.api("POST", "tasks", {"title": "Tidy the imports"})
    stuck = lab_server.api("POST", "tasks", {"title": "Upgrade the database"})

    lab.task_card("Tidy the imports").get_by_role("button", name="Complete").click()
    lab.task_card("Upgrade the database").get_by_role("button", name="Block").click()
    dialog = lab.page.locator(".jp-Dialog")
    dialog.locator("input").fill("waiting for the DBA's maintenance window")
    dialog.get_by_role("button", name="Block").click()

    eventually(lambda: lab_server.api("GET", f"tasks/{done['id']}")["status"] == "completed")
    blocked = eventually(
        lambda: (
            (task := lab_server.api("GET", f"tasks/{stuck['id']}"))["status"] == "blocked" and task
        )
    )
    assert blocked["blockedReason"] == "waiting for the DBA's maintenance window"
    lab.page.locator(
        '.maestro-Task[data-status="blocked"]', has_text="Upgrade the database"
    ).wait_for()


def test_a_subtask_added_in_the_panel_is_stored(lab: LabPage, lab_server: LabServer) -> None:
    task = lab_server.api("POST", "tasks", {"title": "Profile the importer"})
    card = lab.task_card("Profile the importer")
    card.get_by_label("New subtask title").fill("Record a flame graph")
    card.get_by_label("New subtask title").press("Enter")

    subtasks = eventually(lambda: lab_server.api("GET", f"tasks/{task['id']}/subtasks")["items"])
    assert [subtask["title"] for subtask in subtasks] == ["Record a flame graph"]
    card.locator(".maestro-Subtask", has_text="Record a flame graph").wait_for()


def test_a_session_spawned_from_the_panel_opens_at_the_tab_size(
    lab: LabPage, lab_server: LabServer
) -> None:
    task = lab_server.api("POST", "tasks", {"title": "Triage the bug reports"})
    card = lab.task_card("Triage the bug reports")
    card.get_by_role("button", name="Spawn session").click()
    card.get_by_label("Session role").select_option("worker")
    card.get_by_role("button", name="Spawn", exact=True).click()

    (session,) = eventually(lambda: lab_server.api("GET", f"sessions?taskId={task['id']}")["items"])
    assert session["spawnSource"] == "ui"
    assert session["role"] == "worker"
    lab.session_tab(session["id"]).wait_for(state="visible")
    started = eventually(lambda: lab_server.agent_runs().get(session["id"]))
    tab_rows, tab_cols = eventually(
        lambda: (
            (size := lab.terminal_size_of_session_tab(session["id"])) not in (None, (24, 80))
            and size
        )
    )
    # The agent's first frame was drawn at (about) the size of the tab it appeared in.
    assert abs(started[0] - tab_rows) <= 3, (started, (tab_rows, tab_cols))
    assert abs(started[1] - tab_cols) <= 6, (started, (tab_rows, tab_cols))


def test_a_refused_task_shows_the_server_message_and_keeps_the_input(lab: LabPage) -> None:
    panel = lab.open_panel()
    # Add waits for a title; one over the server's 500 characters is refused by the server.
    panel.get_by_label("New task title").fill("x" * 501)
    panel.get_by_label("New task description").fill("A description typed with care")
    panel.get_by_role("button", name="Add task").click()

    toast = lab.page.locator(".Toastify__toast", has_text="Creating the task")
    toast.wait_for()
    assert "title" in toast.inner_text().lower()
    assert (
        panel.get_by_label("New task description").input_value() == "A description typed with care"
    )


def test_an_edit_that_lost_a_race_is_refused_and_keeps_the_input(
    lab: LabPage, lab_server: LabServer
) -> None:
    task = lab_server.api("POST", "tasks", {"title": "Rename the config keys"})
    card = lab.page.locator(f'.maestro-Task[data-task-id="{task["id"]}"]')
    card.get_by_role("button", name="Edit").click()
    card.get_by_label("Task title", exact=True).fill("Rename the config keys to snake_case")
    lab_server.api("PATCH", f"tasks/{task['id']}", {"priority": "high"})  # someone else's edit

    card.get_by_role("button", name="Save").click()

    lab.page.locator(".Toastify__toast", has_text="Saving the task").wait_for()
    assert (
        card.get_by_label("Task title", exact=True).input_value()
        == "Rename the config keys to snake_case"
    )
    assert lab_server.api("GET", f"tasks/{task['id']}")["title"] == "Rename the config keys"


def test_an_edit_moves_a_blocked_task_back_to_work(lab: LabPage, lab_server: LabServer) -> None:
    task = lab_server.api("POST", "tasks", {"title": "Wait for the API keys"})
    lab_server.api("POST", f"tasks/{task['id']}/block", {"reason": "keys not issued"})
    card = lab.page.locator(f'.maestro-Task[data-task-id="{task["id"]}"]')
    card.locator(".maestro-Blocked").wait_for()

    card.get_by_role("button", name="Edit").click()
    card.get_by_label("Task status").select_option("in_progress")
    card.get_by_label("Task priority").select_option("high")
    card.get_by_role("button", name="Save").click()

    moved = eventually(
        lambda: (
            (row := lab_server.api("GET", f"tasks/{task['id']}"))["status"] == "in_progress" and row
        )
    )
    assert moved["priority"] == "high"
    lab.page.locator(
        '.maestro-Task[data-status="in_progress"]', has_text="Wait for the API keys"
    ).wait_for()
