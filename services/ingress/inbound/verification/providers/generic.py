"""``generic`` sources: no verification, fixed headers, Basic auth, an API key or an HMAC."""

from __future__ import annotations

from services.ingress.inbound.verification.primitives import (
    any_equal,
    equal,
    from_base64,
    from_hex,
    mac,
)
from services.ingress.inbound.verification.request import InboundRequest
from services.ingress.inbound.verification.settings import (
    ApiKeyCheck,
    BasicCheck,
    HeaderCheck,
    HmacCheck,
    NoCheck,
    SourceVerification,
)
from services.ingress.inbound.verification.verdict import (
    NotApplicable,
    Rejected,
    Verdict,
    Verified,
)


def verify(settings: SourceVerification, request: InboundRequest, now: float) -> Verdict:
    """The configured check (``now`` is unused: none of them has a timestamp)."""
    match settings.check:
        case HeaderCheck():
            return _headers(settings.check, request)
        case BasicCheck(credentials):
            return _basic(credentials, request)
        case ApiKeyCheck(header, key):
            if header not in request.headers:
                return Rejected(f"missing {header} header")
            if equal(key, request.headers.get(header)):
                return Verified("generic:api_key")
            return Rejected(f"{header} is not the source's key")
        case HmacCheck():
            return _hmac(settings.check, request)
        case NoCheck() | None:
            return NotApplicable()


def _headers(check: HeaderCheck, request: InboundRequest) -> Verdict:
    missing = [name for name, _ in check.headers if name not in request.headers]
    if missing:
        return Rejected(f"missing {', '.join(missing)} header(s)")
    matches = True
    for name, value in check.headers:  # every one compared: timing tells nothing
        matches &= equal(value, request.headers.get(name))
    if matches:
        return Verified("generic:header")
    return Rejected("a configured header does not have its expected value")


def _basic(credentials: bytes, request: InboundRequest) -> Verdict:
    authorization = request.headers.get("Authorization")
    if authorization is None:
        return Rejected("missing Authorization header")
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        return Rejected("Authorization must use the Basic scheme")
    if any_equal(credentials, [from_base64(encoded.strip())]):
        return Verified("generic:basic")
    return Rejected("wrong Basic username or password")


def _hmac(check: HmacCheck, request: InboundRequest) -> Verdict:
    value = request.headers.get(check.header)
    if value is None:
        return Rejected(f"missing {check.header} header")
    if not value.startswith(check.prefix):
        return Rejected(f"{check.header} must start with {check.prefix!r}")
    text = value[len(check.prefix) :].strip()
    given = from_hex(text) if check.encoding == "hex" else from_base64(text)
    if any_equal(mac(check.key, check.algorithm, request.body), [given]):
        return Verified("generic:hmac")
    return Rejected(f"{check.header} does not match the body")
