"""The README's pictures, taken from a board set up like a real one (its own server, so no
other test's tasks show): the Maestro panel beside an agent's terminal tab."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import make_isolated_env
from .lab import LabServer
from .pages import LabPage, eventually


@pytest.fixture(scope="module")
def lab_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    root = tmp_path_factory.mktemp("lab-screenshots")
    server = LabServer(root, make_isolated_env(root))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def set_up_board(server: LabServer) -> dict[str, Any]:
    login = server.api(
        "POST",
        "tasks",
        {
            "title": "Ship the login page",
            "priority": "urgent",
            "subtasks": [
                {"title": "Form and validation"},
                {"title": "Session cookie"},
                {"title": "End-to-end test"},
            ],
        },
    )
    first = server.api("GET", f"tasks/{login['id']}/subtasks")["items"][0]
    server.api("PATCH", f"tasks/{login['id']}/subtasks/{first['id']}", {"completed": True})
    server.api("PATCH", f"tasks/{login['id']}", {"status": "in_progress"})
    migrate = server.api("POST", "tasks", {"title": "Migrate to PostgreSQL", "priority": "high"})
    server.api("POST", f"tasks/{migrate['id']}/block", {"reason": "waiting for the DBA"})
    server.api("POST", "tasks", {"title": "Write the release notes", "priority": "medium"})
    server.api("POST", "tasks", {"title": "Refresh the screenshots", "priority": "low"})
    tidy = server.api("POST", "tasks", {"title": "Tidy the imports"})
    server.api("POST", f"tasks/{tidy['id']}/complete", {})
    return login


def test_screenshots_of_the_panel_and_an_agent_tab(
    lab_server: LabServer, context: Any, workspace: str, screenshots: Path
) -> None:
    login = set_up_board(lab_server)
    lab = LabPage(context.new_page(), lab_server).open(workspace)
    lab.wait_until_live()
    lab.task_card("Migrate to PostgreSQL").wait_for()
    lab.page.screenshot(path=str(screenshots / "panel.png"))

    session = lab_server.api(
        "POST", "sessions/spawn", {"taskIds": [login["id"]], "name": "login-worker"}
    )
    tab = lab.session_tab(session["id"])
    tab.wait_for(state="visible")
    tab.click()
    eventually(lambda: session["id"] in lab_server.agent_runs())
    lab.page.wait_for_timeout(800)  # the terminal's first frame
    lab.page.screenshot(path=str(screenshots / "agent-tab.png"))

    lab.page.evaluate(
        "() => window.jupyterapp.commands.execute('apputils:change-theme',"
        " {theme: 'JupyterLab Dark'})"
    )
    lab.page.wait_for_selector("body[data-jp-theme-light='false']", state="attached")
    lab.page.wait_for_timeout(500)
    lab.page.screenshot(path=str(screenshots / "agent-tab-dark.png"))
