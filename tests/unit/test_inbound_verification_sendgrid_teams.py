"""The sendgrid and teams presets: SendGrid's published vector, SendGrid's own helper agreeing
with requests signed here, Teams' HMAC, the replay window, and 422s naming the field."""

from __future__ import annotations

import base64

import orjson
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from sendgrid.helpers.eventwebhook import EventWebhook

from services.ingress.inbound.source_fields import new_source
from services.ingress.inbound.source_models import SourceIn
from services.ingress.inbound.verification import (
    InboundRequest,
    Rejected,
    Verified,
    parse_verification,
    verify,
)
from shared.errors import Unprocessable
from tests.support.provider_signing import SendGridSigner, teams_headers, teams_token

URL = "https://hooks.example.com/in/src_1"
# SendGrid's own published test vector (sendgrid-python, test/unit/test_eventwebhook.py).
SG_KEY = (
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRqe62gw+"
    "2fNNRaINXvVpiglSI8eNEc6wEA3F+g=="
)
SG_SIGNATURE = (
    "MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10QysgDWmMOVmxG0u6ZUAiEAyBiXDWzM+uOe5W0JuG+luQAbPIqHh89M15TluLt"
    "EZtM="
)
SG_TIMESTAMP = "1600112502"
SG_EVENT = {
    "email": "hello@world.com",
    "event": "dropped",
    "reason": "Bounced Address",
    "sg_event_id": "ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA",
    "sg_message_id": "LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0",
    "smtp-id": "<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>",
    "timestamp": 1600112492,
}
SG_BODY = orjson.dumps([SG_EVENT], option=orjson.OPT_SORT_KEYS) + b"\r\n"
BODY = b'[{"email":"a@example.com","event":"delivered","sg_event_id":"ev-1"}]\r\n'
NOW = 1_780_000_000


def request(headers: dict[str, str], body: bytes) -> InboundRequest:
    return InboundRequest.build("POST", URL, list(headers.items()), body)


def test_sendgrids_published_vector_verifies() -> None:
    headers = {
        "X-Twilio-Email-Event-Webhook-Signature": SG_SIGNATURE,
        "X-Twilio-Email-Event-Webhook-Timestamp": SG_TIMESTAMP,
    }
    settings = parse_verification("sendgrid", None, {"verification_key": SG_KEY})
    assert verify(settings, request(headers, SG_BODY), int(SG_TIMESTAMP)) == Verified("sendgrid")
    tampered = verify(
        settings, request(headers, SG_BODY.replace(b"dropped", b"opened")), 1600112502
    )
    assert isinstance(tampered, Rejected)


def test_requests_signed_here_verify_with_sendgrids_own_helper_and_ours() -> None:
    signer = SendGridSigner()
    headers = signer.headers(BODY, NOW)
    helper = EventWebhook(signer.verification_key)
    signature, timestamp = (
        headers["X-Twilio-Email-Event-Webhook-Signature"],
        headers["X-Twilio-Email-Event-Webhook-Timestamp"],
    )
    assert helper.verify_signature(BODY.decode(), signature, timestamp)
    settings = parse_verification("sendgrid", None, {"verification_key": signer.verification_key})
    assert verify(settings, request(headers, BODY), NOW) == Verified("sendgrid")
    other = parse_verification(
        "sendgrid", None, {"verification_key": SendGridSigner().verification_key}
    )
    assert isinstance(verify(other, request(headers, BODY), NOW), Rejected)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"X-Twilio-Email-Event-Webhook-Timestamp": str(NOW + 1)}, "does not match"),
        ({"X-Twilio-Email-Event-Webhook-Signature": "not base64!"}, "not base64"),
        ({"X-Twilio-Email-Event-Webhook-Timestamp": "soon"}, "Unix seconds"),
    ],
)
def test_sendgrid_refuses_what_was_not_signed(change: dict[str, str], reason: str) -> None:
    signer = SendGridSigner()
    settings = parse_verification("sendgrid", None, {"verification_key": signer.verification_key})
    verdict = verify(settings, request(signer.headers(BODY, NOW) | change, BODY), NOW)
    assert isinstance(verdict, Rejected) and reason in verdict.reason


def test_sendgrid_has_a_replay_window_like_stripes() -> None:
    signer = SendGridSigner()
    settings = parse_verification("sendgrid", None, {"verification_key": signer.verification_key})
    old = request(signer.headers(BODY, NOW - 301), BODY)
    assert isinstance(verify(settings, old, NOW), Rejected)
    assert verify(settings, request(signer.headers(BODY, NOW - 299), BODY), NOW) == Verified(
        "sendgrid"
    )
    missing = verify(settings, request({}, BODY), NOW)
    assert isinstance(missing, Rejected) and "missing" in missing.reason


def pem(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> str:
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


@pytest.mark.parametrize(
    "key",
    [
        "not a key",
        base64.b64encode(b"not DER at all").decode(),
        pem(rsa.generate_private_key(public_exponent=65537, key_size=1024)),
        pem(ec.generate_private_key(ec.SECP384R1())),
        "",
    ],
)
def test_a_malformed_verification_key_is_refused_naming_it(key: str) -> None:
    with pytest.raises(Unprocessable) as caught:
        parse_verification("sendgrid", None, {"verification_key": key})
    assert caught.value.details[0]["path"] == "verification_key"


def test_sendgrid_takes_the_key_at_the_top_level_and_refuses_a_secret() -> None:
    key = SendGridSigner().verification_key
    source = new_source(SourceIn(name="sg", provider="sendgrid", verification_key=key))
    assert source["verification"] == {"verification_key": key}
    parse_verification(source["provider"], source.get("secret"), source["verification"])
    with pytest.raises(Unprocessable) as caught:
        parse_verification("sendgrid", "a-secret", {"verification_key": key})
    assert caught.value.details[0]["path"] == "secret"
    with pytest.raises(Unprocessable) as missing:
        parse_verification("sendgrid", None, None)
    assert missing.value.details[0]["path"] == "verification_key"
    with pytest.raises(Unprocessable) as elsewhere:
        new_source(SourceIn(name="gh", provider="github", secret="s", verification_key=key))
    assert elsewhere.value.details[0]["path"] == "verification_key"


def test_teams_hmac_keyed_with_the_decoded_token() -> None:
    token = teams_token()
    settings = parse_verification("teams", token)
    signed = teams_headers(token, BODY)
    assert verify(settings, request(signed, BODY), NOW) == Verified("teams")
    assert isinstance(verify(settings, request(signed, BODY + b" "), NOW), Rejected)
    other = teams_headers(teams_token(), BODY)
    assert isinstance(verify(settings, request(other, BODY), NOW), Rejected)
    # keyed with the token's text rather than its bytes, the signature is refused
    as_text = parse_verification(
        "generic",
        None,
        {
            "type": "hmac",
            "header": "x",
            "algorithm": "sha256",
            "encoding": "base64",
            "secret": token,
        },
    )
    assert as_text.key != settings.key
    for value in ("", "Bearer x", "HMAC", "HMAC !!!"):
        verdict = verify(settings, request({"Authorization": value}, BODY), NOW)
        assert isinstance(verdict, Rejected)
    assert isinstance(verify(settings, request({}, BODY), NOW), Rejected)


def test_a_teams_token_that_is_not_base64_is_refused() -> None:
    with pytest.raises(Unprocessable) as caught:
        parse_verification("teams", "not base64 at all!")
    assert caught.value.details[0]["path"] == "secret"
