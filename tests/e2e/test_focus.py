"""A person keeps typing while an orchestrator spawns twenty agents: every keystroke stays where
it was typed, none reaches an agent's terminal, and no notebook command runs."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from .lab import LabServer
from .pages import LabPage

SPAWNS = 20
NOTEBOOK = "typing.ipynb"
# Letters that are notebook shortcuts in command mode (a, b: insert a cell; x: cut; m: to
# Markdown), and Enter, which would send the line to an agent reading its terminal.
LINE = "abxm the quick brown fox jumps over a lazy dog\n"


@pytest.fixture
def lab(lab_server: LabServer, context: Any, workspace: str) -> LabPage:
    lab = LabPage(context.new_page(), lab_server).open(workspace)
    lab.wait_until_live()
    return lab


def spawn_in_background(server: LabServer, title: str) -> tuple[threading.Thread, list[str]]:
    """Spawn SPAWNS reader agents over REST, as an orchestrator would, from another thread."""
    ids: list[str] = []
    task = server.api("POST", "tasks", {"title": title})

    def run() -> None:
        for _ in range(SPAWNS):
            session = server.api(
                "POST",
                "sessions/spawn",
                {"taskIds": [task["id"]], "agent": "reader", "force": True, "spawnSource": "cli"},
            )
            ids.append(session["id"])

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, ids


def connected_tabs(lab: LabPage, ids: list[str]) -> int:
    """How many of the sessions have a tab whose terminal is connected and ready."""
    return lab.page.evaluate(
        """(ids) => Array.from(window.jupyterapp.shell.widgets('main')).filter(w =>
            ids.includes(w.title.dataset['maestro-session']) && w.content._isReady &&
            w.content.session.connectionStatus === 'connected').length""",
        ids,
    )


def type_until_spawned(
    lab: LabPage, server: LabServer, title: str, text: str, still_focused: Callable[[], bool]
) -> tuple[str, list[str]]:
    """Type `text` over and over, checking focus between lines, until every spawn's tab is
    open and connected, then one line more. Answers what was typed and the session ids."""
    thread, ids = spawn_in_background(server, title)
    typed = ""
    while thread.is_alive() or connected_tabs(lab, list(ids)) < SPAWNS:
        lab.page.keyboard.type(text, delay=5)
        typed += text
        assert still_focused(), f"focus moved after {typed!r}"
    lab.page.keyboard.type(text, delay=5)
    typed += text
    thread.join()
    return typed, ids


def no_keystroke_reached_a_terminal(lab: LabPage, server: LabServer, ids: list[str]) -> None:
    # A reader agent writes the first line it reads; xterm's buffer holds what it echoed.
    assert [id for id in ids if server.agent_input(id) is not None] == []
    echoed = lab.page.evaluate(
        """(ids) => Array.from(window.jupyterapp.shell.widgets('main'))
            .filter(w => ids.includes(w.title.dataset['maestro-session']) && w.content._term)
            .map(w => { const b = w.content._term.buffer.active; const lines = [];
                        for (let i = 0; i < b.length; i++)
                          lines.push(b.getLine(i).translateToString(true));
                        return lines.join('\\n'); })
            .filter(text => text.includes('quick brown'))""",
        ids,
    )
    assert echoed == []


def test_typing_in_a_notebook_cell_while_twenty_agents_spawn(
    lab_server: LabServer, lab: LabPage
) -> None:
    notebook = {
        "cells": [
            {
                "cell_type": "code",
                "source": "",
                "metadata": {},
                "outputs": [],
                "execution_count": None,
            }
        ],
        # A kernel named, so Lab does not ask which one over the notebook.
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    lab_server.call(
        "PUT",
        f"api/contents/{NOTEBOOK}",
        {"type": "notebook", "format": "json", "content": notebook},
    )
    lab.page.evaluate(
        "(path) => window.jupyterapp.commands.execute('docmanager:open', {path}).then(() => true)",
        NOTEBOOK,
    )
    editor = lab.page.locator(".jp-Notebook .jp-Cell .cm-content").first
    editor.click()
    in_cell = lambda: lab.page.evaluate(  # noqa: E731
        "() => !!document.activeElement && !!document.activeElement.closest('.jp-Cell .cm-editor')"
    )
    assert in_cell()

    typed, ids = type_until_spawned(lab, lab_server, "Orchestrate the release", LINE, in_cell)

    cells = lab.page.evaluate(
        """() => { const nb = window.jupyterapp.shell.currentWidget.content;
            return [nb.widgets.length, nb.widgets[0].model.sharedModel.getSource(),
                    nb.mode]; }"""
    )
    assert cells == [1, typed, "edit"]
    no_keystroke_reached_a_terminal(lab, lab_server, ids)


def test_typing_in_the_new_task_field_while_twenty_agents_spawn(
    lab_server: LabServer, lab: LabPage
) -> None:
    panel = lab.open_panel()
    field = panel.get_by_placeholder("New task…")
    field.click()
    in_field = lambda: lab.page.evaluate(  # noqa: E731
        "() => document.activeElement && document.activeElement.matches('.maestro-NewTask input')"
    )
    text = LINE.strip() + " "

    typed, ids = type_until_spawned(lab, lab_server, "Spawn the workers", text, in_field)

    assert field.input_value() == typed
    # The caret stayed where the typing left it.
    assert field.evaluate("input => [input.selectionStart, input.selectionEnd]") == [
        len(typed),
        len(typed),
    ]
    no_keystroke_reached_a_terminal(lab, lab_server, ids)
