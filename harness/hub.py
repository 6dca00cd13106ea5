"""A real JupyterHub for tests: DummyAuthenticator, SimpleLocalProcessSpawner, the proxy from npm.

Everything lives under one root folder: the Hub's sqlite database, cookie secret and log, and
each user's home, Jupyter dirs and MAESTRO_HOME. Every user's single-user server runs this
checkout's maestro_jupyter (the venv's `jupyterhub-singleuser`), on the one store `db_url`.
Every process the Hub starts (proxy, single-user servers, their agents' terminals) carries a
marker in its environment, so `stop()` leaves none behind whatever state the Hub died in.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .http import ApiError, json_request
from .server import REPO, free_port, isolated_env

BIN = Path(sys.executable).parent
# `make hub-proxy` installs it (npm install --prefix build/hub configurable-http-proxy).
PROXY = REPO / "build" / "hub" / "node_modules" / ".bin" / "configurable-http-proxy"
MARKER = "MAESTRO_HUB_HARNESS"

# The Hub's configuration: fixed settings, the rest read from settings.json beside it. Per-user
# values are callables of the spawner, which JupyterHub calls at each spawn.
HUB_CONFIG = """\
import json
from pathlib import Path

settings = json.loads((Path(__file__).parent / "settings.json").read_text())
c = get_config()  # noqa: F821

c.JupyterHub.bind_url = settings["bind_url"]
c.JupyterHub.hub_bind_url = settings["hub_bind_url"]
c.JupyterHub.db_url = settings["hub_db_url"]
c.JupyterHub.cookie_secret_file = settings["cookie_secret_file"]
c.JupyterHub.pid_file = settings["pid_file"]
c.ConfigurableHTTPProxy.command = [settings["proxy"]]
c.ConfigurableHTTPProxy.api_url = settings["proxy_api_url"]
c.ConfigurableHTTPProxy.pid_file = settings["proxy_pid_file"]

c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = settings["password"]
c.Authenticator.allowed_users = set(settings["users"])

c.JupyterHub.services = [{"name": "harness", "api_token": settings["admin_token"]}]
c.JupyterHub.load_roles = [
    {
        "name": "harness",
        "scopes": ["admin:users", "admin:servers", "tokens"],
        "services": ["harness"],
    }
]

c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = settings["home_template"]
c.Spawner.cmd = [settings["singleuser"]]
c.Spawner.args = settings["args"]
c.Spawner.default_url = "/lab"
# The REST API answers a spawn at once (202); the harness waits for the server to be ready.
c.JupyterHub.slow_spawn_timeout = 0
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.Spawner.environment = {
    key: (lambda spawner, key=key: settings["environment"][spawner.user.name].get(key, ""))
    for key in {key for env in settings["environment"].values() for key in env}
}
"""


class HubUser:
    """One user's single-user server, reached through the Hub's proxy with the user's token."""

    def __init__(self, hub: Hub, name: str, token: str) -> None:
        self.hub = hub
        self.name = name
        self.token = token
        self.root = hub.user_root(name)

    @property
    def url(self) -> str:
        """The server's URL through the proxy, `<hub>/user/<name>/`."""
        return f"{self.hub.url}user/{self.name}/"

    @property
    def home(self) -> Path:
        """The user's home: the server's root folder (home_template)."""
        return self.root / "home"

    @property
    def env(self) -> dict[str, str]:
        return self.hub.user_envs[self.name]

    def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        """A request to `<server>/<path>` with the user's token (or `token`)."""
        return json_request(self.url + path, method, body, token or self.token)

    def api(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        return self.call(method, f"maestro/api/{path}", body, token)


class Hub:
    """`jupyterhub` under `root`, its users' servers on the Maestro store at `db_url`.

    `user_env(folder)` makes the environment of a user's server (all its folders under
    `folder`); `user_config(name)` is written as that user's jupyter_server_config.json.
    """

    def __init__(
        self,
        root: Path,
        *,
        db_url: str,
        users: tuple[str, ...] = ("a", "b"),
        user_env: Callable[[Path], dict[str, str]] = isolated_env,
        user_config: Callable[[str], Mapping[str, Any]] = lambda name: {},
    ) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.db_url = db_url
        self.users = users
        self.user_env = user_env
        self.user_config = user_config
        self.password = secrets.token_urlsafe(12)
        self.admin_token = secrets.token_hex(24)
        self.port = free_port()
        self.user_envs: dict[str, dict[str, str]] = {}
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The public URL (the proxy's), ending in `/`."""
        return f"http://127.0.0.1:{self.port}/"

    @property
    def log_path(self) -> Path:
        return self.root / "jupyterhub.log"

    def user_root(self, name: str) -> Path:
        return self.root / "users" / name

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def hub_api(self, method: str, path: str, body: Any = None) -> Any:
        return json_request(f"{self.url}hub/api/{path}", method, body, self.admin_token)

    def _user_environment(self, name: str) -> dict[str, str]:
        """What a user's server needs beyond the Hub's own variables: its folders, this
        checkout's code, PATH with the venv's scripts (the agents run `maestro`), the marker."""
        env = self.user_env(self.user_root(name))
        env["PATH"] = os.pathsep.join([str(BIN), env.get("PATH", os.defpath)])
        env[MARKER] = str(self.root)
        self.user_envs[name] = env
        wanted = {key: value for key, value in env.items() if os.environ.get(key) != value}
        for key in ("PATH", "PYTHONPATH", "LANG", "LC_ALL"):
            if key in env:
                wanted[key] = env[key]
        wanted.pop("HOME", None)  # the spawner sets it: home_dir_template
        config_dir = Path(env["JUPYTER_CONFIG_DIR"])
        config_dir.mkdir(parents=True, exist_ok=True)
        (config_dir / "jupyter_server_config.json").write_text(
            json.dumps(self.user_config(name), indent=2)
        )
        return wanted

    def write_config(self) -> Path:
        if not PROXY.exists():
            raise RuntimeError(f"{PROXY} is missing: run `make hub-proxy`")
        environment = {name: self._user_environment(name) for name in self.users}
        settings = {
            "bind_url": self.url,
            "hub_bind_url": f"http://127.0.0.1:{free_port()}",
            "hub_db_url": f"sqlite:///{self.root / 'jupyterhub.sqlite'}",
            "cookie_secret_file": str(self.root / "cookie_secret"),
            "pid_file": str(self.root / "jupyterhub.pid"),
            "proxy": str(PROXY),
            "proxy_api_url": f"http://127.0.0.1:{free_port()}",
            "proxy_pid_file": str(self.root / "proxy.pid"),
            "password": self.password,
            "users": list(self.users),
            "admin_token": self.admin_token,
            # Each user's home (HubUser.home) is the `home` folder user_env made there.
            "home_template": str(self.user_root("{username}") / "home"),
            "singleuser": str(BIN / "jupyterhub-singleuser"),
            "args": [
                f"--Maestro.db_url={self.db_url}",
                *(["--allow-root"] if os.geteuid() == 0 else []),
            ],
            "environment": environment,
        }
        (self.root / "settings.json").write_text(json.dumps(settings, indent=2))
        path = self.root / "jupyterhub_config.py"
        path.write_text(HUB_CONFIG)
        return path

    def start(self, timeout: float = 90) -> Hub:
        config = self.write_config()
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("MAESTRO_", "JUPYTER", "JPY_", "CONFIGPROXY_"))
        }
        env["PATH"] = os.pathsep.join([str(BIN), env.get("PATH", os.defpath)])
        env[MARKER] = str(self.root)
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [str(BIN / "jupyterhub"), "-f", str(config)],
                cwd=self.root,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyterhub exited:\n{self.log()[-4000:]}")
            try:
                self.hub_api("GET", "")
                return self
            except (ApiError, OSError):
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"jupyterhub did not answer in {timeout}s:\n{self.log()[-4000:]}"
                    ) from None
                time.sleep(0.25)

    def start_users(self, *names: str, timeout: float = 150) -> dict[str, HubUser]:
        """Start the users' servers through the REST API (all at once), wait until each is
        ready, and give each a token of the user's for requests through the proxy."""
        for name in names:
            self.hub_api("POST", f"users/{name}/server")  # 202: pending (slow_spawn_timeout 0)
        deadline = time.monotonic() + timeout
        for name in names:
            while not self.hub_api("GET", f"users/{name}")["servers"].get("", {}).get("ready"):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name}'s server did not start:\n{self.log()[-4000:]}")
                if self.process is None or self.process.poll() is not None:
                    raise RuntimeError(f"jupyterhub exited:\n{self.log()[-4000:]}")
                time.sleep(0.5)
        tokens = {
            name: self.hub_api("POST", f"users/{name}/tokens", {"note": "harness"})["token"]
            for name in names
        }
        return {name: HubUser(self, name, token) for name, token in tokens.items()}

    def stop(self) -> None:
        """Stop the Hub (which stops the servers it spawned), then kill anything still marked."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        kill_marked(str(self.root))

    def __enter__(self) -> Hub:
        return self if self.process is not None else self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def marked_pids(root: str) -> list[int]:
    """Processes whose environment says they belong to the Hub under `root` (Linux /proc)."""
    marker = f"{MARKER}={root}".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if marker in environ.split(b"\0"):
            pids.append(int(entry.name))
    return pids


def kill_marked(root: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while pids := marked_pids(root):
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"processes of the Hub under {root} survive SIGKILL: {pids}")
        time.sleep(0.1)
