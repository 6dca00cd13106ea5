"""Spawned sessions open as Lab tabs by themselves: live, after a dropped socket, after a reload."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import make_isolated_env
from .lab import LabServer
from .pages import LabPage, eventually


@pytest.fixture
def task(lab_server: LabServer) -> dict[str, Any]:
    return lab_server.api("POST", "tasks", {"title": "Fix the flaky login test"})


def spawn(server: LabServer, task: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """Spawn the way the CLI does: a REST call, no browser involved."""
    return server.api(
        "POST", "sessions/spawn", {"taskIds": [task["id"]], "spawnSource": "cli", **extra}
    )


def test_a_session_spawned_over_rest_opens_as_a_tab_titled_for_it(
    lab_server: LabServer, context: Any, workspace: str, task: dict
) -> None:
    lab = LabPage(context.new_page(), lab_server).open(workspace)
    lab.wait_until_live()

    session = spawn(lab_server, task, name="login-fixer")

    tab = lab.session_tab(session["id"])
    tab.wait_for(state="visible", timeout=8_000)
    assert tab.inner_text().strip() == f"login-fixer · {session['id'][-4:]}"
    assert lab.terminal_names_of_session_tabs(session["id"]) == [f"maestro_{session['id']}"]
    terminals = {t["name"] for t in lab_server.call("GET", "api/terminals")}
    assert f"maestro_{session['id']}" in terminals
    eventually(lambda: session["id"] in lab_server.agent_runs())


def test_the_tab_still_opens_after_the_server_drops_the_events_socket(
    lab_server: LabServer, context: Any, workspace: str, task: dict
) -> None:
    lab = LabPage(context.new_page(), lab_server).open(workspace)
    lab.wait_until_live()

    closed = lab_server.call("POST", "maestro-e2e/close-event-sockets")
    assert closed["closed"] >= 1
    session = spawn(lab_server, task)

    lab.session_tab(session["id"]).wait_for(state="visible", timeout=15_000)
    lab.page.wait_for_selector(".maestro-Connection.maestro-mod-live")
    assert len(lab.terminal_names_of_session_tabs(session["id"])) == 1


def test_a_session_spawned_while_lab_was_closed_opens_when_it_loads(
    lab_server: LabServer, context: Any, workspace: str, task: dict
) -> None:
    lab = LabPage(context.new_page(), lab_server).open(workspace)
    lab.wait_until_live()
    lab.page.goto("about:blank")

    session = spawn(lab_server, task)
    eventually(lambda: session["id"] in lab_server.agent_runs())

    lab.open(workspace)
    lab.session_tab(session["id"]).wait_for(state="visible", timeout=15_000)
    assert lab.terminal_names_of_session_tabs(session["id"]) == [f"maestro_{session['id']}"]

    # A second reload does not open it again: each spawn request opens one tab, once.
    lab.open(workspace)
    lab.wait_until_live()
    lab.page.wait_for_timeout(1500)
    assert lab.terminal_names_of_session_tabs(session["id"]) == []


def test_a_session_that_ended_while_lab_was_closed_does_not_open(
    lab_server: LabServer, context: Any, workspace: str, task: dict
) -> None:
    lab = LabPage(context.new_page(), lab_server).open(workspace)
    lab.wait_until_live()
    lab.page.goto("about:blank")

    ended = spawn(lab_server, task)
    lab_server.api("POST", f"sessions/{ended['id']}/stop", {})
    running = spawn(lab_server, task)

    lab.open(workspace)
    lab.session_tab(running["id"]).wait_for(state="visible", timeout=15_000)
    assert lab.terminal_names_of_session_tabs(ended["id"]) == []


@pytest.fixture(scope="module")
def prefixed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    root = tmp_path_factory.mktemp("lab-prefixed")
    server = LabServer(root, make_isolated_env(root), base_url="/hub/user/ada/")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_behind_a_base_url_the_events_and_tabs_still_work(
    prefixed_server: LabServer, context: Any, workspace: str
) -> None:
    lab = LabPage(context.new_page(), prefixed_server).open(workspace)
    lab.wait_until_live()
    task = prefixed_server.api("POST", "tasks", {"title": "Work behind a proxy"})
    lab.task_card("Work behind a proxy").wait_for()

    session = spawn(prefixed_server, task)

    lab.session_tab(session["id"]).wait_for(state="visible")
    assert lab.terminal_names_of_session_tabs(session["id"]) == [f"maestro_{session['id']}"]


def test_after_a_server_restart_the_page_reconnects_and_opens_new_spawns(
    own_lab_server: LabServer, context: Any, workspace: str
) -> None:
    server = own_lab_server
    lab = LabPage(context.new_page(), server).open(workspace)
    lab.wait_until_live()
    task = server.api("POST", "tasks", {"title": "Survive a restart"})

    server.stop()
    lab.page.wait_for_selector(".maestro-Connection:not(.maestro-mod-live)")
    server.start()
    session = spawn(server, task)

    # Retries back off (with jitter) while the server is down, then resume from the last seq.
    lab.session_tab(session["id"]).wait_for(state="visible", timeout=40_000)
    lab.page.wait_for_selector(".maestro-Connection.maestro-mod-live")


def test_every_open_lab_window_opens_the_tab_once(
    lab_server: LabServer, context: Any, workspace: str, task: dict
) -> None:
    windows = [LabPage(context.new_page(), lab_server).open(f"{workspace}-{n}") for n in range(2)]
    for lab in windows:
        lab.wait_until_live()

    session = spawn(lab_server, task)

    for lab in windows:
        lab.session_tab(session["id"]).wait_for(state="visible")
    # Neither the other windows nor a reconnect (which resumes after the last seq) open it twice.
    lab_server.call("POST", "maestro-e2e/close-event-sockets")
    windows[0].page.wait_for_timeout(1500)
    for lab in windows:
        lab.page.wait_for_selector(".maestro-Connection.maestro-mod-live")
        assert lab.terminal_names_of_session_tabs(session["id"]) == [f"maestro_{session['id']}"]
