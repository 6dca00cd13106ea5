"""How timeline entries read in a terminal: who, when, kind and message, one line each.

Shared by `task log`, `session log`, and the latest entries `task get` and `whoami` show. The
columns have fixed widths so that `--follow` can print each entry as it comes and stay aligned.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

import click

from . import output

# How many of a task's entries `task get` and `whoami` show.
LATEST = 5

KIND_COLORS = {
    "progress": None,
    "blocked": "red",
    "needs_input": "magenta",
    "milestone": "green",
    "error": "red",
    "status": "bright_black",
    "message": "cyan",
    "claim": "yellow",
}
WHO_WIDTH, KIND_WIDTH, TASK_WIDTH = 15, 11, 15


def when(entry: Mapping[str, Any]) -> str:
    """The entry's time to the second, in UTC as stored (`2025-03-01T14:02:11Z`)."""
    at = str(entry.get("at") or "")
    return at[:19] + "Z" if len(at) >= 19 else at or "-"


def who(entry: Mapping[str, Any]) -> str:
    """The session or person credited with the entry."""
    return str(entry.get("actor") or entry.get("sessionId") or "-")


def line(entry: Mapping[str, Any], *, number: int | None = None, with_task: bool = False) -> str:
    """One entry (already neutralised) as one line: `#  WHEN  WHO  KIND  [TASK]  MESSAGE`."""
    kind = str(entry.get("kind") or "-")
    cells = [] if number is None else [f"{number:>3}"]
    cells += [when(entry), who(entry).ljust(WHO_WIDTH)]
    cells.append(output.style(kind.ljust(KIND_WIDTH), KIND_COLORS.get(kind)))
    if with_task:
        cells.append(str(entry.get("taskId") or "-").ljust(TASK_WIDTH))
    cells.append(output.one_line(str(entry.get("message") or "")))
    return "  ".join(cells)


def header(*, numbered: bool = True, with_task: bool = False) -> str:
    cells = ["  #"] if numbered else []
    cells += ["WHEN".ljust(20), "WHO".ljust(WHO_WIDTH), "KIND".ljust(KIND_WIDTH)]
    if with_task:
        cells.append("TASK".ljust(TASK_WIDTH))
    cells.append("MESSAGE")
    return output.style("  ".join(cells), bold=True)


def print_log(
    entries: Sequence[Mapping[str, Any]], *, first: int = 1, with_task: bool = False
) -> None:
    """A numbered log (`first` is the number of its first entry), or a line saying it is empty."""
    if not entries:
        output.echo("No entries.")
        return
    output.echo(header(with_task=with_task))
    for number, entry in enumerate(entries, start=first):
        output.echo(line(entry, number=number, with_task=with_task))


def print_latest(entries: Sequence[Mapping[str, Any]], *, indent: str = "") -> None:
    """The latest entries of a task, under a heading (nothing when there are none)."""
    if not entries:
        return
    output.echo(f"{indent}{output.style('Latest entries', bold=True)}")
    for entry in entries:
        output.echo(indent + "  " + line(entry))


def merged(timelines: Iterable[Sequence[Mapping[str, Any]]]) -> list[Mapping[str, Any]]:
    """Several tasks' entries in one list, oldest first."""
    entries = [entry for timeline in timelines for entry in timeline]
    entries.sort(key=lambda entry: (str(entry.get("at") or ""), str(entry.get("id") or "")))
    return entries


# -- --since ----------------------------------------------------------------------------------

_RELATIVE = re.compile(r"\d+(\.\d*)?\s*(s|m|h|d)", re.IGNORECASE)


class SinceType(click.ParamType):
    """`--since`: a whole number N (the entries after the Nth, as `task log` numbers them), an
    age (`30s`, `10m`, `2h`, `1d`: entries newer than that), or a time (`2025-03-01T14:00:00Z`,
    `2025-03-01`; without an offset it is UTC, as entries are shown)."""

    name = "since"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> int | datetime:
        if isinstance(value, (int, datetime)):
            return value
        text = str(value).strip()
        if text.isdigit():
            return int(text)
        if _RELATIVE.fullmatch(text):
            number, unit = float(text[:-1]), text[-1].lower()
            seconds = number * {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit]
            return datetime.now(timezone.utc) - timedelta(seconds=seconds)
        try:
            moment = _parse_time(text)
        except ValueError:
            self.fail(
                f"{value!r} is neither an entry number, an age such as 10m, nor a time such as "
                "2025-03-01T14:00:00Z",
                param,
                ctx,
            )
        return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


SINCE = SinceType()


def since(
    entries: Sequence[Mapping[str, Any]], after: int | datetime | None
) -> tuple[int, list[Mapping[str, Any]]]:
    """(the number of the first entry kept, the entries after `after`)."""
    if after is None:
        return 1, list(entries)
    if isinstance(after, int):
        return after + 1, list(entries[after:])
    kept = [entry for entry in entries if _moment(entry) > after]
    return len(entries) - len(kept) + 1, kept


def _moment(entry: Mapping[str, Any]) -> datetime:
    try:
        moment = _parse_time(str(entry.get("at")))
    except ValueError:
        return datetime.min.replace(tzinfo=timezone.utc)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _parse_time(text: str) -> datetime:
    # Python 3.10's fromisoformat does not read the `Z` the server writes.
    return datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
