"""`maestro mcp`: the command, and how to add it to an agent by hand. The MCP SDK is imported
only when the server starts, so `maestro mcp --help` stays quick."""

from __future__ import annotations

import contextlib
import dataclasses
import sys

import click

from ..context import global_options, state


@click.command("mcp")
@global_options
def mcp() -> None:
    """Serve the board as MCP tools on stdin/stdout, for Claude Code, Codex, Jupyter AI or any
    MCP client. Inside a Maestro session the tools act as it (its claims, reports, status
    changes); the server is found as for every command.

    Agents Maestro spawns get it with no set-up. For an agent you start yourself, add it by
    hand (URL and TOKEN: the Jupyter server's; leave them out on the machine where it runs,
    and the running server is found from its runtime file):

    \b
    Claude Code:
      claude mcp add maestro -e MAESTRO_URL=URL -e MAESTRO_TOKEN=TOKEN -- maestro mcp
    or a file for `claude --mcp-config FILE`:
      {"mcpServers": {"maestro": {"command": "maestro", "args": ["mcp"],
        "env": {"MAESTRO_URL": "URL", "MAESTRO_TOKEN": "TOKEN"}}}}

    \b
    Codex, in ~/.codex/config.toml:
      [mcp_servers.maestro]
      command = "maestro"
      args = ["mcp"]
      env = { MAESTRO_URL = "URL", MAESTRO_TOKEN = "TOKEN" }

    \b
    Jupyter AI, in .jupyter/mcp_settings.json of the workspace:
      {"mcp_servers": [{"name": "maestro", "command": "maestro", "args": ["mcp"],
        "env": [{"name": "MAESTRO_URL", "value": "URL"},
                {"name": "MAESTRO_TOKEN", "value": "TOKEN"}]}]}

    To have the tools act as a session you started yourself, register it first
    (`maestro session register`) and give its MAESTRO_SESSION_ID in the same env.
    """
    st = state()
    if sys.stdin.isatty():
        click.echo(
            "maestro mcp: serving MCP on stdin/stdout for an MCP client "
            "(see 'maestro mcp --help'); Ctrl-D ends it",
            err=True,
        )
    from maestro_jupyter.client import session_env

    with contextlib.redirect_stdout(sys.stderr):  # a library printing as it is imported
        from .server import serve

    env = session_env()
    if st.project:
        env = dataclasses.replace(env, project_id=st.project)
    serve(env, st.server, st.token)
