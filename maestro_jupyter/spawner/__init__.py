"""Sessions as terminals: a spawn request becomes a terminado terminal running a briefed agent.

- `agents`: the agent catalogue (built-ins, configured agents, argv placeholders);
- `terminals`: the wrapper script, the terminal's processes and its exit-code file;
- `watcher`: the periodic check of running agents (exit, terminal gone, activity);
- `orchestration`: the `Spawner` (spawn, stop, reconcile, shutdown).
"""

from __future__ import annotations

from .agents import default_agent_name, default_agents
from .orchestration import Spawner

__all__ = ["Spawner", "default_agent_name", "default_agents"]
