"""Maestro's board over the Model Context Protocol: `maestro mcp` (a stdio MCP server of small
tools and the session's resources) and the configuration that gives it to spawned agents."""

from .command import mcp
from .config import (
    claude_mcp_arguments,
    claude_mcp_config,
    codex_mcp_arguments,
    mcp_command,
    session_variables,
)

__all__ = [
    "claude_mcp_arguments",
    "claude_mcp_config",
    "codex_mcp_arguments",
    "mcp",
    "mcp_command",
    "session_variables",
]
