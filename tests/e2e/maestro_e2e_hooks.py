"""Test-only server extension: lets the browser tests drop Maestro's event sockets server-side.

Loaded only by the e2e tests' Jupyter config (`c.ServerApp.jpserver_extensions`), never shipped.
"""

from __future__ import annotations

from typing import Any

from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import url_path_join
from tornado import web

# 1012 "service restart": what a client sees when the server drops it on purpose.
SERVICE_RESTART = 1012


class CloseEventSocketsHandler(JupyterHandler):
    @web.authenticated
    def post(self) -> None:
        bus = self.settings["maestro_events"]
        # Each live events socket is subscribed to the bus with one of its own bound methods.
        sockets = {getattr(subscriber, "__self__", None) for subscriber in list(bus._subscribers)}
        sockets.discard(None)
        for socket in sockets:
            socket.close(SERVICE_RESTART, "closed by the e2e tests")
        self.finish({"closed": len(sockets)})


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    return [{"module": "maestro_e2e_hooks"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    route = url_path_join(serverapp.base_url, "maestro-e2e", "close-event-sockets")
    serverapp.web_app.add_handlers(".*$", [(route, CloseEventSocketsHandler)])
