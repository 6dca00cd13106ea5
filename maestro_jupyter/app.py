"""The Jupyter server extension: traitlets configuration, and wiring of store, events, routes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_server.extension.application import ExtensionApp
from traitlets import Dict, Float, Integer, List, Type, Unicode, default

from . import paths
from ._version import __version__

if TYPE_CHECKING:
    from .store.feed import EventFeed


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
        "Servers sharing one PostgreSQL database share one board, and each one's events socket "
        "carries every server's writes. Default: SQLite file maestro.db in the Maestro home folder."
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

    store_class = Type(
        default_value="maestro_jupyter.store.Store",
        klass="maestro_jupyter.store.Store",
        help="The store: persistence of projects, tasks, subtasks, sessions and events.",
    ).tag(config=True)

    spawner_class = Type(
        default_value="maestro_jupyter.spawner.Spawner",
        klass="maestro_jupyter.spawner.Spawner",
        help="The spawner: turns spawn requests into terminals running agents.",
    ).tag(config=True)

    store_queue_timeout = Float(
        5.0,
        help="Seconds a write may wait for the store's writer before it is refused with 503 "
        "store_busy (the database is locked by another program). A write that started waits "
        "for the database's own lock timeout instead.",
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
        from .events import EventBus, LabWindows
        from .store.runner import AsyncStore, loop_publisher

        bus = EventBus()
        windows = LabWindows()
        loop = self.serverapp.io_loop.asyncio_loop
        self.settings.update(
            {
                "maestro_store": None,
                "maestro_events": bus,
                "maestro_lab_windows": windows,
                "maestro_app": self,
            }
        )
        try:
            paths.ensure_private_dir(Path(self.home))
            feed = _feed_for(self.db_url, loop, bus.publish)
            store = self.store_class(
                self.db_url,
                on_commit=feed.on_commit if feed else loop_publisher(loop, bus.publish),
                root_dir=self.serverapp.root_dir,
                event_retention=self.event_retention,
            )
            if feed is not None:
                # Other servers on the same database: their events reach this server's bus too.
                feed.start(store)
                self.settings["maestro_feed"] = feed
        except Exception as exc:  # noqa: BLE001 - any failure: the routes say why, Jupyter runs
            reason = _store_failure(exc, self.db_url)
            self.settings["maestro_store_error"] = reason
            self.log.error("Maestro: the store is unavailable: %s", reason)
            return
        async_store = AsyncStore(store, queue_timeout=self.store_queue_timeout)
        self.settings["maestro_store"] = async_store
        self._initialize_spawner(async_store)
        self.log.info("Maestro %s: store %s", __version__, store.describe())

    def _initialize_spawner(self, store: Any) -> None:
        serverapp = self.serverapp
        spawner = self.spawner_class(
            parent=self,
            store=store,
            # Read when needed: jupyter_server_terminals may load after Maestro, and the URL is
            # final only once the port is bound.
            terminal_manager=lambda: serverapp.web_app.settings.get("terminal_manager"),
            root_dir=serverapp.root_dir,
            server_env=lambda: {
                "MAESTRO_URL": serverapp.connection_url,
                "MAESTRO_TOKEN": serverapp.identity_provider.token or "",
            },
            home=Path(self.home).expanduser(),
            skills_dirs=list(self.skills_dirs),
            agents=dict(self.agents),
            default_agent=self.default_agent,
            # A spawn that names no size starts at the size a connected Lab window reported.
            terminal_size=self.settings["maestro_lab_windows"].latest,
        )
        self.settings["maestro_spawner"] = spawner
        # Terminals do not outlive their server: settle the sessions the last one left running,
        # once the loop runs (every extension is loaded by then).
        serverapp.io_loop.add_callback(spawner.reconcile)

    async def stop_extension(self) -> None:
        spawner = self.settings.get("maestro_spawner")
        if spawner is not None:
            await spawner.shutdown()
        feed = self.settings.get("maestro_feed")
        if feed is not None:
            await asyncio.to_thread(feed.stop)
        store = self.settings.get("maestro_store")
        if store is not None:
            store.close()

    def initialize_handlers(self) -> None:
        from .handlers import route_table

        self.handlers.extend(route_table())


def _feed_for(
    db_url: str, loop: asyncio.AbstractEventLoop, publish: Callable[[dict[str, Any]], None]
) -> EventFeed | None:
    """The cross-server event feed for a PostgreSQL store; None for SQLite, where this server's
    own commits are all there is to publish."""
    from sqlalchemy.engine import make_url

    if make_url(db_url).get_backend_name() != "postgresql":
        return None
    from .store.feed import EventFeed

    return EventFeed(loop, publish)


def _store_failure(exc: Exception, db_url: str) -> str:
    """One line on why the store could not be opened, without secrets from the URL."""
    from sqlalchemy.engine import make_url

    from .errors import MaestroError

    try:
        where = make_url(db_url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparsable URL is itself the reason
        where = "the configured c.Maestro.db_url"
    if isinstance(exc, MaestroError):
        message = exc.message
    else:  # a driver's error: its own words, without SQLAlchemy's wrapping
        message = f"The Maestro store could not be opened: {getattr(exc, 'orig', None) or exc}"
    return f"{message.splitlines()[0][:500]} (store: {where})"
