"""Turning an accepted message into an event record on the events topic."""

from __future__ import annotations

import asyncio

from services.ingress.web.hub import Hub
from shared import clock, metrics
from shared.contracts import encode_event
from shared.errors import PayloadTooLarge
from shared.ids import new_id
from shared.kafka_io import send
from shared.records import EventRecord, Idempotency, JsonObject, ReplyTo


def event_record(
    app_id: str,
    event_type: str,
    payload: JsonObject,
    config_offset: int,
    message_id: str | None = None,
    channels: list[str] | None = None,
    endpoint_id: str | None = None,
    *,
    dedupe: bool | None = None,
    idempotency: Idempotency | None = None,
    reply_to: ReplyTo | None = None,
) -> EventRecord:
    """The event record for one message (``endpoint_id`` restricts it to one endpoint).

    ``dedupe`` (default: whether the caller chose the id) puts the id through the router's
    duplicate check; ``idempotency`` carries an Idempotency-Key and the request's hash;
    ``reply_to`` is where the router sends its verdict.
    """
    record: EventRecord = {
        "v": 1,
        "id": message_id or new_id("msg"),
        "app_id": app_id,
        "event_type": event_type,
        "payload": payload,
        "channels": channels or [],
        "timestamp": clock.iso(),
        "config_offset": config_offset,
        "dedupe": message_id is not None if dedupe is None else dedupe,
    }
    if endpoint_id is not None:
        record["endpoint_id"] = endpoint_id
    if idempotency is not None:
        record["idempotency"] = idempotency
    if reply_to is not None:
        record["reply_to"] = reply_to
    return record


def message_view(record: EventRecord) -> JsonObject:
    """The message as the API answers it."""
    return {
        "id": record["id"],
        "event_type": record["event_type"],
        "payload": record["payload"],
        "channels": record.get("channels", []),
        "timestamp": record["timestamp"],
    }


async def publish(hub: Hub, records: list[EventRecord]) -> None:
    """Produce the records and return once Kafka acknowledged every one (acks=all).

    Raises :class:`PayloadTooLarge` before writing anything when a record is over the limit,
    and ``KafkaUnavailable`` when Kafka does not acknowledge.
    """
    encoded = [encode_event(record) for record in records]
    limit = hub.settings.max_payload_bytes
    for record, value in zip(records, encoded, strict=True):
        if len(value) > limit:
            raise PayloadTooLarge(
                f"message is {len(value)} bytes; the limit is {limit}", {"id": record["id"]}
            )
    written = await asyncio.gather(
        *(
            send(hub.producer, hub.events_topic, record["app_id"], value)
            for record, value in zip(records, encoded, strict=True)
        )
    )
    for record, (partition, _offset) in zip(records, written, strict=True):
        hub.messages_written.note(partition, f"{record['app_id']}/{record['id']}")
    metrics.EVENTS_ACCEPTED.labels("message").inc(len(records))
