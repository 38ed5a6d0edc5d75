"""A task waits until the audit group has stored the log as far as it went when the task began."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from services.audit.log_settled import settler
from shared.kafka_io import create_topics
from shared.topics import TopicSpec

pytestmark = pytest.mark.kafka


async def _written(bootstrap: str, topic: str, count: int) -> None:
    await create_topics(bootstrap, [TopicSpec(topic, 2, {})])
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for n in range(count):
            await producer.send_and_wait(topic, b"record", partition=n % 2)
    finally:
        await producer.stop()


async def _commit(bootstrap: str, group: str, offsets: dict[TopicPartition, int]) -> None:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        consumer.assign(list(offsets))
        await consumer.commit(offsets)
    finally:
        await consumer.stop()


def test_settles_once_the_group_committed_every_partition_to_its_end(kafka_bootstrap: str) -> None:
    topic, group = f"settle-{uuid.uuid4().hex[:8]}", f"settle-{uuid.uuid4().hex[:8]}"
    first, second = TopicPartition(topic, 0), TopicPartition(topic, 1)

    async def scenario() -> tuple[bool, bool, bool]:
        await _written(kafka_bootstrap, topic, 6)  # three records on each partition
        settled = settler(kafka_bootstrap, group, [topic], wait_s=1.5)
        nothing_stored = await settled()
        await _commit(kafka_bootstrap, group, {first: 3, second: 2})
        one_behind = await settled()
        # Stored up to the end while the task waits: it goes on at once.
        waiting = asyncio.create_task(settler(kafka_bootstrap, group, [topic], wait_s=20)())
        await asyncio.sleep(0.5)
        await _commit(kafka_bootstrap, group, {second: 3})
        return nothing_stored, one_behind, await asyncio.wait_for(waiting, 10)

    assert asyncio.run(scenario()) == (False, False, True)


def test_records_written_after_it_began_are_not_waited_for(kafka_bootstrap: str) -> None:
    topic, group = f"settle-{uuid.uuid4().hex[:8]}", f"settle-{uuid.uuid4().hex[:8]}"

    async def scenario() -> bool:
        await _written(kafka_bootstrap, topic, 2)
        await _commit(kafka_bootstrap, group, {TopicPartition(topic, 0): 1})
        waiting = asyncio.create_task(settler(kafka_bootstrap, group, [topic], wait_s=20)())
        await asyncio.sleep(0.5)
        await _written(kafka_bootstrap, topic, 4)  # later records, none of them stored
        await _commit(kafka_bootstrap, group, {TopicPartition(topic, 1): 1})
        return await asyncio.wait_for(waiting, 10)

    assert asyncio.run(scenario())
