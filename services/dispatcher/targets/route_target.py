"""An inbound route's HTTP destination as a delivery target: the received request forwarded
with its own method, headers and body (:mod:`.forwarding`).

Nothing is signed by hookbus; the route's ``headers`` authenticate it. Routes have no health
and no ``enabled`` flag: a ``410`` only stops the retries of that delivery. A route deleted (or
no longer ``http``) since gets a failed attempt without a request, so the received log does not
show it pending for ever.

Sync mode: the first attempt answers the waiting ingress with the route's outcome (a failed
one is still retried in the background, and says so).
"""

from __future__ import annotations

from datetime import datetime

from services.dispatcher.targets.attempt import DEFAULT_TIMEOUT_MS
from services.dispatcher.targets.exchange import Exchange
from services.dispatcher.targets.forwarding import forward_headers, forward_url
from services.dispatcher.targets.request import OutboundRequest
from services.dispatcher.targets.target import AnyAttempt, Keyed, Unsendable
from services.dispatcher.targets.tried import Tried
from shared import clock
from shared.contracts import Contract
from shared.ids import new_id
from shared.inbound import decode_body
from shared.inbound_sync import forwarded_reply
from shared.records import JsonObject, RouteAttemptRecord, RouteDeliveryRecord, RouteOutcome
from shared.secret_headers import masked


class RouteTarget:
    """``delivery`` (contracts/route_delivery.v1) to ``route``'s HTTP destination as it is now;
    ``route`` None when it was deleted."""

    delivery_contract: Contract = Contract.ROUTE_DELIVERY
    endpoint: JsonObject | None = None
    ordered: bool = False

    def __init__(self, delivery: RouteDeliveryRecord, route: JsonObject | None) -> None:
        self._delivery = delivery
        self.key = str(delivery["route_id"])
        self.ids = {
            "delivery_id": delivery["id"],
            "route_id": self.key,
            "inbound_id": delivery["inbound_id"],
        }
        destination = None if route is None else route["destination"]
        self.blocked: str | None = None
        if destination is None or destination.get("type") != "http":
            gone = "was deleted" if route is None else "no longer forwards over HTTP"
            self.blocked, destination = f"the route {gone}", {}
        self._destination: JsonObject = destination
        self.timeout_ms = int(destination.get("timeout_ms") or DEFAULT_TIMEOUT_MS)

    def _url(self) -> str:
        url = self._destination.get("url")
        return "" if url is None else forward_url(url, self._delivery["request"]["query"])

    def request(self, now: datetime) -> OutboundRequest:
        """The forwarded request; raise :class:`Unsendable` when the stored body is garbled."""
        received = self._delivery["request"]
        try:
            body = decode_body(received["body"], received["body_encoding"])
        except ValueError as exc:
            raise Unsendable(str(exc)) from exc
        extra = self._destination.get("headers") or {}
        headers = forward_headers(received["headers"], extra, self._delivery)
        return OutboundRequest(self._url(), headers, body, received["method"])

    def unsent(self, reason: str) -> Tried:
        """A try that sent nothing, failed for ``reason``."""
        request = OutboundRequest(self._url(), {}, b"", self._delivery["request"]["method"])
        return Tried(self._delivery, request, Exchange.unsent(reason), clock.now(), 0)

    def attempt_record(self, tried: Tried, outcome: str) -> tuple[AnyAttempt, Contract]:
        """The contracts/route_attempt.v1 record of ``tried``."""
        delivery, exchange = self._delivery, tried.exchange
        record: RouteAttemptRecord = {
            "v": 1,
            "kind": "route_attempt",
            "id": new_id("atm"),
            "inbound_id": delivery["inbound_id"],
            "source_id": delivery["source_id"],
            "route_id": delivery["route_id"],
            "delivery_id": delivery["id"],
            "attempt": delivery["attempt"],
            "timestamp": clock.iso(tried.started),
            "duration_ms": max(0, tried.duration_ms),
            "request": {
                "url": tried.request.url,
                "method": tried.request.method,
                "headers": masked(tried.request.headers),
                "body": delivery["request"]["body"],
                "body_encoding": delivery["request"]["body_encoding"],
            },
            "response": exchange.response_record(),
            "error": exchange.error,
            "outcome": outcome,
        }
        return record, Contract.ROUTE_ATTEMPT

    def replies(self, tried: Tried, outcome: str) -> list[Keyed]:
        """The sync caller's reply after the first attempt (later ones: it has its answer)."""
        delivery = self._delivery
        if delivery["attempt"] != 1:
            return []
        detail = {
            "delivery_id": delivery["id"],
            "attempt": 1,
            "status": tried.exchange.status,
            "error": tried.exchange.error,
            "duration_ms": max(0, tried.duration_ms),
            "retrying": outcome == "retrying",
        }
        entry: RouteOutcome = {
            "route_id": delivery["route_id"],
            "destination": "http",
            "outcome": "succeeded" if outcome == "succeeded" else "failed",
            "detail": detail,
        }
        reply = forwarded_reply(delivery, entry)
        return [] if reply is None else [reply]
