"""Markdown for the figures: tables, the machine they were measured on, small formatting helpers."""

from __future__ import annotations

import os
import platform
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def machine() -> str:
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = "unknown"
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kib = int(meminfo.read_text().split("MemTotal:", 1)[1].split()[0])
        ram = f"{kib / 1024 / 1024:.1f} GiB"
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"- CPU: {cpu}, nproc {os.cpu_count()}\n"
        f"- RAM: {ram}\n"
        f"- Python {sys.version.split()[0]} on {platform.platform()}\n"
        f"- load average at the start: {load} (other builds share this machine: compare "
        "figures within one run, not across runs)"
    )


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f}"


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"
