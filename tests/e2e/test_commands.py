"""Commands, launcher item, settings, and the session actions of the panel."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from .lab import LabServer
from .pages import LabPage, eventually

OPENER_SETTINGS = "lab/api/settings/maestro-jupyter:opener"


@pytest.fixture
def lab(lab_server: LabServer, context: Any, workspace: str) -> LabPage:
    lab = LabPage(context.new_page(), lab_server).open(workspace)
    lab.wait_until_live()
    return lab


@pytest.fixture
def auto_open_off(lab_server: LabServer) -> Iterator[None]:
    lab_server.call("PUT", OPENER_SETTINGS, {"raw": json.dumps({"autoOpenSessions": False})})
    try:
        yield
    finally:
        lab_server.call("PUT", OPENER_SETTINGS, {"raw": "{}"})


def execute(lab: LabPage, command: str, args: dict[str, Any] | None = None) -> Any:
    return lab.page.evaluate(
        "([command, args]) => window.jupyterapp.commands.execute(command, args)"
        ".then(result => result && result.id)",
        [command, args or {}],
    )


def test_the_commands_are_in_the_palette(lab: LabPage) -> None:
    lab.page.keyboard.press("Control+Shift+C")
    palette = lab.page.locator("#command-palette")
    palette.locator("input").fill("maestro")
    for label in ("Open the Maestro Panel", "New Maestro Task", "Spawn Maestro Session…"):
        palette.locator(".lm-CommandPalette-item", has_text=label).wait_for()


def test_new_task_command_focuses_the_form(lab: LabPage) -> None:
    lab.page.click('.jp-SideBar .lm-TabBar-tab[data-id="filebrowser"]')
    execute(lab, "maestro:new-task")
    title = lab.page.get_by_label("New task title")
    title.wait_for(state="visible")
    eventually(lambda: title.evaluate("input => input === document.activeElement"))


def test_the_launcher_opens_the_panel(lab: LabPage) -> None:
    execute(lab, "launcher:create")
    # The new launcher is in front (a fresh workspace may hold another behind it).
    lab.page.locator(".jp-LauncherCard:visible", has_text="Maestro").click()
    lab.page.locator("#maestro-panel").wait_for(state="visible")


def test_spawn_session_command_opens_the_tab(lab: LabPage, lab_server: LabServer) -> None:
    task = lab_server.api("POST", "tasks", {"title": "Bisect the regression"})
    execute(lab, "maestro:spawn-session", {"taskIds": [task["id"]], "role": "worker"})
    (session,) = lab_server.api("GET", f"sessions?taskId={task['id']}")["items"]
    assert session["spawnSource"] == "ui"
    lab.session_tab(session["id"]).wait_for(state="visible")


def test_spawn_session_command_without_a_task_asks_for_one(
    lab: LabPage, lab_server: LabServer
) -> None:
    task = lab_server.api("POST", "tasks", {"title": "Chase the memory leak"})
    # Not awaited: the command waits for the dialog this test answers.
    lab.page.evaluate("() => { window.jupyterapp.commands.execute('maestro:spawn-session'); }")
    dialog = lab.page.locator(".jp-Dialog")
    dialog.locator("select").select_option(label=f"Chase the memory leak ({task['id']})")
    dialog.locator(".jp-Dialog-button.jp-mod-accept").click()

    (session,) = eventually(lambda: lab_server.api("GET", f"sessions?taskId={task['id']}")["items"])
    lab.session_tab(session["id"]).wait_for(state="visible")


def test_with_auto_open_off_a_spawn_opens_no_tab(
    lab_server: LabServer, context: Any, workspace: str, auto_open_off: None
) -> None:
    lab = LabPage(context.new_page(), lab_server).open(workspace)
    lab.wait_until_live()
    task = lab_server.api("POST", "tasks", {"title": "Read the logs quietly"})
    session = lab_server.api("POST", "sessions/spawn", {"taskIds": [task["id"]]})

    # The panel hears of it (same event stream), yet no tab opens.
    lab.page.locator(f'.maestro-Session[data-session-id="{session["id"]}"]').first.wait_for()
    lab.page.wait_for_timeout(1500)
    assert lab.terminal_names_of_session_tabs(session["id"]) == []


def test_open_and_stop_a_session_from_the_panel(lab: LabPage, lab_server: LabServer) -> None:
    task = lab_server.api("POST", "tasks", {"title": "Watch the nightly build"})
    session = lab_server.api("POST", "sessions/spawn", {"taskIds": [task["id"]]})
    tab = lab.session_tab(session["id"])
    tab.wait_for(state="visible")
    tab.locator(".lm-TabBar-tabCloseIcon").click()
    tab.wait_for(state="detached")

    row = lab.task_card("Watch the nightly build").locator(
        f'.maestro-Session[data-session-id="{session["id"]}"]'
    )
    row.get_by_role("button", name="Open").click()
    tab.wait_for(state="visible")
    assert lab.terminal_names_of_session_tabs(session["id"]) == [f"maestro_{session['id']}"]

    row.get_by_role("button", name="Stop").click()
    eventually(lambda: lab_server.api("GET", f"sessions/{session['id']}")["status"] == "stopped")
    row.locator(".maestro-Badge", has_text="stopped").wait_for()
