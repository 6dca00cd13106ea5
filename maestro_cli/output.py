"""How the CLI prints: aligned tables and coloured words for people, one JSON envelope for machines.

Colour only reaches a terminal, and never when NO_COLOR is set (https://no-color.org).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import click

STATUS_COLORS = {
    "todo": None,
    "in_progress": "cyan",
    "blocked": "red",
    "completed": "green",
    "cancelled": "bright_black",
    "spawning": "yellow",
    "running": "cyan",
    "needs_input": "magenta",
    "failed": "red",
    "stopped": "bright_black",
}
PRIORITY_COLORS = {"urgent": "red", "high": "yellow", "medium": None, "low": "bright_black"}


def color_enabled() -> bool | None:
    """False when NO_COLOR is set; otherwise None lets click colour only a terminal."""
    return False if os.environ.get("NO_COLOR") else None


def echo(text: str = "", *, err: bool = False, nl: bool = True) -> None:
    click.echo(text, err=err, nl=nl, color=color_enabled())


def style(text: str, fg: str | None = None, *, bold: bool = False, dim: bool = False) -> str:
    if not fg and not bold and not dim:
        return text
    return click.style(text, fg=fg, bold=bold, dim=dim)


def status_word(status: str | None) -> str:
    return style(status or "-", STATUS_COLORS.get(status or ""))


def priority_word(priority: str | None) -> str:
    return style(priority or "-", PRIORITY_COLORS.get(priority or ""))


def print_json(payload: Any, *, err: bool = False) -> None:
    click.echo(json.dumps(payload, indent=2, ensure_ascii=False), err=err)


def print_success(data: Any) -> None:
    print_json({"success": True, "data": data})


def print_error(
    code: str, message: str, details: Mapping[str, Any] | None, *, as_json: bool
) -> None:
    """One line on stderr (or the JSON error envelope): never a traceback."""
    if as_json:
        envelope = {"success": False, "error": code, "message": message, "details": details or {}}
        click.echo(json.dumps(envelope, ensure_ascii=False), err=True)
        return
    line = " ".join(message.split())
    echo(f"{style('Error:', 'red', bold=True)} {line}", err=True)


Column = tuple[str, Callable[[Mapping[str, Any]], str]]


def table(rows: Sequence[Mapping[str, Any]], columns: Sequence[Column]) -> str:
    """Columns aligned on the visible width (colour codes do not count); the last is not padded,
    and on a terminal it is cut to the terminal's width."""
    cells = [[render(row) for _, render in columns] for row in rows]
    headers = [header for header, _ in columns]
    widths = [
        max([len(click.unstyle(header))] + [len(click.unstyle(line[i])) for line in cells])
        for i, header in enumerate(headers)
    ]
    room = _terminal_width() - sum(widths[:-1]) - 2 * (len(widths) - 1)
    if room >= 10:
        for row_cells in cells:
            plain = click.unstyle(row_cells[-1])
            if len(plain) > room:
                row_cells[-1] = plain[: room - 1] + "…"

    def render_line(values: Sequence[str]) -> str:
        padded = [
            value + " " * (widths[i] - len(click.unstyle(value))) if i < len(values) - 1 else value
            for i, value in enumerate(values)
        ]
        return "  ".join(padded).rstrip()

    lines = [render_line([style(h, bold=True) for h in headers])]
    lines.extend(render_line(values) for values in cells)
    return "\n".join(lines)


def _terminal_width() -> int:
    """The terminal's width, or no limit when stdout is a file or a pipe (programs read it all)."""
    if not sys.stdout.isatty():
        return 1 << 30
    import shutil

    return shutil.get_terminal_size().columns


def pairs(items: Sequence[tuple[str, Any]]) -> str:
    """`label  value` lines with the labels aligned; empty values are left out."""
    shown = [(label, value) for label, value in items if value not in (None, "", [], ())]
    width = max((len(label) for label, _ in shown), default=0)
    return "\n".join(f"{style(label.ljust(width), dim=True)}  {value}" for label, value in shown)


def join(values: Sequence[Any] | None) -> str:
    return ", ".join(str(v) for v in values or []) or "-"
