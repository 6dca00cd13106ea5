"""The one HTTP client of Maestro's REST API, shared by the `maestro` CLI and notebooks.

It finds the server (`discover`), retries with backoff on network errors and 502/503/504, sends an
Idempotency-Key with every POST so that a retry never creates twice, and turns the server's error
JSON into typed exceptions. Kept free of jupyter_server, tornado and ipywidgets: the CLI imports it.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from ._version import __version__
from .paths import maestro_home

API_PATH = "maestro/api/"
RETRIED_STATUSES = frozenset({502, 503, 504})
# Failures after which sending again is safe: the request did not reach the server, or its answer
# was lost. Every POST carries an Idempotency-Key and a PATCH sets named fields only, so a request
# sent twice does its work once.
TRANSIENT_ERRORS = (OSError, http.client.HTTPException)
DEFAULT_RETRIES = 3
DEFAULT_RETRY_DELAY = 0.3
MAX_RETRY_DELAY = 30.0
DEFAULT_TIMEOUT = 30.0
CONNECT_TIMEOUT = 10.0


# --- errors -------------------------------------------------------------------------------------


class MaestroError(Exception):
    """Base of every error this client raises; `code` is the machine-readable name."""

    code = "error"

    def __init__(self, message: str, *, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = dict(details or {})

    def to_dict(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, "details": self.details}


class ServerNotFound(MaestroError):
    """No server given by flags, environment, config file or a running Jupyter server."""

    code = "server_not_found"


class ConnectionFailed(MaestroError):
    """The server could not be reached (after the retries)."""

    code = "connection_failed"


class MaestroAPIError(MaestroError):
    """The server answered with an error status; carries its `error`, `message` and `details`."""

    code = "api_error"

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message, details=details)
        self.status = status
        if code:
            self.code = code


class InvalidRequest(MaestroAPIError):
    """400: the body was not valid JSON or otherwise malformed."""


class AuthenticationFailed(MaestroAPIError):
    """401/403: the token is missing or wrong."""


class NotFoundError(MaestroAPIError):
    """404: no such resource (or no Maestro API at that URL)."""


class ConflictError(MaestroAPIError):
    """409: e.g. deleting a task that has children, or importing ids that exist."""


class VersionMismatchError(MaestroAPIError):
    """412: an If-Match version no longer matches the row."""


class PayloadTooLarge(MaestroAPIError):
    """413: the request body is over the server's limit."""


class ValidationError(MaestroAPIError):
    """422: a field is invalid; `details["errors"]` names each field."""


class ServerError(MaestroAPIError):
    """5xx: the server (or a proxy in front of it) failed."""


_ERRORS_BY_STATUS: dict[int, type[MaestroAPIError]] = {
    400: InvalidRequest,
    401: AuthenticationFailed,
    403: AuthenticationFailed,
    404: NotFoundError,
    409: ConflictError,
    412: VersionMismatchError,
    413: PayloadTooLarge,
    422: ValidationError,
}


# --- discovery ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServerInfo:
    """Where a Maestro server lives: `url` is Jupyter's base URL (with base_url), ending in /."""

    url: str
    token: str = ""
    source: str = ""

    @property
    def api_url(self) -> str:
        return self.url + API_PATH


@dataclass(frozen=True)
class SessionEnv:
    """What a spawned terminal's environment says about the session running in it."""

    session_id: str | None = None
    task_ids: tuple[str, ...] = ()
    project_id: str | None = None
    role: str | None = None
    brief: str | None = None

    @property
    def active(self) -> bool:
        return bool(self.session_id or self.task_ids)


def session_env(environ: Mapping[str, str] | None = None) -> SessionEnv:
    env = os.environ if environ is None else environ
    task_ids = tuple(t.strip() for t in env.get("MAESTRO_TASK_IDS", "").split(",") if t.strip())
    return SessionEnv(
        session_id=env.get("MAESTRO_SESSION_ID") or None,
        task_ids=task_ids,
        project_id=env.get("MAESTRO_PROJECT_ID") or None,
        role=env.get("MAESTRO_ROLE") or None,
        brief=env.get("MAESTRO_BRIEF") or None,
    )


def config_path() -> Path:
    return maestro_home() / "config.json"


def load_config() -> dict[str, Any]:
    """The user's `config.json` in MAESTRO_HOME; an absent or unreadable file counts as empty."""
    try:
        data = json.loads(config_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save_config(config: Mapping[str, Any]) -> Path:
    """Write `config.json` readable by the user only (it may hold a token), atomically."""
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(".json.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(dict(config), f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)
    return path


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
        "no Maestro server found: start one with 'jupyter lab', or set MAESTRO_URL and "
        "MAESTRO_TOKEN, or run 'maestro config set url URL'"
    )


def _safe_running_servers(runtime_dir: str | os.PathLike[str] | None) -> list[ServerInfo]:
    try:
        return running_servers(runtime_dir)
    except OSError:
        return []


# --- the client ---------------------------------------------------------------------------------


def _env_number(name: str, config_value: Any, default: float) -> float:
    raw = os.environ.get(name)
    for value in (raw, config_value):
        if value in (None, ""):
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise MaestroError(f"{name} must be a number, got {value!r}") from None
        if number < 0:
            raise MaestroError(f"{name} must not be negative, got {value!r}")
        return number
    return default


def retry_delays(retries: int, base: float) -> Iterator[float]:
    """The wait before each retry: exponential (base, 2 base, 4 base, ...) up to 30 s, with jitter
    (each wait drawn between half and all of it) so that many agents do not retry in step."""
    for attempt in range(retries):
        delay = min(MAX_RETRY_DELAY, base * 2**attempt)
        yield delay / 2 + random.uniform(0, delay / 2)


@dataclass
class MaestroClient:
    """Synchronous client of `{base_url}maestro/api/`.

    Methods answer the server's JSON (camelCase dicts); collections are followed through every
    page. Errors raise `MaestroError` subclasses. Connection errors and 502/503/504 are retried
    `retries` times after `retry_delays`.

    The transport is the standard library's http.client, one kept-alive connection per thread
    (so a client may be shared by threads): a CLI run pays less than half of urllib3's import
    time for it (docs/cli.md, "Start-up time").
    """

    server: ServerInfo
    retries: int = DEFAULT_RETRIES
    retry_delay: float = DEFAULT_RETRY_DELAY
    timeout: float = DEFAULT_TIMEOUT
    _local: threading.local = field(default_factory=threading.local, init=False, repr=False)

    @classmethod
    def from_environment(cls, server: str | None = None, token: str | None = None) -> MaestroClient:
        """A client for the discovered server, with MAESTRO_RETRIES / MAESTRO_RETRY_DELAY /
        MAESTRO_TIMEOUT (or the config file's retries / retry_delay / timeout) applied."""
        config = load_config()
        return cls(
            discover(server, token),
            retries=int(_env_number("MAESTRO_RETRIES", config.get("retries"), DEFAULT_RETRIES)),
            retry_delay=_env_number(
                "MAESTRO_RETRY_DELAY", config.get("retry_delay"), DEFAULT_RETRY_DELAY
            ),
            timeout=_env_number("MAESTRO_TIMEOUT", config.get("timeout"), DEFAULT_TIMEOUT)
            or DEFAULT_TIMEOUT,
        )

    # -- transport --

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """Send one request (retried as configured) and answer the decoded JSON, None for 204."""
        url = self.server.api_url + path.lstrip("/")
        query = _query(params)
        if query:
            url += "?" + query
        all_headers = {"Accept": "application/json", "User-Agent": f"maestro/{__version__}"}
        if self.server.token:
            all_headers["Authorization"] = f"token {self.server.token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            all_headers["Content-Type"] = "application/json"
        if method == "POST":
            all_headers["Idempotency-Key"] = str(uuid.uuid4())
        all_headers.update(headers or {})
        target = urlsplit(url)._replace(scheme="", netloc="").geturl()
        delays = retry_delays(self.retries, self.retry_delay)
        while True:
            try:
                status, reply_headers, reply = self._send(method, target, data, all_headers)
            except TRANSIENT_ERRORS as error:
                self.close()
                wait = next(delays, None)
                if wait is None:
                    after = f" after {self.retries} retries" if self.retries else ""
                    raise ConnectionFailed(
                        f"cannot reach Maestro at {self.server.url} ({_reason(error)}){after}",
                        details={"url": url},
                    ) from None
            else:
                wait = next(delays, None) if status in RETRIED_STATUSES else None
                if wait is None:
                    return self._decode(status, reply_headers, reply, method, url)
            time.sleep(wait)

    def _send(
        self, method: str, target: str, body: bytes | None, headers: Mapping[str, str]
    ) -> tuple[int, http.client.HTTPMessage, bytes]:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = self._connect()
        connection.request(method, target, body=body, headers=dict(headers))
        response = connection.getresponse()
        reply = response.read()
        if response.will_close:
            self.close()
        return response.status, response.headers, reply

    def _connect(self) -> http.client.HTTPConnection:
        parts = urlsplit(self.server.url)
        try:
            port = parts.port
        except ValueError:
            raise MaestroError(f"{self.server.url} is not a valid server URL") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise MaestroError(f"{self.server.url} is not a valid server URL")
        kind = (
            http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        )
        connection = kind(parts.hostname, port, timeout=min(self.timeout, CONNECT_TIMEOUT))
        connection.connect()
        if connection.sock is not None:
            connection.sock.settimeout(self.timeout)
        return connection

    def close(self) -> None:
        """Close this thread's kept-alive connection (a later request opens another)."""
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None

    def _decode(
        self, status: int, headers: http.client.HTTPMessage, reply: bytes, method: str, url: str
    ) -> Any:
        payload: Any = None
        if reply:
            try:
                payload = json.loads(reply)
            except ValueError:
                payload = None
        if 200 <= status < 300:
            if status != 204 and payload is None and reply:
                raise MaestroAPIError(
                    f"{method} {url} answered {status} with a body that is not JSON",
                    status=status,
                    code="invalid_response",
                )
            return payload
        if 300 <= status < 400:
            location = headers.get("Location", "?")
            raise MaestroAPIError(
                f"{self.server.url} redirected to {location} instead of answering: is it a "
                "Jupyter server with Maestro, and is the token right?",
                status=status,
                code="unexpected_redirect",
            )
        raise _api_error(status, payload, self.server, method, url)

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Any = None, **params: Any) -> Any:
        return self.request("POST", path, body={} if body is None else body, params=params)

    def patch(self, path: str, body: Mapping[str, Any], *, version: int | None = None) -> Any:
        headers = {"If-Match": str(version)} if version is not None else None
        return self.request("PATCH", path, body=dict(body), headers=headers)

    def delete(self, path: str, **params: Any) -> Any:
        return self.request("DELETE", path, params=params)

    def paginate(
        self,
        path: str,
        *,
        max_items: int | None = None,
        page_size: int | None = None,
        **params: Any,
    ) -> Iterator[Any]:
        """Every item of a collection, following `nextCursor`; at most `max_items` if given."""
        cursor = None
        count = 0
        while True:
            page = self.get(path, **params, limit=page_size, cursor=cursor)
            for item in page.get("items", []):
                yield item
                count += 1
                if max_items is not None and count >= max_items:
                    return
            cursor = page.get("nextCursor")
            if not cursor:
                return

    # -- resources --

    def status(self) -> dict[str, Any]:
        return self.get("status")

    def list_projects(self) -> list[dict[str, Any]]:
        return list(self.paginate("projects"))

    def list_tasks(
        self,
        *,
        project_id: str | None = None,
        status: list[str] | tuple[str, ...] | str | None = None,
        parent_id: str | None = None,
        q: str | None = None,
        include_subtasks: bool = False,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Tasks filtered like `GET tasks`; `parent_id="null"` gives the top-level ones."""
        if isinstance(status, (list, tuple)):
            status = ",".join(status) or None
        return list(
            self.paginate(
                "tasks",
                max_items=limit,
                page_size=min(limit, 500) if limit else None,
                projectId=project_id,
                status=status,
                parentId=parent_id,
                q=q,
                include="subtasks" if include_subtasks else None,
            )
        )

    def create_task(self, title: str, **fields: Any) -> dict[str, Any]:
        """Create a task; `fields` are the wire names (projectId, parentId, subtasks, ...)."""
        return self.post("tasks", {"title": title, **_present(fields)})

    def get_task(self, task_id: str, *, include_subtasks: bool = True) -> dict[str, Any]:
        include = "subtasks" if include_subtasks else None
        return self.get(f"tasks/{_segment(task_id)}", include=include)

    def update_task(
        self, task_id: str, fields: Mapping[str, Any], *, version: int | None = None
    ) -> dict[str, Any]:
        return self.patch(f"tasks/{_segment(task_id)}", fields, version=version)

    def complete_task(
        self, task_id: str, message: str | None = None, *, session_id: str | None = None
    ) -> dict[str, Any]:
        """Mark a task completed; a `message` is kept on its timeline (credited to the session)."""
        body = _present({"message": message, "sessionId": session_id})
        return self.post(f"tasks/{_segment(task_id)}/complete", body)

    def block_task(
        self, task_id: str, reason: str, *, session_id: str | None = None
    ) -> dict[str, Any]:
        body = _present({"reason": reason, "sessionId": session_id})
        return self.post(f"tasks/{_segment(task_id)}/block", body)

    def delete_task(self, task_id: str, *, recursive: bool = False) -> None:
        self.delete(f"tasks/{_segment(task_id)}", recursive="true" if recursive else None)

    def task_children(self, task_id: str) -> list[dict[str, Any]]:
        return list(self.paginate(f"tasks/{_segment(task_id)}/children"))

    def list_subtasks(self, task_id: str) -> list[dict[str, Any]]:
        return list(self.paginate(f"tasks/{_segment(task_id)}/subtasks"))

    def create_subtasks(
        self, task_id: str, subtasks: list[Mapping[str, Any]]
    ) -> list[dict[str, Any]]:
        """Create several subtasks in one request (one transaction)."""
        answer = self.post(f"tasks/{_segment(task_id)}/subtasks", [dict(s) for s in subtasks])
        return answer["items"] if isinstance(answer, dict) and "items" in answer else answer

    def create_subtask(self, task_id: str, title: str, **fields: Any) -> dict[str, Any]:
        return self.post(
            f"tasks/{_segment(task_id)}/subtasks", {"title": title, **_present(fields)}
        )

    def update_subtask(
        self,
        task_id: str,
        subtask_id: str,
        fields: Mapping[str, Any],
        *,
        version: int | None = None,
    ) -> dict[str, Any]:
        path = f"tasks/{_segment(task_id)}/subtasks/{_segment(subtask_id)}"
        return self.patch(path, fields, version=version)

    def delete_subtask(self, task_id: str, subtask_id: str) -> None:
        self.delete(f"tasks/{_segment(task_id)}/subtasks/{_segment(subtask_id)}")

    def add_timeline(
        self, task_id: str, kind: str, message: str, *, session_id: str | None = None
    ) -> dict[str, Any]:
        body = _present({"kind": kind, "message": message, "sessionId": session_id})
        return self.post(f"tasks/{_segment(task_id)}/timeline", body)

    def list_timeline(self, task_id: str) -> list[dict[str, Any]]:
        return list(self.paginate(f"tasks/{_segment(task_id)}/timeline"))

    def list_sessions(
        self, *, status: str | None = None, task_id: str | None = None
    ) -> list[dict[str, Any]]:
        return list(self.paginate("sessions", status=status, taskId=task_id))

    def get_session(self, session_id: str) -> dict[str, Any]:
        return self.get(f"sessions/{_segment(session_id)}")

    def spawn_session(self, task_ids: list[str], **fields: Any) -> dict[str, Any]:
        """`POST sessions/spawn`; `fields` are the wire names (role, skills, agent, cwd, ...)."""
        return self.post("sessions/spawn", {"taskIds": list(task_ids), **_present(fields)})

    def update_session(
        self, session_id: str, fields: Mapping[str, Any], *, version: int | None = None
    ) -> dict[str, Any]:
        return self.patch(f"sessions/{_segment(session_id)}", fields, version=version)

    def stop_session(self, session_id: str) -> dict[str, Any]:
        return self.post(f"sessions/{_segment(session_id)}/stop")

    def delete_session(self, session_id: str) -> None:
        self.delete(f"sessions/{_segment(session_id)}")

    def list_skills(self) -> list[dict[str, Any]]:
        answer = self.get("skills")
        return answer.get("items", []) if isinstance(answer, dict) else answer

    def get_skill(self, name: str) -> dict[str, Any]:
        return self.get(f"skills/{_segment(name)}")

    def export_store(self) -> dict[str, Any]:
        return self.get("export")

    def import_store(self, data: Mapping[str, Any], *, on_conflict: str = "fail") -> Any:
        """Load an export into the store in one transaction; on_conflict: fail, skip, overwrite."""
        return self.request("POST", "import", body=dict(data), params={"onConflict": on_conflict})


# --- helpers ------------------------------------------------------------------------------------


def _present(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if value is not None}


def _segment(value: str) -> str:
    return quote(str(value), safe="")


def _query(params: Mapping[str, Any] | None) -> str:
    if not params:
        return ""
    pairs = [(key, value) for key, value in params.items() if value is not None]
    return urlencode(pairs)


def _reason(error: BaseException) -> str:
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, TimeoutError):
        return "timed out"
    if isinstance(error, socket.gaierror):
        return "unknown host"
    if isinstance(error, http.client.RemoteDisconnected):
        return "the server closed the connection"
    return str(error) or type(error).__name__


def _api_error(
    status: int, payload: Any, server: ServerInfo, method: str, url: str
) -> MaestroAPIError:
    is_maestro_error = isinstance(payload, dict) and isinstance(payload.get("error"), str)
    if status in (401, 403):
        code = payload["error"] if is_maestro_error else "unauthorized"
        message = (
            f"{server.url} refused the token (HTTP {status}): pass --token, set MAESTRO_TOKEN "
            "or run 'maestro config set token TOKEN'"
        )
        details = {}
    elif is_maestro_error:
        code = payload["error"]
        message = str(payload.get("message") or code)
        details = payload.get("details") if isinstance(payload.get("details"), dict) else {}
    elif status == 404:
        code = "not_found"
        message = (
            f"no Maestro API at {server.api_url}: is the maestro_jupyter server extension "
            "enabled on that server?"
        )
        details = {}
    else:
        code = "server_error" if status >= 500 else "http_error"
        message = f"{method} {url} failed with HTTP {status}"
        if isinstance(payload, dict) and payload.get("message"):
            message += f": {payload['message']}"
        details = {}
    cls = _ERRORS_BY_STATUS.get(status, ServerError if status >= 500 else MaestroAPIError)
    return cls(message, status=status, code=code, details=details)
