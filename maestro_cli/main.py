"""The `maestro` program's entry point.

`maestro hook` runs on every prompt and turn of an agent (Claude Code's hooks, Codex's notify),
so it goes straight to its module without click or the command tree; every other command goes
through the click root group in `root`.
"""

from __future__ import annotations

import sys
from typing import Any


def main() -> None:
    """Console-script entry point."""
    args = sys.argv[1:]
    if args[:1] == ["hook"] and args[1:2] in (["claude"], ["codex"]):
        from .hook import run

        sys.exit(run(args[1:]))
    from .root import cli

    cli.main(prog_name="maestro")


def __getattr__(name: str) -> Any:
    # `from maestro_cli.main import cli` (tests, tools) still finds the root group's names;
    # the import system's own probes (`__path__`...) must not load it.
    if name.startswith("__"):
        raise AttributeError(name)
    from . import root

    return getattr(root, name)
