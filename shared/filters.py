"""Endpoint filters: JSONPath (RFC 9535) → expected value, every pair must hold.

The ingress validates the expressions when an endpoint is written; the router evaluates them on
the envelope each endpoint would receive. Expressions are compiled once and cached, so routing
never parses one again.

A pair holds when the path selects at least one value equal to the expected one, with JSON
equality: ``1`` equals ``1.0`` but not ``true``, objects and arrays compare deeply. A path that
selects nothing does not hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from jsonpath import JSONPath, JSONPathEnvironment, JSONPathError

# strict: RFC 9535 syntax only, none of the library's extensions, so expressions stay portable.
_ENVIRONMENT = JSONPathEnvironment(strict=True)
MAX_CONDITIONS = 32


class FilterError(ValueError):
    """An expression that is not valid RFC 9535 JSONPath; ``path`` names it."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path!r}: {reason}")
        self.path = path
        self.reason = reason


@lru_cache(maxsize=4096)
def compile_path(expression: str) -> JSONPath:
    """The compiled form of ``expression``; raise :class:`FilterError` when it is invalid."""
    try:
        compiled = _ENVIRONMENT.compile(expression)
    except JSONPathError as exc:
        raise FilterError(expression, str(exc).splitlines()[0]) from None
    if not isinstance(compiled, JSONPath):  # a compound (union) query: not RFC 9535
        raise FilterError(expression, "not a single RFC 9535 query")
    return compiled


def check_filter(conditions: Mapping[str, Any] | None) -> list[FilterError]:
    """Every invalid expression in ``conditions`` (empty when all compile)."""
    problems = []
    for expression in conditions or {}:
        try:
            compile_path(expression)
        except FilterError as exc:
            problems.append(exc)
    return problems


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


def holds(conditions: Mapping[str, Any] | None, document: Any) -> bool:
    """True when every condition holds on ``document`` (no conditions: always).

    Raises :class:`FilterError` for an invalid expression (validated configuration has none).
    """
    for expression, expected in (conditions or {}).items():
        found = compile_path(expression).findall(document)
        if not any(json_equal(value, expected) for value in found):
            return False
    return True
