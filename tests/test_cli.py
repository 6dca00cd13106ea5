"""The `maestro` CLI against a real Jupyter server: every command, in both output modes."""
# ruff: noqa: F811 - pytest fixtures imported from tests.cli_support are arguments here

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness import ServerProcess
from tests.cli_support import (  # noqa: F401
    Maestro,
    add_session,
    cli_env,
    create,
    empty_server,
    maestro,
    maestro_server,
)

pytestmark = pytest.mark.timeout(180)

ANSI = re.compile(r"\x1b\[")


# -- tasks ---------------------------------------------------------------------------------------


def test_task_create_prints_the_id_and_json_gives_the_task(maestro: Maestro) -> None:
    human = maestro("task", "create", "Write the parser", "--priority", "high")
    assert human.code == 0 and human.err == ""
    assert re.fullmatch(r"Created task_\w+: Write the parser\n", human.out)

    task = create(
        maestro,
        "Ship v2",
        "-d",
        "all of it",
        "--label",
        "release",
        "--subtask",
        "Changelog",
        "--subtask",
        "Tag",
    )
    assert task["title"] == "Ship v2" and task["description"] == "all of it"
    assert task["labels"] == ["release"] and task["subtaskCount"] == 2
    assert task["status"] == "todo" and task["priority"] == "medium"


def test_task_list_shows_an_aligned_table_and_json_filters_by_status(maestro: Maestro) -> None:
    todo = create(maestro, "List me", "--priority", "urgent")
    blocked = create(maestro, "Blocked one", "--status", "blocked")

    table = maestro("task", "list")
    assert table.code == 0
    lines = table.out.splitlines()
    assert lines[0].split() == ["ID", "STATUS", "PRIORITY", "SUBTASKS", "TITLE"]
    row = next(line for line in lines if todo["id"] in line)
    assert row.split()[:3] == [todo["id"], "todo", "urgent"]
    assert lines[0].index("TITLE") == row.index("List me")
    assert not ANSI.search(table.out)

    only_blocked = maestro("task", "list", "--status", "blocked", "--json").data
    assert blocked["id"] in {t["id"] for t in only_blocked}
    assert {t["status"] for t in only_blocked} == {"blocked"}
    assert len(maestro("task", "list", "--limit", "1", "--json").data) == 1
    found = maestro("task", "list", "-q", "List me", "--json").data
    assert [t["id"] for t in found] == [todo["id"]]


def test_task_get_shows_fields_and_subtasks(maestro: Maestro) -> None:
    task = create(maestro, "Inspect me", "--subtask", "first", "--label", "x")
    human = maestro("task", "get", task["id"])
    assert human.code == 0
    assert human.out.startswith(f"{task['id']}  Inspect me\n")
    assert re.search(r"^status\s+todo$", human.out, re.M)
    assert "Subtasks (0/1)" in human.out and "[ ] sub_" in human.out
    data = maestro("task", "get", task["id"], "--json").data
    assert data["id"] == task["id"] and [s["title"] for s in data["subtasks"]] == ["first"]


def test_task_update_changes_only_the_named_fields(maestro: Maestro) -> None:
    task = create(maestro, "Before", "--priority", "low", "--label", "keep")
    human = maestro("task", "update", task["id"], "--title", "After", "--status", "in_progress")
    assert human.code == 0 and human.out == f"Updated {task['id']}: After\n"
    updated = maestro("task", "update", task["id"], "--priority", "high", "--json").data
    assert updated["title"] == "After" and updated["status"] == "in_progress"
    assert updated["priority"] == "high" and updated["labels"] == ["keep"]
    assert updated["version"] == task["version"] + 2


def test_task_update_with_a_stale_version_fails_with_version_mismatch(maestro: Maestro) -> None:
    task = create(maestro, "Contended")
    maestro("task", "update", task["id"], "--title", "moved on")
    stale = maestro("task", "update", task["id"], "--title", "mine", "--if-version", "1", "--json")
    assert stale.code == 1 and stale.out == ""
    assert stale.error["success"] is False and stale.error["error"] == "version_mismatch"
    fresh = maestro("task", "update", task["id"], "--title", "mine", "--if-version", "2")
    assert fresh.code == 0


def test_task_complete_block_and_delete(maestro: Maestro) -> None:
    task = create(maestro, "Finish me")
    done = maestro("task", "complete", task["id"], "-m", "all green")
    assert done.code == 0 and done.out == f"Completed {task['id']}: Finish me\n"
    assert maestro("task", "get", task["id"], "--json").data["status"] == "completed"

    other = create(maestro, "Stuck")
    blocked = maestro("task", "block", other["id"], "--reason", "needs a key", "--json").data
    assert blocked["status"] == "blocked" and blocked["blockedReason"] == "needs a key"
    assert maestro("task", "block", other["id"], "-r", "still").out == (
        f"Blocked {other['id']}: still\n"
    )

    assert maestro("task", "delete", task["id"]).out == f"Deleted {task['id']}\n"
    assert maestro("task", "delete", other["id"], "--json").data == {
        "id": other["id"],
        "deleted": True,
    }
    gone = maestro("task", "get", task["id"], "--json")
    assert gone.code == 1 and gone.error["error"] == "not_found"


def test_deleting_a_parent_needs_recursive(maestro: Maestro) -> None:
    parent = create(maestro, "Parent")
    child = create(maestro, "Child", "--parent", parent["id"])
    refused = maestro("task", "delete", parent["id"])
    assert refused.code == 1 and refused.err.count("\n") == 1 and "Error:" in refused.err
    assert maestro("task", "delete", parent["id"], "--recursive").code == 0
    assert maestro("task", "get", child["id"]).code == 1


def test_task_tree_nests_child_tasks_and_subtasks(maestro: Maestro) -> None:
    root = create(maestro, "Tree root", "--subtask", "root step")
    child = create(maestro, "Tree child", "--parent", root["id"], "--subtask", "child step")
    grandchild = create(maestro, "Tree grandchild", "--parent", child["id"])

    human = maestro("task", "tree", root["id"])
    assert human.code == 0
    assert human.out.splitlines() == [
        f"{root['id']}  [todo] Tree root",
        "│   [ ] root step",
        f"└── {child['id']}  [todo] Tree child",
        "    │   [ ] child step",
        f"    └── {grandchild['id']}  [todo] Tree grandchild",
    ]
    (node,) = maestro("task", "tree", root["id"], "--json").data
    assert node["children"][0]["id"] == child["id"]
    assert node["children"][0]["children"][0]["id"] == grandchild["id"]
    assert [s["title"] for s in node["subtasks"]] == ["root step"]
    whole = maestro("task", "tree", "--json").data
    assert root["id"] in {n["id"] for n in whole}
    assert child["id"] not in {n["id"] for n in whole}


def test_task_next_is_the_most_urgent_todo_whose_dependencies_are_done(
    maestro: Maestro,
    cli_env: dict[str, str | None],
    empty_server: ServerProcess,  # noqa: F811
) -> None:
    env = {"MAESTRO_URL": empty_server.url, "MAESTRO_TOKEN": empty_server.token}
    assert maestro("task", "next", env=env).out == "No task is ready.\n"
    assert maestro("task", "next", "--json", env=env).data is None

    def make(title: str, *options: str) -> dict[str, Any]:
        run = maestro("task", "create", title, *options, "--json", env=env)
        assert run.code == 0, run.err
        return run.data

    base = make("Base", "--priority", "low")
    make("Waits for base", "--priority", "urgent", "--depends-on", base["id"])
    medium = make("Medium")
    make("In progress", "--priority", "urgent", "--status", "in_progress")
    assert maestro("task", "next", "--json", env=env).data["id"] == medium["id"]
    maestro("task", "complete", medium["id"], env=env)
    assert maestro("task", "next", "--json", env=env).data["id"] == base["id"]
    maestro("task", "complete", base["id"], env=env)
    human = maestro("task", "next", env=env)
    assert human.out.startswith("task_") and "Waits for base" in human.out.splitlines()[0]


# -- subtasks ------------------------------------------------------------------------------------


def test_subtask_commands(maestro: Maestro) -> None:
    task = create(maestro, "Checklist")
    one = maestro("subtask", "create", task["id"], "Lexer", "-d", "tokens", "--json").data
    assert one["title"] == "Lexer" and one["description"] == "tokens"
    several = maestro("subtask", "create", task["id"], "Parser", "Docs")
    assert several.code == 0 and several.out.count("Created sub") == 2

    listed = maestro("subtask", "list", task["id"], "--json").data
    assert [s["title"] for s in listed] == ["Lexer", "Parser", "Docs"]
    table = maestro("subtask", "list", task["id"]).out.splitlines()
    assert table[0].split() == ["DONE", "ID", "TITLE"] and table[1].startswith("[ ]")

    done = maestro("subtask", "complete", task["id"], one["id"])
    assert done.out == f"Completed {one['id']}: Lexer\n"
    undone = maestro("subtask", "complete", task["id"], one["id"], "--undo", "--json").data
    assert undone["completed"] is False
    moved = maestro(
        "subtask",
        "update",
        task["id"],
        listed[2]["id"],
        "--title",
        "Write docs",
        "--completed",
        "--json",
    ).data
    assert moved["title"] == "Write docs" and moved["completed"] is True
    assert maestro("subtask", "delete", task["id"], listed[1]["id"]).code == 0
    remaining = maestro("subtask", "list", task["id"], "--json").data
    assert [s["title"] for s in remaining] == ["Lexer", "Write docs"]
    assert maestro("task", "get", task["id"], "--json").data["subtasksCompleted"] == 1


# -- a spawned session's environment -------------------------------------------------------------


def session_env(server: ServerProcess, task_ids: list[str]) -> dict[str, str | None]:
    session_id = add_session(server, task_ids)
    return {
        "MAESTRO_SESSION_ID": session_id,
        "MAESTRO_TASK_IDS": ",".join(task_ids),
        "MAESTRO_PROJECT_ID": "proj_default",
        "MAESTRO_ROLE": "worker",
        "MAESTRO_BRIEF": "/tmp/brief.md",
    }


def test_task_complete_without_an_id_completes_the_sessions_task(
    maestro: Maestro,
    maestro_server: ServerProcess,  # noqa: F811
) -> None:
    task = create(maestro, "Session work")
    env = session_env(maestro_server, [task["id"]])
    done = maestro("task", "complete", env=env)
    assert done.code == 0 and done.out == f"Completed {task['id']}: Session work\n"


def test_task_complete_without_an_id_refuses_to_guess_between_several_tasks(
    maestro: Maestro,
    maestro_server: ServerProcess,  # noqa: F811
) -> None:
    first, second = create(maestro, "One"), create(maestro, "Two")
    env = session_env(maestro_server, [first["id"], second["id"]])
    refused = maestro("task", "complete", env=env)
    assert refused.code == 2 and refused.out == ""
    assert first["id"] in refused.err and second["id"] in refused.err
    assert refused.err.count("\n") == 1
    assert maestro("task", "get", first["id"], "--json").data["status"] == "todo"


def test_task_complete_without_an_id_asks_which_task_on_a_terminal(
    maestro: Maestro,
    maestro_server: ServerProcess,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first, second = create(maestro, "Left alone"), create(maestro, "Chosen")
    env = session_env(maestro_server, [first["id"], second["id"]])
    monkeypatch.setattr("maestro_cli.context.is_interactive", lambda: True)
    done = maestro("task", "complete", env=env, stdin=f"{second['id']}\n")
    assert done.code == 0 and done.out.endswith(f"Completed {second['id']}: Chosen\n")
    assert maestro("task", "get", first["id"], "--json").data["status"] == "todo"


def test_subtask_complete_in_a_session_finds_the_task_itself(
    maestro: Maestro,
    maestro_server: ServerProcess,  # noqa: F811
) -> None:
    first = create(maestro, "First", "--subtask", "a")
    second = create(maestro, "Second", "--subtask", "b")
    env = session_env(maestro_server, [first["id"], second["id"]])
    (sub,) = maestro("subtask", "list", second["id"], "--json").data
    done = maestro("subtask", "complete", sub["id"], env=env)
    assert done.code == 0 and done.out == f"Completed {sub['id']}: b\n"
    stranger = maestro("subtask", "complete", "sub_notmine", env=env)
    assert stranger.code == 2 and "not a subtask of this session" in stranger.err
    assert maestro("subtask", "complete", sub["id"]).code == 2  # no session, no TASK_ID


def test_reports_add_timeline_entries_and_change_status(
    maestro: Maestro,
    maestro_server: ServerProcess,  # noqa: F811
) -> None:
    task = create(maestro, "Reported on")
    env = session_env(maestro_server, [task["id"]])
    session_id = env["MAESTRO_SESSION_ID"]

    progress = maestro("report", "progress", "parser done", env=env)
    assert progress.code == 0 and progress.out == f"Reported progress on {task['id']}\n"

    asked = maestro("report", "needs-input", "which API?", "--json", env=env).data
    assert asked["session"]["status"] == "needs_input"
    assert maestro_server.api("GET", f"sessions/{session_id}")["status"] == "needs_input"

    blocked = maestro("report", "blocked", "no key", "--json", env=env).data
    assert blocked["tasks"][0]["status"] == "blocked"
    assert blocked["tasks"][0]["blockedReason"] == "no key"

    complete = maestro("report", "complete", "merged", env=env)
    assert complete.out == f"Reported complete on {task['id']}; {task['id']} completed\n"

    timeline = maestro_server.api("GET", f"tasks/{task['id']}/timeline")["items"]
    entries = [(e["kind"], e["message"]) for e in timeline if e["kind"] != "status"]
    assert entries == [
        ("progress", "parser done"),
        ("needs_input", "which API?"),
        ("blocked", "no key"),
        ("milestone", "merged"),
    ]
    reported = [e for e in timeline if e["kind"] != "status"]
    assert [e["sessionId"] for e in reported] == [session_id] * 4


def test_report_outside_a_session_needs_a_task(maestro: Maestro) -> None:
    refused = maestro("report", "progress", "hello")
    assert refused.code == 2 and "--task" in refused.err
    task = create(maestro, "Reported from outside")
    assert maestro("report", "progress", "hello", "--task", task["id"]).code == 0


def test_whoami_shows_the_session_and_its_tasks(
    maestro: Maestro,
    maestro_server: ServerProcess,  # noqa: F811
) -> None:
    outside = maestro("whoami")
    assert outside.code == 0 and "Not inside a Maestro session" in outside.out
    assert maestro("whoami", "--json").data["sessionId"] is None

    task = create(maestro, "Mine", "--subtask", "step one")
    env = session_env(maestro_server, [task["id"]])
    human = maestro("whoami", env=env)
    assert human.code == 0
    assert re.search(rf"^session\s+{env['MAESTRO_SESSION_ID']}$", human.out, re.M)
    assert re.search(r"^role\s+worker$", human.out, re.M)
    assert f"{task['id']}  [todo] Mine" in human.out and "[ ] sub_" in human.out
    data = maestro("whoami", "--json", env=env).data
    assert data["session"]["id"] == env["MAESTRO_SESSION_ID"]
    assert data["tasks"][0]["subtasks"][0]["title"] == "step one"


def test_status_reports_server_version_counts_and_session(
    maestro: Maestro,
    maestro_server: ServerProcess,  # noqa: F811
) -> None:
    human = maestro("status")
    assert human.code == 0
    server_line = rf"^server\s+{re.escape(maestro_server.url)} \(environment\)$"
    assert re.search(server_line, human.out, re.M)
    assert re.search(r"^store\s+sqlite$", human.out, re.M)
    data = maestro("status", "--json", env={"MAESTRO_TASK_IDS": "task_abc"}).data
    assert data["server"]["url"].endswith("/user/tester/")
    assert data["status"]["store"]["dialect"] == "sqlite"
    assert data["session"]["taskIds"] == ["task_abc"]


# -- sessions ------------------------------------------------------------------------------------


def test_session_list_and_info(maestro: Maestro, maestro_server: ServerProcess) -> None:  # noqa: F811
    task = create(maestro, "Session listed")
    env = session_env(maestro_server, [task["id"]])
    session_id = env["MAESTRO_SESSION_ID"]
    table = maestro("session", "list", "--task", task["id"])
    assert table.out.splitlines()[0].split() == ["ID", "STATUS", "ROLE", "AGENT", "TASKS", "NAME"]
    assert session_id in table.out
    listed = maestro("session", "list", "--status", "running", "--json").data
    assert session_id in {s["id"] for s in listed}
    info = maestro("session", "info", env=env)
    assert info.code == 0 and info.out.startswith(f"{session_id}  test session\n")
    assert maestro("session", "info", session_id, "--json").data["taskIds"] == [task["id"]]


def test_session_spawn_and_stop(maestro: Maestro) -> None:
    task = create(maestro, "Spawned for")
    human = maestro("session", "spawn", task["id"], "--agent", "shell", "--name", "cli spawn")
    assert human.code == 0, human.err
    match = re.fullmatch(
        rf"Spawned (\w+) \((\w+)\) for {task['id']} in terminal (\w+)\n", human.out
    )
    assert match and match.group(2) == "running"
    session_id = match.group(1)
    assert match.group(3) == f"maestro_{session_id}"
    info = maestro("session", "info", session_id, "--json").data
    assert info["spawnSource"] == "cli" and info["name"] == "cli spawn"
    stopped = maestro("session", "stop", session_id)
    assert stopped.code == 0 and stopped.out == f"Stopped {session_id}\n"
    assert maestro("session", "info", session_id, "--json").data["status"] == "stopped"

    session = maestro("session", "spawn", task["id"], "--agent", "shell", "--json").data
    assert session["taskIds"] == [task["id"]]
    assert maestro("session", "stop", session["id"], "--json").data["status"] == "stopped"


def test_session_spawned_from_a_session_records_its_parent(
    maestro: Maestro,
    maestro_server: ServerProcess,  # noqa: F811
) -> None:
    task = create(maestro, "Delegated")
    env = session_env(maestro_server, [task["id"]])
    session = maestro("session", "spawn", task["id"], "--agent", "shell", "--json", env=env).data
    assert session["parentSessionId"] == env["MAESTRO_SESSION_ID"]
    assert session["spawnSource"] == "session"
    maestro("session", "stop", session["id"])


def test_skill_list_and_show(maestro: Maestro) -> None:
    table = maestro("skill", "list")
    assert table.code == 0
    assert table.out.splitlines()[0].split() == ["NAME", "ROLES", "SOURCE", "DESCRIPTION"]
    skills = maestro("skill", "list", "--json").data
    names = {s["name"] for s in skills}
    assert "maestro-worker" in names
    shown = maestro("skill", "show", "maestro-worker")
    assert shown.code == 0 and re.search(r"^name\s+maestro-worker$", shown.out, re.M)
    detail = maestro("skill", "show", "maestro-worker", "--json").data
    assert detail["instructions"].strip() and detail["instructions"].strip() in shown.out
    missing = maestro("skill", "show", "no-such-skill", "--json")
    assert missing.code == 1 and missing.error["error"] == "not_found"


# -- skills and config (local files) -------------------------------------------------------------


def test_skill_install_copies_the_packaged_skills_and_keeps_edits(
    maestro: Maestro, cli_env: dict[str, str | None]
) -> None:
    from maestro_jupyter.paths import packaged_skills_dir

    packaged = sorted(p.parent.name for p in packaged_skills_dir().glob("*/SKILL.md"))
    assert packaged, "the package ships skills"
    first = maestro("skill", "install", "--json").data
    target = Path(first["directory"])
    assert target == Path(str(cli_env["HOME"])) / ".agents-ui" / "maestro-skills"
    assert {f["action"] for f in first["files"]} == {"installed"}
    assert sorted(p.parent.name for p in target.glob("*/SKILL.md")) == packaged

    edited = target / packaged[0] / "SKILL.md"
    edited.write_text("my own instructions\n")
    again = maestro("skill", "install")
    assert again.code == 0
    assert re.search(rf"^{packaged[0]}/SKILL.md\s+kept$", again.out, re.M)
    assert edited.read_text() == "my own instructions\n"
    forced = maestro("skill", "install", "--force", "--json").data
    assert {"path": f"{packaged[0]}/SKILL.md", "action": "overwritten"} in forced["files"]
    assert edited.read_text() != "my own instructions\n"


def test_config_set_get_show_unset(maestro: Maestro, cli_env: dict[str, str | None]) -> None:
    assert maestro("config", "set", "url", "http://example.test:8888/user/x").code == 0
    assert maestro("config", "get", "url").out == "http://example.test:8888/user/x/\n"
    assert maestro("config", "set", "token", "secret-token-value").code == 0
    shown = maestro("config", "show", "--json").data
    assert shown["config"]["token"] == "secr…"
    assert shown["path"] == str(Path(str(cli_env["MAESTRO_HOME"])) / "config.json")
    assert "secret-token-value" in maestro("config", "show", "--show-token").out
    assert maestro("config", "unset", "token").code == 0
    assert maestro("config", "get", "token", "--json").data == {"token": None}
    bad = maestro("config", "set", "retries", "many")
    assert bad.code == 2 and "retries" in bad.err
    assert maestro("config", "set", "colour", "red").code == 2


def test_config_durations_take_units_and_refuse_a_bare_number_in_milliseconds(
    maestro: Maestro,
) -> None:
    assert maestro("config", "set", "retry_delay", "500ms").code == 0
    assert maestro("config", "get", "retry_delay").out == "500ms\n"
    assert maestro("config", "set", "timeout", "2s").code == 0
    assert maestro("config", "set", "retry_delay", "0.5").code == 0
    refused = maestro("config", "set", "retry_delay", "1000")
    assert refused.code == 2 and refused.err.count("\n") == 1
    assert "1000ms" in refused.err
    assert maestro("config", "get", "retry_delay").out == "0.5\n"
    assert maestro("config", "set", "timeout", "soon").code == 2


def test_config_file_is_used_when_the_environment_names_no_server(
    maestro: Maestro,
    maestro_server: ServerProcess,  # noqa: F811
) -> None:
    maestro("config", "set", "url", maestro_server.url)
    maestro("config", "set", "token", maestro_server.token)
    data = maestro("status", "--json", env={"MAESTRO_URL": None, "MAESTRO_TOKEN": None}).data
    assert data["server"]["source"].startswith("config ")


# -- export / import -----------------------------------------------------------------------------


def test_export_then_import_into_an_empty_store_round_trips_everything(
    maestro: Maestro,
    maestro_server: ServerProcess,  # noqa: F811
    empty_server: ServerProcess,  # noqa: F811
    tmp_path: Path,
) -> None:
    parent = create(maestro, "Exported parent", "--subtask", "a", "--subtask", "b")
    create(maestro, "Exported child", "--parent", parent["id"], "--label", "x")
    maestro("report", "progress", "noted", "--task", parent["id"])
    add_session(maestro_server, [parent["id"]])

    backup = tmp_path / "backup.json"
    exported = maestro("export", "-o", str(backup))
    assert exported.code == 0 and exported.out.startswith("Exported ")
    document = json.loads(backup.read_text())
    assert document["format"] == "maestro-export"

    target = {"MAESTRO_URL": empty_server.url, "MAESTRO_TOKEN": empty_server.token}
    imported = maestro("import", str(backup), "--json", env=target).data
    assert imported["created"]["tasks"] == len(document["tasks"])
    again = json.loads(maestro("export", env=target).out)
    for kind in ("tasks", "subtasks", "timeline", "sessions"):
        assert again[kind] == document[kind], kind
    assert [p["id"] for p in again["projects"]] == [p["id"] for p in document["projects"]]

    refused = maestro("import", str(backup), env=target)
    assert refused.code == 1 and refused.err.count("\n") == 1 and "already exist" in refused.err
    skipped = maestro("import", str(backup), "--skip-existing", "--json", env=target).data
    assert skipped["skipped"]["tasks"] == len(document["tasks"])
    overwritten = maestro("import", str(backup), "--overwrite", env=target)
    assert overwritten.code == 0 and "overwritten" in overwritten.out


def test_import_reads_standard_input_and_refuses_what_is_not_an_export(
    maestro: Maestro,
) -> None:
    not_json = maestro("import", "-", stdin="{nope")
    assert not_json.code == 2 and "not JSON" in not_json.err
    not_export = maestro("import", "-", stdin='{"tasks": []}')
    assert not_export.code == 2 and "not a Maestro export" in not_export.err
    both = maestro("import", "-", "--overwrite", "--skip-existing", stdin="{}")
    assert both.code == 2


# -- every command, both output modes -------------------------------------------------------------


def _task(maestro: Maestro) -> str:
    return create(maestro, "Both modes", "--subtask", "step")["id"]


def _subtask(maestro: Maestro) -> tuple[str, str]:
    task_id = _task(maestro)
    return task_id, maestro("subtask", "list", task_id, "--json").data[0]["id"]


def _unassign(maestro: Maestro, server: ServerProcess) -> tuple[str, ...]:
    task_id = _task(maestro)
    return ("session", "unassign", add_session(server, [task_id]), task_id)


def _claimed(maestro: Maestro, server: ServerProcess) -> tuple[str, str]:
    task_id, session_id = _task(maestro), add_session(server, [])
    assert maestro("task", "claim", task_id, "--session", session_id).code == 0
    return task_id, session_id


EVERY_COMMAND: dict[str, Callable[[Maestro, ServerProcess], tuple[str, ...]]] = {
    "task list": lambda m, s: ("task", "list"),
    "task create": lambda m, s: ("task", "create", "Both modes"),
    "task get": lambda m, s: ("task", "get", _task(m)),
    "task update": lambda m, s: ("task", "update", _task(m), "--priority", "low"),
    "task complete": lambda m, s: ("task", "complete", _task(m)),
    "task block": lambda m, s: ("task", "block", _task(m), "-r", "why"),
    "task delete": lambda m, s: ("task", "delete", _task(m)),
    "task tree": lambda m, s: ("task", "tree", _task(m)),
    "task next": lambda m, s: ("task", "next"),
    "task next --claim": lambda m, s: ("task", "next", "--claim", "--session", add_session(s, [])),
    "task start": lambda m, s: ("task", "start", _task(m)),
    "task claim": lambda m, s: ("task", "claim", _task(m), "--session", add_session(s, [])),
    "task release": lambda m, s: ("task", "release", *_claimed(m, s)[:1]),
    "task log": lambda m, s: ("task", "log", _task(m)),
    "subtask create": lambda m, s: ("subtask", "create", _task(m), "one", "two"),
    "subtask list": lambda m, s: ("subtask", "list", _task(m)),
    "subtask complete": lambda m, s: ("subtask", "complete", *_subtask(m)),
    "subtask update": lambda m, s: ("subtask", "update", *_subtask(m), "--title", "renamed"),
    "subtask delete": lambda m, s: ("subtask", "delete", *_subtask(m)),
    "session list": lambda m, s: ("session", "list"),
    "session info": lambda m, s: ("session", "info", add_session(s, [_task(m)])),
    "session log": lambda m, s: ("session", "log", add_session(s, [_task(m)])),
    "session wait": lambda m, s: ("session", "wait", add_session(s, [], status="completed")),
    "session register": lambda m, s: ("session", "register", "--task", _task(m)),
    "session assign": lambda m, s: ("session", "assign", add_session(s, []), _task(m)),
    "session unassign": lambda m, s: _unassign(m, s),
    "project list": lambda m, s: ("project", "list"),
    "project create": lambda m, s: ("project", "create", "Both modes"),
    "project show": lambda m, s: ("project", "show"),
    "project use": lambda m, s: ("project", "use", "proj_default"),
    "report error": lambda m, s: ("report", "error", "broke", "--task", _task(m)),
    "report progress": lambda m, s: ("report", "progress", "on it", "--task", _task(m)),
    "report blocked": lambda m, s: ("report", "blocked", "stuck", "--task", _task(m)),
    "report needs-input": lambda m, s: ("report", "needs-input", "which?", "--task", _task(m)),
    "report complete": lambda m, s: ("report", "complete", "done", "--task", _task(m)),
    "skill list": lambda m, s: ("skill", "list"),
    "skill show": lambda m, s: ("skill", "show", "maestro-worker"),
    "skill install": lambda m, s: ("skill", "install"),
    "status": lambda m, s: ("status",),
    "whoami": lambda m, s: ("whoami",),
    "config show": lambda m, s: ("config", "show"),
    "config get": lambda m, s: ("config", "get", "url"),
    "config set": lambda m, s: ("config", "set", "project", "proj_default"),
    "config unset": lambda m, s: ("config", "unset", "project"),
}


@pytest.mark.parametrize("command", sorted(EVERY_COMMAND))
def test_every_command_answers_people_and_programs(
    maestro: Maestro,
    maestro_server: ServerProcess,  # noqa: F811
    command: str,
) -> None:
    human = maestro(*EVERY_COMMAND[command](maestro, maestro_server))
    assert human.code == 0, human.err
    assert human.err == "" and not human.out.lstrip().startswith(("{", "["))
    program = maestro(*EVERY_COMMAND[command](maestro, maestro_server), "--json")
    assert program.code == 0, program.err
    assert json.loads(program.out)["success"] is True


def test_export_prints_the_document_and_json_wraps_it(maestro: Maestro) -> None:
    assert json.loads(maestro("export").out)["format"] == "maestro-export"
    assert maestro("export", "--json").data["format"] == "maestro-export"


# -- bad usage -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (("task", "create", ""), "TITLE"),
        (("task", "create", "   "), "TITLE"),
        (("task", "create", "x", "--priority", "extreme"), "--priority"),
        (("task", "list", "--status", "done"), "--status"),
        (("task", "get", "Task-1"), "TASK_ID"),
        (("task", "get", "task_1; rm -rf"), "TASK_ID"),
        (("task", "create", "x", "--parent", "../etc"), "--parent"),
        (("task", "update", "task_abc"), "nothing to update"),
        (("task", "block", "task_abc"), "--reason"),
        (("subtask", "create", "task_abc"), "TITLES"),
        (("session", "list", "--status", "asleep"), "--status"),
        (("task", "list", "--project", "Default"), "--project"),
        (("tasks",), "No such command"),
        (("task", "list", "--bogus"), "--bogus"),
        (("task", "log", "task_abc", "--since", "yesterday"), "--since"),
        (("task", "next", "--claim"), "--session"),
        (("session", "wait", "--until", "soon"), "--until"),
        (("session", "wait", "--timeout", "a while"), "--timeout"),
        (("session", "send", "sess_abc", "bell \x07"), "control character"),
        (("session", "send", "sess_abc", " "), "TEXT"),
        (("session", "assign", "sess_abc"), "TASK_IDS"),
        (("project", "create", "x", "--bogus"), "--bogus"),
    ],
)
def test_bad_usage_exits_2_with_one_line_naming_the_problem(
    maestro: Maestro, args: tuple[str, ...], names: str
) -> None:
    run = maestro(*args)
    assert run.code == 2, run
    assert run.out == ""
    assert run.err.count("\n") == 1 and names in run.err
    assert "Traceback" not in run.err
    as_json = maestro(*args, "--json")
    assert as_json.code == 2
    assert as_json.error["success"] is False and as_json.error["error"] == "usage_error"
    assert names in as_json.error["message"]
    if names.startswith("--") and names not in ("--bogus", "--session") or names.isupper():
        assert as_json.error["details"]["param"] == names


def test_a_value_the_server_rejects_exits_2_naming_the_field(maestro: Maestro) -> None:
    run = maestro("task", "create", "x" * 5000, "--json")
    assert run.code == 2
    assert run.error["error"] == "validation_error"
    assert run.error["details"]["errors"][0]["field"] == "title"


def test_the_servers_message_is_printed_exactly_once(maestro: Maestro) -> None:
    message = maestro("task", "create", "x" * 5000, "--json").error["message"]
    assert "title" in message
    human = maestro("task", "create", "x" * 5000)
    assert human.err == f"Error: {message}\n"
    missing = maestro("task", "get", "task_nosuchtask")
    server_says = maestro("task", "get", "task_nosuchtask", "--json").error["message"]
    assert missing.err == f"Error: {server_says}\n"


def test_a_wrong_token_is_one_line_and_exit_1_saying_how_to_give_one(
    maestro: Maestro,
    maestro_server: ServerProcess,  # noqa: F811
) -> None:
    run = maestro("task", "list", env={"MAESTRO_TOKEN": "wrong"})
    assert run.code == 1 and run.err.count("\n") == 1
    assert run.err.startswith(f"Error: {maestro_server.url} refused the token (HTTP 40")
    assert run.err.endswith(
        "; pass --token, set MAESTRO_TOKEN or run 'maestro config set token TOKEN'\n"
    )


# -- whatever is stored, the terminal only shows text ---------------------------------------------

HOSTILE = "Evil \x1b]0;pwned\x07 title \x9b2J \x7f\x00 end"
SHOWN = "Evil \\x1b]0;pwned\\x07 title \\x9b2J \\x7f\\x00 end"
CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@pytest.fixture
def hostile_task(maestro_server: ServerProcess) -> dict[str, Any]:  # noqa: F811
    """A task whose title holds escape sequences, written straight into the server's database
    (no input check on that path, as with an import or an older version's rows)."""
    from maestro_jupyter.store import Store

    store = Store(f"sqlite:///{maestro_server.db_path}")
    try:
        task = store.create_task(
            HOSTILE, description="line one\nline \x1b[2J two", subtasks=[{"title": HOSTILE}]
        )
    finally:
        store.close()
    assert maestro_server.api("GET", f"tasks/{task['id']}")["title"] == HOSTILE
    return task


def test_tables_and_text_show_control_characters_as_escapes(
    maestro: Maestro, hostile_task: dict[str, Any]
) -> None:
    task_id = hostile_task["id"]
    listed = maestro("task", "list", "-q", "pwned")
    row = next(line for line in listed.out.splitlines() if task_id in line)
    assert row.endswith(SHOWN)
    shown = maestro("task", "get", task_id)
    assert shown.out.startswith(f"{task_id}  {SHOWN}\n")
    assert "line one\nline \\x1b[2J two" in shown.out  # running text keeps its lines
    assert f"] {SHOWN}" in maestro("task", "tree", task_id).out
    assert SHOWN in maestro("subtask", "list", task_id).out
    for run in (listed, shown):
        assert not CONTROLS.search(run.out.replace("\n", ""))


def test_json_output_escapes_every_control_character(
    maestro: Maestro, hostile_task: dict[str, Any]
) -> None:
    run = maestro("task", "get", hostile_task["id"], "--json")
    assert not CONTROLS.search(run.out.replace("\n", ""))
    assert "\\u001b]0;pwned\\u0007" in run.out and "\\u009b" in run.out
    assert run.data["title"] == HOSTILE
    exported = maestro("export")
    assert not CONTROLS.search(exported.out.replace("\n", ""))


def test_error_messages_show_control_characters_as_escapes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from maestro_cli import output

    output.print_error("not_found", f"no task called {HOSTILE}", None, as_json=False)
    output.print_error("not_found", f"no task called {HOSTILE}", {"title": HOSTILE}, as_json=True)
    human, as_json = capsys.readouterr().err.splitlines()
    assert human == f"Error: no task called {SHOWN}"
    assert not CONTROLS.search(as_json) and json.loads(as_json)["details"]["title"] == HOSTILE


def test_tables_cut_the_last_column_to_the_terminal_width(monkeypatch: pytest.MonkeyPatch) -> None:
    import click

    from maestro_cli import output

    rows = [{"id": "task_1", "title": "a title far too long for this narrow terminal"}]
    columns = [("ID", lambda r: r["id"]), ("TITLE", lambda r: r["title"])]
    monkeypatch.setattr(output, "_terminal_width", lambda: 30)
    assert click.unstyle(output.table(rows, columns)).splitlines() == [
        "ID      TITLE",
        "task_1  a title far too long …",
    ]


def test_help_has_examples_and_completion_instructions(maestro: Maestro) -> None:
    top = maestro("--help")
    assert top.code == 0 and "Examples:" in top.out and "_MAESTRO_COMPLETE" in top.out
    for command in ("task", "subtask", "session", "project", "report", "skill", "config"):
        assert maestro(command, "--help").code == 0
    assert "Examples:" in maestro("task", "create", "--help").out
    assert maestro("--version").out.startswith("maestro ")


def test_colour_only_without_no_color(maestro: Maestro) -> None:
    create(maestro, "Coloured", "--priority", "urgent")
    as_terminal = maestro("task", "list", env={"NO_COLOR": None}, color=True)
    assert ANSI.search(as_terminal.out)
    no_color = maestro("task", "list", env={"NO_COLOR": "1"}, color=True)
    assert not ANSI.search(no_color.out)
