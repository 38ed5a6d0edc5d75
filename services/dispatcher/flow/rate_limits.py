"""Per-endpoint ``rate_limit`` (deliveries per second) as token buckets holding one token.

A bucket of one token spaces requests evenly, ``1/rate`` seconds apart, so in any second at most
``rate`` requests start: no burst ever exceeds the limit. The scheduler asks before it starts a
delivery; when the answer is "wait", only that endpoint's lane sleeps, nothing else.
"""

from __future__ import annotations

import time
from collections.abc import Callable

CAPACITY = 1.0
EPSILON = 1e-9


class TokenBucket:
    """``rate`` tokens per second, at most ``capacity`` saved up; starts full. No I/O."""

    def __init__(self, rate: float, now: float, capacity: float = CAPACITY) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate, self.capacity = rate, capacity
        self._tokens, self._at = capacity, now

    def take(self, now: float) -> float:
        """Take a token and return 0, or return the seconds until one is available."""
        self._tokens = min(self.capacity, self._tokens + (now - self._at) * self.rate)
        self._at = now
        if self._tokens >= 1.0 - EPSILON:  # float rounding must not leave a near-zero wait
            self._tokens = max(0.0, self._tokens - 1.0)
            return 0.0
        return (1.0 - self._tokens) / self.rate


class RateLimits:
    """One bucket per rate-limited endpoint; ``rate_of(endpoint_id)`` is read on every call,
    so a changed limit applies to the next delivery.
    """

    def __init__(
        self,
        rate_of: Callable[[str], float | None],
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._rate_of = rate_of
        self._now = monotonic
        self._buckets: dict[str, TokenBucket] = {}

    def wait(self, endpoint_id: str) -> float:
        """0 when a delivery to ``endpoint_id`` may start now (counted), else seconds to wait."""
        rate = self._rate_of(endpoint_id)
        if not rate:
            self._buckets.pop(endpoint_id, None)
            return 0.0
        now = self._now()
        bucket = self._buckets.get(endpoint_id)
        if bucket is None or bucket.rate != rate:
            bucket = self._buckets[endpoint_id] = TokenBucket(float(rate), now)
        return bucket.take(now)
