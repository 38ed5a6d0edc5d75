"""The publish use-case's answer headers (its flow runs in tests/unit/test_ingress_api.py)."""

from __future__ import annotations

from services.ingress.publish.publishing import PENDING_HEADER, REPLAYED_HEADER
from services.ingress.publish.use_case import Outcome, verdict_headers


def outcome(verdict: str) -> Outcome:
    return Outcome("msg_1", 202, {"id": "msg_1"}, verdict)


def test_a_pending_verdict_is_said_once_whatever_else() -> None:
    headers = verdict_headers([outcome(""), outcome("pending"), outcome("replayed")])
    assert headers == {PENDING_HEADER: "pending"}


def test_replayed_only_when_every_answer_was_replayed() -> None:
    assert verdict_headers([outcome("replayed")] * 2) == {REPLAYED_HEADER: "true"}
    assert verdict_headers([outcome("replayed"), outcome("")]) == {}
    assert verdict_headers([]) == {}
