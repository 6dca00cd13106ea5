"""The user's settings (MAESTRO_HOME/config.json and MAESTRO_* variables) and what a spawned
terminal's environment says about the session running in it."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InvalidSetting
from ..paths import maestro_home

DEFAULT_RETRIES = 3
DEFAULT_RETRY_DELAY = 0.3
DEFAULT_TIMEOUT = 30.0
# A bare retry delay this large was surely meant in milliseconds, as the original Maestro's was.
BARE_DELAY_LIMIT = 100
_DURATION = re.compile(r"(?P<number>\d+(?:\.\d*)?|\.\d+)\s*(?P<unit>ms|s|m|h)?")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


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


def parse_duration(value: Any, name: str, *, bare_limit: float | None = None) -> float:
    """Seconds from `500ms`, `2s`, `5m`, `1h`, `0.3` (a bare number is seconds) or a JSON number.

    With `bare_limit`, a bare number from that size up is refused: it was surely meant in
    milliseconds, and would otherwise wait minutes.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise InvalidSetting(f"{name} must be a duration such as 500ms, 2s or 5m, got {value!r}")
    if isinstance(value, str):
        match = _DURATION.fullmatch(value.strip().lower())
        if match is None:
            raise InvalidSetting(
                f"{name} must be a duration such as 500ms, 2s or 5m, got {value!r}"
            )
        number, unit = float(match["number"]), match["unit"]
    else:
        number, unit = float(value), None
    if number < 0:
        raise InvalidSetting(f"{name} must not be negative, got {value!r}")
    if unit is None and bare_limit is not None and number >= bare_limit:
        raise InvalidSetting(
            f"{name} is in seconds: {value!r} would wait {number:g} s. "
            f"Write {number:g}ms for milliseconds (or {number:g}s if you mean seconds)"
        )
    return number * _UNIT_SECONDS[unit]


def parse_count(value: Any, name: str) -> int:
    """A whole number of at least 0 (retries)."""
    try:
        number = int(str(value).strip())
    except ValueError:
        number = -1
    if isinstance(value, bool) or number < 0:
        raise InvalidSetting(f"{name} must be a whole number of at least 0, got {value!r}")
    return number


@dataclass(frozen=True)
class RetrySettings:
    """How the client retries and waits; from MAESTRO_RETRIES, MAESTRO_RETRY_DELAY and
    MAESTRO_TIMEOUT, else the config file's retries, retry_delay and timeout."""

    retries: int = DEFAULT_RETRIES
    retry_delay: float = DEFAULT_RETRY_DELAY
    timeout: float = DEFAULT_TIMEOUT

    @classmethod
    def load(
        cls,
        environ: Mapping[str, str] | None = None,
        config: Mapping[str, Any] | None = None,
    ) -> RetrySettings:
        env = os.environ if environ is None else environ
        config = load_config() if config is None else config

        def pick(variable: str, key: str) -> tuple[Any, str] | None:
            if env.get(variable, "") != "":
                return env[variable], variable
            if config.get(key) not in (None, ""):
                return config[key], f"config {key}"
            return None

        settings = cls()
        retries = pick("MAESTRO_RETRIES", "retries")
        delay = pick("MAESTRO_RETRY_DELAY", "retry_delay")
        timeout = pick("MAESTRO_TIMEOUT", "timeout")
        return cls(
            retries=parse_count(*retries) if retries else settings.retries,
            retry_delay=parse_duration(*delay, bare_limit=BARE_DELAY_LIMIT)
            if delay
            else settings.retry_delay,
            timeout=(parse_duration(*timeout) or DEFAULT_TIMEOUT) if timeout else settings.timeout,
        )


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
