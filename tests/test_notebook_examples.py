"""The example notebooks run as shipped, top to bottom, in a real kernel, against a fresh real
server with only Maestro's default agents; 03 also with an agent that finishes by itself."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from harness import ServerProcess
from tests.notebook_support import default_server, kernel_env, maestro_server

pytestmark = pytest.mark.timeout(240)

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


@pytest.fixture
def fresh_server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A server as installed: its only agent is the shell agent, which never finishes alone."""
    with default_server(tmp_path / "server") as server:
        yield server


@pytest.fixture
def scripted_server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A server whose default agent reports `working`, then `done`, and exits."""
    with maestro_server(tmp_path / "server") as server:
        yield server


def run_notebook(name: str, server: ServerProcess) -> nbformat.NotebookNode:
    """Execute the notebook as a user would: a kernel started in the server's root folder, with
    no MAESTRO_URL, so `Maestro()` finds the server through its runtime file."""
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    work = server.root / "work"
    client = NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=120,
        resources={"metadata": {"path": str(work)}},
    )
    client.execute(env=kernel_env(server))
    return notebook


def outputs(notebook: nbformat.NotebookNode) -> str:
    texts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            texts.append(output.get("text", ""))
            texts.append(output.get("data", {}).get("text/plain", ""))
    return "\n".join(texts)


def test_notebooks_are_committed_without_outputs() -> None:
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, path.name


def test_quickstart_creates_the_release_tree(fresh_server: ServerProcess) -> None:
    notebook = run_notebook("01-quickstart.ipynb", fresh_server)

    tasks = fresh_server.api("GET", "tasks?include=subtasks")["items"]
    by_title = {task["title"]: task for task in tasks}
    release = by_title["Prepare the 1.0 release"]
    assert release["status"] == "completed"
    assert [s["completed"] for s in release["subtasks"]] == [True] * 4
    assert by_title["Green CI on every platform"]["status"] == "blocked"
    assert by_title["Update the documentation"]["parentId"] == release["id"]
    text = outputs(notebook)
    assert "not_found - " in text
    assert "validation_error - ['priority']" in text


def test_task_board_follows_the_changes(fresh_server: ServerProcess) -> None:
    notebook = run_notebook("02-task-board.ipynb", fresh_server)

    counts = fresh_server.api("GET", "status")["counts"]["tasks"]
    assert counts["completed"] == 1 and counts["blocked"] == 1 and counts["todo"] == 1
    text = outputs(notebook)
    assert "{'todo': 0, 'in_progress': 1, 'blocked': 1, 'completed': 0, 'cancelled': 0}" in text
    assert "('Reference page', [" in text


def test_orchestrate_with_the_default_agent_says_so_stops_the_sessions_and_summarises(
    fresh_server: ServerProcess,
) -> None:
    notebook = run_notebook("03-orchestrate.ipynb", fresh_server)

    sessions = fresh_server.api("GET", "sessions")["items"]
    assert len(sessions) == 3
    assert {(s["agent"], s["status"], s["spawnSource"]) for s in sessions} == {
        ("shell", "stopped", "notebook")
    }
    tasks = {t["title"]: t for t in fresh_server.api("GET", "tasks")["items"]}
    assert {tasks[title]["status"] for title in ("Tokenizer", "Parser", "Docs")} == {"todo"}
    text = outputs(notebook)
    assert "The shell agent waits for a person" in text
    assert "3 of 3 sessions had not finished after 10 s: stopped them." in text
    assert "'Worker: Tokenizer': 'stopped'" in text
    assert "(no reports)" in text  # the summary, with nothing reported
    assert "{'Parser': 'todo', 'Docs': 'todo'}" in text


def test_orchestrate_with_an_agent_that_finishes_summarises_its_reports(
    scripted_server: ServerProcess,
) -> None:
    notebook = run_notebook("03-orchestrate.ipynb", scripted_server)

    sessions = scripted_server.api("GET", "sessions")["items"]
    assert {(s["agent"], s["status"]) for s in sessions} == {("test", "completed")}
    tasks = {t["title"]: t for t in scripted_server.api("GET", "tasks")["items"]}
    assert tasks["Tokenizer"]["status"] == "completed"
    assert tasks["Language tour"]["status"] == "todo"
    assert tasks["Parser"]["status"] == "completed"  # all its tasks were done by agents
    assert tasks["Docs"]["status"] == "todo"
    text = outputs(notebook)
    assert "'Worker: Tokenizer': 'completed'" in text
    assert "had not finished" not in text
    assert "working / " in text  # a summary of the agents' reports
    for task in tasks.values():
        if task["title"] in ("Tokenizer", "Expression grammar", "API reference"):
            reports = scripted_server.api("GET", f"tasks/{task['id']}/timeline")["items"]
            assert {"working", "done"} <= {entry["message"] for entry in reports}
