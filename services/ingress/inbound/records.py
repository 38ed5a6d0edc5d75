"""Received requests as inbound records (contracts/inbound.v1) on the events topic."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, cast

from services.ingress.publish.log_barrier import WrittenRecords
from services.ingress.web.hub import Hub
from shared import clock
from shared.contracts import encode_inbound
from shared.errors import PayloadTooLarge
from shared.ids import new_id
from shared.inbound import encode_body
from shared.kafka_io import send
from shared.records import InboundRecord, ReplyTo, Verification
from shared.topics import MAX_VALUE_BYTES


def header_map(raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """Headers by lowercased name (latin-1, as on the wire); repeats joined with ``, ``."""
    headers: dict[str, str] = {}
    for name, value in raw:
        key, text = name.decode("latin-1").lower(), value.decode("latin-1")
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    return headers


def inbound_record(
    source_id: str,
    method: str,
    path: str,
    query: str,
    headers: dict[str, str],
    body: bytes,
    *,
    verification: Mapping[str, Any],
    status: str,
    route: bool,
    config_offset: int,
    resubmission_of: str | None = None,
    reply_to: ReplyTo | None = None,
    dedupe: Mapping[str, Any] | None = None,
) -> InboundRecord:
    """The record of one received (or resubmitted) request, with a fresh ``in_`` id;
    ``reply_to`` is where a caller waits for the routes' outcomes (sync mode) or the duplicate
    verdict (``dedupe``: the key the router's window judges, and its window in seconds)."""
    text, encoding = encode_body(body)
    record: InboundRecord = {
        "v": 1,
        "kind": "inbound",
        "id": new_id("in"),
        "source_id": source_id,
        "received_at": clock.iso(),
        "method": method,
        "path": path,
        "query": query,
        "headers": headers,
        "body": text,
        "body_encoding": encoding,
        "verification": cast(Verification, dict(verification)),
        "status": status,
        "route": route,
        "config_offset": config_offset,
        "resubmission_of": resubmission_of,
    }
    if reply_to is not None:
        record["reply_to"] = {
            "instance": reply_to["instance"],
            "correlation_id": reply_to["correlation_id"],
        }
    if dedupe is not None:
        record["dedupe"] = {"key": dedupe["key"], "window_s": dedupe["window_s"]}
    return record


async def publish_inbound(hub: Hub, written: WrittenRecords, record: InboundRecord) -> None:
    """Produce the record keyed by its source id; return once Kafka acknowledged it (and noted
    it in ``written``, so received-log reads wait for it).

    Raises :class:`PayloadTooLarge` when the record would not fit a Kafka record (a body near
    a large ``HOOKBUS_MAX_BODY`` that must travel base64) and ``KafkaUnavailable``.
    """
    value = encode_inbound(record)
    if len(value) > MAX_VALUE_BYTES:
        raise PayloadTooLarge(
            f"the request is {len(value)} bytes as a record; the limit is {MAX_VALUE_BYTES}"
        )
    partition, _ = await send(hub.producer, hub.events_topic, record["source_id"], value)
    written.note(partition, record["id"])
