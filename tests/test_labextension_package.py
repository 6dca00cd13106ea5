"""The Lab extension's package keeps the settings that let it build from the npm registry alone
and land where Jupyter looks for it (DESIGN.md, Pitfalls)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jupyterlab
import pytest

import maestro_jupyter

REPO = Path(__file__).resolve().parents[1]
LABEXTENSION = REPO / "labextension"


@pytest.fixture(scope="module")
def package() -> dict:
    return json.loads((LABEXTENSION / "package.json").read_text())


def major_minor(version: str) -> tuple[int, int]:
    major, minor = re.findall(r"\d+", version)[:2]
    return int(major), int(minor)


def test_core_meta_matches_the_jupyterlab_it_builds_with(package: dict) -> None:
    # Without it, jupyter-builder downloads Lab's metadata from the internet.
    core_meta = package["devDependencies"]["@jupyterlab/core-meta"]
    assert major_minor(core_meta) == major_minor(jupyterlab.__version__)
    assert "@jupyter/builder" in package["devDependencies"]


def test_rspack_is_pinned_to_one_exact_version(package: dict) -> None:
    resolutions = package["resolutions"]
    core, binding = resolutions["@rspack/core"], resolutions["@rspack/binding"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", core) and core == binding


def test_yarn_installs_plain_node_modules() -> None:
    assert re.search(
        r"^nodeLinker:\s*node-modules\s*$", (LABEXTENSION / ".yarnrc.yml").read_text(), re.M
    )
    assert (LABEXTENSION / "yarn.lock").exists()


def test_the_build_lands_where_the_wheel_and_jupyter_look(package: dict) -> None:
    (path,) = maestro_jupyter._jupyter_labextension_paths()
    assert package["name"] == path["dest"] == "maestro-jupyter"
    output = (LABEXTENSION / package["jupyterlab"]["outputDir"]).resolve()
    assert output == (Path(maestro_jupyter.__file__).parent / path["src"]).resolve()

    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    shared = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["shared-data"]
    assert shared["maestro_jupyter/labextension"] == "share/jupyter/labextensions/maestro-jupyter"
    hook = pyproject["tool"]["hatch"]["build"]["hooks"]["jupyter-builder"]
    assert hook["build-kwargs"]["path"] == "labextension"
    assert "maestro_jupyter/labextension/package.json" in hook["ensured-targets"]
