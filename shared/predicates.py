"""JSONPath → value predicates: the one implementation behind endpoint filters (outbound) and
source and route matches (inbound).

Paths are RFC 9535 JSONPath, such as ``$.data.environment.type`` or ``$['event']['type']``,
parsed by python-jsonpath in strict mode (none of the library's extensions, so expressions stay
portable), compiled once and cached. A predicate holds when its path selects at least one value
equal to the expected one, with JSON equality: ``1`` equals ``1.0`` but not ``true``, objects
and arrays compare deeply. A path that selects nothing does not hold.

A value may also be an operator object (``{"$gt": 100}``, :mod:`shared.operators`), and a
filter may combine whole filters with ``{"$or": [filter, ...]}`` and ``{"$and": [...]}``: one
tree walk (:func:`filter_holds`) and one check (:func:`filter_problems`) serve endpoint filters,
route matches and sources' ``match.body`` alike.

How an invalid path is treated is the caller's choice: ``shared.filters`` reports it,
``shared.inbound`` lets it hold nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Any

from jsonpath import JSONPath, JSONPathEnvironment, JSONPathError

from shared.operators import is_operator_object, json_equal, operand_problems, value_holds

__all__ = [
    "PathError",
    "all_hold",
    "check_paths",
    "compile_path",
    "count_conditions",
    "filter_holds",
    "filter_problems",
    "find",
    "holds",
    "json_equal",
    "value_holds",
]
COMBINATORS = ("$and", "$or")
MAX_DEPTH = 8
Finder = Callable[[str, Any], list[Any]]

_ENVIRONMENT = JSONPathEnvironment(strict=True)


class PathError(ValueError):
    """An expression that is not RFC 9535 JSONPath, one that failed on a document, or an
    invalid part of a filter (an unknown operator, a bad operand); ``path`` names where."""

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


def holds(expression: str, expected: Any, document: Any) -> bool:
    """True when ``expected`` (a plain value or an operator object) holds for what
    ``expression`` selects in ``document``.

    Raises :class:`PathError` as :func:`find` does.
    """
    return value_holds(expected, find(expression, document))


def filter_holds(conditions: Mapping[str, Any] | None, document: Any, finder: Finder) -> bool:
    """True when every entry of ``conditions`` holds on ``document`` (none given: always):
    ``path → value`` through ``finder``, ``$and`` / ``$or`` over their filters.

    Stops at the first that does not hold; raises what ``finder`` raises.
    """
    for key, expected in (conditions or {}).items():
        if key == "$or":
            held = any(filter_holds(each, document, finder) for each in expected)
        elif key == "$and":
            held = all(filter_holds(each, document, finder) for each in expected)
        else:
            held = value_holds(expected, finder(key, document))
        if not held:
            return False
    return True


def all_hold(predicates: Mapping[str, Any] | None, document: Any) -> bool:
    """True when every condition of ``predicates`` holds (none given: always).

    Raises :class:`PathError` as :func:`find` does.
    """
    return filter_holds(predicates, document, find)


def filter_problems(conditions: Any, where: str = "", depth: int = 0) -> list[PathError]:
    """Every invalid part of a filter: a path that does not compile, an unknown operator or
    an unusable operand, a malformed ``$and``/``$or``; each :class:`PathError` names where
    (``$or[1].$.data.n.$foo``), prefixed with ``where``. Empty when the filter is valid."""
    if not isinstance(conditions, Mapping):
        return [PathError(where or "filter", "a filter is a JSON object")]
    problems: list[PathError] = []
    for key, expected in conditions.items():
        place = f"{where}.{key}" if where else key
        if key in COMBINATORS:
            if not isinstance(expected, list) or not expected or depth >= MAX_DEPTH:
                reason = f"{key} takes a non-empty list of filters, nested at most {MAX_DEPTH}"
                problems.append(PathError(place, reason))
                continue
            for index, each in enumerate(expected):
                problems += filter_problems(each, f"{place}[{index}]", depth + 1)
            continue
        try:
            compile_path(key)
        except PathError as exc:
            problems.append(PathError(place, f"invalid JSONPath: {exc.reason}"))
            continue
        if is_operator_object(expected):
            for operator, reason in operand_problems(expected):
                problems.append(PathError(f"{place}.{operator}", reason))
    return problems


def count_conditions(conditions: Any) -> int:
    """How many ``path → value`` conditions a (valid) filter holds, nested ones included."""
    if not isinstance(conditions, Mapping):
        return 0
    total = 0
    for key, expected in conditions.items():
        if key in COMBINATORS and isinstance(expected, list):
            total += sum(count_conditions(each) for each in expected)
        else:
            total += 1
    return total
