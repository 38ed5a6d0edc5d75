"""The event type of an ``app`` route's message: fixed, or taken from the request.

A route's ``event_type`` is a name (``"github.push"``), ``{"header": "X-GitHub-Event",
"prefix": "github."}`` (the header's value, after the optional prefix) or ``{"jsonpath":
"$.type"}`` (the first value the path finds in the body's document, which must be text). A
request without that header or value fails the route with a reason saying so; the name made
must still be a valid event type name (the planner checks it as it encodes the message).
Pure: no Kafka.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.inbound import find

MAX_CHARS = 256


class Unresolved(ValueError):
    """The request does not carry the event type the route takes from it."""


def event_type_of(spec: Any, inbound: Mapping[str, Any], doc: Any) -> str:
    """The event type ``spec`` gives for ``inbound`` (whose body's document is ``doc``); raise
    :class:`Unresolved` with a reason fit for the received log."""
    if isinstance(spec, str):
        return spec
    if not isinstance(spec, dict) or not (spec.get("header") or spec.get("jsonpath")):
        raise Unresolved(f"the route's event_type {spec!r} is neither a name, a header nor a path")
    if spec.get("header"):
        name = str(spec["header"])
        value = inbound["headers"].get(name.lower(), "").strip()
        if not value:
            raise Unresolved(f"no {name} header: the route takes its event type from it")
        return _checked(f"{spec.get('prefix') or ''}{value}", f"header {name}")
    path = str(spec["jsonpath"])
    found = find(path, doc)
    if not found or found[0] is None:
        raise Unresolved(f"{path} not found in the body: the route takes its event type from it")
    if not isinstance(found[0], str):
        raise Unresolved(f"{path} is a {type(found[0]).__name__}, not text: no event type")
    return _checked(found[0], path)


def _checked(name: str, origin: str) -> str:
    if not name or len(name) > MAX_CHARS:
        raise Unresolved(f"{origin} gives no event type of 1 to {MAX_CHARS} characters")
    return name
