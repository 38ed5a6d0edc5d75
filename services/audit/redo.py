"""Delivering a logged delivery again: the record to produce for it, and producing many.

Audit never calls an endpoint: it produces delivery records to the deliveries topic, and the
dispatcher attempts them like any other (signed afresh, retried, logged); a message whose
transform failed goes to the router again as an event (:mod:`.redelivery`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from aiokafka import AIOKafkaProducer
from sqlalchemy import Engine

from services.audit import queries, redelivery
from shared.contracts import encode_delivery, encode_event
from shared.kafka_io import send
from shared.topics import Topic, physical

CHUNK = 500


class Redo(NamedTuple):
    """One record to produce: topic, key and encoded value."""

    topic: str
    key: str
    value: bytes


def again(engine: Engine, prefix: str, row: Mapping[Any, Any], offset: int) -> Redo:
    """The record that delivers attempt ``row``'s message to its endpoint once more.

    Blocks on the database (a failed transform's message is read back).
    """
    if redelivery.unrendered(row):
        message = queries.get_message(engine, row["app_id"], row["message_id"])
        if message is not None:
            event = redelivery.event_for(message, row["app_id"], row["endpoint_id"], offset)
            return Redo(physical(prefix, Topic.EVENTS), row["app_id"], encode_event(event))
    record = redelivery.delivery_from(row, offset)
    deliveries = physical(prefix, Topic.DELIVERIES)
    return Redo(deliveries, row["endpoint_id"], encode_delivery(record))


async def produce(producer: AIOKafkaProducer, redos: Sequence[Redo]) -> None:
    """Produce every record and wait for all acks, :data:`CHUNK` at a time.

    Raises :class:`shared.errors.KafkaUnavailable` when one was not acknowledged.
    """
    for start in range(0, len(redos), CHUNK):
        chunk = redos[start : start + CHUNK]
        await asyncio.gather(*(send(producer, *redo) for redo in chunk))
