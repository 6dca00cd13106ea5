"""The installed package enables itself in Jupyter Server (no manual `enable` step)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path


def _jupyter(*args: str) -> str:
    jupyter = Path(sys.executable).with_name("jupyter")
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER_")}
    result = subprocess.run(
        [str(jupyter), *args], capture_output=True, text=True, env=env, timeout=120, check=True
    )
    return re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)


def test_server_extension_is_enabled_and_validates():
    listing = _jupyter("server", "extension", "list")
    assert re.search(r"maestro_jupyter\s+enabled", listing), listing
    assert re.search(r"maestro_jupyter \S+ OK", listing), listing
