"""Which offset of one partition may be committed when records finish out of order.

Records of a partition are handed out in offset order but finish in any order (a fast endpoint
overtakes a slow one). Kafka keeps one committed offset per partition, meaning "everything below
is done", so the commit may only move up to the first record that is still pending.
"""

from __future__ import annotations

from collections import deque


class OffsetTracker:
    """Pending offsets of one partition and the highest offset that is safe to commit. No I/O."""

    def __init__(self) -> None:
        self._pending: deque[int] = deque()
        self._done: set[int] = set()
        self._safe: int | None = None
        self._committed: int | None = None

    def add(self, offset: int) -> None:
        """Start tracking ``offset``; raise ``ValueError`` unless it is above every earlier one."""
        floor = self._pending[-1] + 1 if self._pending else self._safe
        if floor is not None and offset < floor:
            raise ValueError(f"offset {offset} added out of order (expected >= {floor})")
        self._pending.append(offset)

    def done(self, offset: int) -> None:
        """Mark ``offset`` finished; advance the safe point past every finished prefix.

        Offsets that are not pending (never added, or already below the safe point) are ignored.
        """
        if not self._pending or offset < self._pending[0]:
            return
        self._done.add(offset)
        while self._pending and self._pending[0] in self._done:
            finished = self._pending.popleft()
            self._done.discard(finished)
            # Kafka's committed offset names the next record to read, hence + 1.
            self._safe = finished + 1

    @property
    def outstanding(self) -> int:
        """How many added offsets are not yet below the safe point."""
        return len(self._pending)

    def to_commit(self) -> int | None:
        """The offset to commit now, or None when nothing new became safe since the last commit."""
        if self._safe is None or self._safe == self._committed:
            return None
        return self._safe

    def committed(self, offset: int) -> None:
        """Record that ``offset`` (from :meth:`to_commit`) was committed."""
        self._committed = offset
