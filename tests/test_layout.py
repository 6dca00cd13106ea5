"""The code reads as its layout says: every module is named in the README's layout section, and
no module imports another that imports it back (at import time)."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("maestro_jupyter", "maestro_cli")


def _layout_section() -> str:
    readme = (REPO / "README.md").read_text()
    return readme[readme.index("## Layout") :]


def test_every_module_of_the_server_package_is_in_the_readme_layout():
    layout = _layout_section()
    package = REPO / "maestro_jupyter"
    names = [
        path.name if path.is_dir() else path.stem
        for path in package.iterdir()
        if not path.name.startswith("_")
        and path.name not in ("labextension", "default_skills", "__pycache__")
        and (path.is_dir() or path.suffix == ".py")
    ]
    missing = [name for name in names if name not in layout]
    assert not missing, f"not in README's layout section: {missing}"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _top_level_imports(path: Path, module: str) -> set[str]:
    """Modules imported when `module` is imported: not those inside functions, not under
    TYPE_CHECKING."""
    tree = ast.parse(path.read_text())
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        for child in ast.walk(node) if isinstance(node, (ast.If, ast.Try)) else [node]:
            if isinstance(child, ast.Import):
                found.update(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")
                    anchor = anchor[: len(anchor) - child.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                found.add(base)
                found.update(f"{base}.{alias.name}" for alias in child.names)
    return {name for name in found if name.split(".")[0] in PACKAGES}


def test_no_import_cycles():
    modules = {
        _module_name(path): path
        for package in PACKAGES
        for path in (REPO / package).rglob("*.py")
        if "migrations/versions" not in path.as_posix()
    }
    graph = {
        name: {dep for dep in _top_level_imports(path, name) if dep in modules and dep != name}
        for name, path in modules.items()
    }
    cycles = []
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for dep in sorted(graph[node]):
            # A package's __init__ importing its own submodules is how packages work, not a cycle.
            if dep.startswith(node + ".") or node.startswith(dep + "."):
                continue
            if state.get(dep) == 1:
                cycles.append(trail[trail.index(dep) :] + [dep] if dep in trail else [node, dep])
            elif dep not in state:
                visit(dep, trail + [dep])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert not cycles, f"import cycles: {cycles}"
