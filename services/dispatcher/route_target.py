"""An inbound route's HTTP destination as a delivery target: the received request forwarded.

- method: the original one; URL: the destination's ``url`` with the original query appended
  (after ``?``, or ``&`` when the URL has a query of its own);
- headers: the original ones (the provider's signature headers included) without those that
  belong to one connection or to the framing (``host``, ``content-length``,
  ``transfer-encoding``, ``connection`` and the other hop-by-hop ones), then the route's
  ``headers``, then ``x-hookbus-inbound-id``, ``x-hookbus-source-id`` and ``x-hookbus-route-id``;
- body: the received bytes, unchanged, so the destination can check the provider's signature.

Nothing is signed by hookbus; the route's ``headers`` authenticate it. Routes have no health
and no ``enabled`` flag: a ``410`` only stops the retries of that delivery.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from services.dispatcher.attempt import DEFAULT_TIMEOUT_MS, Tried
from services.dispatcher.exchange import Exchange
from services.dispatcher.request import OutboundRequest, user_agent
from services.dispatcher.target import Unsendable
from shared import clock
from shared.contracts import Contract
from shared.ids import new_id
from shared.inbound import decode_body

if TYPE_CHECKING:
    from services.dispatcher.kafka_out import Outgoing

Object = dict[str, Any]
# RFC 9110 7.6.1: these describe one connection or the framing, never the message.
HOP_BY_HOP = frozenset(
    {
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "upgrade",
        "expect",
    }
)
INBOUND_ID, SOURCE_ID, ROUTE_ID = (
    "x-hookbus-inbound-id",
    "x-hookbus-source-id",
    "x-hookbus-route-id",
)


def forward_url(url: str, query: str) -> str:
    """``url`` with ``query`` (raw, without ``?``) appended, before any fragment."""
    if not query:
        return url
    base, hash_, fragment = url.partition("#")
    joint = "&" if "?" in base else "?"
    if base.endswith(("?", "&")):
        joint = ""
    return f"{base}{joint}{query}{hash_}{fragment}"


def forward_headers(
    received: dict[str, str], extra: dict[str, str], delivery: Object
) -> dict[str, str]:
    """The headers of the forwarded request (names lowercased, as received)."""
    named = received.get("connection", "")
    dropped = HOP_BY_HOP | {token.strip().lower() for token in named.split(",") if token.strip()}
    headers = {name: value for name, value in received.items() if name not in dropped}
    headers.setdefault("user-agent", user_agent())
    for name, value in extra.items():
        if name.lower() not in HOP_BY_HOP:
            headers[name.lower()] = value
    headers[INBOUND_ID] = delivery["inbound_id"]
    headers[SOURCE_ID] = delivery["source_id"]
    headers[ROUTE_ID] = delivery["route_id"]
    return headers


class RouteTarget:
    """``delivery`` (contracts/route_delivery.v1) to ``route``'s HTTP destination as it is now."""

    delivery_contract: Contract = Contract.ROUTE_DELIVERY
    endpoint: Object | None = None
    blocked: str | None = None
    ordered: bool = False

    def __init__(self, delivery: Object, route: Object) -> None:
        self._delivery, self._destination = delivery, route["destination"]
        self.key = str(route["id"])
        self.ids = {
            "delivery_id": delivery["id"],
            "route_id": self.key,
            "inbound_id": delivery["inbound_id"],
        }
        self.timeout_ms = int(self._destination.get("timeout_ms") or DEFAULT_TIMEOUT_MS)

    def request(self, now: datetime) -> OutboundRequest:
        """The forwarded request; raise :class:`Unsendable` when the stored body is garbled."""
        received = self._delivery["request"]
        try:
            body = decode_body(received["body"], received["body_encoding"])
        except ValueError as exc:
            raise Unsendable(str(exc)) from exc
        headers = forward_headers(
            received["headers"], self._destination.get("headers") or {}, self._delivery
        )
        url = forward_url(self._destination["url"], received["query"])
        return OutboundRequest(url, headers, body, received["method"])

    def unsent(self, reason: str) -> Tried:
        """A try that sent nothing, failed for ``reason``."""
        received = self._delivery["request"]
        url = forward_url(self._destination["url"], received["query"])
        request = OutboundRequest(url, {}, b"", received["method"])
        return Tried(self._delivery, request, Exchange(None, {}, "", reason), clock.now(), 0)

    def attempt_record(self, tried: Tried, outcome: str) -> tuple[Object, Contract]:
        """The contracts/route_attempt.v1 record of ``tried``."""
        delivery, exchange = self._delivery, tried.exchange
        response = None
        if exchange.status is not None:
            response = {
                "status": exchange.status,
                "headers": exchange.headers,
                "body": exchange.body,
            }
        record = {
            "v": 1,
            "kind": "route_attempt",
            "id": new_id("atm"),
            **{name: delivery[name] for name in ("inbound_id", "source_id", "route_id")},
            "delivery_id": delivery["id"],
            "attempt": delivery["attempt"],
            "timestamp": clock.iso(tried.started),
            "duration_ms": max(0, tried.duration_ms),
            "request": {
                "url": tried.request.url,
                "method": tried.request.method,
                "headers": tried.request.headers,
                "body": delivery["request"]["body"],
                "body_encoding": delivery["request"]["body_encoding"],
            },
            "response": response,
            "error": exchange.error,
            "outcome": outcome,
        }
        return record, Contract.ROUTE_ATTEMPT

    def follow_ups(self, tried: Tried, outcome: str) -> list[Outgoing]:
        """Nothing else yet."""
        return []
