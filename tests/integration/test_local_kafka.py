"""The session's real Kafka broker works end to end, and LocalBroker keeps data across restarts."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from shared.local_kafka import LocalBroker, LocalKafkaError, find_java, is_installed
from tests.support.topics import topic_names

pytestmark = pytest.mark.kafka

_RECEIVE_TIMEOUT_S = 30.0


def test_created_topic_round_trips_an_idempotent_record(kafka_bootstrap: str) -> None:
    topic = f"test-local-kafka-{uuid.uuid4().hex[:12]}"
    asyncio.run(_create_topic(kafka_bootstrap, topic, partitions=3))

    asyncio.run(_produce(kafka_bootstrap, topic, key=b"endpoint-42", value=b'{"n": 1}'))
    partitions, key, value = asyncio.run(_consume_one(kafka_bootstrap, topic))

    assert partitions == {0, 1, 2}
    assert (key, value) == (b"endpoint-42", b'{"n": 1}')


def test_local_broker_keeps_topics_across_restarts_and_leaves_no_process(tmp_path: Path) -> None:
    _skip_without_local_toolchain()
    data_dir = tmp_path / "kafka"

    with LocalBroker(data_dir=data_dir) as broker:
        asyncio.run(_create_topic(broker.bootstrap, "survives-restart", partitions=1))
        first_pid = broker.pid
    with LocalBroker(data_dir=data_dir) as broker:
        topics = asyncio.run(topic_names(broker.bootstrap))
        second_pid = broker.pid

    assert "survives-restart" in topics
    for pid in (first_pid, second_pid):
        assert pid is not None
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert (data_dir / "logs" / "server.log").is_file()


def _skip_without_local_toolchain() -> None:
    try:
        find_java()
    except LocalKafkaError as exc:
        pytest.skip(str(exc))
    if not is_installed() and shutil.which("mvn") is None:
        pytest.skip("the Kafka jars are not installed and mvn is missing")


async def _create_topic(bootstrap: str, topic: str, partitions: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(name=topic, num_partitions=partitions, replication_factor=1)]
        )
    finally:
        await admin.close()


async def _produce(bootstrap: str, topic: str, key: bytes, value: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value=value, key=key)
    finally:
        await producer.stop()


async def _consume_one(bootstrap: str, topic: str) -> tuple[set[int], bytes, bytes]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"{topic}-reader",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        record = await asyncio.wait_for(consumer.getone(), _RECEIVE_TIMEOUT_S)
        partitions: set[int] = set(consumer.partitions_for_topic(topic) or ())
        key: bytes = record.key
        value: bytes = record.value
    finally:
        await consumer.stop()
    return partitions, key, value
