"""Finding the Maestro server: arguments, MAESTRO_URL/MAESTRO_TOKEN, the config file, the running
Jupyter servers' runtime files, and for a kernel the Jupyter server that launched it."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..errors import ServerNotFound
from .config import config_path, load_config

API_PATH = "maestro/api/"


@dataclass(frozen=True)
class ServerInfo:
    """Where a Maestro server lives: `url` is Jupyter's base URL (with base_url), ending in /."""

    url: str
    token: str = ""
    source: str = ""

    @property
    def api_url(self) -> str:
        return self.url + API_PATH


def normalize_url(url: str) -> str:
    """Jupyter's base URL ending in `/`; an API URL (…/maestro/api) is accepted and cut back."""
    url = url.strip()
    if "://" not in url:
        url = "http://" + url
    url = url.rstrip("/") + "/"
    if url.endswith("/" + API_PATH):
        url = url[: -len(API_PATH)]
    return url


def _pid_alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return True  # nothing to check: trust the file
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def running_servers(runtime_dir: str | os.PathLike[str] | None = None) -> list[ServerInfo]:
    """Jupyter servers whose `jpserver-*.json` runtime files name a live process.

    Servers whose root_dir holds the current directory come first, then the newest.
    """
    if runtime_dir is None:
        from jupyter_core.paths import jupyter_runtime_dir  # only paid for when needed

        runtime_dir = jupyter_runtime_dir()
    cwd = Path.cwd().resolve()
    found: list[tuple[bool, float, ServerInfo]] = []
    for path in Path(runtime_dir).glob("jpserver-*.json"):
        try:
            info = json.loads(path.read_text(encoding="utf-8"))
            mtime = path.stat().st_mtime
        except (OSError, ValueError):
            continue
        if not isinstance(info, dict) or not info.get("url") or info.get("sock"):
            continue
        if not _pid_alive(info.get("pid")):
            continue
        url = normalize_url(str(info["url"]))
        base_url = str(info.get("base_url") or "/")
        if not urlsplit(url).path.endswith(base_url):
            url = normalize_url(url.rstrip("/") + base_url)
        root = Path(str(info.get("root_dir") or "/")).resolve()
        contains_cwd = cwd == root or root in cwd.parents
        server = ServerInfo(url, str(info.get("token") or ""), f"runtime file {path}")
        found.append((contains_cwd, mtime, server))
    found.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return [server for _, _, server in found]


def _safe_running_servers(runtime_dir: str | os.PathLike[str] | None) -> list[ServerInfo]:
    try:
        return running_servers(runtime_dir)
    except OSError:
        return []


def discover(
    server: str | None = None,
    token: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    runtime_dir: str | os.PathLike[str] | None = None,
) -> ServerInfo:
    """Find the server: arguments, then MAESTRO_URL/MAESTRO_TOKEN (or MAESTRO_API_URL), then
    MAESTRO_HOME's config.json, then the running Jupyter servers' runtime files.

    The token is the first one given by the arguments, MAESTRO_TOKEN or the config file; with
    none of these, the token of the running server found (or of the one at the URL given).
    Raises `ServerNotFound` when nothing names a server.
    """
    env = os.environ if environ is None else environ
    config = load_config()
    env_url = env.get("MAESTRO_URL") or env.get("MAESTRO_API_URL")
    candidates = [
        (server, token, "--server"),
        (env_url, env.get("MAESTRO_TOKEN"), "environment"),
        (config.get("url"), config.get("token"), f"config {config_path()}"),
    ]
    tokens = [t for _, t, _ in candidates if t]
    for url, _, source in candidates:
        if url:
            url = normalize_url(str(url))
            if tokens:
                return ServerInfo(url, str(tokens[0]), source)
            running = [s for s in _safe_running_servers(runtime_dir) if s.url == url]
            return ServerInfo(url, running[0].token if running else "", source)
    running = _safe_running_servers(runtime_dir)
    if running:
        first = running[0]
        return ServerInfo(first.url, str(tokens[0]) if tokens else first.token, first.source)
    raise ServerNotFound(
        "no Maestro server found: no URL was given (argument, MAESTRO_URL or config file) "
        "and no running Jupyter server was found"
    )


def kernel_server(
    environ: Mapping[str, str] | None = None,
    runtime_dir: str | os.PathLike[str] | None = None,
) -> ServerInfo | None:
    """The Jupyter server that started this kernel, if one did.

    jupyter_client gives a kernel it launches `JPY_PARENT_PID`, the launching process's pid, and
    Jupyter Server names its runtime file `jpserver-<pid>.json`: so the kernel's own server is the
    running server whose runtime file carries that pid. None outside such a kernel (e.g. a kernel
    started by nbclient, or by a remote gateway), and callers fall back to `discover`.
    """
    env = os.environ if environ is None else environ
    pid = env.get("JPY_PARENT_PID", "")
    if not pid.isdigit():
        return None
    runtime_file = f"jpserver-{pid}.json"
    for server in _safe_running_servers(runtime_dir):
        if Path(server.source.removeprefix("runtime file ")).name == runtime_file:
            return ServerInfo(server.url, server.token, f"the kernel's own server ({runtime_file})")
    return None


def find_server(
    url: str | None = None,
    token: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    runtime_dir: str | os.PathLike[str] | None = None,
) -> ServerInfo:
    """Where a notebook connects, first match wins:

    1. `url` (and `token`) given to `Maestro(...)`;
    2. env MAESTRO_URL / MAESTRO_TOKEN (or MAESTRO_API_URL), as for the CLI;
    3. the Jupyter server this kernel belongs to (see `kernel_server`), because a notebook
       usually means the server it is open in, whatever the CLI is configured for;
    4. MAESTRO_HOME's config.json, then the running servers' runtime files (those whose
       root_dir contains the working directory first), as for the CLI.

    Raises `ServerNotFound` when none answers to that description.
    """
    env = os.environ if environ is None else environ
    if url or env.get("MAESTRO_URL") or env.get("MAESTRO_API_URL"):
        return discover(url, token, environ=env, runtime_dir=runtime_dir)
    own = kernel_server(env, runtime_dir)
    if own is not None:
        return ServerInfo(own.url, token or own.token, own.source)
    return discover(None, token, environ=env, runtime_dir=runtime_dir)
