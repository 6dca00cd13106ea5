"""The notebook API (`Maestro`) against a real server: typed objects, subtasks, sessions,
timelines, DataFrames, HTML, and errors that carry the server's code."""

from __future__ import annotations

import subprocess
import sys

import pytest

from harness import ServerProcess, free_port
from maestro_jupyter import Maestro as LazyMaestro
from maestro_jupyter import errors
from maestro_jupyter.notebook import (
    Conflict,
    ConnectionFailed,
    Forbidden,
    Maestro,
    MaestroError,
    NotFound,
    Session,
    Subtask,
    Task,
    Unauthorized,
    ValidationFailed,
    VersionMismatch,
)
from tests.notebook_support import maestro, server  # noqa: F401

pytestmark = pytest.mark.timeout(120)


def test_the_package_exports_the_notebook_api() -> None:
    assert LazyMaestro is Maestro


def test_a_task_is_created_with_its_subtasks(maestro: Maestro) -> None:  # noqa: F811
    task = maestro.tasks.create(
        "Write the parser", priority="high", labels=["core"], subtasks=["Lexer", {"title": "AST"}]
    )

    assert isinstance(task, Task)
    assert task.id.startswith("task_")
    assert (task.title, task.status, task.priority, task.labels) == (
        "Write the parser", "todo", "high", ["core"]
    )
    assert task.subtask_count == 2
    assert [s.title for s in task.subtasks] == ["Lexer", "AST"]
    assert all(isinstance(s, Subtask) and not s.completed for s in task.subtasks)
    assert maestro.tasks.get(task.id) == task


def test_subtasks_are_added_completed_and_deleted(maestro: Maestro) -> None:  # noqa: F811
    task = maestro.tasks.create("Release", subtasks=["Changelog"])

    one = task.subtasks.add("Tag")
    several = task.subtasks.add(["Announce", "Celebrate"])
    task.subtasks.complete("Changelog")
    task.subtasks.complete(one)
    task.subtasks.delete(several[1].id)

    fresh = maestro.tasks.get(task.id)
    assert [(s.title, s.completed) for s in fresh.subtasks] == [
        ("Changelog", True), ("Tag", True), ("Announce", False)
    ]
    assert (fresh.subtask_count, fresh.subtasks_completed) == (3, 2)
    assert task.refresh().subtasks_done == "2/3"
    assert task.subtasks.reopen(0).completed is False


def test_tasks_are_updated_completed_blocked_and_deleted(maestro: Maestro) -> None:  # noqa: F811
    parent = maestro.tasks.create("Epic")
    child = maestro.tasks.create("Story", parent=parent)
    other = maestro.tasks.create("Chore")

    assert maestro.tasks.update(child, priority="urgent", status="in_progress").priority == "urgent"
    assert maestro.tasks.block(other.id, "In review").blocked_reason == "In review"
    assert parent.children() == [child]
    assert child.complete("Shipped").status == "completed"
    assert [e.message for e in maestro.timeline(child) if e.kind == "milestone"] == ["Shipped"]

    with pytest.raises(Conflict) as conflict:
        parent.delete()
    assert conflict.value.code == "conflict"
    maestro.tasks.delete(parent, recursive=True)
    with pytest.raises(NotFound):
        child.refresh()


def test_tasks_are_listed_by_status_parent_and_text(maestro: Maestro) -> None:  # noqa: F811
    parent = maestro.tasks.create("Listing parent")
    first = maestro.tasks.create("Listing alpha", parent=parent)
    second = maestro.tasks.create("Listing beta", parent=parent)
    second.block("Blocked for the listing test")

    assert maestro.tasks.list(parent=parent).ids() == [first.id, second.id]
    assert maestro.tasks.list(parent=parent, status="blocked").ids() == [second.id]
    assert maestro.tasks.list(q="Listing alpha").ids() == [first.id]
    assert parent.id in maestro.tasks.list(top_level=True).ids()
    assert first.id not in maestro.tasks.list(top_level=True).ids()


def test_a_spawned_session_runs_the_agent_and_reports(maestro: Maestro) -> None:  # noqa: F811
    task = maestro.tasks.create("Agent work")

    session = maestro.sessions.spawn(task, role="worker", name="Agent at work")

    assert isinstance(session, Session)
    assert (session.spawn_source, session.agent) == ("notebook", "test")
    assert session.task_ids == [task.id]
    session.wait(timeout=60)
    assert session.ended and session.status == "completed" and session.exit_code == 0
    assert ("progress", "working") in [(e.kind, e.message) for e in session.log()]
    assert ("milestone", "done") in [(e.kind, e.message) for e in task.log()]
    assert task.refresh().status == "completed"
    assert session in maestro.sessions.list(task=task)
    assert task.sessions().ids() == [session.id]


def test_a_session_still_running_after_the_wait_can_be_stopped(
    maestro: Maestro,  # noqa: F811
) -> None:
    task = maestro.tasks.create("Takes forever")
    session = maestro.sessions.spawn(task, agent="sleeper")

    [waited] = maestro.sessions.wait([session], timeout=0.5)

    assert waited.status == "running" and not waited.ended
    assert waited.stop().status == "stopped" and waited.ended
    assert maestro.sessions.get(session.id).status == "stopped"
    assert maestro.sessions.list(status="stopped", task=task).ids() == [session.id]


def test_a_spawn_for_an_unknown_agent_is_a_validation_error(
    maestro: Maestro,  # noqa: F811
) -> None:
    task = maestro.tasks.create("Nobody can do this")

    with pytest.raises(ValidationFailed) as error:
        task.spawn(agent="no-such-agent")

    assert error.value.status == 422
    assert error.value.code == "validation_error"
    assert [e["field"] for e in error.value.details["errors"]] == ["agent"]


def test_errors_carry_the_server_code_message_and_details(maestro: Maestro) -> None:  # noqa: F811
    with pytest.raises(NotFound) as missing:
        maestro.tasks.get("task_doesnotexist")
    assert (missing.value.status, missing.value.code) == (404, "not_found")
    assert "task_doesnotexist" in missing.value.message

    with pytest.raises(ValidationFailed) as invalid:
        maestro.tasks.create("Bad priority", priority="whenever")
    assert invalid.value.details["errors"][0]["field"] == "priority"

    task = maestro.tasks.create("Versioned")
    task.update(title="Versioned twice")
    with pytest.raises(VersionMismatch) as moved:
        maestro.client.update_task(task.id, {"title": "stale"}, version=1)
    assert moved.value.code == "version_mismatch"

    for error in (missing.value, invalid.value, moved.value):
        assert isinstance(error, MaestroError)


def test_the_notebook_raises_the_one_hierarchy_of_maestro_errors() -> None:
    assert (NotFound, Conflict, ValidationFailed, MaestroError) == (
        errors.NotFound, errors.Conflict, errors.ValidationFailed, errors.MaestroError
    )


def test_a_wrong_token_and_a_dead_server_raise_typed_errors(
    server: ServerProcess,  # noqa: F811
) -> None:
    with pytest.raises((Unauthorized, Forbidden)) as refused:
        Maestro(server.url, "wrong-token", retries=0).tasks.list()
    assert refused.value.status in (401, 403)
    assert refused.value.message == f"{server.url} refused the token (HTTP {refused.value.status})"

    with pytest.raises(ConnectionFailed) as unreachable:
        Maestro(f"http://127.0.0.1:{free_port()}/", "x", retries=0).status()
    assert unreachable.value.code == "connection_failed"


def test_objects_read_their_fields_as_attributes(maestro: Maestro) -> None:  # noqa: F811
    task = maestro.tasks.create("Attributes")

    assert task.project_id == task.to_dict()["projectId"] == "proj_default"
    assert "created_at" in dir(task) and "subtask_count" in dir(task)
    with pytest.raises(AttributeError):
        task.no_such_field  # noqa: B018


def test_html_reprs_escape_user_text(maestro: Maestro) -> None:  # noqa: F811
    task = maestro.tasks.create("<script>alert(1)</script>", subtasks=["<b>bold</b>"])

    for shown in (task._repr_html_(), maestro.tasks.list(q="alert")._repr_html_()):
        assert "<script>" not in shown and "&lt;script&gt;" in shown
    assert "&lt;b&gt;bold&lt;/b&gt;" in task._repr_html_()
    assert task.status in task._repr_html_() and task.id in task._repr_html_()


def test_to_dataframe_has_a_row_per_object(maestro: Maestro) -> None:  # noqa: F811
    parent = maestro.tasks.create("Frame parent")
    children = [maestro.tasks.create(f"Frame child {n}", parent=parent) for n in range(3)]

    frame = maestro.to_dataframe(maestro.tasks.list(parent=parent))

    assert list(frame.index) == [child.id for child in children]
    assert list(frame["title"]) == ["Frame child 0", "Frame child 1", "Frame child 2"]
    assert {"status", "priority", "subtask_count", "parent_id"} <= set(frame.columns)
    assert parent.id in maestro.to_dataframe("tasks").index
    assert "proj_default" in maestro.to_dataframe("projects").index
    with pytest.raises(ValueError):
        maestro.to_dataframe("subtasks")


def test_without_the_optional_extras_the_api_works_and_says_what_to_install() -> None:
    script = (
        "import sys\n"
        "sys.modules['ipywidgets'] = sys.modules['pandas'] = None\n"
        "import maestro_jupyter\n"
        "from maestro_jupyter.notebook import to_dataframe\n"
        "assert maestro_jupyter.Maestro\n"
        "for attempt in (lambda: to_dataframe([]), lambda: maestro_jupyter.TaskBoard):\n"
        "    try:\n"
        "        attempt()\n"
        "    except ImportError as error:\n"
        "        print(error)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )

    assert result.stdout.splitlines() == [
        "to_dataframe needs pandas: pip install 'maestro-jupyter[pandas]'",
        "Maestro's widgets need ipywidgets: pip install 'maestro-jupyter[widgets]'",
    ]
