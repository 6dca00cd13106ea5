"""The main-area board: opened three ways, columns by status, search and filters, keyboard,
each session once with its task, and "Needs you" first in the sidebar and the board."""

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


@pytest.fixture
def project(lab_server: LabServer, workspace: str) -> dict[str, Any]:
    """A project of the test's own, picked in the board, so other tests' tasks stay out."""
    return lab_server.api("POST", "projects", {"name": f"board {workspace}"[:60]})


def open_board(lab: LabPage) -> Any:
    lab.page.wait_for_function("() => window.jupyterapp.commands.hasCommand('maestro:open-board')")
    lab.page.evaluate(
        "() => window.jupyterapp.commands.execute('maestro:open-board').then(() => null)"
    )
    board = lab.page.locator("#maestro-board")
    board.wait_for(state="visible")
    return board


def pick(board: Any, project: dict[str, Any]) -> None:
    board.get_by_label("Project").select_option(project["id"])


def column_titles(board: Any, status: str) -> list[str]:
    cards = board.locator(f'.maestro-Column[data-column="{status}"] .maestro-BoardCardTitle')
    return [text.strip() for text in cards.all_inner_texts()]


def test_the_sidebar_button_and_the_launcher_open_the_board(lab: LabPage) -> None:
    panel = lab.open_panel()
    panel.get_by_role("button", name="Open board").click()
    lab.page.locator("#maestro-board").wait_for(state="visible")
    tab = lab.page.locator("#jp-main-dock-panel .lm-TabBar-tab", has_text="Maestro board")
    tab.locator(".lm-TabBar-tabCloseIcon").click()
    lab.page.locator("#maestro-board").wait_for(state="detached")
    lab.page.evaluate(
        "() => window.jupyterapp.commands.execute('launcher:create').then(() => null)"
    )
    lab.page.locator(".jp-LauncherCard:visible", has_text="Task Board").click()
    lab.page.locator("#maestro-board").wait_for(state="visible")


def test_columns_search_and_filters(
    lab: LabPage, lab_server: LabServer, project: dict[str, Any]
) -> None:
    pid = project["id"]
    lab_server.api("POST", "tasks", {"title": "Write the parser", "projectId": pid})
    started = lab_server.api("POST", "tasks", {"title": "Fix the lexer", "projectId": pid})
    lab_server.api("PATCH", f"tasks/{started['id']}", {"status": "in_progress"})
    labelled = lab_server.api(
        "POST", "tasks", {"title": "Document the grammar", "projectId": pid, "labels": ["docs"]}
    )
    board = open_board(lab)
    pick(board, project)
    # Same priority: oldest first.
    eventually(lambda: column_titles(board, "todo") == ["Write the parser", "Document the grammar"])
    assert column_titles(board, "in_progress") == ["Fix the lexer"]

    board.get_by_label("Search tasks").fill("parser")
    eventually(lambda: column_titles(board, "todo") == ["Write the parser"])
    assert column_titles(board, "in_progress") == []
    board.get_by_label("Search tasks").fill("")

    board.get_by_label("Filter by label").select_option("docs")
    eventually(lambda: column_titles(board, "todo") == ["Document the grammar"])
    board.get_by_label("Filter by label").select_option("")

    # "Needs me": only tasks whose session waits for a person.
    session = lab_server.api(
        "POST",
        "sessions",
        {"name": "asker", "projectId": pid, "taskIds": [labelled["id"]], "role": "worker"},
    )
    lab_server.api("PATCH", f"sessions/{session['id']}", {"status": "needs_input"})
    board.get_by_label("Needs me").check()
    eventually(lambda: column_titles(board, "todo") == ["Document the grammar"])
    board.get_by_label("Filter by role").select_option("orchestrator")
    eventually(lambda: column_titles(board, "todo") == [])


def test_keyboard_moves_between_cards_and_enter_opens(
    lab: LabPage, lab_server: LabServer, project: dict[str, Any]
) -> None:
    pid = project["id"]
    for title in ("First", "Second"):
        lab_server.api("POST", "tasks", {"title": title, "projectId": pid})
    started = lab_server.api("POST", "tasks", {"title": "Under way", "projectId": pid})
    lab_server.api("PATCH", f"tasks/{started['id']}", {"status": "in_progress"})
    board = open_board(lab)
    pick(board, project)
    eventually(lambda: len(column_titles(board, "todo")) == 2)

    def focused() -> str:
        return lab.page.evaluate(
            "() => document.activeElement.closest('.maestro-BoardCard')?.innerText.trim() ?? ''"
        )

    board.locator(".maestro-BoardCard", has_text="Under way").click()
    eventually(lambda: focused() == "Under way")
    lab.page.keyboard.press("ArrowRight")
    eventually(lambda: focused() == "First")
    lab.page.keyboard.press("ArrowDown")
    eventually(lambda: focused() == "Second")
    lab.page.keyboard.press("ArrowUp")
    eventually(lambda: focused() == "First")
    lab.page.keyboard.press("Enter")
    detail = board.get_by_label("Task details")
    detail.locator(".maestro-Task", has_text="First").wait_for()


def test_sessions_show_once_with_their_task_and_needs_you_first(
    lab: LabPage, lab_server: LabServer, project: dict[str, Any]
) -> None:
    pid = project["id"]
    task = lab_server.api("POST", "tasks", {"title": "Answer the question", "projectId": pid})
    calm = lab_server.api(
        "POST", "sessions", {"name": "calm", "projectId": pid, "taskIds": [task["id"]]}
    )
    asking = lab_server.api(
        "POST", "sessions", {"name": "asking", "projectId": pid, "taskIds": [task["id"]]}
    )
    lab_server.api("PATCH", f"sessions/{calm['id']}", {"status": "running"})
    lab_server.api("PATCH", f"sessions/{asking['id']}", {"status": "needs_input"})

    board = open_board(lab)
    pick(board, project)
    column = board.locator('.maestro-Column[data-column="sessions"]')
    rows = column.locator(".maestro-Session")
    eventually(lambda: rows.count() == 2)
    assert rows.nth(0).get_attribute("data-session-id") == asking["id"]
    assert "Answer the question" in rows.nth(0).inner_text()
    needs_you = board.locator('[data-group="needs-you"] .maestro-Session')
    assert needs_you.count() == 1
    assert needs_you.get_attribute("data-session-id") == asking["id"]

    panel = lab.open_panel()
    sidebar_needs = panel.locator('[data-group="needs-you"] .maestro-Session')
    eventually(lambda: sidebar_needs.count() == 1)
    assert "asking" in sidebar_needs.inner_text()


def test_add_is_disabled_until_a_title_is_typed(lab: LabPage) -> None:
    panel = lab.open_panel()
    add = panel.get_by_role("button", name="Add task")
    assert add.is_disabled()
    panel.get_by_label("New task title").fill("Something")
    assert add.is_enabled()
    panel.get_by_label("New task title").fill("  ")
    assert add.is_disabled()
