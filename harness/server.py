"""A real `jupyter server` subprocess with Maestro, for tests and benchmarks.

Every Jupyter and Maestro directory lives under one root folder, the server listens on loopback
only, and it can be killed (`kill -9`) and started again on the same database.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
JUPYTER = Path(sys.executable).with_name("jupyter")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def isolated_env(root: Path, code: Path = REPO) -> dict[str, str]:
    """The environment of a process whose HOME, Jupyter and Maestro folders are all under `root`
    (no MAESTRO_, JUPYTER_ or JPY_ variable of ours leaks in), importing maestro_jupyter from
    `code` (this checkout unless told otherwise)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MAESTRO_", "JUPYTER_", "JPY_"))
    }
    for name in ("home", "config", "data", "runtime", "work"):
        (root / name).mkdir(parents=True, exist_ok=True)
    env.update(
        HOME=str(root / "home"),
        JUPYTER_CONFIG_DIR=str(root / "config"),
        JUPYTER_DATA_DIR=str(root / "data"),
        JUPYTER_RUNTIME_DIR=str(root / "runtime"),
        JUPYTER_PLATFORM_DIRS="1",
        MAESTRO_HOME=str(root / "maestro-home"),
        PYTHONPATH=os.pathsep.join(filter(None, [str(code), os.environ.get("PYTHONPATH")])),
    )
    return env


class ServerProcess:
    """`jupyter server` with Maestro under `root`; `start()` again after `kill()` reuses the db.

    `url` is Jupyter's base URL (with `base_url`), ending in `/`.
    """

    def __init__(
        self,
        root: Path,
        *,
        token: str | None = None,
        base_url: str = "/",
        extra_args: tuple[str, ...] = (),
        config: dict[str, Any] | None = None,
        code: Path = REPO,
    ) -> None:
        """`config` is written as the server's jupyter_server_config.json (e.g. Maestro agents);
        `code` is the folder maestro_jupyter is imported from (bench.compare runs an older one)."""
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.token = token or secrets.token_hex(24)
        self.base_url = base_url
        self.extra_args = extra_args
        self.env = isolated_env(self.root, code)
        if config:
            config_file = Path(self.env["JUPYTER_CONFIG_DIR"]) / "jupyter_server_config.json"
            config_file.write_text(json.dumps(config))
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def maestro_home(self) -> Path:
        return Path(self.env["MAESTRO_HOME"])

    @property
    def db_path(self) -> Path:
        return self.maestro_home / "maestro.db"

    @property
    def runtime_dir(self) -> Path:
        return Path(self.env["JUPYTER_RUNTIME_DIR"])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.base_url}"

    @property
    def log_path(self) -> Path:
        return self.root / f"server-{self.starts}.log"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, timeout: float = 60) -> ServerProcess:
        self.port = free_port()
        self.starts += 1
        argv = [
            str(JUPYTER),
            "server",
            f"--port={self.port}",
            "--ip=127.0.0.1",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.base_url={self.base_url}",
            f"--ServerApp.root_dir={self.root / 'work'}",
            "--ServerApp.open_browser=False",
            "--ServerApp.jpserver_extensions="
            '{"maestro_jupyter": True, "jupyter_server_terminals": True}',
            "--ServerApp.allow_unauthenticated_access=False",
            *(["--allow-root"] if os.geteuid() == 0 else []),
            *self.extra_args,
        ]
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                argv, env=self.env, cwd=self.root / "work", stdout=log, stderr=subprocess.STDOUT
            )
        self._wait_until_ready(timeout)
        return self

    def _wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter server exited:\n{self.log()[-3000:]}")
            try:
                self.api("GET", "status")
                return
            except (OSError, urllib.error.HTTPError):
                time.sleep(0.1)
        raise RuntimeError("jupyter server did not answer within the timeout")

    def api(self, method: str, path: str, body: Any = None, timeout: float = 30) -> Any:
        """One request to the Maestro REST API, bypassing any client under test; raises urllib's
        HTTPError on 4xx/5xx."""
        request = urllib.request.Request(
            self.url + "maestro/api/" + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data = response.read()
        return json.loads(data) if data else None

    async def events_socket(self, since: int = 0) -> Any:
        """Maestro's events WebSocket from `since` (tornado's WebSocketClientConnection)."""
        from tornado.httpclient import HTTPRequest
        from tornado.websocket import websocket_connect

        url = "ws" + self.url[len("http") :] + f"maestro/api/events?since={since}"
        headers = {"Authorization": f"token {self.token}"}
        return await websocket_connect(HTTPRequest(url, headers=headers))

    def cli_env(self, **extra: str) -> dict[str, str]:
        """Environment for a `maestro` run against this server (its own MAESTRO_HOME, no colour)."""
        env = {key: value for key, value in self.env.items() if not key.startswith("MAESTRO_")}
        env["MAESTRO_HOME"] = str(self.root / "cli-maestro-home")
        env.update(MAESTRO_URL=self.url, MAESTRO_TOKEN=self.token, NO_COLOR="1")
        env.update(extra)
        return env

    def log(self) -> str:
        return "\n".join(
            path.read_text(errors="replace") for path in sorted(self.root.glob("server-*.log"))
        )

    def rss_bytes(self) -> int:
        """Resident memory of the server process (Linux /proc)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("no VmRSS line")

    def cpu_seconds(self) -> float:
        """User + system CPU time the server process has used so far (Linux /proc)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def kill(self) -> None:
        """`kill -9`: no shutdown hook runs, as in a crash."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()

    def __enter__(self) -> ServerProcess:
        return self.start() if self.process is None else self

    def __exit__(self, *exc: Any) -> None:
        self.stop()
