"""`python -m maestro_cli.mcp`: `maestro mcp` without the console script (an agent's MCP config
may name the interpreter of the Jupyter server instead)."""

from . import mcp

mcp.main(prog_name="maestro mcp")
