"""The repository's layout, read from the imports of its modules: ``services/<name>/`` holds one
service each and none of them imports another; ``shared/`` imports no service and holds only
what two or more services use (directly, or through another shared module)."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SERVICES = sorted(p.name for p in (REPO / "services").iterdir() if (p / "main.py").exists())
# Not a service's code: the local Kafka broker that `hookbus run` and the test suite start, and
# tying the processes `hookbus run` starts to its own life.
DEVELOPMENT_ONLY = {"local_kafka", "parent_death"}


def imports(path: Path) -> set[str]:
    """Every module ``path`` imports, anywhere in it (``from a import b`` gives a and a.b)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def imports_of(folder: Path) -> set[str]:
    return set().union(*(imports(path) for path in folder.rglob("*.py")))


def imports_of_unit(unit: str) -> set[str]:
    """What the shared module or package ``unit`` imports."""
    package = REPO / "shared" / unit
    return imports_of(package) if package.is_dir() else imports(package.with_suffix(".py"))


def shared_unit(module: str) -> str | None:
    """``shared.x.y`` -> ``x`` (the shared module or package it is part of)."""
    parts = module.split(".")
    return parts[1] if parts[0] == "shared" and len(parts) > 1 else None


def test_there_are_four_services() -> None:
    assert SERVICES == ["audit", "dispatcher", "ingress", "router"]


def test_no_service_imports_another() -> None:
    crossing = {
        (name, module)
        for name in SERVICES
        for module in imports_of(REPO / "services" / name)
        if module.startswith("services.") and module.split(".")[1] != name
    }
    assert not crossing, crossing


def test_shared_imports_no_service() -> None:
    found = {m for m in imports_of(REPO / "shared") if m.split(".")[0] == "services"}
    assert not found, found


def test_shared_holds_only_what_two_services_use() -> None:
    units = {p.stem for p in (REPO / "shared").iterdir() if p.suffix == ".py" or p.is_dir()}
    units -= {"__init__", "__pycache__"}
    # What each shared unit uses of the others, so an indirect use counts.
    uses = {unit: {u for m in imports_of_unit(unit) if (u := shared_unit(m))} for unit in units}
    users: dict[str, set[str]] = {unit: set() for unit in units}
    for name in SERVICES:
        reached = {u for m in imports_of(REPO / "services" / name) if (u := shared_unit(m))}
        while True:
            more = set().union(*(uses.get(u, set()) for u in reached)) - reached
            if not more:
                break
            reached |= more
        for unit in reached & units:
            users[unit].add(name)
    lonely = {unit: sorted(names) for unit, names in users.items() if len(names) < 2}
    assert set(lonely) == DEVELOPMENT_ONLY, lonely


def test_the_readme_layout_table_names_only_what_is_there() -> None:
    readme = (REPO / "README.md").read_text()
    table = readme.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    paths = {
        word
        for line in table.splitlines()
        if line.startswith("| `")
        for word in line.split("|")[1].replace("`", " ").replace(",", " ").split()
        if "<" not in word
    }
    assert paths, "no paths in the layout table"
    # A folder's row names files in it: those must be there too.
    for line in table.splitlines():
        cells = line.split("|")
        folder = cells[1].strip().strip("`") if line.startswith("| `") else ""
        if folder.endswith("/") and "<" not in folder:
            named = cells[2].split("`")[1::2]
            names = (n.removeprefix(folder) for n in named if "*" not in n)
            paths |= {folder + name for name in names if name.endswith((".py", "/"))}
    missing = sorted(p for p in paths if not (REPO / p).exists())
    assert not missing, missing
