"""The request body of a delivery: the Standard Webhooks envelope, JSON or form-encoded.

``{"type": event_type, "timestamp": event timestamp, "data": payload}`` is what receivers get,
unless the endpoint's ``transform`` (JMESPath over the envelope), or else the transform of the
payload version it gets (:mod:`shared.payload_versions`), reshapes it; an endpoint asking for
``application/x-www-form-urlencoded`` gets ``payload=<that JSON>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote_plus

import orjson

from shared.payload_versions import transform_for
from shared.transforms import apply

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


def envelope(event: Mapping[str, Any]) -> dict[str, Any]:
    """The Standard Webhooks envelope of an event."""
    return {"type": event["event_type"], "timestamp": event["timestamp"], "data": event["payload"]}


def transformed(
    document: dict[str, Any],
    endpoint: Mapping[str, Any],
    event_type: Mapping[str, Any] | None = None,
) -> Any:
    """The document an endpoint receives: the envelope, reshaped by the endpoint's transform
    or else by that of its payload version of ``event_type`` (the catalogue entry).

    Raises :class:`shared.transforms.TransformError` when the transform fails on this document.
    """
    expression = transform_for(event_type, endpoint)
    return document if not expression else apply(expression, document)


def render(
    event: Mapping[str, Any],
    endpoint: Mapping[str, Any],
    event_type: Mapping[str, Any] | None = None,
) -> tuple[str, str]:
    """The ``(body, content_type)`` of ``event`` for ``endpoint``, ``event_type`` being the
    event's catalogue entry (for its payload versions); raise ``TransformError``."""
    content_type = endpoint.get("content_type") or JSON
    text = orjson.dumps(transformed(envelope(event), endpoint, event_type)).decode()
    if content_type == FORM:
        return "payload=" + quote_plus(text), FORM
    return text, JSON
