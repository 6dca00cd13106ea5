"""The panel shows agents working together: who holds a task, what a task waits for, what was
said on it; and lets a person message an agent, pick a project, and force past dependencies."""

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


def card_of(lab: LabPage, task: dict[str, Any]) -> Any:
    return lab.page.locator(f'.maestro-Task[data-task-id="{task["id"]}"]')


def make_project(server: LabServer, name: str) -> dict[str, Any]:
    """A project whose working folder is inside the server's root, as spawns require."""
    folder = server.workdir / name.replace(" ", "-").lower()
    folder.mkdir(parents=True, exist_ok=True)
    return server.api("POST", "projects", {"name": name, "workingDir": str(folder)})


def session_status(server: LabServer, session_id: str) -> str:
    return server.api("GET", f"sessions/{session_id}")["status"]


def test_a_card_shows_the_session_that_claimed_it(lab: LabPage, lab_server: LabServer) -> None:
    own = lab_server.api("POST", "tasks", {"title": "Set up the worker's branch"})
    task = lab_server.api("POST", "tasks", {"title": "Port the parser to Rust"})
    session = lab_server.api(
        "POST", "sessions/spawn", {"taskIds": [own["id"]], "name": "rust-porter"}
    )
    eventually(lambda: session_status(lab_server, session["id"]) == "running")

    claimed = lab_server.api(
        "POST", "tasks/claim", {"sessionId": session["id"], "taskId": task["id"]}
    )["task"]
    assert claimed["claimedBy"] == session["id"]

    claim = card_of(lab, task).locator(f'.maestro-Claim[data-claimed-by="{session["id"]}"]')
    claim.wait_for()
    assert "rust-porter" in claim.inner_text()
    claim.locator(".maestro-Badge", has_text="running").wait_for()
    # The claim is a timeline entry too, credited to the session by its name.
    entry = card_of(lab, task).locator('.maestro-Entry[data-kind="claim"]')
    entry.locator(".maestro-EntryWho", has_text="rust-porter").wait_for()

    # A person can take the task back.
    claim.get_by_role("button", name="Release").click()
    claim.wait_for(state="detached")
    released = lab_server.api("GET", f"tasks/{task['id']}")
    assert (released["claimedBy"], released["status"]) == (None, "todo")

    # A session that ends gives its claims back too.
    lab_server.api("POST", "tasks/claim", {"sessionId": session["id"], "taskId": task["id"]})
    claim.wait_for()
    lab_server.api("POST", f"sessions/{session['id']}/stop")
    claim.wait_for(state="detached")
    assert lab_server.api("GET", f"tasks/{task['id']}")["claimedBy"] is None


def test_the_send_field_types_into_the_agent_terminal(lab: LabPage, lab_server: LabServer) -> None:
    task = lab_server.api("POST", "tasks", {"title": "Answer the reviewer"})
    session = lab_server.api(
        "POST", "sessions/spawn", {"taskIds": [task["id"]], "agent": "reader", "name": "reviewer"}
    )
    eventually(lambda: session_status(lab_server, session["id"]) == "running")
    row = card_of(lab, task).locator(f'.maestro-Session[data-session-id="{session["id"]}"]')

    row.get_by_role("button", name="Send…").click()
    field = row.get_by_label("Message to reviewer")
    field.fill("Use the second approach, and keep the old flag")
    field.press("Enter")

    assert (
        eventually(lambda: lab_server.agent_input(session["id"]))
        == "Use the second approach, and keep the old flag\n"
    )
    # Recorded on the task as a message from this person to the session, readable on its card.
    message = card_of(lab, task).locator(
        '.maestro-Entry[data-kind="message"]', has_text="Use the second approach"
    )
    message.wait_for()
    assert message.locator(".maestro-EntryWho").inner_text() == "you → reviewer"
    field.wait_for(state="detached")  # sent: the field folds away


def test_a_refused_message_is_said_once_and_kept(lab: LabPage, lab_server: LabServer) -> None:
    task = lab_server.api("POST", "tasks", {"title": "Nudge the stuck agent"})
    session = lab_server.api(
        "POST", "sessions/spawn", {"taskIds": [task["id"]], "agent": "reader", "name": "nudged"}
    )
    eventually(lambda: session_status(lab_server, session["id"]) == "running")
    row = card_of(lab, task).locator(f'.maestro-Session[data-session-id="{session["id"]}"]')
    row.get_by_role("button", name="Send…").click()
    field = row.get_by_label("Message to nudged")

    field.fill("colour \x1b[31m escape")  # an escape sequence must never reach a terminal
    field.press("Enter")

    toast = lab.page.locator(".Toastify__toast", has_text="Sending to nudged")
    toast.wait_for()
    text = toast.inner_text()
    assert text.count("control characters") == 1, text
    assert field.input_value() == "colour \x1b[31m escape"
    assert lab_server.agent_input(session["id"]) is None


def test_the_project_picker_filters_the_board_and_is_remembered(
    lab: LabPage, lab_server: LabServer, workspace: str
) -> None:
    project = make_project(lab_server, f"Mobile app {workspace[-8:]}")
    mobile = lab_server.api(
        "POST", "tasks", {"title": "Build the iOS target", "projectId": project["id"]}
    )
    default = lab_server.api("POST", "tasks", {"title": "Rotate the server logs"})
    panel = lab.open_panel()
    card_of(lab, default).wait_for()

    panel.get_by_label("Project").select_option(label=project["name"])

    card_of(lab, mobile).wait_for()
    card_of(lab, default).wait_for(state="detached")
    # A new task goes to the picked project.
    panel.get_by_label("New task title").fill("Sign the release build")
    panel.get_by_role("button", name="Add task").click()
    (created,) = eventually(
        lambda: [
            row
            for row in lab_server.api("GET", f"tasks?projectId={project['id']}")["items"]
            if row["title"] == "Sign the release build"
        ]
    )
    card_of(lab, created).wait_for()

    # The pick survives a reload of the workspace.
    eventually(
        lambda: (
            lab.saved_workspace_state(workspace, "maestro-jupyter:board-model:project")
            == project["id"]
        )
    )
    lab.open(workspace, reset=False).wait_until_live()
    picker = lab.open_panel().get_by_label("Project")
    eventually(lambda: picker.input_value() == project["id"])
    card_of(lab, mobile).wait_for()
    assert card_of(lab, default).count() == 0

    picker.select_option(label="All projects")
    card_of(lab, default).wait_for()


def test_a_spawn_without_a_task_goes_to_the_picked_project(
    lab: LabPage, lab_server: LabServer, workspace: str
) -> None:
    project = make_project(lab_server, f"Docs site {workspace[-8:]}")
    lab.open_panel().get_by_label("Project").select_option(label=project["name"])

    lab.page.evaluate(
        "() => { window.jupyterapp.commands.execute('maestro:spawn-session', {taskIds: []}); }"
    )

    (session,) = eventually(
        lambda: [
            row
            for row in lab_server.api("GET", "sessions?limit=500")["items"]
            if row["projectId"] == project["id"]
        ]
    )
    assert session["taskIds"] == []
    assert session["cwd"] == project["workingDir"]
    lab.session_tab(session["id"]).wait_for(state="visible")


def test_a_waiting_task_names_its_dependencies_and_can_be_forced(
    lab: LabPage, lab_server: LabServer
) -> None:
    schema = lab_server.api("POST", "tasks", {"title": "Design the schema"})
    api = lab_server.api(
        "POST", "tasks", {"title": "Write the API", "dependencies": [schema["id"]]}
    )
    docs = lab_server.api(
        "POST", "tasks", {"title": "Document the API", "dependencies": [schema["id"]]}
    )
    card = card_of(lab, api)
    card.locator(".maestro-Waiting", has_text="Design the schema").wait_for()
    assert card.get_attribute("data-waiting") == "true"

    card.get_by_role("button", name="Complete").click()

    toast = lab.page.locator(".Toastify__toast", has_text="Completing the task")
    toast.wait_for()
    assert "“Design the schema” (to do)" in toast.inner_text()
    assert lab_server.api("GET", f"tasks/{api['id']}")["status"] == "todo"
    toast.get_by_role("button", name="Force").click()
    eventually(lambda: lab_server.api("GET", f"tasks/{api['id']}")["status"] == "completed")
    entries = lab_server.api("GET", f"tasks/{api['id']}/timeline")["items"]
    assert any("Design the schema" in entry["message"] for entry in entries), entries

    # Once its dependency is completed, a task no longer waits.
    card_of(lab, docs).locator(".maestro-Waiting").wait_for()
    lab_server.api("POST", f"tasks/{schema['id']}/complete", {})
    card_of(lab, docs).locator(".maestro-Waiting").wait_for(state="detached")
    assert card_of(lab, docs).get_attribute("data-waiting") is None


def test_starting_a_waiting_task_from_the_edit_form_can_be_forced(
    lab: LabPage, lab_server: LabServer
) -> None:
    first = lab_server.api("POST", "tasks", {"title": "Order the hardware"})
    task = lab_server.api(
        "POST", "tasks", {"title": "Rack the servers", "dependencies": [first["id"]]}
    )
    card = card_of(lab, task)
    card.get_by_role("button", name="Edit").click()
    card.get_by_label("Task status").select_option("in_progress")
    card.get_by_role("button", name="Save").click()

    toast = lab.page.locator(".Toastify__toast", has_text="Saving the task")
    toast.wait_for()
    assert "“Order the hardware”" in toast.inner_text()
    card.get_by_role("button", name="Save").wait_for()  # the form stays, with its input
    toast.get_by_role("button", name="Force").click()

    eventually(lambda: lab_server.api("GET", f"tasks/{task['id']}")["status"] == "in_progress")
    card.get_by_role("button", name="Save").wait_for(state="detached")


def test_a_card_shows_its_latest_entries(
    lab_server: LabServer, context: Any, workspace: str
) -> None:
    task = lab_server.api("POST", "tasks", {"title": "Profile the cold start"})
    for message in ("Started profiling", "Import time is 40% of it", "Trying lazy imports"):
        lab_server.api(
            "POST", f"tasks/{task['id']}/timeline", {"kind": "progress", "message": message}
        )
    # Entries written before the page loaded are read when the card comes into view ...
    lab = LabPage(context.new_page(), lab_server).open(workspace)
    lab.wait_until_live()
    card = card_of(lab, task)
    card.scroll_into_view_if_needed()
    card.locator(".maestro-Entry", has_text="Trying lazy imports").wait_for()

    # ... and later ones arrive with the event stream; the compact form shows the latest three.
    lab_server.api(
        "POST",
        f"tasks/{task['id']}/timeline",
        {"kind": "error", "message": "Lazy imports broke the plugin registry"},
    )
    card.locator('.maestro-Entry[data-kind="error"]', has_text="plugin registry").wait_for()
    assert card.locator(".maestro-Entry", has_text="Started profiling").count() == 0
    card.get_by_role("button", name="1 earlier").click()
    card.locator(".maestro-Entry", has_text="Started profiling").wait_for()
