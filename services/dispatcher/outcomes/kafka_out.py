"""Producing what a delivery leads to, until Kafka acknowledges it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from typing import Any

from aiokafka import AIOKafkaProducer

from shared.contracts import Contract, encode
from shared.errors import KafkaUnavailable
from shared.kafka_io import send

log = logging.getLogger(__name__)
MAX_BACKOFF_SECONDS = 5.0
Outgoing = tuple[str, Mapping[str, Any] | bytes, Contract]


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

    async def one(topic: str, value: Mapping[str, Any] | bytes, contract: Contract) -> None:
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
