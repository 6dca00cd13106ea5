"""The Hub test's helpers: a user's Lab behind the Hub for LabPage, the Hub's login form, and the
events socket through the proxy."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from harness.hub import Hub, HubUser


class HubLab:
    """What LabPage needs of a server, for a user's server behind the Hub: the browser holds
    the Hub's login cookie, so Lab's address carries no token."""

    def __init__(self, user: HubUser) -> None:
        self.user = user

    def lab_url(self, workspace: str, reset: bool = True) -> str:
        return f"{self.user.url}lab/workspaces/{workspace}{'?reset' if reset else ''}"

    def call(self, method: str, path: str, body: Any = None) -> Any:
        return self.user.call(method, path, body)


def log_in(page: Any, hub: Hub, name: str) -> None:
    """Through the Hub's own login form, as a person does."""
    page.goto(f"{hub.url}hub/login")
    page.fill("#username_input", name)
    page.fill("#password_input", hub.password)
    with page.expect_navigation():
        page.click("#login_submit")


class EventsSocket:
    """A user's Maestro events WebSocket through the Hub's proxy, with the user's Hub token."""

    def __init__(self, user: HubUser, since: int) -> None:
        import websocket

        url = user.url.replace("http://", "ws://", 1) + f"maestro/api/events?since={since}"
        self.socket = websocket.create_connection(
            url, header=[f"Authorization: token {user.token}"], timeout=20
        )

    def next_matching(self, match: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """The first event `match` accepts (raises the socket's timeout if none comes)."""
        while True:
            event = json.loads(self.socket.recv())
            if match(event):
                return event

    def close(self) -> None:
        self.socket.close()
