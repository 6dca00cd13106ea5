"""Real servers for the tests and the benchmarks: an isolated `jupyter server` process with
Maestro, and a proxy that fails on purpose. Not shipped in the wheel."""

from .proxy import FailingProxy, Seen, maestro_error_proxy
from .server import JUPYTER, REPO, ServerProcess, free_port, isolated_env

__all__ = [
    "FailingProxy",
    "JUPYTER",
    "REPO",
    "Seen",
    "ServerProcess",
    "free_port",
    "isolated_env",
    "maestro_error_proxy",
]
