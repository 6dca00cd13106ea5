"""How `Maestro()` finds its server: arguments, env, the kernel's own Jupyter server (by the
JPY_PARENT_PID its launcher gave it), config.json, then the running servers' runtime files."""

from __future__ import annotations

import json
import os
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest
import websocket

from harness import ServerProcess
from maestro_jupyter.errors import ServerNotFound
from maestro_jupyter.notebook import Maestro, find_server, kernel_server
from tests.notebook_support import server  # noqa: F401

pytestmark = pytest.mark.timeout(120)

# Two live processes to stand for two running Jupyter servers.
KERNEL_SERVER_PID = os.getppid()
OTHER_SERVER_PID = os.getpid()


def write_runtime_file(runtime: Path, pid: int, port: int, root: Path, token: str) -> None:
    info = {"url": f"http://127.0.0.1:{port}/", "base_url": "/", "token": token, "pid": pid,
            "root_dir": str(root), "sock": ""}
    (runtime / f"jpserver-{pid}.json").write_text(json.dumps(info))


@pytest.fixture
def runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A runtime dir with two servers: the other one's root holds the working directory."""
    folder = tmp_path / "runtime"
    folder.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("MAESTRO_HOME", str(tmp_path / "maestro-home"))
    write_runtime_file(folder, KERNEL_SERVER_PID, 8001, tmp_path / "elsewhere", "kernel-token")
    write_runtime_file(folder, OTHER_SERVER_PID, 8002, work, "other-token")
    return folder


def write_config(url: str, token: str) -> None:
    home = Path(os.environ["MAESTRO_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.json").write_text(json.dumps({"url": url, "token": token}))


KERNEL = {"JPY_PARENT_PID": str(KERNEL_SERVER_PID)}


def test_the_kernel_server_is_the_one_whose_pid_launched_the_kernel(runtime: Path) -> None:
    found = kernel_server(KERNEL, runtime)

    assert found is not None
    assert (found.url, found.token) == ("http://127.0.0.1:8001/", "kernel-token")
    assert f"jpserver-{KERNEL_SERVER_PID}.json" in found.source


def test_outside_a_server_kernel_there_is_no_kernel_server(runtime: Path) -> None:
    assert kernel_server({}, runtime) is None
    assert kernel_server({"JPY_PARENT_PID": "1234567"}, runtime) is None  # e.g. nbclient
    assert kernel_server({"JPY_PARENT_PID": "not a pid"}, runtime) is None


def test_the_kernel_server_wins_over_config_and_other_servers(runtime: Path) -> None:
    write_config("http://configured:9000/", "config-token")

    assert find_server(environ=KERNEL, runtime_dir=runtime).url == "http://127.0.0.1:8001/"


def test_arguments_and_environment_win_over_the_kernel_server(runtime: Path) -> None:
    env = {**KERNEL, "MAESTRO_URL": "http://from-env:9001", "MAESTRO_TOKEN": "env-token"}

    by_env = find_server(environ=env, runtime_dir=runtime)
    by_argument = find_server("http://given:9002/", "given", environ=env, runtime_dir=runtime)

    assert (by_env.url, by_env.token, by_env.source) == (
        "http://from-env:9001/", "env-token", "environment"
    )
    assert (by_argument.url, by_argument.token) == ("http://given:9002/", "given")


def test_without_a_kernel_server_it_finds_the_server_like_the_cli(runtime: Path) -> None:
    found = find_server(environ={}, runtime_dir=runtime)
    assert (found.url, found.token) == ("http://127.0.0.1:8002/", "other-token")  # root has cwd

    write_config("http://configured:9000/", "config-token")
    found = find_server(environ={}, runtime_dir=runtime)
    assert (found.url, found.token) == ("http://configured:9000/", "config-token")


def test_a_token_given_alone_goes_with_the_discovered_server(runtime: Path) -> None:
    found = find_server(token="mine", environ=KERNEL, runtime_dir=runtime)

    assert (found.url, found.token) == ("http://127.0.0.1:8001/", "mine")


def test_no_server_anywhere_is_a_typed_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAESTRO_HOME", str(tmp_path / "maestro-home"))
    empty = tmp_path / "empty-runtime"
    empty.mkdir()

    with pytest.raises(ServerNotFound) as error:
        find_server(environ={}, runtime_dir=empty)
    assert error.value.code == "server_not_found"


def test_maestro_connects_to_a_real_server_found_by_its_runtime_file(
    server: ServerProcess,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for key in list(os.environ):
        if key.startswith(("MAESTRO_", "JPY_")):
            monkeypatch.delenv(key)
    monkeypatch.setenv("MAESTRO_HOME", str(tmp_path / "maestro-home"))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(server.runtime_dir))
    monkeypatch.chdir(server.root / "work")

    by_runtime_file = Maestro()
    monkeypatch.setenv("JPY_PARENT_PID", str(server.process.pid))
    by_kernel = Maestro()

    assert by_runtime_file.url == by_kernel.url == server.url  # base_url /a%40b/ kept quoted
    assert by_runtime_file.server.token == server.token
    assert "kernel's own server" in by_kernel.server.source
    assert by_kernel.status()["schemaVersion"] >= 1


def jupyter_api(server: ServerProcess, method: str, path: str, body: Any = None) -> Any:  # noqa: F811
    request = urllib.request.Request(
        server.url + "api/" + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"token {server.token}"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        data = response.read()
    return json.loads(data) if data else None


def run_in_server_kernel(server: ServerProcess, code: str) -> str:  # noqa: F811
    """Start a kernel through the server's own API (as Lab does) and run `code`; its stdout."""
    kernel = jupyter_api(server, "POST", "kernels", {"name": "python3"})
    url = server.url.replace("http://", "ws://") + f"api/kernels/{kernel['id']}/channels"
    socket = websocket.create_connection(
        url, header=[f"Authorization: token {server.token}"], timeout=60
    )
    msg_id = uuid.uuid4().hex
    socket.send(json.dumps({
        "header": {"msg_id": msg_id, "username": "test", "session": uuid.uuid4().hex,
                   "msg_type": "execute_request", "version": "5.3"},
        "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
        "content": {"code": code, "silent": False, "store_history": False,
                    "user_expressions": {}, "allow_stdin": False, "stop_on_error": True},
    }))
    printed = []
    try:
        while True:
            message = json.loads(socket.recv())
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = message["msg_type"], message["content"]
            if kind == "stream":
                printed.append(content["text"])
            elif kind == "error":
                raise AssertionError("\n".join(content["traceback"]))
            elif kind == "status" and content["execution_state"] == "idle":
                return "".join(printed)
    finally:
        socket.close()
        jupyter_api(server, "DELETE", f"kernels/{kernel['id']}")


def test_a_kernel_started_by_the_server_connects_to_that_server(
    server: ServerProcess,  # noqa: F811
) -> None:
    printed = run_in_server_kernel(
        server,
        "from maestro_jupyter import Maestro\n"
        "m = Maestro()\n"
        "print(m.server.source)\n"
        "print(m.url)\n"
        "print(m.tasks.create('Made by a kernel of this server').id)\n",
    )

    source, url, task_id = printed.splitlines()
    assert source.startswith("the kernel's own server (jpserver-")
    assert url == server.url
    assert server.api("GET", f"tasks/{task_id}")["title"] == "Made by a kernel of this server"
