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
from typing import TYPE_CHECKING, Any, Protocol

from shared.contracts import Contract
from shared.errors import HookbusError
from shared.inbound import record_kind

if TYPE_CHECKING:
    from services.dispatcher.attempt import Tried
    from services.dispatcher.request import OutboundRequest

Object = dict[str, Any]
Keyed = tuple[bytes, bytes]
ROUTE = "route"
ROUTE_ID_PREFIX = "rt_"


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
    endpoint: Object | None
    """The endpoint whose health the attempt counts for; None for a route."""
    blocked: str | None
    """Why nothing may be sent now (a disabled endpoint): the attempt fails without a request."""

    def request(self, now: datetime) -> OutboundRequest:
        """The request of an attempt made at ``now``; raise :class:`Unsendable`."""

    def unsent(self, reason: str) -> Tried:
        """A try that sent nothing, failed for ``reason``."""

    def attempt_record(self, tried: Tried, outcome: str) -> tuple[Object, Contract]:
        """The ``attempts`` record of ``tried`` with its final outcome, and its contract."""

    def replies(self, tried: Tried, outcome: str) -> list[Keyed]:
        """``(key, value)`` of the ``replies`` records the attempt owes a caller waiting in
        sync mode; produced once the attempt record is durable."""


def is_route(delivery: Object) -> bool:
    """True for an inbound route's delivery, False for an endpoint's."""
    return delivery.get("kind") == ROUTE


def delivery_contract(raw: bytes | None) -> Contract:
    """The contract of an encoded delivery record, by its ``kind``.

    An unknown kind is checked against the endpoint contract, which refuses it (dead letter).
    """
    return Contract.ROUTE_DELIVERY if record_kind(raw) == ROUTE else Contract.DELIVERY


def contract_of(delivery: Object) -> Contract:
    """The contract of a decoded delivery record."""
    return Contract.ROUTE_DELIVERY if is_route(delivery) else Contract.DELIVERY


def key_of(delivery: Object) -> str:
    """The record key (and lane) of a delivery: its route or endpoint id."""
    return str(delivery["route_id"] if is_route(delivery) else delivery["endpoint_id"])


def ids_of(delivery: Object) -> dict[str, str]:
    """What logs name a delivery by."""
    if is_route(delivery):
        return {
            "delivery_id": delivery["id"],
            "route_id": delivery["route_id"],
            "inbound_id": delivery["inbound_id"],
        }
    return {
        "delivery_id": delivery["id"],
        "message_id": delivery["message_id"],
        "app_id": delivery["app_id"],
        "endpoint_id": delivery["endpoint_id"],
    }


def is_route_key(key: str) -> bool:
    """True when a lane key is a route id (routes are never ordered)."""
    return key.startswith(ROUTE_ID_PREFIX)
