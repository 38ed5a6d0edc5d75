"""Producing what a delivery leads to, until Kafka acknowledges it, and bad records' fate."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from aiokafka import AIOKafkaProducer

from services.dispatcher.target import delivery_contract
from shared.contracts import Contract, decode, encode
from shared.errors import BadRecord, KafkaUnavailable
from shared.inbound import decode_body
from shared.kafka_io import dead_letter, send

log = logging.getLogger(__name__)
MAX_BACKOFF_SECONDS = 5.0
Outgoing = tuple[str, dict[str, Any] | bytes, Contract]


async def persistently(step: Callable[[], Awaitable[Any]], what: str, ids: dict[str, str]) -> Any:
    """Run ``step`` until Kafka stops being unavailable, backing off; cancellation ends it.

    The record stays uncommitted meanwhile, so nothing is lost if the process stops here.
    """
    delay = 0.1
    while True:
        try:
            return await step()
        except KafkaUnavailable as exc:
            log.warning("%s failed, retrying", what, extra={**ids, "error": str(exc)})
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_BACKOFF_SECONDS)


async def produce(
    producer: AIOKafkaProducer, records: list[Outgoing], key: str, ids: dict[str, str]
) -> None:
    """Produce each ``(topic, value, contract)`` under ``key`` (dicts are encoded to their
    contract) and return once Kafka acknowledged every one. Blocks while Kafka is down.
    """

    async def one(topic: str, value: dict[str, Any] | bytes, contract: Contract) -> None:
        data = value if isinstance(value, bytes) else encode(contract, value)
        await persistently(lambda: send(producer, topic, key, data), f"producing to {topic}", ids)

    await asyncio.gather(*(one(*record) for record in records))


async def produce_replies(
    producer: AIOKafkaProducer, topic: str, replies: list[tuple[bytes, bytes]]
) -> None:
    """Produce each ``(key, value)`` to the replies topic and return once acknowledged (a
    waiting ingress reads them); blocks while Kafka is down. Nothing to do for most."""
    for key, value in replies:
        name = key.decode()
        step = partial(send, producer, topic, name, value)
        await persistently(step, "replying", {"to": name})


async def decode_delivery(
    record: Any, producer: AIOKafkaProducer, dead_topic: str
) -> dict[str, Any] | None:
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


def _decoded(raw: bytes | None) -> dict[str, Any]:
    contract = delivery_contract(raw)
    delivery = decode(contract, raw)
    if contract is Contract.ROUTE_DELIVERY:
        request = delivery["request"]
        try:
            decode_body(request["body"], request["body_encoding"])
        except ValueError as exc:  # it could never be forwarded: refuse it now
            raise BadRecord(f"route delivery: {exc}", raw) from exc
    return delivery
