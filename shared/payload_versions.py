"""Payload versions of an event type (WPVIP's "Webhook Version"): which body shape, and which
version header, an endpoint gets.

An event type may list ``versions`` (``[{"name", "transform"?}]``, oldest first, the last
current) and name a ``version_header``. An endpoint's ``version`` picks one by name (absent:
the current one). The body is the endpoint's own ``transform`` when set, else the version's,
else the envelope; the version header carries the chosen version's name. An endpoint whose
version is not the current one of a type it receives is *legacy*.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from shared.type_patterns import accepts_type


def chosen(
    event_type: Mapping[str, Any] | None, endpoint: Mapping[str, Any]
) -> Mapping[str, Any] | None:
    """The version of ``event_type`` that ``endpoint`` gets (None when the type has none):
    the one named by the endpoint's ``version``, else (absent, or a name the type lacks) the
    current one."""
    versions = (event_type or {}).get("versions") or []
    if not versions:
        return None
    wanted = endpoint.get("version")
    for version in versions:
        if version.get("name") == wanted:
            return dict(version)
    return dict(versions[-1])


def transform_for(event_type: Mapping[str, Any] | None, endpoint: Mapping[str, Any]) -> str | None:
    """The JMESPath that shapes the body: the endpoint's own, else its version's, else None."""
    own = endpoint.get("transform")
    if own:
        return str(own)
    version = chosen(event_type, endpoint)
    found = None if version is None else version.get("transform")
    return str(found) if found else None


def headers_for(
    event_type: Mapping[str, Any] | None, endpoint: Mapping[str, Any]
) -> dict[str, str]:
    """``{version_header: version name}`` when the type has versions and names a header."""
    header = (event_type or {}).get("version_header")
    version = chosen(event_type, endpoint)
    if not header or version is None:
        return {}
    return {str(header).lower(): str(version["name"])}


def covered(
    endpoint: Mapping[str, Any], catalogue: Iterable[Mapping[str, Any]]
) -> list[Mapping[str, Any]]:
    """The catalogue entries with versions that the endpoint's ``event_types`` cover."""
    return [
        event_type
        for event_type in catalogue
        if event_type.get("versions") and accepts_type(endpoint, str(event_type["name"]))
    ]


def version_names(event_types: Iterable[Mapping[str, Any]]) -> set[str]:
    """Every version name of ``event_types``."""
    return {str(v["name"]) for t in event_types for v in t.get("versions") or []}


def is_legacy(endpoint: Mapping[str, Any], catalogue: Iterable[Mapping[str, Any]]) -> bool:
    """True when the endpoint's ``version`` is set and is not the current version of some
    type it receives that has that version."""
    wanted = endpoint.get("version")
    if wanted is None:
        return False
    for event_type in covered(endpoint, catalogue):
        names = [v["name"] for v in event_type["versions"]]
        if wanted in names and names[-1] != wanted:
            return True
    return False
