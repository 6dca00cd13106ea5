"""Session tabs you can tell apart, arranged by orchestrator, that never resize an agent they
were not shown in; resuming an ended session, and completing a task whose session runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import make_isolated_env
from .lab import TEST_AGENT_SCRIPT, LabServer
from .pages import LabPage, eventually

# An agent that writes its terminal's size when it starts and at each SIGWINCH (a resize), to
# `<agent log>.<session id>.sizes`: the pty's size as the agent sees it, one line per change.
SIZES_AGENT_SCRIPT = (
    'f="$MAESTRO_E2E_AGENT_LOG.$MAESTRO_SESSION_ID.sizes"; trap \'stty size >> "$f"\' WINCH;'
    ' stty size >> "$f"; while :; do sleep 1 & wait $!; done'
)

# Their start differs only in a number, their end not at all, two are the same: Lab's tabs cut
# from the end, so they read alike.
SIMILAR_TITLES = [f"Add retries {n} to the HTTP client of the billing service" for n in range(18)]
SIMILAR_TITLES += ["Upgrade the dependencies"] * 2


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    root = tmp_path_factory.mktemp("lab-tabs")
    agents = {
        "test": {"argv": ["sh", "-c", TEST_AGENT_SCRIPT]},
        "sizes": {"argv": ["sh", "-c", SIZES_AGENT_SCRIPT]},
        # Keeps a conversation id as Claude Code does, and resumes it.
        "resumable": {
            "argv": ["sh", "-c", "sleep 60", "agent", "{claude_session_id}"],
            "resume": ["sh", "-c", "sleep 60", "agent", "{agent_session_id}"],
        },
    }
    server = LabServer(root, make_isolated_env(root), maestro_config={"agents": agents})
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def lab(server: LabServer, context: Any, workspace: str) -> LabPage:
    lab = LabPage(context.new_page(), server).open(workspace)
    lab.wait_until_live()
    return lab


def tab_titles(lab: LabPage, ids: list[str]) -> dict[str, dict[str, str]]:
    """{session id: {label, caption, className}} of each open session tab."""
    return lab.page.evaluate(
        """(ids) => Object.fromEntries(Array.from(window.jupyterapp.shell.widgets('main'))
            .filter(w => ids.includes(w.title.dataset['maestro-session']))
            .map(w => [w.title.dataset['maestro-session'],
                       {label: w.title.label, caption: w.title.caption,
                        className: w.title.className}]))""",
        ids,
    )


def sizes_seen(server: LabServer, session_id: str) -> list[str]:
    path = Path(f"{server.agent_log}.{session_id}.sizes")
    return path.read_text().split("\n")[:-1] if path.exists() else []


def current_session(lab: LabPage) -> str | None:
    return lab.page.evaluate(
        "() => { const w = window.jupyterapp.shell.currentWidget;"
        " return w ? w.title.dataset['maestro-session'] || null : null; }"
    )


def test_twenty_session_tabs_have_distinct_short_titles(server: LabServer, lab: LabPage) -> None:
    sessions = [server.spawn_for_new_task(title) for title in SIMILAR_TITLES]
    ids = [session["id"] for session in sessions]

    titles = eventually(lambda: (found := tab_titles(lab, ids)) and len(found) == 20 and found)

    labels = [titles[id]["label"] for id in ids]
    assert len(set(labels)) == 20, labels
    for session in sessions:
        title = titles[session["id"]]
        assert len(title["label"]) <= 32, title["label"]
        assert title["label"].endswith(session["id"][-4:])
        # The tooltip carries the full name, role, agent and status; classes mark the last two.
        assert session["name"] in title["caption"]
        assert "worker · test ·" in title["caption"]
        assert "maestro-tab-role-worker" in title["className"]
        assert "maestro-tab-status-" in title["className"]
    # Shortened from the middle: the number near the start and the end both stay visible.
    assert labels[3].startswith("Add retries 3") and "service" in labels[3]


def test_arranging_puts_an_orchestrators_sessions_in_one_tab_area(
    server: LabServer, lab: LabPage
) -> None:
    lead = server.spawn_for_new_task("Ship the release", role="orchestrator")
    team = [
        server.spawn_for_new_task(f"Release step {n}", parentSessionId=lead["id"]) for n in range(3)
    ]
    other = server.spawn_for_new_task("Unrelated work")
    ids = [lead["id"], other["id"], *(session["id"] for session in team)]
    eventually(lambda: len(tab_titles(lab, ids)) == 5)

    arranged = lab.page.evaluate(
        "(id) => window.jupyterapp.commands.execute('maestro:arrange-sessions', {sessionId: id})",
        team[1]["id"],
    )

    assert arranged == 4
    areas = lab.page.evaluate(
        """() => Array.from(document.querySelectorAll('#jp-main-dock-panel .lm-TabBar'))
            .map(bar => Array.from(bar.querySelectorAll('.lm-TabBar-tab'))
                .map(tab => tab.dataset.maestroSession).filter(Boolean))"""
    )
    team_area = next(area for area in areas if team[0]["id"] in area)
    assert sorted(team_area) == sorted(session["id"] for session in team)
    assert lead["id"] not in team_area and other["id"] not in team_area


def test_a_background_tab_leaves_the_agent_at_its_spawn_size(
    server: LabServer, lab: LabPage
) -> None:
    lab.page.wait_for_selector(".jp-Launcher")  # the main area's current tab

    session = server.spawn_for_new_task(
        "Draw at the size asked for", agent="sizes", rows=40, cols=120
    )

    tab = lab.session_tab(session["id"])
    tab.wait_for(state="attached")
    # The background tab's terminal is connected and its xterm made: Lab's terminal sends its
    # size at this point, which for a tab never shown is xterm's unfitted 24x80.
    lab.page.wait_for_function(
        """(id) => Array.from(window.jupyterapp.shell.widgets('main')).some(w =>
            w.title.dataset['maestro-session'] === id && w.content._isReady &&
            w.content.session.connectionStatus === 'connected')""",
        arg=session["id"],
    )
    eventually(lambda: sizes_seen(server, session["id"]))
    lab.page.wait_for_timeout(1500)  # what a resize would take to reach the agent
    assert sizes_seen(server, session["id"]) == ["40 120"]
    assert current_session(lab) is None  # still behind the launcher

    tab.click()

    # Shown, it is fitted, and its first fit sends the tab's real size.
    rows, cols = eventually(
        lambda: (size := lab.terminal_size_of_session_tab(session["id"])) != (24, 80) and size
    )
    eventually(lambda: len(sizes_seen(server, session["id"])) == 2)
    assert sizes_seen(server, session["id"])[1] == f"{rows} {cols}"


def run_command(lab: LabPage, command: str, args: dict[str, Any]) -> Any:
    return lab.page.evaluate(
        "([command, args]) => window.jupyterapp.commands.execute(command, args)", [command, args]
    )


def status_of(server: LabServer, kind: str, id: str) -> str:
    return server.api("GET", f"{kind}/{id}")["status"]


def test_resume_opens_the_new_session_and_brings_its_tab_forward(
    server: LabServer, lab: LabPage
) -> None:
    ended = server.spawn_for_new_task("Pick up where it stopped", agent="resumable")
    lab.session_tab(ended["id"]).wait_for(state="attached")
    server.api("POST", f"sessions/{ended['id']}/stop", {})
    eventually(lambda: status_of(server, "sessions", ended["id"]) == "stopped")

    resumed = run_command(lab, "maestro:resume-session", {"sessionId": ended["id"]})

    assert resumed["resumedFrom"] == ended["id"]
    lab.session_tab(resumed["id"]).wait_for(state="visible")
    eventually(lambda: current_session(lab) == resumed["id"])


def test_a_session_that_cannot_be_resumed_says_why(server: LabServer, lab: LabPage) -> None:
    ended = server.spawn_for_new_task("Nothing to resume")
    server.api("POST", f"sessions/{ended['id']}/stop", {})
    eventually(lambda: status_of(server, "sessions", ended["id"]) == "stopped")

    # Said once, as a notification (the command answers null, as the row's Resume does).
    assert run_command(lab, "maestro:resume-session", {"sessionId": ended["id"]}) is None
    eventually(lambda: "cannot be resumed" in lab.notifications())


def test_completing_a_task_whose_session_runs_asks_whether_to_stop_it(
    server: LabServer, lab: LabPage
) -> None:
    session = server.spawn_for_new_task("Finish the quarterly report")
    (task_id,) = session["taskIds"]
    lab.session_tab(session["id"]).wait_for(state="attached")  # the board has seen it
    dialog = lab.page.locator(".jp-Dialog")

    lab.page.evaluate(
        "(id) => { window.jupyterapp.commands.execute('maestro:complete-task', {taskId: id}); }",
        task_id,
    )
    dialog.wait_for()
    assert session["name"] in dialog.inner_text()
    dialog.get_by_role("button", name="Cancel").click()
    dialog.wait_for(state="detached")
    assert status_of(server, "tasks", task_id) != "completed"
    assert status_of(server, "sessions", session["id"]) == "running"

    lab.page.evaluate(
        "(id) => { window.jupyterapp.commands.execute('maestro:complete-task', {taskId: id}); }",
        task_id,
    )
    dialog.get_by_role("button", name="Stop and complete").click()

    eventually(lambda: status_of(server, "tasks", task_id) == "completed")
    eventually(lambda: status_of(server, "sessions", session["id"]) == "stopped")


def test_a_spawn_naming_no_size_starts_at_the_size_lab_reported(
    server: LabServer, lab: LabPage
) -> None:
    lab.page.set_viewport_size({"width": 1100, "height": 700})  # reported again on resize
    lab.page.wait_for_timeout(1000)  # the report waits for the resize to settle

    # As the CLI does: no rows, cols.
    session = server.spawn_for_new_task("Start at the window's size")

    started = eventually(lambda: server.agent_runs().get(session["id"]))
    lab.session_tab(session["id"]).click()
    tab_rows, tab_cols = eventually(
        lambda: (
            (size := lab.terminal_size_of_session_tab(session["id"])) not in (None, (24, 80))
            and size
        )
    )
    assert started != (40, 120)  # not the server's default
    assert abs(started[0] - tab_rows) <= 3, (started, (tab_rows, tab_cols))
    assert abs(started[1] - tab_cols) <= 6, (started, (tab_rows, tab_cols))
