"""`maestro_jupyter.client`: discovery, settings, the errors of `maestro_jupyter.errors`, retries
deduplicated by Idempotency-Key, and waits that honour the server's Retry-After."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from itertools import pairwise
from pathlib import Path

import pytest

from harness import FailingProxy, ServerProcess, free_port, maestro_error_proxy
from maestro_jupyter import client as mc
from maestro_jupyter import errors
from tests.cli_support import maestro_server  # noqa: F401

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(autouse=True)
def clean_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("MAESTRO_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("MAESTRO_HOME", str(tmp_path / "maestro-home"))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    monkeypatch.chdir(tmp_path)


def write_runtime_file(runtime: Path, pid: int, **info: object) -> Path:
    runtime.mkdir(parents=True, exist_ok=True)
    path = runtime / f"jpserver-{pid}.json"
    path.write_text(json.dumps({"pid": pid, "base_url": "/", "token": "", **info}))
    return path


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


# -- discovery -----------------------------------------------------------------------------------


def test_flags_win_over_environment_and_config() -> None:
    mc.save_config({"url": "http://config:1/", "token": "from-config"})
    env = {"MAESTRO_URL": "http://env:2/", "MAESTRO_TOKEN": "from-env"}
    found = mc.discover("http://flag:3", "from-flag", environ=env)
    assert (found.url, found.token, found.source) == ("http://flag:3/", "from-flag", "--server")
    found = mc.discover(environ=env)
    assert (found.url, found.token, found.source) == ("http://env:2/", "from-env", "environment")
    found = mc.discover(environ={})
    assert (found.url, found.token) == ("http://config:1/", "from-config")
    assert found.source.startswith("config ")


def test_a_token_is_taken_from_the_next_source_when_the_url_comes_alone() -> None:
    found = mc.discover("http://flag:3/", environ={"MAESTRO_TOKEN": "from-env"})
    assert found.token == "from-env"


def test_api_urls_are_accepted_and_cut_back_to_the_base_url() -> None:
    found = mc.discover(environ={"MAESTRO_API_URL": "http://hub/user/ann/maestro/api"})
    assert found.url == "http://hub/user/ann/"
    assert found.api_url == "http://hub/user/ann/maestro/api/"
    assert mc.normalize_url("127.0.0.1:8888") == "http://127.0.0.1:8888/"


def test_running_servers_are_found_from_runtime_files(tmp_path: Path) -> None:
    runtime = tmp_path / "runtime"
    write_runtime_file(
        runtime, os.getpid(), url="http://127.0.0.1:9999/user/ann/", base_url="/user/ann/",
        token="abc", root_dir="/",
    )  # fmt: skip
    found = mc.discover(environ={})
    assert (found.url, found.token) == ("http://127.0.0.1:9999/user/ann/", "abc")
    assert found.source.startswith("runtime file ")


def test_runtime_files_of_dead_servers_and_unix_sockets_are_ignored(tmp_path: Path) -> None:
    runtime = tmp_path / "runtime"
    write_runtime_file(runtime, dead_pid(), url="http://127.0.0.1:1111/", token="dead")
    write_runtime_file(runtime, 1, url="http://127.0.0.1:2222/", sock="/tmp/jp.sock")
    with pytest.raises(errors.ServerNotFound, match="no running Jupyter server"):
        mc.discover(environ={})


def test_a_base_url_missing_from_the_runtime_url_is_added(tmp_path: Path) -> None:
    write_runtime_file(
        tmp_path / "runtime", os.getpid(), url="http://127.0.0.1:9999/", base_url="/user/bob/"
    )
    assert mc.running_servers()[0].url == "http://127.0.0.1:9999/user/bob/"


def test_the_server_whose_root_holds_the_current_folder_comes_first(tmp_path: Path) -> None:
    runtime = tmp_path / "runtime"
    elsewhere = write_runtime_file(
        runtime, os.getpid(), url="http://127.0.0.1:1/", root_dir="/nowhere"
    )
    write_runtime_file(runtime, 1, url="http://127.0.0.1:2/", root_dir=str(tmp_path))
    os.utime(elsewhere, (time.time() + 60, time.time() + 60))  # the newer file
    assert [s.url for s in mc.running_servers()] == ["http://127.0.0.1:2/", "http://127.0.0.1:1/"]


def test_a_url_without_token_takes_the_token_of_the_running_server_at_that_url(
    tmp_path: Path,
) -> None:
    write_runtime_file(
        tmp_path / "runtime", os.getpid(), url="http://127.0.0.1:9999/", token="runtime-token"
    )
    found = mc.discover(environ={"MAESTRO_URL": "http://127.0.0.1:9999"})
    assert found.token == "runtime-token" and found.source == "environment"


def test_session_env_reads_what_spawned_terminals_carry() -> None:
    env = mc.session_env(
        {
            "MAESTRO_SESSION_ID": "sess_1",
            "MAESTRO_TASK_IDS": "task_a, task_b,",
            "MAESTRO_PROJECT_ID": "proj_default",
            "MAESTRO_ROLE": "orchestrator",
            "MAESTRO_BRIEF": "/x/brief.md",
        }
    )
    assert env.task_ids == ("task_a", "task_b") and env.role == "orchestrator" and env.active
    assert not mc.session_env({}).active


def test_retry_settings_come_from_the_environment_then_the_config_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MAESTRO_URL", "http://127.0.0.1:1/")
    mc.save_config({"retries": 7, "retry_delay": "2s", "timeout": "1500ms"})
    client = mc.MaestroClient.from_environment()
    assert (client.retries, client.retry_delay, client.timeout) == (7, 2.0, 1.5)
    monkeypatch.setenv("MAESTRO_RETRIES", "5")
    monkeypatch.setenv("MAESTRO_RETRY_DELAY", "0.25")
    client = mc.MaestroClient.from_environment()
    assert (client.retries, client.retry_delay) == (5, 0.25)
    monkeypatch.setenv("MAESTRO_RETRIES", "lots")
    with pytest.raises(mc.InvalidSetting, match="MAESTRO_RETRIES"):
        mc.MaestroClient.from_environment()


@pytest.mark.parametrize(
    ("written", "seconds"),
    [
        ("500ms", 0.5), ("2s", 2.0), ("0.3", 0.3), (" 1.5 S ", 1.5), ("250 ms", 0.25), (1, 1.0),
        ("5m", 300.0), ("1h", 3600.0),
    ],
)  # fmt: skip
def test_a_duration_takes_explicit_units_and_a_bare_number_is_seconds(
    written: object, seconds: float
) -> None:
    assert mc.parse_duration(written, "MAESTRO_RETRY_DELAY", bare_limit=100) == seconds


@pytest.mark.parametrize("written", ["1000", 1000, "100"])
def test_a_bare_retry_delay_of_100_or_more_is_refused_as_surely_milliseconds(
    written: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The original Maestro's delays were milliseconds: `1000` must not wait 16 minutes."""
    monkeypatch.setenv("MAESTRO_RETRY_DELAY", str(written))
    with pytest.raises(mc.InvalidSetting) as refused:
        mc.RetrySettings.load()
    assert f"write {written}ms for milliseconds" in refused.value.message.lower()
    assert mc.RetrySettings.load({"MAESTRO_RETRY_DELAY": f"{written}ms"}).retry_delay == (
        int(written) / 1000
    )


@pytest.mark.parametrize("written", ["soon", "-1s", "1w", "", "ms", True, [1]])
def test_a_duration_that_is_not_one_is_refused(written: object) -> None:
    with pytest.raises(mc.InvalidSetting, match="MAESTRO_TIMEOUT"):
        mc.parse_duration(written, "MAESTRO_TIMEOUT")


def test_retry_after_is_read_as_seconds_or_a_date_and_honoured_up_to_the_cap() -> None:
    from email.utils import formatdate

    assert mc.retry_after_seconds("2") == 2.0
    assert mc.retry_after_seconds(None) is None and mc.retry_after_seconds("later") is None
    in_a_minute = mc.retry_after_seconds(formatdate(time.time() + 60, usegmt=True))
    assert in_a_minute is not None and 50 < in_a_minute <= 60
    for _ in range(20):
        assert 2.0 <= mc.honoured_wait(0.1, 2.0) <= 2.5  # the server's word, not the backoff
        assert mc.honoured_wait(0.1, 3600) == mc.MAX_RETRY_DELAY
        assert mc.honoured_wait(0.1, None) == 0.1


def test_retry_delays_grow_exponentially_with_jitter_and_a_cap() -> None:
    for _ in range(20):
        delays = list(mc.retry_delays(4, 0.5))
        assert len(delays) == 4
        for delay, full in zip(delays, [0.5, 1.0, 2.0, 4.0], strict=True):
            assert full / 2 <= delay <= full
    assert max(mc.retry_delays(12, 1.0)) <= mc.MAX_RETRY_DELAY
    assert list(mc.retry_delays(0, 1.0)) == []


def test_a_malformed_server_url_is_bad_input() -> None:
    broken = mc.MaestroClient(mc.ServerInfo("http://127.0.0.1:port/"), retries=0)
    with pytest.raises(mc.InvalidSetting, match="not a valid server URL"):
        broken.status()


# -- against a real server -----------------------------------------------------------------------


@pytest.fixture
def client(maestro_server: ServerProcess) -> mc.MaestroClient:  # noqa: F811
    return mc.MaestroClient(
        mc.ServerInfo(maestro_server.url, maestro_server.token), retry_delay=0.01
    )


def test_resources_round_trip(client: mc.MaestroClient) -> None:
    task = client.create_task("Client task", subtasks=[{"title": "one"}], priority="high")
    assert client.get_task(task["id"])["subtasks"][0]["title"] == "one"
    subtasks = client.create_subtasks(task["id"], [{"title": "two"}, {"title": "three"}])
    assert [s["title"] for s in subtasks] == ["two", "three"]
    assert len(client.list_subtasks(task["id"])) == 3
    entry = client.add_timeline(task["id"], "progress", "halfway")
    assert client.list_timeline(task["id"])[-1]["id"] == entry["id"]
    assert client.update_task(task["id"], {"status": "in_progress"})["status"] == "in_progress"
    assert client.complete_task(task["id"], "done")["status"] == "completed"
    assert client.status()["store"]["dialect"] == "sqlite"


def test_one_client_can_be_shared_by_threads(client: mc.MaestroClient) -> None:
    from concurrent.futures import ThreadPoolExecutor

    marker = f"threaded-{time.monotonic_ns()}"
    with ThreadPoolExecutor(max_workers=8) as pool:
        created = list(pool.map(lambda n: client.create_task(f"{marker} {n}"), range(24)))
    assert len({task["id"] for task in created}) == 24
    assert len(client.list_tasks(q=marker)) == 24


def test_pagination_follows_next_cursor(client: mc.MaestroClient) -> None:
    marker = f"paged-{time.monotonic_ns()}"
    for n in range(5):
        client.create_task(f"{marker} {n}")
    pages = list(client.paginate("tasks", q=marker, page_size=2))
    assert sorted(t["title"] for t in pages) == [f"{marker} {n}" for n in range(5)]
    assert len(client.list_tasks(q=marker, limit=3)) == 3


def test_server_errors_are_raised_as_the_one_error_hierarchy(client: mc.MaestroClient) -> None:
    with pytest.raises(errors.NotFound) as missing:
        client.get_task("task_doesnotexist")
    assert missing.value.status == 404 and missing.value.code == "not_found"

    with pytest.raises(errors.ValidationFailed) as invalid:
        client.create_task("")
    assert invalid.value.details["errors"][0]["field"] == "title"

    task = client.create_task("Versioned")
    client.update_task(task["id"], {"title": "moved"})
    with pytest.raises(errors.VersionMismatch) as stale:
        client.update_task(task["id"], {"title": "mine"}, version=task["version"])
    assert stale.value.status == 412

    client.create_task("Child", parentId=task["id"])
    with pytest.raises(errors.Conflict):
        client.delete_task(task["id"])
    client.delete_task(task["id"], recursive=True)


def test_a_wrong_token_is_refused_without_cli_hints(maestro_server: ServerProcess) -> None:  # noqa: F811
    wrong = mc.MaestroClient(mc.ServerInfo(maestro_server.url, "wrong"), retries=0)
    with pytest.raises((errors.Unauthorized, errors.Forbidden)) as refused:
        wrong.status()
    status = refused.value.status
    assert refused.value.message == f"{maestro_server.url} refused the token (HTTP {status})"


def test_a_server_without_maestro_says_so(maestro_server: ServerProcess) -> None:  # noqa: F811
    token = maestro_server.token
    elsewhere = mc.MaestroClient(mc.ServerInfo(maestro_server.url + "nothing/", token), retries=0)
    with pytest.raises(errors.NotFound, match="no Maestro API at"):
        elsewhere.status()
    to_login = mc.MaestroClient(mc.ServerInfo(maestro_server.url + "nothing/", "x"), retries=0)
    with pytest.raises(errors.MaestroError, match="redirected to .*login") as redirected:
        to_login.status()
    assert redirected.value.code == "unexpected_redirect"


def test_a_down_server_raises_connection_failed_after_the_retries() -> None:
    down = mc.MaestroClient(
        mc.ServerInfo(f"http://127.0.0.1:{free_port()}/"), retries=3, retry_delay=0.01
    )
    started = time.monotonic()
    with pytest.raises(errors.ConnectionFailed, match="after 3 retries") as failed:
        down.status()
    assert "connection refused" in failed.value.message
    assert time.monotonic() - started < 5


def proxied(proxy: FailingProxy, server: ServerProcess, **options: float) -> mc.MaestroClient:
    return mc.MaestroClient(mc.ServerInfo(proxy.url, server.token), retry_delay=0.01, **options)


def test_a_create_retried_after_two_502s_creates_one_task(
    maestro_server: ServerProcess,  # noqa: F811
) -> None:
    title = f"exactly once {time.monotonic_ns()}"
    with FailingProxy(maestro_server.url, failures=2) as proxy:
        created = proxied(proxy, maestro_server).create_task(title)
    posts = proxy.posts()
    assert [post.status for post in posts] == [502, 502, 201]
    assert len({post.key for post in posts}) == 1 and posts[0].key
    direct = mc.MaestroClient(mc.ServerInfo(maestro_server.url, maestro_server.token))
    assert [t["id"] for t in direct.list_tasks(q=title)] == [created["id"]]


def test_502s_beyond_the_retries_raise_a_server_error(
    maestro_server: ServerProcess,  # noqa: F811
) -> None:
    with FailingProxy(maestro_server.url, failures=10) as proxy:
        with pytest.raises(errors.ServerError) as failed:
            proxied(proxy, maestro_server, retries=2).create_task("never acknowledged")
    assert failed.value.status == 502 and failed.value.code == "server_error"
    assert len(proxy.posts()) == 3


def busy_proxy(server: ServerProcess, failures: int, code: str = "store_busy") -> FailingProxy:
    """The first POSTs answered as a server whose database is locked would, with Retry-After: 1."""
    status = 409 if code == "request_in_progress" else 503
    message = f"The Maestro database said {code}."
    return maestro_error_proxy(
        server.url, failures=failures, status=status, code=code, message=message, retry_after=1
    )


@pytest.mark.parametrize("code", ["store_busy", "request_in_progress"])
def test_a_busy_answer_is_retried_after_the_servers_retry_after_with_the_same_key(
    maestro_server: ServerProcess,  # noqa: F811
    code: str,
) -> None:
    title = f"created once the store is free {time.monotonic_ns()}"
    with busy_proxy(maestro_server, failures=2, code=code) as proxy:
        created = proxied(proxy, maestro_server).create_task(title)
    posts = proxy.posts()
    assert [post.status for post in posts][-1] == 201 and len(posts) == 3
    assert len({post.key for post in posts}) == 1
    # The waits were the server's second, not the client's 10 ms backoff.
    assert all(later.at - earlier.at >= 1 for earlier, later in pairwise(posts))
    assert maestro_server.api("GET", f"tasks/{created['id']}")["title"] == title


def test_a_store_still_busy_after_the_retries_raises_store_busy(
    maestro_server: ServerProcess,  # noqa: F811
) -> None:
    with busy_proxy(maestro_server, failures=10) as proxy:
        with pytest.raises(errors.StoreBusy) as busy:
            proxied(proxy, maestro_server, retries=1).create_task("never written")
    assert (busy.value.status, busy.value.retry_after) == (503, 1.0)
    assert busy.value.message == "The Maestro database said store_busy."
    assert len(proxy.posts()) == 2


def test_a_store_that_cannot_be_used_is_reported_at_once(
    maestro_server: ServerProcess,  # noqa: F811
) -> None:
    with maestro_error_proxy(
        maestro_server.url,
        failures=1,
        status=503,
        code="store_unavailable",
        message="The database is read-only.",
    ) as proxy:
        with pytest.raises(errors.StoreUnavailable, match="read-only"):
            proxied(proxy, maestro_server).create_task("not retried")
    assert len(proxy.posts()) == 1
