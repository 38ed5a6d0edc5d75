"""Per-endpoint lanes: many records in flight at once, bounded globally and per endpoint.

Each (partition, endpoint) pair is a lane whose records start in offset order. A lane may have
up to ``limit_for(endpoint)`` records in flight (1 for ordered endpoints, so they are delivered
strictly in order), and all lanes together at most ``max_running``. Lanes take turns for free
slots, so a hanging endpoint holds only its own slots while the others keep flowing.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Collection, Coroutine, Hashable
from dataclasses import dataclass, field
from typing import Any

from services.dispatcher.offsets import OffsetTracker

log = logging.getLogger(__name__)
LaneKey = tuple[Hashable, str]


@dataclass
class Job:
    """One fetched record, its partition, and the tracker that learns when it is done."""

    partition: Hashable
    key: str
    record: Any
    tracker: OffsetTracker


@dataclass
class _Lane:
    queue: deque[Job] = field(default_factory=deque)
    running: int = 0
    scheduled: bool = False


class LaneScheduler:
    """Runs ``run(record)`` for submitted jobs within the bounds; marks successes done.

    A job whose ``run`` raises is not marked done (it must be redelivered); the first such
    error is kept in :attr:`error` for the owner to act on. Cancelled jobs are not marked done.
    """

    def __init__(
        self,
        run: Callable[[Any], Coroutine[Any, Any, None]],
        limit_for: Callable[[str], int],
        max_running: int,
    ) -> None:
        self._run = run
        self._limit_for = limit_for
        self._max_running = max(1, max_running)
        self._lanes: dict[LaneKey, _Lane] = {}
        self._turns: deque[LaneKey] = deque()
        self._tasks: dict[asyncio.Task[None], Job] = {}
        self._queued = 0
        self.error: BaseException | None = None

    @property
    def running(self) -> int:
        """Jobs whose ``run`` is in progress."""
        return len(self._tasks)

    @property
    def outstanding(self) -> int:
        """Jobs submitted and not yet finished (queued or running)."""
        return self._queued + len(self._tasks)

    def submit(self, job: Job) -> None:
        """Queue ``job`` behind its lane and start whatever the bounds allow. Never blocks."""
        lane_key = (job.partition, job.key)
        lane = self._lanes.setdefault(lane_key, _Lane())
        lane.queue.append(job)
        self._queued += 1
        self._schedule(lane_key, lane)
        self._pump()

    def _schedule(self, lane_key: LaneKey, lane: _Lane) -> None:
        if lane.queue and not lane.scheduled:
            lane.scheduled = True
            self._turns.append(lane_key)

    def _pump(self) -> None:
        while len(self._tasks) < self._max_running and self._turns:
            lane_key = self._turns.popleft()
            lane = self._lanes[lane_key]
            lane.scheduled = False
            if not lane.queue or lane.running >= self._limit_for(lane_key[1]):
                continue  # rescheduled when one of its running jobs finishes
            self._start(lane, lane.queue.popleft())
            # Back of the line: one start per turn keeps lanes fair.
            self._schedule(lane_key, lane)

    def _start(self, lane: _Lane, job: Job) -> None:
        self._queued -= 1
        lane.running += 1
        task = asyncio.create_task(self._run(job.record), name=f"deliver-{job.key}")
        self._tasks[task] = job
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        job = self._tasks.pop(task)
        lane_key = (job.partition, job.key)
        lane = self._lanes[lane_key]
        lane.running -= 1
        if not task.cancelled():
            error = task.exception()
            if error is None:
                job.tracker.done(job.record.offset)
            elif self.error is None:
                self.error = error
                log.error("delivery crashed", exc_info=error, extra={"endpoint_id": job.key})
        self._schedule(lane_key, lane)
        if not lane.queue and lane.running == 0:
            del self._lanes[lane_key]
        self._pump()

    def drop_queued(self, partitions: Collection[Hashable] | None = None) -> int:
        """Forget jobs not started yet (of ``partitions``, or all); return how many.

        They stay uncommitted, so Kafka hands them out again to whoever owns the partition.
        """
        dropped = 0
        for (partition, _), lane in self._lanes.items():
            if partitions is None or partition in partitions:
                dropped += len(lane.queue)
                lane.queue.clear()
        self._queued -= dropped
        for lane_key in [k for k, lane in self._lanes.items() if not lane.running]:
            del self._lanes[lane_key]
        self._turns = deque(k for k in self._turns if k in self._lanes)
        return dropped

    async def finish(
        self, partitions: Collection[Hashable] | None = None, timeout: float = 25.0
    ) -> int:
        """Wait up to ``timeout`` s for running jobs (of ``partitions``, or all); cancel the rest.

        Returns how many were cancelled. Queued jobs may start while this waits: drop them first
        (:meth:`drop_queued`) when the partitions are being given up.
        """
        tasks = [
            t for t, job in self._tasks.items() if partitions is None or job.partition in partitions
        ]
        if not tasks:
            return 0
        _, pending = await asyncio.wait(tasks, timeout=timeout)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)
        return len(pending)
