"""Contract records to table rows, and the timestamps lists are ordered by.

No I/O. Record values are assumed valid against their contract; a timestamp the contract's
``date-time`` format allows but Python cannot read raises ``ValueError``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import orjson
from sqlalchemy import Table

from services.audit.schema import attempts, dead_letters, message_channels, messages
from shared import clock

Row = dict[str, Any]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_LEAP_SECOND = re.compile(r"(?<=[Tt ]\d\d:\d\d):60")


class Origin(NamedTuple):
    """Where a record was read: topic, partition, offset."""

    topic: str
    partition: int
    offset: int


def epoch_ms(text: str) -> int:
    """Milliseconds since the epoch of an ISO 8601 timestamp; raise ``ValueError``."""
    try:
        moment = clock.parse(text)
    except ValueError:
        # RFC 3339 (and so the contracts) allow a leap second; Python does not: count it as
        # the first instant of the next minute.
        fixed = _LEAP_SECOND.sub(":59", text, count=1)
        if fixed == text:
            raise
        return epoch_ms(fixed) + 1000
    # Integer arithmetic on timedeltas: float seconds would round .123 down to 122 ms.
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def iso_from_ms(millis: int) -> str:
    """The ISO 8601 text (milliseconds, ``Z``) of a time in milliseconds since the epoch."""
    return clock.iso(_EPOCH + timedelta(milliseconds=millis))


def to_json(value: Any) -> str:
    """``value`` as the text of a JSON column."""
    return orjson.dumps(value).decode()


def origin_columns(origin: Origin) -> Row:
    """The columns that say where a record was read."""
    return {"kafka_partition": origin.partition, "kafka_offset": origin.offset}


def tried_columns(record: Mapping[str, Any], origin: Origin) -> Row:
    """The columns every attempt row has beyond its ids (an endpoint's or a route's attempt)."""
    response = record["response"]
    return {
        "attempt": record["attempt"],
        "timestamp": record["timestamp"],
        "ts_ms": epoch_ms(record["timestamp"]),
        "duration_ms": record["duration_ms"],
        "status": None if response is None else response["status"],
        "outcome": record["outcome"],
        "request": to_json(record["request"]),
        "response": None if response is None else to_json(response),
        "error": record["error"],
        **origin_columns(origin),
    }


def event_rows(record: Mapping[str, Any], origin: Origin) -> list[tuple[Table, Row]]:
    """The message row of an event record, and one row per channel."""
    channels = list(dict.fromkeys(record.get("channels") or []))
    message = {
        "app_id": record["app_id"],
        "id": record["id"],
        "event_type": record["event_type"],
        "payload": to_json(record["payload"]),
        "channels": to_json(channels),
        "timestamp": record["timestamp"],
        "ts_ms": epoch_ms(record["timestamp"]),
        "endpoint_id": record.get("endpoint_id"),
        **origin_columns(origin),
    }
    found: list[tuple[Table, Row]] = [(messages, message)]
    for channel in channels:
        row = {"app_id": record["app_id"], "channel": channel, "message_id": record["id"]}
        found.append((message_channels, {**row, "ts_ms": message["ts_ms"]}))
    return found


def attempt_rows(record: Mapping[str, Any], origin: Origin) -> list[tuple[Table, Row]]:
    """The attempt row of an attempt record."""
    row = {
        "id": record["id"],
        "app_id": record["app_id"],
        "message_id": record["message_id"],
        "endpoint_id": record["endpoint_id"],
        "delivery_id": record["delivery_id"],
        "event_type": record.get("event_type"),
        **tried_columns(record, origin),
    }
    return [(attempts, row)]


def dead_letter_rows(record: Mapping[str, Any], origin: Origin) -> list[tuple[Table, Row]]:
    """The dead-letter row of a dead-letter record, keyed by its own place on the dead topic."""
    source = record["origin"]
    row = {
        "kafka_topic": origin.topic,
        "kafka_partition": origin.partition,
        "kafka_offset": origin.offset,
        "reason": record["reason"],
        "kind": record.get("kind", "bad_record"),
        "origin": to_json(source),
        "origin_topic": source["topic"],
        "origin_partition": source["partition"],
        "origin_offset": source["offset"],
        "origin_service": source.get("service", ""),
        "record": record["record"],
        "at": record["at"],
        "at_ms": epoch_ms(record["at"]),
        **delivered_ids(record["record"]),
    }
    return [(dead_letters, row)]


def delivered_ids(text: str) -> Row:
    """``app_id`` and ``message_id`` of the delivery record a dead letter copies (None each when
    it is not one, or was cut short)."""
    try:
        original = orjson.loads(text)
    except orjson.JSONDecodeError:
        original = None
    if not isinstance(original, dict):
        original = {}
    found = {key: original.get(key) for key in ("app_id", "message_id")}
    return {key: value if isinstance(value, str) else None for key, value in found.items()}
