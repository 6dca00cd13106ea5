"""A real `jupyter lab` process for the browser tests, and a small REST client for it."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from harness.http import ApiError, json_request

HERE = Path(__file__).parent

# The test agent: records which session ran it (the terminal's text is canvas-drawn, so tests
# read this file instead) and the terminal size it started with, then stays alive like an agent
# waiting for input.
TEST_AGENT_SCRIPT = (
    'echo hi; echo "$MAESTRO_SESSION_ID $(stty size)" >> "$MAESTRO_E2E_AGENT_LOG"; sleep 60'
)

# An agent that reads one line from its terminal, as an agent reads a prompt, and writes it to
# `<agent log>.<session id>.input`, where the tests read what the Send field delivered.
READER_AGENT_SCRIPT = (
    'read line; printf "%s\\n" "$line" > "$MAESTRO_E2E_AGENT_LOG.$MAESTRO_SESSION_ID.input";'
    " sleep 100"
)


NEWS_PLUGIN = "@jupyterlab/apputils-extension:announcements"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LabServer:
    """`jupyter lab` on a free port with its own HOME, Jupyter dirs, MAESTRO_HOME and token."""

    def __init__(
        self,
        root: Path,
        env: dict[str, str],
        base_url: str = "/",
        maestro_config: dict[str, Any] | None = None,
    ) -> None:
        self.root = root
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.base_url = base_url
        self.url = f"http://127.0.0.1:{self.port}{base_url}"
        self.workdir = root / "work"
        self.agent_log = root / "agent.log"
        self.log_path = root / "jupyter.log"
        # c.Maestro settings beside the test agent's (read at each start).
        self.maestro_config = dict(maestro_config or {})
        self.env = {
            **env,
            "MAESTRO_E2E_AGENT_LOG": str(self.agent_log),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE), env.get("PYTHONPATH")])),
        }
        self._process: subprocess.Popen[bytes] | None = None

    def write_config(self) -> Path:
        self.workdir.mkdir(parents=True, exist_ok=True)
        config = {
            "ServerApp": {
                "port": self.port,
                "base_url": self.base_url,
                "ip": "127.0.0.1",
                "open_browser": False,
                "root_dir": str(self.workdir),
                "allow_root": os.geteuid() == 0,
                "jpserver_extensions": {
                    "jupyterlab": True,
                    "jupyter_server_terminals": True,
                    "maestro_jupyter": True,
                    "maestro_e2e_hooks": True,
                },
            },
            "IdentityProvider": {"token": self.token},
            "LabApp": {"expose_app_in_browser": True},
            "Maestro": {
                "agents": {
                    "test": {"argv": ["sh", "-c", TEST_AGENT_SCRIPT]},
                    "reader": {"argv": ["sh", "-c", READER_AGENT_SCRIPT]},
                },
                "default_agent": "test",
                **self.maestro_config,
            },
        }
        config_dir = Path(self.env["JUPYTER_CONFIG_DIR"])
        path = config_dir / "jupyter_server_config.json"
        path.write_text(json.dumps(config, indent=2))
        # No "get Jupyter news?" toast over the screenshots, and no fetch to the internet.
        labconfig = config_dir / "labconfig"
        labconfig.mkdir(exist_ok=True)
        (labconfig / "page_config.json").write_text(
            json.dumps({"disabledExtensions": {NEWS_PLUGIN: True}})
        )
        return path

    def start(self, timeout: float = 60) -> None:
        self.write_config()
        args = [sys.executable, "-m", "jupyter", "lab", "--no-browser"]
        if os.geteuid() == 0:
            args.append("--allow-root")
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(
                args, env=self.env, cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"jupyter lab exited:\n{self.log()}")
            try:
                self.call("GET", "maestro/api/status")
                return
            except ApiError as error:
                if isinstance(error.body, dict):
                    return  # Maestro answers, if only to say why it cannot work (a JSON 503)
                time.sleep(0.25)  # Jupyter's own 404 page: Maestro is not loaded (yet)
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.25)
        raise RuntimeError(f"jupyter lab did not answer in {timeout}s:\n{self.log()}")

    def stop(self) -> None:
        if self._process and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(15)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(5)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-8000:] if self.log_path.exists() else ""

    def lab_url(self, workspace: str, reset: bool = True) -> str:
        """The workspace's page; `reset` starts it afresh, else it is restored as it was left."""
        return f"{self.url}lab/workspaces/{workspace}?{'reset&' if reset else ''}token={self.token}"

    def call(self, method: str, path: str, body: Any = None) -> Any:
        """A JSON request with the token; raises ApiError on an error status."""
        return json_request(self.url + path, method, body, self.token)

    def api(self, method: str, path: str, body: Any = None) -> Any:
        return self.call(method, f"maestro/api/{path}", body)

    def spawn_for_new_task(self, title: str, **extra: Any) -> dict[str, Any]:
        """A new task and a session spawned for it, the way the CLI does (no browser)."""
        task = self.api("POST", "tasks", {"title": title})
        return self.api(
            "POST", "sessions/spawn", {"taskIds": [task["id"]], "spawnSource": "cli", **extra}
        )

    def agent_input(self, session_id: str) -> str | None:
        """The line the reader agent of a session read from its terminal, once it read one."""
        path = self.agent_log.with_name(f"{self.agent_log.name}.{session_id}.input")
        return path.read_text() if path.exists() else None

    def agent_runs(self) -> dict[str, tuple[int, int]]:
        """{session id: (rows, cols) of its terminal when the agent started}."""
        if not self.agent_log.exists():
            return {}
        runs = {}
        for line in self.agent_log.read_text().splitlines():
            session_id, rows, cols = line.split()
            runs[session_id] = (int(rows), int(cols))
        return runs
