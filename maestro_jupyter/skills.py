"""Skills: folders of instructions that brief an agent for its role.

A skill is a folder holding either `SKILL.md` with YAML front matter (name, description, roles), the
Claude Code format, or the original Maestro's `manifest.json` + `skill.md`. Folders are searched in
order and the first skill of a name wins. A broken skill is listed with its error, never raised.

`install_skills` copies the packaged skills into the user's folder (`maestro skill install`),
keeping the files a user edited. Imported by the CLI: keep it free of jupyter_server and tornado.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import paths
from .errors import NotFound, ValidationFailed
from .vocabulary import ROLES

ALL_ROLES = "all"
# Records what `install_skills` wrote, so a later install can tell a user's edit from an old copy.
INSTALL_RECORD = ".maestro-installed.json"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)


@dataclass
class Skill:
    """One skill as found on disk. `error` is set (and the rest best-effort) when it is broken."""

    name: str
    path: Path
    format: str  # "SKILL.md" | "manifest.json" | "unknown"
    description: str = ""
    roles: list[str] = field(default_factory=list)
    priority: int = 0
    version: str | None = None
    instructions: str = ""
    error: str | None = None

    def has_role(self, role: str) -> bool:
        return ALL_ROLES in self.roles or role in self.roles

    def applies_to(self, role: str) -> bool:
        """Whether a session of `role` is briefed with it (a broken skill never is)."""
        return self.error is None and self.has_role(role)

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "roles": self.roles,
            "priority": self.priority,
            "version": self.version,
            "format": self.format,
            "path": str(self.path),
            "source": "packaged" if self.path.parent == paths.packaged_skills_dir() else "user",
            "error": self.error,
        }

    def detail(self) -> dict[str, Any]:
        return {**self.summary(), "instructions": self.instructions}


def validate_name(name: str) -> str:
    """A skill name is one folder name: letters, digits, `_.-`, no `..`, no separators."""
    if not _NAME.match(name) or ".." in name:
        raise ValidationFailed.field(
            "name", "must be letters, digits, '_', '.' or '-' (no '..', no '/')"
        )
    return name


def search_path(dirs: Iterable[str | Path]) -> list[Path]:
    """`dirs` (expanded, deduplicated) followed by the packaged skills, which always come last."""
    ordered: list[Path] = []
    for folder in [*dirs, paths.packaged_skills_dir()]:
        path = Path(folder).expanduser()
        if path not in ordered:
            ordered.append(path)
    return ordered


_SKILL_FILES = ("SKILL.md", "manifest.json", "skill.md")
_loaded: dict[Path, tuple[tuple[Any, ...], Skill]] = {}


def load_skill(folder: Path) -> Skill:
    """The skill in `folder`, read again only when one of its files changed."""
    stamp = tuple(_stamp(folder / name) for name in _SKILL_FILES)
    cached = _loaded.get(folder)
    if cached is None or cached[0] != stamp:
        cached = _loaded[folder] = (stamp, read_skill(folder))
    return cached[1]


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_mtime_ns, status.st_size


def read_skill(folder: Path) -> Skill:
    """Read the skill in `folder`, in either format; a problem becomes `Skill.error`."""
    skill = Skill(name=folder.name, path=folder, format="unknown")
    try:
        if (folder / "SKILL.md").is_file():
            skill.format = "SKILL.md"
            _read_skill_md(skill, (folder / "SKILL.md").read_text(encoding="utf-8"))
        elif (folder / "manifest.json").is_file():
            skill.format = "manifest.json"
            _read_manifest(skill, folder)
        else:
            raise ValueError("has neither SKILL.md nor manifest.json")
        _check_metadata(skill)
    except OSError as exc:
        skill.error = f"cannot be read: {exc}"
    except ValueError as exc:
        skill.error = str(exc)
    return skill


def _read_skill_md(skill: Skill, text: str) -> None:
    import yaml

    match = _FRONT_MATTER.match(text)
    if not match:
        raise ValueError("SKILL.md must start with YAML front matter between '---' lines")
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        raise ValueError(f"SKILL.md front matter is not valid YAML: {exc}") from None
    if not isinstance(meta, dict):
        raise ValueError("SKILL.md front matter must be a YAML mapping")
    _apply_metadata(skill, meta, roles_key="roles")
    skill.instructions = text[match.end() :].strip()


def _read_manifest(skill: Skill, folder: Path) -> None:
    try:
        meta = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"manifest.json is not valid JSON: {exc}") from None
    if not isinstance(meta, dict):
        raise ValueError("manifest.json must hold a JSON object")
    # The original Maestro names the roles `assignTo` (with "all"); accept `roles` too.
    _apply_metadata(skill, meta, roles_key="roles" if "roles" in meta else "assignTo")
    instructions = folder / "skill.md"
    if not instructions.is_file():
        raise ValueError("manifest.json skill has no skill.md")
    skill.instructions = instructions.read_text(encoding="utf-8").strip()


def _apply_metadata(skill: Skill, meta: dict[str, Any], roles_key: str) -> None:
    if "name" in meta:
        skill.name = str(meta["name"])
    skill.description = str(meta.get("description") or "").strip()
    roles = meta.get(roles_key, [ALL_ROLES])
    if isinstance(roles, str):
        roles = [part.strip() for part in roles.split(",")]
    if not isinstance(roles, list):
        raise ValueError(f"{roles_key} must be a list of roles")
    skill.roles = [str(role) for role in roles]
    priority = meta.get("priority", 0)
    if not isinstance(priority, int) or isinstance(priority, bool):
        raise ValueError("priority must be an integer")
    skill.priority = priority
    skill.version = str(meta["version"]) if meta.get("version") is not None else None


def _check_metadata(skill: Skill) -> None:
    if not _NAME.match(skill.name) or ".." in skill.name:
        raise ValueError(f"invalid skill name {skill.name!r}")
    if not skill.description:
        raise ValueError("description is missing")
    unknown = [role for role in skill.roles if role not in (*ROLES, ALL_ROLES)]
    if unknown:
        raise ValueError(f"unknown roles {unknown}; use worker, orchestrator or all")


def list_skills(dirs: Iterable[str | Path], role: str | None = None) -> list[Skill]:
    """Every skill in the search path, sorted by name; for a repeated name the first folder wins.

    With `role`, only the skills for that role (or for all roles), broken ones included so their
    error shows; an unknown role is a 422 naming `role`.
    """
    if role is not None and role not in ROLES:
        raise ValidationFailed.field("role", f"must be one of {', '.join(ROLES)}")
    found: dict[str, Skill] = {}
    for folder in search_path(dirs):
        if not folder.is_dir():
            continue
        for entry in sorted(folder.iterdir()):
            if not entry.is_dir() or entry.name.startswith("."):
                continue
            skill = load_skill(entry)
            found.setdefault(skill.name, skill)
    chosen = [skill for skill in found.values() if role is None or skill.has_role(role)]
    return sorted(chosen, key=lambda skill: skill.name)


def get_skill(name: str, dirs: Iterable[str | Path]) -> Skill:
    validate_name(name)
    for skill in list_skills(dirs):
        if skill.name == name:
            return skill
    raise NotFound(f"No skill named {name!r}.", {"name": name})


def skills_for_role(role: str, requested: Sequence[str], dirs: Iterable[str | Path]) -> list[Skill]:
    """The skills a session of `role` is briefed with: the role's own plus the requested ones.

    Ordered by priority (highest first), then name. An unknown or broken requested skill is a 422.
    """
    available = {skill.name: skill for skill in list_skills(dirs)}
    for name in requested:
        skill = available.get(name)
        if skill is None:
            raise ValidationFailed.field("skills", f"unknown skill {name!r}")
        if skill.error:
            raise ValidationFailed.field("skills", f"skill {name!r} is broken: {skill.error}")
    chosen = [s for s in available.values() if s.applies_to(role) or s.name in requested]
    return sorted(chosen, key=lambda skill: (-skill.priority, skill.name))


def install_skills(
    destination: str | Path | None = None,
    *,
    force: bool = False,
    source: str | Path | None = None,
) -> list[dict[str, str]]:
    """Copy every skill file from `source` (the packaged skills) into `destination` (the user's
    skills folder); return `{"path", "action"}` per file, paths relative to the folders.

    A file is `installed` when absent, `unchanged` when equal, `updated` when it still holds
    what an earlier install wrote, and `kept` when the user edited it (`overwritten` with
    `force`). What was written is recorded in the destination's INSTALL_RECORD.
    """
    source = Path(source).expanduser() if source else paths.packaged_skills_dir()
    destination = Path(destination).expanduser() if destination else paths.user_skills_dir()
    record_path = destination / INSTALL_RECORD
    try:
        record: dict[str, str] = json.loads(record_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        record = {}
    results = []
    for file in sorted(path for path in source.rglob("*") if path.is_file()):
        relative = file.relative_to(source)
        if any(part.startswith((".", "__pycache__")) for part in relative.parts):
            continue
        key = relative.as_posix()
        target = destination / relative
        wanted = _digest(file)
        if not target.exists():
            action = "installed"
        else:
            present = _digest(target)
            if present == wanted:
                action = "unchanged"
            elif record.get(key) == present:
                action = "updated"
            else:
                action = "overwritten" if force else "kept"
        if action in ("installed", "updated", "overwritten"):
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(file, target)
        if action != "kept":
            record[key] = wanted
        results.append({"path": key, "action": action})
    destination.mkdir(parents=True, exist_ok=True)
    record_path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return results


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
