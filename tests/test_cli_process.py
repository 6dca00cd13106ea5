"""`maestro` as the separate program agents run: start-up imports, discovery, failures, retries
(a lost answer, a busy store, a write lock held by another program)."""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from harness import FailingProxy, ServerProcess, free_port, isolated_env, maestro_error_proxy
from tests.cli_support import maestro_server, run_maestro  # noqa: F401

pytestmark = pytest.mark.timeout(180)

HEAVY_MODULES = ("jupyter_server", "tornado", "ipywidgets")


def imported_modules(importtime_stderr: str) -> set[str]:
    """Module names from `python -X importtime` output (`import time: self | total | name`)."""
    names = set()
    for line in importtime_stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip())
    return names


@pytest.mark.parametrize("args", [("--help",), ("--version",), ("task", "list", "--json")])
def test_start_up_does_not_import_jupyter_server_tornado_or_ipywidgets(
    maestro_server: ServerProcess,  # noqa: F811
    args: tuple[str, ...],
) -> None:
    run = run_maestro(*args, env=maestro_server.cli_env(), python_flags=("-X", "importtime"))
    assert run.returncode == 0, run.stderr[-2000:]
    modules = imported_modules(run.stderr)
    assert "click" in modules
    heavy = sorted(m for m in modules if m.split(".")[0] in HEAVY_MODULES)
    assert heavy == []
    if args == ("task", "list", "--json"):
        assert json.loads(run.stdout)["success"] is True
        assert "http.client" in modules
    else:
        assert "maestro_jupyter.client" not in modules  # help and version need no HTTP client


def test_the_server_is_discovered_from_its_runtime_file(
    maestro_server: ServerProcess,  # noqa: F811
    tmp_path: Path,
) -> None:
    env = isolated_env(tmp_path)  # no MAESTRO_URL, no config file
    env["JUPYTER_RUNTIME_DIR"] = str(maestro_server.runtime_dir)
    run = run_maestro("status", "--json", env=env)
    assert run.returncode == 0, run.stderr
    server = json.loads(run.stdout)["data"]["server"]
    assert server["url"] == maestro_server.url  # with its /user/tester/ base_url
    assert server["source"].startswith("runtime file ")
    created = run_maestro("task", "create", "Found by runtime file", env=env)
    assert created.returncode == 0 and created.stdout.startswith("Created task_")


def test_no_server_anywhere_is_one_line_saying_how_to_start_one(tmp_path: Path) -> None:
    run = run_maestro("task", "list", env=isolated_env(tmp_path))
    assert run.returncode == 1 and run.stdout == ""
    assert run.stderr.count("\n") == 1 and "jupyter lab" in run.stderr


def test_a_down_server_exits_1_with_one_line_after_the_retries(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/"
    env = {**isolated_env(tmp_path), "MAESTRO_URL": url, "MAESTRO_RETRY_DELAY": "0.01"}
    run = run_maestro("task", "create", "Nobody listens", env=env)
    assert run.returncode == 1 and run.stdout == ""
    assert run.stderr == (
        f"Error: cannot reach Maestro at {url} (connection refused) after 3 retries\n"
    )
    as_json = run_maestro("task", "list", "--json", env=env)
    assert as_json.returncode == 1
    error = json.loads(as_json.stderr)
    assert error["success"] is False and error["error"] == "connection_failed"


def test_a_server_failing_twice_then_answering_creates_exactly_one_task(
    maestro_server: ServerProcess,  # noqa: F811
) -> None:
    title = "Created once through a flaky proxy"
    with FailingProxy(maestro_server.url, failures=2) as proxy:
        env = maestro_server.cli_env(MAESTRO_URL=proxy.url, MAESTRO_RETRY_DELAY="10ms")
        run = run_maestro("task", "create", title, "--json", env=env)
    assert run.returncode == 0, run.stderr
    created = json.loads(run.stdout)["data"]
    assert [post.status for post in proxy.posts()] == [502, 502, 201]
    listed = maestro_server.api("GET", "tasks?q=" + title.replace(" ", "+"))["items"]
    assert [t["id"] for t in listed] == [created["id"]]


BUSY = (
    "The Maestro database is busy (another program holds its write lock); nothing was written. "
    "Retry in a moment."
)


def test_a_store_busy_to_the_end_of_the_retries_is_one_line_naming_it(
    maestro_server: ServerProcess,  # noqa: F811
) -> None:
    with maestro_error_proxy(
        maestro_server.url, failures=10, status=503, code="store_busy", message=BUSY, retry_after=0
    ) as proxy:
        env = maestro_server.cli_env(MAESTRO_URL=proxy.url, MAESTRO_RETRIES="2")
        run = run_maestro("task", "create", "Never written", env=env)
    assert run.returncode == 1 and run.stdout == ""
    assert run.stderr == (
        "Error: The Maestro database is busy (another program holds its write lock); nothing was "
        "written. Retry in a moment; it was still busy after the retries (store_busy)\n"
    )
    assert len(proxy.posts()) == 3


def test_a_task_is_created_while_another_program_holds_the_database_write_lock(
    maestro_server: ServerProcess,  # noqa: F811
) -> None:
    """sqlite3 in a terminal (or a backup) holds the write lock for 2 s: the server waits for it
    or answers 503 store_busy with Retry-After, which the CLI retries; either way the task is
    created once."""
    locked, release = threading.Event(), threading.Event()

    def hold_the_write_lock() -> None:
        connection = sqlite3.connect(maestro_server.db_path, timeout=30, isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        locked.set()
        release.wait(2)
        connection.execute("COMMIT")
        connection.close()

    holder = threading.Thread(target=hold_the_write_lock)
    holder.start()
    try:
        assert locked.wait(30)
        title = f"Written past a held lock {time.monotonic_ns()}"
        run = run_maestro("task", "create", title, "--json", env=maestro_server.cli_env())
    finally:
        release.set()
        holder.join()
    assert run.returncode == 0, run.stderr
    created = json.loads(run.stdout)["data"]
    listed = maestro_server.api("GET", "tasks?q=" + title.replace(" ", "+"))["items"]
    assert [task["id"] for task in listed] == [created["id"]]


def test_a_retry_delay_in_milliseconds_without_a_unit_is_refused(tmp_path: Path) -> None:
    env = {**isolated_env(tmp_path), "MAESTRO_URL": "http://127.0.0.1:1/"}
    run = run_maestro("task", "list", env={**env, "MAESTRO_RETRY_DELAY": "1000"})
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr == (
        "Error: MAESTRO_RETRY_DELAY is in seconds: '1000' would wait 1000 s. "
        "Write 1000ms for milliseconds (or 1000s if you mean seconds)\n"
    )


def test_an_agent_in_a_spawned_terminal_completes_its_task_with_no_id(
    maestro_server: ServerProcess,  # noqa: F811
) -> None:
    task = maestro_server.api("POST", "tasks", {"title": "Done by the agent itself"})
    env = maestro_server.cli_env()
    spawned = run_maestro("session", "spawn", task["id"], "--agent", "cli", "--json", env=env)
    assert spawned.returncode == 0, spawned.stderr
    session = json.loads(spawned.stdout)["data"]
    deadline = time.monotonic() + 60
    while maestro_server.api("GET", f"tasks/{task['id']}")["status"] != "completed":
        assert time.monotonic() < deadline, "the agent did not complete its task"
        time.sleep(0.2)
    timeline = maestro_server.api("GET", f"tasks/{task['id']}/timeline")["items"]
    assert "done in the tab" in [entry["message"] for entry in timeline]
    run_maestro("session", "stop", session["id"], env=env)


def test_bad_usage_in_a_real_process_is_exit_2_and_one_line(tmp_path: Path) -> None:
    run = run_maestro("task", "create", "", env=isolated_env(tmp_path))
    assert run.returncode == 2 and run.stdout == ""
    assert re.fullmatch(r"Error: Invalid value for 'TITLE': must not be empty \(.*\)\n", run.stderr)


def test_shell_completion_is_offered_by_click(tmp_path: Path) -> None:
    env = {**isolated_env(tmp_path), "_MAESTRO_COMPLETE": "bash_source"}
    script = run_maestro(env=env)
    assert script.returncode == 0 and "_maestro_completion" in script.stdout
    env.update(_MAESTRO_COMPLETE="bash_complete", COMP_WORDS="maestro ta", COMP_CWORD="1")
    assert "task" in run_maestro(env=env).stdout
