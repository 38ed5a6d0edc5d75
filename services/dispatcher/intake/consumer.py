"""The parallel consumer: fetch deliveries and retries, hand them to lanes, commit in order.

Records of a partition finish out of order; each partition's :class:`OffsetTracker` says how far
the commit may go. Partitions are paused for backpressure or until a retry tier's head record is
due (see :mod:`services.dispatcher.intake.pauses`); the loop keeps polling meanwhile, so the group
membership holds. A tier partition is rewound to its head when it waits: after a rebalance the
new owner reads from the committed offset and finds the head, and its due time, again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Collection
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import KafkaError

from services.dispatcher.flow.lanes import Job, LaneScheduler
from services.dispatcher.intake.offsets import OffsetTracker
from services.dispatcher.intake.pauses import Pauses

log = logging.getLogger(__name__)
COMMIT_INTERVAL_SECONDS = 0.5
REVOKE_WAIT_SECONDS = 10.0


class ParallelConsumer:
    """Runs the fetch loop of a subscribed consumer against a :class:`LaneScheduler`.

    ``max_buffered`` bounds records fetched and not yet done across all partitions,
    ``partition_buffered`` within one. Records of ``tiers`` (topic names) wait until
    ``due_of(record)`` (epoch seconds, None = now) has passed by ``clock()``.
    """

    def __init__(
        self,
        consumer: AIOKafkaConsumer,
        scheduler: LaneScheduler,
        max_buffered: int,
        partition_buffered: int | None = None,
        tiers: Collection[str] = (),
        due_of: Callable[[Any], float | None] = lambda _record: None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._consumer, self._scheduler = consumer, scheduler
        self._pauses = Pauses(max_buffered, partition_buffered or max_buffered)
        self._tiers, self._due_of, self._clock = set(tiers), due_of, clock
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
                wait_ms = self._push_back()
                batches = await self._consumer.getmany(
                    timeout_ms=wait_ms,
                    max_records=max(1, self._pauses.max_buffered - self._scheduler.outstanding),
                )
                self._submit(batches)
                if time.monotonic() - self._last_commit >= COMMIT_INTERVAL_SECONDS:
                    await self.commit()
        finally:
            self.running = False

    def _push_back(self) -> int:
        """Pause and resume partitions as this moment wants; return how long to poll (ms)."""
        now = self._clock()
        assigned = self._consumer.assignment()
        wanted = self._pauses.wanted(
            assigned, self._scheduler.outstanding, self._scheduler.load, now
        )
        paused = self._consumer.paused()
        if wanted - paused:
            self._consumer.pause(*(wanted - paused))
        if (paused & assigned) - wanted:
            self._consumer.resume(*((paused & assigned) - wanted))
        return self._pauses.poll_ms(now)

    def _submit(self, batches: dict[Any, list[Any]]) -> None:
        # No await between getmany and here: a rebalance cannot slip in between.
        now = self._clock()
        for tp, records in batches.items():
            tracker = self._trackers.setdefault(tp, OffsetTracker())
            tier = getattr(tp, "topic", tp) in self._tiers
            for record in records:
                due = self._due_of(record) if tier else None
                if due is not None and due > now:
                    # Not due: rewind to it and wait. Later records of the tier are due later.
                    self._pauses.hold(tp, due)
                    self._rewind(tp, record.offset)
                    break
                if self._scheduler.load(tp) >= self._pauses.partition_buffered:
                    self._pauses.mark_full(tp)  # a fetch may return more than one's share
                    self._rewind(tp, record.offset)
                    break
                tracker.add(record.offset)
                key = "" if record.key is None else record.key.decode("utf-8", "replace")
                self._scheduler.submit(Job(tp, key, record, tracker))

    def _rewind(self, tp: Any, offset: int) -> None:
        """Fetch ``tp`` from ``offset`` again once resumed; pause it now."""
        self._consumer.seek(tp, offset)
        self._consumer.pause(tp)

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
        self._pauses.forget(partitions)
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
