"""The signed request an endpoint receives, checked with the reference standardwebhooks package."""

from __future__ import annotations

from datetime import timedelta

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from services.dispatcher.targets.request import (
    NoSigningSecret,
    build_request,
    signing_secrets,
    user_agent,
)
from shared import clock, signing
from tests.support import records

delivery = records.delivery


endpoint = records.endpoint


def test_reference_library_verifies_the_signature() -> None:
    ep, now = endpoint(), clock.now()
    request = build_request(delivery(), ep, now)
    Webhook(ep["secrets"][0]["secret"]).verify(request.body, request.headers)


def test_headers_carry_ids_type_agent_and_endpoint_headers() -> None:
    now = clock.now()
    request = build_request(delivery(), endpoint(headers={"X-Team": "billing"}), now)
    assert request.headers["webhook-id"] == delivery()["message_id"]
    assert request.headers["webhook-timestamp"] == str(int(now.timestamp()))
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"].startswith("hookbus/")
    assert request.headers["x-team"] == "billing"
    assert request.body == delivery()["body"].encode()
    assert request.url == endpoint()["url"]


def test_endpoint_headers_cannot_replace_signature_or_content_type() -> None:
    forged = {"Webhook-Signature": "v1,forged", "Content-Type": "text/plain", "Host": "evil"}
    request = build_request(delivery(), endpoint(headers=forged), clock.now())
    assert request.headers["webhook-signature"] != "v1,forged"
    assert request.headers["content-type"] == "application/json"
    assert "host" not in request.headers


def test_every_valid_secret_signs_and_expired_ones_do_not() -> None:
    now = clock.now()
    new, old, gone = (signing.generate_secret() for _ in range(3))
    secrets = [
        {"secret": new, "expires_at": None},
        {"secret": old, "expires_at": clock.iso(now + timedelta(hours=1))},
        {"secret": gone, "expires_at": clock.iso(now - timedelta(seconds=1))},
    ]
    request = build_request(delivery(), endpoint(secrets=secrets), now)
    assert len(request.headers["webhook-signature"].split()) == 2
    for secret in (new, old):
        Webhook(secret).verify(request.body, request.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(gone).verify(request.body, request.headers)


def test_signing_secrets_keeps_newest_first_and_skips_malformed() -> None:
    good = signing.generate_secret()
    ep = endpoint(
        secrets=[
            {"secret": "not-a-secret", "expires_at": None},
            {"secret": good, "expires_at": None},
        ]
    )
    assert signing_secrets(ep, clock.now()) == [good]


def test_no_valid_secret_is_refused() -> None:
    past = clock.iso(clock.now() - timedelta(days=1))
    ep = endpoint(secrets=[{"secret": signing.generate_secret(), "expires_at": past}])
    with pytest.raises(NoSigningSecret):
        build_request(delivery(), ep, clock.now())


def test_retry_keeps_the_id_and_signs_its_own_timestamp() -> None:
    ep, first = endpoint(), clock.now()
    later = first + timedelta(minutes=5)
    one, two = build_request(delivery(), ep, first), build_request(delivery(), ep, later)
    assert one.headers["webhook-id"] == two.headers["webhook-id"]
    assert int(two.headers["webhook-timestamp"]) - int(one.headers["webhook-timestamp"]) == 300
    assert one.headers["webhook-signature"] != two.headers["webhook-signature"]


def test_user_agent_names_hookbus_and_a_version() -> None:
    name, _, version = user_agent().partition("/")
    assert name == "hookbus" and version
