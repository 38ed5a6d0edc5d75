"""One attempt of one delivery to its target: send the request and describe what happened.

:func:`attempt` only tries; what follows from the answer (retry, disable, dead letter) is the
handler's decision, and the target writes the attempt record once it is made
(:meth:`.target.Target.attempt_record`).
"""

from __future__ import annotations

import ipaddress
import time

from services.dispatcher.deliveries import Delivery
from services.dispatcher.targets.exchange import Exchange, Send
from services.dispatcher.targets.request import OutboundRequest, user_agent
from services.dispatcher.targets.target import Target, Unsendable
from services.dispatcher.targets.tried import Tried
from shared import clock
from shared.destinations import check_url_syntax, is_private
from shared.errors import ApiError
from shared.records import DeliveryRecord, JsonObject
from shared.settings import Settings

DEFAULT_TIMEOUT_MS = 15000


def unsent(delivery: DeliveryRecord, endpoint: JsonObject, reason: str) -> Tried:
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
    delivery: Delivery,
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
