"""How the CLI prints: aligned tables and coloured words for people, one JSON envelope for machines.

Colour only reaches a terminal, and never when NO_COLOR is set (https://no-color.org). Text from
the server is shown with its control characters made visible (`\\x1b`), whatever is stored: an
escape sequence in a title must not drive the reader's terminal.
"""

from __future__ import annotations

import json
import os
import re
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


# C0 controls, DEL and C1 controls (U+0080-U+009F: terminals read U+009B as CSI, U+009D as OSC).
# Newline and tab are kept in running text and escaped in one-line places (table cells, labels).
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LINE_BREAKS = re.compile("[\n\t]")
# What JSON leaves raw of these (it escapes only U+0000-U+001F).
_JSON_RAW_CONTROLS = re.compile("[\x7f-\x9f]")
_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    return _NAMED.get(char) or f"\\x{ord(char):02x}"


def neutralised(data: Any) -> Any:
    """`data` (the server's JSON) with every control character in its strings, keys included,
    shown as an escape (`\\x1b`); newlines and tabs stay for running text."""
    if isinstance(data, str):
        return _CONTROLS.sub(_visible, data)
    if isinstance(data, Mapping):
        return {neutralised(key): neutralised(value) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [neutralised(item) for item in data]
    return data


def one_line(text: str) -> str:
    """`text` with newlines and tabs escaped too, for a table cell or a `label  value` line."""
    return _LINE_BREAKS.sub(_visible, text)


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


def dumps(payload: Any, *, indent: int | None = None) -> str:
    """JSON as UTF-8 text with DEL and the C1 controls escaped as well (`\\u009b`)."""
    text = json.dumps(payload, indent=indent, ensure_ascii=False)
    return _JSON_RAW_CONTROLS.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def print_json(payload: Any, *, err: bool = False) -> None:
    click.echo(dumps(payload, indent=2), err=err)


def print_success(data: Any) -> None:
    print_json({"success": True, "data": data})


def print_error(
    code: str, message: str, details: Mapping[str, Any] | None, *, as_json: bool
) -> None:
    """One line on stderr (or the JSON error envelope): never a traceback."""
    if as_json:
        envelope = {"success": False, "error": code, "message": message, "details": details or {}}
        click.echo(dumps(envelope), err=True)
        return
    line = one_line(neutralised(" ".join(message.split())))
    echo(f"{style('Error:', 'red', bold=True)} {line}", err=True)


Column = tuple[str, Callable[[Mapping[str, Any]], str]]


def table(rows: Sequence[Mapping[str, Any]], columns: Sequence[Column]) -> str:
    """Columns aligned on the visible width (colour codes do not count); the last is not padded,
    and on a terminal it is cut to the terminal's width."""
    cells = [[one_line(render(row)) for _, render in columns] for row in rows]
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
    return "\n".join(
        f"{style(label.ljust(width), dim=True)}  {one_line(str(value))}" for label, value in shown
    )


def join(values: Sequence[Any] | None) -> str:
    return ", ".join(str(v) for v in values or []) or "-"
