"""JSONPath → value predicates: the one implementation behind endpoint filters (outbound) and
source and route matches (inbound).

Paths are RFC 9535 JSONPath, such as ``$.data.environment.type`` or ``$['event']['type']``,
parsed by python-jsonpath in strict mode (none of the library's extensions, so expressions stay
portable), compiled once and cached. A predicate holds when its path selects at least one value
equal to the expected one, with JSON equality: ``1`` equals ``1.0`` but not ``true``, objects
and arrays compare deeply. A path that selects nothing does not hold.

How an invalid path is treated is the caller's choice: ``shared.filters`` reports it,
``shared.inbound`` lets it hold nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from jsonpath import JSONPath, JSONPathEnvironment, JSONPathError

_ENVIRONMENT = JSONPathEnvironment(strict=True)


class PathError(ValueError):
    """An expression that is not RFC 9535 JSONPath, or that failed on a document; ``path``
    names it."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path!r}: {reason}")
        self.path = path
        self.reason = reason


@lru_cache(maxsize=4096)
def compile_path(expression: str) -> JSONPath:
    """The compiled form of ``expression``; raise :class:`PathError` when it is invalid."""
    if not expression.startswith("$"):
        raise PathError(expression, "a JSONPath starts with $")
    try:
        compiled = _ENVIRONMENT.compile(expression)
    except JSONPathError as exc:
        raise PathError(expression, str(exc).splitlines()[0]) from None
    if not isinstance(compiled, JSONPath):  # a compound (union) query: not RFC 9535
        raise PathError(expression, "not a single RFC 9535 query")
    return compiled


def check_paths(expressions: Iterable[str]) -> list[PathError]:
    """Every invalid expression among ``expressions`` (empty when all compile)."""
    problems = []
    for expression in expressions:
        try:
            compile_path(expression)
        except PathError as exc:
            problems.append(exc)
    return problems


def find(expression: str, document: Any) -> list[Any]:
    """The values ``expression`` selects in ``document``, in document order.

    Raises :class:`PathError` when the expression is invalid or fails on the document.
    """
    compiled = compile_path(expression)
    try:
        return list(compiled.findall(document))
    except JSONPathError as exc:
        raise PathError(expression, str(exc).splitlines()[0]) from None


def json_equal(left: Any, right: Any) -> bool:
    """Equality as JSON sees it: booleans are not numbers, containers compare deeply."""
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(json_equal(left[k], right[k]) for k in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(json_equal, left, right))
    if isinstance(left, int | float) and isinstance(right, int | float):
        return left == right
    return type(left) is type(right) and bool(left == right)


def holds(expression: str, expected: Any, document: Any) -> bool:
    """True when ``expression`` selects a value JSON-equal to ``expected`` in ``document``.

    Raises :class:`PathError` as :func:`find` does.
    """
    return any(json_equal(value, expected) for value in find(expression, document))


def all_hold(predicates: Mapping[str, Any] | None, document: Any) -> bool:
    """True when every ``path → value`` of ``predicates`` holds (none given: always).

    Stops at the first that does not hold; raises :class:`PathError` as :func:`find` does.
    """
    return all(holds(path, value, document) for path, value in (predicates or {}).items())
