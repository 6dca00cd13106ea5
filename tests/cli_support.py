"""Real servers for the CLI and client tests: a `jupyter server` subprocess with Maestro, and a
proxy in front of it that can fail on purpose.

The CLI is a synchronous program, so it is tested against a server in another process rather than
pytest-jupyter's in-loop one. Every Jupyter and Maestro directory is isolated under tmp.
"""

from __future__ import annotations

import http.client
import http.server
import json
import secrets
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

# One definition of an isolated `jupyter server` process's surroundings, shared with the benchmarks.
from bench.server import JUPYTER, free_port, isolated_env


@dataclass
class JupyterServer:
    """A running `jupyter server` with Maestro; `url` includes its base_url and ends in /."""

    url: str
    token: str
    root: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes]

    @property
    def runtime_dir(self) -> Path:
        return Path(self.env["JUPYTER_RUNTIME_DIR"])

    def cli_env(self, **extra: str) -> dict[str, str]:
        """Environment for a `maestro` run against this server (isolated HOME and MAESTRO_HOME)."""
        env = {key: value for key, value in self.env.items() if not key.startswith("MAESTRO_")}
        env["MAESTRO_HOME"] = str(self.root / "cli-maestro-home")
        env.update(MAESTRO_URL=self.url, MAESTRO_TOKEN=self.token, NO_COLOR="1")
        env.update(extra)
        return env

    def api(self, method: str, path: str, body: Any = None) -> Any:
        """A direct request to the REST API, bypassing the client under test."""
        request = urllib.request.Request(
            self.url + "maestro/api/" + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            data = response.read()
        return json.loads(data) if data else None


@contextmanager
def jupyter_server(
    root: Path, *, base_url: str = "/", extra_args: tuple[str, ...] = ()
) -> Iterator[JupyterServer]:
    """Start `jupyter server` with Maestro enabled, wait until the API answers, stop it after."""
    root.mkdir(parents=True, exist_ok=True)
    env = isolated_env(root)
    work = root / "work"
    work.mkdir(exist_ok=True)
    port, token = free_port(), secrets.token_hex(16)
    argv = [
        str(JUPYTER),
        "server",
        f"--port={port}",
        "--ip=127.0.0.1",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.base_url={base_url}",
        f"--ServerApp.root_dir={work}",
        "--ServerApp.open_browser=False",
        "--ServerApp.jpserver_extensions="
        '{"maestro_jupyter": True, "jupyter_server_terminals": True}',
        "--ServerApp.allow_unauthenticated_access=False",
        "--allow-root",
        *extra_args,
    ]
    log = open(root / "server.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(argv, env=env, cwd=work, stdout=log, stderr=subprocess.STDOUT)
    server = JupyterServer(f"http://127.0.0.1:{port}{base_url}", token, root, env, process)
    try:
        _wait_until_ready(server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _wait_until_ready(server: JupyterServer, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            log = (server.root / "server.log").read_text(errors="replace")
            raise RuntimeError(f"jupyter server exited:\n{log[-3000:]}")
        try:
            server.api("GET", "status")
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("jupyter server did not answer within the timeout")


@dataclass
class FlakyProxy:
    """Forwards to `target`; the first `failures` POSTs are forwarded, then answered 502.

    So the server has done the work when the client is told it failed: only the
    Idempotency-Key of the retry keeps the work from being done twice.
    """

    target: str
    failures: int = 2
    seen: list[tuple[str, str, str | None, int]] = field(default_factory=list)
    url: str = ""

    def __post_init__(self) -> None:
        proxy = self
        target = http.client.urlsplit(self.target)

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                upstream.request(self.command, self.path, body=body, headers=headers)
                answer = upstream.getresponse()
                data = answer.read()
                status = answer.status
                if self.command == "POST" and proxy.failures > 0:
                    proxy.failures -= 1
                    status, data = 502, b"<html>Bad Gateway</html>"
                    answer_headers = [("Content-Type", "text/html")]
                else:
                    answer_headers = [
                        (k, v)
                        for k, v in answer.getheaders()
                        if k.lower() not in ("transfer-encoding", "connection", "content-length")
                    ]
                upstream.close()
                key = self.headers.get("Idempotency-Key")
                proxy.seen.append((self.command, self.path, key, status))
                self.send_response(status)
                for name, value in answer_headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_DELETE = _forward

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        path = target.path or "/"
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}{path}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FlakyProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()


# Agents of the test server. `cli` is the CLI itself: completing its task with no id shows that
# the env a spawned terminal really gets (URL with base_url, token, task ids) is what it needs.
AGENTS = {
    "shell": {"argv": ["/bin/sh"]},
    "cli": {
        "argv": [sys.executable, "-m", "maestro_cli", "task", "complete", "-m", "done in the tab"]
    },
}


@pytest.fixture(scope="session")
def maestro_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    """A Jupyter server behind a JupyterHub-like base_url, with the agents `shell` and `cli`."""
    agents = json.dumps(AGENTS)
    with jupyter_server(
        tmp_path_factory.mktemp("server"),
        base_url="/user/tester/",
        extra_args=(f"--Maestro.agents={agents}",),
    ) as server:
        yield server


@pytest.fixture
def empty_server(tmp_path: Path) -> Iterator[JupyterServer]:
    """A second server with a store of its own, e.g. to import into."""
    with jupyter_server(tmp_path / "empty-server") as server:
        yield server


def add_session(server: JupyterServer, task_ids: list[str], *, status: str = "running") -> str:
    """A session row for `task_ids`, put in through `POST import` (no terminal is started)."""
    session_id = "sess_" + secrets.token_hex(5)
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    row = {
        "id": session_id,
        "projectId": "proj_default",
        "name": "test session",
        "taskIds": task_ids,
        "role": "worker",
        "skills": [],
        "agent": "shell",
        "status": status,
        "terminalName": None,
        "cwd": None,
        "exitCode": None,
        "parentSessionId": None,
        "spawnSource": "api",
        "agentSessionId": None,
        "createdAt": now,
        "startedAt": now,
        "endedAt": None,
        "lastActivity": now,
        "version": 1,
    }
    document = {"format": "maestro-export", "schemaVersion": 1, "sessions": [row]}
    server.api("POST", "import?onConflict=fail", document)
    return session_id
