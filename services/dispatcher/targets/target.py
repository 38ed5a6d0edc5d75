"""What the delivery engine delivers to: the seam between the engine and its two kinds of
destination.

The engine (lanes, retry tiers, the guarded network, the exchange, attempt recording, dead
letters) is the same for both; a :class:`Target` says what differs:

- an **endpoint** of an app (delivery records without a ``kind``): a signed POST of the rendered
  message, endpoint health, ordered lanes (:mod:`.endpoint_target`);
- an inbound **route** with an HTTP destination (``"kind": "route"``): the received request
  forwarded as it came, unsigned (:mod:`.route_target`).

A target is built for one attempt from the configuration as the view holds it then, so a change
of URL, headers or timeout applies to the next attempt.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from services.dispatcher.targets.request import OutboundRequest
from services.dispatcher.targets.tried import Tried
from shared.contracts import Contract
from shared.errors import HookbusError
from shared.records import AttemptRecord, JsonObject, RouteAttemptRecord

AnyAttempt = AttemptRecord | RouteAttemptRecord
"""The attempts record of one try, an endpoint's or a route's."""
Keyed = tuple[bytes, bytes]


class Unsendable(HookbusError):
    """Nothing can be sent for this attempt (an endpoint without a secret that may sign); the
    attempt fails with this reason, without a request."""


class Target(Protocol):
    """One destination of one delivery, as configured at this attempt."""

    key: str
    """Endpoint or route id: its lane, its HTTP clients, the key of every record it causes."""
    ids: dict[str, str]
    """What logs name it by (never secrets)."""
    ordered: bool
    """One at a time in offset order, retried in the lane (endpoints that ask for it)."""
    timeout_ms: int
    delivery_contract: Contract
    """The contract of its delivery records (retries and dead letters are re-encoded to it)."""
    endpoint: JsonObject | None
    """The endpoint whose health the attempt counts for; None for a route."""
    blocked: str | None
    """Why nothing may be sent now (a disabled endpoint): the attempt fails without a request."""

    def request(self, now: datetime) -> OutboundRequest:
        """The request of an attempt made at ``now``; raise :class:`Unsendable`."""

    def unsent(self, reason: str) -> Tried:
        """A try that sent nothing, failed for ``reason``."""

    def attempt_record(self, tried: Tried, outcome: str) -> tuple[AnyAttempt, Contract]:
        """The ``attempts`` record of ``tried`` with its final outcome, and its contract."""

    def replies(self, tried: Tried, outcome: str) -> list[Keyed]:
        """``(key, value)`` of the ``replies`` records the attempt owes a caller waiting in
        sync mode; produced once the attempt record is durable."""
