"""From the source's status and a verdict to what the receiving code does (point 2 of issue 5)."""

from __future__ import annotations

import orjson
import pytest

from services.ingress.inbound.verification import (
    Challenge,
    HttpAnswer,
    NotApplicable,
    Rejected,
    SourceStatus,
    Verdict,
    Verified,
    decide,
    parse_verification,
    verify,
)
from tests.unit import inbound_signers as signers

GITHUB = parse_verification("github", "gh-secret")
SLACK = parse_verification("slack", "s3cr3t")
META = parse_verification("meta", "app-secret", {"verify_token": "tok"})
OPEN = parse_verification("generic", None, {"type": "none"})
ANSWER = HttpAnswer(200, "text/plain; charset=utf-8", b"c")


@pytest.mark.parametrize(("status", "first"), [("unverified", True), ("verified", False)])
def test_a_verified_request_is_accepted_and_routed(status: SourceStatus, first: bool) -> None:
    decision = decide(GITHUB, status, Verified("github"))
    assert decision.answer is None
    assert (decision.log_status, decision.route, decision.mark_verified) == (
        "accepted",
        True,
        first,
    )
    assert decision.verification == {"result": "verified", "scheme": "github"}


@pytest.mark.parametrize("status", ["unverified", "verified"])
def test_a_rejected_request_answers_401_and_routes_nothing(status: SourceStatus) -> None:
    decision = decide(GITHUB, status, Rejected("X-Hub-Signature-256 does not match the body"))
    assert decision.answer is not None and decision.answer.status == 401
    body = orjson.loads(decision.answer.body)
    assert body["error"]["code"] == "unauthorized"
    assert body["error"]["message"] == "X-Hub-Signature-256 does not match the body"
    assert (decision.log_status, decision.route, decision.mark_verified) == (
        "rejected",
        False,
        False,
    )
    assert decision.verification["result"] == "rejected"


def test_a_source_without_verification_accepts_and_becomes_verified() -> None:
    decision = decide(OPEN, "unverified", NotApplicable())
    assert (decision.answer, decision.log_status, decision.route) == (None, "accepted", True)
    assert decision.mark_verified
    assert decision.verification["result"] == "none"


@pytest.mark.parametrize("verdict", [Verified("slack"), Rejected("bad"), NotApplicable()])
def test_a_challenge_source_ignores_everything_before_its_challenge(verdict: Verdict) -> None:
    decision = decide(SLACK, "unverified", verdict)
    assert decision.answer is not None and decision.answer.status == 403
    assert orjson.loads(decision.answer.body)["error"]["code"] == "forbidden"
    assert (decision.log_status, decision.route, decision.mark_verified) == (
        "ignored",
        False,
        False,
    )
    assert "ignored" in decision.verification


@pytest.mark.parametrize(("status", "first"), [("unverified", True), ("verified", False)])
def test_an_answered_challenge_is_sent_as_is_and_verifies_the_source(
    status: SourceStatus, first: bool
) -> None:
    decision = decide(SLACK, status, Challenge("slack", ANSWER))
    assert decision.answer == ANSWER
    assert (decision.log_status, decision.route, decision.mark_verified) == (
        "accepted",
        False,
        first,
    )
    assert decision.verification == {"result": "challenge", "scheme": "slack"}


def test_a_refused_handshake_is_rejected_not_ignored() -> None:
    refused = Rejected("hub.verify_token does not match", 403, handshake=True)
    decision = decide(META, "unverified", refused)
    assert decision.answer is not None and decision.answer.status == 403
    assert decision.log_status == "rejected"


@pytest.mark.parametrize(
    ("verdict", "log_status"), [(Verified("slack"), "accepted"), (Rejected("x"), "rejected")]
)
def test_once_verified_a_challenge_source_behaves_as_any(verdict: Verdict, log_status: str) -> None:
    assert decide(SLACK, "verified", verdict).log_status == log_status


def test_a_slack_source_lifecycle() -> None:
    """Event before the handshake: ignored; handshake: answered; then events are accepted."""
    status: SourceStatus = "unverified"
    event = signers.slack("s3cr3t", b'{"type":"event_callback"}', signers.NOW).request()
    handshake = signers.slack(
        "s3cr3t", b'{"type":"url_verification","challenge":"abc"}', signers.NOW
    ).request()
    outcomes = []
    for request in (event, handshake, event):
        decision = decide(SLACK, status, verify(SLACK, request, signers.NOW))
        outcomes.append((decision.log_status, decision.answer and decision.answer.status))
        if decision.mark_verified:
            status = "verified"
    assert outcomes == [("ignored", 403), ("accepted", 200), ("accepted", None)]
    assert status == "verified"
