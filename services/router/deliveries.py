"""Delivery records: one event rendered for one endpoint, ready to produce."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from services.router.rendering import render
from shared import clock
from shared.contracts import Contract, encode
from shared.errors import BadRecord
from shared.ids import new_id
from shared.topics import MAX_VALUE_BYTES
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


def delivery(event: Mapping[str, Any], endpoint: Mapping[str, Any]) -> dict[str, Any]:
    """The first-attempt delivery record of ``event`` for ``endpoint``."""
    body, content_type = render(event, endpoint)
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
    }


def deliveries(
    event: Mapping[str, Any], endpoints: Iterable[Mapping[str, Any]], topic: str
) -> tuple[list[Outgoing], list[RenderFailure]]:
    """Encoded delivery records of ``event``, keyed by endpoint id, and the endpoints whose
    transform failed on it (they get no delivery).

    Raises :class:`BadRecord` when a record would break its contract or exceed the record size
    the topics accept (Kafka would refuse it forever, so retrying cannot help).
    """
    records, failures = [], []
    for endpoint in endpoints:
        try:
            record = delivery(event, endpoint)
        except TransformError as exc:
            failures.append(RenderFailure(endpoint["id"], f"transform failed: {exc}"))
            continue
        value = encode(Contract.DELIVERY, record)
        if len(value) > MAX_VALUE_BYTES:
            raise BadRecord(
                f"delivery for {endpoint['id']} is {len(value)} bytes, "
                f"over the {MAX_VALUE_BYTES}-byte record limit"
            )
        records.append(Outgoing(topic, endpoint["id"].encode(), value))
    return records, failures
