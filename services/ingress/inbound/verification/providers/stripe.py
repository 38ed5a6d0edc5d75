"""Stripe: ``Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...]``.

Each ``v1`` is hex HMAC-SHA256 of ``"{t}.{body}"`` keyed with the ``whsec_...`` string as is
(not base64-decoded); one match suffices (Stripe sends several while a secret rolls). ``t``
must be within 5 minutes of now, either way (Stripe's own library checks only the past).
"""

from __future__ import annotations

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
from services.ingress.inbound.verification.verdict import Rejected, Verdict, Verified

HEADER = "Stripe-Signature"


def verify(settings: SourceVerification, request: InboundRequest, now: float) -> Verdict:
    """Stripe's check."""
    value = request.headers.get(HEADER)
    if value is None:
        return Rejected(f"missing {HEADER} header")
    timestamp, signatures = None, []
    for item in value.split(","):
        name, _, text = item.strip().partition("=")
        if name == "t" and timestamp is None:
            timestamp = text
        elif name == "v1":
            signatures.append(from_hex(text))
    seconds = None if timestamp is None else unix_seconds(timestamp)
    if timestamp is None or seconds is None:
        return Rejected(f"{HEADER} has no t=<unix seconds>")
    if not signatures:
        return Rejected(f"{HEADER} has no v1 signature")
    if not fresh(seconds, now):
        return Rejected(stale_reason(f"{HEADER} t"))
    expected = mac(settings.key, "sha256", timestamp.encode(), b".", request.body)
    if any_equal(expected, signatures):
        return Verified("stripe")
    return Rejected(f"no {HEADER} v1 signature matches the body")
