"""Standard Webhooks (and Svix, which it comes from).

Headers ``webhook-id``, ``webhook-timestamp``, ``webhook-signature`` (or the same three with
``svix-``); the signature header is a space-separated list of ``v1,<base64>``, each an
HMAC-SHA256 of ``"{id}.{timestamp}.{body}"`` keyed with the base64-decoded ``whsec_`` secret;
one match suffices. The timestamp must be within 5 minutes of now.
"""

from __future__ import annotations

from services.ingress.inbound.verification.primitives import (
    any_equal,
    fresh,
    from_base64,
    mac,
    stale_reason,
    unix_seconds,
    wire,
)
from services.ingress.inbound.verification.request import InboundRequest
from services.ingress.inbound.verification.settings import SourceVerification
from services.ingress.inbound.verification.verdict import Rejected, Verdict, Verified

_NAMES = {
    prefix: (f"{prefix}-id", f"{prefix}-timestamp", f"{prefix}-signature")
    for prefix in ("webhook", "svix")
}


def verify(settings: SourceVerification, request: InboundRequest, now: float) -> Verdict:
    """The Standard Webhooks check; ``webhook-*`` headers win over ``svix-*`` ones."""
    headers = request.headers
    prefix = "webhook" if "webhook-signature" in headers else "svix"
    id_name, timestamp_name, signature_name = _NAMES[prefix]
    msg_id, timestamp = headers.get(id_name), headers.get(timestamp_name)
    signature = headers.get(signature_name)
    if msg_id is None or timestamp is None or signature is None:
        return Rejected("missing webhook-id, webhook-timestamp or webhook-signature header")
    seconds = unix_seconds(timestamp)
    if seconds is None:
        return Rejected(f"{timestamp_name} must be Unix seconds")
    if not fresh(seconds, now):
        return Rejected(stale_reason(timestamp_name))
    candidates = [
        from_base64(text)
        for version, _, text in (entry.partition(",") for entry in signature.split())
        if version == "v1"
    ]
    if not candidates:
        return Rejected(f"{signature_name} has no v1 signature")
    expected = mac(settings.key, "sha256", wire(msg_id), b".", wire(timestamp), b".", request.body)
    if any_equal(expected, candidates):
        return Verified("standard")
    return Rejected(f"no {signature_name} v1 signature matches the body")
