"""Security against a real server: cross-origin WebSockets, secrets in logs, private files.

(Authentication of every route and of the events socket is tests/test_auth.py.)
"""

from __future__ import annotations

import http.cookiejar
import json
import stat
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.websocket import websocket_connect

from harness import ServerProcess

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server logging at DEBUG (so every request is logged), with an agent that exits at once."""
    root = Path(tmp_path_factory.mktemp("security"))
    config = {"Maestro": {"agents": {"quick": {"argv": ["true"]}}, "default_agent": "quick"}}
    with ServerProcess(root, config=config, extra_args=("--log-level=DEBUG",)) as running:
        yield running


def login_cookie(server: ServerProcess) -> str:
    """Log in through Jupyter's /login form with the token, as a browser does: the cookie."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(server.url + "login").read()
    xsrf = next(cookie.value for cookie in jar if cookie.name == "_xsrf")
    form = urllib.parse.urlencode({"_xsrf": xsrf, "password": server.token}).encode()
    opener.open(urllib.request.Request(server.url + "login", data=form)).read()
    cookies = "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)
    assert any(cookie.name.startswith("username-") for cookie in jar), cookies
    return cookies


async def open_events(server: ServerProcess, headers: dict[str, str]) -> None:
    request = HTTPRequest(f"ws://127.0.0.1:{server.port}/maestro/api/events", headers=headers)
    socket = await websocket_connect(request)
    try:
        socket.write_message(json.dumps({"type": "ping"}))
        first = json.loads(await socket.read_message())
        while first.get("type") != "pong":  # replayed events come first
            first = json.loads(await socket.read_message())
    finally:
        socket.close()


async def test_a_cookie_session_opens_the_events_socket_from_its_own_origin(server):
    cookie = login_cookie(server)
    await open_events(server, {"Cookie": cookie, "Origin": f"http://127.0.0.1:{server.port}"})


async def test_a_cross_origin_events_socket_is_refused_even_with_the_cookie(server):
    cookie = login_cookie(server)
    with pytest.raises(HTTPClientError) as refused:
        await open_events(server, {"Cookie": cookie, "Origin": "http://evil.example"})
    assert refused.value.code == 403


async def test_a_cross_origin_rest_call_with_the_cookie_is_refused(server):
    cookie = login_cookie(server)
    request = urllib.request.Request(
        server.url + "maestro/api/tasks",
        method="POST",
        data=b'{"title": "forged"}',
        headers={"Cookie": cookie, "Origin": "http://evil.example", "Content-Type": "text/plain"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code in (401, 403, 404)
    titles = [task["title"] for task in server.api("GET", "tasks?limit=500")["items"]]
    assert "forged" not in titles


def _spawn_and_settle(server: ServerProcess) -> dict:
    task = server.api("POST", "tasks", {"title": "check the logs"})
    session = server.api("POST", "sessions/spawn", {"taskIds": [task["id"]], "agent": "quick"})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        session = server.api("GET", f"sessions/{session['id']}")
        if session["status"] not in ("spawning",):
            break
        time.sleep(0.1)
    return session


def test_the_token_never_appears_in_the_server_log(server):
    token = server.token
    server.api("GET", "status")
    server.api("POST", "tasks", {"title": "logged request"})
    for path in ("maestro/api/tasks?token=", "maestro/api/tasks/task_nothere?token="):
        try:
            urllib.request.urlopen(server.url + path + token, timeout=30).read()
        except urllib.error.HTTPError:
            pass  # the 404 is logged as a warning, with its URL
    session = _spawn_and_settle(server)
    server.api("POST", f"sessions/{session['id']}/stop", {})
    time.sleep(0.5)  # let the log lines of the stop reach the file
    log = server.log()
    assert "maestro/api/tasks" in log, "the DEBUG log should show the requests"
    assert token not in log


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_maestro_home_database_and_session_folders_are_private(server):
    session = _spawn_and_settle(server)
    home = server.maestro_home
    assert _mode(home) == 0o700
    for name in ("maestro.db", "maestro.db-wal", "maestro.db-shm"):
        if (home / name).exists():
            assert _mode(home / name) == 0o600, name
    folder = home / "sessions" / session["id"]
    assert folder.is_dir()
    assert _mode(folder) == 0o700
    for name in ("manifest.json", "brief.md"):  # what the server writes there
        assert _mode(folder / name) == 0o600, name
    assert server.token not in "".join(
        path.read_text(errors="replace") for path in folder.rglob("*") if path.is_file()
    ), "the token was written into the session folder"
