"""Route table of the extension: each module ends with its `routes`; order matters (first match)."""

from __future__ import annotations

import importlib
from typing import Any

from .routing import Route

# Modules another part adds (spawn, skills) are picked up when present.
_MODULES = ("meta", "projects", "tasks", "subtasks", "spawn", "sessions", "skills")


def api_routes() -> list[Route]:
    routes: list[Route] = []
    for name in _MODULES:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
            continue
        routes.extend(module.routes)
    return routes


def route_table() -> list[tuple[str, Any]]:
    from .events import routes as socket_routes
    from .meta import UnknownRouteHandler
    from .routing import API_PREFIX

    table = [(route.pattern, route.handler) for route in api_routes()] + socket_routes
    return [*table, (API_PREFIX + "(.*)", UnknownRouteHandler)]
