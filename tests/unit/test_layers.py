"""The house rules, checked on the source: one-way layers, no import circles, modules of one job.

Every import counts, also those inside functions (a lazy import is still a dependency).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("ingest", "assistant", "evals")
# the layers, lowest first: a package may import only itself and the packages before it
ORDER = {"ingest": 0, "assistant": 1, "evals": 2}
# the one module that composes every layer (its `eval` and `bench` commands run evals code)
COMPOSER = "assistant.cli"
MAX_LINES = 450


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found[module_name(path)] = path
    return found


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """Project modules that `name` imports, resolved to the deepest known module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".") if is_package else name.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # `from a.b import c`: the module a.b.c if there is one, else a.b (c is a name in it)
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        for target in targets:
            parts = target.split(".")
            while parts and ".".join(parts) not in known:
                parts.pop()
            if parts and ".".join(parts) != name:
                out.add(".".join(parts))
    return out


def graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    return {name: imports_of(name, path, known) for name, path in mods.items()}


def test_the_checker_sees_function_level_and_relative_imports(tmp_path):
    path = tmp_path / "m.py"
    path.write_text("def f():\n    from ingest.store import x\nfrom . import sibling\n")
    found = imports_of("assistant.pkg.m", path, {"ingest.store", "assistant.pkg.sibling", "assistant.pkg"})
    assert found == {"ingest.store", "assistant.pkg.sibling"}


def test_layers_point_one_way():
    broken = []
    for name, targets in graph().items():
        if name == COMPOSER:
            continue
        layer = ORDER[name.split(".")[0]]
        for target in targets:
            if ORDER[target.split(".")[0]] > layer:
                broken.append(f"{name} imports {target}")
    assert not broken, "imports against the layer order:\n" + "\n".join(sorted(broken))


def test_no_import_circles():
    g = graph()
    # a package's __init__ is left out: importing a.b runs a/__init__, but that is no dependency
    # of a.b's own code, and the __init__ files here hold no imports of their children's users
    colour: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(node: str) -> None:
        colour[node] = 1
        stack.append(node)
        for nxt in sorted(g.get(node, ())):
            if colour.get(nxt) == 1:
                circles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in colour:
                visit(nxt)
        stack.pop()
        colour[node] = 2

    for node in sorted(g):
        if node not in colour:
            visit(node)
    assert not circles, "import circles:\n" + "\n".join(" -> ".join(c) for c in circles)


@pytest.mark.parametrize("package", PACKAGES)
def test_modules_have_one_job(package):
    too_long = []
    for path in sorted((ROOT / package).rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        head = "\n".join(lines[:30])
        if len(lines) > MAX_LINES and "Longer than" not in head:
            too_long.append(f"{path.relative_to(ROOT)}: {len(lines)} lines")
    assert not too_long, f"modules over {MAX_LINES} lines without a reason at the top:\n" + "\n".join(too_long)
