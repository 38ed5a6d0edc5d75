"""A disabled source (``enabled: false``): what its receiving URL answers, and how it is logged.

The request is answered ``404``, as an unknown source is, but still written to the received log
(``status: ignored``, nothing routed), so whoever wonders why a provider's calls fail sees them
there with the reason. Nothing is verified: a disabled source's settings are not consulted.
"""

from __future__ import annotations

from typing import Any

import orjson

from services.ingress.inbound.verification import Decision, HttpAnswer
from shared.errors import NotFound

DISABLED = "the source is disabled"


def is_disabled(source: dict[str, Any]) -> bool:
    """True when the source was switched off (``enabled: false``); absent means enabled."""
    return source.get("enabled", True) is False


def disabled_decision(source_id: str) -> Decision:
    """Answer 404, log the request ``ignored`` with the reason, route nothing."""
    error = NotFound(f"source {source_id!r} is disabled", {"source": source_id})
    answer = HttpAnswer(404, "application/json", orjson.dumps(error.body()))
    verification = {"result": "none", "reason": DISABLED, "ignored": DISABLED}
    return Decision(answer, "ignored", False, False, verification)
