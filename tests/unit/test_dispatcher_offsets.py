"""OffsetTracker: commits move only past a prefix of finished records."""

from __future__ import annotations

import random

import pytest

from services.dispatcher.intake.offsets import OffsetTracker


def tracker_with(*offsets: int) -> OffsetTracker:
    tracker = OffsetTracker()
    for offset in offsets:
        tracker.add(offset)
    return tracker


def test_nothing_to_commit_before_anything_is_done() -> None:
    assert tracker_with(0, 1, 2).to_commit() is None


def test_commit_is_the_next_offset_after_a_done_prefix() -> None:
    tracker = tracker_with(0, 1, 2)
    tracker.done(0)
    tracker.done(1)
    assert tracker.to_commit() == 2
    assert tracker.outstanding == 1


def test_a_pending_record_holds_back_later_finished_ones() -> None:
    tracker = tracker_with(10, 11, 12, 13)
    for offset in (11, 12, 13):
        tracker.done(offset)
    assert tracker.to_commit() is None
    tracker.done(10)
    assert tracker.to_commit() == 14
    assert tracker.outstanding == 0


def test_gaps_in_offsets_are_fine() -> None:
    # Compaction and transaction markers leave holes in a partition's offsets: the commit may
    # go up to the first pending record.
    tracker = tracker_with(3, 7, 20)
    tracker.done(3)
    tracker.done(7)
    assert tracker.to_commit() == 20
    tracker.done(20)
    assert tracker.to_commit() == 21


def test_a_long_held_record_keeps_only_unfinished_offsets() -> None:
    tracker = tracker_with(*range(100_000))
    for offset in range(1, 100_000):
        tracker.done(offset)
    assert tracker.outstanding == 1 and tracker.to_commit() is None
    tracker.done(0)
    assert tracker.to_commit() == 100_000


def test_commit_is_offered_once_until_more_becomes_safe() -> None:
    tracker = tracker_with(0, 1)
    tracker.done(0)
    tracker.committed(tracker.to_commit() or -1)
    assert tracker.to_commit() is None
    tracker.done(1)
    assert tracker.to_commit() == 2


def test_offsets_must_be_added_in_order() -> None:
    tracker = tracker_with(5)
    with pytest.raises(ValueError):
        tracker.add(5)
    with pytest.raises(ValueError):
        tracker.add(4)
    tracker.done(5)
    with pytest.raises(ValueError):
        tracker.add(5)
    tracker.add(6)


def test_unknown_or_repeated_done_is_ignored() -> None:
    tracker = tracker_with(0, 1)
    tracker.done(0)
    tracker.done(0)
    tracker.done(99)
    assert tracker.to_commit() == 1
    tracker.done(1)
    assert tracker.to_commit() == 2


def test_random_completion_order_always_commits_a_done_prefix() -> None:
    rng = random.Random(7)
    offsets = list(range(200))
    tracker = tracker_with(*offsets)
    finished: set[int] = set()
    for offset in rng.sample(offsets, len(offsets)):
        tracker.done(offset)
        finished.add(offset)
        safe = tracker.to_commit()
        prefix = next((o for o in offsets if o not in finished), len(offsets))
        assert safe == (prefix if prefix > 0 else None)
    assert tracker.to_commit() == 200
