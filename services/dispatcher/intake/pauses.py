"""Which partitions the dispatcher's consumer should have paused at this moment, and why.

Two reasons, decided again on every turn of the fetch loop, so nothing is left paused by
accident and a rebalance needs no bookkeeping beyond :meth:`Pauses.forget`:

- backpressure: too many records fetched and unfinished in all (every partition pauses) or in
  one partition (that one pauses). Each resumes only a quarter below its bound: flapping at the
  bound would throw away what the consumer prefetched at every pause;
- a due hold: a retry tier partition whose head record is not due yet waits until it is.

No I/O: the consumer applies the answer with ``pause``/``resume``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable
from typing import Any

IDLE_POLL_MS = 200
PAUSED_POLL_MS = 20
ALL = None  # the key of the global bound among the full ones


def _resume_below(bound: int) -> int:
    return bound - max(1, bound // 4) + 1


class Pauses:
    """Bounds of ``max_buffered`` records in all and ``partition_buffered`` in one partition."""

    def __init__(self, max_buffered: int, partition_buffered: int) -> None:
        self.max_buffered = max(1, max_buffered)
        self.partition_buffered = max(1, partition_buffered)
        self._holds: dict[Hashable, float] = {}
        self._full: set[Hashable | None] = set()
        self._pressed = False  # some partition is paused for backpressure

    def hold(self, tp: Hashable, due: float) -> None:
        """Keep ``tp`` paused until epoch ``due`` (its head record is due then)."""
        self._holds[tp] = due

    def mark_full(self, tp: Hashable) -> None:
        """``tp`` reached its bound while a fetch was being handed out."""
        self._full.add(tp)

    def _over(self, key: Hashable | None, load: int, bound: int) -> bool:
        over = load >= bound or (key in self._full and load >= _resume_below(bound))
        (self._full.add if over else self._full.discard)(key)
        return over

    def wanted(
        self, assigned: Collection[Any], outstanding: int, load: Callable[[Any], int], now: float
    ) -> set[Any]:
        """The partitions of ``assigned`` to have paused at epoch ``now``."""
        self._holds = {tp: due for tp, due in self._holds.items() if due > now}
        if self._over(ALL, outstanding, self.max_buffered):
            self._pressed = True
            return set(assigned)
        bound = self.partition_buffered
        full = {tp for tp in assigned if self._over(tp, load(tp), bound)}
        self._pressed = bool(full)
        return full | (set(self._holds) & set(assigned))

    def poll_ms(self, now: float) -> int:
        """How long the next fetch may wait: short under backpressure (to resume as soon as the
        lanes catch up), never past the next due hold."""
        wait_ms = PAUSED_POLL_MS if self._pressed else IDLE_POLL_MS
        if self._holds:
            wait_ms = min(wait_ms, max(1, int((min(self._holds.values()) - now) * 1000)))
        return wait_ms

    def forget(self, partitions: Collection[Any] | None) -> None:
        """Drop what is known about ``partitions`` (or all): they were revoked or released."""
        for tp in list(self._holds):
            if partitions is None or tp in partitions:
                del self._holds[tp]
        self._full = {tp for tp in self._full if partitions is not None and tp not in partitions}
