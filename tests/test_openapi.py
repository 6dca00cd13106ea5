"""The served openapi.json describes exactly the routes the server has."""

from __future__ import annotations

import json
import re

from maestro_jupyter import models
from maestro_jupyter.handlers import api_routes, route_table
from tests.test_auth import _own_methods


async def test_served_openapi_matches_the_route_table(jp_fetch):
    spec = json.loads((await jp_fetch("maestro", "api", "openapi.json")).body)
    assert spec["openapi"].startswith("3.")
    served = set()
    for pattern, handler, *_ in route_table():
        if not pattern.endswith("/?"):  # the WebSocket and the JSON-404 catch-all
            continue
        path = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", pattern[: -len("/?")])
        served |= {(f"/{path}", method) for method in _own_methods(handler)}
    documented = {(path, method) for path, item in spec["paths"].items() for method in item}
    assert documented == served


async def test_documented_responses_validate_real_ones(api):
    task = (await api("POST", "tasks", {"title": "t", "subtasks": [{"title": "s"}]})).json
    models.Task.model_validate(task)
    listed = (await api("GET", "tasks", params={"include": "subtasks"})).json
    models.TaskList.model_validate(listed)
    models.Status.model_validate((await api("GET", "status")).json)
    models.Export.model_validate((await api("GET", "export")).json)


def test_every_route_documents_its_operations():
    for route in api_routes():
        assert route.operations, route.path
        assert set(route.operations) == set(_own_methods(route.handler)), route.path
