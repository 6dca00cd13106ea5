"""Where Maestro keeps its files: MAESTRO_HOME (default ~/.maestro) and the skills folders."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGED_SKILLS_DIR = Path(__file__).parent / "default_skills"
SOURCE_SKILLS_DIR = Path(__file__).parent.parent / "skills"


def maestro_home() -> Path:
    return Path(os.environ.get("MAESTRO_HOME") or Path.home() / ".maestro").expanduser()


def user_skills_dir() -> Path:
    return Path.home() / ".agents-ui" / "maestro-skills"


def packaged_skills_dir() -> Path:
    """The skills shipped with the package (the source tree's folder in an editable install)."""
    return PACKAGED_SKILLS_DIR if PACKAGED_SKILLS_DIR.is_dir() else SOURCE_SKILLS_DIR


def ensure_private_dir(path: Path) -> Path:
    """Create `path` (and parents) readable by the user only: it holds tokens and briefs."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)
    return path
