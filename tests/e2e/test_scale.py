"""10,000 tasks: the sidebar and the board keep a bounded DOM (only what is in view), and the
board is read once at start-up, not again when the events socket reconnects; it is read again
when the server cannot replay what the window missed (a resync)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.seed import seed

from .conftest import make_isolated_env
from .lab import LabServer
from .pages import LabPage, eventually

TASKS = 10_000
# A few thousand at most (the goal): a hundred or so cards in view, never one per task.
MAX_NODES = 4_000
# A read of a page of tasks (not a task's own routes, such as its timeline).
LIST = "/maestro/api/tasks?"


@pytest.fixture(scope="module")
def big_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    root = tmp_path_factory.mktemp("lab-scale")
    env = make_isolated_env(root)
    seed(Path(env["MAESTRO_HOME"]) / "maestro.db", TASKS)
    server = LabServer(root, env)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def nodes(lab: LabPage, selector: str) -> int:
    return lab.page.evaluate(
        "selector => document.querySelector(selector).getElementsByTagName('*').length",
        selector,
    )


def test_ten_thousand_tasks_keep_the_dom_bounded(
    big_server: LabServer, context: Any, workspace: str
) -> None:
    lab = LabPage(context.new_page(), big_server).open(workspace)
    lab.wait_until_live(timeout=60_000)
    panel = lab.open_panel()
    # Tasks are loaded (the first group's count says so) but only a window of cards is rendered
    # (the later groups' headers are rows further down, not in the DOM yet).
    header = panel.locator('.maestro-GroupHeader[data-group="in_progress"] .maestro-Count')
    header.wait_for(timeout=120_000)
    eventually(lambda: header.inner_text() == str(TASKS // 5), timeout=60)
    lab.page.locator("#maestro-panel .maestro-Task").first.wait_for()
    assert 0 < lab.page.locator("#maestro-panel .maestro-Task").count() < 100
    assert nodes(lab, "#maestro-panel") < MAX_NODES

    # Scrolling far down renders the cards there, still a window of them.
    lab.page.evaluate(
        "() => { const list = document.querySelector('#maestro-panel .maestro-VirtualList');"
        " list.scrollTop = list.scrollHeight / 2; }"
    )
    eventually(lambda: lab.page.locator("#maestro-panel .maestro-Task").count() > 0)
    assert nodes(lab, "#maestro-panel") < MAX_NODES

    lab.page.wait_for_function("() => window.jupyterapp.commands.hasCommand('maestro:open-board')")
    lab.page.evaluate(
        "() => window.jupyterapp.commands.execute('maestro:open-board').then(() => null)"
    )
    board = lab.page.locator("#maestro-board")
    board.locator(".maestro-BoardCard").first.wait_for()
    todo = board.locator('.maestro-Column[data-column="todo"] .maestro-ColumnHeader .maestro-Count')
    assert todo.inner_text() == str(TASKS // 5)
    assert nodes(lab, "#maestro-board") < MAX_NODES

    # A task created over REST shows (urgent: at the top of To do), the DOM still bounded.
    big_server.api("POST", "tasks", {"title": "Arrives among ten thousand", "priority": "urgent"})
    board.locator(".maestro-BoardCard", has_text="Arrives among ten thousand").wait_for()
    assert todo.inner_text() == str(TASKS // 5 + 1)
    assert nodes(lab, "#maestro-board") < MAX_NODES


def test_the_board_is_read_once_and_a_reconnect_does_not_read_it_again(
    big_server: LabServer, context: Any, workspace: str
) -> None:
    page = context.new_page()
    reads: list[str] = []
    page.on("request", lambda request: reads.append(request.url) if LIST in request.url else None)
    lab = LabPage(page, big_server).open(workspace)
    lab.wait_until_live(timeout=60_000)
    panel = lab.open_panel()
    header = panel.locator('.maestro-GroupHeader[data-group="in_progress"] .maestro-Count')
    header.wait_for(timeout=120_000)
    eventually(lambda: header.inner_text() == str(TASKS // 5), timeout=60)
    # Loaded (the other statuses' pages may still be arriving when one group is complete).
    loading = panel.locator(".maestro-Empty", has_text="Loading")
    eventually(lambda: loading.count() == 0, timeout=60)
    # Every page once: 10,000 tasks in five statuses are at least 20 pages of 500.
    assert len(reads) >= 20
    assert len(set(reads)) == len(reads), "a page of tasks was read twice"
    loaded = len(reads)

    # The server replays what the window missed: nothing is read again.
    assert big_server.call("POST", "maestro-e2e/close-event-sockets")["closed"] >= 1
    page.wait_for_selector(".maestro-Connection:not(.maestro-mod-live)")
    page.wait_for_selector(".maestro-Connection.maestro-mod-live", timeout=15_000)
    big_server.api("POST", "tasks", {"title": "Arrives after a reconnect", "priority": "urgent"})
    page.evaluate("() => window.jupyterapp.commands.execute('maestro:open-board').then(() => null)")
    page.locator(
        "#maestro-board .maestro-BoardCard", has_text="Arrives after a reconnect"
    ).wait_for()
    assert len(reads) == loaded


def test_a_resync_reads_the_board_again(
    own_lab_server: LabServer, context: Any, workspace: str
) -> None:
    server = own_lab_server
    for n in range(3):
        server.api("POST", "tasks", {"title": f"In the first database {n}"})
    lab = LabPage(context.new_page(), server).open(workspace)
    lab.wait_until_live()
    lab.task_card("In the first database 2").wait_for()

    # Another database (its events end before this window's position): the server asks the
    # window to resync, and only a new read drops the tasks the old database had.
    server.stop()
    for path in Path(server.env["MAESTRO_HOME"]).glob("maestro.db*"):
        path.unlink()
    server.start()
    server.api("POST", "tasks", {"title": "In the second database"})
    lab.task_card("In the second database").wait_for(timeout=45_000)
    eventually(lambda: lab.task_card("In the first database").count() == 0, timeout=15)
