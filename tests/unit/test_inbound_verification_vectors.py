"""Providers' published test vectors, and cross-checks against their official SDKs' verifiers."""

from __future__ import annotations

import time

import pytest
import stripe
from slack_sdk.signature import Clock, SignatureVerifier
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from services.ingress.inbound.verification import (
    InboundRequest,
    Rejected,
    Verified,
    parse_verification,
    verify,
)
from tests.unit import inbound_signers as signers

# docs.github.com, "Validating webhook deliveries": the documented test values.
GITHUB_SECRET = "It's a Secret to Everybody"
GITHUB_SIGNATURE = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
# Slack, "Verifying requests from Slack": the documented example request.
SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
SLACK_TIMESTAMP = "1531420618"
SLACK_BODY = (
    b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id="
    b"G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook"
    b"-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F39770"
    b"0885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2"
    b"c447fce8b6703c"
)
SLACK_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
# Twilio, "Webhooks security": the documented example (auth token 12345).
TWILIO_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
TWILIO_BODY = (
    b"CallSid=CA1234567890ABCDE&Caller=%2B14158675310&Digits=1234&From=%2B14158675310"
    b"&To=%2B18005551212"
)
TWILIO_SIGNATURE = "GvWf1cFY/Q7PnoempGyD5oXAezc="
# The Standard Webhooks specification's test vector.
STANDARD_HEADERS = {
    "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
    "webhook-timestamp": "1614265330",
    "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def build(headers: dict[str, str], body: bytes, url: str = signers.URL) -> InboundRequest:
    return InboundRequest.build("POST", url, list(headers.items()), body)


def test_github_documented_example() -> None:
    settings = parse_verification("github", GITHUB_SECRET)
    request = build({"X-Hub-Signature-256": GITHUB_SIGNATURE}, b"Hello, World!")
    assert verify(settings, request, 0) == Verified("github")
    assert isinstance(verify(settings, build(dict(request.headers), b"Hello, World?"), 0), Rejected)


def test_github_legacy_sha1_header_alone_is_not_accepted() -> None:
    settings = parse_verification("github", GITHUB_SECRET)
    sha1 = "sha1=" + signers._hex(GITHUB_SECRET.encode(), b"Hello, World!", "sha1")
    verdict = verify(settings, build({"X-Hub-Signature": sha1}, b"Hello, World!"), 0)
    assert verdict == Rejected("missing X-Hub-Signature-256 header")


def test_slack_documented_example() -> None:
    settings = parse_verification("slack", SLACK_SECRET)
    headers = {"X-Slack-Signature": SLACK_SIGNATURE, "X-Slack-Request-Timestamp": SLACK_TIMESTAMP}
    request = build(headers | FORM, SLACK_BODY)
    assert verify(settings, request, int(SLACK_TIMESTAMP) + 60) == Verified("slack")
    assert isinstance(verify(settings, request, int(SLACK_TIMESTAMP) + 301), Rejected)


def test_twilio_documented_example() -> None:
    settings = parse_verification("twilio", "12345")
    request = build({"X-Twilio-Signature": TWILIO_SIGNATURE} | FORM, TWILIO_BODY, TWILIO_URL)
    assert verify(settings, request, 0) == Verified("twilio")


def test_standard_webhooks_specification_vector() -> None:
    settings = parse_verification("standard", signers.WHSEC)
    request = build(STANDARD_HEADERS, b'{"test": 2432232314}')
    assert verify(settings, request, 1614265330) == Verified("standard")
    tampered = build(STANDARD_HEADERS, b'{"test": 2432232315}')
    assert isinstance(verify(settings, tampered, 1614265330), Rejected)


@pytest.mark.parametrize("tamper", [False, True])
def test_stripe_sdk_agrees(tamper: bool) -> None:
    now = int(time.time())
    signed = signers.stripe_signed("whsec_stripe1", signers.JSON_BODY, now)
    body = signed.body.replace(b"42", b"43") if tamper else signed.body
    ours = verify(parse_verification("stripe", "whsec_stripe1"), signed.request(body=body), now)
    try:
        stripe.Webhook.construct_event(body, signed.headers["Stripe-Signature"], "whsec_stripe1")
        theirs = True
    except stripe.SignatureVerificationError:
        theirs = False
    assert isinstance(ours, Verified) is theirs is (not tamper)


def test_stripe_any_v1_matches_and_other_schemes_are_ignored() -> None:
    settings = parse_verification("stripe", "whsec_stripe1")
    good = signers.stripe_signed("whsec_stripe1", signers.JSON_BODY, signers.NOW)
    bad = signers.stripe_signed("whsec_stripe2", signers.JSON_BODY, signers.NOW)
    v1_good = good.headers["Stripe-Signature"].split(",")[1]
    t, v1_bad = bad.headers["Stripe-Signature"].split(",")
    header = f"{t},{v1_bad},{v1_good},v0=00"
    request = good.request(headers={"Stripe-Signature": header})
    assert verify(settings, request, signers.NOW) == Verified("stripe")
    v0_only = good.request(headers={"Stripe-Signature": f"{t},v0={v1_good[3:]}"})
    assert verify(settings, v0_only, signers.NOW) == Rejected(
        "Stripe-Signature has no v1 signature"
    )


@pytest.mark.parametrize(
    "header", ["v1=abc", "t=soon,v1=abc", "t=-5,v1=abc", "garbage", "t=1780000000,v1=zz"]
)
def test_stripe_malformed_headers_are_rejected(header: str) -> None:
    settings = parse_verification("stripe", "whsec_stripe1")
    request = build({"Stripe-Signature": header}, signers.JSON_BODY)
    assert isinstance(verify(settings, request, signers.NOW), Rejected)


@pytest.mark.parametrize("offset", [0, 299, 301])
def test_slack_sdk_agrees(offset: int) -> None:
    class Fixed(Clock):
        def now(self) -> float:
            return signers.NOW + offset

    signed = signers.slack(SLACK_SECRET, signers.JSON_BODY, signers.NOW)
    ours = verify(parse_verification("slack", SLACK_SECRET), signed.request(), signers.NOW + offset)
    theirs = SignatureVerifier(SLACK_SECRET, Fixed()).is_valid_request(signed.body, signed.headers)
    assert isinstance(ours, Verified) is theirs


@pytest.mark.parametrize("prefix", ["webhook", "svix"])
def test_standard_webhooks_library_agrees(prefix: str) -> None:
    now = int(time.time())
    signed = signers.standard(signers.WHSEC, signers.JSON_BODY, now, prefix)
    settings = parse_verification("standard", signers.WHSEC)
    for body in (signed.body, signed.body + b" "):
        ours = isinstance(verify(settings, signed.request(body=body), now), Verified)
        webhook_headers = {k.replace("svix-", "webhook-"): v for k, v in signed.headers.items()}
        try:
            Webhook(signers.WHSEC).verify(body, webhook_headers)
            theirs = True
        except WebhookVerificationError:
            theirs = False
        assert ours is theirs is (body == signed.body)


def test_standard_any_v1_of_a_rotation_list_matches() -> None:
    settings = parse_verification("standard", signers.WHSEC)
    good = signers.standard(signers.WHSEC, signers.JSON_BODY, signers.NOW)
    other = signers.standard(signers.OTHER_WHSEC, signers.JSON_BODY, signers.NOW)
    listed = f"v1a,AAAA {other.headers['webhook-signature']} {good.headers['webhook-signature']}"
    request = good.request(headers=good.headers | {"webhook-signature": listed})
    assert verify(settings, request, signers.NOW) == Verified("standard")


def test_standard_headers_win_over_svix_headers() -> None:
    settings = parse_verification("standard", signers.WHSEC)
    good = signers.svix(signers.WHSEC, signers.JSON_BODY, signers.NOW)
    junk = {
        "webhook-id": "x",
        "webhook-timestamp": str(signers.NOW),
        "webhook-signature": "v1,AA==",
    }
    verdict = verify(settings, good.request(headers=good.headers | junk), signers.NOW)
    assert isinstance(verdict, Rejected)


def test_pagerduty_any_v1_of_several_matches() -> None:
    settings = parse_verification("pagerduty", "pd-secret")
    good = signers.pagerduty("pd-secret", signers.JSON_BODY, 0)
    other = signers.pagerduty("pd-old", signers.JSON_BODY, 0)
    # As PagerDuty sends during a secret rotation: comma-separated, one per secret.
    header = f"{other.headers['X-PagerDuty-Signature']},{good.headers['X-PagerDuty-Signature']}"
    request = good.request(headers={"X-PagerDuty-Signature": header})
    assert verify(settings, request, 0) == Verified("pagerduty")
    only_other = good.request(headers=other.headers)
    assert isinstance(verify(settings, only_other, 0), Rejected)


def test_zendesk_accepts_unix_seconds_too_and_refuses_a_garbled_timestamp() -> None:
    settings = parse_verification("zendesk", "zd-secret")
    stamp = str(signers.NOW)
    signature = signers._b64(b"zd-secret", stamp.encode() + signers.JSON_BODY)
    headers = {
        "X-Zendesk-Webhook-Signature": signature,
        "X-Zendesk-Webhook-Signature-Timestamp": stamp,
    }
    assert verify(settings, build(headers, signers.JSON_BODY), signers.NOW) == Verified("zendesk")
    garbled = headers | {"X-Zendesk-Webhook-Signature-Timestamp": "yesterday"}
    verdict = verify(settings, build(garbled, signers.JSON_BODY), signers.NOW)
    assert verdict == Rejected(
        "X-Zendesk-Webhook-Signature-Timestamp must be an ISO 8601 timestamp"
    )
