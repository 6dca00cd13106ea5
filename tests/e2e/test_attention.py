"""Told in Lab: a session that needs you is notified by name, one click brings its tab forward,
and the sidebar icon counts the sessions that need you."""

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


def current_session(lab: LabPage) -> str | None:
    return lab.page.evaluate(
        "() => { const w = window.jupyterapp.shell.currentWidget;"
        " return w ? w.title.dataset['maestro-session'] || null : null; }"
    )


def test_a_session_that_needs_input_is_notified_by_name_and_open_brings_its_tab(
    lab_server: LabServer, lab: LabPage
) -> None:
    session = lab_server.spawn_for_new_task("Rotate the <b>database</b> password")
    tab = lab.session_tab(session["id"])
    tab.wait_for(state="visible")
    assert current_session(lab) != session["id"]
    before = lab.needs_you_count()

    lab_server.api(
        "POST",
        f"sessions/{session['id']}/report",
        {"kind": "needs_input", "message": "need the <i>vault</i> password"},
    )

    toast = lab.page.locator(".Toastify__toast", has_text="need the <i>vault</i> password")
    toast.wait_for()
    # Named in plain text: the session's name and message as typed, never read as HTML.
    assert session["name"] in toast.inner_text()
    assert toast.locator("b, i").count() == 0
    eventually(lambda: lab.needs_you_count() == before + 1)
    assert "maestro-tab-status-needs_input" in (tab.get_attribute("class") or "")

    toast.get_by_role("button", name="Open").click()

    eventually(lambda: current_session(lab) == session["id"])

    # Answered: the marker, the count and the notification go.
    lab_server.api(
        "POST", f"sessions/{session['id']}/report", {"kind": "progress", "message": "thanks"}
    )
    eventually(lambda: lab.needs_you_count() == before)
    eventually(lambda: "maestro-tab-status-needs_input" not in (tab.get_attribute("class") or ""))
    toast.wait_for(state="detached")


def test_claude_asking_for_permission_through_its_hook_is_notified(
    lab_server: LabServer, lab: LabPage
) -> None:
    session = lab_server.spawn_for_new_task("Refactor the parser")
    lab.session_tab(session["id"]).wait_for(state="visible")
    before = lab.needs_you_count()

    lab_server.api(
        "POST",
        f"sessions/{session['id']}/hook",
        {
            "agent": "claude",
            "event": "Notification",
            "message": "Claude needs your permission to use Bash",
        },
    )

    toast = lab.page.locator(".Toastify__toast", has_text="needs your permission to use Bash")
    toast.wait_for()
    assert session["name"] in toast.inner_text()
    eventually(lambda: lab.needs_you_count() == before + 1)


def test_a_kind_turned_off_in_the_settings_is_not_notified(
    lab_server: LabServer, lab: LabPage
) -> None:
    lab.page.evaluate(
        """() => window.jupyterapp.serviceManager.settings
            .save('maestro-jupyter:attention', JSON.stringify({notifyBlocked: false}))"""
    )
    lab.page.reload()
    LabPage(lab.page, lab_server).wait_until_live()
    try:
        quiet = lab_server.spawn_for_new_task("Write the migration")
        lab.session_tab(quiet["id"]).wait_for(state="visible")
        told = lab_server.spawn_for_new_task("Write the changelog")
        lab.session_tab(told["id"]).wait_for(state="visible")

        lab_server.api(
            "POST",
            f"sessions/{quiet['id']}/report",
            {"kind": "blocked", "message": "waiting for the schema review"},
        )
        lab_server.api(
            "POST",
            f"sessions/{told['id']}/report",
            {"kind": "needs_input", "message": "which changelog format?"},
        )

        # Events arrive in order: once the later one is shown, the earlier was decided.
        lab.page.locator(".Toastify__toast", has_text="which changelog format?").wait_for()
        assert "schema review" not in lab.notifications()
    finally:
        lab.page.evaluate(
            """() => window.jupyterapp.serviceManager.settings
                .save('maestro-jupyter:attention', '{}')"""
        )
