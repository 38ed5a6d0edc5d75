"""Requests signed the way each provider signs them, for the inbound verification tests.

Where the provider ships an official Python SDK, its own code signs (stripe, slack_sdk, twilio,
standardwebhooks); elsewhere the provider's documented recipe is computed here with hashlib,
independently of the code under test (whose published vectors are checked in the preset tests).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import stripe
from slack_sdk.signature import SignatureVerifier
from standardwebhooks.webhooks import Webhook
from twilio.request_validator import RequestValidator

from services.ingress.inbound.verification import (
    InboundRequest,
    SourceVerification,
    Verdict,
    parse_verification,
    verify,
)

NOW = 1_780_000_000
JSON_BODY = b'{"event":{"type":"thing.created","id":42},"note":"caf\xc3\xa9"}'
URL = "https://hooks.example.com/in/src_1/provider?team=a&x=1"


@dataclass(frozen=True)
class Signed:
    """A request as the provider would send it."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes

    def request(self, **changes: Any) -> InboundRequest:
        fields = {"method": self.method, "url": self.url, "headers": self.headers} | changes
        body = changes.get("body", self.body)
        return InboundRequest.build(
            fields["method"], fields["url"], list(fields["headers"].items()), body
        )


Signer = Callable[[str, bytes, int], Signed]


@dataclass(frozen=True)
class Preset:
    """One provider: its settings, how it signs, which headers carry the proof."""

    provider: str
    secret: str
    wrong_secret: str
    sign: Signer
    proof_headers: tuple[str, ...]
    timestamped: bool = False
    body: bytes = JSON_BODY
    verification: dict[str, Any] | None = field(default=None)

    def settings(self, secret: str | None = None) -> SourceVerification:
        return parse_verification(self.provider, secret or self.secret, self.verification)

    def check(self, signed: Signed, now: float = NOW, **changes: Any) -> Verdict:
        return verify(self.settings(), signed.request(**changes), now)


def _hex(key: bytes, message: bytes, algorithm: str = "sha256") -> str:
    return hmac.new(key, message, algorithm).hexdigest()


def _b64(key: bytes, message: bytes, algorithm: str = "sha256") -> str:
    return base64.b64encode(hmac.new(key, message, algorithm).digest()).decode()


def github(secret: str, body: bytes, ts: int) -> Signed:
    signature = "sha256=" + _hex(secret.encode(), body)
    return Signed("POST", URL, {"X-Hub-Signature-256": signature}, body)


def stripe_signed(secret: str, body: bytes, ts: int) -> Signed:
    header = stripe.WebhookSignature.generate_signature_header(body.decode(), secret, ts)
    return Signed("POST", URL, {"Stripe-Signature": header}, body)


def slack(secret: str, body: bytes, ts: int) -> Signed:
    signature = SignatureVerifier(secret).generate_signature(timestamp=str(ts), body=body)
    headers = {"X-Slack-Signature": signature or "", "X-Slack-Request-Timestamp": str(ts)}
    return Signed("POST", URL, headers, body)


TWILIO_PARAMS = {"From": "+14155550100", "Body": "hello world", "MessageSid": "SM1", "To": ""}


def twilio_form(secret: str, body: bytes, ts: int) -> Signed:
    params = dict(TWILIO_PARAMS)
    signature = RequestValidator(secret).compute_signature(URL, params)
    headers = {"X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"}
    return Signed("POST", URL, headers, urlencode(params).encode())


def twilio_json(secret: str, body: bytes, ts: int) -> Signed:
    validator = RequestValidator(secret)
    url = f"{URL}&bodySHA256={validator.compute_hash(body.decode())}"
    headers = {"X-Twilio-Signature": validator.compute_signature(url, {})}
    return Signed("POST", url, headers | {"Content-Type": "application/json"}, body)


def pagerduty(secret: str, body: bytes, ts: int) -> Signed:
    header = "v1=" + _hex(secret.encode(), body)
    return Signed("POST", URL, {"X-PagerDuty-Signature": header}, body)


def zendesk(secret: str, body: bytes, ts: int) -> Signed:
    stamp = datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    headers = {
        "X-Zendesk-Webhook-Signature": _b64(secret.encode(), stamp.encode() + body),
        "X-Zendesk-Webhook-Signature-Timestamp": stamp,
    }
    return Signed("POST", URL, headers, body)


def shopify(secret: str, body: bytes, ts: int) -> Signed:
    return Signed("POST", URL, {"X-Shopify-Hmac-Sha256": _b64(secret.encode(), body)}, body)


def meta(secret: str, body: bytes, ts: int) -> Signed:
    return github(secret, body, ts)


def twitter(secret: str, body: bytes, ts: int) -> Signed:
    signature = "sha256=" + _b64(secret.encode(), body)
    return Signed("POST", URL, {"X-Twitter-Webhooks-Signature": signature}, body)


def gitlab(secret: str, body: bytes, ts: int) -> Signed:
    return Signed("POST", URL, {"X-Gitlab-Token": secret}, body)


def standard(secret: str, body: bytes, ts: int, prefix: str = "webhook") -> Signed:
    moment = datetime.fromtimestamp(ts, UTC)
    signature = Webhook(secret).sign("msg_2Lq8", moment, body.decode())
    headers = {f"{prefix}-id": "msg_2Lq8", f"{prefix}-timestamp": str(ts)}
    return Signed("POST", URL, headers | {f"{prefix}-signature": signature}, body)


def svix(secret: str, body: bytes, ts: int) -> Signed:
    return standard(secret, body, ts, prefix="svix")


def generic_hmac(secret: str, body: bytes, ts: int) -> Signed:
    signature = "sha512=" + _b64(secret.encode(), body, "sha512")
    return Signed("POST", URL, {"X-Signature": signature}, body)


WHSEC = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
OTHER_WHSEC = "whsec_" + base64.b64encode(hashlib.sha256(b"other").digest()).decode()
GENERIC_HMAC = {
    "type": "hmac",
    "header": "X-Signature",
    "algorithm": "sha512",
    "encoding": "base64",
    "prefix": "sha512=",
}

PRESETS = [
    Preset("github", "gh-secret", "gh-other", github, ("X-Hub-Signature-256",)),
    Preset("stripe", "whsec_stripe1", "whsec_stripe2", stripe_signed, ("Stripe-Signature",), True),
    Preset(
        "slack",
        "8f742231b10e8888abcd99yyyzzz85a5",
        "8f742231b10e8888abcd99yyyzzz85a6",
        slack,
        ("X-Slack-Signature", "X-Slack-Request-Timestamp"),
        True,
    ),
    Preset("twilio", "tw-token", "tw-other", twilio_form, ("X-Twilio-Signature",)),
    Preset("twilio", "tw-token", "tw-other", twilio_json, ("X-Twilio-Signature",)),
    Preset("pagerduty", "pd-secret", "pd-other", pagerduty, ("X-PagerDuty-Signature",)),
    Preset(
        "zendesk",
        "zd-secret",
        "zd-other",
        zendesk,
        ("X-Zendesk-Webhook-Signature", "X-Zendesk-Webhook-Signature-Timestamp"),
        True,
    ),
    Preset("shopify", "shp-secret", "shp-other", shopify, ("X-Shopify-Hmac-Sha256",)),
    Preset(
        "meta",
        "app-secret",
        "app-other",
        meta,
        ("X-Hub-Signature-256",),
        verification={"verify_token": "tok"},
    ),
    Preset("twitter", "consumer", "consumer2", twitter, ("X-Twitter-Webhooks-Signature",)),
    Preset("gitlab", "gl-token", "gl-other", gitlab, ("X-Gitlab-Token",)),
    Preset(
        "standard",
        WHSEC,
        OTHER_WHSEC,
        standard,
        ("webhook-id", "webhook-timestamp", "webhook-signature"),
        True,
    ),
    Preset(
        "standard",
        WHSEC,
        OTHER_WHSEC,
        svix,
        ("svix-id", "svix-timestamp", "svix-signature"),
        True,
    ),
    Preset(
        "generic", "g-secret", "g-other", generic_hmac, ("X-Signature",), verification=GENERIC_HMAC
    ),
]
