"""Which event types a subscription covers: a name, ``prefix.*``, ``prefix:*`` or ``*``.

The router matches events to endpoints with it; the ingress uses it to tell which catalogue
entries (and so which payload versions) an endpoint receives.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

WILDCARD = "*"


def type_matches(pattern: str, event_type: str) -> bool:
    """True when ``pattern`` (a name, ``prefix.*``, ``prefix:*`` or ``*``) covers
    ``event_type``: ``environment:code:*`` covers ``environment:code:deployed``."""
    if pattern == WILDCARD:
        return True
    if pattern.endswith((".*", ":*")):
        return event_type.startswith(pattern[:-1])
    return pattern == event_type


def accepts_type(endpoint: Mapping[str, Any], event_type: str) -> bool:
    """True when the endpoint's ``event_types`` (absent or null = every type) cover the type."""
    patterns: Iterable[str] | None = endpoint.get("event_types")
    if patterns is None:
        return True
    return any(type_matches(pattern, event_type) for pattern in patterns)
