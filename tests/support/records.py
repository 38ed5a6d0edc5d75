"""Records built from the contract examples, for tests of the consumers."""

from __future__ import annotations

from typing import Any, cast

import orjson
from aiokafka import ConsumerRecord, TopicPartition

from shared import signing
from shared.contracts import Contract, encode_config, examples
from shared.records import ConfigRecord, DeliveryRecord, EventRecord
from shared.topics import Topic, physical

UNIT_PREFIX = "unit."


def consumed(
    topic: Topic, offset: int, value: dict[str, Any] | bytes | None, partition: int = 0
) -> Any:
    """``value`` as a consumer would read it at ``offset`` of ``topic`` (prefix ``unit.``)."""
    raw = orjson.dumps(value) if isinstance(value, dict) else value
    name = physical(UNIT_PREFIX, topic)
    return ConsumerRecord(name, partition, offset, 0, 0, b"k", raw, None, 1, 0, [])


def polled(*records: Any) -> dict[TopicPartition, list[Any]]:
    """``records`` grouped by partition, as ``getmany`` answers."""
    found: dict[TopicPartition, list[Any]] = {}
    for rec in records:
        found.setdefault(TopicPartition(rec.topic, rec.partition), []).append(rec)
    return found


def example(contract: Contract, stem: str) -> dict[str, Any]:
    """The example record ``contracts/examples/<contract>/<stem>.json``."""
    path = next(p for p in examples(contract) if p.stem == stem)
    record: dict[str, Any] = orjson.loads(path.read_bytes())
    return record


def delivery(**changes: Any) -> DeliveryRecord:
    """A first-attempt delivery record (``examples/delivery/first_attempt``) with ``changes``."""
    return cast(DeliveryRecord, {**example(Contract.DELIVERY, "first_attempt"), **changes})


def event(**changes: Any) -> EventRecord:
    """The smallest event (``examples/event/external_minimal``: no channels, an empty payload)
    with ``changes``."""
    return cast(EventRecord, {**example(Contract.EVENT, "external_minimal"), **changes})


def config_record(kind: str, data: dict[str, Any], updated_at: str | None = None) -> ConfigRecord:
    """The config record of ``data`` (a ``kind`` object, keyed ``kind/<data["id"]>``)."""
    at = updated_at or data.get("updated_at") or "2026-11-22T10:00:00.000Z"
    return {"v": 1, "kind": kind, "id": data["id"], "updated_at": at, "data": data}


def config_value(kind: str, data: dict[str, Any], updated_at: str | None = None) -> bytes:
    """:func:`config_record` as a record value, checked against its contract."""
    return encode_config(config_record(kind, data, updated_at))


def endpoint(**changes: Any) -> dict[str, Any]:
    """An endpoint config object with a fresh secret, updated with ``changes``."""
    data: dict[str, Any] = example(Contract.CONFIG, "endpoint")["data"]
    data["secrets"] = [{"secret": signing.generate_secret(), "expires_at": None}]
    return {**data, **changes}
