"""Every Maestro route, REST and WebSocket, is behind Jupyter's authentication."""

from __future__ import annotations

import ast
import inspect
import textwrap

import pytest
from tornado.httpclient import HTTPClientError
from tornado.websocket import WebSocketHandler

from maestro_jupyter.handlers import route_table

HTTP_METHODS = ("get", "post", "put", "patch", "delete", "head", "options")


def _decorators(handler: type, method: str) -> set[str]:
    for klass in handler.__mro__:
        if method in vars(klass):
            source = textwrap.dedent(inspect.getsource(vars(klass)[method]))
            function = ast.parse(source).body[0]
            return {ast.unparse(d) for d in function.decorator_list}
    return set()


def _own_methods(handler: type) -> list[str]:
    """HTTP methods the Maestro handler itself defines (not Tornado's or Jupyter's defaults)."""
    found = []
    for method in HTTP_METHODS:
        owner = next(k for k in handler.__mro__ if method in vars(k))
        if owner.__module__.startswith("maestro_jupyter"):
            found.append(method)
    return found


def test_every_handler_method_is_authenticated_and_authorized():
    missing = []
    for pattern, handler, *_ in route_table():
        methods = _own_methods(handler)
        assert methods, f"{handler.__name__} serves nothing"
        for method in methods:
            decorators = _decorators(handler, method)
            needed = {
                "ws_authenticated"
                if issubclass(handler, WebSocketHandler)
                else "web.authenticated",
                "authorized",
            }
            if not needed <= decorators:
                missing.append(f"{handler.__name__}.{method} ({pattern}): {sorted(decorators)}")
    assert not missing, "handler methods without auth decorators:\n" + "\n".join(missing)


def test_every_handler_says_it_guards_the_maestro_resource():
    for _, handler, *_ in route_table():
        assert handler.auth_resource == "maestro", handler


@pytest.fixture
def every_operation(jp_serverapp):
    from maestro_jupyter.handlers import api_routes

    operations = []
    for route in api_routes():
        path = route.path
        for name in ("task_id", "subtask_id", "session_id", "project_id", "name"):
            path = path.replace("{" + name + "}", "x_1")
        for method in route.operations:
            operations.append((method.upper(), path))
    return operations


@pytest.mark.parametrize("authorization", ["", "token not-the-token", "Bearer x"])
async def test_no_or_a_wrong_token_gets_403_on_every_route(
    jp_fetch, every_operation, authorization
):
    assert len(every_operation) > 20
    for method, path in [*every_operation, ("GET", "no/such/route")]:
        body = b"{}" if method in ("POST", "PATCH", "PUT") else None
        try:
            response = await jp_fetch(
                "maestro",
                "api",
                *path.split("/"),
                method=method,
                body=body,
                headers={"Authorization": authorization},
                raise_error=False,
            )
            code = response.code
        except HTTPClientError as exc:
            code = exc.code
        assert code in (401, 403), (method, path, code)


@pytest.mark.parametrize("authorization", ["", "token not-the-token"])
async def test_the_events_socket_refuses_no_or_a_wrong_token(jp_ws_fetch, authorization):
    with pytest.raises(HTTPClientError) as refused:
        await jp_ws_fetch("maestro", "api", "events", headers={"Authorization": authorization})
    assert refused.value.code in (401, 403)
