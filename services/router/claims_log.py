"""The duplicate window's changelog topic: how it is created, and reading partitions of it back.

The name and the record format are the ones the faust table used before, so claims written by
an older router are read by a newer one.
"""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

from services.router.claims import Records
from shared.errors import KafkaUnavailable
from shared.settings import Settings
from shared.topics import MAX_RECORD_BYTES, TopicSpec

# Physical name: HOOKBUS_TOPIC_PREFIX + this (the router's consumer group, then the table).
CHANGELOG = "router-dedupe-changelog"
# How long claims stay on the changelog after their window ended, and its segment length.
MARGIN_SECONDS = 3600.0


def changelog_spec(settings: Settings) -> TopicSpec:
    """The changelog: partitioned like ``events``, compacted, and deleted past the window."""
    return TopicSpec(
        settings.topic_prefix + CHANGELOG,
        settings.partitions,
        {
            "cleanup.policy": "compact,delete",
            "retention.ms": str(int((settings.dedupe_window + MARGIN_SECONDS) * 1000)),
            "segment.ms": str(int(MARGIN_SECONDS * 1000)),
            "max.message.bytes": str(MAX_RECORD_BYTES),
        },
    )


class ChangelogReader:
    """Reads whole partitions of the changelog, from their beginning to their end as it is when
    the read starts (no consumer group, nothing committed)."""

    def __init__(self, bootstrap: str, topic: str, timeout: float = 30.0) -> None:
        self.bootstrap = bootstrap
        self.topic = topic
        self.timeout = timeout

    async def __call__(self, partitions: list[int]) -> Records:
        """Every record of ``partitions`` in log order. Blocks while reading; raises
        :class:`KafkaUnavailable` when the broker does not answer within ``timeout`` seconds
        (or the topic lacks one of the partitions)."""
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            client_id="hookbus-router-window",
            enable_auto_commit=False,
            request_timeout_ms=int(self.timeout * 1000),
        )
        try:
            await consumer.start()
            return await self._read(consumer, [TopicPartition(self.topic, p) for p in partitions])
        except TimeoutError as exc:
            raise KafkaUnavailable(
                f"{self.topic} partitions {partitions} not found within {self.timeout}s"
            ) from exc
        except (KafkaError, OSError) as exc:
            raise KafkaUnavailable(f"{self.topic} unreadable: {exc!r}") from exc
        finally:
            await consumer.stop()

    async def _read(self, consumer: AIOKafkaConsumer, tps: list[TopicPartition]) -> Records:
        consumer.assign(tps)
        # aiokafka waits without end for a partition the topic does not have.
        async with asyncio.timeout(self.timeout):
            await consumer.seek_to_beginning(*tps)
            ends = await consumer.end_offsets(tps)
            left = [tp for tp in tps if await consumer.position(tp) < ends[tp]]
        records: Records = {tp.partition: [] for tp in tps}
        while left:
            batches = await consumer.getmany(*left, timeout_ms=int(self.timeout * 1000))
            if not batches:
                raise KafkaUnavailable(f"no changelog records within {self.timeout}s")
            for tp, batch in batches.items():
                end = ends[tp]
                kept = [(r.key, r.value) for r in batch if r.key is not None and r.offset < end]
                records[tp.partition].extend(kept)
            left = [tp for tp in left if await consumer.position(tp) < ends[tp]]
        return records
