"""When a failed delivery is tried again, and on which retry tier it waits meanwhile.

Nothing sleeps in a handler: a delivery with schedule steps left is produced to the
``retry.<delay>`` topic of its step with a due time, and that tier's consumer pauses the
partition until its head is due. Each step's delay gets ±20 % jitter, so endpoints that failed
together do not all come back together. ``Retry-After`` can only lengthen a delay (never make
hookbus retry sooner than its schedule), and at most to ``HOOKBUS_RETRY_AFTER_MAX`` and to the
longest delay of the schedule.
"""

from __future__ import annotations

import copy
import email.utils
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from shared import clock
from shared.records import DeliveryRecord, RouteDeliveryRecord

D = TypeVar("D", bound=DeliveryRecord | RouteDeliveryRecord)

JITTER = 0.2


@dataclass(frozen=True)
class Retry:
    """The next try: ``delay`` seconds from now, waiting on the tier of ``tier`` seconds."""

    delay: float
    tier: float


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta seconds or an HTTP date).

    None when absent or malformed; a date in the past means 0.
    """
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:  # RFC 9110 dates are GMT; "-0000" parses as naive
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - now).total_seconds())


def tier_for(delay: float, step: float, schedule: tuple[float, ...]) -> float:
    """The tier a retry due in ``delay`` seconds waits on.

    Normally its step's own tier. When ``Retry-After`` pushed it beyond that tier's longest
    jittered delay, the shortest tier at least as long: there it never holds up records behind
    it, which are all due later. Past the longest tier, the longest.
    """
    if delay <= step * (1 + JITTER):
        return step
    longer = [tier for tier in schedule if tier >= delay]
    return min(longer) if longer else max(schedule)


def plan_retry(
    attempt: int,
    schedule: tuple[float, ...],
    retry_after: float | None,
    retry_after_max: float,
    rng: Callable[[], float],
) -> Retry | None:
    """The retry after failed attempt number ``attempt`` (1-based); None after the last step.

    ``rng`` returns a float in [0, 1) (``random.random``), for the jitter.
    """
    if attempt < 1 or attempt > len(schedule):
        return None
    step = schedule[attempt - 1]
    delay = step * (1 + JITTER * (2 * rng() - 1))
    if retry_after is not None:
        # Never beyond the longest tier: a record due later than the ones queued behind it
        # on that tier would hold them up.
        delay = max(delay, min(retry_after, retry_after_max, max(schedule)))
    return Retry(delay, tier_for(delay, step, schedule))


def next_delivery(delivery: D, retry: Retry, now: datetime) -> D:
    """The delivery record of the next attempt: same delivery id, attempt + 1, due time set."""
    due = now + timedelta(seconds=retry.delay)
    following = copy.copy(delivery)  # typed as D, where dict.copy() gives the bound
    following["attempt"] = delivery["attempt"] + 1
    following["due_at"] = clock.iso(due)
    return following


def due_epoch(raw: bytes | None, loads: Callable[[bytes], Any]) -> float | None:
    """The ``due_at`` of an encoded delivery as epoch seconds; None when absent or unreadable.

    An unreadable record is due at once: the handler dead-letters it with the reason.
    """
    try:
        due = loads(raw or b"").get("due_at")
        return clock.parse(due).timestamp() if isinstance(due, str) else None
    except (ValueError, AttributeError, TypeError):
        return None
