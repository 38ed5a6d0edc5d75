"""GitHub: ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>``.

The legacy SHA-1 ``X-Hub-Signature`` is not accepted: GitHub sends both headers whenever a
secret is set, so a request without the SHA-256 one is not from GitHub.
"""

from __future__ import annotations

from services.ingress.inbound.verification.primitives import any_equal, from_hex, mac
from services.ingress.inbound.verification.request import InboundRequest
from services.ingress.inbound.verification.settings import SourceVerification
from services.ingress.inbound.verification.verdict import Rejected, Verdict, Verified

HEADER = "X-Hub-Signature-256"
PREFIX = "sha256="


def hub_signature(key: bytes, request: InboundRequest, scheme: str) -> Verdict:
    """Check ``X-Hub-Signature-256`` against ``key`` (shared by GitHub and Meta)."""
    value = request.headers.get(HEADER)
    if value is None:
        return Rejected(f"missing {HEADER} header")
    if not value.startswith(PREFIX):
        return Rejected(f"{HEADER} must be {PREFIX}<hex>")
    expected = mac(key, "sha256", request.body)
    if any_equal(expected, [from_hex(value[len(PREFIX) :])]):
        return Verified(scheme)
    return Rejected(f"{HEADER} does not match the body")


def verify(settings: SourceVerification, request: InboundRequest, now: float) -> Verdict:
    """GitHub's check (``now`` is unused: the scheme has no timestamp)."""
    return hub_signature(settings.key, request, "github")
