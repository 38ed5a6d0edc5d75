"""Print the code's shape: modules per service, the ten longest functions, same-named tests.

Run ``python bench/code_shape.py [checkout]``. Used for the note of issue 11.
"""

from __future__ import annotations

import ast
import sys
from collections import Counter
from pathlib import Path

# Another checkout may be measured: ``python bench/code_shape.py /path/to/checkout``.
ROOT = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent


def _modules() -> list[Path]:
    found = [*ROOT.glob("services/**/*.py"), *ROOT.glob("shared/**/*.py")]
    return sorted(p for p in found if p.name != "__init__.py")


def _home(path: Path) -> str:
    parts = path.relative_to(ROOT).parts
    return parts[0] if parts[0] == "shared" or len(parts) == 2 else f"services/{parts[1]}"


def _functions(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text())
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef)
    rel = path.relative_to(ROOT)
    return [
        (node.end_lineno - node.lineno + 1, f"{rel}:{node.name}")
        for node in ast.walk(tree)
        if isinstance(node, kinds) and node.end_lineno is not None
    ]


def _names(path: Path) -> set[str]:
    """The test names that mirror ``path``: ``x``, ``<folder>_x``, ``<service>_x`` or
    ``<service>_..._x``; an HTTP module ``x_api`` is mirrored by the names of ``x`` too."""
    parts = path.relative_to(ROOT).with_suffix("").parts[1:]
    names = {path.stem, "_".join(parts[-2:]), "_".join(parts), f"{parts[0]}_{path.stem}"}
    return names | {name.removesuffix("_api") for name in names if name.endswith("_api")}


def main() -> None:
    """Print the three figures."""
    modules = _modules()
    print("modules per home:")
    for home, count in sorted(Counter(_home(p) for p in modules).items()):
        print(f"  {home:24} {count}")
    print(f"  {'total':24} {len(modules)}")
    print("ten longest functions (lines):")
    for length, name in sorted((f for p in modules for f in _functions(p)), reverse=True)[:10]:
        print(f"  {length:4} {name}")
    tests = {p.stem.removeprefix("test_") for p in ROOT.glob("tests/**/test_*.py")}
    mirrored = [p for p in modules if _names(p) & tests]
    print(f"modules with a same-named test file: {len(mirrored)} of {len(modules)}")


if __name__ == "__main__":
    main()
