"""Slack: ``X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:{ts}:{body}">``.

``ts`` is ``X-Slack-Request-Timestamp`` and must be within 5 minutes of now. A signed
``{"type": "url_verification", "challenge": C}`` (sent when the Events API URL is set) is
answered ``200 C``; Slack signs it like any other request, so it is verified first. One that
fails is a refused handshake: ``401`` even while the source still awaits its challenge.
"""

from __future__ import annotations

import orjson

from services.ingress.inbound.verification.primitives import (
    any_equal,
    fresh,
    from_hex,
    mac,
    stale_reason,
    unix_seconds,
)
from services.ingress.inbound.verification.request import InboundRequest
from services.ingress.inbound.verification.settings import SourceVerification
from services.ingress.inbound.verification.verdict import (
    Challenge,
    HttpAnswer,
    Rejected,
    Verdict,
    Verified,
)

SIGNATURE = "X-Slack-Signature"
TIMESTAMP = "X-Slack-Request-Timestamp"
PREFIX = "v0="


def verify(settings: SourceVerification, request: InboundRequest, now: float) -> Verdict:
    """Slack's check, then the ``url_verification`` challenge when the body is one."""
    verdict = _signature(settings, request, now)
    challenge = _url_verification(request.body)
    if challenge is None:
        return verdict
    if isinstance(verdict, Rejected):
        return Rejected(verdict.reason, handshake=True)
    return Challenge("slack", HttpAnswer(200, "text/plain; charset=utf-8", challenge.encode()))


def _signature(settings: SourceVerification, request: InboundRequest, now: float) -> Verdict:
    signature, timestamp = request.headers.get(SIGNATURE), request.headers.get(TIMESTAMP)
    if signature is None or timestamp is None:
        return Rejected(f"missing {SIGNATURE if signature is None else TIMESTAMP} header")
    seconds = unix_seconds(timestamp)
    if seconds is None:
        return Rejected(f"{TIMESTAMP} must be Unix seconds")
    if not fresh(seconds, now):
        return Rejected(stale_reason(TIMESTAMP))
    if not signature.startswith(PREFIX):
        return Rejected(f"{SIGNATURE} must be {PREFIX}<hex>")
    expected = mac(settings.key, "sha256", b"v0:", timestamp.encode(), b":", request.body)
    if not any_equal(expected, [from_hex(signature[len(PREFIX) :])]):
        return Rejected(f"{SIGNATURE} does not match the body")
    return Verified("slack")


def _url_verification(body: bytes) -> str | None:
    # Cheap test first: only the handshake mentions its type; events are never parsed here.
    if b"url_verification" not in body:
        return None
    try:
        message = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(message, dict) or message.get("type") != "url_verification":
        return None
    challenge = message.get("challenge")
    return challenge if isinstance(challenge, str) and challenge else None
