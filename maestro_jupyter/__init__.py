"""Maestro for Jupyter: a task board and session orchestrator for AI coding agents.

Kept light on purpose: the CLI imports `maestro_jupyter.client` and must not pay for
jupyter_server, tornado or ipywidgets, so everything heavy is imported on first use.
"""

from __future__ import annotations

from typing import Any

from ._version import __version__

__all__ = ["Maestro", "TaskBoard", "SessionMonitor", "__version__"]

_LAZY = {
    "Maestro": ("maestro_jupyter.notebook", "Maestro"),
    "TaskBoard": ("maestro_jupyter.widgets", "TaskBoard"),
    "SessionMonitor": ("maestro_jupyter.widgets", "SessionMonitor"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'maestro_jupyter' has no attribute {name!r}")


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from .app import Maestro

    return [{"module": "maestro_jupyter", "app": Maestro}]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "maestro-jupyter"}]
