"""`python -m jupyterlab.browser_check` passes with the Maestro extension installed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .browsers import (
    install_node_playwright,
    lab_app_dir_with_browser_test,
    npm_available,
    register_system_chromium,
    require_chromium,
)

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / "build" / "e2e"


def driver_version() -> str:
    import playwright

    package = Path(playwright.__file__).parent / "driver" / "package" / "package.json"
    return json.loads(package.read_text())["version"]


def test_extension_is_installed_and_enabled() -> None:
    listing = subprocess.run(
        [sys.executable, "-m", "jupyter", "labextension", "list"],
        capture_output=True,
        text=True,
        check=True,
    )
    output = listing.stdout + listing.stderr
    line = next((row for row in output.splitlines() if "maestro-jupyter" in row), "")
    assert "enabled" in line and "OK" in line, output


@pytest.mark.timeout(600)
def test_browser_check_passes(tmp_path: Path, isolated_env: dict[str, str]) -> None:
    require_chromium()
    if not npm_available():
        pytest.fail("npm is needed to run jupyterlab.browser_check")
    from jupyterlab.commands import get_app_dir

    app_dir = lab_app_dir_with_browser_test(Path(get_app_dir()), CACHE / "lab-app-dir")
    browser_test = app_dir / "browser_test"
    install_node_playwright(browser_test, driver_version())
    browsers = CACHE / "playwright-browsers"
    register_system_chromium(browser_test, browsers)

    env = {
        **isolated_env,
        "JUPYTERLAB_DIR": str(app_dir),
        "PLAYWRIGHT_BROWSERS_PATH": str(browsers),
    }
    args = [sys.executable, "-m", "jupyterlab.browser_check"]
    if os.geteuid() == 0:
        args.append("--allow-root")
    result = subprocess.run(args, env=env, capture_output=True, text=True, timeout=540)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-6000:]
    assert "Browser test complete" in log, log[-6000:]
