"""Jobs (fetched records on their way through the lanes) and the tasks that run them.

A job is done (its offset may be committed) when its task returned None. A task that raised
is a bug: the job stays uncommitted, so the record is delivered again after the restart that
follows, and the first such error is kept. A cancelled one stays uncommitted too. A task that
returned a delay asks to run again later: the job stays owed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable, Collection, Coroutine, Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from services.dispatcher.intake.offsets import OffsetTracker

if TYPE_CHECKING:
    from services.dispatcher.deliveries import Delivery

log = logging.getLogger(__name__)


@dataclass(eq=False)
class Job:
    """One fetched record, its partition, and the tracker that learns when it is done.

    ``state`` is what a run left for its next turn (the delivery of an in-lane retry).
    """

    partition: Hashable
    key: str
    record: Any
    tracker: OffsetTracker
    state: Delivery | None = None
    queued_at: float = field(default_factory=time.monotonic)


class JobTasks:
    """The running tasks, what each partition still owes, and the first crash."""

    def __init__(self) -> None:
        self.tasks: dict[asyncio.Task[Any], Job] = {}
        self._owed: Counter[Hashable] = Counter()
        self.error: BaseException | None = None

    def owe(self, job: Job) -> None:
        """``job`` was submitted: its partition owes it until it is done or given up."""
        self._owed[job.partition] += 1

    def release(self, job: Job) -> None:
        """``job`` is no longer owed (done, crashed, cancelled or dropped)."""
        self._owed[job.partition] -= 1
        if self._owed[job.partition] <= 0:
            del self._owed[job.partition]

    def owed(self, partition: Hashable) -> int:
        """Jobs of ``partition`` submitted and not yet finished."""
        return self._owed[partition]

    def start(
        self,
        job: Job,
        work: Coroutine[Any, Any, float | None],
        name: str,
        then: Callable[[asyncio.Task[Any]], None],
    ) -> None:
        """Run ``work`` for ``job`` as a task; ``then(task)`` when it ends."""
        task = asyncio.create_task(work, name=name)
        self.tasks[task] = job
        task.add_done_callback(then)

    def settle(self, task: asyncio.Task[Any]) -> tuple[Job, float | None]:
        """Account for an ended task; return its job and the delay it asked for, if any."""
        job = self.tasks.pop(task)
        if not task.cancelled():
            error = task.exception()
            if error is None:
                again: float | None = task.result()
                if again is not None:
                    return job, float(again)
                job.tracker.done(job.record.offset)
            elif self.error is None:
                self.error = error
                log.error("delivery crashed", exc_info=error, extra={"endpoint_id": job.key})
        self.release(job)
        return job, None

    async def finish(self, partitions: Collection[Hashable] | None, timeout: float) -> int:
        """Wait up to ``timeout`` s for the tasks of ``partitions`` (or all); cancel the rest.

        Returns how many were cancelled.
        """
        tasks = [
            t for t, job in self.tasks.items() if partitions is None or job.partition in partitions
        ]
        if not tasks:
            return 0
        _, pending = await asyncio.wait(tasks, timeout=timeout)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)
        return len(pending)
