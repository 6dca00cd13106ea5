"""How an agent's end becomes its session's final status, and what is recorded of its processes:
exit codes, signals (never `completed 0`), terminals closed under the agent, the process group,
process.json and the owner."""

from __future__ import annotations

import getpass
import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from ptyprocess import PtyProcess

from maestro_jupyter.spawner.processes import ProcessRecord, boot_id, session_members, start_time
from maestro_jupyter.spawner.terminals import (
    WRAPPER_SCRIPT,
    default_signals,
    python_default_signals,
    read_exit_code,
)

from .conftest import make_task, wait_for, wait_for_file, wait_for_record, wait_for_status

pytestmark = pytest.mark.timeout(120)


async def spawn(api: Any, task: dict[str, Any], agent: str) -> dict[str, Any]:
    reply = await api("POST", "sessions/spawn", {"taskIds": [task["id"]], "agent": agent})
    assert reply.status == 201, reply
    return reply.json


async def entries(api: Any, task_id: str, kind: str) -> list[str]:
    timeline = (await api("GET", f"tasks/{task_id}/timeline")).json["items"]
    return [entry["message"] for entry in timeline if entry["kind"] == kind]


async def test_an_agent_killed_by_a_signal_fails_with_the_signal_never_completed(
    api, records, spawner
):
    task = await make_task(api)
    session = await spawn(api, task, "sleeper")
    record = await wait_for_record(records, session["id"])
    os.kill(record["pid"], signal.SIGKILL)
    ended = await wait_for_status(api, session["id"], "completed", "failed", "stopped")
    assert ended["status"] == "failed"
    assert ended["exitSignal"] == 9 and ended["exitCode"] is None
    assert any(
        "killed by signal 9" in message for message in await entries(api, task["id"], "error")
    )
    released = (await api("GET", f"tasks/{task['id']}")).json
    assert released["claimedBy"] is None and released["status"] == "todo"


async def test_a_failing_agent_writes_its_exit_code_on_its_task(api, records, spawner):
    task = await make_task(api)
    session = await spawn(api, task, "fail")
    ended = await wait_for_status(api, session["id"], "completed", "failed")
    assert ended["status"] == "failed" and ended["exitCode"] == 3 and ended["exitSignal"] is None
    assert any("exit code 3" in message for message in await entries(api, task["id"], "error"))


async def test_a_terminal_closed_under_the_agent_fails_the_session_and_ends_its_processes(
    api, jp_fetch, records, spawner
):
    """Closed through Jupyter's terminals API: even an agent that ignores the hangup goes."""
    task = await make_task(api)
    session = await spawn(api, task, "hupless")
    pid = int(await wait_for_file(records / f"{session['id']}.pid"))
    await jp_fetch("api", "terminals", session["terminalName"], method="DELETE")
    ended = await wait_for_status(api, session["id"], "completed", "failed", "stopped")
    assert ended["status"] == "failed"
    assert any(
        "terminal was closed" in message for message in await entries(api, task["id"], "error")
    )
    await wait_for(lambda: not _alive(pid), timeout=15)


async def test_the_process_group_owner_and_process_file_are_recorded(
    api, jp_serverapp, maestro_home, records, spawner
):
    task = await make_task(api)
    session = await spawn(api, task, "sleeper")
    record = await wait_for_record(records, session["id"])
    leader = session["processGroup"]
    assert leader == os.getsid(record["pid"]) == os.getpgid(record["pid"])  # pid == pgid == sid
    assert os.getsid(leader) == os.getpgid(leader) == leader
    url = urlsplit(jp_serverapp.connection_url)
    assert session["owner"] == {
        "user": getpass.getuser(),
        "server": f"{socket.gethostname()}:{url.port}{url.path}",
    }

    folder = maestro_home / "sessions" / session["id"]
    saved = json.loads((folder / "process.json").read_text())
    assert oct((folder / "process.json").stat().st_mode & 0o777) == oct(0o600)
    assert saved["pid"] == leader and saved["startTime"] == start_time(leader)
    assert saved["bootId"] == boot_id() and saved["sessionId"] == session["id"]
    assert saved["server"]["id"] == session["owner"]["server"]
    assert saved["server"]["pid"] == os.getpid()
    process = ProcessRecord.read(folder)
    assert process is not None and not process.server_gone()  # this very process
    assert sorted(process.survivors()) == sorted(session_members(leader))
    assert record["pid"] in process.survivors()
    await api("POST", f"sessions/{session['id']}/stop")


def test_a_process_record_never_names_a_stranger(tmp_path):
    """A recorded leader whose number now belongs to another process (other start time), or a
    record from another boot: nothing of it is taken for the session's."""
    stranger = os.getpid()
    reused = ProcessRecord("sess_x", stranger, (start_time(stranger) or 0) + 1, boot_id(), {})
    assert reused.survivors() == []
    other_boot = ProcessRecord("sess_x", stranger, start_time(stranger), "another-boot", {})
    assert other_boot.survivors() == []
    gone = {"host": socket.gethostname(), "pid": stranger, "startTime": 1, "bootId": boot_id()}
    assert ProcessRecord("sess_x", 1, 1, boot_id(), gone).server_gone()
    elsewhere = {**gone, "host": "another-host"}
    assert not ProcessRecord("sess_x", 1, 1, boot_id(), elsewhere).server_gone()


def ignored_standard_signals(status: str) -> int:
    """The ignored signals 1-31 in a /proc/<pid>/status text. Signals 32 and 33 are glibc's own
    (threads): no program can reset them, and the parent environment may leave them ignored."""
    mask = next(line for line in status.splitlines() if line.startswith("SigIgn:"))
    return int(mask.split()[1], 16) & 0x7FFF_FFFF


async def test_the_agent_starts_with_no_signal_ignored(api, records, spawner):
    """The server ignores SIGPIPE (Python does); an agent must not inherit that."""
    assert signal.getsignal(signal.SIGPIPE) == signal.SIG_IGN
    task = await make_task(api)
    session = await spawn(api, task, "signals")
    text = await wait_for_file(records / f"{session['id']}.sig")
    assert ignored_standard_signals(text) == 0


@pytest.mark.parametrize(
    "prefix", [default_signals(), python_default_signals()], ids=["env", "python"]
)
def test_both_signal_resets_clear_ignored_signals(prefix):
    program = ["/bin/sh", "-c", "grep SigIgn /proc/$$/status"]
    ignoring = subprocess.run(
        ["/bin/sh", "-c", "trap '' HUP INT; exec \"$@\"", "sh", *program],
        capture_output=True,
        text=True,
        check=True,
    )
    assert ignored_standard_signals(ignoring.stdout) != 0  # the test's own premise
    reset = subprocess.run(
        ["/bin/sh", "-c", "trap '' HUP INT; exec \"$@\"", "sh", *prefix, *program],
        capture_output=True,
        text=True,
        check=True,
    )
    assert ignored_standard_signals(reset.stdout) == 0


def test_an_exit_after_the_terminal_hung_up_is_marked(tmp_path: Path):
    """A wrapper that outlives its terminal (it ignores SIGHUP) says the agent's exit came after
    the hangup: an interactive shell that read end-of-file exits 0, which is no success."""
    exit_file = tmp_path / "exit_code"
    wrapper = PtyProcess.spawn(
        [
            "/bin/sh",
            "-c",
            "trap '' HUP; exec \"$@\"",
            "sh",
            "/bin/sh",
            "-c",
            WRAPPER_SCRIPT,
            "maestro-session",
            "24",
            "80",
            str(exit_file),
            str(tmp_path),
            "/bin/sh",
            "-c",
            "touch started; read -r line; exit 0",
        ],
    )
    try:
        while not (tmp_path / "started").exists():  # the agent waits for a line
            time.sleep(0.01)
        wrapper.fileobj.close()  # the server's side of the pty goes, as when the server dies
        wrapper.closed = True
        wrapper.wait()
    finally:
        if wrapper.isalive():
            os.kill(wrapper.pid, signal.SIGKILL)
    record = read_exit_code(exit_file)
    assert record is not None and record.code == 0 and record.hangup


def test_an_exit_with_the_terminal_there_is_not_marked(tmp_path: Path):
    exit_file = tmp_path / "exit_code"
    wrapper = PtyProcess.spawn(
        [
            "/bin/sh",
            "-c",
            WRAPPER_SCRIPT,
            "maestro-session",
            "24",
            "80",
            str(exit_file),
            str(tmp_path),
            "/bin/sh",
            "-c",
            "exit 5",
        ],
    )
    try:
        while not exit_file.exists() and wrapper.isalive():
            try:
                wrapper.read(1024)
            except EOFError:
                break
    finally:
        wrapper.terminate(force=True)
    record = read_exit_code(exit_file)
    assert record is not None and record.code == 5 and not record.hangup


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rpartition(")")[2].split()[0] not in ("Z", "X")
    except OSError:
        return False


def test_the_server_id_is_stable_under_jupyterhub_and_names_the_port_elsewhere(monkeypatch):
    from maestro_jupyter.spawner.owner import owner_user, server_id

    host = socket.gethostname()
    monkeypatch.delenv("JUPYTERHUB_SERVICE_PREFIX", raising=False)
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    assert server_id("http://127.0.0.1:8888/lab-base/") == f"{host}:8888/lab-base/"
    assert owner_user() == getpass.getuser()
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", "/user/ada/gpu/")
    monkeypatch.setenv("JUPYTERHUB_USER", "ada")
    # The hub's spawner may choose another port at each start: it is no part of the id.
    assert server_id("http://127.0.0.1:41234/user/ada/gpu/") == f"{host}/user/ada/gpu/"
    assert server_id("http://127.0.0.1:50001/user/ada/gpu/") == f"{host}/user/ada/gpu/"
    assert owner_user() == "ada"
