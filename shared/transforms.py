"""Endpoint transforms: a JMESPath expression over the envelope whose result becomes the body.

The ingress validates the expression when an endpoint is written; the router applies it to each
delivery. Compiled expressions are cached, so routing never parses one again.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError
from jmespath.parser import ParsedResult

# How the router's attempt record of a message its transform failed on begins its error, so
# a resend or recover knows to have the message rendered again rather than repeat a body.
FAILED = "transform failed"


class TransformError(ValueError):
    """A transform that does not parse, or that failed on one document."""


@lru_cache(maxsize=4096)
def compile_transform(expression: str) -> ParsedResult:
    """The compiled form of ``expression``; raise :class:`TransformError` when it is invalid."""
    try:
        return jmespath.compile(expression)
    except JMESPathError as exc:
        raise TransformError(" ".join(str(exc).split())) from None


def apply(expression: str, document: dict[str, Any]) -> Any:
    """The transform's result on ``document``.

    Raises :class:`TransformError` when the expression fails on this document (a function
    given the wrong type) or its result is null: a body of ``null`` is never what an endpoint
    wants, it means the expression did not find what it was written for.
    """
    try:
        result = compile_transform(expression).search(document)
    except JMESPathError as exc:
        raise TransformError(" ".join(str(exc).split())) from None
    if result is None:
        raise TransformError("the transform produced null")
    return result
