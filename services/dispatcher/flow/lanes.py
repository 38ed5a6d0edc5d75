"""Per-endpoint lanes: many deliveries in flight at once, bounded globally and per endpoint.

Each endpoint is a lane whose records start in the order they were fetched (offset order within
a partition). A lane runs up to ``limit_for(endpoint)`` records at once (1 for ordered
endpoints, so they are delivered strictly in order), all lanes together at most
``max_running``. Lanes take turns for free slots, so a hanging endpoint holds only its own.

A lane can wait without holding a slot or blocking anyone: when ``gate(endpoint)`` answers a
delay (its rate limit), or when a run returns a delay, asking to be run again later (an ordered
endpoint's retry: the record goes back to the head of its lane, so later messages of that
endpoint cannot overtake it). A timer wakes the lane; nothing sleeps inside a run.

A slow lane (a request of it has run for over :data:`SLOW_SECONDS`, or it waits on its rate
limit) keeps at most ``backlog_for(endpoint)`` records queued; further ones go to ``spill``
(parked on a retry tier), so one slow endpoint cannot fill the buffer every endpoint shares. A
lane that is merely busy (a burst, the dispatcher's own CPU) keeps its records: backpressure
is the answer to that.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Collection, Coroutine, Hashable
from dataclasses import dataclass, field
from typing import Any

from services.dispatcher.intake.jobs import Job, JobTasks

__all__ = ["Job", "LaneScheduler"]
SLOW_SECONDS = 1.0
Run = Callable[[Job], Coroutine[Any, Any, float | None]]
Spill = Callable[[Job, float], Coroutine[Any, Any, None]]


@dataclass
class _Lane:
    queue: deque[Job] = field(default_factory=deque)
    active: dict[Job, float] = field(default_factory=dict)  # running jobs: when they started
    scheduled: bool = False
    timer: asyncio.TimerHandle | None = None

    @property
    def running(self) -> int:
        return len(self.active)

    def slow(self, now: float) -> bool:
        """Waiting on its gate, or a request of it has been running for long."""
        return self.timer is not None or any(now - t > SLOW_SECONDS for t in self.active.values())


class LaneScheduler:
    """Runs ``run(job)`` for submitted jobs within the bounds (see :mod:`..intake.jobs` for when
    a job counts as done); the first crash is kept in :attr:`error` for the owner to act on.
    """

    def __init__(
        self,
        run: Run,
        limit_for: Callable[[str], int],
        max_running: int,
        gate: Callable[[str], float] = lambda _key: 0.0,
        spill: Spill | None = None,
        backlog_for: Callable[[str], int | None] = lambda _key: None,
    ) -> None:
        self._run, self._limit_for, self._gate = run, limit_for, gate
        self._spill, self._backlog_for = spill, backlog_for
        self._max_running = max(1, max_running)
        self._lanes: dict[str, _Lane] = {}
        self._turns: deque[str] = deque()
        self._jobs = JobTasks()
        self._running = self._queued = 0

    @property
    def error(self) -> BaseException | None:
        """The first exception a run raised (a bug), if any."""
        return self._jobs.error

    @property
    def running(self) -> int:
        """Jobs whose ``run`` is in progress."""
        return self._running

    @property
    def outstanding(self) -> int:
        """Jobs submitted and not yet finished (queued, waiting, running or being parked)."""
        return self._queued + len(self._jobs.tasks)

    def load(self, partition: Hashable) -> int:
        """Jobs of ``partition`` submitted and not yet finished."""
        return self._jobs.owed(partition)

    def submit(self, job: Job) -> None:
        """Queue ``job`` behind its lane (or park it) and start what the bounds allow."""
        lane = self._lanes.setdefault(job.key, _Lane())
        self._jobs.owe(job)
        if self._spill is not None and lane.queue:
            backlog, now = self._backlog_for(job.key), time.monotonic()
            if backlog is not None and len(lane.queue) >= backlog and lane.slow(now):
                waited = now - lane.queue[0].queued_at
                self._jobs.start(job, self._spill(job, waited), f"park-{job.key}", self._parked)
                return
        lane.queue.append(job)
        self._queued += 1
        self._schedule(job.key, lane)
        self._pump()

    def _schedule(self, key: str, lane: _Lane) -> None:
        if lane.queue and not lane.scheduled and lane.timer is None:
            lane.scheduled = True
            self._turns.append(key)

    def _pump(self) -> None:
        while self._running < self._max_running and self._turns:
            key = self._turns.popleft()
            lane = self._lanes[key]
            lane.scheduled = False
            if not lane.queue or lane.timer is not None or lane.running >= self._limit_for(key):
                continue  # rescheduled when it wakes up or one of its running jobs finishes
            wait = self._gate(key)
            if wait > 0:
                self._sleep(key, lane, wait)
                continue
            job = lane.queue.popleft()
            self._queued -= 1
            self._running += 1
            lane.active[job] = time.monotonic()
            self._jobs.start(job, self._run(job), f"deliver-{key}", self._finished)
            self._schedule(key, lane)  # back of the line: one start per turn keeps lanes fair

    def _sleep(self, key: str, lane: _Lane, seconds: float) -> None:
        if lane.timer is not None:
            lane.timer.cancel()
        lane.timer = asyncio.get_running_loop().call_later(seconds, self._wake, key)

    def _wake(self, key: str) -> None:
        lane = self._lanes.get(key)
        if lane is not None:
            lane.timer = None
            self._schedule(key, lane)
            self._pump()

    def _finished(self, task: asyncio.Task[Any]) -> None:
        job, again = self._jobs.settle(task)
        lane = self._lanes[job.key]
        del lane.active[job]
        self._running -= 1
        if again is not None:
            lane.queue.appendleft(job)
            self._queued += 1
            self._sleep(job.key, lane, again)
        self._schedule(job.key, lane)
        self._forget_if_idle(job.key, lane)
        self._pump()

    def _parked(self, task: asyncio.Task[Any]) -> None:
        self._jobs.settle(task)

    def _forget_if_idle(self, key: str, lane: _Lane) -> None:
        if not lane.queue and lane.running == 0:
            if lane.timer is not None:
                lane.timer.cancel()
            del self._lanes[key]

    def drop_queued(self, partitions: Collection[Hashable] | None = None) -> int:
        """Forget jobs not started yet (of ``partitions``, or all); return how many.

        They stay uncommitted, so Kafka hands them out again to whoever owns the partition.
        """
        dropped = 0
        for key, lane in list(self._lanes.items()):
            kept: deque[Job] = deque()
            for job in lane.queue:
                if partitions is None or job.partition in partitions:
                    self._jobs.release(job)
                    dropped += 1
                else:
                    kept.append(job)
            lane.queue = kept
            self._forget_if_idle(key, lane)
        self._queued -= dropped
        self._turns = deque(k for k in self._turns if k in self._lanes)
        return dropped

    async def finish(
        self, partitions: Collection[Hashable] | None = None, timeout: float = 25.0
    ) -> int:
        """Wait up to ``timeout`` s for running jobs (of ``partitions``, or all); cancel the rest.

        Returns how many were cancelled. Queued jobs may start while this waits: drop them first
        (:meth:`drop_queued`) when the partitions are being given up.
        """
        return await self._jobs.finish(partitions, timeout)
