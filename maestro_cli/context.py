"""What every command shares: the global options, the lazily built client, input checks.

The client module (and http.client with it) is imported on first use, so `maestro --help` and
`maestro --version` stay as quick as click itself.
"""

from __future__ import annotations

import inspect
import os
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import click

from maestro_jupyter.vocabulary import PRIORITIES, ROLES, SESSION_STATUSES, TASK_STATUSES

from . import output

if TYPE_CHECKING:
    from maestro_jupyter.client import MaestroClient, SessionEnv

ID_PATTERN = re.compile(r"^[a-z]+_\w+$")

F = TypeVar("F", bound=Callable[..., Any])


class InputError(click.UsageError):
    """Bad input found by a command itself (exit 2, like click's own usage errors)."""


@dataclass
class State:
    """The global options, wherever they were given (`maestro --json task list` or `... --json`)."""

    server: str | None = None
    token: str | None = None
    json: bool = False
    project: str | None = None
    _client: MaestroClient | None = field(default=None, repr=False)

    @property
    def client(self) -> MaestroClient:
        if self._client is None:
            from maestro_jupyter.client import MaestroClient

            self._client = MaestroClient.from_environment(self.server, self.token)
            click.get_current_context().call_on_close(self._client.close)
        return self._client

    @property
    def env(self) -> SessionEnv:
        from maestro_jupyter.client import session_env

        return session_env()

    def project_id(self) -> str | None:
        """--project, else the spawned session's MAESTRO_PROJECT_ID, else the config's project."""
        if self.project:
            return self.project
        if os.environ.get("MAESTRO_PROJECT_ID"):
            return os.environ["MAESTRO_PROJECT_ID"]
        from maestro_jupyter.client import load_config

        project = load_config().get("project")
        return str(project) if project else None

    def emit(self, data: Any, human: Callable[[Any], None]) -> None:
        """`{"success": true, "data": ...}` with --json, else the human rendering of the data
        with every control character in its text made visible (it may come from anyone)."""
        if self.json:
            output.print_success(data)
        else:
            human(output.neutralised(data))


def state() -> State:
    return click.get_current_context().ensure_object(State)


def _store(attribute: str) -> Callable[[click.Context, click.Parameter, Any], None]:
    def callback(ctx: click.Context, _param: click.Parameter, value: Any) -> None:
        if value not in (None, False):
            setattr(ctx.ensure_object(State), attribute, value)

    return callback


def global_options(command: F) -> F:
    """--json, --server, --token and --project, accepted before or after the command's name."""
    options = [
        click.option(
            "--json",
            "json_output",
            is_flag=True,
            expose_value=False,
            callback=_store("json"),
            help='Print {"success": true, "data": ...} for programs.',
        ),
        click.option(
            "--server",
            metavar="URL",
            expose_value=False,
            callback=_store("server"),
            help="Jupyter server URL (default: MAESTRO_URL, config, running servers).",
        ),
        click.option(
            "--token",
            metavar="TOKEN",
            expose_value=False,
            callback=_store("token"),
            help="Jupyter token (default: MAESTRO_TOKEN, config, runtime file).",
        ),
        click.option(
            "--project",
            metavar="ID",
            expose_value=False,
            callback=_checked_project,
            help="Project id (default: MAESTRO_PROJECT_ID, config project).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _checked_project(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.ensure_object(State).project = ID.convert(value, param, ctx)


class IdType(click.ParamType):
    """An id as the server makes them: a lowercase prefix, `_`, word characters."""

    name = "id"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value).strip()
        if not ID_PATTERN.match(text):
            self.fail(f"{value!r} is not an id (expected e.g. task_7kq2m9x4)", param, ctx)
        return text


class NonEmptyText(click.ParamType):
    name = "text"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value).strip()
        if not text:
            self.fail("must not be empty", param, ctx)
        return text


class DurationType(click.ParamType):
    """A duration: `30s`, `5m`, `1h`, `500ms`, or a bare number of seconds."""

    name = "duration"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        from maestro_jupyter.client import InvalidSetting, parse_duration

        try:
            return parse_duration(str(value), "the duration")
        except InvalidSetting as error:
            self.fail(error.message, param, ctx)


ID = IdType()
TEXT = NonEmptyText()
DURATION = DurationType()
TASK_STATUS = click.Choice(TASK_STATUSES, case_sensitive=False)
TASK_PRIORITY = click.Choice(PRIORITIES, case_sensitive=False)
SESSION_STATUS = click.Choice(SESSION_STATUSES, case_sensitive=False)
ROLE = click.Choice(ROLES)


def is_interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def _env_id(variable: str, value: str, kind: str) -> str:
    if not ID_PATTERN.match(value):
        raise InputError(f"{variable} holds {value!r}, which is not a {kind} id")
    return value


def current_session() -> str | None:
    """The session this terminal runs in (MAESTRO_SESSION_ID), checked; None outside one."""
    session_id = state().env.session_id
    return _env_id("MAESTRO_SESSION_ID", session_id, "session") if session_id else None


def acting_session(session_id: str | None, *, action: str) -> str:
    """--session, else the current session; exit 2 when neither names one."""
    chosen = session_id or current_session()
    if not chosen:
        raise InputError(
            f"give --session ID to {action} (MAESTRO_SESSION_ID is not set: not inside a session)"
        )
    return chosen


session_option = click.option(
    "--session",
    "session_id",
    type=ID,
    metavar="ID",
    help="Act as this session (default: MAESTRO_SESSION_ID).",
)
force_option = click.option(
    "--force",
    is_flag=True,
    help="Go past unmet dependencies (the task's timeline records it).",
)


def session_tasks() -> list[str]:
    """The tasks of the current session: as the server links them now (spawned for, claimed,
    assigned), else as the environment names them (MAESTRO_TASK_IDS)."""
    session_id = current_session()
    if session_id:
        return list(state().client.get_session(session_id)["taskIds"])
    return [_env_id("MAESTRO_TASK_IDS", t, "task") for t in state().env.task_ids]


def session_task_ids(
    task_id: str | None,
    *,
    action: str,
    wanted: Callable[[Mapping[str, Any]], bool] | None = None,
) -> list[str]:
    """The task a command acts on: the one given, else the current session's.

    Of several session tasks, those `wanted` (e.g. not completed yet, for `complete`) are
    kept; if more than one is left, ask on a terminal and refuse (exit 2) otherwise.
    """
    if task_id:
        return [task_id]
    task_ids = session_tasks()
    if not task_ids:
        raise InputError(
            f"give a TASK_ID to {action} "
            "(not inside a session with tasks: MAESTRO_SESSION_ID and MAESTRO_TASK_IDS are unset)"
        )
    if len(task_ids) > 1 and wanted is not None:
        client = state().client
        task_ids = [
            t for t in task_ids if wanted(client.get_task(t, include_subtasks=False))
        ] or task_ids
    if len(task_ids) == 1:
        return task_ids
    if is_interactive() and not state().json:
        chosen = click.prompt(
            f"This session has several tasks; which one to {action}?",
            type=click.Choice(task_ids),
        )
        return [chosen]
    raise InputError(
        f"this session has several tasks ({', '.join(task_ids)}): give the TASK_ID to {action}"
    )


def examples(*lines: str) -> Callable[[F], F]:
    """Append an Examples section to a command's help."""
    text = "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)

    def decorate(command: F) -> F:
        # Dedent first: the examples are not indented, so click could not dedent the whole.
        doc = inspect.cleandoc(command.__doc__ or "")
        command.__doc__ = f"{doc}\n\n{text}\n"
        return command

    return decorate
