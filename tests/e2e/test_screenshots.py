"""The README's pictures, taken from a board set up like a real one (its own server, so no
other test's tasks show): the Maestro panel (a claim, a waiting task, the latest entries and a
message) beside an agent's terminal tab, and a refusal for unmet dependencies."""

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
    server.api(
        "POST",
        "tasks",
        {"title": "Write the release notes", "priority": "medium", "dependencies": [login["id"]]},
    )
    server.api("POST", "tasks", {"title": "Refresh the screenshots", "priority": "low"})
    tidy = server.api("POST", "tasks", {"title": "Tidy the imports"})
    server.api("POST", f"tasks/{tidy['id']}/complete", {})
    folder = server.workdir / "mobile"
    folder.mkdir(exist_ok=True)
    server.api("POST", "projects", {"name": "Mobile app", "workingDir": str(folder)})
    return login


def put_an_agent_to_work(server: LabServer, task: dict[str, Any]) -> dict[str, Any]:
    """Spawn an agent for the task (which claims it), let it report, and send it a message."""
    session = server.api(
        "POST", "sessions/spawn", {"taskIds": [task["id"]], "name": "login-worker"}
    )
    eventually(lambda: server.api("GET", f"sessions/{session['id']}")["status"] == "running")
    server.api(
        "POST",
        f"sessions/{session['id']}/report",
        {"kind": "progress", "message": "Form done; the cookie needs SameSite=Lax, adding it"},
    )
    server.api(
        "POST",
        f"sessions/{session['id']}/input",
        {"text": "Reuse the CSRF helper from auth/ rather than a new one", "submit": True},
    )
    return session


def test_screenshots_of_the_panel_and_an_agent_tab(
    lab_server: LabServer, context: Any, workspace: str, screenshots: Path
) -> None:
    login = set_up_board(lab_server)
    lab = LabPage(context.new_page(), lab_server).open(workspace)
    lab.wait_until_live()
    session = put_an_agent_to_work(lab_server, login)
    card = lab.task_card("Ship the login page")
    card.locator(".maestro-Claim", has_text="login-worker").wait_for()
    card.locator('.maestro-Entry[data-kind="message"]').wait_for()
    lab.task_card("Write the release notes").locator(".maestro-Waiting").wait_for()
    tab = lab.session_tab(session["id"])
    tab.wait_for(state="visible")
    eventually(lambda: session["id"] in lab_server.agent_runs())
    lab.page.wait_for_timeout(800)  # the terminal's first frame
    lab.page.screenshot(path=str(screenshots / "panel.png"))

    tab.click()
    lab.page.screenshot(path=str(screenshots / "agent-tab.png"))

    lab.page.evaluate(
        "() => window.jupyterapp.commands.execute('apputils:change-theme',"
        " {theme: 'JupyterLab Dark'})"
    )
    lab.page.wait_for_selector("body[data-jp-theme-light='false']", state="attached")
    lab.page.wait_for_timeout(500)
    lab.page.screenshot(path=str(screenshots / "agent-tab-dark.png"))


def test_screenshot_of_a_refusal_for_unmet_dependencies(
    lab_server: LabServer, context: Any, workspace: str, screenshots: Path
) -> None:
    lab = LabPage(context.new_page(), lab_server).open(workspace)
    lab.page.evaluate(
        "() => window.jupyterapp.commands.execute('apputils:change-theme',"
        " {theme: 'JupyterLab Light'})"
    )
    lab.page.wait_for_selector("body[data-jp-theme-light='true']", state="attached")
    lab.wait_until_live()
    card = lab.task_card("Write the release notes")
    card.locator(".maestro-Waiting").wait_for()

    card.get_by_role("button", name="Complete").click()

    lab.page.locator(".Toastify__toast", has_text="Completing the task").wait_for()
    lab.page.wait_for_timeout(500)  # the toast's entrance
    lab.page.screenshot(path=str(screenshots / "dependencies-unmet.png"))
