"""Consumer lag per topic-partition, and the retry tiers' backlog, sampled at scrape time.

Each copy of a service reports the partitions its consumer owns at that moment, so summing a
group's series over its copies counts every partition once, and a partition shows up at the
copy that took it over after a rebalance. Lag is the partition's end offset minus the group's
committed offset (what a crash would make the group read again), not the consumer's position:
the dispatcher holds many fetched records that are not delivered yet.

The Kafka round trips run on short-lived clients of their own when ``/metrics`` is read, so
the consumers' own fetch loops never wait behind them and nothing needs stopping at shutdown.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from shared import metrics
from shared.settings import Settings
from shared.topics import physical, retry_topics

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 5.0
Assigned = Callable[[], Iterable[Any]]  # TopicPartition-like: .topic and .partition


def lag_of(end: int, committed: int | None, beginning: int) -> int:
    """Records not committed yet; with no commit, everything still kept on the partition."""
    start = beginning if committed is None or committed < 0 else committed
    return max(0, end - start)


class ConsumerLag:
    """Samples one consumer group's lag on the partitions ``assigned()`` returns.

    ``topics`` limits which of them count (None: all). ``tiers`` maps retry tier topics
    (physical names) to tier names, whose lag also sets ``hookbus_retry_backlog``.
    """

    def __init__(
        self,
        bootstrap: str,
        group: str,
        assigned: Assigned,
        topics: Collection[str] | None = None,
        tiers: Mapping[str, str] | None = None,
    ) -> None:
        self._bootstrap, self.group, self._assigned = bootstrap, group, assigned
        self._topics, self._tiers = topics, dict(tiers or {})
        self._shown: set[tuple[str, int]] = set()
        self._lock = asyncio.Lock()

    def owned(self) -> list[TopicPartition]:
        """The partitions this copy's consumer owns now, of the topics that count."""
        found = {(tp.topic, tp.partition) for tp in self._assigned()}
        chosen = (t for t in found if self._topics is None or t[0] in self._topics)
        return [TopicPartition(topic, partition) for topic, partition in sorted(chosen)]

    async def refresh(self) -> None:
        """Set the gauges from Kafka; on failure log it and keep the last values. Never raises."""
        async with self._lock:  # two scrapes at once share nothing but this
            owned = self.owned()
            try:
                lags = await asyncio.wait_for(self._sample(owned), TIMEOUT_SECONDS)
            except Exception as exc:  # KafkaError, OSError, a timeout: the scrape goes on
                log.warning(
                    "consumer lag not sampled", extra={"group": self.group, "error": repr(exc)}
                )
                return
            self._show(lags)

    async def _sample(self, owned: list[TopicPartition]) -> dict[tuple[str, int], int]:
        if not owned:
            return {}
        admin = AIOKafkaAdminClient(bootstrap_servers=self._bootstrap, client_id="hookbus-lag")
        offsets = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap, client_id="hookbus-lag", group_id=None
        )
        await admin.start()
        try:
            await offsets.start()
            committed = await admin.list_consumer_group_offsets(self.group, partitions=owned)
            ends = await offsets.end_offsets(owned)
            beginnings = await offsets.beginning_offsets(owned)
        finally:
            await offsets.stop()
            await admin.close()
        lags = {}
        for tp in owned:
            meta = committed.get(tp)
            done = None if meta is None else int(meta.offset)
            lags[(tp.topic, tp.partition)] = lag_of(int(ends[tp]), done, int(beginnings[tp]))
        return lags

    def _show(self, lags: dict[tuple[str, int], int]) -> None:
        for topic, partition in self._shown - set(lags):
            metrics.CONSUMER_LAG.remove(self.group, topic, str(partition))
        for (topic, partition), lag in lags.items():
            metrics.CONSUMER_LAG.labels(self.group, topic, str(partition)).set(lag)
        self._shown = set(lags)
        for topic, tier in self._tiers.items():
            backlog = sum(lag for (t, _), lag in lags.items() if t == topic)
            metrics.RETRY_BACKLOG.labels(tier).set(backlog)


def watch(
    settings: Settings,
    service: str,
    assigned: Assigned,
    topics: Collection[str] | None = None,
    *,
    tiers: bool = False,
) -> ConsumerLag:
    """Report the lag of the group ``<prefix><service>`` at each scrape (see :class:`ConsumerLag`).

    ``tiers``: this group reads the retry tiers, so their backlog is reported too.
    """
    names = retry_topics(settings.retry_schedule) if tiers else []
    sampler = ConsumerLag(
        settings.bootstrap,
        f"{settings.topic_prefix}{service}",
        assigned,
        topics,
        {physical(settings.topic_prefix, name): name for name in names},
    )
    metrics.on_scrape(sampler.refresh)
    return sampler
