"""What follows from one attempt: its outcome, and the retry or dead letter it leads to.

- 2xx: ``succeeded``.
- ``410 Gone``: ``failed`` and no retry (the handler disables the endpoint).
- any other answer, a timeout, a connection error or refusal: ``retrying`` while schedule steps
  are left, the next attempt waiting on a retry tier (or, for an ordered endpoint, in its lane);
  after the last step ``exhausted``, and the delivery is dead-lettered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from services.dispatcher.deliveries import Delivery
from services.dispatcher.flow.retry_tiers import next_delivery, parse_retry_after, plan_retry
from services.dispatcher.targets.exchange import GONE
from services.dispatcher.targets.tried import Tried
from shared.settings import Settings
from shared.topics import retry_topic


@dataclass(frozen=True)
class Plan:
    """The attempt's outcome and what follows.

    ``retry`` is the next delivery; it waits ``delay`` seconds on the tier ``tier`` (a logical
    topic name), or in its lane when ``tier`` is None. ``dead_reason`` set: dead-letter it.
    """

    outcome: str
    retry: Delivery | None = None
    tier: str | None = None
    delay: float = 0.0
    dead_reason: str | None = None


def failure_text(tried: Tried) -> str:
    """The failure in a few words: the error, or the HTTP status."""
    return tried.exchange.error or f"HTTP {tried.exchange.status}"


def plan(
    tried: Tried, ordered: bool, settings: Settings, rng: Callable[[], float], now: datetime
) -> Plan:
    """Decide what follows ``tried``; ``ordered`` endpoints retry in their lane."""
    if tried.outcome == "succeeded":
        return Plan("succeeded")
    exchange = tried.exchange
    if exchange.status == GONE:
        return Plan("failed")
    retry_after = parse_retry_after(exchange.headers.get("retry-after"), now)
    attempt = int(tried.delivery["attempt"])
    retry = plan_retry(attempt, settings.retry_schedule, retry_after, settings.retry_after_max, rng)
    if retry is None:
        reason = f"delivery exhausted after {attempt} attempt(s); last: {failure_text(tried)}"
        return Plan("exhausted", dead_reason=reason)
    tier = None if ordered else retry_topic(retry.tier)
    return Plan("retrying", next_delivery(tried.delivery, retry, now), tier, retry.delay)
