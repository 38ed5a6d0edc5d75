"""The providers' handshakes answer exactly what each provider expects, and nothing else."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import urlencode

import orjson
import pytest

from services.ingress.inbound.verification import (
    Challenge,
    HttpAnswer,
    InboundRequest,
    Rejected,
    Verified,
    parse_verification,
    verify,
)
from tests.unit import inbound_signers as signers

NOW = signers.NOW
BASE = "https://hooks.example.com/in/src_1"


def get(query: dict[str, str]) -> InboundRequest:
    return InboundRequest.build("GET", f"{BASE}?{urlencode(query)}", [], b"")


# -- Slack -------------------------------------------------------------------------------------
SLACK = parse_verification("slack", "s3cr3t")
# Slack's documented url_verification example.
URL_VERIFICATION = (
    b'{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl",'
    b'"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",'
    b'"type":"url_verification"}'
)


def slack_post(body: bytes, secret: str = "s3cr3t", ts: int = NOW) -> InboundRequest:
    return signers.slack(secret, body, ts).request()


def test_slack_url_verification_answers_the_challenge() -> None:
    verdict = verify(SLACK, slack_post(URL_VERIFICATION), NOW)
    challenge = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    assert verdict == Challenge(
        "slack", HttpAnswer(200, "text/plain; charset=utf-8", challenge.encode())
    )


def test_slack_url_verification_must_be_signed() -> None:
    # A failed url_verification is a refused handshake: 401 even before the challenge.
    for request in (
        slack_post(URL_VERIFICATION, "forged"),
        slack_post(URL_VERIFICATION, ts=NOW - 600),
        InboundRequest.build("POST", BASE, [], URL_VERIFICATION),
    ):
        verdict = verify(SLACK, request, NOW)
        assert isinstance(verdict, Rejected) and verdict.handshake and verdict.status == 401
    event = verify(SLACK, slack_post(b'{"type":"event_callback"}', "forged"), NOW)
    assert isinstance(event, Rejected) and not event.handshake


@pytest.mark.parametrize(
    "body",
    [
        b'{"type":"event_callback","event":{"text":"url_verification"}}',
        b'{"type":"url_verification"}',
        b'{"type":"url_verification","challenge":7}',
        b"payload=url_verification",
        b"[1, 2]",
    ],
)
def test_other_signed_slack_requests_are_plainly_verified(body: bytes) -> None:
    assert verify(SLACK, slack_post(body), NOW) == Verified("slack")


# -- Meta --------------------------------------------------------------------------------------
META = parse_verification("meta", "app-secret", {"verify_token": "my-verify-token"})


def test_meta_subscribe_with_the_right_token_returns_the_challenge() -> None:
    query = {
        "hub.mode": "subscribe",
        "hub.verify_token": "my-verify-token",
        "hub.challenge": "1158201444",
    }
    verdict = verify(META, get(query), NOW)
    assert verdict == Challenge("meta", HttpAnswer(200, "text/plain; charset=utf-8", b"1158201444"))


@pytest.mark.parametrize(
    "query",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.verify_token": "my-verify-token"},
        {"hub.mode": "unsubscribe", "hub.verify_token": "my-verify-token", "hub.challenge": "1"},
    ],
)
def test_meta_refused_handshakes_answer_403(query: dict[str, str]) -> None:
    verdict = verify(META, get(query), NOW)
    assert isinstance(verdict, Rejected)
    assert verdict.status == 403 and verdict.handshake
    assert verdict.answer().status == 403
    assert b"my-verify-token" not in verdict.answer().body


def test_meta_posts_are_verified_with_the_app_secret() -> None:
    signed = signers.meta("app-secret", signers.JSON_BODY, NOW)
    assert verify(META, signed.request(), NOW) == Verified("meta")
    by_token = signers.meta("my-verify-token", signers.JSON_BODY, NOW)
    assert isinstance(verify(META, by_token.request(), NOW), Rejected)


def test_a_meta_source_without_app_secret_answers_the_handshake_and_refuses_posts() -> None:
    handshake_only = parse_verification("meta", None, {"verify_token": "my-verify-token"})
    query = {"hub.mode": "subscribe", "hub.verify_token": "my-verify-token", "hub.challenge": "7"}
    assert isinstance(verify(handshake_only, get(query), NOW), Challenge)
    # Not even a post signed with the empty key passes.
    signed = signers.meta("", signers.JSON_BODY, NOW)
    verdict = verify(handshake_only, signed.request(), NOW)
    assert isinstance(verdict, Rejected) and "app secret" in verdict.reason


def test_a_meta_get_without_hub_mode_is_no_handshake() -> None:
    verdict = verify(META, get({"hub.challenge": "1"}), NOW)
    assert verdict == Rejected("missing X-Hub-Signature-256 header")


# -- Twitter -----------------------------------------------------------------------------------
# The consumer secret and token of Twitter's CRC sample code; the expected answer is computed
# here with hashlib, independently of the code under test.
TWITTER_SECRET = "z3ZX4v7mAAUGykl3EcmkqbartmuW8VFOOzCloLx9Q45P0hLrFu"
CRC_TOKEN = "9b4507b3-9040-4669-9ca3-6b94edb50553"
TWITTER = parse_verification("twitter", TWITTER_SECRET)


def test_twitter_crc_returns_the_response_token() -> None:
    verdict = verify(TWITTER, get({"crc_token": CRC_TOKEN}), NOW)
    digest = hmac.new(TWITTER_SECRET.encode(), CRC_TOKEN.encode(), hashlib.sha256).digest()
    expected = {"response_token": "sha256=" + base64.b64encode(digest).decode()}
    assert isinstance(verdict, Challenge)
    assert verdict.answer.status == 200
    assert verdict.answer.content_type == "application/json"
    assert orjson.loads(verdict.answer.body) == expected


@pytest.mark.parametrize("token", ['{"a":1}', "", "x" * 513, "a b", "é"])
def test_twitter_crc_refuses_tokens_twitter_never_sends(token: str) -> None:
    verdict = verify(TWITTER, get({"crc_token": token}), NOW)
    assert isinstance(verdict, Rejected) and verdict.status == 403


def test_twitter_crc_answer_cannot_sign_a_post() -> None:
    # The answer to a token is a valid signature of a body equal to the token: refused.
    token = "Zm9vYmFy"
    answer = verify(TWITTER, get({"crc_token": token}), NOW)
    assert isinstance(answer, Challenge)
    signature = orjson.loads(answer.answer.body)["response_token"]
    forged = InboundRequest.build(
        "POST", BASE, [("X-Twitter-Webhooks-Signature", signature)], token.encode()
    )
    assert verify(TWITTER, forged, NOW) == Rejected("a Twitter post must be a JSON object")


def test_twitter_posts_are_signed_with_the_consumer_secret() -> None:
    signed = signers.twitter(TWITTER_SECRET, signers.JSON_BODY, NOW)
    assert verify(TWITTER, signed.request(), NOW) == Verified("twitter")
    as_post = signed.request(url=f"{BASE}?crc_token={CRC_TOKEN}")
    assert verify(TWITTER, as_post, NOW) == Verified("twitter")
