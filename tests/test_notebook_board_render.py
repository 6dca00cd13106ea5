"""The TaskBoard over 1,000 tasks renders every time: ten fresh kernels (nbclient, as a person
runs a notebook) against one real server. Each run's output must hold the board's view, and the
widget state the kernel sent must be whole: every model a view refers to (`IPY_MODEL_<id>`) was
sent, so the front end never meets `widget model not found`, and the number of models stays
bounded (cards exist for the first page of each column only)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from harness import ServerProcess
from tests.notebook_support import default_server, kernel_env

pytestmark = pytest.mark.timeout(600)

TASKS = 1000
RUNS = 10
PAGE = 20
VIEW = "application/vnd.jupyter.widget-view+json"
STATE = "application/vnd.jupyter.widget-state+json"
REFERENCE = re.compile(r"IPY_MODEL_([0-9a-f]+)")
# A board's models whatever the number of tasks: the toolbar, five columns with their titles and
# buttons, the shared styles, and three models per card shown (5 columns x PAGE cards at most).
MAX_MODELS = 100 + 3 * 5 * PAGE

BOARD_CELLS = [
    "from maestro_jupyter import Maestro, TaskBoard\n"
    f"board = TaskBoard(Maestro(), page_size={PAGE})\n"
    "board",
    "print(json.dumps({'board': board.model_id, 'tasks': len(board.tasks),"
    " 'shown': {s: len(ids) for s, ids in board.visible.items()}}))",
]


@pytest.fixture(scope="module")
def crowded_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server whose store holds TASKS tasks, a few with subtasks, put in by one import."""
    with default_server(tmp_path_factory.mktemp("crowded")) as server:
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        statuses = ["todo"] * 6 + ["in_progress", "blocked", "completed", "cancelled"]
        tasks = [
            {
                "id": f"task_seed{number:05d}",
                "projectId": "proj_default",
                "parentId": None,
                "title": f"Seeded task {number}",
                "description": "",
                "status": statuses[number % len(statuses)],
                "priority": ("low", "medium", "high", "urgent")[number % 4],
                "blockedReason": "waiting" if statuses[number % 10] == "blocked" else None,
                "dependencies": [],
                "labels": [],
                "sessionIds": [],
                "subtaskCount": 0,
                "subtasksCompleted": 0,
                "createdAt": now,
                "updatedAt": now,
                "startedAt": None,
                "completedAt": None,
                "version": 1,
            }
            for number in range(TASKS)
        ]
        document = {"format": "maestro-export", "schemaVersion": 1, "tasks": tasks}
        server.api("POST", "import?onConflict=fail", document)
        yield server


def run_board(server: ServerProcess) -> nbformat.NotebookNode:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("import json")] + [
        nbformat.v4.new_code_cell(source) for source in BOARD_CELLS
    ]
    client = NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=120,
        resources={"metadata": {"path": str(server.root / "work")}},
    )
    client.execute(env=kernel_env(server))
    return notebook


def check_render(notebook: nbformat.NotebookNode) -> dict[str, Any]:
    board_cell, report_cell = notebook.cells[1], notebook.cells[2]
    report = json.loads(report_cell.outputs[0]["text"])
    views = [o["data"][VIEW] for o in board_cell.outputs if VIEW in o.get("data", {})]
    assert [view["model_id"] for view in views] == [report["board"]]
    state = notebook.metadata["widgets"][STATE]["state"]
    assert report["board"] in state
    missing = {
        model_id
        for entry in state.values()
        for model_id in REFERENCE.findall(json.dumps(entry["state"]))
        if model_id not in state
    }
    assert missing == set()
    cards = [
        entry
        for entry in state.values()
        if "maestro-board-card" in entry["state"].get("_dom_classes", [])
    ]
    assert len(cards) == sum(report["shown"].values())
    assert len(state) <= MAX_MODELS
    return report


def test_the_board_renders_1000_tasks_in_ten_fresh_kernels(
    crowded_server: ServerProcess,
) -> None:
    for _ in range(RUNS):
        report = check_render(run_board(crowded_server))
        assert report["tasks"] == TASKS
        assert report["shown"] == {
            "todo": PAGE,
            "in_progress": PAGE,
            "blocked": PAGE,
            "completed": PAGE,
            "cancelled": PAGE,
        }


def test_the_first_page_is_the_most_urgent_and_show_more_adds_a_page(
    crowded_server: ServerProcess,
) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(
            "from maestro_jupyter import Maestro, TaskBoard\n"
            f"board = TaskBoard(Maestro(), page_size={PAGE})\n"
            "first = board.visible['todo']\n"
            "board.more_buttons['todo'].click()\n"
            "print(board.tasks[first[0]]['priority'], len(board.visible['todo']),"
            " board.more_buttons['todo'].description, len(board._cards))\n"
            "board.close()"
        )
    ]
    client = NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=120,
        resources={"metadata": {"path": str(Path(crowded_server.root) / "work")}},
    )
    client.execute(env=kernel_env(crowded_server))
    todo = TASKS * 6 // 10
    assert notebook.cells[0].outputs[0]["text"].split() == [
        "urgent",
        str(2 * PAGE),
        "Show",
        str(PAGE),
        "more",
        "of",
        str(todo - 2 * PAGE),
        str(6 * PAGE),
    ]
