"""Debian's Chromium for the browser tests, with no browser download.

Python playwright launches `/usr/bin/chromium` by path. `python -m jupyterlab.browser_check`
instead runs `npx playwright install chromium` and launches Playwright's own build: for it we
register Debian's Chromium as that build (a launcher script where Playwright looks, plus the
marker that says "installed"), so the install step finds nothing to download.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

CHROMIUM = Path(os.environ.get("MAESTRO_E2E_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Where Playwright (Chrome for Testing builds) expects the executable inside an install folder.
_EXECUTABLES = {
    "chromium-": Path("chrome-linux64") / "chrome",
    "chromium_headless_shell-": Path("chrome-headless-shell-linux64") / "chrome-headless-shell",
}


def require_chromium() -> Path:
    if not CHROMIUM.exists():
        raise RuntimeError(f"{CHROMIUM} is missing: run `make chromium` (apt-get install chromium)")
    return CHROMIUM


def install_node_playwright(folder: Path, version: str) -> None:
    """The `playwright` npm package browser_check runs, pinned to the Python one's version."""
    installed = folder / "node_modules" / "playwright" / "package.json"
    if installed.exists() and f'"version": "{version}"' in installed.read_text():
        return
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / "package.json").exists():
        subprocess.run(["npm", "init", "-y"], cwd=folder, check=True, capture_output=True)
    subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", f"playwright@{version}"],
        cwd=folder,
        check=True,
        capture_output=True,
    )


def register_system_chromium(folder: Path, browsers_path: Path) -> None:
    """Make `npx playwright install chromium` in `folder` find Chromium already installed."""
    dry_run = subprocess.run(
        ["npx", "playwright", "install", "--dry-run", "chromium"],
        cwd=folder,
        env={**os.environ, "PLAYWRIGHT_BROWSERS_PATH": str(browsers_path)},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    launcher = '#!/bin/sh\nexec {} {} "$@"\n'.format(
        require_chromium(), " ".join(arg for arg in CHROMIUM_ARGS if arg != "--headless")
    )
    for location in re.findall(r"Install location:\s*(\S+)", dry_run):
        install_dir = Path(location)
        install_dir.mkdir(parents=True, exist_ok=True)
        for prefix, executable in _EXECUTABLES.items():
            if install_dir.name.startswith(prefix):
                path = install_dir / executable
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(launcher)
                path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        (install_dir / "INSTALLATION_COMPLETE").touch()


def lab_app_dir_with_browser_test(real_app_dir: Path, folder: Path) -> Path:
    """A JupyterLab app dir sharing the real one's assets, whose browser_test folder is ours."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("static", "schemas", "themes"):
        link = folder / name
        if (real_app_dir / name).exists() and not link.exists():
            link.symlink_to(real_app_dir / name)
    return folder


def npm_available() -> bool:
    return shutil.which("npm") is not None and shutil.which("npx") is not None
