"""The spawn orchestration: a spawn request becomes a session running a briefed agent in a terminal.

A spawn validates the request, records the session (`spawning`, committed), then acts outside
any transaction: it writes the session folder, opens the terminal `maestro_<session id>`, and
records the outcome, `running` or `failed`. Stops end a session's processes; start-up
reconciles the sessions a previous server left active; shutdown stops the ones it runs.
"""

from __future__ import annotations

import asyncio
import signal
import uuid
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from traitlets import Float, Integer, observe
from traitlets.config import LoggingConfigurable

from .. import brief as briefing
from .. import skills as skill_registry
from ..errors import MaestroError, NotFound, SpawnFailed, TerminalsUnavailable, ValidationFailed
from ..models import SpawnRequest
from ..store import new_id
from ..vocabulary import ACTIVE_SESSION_STATUSES
from .agents import Agent, AgentCatalogue, substitute
from .status import end_session, move_session, now, outcome
from .terminals import (
    EXIT_CODE_FILE,
    end_terminal,
    ensure_name_free,
    open_terminal,
    path_env,
    read_exit_code,
    signal_terminal,
    terminal_name,
)
from .watcher import Watched, Watcher


def resolve_cwd(
    requested: str | Path | None, root_dir: str, fallback: str | None = None
) -> str:
    """The absolute, symlink-free working directory, which must be a folder inside root_dir."""
    root = Path(root_dir).expanduser().resolve()
    path = Path(requested or fallback or root).expanduser()
    if not path.is_absolute():
        path = root / path
    resolved = path.resolve()
    if not resolved.is_relative_to(root):
        raise ValidationFailed.field("cwd", "is outside the server root")
    if not resolved.exists():
        raise ValidationFailed.field("cwd", "does not exist")
    if not resolved.is_dir():
        raise ValidationFailed.field("cwd", "is not a directory")
    return str(resolved)


class Spawner(LoggingConfigurable):
    """Turns spawn requests into terminals and keeps the sessions' status true to their process.

    It is given what it needs: the store (an AsyncStore), and two functions for what the server
    only knows once it runs: jupyter_server_terminals' manager (None when terminals are off)
    and the environment that tells agents where the server is (its URL is final only once the
    port is bound).
    """

    poll_interval = Float(
        0.5, help="Seconds between checks of running agents (exit, terminal gone, activity)."
    ).tag(config=True)
    activity_interval = Float(
        10.0, help="At most one lastActivity write per session per this many seconds."
    ).tag(config=True)
    stop_timeout = Float(
        3.0, help="Seconds a stopped agent gets to exit after SIGTERM before SIGKILL."
    ).tag(config=True)
    default_rows = Integer(40, help="Terminal rows when a spawn request gives none.").tag(
        config=True
    )
    default_cols = Integer(120, help="Terminal columns when a spawn request gives none.").tag(
        config=True
    )

    def __init__(
        self,
        *,
        store: Any,
        terminal_manager: Callable[[], Any],
        root_dir: str | Path,
        server_env: Callable[[], Mapping[str, str]],
        home: str | Path,
        skills_dirs: Iterable[str | Path] = (),
        agents: Mapping[str, Any] | None = None,
        default_agent: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.store = store
        self.terminal_manager = terminal_manager
        self.root_dir = str(root_dir)
        self.server_env = server_env
        self.home = Path(home).expanduser()
        self.skills_dirs = list(skills_dirs)
        self.catalogue = AgentCatalogue(agents, default_agent, self.log)
        self._starting: set[str] = set()  # recorded, not yet watched: reconcile leaves them be
        self.watcher = Watcher(
            store, terminal_manager, self.log, self.poll_interval, self.activity_interval
        )

    @observe("poll_interval", "activity_interval")
    def _retune_watcher(self, change: Any) -> None:
        watcher = getattr(self, "watcher", None)  # config is applied before it exists
        if watcher is not None:
            setattr(watcher, change["name"], change["new"])

    @property
    def agent_names(self) -> list[str]:
        return self.catalogue.names

    @property
    def default_agent(self) -> str:
        return self.catalogue.default

    def _manager(self) -> Any:
        manager = self.terminal_manager()
        if manager is None:
            raise TerminalsUnavailable(
                "Terminals are not available on this server (enable jupyter_server_terminals)."
            )
        return manager

    # -- spawn ----------------------------------------------------------------------------------
    async def spawn(self, request: SpawnRequest, session_id: str | None = None) -> dict[str, Any]:
        """Validate, record the session, brief it and start its terminal; return it `running`.

        Nothing is recorded when validation fails. Once the session is recorded, a failure
        leaves it `failed` and raises SpawnFailed with `details.sessionId`.
        """
        manager = self._manager()
        try:
            tasks = await self.store.get_tasks(request.task_ids, include_subtasks=True)
        except NotFound as exc:
            raise ValidationFailed.field("taskIds", exc.message) from None
        project = await self._project(request.project_id or tasks[0]["projectId"])
        if request.parent_session_id:
            await self._parent(request.parent_session_id)
        cwd = resolve_cwd(request.cwd, self.root_dir, project.get("workingDir"))
        agent = self.catalogue.resolve(request.agent)
        skills = skill_registry.skills_for_role(
            request.role, request.skills or [], self.skills_dirs
        )
        session_id = session_id or new_id("sess")
        name = terminal_name(session_id)
        ensure_name_free(manager, name)

        session = await self.store.create_session(
            id=session_id,
            project_id=project["id"],
            name=request.name,
            task_ids=request.task_ids,
            role=request.role,
            skills=[skill.name for skill in skills],
            agent=agent.name,
            cwd=cwd,
            parent_session_id=request.parent_session_id,
            spawn_source=request.spawn_source,
            terminal_name=name,
            agent_session_id=str(uuid.uuid4()) if agent.uses("{claude_session_id}") else None,
        )
        # Committed: from here on, a failure leaves the session `failed`, never missing.
        started: Watched | None = None
        self._starting.add(session_id)
        try:
            started = await self._open(manager, session, tasks, skills, agent, request)
            running = await move_session(
                self.store, session_id, "running", when=("spawning",), started_at=now()
            )
            if running is None:
                raise NotFound(f"Session {session_id} was deleted while it started.")
            if running["status"] in ACTIVE_SESSION_STATUSES:  # not stopped meanwhile
                await self.store.emit(
                    "session:spawn_request", {"session": running, "terminalName": name}
                )
        except Exception as exc:
            await self._abandon(manager, session_id, started)
            raise _spawn_failure(session_id, exc, self.log) from exc
        finally:
            self._starting.discard(session_id)
        if running["status"] in ACTIVE_SESSION_STATUSES:
            # Watched once `running` is recorded, so a quick exit is never overwritten by it.
            self.watcher.watch(started)
        self.log.info("Maestro session %s: agent %s in terminal %s", session_id, agent.name, name)
        return running

    async def _open(
        self,
        manager: Any,
        session: dict[str, Any],
        tasks: list[dict[str, Any]],
        skills: list[skill_registry.Skill],
        agent: Agent,
        request: SpawnRequest,
    ) -> Watched:
        """Write the session folder and start the agent's terminal."""
        session_id = session["id"]
        folder = self.home / "sessions" / session_id
        timelines = await asyncio.gather(*(self.store.get_timeline(task["id"]) for task in tasks))
        by_task = {task["id"]: timeline for task, timeline in zip(tasks, timelines, strict=True)}
        brief_text = briefing.render_brief(session, tasks, by_task, skills, request.prompt)
        brief_path = folder / briefing.BRIEF_FILE
        argv = substitute(
            agent.argv,
            {
                "{brief}": str(brief_path),
                "{brief_text}": briefing.brief_argument(brief_text, brief_path),
                "{prompt}": briefing.first_prompt(session, brief_path),
                "{session_id}": session_id,
                "{claude_session_id}": session["agentSessionId"] or "",
            },
        )
        server_env = dict(self.server_env())
        manifest = {
            "session": session,
            "terminalName": session["terminalName"],
            "argv": list(agent.argv),
            "skills": [skill.name for skill in skills],
            "serverUrl": server_env.get("MAESTRO_URL"),
        }
        briefing.write_session_folder(folder, manifest, brief_text)
        exit_file = folder / EXIT_CODE_FILE
        exit_file.unlink(missing_ok=True)
        env = {
            **server_env,
            **path_env(),
            **agent.env,
            "MAESTRO_SESSION_ID": session_id,
            "MAESTRO_TASK_IDS": ",".join(session["taskIds"]),
            "MAESTRO_PROJECT_ID": session["projectId"],
            "MAESTRO_ROLE": session["role"],
            "MAESTRO_BRIEF": str(brief_path),
            # terminado exports its default size (80x24); let programs ask the pty instead.
            "COLUMNS": None,
            "LINES": None,
        }
        terminal = open_terminal(
            manager,
            session["terminalName"],
            argv,
            cwd=session["cwd"],
            env=env,
            rows=request.rows or self.default_rows,
            cols=request.cols or self.default_cols,
            exit_file=exit_file,
        )
        return Watched(session_id, session["terminalName"], terminal, exit_file)

    async def _abandon(self, manager: Any, session_id: str, started: Watched | None) -> None:
        """After a failed start: kill the terminal if it was made; record the session `failed`."""
        if started is not None and manager.terminals.get(started.terminal_name) is started.terminal:
            signal_terminal(started.terminal, signal.SIGKILL)
        try:
            await end_session(self.store, session_id, "failed")
        except MaestroError:
            self.log.exception("Maestro session %s: could not record it failed", session_id)

    async def _project(self, project_id: str) -> dict[str, Any]:
        try:
            return await self.store.get_project(project_id)
        except NotFound as exc:
            raise ValidationFailed.field("projectId", exc.message) from None

    async def _parent(self, session_id: str) -> None:
        try:
            await self.store.get_session(session_id)
        except NotFound as exc:
            raise ValidationFailed.field("parentSessionId", exc.message) from None

    # -- stop -----------------------------------------------------------------------------------
    async def stop(self, session_id: str) -> dict[str, Any]:
        """End the session's terminal (the agent, its children, the shell); mark it `stopped`.

        A session that already ended keeps its status (completed or failed); its terminal, by
        then a plain shell, is closed all the same.
        """
        session = await self.store.get_session(session_id)
        watched = self.watcher.get(session_id)
        if watched is not None:
            await self.watcher.check(watched)  # the agent may have exited just before the stop
        watched = self.watcher.get(session_id)
        if watched is not None:
            watched.stop_requested = True
        manager = self.terminal_manager()
        name = session["terminalName"]
        terminal = manager.terminals.get(name) if manager is not None and name else None
        if terminal is not None:
            await end_terminal(manager, name, terminal, self.stop_timeout)
        self.watcher.forget(session_id)
        return await end_session(self.store, session_id, "stopped") or await self.store.get_session(
            session_id
        )

    # -- start-up and shut-down -----------------------------------------------------------------
    async def reconcile(self) -> list[str]:
        """Settle sessions left active by a previous server: their terminal is gone.

        A session whose agent recorded its exit code ends as that code says; any other ends
        `failed`. A session whose terminal this server still has is watched again. Sessions
        without a terminal are not the spawner's and are left alone.
        Returns the ids of the sessions it changed.
        """
        manager = self.terminal_manager()
        changed = []
        for session in await self.store.list_sessions(status=list(ACTIVE_SESSION_STATUSES)):
            session_id, name = session["id"], session["terminalName"]
            if not name or session_id in self._starting or self.watcher.get(session_id):
                continue
            exit_file = self.home / "sessions" / session_id / EXIT_CODE_FILE
            terminal = manager.terminals.get(name) if manager is not None else None
            code = read_exit_code(exit_file)
            if terminal is not None and code is None:
                self.watcher.watch(Watched(session_id, name, terminal, exit_file))
                continue
            await end_session(self.store, session_id, "failed" if code is None else outcome(code),
                              code)
            changed.append(session_id)
        if changed:
            self.log.info("Maestro: reconciled %d session(s) left without a terminal", len(changed))
        return changed

    async def shutdown(self) -> None:
        """The server is stopping and takes the terminals with it: those sessions are `stopped`,
        unless their agent had already exited."""
        for watched in await self.watcher.close():
            code = read_exit_code(watched.exit_file)
            status = "stopped" if code is None else outcome(code)
            try:
                await end_session(self.store, watched.session_id, status, code)
            except MaestroError:
                self.log.exception("Maestro session %s: could not record it %s",
                                   watched.session_id, status)


def _spawn_failure(session_id: str, exc: Exception, log: Any) -> SpawnFailed:
    """The error of a start that failed once its session was recorded (now `failed`)."""
    if isinstance(exc, OSError):
        message = f"Could not start the terminal: {exc}"
    elif isinstance(exc, MaestroError):
        message = f"The session could not be started: {exc.message}"
    else:
        log.error("Maestro session %s: start failed", session_id, exc_info=exc)
        message = "The session could not be started."
    return SpawnFailed(f"{message} It is recorded failed.", {"sessionId": session_id})
