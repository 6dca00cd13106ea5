"""The one HTTP client of Maestro's REST API, shared by the `maestro` CLI and notebooks.

- `discovery`: where the server is (arguments, environment, config file, runtime files, and a
  kernel's own Jupyter server);
- `config`: the config file, retry settings, a spawned terminal's session environment;
- `transport`: http.client with retries, Idempotency-Keys and the server's errors raised as
  `maestro_jupyter.errors` classes;
- `api`: `MaestroClient`, the resources as methods;
- `events`: the events WebSocket for programs that block while they wait (imported only by
  `MaestroClient.events`);
- `waits`: `wait_for_sessions`, waiting on that stream for sessions to end or ask for input.

Standard library only, and never jupyter_server, tornado or ipywidgets: the CLI imports it.
"""

from .api import MaestroClient
from .config import (
    InvalidSetting,
    RetrySettings,
    SessionEnv,
    config_path,
    load_config,
    parse_duration,
    save_config,
    session_env,
)
from .discovery import (
    ServerInfo,
    discover,
    find_server,
    kernel_server,
    normalize_url,
    running_servers,
)
from .transport import MAX_RETRY_DELAY, Transport, honoured_wait, retry_after_seconds, retry_delays

__all__ = [
    "MAX_RETRY_DELAY",
    "InvalidSetting",
    "MaestroClient",
    "RetrySettings",
    "ServerInfo",
    "SessionEnv",
    "Transport",
    "config_path",
    "discover",
    "find_server",
    "honoured_wait",
    "kernel_server",
    "load_config",
    "normalize_url",
    "parse_duration",
    "retry_after_seconds",
    "retry_delays",
    "running_servers",
    "save_config",
    "session_env",
]
