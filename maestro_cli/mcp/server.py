"""`maestro mcp` itself: the tools of `tools.py` and the resources of `resources.py`, served over
stdio by the MCP SDK's low-level server.

Nothing but protocol reaches stdout. Logs go to stderr; while serving, the SDK points fd 1 at
stderr (its stream keeps a private copy of the real stdout) and `sys.stdout` is stderr too, so a
library that prints cannot break the JSON-RPC stream (Taskmaster #662, #1141).
Every failure of a tool, a bad argument or a dead, refusing or unknown server alike, is answered
as a tool error (`isError: true`) carrying the server's code and message; the server keeps
answering.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
from typing import Any

import anyio
import anyio.to_thread
import mcp.types as types
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server
from mcp.shared.exceptions import MCPError

from maestro_jupyter._version import __version__
from maestro_jupyter.client import MaestroClient, SessionEnv
from maestro_jupyter.errors import MaestroError, NotFound

from . import resources
from .tools import TOOLS, TOOLS_BY_NAME, Board

log = logging.getLogger("maestro.mcp")

INSTRUCTIONS = (
    "Maestro's task board. Inside a session the tools act as it (claims, reports and status "
    "changes are credited to it); start with whoami."
)
# What a person can do about the errors that are about the set-up rather than the call.
HINTS = {
    "server_not_found": "set MAESTRO_URL and MAESTRO_TOKEN in this MCP server's environment",
    "unauthorized": "set MAESTRO_TOKEN in this MCP server's environment to the server's token "
    "or a running session's own",
    "forbidden": "set MAESTRO_TOKEN in this MCP server's environment to the server's token "
    "or a running session's own",
    "token_revoked": "this session has ended, so its token no longer works",
    "foreign_token": "point MAESTRO_URL at the server that runs this session",
}


def compact(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def tool_error(error: MaestroError) -> types.CallToolResult:
    answer: dict[str, Any] = {"error": error.code, "message": error.message}
    if error.details:
        answer["details"] = error.details
    # A role's refusal names the role: the token is right, the call is not the session's to make.
    if error.code in HINTS and "role" not in error.details:
        answer["hint"] = HINTS[error.code]
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=compact(answer))], is_error=True
    )


def build_server(board: Board) -> Server[Any]:
    tools = [
        types.Tool(name=tool.name, description=tool.description, input_schema=tool.schema)
        for tool in TOOLS
    ]

    async def list_tools(
        _ctx: Any, _params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return types.ListToolsResult(tools=tools)

    async def call_tool(_ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        tool = TOOLS_BY_NAME.get(params.name)
        if tool is None:
            return tool_error(
                NotFound(f"no tool {params.name!r}; the tools: {', '.join(TOOLS_BY_NAME)}")
            )
        try:
            # The client is synchronous (stdlib http.client): each call runs on a worker thread.
            result = await anyio.to_thread.run_sync(
                tool.run, board, dict(params.arguments or {}), abandon_on_cancel=True
            )
        except MaestroError as error:
            return tool_error(error)
        except Exception as error:  # noqa: BLE001 - a tool's bug must not end the server
            log.exception("tool %s failed", tool.name)
            return tool_error(MaestroError(f"internal error: {type(error).__name__}: {error}"))
        return types.CallToolResult(content=[types.TextContent(type="text", text=compact(result))])

    async def list_resources(
        _ctx: Any, _params: types.PaginatedRequestParams | None
    ) -> types.ListResourcesResult:
        return types.ListResourcesResult(
            resources=[
                types.Resource(
                    uri=r.uri, name=r.name, description=r.description, mime_type=r.mime_type
                )
                for r in resources.available(board)
            ]
        )

    async def read_resource(
        _ctx: Any, params: types.ReadResourceRequestParams
    ) -> types.ReadResourceResult:
        uri = str(params.uri)
        try:
            text = await anyio.to_thread.run_sync(
                resources.read, board, uri, abandon_on_cancel=True
            )
        except MaestroError as error:  # answered as a JSON-RPC error; the server goes on
            raise MCPError(types.INVALID_PARAMS, error.message) from None
        mime_type = next(
            (r.mime_type for r in (resources.BRIEF, resources.TASKS) if r.uri == uri), None
        )
        return types.ReadResourceResult(
            contents=[types.TextResourceContents(uri=uri, mime_type=mime_type, text=text)]
        )

    return Server(
        "maestro",
        version=__version__,
        instructions=INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        on_list_resources=list_resources,
        on_read_resource=read_resource,
    )


async def _serve(server: Server[Any]) -> None:
    async with stdio_server() as (read_stream, write_stream):
        with contextlib.redirect_stdout(sys.stderr):
            await server.run(read_stream, write_stream, server.create_initialization_options())


def serve(env: SessionEnv, server_url: str | None = None, token: str | None = None) -> None:
    """Serve until the client closes stdin, as the session `env` names (if any)."""
    logging.basicConfig(
        stream=sys.stderr, level=logging.WARNING, format="maestro mcp: %(levelname)s %(message)s"
    )
    board = Board(env, lambda: MaestroClient.from_environment(server_url, token))
    anyio.run(_serve, build_server(board))
