"""What one attempt sent and got back: the fact every stage after the attempt reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.dispatcher.deliveries import Delivery
from services.dispatcher.targets.exchange import Exchange
from services.dispatcher.targets.request import OutboundRequest


def classify(status: int | None) -> str:
    """``succeeded`` for a 2xx answer; ``failed`` for any other answer or none at all."""
    return "succeeded" if status is not None and 200 <= status < 300 else "failed"


@dataclass(frozen=True)
class Tried:
    """What one attempt sent and got back, and when it started and how long it took."""

    delivery: Delivery
    request: OutboundRequest
    exchange: Exchange
    started: datetime
    duration_ms: int

    @property
    def outcome(self) -> str:
        """What the answer means by itself: ``succeeded`` or ``failed``."""
        return classify(self.exchange.status)
