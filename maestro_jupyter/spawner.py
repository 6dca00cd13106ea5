"""Sessions as terminals: a spawn request becomes a terminado terminal running a briefed agent.

The spawner validates the request, writes the session folder, opens the named terminal
`maestro_<session id>` through jupyter_server_terminals' terminal manager, then watches it:
the agent's exit code (written by the terminal's wrapper script) ends the session `completed` or
`failed`, a stop ends its processes, and start-up reconciles sessions whose terminal is gone.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import uuid
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path
from typing import Any

from tornado.ioloop import PeriodicCallback
from traitlets import Float, Instance, Integer
from traitlets.config import LoggingConfigurable

from . import brief as briefing
from . import skills as skill_registry
from .errors import Conflict, MaestroError, NotFound, ValidationFailed
from .models import SpawnRequest
from .store import Store, new_id

ACTIVE_STATUSES = ("spawning", "running", "needs_input")
TERMINAL_PREFIX = "maestro_"
EXIT_CODE_FILE = "exit_code"

# The terminal's program. Everything it runs arrives as positional parameters, never as script
# text: $1 rows, $2 cols, $3 the exit-code file, then the agent's argv. It sizes the pty before
# the agent draws (terminado starts every pty at 24x80; the spawner sets the size too), survives
# Ctrl-C meant for the agent (`trap :` rather than ignoring, so the agent still gets default
# signal handling), records the agent's exit code atomically, and then stays a usable shell so
# the tab does not die with the agent.
WRAPPER_SCRIPT = """\
stty rows "$1" cols "$2" 2>/dev/null
code_file=$3
shift 3
trap : INT QUIT
"$@"
code=$?
trap - INT QUIT
printf '%s\\n' "$code" > "$code_file.tmp" && mv -f "$code_file.tmp" "$code_file"
printf '\\r\\n[maestro] the agent exited with code %s; this terminal is now a shell.\\r\\n' "$code"
exec "${SHELL:-/bin/sh}" -i
"""

# The fallback agent: shows the brief and leaves the person an interactive shell with the env set.
SHELL_AGENT_SCRIPT = """\
cat "$1"
printf '\\n%s\\n\\n' "$2"
exec "${SHELL:-/bin/sh}" -i
"""

def default_agents() -> dict[str, dict[str, Any]]:
    """claude and codex when they are on PATH, and always a plain shell that prints the brief."""
    agents: dict[str, dict[str, Any]] = {}
    if shutil.which("claude"):
        agents["claude"] = {
            "argv": [
                "claude",
                "--session-id", "{claude_session_id}",
                "--append-system-prompt", "{brief_text}",
                "{prompt}",
            ]
        }
    if shutil.which("codex"):
        agents["codex"] = {"argv": ["codex", "{prompt}"]}
    agents["shell"] = {
        "argv": ["/bin/sh", "-c", SHELL_AGENT_SCRIPT, "maestro-shell", "{brief}", "{prompt}"]
    }
    return agents


def default_agent_name() -> str:
    return "claude" if shutil.which("claude") else "shell"


def substitute(argv: list[str], values: dict[str, str]) -> list[str]:
    """Replace placeholders that make up a whole argv item; any other item is kept verbatim."""
    return [values.get(item, item) for item in argv]


def resolve_cwd(requested: str | None, root_dir: str, fallback: str | None = None) -> str:
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


class TerminalsUnavailable(MaestroError):
    status = 503
    code = "terminals_unavailable"


class SpawnFailed(MaestroError):
    """The terminal could not be started (the session is then recorded `failed`)."""

    code = "spawn_failed"


@dataclass
class _Watched:
    """A session whose agent is still running in a terminal this server owns."""

    session_id: str
    terminal_name: str
    terminal: Any  # terminado PtyWithClients
    exit_file: Path
    stop_requested: bool = False
    activity_recorded: datetime | None = None


class Spawner(LoggingConfigurable):
    """Turns spawn requests into terminals and keeps the sessions' status true to their process."""

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

    app = Instance("maestro_jupyter.app.Maestro")
    store = Instance(Store)

    def __init__(self, app: Any, store: Store, **kwargs: Any) -> None:
        super().__init__(parent=app, app=app, store=store, **kwargs)
        self._watched: dict[str, _Watched] = {}
        self._watcher: PeriodicCallback | None = None

    # -- what the server provides ---------------------------------------------------------------
    @property
    def home(self) -> Path:
        return Path(self.app.home).expanduser()

    @property
    def root_dir(self) -> str:
        return self.app.serverapp.root_dir

    def terminal_manager(self, required: bool = True) -> Any:
        """jupyter_server_terminals' manager (None or 503 when terminals are off)."""
        manager = self.app.serverapp.web_app.settings.get("terminal_manager")
        if manager is None and required:
            raise TerminalsUnavailable(
                "Terminals are not available on this server (enable jupyter_server_terminals)."
            )
        return manager

    def agents(self) -> dict[str, dict[str, Any]]:
        """The built-in agents overlaid with the configured ones (None removes one)."""
        merged = {**default_agents(), **self.app.agents}
        return {name: agent for name, agent in merged.items() if agent}

    @cached_property
    def _server_env(self) -> dict[str, str]:
        """Where agents find this server (fixed for the server's life)."""
        serverapp = self.app.serverapp
        return {
            "MAESTRO_URL": serverapp.connection_url,
            "MAESTRO_TOKEN": serverapp.identity_provider.token or "",
        }

    def _path_env(self) -> dict[str, str]:
        """PATH with the server's scripts folder, where `maestro` is, if it is not on it yet."""
        scripts = str(Path(sys.executable).parent)
        path = os.environ.get("PATH", "")
        if (Path(scripts) / "maestro").exists() and scripts not in path.split(os.pathsep):
            return {"PATH": scripts + os.pathsep + path}
        return {}

    # -- spawn ----------------------------------------------------------------------------------
    def spawn(self, request: SpawnRequest, session_id: str | None = None) -> dict[str, Any]:
        """Validate, record the session, brief it and start its terminal; return it `running`."""
        manager = self.terminal_manager()
        try:
            tasks = self.store.get_tasks(request.task_ids, include_subtasks=True)
        except NotFound as exc:
            raise ValidationFailed.field("taskIds", exc.message) from None
        project = self._project(request.project_id or tasks[0]["projectId"])
        if request.parent_session_id:
            self._parent(request.parent_session_id)
        cwd = resolve_cwd(request.cwd, self.root_dir, project.get("workingDir"))
        agent_name, agent = self._agent(request.agent)
        skills = skill_registry.skills_for_role(
            request.role, request.skills or [], self.app.skills_dirs
        )
        session_id = session_id or new_id("sess")
        terminal_name = TERMINAL_PREFIX + session_id
        if terminal_name in manager.terminals:
            raise Conflict(f"A terminal named {terminal_name} already exists.",
                           {"terminalName": terminal_name})
        claude_session_id = str(uuid.uuid4()) if "{claude_session_id}" in agent["argv"] else None

        session = self.store.create_session(
            id=session_id,
            project_id=project["id"],
            name=request.name,
            task_ids=request.task_ids,
            role=request.role,
            skills=[skill.name for skill in skills],
            agent=agent_name,
            cwd=cwd,
            parent_session_id=request.parent_session_id,
            spawn_source=request.spawn_source,
            terminal_name=terminal_name,
            agent_session_id=claude_session_id,
        )
        try:
            return self._start(manager, session, tasks, skills, agent, request)
        except Exception:
            self._abandon(manager, session_id, terminal_name)
            raise

    def _start(
        self,
        manager: Any,
        session: dict[str, Any],
        tasks: list[dict[str, Any]],
        skills: list[skill_registry.Skill],
        agent: dict[str, Any],
        request: SpawnRequest,
    ) -> dict[str, Any]:
        session_id, terminal_name = session["id"], session["terminalName"]
        folder = self.home / "sessions" / session_id
        timelines = {task["id"]: self.store.get_timeline(task["id"]) for task in tasks}
        brief_text = briefing.render_brief(session, tasks, timelines, skills, request.prompt)
        brief_path = folder / "brief.md"
        agent_argv = substitute(
            list(agent["argv"]),
            {
                "{brief}": str(brief_path),
                "{brief_text}": briefing.brief_argument(brief_text, brief_path),
                "{prompt}": briefing.first_prompt(session, brief_path, request.prompt),
                "{session_id}": session_id,
                "{claude_session_id}": session["agentSessionId"] or "",
            },
        )
        manifest = {
            "session": session,
            "terminalName": terminal_name,
            "argv": list(agent["argv"]),
            "skills": [skill.name for skill in skills],
            "serverUrl": self.app.serverapp.connection_url,
        }
        briefing.write_session_folder(folder, manifest, brief_text)
        exit_file = folder / EXIT_CODE_FILE
        exit_file.unlink(missing_ok=True)

        rows = request.rows or self.default_rows
        cols = request.cols or self.default_cols
        env = {
            **self._server_env,
            **self._path_env(),
            **(agent.get("env") or {}),
            "MAESTRO_SESSION_ID": session_id,
            "MAESTRO_TASK_IDS": ",".join(session["taskIds"]),
            "MAESTRO_PROJECT_ID": session["projectId"],
            "MAESTRO_ROLE": session["role"],
            "MAESTRO_BRIEF": str(brief_path),
            # terminado exports its default size (80x24); let programs ask the pty instead.
            "COLUMNS": None,
            "LINES": None,
        }
        if terminal_name in manager.terminals:  # terminado would orphan the existing pty
            raise Conflict(f"A terminal named {terminal_name} already exists.",
                           {"terminalName": terminal_name})
        try:
            manager.create(
                name=terminal_name,
                shell_command=[
                    "/bin/sh", "-c", WRAPPER_SCRIPT, "maestro-session",
                    str(rows), str(cols), str(exit_file), *agent_argv,
                ],
                cwd=session["cwd"],
                extra_env=env,
            )
        except OSError as exc:
            raise SpawnFailed(f"Could not start the terminal: {exc}") from exc
        terminal = manager.terminals[terminal_name]
        self._watch(_Watched(session_id, terminal_name, terminal, exit_file))
        # ptyprocess sets 24x80 from the server once the wrapper has started, which may undo the
        # wrapper's stty: set the size here too (no tab is attached yet, so none owns it).
        with suppress(OSError):
            terminal.ptyproc.setwinsize(rows, cols)
        session = self.store.update_session(session_id, status="running", started_at=_now())
        self.store.emit("session:spawn_request", {"session": session,
                                                  "terminalName": terminal_name})
        self.log.info("Maestro session %s: agent %s in terminal %s",
                      session_id, session["agent"], terminal_name)
        return session

    def _abandon(self, manager: Any, session_id: str, terminal_name: str) -> None:
        """After a failed start: end the terminal if it was made (it is watched from its
        creation on), and mark the session failed."""
        watched = self._watched.pop(session_id, None)
        terminal = watched.terminal if watched else None
        if terminal is not None and manager.terminals.get(terminal_name) is terminal:
            _signal_terminal(terminal, signal.SIGKILL)
        try:
            self.store.update_session(session_id, status="failed", ended_at=_now())
        except MaestroError:
            self.log.exception("Maestro session %s: could not mark it failed", session_id)

    def _project(self, project_id: str) -> dict[str, Any]:
        try:
            return self.store.get_project(project_id)
        except NotFound as exc:
            raise ValidationFailed.field("projectId", exc.message) from None

    def _parent(self, session_id: str) -> None:
        try:
            self.store.get_session(session_id)
        except NotFound as exc:
            raise ValidationFailed.field("parentSessionId", exc.message) from None

    def _agent(self, name: str | None) -> tuple[str, dict[str, Any]]:
        agents = self.agents()
        if name is None:  # the configured default, else the first agent configured
            default = self.app.default_agent
            name = default if default in agents else next(iter(agents), default)
        agent = agents.get(name)
        if agent is None:
            known = ", ".join(sorted(agents)) or "none"
            raise ValidationFailed.field("agent", f"unknown agent {name!r} (configured: {known})")
        argv = agent.get("argv") if isinstance(agent, dict) else None
        if not (isinstance(argv, list) and argv and all(isinstance(a, str) for a in argv)):
            raise ValidationFailed.field("agent", f"agent {name!r} has no valid argv in config")
        if shutil.which(argv[0]) is None:
            raise ValidationFailed.field("agent", f"agent {name!r}: {argv[0]!r} is not on PATH")
        return name, agent

    # -- stop -----------------------------------------------------------------------------------
    async def stop(self, session_id: str) -> dict[str, Any]:
        """End the session's terminal (the agent, its children, the shell); mark it `stopped`.

        A session that already ended keeps its status (completed or failed); its terminal, by
        then a plain shell, is closed all the same.
        """
        session = self.store.get_session(session_id)
        watched = self._watched.get(session_id)
        if watched is not None:
            self._check(watched)  # the agent may have exited just before the stop
        watched = self._watched.get(session_id)
        if watched is not None:
            watched.stop_requested = True
        manager = self.terminal_manager(required=False)
        terminal = manager.terminals.get(session["terminalName"]) if manager else None
        if terminal is not None:
            await self._end_terminal(manager, session["terminalName"], terminal)
        self._watched.pop(session_id, None)
        session = self.store.get_session(session_id)
        if session["status"] in ACTIVE_STATUSES:
            session = self.store.update_session(session_id, status="stopped", ended_at=_now())
        return session

    async def _end_terminal(self, manager: Any, name: str, terminal: Any) -> None:
        """SIGHUP+SIGTERM to every process of the terminal's session, SIGKILL after a grace."""
        import asyncio

        for sig in (signal.SIGHUP, signal.SIGTERM):
            _signal_terminal(terminal, sig)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.stop_timeout
        while _terminal_processes(terminal) and loop.time() < deadline:
            await asyncio.sleep(0.05)
        if _terminal_processes(terminal):
            _signal_terminal(terminal, signal.SIGKILL)
        if manager.terminals.get(name) is terminal:
            await manager.terminate(name, force=True)

    # -- watching -------------------------------------------------------------------------------
    def _watch(self, watched: _Watched) -> None:
        self._watched[watched.session_id] = watched
        if self._watcher is None:
            self._watcher = PeriodicCallback(self._poll, self.poll_interval * 1000)
        if not self._watcher.is_running():
            self._watcher.start()

    def _poll(self) -> None:
        for watched in list(self._watched.values()):
            try:
                self._check(watched)
            except Exception:
                self.log.exception("Maestro session %s: watch failed", watched.session_id)
                self._watched.pop(watched.session_id, None)
        if not self._watched and self._watcher is not None:
            self._watcher.stop()

    def _check(self, watched: _Watched) -> None:
        if watched.stop_requested:  # stop() records the outcome
            return
        code = _read_exit_code(watched.exit_file)
        if code is not None:
            self._finish(watched, "completed" if code == 0 else "failed", code)
        elif not self._terminal_alive(watched):
            # The wrapper died before the agent's exit was recorded: killed, or pty closed.
            self._finish(watched, "failed", _exit_status(watched.terminal))
        else:
            self._record_activity(watched)

    def _terminal_alive(self, watched: _Watched) -> bool:
        manager = self.terminal_manager(required=False)
        if manager is None or manager.terminals.get(watched.terminal_name) is not watched.terminal:
            return False
        return bool(watched.terminal.ptyproc.isalive())

    def _record_activity(self, watched: _Watched) -> None:
        activity = getattr(watched.terminal, "last_activity", None)
        if activity is None or activity == watched.activity_recorded:
            return
        recorded = watched.activity_recorded
        if recorded is None or (activity - recorded).total_seconds() >= self.activity_interval:
            self.store.touch_session(watched.session_id, activity)
            watched.activity_recorded = activity

    def _finish(self, watched: _Watched, status: str, exit_code: int | None) -> None:
        self._watched.pop(watched.session_id, None)
        self._end_session(watched.session_id, status, exit_code)

    def _end_session(self, session_id: str, status: str, exit_code: int | None) -> None:
        try:
            session = self.store.get_session(session_id)
        except NotFound:
            return  # deleted meanwhile
        if session["status"] in ACTIVE_STATUSES:
            self.store.update_session(
                session_id, status=status, exit_code=exit_code, ended_at=_now()
            )
            self.log.info("Maestro session %s: %s (exit code %s)", session_id, status, exit_code)

    # -- start-up and shut-down -----------------------------------------------------------------
    def reconcile(self) -> list[str]:
        """Settle sessions left active by a previous server: their terminal is gone.

        A session whose agent recorded its exit code ends as that code says; any other ends
        `failed`. A session whose terminal this server still has is watched again.
        Returns the ids of the sessions it changed.
        """
        manager = self.terminal_manager(required=False)
        changed = []
        for session in self.store.list_sessions(status=list(ACTIVE_STATUSES)):
            session_id = session["id"]
            if session_id in self._watched:
                continue
            exit_file = self.home / "sessions" / session_id / EXIT_CODE_FILE
            terminal = manager.terminals.get(session["terminalName"]) if manager else None
            code = _read_exit_code(exit_file)
            if terminal is not None and code is None:
                self._watch(_Watched(session_id, session["terminalName"], terminal, exit_file))
                continue
            if code is None:
                self._end_session(session_id, "failed", None)
            else:
                self._end_session(session_id, "completed" if code == 0 else "failed", code)
            changed.append(session_id)
        if changed:
            self.log.info("Maestro: reconciled %d session(s) left without a terminal", len(changed))
        return changed

    def shutdown(self) -> None:
        """The server is stopping and takes the terminals with it: those sessions are `stopped`."""
        if self._watcher is not None:
            self._watcher.stop()
        for watched in list(self._watched.values()):
            if _read_exit_code(watched.exit_file) is None:
                self._finish(watched, "stopped", None)
            else:
                self._check(watched)
        self._watched.clear()


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _read_exit_code(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _exit_status(terminal: Any) -> int | None:
    """The wrapper's exit status, as a shell reports it (128 + signal when killed)."""
    process = terminal.ptyproc
    if process.isalive():
        return None
    if process.signalstatus is not None:
        return 128 + process.signalstatus
    return process.exitstatus


def _terminal_processes(terminal: Any) -> list[int]:
    """Live processes of the terminal's session: the wrapper, the agent and all they started.

    The pty's first process leads a session; everything started in the terminal inherits it,
    even jobs a shell put in their own process group. Linux lists them in /proc; elsewhere only
    the leader's process group is known.
    """
    leader = terminal.ptyproc.pid
    try:
        entries = os.listdir("/proc")
    except OSError:
        return [leader] if terminal.ptyproc.isalive() else []
    found = []
    for entry in entries:
        if not entry.isdigit():
            continue
        pid = int(entry)
        try:
            if os.getsid(pid) == leader and not _is_zombie(pid):
                found.append(pid)
        except OSError:
            continue
    if leader in found and not terminal.ptyproc.isalive():  # reaped just now
        found.remove(leader)
    return found


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            return handle.read().rpartition(")")[2].split()[0] in ("Z", "X")
    except (OSError, IndexError):
        return True


def _signal_terminal(terminal: Any, sig: int) -> None:
    for pid in [-terminal.ptyproc.pid, *_terminal_processes(terminal)]:
        try:
            os.killpg(-pid, sig) if pid < 0 else os.kill(pid, sig)
        except OSError:
            continue
