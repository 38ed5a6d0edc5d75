"""Read-your-writes for the logs audit serves: a read first waits until audit has what we wrote.

Audit fills the message log and the received log from the events topic a moment after the
write was answered, so a read right after a ``202`` (or an inbound ``401``) could miss it. The
ingress remembers, per events partition, the newest record it wrote to each log; before a read
of that log it asks audit for each one not yet seen stored, until it is there or a short
deadline passes (then it stops waiting for it: audit is behind, and the read shows what audit
has). Audit stores a partition in order, so once the newest record of a partition is stored
every earlier one is too. Writes made through other ingress copies are not waited for.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

# How long one read waits for audit at most, and how old a write may be to be waited for.
WAIT_S = 5.0
MAX_AGE_S = 30.0
POLL_S = 0.05

Stored = Callable[[str], Awaitable[bool]]


class WrittenRecords:
    """The newest record of one log this process wrote to each events partition, until stored;
    a record is named by whatever its ``stored`` check takes."""

    def __init__(self, wait_s: float = WAIT_S, max_age_s: float = MAX_AGE_S) -> None:
        self._wait_s = wait_s
        self._max_age_s = max_age_s
        self._newest: dict[int, tuple[str, float]] = {}

    def note(self, partition: int, name: str) -> None:
        """Remember that the record ``name`` was written (acknowledged) to ``partition``."""
        self._newest[partition] = (name, time.monotonic())

    async def settle(self, stored: Stored) -> None:
        """Return once audit has every remembered record (``stored`` asks it) or at the deadline.

        Never raises for a record audit lacks: past the deadline the record is forgotten.
        """
        now = time.monotonic()
        waiting = {
            partition: inbound_id
            for partition, (inbound_id, at) in self._newest.items()
            if now - at <= self._max_age_s
        }
        for partition in set(self._newest) - set(waiting):
            self._newest.pop(partition, None)
        if waiting:
            deadline = now + self._wait_s
            await asyncio.gather(*(self._wait(p, i, stored, deadline) for p, i in waiting.items()))

    async def _wait(self, partition: int, inbound_id: str, stored: Stored, deadline: float) -> None:
        while not await stored(inbound_id) and time.monotonic() < deadline:
            await asyncio.sleep(POLL_S)
        if self._newest.get(partition, ("", 0.0))[0] == inbound_id:
            del self._newest[partition]
