"""The router's producer sends at once when events are sparse and lingers when they crowd."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from aiokafka import AIOKafkaProducer

from services.router.faust_io import SendWhenIdle
from shared.kafka_io import create_topics
from shared.topics import TopicSpec

pytestmark = pytest.mark.kafka
LINGER_MS = 8000  # far longer than any of the waits below


async def _producer(bootstrap: str) -> tuple[AIOKafkaProducer, str]:
    topic = f"send-when-idle-{uuid.uuid4().hex[:8]}"
    await create_topics(bootstrap, [TopicSpec(topic, 1, {})])
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=LINGER_MS)
    await producer.start()
    return producer, topic


def test_a_sparse_event_is_sent_without_waiting_out_the_linger(kafka_bootstrap: str) -> None:
    async def scenario() -> float:
        producer, topic = await _producer(kafka_bootstrap)
        try:
            eager = SendWhenIdle(lambda: producer, sparse_gap=0.005)
            started = time.monotonic()
            ack = await producer.send(topic, b"one")
            eager.routed()
            await asyncio.wait_for(ack, LINGER_MS / 2000)
            return time.monotonic() - started
        finally:
            await producer.stop()

    assert asyncio.run(scenario()) < LINGER_MS / 2000


def test_events_close_together_keep_lingering(kafka_bootstrap: str) -> None:
    async def scenario() -> bool:
        producer, topic = await _producer(kafka_bootstrap)
        try:
            eager = SendWhenIdle(lambda: producer, sparse_gap=60.0)
            eager.routed()  # the first event follows a pause: what lingers is sent
            await asyncio.sleep(0)
            ack = await producer.send(topic, b"crowded")
            eager.routed()  # this one follows at once: it lingers
            await asyncio.sleep(0.5)
            lingering = not ack.done()
            await producer.flush()
            return lingering
        finally:
            await producer.stop()

    assert asyncio.run(scenario())
