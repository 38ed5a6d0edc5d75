"""Decoding a record of the deliveries topic (or a retry tier) into a typed delivery, and a
bad record's fate: dead-lettered with the reason and where it came from."""

from __future__ import annotations

import logging
from typing import Any

from aiokafka import AIOKafkaProducer

from services.dispatcher.deliveries import Delivery, delivery_contract
from services.dispatcher.outcomes.kafka_out import persistently
from shared import contracts
from shared.contracts import Contract
from shared.errors import BadRecord
from shared.inbound import decode_body
from shared.kafka_io import dead_letter, send

log = logging.getLogger(__name__)


async def decode_delivery(
    record: Any, producer: AIOKafkaProducer, dead_topic: str
) -> Delivery | None:
    """The delivery in ``record`` (an endpoint's, or a route's when its ``kind`` says so), or
    None after dead-lettering a record that breaks its contract (with the reason and where it
    came from). Blocks while Kafka is down.
    """
    try:
        return _decoded(record.value)
    except BadRecord as exc:
        origin = (record.topic, record.partition, record.offset, record.key, record.value)
        value = dead_letter(exc.reason, *origin, "dispatcher")
        key = None if record.key is None else record.key.decode("utf-8", "replace")
        where = {"topic": record.topic, "partition": record.partition, "offset": record.offset}
        await persistently(lambda: send(producer, dead_topic, key, value), "dead-lettering", where)
        log.warning("bad delivery record dead-lettered", extra={**where, "reason": exc.reason})
        return None


def _decoded(raw: bytes | None) -> Delivery:
    if delivery_contract(raw) is not Contract.ROUTE_DELIVERY:
        return contracts.decode_delivery(raw)
    delivery = contracts.decode_route_delivery(raw)
    request = delivery["request"]
    try:
        decode_body(request["body"], request["body_encoding"])
    except ValueError as exc:  # it could never be forwarded: refuse it now
        raise BadRecord(f"route delivery: {exc}", raw) from exc
    return delivery
