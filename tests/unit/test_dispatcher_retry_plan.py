"""What follows one attempt: success, gone, a retry on a tier or in the lane, or exhaustion."""

from __future__ import annotations

from datetime import UTC, datetime

from services.dispatcher.flow.retry_plan import Plan, plan
from services.dispatcher.targets.exchange import Exchange
from services.dispatcher.targets.request import OutboundRequest
from services.dispatcher.targets.tried import Tried
from shared.settings import Settings
from shared.topics import retry_topic
from tests.support import records

NOW = datetime(2026, 1, 1, tzinfo=UTC)
SETTINGS = Settings(retry_schedule=(5.0, 300.0))


def tried(status: int | None, attempt: int = 1) -> Tried:
    exchange = Exchange(status, {}, "", None if status else "connection refused")
    request = OutboundRequest("http://127.0.0.1:9/hook", {}, b"{}")
    return Tried(records.delivery(attempt=attempt), request, exchange, NOW, 12)


def decide(status: int | None, attempt: int = 1, ordered: bool = False) -> Plan:
    return plan(tried(status, attempt), ordered, SETTINGS, lambda: 0.5, NOW)


def test_a_2xx_succeeds_and_410_fails_without_a_retry() -> None:
    assert decide(204).outcome == "succeeded" and decide(204).retry is None
    gone = decide(410)
    assert (gone.outcome, gone.retry, gone.dead_reason) == ("failed", None, None)


def test_a_failure_with_steps_left_waits_on_a_tier_with_the_next_attempt() -> None:
    decided = decide(500)
    assert decided.outcome == "retrying" and decided.retry is not None
    assert decided.retry["attempt"] == 2 and decided.tier == retry_topic(5.0)


def test_an_ordered_endpoint_retries_in_its_lane() -> None:
    decided = decide(None, ordered=True)
    assert decided.outcome == "retrying" and decided.tier is None and decided.delay > 0


def test_the_last_step_exhausts_and_dead_letters() -> None:
    decided = decide(503, attempt=3)
    assert decided.outcome == "exhausted" and decided.retry is None
    assert decided.dead_reason is not None and "HTTP 503" in decided.dead_reason
