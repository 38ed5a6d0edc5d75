"""The import graph of ``services/`` and ``shared/``, read with :mod:`ast`: no module imports
itself through others (no import circle, ``TYPE_CHECKING`` imports included), and no service
imports another."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ROOTS = ("services", "shared")


def module_name(path: Path) -> str:
    """``services/a/b.py`` -> ``services.a.b``; a package's ``__init__.py`` is the package."""
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for root in ROOTS for p in (REPO / root).rglob("*.py")}


def imported(path: Path, name: str, modules: set[str]) -> set[str]:
    """The modules of the tree that ``path`` (module ``name``) imports, anywhere in it (in a
    function or under ``TYPE_CHECKING`` too): ``from a import b`` names ``a.b`` when that is a
    module, else ``a``."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            # ``from a import b`` runs package ``a`` first, even when ``b`` is a module.
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return (found & modules) - {name}


def graph() -> dict[str, set[str]]:
    modules = all_modules()
    names = set(modules)
    return {name: imported(path, name, names) for name, path in modules.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """One circle per strongly connected group of modules (Tarjan), as a path through it."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return groups


def test_the_graph_is_read() -> None:
    edges = graph()
    assert "services.dispatcher.handler" in edges
    assert "shared.contracts" in edges["services.dispatcher.handler"] | set().union(
        *(edges[m] for m in edges["services.dispatcher.handler"])
    )


def test_a_circle_is_found() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_circle() -> None:
    found = cycles(graph())
    assert not found, found


def test_no_service_imports_another() -> None:
    crossing = sorted(
        (name, target)
        for name, targets in graph().items()
        for target in targets
        if name.startswith("services.")
        and target.startswith("services.")
        and len(name.split(".")) > 2
        and len(target.split(".")) > 2
        and name.split(".")[1] != target.split(".")[1]
        and (REPO / "services" / name.split(".")[1] / "main.py").exists()
        and (REPO / "services" / target.split(".")[1] / "main.py").exists()
    )
    assert not crossing, crossing
