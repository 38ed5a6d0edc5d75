"""LaneScheduler: per-endpoint and global bounds, ordered lanes, slow lanes that block no one."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass

from services.dispatcher.lanes import Job, LaneScheduler
from services.dispatcher.offsets import OffsetTracker


@dataclass(frozen=True)
class FakeRecord:
    offset: int
    key: str


class Recorder:
    """A ``run`` that records concurrency and waits on a gate per endpoint."""

    def __init__(self) -> None:
        self.active: dict[str, int] = defaultdict(int)
        self.peak: dict[str, int] = defaultdict(int)
        self.total_peak = 0
        self.started: list[FakeRecord] = []
        self.gates: dict[str, asyncio.Event] = defaultdict(asyncio.Event)

    async def __call__(self, record: FakeRecord) -> None:
        self.started.append(record)
        self.active[record.key] += 1
        self.peak[record.key] = max(self.peak[record.key], self.active[record.key])
        self.total_peak = max(self.total_peak, sum(self.active.values()))
        try:
            await self.gates[record.key].wait()
        finally:
            self.active[record.key] -= 1


def submit_all(
    scheduler: LaneScheduler, tracker: OffsetTracker, keys: list[str], start: int = 0
) -> None:
    for offset, key in enumerate(keys, start):
        tracker.add(offset)
        scheduler.submit(Job("p0", key, FakeRecord(offset, key), tracker))


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


def test_per_endpoint_and_global_bounds_hold() -> None:
    async def go() -> None:
        run, tracker = Recorder(), OffsetTracker()
        scheduler = LaneScheduler(run, lambda key: 3, max_running=5)
        submit_all(scheduler, tracker, ["a"] * 10 + ["b"] * 10)
        await settle()
        assert run.peak == {"a": 3, "b": 2}
        assert scheduler.running == 5 and scheduler.outstanding == 20
        run.gates["a"].set()
        run.gates["b"].set()
        await settle()
        assert scheduler.outstanding == 0
        assert run.total_peak <= 5 and max(run.peak.values()) == 3
        assert tracker.to_commit() == 20

    asyncio.run(go())


def test_ordered_lane_runs_one_at_a_time_in_offset_order() -> None:
    async def go() -> None:
        run, tracker = Recorder(), OffsetTracker()
        run.gates["fifo"].set()
        scheduler = LaneScheduler(run, lambda key: 1, max_running=50)
        submit_all(scheduler, tracker, ["fifo"] * 30)
        await settle()
        for _ in range(100):
            if scheduler.outstanding == 0:
                break
            await asyncio.sleep(0)
        assert run.peak["fifo"] == 1
        assert [r.offset for r in run.started] == list(range(30))

    asyncio.run(go())


def test_a_hanging_endpoint_holds_only_its_own_slots() -> None:
    async def go() -> None:
        run, tracker = Recorder(), OffsetTracker()
        run.gates["fast"].set()
        scheduler = LaneScheduler(run, lambda key: 2, max_running=10)
        submit_all(scheduler, tracker, ["slow", "fast"] * 20)
        await settle()
        fast_done = [r for r in run.started if r.key == "fast"]
        assert len(fast_done) == 20 and run.active["fast"] == 0
        assert run.active["slow"] == 2
        # The first slow record is pending, so nothing can be committed yet.
        assert tracker.to_commit() is None
        run.gates["slow"].set()
        await settle()
        assert tracker.to_commit() == 40

    asyncio.run(go())


def test_a_crashing_job_is_not_done_and_is_reported() -> None:
    async def go() -> None:
        tracker = OffsetTracker()

        async def crash(record: FakeRecord) -> None:
            if record.offset == 1:
                raise RuntimeError("bug")

        scheduler = LaneScheduler(crash, lambda key: 8, max_running=8)
        submit_all(scheduler, tracker, ["a", "a", "a"])
        await settle()
        assert isinstance(scheduler.error, RuntimeError)
        assert tracker.to_commit() == 1

    asyncio.run(go())


def test_giving_up_drops_queued_and_cancels_running_of_those_partitions_only() -> None:
    async def go() -> None:
        run = Recorder()
        p0, p1 = OffsetTracker(), OffsetTracker()
        scheduler = LaneScheduler(run, lambda key: 1, max_running=10)
        for offset in range(3):
            p0.add(offset)
            scheduler.submit(Job("p0", "a", FakeRecord(offset, "a"), p0))
            p1.add(offset)
            scheduler.submit(Job("p1", "b", FakeRecord(offset, "b"), p1))
        await settle()
        assert scheduler.drop_queued({"p0"}) == 2
        assert await scheduler.finish({"p0"}, timeout=0.05) == 1
        assert p0.to_commit() is None and scheduler.outstanding == 3
        run.gates["b"].set()
        await settle()
        assert p1.to_commit() == 3 and scheduler.outstanding == 0

    asyncio.run(go())
