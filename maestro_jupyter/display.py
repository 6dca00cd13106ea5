"""How Maestro looks in a notebook: the colours of statuses and priorities and small HTML pieces
(badges, progress bars, status dots), shared by the notebook objects and the widgets.

Every helper escapes the text it is given.
"""

from __future__ import annotations

import html

GREY = "#6b7280"
GREEN = "#16a34a"
ORANGE = "#ea580c"
RED = "#dc2626"
BLUE = "#2563eb"

STATUS_COLORS = {
    "todo": GREY,
    "in_progress": BLUE,
    "blocked": RED,
    "completed": GREEN,
    "cancelled": "#9ca3af",
    "spawning": "#a16207",
    "running": BLUE,
    "needs_input": ORANGE,
    "failed": RED,
    "stopped": GREY,
}
PRIORITY_COLORS = {"low": "#9ca3af", "medium": BLUE, "high": ORANGE, "urgent": RED}


def badge(text: str, color: str) -> str:
    """A small coloured label (status, priority)."""
    return (
        f'<span style="background:{color};color:white;border-radius:3px;padding:0 5px;'
        f'font-size:0.85em">{html.escape(text)}</span>'
    )


def status_badge(status: str) -> str:
    return badge(status, STATUS_COLORS.get(status, GREY))


def priority_badge(priority: str) -> str:
    return badge(priority, PRIORITY_COLORS.get(priority, GREY))


def code(text: str, size: str | None = None) -> str:
    """An id or a name in monospace."""
    style = f" style='font-size:{size}'" if size else ""
    return f"<code{style}>{html.escape(text)}</code>"


def made_by(created_by: str | None, updated_by: str | None) -> str:
    """Who made a row and who changed it last (user names or session ids): `by ada`,
    `by ada, last changed by bob`; "" when neither is known (rows older than actors)."""
    parts = []
    if created_by:
        parts.append(f"by {html.escape(created_by)}")
    if updated_by and updated_by != created_by:
        parts.append(f"last changed by {html.escape(updated_by)}")
    return ", ".join(parts)


def dot(color: str) -> str:
    """A coloured dot, e.g. for a connection's state."""
    return f"<span style='color:{color}'>&#9679;</span>"


def progress_bar(done: int, total: int) -> str:
    """A thin bar and `done/total` under it (subtasks of a task)."""
    percent = round(100 * done / total) if total else 0
    return (
        f"<div title='{done} of {total} subtasks done' style='background:#e5e7eb;"
        f"height:6px;border-radius:3px'><div style='background:{GREEN};height:6px;"
        f"width:{percent}%;border-radius:3px'></div></div>"
        f"<small>{done}/{total} subtasks</small>"
    )
