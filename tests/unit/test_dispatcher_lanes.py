"""LaneScheduler: per-endpoint and global bounds, ordered lanes, slow lanes that block no one,
lanes that wait (rate limit, in-lane retry) and lanes that spill their backlog."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from services.dispatcher.flow import lanes
from services.dispatcher.flow.lanes import Job, LaneScheduler
from services.dispatcher.intake.offsets import OffsetTracker
from tests.support.waiting import eventually


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

    async def __call__(self, job: Job) -> float | None:
        record = job.record
        self.started.append(record)
        self.active[record.key] += 1
        self.peak[record.key] = max(self.peak[record.key], self.active[record.key])
        self.total_peak = max(self.total_peak, sum(self.active.values()))
        try:
            await self.gates[record.key].wait()
        finally:
            self.active[record.key] -= 1
        return None


def submit_all(
    scheduler: LaneScheduler,
    tracker: OffsetTracker,
    keys: list[str],
    start: int = 0,
    partition: str = "p0",
) -> None:
    for offset, key in enumerate(keys, start):
        tracker.add(offset)
        scheduler.submit(Job(partition, key, FakeRecord(offset, key), tracker))


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def until(check: Callable[[], bool], timeout: float = 5.0) -> None:
    await eventually(check, timeout, interval=0.005)


def test_per_endpoint_and_global_bounds_hold() -> None:
    async def go() -> None:
        run, tracker = Recorder(), OffsetTracker()
        scheduler = LaneScheduler(run, lambda key: 3, max_running=5)
        submit_all(scheduler, tracker, ["a"] * 10 + ["b"] * 10)
        await settle()
        assert run.peak == {"a": 3, "b": 2}
        assert scheduler.running == 5 and scheduler.outstanding == 20
        assert scheduler.load("p0") == 20
        run.gates["a"].set()
        run.gates["b"].set()
        await settle()
        assert scheduler.outstanding == 0 and scheduler.load("p0") == 0
        assert run.total_peak <= 5 and max(run.peak.values()) == 3
        assert tracker.to_commit() == 20

    asyncio.run(go())


def test_ordered_lane_runs_one_at_a_time_in_offset_order() -> None:
    async def go() -> None:
        run, tracker = Recorder(), OffsetTracker()
        run.gates["fifo"].set()
        scheduler = LaneScheduler(run, lambda key: 1, max_running=50)
        submit_all(scheduler, tracker, ["fifo"] * 30)
        await until(lambda: scheduler.outstanding == 0)
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

        async def crash(job: Job) -> None:
            if job.record.offset == 1:
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
        assert scheduler.load("p0") == 0 and scheduler.load("p1") == 3
        run.gates["b"].set()
        await settle()
        assert p1.to_commit() == 3 and scheduler.outstanding == 0

    asyncio.run(go())


def test_one_lane_per_endpoint_across_partitions_drops_only_the_given_partition() -> None:
    async def go() -> None:
        run = Recorder()
        main, tier = OffsetTracker(), OffsetTracker()
        scheduler = LaneScheduler(run, lambda key: 1, max_running=10)
        submit_all(scheduler, main, ["a"] * 3, partition="deliveries-0")
        submit_all(scheduler, tier, ["a"] * 3, partition="retry-0")
        await settle()
        assert run.peak["a"] == 1  # the endpoint's limit spans both topics
        assert scheduler.drop_queued({"retry-0"}) == 3
        run.gates["a"].set()
        await until(lambda: scheduler.outstanding == 0)
        assert main.to_commit() == 3 and tier.to_commit() is None

    asyncio.run(go())


def test_a_gated_lane_waits_without_holding_up_others() -> None:
    async def go() -> None:
        run, tracker = Recorder(), OffsetTracker()
        run.gates["limited"].set()
        run.gates["free"].set()
        allowed = {"limited": 1}

        def gate(key: str) -> float:
            if key != "limited":
                return 0.0
            if allowed["limited"] > 0:
                allowed["limited"] -= 1
                return 0.0
            return 0.05

        scheduler = LaneScheduler(run, lambda key: 8, max_running=10, gate=gate)
        submit_all(scheduler, tracker, ["limited"] * 3 + ["free"] * 5)
        await settle()
        assert [r.key for r in run.started].count("free") == 5
        assert [r.key for r in run.started].count("limited") == 1
        allowed["limited"] = 2
        await until(lambda: scheduler.outstanding == 0)  # woken by its timer
        assert tracker.to_commit() == 8

    asyncio.run(go())


def test_a_run_asking_to_run_again_holds_its_lane_in_order() -> None:
    async def go() -> None:
        tracker, seen = OffsetTracker(), []

        async def run(job: Job) -> float | None:
            seen.append((job.record.key, job.record.offset, job.state))
            if job.record.key == "ordered" and job.record.offset == 0 and job.state is None:
                job.state = "second try"
                return 0.05
            return None

        scheduler = LaneScheduler(run, lambda key: 1, max_running=10)
        submit_all(scheduler, tracker, ["ordered", "ordered", "other"])
        await settle()
        # The retry waits; the later record of its lane waits behind it; others go on.
        assert seen == [("ordered", 0, None), ("other", 2, None)]
        assert tracker.to_commit() is None and scheduler.outstanding == 2
        await until(lambda: scheduler.outstanding == 0)
        assert seen[2:] == [("ordered", 0, "second try"), ("ordered", 1, None)]
        assert tracker.to_commit() == 3

    asyncio.run(go())


def test_a_slow_lane_spills_beyond_its_backlog(monkeypatch: pytest.MonkeyPatch) -> None:
    async def go() -> None:
        run, tracker, spilled = Recorder(), OffsetTracker(), []

        async def spill(job: Job, waited: float) -> None:
            spilled.append(job.record.offset)

        scheduler = LaneScheduler(
            run, lambda key: 1, max_running=10, spill=spill, backlog_for=lambda key: 2
        )
        submit_all(scheduler, tracker, ["slow"] * 4)  # one runs (hangs), three queue
        await settle()
        assert spilled == []  # a full queue alone is only busy, not slow
        monkeypatch.setattr(lanes, "SLOW_SECONDS", 0.0)  # the running one now counts as long
        submit_all(scheduler, tracker, ["slow"] * 2, start=4)
        await settle()
        assert spilled == [4, 5]
        assert tracker.to_commit() is None  # offset 0 still runs
        run.gates["slow"].set()
        await until(lambda: scheduler.outstanding == 0)
        assert tracker.to_commit() == 6 and [r.offset for r in run.started] == [0, 1, 2, 3]

    asyncio.run(go())


def test_a_lane_waiting_on_its_rate_limit_spills_beyond_its_backlog() -> None:
    async def go() -> None:
        run, tracker, spilled = Recorder(), OffsetTracker(), []
        run.gates["limited"].set()

        async def spill(job: Job, waited: float) -> None:
            spilled.append(job.record.offset)

        scheduler = LaneScheduler(
            run,
            lambda key: 8,
            max_running=10,
            gate=lambda key: 10.0,  # never a token during this test
            spill=spill,
            backlog_for=lambda key: 3,
        )
        submit_all(scheduler, tracker, ["limited"] * 5)
        await settle()
        assert run.started == [] and spilled == [3, 4]
        scheduler.drop_queued()

    asyncio.run(go())
