"""ParallelConsumer against an in-memory consumer: backpressure, in-order commits, giving up.

Only the logic is proved here; the integration tests run it against a real broker.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from services.dispatcher.flow.lanes import LaneScheduler
from services.dispatcher.intake.consumer import ParallelConsumer
from tests.support.waiting import eventually


@dataclass(frozen=True)
class Record:
    offset: int
    key: bytes | None
    due: float | None = None


class MemoryConsumer:
    """The slice of AIOKafkaConsumer the ParallelConsumer uses."""

    def __init__(self, records: dict[str, list[Record]]) -> None:
        self.log = {tp: list(items) for tp, items in records.items()}
        self.pending = {tp: list(items) for tp, items in records.items()}
        self._paused: set[str] = set()
        self.commits: list[dict[str, int]] = []
        self.pauses = self.resumes = self.polls = 0

    def assignment(self) -> set[str]:
        return set(self.pending)

    def paused(self) -> set[str]:
        return set(self._paused)

    def pause(self, *tps: str) -> None:
        self.pauses += 1
        self._paused.update(tps)

    def resume(self, *tps: str) -> None:
        self.resumes += 1
        self._paused.difference_update(tps)

    async def getmany(self, timeout_ms: int, max_records: int) -> dict[str, list[Record]]:
        self.polls += 1
        batch: dict[str, list[Record]] = {}
        for tp, items in self.pending.items():
            if tp in self._paused or not items or max_records <= 0:
                continue
            take, self.pending[tp] = items[:max_records], items[max_records:]
            batch[tp] = take
            max_records -= len(take)
        if not batch:
            await asyncio.sleep(timeout_ms / 1000)
        return batch

    def seek(self, tp: str, offset: int) -> None:
        self.pending[tp] = [r for r in self.log[tp] if r.offset >= offset]

    async def commit(self, offsets: dict[str, int]) -> None:
        self.commits.append(dict(offsets))

    def committed(self, tp: str) -> int | None:
        return next((c[tp] for c in reversed(self.commits) if tp in c), None)


async def until(check: Callable[[], bool], timeout: float = 5.0) -> None:
    await eventually(check, timeout, interval=0.01)


def records(*keys: str) -> list[Record]:
    return [Record(offset, key.encode()) for offset, key in enumerate(keys)]


def test_backpressure_pauses_and_nothing_is_dropped() -> None:
    async def go() -> None:
        gate, peak = asyncio.Event(), [0]
        source = MemoryConsumer({"p0": records(*["a", "b"] * 15), "p1": records(*["c"] * 10)})

        async def run(job: Any) -> None:
            await gate.wait()

        scheduler = LaneScheduler(run, lambda key: 8, max_running=100)
        parallel = ParallelConsumer(source, scheduler, max_buffered=6)
        stop = asyncio.Event()
        loop = asyncio.create_task(parallel.run(stop))

        def buffered() -> bool:
            peak[0] = max(peak[0], scheduler.outstanding)
            return scheduler.outstanding == 6 and bool(source.paused())

        await until(buffered)
        assert peak[0] <= 6 and source.pauses >= 1
        gate.set()
        await until(lambda: source.committed("p0") == 30 and source.committed("p1") == 10)
        assert not source.paused()
        stop.set()
        await loop

    asyncio.run(go())


def test_commits_wait_for_the_slowest_record_of_a_partition() -> None:
    async def go() -> None:
        slow = asyncio.Event()
        source = MemoryConsumer({"p0": records("slow", "fast", "fast", "fast")})

        async def run(job: Any) -> None:
            if job.record.key == b"slow":
                await slow.wait()

        scheduler = LaneScheduler(run, lambda key: 8, max_running=10)
        parallel = ParallelConsumer(source, scheduler, max_buffered=100)
        stop = asyncio.Event()
        loop = asyncio.create_task(parallel.run(stop))
        await until(lambda: scheduler.outstanding == 1)
        await parallel.commit()
        assert source.committed("p0") is None
        slow.set()
        await until(lambda: scheduler.outstanding == 0)
        await parallel.commit()
        assert source.committed("p0") == 4
        stop.set()
        await loop

    asyncio.run(go())


def test_giving_up_commits_what_is_done_and_abandons_the_rest() -> None:
    async def go() -> None:
        source = MemoryConsumer({"p0": records("ok", "hang", "ok")})

        async def run(job: Any) -> None:
            if job.record.key == b"hang":
                await asyncio.Event().wait()

        scheduler = LaneScheduler(run, lambda key: 8, max_running=10)
        parallel = ParallelConsumer(source, scheduler, max_buffered=100)
        stop = asyncio.Event()
        loop = asyncio.create_task(parallel.run(stop))
        await until(lambda: scheduler.outstanding == 1)
        stop.set()
        await loop
        await parallel.give_up(None, wait=0.05)
        assert source.committed("p0") == 1 and scheduler.outstanding == 0

    asyncio.run(go())


def test_a_crashed_delivery_stops_the_loop() -> None:
    async def go() -> None:
        source = MemoryConsumer({"p0": records("a")})

        async def run(job: Any) -> None:
            raise RuntimeError("bug")

        scheduler = LaneScheduler(run, lambda key: 8, max_running=10)
        parallel = ParallelConsumer(source, scheduler, max_buffered=100)
        try:
            await asyncio.wait_for(parallel.run(asyncio.Event()), 5)
        except RuntimeError as exc:
            assert str(exc) == "bug"
        else:
            raise AssertionError("the loop should have raised")
        assert not parallel.running

    asyncio.run(go())


def test_partitions_resume_only_a_quarter_below_the_bound() -> None:
    async def go() -> None:
        gates = [asyncio.Event() for _ in range(20)]
        source = MemoryConsumer({"p0": records(*[f"ep{i}" for i in range(20)])})

        async def run(job: Any) -> None:
            await gates[job.record.offset].wait()

        scheduler = LaneScheduler(run, lambda key: 8, max_running=100)
        parallel = ParallelConsumer(source, scheduler, max_buffered=8)
        stop = asyncio.Event()
        loop = asyncio.create_task(parallel.run(stop))
        await until(lambda: scheduler.outstanding == 8 and bool(source.paused()))
        gates[0].set()
        await until(lambda: scheduler.outstanding == 7)
        polls = source.polls
        await until(lambda: source.polls >= polls + 3)  # turns of the loop that may not resume
        assert source.resumes == 0 and len(source.pending["p0"]) == 12
        gates[1].set()
        await until(lambda: source.resumes == 1 and len(source.pending["p0"]) == 10)
        for gate in gates:
            gate.set()
        await until(lambda: source.committed("p0") == 20)
        stop.set()
        await loop

    asyncio.run(go())


def test_a_full_partition_pauses_alone() -> None:
    async def go() -> None:
        gate = asyncio.Event()
        source = MemoryConsumer({"p0": records(*["stuck"] * 20), "p1": records(*["c"] * 10)})

        async def run(job: Any) -> None:
            if job.record.key == b"stuck":
                await gate.wait()

        scheduler = LaneScheduler(run, lambda key: 1, max_running=100)
        parallel = ParallelConsumer(source, scheduler, max_buffered=100, partition_buffered=4)
        stop = asyncio.Event()
        loop = asyncio.create_task(parallel.run(stop))
        await until(lambda: source.committed("p1") == 10)
        assert source.paused() == {"p0"} and scheduler.load("p0") <= 4
        gate.set()
        await until(lambda: source.committed("p0") == 20)
        assert not source.paused()
        stop.set()
        await loop

    asyncio.run(go())


def test_a_tier_partition_waits_for_its_head_to_be_due() -> None:
    async def go() -> None:
        now = [100.0]
        tier = [Record(0, b"a", 50.0), Record(1, b"b", 105.0), Record(2, b"c", 101.0)]
        source = MemoryConsumer({"retry": tier, "main": records("m", "m")})
        ran: list[tuple[str, int]] = []

        async def run(job: Any) -> None:
            ran.append((job.partition, job.record.offset))

        scheduler = LaneScheduler(run, lambda key: 8, max_running=10)
        parallel = ParallelConsumer(
            source,
            scheduler,
            max_buffered=100,
            tiers={"retry"},
            due_of=lambda record: record.due,
            clock=lambda: now[0],
        )
        stop = asyncio.Event()
        loop = asyncio.create_task(parallel.run(stop))
        await until(lambda: source.committed("main") == 2 and source.committed("retry") == 1)
        assert source.paused() == {"retry"} and ("retry", 1) not in ran
        now[0] = 105.0  # the head is due: the later record, due earlier, follows it
        await until(lambda: source.committed("retry") == 3)
        assert [o for p, o in ran if p == "retry"] == [0, 1, 2]
        assert not source.paused()
        stop.set()
        await loop

    asyncio.run(go())
