"""Records built from the contract examples, for tests of the consumers."""

from __future__ import annotations

from typing import Any

import orjson
from aiokafka import ConsumerRecord, TopicPartition

from shared import signing
from shared.contracts import Contract, examples
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


def delivery() -> dict[str, Any]:
    """A first-attempt delivery record."""
    return example(Contract.DELIVERY, "first_attempt")


def endpoint(**changes: Any) -> dict[str, Any]:
    """An endpoint config object with a fresh secret, updated with ``changes``."""
    data: dict[str, Any] = example(Contract.CONFIG, "endpoint")["data"]
    data["secrets"] = [{"secret": signing.generate_secret(), "expires_at": None}]
    return {**data, **changes}
