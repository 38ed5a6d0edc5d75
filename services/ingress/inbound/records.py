"""Received requests as inbound records (contracts/inbound.v1) on the events topic."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from services.ingress.publish.log_barrier import WrittenRecords
from services.ingress.web.hub import Hub
from shared import clock
from shared.contracts import Contract, encode
from shared.errors import PayloadTooLarge
from shared.ids import new_id
from shared.inbound import encode_body
from shared.kafka_io import send
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
    verification: dict[str, Any],
    status: str,
    route: bool,
    config_offset: int,
    resubmission_of: str | None = None,
    reply_to: dict[str, str] | None = None,
    dedupe: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The record of one received (or resubmitted) request, with a fresh ``in_`` id;
    ``reply_to`` is where a caller waits for the routes' outcomes (sync mode) or the duplicate
    verdict (``dedupe``: the key the router's window judges, and its window in seconds)."""
    text, encoding = encode_body(body)
    record = {
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
        "verification": verification,
        "status": status,
        "route": route,
        "config_offset": config_offset,
        "resubmission_of": resubmission_of,
    }
    if reply_to is not None:
        record["reply_to"] = reply_to
    if dedupe is not None:
        record["dedupe"] = dedupe
    return record


async def publish_inbound(hub: Hub, written: WrittenRecords, record: dict[str, Any]) -> None:
    """Produce the record keyed by its source id; return once Kafka acknowledged it (and noted
    it in ``written``, so received-log reads wait for it).

    Raises :class:`PayloadTooLarge` when the record would not fit a Kafka record (a body near
    a large ``HOOKBUS_MAX_BODY`` that must travel base64) and ``KafkaUnavailable``.
    """
    value = encode(Contract.INBOUND, record)
    if len(value) > MAX_VALUE_BYTES:
        raise PayloadTooLarge(
            f"the request is {len(value)} bytes as a record; the limit is {MAX_VALUE_BYTES}"
        )
    partition, _ = await send(hub.producer, hub.events_topic, record["source_id"], value)
    written.note(partition, record["id"])
