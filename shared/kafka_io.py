"""Kafka plumbing every service shares: durable producers, topic creation, dead letters, and
stopping a reader task."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError

from shared import clock
from shared.contracts import encode_dead_letter
from shared.errors import KafkaUnavailable
from shared.record_fit import fit_text
from shared.records import DeadLetterRecord
from shared.tier_partitions import align_tiers, partition_count
from shared.topics import MAX_RECORD_BYTES, RETRY_PREFIX, Topic, TopicSpec, layout, physical

log = logging.getLogger(__name__)
TOPIC_ALREADY_EXISTS = 36
# Bytes of one partition's records sent in one request. aiokafka's default (16 KiB, about a
# dozen 1 KB events) made a 1000-message batch publish ~85 round trips in a row to its one
# partition (an idempotent producer has one request in flight per partition): slow, and on a
# busy machine the queued batches expired after request_timeout_ms (a 503). Grown lazily.
MAX_BATCH_BYTES = 512 * 1024


def durable_producer(bootstrap: str, client_id: str) -> AIOKafkaProducer:
    """A producer whose acknowledged writes survive broker failover (acks=all, idempotent).

    Not started: the caller awaits ``start()`` and ``stop()``.
    """
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        linger_ms=0,
        max_batch_size=MAX_BATCH_BYTES,
        max_request_size=MAX_RECORD_BYTES,
        request_timeout_ms=15000,
    )


async def stop_reading(task: asyncio.Task[None] | None, consumer: AIOKafkaConsumer) -> None:
    """Cancel ``task`` (the loop reading ``consumer``, None when never started), wait until it
    ended, then disconnect ``consumer``."""
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    await consumer.stop()


async def send(
    producer: AIOKafkaProducer, topic: str, key: str | None, value: bytes | None
) -> tuple[int, int]:
    """Produce one record and wait for the broker's ack; return ``(partition, offset)``.

    Raises :class:`KafkaUnavailable` when the broker does not acknowledge it.
    """
    try:
        meta = await producer.send_and_wait(
            topic, value=value, key=None if key is None else key.encode()
        )
    except (TimeoutError, KafkaError) as exc:
        raise KafkaUnavailable(f"Kafka did not acknowledge the write: {exc}") from exc
    return meta.partition, meta.offset


async def ensure_topics(
    bootstrap: str,
    prefix: str,
    partitions: int,
    schedule: tuple[float, ...] = (),
    replication: int = 1,
    extra: Sequence[TopicSpec] = (),
) -> None:
    """Create every hookbus topic that does not exist yet (with a retry tier per delay of
    ``schedule``), and the ``extra`` ones, each with ``replication`` copies, then grow retry
    tiers that have fewer partitions than the deliveries topic; safe to run from many copies
    at once.

    Blocks until the broker answers; raises ``KafkaError`` if topic creation is refused and
    ``TopicLayoutError`` when a retry tier has more partitions than the deliveries topic.
    """
    specs = layout(prefix, partitions, schedule)
    tiers = [spec for spec in specs if spec.name.startswith(physical(prefix, RETRY_PREFIX))]
    others = [spec for spec in specs if spec not in tiers]
    await create_topics(bootstrap, [*others, *extra], replication)
    # New tiers get the partition count the deliveries topic really has (it may have been
    # created or grown by hand), older ones are grown to it.
    count = await partition_count(bootstrap, physical(prefix, Topic.DELIVERIES))
    tiers = [TopicSpec(spec.name, count or spec.partitions, spec.config) for spec in tiers]
    await create_topics(bootstrap, tiers, replication)
    await align_tiers(bootstrap, prefix, schedule)


async def create_topics(bootstrap: str, specs: list[TopicSpec], replication: int = 1) -> None:
    """Create the topics of ``specs`` that are missing (``replication`` copies of each),
    ignoring ones created concurrently."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="hookbus-admin")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [spec for spec in specs if spec.name not in existing]
        if not missing:
            return
        response = await admin.create_topics(
            [NewTopic(s.name, s.partitions, replication, topic_configs=s.config) for s in missing]
        )
        for name, code, *_ in response.topic_errors:
            if code not in (0, TOPIC_ALREADY_EXISTS):
                raise KafkaError(f"could not create topic {name}: error code {code}")
        log.info("created topics", extra={"topics": [spec.name for spec in missing]})
    finally:
        await admin.close()


def dead_letter(
    reason: str,
    topic: str,
    partition: int,
    offset: int,
    key: bytes | None,
    value: bytes | None,
    service: str,
    kind: str = "bad_record",
) -> bytes:
    """The value of a dead-letter record for a record that could not be processed.

    The copy of the record is cut short (and the reason says so) when the dead letter would
    not fit a Kafka record; the origin still names where the whole of it is.
    """
    record: DeadLetterRecord = {
        "v": 1,
        "reason": reason,
        "kind": kind,
        "origin": {
            "topic": topic,
            "partition": partition,
            "offset": offset,
            "key": None if key is None else key.decode("utf-8", "replace"),
            "service": service,
        },
        "record": (value or b"").decode("utf-8", "replace"),
        "at": clock.iso(),
    }
    whole = record["record"]
    letter, kept = fit_text(lambda text: encode_dead_letter({**record, "record": text}), whole)
    if kept == len(whole):
        return letter
    record["reason"] = f"{reason} (record cut to its first {kept} of {len(whole)} characters)"
    return encode_dead_letter({**record, "record": whole[:kept]})
