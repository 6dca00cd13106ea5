"""Skills: both on-disk formats, broken ones reported, safe names, the packaged defaults."""

from __future__ import annotations

import hashlib
import json
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest

from harness import ServerProcess
from maestro_jupyter import skills
from maestro_jupyter.errors import NotFound, ValidationFailed
from maestro_jupyter.paths import packaged_skills_dir

pytestmark = pytest.mark.timeout(60)
DEFAULTS = ["maestro-cli", "maestro-orchestrator", "maestro-worker"]


@pytest.fixture
def user_skills(tmp_path: Path) -> Path:
    folder = tmp_path / "user-skills"
    legacy = folder / "legacy-review"
    legacy.mkdir(parents=True)
    (legacy / "manifest.json").write_text(json.dumps({
        "name": "legacy-review", "version": "1.0.0", "description": "Review code the old way.",
        "type": "role", "assignTo": ["worker"], "priority": 10,
    }))
    (legacy / "skill.md").write_text("# Review\nRead every diff twice.\n")
    own_worker = folder / "maestro-worker"
    own_worker.mkdir()
    (own_worker / "SKILL.md").write_text(
        "---\nname: maestro-worker\ndescription: My own worker rules.\n"
        "roles: [worker]\n---\nBe brief.\n"
    )
    broken = {
        "no-front-matter": ("SKILL.md", "# Just text\n"),
        "bad-yaml": ("SKILL.md", "---\nname: [unclosed\n---\nbody\n"),
        "bad-role": ("SKILL.md", "---\nname: bad-role\ndescription: x\nroles: [boss]\n---\n"),
        "no-instructions": ("manifest.json", '{"name": "no-instructions", "description": "x"}'),
        "bad-json": ("manifest.json", "{not json"),
        "empty": (None, None),
    }
    for name, (filename, text) in broken.items():
        (folder / name).mkdir()
        if filename:
            (folder / name / filename).write_text(text)
    return folder


@pytest.fixture
def maestro_config(user_skills: Path) -> dict[str, Any]:
    return {"skills_dirs": [str(user_skills)]}


def test_packaged_skills_load_from_skill_md_with_their_roles():
    found = {skill.name: skill for skill in skills.list_skills([])}
    assert sorted(found) == DEFAULTS
    assert all(skill.error is None and skill.format == "SKILL.md" for skill in found.values())
    assert found["maestro-cli"].roles == ["all"]
    assert found["maestro-worker"].roles == ["worker"]
    assert found["maestro-orchestrator"].roles == ["orchestrator"]
    assert [s.name for s in skills.skills_for_role("orchestrator", [], [])] == [
        "maestro-cli", "maestro-orchestrator"]


async def test_list_shows_both_formats_user_first_and_broken_skills_with_their_error(
    api, user_skills
):
    reply = await api("GET", "skills")
    assert reply.status == 200
    found = {skill["name"]: skill for skill in reply.json["items"]}
    legacy = found["legacy-review"]
    assert legacy["format"] == "manifest.json" and legacy["roles"] == ["worker"]
    assert legacy["version"] == "1.0.0" and legacy["error"] is None
    assert found["maestro-worker"]["description"] == "My own worker rules."
    assert found["maestro-worker"]["source"] == "user"
    assert found["maestro-cli"]["source"] == "packaged"
    for name, message in [("no-front-matter", "front matter"), ("bad-yaml", "YAML"),
                          ("bad-role", "boss"), ("no-instructions", "skill.md"),
                          ("bad-json", "JSON"), ("empty", "neither")]:
        assert message in found[name]["error"], found[name]


async def test_get_returns_instructions_and_a_broken_skill_its_error(api):
    cli = await api("GET", "skills/maestro-cli")
    assert cli.status == 200 and "maestro task list" in cli.json["instructions"]
    legacy = await api("GET", "skills/legacy-review")
    assert legacy.json["instructions"].startswith("# Review")
    broken = await api("GET", "skills/bad-yaml")
    assert broken.status == 200 and "YAML" in broken.json["error"]
    missing = await api("GET", "skills/nope")
    assert missing.status == 404 and missing.json["error"] == "not_found"


@pytest.mark.parametrize("name", ["..", "a..b", "...", ".hidden", "-x"])
async def test_names_that_could_leave_the_folder_are_refused(api, name):
    reply = await api("GET", f"skills/{name}")
    assert 400 <= reply.status < 500 and reply.json["error"] in ("validation_error", "not_found")


@pytest.mark.parametrize("name", ["..", "../etc", "a/b", "", "x" * 200, "a\nb"])
def test_validate_name_refuses_traversal(name):
    with pytest.raises(ValidationFailed):
        skills.validate_name(name)


def test_get_skill_of_unknown_name_is_not_found(user_skills):
    with pytest.raises(NotFound):
        skills.get_skill("nope", [user_skills])


def test_requested_broken_or_unknown_skill_is_refused_for_a_spawn(user_skills):
    with pytest.raises(ValidationFailed, match="broken"):
        skills.skills_for_role("worker", ["bad-yaml"], [user_skills])
    with pytest.raises(ValidationFailed, match="unknown"):
        skills.skills_for_role("worker", ["nope"], [user_skills])
    chosen = skills.skills_for_role("worker", ["legacy-review"], [user_skills])
    # By priority: the packaged maestro-cli (100), legacy-review (10), the user's maestro-worker.
    assert [skill.name for skill in chosen] == ["maestro-cli", "legacy-review", "maestro-worker"]


def test_install_copies_defaults_updates_old_copies_and_keeps_edits_unless_forced(tmp_path):
    target = tmp_path / "installed"
    files = [f"{name}/SKILL.md" for name in DEFAULTS]
    first = skills.install_skills(target)
    assert first == [{"path": path, "action": "installed"} for path in files]
    assert [skill.error for skill in skills.list_skills([target])] == [None, None, None]
    assert {item["action"] for item in skills.install_skills(target)} == {"unchanged"}

    edited = target / "maestro-worker" / "SKILL.md"
    edited.write_text(edited.read_text() + "\nMy addition.\n")
    stale = target / "maestro-cli" / "SKILL.md"  # as an older release installed it
    stale.write_text("---\nname: maestro-cli\ndescription: old\n---\nOld release text.\n")
    record = json.loads((target / skills.INSTALL_RECORD).read_text())
    record["maestro-cli/SKILL.md"] = hashlib.sha256(stale.read_bytes()).hexdigest()
    (target / skills.INSTALL_RECORD).write_text(json.dumps(record))

    actions = {item["path"]: item["action"] for item in skills.install_skills(target)}
    assert actions == {"maestro-cli/SKILL.md": "updated",
                       "maestro-orchestrator/SKILL.md": "unchanged",
                       "maestro-worker/SKILL.md": "kept"}
    assert "My addition." in edited.read_text() and "Old release" not in stale.read_text()
    forced = skills.install_skills(target, force=True)
    assert {"path": "maestro-worker/SKILL.md", "action": "overwritten"} in forced
    assert "My addition." not in edited.read_text()


def test_list_by_role_keeps_the_skills_for_that_role_or_all(user_skills):
    workers = {skill.name: skill for skill in skills.list_skills([user_skills], role="worker")}
    assert {"maestro-cli", "maestro-worker", "legacy-review"} <= set(workers)
    assert "maestro-orchestrator" not in workers
    assert workers["maestro-worker"].description == "My own worker rules."  # user's first
    found = skills.list_skills([user_skills], "orchestrator")
    orchestrators = {skill.name: skill for skill in found}
    # A broken skill for all roles is listed too, with its error, so it can be fixed.
    assert sorted(orchestrators) == ["maestro-cli", "maestro-orchestrator", "no-instructions"]
    assert orchestrators["no-instructions"].error
    with pytest.raises(ValidationFailed) as refused:
        skills.list_skills([user_skills], role="boss")
    assert refused.value.details["errors"][0]["field"] == "role"


def test_default_skills_name_only_commands_and_options_the_cli_has():
    """Every `maestro ...` the packaged skills show is a real command with real options."""
    from maestro_cli.main import cli

    text = "\n".join(path.read_text() for path in packaged_skills_dir().glob("*/SKILL.md"))
    snippets = [s for s in re.findall(r"`(maestro [^`]+)`", text) if "<" not in s]
    assert len(snippets) > 40
    for snippet in snippets:
        words = snippet.split()[1:]
        command: click.Command = cli
        while isinstance(command, click.Group) and words:
            sub = command.get_command(click.Context(command), words[0])
            assert sub is not None, f"{snippet!r}: no command {words[0]!r}"
            command = sub
            words.pop(0)
        assert not isinstance(command, click.Group), f"{snippet!r}: names a group, no command"
        known = {opt for param in command.params for opt in param.opts + param.secondary_opts}
        for option in re.findall(r"(?<![\w-])(--?[a-z][\w-]*)", " ".join(words)):
            assert option in known, f"{snippet!r}: {command.name} has no option {option}"


async def test_an_edited_skill_is_read_again(api, user_skills):
    assert (await api("GET", "skills/legacy-review")).json["description"].startswith("Review")
    manifest = user_skills / "legacy-review" / "manifest.json"
    manifest.write_text(json.dumps({"name": "legacy-review", "description": "Edited, longer.",
                                    "assignTo": ["all"]}))
    edited = (await api("GET", "skills/legacy-review")).json
    assert edited["description"] == "Edited, longer." and edited["roles"] == ["all"]


# -- every command the skills show, run against a real server --------------------------------
PLACEHOLDER = re.compile(r"<[a-z ]+>")
# The CLI skill's session commands are an orchestrator's; its other commands a worker's.
ORCHESTRATOR_GROUPS = ("session",)


def shown_commands() -> list[tuple[str, str]]:
    """(skill, command) for each `maestro ...` line of a fenced code block, and each inline
    `maestro ...` example with a placeholder (the reference's UPPERCASE syntax lines are checked
    by the test above)."""
    found = []
    for path in sorted(packaged_skills_dir().glob("*/SKILL.md")):
        skill, text = path.parent.name, path.read_text()
        for block in re.findall(r"^[ \t]*```[a-z]*\n(.*?)^[ \t]*```", text, re.M | re.S):
            joined = re.sub(r"\\\n\s*", " ", block)
            found += [(skill, line.strip()) for line in joined.splitlines()
                      if line.strip().startswith("maestro ")]
        found += [(skill, snippet) for snippet in re.findall(r"(?<!`)`(maestro [^`\n]+)`", text)
                  if PLACEHOLDER.search(snippet)]
    return found


@pytest.fixture(scope="module")
def skills_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server whose agents idle (the skills' spawns start real terminals)."""
    config = {"Maestro": {"agents": {"idle": {"argv": ["sleep", "600"]}},
                          "default_agent": "idle"}}
    with ServerProcess(tmp_path_factory.mktemp("skills-server"), config=config) as server:
        yield server


def world(server: ServerProcess, number: int, role: str) -> tuple[dict[str, str], dict[str, str]]:
    """Fresh ids for one command, and the environment of the session it runs in.

    A project with a parent task (the orchestrator's), a child task with a subtask and a task it
    may depend on. As a worker: a spawned worker that claimed the child task. As an
    orchestrator: a registered orchestrator whose spawned worker (on a task of its own) asks for
    input; the child task is left for the orchestrator to delegate.
    """
    project = server.api("POST", "projects", {"name": f"Skills {number}"})["id"]
    parent = server.api("POST", "tasks", {"title": "Ship the CSV export", "projectId": project})
    child = server.api("POST", "tasks", {"title": "Add CSV export", "projectId": project,
                                         "parentId": parent["id"],
                                         "subtasks": [{"title": "Writer"}]})
    dependency = server.api("POST", "tasks", {"title": "Design the format", "projectId": project})
    orchestrator = server.api("POST", "sessions", {"taskIds": [parent["id"]], "projectId": project,
                                                   "role": "orchestrator"})
    spawn = {"projectId": project, "parentSessionId": orchestrator["id"], "agent": "idle"}
    if role == "worker":
        worker = server.api("POST", "sessions/spawn", {**spawn, "taskIds": [child["id"]]})
        me, my_tasks = worker["id"], [child["id"]]
    else:
        docs = server.api("POST", "tasks", {"title": "Write the docs", "projectId": project})
        worker = server.api("POST", "sessions/spawn", {**spawn, "taskIds": [docs["id"]]})
        server.api("POST", f"sessions/{worker['id']}/report",
                   {"kind": "needs_input", "message": "Which format?"})
        me, my_tasks = orchestrator["id"], [parent["id"]]
    [subtask] = server.api("GET", f"tasks/{child['id']}/subtasks")["items"]
    ids = {"<task id>": child["id"], "<subtask id>": subtask["id"],
           "<session id>": worker["id"], "<project id>": project,
           "<dependency id>": dependency["id"]}
    env = {"MAESTRO_SESSION_ID": me, "MAESTRO_TASK_IDS": ",".join(my_tasks),
           "MAESTRO_PROJECT_ID": project, "MAESTRO_ROLE": role}
    return ids, env


def substitute(arg: str, ids: dict[str, str]) -> str:
    return PLACEHOLDER.sub(lambda match: ids[match.group(0)], arg)


def expected_exit(args: list[str]) -> int:
    """0, but `session wait --until ended` (the default) times out: its world's worker runs on."""
    if args[1:3] != ["session", "wait"]:
        return 0
    until = args[args.index("--until") + 1] if "--until" in args else "ended"
    return 1 if until == "ended" else 0


def with_short_timeout(args: list[str]) -> list[str]:
    """A `session wait` waits 1 s where it is to time out, else long enough not to."""
    if args[1:3] != ["session", "wait"]:
        return args
    seconds = "1" if expected_exit(args) == 1 else "60"
    if "--timeout" in args:
        args = [*args]
        args[args.index("--timeout") + 1] = seconds
        return args
    return [*args, "--timeout", seconds]


def test_the_skills_show_commands_of_each_skill():
    by_skill = {skill for skill, _ in shown_commands()}
    assert by_skill == set(DEFAULTS)
    assert len(shown_commands()) > 30


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_every_command_the_skills_show_runs(skills_server: ServerProcess, tmp_path: Path):
    failures = []
    for number, (skill, command) in enumerate(shown_commands()):
        group = command.split()[1]
        role = "orchestrator" if skill == "maestro-orchestrator" or (
            skill == "maestro-cli" and group in ORCHESTRATOR_GROUPS) else "worker"
        ids, env = world(skills_server, number, role)
        unknown = set(PLACEHOLDER.findall(command)) - set(ids)
        assert not unknown, f"{skill}: {command!r} has placeholders the test does not know"
        args = with_short_timeout(shlex.split(substitute(command, ids), comments=True))
        cwd = tmp_path / f"run-{number}"
        cwd.mkdir()
        result = subprocess.run([sys.executable, "-m", "maestro_cli", *args[1:]],
                                env=skills_server.cli_env(**env), cwd=cwd, capture_output=True,
                                text=True, timeout=120)
        if result.returncode != expected_exit(args):
            failures.append(f"{skill}: {command}\n  -> exit {result.returncode}: "
                            f"{(result.stderr or result.stdout).strip()[:300]}")
        for session in skills_server.api("GET", "sessions?status=running&status=needs_input"
                                                "&limit=500")["items"]:
            if session["projectId"] == ids["<project id>"] and session["terminalName"]:
                skills_server.api("POST", f"sessions/{session['id']}/stop")
    assert not failures, "\n".join(failures)
