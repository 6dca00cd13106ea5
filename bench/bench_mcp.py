"""What `maestro mcp`'s tool list costs every conversation it is in, beside Taskmaster's.

An MCP client puts the whole `tools/list` answer in the model's context, in every conversation:
Taskmaster's 36 tools cost about 21,000 tokens (its "core" set about 5,000). This starts
`maestro mcp` with the MCP SDK's own stdio client, as an agent's client does, lists the tools
and counts the characters of the JSON answer, divided by 4 for tokens (aim: under 3,000). It
also times a start: process, handshake and list.

    python -m bench.bench_mcp [--starts N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import anyio
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from harness import REPO, isolated_env

from .report import machine, median, ms, table, verdict

AIM_TOKENS = 3000
CHARS_PER_TOKEN = 4
TASKMASTER = (("Taskmaster, all tools", 36, 21_000), ("Taskmaster, core tools", None, 5_000))
MAESTRO_MCP = [sys.executable, "-m", "maestro_cli.mcp"]


async def _list_once(env: dict[str, str]) -> tuple[float, list[tuple[str, int]], int]:
    """Seconds from start to tools listed, each tool's JSON size, the whole answer's size."""
    parameters = StdioServerParameters(
        command=MAESTRO_MCP[0], args=MAESTRO_MCP[1:], env=env, cwd=str(REPO)
    )
    started = time.perf_counter()
    async with Client(parameters, mode="legacy") as client:
        listed = await client.list_tools()
        elapsed = time.perf_counter() - started
    tools = [
        (tool.name, len(tool.model_dump_json(by_alias=True, exclude_none=True)))
        for tool in listed.tools
    ]
    return elapsed, tools, len(listed.model_dump_json(by_alias=True, exclude_none=True))


def measure(starts: int) -> str:
    with tempfile.TemporaryDirectory(prefix="bench-mcp-") as root:
        # Listing needs no Maestro server; one that is not there must not matter either.
        env = {**isolated_env(Path(root)), "MAESTRO_URL": "http://127.0.0.1:1/"}
        runs = [anyio.run(_list_once, env) for _ in range(starts)]
    tools, chars = runs[-1][1], runs[-1][2]
    tokens = chars / CHARS_PER_TOKEN
    rows = [
        [
            "**maestro mcp**",
            len(tools),
            f"{chars:,}",
            f"{tokens:,.0f}",
            verdict(tokens < AIM_TOKENS),
        ]
    ]
    rows += [[name, count or "-", "-", f"~{cost:,}", "-"] for name, count, cost in TASKMASTER]
    largest = sorted(tools, key=lambda tool: -tool[1])[:5]
    return "\n".join(
        [
            "## MCP tool list (what every conversation pays)",
            "",
            table(
                ["server", "tools", "JSON characters", "≈ tokens (chars ÷ 4)", "aim: < 3,000"],
                rows,
            ),
            "",
            "Largest tools (characters): "
            + ", ".join(f"`{name}` {size:,}" for name, size in largest)
            + ".",
            "",
            f"Start to tools listed (process, handshake, `tools/list`; median of {starts}): "
            f"{ms(median([run[0] for run in runs]))} ms. Taskmaster's figures are those its "
            "users measured (issue 16).",
        ]
    )


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=3, help="starts to time (default 3)")
    args = parser.parse_args(argv)
    return measure(args.starts)


if __name__ == "__main__":
    print(main())
    print()
    print(machine())
