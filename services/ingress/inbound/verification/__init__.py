"""Verification of inbound webhooks, as each provider signs them. Pure: no I/O, no Kafka.

Usage, for the receiving code::

    settings = parse_verification(source["provider"], source.get("secret"),
                                  source.get("verification"))        # once per config change
    request = InboundRequest.build(method, url_as_received, header_pairs, body)
    verdict = verify(settings, request, time.time())
    decision = decide(settings, source["status"], verdict)
    if decision.mark_verified: ...          # store the source as verified
    if decision.answer is not None: ...     # send it as is (challenge, 401, 403)
    else: ...                               # 202 once durable; run the routes if decision.route
    # log the request with decision.log_status and decision.verification
"""

from services.ingress.inbound.verification.dispatch import verify
from services.ingress.inbound.verification.request import Headers, InboundRequest
from services.ingress.inbound.verification.settings import (
    CHALLENGE_PROVIDERS,
    PROVIDERS,
    Provider,
    SourceVerification,
)
from services.ingress.inbound.verification.state import Decision, SourceStatus, decide
from services.ingress.inbound.verification.validation import parse_verification
from services.ingress.inbound.verification.verdict import (
    Challenge,
    HttpAnswer,
    NotApplicable,
    Rejected,
    Verdict,
    Verified,
    log_entry,
)

__all__ = [
    "CHALLENGE_PROVIDERS",
    "PROVIDERS",
    "Challenge",
    "Decision",
    "Headers",
    "HttpAnswer",
    "InboundRequest",
    "NotApplicable",
    "Provider",
    "Rejected",
    "SourceStatus",
    "SourceVerification",
    "Verdict",
    "Verified",
    "decide",
    "log_entry",
    "parse_verification",
    "verify",
]
