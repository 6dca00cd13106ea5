"""Fixtures for the browser tests: a real `jupyter lab` process and headless Chromium."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .browsers import CHROMIUM_ARGS, require_chromium
from .lab import LabServer

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "docs" / "screenshots"
# Where `jlpm build` in labextension/ writes the extension (package.json's outputDir).
CHECKOUT_BUILD = REPO / "maestro_jupyter" / "labextension"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)


# pytest-jupyter's autouse fixtures are for in-process servers. These tests run Jupyter in a
# subprocess, and Playwright's sync API runs its own event loop in this thread, which
# pytest-jupyter's teardown would try to close while it runs.
@pytest.fixture(autouse=True)
def jp_asyncio_loop() -> None:
    return None


@pytest.fixture(autouse=True)
def jp_server_cleanup() -> None:
    return None


def make_isolated_env(root: Path) -> dict[str, str]:
    """Environment for a Jupyter process that reads and writes nothing of the user's, and runs
    this checkout's code and Lab extension build."""
    dirs = {
        "HOME": root / "home",
        "JUPYTER_CONFIG_DIR": root / "jupyter-config",
        "JUPYTER_DATA_DIR": root / "jupyter-data",
        "JUPYTER_RUNTIME_DIR": root / "jupyter-runtime",
        "JUPYTERLAB_SETTINGS_DIR": root / "lab-settings",
        "JUPYTERLAB_WORKSPACES_DIR": root / "lab-workspaces",
        "MAESTRO_HOME": root / "maestro-home",
        "JUPYTER_PATH": root / "jupyter-path",
    }
    for folder in dirs.values():
        folder.mkdir(parents=True, exist_ok=True)
    serve_checkout_build(dirs["JUPYTER_PATH"])
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("JUPYTER", "MAESTRO_"))
    }
    env.update({key: str(value) for key, value in dirs.items()})
    # This checkout's code, not whichever one the environment's editable install points at.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def serve_checkout_build(jupyter_path: Path) -> None:
    """Test the extension built in this checkout rather than the copy an install made earlier.

    Lab serves the first `maestro-jupyter` on its labextensions path, and `JUPYTER_PATH` comes
    before the environment's share/jupyter. Without a build here, the installed copy is used.
    """
    if (CHECKOUT_BUILD / "package.json").exists():
        shutil.copytree(
            CHECKOUT_BUILD, jupyter_path / "labextensions" / "maestro-jupyter", dirs_exist_ok=True
        )


@pytest.fixture
def isolated_env(tmp_path: Path) -> dict[str, str]:
    return make_isolated_env(tmp_path)


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    root = tmp_path_factory.mktemp("lab")
    server = LabServer(root, make_isolated_env(root))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def own_lab_server(tmp_path: Path) -> Iterator[LabServer]:
    """A Lab server for one test, which it may restart or give another database."""
    server = LabServer(tmp_path, make_isolated_env(tmp_path))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    executable = require_chromium()
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(executable), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    """A fresh browser profile (its own localStorage) per test."""
    context = browser.new_context(viewport={"width": 1400, "height": 860})
    context.set_default_timeout(20_000)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def workspace(request: pytest.FixtureRequest) -> str:
    return re.sub(r"\W+", "-", request.node.name).strip("-")[:60]


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """Where tests save pictures: docs/screenshots with MAESTRO_UPDATE_SCREENSHOTS=1, else a
    temporary folder, so a test run leaves the work tree clean."""
    if os.environ.get("MAESTRO_UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return SCREENSHOTS
    return tmp_path
