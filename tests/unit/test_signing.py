"""Standard Webhooks signing, checked against the reference ``standardwebhooks`` package."""

from __future__ import annotations

import time

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from shared import signing


def headers(msg_id: str, timestamp: int, signature: str) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature,
    }


def test_reference_library_accepts_our_signature() -> None:
    secret, body = signing.generate_secret(), b'{"type":"a.b","data":{}}'
    timestamp = int(time.time())
    header = signing.signature_header([secret], "msg_1", timestamp, body)
    Webhook(secret).verify(body, headers("msg_1", timestamp, header))


def test_each_secret_in_rotation_verifies_alone() -> None:
    old, new = signing.generate_secret(), signing.generate_secret()
    body, timestamp = b"{}", int(time.time())
    header = signing.signature_header([new, old], "msg_2", timestamp, body)
    assert len(header.split()) == 2
    for secret in (old, new):
        Webhook(secret).verify(body, headers("msg_2", timestamp, header))


def test_tampered_body_fails_reference_verification() -> None:
    secret, timestamp = signing.generate_secret(), int(time.time())
    header = signing.signature_header([secret], "msg_3", timestamp, b'{"a":1}')
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(b'{"a":2}', headers("msg_3", timestamp, header))


def test_verify_is_true_only_for_the_right_body() -> None:
    secret = signing.generate_secret()
    header = signing.signature_header([secret], "m", 10, b"x")
    assert signing.verify(secret, "m", 10, b"x", header)
    assert not signing.verify(secret, "m", 10, b"y", header)


@pytest.mark.parametrize(
    "bad", ["nope", "whsec_!!!", "whsec_" + "QUFB" * 2, "whsec_" + "QUFB" * 30]
)
def test_malformed_secrets_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        signing.secret_key(bad)
