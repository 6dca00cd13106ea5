"""Skills: both on-disk formats, broken ones reported, safe names, the packaged defaults."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import click
import pytest

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
