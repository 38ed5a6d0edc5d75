"""The duplicate window's claims in memory: one store per events partition, rebuilt from the
window's changelog partition before the router judges the first event of a partition it was
given.

A partition's store is kept across a rebalance only when the router held the partition in both
generations and they are consecutive: in a generation it took no part in, another router may
have owned the partition and made claims this one never saw.

Why not a faust table: its recovery made faust skip events after a restart (see
``stream_app``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, MutableMapping

from services.router.window import Claim
from shared.errors import KafkaUnavailable

log = logging.getLogger(__name__)
# A changelog's records by partition, in log order: (key, value or None for a tombstone).
Records = dict[int, list[tuple[bytes, bytes | None]]]
Reader = Callable[[list[int]], Awaitable[Records]]


class Claims:
    """The claim stores, which partitions are assigned, and which of those were rebuilt."""

    def __init__(self, read: Reader | None = None, retry_delay: float = 1.0) -> None:
        self._read = read
        self.retry_delay = retry_delay
        self._stores: dict[int, dict[bytes, bytes]] = {}
        self._assigned: set[int] = set()
        self._loaded: set[int] = set()
        self._generation: int | None = None
        self._epoch = 0

    def store(self, partition: int) -> MutableMapping[bytes, bytes]:
        """The claims of ``partition`` (empty, and dropped at the next assignment, when the
        partition is not assigned: a revoked event being finished)."""
        return self._stores.setdefault(partition, {})

    def assign(self, partitions: Iterable[int], generation: int) -> None:
        """Take the events partitions of the consumer group's ``generation``; forget the claims
        of every partition not held since the previous generation. Never blocks."""
        assigned = set(partitions)
        consecutive = self._generation is not None and generation == self._generation + 1
        kept = self._loaded & assigned if consecutive else set()
        for partition in set(self._stores) - kept:
            del self._stores[partition]
        self._assigned, self._loaded = assigned, kept
        self._generation = generation
        self._epoch += 1

    @property
    def pending(self) -> set[int]:
        """Assigned partitions whose claims are not in memory yet."""
        return self._assigned - self._loaded

    async def ensure(self, partition: int) -> None:
        """Return once the claims of ``partition`` are in memory (at once for a partition that
        is not assigned). Rebuilds every pending partition in one read of the changelog; blocks
        as long as that takes, retrying while Kafka does not answer."""
        while partition in self.pending:
            epoch, wanted = self._epoch, sorted(self.pending)
            assert self._read is not None, "claims to rebuild but no changelog reader"
            try:
                records = await self._read(wanted)
            except KafkaUnavailable as exc:
                log.warning("window changelog not read, retrying", extra={"error": str(exc)})
                await asyncio.sleep(self.retry_delay)
                continue
            if epoch != self._epoch:
                continue  # a rebalance came meanwhile: its assignment decides what to read
            for number in wanted:
                self._stores[number] = _replay(records.get(number, []))
            self._loaded |= set(wanted)
            count = sum(len(self._stores[number]) for number in wanted)
            log.info("window claims rebuilt", extra={"partitions": wanted, "claims": count})

    def purge(self, now: float) -> int:
        """Drop the claims that expired by ``now``; return how many."""
        dropped = 0
        for store in self._stores.values():
            expired = [key for key, raw in store.items() if Claim.decode(raw).expires <= now]
            for key in expired:
                del store[key]
            dropped += len(expired)
        return dropped


def _replay(records: list[tuple[bytes, bytes | None]]) -> dict[bytes, bytes]:
    store: dict[bytes, bytes] = {}
    for key, value in records:
        if value is None:
            store.pop(key, None)
        else:
            store[key] = value
    return store
