"""The parallel consumer: fetch deliveries, hand them to lanes, commit in order, push back.

Records of a partition finish out of order; each partition's :class:`OffsetTracker` says how far
the commit may go. When too many records are fetched but unfinished, every partition is paused
(fetching stops, heartbeats go on) until the lanes catch up: backpressure, never dropping.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import KafkaError

from services.dispatcher.lanes import Job, LaneScheduler
from services.dispatcher.offsets import OffsetTracker

log = logging.getLogger(__name__)
COMMIT_INTERVAL_SECONDS = 0.5
REVOKE_WAIT_SECONDS = 10.0


class ParallelConsumer:
    """Runs the fetch loop of a subscribed consumer against a :class:`LaneScheduler`.

    ``max_buffered`` bounds records fetched and not yet done, across all partitions.
    """

    def __init__(
        self, consumer: AIOKafkaConsumer, scheduler: LaneScheduler, max_buffered: int
    ) -> None:
        self._consumer = consumer
        self._scheduler = scheduler
        self._max_buffered = max(1, max_buffered)
        # Resume a quarter below the bound: flapping at the bound would throw away what the
        # consumer prefetched for the partitions at every pause.
        self._resume_below = self._max_buffered - max(1, self._max_buffered // 4) + 1
        self._trackers: dict[Any, OffsetTracker] = {}
        self._last_commit = time.monotonic()
        self.running = False

    def listener(self) -> ConsumerRebalanceListener:
        """The rebalance listener to pass to ``consumer.subscribe``."""
        return _Rebalance(self)

    async def run(self, stop: asyncio.Event) -> None:
        """Fetch and dispatch until ``stop`` is set.

        Raises what a delivery crashed with (a bug), so the process restarts and the record,
        never committed, is delivered again.
        """
        self.running = True
        try:
            while not stop.is_set():
                if self._scheduler.error is not None:
                    raise self._scheduler.error
                paused = self._push_back()
                batches = await self._consumer.getmany(
                    timeout_ms=20 if paused else 200,
                    max_records=max(1, self._max_buffered - self._scheduler.outstanding),
                )
                self._submit(batches)
                if time.monotonic() - self._last_commit >= COMMIT_INTERVAL_SECONDS:
                    await self.commit()
        finally:
            self.running = False

    def _push_back(self) -> bool:
        """Pause every partition while too much is buffered, resume well below; True if paused."""
        outstanding = self._scheduler.outstanding
        paused = self._consumer.paused()
        if outstanding >= self._max_buffered or (paused and outstanding >= self._resume_below):
            unpaused = self._consumer.assignment() - paused
            if unpaused:
                self._consumer.pause(*unpaused)
                log.debug("partitions paused", extra={"outstanding": outstanding})
            return True
        if paused:
            self._consumer.resume(*paused)
        return False

    def _submit(self, batches: dict[Any, list[Any]]) -> None:
        # No await between getmany and here: a rebalance cannot slip in between.
        for tp, records in batches.items():
            tracker = self._trackers.setdefault(tp, OffsetTracker())
            for record in records:
                tracker.add(record.offset)
                key = "" if record.key is None else record.key.decode("utf-8", "replace")
                self._scheduler.submit(Job(tp, key, record, tracker))

    async def commit(self, partitions: set[Any] | None = None) -> None:
        """Commit, per partition, the offset below which every record is done.

        Commit failures (a rebalance under way, broker trouble) are logged: the records will
        be committed later or delivered again, which at-least-once allows.
        """
        self._last_commit = time.monotonic()
        offsets: dict[Any, tuple[OffsetTracker, int]] = {}
        for tp, tracker in self._trackers.items():
            offset = tracker.to_commit()
            if offset is not None and (partitions is None or tp in partitions):
                offsets[tp] = (tracker, offset)
        if not offsets:
            return
        try:
            await self._consumer.commit({tp: offset for tp, (_, offset) in offsets.items()})
        except KafkaError as exc:
            log.warning("commit failed", extra={"error": str(exc)})
            return
        for tracker, offset in offsets.values():
            tracker.committed(offset)

    async def give_up(self, partitions: set[Any] | None, wait: float) -> None:
        """Stop work on ``partitions`` (or all): drop what has not started, let what runs finish
        for up to ``wait`` seconds, cancel the rest, and commit what is done.
        """
        dropped = self._scheduler.drop_queued(partitions)
        cancelled = await self._scheduler.finish(partitions, wait)
        await self.commit(partitions)
        for tp in list(self._trackers):
            if partitions is None or tp in partitions:
                del self._trackers[tp]
        log.info("partitions released", extra={"dropped": dropped, "cancelled": cancelled})


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    """Finishes or abandons the work of revoked partitions and commits it before handing over."""

    def __init__(self, owner: ParallelConsumer) -> None:
        self._owner = owner

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        if revoked:
            await self._owner.give_up(set(revoked), REVOKE_WAIT_SECONDS)

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        log.info("partitions assigned", extra={"partitions": [tp.partition for tp in assigned]})
