"""User topics that kafka routes write to: created when missing, once per topic and process."""

from __future__ import annotations

from dataclasses import dataclass, field

from aiokafka.errors import KafkaError

from shared.errors import KafkaUnavailable
from shared.kafka_io import create_topics
from shared.topics import MAX_RECORD_BYTES, TopicSpec


@dataclass
class UserTopics:
    """Creates a user topic with ``partitions`` partitions, ``replication`` copies (and
    hookbus's record size limit) unless it exists; what a process created or found is
    remembered."""

    bootstrap: str
    partitions: int
    replication: int = 1
    known: set[str] = field(default_factory=set)

    async def ensure(self, topic: str) -> None:
        """Return once ``topic`` exists; raise :class:`KafkaUnavailable` when it cannot be made.

        Blocks on the broker's admin API the first time this process sees ``topic``.
        """
        if topic in self.known:
            return
        spec = TopicSpec(topic, self.partitions, {"max.message.bytes": str(MAX_RECORD_BYTES)})
        try:
            await create_topics(self.bootstrap, [spec], self.replication)
        except (KafkaError, OSError) as exc:
            raise KafkaUnavailable(f"could not create topic {topic}: {exc}") from exc
        self.known.add(topic)
