"""The TaskBoard widget in a real JupyterLab: a notebook's kernel (started by Lab) finds its
server, the board draws in the page, follows REST changes live, and its buttons act."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from .lab import LabServer
from .pages import eventually


@pytest.fixture
def board_notebook(lab_server: LabServer) -> str:
    notebook = new_notebook(
        cells=[
            new_code_cell(
                "from maestro_jupyter import Maestro, TaskBoard\n"
                "m = Maestro()\n"
                "print('connected by', m.server.source)\n"
                "board = TaskBoard(m)\n"
                "board"
            )
        ],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}},
    )
    name = "board.ipynb"
    nbformat.write(notebook, lab_server.workdir / name)
    # Its kernel, started by the server as Lab would (so Lab asks no "Select Kernel" question).
    lab_server.call(
        "POST",
        "api/sessions",
        {"path": name, "name": name, "type": "notebook", "kernel": {"name": "python3"}},
    )
    return name


def test_the_board_draws_in_lab_follows_changes_and_its_buttons_act(
    lab_server: LabServer, context: Any, workspace: str, board_notebook: str, screenshots: Path
) -> None:
    expect = pytest.importorskip("playwright.sync_api").expect
    page = context.new_page()
    page.goto(
        f"{lab_server.url}lab/workspaces/{workspace}/tree/{board_notebook}"
        f"?reset&token={lab_server.token}"
    )
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook-cell")
    page.wait_for_function(
        "() => window.jupyterapp.shell.currentWidget?.sessionContext?.session?.kernel"
    )
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")

    output = page.locator(".jp-NotebookPanel .jp-OutputArea")
    output.get_by_text("connected by the kernel's own server").wait_for(timeout=60_000)
    output.get_by_text("To do").wait_for(timeout=30_000)

    task = lab_server.api("POST", "tasks", {"title": "Drawn by the live board"})
    card = page.locator(".widget-vbox", has=page.get_by_text("Drawn by the live board")).last
    card.wait_for(timeout=20_000)

    card.get_by_role("button", name="Complete").click()

    eventually(lambda: lab_server.api("GET", f"tasks/{task['id']}")["status"] == "completed")
    # The card was redrawn from the server's event: completed, so it can't be completed again.
    expect(card.get_by_role("button", name="Complete")).to_be_disabled()
    page.screenshot(path=str(screenshots / "notebook-board.png"))
