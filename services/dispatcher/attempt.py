"""One attempt of one delivery to its target: send the request and describe what happened.

:func:`attempt` only tries; what follows from the answer (retry, disable, dead letter) is the
handler's decision, and the target writes the attempt record once it is made (for an
endpoint, :meth:`Tried.record`).
"""

from __future__ import annotations

import ipaddress
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from services.dispatcher.exchange import Exchange, Send
from services.dispatcher.request import OutboundRequest, user_agent
from services.dispatcher.target import Unsendable
from shared import clock
from shared.contracts import Contract, encode
from shared.destinations import check_url_syntax, is_private
from shared.errors import ApiError
from shared.ids import new_id
from shared.inbound import BASE64
from shared.record_fit import fit_text
from shared.secret_headers import masked
from shared.settings import Settings

if TYPE_CHECKING:
    from services.dispatcher.target import Target

DEFAULT_TIMEOUT_MS = 15000
log = logging.getLogger(__name__)


def classify(status: int | None) -> str:
    """``succeeded`` for a 2xx answer; ``failed`` for any other answer or none at all."""
    return "succeeded" if status is not None and 200 <= status < 300 else "failed"


@dataclass(frozen=True)
class Tried:
    """What one attempt sent and got back, and when it started and how long it took."""

    delivery: dict[str, Any]
    request: OutboundRequest
    exchange: Exchange
    started: datetime
    duration_ms: int

    @property
    def outcome(self) -> str:
        """What the answer means by itself: ``succeeded`` or ``failed``."""
        return classify(self.exchange.status)

    def record(self, outcome: str) -> dict[str, Any]:
        """The ``attempts`` record (contracts/attempt.v1) of this try of an endpoint delivery,
        with its final outcome."""
        exchange, delivery = self.exchange, self.delivery
        return {
            "v": 1,
            "id": new_id("atm"),
            "delivery_id": delivery["id"],
            "message_id": delivery["message_id"],
            "app_id": delivery["app_id"],
            "endpoint_id": delivery["endpoint_id"],
            "event_type": delivery["event_type"],
            "attempt": delivery["attempt"],
            "timestamp": clock.iso(self.started),
            "duration_ms": max(0, self.duration_ms),
            "request": {
                "url": self.request.url,
                "method": "POST",
                "headers": masked(self.request.headers),  # the log never holds credentials
                "body": delivery["body"],
            },
            "response": exchange.response_record(),
            "error": exchange.error,
            "outcome": outcome,
        }


def fitted(record: dict[str, Any], contract: Contract, ids: dict[str, str]) -> bytes:
    """The attempt ``record`` encoded to its ``contract``, with the copy of the request body
    cut short when the whole would not fit a Kafka record (the delivery keeps the full body)."""
    request = record["request"]
    body: str = request["body"]
    step = 4 if request.get("body_encoding") == BASE64 else 1  # base64 stays decodable

    def with_body(text: str) -> bytes:
        return encode(contract, {**record, "request": {**request, "body": text}})

    value, kept = fit_text(with_body, body, step=step)
    if kept < len(body):
        log.warning("attempt's request body cut in the log", extra={**ids, "kept": kept})
    return value


def unsent(delivery: dict[str, Any], endpoint: dict[str, Any], reason: str) -> Tried:
    """A try that sent nothing (bad URL, no secret, endpoint disabled), failed for ``reason``."""
    headers = {"content-type": delivery["content_type"], "user-agent": user_agent()}
    request = OutboundRequest(endpoint["url"], headers, delivery["body"].encode("utf-8"))
    return Tried(delivery, request, Exchange.unsent(reason), clock.now(), 0)


def _refusal(url: str, allow_private: bool) -> str | None:
    """Why ``url`` may not be called, known without DNS (bad URL, private IP literal)."""
    try:
        host = check_url_syntax(url)
    except ApiError as exc:
        return exc.message
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return None  # a name: the connection guard checks what it resolves to
    if not allow_private and is_private(host):
        return (
            f"destination {host} is a private address; set "
            "HOOKBUS_ALLOW_PRIVATE_DESTINATIONS=true to allow it"
        )
    return None


async def attempt(
    send: Send,
    delivery: dict[str, Any],
    target: Target,
    settings: Settings,
) -> Tried:
    """Make one attempt of ``delivery`` to ``target`` (an endpoint or a route) now, with
    ``send`` (:func:`.exchange.post` bound to a client, or :meth:`.fast_http.FastSender.post`).

    Blocks for at most about the target's ``timeout_ms``. Network trouble and refusals are
    described in the result, never raised.
    """
    moment = clock.now()
    started = time.monotonic()
    try:
        request = target.request(moment)
    except Unsendable as exc:
        return target.unsent(str(exc))
    refusal = _refusal(request.url, settings.allow_private_destinations)
    if refusal is None:
        exchange = await send(request, target.timeout_ms)
    else:
        exchange = Exchange.unsent(refusal)
    duration_ms = int((time.monotonic() - started) * 1000)
    return Tried(delivery, request, exchange, moment, duration_ms)
