"""Route table of the extension: each module ends with its `routes`; order matters (first match)."""

from __future__ import annotations

from typing import Any

from . import events, meta, projects, review, sessions, skills, spawn, subtasks, tasks
from .routing import API_PREFIX, Route


def api_routes() -> list[Route]:
    # `spawn` before `sessions`: sessions/spawn must not be taken for sessions/{session_id}.
    modules = (meta, projects, tasks, subtasks, spawn, sessions, review, skills)
    return [route for module in modules for route in module.routes]


def route_table() -> list[tuple[str, Any]]:
    routes = api_routes()
    for route in routes:  # each handler checks its query against its own operations
        route.handler.operations = route.operations
    meta.OpenAPIHandler.routes = routes
    table = [(route.pattern, route.handler) for route in routes] + events.routes
    return [*table, (API_PREFIX + "(.*)", meta.UnknownRouteHandler)]
