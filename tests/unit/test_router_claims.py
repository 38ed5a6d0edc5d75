"""The duplicate window's claim stores without Kafka: rebuilt from a changelog reader when a
partition is given, kept only across consecutive generations, never from a stale read."""

from __future__ import annotations

import asyncio

import pytest

from services.router.claims import Claims, Records
from services.router.window import Claim
from shared.errors import KafkaUnavailable


def claim(offset: int, expires: float = 2000.0) -> bytes:
    return Claim(0, offset, f"m-{offset}", "2026-11-22T10:00:00.000Z", 202, None, expires).encode()


class Changelog:
    """A fake reader: what each partition holds, and which reads were asked for."""

    def __init__(self, records: Records) -> None:
        self.records = records
        self.reads: list[list[int]] = []
        self.failures = 0
        self.during_read: list[object] = []

    async def __call__(self, partitions: list[int]) -> Records:
        self.reads.append(partitions)
        if self.failures:
            self.failures -= 1
            raise KafkaUnavailable("broker away")
        while self.during_read:
            action = self.during_read.pop(0)
            assert callable(action)
            action()
        return {p: list(self.records.get(p, [])) for p in partitions}


def test_first_event_of_a_partition_rebuilds_every_pending_partition_in_one_read() -> None:
    log = Changelog({0: [(b"a", claim(1)), (b"b", claim(2)), (b"a", claim(3)), (b"b", None)]})
    claims = Claims(log)
    claims.assign({0, 1}, generation=1)
    assert claims.pending == {0, 1}
    asyncio.run(claims.ensure(1))
    assert log.reads == [[0, 1]] and claims.pending == set()
    assert dict(claims.store(0)) == {b"a": claim(3)}  # later records win, tombstones delete
    asyncio.run(claims.ensure(0))
    assert log.reads == [[0, 1]]  # nothing read twice


def test_an_unassigned_partition_is_not_read() -> None:
    log = Changelog({})
    claims = Claims(log)
    claims.assign({0}, generation=1)
    asyncio.run(claims.ensure(2))
    assert log.reads == [] and claims.pending == {0}


def test_claims_are_kept_only_across_consecutive_generations() -> None:
    log = Changelog({0: [(b"a", claim(1))], 1: [(b"b", claim(2))]})
    claims = Claims(log)
    claims.assign({0, 1}, generation=4)
    asyncio.run(claims.ensure(0))
    claims.store(0)[b"new"] = claim(9)  # a claim made since, not on the fake changelog
    claims.assign({0, 2}, generation=5)  # kept 0, lost 1, got 2
    assert claims.pending == {2} and b"new" in claims.store(0)
    assert 1 not in claims.pending and dict(claims.store(1)) == {}
    asyncio.run(claims.ensure(2))
    # Generation 6 went by without this router: partition 0 may have had another owner.
    claims.assign({0, 2}, generation=7)
    assert claims.pending == {0, 2} and dict(claims.store(0)) == {}
    asyncio.run(claims.ensure(0))
    assert dict(claims.store(0)) == {b"a": claim(1)}


def test_a_read_overtaken_by_a_rebalance_is_thrown_away() -> None:
    log = Changelog({0: [(b"a", claim(1))], 1: [(b"b", claim(2))]})
    claims = Claims(log)
    claims.assign({0}, generation=1)
    log.during_read.append(lambda: claims.assign({1}, generation=2))
    asyncio.run(claims.ensure(0))  # partition 0 went away while it was read
    assert log.reads == [[0]] and claims.pending == {1} and dict(claims.store(0)) == {}
    asyncio.run(claims.ensure(1))
    assert log.reads == [[0], [1]] and dict(claims.store(1)) == {b"b": claim(2)}


def test_reading_is_retried_while_kafka_does_not_answer() -> None:
    log = Changelog({0: [(b"a", claim(1))]})
    log.failures = 2
    claims = Claims(log, retry_delay=0.0)
    claims.assign({0}, generation=1)
    asyncio.run(claims.ensure(0))
    assert len(log.reads) == 3 and dict(claims.store(0)) == {b"a": claim(1)}


def test_purge_drops_expired_claims_of_every_partition() -> None:
    claims = Claims()
    claims.store(0)[b"old"] = claim(1, expires=10.0)
    claims.store(0)[b"live"] = claim(2, expires=100.0)
    claims.store(3)[b"old"] = claim(3, expires=20.0)
    assert claims.purge(now=50.0) == 2
    assert list(claims.store(0)) == [b"live"] and dict(claims.store(3)) == {}


def test_rebuilding_without_a_reader_is_a_bug() -> None:
    claims = Claims()
    claims.assign({0}, generation=1)
    with pytest.raises(AssertionError):
        asyncio.run(claims.ensure(0))
