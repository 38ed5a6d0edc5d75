"""Token buckets: evenly spaced starts, never more than the rate in any second."""

from __future__ import annotations

import pytest

from services.dispatcher.flow.rate_limits import RateLimits, TokenBucket


def test_bucket_spaces_requests_by_one_over_the_rate() -> None:
    bucket = TokenBucket(4.0, now=0.0)
    assert bucket.take(0.0) == 0.0
    assert bucket.take(0.0) == pytest.approx(0.25)
    assert bucket.take(0.1) == pytest.approx(0.15)
    assert bucket.take(0.25) == 0.0
    # Idle time saves up at most one token: no burst after a pause.
    assert bucket.take(10.0) == 0.0 and bucket.take(10.0) > 0


def test_no_second_ever_holds_more_than_the_rate() -> None:
    now = [0.0]
    rates = {"ep_a": 5, "ep_b": None}
    limits = RateLimits(rates.get, monotonic=lambda: now[0])
    starts = []
    while now[0] < 10.0:  # a caller that tries again exactly when told to
        wait = limits.wait("ep_a")
        if wait == 0:
            starts.append(now[0])
        now[0] += wait or 0.001
    for start in starts:
        # (less a microsecond: float rounding may bring a start a hair early)
        assert sum(1 for s in starts if start <= s < start + 1.0 - 1e-6) <= 5
    assert len(starts) >= 49
    assert all(limits.wait("ep_b") == 0 for _ in range(100))  # unlimited


def test_a_changed_rate_applies_at_once() -> None:
    now, rates = [0.0], {"ep": 1}
    limits = RateLimits(rates.get, monotonic=lambda: now[0])
    assert limits.wait("ep") == 0 and limits.wait("ep") == pytest.approx(1.0)
    rates["ep"] = 10
    assert limits.wait("ep") == 0 and limits.wait("ep") == pytest.approx(0.1)
    with pytest.raises(ValueError):
        TokenBucket(0, now=0)
