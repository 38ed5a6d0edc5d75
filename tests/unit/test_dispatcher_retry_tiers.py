"""Retry tier scheduling: steps, jitter, Retry-After parsing and bounds, tier choice, names."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from services.dispatcher.flow.retry_tiers import (
    Retry,
    due_epoch,
    next_delivery,
    parse_retry_after,
    plan_retry,
    tier_for,
)
from shared.settings import Settings
from shared.topics import layout, retry_topic, retry_topics
from tests.support import records

NOW = datetime(2026, 11, 22, 10, 0, 0, tzinfo=UTC)
DEFAULT = Settings().retry_schedule


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("120", 120.0), (" 7 ", 7.0), ("0", 0.0), ("Sun, 22 Nov 2026 10:01:30 GMT", 90.0),
     ("Sun, 22 Nov 2026 09:00:00 GMT", 0.0), ("soon", None), ("-5", None), ("", None),
     (None, None), ("1.5", None)],
)  # fmt: skip
def test_parse_retry_after(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, NOW) == seconds


def test_each_step_uses_its_delay_with_at_most_twenty_percent_jitter() -> None:
    schedule = (5.0, 300.0, 1800.0)
    for attempt, step in enumerate(schedule, 1):
        low = plan_retry(attempt, schedule, None, 3600, lambda: 0.0)
        high = plan_retry(attempt, schedule, None, 3600, lambda: 0.999999)
        assert low == Retry(pytest.approx(step * 0.8), step)
        assert high is not None and step * 1.19 < high.delay <= step * 1.2
        assert high.tier == step
    assert plan_retry(4, schedule, None, 3600, lambda: 0.5) is None
    assert plan_retry(1, (), None, 3600, lambda: 0.5) is None


def test_retry_after_only_lengthens_and_is_bounded() -> None:
    schedule = (5.0, 300.0, 1800.0)
    shorter = plan_retry(2, schedule, 10.0, 3600, lambda: 0.5)
    assert shorter == Retry(300.0, 300.0)
    longer = plan_retry(1, schedule, 120.0, 3600, lambda: 0.5)
    assert longer == Retry(120.0, 300.0)  # waits on the shortest tier at least as long
    capped = plan_retry(1, schedule, 86400.0, 1200, lambda: 0.5)
    assert capped == Retry(1200.0, 1800.0)
    longest = plan_retry(1, schedule, 86400.0, 3600, lambda: 0.5)
    assert longest == Retry(1800.0, 1800.0)  # never beyond the longest tier


def test_tier_choice() -> None:
    assert tier_for(5.9, 5.0, DEFAULT) == 5.0
    assert tier_for(6.1, 5.0, DEFAULT) == 300.0
    assert tier_for(40000, 5.0, DEFAULT) == 36000.0


def test_next_delivery_keeps_the_id_and_counts_the_attempt() -> None:
    delivery = records.delivery()
    retry = next_delivery(delivery, Retry(90.0, 300.0), NOW)
    assert retry["id"] == delivery["id"] and retry["attempt"] == delivery["attempt"] + 1
    assert retry["due_at"] == "2026-11-22T10:01:30.000Z"
    assert due_epoch(orjson.dumps(retry), orjson.loads) == NOW.timestamp() + 90
    assert due_epoch(b"{not json", orjson.loads) is None
    assert due_epoch(orjson.dumps(delivery), orjson.loads) is None  # due_at null


def test_tier_topic_names_one_per_distinct_delay() -> None:
    assert retry_topics(DEFAULT) == [
        "retry.5s", "retry.5m", "retry.30m", "retry.2h", "retry.5h", "retry.10h",
    ]  # fmt: skip
    assert [retry_topic(d) for d in (1.5, 0.25, 86400, 90)] == [
        "retry.1500ms", "retry.250ms", "retry.1d", "retry.90s",
    ]  # fmt: skip
    names = {spec.name: spec.partitions for spec in layout("x.", 3, (1.0, 2.0, 2.0))}
    assert names["x.retry.1s"] == 3 and names["x.retry.2s"] == 3 and len(names) == 9


def test_settings_read_the_new_variables() -> None:
    settings = Settings.from_env(
        {"HOOKBUS_DISABLE_AFTER": "2h", "HOOKBUS_RETRY_AFTER_MAX": "10m",
         "HOOKBUS_RETRY_SCHEDULE": "1s,2s,4s"}
    )  # fmt: skip
    assert settings.disable_after == 7200 and settings.retry_after_max == 600
    assert settings.retry_schedule == (1.0, 2.0, 4.0)
    assert Settings.from_env({}).disable_after == 5 * 86400
