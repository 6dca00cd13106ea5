"""A team board on a real JupyterHub: users a and b, each with a single-user server running this
checkout's Maestro, both on one PostgreSQL; everything reached through the Hub's proxy.

The tests run in order on one Hub: a task made on a's server reaches b live; a spawn on a's server
opens a tab in a's Lab only; a's agent reports through `/user/a/` with its own session token; that
token opens nothing else; once the session ends it opens nothing at all.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.http import ApiError
from harness.hub import Hub, HubUser
from tests.postgres_support import PostgresCluster, postgres_cluster

from .conftest import make_isolated_env
from .hub_support import EventsSocket, HubLab, log_in
from .lab import NEWS_PLUGIN
from .pages import LabPage, eventually

# The agent: keeps its session token and the names in its environment where the test can read
# them (only the agent is told the token), reports through the Hub's proxy (its MAESTRO_URL, set
# by the agent's env), then waits.
REPORTER_SCRIPT = (
    'out="$HUB_AGENT_DIR/$MAESTRO_SESSION_ID"; env | cut -d= -f1 > "$out.env";'
    ' printf "%s" "$MAESTRO_TOKEN" > "$out.token";'
    ' maestro report progress "Reported through the Hub" > "$out.report" 2>&1;'
    ' echo "exit $?" >> "$out.report"; sleep 600'
)


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresCluster]:
    with postgres_cluster() as cluster:
        yield cluster


def user_env(folder: Path) -> dict[str, str]:
    """A Lab user's isolated folders (this checkout's Lab build), without Lab's news toast."""
    env = make_isolated_env(folder)
    labconfig = Path(env["JUPYTER_CONFIG_DIR"]) / "labconfig"
    labconfig.mkdir(parents=True, exist_ok=True)
    (labconfig / "page_config.json").write_text(
        json.dumps({"disabledExtensions": {NEWS_PLUGIN: True}})
    )
    return env


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory, postgres: PostgresCluster) -> Iterator[Hub]:
    root = tmp_path_factory.mktemp("hub")

    def user_config(name: str) -> dict[str, Any]:
        agent_dir = hub.user_root(name) / "agent"
        agent_dir.mkdir(parents=True, exist_ok=True)
        return {
            "LabApp": {"expose_app_in_browser": True},
            "Maestro": {
                "agents": {
                    "reporter": {
                        "argv": ["sh", "-c", REPORTER_SCRIPT],
                        "env": {
                            "MAESTRO_URL": f"{hub.url}user/{name}/",
                            "HUB_AGENT_DIR": str(agent_dir),
                        },
                    }
                },
                "default_agent": "reporter",
            },
        }

    hub = Hub(root, db_url=postgres.url, user_env=user_env, user_config=user_config)
    try:
        yield hub.start()
    finally:
        hub.stop()


@pytest.fixture(scope="module")
def users(hub: Hub) -> dict[str, HubUser]:
    return hub.start_users("a", "b")


@pytest.fixture(scope="module")
def labs(hub: Hub, users: dict[str, HubUser], browser: Any) -> Iterator[dict[str, LabPage]]:
    """a's and b's Lab in Chromium, each in its own profile, logged in through the Hub's form."""
    contexts = []
    try:
        labs = {}
        for name, user in users.items():
            contexts.append(browser.new_context(viewport={"width": 1400, "height": 860}))
            contexts[-1].set_default_timeout(30_000)
            page = contexts[-1].new_page()
            log_in(page, hub, name)
            labs[name] = LabPage(page, HubLab(user)).open(f"hub-{name}")
            labs[name].wait_until_live()
        yield labs
    finally:
        for context in contexts:
            context.close()


@pytest.fixture(scope="module")
def spawned(users: dict[str, HubUser], labs: dict[str, LabPage]) -> dict[str, Any]:
    """A session spawned on a's server (both Labs open and live first)."""
    a = users["a"]
    task = a.api("POST", "tasks", {"title": "Port the parser"})
    return a.api(
        "POST",
        "sessions/spawn",
        {"taskIds": [task["id"]], "agent": "reporter", "name": "parser-porter"},
    )


def agent_output(user: HubUser, session_id: str, suffix: str) -> str:
    path = user.root / "agent" / f"{session_id}.{suffix}"
    return path.read_text() if path.exists() else ""


def session_token(user: HubUser, session_id: str) -> str:
    return eventually(lambda: agent_output(user, session_id, "token"), timeout=30)


def test_each_server_says_whose_it_is(users: dict[str, HubUser]) -> None:
    a, b = (users["a"].api("GET", "status"), users["b"].api("GET", "status"))
    assert a["server"]["user"] == "a" and b["server"]["user"] == "b"
    assert a["server"]["id"] != b["server"]["id"]
    assert a["you"] == {"kind": "user", "name": "a", "sessionId": None, "role": None}
    assert a["store"]["dialect"] == b["store"]["dialect"] == "postgresql"


def test_a_task_made_on_a_server_appears_live_on_b_board(
    users: dict[str, HubUser], labs: dict[str, LabPage]
) -> None:
    a, b = users["a"], users["b"]
    events = EventsSocket(b, since=b.api("GET", "status")["lastSeq"])
    try:
        task = a.api("POST", "tasks", {"title": "Shared across the team"})
        event = events.next_matching(
            lambda e: e["event"] == "task:created" and e["data"]["id"] == task["id"]
        )
    finally:
        events.close()
    assert event["actor"] == "a"
    assert event["data"]["createdBy"] == "a"
    labs["b"].task_card("Shared across the team").wait_for()


def test_a_spawn_opens_a_tab_in_the_owner_lab_only(
    users: dict[str, HubUser], labs: dict[str, LabPage], spawned: dict[str, Any]
) -> None:
    a, b = users["a"], users["b"]
    session_id = spawned["id"]
    assert spawned["owner"] == {"user": "a", "server": a.api("GET", "status")["server"]["id"]}
    assert b.api("GET", f"sessions/{session_id}")["owner"] == spawned["owner"]

    labs["a"].session_tab(session_id).wait_for(state="visible")
    assert labs["a"].terminal_names_of_session_tabs(session_id) == [f"maestro_{session_id}"]

    lab_b = labs["b"]
    row = lab_b.page.locator(f'#maestro-panel .maestro-Session[data-session-id="{session_id}"]')
    row.first.wait_for()
    assert "a's server" in row.first.inner_text()
    assert row.first.locator('[title*="runs on a\'s server"]').count() >= 1
    for action in ("Open", "Stop", "Send…", "Resume", "Review"):
        assert row.first.get_by_role("button", name=action, exact=True).count() == 0
    # b's Lab had the spawn's events before it drew the row: a tab would be open by now.
    lab_b.page.wait_for_timeout(1500)
    assert lab_b.terminal_names_of_session_tabs(session_id) == []
    assert lab_b.session_tab(session_id).count() == 0


def test_the_agent_reports_through_the_hub_proxy_with_its_session_token(
    users: dict[str, HubUser], spawned: dict[str, Any]
) -> None:
    a = users["a"]
    session_id = spawned["id"]
    token = session_token(a, session_id)
    assert token.startswith("mst_") and token != a.token
    report = eventually(lambda: "exit" in agent_output(a, session_id, "report"), timeout=30)
    assert report and agent_output(a, session_id, "report").endswith("exit 0\n"), agent_output(
        a, session_id, "report"
    )

    timeline = a.api("GET", f"tasks/{spawned['taskIds'][0]}/timeline")["items"]
    [entry] = [item for item in timeline if item["message"] == "Reported through the Hub"]
    assert entry["sessionId"] == session_id and entry["actor"] == session_id
    assert a.api("GET", "status", token=token)["you"] == {
        "kind": "session",
        "name": session_id,
        "sessionId": session_id,
        "role": "worker",
    }


def test_the_agent_holds_no_token_but_its_own(
    users: dict[str, HubUser], spawned: dict[str, Any]
) -> None:
    """The single-user server's own Hub token (in its environment, which terminals inherit)
    opens all of Jupyter: the agent must not be handed it."""
    a = users["a"]
    session_token(a, spawned["id"])
    names = set(agent_output(a, spawned["id"], "env").split())
    assert "MAESTRO_TOKEN" in names
    assert not names & {"JUPYTERHUB_API_TOKEN", "JPY_API_TOKEN", "JUPYTER_TOKEN"}


def test_the_session_token_opens_neither_jupyter_nor_b_server(
    users: dict[str, HubUser], spawned: dict[str, Any]
) -> None:
    a, b = users["a"], users["b"]
    token = session_token(a, spawned["id"])

    with pytest.raises(ApiError) as jupyter:
        a.call("GET", "api/contents", token=token)
    assert jupyter.value.status in (401, 403)

    with pytest.raises(ApiError) as foreign:
        b.api("GET", "tasks", token=token)
    assert foreign.value.status == 403 and foreign.value.body["error"] == "foreign_token"


def test_after_the_session_ends_its_token_is_refused(
    users: dict[str, HubUser], spawned: dict[str, Any]
) -> None:
    a = users["a"]
    session_id = spawned["id"]
    token = session_token(a, session_id)

    a.api("POST", f"sessions/{session_id}/stop", {})

    with pytest.raises(ApiError) as revoked:
        a.api("GET", "status", token=token)
    assert revoked.value.status == 401 and revoked.value.body["error"] == "token_revoked"
    assert session_id in revoked.value.body["message"]


def test_a_worker_asked_of_b_server_is_b_server_session(users: dict[str, HubUser]) -> None:
    """docs/jupyterhub.md: no spawn is forwarded; a's orchestrator asks b's server itself, with
    a token b gave (here b's Hub token), and the worker is then b's server's to stop. The
    default project's folder is a's home, so the spawn names a folder on b's server."""
    a, b = users["a"], users["b"]
    task = a.api("POST", "tasks", {"title": "Build on b's node"})
    worker = b.api(
        "POST",
        "sessions/spawn",
        {"taskIds": [task["id"]], "agent": "reporter", "cwd": str(b.home)},
    )
    assert worker["owner"]["user"] == "b"
    assert a.api("GET", f"sessions/{worker['id']}")["owner"] == worker["owner"]

    with pytest.raises(ApiError) as elsewhere:
        a.api("POST", f"sessions/{worker['id']}/stop", {})
    assert elsewhere.value.status == 409 and elsewhere.value.body["error"] == "session_elsewhere"
    assert elsewhere.value.body["details"]["owner"] == worker["owner"]

    assert b.api("POST", f"sessions/{worker['id']}/stop", {})["status"] == "stopped"
