"""Turning one poll of the audit topics into a batch: rows to store, dead letters to produce.

No I/O. Each topic's records are decoded against that topic's contract; a record that fails it
becomes a dead letter instead of rows, except on the dead topic itself, where that would loop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from aiokafka import ConsumerRecord, TopicPartition
from sqlalchemy import Table

from services.audit.inbound.rows import contract_for
from services.audit.rows import Origin, Row, attempt_rows, dead_letter_rows, event_rows
from services.audit.schema import dead_letters
from services.audit.task_rows import task_rows
from shared import metrics
from shared.contracts import Contract, decode
from shared.errors import BadRecord
from shared.kafka_io import dead_letter
from shared.topics import Topic, physical

log = logging.getLogger(__name__)
Record: TypeAlias = ConsumerRecord[bytes, bytes]
Converter = Callable[[Mapping[str, Any], Origin], list[tuple[Table, Row]]]
Polled = Mapping[TopicPartition, list[Record]]
SOURCES: dict[Topic, tuple[Contract, Converter]] = {
    Topic.EVENTS: (Contract.EVENT, event_rows),
    Topic.ATTEMPTS: (Contract.ATTEMPT, attempt_rows),
    Topic.DEAD: (Contract.DEAD_LETTER, dead_letter_rows),
    Topic.TASKS: (Contract.TASK, task_rows),
}


@dataclass
class Batch:
    """What one poll amounts to: rows to store, dead letters to produce, offsets to commit."""

    dead_topic: str
    decoded: list[tuple[Record, list[tuple[Table, Row]]]] = field(default_factory=list)
    dead: list[tuple[str | None, bytes]] = field(default_factory=list)
    first: dict[TopicPartition, int] = field(default_factory=dict)
    commit: dict[TopicPartition, int] = field(default_factory=dict)

    @property
    def rows(self) -> list[tuple[Table, Row]]:
        """Every row of every well-formed record, in poll order."""
        return [row for _, rows in self.decoded for row in rows]

    def reject(self, record: Record, reason: str) -> None:
        """Dead-letter ``record``; only log it when it was read from the dead topic (no loop)."""
        where = {"topic": record.topic, "partition": record.partition, "offset": record.offset}
        if record.topic == self.dead_topic:
            log.error("unusable dead letter skipped", extra={**where, "reason": reason})
            return
        log.warning("record dead-lettered", extra={**where, "reason": reason})
        key = None if record.key is None else record.key.decode("utf-8", "replace")
        origin = (record.topic, record.partition, record.offset, record.key, record.value)
        self.dead.append((key, dead_letter(reason, *origin, service="audit")))


def to_rows(contract: Contract, convert: Converter, record: Record) -> list[tuple[Table, Row]]:
    """The rows one record becomes; raise :class:`BadRecord` when it fails its contract."""
    value = decode(contract, record.value)
    try:
        return convert(value, Origin(record.topic, record.partition, record.offset))
    except ValueError as exc:  # e.g. a date-time the schema allows but Python cannot read
        raise BadRecord(f"{contract.value}: {exc}", record.value) from exc


def sort_batch(prefix: str, polled: Polled) -> Batch:
    """Decode every polled record into rows, or into a dead letter when it is bad."""
    by_topic = {physical(prefix, topic): source for topic, source in SOURCES.items()}
    logical = {physical(prefix, topic): topic for topic in SOURCES}
    batch = Batch(physical(prefix, Topic.DEAD))
    for tp, records in polled.items():
        if not records:
            continue
        default = by_topic[tp.topic]
        for record in records:
            # Inbound records share the events and attempts topics: picked by their "kind".
            contract, convert = contract_for(logical[tp.topic], record.value, default)
            try:
                batch.decoded.append((record, to_rows(contract, convert, record)))
            except BadRecord as exc:
                batch.reject(record, exc.reason)
        batch.first[tp] = records[0].offset
        batch.commit[tp] = records[-1].offset + 1
    return batch


def count_dead_letters(batch: Batch) -> None:
    """Count the dead letters a stored batch held, by kind and the service that wrote them."""
    for table, row in batch.rows:
        if table is dead_letters:
            metrics.DEAD_LETTERS.labels(row["kind"], row["origin_service"] or "unknown").inc()
