"""The spawn orchestration: a spawn request becomes a session running a briefed agent in a terminal.

A spawn validates the request (tasks whose dependencies are unmet, or that a live session holds,
are refused unless forced), records the session (`spawning`, committed), claims its tasks for it,
then acts outside any transaction: it writes the session folder, opens the terminal
`maestro_<session id>`, and records the outcome, `running` or `failed`. A project with a git
repository gives each session its own worktree and branch (`isolation`). An ended session is
resumed as a new one continuing the agent's conversation (`resume`). Messages are typed into
the terminal; stops end a session's processes; start-up settles the sessions a previous run of
this server left active (see `reconcile`); shutdown stops the ones it runs.
"""

from __future__ import annotations

import asyncio
import os
import signal
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from traitlets import Enum, Float, Integer, observe
from traitlets.config import LoggingConfigurable

from maestro_cli.mcp.config import claude_mcp_arguments, codex_mcp_arguments

from .. import brief as briefing
from .. import git
from .. import skills as skill_registry
from ..errors import (
    Claimed,
    Conflict,
    MaestroError,
    NotFound,
    SessionEnded,
    SpawnFailed,
    TerminalsUnavailable,
    ValidationFailed,
)
from ..lifecycle import is_ended
from ..models import SpawnRequest
from ..store import new_id
from ..vocabulary import ACTIVE_SESSION_STATUSES, RESOLVED_TASK_STATUSES
from .activity import output_clock
from .agents import Agent, AgentCatalogue, substitute
from .claims import check_claimable, claim
from .hooks import claude_settings_arguments, codex_notify_arguments
from .keyboard import check_text, keyboard
from .owner import ensure_here, owner_user, server_id
from .processes import ProcessRecord, signal_processes
from .recovery import settle
from .status import Ending, end_session, exited, move_session, now
from .terminals import (
    EXIT_CODE_FILE,
    end_terminal,
    ensure_name_free,
    open_terminal,
    path_env,
    read_exit_code,
    session_processes,
    terminal_name,
)
from .watcher import Watched, Watcher


def resolve_cwd(requested: str | Path | None, root_dir: str, fallback: str | None = None) -> str:
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


@dataclass(frozen=True)
class Isolation:
    """Where a worktree session's worktree comes from: the repository, the branch it starts
    from, and the session's folder inside the work tree (relative; "." at its top)."""

    root: str
    base_branch: str
    folder: str


@dataclass(frozen=True)
class Launch:
    """What a session is started with, beside what its record says."""

    argv: tuple[str, ...]  # the agent's argv (or resume argv) with placeholders
    to_claim: list[dict[str, Any]]
    force: bool
    instructions: str | None
    rows: int
    cols: int
    isolation: Isolation | None = None


class Spawner(LoggingConfigurable):
    """Turns spawn requests into terminals and keeps the sessions' status true to their process.

    It is given what it needs: the store (an AsyncStore), and functions for what the server
    only knows once it runs: jupyter_server_terminals' manager (None when terminals are off),
    the environment that tells agents where the server is (its URL is final only once the
    port is bound; it also names this server as the owner of its sessions), and the terminal
    size of the Lab main area last reported by a connected Lab window (None: none is).
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
    submit_delay = Float(
        0.15,
        help="Seconds between a message's text and its Enter, so that a TUI agent takes "
        "Enter as a key press of its own rather than part of a paste.",
    ).tag(config=True)
    default_rows = Integer(40, help="Terminal rows when a spawn request gives none.").tag(
        config=True
    )
    default_cols = Integer(120, help="Terminal columns when a spawn request gives none.").tag(
        config=True
    )
    idle_after = Float(
        3.0,
        help="Seconds of silence on its terminal after which a session is `idle` (when its "
        "agent's hooks do not say). Claude Code and Codex redraw a spinner or timer at least "
        "every second while they work, so 3 s is well past their quietest working moment and "
        "still shows a waiting agent within a few seconds.",
    ).tag(config=True)
    default_isolation = Enum(
        ["worktree", "none"],
        "worktree",
        help="Isolation of a spawn that names none, in a project with a git repository: "
        "`worktree` (a worktree and branch per session) or `none` (its folder, shared).",
    ).tag(config=True)

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
        terminal_size: Callable[[], tuple[int, int] | None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.store = store
        self.terminal_size = terminal_size or (lambda: None)
        self.terminal_manager = terminal_manager
        self.root_dir = str(root_dir)
        self.server_env = server_env
        self.home = Path(home).expanduser()
        self.skills_dirs = list(skills_dirs)
        self.catalogue = AgentCatalogue(agents, default_agent, self.log)
        self._starting: set[str] = set()  # recorded, not yet watched: reconcile leaves them be
        self.watcher = Watcher(
            store,
            terminal_manager,
            self.log,
            self.poll_interval,
            self.activity_interval,
            self.stop_timeout,
            self.idle_after,
        )

    @observe("poll_interval", "activity_interval", "stop_timeout", "idle_after")
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

    @property
    def server_id(self) -> str:
        """This server, as the owner of the sessions it spawns (see `owner`)."""
        return server_id(self.server_env().get("MAESTRO_URL"))

    def _manager(self) -> Any:
        manager = self.terminal_manager()
        if manager is None:
            raise TerminalsUnavailable(
                "Terminals are not available on this server (enable jupyter_server_terminals)."
            )
        return manager

    def _folder(self, session_id: str) -> Path:
        return self.home / "sessions" / session_id

    # -- spawn ----------------------------------------------------------------------------------
    async def spawn(
        self, request: SpawnRequest, session_id: str | None = None, *, actor: str | None = None
    ) -> dict[str, Any]:
        """Validate, record the session, claim its tasks, brief it and start its terminal;
        return it `running`. `actor` is who asked (a user name, or a session id).

        Nothing is recorded when validation fails. Once the session is recorded, a failure
        leaves it `failed` and raises SpawnFailed with `details.sessionId` (a claim lost to a
        quicker session raises that Claimed, with the same detail).
        """
        manager = self._manager()
        task_ids = list(dict.fromkeys(request.task_ids))
        try:
            tasks = await self.store.get_tasks(task_ids, include_subtasks=True) if task_ids else []
        except NotFound as exc:
            raise ValidationFailed.field("taskIds", exc.message) from None
        default_project = tasks[0]["projectId"] if tasks else self.store.default_project_id
        project = await self._project(request.project_id or default_project)
        if request.parent_session_id:
            await self._parent(request.parent_session_id)
        cwd = resolve_cwd(request.cwd, self.root_dir, self._project_folder(project))
        agent = self.catalogue.resolve(request.agent)
        skills = skill_registry.skills_for_role(
            request.role, request.skills or [], self.skills_dirs
        )
        isolation = await self._isolation(request.isolation, project, cwd)
        # Resolved tasks are linked for the agent to read, never claimed.
        to_claim = [task for task in tasks if task["status"] not in RESOLVED_TASK_STATUSES]
        await check_claimable(self.store, to_claim, request.force)
        session_id = session_id or new_id("sess")
        name = terminal_name(session_id)
        ensure_name_free(manager, name)
        rows, cols = self._size(request.rows, request.cols)

        session = await self.store.create_session(
            id=session_id,
            project_id=project["id"],
            name=request.name,
            task_ids=task_ids,
            role=request.role,
            skills=[skill.name for skill in skills],
            agent=agent.name,
            cwd=cwd,
            parent_session_id=request.parent_session_id,
            spawn_source=request.spawn_source,
            terminal_name=name,
            agent_session_id=str(uuid.uuid4()) if agent.uses("{claude_session_id}") else None,
            isolation="worktree" if isolation else "none",
            owner_user=owner_user(),
            owner_server=self.server_id,
        )
        launch = Launch(agent.argv, to_claim, request.force, request.prompt, rows, cols, isolation)
        return await self._start(manager, session, skills, agent, launch, actor)

    async def resume(self, session_id: str, actor: str | None = None) -> dict[str, Any]:
        """A new session (`resumedFrom` the ended one) continuing its agent's conversation:
        the same tasks (claimed again for it), role, skills, agent, folder and worktree; for
        Claude Code `claude --resume <agentSessionId>`, for Codex `codex resume <id>` (the
        agent's `resume` argv). Returns it `running`.

        409 when the session still runs, its agent cannot resume, it has no agent session id,
        or its folder is gone; `session_elsewhere` when another server ran it; 404 unknown
        session.
        """
        manager = self._manager()
        old = await self.store.get_session(session_id)
        ensure_here(old, self.server_id, "resume")
        if not is_ended(old["status"]):
            raise Conflict(
                f"Session {session_id} is still {old['status']}: stop it before resuming it.",
                {"id": session_id, "status": old["status"]},
            )
        agent = self.catalogue.resolve(old["agent"])
        if agent.resume is None:
            raise Conflict(
                f"Session {session_id} cannot be resumed: its agent {agent.name!r} has no "
                "resume command.",
                {"id": session_id, "agent": agent.name},
            )
        if not old["agentSessionId"]:
            raise Conflict(
                f"Session {session_id} has no agent session id to resume.", {"id": session_id}
            )
        try:
            cwd = resolve_cwd(old["cwd"], self.root_dir)
        except ValidationFailed:
            raise Conflict(
                f"Session {session_id} cannot be resumed: its folder {old['cwd']} is gone "
                "(merged or discarded?).",
                {"id": session_id, "cwd": old["cwd"]},
            ) from None
        try:
            tasks = await self.store.get_tasks(old["taskIds"], include_subtasks=True)
        except NotFound as exc:
            raise Conflict(
                f"Session {session_id} cannot be resumed: {exc.message}", {"id": session_id}
            ) from None
        skills = skill_registry.skills_for_role(old["role"], old["skills"], self.skills_dirs)
        to_claim = [task for task in tasks if task["status"] not in RESOLVED_TASK_STATUSES]
        await check_claimable(self.store, to_claim, False)
        new = new_id("sess")
        name = terminal_name(new)
        ensure_name_free(manager, name)
        rows, cols = self._size(None, None)
        session = await self.store.create_session(
            id=new,
            project_id=old["projectId"],
            name=old["name"],
            task_ids=old["taskIds"],
            role=old["role"],
            skills=[skill.name for skill in skills],
            agent=agent.name,
            cwd=cwd,
            parent_session_id=old["parentSessionId"],
            spawn_source=old["spawnSource"],
            terminal_name=name,
            agent_session_id=old["agentSessionId"],
            isolation=old["isolation"],
            worktree=old["worktree"],
            branch=old["branch"],
            base_commit=old["baseCommit"],
            resumed_from=session_id,
            owner_user=owner_user(),
            owner_server=self.server_id,
        )
        launch = Launch(agent.resume, to_claim, False, None, rows, cols)
        return await self._start(manager, session, skills, agent, launch, actor)

    def _project_folder(self, project: dict[str, Any]) -> str | None:
        """Where a spawn for `project` starts when it names no folder. The default project's
        folder is "the server's root": whichever server made it (several share a database on
        JupyterHub), a spawn starts at the root of the server that runs it."""
        folder = project.get("workingDir")
        if project["id"] == self.store.default_project_id and folder is not None:
            root = Path(self.root_dir).expanduser().resolve()
            if not Path(folder).resolve().is_relative_to(root):
                return None
        return folder

    def _size(self, rows: int | None, cols: int | None) -> tuple[int, int]:
        """The request's size, else the Lab main area's (a connected window reported it), else
        the defaults: a spawn from the CLI draws at the size its tab will have."""
        if rows and cols:
            return rows, cols
        lab = self.terminal_size()
        return rows or (lab[0] if lab else self.default_rows), cols or (
            lab[1] if lab else self.default_cols
        )

    async def _isolation(
        self, wanted: str | None, project: dict[str, Any], cwd: str
    ) -> Isolation | None:
        """Whether the session gets a worktree, and of what. By default, a project that records
        a base branch (its folder is a git repository) does; `none` never does; `worktree` in a
        project without a repository, or for a folder outside it, is a 422 naming `isolation`."""
        base_branch = project.get("baseBranch")
        if wanted == "none" or (
            wanted is None and (self.default_isolation != "worktree" or not base_branch)
        ):
            return None
        explicit = wanted == "worktree"
        working = project.get("workingDir")
        try:
            folder = resolve_cwd(working, self.root_dir) if working else cwd
            info = await git.repository_info(folder)
        except ValidationFailed:
            if not explicit:
                return None
            raise ValidationFailed.field(
                "isolation", f"project {project['id']}'s folder is not a git repository"
            ) from None
        base_branch = base_branch or info["baseBranch"]
        root = info["root"]
        if not base_branch or not info["head"] or not Path(cwd).is_relative_to(root):
            if not explicit:
                return None
            why = (
                "the session's folder is outside the project's repository"
                if base_branch and info["head"]
                else "the repository has no branch to start from"
            )
            raise ValidationFailed.field("isolation", why)
        return Isolation(root, base_branch, os.path.relpath(cwd, root))

    async def _start(
        self,
        manager: Any,
        session: dict[str, Any],
        skills: list[skill_registry.Skill],
        agent: Agent,
        launch: Launch,
        actor: str | None,
    ) -> dict[str, Any]:
        """From a recorded `spawning` session to a `running` one: claims, worktree, folder,
        terminal. A failure leaves it `failed` (see `spawn`)."""
        session_id = session["id"]
        name = session["terminalName"]
        started: Watched | None = None
        made: dict[str, str] | None = None
        self._starting.add(session_id)
        try:
            if launch.to_claim:
                await claim(self.store, session_id, launch.to_claim, launch.force, actor)
            tasks = await self.store.get_tasks(session["taskIds"], include_subtasks=True)
            if launch.isolation is not None:
                made, session = await self._worktree(session, tasks, launch.isolation)
            token = await self.store.issue_session_token(
                session_id, session["role"], self.server_id
            )
            started = await self._open(manager, session, tasks, skills, agent, launch, token)
            running = await move_session(
                self.store,
                session_id,
                "running",
                when=("spawning",),
                started_at=now(),
                process_group=started.terminal.ptyproc.pid,
            )
            if running is None:
                raise NotFound(f"Session {session_id} was deleted while it started.")
            if running["status"] in ACTIVE_SESSION_STATUSES:  # not stopped meanwhile
                await self.store.emit(
                    "session:spawn_request", {"session": running, "terminalName": name}
                )
        except Exception as exc:
            reason = _failure_reason(session_id, exc, self.log)
            await self._abandon(manager, session_id, started, reason, launch.isolation, made)
            if isinstance(exc, Claimed):
                exc.details["sessionId"] = session_id
                raise
            raise SpawnFailed(
                f"{reason[0].upper()}{reason[1:]}. The session is recorded failed.",
                {"sessionId": session_id},
            ) from exc
        finally:
            self._starting.discard(session_id)
        if running["status"] in ACTIVE_SESSION_STATUSES:
            # Watched once `running` is recorded, so a quick exit is never overwritten by it.
            self.watcher.watch(started)
        self.log.info("Maestro session %s: agent %s in terminal %s", session_id, agent.name, name)
        return running

    async def _worktree(
        self, session: dict[str, Any], tasks: list[dict[str, Any]], isolation: Isolation
    ) -> tuple[dict[str, str], dict[str, Any]]:
        """The session's worktree and branch (`maestro/<slug>-<session id>`, the slug from its
        first task's title, sanitised), recorded with the commit it starts from; the session's
        folder is the same folder inside the worktree."""
        made = await git.create_worktree(
            isolation.root,
            session_id=session["id"],
            slug=tasks[0]["title"] if tasks else session["role"],
            base_branch=isolation.base_branch,
            root_dir=self.root_dir,
        )
        cwd = os.path.normpath(os.path.join(made["worktree"], isolation.folder))
        session = await self.store.update_session(
            session["id"],
            worktree=made["worktree"],
            branch=made["branch"],
            base_commit=made["baseCommit"],
            cwd=cwd,
        )
        return made, session

    async def _open(
        self,
        manager: Any,
        session: dict[str, Any],
        tasks: list[dict[str, Any]],
        skills: list[skill_registry.Skill],
        agent: Agent,
        launch: Launch,
        token: str,
    ) -> Watched:
        """Write the session folder and start the agent's terminal, whose MAESTRO_TOKEN is the
        session's own token (not the server's): its CLI, MCP server and hooks all read it."""
        session_id = session["id"]
        folder = self._folder(session_id)
        timelines = await asyncio.gather(*(self.store.get_timeline(task["id"]) for task in tasks))
        by_task = {task["id"]: timeline for task, timeline in zip(tasks, timelines, strict=True)}
        brief_text = briefing.render_brief(session, tasks, by_task, skills, launch.instructions)
        brief_path = folder / briefing.BRIEF_FILE
        server_env = dict(self.server_env())
        env: dict[str, str | None] = {
            **server_env,
            **path_env(),
            **agent.env,
            "MAESTRO_TOKEN": token,
            "MAESTRO_SESSION_ID": session_id,
            "MAESTRO_TASK_IDS": ",".join(session["taskIds"]),
            "MAESTRO_PROJECT_ID": session["projectId"],
            "MAESTRO_ROLE": session["role"],
            "MAESTRO_BRIEF": str(brief_path),
            # terminado exports its default size (80x24); let programs ask the pty instead.
            "COLUMNS": None,
            "LINES": None,
            # Under JupyterHub the server's own Hub token is in its environment and would open
            # all of Jupyter to the agent: it holds its session token only.
            "JUPYTERHUB_API_TOKEN": None,
            "JPY_API_TOKEN": None,
        }
        if session["worktree"]:
            env["MAESTRO_WORKTREE"] = session["worktree"]
            env["MAESTRO_BRANCH"] = session["branch"]
        manifest = {
            "session": session,
            "terminalName": session["terminalName"],
            "argv": list(launch.argv),
            "skills": [skill.name for skill in skills],
            "serverUrl": server_env.get("MAESTRO_URL"),
        }
        briefing.write_session_folder(folder, manifest, brief_text)
        template = launch.argv
        argv = substitute(
            template,
            {
                "{brief}": str(brief_path),
                "{brief_text}": briefing.brief_argument(brief_text, brief_path),
                "{prompt}": briefing.first_prompt(session, brief_path),
                "{session_id}": session_id,
                "{claude_session_id}": session["agentSessionId"] or "",
                "{agent_session_id}": session["agentSessionId"] or "",
                # Files in the session folder, written only for agents that use them.
                "{claude_settings}": (
                    claude_settings_arguments(folder) if "{claude_settings}" in template else []
                ),
                "{claude_mcp}": (
                    claude_mcp_arguments(folder, env) if "{claude_mcp}" in template else []
                ),
                "{codex_notify}": codex_notify_arguments(),
                "{codex_mcp}": codex_mcp_arguments(env),
            },
        )
        exit_file = folder / EXIT_CODE_FILE
        exit_file.unlink(missing_ok=True)
        terminal = open_terminal(
            manager,
            session["terminalName"],
            argv,
            cwd=session["cwd"],
            env=env,
            rows=launch.rows,
            cols=launch.cols,
            exit_file=exit_file,
        )
        keyboard(terminal)  # from now on, a person's typing is noticed
        output_clock(terminal)  # and the agent's output (activity)
        watched = Watched(session_id, session["terminalName"], terminal, exit_file)
        ProcessRecord.of_leader(session_id, terminal.ptyproc.pid, self.server_id).write(folder)
        return watched

    async def _abandon(
        self,
        manager: Any,
        session_id: str,
        started: Watched | None,
        reason: str,
        isolation: Isolation | None = None,
        made: dict[str, str] | None = None,
    ) -> None:
        """After a failed start: kill the terminal if it was made; remove the worktree made for
        it (nothing was done in it); record the session `failed`."""
        if started is not None and manager.terminals.get(started.terminal_name) is started.terminal:
            leader = started.terminal.ptyproc.pid
            signal_processes(leader, session_processes(started.terminal), signal.SIGKILL)
        if isolation is not None and made is not None:
            try:
                await git.discard(isolation.root, made["worktree"], made["branch"])
            except MaestroError:
                self.log.exception("Maestro session %s: could not remove its worktree", session_id)
        try:
            await end_session(self.store, session_id, Ending("failed", reason=reason))
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

    def _terminal(self, session: dict[str, Any]) -> Any:
        """The session's terminal on this server, or None."""
        manager = self.terminal_manager()
        name = session["terminalName"]
        return manager.terminals.get(name) if manager is not None and name else None

    # -- messages -------------------------------------------------------------------------------
    async def send_input(
        self, session_id: str, text: str, submit: bool = True, actor: str | None = None
    ) -> dict[str, Any]:
        """Type `text` into the session's terminal (then Enter when `submit`), as a person would;
        record it as a `message` entry on the session's tasks, from `actor`; a session waiting
        for input (`needs_input`) is `running` again. Returns the session.

        422 for control characters other than newline and tab; 404 unknown session; 409
        `session_ended` for an ended one, `session_elsewhere` for one another server runs,
        `conflict` when it has no terminal on this server.
        """
        check_text(text)
        session = await self.store.get_session(session_id)
        ensure_here(session, self.server_id, "type into")
        if is_ended(session["status"]):
            raise SessionEnded(
                f"Session {session_id} has ended ({session['status']}); it takes no input.",
                {"id": session_id, "status": session["status"]},
            )
        terminal = self._terminal(session)
        if terminal is None:
            raise Conflict(
                f"Session {session_id} has no terminal on this server to type into.",
                {"id": session_id, "terminalName": session["terminalName"]},
            )
        await keyboard(terminal).type(text, submit, self.submit_delay)
        for task_id in session["taskIds"]:
            await self.store.add_timeline(
                task_id, "message", text, session_id=session_id, actor=actor
            )
        moved = await move_session(self.store, session_id, "running", when=("needs_input",))
        return moved or session

    # -- stop -----------------------------------------------------------------------------------
    async def stop(self, session_id: str, *, actor: str | None = None) -> dict[str, Any]:
        """End the session's terminal (the agent, its children, the shell); mark it `stopped`.

        A session that already ended keeps its status (completed or failed); its terminal, by
        then a plain shell, is closed all the same. A live session of another server: 409
        `session_elsewhere` (that server has its terminal).
        """
        session = await self.store.get_session(session_id)
        if not is_ended(session["status"]):
            ensure_here(session, self.server_id, "stop")
        watched = self.watcher.get(session_id)
        if watched is not None:
            await self.watcher.check(watched)  # the agent may have exited just before the stop
        watched = self.watcher.get(session_id)
        if watched is not None:
            watched.stop_requested = True
        terminal = self._terminal(session)
        if terminal is not None:
            await end_terminal(
                self.terminal_manager(), session["terminalName"], terminal, self.stop_timeout
            )
        self.watcher.forget(session_id)
        stopped = await end_session(self.store, session_id, Ending("stopped"), actor)
        return stopped or await self.store.get_session(session_id)

    # -- start-up and shut-down -----------------------------------------------------------------
    async def reconcile(self) -> list[str]:
        """Settle the sessions a previous run of this server left active: their terminal died
        with it. Returns the ids of the sessions it ended.

        Each active session with a terminal name is looked at, unless it is being started or
        already watched. If this server has its terminal, it is watched again. Otherwise, if
        this server owns it, what is left of its processes is killed by process group and it
        ends as its agent's recorded exit code says, else `failed`, "lost when the server
        stopped" (see `recovery`). Sessions of other servers, and those without a terminal,
        are left alone.
        """
        manager = self.terminal_manager()
        here = self.server_id
        sessions = [
            session
            for session in await self.store.list_sessions(status=list(ACTIVE_SESSION_STATUSES))
            if session["terminalName"]
            and session["id"] not in self._starting
            and self.watcher.get(session["id"]) is None
        ]
        lost = []
        for session in sessions:
            folder = self._folder(session["id"])
            terminal = manager.terminals.get(session["terminalName"]) if manager else None
            if terminal is not None and read_exit_code(folder / EXIT_CODE_FILE) is None:
                self.watcher.watch(
                    Watched(
                        session["id"], session["terminalName"], terminal, folder / EXIT_CODE_FILE
                    )
                )
            else:
                lost.append(
                    settle(
                        self.store,
                        session,
                        folder,
                        here,
                        terminal is None,
                        self.stop_timeout,
                        self.log,
                    )
                )
        ended = [session_id for session_id in await asyncio.gather(*lost) if session_id]
        if ended:
            self.log.info("Maestro: settled %d session(s) left by a previous run", len(ended))
        return ended

    async def shutdown(self) -> None:
        """The server is stopping and takes the terminals with it: their agents are ended (one
        that ignores the hangup would outlive them) and those sessions are `stopped`, unless the
        agent had exited before."""
        manager = self.terminal_manager()

        async def stop(watched: Watched) -> None:
            record = read_exit_code(watched.exit_file)
            if record is None:
                await end_terminal(
                    manager, watched.terminal_name, watched.terminal, self.stop_timeout
                )
            ending = exited(record.code) if record and not record.hangup else Ending("stopped")
            try:
                await end_session(self.store, watched.session_id, ending, watched.session_id)
            except MaestroError:
                self.log.exception(
                    "Maestro session %s: could not record it %s", watched.session_id, ending.status
                )

        await asyncio.gather(*(stop(watched) for watched in await self.watcher.close()))


def _failure_reason(session_id: str, exc: Exception, log: Any) -> str:
    """Why a start failed once its session was recorded, in words for the session's tasks."""
    if isinstance(exc, OSError):
        return f"its terminal could not start: {exc}"
    if isinstance(exc, MaestroError):
        return f"it could not be started: {exc.message}"
    log.error("Maestro session %s: start failed", session_id, exc_info=exc)
    return "it could not be started"
