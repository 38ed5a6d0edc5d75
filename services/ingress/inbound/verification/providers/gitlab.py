"""GitLab: the webhook's secret token comes back verbatim in ``X-Gitlab-Token``."""

from __future__ import annotations

from services.ingress.inbound.verification.primitives import equal
from services.ingress.inbound.verification.request import InboundRequest
from services.ingress.inbound.verification.settings import SourceVerification
from services.ingress.inbound.verification.verdict import Rejected, Verdict, Verified

HEADER = "X-Gitlab-Token"


def verify(settings: SourceVerification, request: InboundRequest, now: float) -> Verdict:
    """GitLab's check: a constant-time comparison of the token."""
    value = request.headers.get(HEADER)
    if value is None:
        return Rejected(f"missing {HEADER} header")
    if equal(settings.key, value):
        return Verified("gitlab")
    return Rejected(f"{HEADER} is not the source's token")
