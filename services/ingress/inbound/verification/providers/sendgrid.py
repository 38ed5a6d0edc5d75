"""SendGrid's signed Event Webhook: ECDSA P-256 with SHA-256 over ``timestamp + body``.

``X-Twilio-Email-Event-Webhook-Signature`` carries the base64 of the DER-encoded signature,
``X-Twilio-Email-Event-Webhook-Timestamp`` the Unix seconds that were signed (prefixed to the
raw body, nothing between). The source's ``verification_key`` is the public key SendGrid shows
(base64 of the DER SubjectPublicKeyInfo). The timestamp must be within 5 minutes of now, as for
Stripe: a captured request cannot be replayed later.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from services.ingress.inbound.verification.primitives import (
    fresh,
    from_base64,
    stale_reason,
    unix_seconds,
    wire,
)
from services.ingress.inbound.verification.request import InboundRequest
from services.ingress.inbound.verification.settings import SourceVerification
from services.ingress.inbound.verification.verdict import Rejected, Verdict, Verified

SIGNATURE = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP = "X-Twilio-Email-Event-Webhook-Timestamp"


def verify(settings: SourceVerification, request: InboundRequest, now: float) -> Verdict:
    """SendGrid's check (one ECDSA verification: CPU only, never raises)."""
    value, timestamp = request.headers.get(SIGNATURE), request.headers.get(TIMESTAMP)
    if value is None or timestamp is None:
        return Rejected(f"missing {SIGNATURE if value is None else TIMESTAMP} header")
    seconds = unix_seconds(timestamp.strip())
    if seconds is None:
        return Rejected(f"{TIMESTAMP} must be Unix seconds")
    if not fresh(seconds, now):
        return Rejected(stale_reason(TIMESTAMP))
    signature = from_base64(value.strip())
    key = settings.public_key
    if signature is None or key is None:
        return Rejected(f"{SIGNATURE} is not base64")
    try:
        key.verify(signature, wire(timestamp) + request.body, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        return Rejected(f"{SIGNATURE} does not match the timestamp and body")
    return Verified("sendgrid")
