"""Microsoft Teams outgoing webhooks: ``Authorization: HMAC <base64 of HMAC-SHA256(body)>``.

The key is the security token Teams shows when the outgoing webhook is created, base64-decoded
(the source's ``secret`` is that token as shown). Teams signs no timestamp, so there is no
replay window to check.
"""

from __future__ import annotations

from services.ingress.inbound.verification.primitives import any_equal, from_base64, mac
from services.ingress.inbound.verification.request import InboundRequest
from services.ingress.inbound.verification.settings import SourceVerification
from services.ingress.inbound.verification.verdict import Rejected, Verdict, Verified

HEADER = "Authorization"
SCHEME = "hmac"


def verify(settings: SourceVerification, request: InboundRequest, now: float) -> Verdict:
    """The Teams check."""
    value = request.headers.get(HEADER)
    if value is None:
        return Rejected(f"missing {HEADER} header")
    scheme, _, signature = value.strip().partition(" ")
    if scheme.lower() != SCHEME or not signature.strip():
        return Rejected(f"{HEADER} must be HMAC <base64 signature>")
    if any_equal(mac(settings.key, "sha256", request.body), [from_base64(signature.strip())]):
        return Verified("teams")
    return Rejected(f"{HEADER} HMAC does not match the body")
