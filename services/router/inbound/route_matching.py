"""Which routes an accepted inbound request runs. Pure: no Kafka, no I/O.

A route matches when it is enabled (``enabled`` absent or true), its ``source_id`` is the
request's source (null: any source), its ``path`` matches the path after the source, and every
``matches`` entry (JSONPath → value on the body's document) holds. Every matching route runs,
by ascending ``priority`` then creation.

Path patterns: ``*`` matches within one segment (no ``/``), ``**`` across segments (also
nothing), ``?`` one character other than ``/``; anything else is literal, so a pattern without
those is an exact match. A null path matches every path. The query string never counts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any, Protocol

from shared.inbound import all_hold
from shared.records import JsonObject

_GLOB = re.compile(r"\*\*|\*|\?")
_PARTS = {"**": ".*", "*": "[^/]*", "?": "[^/]"}


class RouteReader(Protocol):
    """The part of the config view route matching reads."""

    def all(self, kind: str) -> Iterable[JsonObject]: ...


@lru_cache(maxsize=4096)
def path_pattern(pattern: str) -> re.Pattern[str]:
    """The regular expression of a route path pattern (leading ``/`` ignored)."""
    pattern = pattern.lstrip("/")
    regex, end = [], 0
    for found in _GLOB.finditer(pattern):
        regex.append(re.escape(pattern[end : found.start()]))
        regex.append(_PARTS[found.group()])
        end = found.end()
    regex.append(re.escape(pattern[end:]))
    return re.compile("".join(regex), re.DOTALL)


def path_matches(pattern: str | None, path: str) -> bool:
    """True when ``pattern`` (null = any) matches the whole ``path`` after the source."""
    return pattern is None or path_pattern(pattern).fullmatch(path.lstrip("/")) is not None


def route_matches(route: Mapping[str, Any], source_id: str, path: str, doc: Any) -> bool:
    """True when ``route`` runs for a request of ``source_id`` on ``path`` with document ``doc``."""
    wanted = route.get("source_id")
    return (
        route.get("enabled", True) is not False
        and (wanted is None or wanted == source_id)
        and path_matches(route.get("path"), path)
        and all_hold(route.get("matches"), doc)
    )


def matching_routes(config: RouteReader, source_id: str, path: str, doc: Any) -> list[JsonObject]:
    """Every route that runs, in the order they run."""
    found = [r for r in config.all("route") if route_matches(r, source_id, path, doc)]
    return sorted(found, key=lambda route: (route.get("priority", 0), route["id"]))
