"""`maestro hook claude|codex` as a click command: its help, and the forms the entry point's fast
path does not take (`maestro --json hook ...`). The work is `maestro_cli.hook.run`."""

from __future__ import annotations

import click


@click.command(
    "hook",
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def hook(args: tuple[str, ...]) -> None:
    """Relay an agent's own hook event to its session (run by the agent, not by people).

    `maestro hook claude` reads Claude Code's hook JSON on stdin; `maestro hook codex PAYLOAD`
    is Codex's notify program. Notification and PermissionRequest make the session need you,
    UserPromptSubmit makes it running and working again, Stop idle. It prints nothing and always
    exits 0; a problem (bad JSON, unknown event, outside a session, server down) changes nothing
    and is one line in hook.log, in the session folder (beside MAESTRO_BRIEF).
    """
    from ..hook import run

    run(args)
