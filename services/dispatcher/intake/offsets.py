"""Which offset of one partition may be committed when records finish out of order.

Records of a partition are handed out in offset order but finish in any order (a fast endpoint
overtakes a slow one). Kafka keeps one committed offset per partition, meaning "everything below
is done", so the commit may only move up to the first record that is still pending.

Only unfinished offsets are kept: a record that holds the commit back for long (an ordered
endpoint retrying in its lane) costs no memory for the many records finished behind it.
"""

from __future__ import annotations


class OffsetTracker:
    """Pending offsets of one partition and the highest offset that is safe to commit. No I/O."""

    def __init__(self) -> None:
        # Insertion-ordered, so the first key is the lowest unfinished offset.
        self._pending: dict[int, None] = {}
        self._first: int | None = None
        self._last: int | None = None
        self._committed: int | None = None

    def add(self, offset: int) -> None:
        """Start tracking ``offset``; raise ``ValueError`` unless it is above every earlier one."""
        if self._last is not None and offset <= self._last:
            raise ValueError(f"offset {offset} added out of order (expected > {self._last})")
        self._pending[offset] = None
        self._last = offset
        if self._first is None:
            self._first = offset

    def done(self, offset: int) -> None:
        """Mark ``offset`` finished. Offsets that are not pending are ignored."""
        self._pending.pop(offset, None)

    @property
    def outstanding(self) -> int:
        """How many added offsets are not finished yet."""
        return len(self._pending)

    def _safe(self) -> int | None:
        if self._pending:
            # Every offset below the first pending one was added and finished, or never
            # existed (compaction and transaction markers leave holes).
            return next(iter(self._pending))
        return None if self._last is None else self._last + 1  # Kafka names the next one

    def to_commit(self) -> int | None:
        """The offset to commit now, or None when nothing new became safe since the last commit."""
        safe = self._safe()
        if safe is None or safe == self._first or safe == self._committed:
            return None  # nothing finished yet, or nothing new
        return safe

    def committed(self, offset: int) -> None:
        """Record that ``offset`` (from :meth:`to_commit`) was committed."""
        self._committed = offset
