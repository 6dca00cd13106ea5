"""Every spawned agent holds a token of its own: minted when its session starts, stored hashed,
handed over as MAESTRO_TOKEN, revoked however the session ends, valid on Maestro's routes of
its own server only. Sessions run on one server: another server refuses to act on them."""

from __future__ import annotations

import asyncio
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from tornado.httpclient import HTTPClientError

from maestro_jupyter.spawner.owner import owner_user
from maestro_jupyter.store import schema as t
from tests.spawn.conftest import (
    recorder,
    script,
    wait_for_file,
    wait_for_record,
    wait_for_status,
)

pytestmark = pytest.mark.timeout(120)
REPO = Path(__file__).resolve().parent.parent
# The real CLI inside a spawned terminal, from this checkout: it reports, completes its task,
# then tries to delete it, and writes each exit code and stderr to the records folder ($1).
CLI_SCRIPT = """
m() { "$PYTHON" -m maestro_cli "$@"; }
m report progress "halfway there" 2> "$1/progress.err"; echo $? > "$1/progress.code"
m task complete -m "done in the session" 2> "$1/complete.err"; echo $? > "$1/complete.code"
m task delete "$MAESTRO_TASK_IDS" 2> "$1/delete.err"; echo $? > "$1/delete.code"
touch "$1/finished"
exec sleep 300
"""


@pytest.fixture
def records(tmp_path: Path) -> Path:
    folder = tmp_path / "records"
    folder.mkdir()
    return folder


@pytest.fixture
def maestro_config(records: Path) -> dict[str, Any]:
    return {
        "default_agent": "sleeper",
        "agents": {
            "sleeper": recorder(records, "--sleep", "300"),
            "quick": recorder(records),
            "fail": recorder(records, "--code", "3"),
            "mcp": {
                "argv": [
                    sys.executable,
                    str(REPO / "tests/spawn/agents/record_env.py"),
                    "--out",
                    str(records),
                    "--sleep",
                    "300",
                    "--",
                    "{claude_mcp}",
                    "{codex_mcp}",
                ],
            },
            "cli": {
                **script(records, CLI_SCRIPT),
                "env": {"PYTHON": sys.executable, "PYTHONPATH": str(REPO)},
            },
            "resumable": {
                "argv": [*recorder(records, "--sleep", "300")["argv"], "{claude_session_id}"],
                "resume": [*recorder(records, "--sleep", "300")["argv"], "{agent_session_id}"],
            },
            # Its exec fails (E2BIG) once its session is recorded and its token minted.
            "oversized": {"argv": ["/bin/true", "x" * 200_000]},
        },
    }


@pytest.fixture
def spawner(jp_serverapp: Any) -> Any:
    spawner = jp_serverapp.web_app.settings["maestro_spawner"]
    spawner.poll_interval = 0.05
    spawner.stop_timeout = 2.0
    return spawner


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"token {token}"}


def token_rows(store: Any, session_id: str) -> list[Any]:
    with store.connection() as conn:
        query = select(t.session_tokens).where(t.session_tokens.c.session_id == session_id)
        return conn.execute(query).all()


async def spawn(api: Any, **body: Any) -> dict[str, Any]:
    task = (await api("POST", "tasks", {"title": "Write the parser"})).json
    reply = await api("POST", "sessions/spawn", {"taskIds": [task["id"]], **body})
    assert reply.status == 201, reply
    return reply.json


async def spawned_token(api: Any, records: Path, **body: Any) -> tuple[dict[str, Any], str]:
    """A spawned session and the token its agent found in its environment."""
    session = await spawn(api, **body)
    record = await wait_for_record(records, session["id"])
    return session, record["env"]["MAESTRO_TOKEN"]


async def test_a_spawned_agent_holds_its_own_token_and_only_its_hash_is_stored(
    api, jp_serverapp, records, spawner, store
):
    session, token = await spawned_token(api, records)
    assert token.startswith("mst_") and len(token) >= 40
    assert token != jp_serverapp.identity_provider.token
    (row,) = token_rows(store, session["id"])
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in json.dumps([str(value) for value in row])
    assert row.role == "worker" and row.server == spawner.server_id and row.revoked_at is None

    mine = await api("GET", f"sessions/{session['id']}", headers=bearer(token))
    assert mine.status == 200 and mine.json["id"] == session["id"]
    status = (await api("GET", "status", headers=bearer(token))).json
    assert status["you"] == {
        "kind": "session",
        "name": session["id"],
        "sessionId": session["id"],
        "role": "worker",
    }
    assert status["server"] == {"id": spawner.server_id, "user": owner_user()}


async def test_the_servers_own_hub_tokens_never_reach_the_agent(api, records, monkeypatch):
    # A JupyterHub single-user server has its Hub token in its environment; terminals inherit it.
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "hub-token-of-the-server")
    monkeypatch.setenv("JPY_API_TOKEN", "hub-token-of-the-server")
    session, token = await spawned_token(api, records)
    env = (await wait_for_record(records, session["id"]))["env"]
    assert token.startswith("mst_")
    assert "JUPYTERHUB_API_TOKEN" not in env and "JPY_API_TOKEN" not in env


async def test_a_person_is_the_servers_owner_in_status(api, spawner):
    status = (await api("GET", "status")).json
    assert status["you"] == {"kind": "user", "name": owner_user(), "sessionId": None, "role": None}
    assert status["server"]["id"] == spawner.server_id


async def test_the_mcp_configuration_passes_the_sessions_token(api, records, maestro_home):
    session, token = await spawned_token(api, records, agent="mcp")
    record = await wait_for_record(records, session["id"])
    claude = json.loads((maestro_home / "sessions" / session["id"] / "mcp.json").read_text())
    assert claude["mcpServers"]["maestro"]["env"]["MAESTRO_TOKEN"] == token
    codex = [arg for arg in record["args"] if arg.startswith("mcp_servers.maestro.env_vars=")]
    assert "MAESTRO_TOKEN" in json.loads(codex[0].partition("=")[2])
    assert token not in " ".join(record["args"])  # never on a command line


async def test_an_orchestrator_gets_an_orchestrator_token(api, records, store):
    session, token = await spawned_token(api, records, role="orchestrator")
    assert token_rows(store, session["id"])[0].role == "orchestrator"
    child = await api("POST", "sessions/spawn", {"agent": "quick"}, headers=bearer(token))
    assert child.status == 201, child
    assert child.json["parentSessionId"] == session["id"]  # its spawn is its child


@pytest.mark.parametrize(
    ("agent", "status"), [("quick", "completed"), ("fail", "failed")], ids=["exit-0", "exit-3"]
)
async def test_the_agents_exit_revokes_its_token(api, records, spawner, store, agent, status):
    session, token = await spawned_token(api, records, agent=agent)
    await wait_for_status(api, session["id"], status)
    assert token_rows(store, session["id"])[0].revoked_at is not None
    refused = await api("GET", "tasks", headers=bearer(token))
    assert refused.status == 401
    assert refused.json == {
        "error": "token_revoked",
        "message": f"Session {session['id']} ended; its token was revoked.",
        "details": {"sessionId": session["id"]},
    }


async def test_a_stop_revokes_the_token(api, records, spawner, store):
    session, token = await spawned_token(api, records)
    assert (await api("GET", "tasks", headers=bearer(token))).status == 200
    assert (await api("POST", f"sessions/{session['id']}/stop")).status == 200
    assert (await api("GET", "tasks", headers=bearer(token))).json["error"] == "token_revoked"


async def test_a_session_ended_in_the_store_has_its_token_revoked_in_that_transaction(
    api, records, spawner, store
):
    session, token = await spawned_token(api, records)
    store.update_session(session["id"], status="failed")
    assert token_rows(store, session["id"])[0].revoked_at is not None
    assert (await api("GET", "tasks", headers=bearer(token))).status == 401


async def test_a_failed_start_revokes_the_token_it_minted(api, spawner, store):
    task = (await api("POST", "tasks", {"title": "t"})).json
    reply = await api("POST", "sessions/spawn", {"taskIds": [task["id"]], "agent": "oversized"})
    assert reply.status == 500 and reply.json["error"] == "spawn_failed", reply
    session_id = reply.json["details"]["sessionId"]
    assert (await api("GET", f"sessions/{session_id}")).json["status"] == "failed"
    (row,) = token_rows(store, session_id)
    assert row.revoked_at is not None


async def test_a_deleted_session_takes_its_token_with_it(api, records, spawner, store):
    session, token = await spawned_token(api, records)
    assert (await api("DELETE", f"sessions/{session['id']}")).status == 204
    assert token_rows(store, session["id"]) == []
    gone = await api("GET", "tasks", headers=bearer(token))
    assert gone.status == 401 and gone.json["error"] == "unauthorized"


async def test_a_resumed_session_gets_a_new_token(api, records, spawner, store):
    first, old = await spawned_token(api, records, agent="resumable")
    await api("POST", f"sessions/{first['id']}/stop")
    resumed = await api("POST", f"sessions/{first['id']}/resume")
    assert resumed.status == 201, resumed
    record = await wait_for_record(records, resumed.json["id"])
    new = record["env"]["MAESTRO_TOKEN"]
    assert new.startswith("mst_") and new != old
    assert (await api("GET", "tasks", headers=bearer(new))).status == 200
    assert (await api("GET", "tasks", headers=bearer(old))).status == 401


async def test_an_unknown_session_token_is_unauthorized(api):
    refused = await api("GET", "tasks", headers=bearer("mst_" + "x" * 43))
    assert refused.status == 401 and refused.json["error"] == "unauthorized"


async def test_a_token_of_another_servers_session_is_foreign(api, store):
    session = store.create_session([], "shell", status="running", owner_server="elsewhere:9/")
    token = store.issue_session_token(session["id"], "worker", "elsewhere:9/")
    refused = await api("GET", "tasks", headers=bearer(token))
    assert refused.status == 403 and refused.json["error"] == "foreign_token"
    assert refused.json["details"] == {"sessionId": session["id"], "server": "elsewhere:9/"}


async def test_jupyters_own_apis_refuse_a_session_token(api, jp_fetch, records, spawner):
    _, token = await spawned_token(api, records)
    for path in (("api", "contents"), ("api", "kernels"), ("api", "terminals")):
        for method, body in (("GET", None), ("POST", b"{}")):
            response = await jp_fetch(
                *path, method=method, body=body, headers=bearer(token), raise_error=False
            )
            assert response.code in (401, 403), (path, method, response.code)
        # The server's own token keeps working there, and on Maestro's routes.
        assert (await jp_fetch(*path)).code == 200
    assert (await api("GET", "tasks")).status == 200


async def test_the_events_socket_takes_a_session_token_in_the_query(
    api, jp_ws_fetch, records, spawner
):
    session, token = await spawned_token(api, records)
    ws = await jp_ws_fetch(
        "maestro", "api", "events", headers={"Authorization": ""}, params={"token": token}
    )
    first = json.loads(await ws.read_message())
    assert first["seq"] == 1
    ws.close()
    await api("POST", f"sessions/{session['id']}/stop")
    with pytest.raises(HTTPClientError) as refused:
        await jp_ws_fetch(
            "maestro", "api", "events", headers={"Authorization": ""}, params={"token": token}
        )
    assert refused.value.code == 401


async def test_an_open_events_socket_closes_when_its_session_ends(
    api, jp_ws_fetch, records, spawner
):
    session, token = await spawned_token(api, records)
    ws = await jp_ws_fetch(
        "maestro", "api", "events", headers={"Authorization": ""}, params={"token": token}
    )
    await api("POST", f"sessions/{session['id']}/stop")
    messages = []
    while (message := await asyncio.wait_for(ws.read_message(), 10)) is not None:
        messages.append(json.loads(message))
    ended = [m for m in messages if m.get("event") == "session:updated"][-1]
    assert ended["data"]["id"] == session["id"] and ended["data"]["status"] == "stopped"
    assert messages[-1]["type"] == "error" and messages[-1]["error"] == "token_revoked"
    assert ws.close_code == 1008


async def test_the_cli_in_a_spawned_session_works_with_its_token_within_its_role(
    api, records, spawner, store
):
    session = await spawn(api, agent="cli")
    await wait_for_file(records / "finished", timeout=60)
    codes = {
        name: (records / f"{name}.code").read_text().strip()
        for name in ("progress", "complete", "delete")
    }
    assert codes["progress"] == "0", (records / "progress.err").read_text()
    assert codes["complete"] == "0", (records / "complete.err").read_text()
    (task_id,) = session["taskIds"]
    task = (await api("GET", f"tasks/{task_id}")).json
    assert task["status"] == "completed"
    timeline = (await api("GET", f"tasks/{task_id}/timeline")).json["items"]
    assert any(entry["message"] == "halfway there" for entry in timeline)

    assert codes["delete"] == "1"
    refusal = (records / "delete.err").read_text().strip().splitlines()
    assert len(refusal) == 1 and "may not DELETE tasks/{task_id}" in refusal[0], refusal
    assert (await api("GET", f"tasks/{task_id}")).status == 200  # still there


# -- sessions belong to the server that runs them -----------------------------------------------
@pytest.fixture
def foreign(store: Any) -> dict[str, Any]:
    """A live session that another user's server runs."""
    return store.create_session(
        [], "shell", status="running", owner_user="bob", owner_server="other-host:8888/"
    )


@pytest.mark.parametrize(
    ("path", "body"),
    [("stop", {}), ("input", {"text": "hello"}), ("merge", {}), ("discard", {})],
)
async def test_a_session_of_another_server_is_left_to_it(api, spawner, store, foreign, path, body):
    before = store.last_seq()
    reply = await api("POST", f"sessions/{foreign['id']}/{path}", body)
    assert reply.status == 409, reply
    assert reply.json["error"] == "session_elsewhere"
    assert reply.json["details"]["owner"] == {"user": "bob", "server": "other-host:8888/"}
    assert "bob's server" in reply.json["message"]
    assert store.last_seq() == before
    assert (await api("GET", f"sessions/{foreign['id']}")).json["status"] == "running"


async def test_an_ended_session_of_another_server_is_resumed_there_only(api, spawner, store):
    ended = store.create_session(
        [],
        "resumable",
        status="running",
        owner_user="bob",
        owner_server="other-host:8888/",
        agent_session_id="conversation-1",
    )
    store.end_session(ended["id"], "stopped")
    reply = await api("POST", f"sessions/{ended['id']}/resume")
    assert reply.status == 409 and reply.json["error"] == "session_elsewhere"


async def test_tokens_are_not_exported_and_an_import_that_ends_a_session_revokes_its_own(
    api, spawner, store
):
    session = store.create_session([], "shell", status="running", owner_server=spawner.server_id)
    token = store.issue_session_token(session["id"], "worker", spawner.server_id)
    export = (await api("GET", "export")).json
    assert token not in json.dumps(export)
    assert not [key for item in export["sessions"] for key in item if "token" in key.lower()]
    (item,) = [item for item in export["sessions"] if item["id"] == session["id"]]
    item["status"] = "stopped"
    imported = await api("POST", "import", export, params={"onConflict": "overwrite"})
    assert imported.status == 200, imported
    assert (await api("GET", "tasks", headers=bearer(token))).json["error"] == "token_revoked"


async def test_a_session_token_request_is_token_authenticated_as_jupyters_token_is(
    api, records, spawner
):
    session, token = await spawned_token(api, records)
    # No XSRF cookie, and an Origin of another site: as for a script with Jupyter's own token.
    headers = {**bearer(token), "Origin": "http://elsewhere.example"}
    reply = await api(
        "POST",
        f"sessions/{session['id']}/report",
        {"kind": "progress", "message": "from a script"},
        headers=headers,
    )
    assert reply.status == 200, reply
    assert reply.headers.get("Access-Control-Allow-Origin") == "http://elsewhere.example"
