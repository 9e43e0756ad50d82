"""No import cycles between creditline's top-level packages.

The graph is read from the source (the AST), not from ``sys.modules``: an import inside a
function counts as much as one at the top of a module, or a lazy import would only hide the
cycle. A link that must run both ways is made in ``creditline/wiring.py`` (the composition
root), which is a module, not a package, and so stands outside the graph.
"""
from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[2] / "creditline"

# Edges allowed to close a cycle, each with why it is still there: none is left (the last, loans ->
# guarantees, went when a guarantee's links to its loan moved into guarantees/loan_link.py and wiring.py).
# An edge listed here that no longer exists fails the test, so the list only shrinks.
ALLOWED: dict[tuple[str, str], str] = {}


def _modules(root: Path) -> dict[str, tuple[Path, bool]]:
    """Every module under ``root`` by dotted name, with whether it is a package's __init__."""
    found = {}
    for path in root.rglob("*.py"):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        found[".".join(parts)] = (path, is_package)
    return found


def _targets(name: str, is_package: bool, node: ast.Import | ast.ImportFrom, known: set[str]) -> list[str]:
    """The modules one import statement loads (``from . import x`` loads the submodule x)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        base = name.split(".") if is_package else name.split(".")[:-1]
        base = base[:len(base) - (node.level - 1)]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    return [target] + [f"{target}.{alias.name}" for alias in node.names if f"{target}.{alias.name}" in known]


def package_graph(root: Path) -> dict[tuple[str, str], list[str]]:
    """Edges between the top-level packages under ``root``, each with the imports that make it."""
    modules = _modules(root)
    top = root.name
    packages = {name.split(".")[1] for name, (_, is_package) in modules.items()
                if is_package and name.count(".") == 1}
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for name, (path, is_package) in modules.items():
        if name.count(".") < 1 or name.split(".")[1] not in packages:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            for target in _targets(name, is_package, node, set(modules)):
                parts = target.split(".")
                if len(parts) < 2 or parts[0] != top or parts[1] not in packages:
                    continue
                if parts[1] != name.split(".")[1]:
                    edges[(name.split(".")[1], parts[1])].append(f"{name}:{node.lineno} imports {target}")
    return dict(edges)


def cycles(edges: set[tuple[str, str]]) -> list[list[str]]:
    """Every elementary cycle, each listed once from its smallest package."""
    graph: dict[str, set[str]] = defaultdict(set)
    for a, b in edges:
        graph[a].add(b)
    found: list[list[str]] = []

    def walk(start: str, node: str, path: list[str]) -> None:
        for nxt in sorted(graph[node]):
            if nxt == start:
                found.append(path + [start])
            elif nxt > start and nxt not in path:
                walk(start, nxt, path + [nxt])

    for start in sorted(graph):
        walk(start, start, [start])
    return found


def test_graph_counts_function_level_imports_and_finds_the_cycle(tmp_path: Path) -> None:
    pkg = tmp_path / "app"
    for sub, text in {"a": "from ..b import thing\n",
                      "b": "def later():\n    from ..c.deep import x\n",
                      "c": "import app.a.mod\n"}.items():
        (pkg / sub).mkdir(parents=True)
        (pkg / sub / "__init__.py").write_text(text)
        (pkg / sub / "mod.py").write_text("")
    (pkg / "c" / "deep.py").write_text("")
    (pkg / "__init__.py").write_text("from .a import mod\n")  # the root is not a package node
    edges = package_graph(pkg)
    assert set(edges) == {("a", "b"), ("b", "c"), ("c", "a")}
    assert cycles(set(edges)) == [["a", "b", "c", "a"]]
    assert cycles({("a", "b"), ("b", "c")}) == []


def test_no_import_cycles_between_packages() -> None:
    edges = package_graph(SOURCE)
    stale = [edge for edge in ALLOWED if edge not in edges]
    assert not stale, f"allowed imports that no longer exist (remove them from ALLOWED): {stale}"
    remaining = cycles(set(edges) - set(ALLOWED))
    if remaining:
        lines = []
        for cycle in remaining:
            lines.append(" -> ".join(cycle))
            for a, b in zip(cycle, cycle[1:]):
                lines += [f"    {line}" for line in edges[(a, b)][:3]]
        pytest.fail(f"{len(remaining)} import cycles between packages:\n" + "\n".join(lines))


def test_allowed_edges_are_each_part_of_a_cycle() -> None:
    # An allowance that closes no cycle any more is a dependency in the right direction: drop it.
    edges = set(package_graph(SOURCE))
    for edge in ALLOWED:
        assert any(edge in zip(c, c[1:]) for c in cycles(edges - (set(ALLOWED) - {edge}))), (
            f"{edge} no longer closes a cycle: remove it from ALLOWED")
