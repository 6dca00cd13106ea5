"""The TaskBoard widget in a real JupyterLab: a notebook's kernel (started by Lab) finds its
server, the board draws in the page, follows REST changes live, and its buttons act."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from .lab import LabServer

NOTEBOOK = "board.ipynb"


@pytest.fixture
def board_project(lab_server: LabServer) -> Iterator[str]:
    """Writes a notebook showing a board of a new project (the Lab server is shared by the
    tests), starts its kernel as Lab would, and answers the project's id."""
    project = lab_server.api("POST", "projects", {"name": "Notebook board"})
    notebook = new_notebook(
        cells=[
            new_code_cell(
                "from maestro_jupyter import Maestro, TaskBoard\n"
                "m = Maestro()\n"
                "print('connected by', m.server.source)\n"
                f"board = TaskBoard(m, project={project['id']!r})\n"
                "board"
            )
        ],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}},
    )
    nbformat.write(notebook, lab_server.workdir / NOTEBOOK)
    # Started through the server's API, Lab finds the kernel running and asks no question.
    session = lab_server.call(
        "POST",
        "api/sessions",
        {"path": NOTEBOOK, "name": NOTEBOOK, "type": "notebook", "kernel": {"name": "python3"}},
    )
    yield project["id"]
    lab_server.call("DELETE", f"api/sessions/{session['id']}")


def test_the_board_draws_in_lab_follows_changes_and_its_buttons_act(
    lab_server: LabServer, context: Any, workspace: str, board_project: str, screenshots: Path
) -> None:
    expect = pytest.importorskip("playwright.sync_api").expect
    page = context.new_page()
    page.goto(
        f"{lab_server.url}lab/workspaces/{workspace}/tree/{NOTEBOOK}?reset&token={lab_server.token}"
    )
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook-cell")
    page.wait_for_function(
        "() => window.jupyterapp.shell.currentWidget?.sessionContext?.session?.kernel"
    )
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")

    output = page.locator(".jp-NotebookPanel .jp-OutputArea")
    output.get_by_text("connected by the kernel's own server").wait_for(timeout=60_000)
    output.get_by_text("To do").wait_for(timeout=30_000)

    task = lab_server.api(
        "POST", "tasks", {"title": "Drawn by the live board", "projectId": board_project}
    )
    card = page.locator(".maestro-board-todo .maestro-board-card", has_text=task["title"])
    card.wait_for(timeout=20_000)

    card.get_by_role("button", name="Actions").click()  # a card's controls open on demand
    card.get_by_role("button", name="Complete").click()

    page.locator(".maestro-board-completed .maestro-board-card", has_text=task["title"]).wait_for()
    assert lab_server.api("GET", f"tasks/{task['id']}")["status"] == "completed"
    expect(page.locator(".maestro-board-todo .maestro-board-card")).to_have_count(0)
    page.screenshot(path=str(screenshots / "notebook-board.png"))
