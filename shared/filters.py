"""Endpoint filters: JSONPath (RFC 9535) → expected value or operator object, every pair must
hold; ``$and`` / ``$or`` combine whole filters.

The ingress validates the expressions when an endpoint is written; the router evaluates them on
the envelope each endpoint would receive. Paths, equality and caching are those of
:mod:`shared.predicates`; here an invalid expression is an error to report, never a silent
"does not hold".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.predicates import (
    PathError,
    all_hold,
    compile_path,
    count_conditions,
    filter_problems,
    json_equal,
)

MAX_CONDITIONS = 32
# The filter's name for an invalid expression (``path`` and ``reason``).
FilterError = PathError

__all__ = [
    "MAX_CONDITIONS",
    "FilterError",
    "check_filter",
    "compile_path",
    "count_conditions",
    "holds",
    "json_equal",
]


def check_filter(conditions: Mapping[str, Any] | None) -> list[FilterError]:
    """Every invalid part of ``conditions``: paths, operators, ``$and``/``$or`` (empty when
    the filter is valid); each names where it is."""
    return filter_problems(conditions or {})


def holds(conditions: Mapping[str, Any] | None, document: Any) -> bool:
    """True when every condition holds on ``document`` (no conditions: always).

    Raises :class:`FilterError` for an invalid expression (validated configuration has none)
    or one that fails on ``document``.
    """
    return all_hold(conditions, document)
