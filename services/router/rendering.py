"""The request body of a delivery: the Standard Webhooks envelope, JSON or form-encoded.

``{"type": event_type, "timestamp": event timestamp, "data": payload}`` is what receivers get,
unless the endpoint's ``transform`` (JMESPath over the envelope) reshapes it; an endpoint asking
for ``application/x-www-form-urlencoded`` gets ``payload=<that JSON>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote_plus

import orjson

from shared.transforms import apply

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


def envelope(event: Mapping[str, Any]) -> dict[str, Any]:
    """The Standard Webhooks envelope of an event."""
    return {"type": event["event_type"], "timestamp": event["timestamp"], "data": event["payload"]}


def transformed(document: dict[str, Any], endpoint: Mapping[str, Any]) -> Any:
    """The document an endpoint receives: the envelope, reshaped by the endpoint's transform.

    Raises :class:`shared.transforms.TransformError` when the transform fails on this document.
    """
    expression = endpoint.get("transform")
    return document if not expression else apply(expression, document)


def render(event: Mapping[str, Any], endpoint: Mapping[str, Any]) -> tuple[str, str]:
    """The ``(body, content_type)`` of ``event`` for ``endpoint``; raise ``TransformError``."""
    content_type = endpoint.get("content_type") or JSON
    text = orjson.dumps(transformed(envelope(event), endpoint)).decode()
    if content_type == FORM:
        return "payload=" + quote_plus(text), FORM
    return text, JSON
