"""Bad input gets a clear JSON error with the right status and changes nothing stored."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest

pytestmark = pytest.mark.timeout(120)


async def seed(api):
    return (await api("POST", "tasks", {"title": "keep me", "subtasks": [{"title": "s"}]})).json


async def snapshot(api):
    data = (await api("GET", "export")).json
    data.pop("exportedAt")
    return data


CASES = [
    # (method, path template, body or raw bytes, status, error code)
    ("POST", "tasks", b"{not json", 400, "invalid_json"),
    ("POST", "tasks", b"\xff\xfe", 400, "invalid_json"),
    ("POST", "tasks", {"title": 42}, 422, "validation_error"),
    ("POST", "tasks", {"title": "x", "unknown": 1}, 422, "validation_error"),
    ("POST", "tasks", {"title": "x" * 100_000}, 422, "validation_error"),
    ("POST", "tasks", {"title": "bell\x07title"}, 422, "validation_error"),
    ("POST", "tasks", {"title": "line\nbreak"}, 422, "validation_error"),
    # C1 controls: xterm.js reads U+009B as CSI and U+009D as OSC.
    ("POST", "tasks", {"title": "csi\x9b2Jtitle"}, 422, "validation_error"),
    ("POST", "tasks", {"title": "x", "description": "osc\x9d0;pwned\x07"}, 422, "validation_error"),
    ("POST", "tasks/{task}/timeline", {"message": "esc\x1b[2J"}, 422, "validation_error"),
    # Every route refuses query parameters it does not know.
    ("GET", "tasks?bogus=1", None, 422, "validation_error"),
    ("GET", "projects?bogus=1", None, 422, "validation_error"),
    ("GET", "tasks/{task}/subtasks?limit=5", None, 422, "validation_error"),
    ("GET", "skills?role=boss", None, 422, "validation_error"),
    ("POST", "tasks", {"title": "   "}, 422, "validation_error"),
    ("POST", "tasks", {"title": "x", "status": "done"}, 422, "validation_error"),
    ("POST", "tasks", {"title": "x", "priority": "asap"}, 422, "validation_error"),
    ("POST", "tasks", {"title": "x", "projectId": "proj_nothere"}, 404, "not_found"),
    ("POST", "tasks", {"title": "x", "parentId": "task_nothere"}, 404, "not_found"),
    ("POST", "tasks", {"title": "x", "parentId": "../../etc"}, 422, "validation_error"),
    ("POST", "tasks", [1, 2], 422, "validation_error"),
    ("POST", "tasks", None, 422, "validation_error"),
    ("PATCH", "tasks/{task}", {"status": "finished"}, 422, "validation_error"),
    ("PATCH", "tasks/{task}", {"version": 9}, 422, "validation_error"),
    # An explicit null only clears fields that may be empty (found by the fuzzer: it was a 409).
    ("PATCH", "tasks/{task}", {"title": None}, 422, "validation_error"),
    ("PATCH", "tasks/{task}", {"status": None}, 422, "validation_error"),
    ("PATCH", "tasks/{task}/subtasks/{sub}", {"completed": None}, 422, "validation_error"),
    ("PATCH", "projects/proj_default", {"description": None}, 422, "validation_error"),
    ("PATCH", "tasks/task_nothere", {"title": "x"}, 404, "not_found"),
    ("POST", "tasks/{task}/block", {}, 422, "validation_error"),
    ("POST", "tasks/{task}/subtasks", [], 422, "validation_error"),
    ("POST", "tasks/{task}/subtasks", {"title": ""}, 422, "validation_error"),
    ("PATCH", "tasks/{task}/subtasks/sub_nothere", {"completed": True}, 404, "not_found"),
    ("PATCH", "tasks/{task}/subtasks/{sub}", {"completed": "maybe"}, 422, "validation_error"),
    ("POST", "tasks/{task}/timeline", {"kind": "gossip", "message": "x"}, 422, "validation_error"),
    ("GET", "tasks/task_nothere", None, 404, "not_found"),
    ("GET", "sessions/sess_nothere", None, 404, "not_found"),
    ("GET", "projects/proj_nothere", None, 404, "not_found"),
    ("POST", "import", {"format": "zip"}, 422, "validation_error"),
    # Found by the fuzzer: an integer too large for the database was a 500.
    (
        "POST",
        "import",
        {
            "schemaVersion": 1,
            "projects": [
                {
                    "id": "proj_big",
                    "name": "big",
                    "workingDir": None,
                    "description": "",
                    "createdAt": "2025-01-01T00:00:00Z",
                    "updatedAt": "2025-01-01T00:00:00Z",
                    "version": 2**70,
                }
            ],
        },
        422,
        "validation_error",
    ),
]


@pytest.mark.parametrize(("method", "path", "body", "status", "code"), CASES)
async def test_bad_input_is_refused_and_changes_nothing(api, method, path, body, status, code):
    seeded = await seed(api)
    before = await snapshot(api)
    sub = (await api("GET", f"tasks/{seeded['id']}/subtasks")).json["items"][0]["id"]
    path, _, query = path.format(task=seeded["id"], sub=sub).partition("?")
    params = dict(parse_qsl(query))
    if isinstance(body, bytes):
        reply = await api(method, path, raw=body, params=params)
    elif body is None and method == "POST":
        reply = await api(method, path, raw=b"null", params=params)
    else:
        reply = await api(method, path, body, params=params)
    assert reply.status == status, reply
    assert reply.json["error"] == code
    assert reply.json["message"] and isinstance(reply.json["details"], dict)
    assert "Traceback" not in reply.json["message"]
    if code == "validation_error" and isinstance(body, dict):
        assert reply.json["details"]["errors"][0]["field"]
    assert await snapshot(api) == before


async def test_a_ten_megabyte_body_is_413_and_the_server_keeps_running(api):
    await seed(api)
    before = await snapshot(api)
    reply = await api("POST", "tasks", raw=b'{"title": "' + b"x" * (10 * 1024 * 1024) + b'"}')
    assert reply.status == 413 and reply.json["error"] == "too_large"
    assert await snapshot(api) == before
    assert (await api("GET", "status")).status == 200


async def test_bad_query_parameters_are_422(api):
    await seed(api)
    for params in ({"limit": "0"}, {"limit": "many"}, {"status": "nope"}, {"bogus": "1"}):
        reply = await api("GET", "tasks", params=params)
        assert reply.status == 422, params
    assert (await api("GET", "tasks", params={"since": "x"})).status == 422


async def test_bad_if_match_is_400(api):
    seeded = await seed(api)
    reply = await api(
        "PATCH", f"tasks/{seeded['id']}", {"title": "y"}, headers={"If-Match": "yesterday"}
    )
    assert reply.status == 400 and reply.json["error"] == "bad_request"


async def test_unknown_route_under_the_api_is_a_json_404(api):
    reply = await api("GET", "tasks/task_x/nothing")
    assert reply.status == 404
