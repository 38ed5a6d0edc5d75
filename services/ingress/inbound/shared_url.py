"""The shared ``/hooks`` URL: which source takes a request.

Sources with a ``match`` are tried by ascending ``priority`` (lower first; equal priorities in
creation order) and the first whose every predicate holds takes the request:

- ``headers``: name (any case) → glob on the value (``*`` = present with any value);
- ``query``: parameter → glob on its first value;
- ``body``: JSONPath → value on the body's document (JSON, or the parsed form).

``match: {}`` takes every request (a catch-all, best given the highest priority number); a
source without ``match`` is never picked here, only on its own ``/in/{source}`` URL; a disabled
source (``enabled: false``) is never picked either.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fnmatch import fnmatchcase
from typing import Any

from services.ingress.inbound.verification import InboundRequest
from shared.inbound import all_hold, document
from shared.records import JsonObject


def candidates(sources: Iterable[JsonObject]) -> list[JsonObject]:
    """Sources that take part, in the order they are tried."""
    found = [
        source
        for source in sources
        if source.get("match") is not None and source.get("enabled", True)
    ]
    # Ids are time-sortable: for equal priorities the older source is tried first.
    return sorted(found, key=lambda source: (source.get("priority", 0), source["id"]))


def _globs_hold(patterns: Mapping[str, str] | None, value_of: Any) -> bool:
    for name, pattern in (patterns or {}).items():
        value = value_of(name)
        if value is None or not fnmatchcase(value, pattern):
            return False
    return True


def matches(match: Mapping[str, Any], request: InboundRequest, doc: Any) -> bool:
    """True when every predicate of ``match`` holds for ``request`` (whose document is ``doc``)."""
    return (
        _globs_hold(match.get("headers"), request.headers.get)
        and _globs_hold(match.get("query"), request.query_value)
        and all_hold(match.get("body"), doc)
    )


def pick(sources: Iterable[JsonObject], request: InboundRequest) -> JsonObject | None:
    """The first candidate source whose ``match`` holds for ``request``, or None."""
    doc: Any = None
    parsed = False
    for source in candidates(sources):
        match = source["match"]
        if match.get("body") and not parsed:  # parse the body only when a predicate needs it
            doc, parsed = document(request.body, request.headers.get("content-type")), True
        if matches(match, request, doc):
            return source
    return None
