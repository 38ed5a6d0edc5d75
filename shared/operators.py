"""Operator objects of filters and matches: ``{"$gt": 100}`` instead of a plain value.

A value in a filter is either plain (it holds when the path selects a value JSON-equal to it)
or an operator object, one whose keys start with ``$``. Each operator is judged against every
value the path selected (``values``); an object of several operators holds when each does:

- ``$eq`` / ``$neq``: some value equals / no value equals (so ``$neq`` holds when the path
  selects nothing, as MongoDB's ``$ne`` does);
- ``$gt``, ``$gte``, ``$lt``, ``$lte``: some value compares so; numbers compare with numbers,
  strings with strings (ISO 8601 timestamps in order), anything else never;
- ``$in`` / ``$nin``: some value is / no value is one of the list's;
- ``$exists``: the path selects something (true) or nothing (false);
- ``$regex``: some string value contains a match (anchored nowhere). Patterns are RE2
  (google-re2): matching takes time linear in the text, so no pattern can stall a service.
  Compiled once and cached.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

import re2  # type: ignore[import-untyped]

COMPARISONS = ("$gt", "$gte", "$lt", "$lte")
OPERATORS = frozenset({"$eq", "$neq", "$in", "$nin", "$exists", "$regex", *COMPARISONS})
MAX_LIST = 256
MAX_PATTERN = 1024
_REGEX_MEMORY = 8 << 20  # bytes RE2 may use for one compiled pattern
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "$gt": lambda a, b: a > b,
    "$gte": lambda a, b: a >= b,
    "$lt": lambda a, b: a < b,
    "$lte": lambda a, b: a <= b,
}


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


def is_operator_object(value: Any) -> bool:
    """True when ``value`` is an operator object: a JSON object with a key starting ``$``."""
    return isinstance(value, dict) and any(str(key).startswith("$") for key in value)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _comparable(left: Any, right: Any) -> bool:
    return (_number(left) and _number(right)) or (isinstance(left, str) and isinstance(right, str))


@lru_cache(maxsize=1024)
def compile_regex(pattern: str) -> Any:
    """The compiled RE2 form of ``pattern``; raise ``ValueError`` naming why it is invalid."""
    options = re2.Options()
    options.log_errors = False
    options.max_mem = _REGEX_MEMORY
    try:
        return re2.compile(pattern, options=options)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        text = reason.decode(errors="replace") if isinstance(reason, bytes) else str(reason)
        raise ValueError(f"invalid $regex: {text}") from None


def _one(operator: str, operand: Any, values: Sequence[Any]) -> bool:
    if operator == "$exists":
        return bool(values) is bool(operand)
    if operator == "$eq":
        return any(json_equal(value, operand) for value in values)
    if operator == "$neq":
        return not any(json_equal(value, operand) for value in values)
    if operator == "$in":
        return any(json_equal(value, item) for value in values for item in operand)
    if operator == "$nin":
        return not any(json_equal(value, item) for value in values for item in operand)
    if operator == "$regex":
        regex = compile_regex(operand)
        return any(isinstance(value, str) and regex.search(value) for value in values)
    compare = _COMPARE[operator]
    return any(_comparable(value, operand) and compare(value, operand) for value in values)


def value_holds(expected: Any, values: Sequence[Any]) -> bool:
    """True when ``expected`` (plain value or operator object) holds for the selected
    ``values``. The operator object must have been checked (:func:`operand_problems`)."""
    if not is_operator_object(expected):
        return any(json_equal(value, expected) for value in values)
    return all(_one(operator, operand, values) for operator, operand in expected.items())


def operand_problems(spec: dict[str, Any]) -> list[tuple[str, str]]:
    """``(operator, reason)`` for each unknown operator or unusable operand of ``spec``."""
    problems = []
    for operator, operand in spec.items():
        reason = _operand_problem(operator, operand)
        if reason is not None:
            problems.append((operator, reason))
    return problems


def _operand_problem(operator: str, operand: Any) -> str | None:
    if operator not in OPERATORS:
        known = ", ".join(sorted(OPERATORS | {"$and", "$or"}))
        return f"unknown operator {operator!r} (known: {known})"
    if operator in ("$in", "$nin"):
        if not isinstance(operand, list) or len(operand) > MAX_LIST:
            return f"{operator} takes a list of at most {MAX_LIST} values"
    elif operator == "$exists":
        if not isinstance(operand, bool):
            return "$exists takes true or false"
    elif operator == "$regex":
        if not isinstance(operand, str) or len(operand) > MAX_PATTERN:
            return f"$regex takes a pattern of at most {MAX_PATTERN} characters"
        try:
            compile_regex(operand)
        except ValueError as exc:
            return str(exc)
    elif operator in COMPARISONS and not (_number(operand) or isinstance(operand, str)):
        return f"{operator} takes a number or a string"
    return None
