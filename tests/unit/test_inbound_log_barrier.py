"""The received log's read barrier: a read waits for the newest record of each partition this
ingress wrote, and never longer than its deadline."""

from __future__ import annotations

import asyncio
import time

from services.ingress.publish.log_barrier import WrittenRecords


class Audit:
    """Audit as the barrier sees it: which ids are stored, and what was asked."""

    def __init__(self) -> None:
        self.stored: set[str] = set()
        self.asked: list[str] = []

    async def has(self, inbound_id: str) -> bool:
        self.asked.append(inbound_id)
        return inbound_id in self.stored


def test_nothing_written_means_no_question() -> None:
    audit = Audit()
    asyncio.run(WrittenRecords().settle(audit.has))
    assert audit.asked == []


def test_a_read_waits_for_the_newest_record_of_each_partition() -> None:
    audit, written = Audit(), WrittenRecords(wait_s=10)
    written.note(0, "in_1")
    written.note(0, "in_2")  # newer on the same partition: only it is asked for
    written.note(1, "in_3")

    async def read() -> None:
        async def store_later() -> None:
            await asyncio.sleep(0.2)
            audit.stored.update({"in_2", "in_3"})

        await asyncio.gather(written.settle(audit.has), store_later())

    asyncio.run(read())
    assert set(audit.asked) == {"in_2", "in_3"} and "in_1" not in audit.asked
    audit.asked.clear()
    asyncio.run(written.settle(audit.has))  # once seen stored, never asked again
    assert audit.asked == []


def test_a_record_audit_lacks_holds_a_read_only_until_the_deadline() -> None:
    audit, written = Audit(), WrittenRecords(wait_s=0.3)
    written.note(0, "in_lost")
    started = time.monotonic()
    asyncio.run(written.settle(audit.has))
    assert 0.3 <= time.monotonic() - started < 5
    audit.asked.clear()
    asyncio.run(written.settle(audit.has))  # given up on: the next read does not wait
    assert audit.asked == []


def test_old_writes_are_not_waited_for() -> None:
    audit, written = Audit(), WrittenRecords(wait_s=10, max_age_s=0)
    written.note(0, "in_old")
    time.sleep(0.01)
    asyncio.run(written.settle(audit.has))
    assert audit.asked == []
