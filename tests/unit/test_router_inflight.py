"""Events in flight are acked in consumption order, bounded, and never after a cancelled one."""

from __future__ import annotations

import asyncio

from services.router.inflight import InOrderAcks


async def settle() -> None:
    for _ in range(10):
        await asyncio.sleep(0)


def test_acks_follow_insertion_order_not_completion_order() -> None:
    async def scenario() -> list[str]:
        acked: list[str] = []

        async def ack(item: str) -> None:
            acked.append(item)

        window: InOrderAcks[str] = InOrderAcks(ack, limit=10)
        loop = asyncio.get_running_loop()
        works = {name: loop.create_future() for name in "abc"}
        for name, work in works.items():
            await window.add(name, work)
        works["c"].set_result(None)
        works["b"].set_result(None)
        await settle()
        assert acked == [], "acked before the first event was durable"
        works["a"].set_result(None)
        await settle()
        await window.close(1.0)
        return acked

    assert asyncio.run(scenario()) == ["a", "b", "c"]


def test_add_blocks_while_the_window_is_full() -> None:
    async def scenario() -> None:
        window: InOrderAcks[int] = InOrderAcks(lambda item: asyncio.sleep(0), limit=2)
        loop = asyncio.get_running_loop()
        works = [loop.create_future() for _ in range(4)]
        await window.add(0, works[0])
        await window.add(1, works[1])
        await window.add(2, works[2])  # the acker already took item 0 off the queue
        third = asyncio.create_task(window.add(3, works[3]))
        await settle()
        assert not third.done(), "a full window must apply backpressure"
        works[0].set_result(None)
        await asyncio.wait_for(third, 1.0)
        for work in works[1:]:
            work.set_result(None)
        await window.close(1.0)

    asyncio.run(scenario())


def test_close_drains_then_leaves_unfinished_work_unacked() -> None:
    async def scenario() -> tuple[list[int], bool]:
        acked: list[int] = []

        async def ack(item: int) -> None:
            acked.append(item)

        window: InOrderAcks[int] = InOrderAcks(ack, limit=10)
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        stuck: asyncio.Future[None] = loop.create_future()
        after: asyncio.Future[None] = loop.create_future()
        done.set_result(None)
        after.set_result(None)
        for item, work in enumerate([done, stuck, after]):
            await window.add(item, work)
        await window.close(0.05)
        return acked, stuck.cancelled()

    acked, cancelled = asyncio.run(scenario())
    assert acked == [0], "nothing after an unfinished event may be acked"
    assert cancelled


def test_a_cancelled_work_stops_acking() -> None:
    async def scenario() -> list[int]:
        acked: list[int] = []

        async def ack(item: int) -> None:
            acked.append(item)

        window: InOrderAcks[int] = InOrderAcks(ack, limit=10)
        loop = asyncio.get_running_loop()
        first: asyncio.Future[None] = loop.create_future()
        second: asyncio.Future[None] = loop.create_future()
        await window.add(0, first)
        await window.add(1, second)
        first.cancel()
        second.set_result(None)
        await settle()
        await window.close(0.05)
        return acked

    assert asyncio.run(scenario()) == []
