"""`maestro config ...`: the user's settings in MAESTRO_HOME/config.json (default ~/.maestro)."""

from __future__ import annotations

from typing import Any

import click

from .. import output
from ..context import ID, InputError, examples, global_options, state

KEYS = {
    "url": "Jupyter server URL, e.g. http://127.0.0.1:8888/ (with any base_url)",
    "token": "Jupyter token",
    "project": "default project id",
    "timeout": "how long to wait for an answer: 30s, 1500ms (a bare number is seconds; default 30)",
    "retries": "retries on network errors, 502/503/504 and a busy store (default 3)",
    "retry_delay": "base of the exponential backoff: 300ms, 1s (a bare number is seconds; "
    "default 0.3)",
}
KEY = click.Choice(sorted(KEYS))


@click.group()
def config() -> None:
    """Settings kept in ~/.maestro/config.json (MAESTRO_HOME moves it).

    \b
    Keys: url, token, project, timeout, retries, retry_delay.
    Environment variables (MAESTRO_URL, MAESTRO_TOKEN, MAESTRO_RETRIES, ...) win over them.
    """


def _mask(config: dict[str, Any], reveal: bool) -> dict[str, Any]:
    if reveal or not config.get("token"):
        return config
    token = str(config["token"])
    return {**config, "token": token[:4] + "…" if len(token) > 8 else "…"}


def parse_value(key: str, raw: str) -> Any:
    """Check a value before it is saved (exit 2 on a bad one): URLs are normalised, numbers of
    retries saved as numbers, durations as written (`500ms`), so they read back as typed."""
    from maestro_jupyter.client import InvalidSetting, RetrySettings, normalize_url

    value = raw.strip()
    if not value:
        raise InputError(f"config value for {key} must not be empty")
    if key == "url":
        return normalize_url(value)
    if key == "project":
        try:
            return ID.convert(value, None, None)
        except click.BadParameter as error:
            raise InputError(f"bad value for {key}: {error}") from None
    if key in ("retries", "retry_delay", "timeout"):
        try:
            RetrySettings.load(environ={}, config={key: value})
        except InvalidSetting as error:
            raise InputError(error.message) from None
        return int(value) if key == "retries" else value
    return value


@config.command("show")
@click.option("--show-token", is_flag=True, help="Print the token in full.")
@global_options
@examples("maestro config show")
def show(show_token: bool) -> None:
    """Print every setting (the token shortened unless --show-token)."""
    from maestro_jupyter.client import config_path, load_config

    data = {"path": str(config_path()), "config": _mask(load_config(), show_token)}

    def human(d: dict[str, Any]) -> None:
        output.echo(output.style(d["path"], dim=True))
        output.echo(output.pairs(sorted(d["config"].items())) or "(empty)")

    state().emit(data, human)


@config.command("get")
@click.argument("key", type=KEY)
@global_options
@examples("maestro config get url")
def get(key: str) -> None:
    """Print one setting (nothing, exit 0, when unset)."""
    from maestro_jupyter.client import load_config

    value = load_config().get(key)
    state().emit({key: value}, lambda _: output.echo("" if value is None else str(value)))


@config.command("set")
@click.argument("key", type=KEY)
@click.argument("value")
@global_options
@examples("maestro config set url http://127.0.0.1:8888/", "maestro config set token abc123")
def set_(key: str, value: str) -> None:
    """Save one setting."""
    from maestro_jupyter.client import load_config, save_config

    parsed = parse_value(key, value)
    path = save_config({**load_config(), key: parsed})
    shown = _mask({key: parsed}, False)[key]
    state().emit({key: shown}, lambda _: output.echo(f"Set {key} = {shown} in {path}"))


@config.command("unset")
@click.argument("key", type=KEY)
@global_options
@examples("maestro config unset token")
def unset(key: str) -> None:
    """Remove one setting."""
    from maestro_jupyter.client import load_config, save_config

    current = load_config()
    current.pop(key, None)
    path = save_config(current)
    state().emit({key: None}, lambda _: output.echo(f"Unset {key} in {path}"))
