"""The Jupyter server extension: traitlets configuration, and wiring of store, events, routes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jupyter_server.extension.application import ExtensionApp
from traitlets import Dict, Integer, List, Unicode, default

from . import paths
from ._version import __version__


class Maestro(ExtensionApp):
    """Maestro: tasks, subtasks and agent sessions for Jupyter.

    The class is named `Maestro` so that its config section is `c.Maestro` (DESIGN.md).
    """

    name = "maestro_jupyter"
    load_other_extensions = True
    version = __version__

    home = Unicode(
        help="Folder for the database and session folders (env MAESTRO_HOME, default ~/.maestro)."
    ).tag(config=True)

    db_url = Unicode(
        help="SQLAlchemy URL of the store, e.g. postgresql+psycopg://user@host/maestro. "
        "Default: SQLite file maestro.db in the Maestro home folder."
    ).tag(config=True)

    skills_dirs = List(
        Unicode(),
        help="Folders searched for skills, first match wins. The packaged skills always come last.",
    ).tag(config=True)

    agents = Dict(
        help='Agents a session can run: {"name": {"argv": [...], "env": {...}}}. argv items may be '
        "the placeholders {brief} (path of the brief), {brief_text}, {prompt}, {session_id}, "
        "{claude_session_id}, each replaced as a whole argv item. They add to (or replace, by "
        "name) the built-in claude and codex (when on PATH) and shell; None removes one.",
    ).tag(config=True)

    default_agent = Unicode(
        help="Agent used when a spawn request names none. Default: claude when on PATH, else shell."
    ).tag(config=True)

    event_retention = Integer(
        100_000,
        help="Events kept for clients to replay after a disconnection (0 keeps all). A client "
        "that missed more is told to resync and reloads its state.",
    ).tag(config=True)

    @default("home")
    def _default_home(self) -> str:
        return str(paths.maestro_home())

    @default("db_url")
    def _default_db_url(self) -> str:
        return f"sqlite:///{self.home}/maestro.db"

    @default("skills_dirs")
    def _default_skills_dirs(self) -> list[str]:
        return [str(paths.user_skills_dir())]

    @default("agents")
    def _default_agents(self) -> dict:
        from .spawner import default_agents

        return default_agents()

    @default("default_agent")
    def _default_default_agent(self) -> str:
        from .spawner import default_agent_name

        return default_agent_name()

    def initialize_settings(self) -> None:
        from .events import EventBus
        from .store import Store

        paths.ensure_private_dir(Path(self.home))
        bus = EventBus()
        store = Store(
            self.db_url,
            on_commit=bus.publish,
            root_dir=self.serverapp.root_dir,
            event_retention=self.event_retention,
        )
        self.settings.update({"maestro_store": store, "maestro_events": bus, "maestro_app": self})
        self._initialize_spawner(store)
        self.log.info("Maestro %s: store %s", __version__, store.describe())

    def _initialize_spawner(self, store: Any) -> None:
        from .spawner import Spawner

        spawner = Spawner(self, store)
        self.settings["maestro_spawner"] = spawner
        # Terminals do not outlive their server: settle the sessions the last one left running.
        spawner.reconcile()

    async def stop_extension(self) -> None:
        spawner = self.settings.get("maestro_spawner")
        if spawner is not None:
            spawner.shutdown()
        store = self.settings.get("maestro_store")
        if store is not None:
            store.close()

    def initialize_handlers(self) -> None:
        from .handlers import route_table

        self.handlers.extend(route_table())
