"""``generic`` sources: none, fixed headers, Basic auth, API key, configurable HMAC."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import pytest

from services.ingress.inbound.verification import (
    InboundRequest,
    NotApplicable,
    Rejected,
    Verified,
    parse_verification,
    verify,
)

BODY = b'{"order": 17, "total": "9.99"}'


def check(verification: dict[str, Any], headers: dict[str, str], body: bytes = BODY) -> Any:
    settings = parse_verification("generic", None, verification)
    request = InboundRequest.build("POST", "https://h.example/in/s", list(headers.items()), body)
    return verify(settings, request, 0)


def test_none_accepts_anything_as_not_applicable() -> None:
    assert check({"type": "none"}, {}) == NotApplicable()


HEADERS = {"type": "header", "headers": {"X-Token": "t0k3n", "X-Tenant": "acme"}}


def test_header_needs_every_listed_header_with_its_value() -> None:
    assert check(HEADERS, {"x-token": "t0k3n", "X-TENANT": "acme"}) == Verified("generic:header")
    wrong = check(HEADERS, {"X-Token": "t0k3n", "X-Tenant": "other"})
    assert wrong == Rejected("a configured header does not have its expected value")
    assert check(HEADERS, {"X-Token": "t0k3n"}) == Rejected("missing X-Tenant header(s)")


BASIC = {"type": "basic", "username": "hook", "password": "pa:ss wörd"}


def basic(user: str, password: str, scheme: str = "Basic") -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"{scheme} {token}"}


def test_basic_auth() -> None:
    assert check(BASIC, basic("hook", "pa:ss wörd")) == Verified("generic:basic")
    assert check(BASIC, basic("hook", "pa:ss wörd", "basic")) == Verified("generic:basic")
    assert isinstance(check(BASIC, basic("hook", "wrong")), Rejected)
    assert isinstance(check(BASIC, basic("other", "pa:ss wörd")), Rejected)
    assert isinstance(check(BASIC, basic("hook", "pa:ss wörd", "Bearer")), Rejected)
    assert isinstance(check(BASIC, {"Authorization": "Basic !!!"}), Rejected)
    assert check(BASIC, {}) == Rejected("missing Authorization header")


API_KEY = {"type": "api_key", "header": "X-Api-Key", "key": "k-123"}


def test_api_key() -> None:
    assert check(API_KEY, {"x-api-key": "k-123"}) == Verified("generic:api_key")
    assert check(API_KEY, {"X-Api-Key": "k-124"}) == Rejected("X-Api-Key is not the source's key")
    assert check(API_KEY, {}) == Rejected("missing X-Api-Key header")


@pytest.mark.parametrize("algorithm", ["sha1", "sha256", "sha512"])
@pytest.mark.parametrize("encoding", ["hex", "base64"])
@pytest.mark.parametrize("prefix", ["", "sha=", "v1,"])
def test_hmac_every_algorithm_encoding_and_prefix(
    algorithm: str, encoding: str, prefix: str
) -> None:
    verification = {
        "type": "hmac",
        "header": "X-Sig",
        "algorithm": algorithm,
        "encoding": encoding,
        "prefix": prefix,
        "secret": "hm-secret",
    }
    digest = hmac.new(b"hm-secret", BODY, getattr(hashlib, algorithm)).digest()
    text = digest.hex() if encoding == "hex" else base64.b64encode(digest).decode()
    assert check(verification, {"X-Sig": prefix + text}) == Verified("generic:hmac")
    assert isinstance(check(verification, {"X-Sig": prefix + text}, BODY + b"\n"), Rejected)
    assert isinstance(check(verification, {}), Rejected)
    if prefix:
        assert isinstance(check(verification, {"X-Sig": text}), Rejected)
    if encoding == "hex":
        assert check(verification, {"X-Sig": prefix + text.upper()}) == Verified("generic:hmac")


def test_hmac_with_the_source_secret() -> None:
    verification = {"type": "hmac", "header": "X-Sig", "algorithm": "sha256", "encoding": "hex"}
    settings = parse_verification("generic", "src-secret", verification)
    signature = hmac.new(b"src-secret", BODY, hashlib.sha256).hexdigest()
    request = InboundRequest.build("POST", "https://h/in/s", [("X-Sig", signature)], BODY)
    assert verify(settings, request, 0) == Verified("generic:hmac")
