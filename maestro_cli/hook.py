"""`maestro hook claude|codex`: an agent's own hook event, relayed to its session.

Claude Code runs it for its hook events with a JSON payload on stdin; Codex runs it as its
`notify` program with the JSON payload as the last argument. It posts `sessions/{id}/hook` for
MAESTRO_SESSION_ID, where the event moves the session (`maestro_jupyter.attention`).

It runs on every prompt and every turn of the agent, so it must never get in the way:
- nothing on stdout and always exit 0 (Claude Code reads stdout and exit code 2 as decisions);
- bounded: TOTAL_SECONDS in all, stdin included, with one short retry at most;
- light: the `maestro` entry point sends it here without click (`commands.hook` is the click
  face of it, for help and `maestro --json hook`), and it imports the HTTP client only;
- a problem (bad JSON, unknown event, outside a session, server down) changes nothing and is one
  line in `hook.log` of the session folder (the folder of MAESTRO_BRIEF; nowhere without it).
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

AGENTS = ("claude", "codex")
TOTAL_SECONDS = 2.0
# Under this much time left, a retry could not finish: give up instead.
RETRY_FLOOR = 0.3
MAX_PAYLOAD = 1 << 20
# The server takes messages up to 10,000 characters; a hook's message is a prompt's line.
MAX_MESSAGE = 2000
# hook.log stops growing here: a hook failing on every turn must not fill the disk.
MAX_LOG = 1 << 20
# What is stripped from a message: C0 controls but newline and tab, DEL, C1 controls.
CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
EVENT_NAME = re.compile(r"^[A-Za-z][\w.:-]{0,99}$")


class HookProblem(Exception):
    """Why the hook changed nothing: the one line it logs."""


def run(
    args: Sequence[str],
    *,
    stdin: IO[bytes] | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    """Relay one hook event; always 0. `args` are those after `hook`: the agent, then (Codex)
    the payload."""
    env = os.environ if environ is None else environ
    deadline = time.monotonic() + TOTAL_SECONDS
    agent = args[0] if args else ""
    event = None
    try:
        if agent not in AGENTS:
            raise HookProblem(f"unknown agent {agent!r} (expected claude or codex)")
        if agent == "claude":
            raw = _read_stdin(stdin or sys.stdin.buffer, deadline)
        else:
            raw = args[-1].encode("utf-8", "surrogateescape") if len(args) > 1 else b""
        payload = _decode(raw)
        event, message = _event(agent, payload)
        session_id = env.get("MAESTRO_SESSION_ID", "")
        if not session_id:
            raise HookProblem("not inside a session (MAESTRO_SESSION_ID is not set)")
        body = {"agent": agent, "event": event}
        if message:
            body["message"] = message
        answer = _post(session_id, body, deadline)
        if not answer.get("applied"):
            raise HookProblem(
                f"{event} changed nothing in {session_id} (an event Maestro does not follow, "
                "or the session has ended)"
            )
    except HookProblem as problem:
        _log(env, agent, event, str(problem))
    except Exception as error:  # noqa: BLE001 - a hook must never fail its agent
        _log(env, agent, event, f"{type(error).__name__}: {error}")
    return 0


def _read_stdin(stream: IO[bytes], deadline: float) -> bytes:
    """Claude Code's payload: stdin up to its end, MAX_PAYLOAD or the deadline."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return stream.read(MAX_PAYLOAD)  # not a real file (a test's in-memory stream)
    if os.isatty(fd):
        raise HookProblem("no payload: stdin is a terminal (Claude Code pipes the hook's JSON)")
    import select

    chunks: list[bytes] = []
    size = 0
    while size < MAX_PAYLOAD:
        left = deadline - time.monotonic() - RETRY_FLOOR
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise HookProblem("no payload: stdin did not end in time")
        chunk = os.read(fd, MAX_PAYLOAD - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _decode(raw: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(raw)
    except ValueError as error:
        raise HookProblem(f"the payload is not JSON ({error})") from None
    if not isinstance(payload, dict):
        raise HookProblem("the payload is not a JSON object")
    return payload


def _event(agent: str, payload: Mapping[str, Any]) -> tuple[str, str | None]:
    """The event's name and the message a person should read, from the agent's payload."""
    if agent == "claude":
        event, message = payload.get("hook_event_name"), payload.get("message")
        tool = payload.get("tool_name")
        if event == "PermissionRequest" and isinstance(tool, str) and tool.strip():
            message = f"Claude asks permission to use {tool.strip()}"
    else:
        event = payload.get("type")
        message = payload.get("message") or payload.get("last-assistant-message")
    if not isinstance(event, str) or not EVENT_NAME.match(event):
        raise HookProblem(f"no event name in the payload (got {event!r:.100})")
    return event, clean_message(message)


def clean_message(message: Any) -> str | None:
    """The message with its control characters stripped (newlines and tabs stay), cut to
    MAX_MESSAGE; None when nothing is left."""
    if not isinstance(message, str):
        return None
    text = CONTROLS.sub("", message).strip()
    if len(text) > MAX_MESSAGE:
        text = text[: MAX_MESSAGE - 1] + "…"
    return text or None


def _post(session_id: str, body: Mapping[str, Any], deadline: float) -> dict[str, Any]:
    """POST sessions/{id}/hook within the deadline: one attempt, and one retry if a connection
    failed or the store was busy and time is left."""
    from urllib.parse import quote

    from maestro_jupyter.client.discovery import discover
    from maestro_jupyter.client.transport import Transport, transient
    from maestro_jupyter.errors import ConnectionFailed, MaestroError

    server = discover()
    path = f"sessions/{quote(session_id, safe='')}/hook"
    retried = False
    while True:
        left = deadline - time.monotonic()
        transport = Transport(server, retries=0, timeout=max(0.1, left - 0.1))
        try:
            answer = transport.request("POST", path, body=dict(body))
        except MaestroError as error:
            worth_it = isinstance(error, ConnectionFailed) or transient(
                error.status, {"error": error.code}
            )
            if retried or not worth_it or deadline - time.monotonic() < 2 * RETRY_FLOOR:
                raise HookProblem(error.message) from None
            retried = True
            time.sleep(0.1)
        else:
            return answer if isinstance(answer, dict) else {}
        finally:
            transport.close()


def _log(env: Mapping[str, str], agent: str, event: str | None, text: str) -> None:
    """One line in the session folder's hook.log; nothing if there is no such folder."""
    brief = env.get("MAESTRO_BRIEF")
    if not brief:
        return
    path = Path(brief).parent / "hook.log"
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    reason = " ".join(CONTROLS.sub("", text).split())[:500]
    line = f"{stamp} maestro hook {agent or '-'} {event or '-'}: {reason}\n"
    try:
        if path.parent.is_dir() and (not path.exists() or path.stat().st_size < MAX_LOG):
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as log:
                log.write(line)
    except OSError:
        pass  # nowhere to say it; the agent goes on either way
