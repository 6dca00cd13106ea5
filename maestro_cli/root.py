"""The `maestro` root group: global options, the sub-commands, and the one place errors end.

Every failure becomes one line on stderr (or a JSON error envelope with --json) and an exit code
scripts can trust: 0 ok, 1 server or network error, 2 bad usage or input.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from maestro_jupyter._version import __version__

from . import output
from .context import State, global_options

if TYPE_CHECKING:
    from maestro_jupyter.errors import MaestroError

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2

# Sub-commands are imported when used: `maestro task list` pays for its own module only.
COMMANDS = {
    "task": ("commands.tasks", "task"),
    "subtask": ("commands.subtasks", "subtask"),
    "session": ("commands.sessions", "session"),
    "project": ("commands.projects", "project"),
    "worktree": ("commands.worktrees", "worktree"),
    "report": ("commands.report", "report"),
    "skill": ("commands.skills", "skill"),
    "status": ("commands.status", "status"),
    "whoami": ("commands.status", "whoami"),
    "config": ("commands.config", "config"),
    "export": ("commands.transfer", "export"),
    "import": ("commands.transfer", "import_"),
    "mcp": ("mcp", "mcp"),
    "hook": ("commands.hook", "hook"),
}


class MaestroGroup(click.Group):
    """The root group: loads sub-commands on demand, and its `main` turns every exception into
    one line and an exit code."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        import importlib

        module, attribute = COMMANDS[name]
        return getattr(importlib.import_module(f"maestro_cli.{module}"), attribute)

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> int:
        argv = list(sys.argv[1:] if args is None else args)
        as_json = "--json" in argv[: argv.index("--")] if "--" in argv else "--json" in argv
        try:
            result = super().main(
                argv, prog_name or "maestro", complete_var, standalone_mode=False, **extra
            )
            code = result if isinstance(result, int) else EXIT_OK
        except (click.exceptions.Abort, KeyboardInterrupt):
            output.print_error("aborted", "aborted", None, as_json=as_json)
            code = 130
        except click.ClickException as error:
            code = _report_click_error(error, as_json)
        except Exception as error:  # noqa: BLE001 - the one place where every error must end
            code = _report_error(error, as_json)
        if standalone_mode:
            sys.exit(code)
        return code


def _report_click_error(error: click.ClickException, as_json: bool) -> int:
    message = error.format_message()
    ctx = getattr(error, "ctx", None)
    if isinstance(error, click.UsageError) and ctx is not None:
        message = f"{message} (see '{ctx.command_path} --help')"
    param = getattr(error, "param", None)
    details: dict[str, Any] = {}
    if isinstance(param, click.Option):
        details["param"] = max(param.opts, key=len)
    elif isinstance(param, click.Parameter):
        details["param"] = param.human_readable_name
    output.print_error("usage_error", message, details, as_json=as_json)
    return EXIT_USAGE


# What a person can do about an error, in CLI terms: the library's messages say what happened,
# these say which `maestro` command or option changes it.
TOKEN_HINT = "pass --token, set MAESTRO_TOKEN or run 'maestro config set token TOKEN'"
HINTS = {
    "server_not_found": "start one with 'jupyter lab', or set MAESTRO_URL and MAESTRO_TOKEN, "
    "or run 'maestro config set url URL'",
    "unauthorized": TOKEN_HINT,
    "forbidden": TOKEN_HINT,
    "token_revoked": "a session's token ends with it; resume the session for a new one",
    "foreign_token": "a session's token works on the server that runs it only (its MAESTRO_URL)",
    "session_elsewhere": "ask on the server that runs it (maestro --server URL, or its user's Lab)",
    "store_busy": "it was still busy after the retries (store_busy)",
}


def _report_error(error: Exception, as_json: bool) -> int:
    from maestro_jupyter import errors

    if isinstance(error, errors.MaestroError):
        output.print_error(error.code, _message(error), error.details, as_json=as_json)
        bad_input = isinstance(error, (errors.ValidationFailed, errors.BadRequest))
        return EXIT_USAGE if bad_input or error.code == "invalid_setting" else EXIT_FAILURE
    if isinstance(error, OSError):
        message = error.strerror or str(error)
        if error.filename:
            message = f"{message}: {error.filename}"
        output.print_error("os_error", message, None, as_json=as_json)
        return EXIT_FAILURE
    output.print_error(
        "internal_error",
        f"internal error: {type(error).__name__}: {error}",
        None,
        as_json=as_json,
    )
    return EXIT_FAILURE


def _message(error: MaestroError) -> str:
    """The error's message once, then the field problems it does not already say (the server's
    message names the first few), then what to do about it."""
    message = error.message
    problems = error.details.get("errors") if isinstance(error.details, dict) else None
    if isinstance(problems, list):
        unsaid = [
            f"{p.get('field', '?')}: {p.get('message', '')}"
            for p in problems
            if isinstance(p, dict)
        ]
        unsaid = [problem for problem in unsaid if problem not in message]
        if unsaid:
            message = f"{message} ({'; '.join(unsaid)})"
    # A session token's role refusal says what the role may do; another token would not help.
    refused_role = isinstance(error.details, dict) and "role" in error.details
    hint = None if refused_role else HINTS.get(error.code)
    return f"{message.rstrip('. ')}; {hint}" if hint else message


@click.group(
    cls=MaestroGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog='Shell completion: eval "$(_MAESTRO_COMPLETE=bash_source maestro)" '
    "(zsh_source or fish_source for other shells).",
)
@click.version_option(
    __version__, "-V", "--version", prog_name="maestro", message="%(prog)s %(version)s"
)
@global_options
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Maestro: tasks, subtasks and agent sessions on a Jupyter server.

    The server is found from --server/--token, then MAESTRO_URL/MAESTRO_TOKEN, then
    ~/.maestro/config.json (MAESTRO_HOME), then the running Jupyter servers. Inside a
    terminal spawned by Maestro the environment names the session and its tasks, so
    `maestro task complete` and `maestro report ...` need no ids.

    \b
    Examples:
      maestro task create "Write the parser" --priority high --subtask "Lexer" --subtask "Tests"
      maestro task list --ready --json
      maestro task next --claim
      maestro report progress "Lexer done, starting on tests"
      maestro task complete
      maestro session wait --until any
    """
    ctx.ensure_object(State)
