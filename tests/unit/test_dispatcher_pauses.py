"""Pauses: backpressure with hysteresis, due holds that expire, and forgetting partitions."""

from __future__ import annotations

from services.dispatcher.intake.pauses import IDLE_POLL_MS, PAUSED_POLL_MS, Pauses


def test_a_full_partition_pauses_until_a_quarter_below_its_bound() -> None:
    pauses, load = Pauses(100, 8), {"p0": 8, "p1": 0}
    assert pauses.wanted({"p0", "p1"}, 8, load.get, 0.0) == {"p0"}
    assert pauses.poll_ms(0.0) == PAUSED_POLL_MS
    load["p0"] = 7
    assert pauses.wanted({"p0", "p1"}, 7, load.get, 0.0) == {"p0"}  # 7 > 8 - 8 // 4
    load["p0"] = 6
    assert pauses.wanted({"p0", "p1"}, 6, load.get, 0.0) == set()
    assert pauses.poll_ms(0.0) == IDLE_POLL_MS


def test_a_full_buffer_pauses_everything() -> None:
    pauses = Pauses(10, 10)
    assert pauses.wanted({"p0", "p1"}, 10, lambda _tp: 5, 0.0) == {"p0", "p1"}


def test_a_hold_lasts_until_due_and_bounds_the_poll() -> None:
    pauses = Pauses(100, 100)
    pauses.hold("retry-0", 10.0)
    assert pauses.wanted({"retry-0", "main-0"}, 0, lambda _tp: 0, 9.0) == {"retry-0"}
    assert pauses.poll_ms(9.95) == 50
    assert pauses.wanted({"retry-0", "main-0"}, 0, lambda _tp: 0, 10.0) == set()


def test_forgotten_partitions_lose_their_holds_and_pressure() -> None:
    pauses = Pauses(100, 1)
    pauses.hold("retry-0", 10.0)
    pauses.mark_full("main-0")
    pauses.forget({"retry-0", "main-0"})
    assert pauses.wanted({"retry-0", "main-0"}, 0, lambda _tp: 0, 0.0) == set()
