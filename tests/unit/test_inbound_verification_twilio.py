"""Twilio: form and JSON bodies, default ports, a public URL behind a proxy, HMAC-SHA256."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from twilio.request_validator import RequestValidator

from services.ingress.inbound.verification import (
    InboundRequest,
    Rejected,
    Verified,
    parse_verification,
    verify,
)
from shared.errors import Unprocessable

TOKEN = "tw-token"
PUBLIC = "https://hooks.example.com/in/src_1/sms?tenant=a"
BEHIND_PROXY = "http://10.0.0.5:8080/in/src_1/sms?tenant=a"
FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
PARAMS = {"From": "+14155550100", "Body": "héllo & bye", "NumMedia": "0", "To": ""}


def request(url: str, headers: dict[str, str], body: bytes) -> InboundRequest:
    return InboundRequest.build("POST", url, list(headers.items()), body)


def form_request(signed_url: str, received_url: str, **settings: str) -> InboundRequest:
    signature = RequestValidator(TOKEN).compute_signature(signed_url, PARAMS, **settings)
    body = urlencode(PARAMS).encode()
    return request(received_url, {"X-Twilio-Signature": signature} | FORM, body)


def test_the_sdk_validator_and_ours_agree_on_a_form_post() -> None:
    req = form_request(PUBLIC, PUBLIC)
    signature = req.headers.get("X-Twilio-Signature")
    assert RequestValidator(TOKEN).validate(PUBLIC, PARAMS, signature)
    assert verify(parse_verification("twilio", TOKEN), req, 0) == Verified("twilio")


def test_a_changed_form_value_or_query_is_rejected() -> None:
    settings = parse_verification("twilio", TOKEN)
    good = form_request(PUBLIC, PUBLIC)
    body = good.body.replace(b"NumMedia=0", b"NumMedia=1")
    assert isinstance(verify(settings, request(PUBLIC, dict(good.headers), body), 0), Rejected)
    other_query = PUBLIC.replace("tenant=a", "tenant=b")
    assert isinstance(
        verify(settings, request(other_query, dict(good.headers), good.body), 0), Rejected
    )


def test_repeated_parameters_are_signed_as_the_sdk_signs_them() -> None:
    body = b"MediaUrl=b&MediaUrl=a&MediaUrl=a&Body=x"

    class Multi(dict[str, list[str]]):
        def getall(self, name: str) -> list[str]:
            return self[name]

    params = Multi({"MediaUrl": ["b", "a", "a"], "Body": ["x"]})
    signature = RequestValidator(TOKEN).compute_signature(PUBLIC, params)
    req = request(PUBLIC, {"X-Twilio-Signature": signature} | FORM, body)
    assert verify(parse_verification("twilio", TOKEN), req, 0) == Verified("twilio")


def test_json_body_is_bound_by_body_sha256_and_the_url_alone_is_signed() -> None:
    validator = RequestValidator(TOKEN)
    body = '{"event":"call.completed","sid":"CA1"}'
    url = f"{PUBLIC}&bodySHA256={validator.compute_hash(body)}"
    headers = {"X-Twilio-Signature": validator.compute_signature(url, {})}
    headers |= {"Content-Type": "application/json"}
    assert validator.validate(url, body, headers["X-Twilio-Signature"])
    settings = parse_verification("twilio", TOKEN)
    assert verify(settings, request(url, headers, body.encode()), 0) == Verified("twilio")
    verdict = verify(settings, request(url, headers, body.encode() + b" "), 0)
    assert verdict == Rejected("bodySHA256 does not match the body")


@pytest.mark.parametrize(
    ("signed", "received"),
    [
        ("https://hooks.example.com:443/in/src_1/sms?tenant=a", PUBLIC),
        (PUBLIC, "https://hooks.example.com:443/in/src_1/sms?tenant=a"),
        ("http://hooks.example.com/in/x", "http://hooks.example.com:80/in/x"),
    ],
)
def test_the_default_port_may_be_present_or_not(signed: str, received: str) -> None:
    req = form_request(signed, received)
    assert verify(parse_verification("twilio", TOKEN), req, 0) == Verified("twilio")


def test_behind_a_proxy_the_public_url_is_what_was_signed() -> None:
    req = form_request(PUBLIC, BEHIND_PROXY)
    assert isinstance(verify(parse_verification("twilio", TOKEN), req, 0), Rejected)
    own = parse_verification("twilio", TOKEN, {"public_url": "https://hooks.example.com/"})
    assert verify(own, req, 0) == Verified("twilio")
    deployment = parse_verification("twilio", TOKEN, public_base_url="https://hooks.example.com")
    assert verify(deployment, req, 0) == Verified("twilio")


def test_a_source_public_url_wins_over_the_deployment_default() -> None:
    settings = parse_verification(
        "twilio",
        TOKEN,
        {"public_url": "https://hooks.example.com"},
        public_base_url="https://elsewhere.example.org",
    )
    assert verify(settings, form_request(PUBLIC, BEHIND_PROXY), 0) == Verified("twilio")


def test_a_public_url_with_a_path_prefix_stripped_by_the_proxy() -> None:
    signed = "https://example.com/hookbus/in/src_1/sms?tenant=a"
    settings = parse_verification("twilio", TOKEN, {"public_url": "https://example.com/hookbus"})
    assert verify(settings, form_request(signed, BEHIND_PROXY), 0) == Verified("twilio")


def test_hmac_sha256_when_the_signature_settings_header_says_so() -> None:
    signature = RequestValidator(TOKEN).compute_signature(PUBLIC, PARAMS, "HMAC_SHA256")
    key = "key=webhooks_sharedkey_1,algorithm=HMAC_SHA256"
    headers = {"X-Twilio-Signature": signature, "X-Twilio-Webhooks-Signature-Settings": key}
    req = request(PUBLIC, headers | FORM, urlencode(PARAMS).encode())
    settings = parse_verification("twilio", TOKEN)
    assert verify(settings, req, 0) == Verified("twilio")
    sha1_claimed = headers | {"X-Twilio-Webhooks-Signature-Settings": "algorithm=HMAC_SHA1"}
    assert isinstance(verify(settings, request(PUBLIC, sha1_claimed | FORM, req.body), 0), Rejected)
    unknown = headers | {"X-Twilio-Webhooks-Signature-Settings": "algorithm=HMAC_MD5"}
    verdict = verify(settings, request(PUBLIC, unknown | FORM, req.body), 0)
    assert isinstance(verdict, Rejected) and "algorithm" in verdict.reason


def test_a_form_body_that_is_not_utf8_is_rejected() -> None:
    headers = {"X-Twilio-Signature": "AAAA"} | FORM
    verdict = verify(parse_verification("twilio", TOKEN), request(PUBLIC, headers, b"Body=%ff"), 0)
    assert verdict == Rejected("the form body is not UTF-8")


@pytest.mark.parametrize(
    "public_url",
    [
        "ftp://hooks.example.com",
        "hooks.example.com",
        "https://h.example.com/?a=1",
        "https://u:p@h.io",
        5,
    ],
)
def test_a_bad_public_url_is_refused(public_url: object) -> None:
    with pytest.raises(Unprocessable) as caught:
        parse_verification("twilio", TOKEN, {"public_url": public_url})
    assert caught.value.details[0]["path"] == "verification.public_url"
