"""Playwright helpers that speak JupyterLab: open a workspace, the Maestro panel, session tabs."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from .lab import LabServer

T = TypeVar("T")

PANEL = "#maestro-panel"
PANEL_TAB = '.jp-SideBar .lm-TabBar-tab[data-id="maestro-panel"]'


def eventually(check: Callable[[], T], timeout: float = 10, interval: float = 0.2) -> T:
    """Poll `check` until it returns a truthy value (the server side has no push to wait on)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = check()
            if value:
                return value
            error: Exception | None = None
        except AssertionError as failure:
            error = failure
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout}s: {error or value!r}")
        time.sleep(interval)


class LabPage:
    def __init__(self, page: Any, server: LabServer) -> None:
        self.page = page
        self.server = server

    def open(self, workspace: str, reset: bool = True) -> LabPage:
        self.page.goto(self.server.lab_url(workspace, reset))
        self.page.wait_for_selector("#jp-main-dock-panel")
        self.page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell")
        self.page.wait_for_selector(PANEL_TAB)
        # Lab restores the workspace's layout (an open sidebar panel, say) after it starts; a
        # reset clears the workspace's state, then drops `reset` from the address.
        self.page.evaluate("() => window.jupyterapp.restored.then(() => true)")
        if reset:
            self.page.wait_for_function("() => !/[?&]reset/.test(location.search)")
        return self

    def open_panel(self) -> Any:
        panel = self.page.locator(PANEL)
        if not panel.is_visible():
            self.page.click(PANEL_TAB)
        panel.wait_for(state="visible")
        return panel

    def wait_until_live(self, timeout: float = 15_000) -> None:
        """The events socket is connected (the panel's indicator says so)."""
        self.open_panel()
        self.page.wait_for_selector(".maestro-Connection.maestro-mod-live", timeout=timeout)

    def saved_workspace_state(self, workspace: str, key: str) -> Any:
        """What the server holds for `key` in the workspace's saved state. Lab saves it on an
        animation frame, which headless Chromium draws only when something asks for one."""
        self.page.evaluate("() => new Promise(done => requestAnimationFrame(done))")
        saved = self.server.call("GET", f"lab/api/workspaces/{workspace}")
        return saved["data"].get(key)

    def session_tab(self, session_id: str) -> Any:
        return self.page.locator(
            f'#jp-main-dock-panel .lm-TabBar-tab[data-maestro-session="{session_id}"]'
        )

    def terminal_names_of_session_tabs(self, session_id: str) -> list[str]:
        """The terminal each main-area tab of the session is connected to."""
        return self.page.evaluate(
            """(id) => Array.from(window.jupyterapp.shell.widgets('main'))
                .filter(w => w.title.dataset && w.title.dataset['maestro-session'] === id)
                .map(w => w.content.session.name)""",
            session_id,
        )

    def needs_you_count(self) -> int:
        """The count on the Maestro sidebar icon of sessions that need this window's person."""
        value = self.page.locator(PANEL_TAB).get_attribute("data-maestro-needs-you")
        return int(value) if value else 0

    def notifications(self) -> str:
        return " ".join(self.page.locator(".Toastify__toast").all_inner_texts())

    def terminal_size_of_session_tab(self, session_id: str) -> tuple[int, int] | None:
        """(rows, cols) of the xterm in the session's tab once it exists (a private field)."""
        size = self.page.evaluate(
            """(id) => {
                const w = Array.from(window.jupyterapp.shell.widgets('main'))
                    .find(w => w.title.dataset && w.title.dataset['maestro-session'] === id);
                const term = w && w.content._term;
                return term ? [term.rows, term.cols] : null;
            }""",
            session_id,
        )
        return tuple(size) if size else None

    def task_card(self, title: str) -> Any:
        return self.page.locator(".maestro-Task", has_text=title)
