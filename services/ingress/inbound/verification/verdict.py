"""What verifying one request concluded, and the exact HTTP answer a challenge needs.

A verdict never holds a secret or an expected signature: its ``reason`` is safe to answer to
the caller and to write into the received log.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from shared.errors import Forbidden, Unauthorized


@dataclass(frozen=True, slots=True)
class HttpAnswer:
    """An HTTP answer to send as is: status, content type and body bytes."""

    status: int
    content_type: str
    body: bytes


@dataclass(frozen=True, slots=True)
class Verified:
    """The request proved it comes from the source (``scheme`` names the check that passed)."""

    scheme: str


@dataclass(frozen=True, slots=True)
class Rejected:
    """Verification failed. ``status`` is what to answer: 401, or 403 for a refused Meta or
    Twitter handshake. ``handshake`` true: the request was a provider challenge that failed
    (a Slack one answers 401), refused as such even before the source's challenge."""

    reason: str
    status: int = 401
    handshake: bool = False

    def answer(self) -> HttpAnswer:
        """The JSON error answer (``{"error": {code, message, details}}``)."""
        error = Forbidden(self.reason) if self.status == 403 else Unauthorized(self.reason)
        return HttpAnswer(self.status, "application/json", orjson.dumps(error.body()))


@dataclass(frozen=True, slots=True)
class Challenge:
    """A provider handshake, answered: send ``answer`` and route nothing."""

    scheme: str
    answer: HttpAnswer


@dataclass(frozen=True, slots=True)
class NotApplicable:
    """The source verifies nothing (generic ``{"type": "none"}``): accept the request as is."""

    reason: str = "the source has no verification"


Verdict = Verified | Rejected | Challenge | NotApplicable


def log_entry(verdict: Verdict) -> dict[str, Any]:
    """The verdict as the received log's ``verification`` field."""
    match verdict:
        case Verified(scheme):
            return {"result": "verified", "scheme": scheme}
        case Rejected(reason):
            return {"result": "rejected", "reason": reason}
        case Challenge(scheme):
            return {"result": "challenge", "scheme": scheme}
        case NotApplicable(reason):
            return {"result": "none", "reason": reason}
