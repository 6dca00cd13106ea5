"""Sessions belong to the server that runs them: two real Jupyter servers on one SQLite Maestro
database (one MAESTRO_HOME). A session spawned on the second is listed in the first's Lab with
its owner and no actions, and never gets a tab there; the first's own sessions still do. SQLite
carries no events across servers, so the first's Lab sees the other's session when it loads.
Resume runs one path from a session's row and from the command palette."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import make_isolated_env
from .lab import TEST_AGENT_SCRIPT, LabServer
from .pages import LabPage, eventually

AGENTS = {
    "test": {"argv": ["sh", "-c", TEST_AGENT_SCRIPT]},
    # Keeps a conversation id as Claude Code does, and resumes it.
    "resumable": {
        "argv": ["sh", "-c", "sleep 60", "agent", "{claude_session_id}"],
        "resume": ["sh", "-c", "sleep 60", "agent", "{agent_session_id}"],
    },
}


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LabServer, LabServer]]:
    first_root = tmp_path_factory.mktemp("lab-first")
    second_root = tmp_path_factory.mktemp("lab-second")
    first_env = make_isolated_env(first_root)
    second_env = make_isolated_env(second_root)
    second_env["MAESTRO_HOME"] = first_env["MAESTRO_HOME"]  # one database
    first = LabServer(first_root, first_env, maestro_config={"agents": AGENTS})
    second = LabServer(second_root, second_env, maestro_config={"agents": AGENTS})
    second.workdir = first.workdir  # one root: the shared projects' folders are under both
    first.start()
    try:
        second.start()
        try:
            yield first, second
        finally:
            second.stop()
    finally:
        first.stop()


@pytest.fixture
def first(servers: tuple[LabServer, LabServer]) -> LabServer:
    return servers[0]


@pytest.fixture
def second(servers: tuple[LabServer, LabServer]) -> LabServer:
    return servers[1]


@pytest.fixture
def lab(first: LabServer, context: Any, workspace: str) -> LabPage:
    lab = LabPage(context.new_page(), first).open(workspace)
    lab.wait_until_live()
    return lab


def stop(server: LabServer, session: dict[str, Any]) -> None:
    server.api("POST", f"sessions/{session['id']}/stop", {})
    eventually(lambda: server.api("GET", f"sessions/{session['id']}")["status"] == "stopped")


def session_row(lab: LabPage, session: dict[str, Any]) -> Any:
    """The session's row on its task's card in the sidebar."""
    lab.open_panel()
    task = lab.server.api("GET", f"tasks/{session['taskIds'][0]}")
    return lab.task_card(task["title"]).locator(
        f'.maestro-Session[data-session-id="{session["id"]}"]'
    )


def current_session(lab: LabPage) -> str | None:
    return lab.page.evaluate(
        "() => { const w = window.jupyterapp.shell.currentWidget;"
        " return w ? w.title.dataset['maestro-session'] || null : null; }"
    )


def terminals(server: LabServer) -> set[str]:
    return {terminal["name"] for terminal in server.call("GET", "api/terminals")}


def test_another_servers_session_is_listed_with_its_owner_and_never_opens(
    first: LabServer, second: LabServer, lab: LabPage, workspace: str
) -> None:
    foreign = second.spawn_for_new_task("Migrate the billing tables")
    owner = second.api("GET", "status")["server"]
    assert foreign["owner"]["server"] == owner["id"] != first.api("GET", "status")["server"]["id"]

    # No events cross servers on SQLite: a reload shows it, and replays its spawn request
    # from the shared event log.
    lab.open(workspace, reset=False)
    lab.wait_until_live()
    row = session_row(lab, foreign)
    row.wait_for()

    assert "maestro-mod-foreign" in (row.get_attribute("class") or "")
    assert row.locator(".maestro-Owner").inner_text() == f"{owner['user']}'s server"
    assert row.get_attribute("title") == f"runs on {owner['user']}'s server ({owner['id']})"
    assert row.locator(".maestro-Badge").inner_text().startswith("running")
    assert row.locator("button").count() == 0  # no Open, Stop, Send…, Review or Resume
    # Who made the task is in its title's tooltip: the same user on both servers, so "you".
    task = first.api("GET", f"tasks/{foreign['taskIds'][0]}")
    assert task["createdBy"] == first.api("GET", "status")["you"]["name"]
    title = lab.task_card(task["title"]).locator(".maestro-TaskTitle")
    assert "made by you" in (title.get_attribute("title") or "")

    # An own session spawned afterwards opens its tab: the stream was handled past the other's.
    own = first.spawn_for_new_task("Write the release notes")
    lab.session_tab(own["id"]).wait_for(state="attached")
    assert lab.session_tab(foreign["id"]).count() == 0
    assert f"maestro_{foreign['id']}" not in terminals(first)


def test_another_servers_session_that_needs_input_is_not_counted_here(
    first: LabServer, second: LabServer, lab: LabPage, workspace: str
) -> None:
    own = first.spawn_for_new_task("Answer the reviewer")
    foreign = second.spawn_for_new_task("Answer the auditor")
    for server, session, question in (
        (first, own, "which reviewer?"),
        (second, foreign, "which audit?"),
    ):
        server.api(
            "POST", f"sessions/{session['id']}/report", {"kind": "needs_input", "message": question}
        )
    lab.page.locator(".Toastify__toast", has_text="which reviewer?").wait_for()

    # The foreign session's events arrive on a reload (SQLite: replayed from the shared log).
    lab.open(workspace, reset=False)
    lab.wait_until_live()
    session_row(lab, foreign).wait_for()
    here = first.api("GET", "status")["server"]["id"]
    waiting = first.api("GET", "sessions?status=needs_input")["items"]
    mine = [s for s in waiting if (s["owner"] or {}).get("server") in (None, here)]
    assert foreign["id"] in {s["id"] for s in waiting} and own["id"] in {s["id"] for s in mine}
    eventually(lambda: lab.needs_you_count() == len(mine))
    assert "which audit?" not in lab.notifications()


def test_a_tab_lab_makes_for_another_servers_session_is_closed(
    first: LabServer, second: LabServer, lab: LabPage
) -> None:
    """As a layout restored at start-up (or the Running panel) would: Lab opens a terminal by
    the session's terminal name; it is not that session's agent, so the tab goes."""
    foreign = second.spawn_for_new_task("Rotate the signing keys")
    own = first.spawn_for_new_task("Rotate the log files")
    lab.session_tab(own["id"]).wait_for(state="attached")

    for session in (own, foreign):
        lab.page.evaluate(
            "(name) => window.jupyterapp.commands.execute('terminal:open', {name}).then(() => 1)",
            f"maestro_{session['id']}",
        )

    # The own session's tab is its titled tab, once; the other's is closed again.
    eventually(lambda: lab.terminal_names_of_session_tabs(own["id"]) == [f"maestro_{own['id']}"])
    eventually(
        lambda: lab.page.evaluate(
            """(name) => !Array.from(window.jupyterapp.shell.widgets('main'))
                .some(w => w.content && w.content.session && w.content.session.name === name)""",
            f"maestro_{foreign['id']}",
        )
    )
    assert lab.session_tab(foreign["id"]).count() == 0


def test_resume_from_the_row_and_from_the_palette_behave_the_same(
    first: LabServer, lab: LabPage
) -> None:
    by_row = first.spawn_for_new_task("Pick the parser back up", agent="resumable")
    by_palette = first.spawn_for_new_task("Pick the lexer back up", agent="resumable")
    for session in (by_row, by_palette):
        lab.session_tab(session["id"]).wait_for(state="attached")
        stop(first, session)

    session_row(lab, by_row).get_by_role("button", name="Resume").click()
    from_row = eventually(lambda: resumed_from(first, by_row["id"]))
    # Its tab comes forward and its terminal takes the keyboard; the palette, a modal, would
    # close if that happened while it is open.
    eventually(lambda: current_session(lab) == from_row["id"])
    eventually(
        lambda: lab.page.evaluate(
            "() => window.jupyterapp.shell.currentWidget.node.contains(document.activeElement)"
        )
    )

    # Not by its shortcut: the resumed session's terminal has the keyboard.
    lab.page.evaluate(
        "() => window.jupyterapp.commands.execute('apputils:activate-command-palette')"
    )
    palette = lab.page.locator("#command-palette")
    palette.locator("input").fill("Resume Maestro Session")
    palette.locator(".lm-CommandPalette-item", has_text="Resume Maestro Session").click()
    dialog = lab.page.locator(".jp-Dialog")
    dialog.locator("select").select_option(label=f"{by_palette['name']} ({by_palette['id']})")
    dialog.locator(".jp-Dialog-button.jp-mod-accept").click()
    from_palette = eventually(lambda: resumed_from(first, by_palette["id"]))

    # Both: a running session continuing the conversation, its tab brought forward.
    for old, new in ((by_row, from_row), (by_palette, from_palette)):
        assert new["agentSessionId"] == old["agentSessionId"]
        lab.session_tab(new["id"]).wait_for(state="visible")
    eventually(lambda: current_session(lab) == from_palette["id"])


def test_resume_refuses_another_servers_session_saying_where_it_runs(
    first: LabServer, second: LabServer, lab: LabPage, workspace: str
) -> None:
    foreign = second.spawn_for_new_task("Reindex the search cluster", agent="resumable")
    stop(second, foreign)
    owner = second.api("GET", "status")["server"]
    lab.open(workspace, reset=False)
    lab.wait_until_live()
    row = session_row(lab, foreign)
    row.wait_for()
    assert row.locator("button").count() == 0  # no Resume here

    answer = lab.page.evaluate(
        "(id) => window.jupyterapp.commands.execute('maestro:resume-session', {sessionId: id})",
        foreign["id"],
    )

    assert answer is None
    eventually(
        lambda: (
            f"runs on {owner['user']}'s server ({owner['id']}): resume it there"
            in lab.notifications()
        )
    )
    sessions = first.api("GET", "sessions")["items"]
    assert not [session for session in sessions if session.get("resumedFrom") == foreign["id"]]


def resumed_from(server: LabServer, session_id: str) -> dict[str, Any] | None:
    """The session that resumed `session_id`, once there is one and it runs."""
    found = [
        session
        for session in server.api("GET", "sessions")["items"]
        if session.get("resumedFrom") == session_id and session["status"] == "running"
    ]
    return found[0] if found else None
