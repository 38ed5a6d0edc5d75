"""What happens to a request, from the source's status and the request's verdict.

A source is ``unverified`` until its first request that passes verification or its first
answered challenge, then ``verified``. A source whose provider uses a challenge (Slack, Meta,
Twitter) ignores everything but the challenge until one was answered: ``403``, logged
``ignored``. A refused handshake (wrong Meta ``verify_token``, a Slack ``url_verification``
whose signature fails) stays ``rejected``. The caller keeps the status; this only decides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from services.ingress.inbound.verification.settings import SourceVerification
from services.ingress.inbound.verification.verdict import (
    Challenge,
    HttpAnswer,
    Rejected,
    Verdict,
    log_entry,
)

SourceStatus = Literal["unverified", "verified"]
LogStatus = Literal["accepted", "rejected", "ignored"]
AWAITING_CHALLENGE = "the source ignores requests until its provider's challenge is answered"


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with one request.

    ``answer`` is the exact HTTP answer to send, or None for the normal acceptance (``202`` or
    the sync-mode answer) after the request is durable. ``route`` says whether routes run.
    ``mark_verified`` says the source must now be stored as ``verified``. ``verification`` is
    the received log's field for this request, ``log_status`` its status.
    """

    answer: HttpAnswer | None
    log_status: LogStatus
    route: bool
    mark_verified: bool
    verification: dict[str, Any] = field(default_factory=dict)


def decide(settings: SourceVerification, status: SourceStatus, verdict: Verdict) -> Decision:
    """Decide from the source's current ``status`` and the request's ``verdict``. Pure."""
    first = status == "unverified"
    awaiting_challenge = first and settings.uses_challenge
    entry = log_entry(verdict)
    if isinstance(verdict, Challenge):
        return Decision(verdict.answer, "accepted", False, first, entry)
    if isinstance(verdict, Rejected) and (verdict.handshake or not awaiting_challenge):
        return Decision(verdict.answer(), "rejected", False, False, entry)
    if awaiting_challenge:
        entry["ignored"] = AWAITING_CHALLENGE
        return Decision(Rejected(AWAITING_CHALLENGE, 403).answer(), "ignored", False, False, entry)
    return Decision(None, "accepted", True, first, entry)
