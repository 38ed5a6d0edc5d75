"""Delivery records: one event rendered for one endpoint, ready to produce."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from services.router.rendering import render
from shared import clock
from shared.contracts import Contract, encode
from shared.errors import BadRecord
from shared.ids import new_id
from shared.payload_versions import headers_for
from shared.topics import MAX_VALUE_BYTES
from shared.transforms import FAILED as TRANSFORM_FAILED
from shared.transforms import TransformError


class Outgoing(NamedTuple):
    """A record to produce: topic, key, encoded value and partition (None: by key)."""

    topic: str
    key: bytes | None
    value: bytes
    partition: int | None = None


class RenderFailure(NamedTuple):
    """An endpoint the event could not be rendered for, and why."""

    endpoint_id: str
    reason: str
    url: str = ""

    def attempt(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """The attempt record (contracts/attempt.v1) that shows it in the deliveries log: a
        failed first try that sent nothing. Recovering the endpoint sends the message again,
        rendered with the endpoint's transform as it is then."""
        return {
            "v": 1,
            "id": new_id("atm"),
            "delivery_id": new_id("dlv"),
            "message_id": event["id"],
            "app_id": event["app_id"],
            "endpoint_id": self.endpoint_id,
            "event_type": event["event_type"],
            "attempt": 1,
            "timestamp": clock.iso(),
            "duration_ms": 0,
            "request": {"url": self.url, "method": "POST", "headers": {}, "body": ""},
            "response": None,
            "error": self.reason,
            "outcome": "failed",
        }


def delivery(
    event: Mapping[str, Any],
    endpoint: Mapping[str, Any],
    event_type: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The first-attempt delivery record of ``event`` for ``endpoint``; ``event_type`` is the
    event's catalogue entry, whose payload versions shape the body and add a header."""
    body, content_type = render(event, endpoint, event_type)
    return {
        "v": 1,
        "id": new_id("dlv"),
        "message_id": event["id"],
        "app_id": event["app_id"],
        "endpoint_id": endpoint["id"],
        "event_type": event["event_type"],
        "body": body,
        "content_type": content_type,
        "attempt": 1,
        "created_at": clock.iso(),
        "due_at": None,
        "config_offset": event.get("config_offset", 0),
        # Rendered with the body, so a retry names the version its body has; always present,
        # so the dispatcher knows the delivery was rendered (not repeated from the log).
        "headers": headers_for(event_type, endpoint),
    }


def deliveries(
    event: Mapping[str, Any],
    endpoints: Iterable[Mapping[str, Any]],
    topic: str,
    event_type: Mapping[str, Any] | None = None,
) -> tuple[list[Outgoing], list[RenderFailure]]:
    """Encoded delivery records of ``event``, keyed by endpoint id, and the endpoints whose
    transform failed on it (they get no delivery).

    Raises :class:`BadRecord` when a record would break its contract or exceed the record size
    the topics accept (Kafka would refuse it forever, so retrying cannot help).
    """
    records, failures = [], []
    for endpoint in endpoints:
        try:
            record = delivery(event, endpoint, event_type)
        except TransformError as exc:
            reason = f"{TRANSFORM_FAILED}: {exc}"
            failures.append(RenderFailure(endpoint["id"], reason, str(endpoint.get("url", ""))))
            continue
        value = encode(Contract.DELIVERY, record)
        if len(value) > MAX_VALUE_BYTES:
            raise BadRecord(
                f"delivery for {endpoint['id']} is {len(value)} bytes, "
                f"over the {MAX_VALUE_BYTES}-byte record limit"
            )
        records.append(Outgoing(topic, endpoint["id"].encode(), value))
    return records, failures
