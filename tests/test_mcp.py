"""`maestro mcp` as agents run it: started by the MCP SDK's own stdio client as a separate
process against a real Jupyter server, every tool called and its effect read back over REST."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
import tomllib
from click.testing import CliRunner
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from harness import REPO, ServerProcess, isolated_env
from maestro_cli.main import COMMANDS
from maestro_cli.mcp import claude_mcp_arguments, claude_mcp_config, codex_mcp_arguments, mcp

pytestmark = pytest.mark.timeout(180)

# Taskmaster's 36 tools cost about 21,000 tokens of every conversation; ours stay under this.
TOKEN_BUDGET = 3000
TOOL_NAMES = {
    "whoami", "task_list", "task_get", "task_create", "task_update", "task_complete",
    "task_block", "task_next", "task_log", "subtask_complete", "report", "session_spawn",
    "session_wait", "session_send", "skill_show",
}  # fmt: skip
MCP_SERVER = [sys.executable, "-m", "maestro_cli.mcp"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One Jupyter server for the module, with a `shell` agent to spawn."""
    config = {"Maestro": {"agents": {"shell": {"argv": ["/bin/sh"]}}}}
    with ServerProcess(tmp_path_factory.mktemp("mcp-server"), config=config) as process:
        yield process


@pytest.fixture
def project(server: ServerProcess, tmp_path: Path) -> str:
    """A project of the test's own, so "the most urgent ready task" is one of the test's."""
    work = server.root / "work" / tmp_path.name
    work.mkdir()
    return server.api("POST", "projects", {"name": tmp_path.name, "workingDir": str(work)})["id"]


def session_env(
    server: ServerProcess, project: str, tmp_path: Path, *, role: str = "worker"
) -> dict[str, str]:
    """The environment of an agent inside a registered session of `project`, with a brief."""
    registered = {"name": "mcp agent", "projectId": project, "role": role}
    session = server.api("POST", "sessions", registered)
    brief = tmp_path / "brief.md"
    brief.write_text("# Brief\nWrite the parser.\n")
    return server.cli_env(
        MAESTRO_SESSION_ID=session["id"],
        MAESTRO_PROJECT_ID=project,
        MAESTRO_ROLE=role,
        MAESTRO_TASK_IDS="",
        MAESTRO_BRIEF=str(brief),
    )


@asynccontextmanager
async def connected(env: dict[str, str], argv: list[str] = MCP_SERVER) -> AsyncIterator[Client]:
    """The SDK's client, talking to `maestro mcp` started as a process with `env` (the initialize
    handshake clients use today)."""
    parameters = StdioServerParameters(command=argv[0], args=argv[1:], env=env, cwd=str(REPO))
    async with Client(parameters, mode="legacy") as client:
        yield client


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    """Run an async scenario; a failure in it is raised as itself, not inside task groups."""
    try:
        anyio.run(scenario)
    except Exception as error:  # task groups wrap the one failure in exception groups
        failure = error
        while len(getattr(failure, "exceptions", ())) == 1:
            failure = failure.exceptions[0]  # type: ignore[attr-defined]
        raise failure from None


async def call(client: Client, tool: str, **arguments: Any) -> Any:
    """A tool call that must succeed: its JSON answer."""
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, f"{tool}: {result.content[0].text}"
    return json.loads(result.content[0].text)


async def refused(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    """A tool call that must be a tool error: its `{error, message, details}`."""
    result = await client.call_tool(tool, arguments)
    assert result.is_error, f"{tool} was not refused: {result.content[0].text}"
    return json.loads(result.content[0].text)


def entries(server: ServerProcess, task_id: str) -> list[dict[str, Any]]:
    return server.api("GET", f"tasks/{task_id}/timeline")["items"]


# -- the list ---------------------------------------------------------------------------------
def test_the_tools_cost_under_3000_tokens_and_take_lean_schemas(
    server: ServerProcess, project: str, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with connected(session_env(server, project, tmp_path)) as client:
            listed = await client.list_tools()
            names = {tool.name for tool in listed.tools}
            assert names == TOOL_NAMES
            wire = listed.model_dump_json(by_alias=True, exclude_none=True)
            assert len(wire) / 4 < TOKEN_BUDGET
            for tool in listed.tools:
                schema = json.dumps(tool.input_schema)
                assert tool.input_schema["type"] == "object"
                assert "$defs" not in schema and '"title": "' not in schema, tool.name
                if tool.name != "session_send":  # there the session to type into
                    assert "sessionId" not in tool.input_schema["properties"], tool.name

    run(scenario)


# -- a worker ---------------------------------------------------------------------------------
def test_a_worker_creates_claims_reports_and_completes_as_its_session(
    server: ServerProcess, project: str, tmp_path: Path
) -> None:
    env = session_env(server, project, tmp_path)
    session_id = env["MAESTRO_SESSION_ID"]

    async def scenario() -> None:
        async with connected(env) as client:
            first = await call(client, "task_create", title="Lexer", priority="high")
            second = await call(
                client,
                "task_create",
                title="Parser",
                priority="urgent",
                dependencies=[first["id"]],
                subtasks=[{"title": "Grammar"}, {"title": "Tests"}],
            )
            stored = server.api("GET", f"tasks/{second['id']}?include=subtasks")
            assert stored["projectId"] == project and stored["dependencies"] == [first["id"]]
            assert [s["title"] for s in stored["subtasks"]] == ["Grammar", "Tests"]
            assert [s["id"] for s in second["subtasks"]] == [s["id"] for s in stored["subtasks"]]

            ready = await call(client, "task_list", ready=True)
            assert [t["id"] for t in ready["tasks"]] == [first["id"]]  # the parser waits
            listed = await call(client, "task_list", status=["todo"])
            assert {t["id"] for t in listed["tasks"]} == {first["id"], second["id"]}

            look = await call(client, "task_next", claim=False)
            assert look["task"]["id"] == first["id"] and look["claimed"] is False
            assert server.api("GET", f"tasks/{first['id']}")["claimedBy"] is None
            claimed = await call(client, "task_next")
            assert claimed["task"]["id"] == first["id"] and claimed["claimed"] is True
            task = server.api("GET", f"tasks/{first['id']}")
            assert task["claimedBy"] == session_id and task["status"] == "in_progress"

            # The claimed task is now the session's own: no id needed.
            me = await call(client, "whoami")
            assert me["session"]["id"] == session_id
            assert [t["id"] for t in me["tasks"]] == [first["id"]]
            await call(client, "report", kind="progress", message="Tokens done")
            assert entries(server, first["id"])[-1]["actor"] == session_id
            await call(client, "task_update", priority="low", labels=["lexing"])
            task = server.api("GET", f"tasks/{first['id']}")
            assert task["priority"] == "low" and task["labels"] == ["lexing"]
            log = await call(client, "task_log")
            assert "Tokens done" in [e["message"] for e in log["entries"]]
            assert len((await call(client, "task_log", limit=1))["entries"]) == 1
            got = await call(client, "task_get")
            assert got["id"] == first["id"] and got["latestEntries"]

            done = await call(client, "task_complete", message="Lexer merged")
            assert done["status"] == "completed"
            last = entries(server, first["id"])[-1]
            assert last["message"] == "Lexer merged" and last["sessionId"] == session_id

            await call(client, "task_next", taskId=second["id"])  # its dependency is met now
            grammar = second["subtasks"][0]["id"]
            ticked = await call(client, "subtask_complete", taskId=second["id"], subtaskId=grammar)
            assert ticked["completed"] is True
            assert server.api("GET", f"tasks/{second['id']}")["subtasksCompleted"] == 1
            blocked = await call(client, "task_block", taskId=second["id"], reason="Needs a spec")
            stored = server.api("GET", f"tasks/{second['id']}")
            assert blocked["status"] == stored["status"] == "blocked"
            assert stored["blockedReason"] == "Needs a spec"

            asked = await call(client, "report", kind="needs_input", message="Which grammar?")
            assert asked["session"]["status"] == "needs_input"
            assert server.api("GET", f"sessions/{session_id}")["status"] == "needs_input"
            waited = await call(client, "session_wait", sessionIds=[session_id], until="any")
            assert waited["result"] == "satisfied" and waited["matched"] == [session_id]

    run(scenario)


def test_the_brief_and_the_tasks_are_resources(
    server: ServerProcess, project: str, tmp_path: Path
) -> None:
    env = session_env(server, project, tmp_path)

    async def scenario() -> None:
        async with connected(env) as client:
            task = await call(client, "task_create", title="Read me")
            await call(client, "task_next", taskId=task["id"])
            listed = await client.list_resources()
            uris = [str(resource.uri) for resource in listed.resources]
            assert uris == ["maestro://session/brief", "maestro://session/tasks"]
            brief = await client.read_resource("maestro://session/brief")
            assert brief.contents[0].text == "# Brief\nWrite the parser.\n"
            tasks = await client.read_resource("maestro://session/tasks")
            assert [t["id"] for t in json.loads(tasks.contents[0].text)] == [task["id"]]

    run(scenario)


# -- an orchestrator --------------------------------------------------------------------------
def test_an_orchestrator_spawns_a_session_and_waits_for_it_to_end(
    server: ServerProcess, project: str, tmp_path: Path
) -> None:
    env = session_env(server, project, tmp_path, role="orchestrator")
    orchestrator = env["MAESTRO_SESSION_ID"]

    async def scenario() -> None:
        async with connected(env) as client:
            task = await call(client, "task_create", title="Delegated")
            spawned = await call(
                client, "session_spawn", taskIds=[task["id"]], agent="shell", name="helper"
            )
            stored = server.api("GET", f"sessions/{spawned['id']}")
            assert stored["parentSessionId"] == orchestrator
            assert stored["spawnSource"] == "session" and stored["status"] == "running"
            assert stored["taskIds"] == [task["id"]]

            still = await call(client, "session_wait", timeout=0)  # the sessions it spawned
            assert still["result"] == "timeout"
            assert [(s["id"], s["status"]) for s in still["sessions"]] == [
                (spawned["id"], "running")
            ]
            server.api("POST", f"sessions/{spawned['id']}/stop")
            waited = await call(client, "session_wait", sessionIds=[spawned["id"]], timeout=60)
            assert waited["result"] == "satisfied" and waited["matched"] == [spawned["id"]]
            assert waited["sessions"][0]["status"] == "stopped"

            skill = await call(client, "skill_show", name="maestro-worker")
            assert skill["name"] == "maestro-worker" and skill["instructions"]

    run(scenario)


def test_text_sent_to_a_session_is_typed_into_its_terminal(
    server: ServerProcess, project: str, tmp_path: Path
) -> None:
    env = session_env(server, project, tmp_path, role="orchestrator")

    async def scenario() -> None:
        async with connected(env) as client:
            task = await call(client, "task_create", title="Typed into")
            spawned = await call(client, "session_spawn", taskIds=[task["id"]], agent="shell")
            sent = await call(client, "session_send", sessionId=spawned["id"], text="exit 3")
            assert sent["id"] == spawned["id"]
            message = entries(server, task["id"])[-1]
            assert message["kind"] == "message" and "exit 3" in message["message"]
            waited = await call(client, "session_wait", sessionIds=[spawned["id"]], timeout=60)
            assert waited["sessions"][0]["status"] == "failed"  # the shell obeyed: exit code 3
            assert server.api("GET", f"sessions/{spawned['id']}")["exitCode"] == 3
            no_terminal = await refused(
                client, "session_send", sessionId=env["MAESTRO_SESSION_ID"], text="hi"
            )
            assert no_terminal["error"] == "conflict"  # registered: no terminal to type into

    run(scenario)


# -- bad input --------------------------------------------------------------------------------
def test_bad_arguments_and_unknown_ids_are_tool_errors_and_the_server_keeps_answering(
    server: ServerProcess, project: str, tmp_path: Path
) -> None:
    env = session_env(server, project, tmp_path)
    before = server.api("GET", "tasks?limit=500")["items"]

    async def scenario() -> None:
        async with connected(env) as client:
            missing = await refused(client, "task_create")
            assert missing["error"] == "validation_error"
            assert missing["details"]["errors"][0]["field"] == "title"
            wrong = await refused(client, "task_create", title="X", priority="soon")
            assert wrong["details"]["errors"][0]["field"] == "priority"
            extra = await refused(client, "task_list", colour="red")
            assert "colour" in extra["message"]
            assert (await refused(client, "task_get"))["message"].endswith("has no task")
            unknown = await refused(client, "task_get", taskId="task_doesnotexist")
            assert unknown["error"] == "not_found" and "task_doesnotexist" in unknown["message"]
            gone = await refused(client, "session_wait", sessionIds=["sess_doesnotexist"])
            assert gone["error"] == "not_found"
            assert gone["details"]["sessionIds"] == ["sess_doesnotexist"]
            assert (await refused(client, "no_such_tool"))["error"] == "not_found"
            me = await call(client, "whoami")  # still answering
            assert me["session"]["id"] == env["MAESTRO_SESSION_ID"]

    run(scenario)
    assert server.api("GET", "tasks?limit=500")["items"] == before


def test_outside_a_session_acting_as_one_is_refused_and_the_rest_works(
    server: ServerProcess, project: str
) -> None:
    env = server.cli_env(MAESTRO_PROJECT_ID=project)

    async def scenario() -> None:
        async with connected(env) as client:
            assert (await call(client, "whoami"))["session"] is None
            assert (await refused(client, "report", kind="progress", message="x"))[
                "error"
            ] == "no_session"
            task = await call(client, "task_create", title="By hand")
            assert (await call(client, "task_next", claim=False))["task"]["id"] == task["id"]
            assert (await client.list_resources()).resources == []

    run(scenario)


def test_a_dead_or_refusing_server_is_a_tool_error_not_a_crash(
    server: ServerProcess, project: str, tmp_path: Path
) -> None:
    dead = {**session_env(server, project, tmp_path), "MAESTRO_RETRY_DELAY": "10ms"}
    dead["MAESTRO_URL"] = "http://127.0.0.1:1/"
    refusing = {**session_env(server, project, tmp_path), "MAESTRO_TOKEN": "wrong"}

    async def scenario() -> None:
        async with connected(dead) as client:
            for _ in range(2):
                failed = await refused(client, "task_list")
                assert failed["error"] == "connection_failed"
                assert "127.0.0.1:1" in failed["message"]
            assert len((await client.list_tools()).tools) == len(TOOL_NAMES)
        async with connected(refusing) as client:
            failed = await refused(client, "whoami")
            assert (
                failed["error"] in ("unauthorized", "forbidden")
                and "MAESTRO_TOKEN" in (failed["hint"])
            )

    run(scenario)


# -- the stream -------------------------------------------------------------------------------
# A library that prints (print and a raw write to fd 1) inside a tool call.
NOISY_SERVER = textwrap.dedent(
    """
    import dataclasses, os
    from maestro_cli.mcp import mcp, tools

    quiet = tools.TOOLS_BY_NAME["whoami"]

    def noisy(board, arguments):
        print("a library says hello")
        os.write(1, b"and writes to fd 1\\n")
        return quiet.run(board, arguments)

    tools.TOOLS_BY_NAME["whoami"] = dataclasses.replace(quiet, run=noisy)
    mcp.main(prog_name="maestro mcp")
    """
)


def test_nothing_but_json_rpc_reaches_stdout(server: ServerProcess, tmp_path: Path) -> None:
    env = {**server.cli_env(), "PYTHONPATH": str(REPO)}
    requests = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "test", "version": "1"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
        {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "whoami"}},
        {
            "jsonrpc": "2.0",
            "id": 4,
            "method": "tools/call",
            "params": {"name": "task_get", "arguments": {"taskId": 7}},
        },
        {"jsonrpc": "2.0", "id": 5, "method": "no/such/method"},
    ]
    process = subprocess.Popen(
        [sys.executable, "-c", NOISY_SERVER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
    )
    assert process.stdin is not None and process.stdout is not None
    lines = [json.dumps(request) for request in requests]
    lines.insert(-1, "not json")  # and the server answers what follows all the same
    process.stdin.write("".join(line + "\n" for line in lines))
    process.stdin.flush()
    messages = []
    while not {1, 2, 3, 4, 5} <= {message.get("id") for message in messages}:
        line = process.stdout.readline()  # a stray print would not parse here
        assert line, f"stdout ended early; stderr: {process.stderr.read()}"
        messages.append(json.loads(line))
    process.stdin.close()
    process.wait(timeout=30)
    stderr = process.stderr.read()
    assert all(message["jsonrpc"] == "2.0" for message in messages)
    answered = {message["id"]: message for message in messages if "id" in message}
    assert answered[3]["result"]["isError"] is False
    assert answered[4]["result"]["isError"] is True
    assert answered[5]["error"]["code"] == -32601  # method not found
    assert process.stdout.read() == ""
    assert "a library says hello" in stderr and "and writes to fd 1" in stderr


# -- for agents Maestro spawns and agents started by hand ---------------------------------------
def test_claude_gets_a_config_naming_maestro_mcp_with_the_session_env_for_the_user_only(
    server: ServerProcess, project: str, tmp_path: Path
) -> None:
    env = {**session_env(server, project, tmp_path), "PATH": "/usr/bin", "SECRET": "x"}
    arguments = claude_mcp_arguments(tmp_path, env)
    path = tmp_path / "mcp.json"
    assert arguments == ["--mcp-config", str(path), "--allowedTools", "mcp__maestro"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    config = json.loads(path.read_text())
    entry = config["mcpServers"]["maestro"]
    assert entry["args"][-1] == "mcp" and os.path.isabs(entry["command"])
    assert entry["env"] == {k: v for k, v in env.items() if k.startswith("MAESTRO_") and v}
    assert config == claude_mcp_config(env)


@pytest.mark.skipif("mcp" not in COMMANDS, reason="`maestro mcp` is registered by the lead")
def test_the_claude_config_starts_a_server_acting_as_the_session(
    server: ServerProcess, project: str, tmp_path: Path
) -> None:
    env = session_env(server, project, tmp_path)
    entry = claude_mcp_config(env)["mcpServers"]["maestro"]
    # As Claude Code starts it: the configured command, args and env over a plain environment.
    launched = {**isolated_env(tmp_path / "agent"), **entry["env"]}

    async def scenario() -> None:
        async with connected(launched, [entry["command"], *entry["args"]]) as client:
            me = await call(client, "whoami")
            assert me["session"]["id"] == env["MAESTRO_SESSION_ID"]

    run(scenario)


def test_codex_gets_maestro_mcp_with_the_session_variables_but_no_value_in_its_argv() -> None:
    env = {
        "MAESTRO_URL": "http://127.0.0.1:8888/",
        "MAESTRO_TOKEN": "s3cret",
        "MAESTRO_SESSION_ID": "sess_abc",
        "MAESTRO_TASK_IDS": "",
        "HOME": "/root",
    }
    overrides = codex_mcp_arguments(env)
    assert overrides[::2] == ["-c"] * (len(overrides) // 2)
    assert not any("s3cret" in item or "127.0.0.1" in item for item in overrides)
    table: dict[str, Any] = {}
    for item in overrides[1::2]:
        key, _, value = item.partition("=")
        assert key.startswith("mcp_servers.maestro.")
        table[key.removeprefix("mcp_servers.maestro.")] = tomllib.loads(f"v = {value}")["v"]
    assert table["args"][-1] == "mcp" and os.path.isabs(table["command"])
    assert table["env_vars"] == ["MAESTRO_URL", "MAESTRO_TOKEN", "MAESTRO_SESSION_ID"]


def test_the_help_shows_how_to_add_it_to_claude_code_codex_and_jupyter_ai() -> None:
    shown = CliRunner().invoke(mcp, ["--help"])
    assert shown.exit_code == 0
    assert "claude mcp add maestro -e MAESTRO_URL=URL -e MAESTRO_TOKEN=TOKEN -- maestro mcp" in (
        shown.output
    )
    assert '{"mcpServers": {"maestro": {"command": "maestro", "args": ["mcp"],' in shown.output
    assert "[mcp_servers.maestro]" in shown.output and 'args = ["mcp"]' in shown.output
    assert ".jupyter/mcp_settings.json" in shown.output
