"""Which offsets of the tasks topic the task workers may commit: a partition is committed only
up to its oldest request whose task has not ended, so a worker's death makes the partition's
next owner read that request (and every later one) again. No I/O."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection

from aiokafka import TopicPartition


class TaskOffsets:
    """Offsets read per partition, the requests still in hand, and what was last committed."""

    def __init__(self) -> None:
        self._read: dict[TopicPartition, int] = {}
        self._waiting: dict[TopicPartition, set[int]] = defaultdict(set)
        self._committed: dict[TopicPartition, int] = {}

    def read(self, tp: TopicPartition, offset: int) -> None:
        """A record was read at ``offset``."""
        self._read[tp] = offset

    def hold(self, tp: TopicPartition, offset: int) -> None:
        """The request at ``offset`` is in hand: nothing from it on may be committed."""
        self._waiting[tp].add(offset)

    def release(self, tp: TopicPartition, offset: int) -> None:
        """The request at ``offset`` ended (or was handed to another owner)."""
        self._waiting[tp].discard(offset)

    def to_commit(self, assigned: Collection[TopicPartition]) -> dict[TopicPartition, int]:
        """The new commit position of each assigned partition whose position moved."""
        offsets = {}
        for tp, read in self._read.items():
            if tp not in assigned:
                continue
            waiting = self._waiting.get(tp)
            position = min(waiting) if waiting else read + 1
            if self._committed.get(tp) != position:
                offsets[tp] = position
        return offsets

    def committed(self, offsets: dict[TopicPartition, int]) -> None:
        """``offsets`` were committed."""
        self._committed.update(offsets)
