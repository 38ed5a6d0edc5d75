"""One attempt of one delivery: send the signed request and describe what happened.

The steps are small so the retry tiers can plug in where the outcome is decided:
:func:`classify` says what the answer means, :func:`decide_next` says what follows from it.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from services.dispatcher.exchange import Exchange, post
from services.dispatcher.request import NoSigningSecret, OutboundRequest, build_request, user_agent
from shared import clock
from shared.destinations import check_destination
from shared.errors import ApiError
from shared.ids import new_id
from shared.settings import Settings

DEFAULT_TIMEOUT_MS = 15000


def classify(status: int | None) -> str:
    """``succeeded`` for a 2xx answer; ``failed`` for any other answer or none at all."""
    return "succeeded" if status is not None and 200 <= status < 300 else "failed"


def decide_next(outcome: str, delivery: dict[str, Any], settings: Settings) -> str:
    """The attempt's final outcome, given what :func:`classify` said.

    This is where retry tiers plug in: a failed attempt with schedule steps left will become
    ``retrying`` (its delivery produced to the next ``retry.<delay>`` topic), one past the last
    step ``exhausted`` (dead-lettered). Until then a failure is final.
    """
    return outcome


def attempt_record(
    delivery: dict[str, Any],
    request: OutboundRequest,
    exchange: Exchange,
    started: str,
    duration_ms: int,
    outcome: str,
) -> dict[str, Any]:
    """The ``attempts`` record (contracts/attempt.v1) of one try."""
    response = None
    if exchange.status is not None:
        response = {"status": exchange.status, "headers": exchange.headers, "body": exchange.body}
    return {
        "v": 1,
        "id": new_id("atm"),
        "delivery_id": delivery["id"],
        "message_id": delivery["message_id"],
        "app_id": delivery["app_id"],
        "endpoint_id": delivery["endpoint_id"],
        "event_type": delivery["event_type"],
        "attempt": delivery["attempt"],
        "timestamp": started,
        "duration_ms": max(0, duration_ms),
        "request": {
            "url": request.url,
            "method": "POST",
            "headers": request.headers,
            "body": delivery["body"],
        },
        "response": response,
        "error": exchange.error,
        "outcome": outcome,
    }


def _unsigned(delivery: dict[str, Any], endpoint: dict[str, Any]) -> OutboundRequest:
    headers = {"content-type": delivery["content_type"], "user-agent": user_agent()}
    return OutboundRequest(endpoint["url"], headers, delivery["body"].encode("utf-8"))


async def _refusal(url: str, allow_private: bool, timeout_ms: int) -> str | None:
    """Why ``url`` may not be called (bad URL, private address), or None when it may."""
    try:
        async with asyncio.timeout(timeout_ms / 1000):
            await check_destination(url, allow_private)
    except TimeoutError:
        return f"timeout after {timeout_ms} ms resolving the destination"
    except ApiError as exc:
        return exc.message
    return None


async def attempt(
    client: httpx.AsyncClient,
    delivery: dict[str, Any],
    endpoint: dict[str, Any],
    settings: Settings,
) -> dict[str, Any]:
    """Make one attempt of ``delivery`` to ``endpoint`` now; return its attempt record.

    Blocks for at most about the endpoint's ``timeout_ms`` (DNS check, then the exchange).
    Network trouble and refusals are recorded in the attempt, never raised.
    """
    moment = clock.now()
    started = time.monotonic()
    timeout_ms = int(endpoint.get("timeout_ms") or DEFAULT_TIMEOUT_MS)
    try:
        request = build_request(delivery, endpoint, moment, settings.secret_keys)
        refusal = await _refusal(request.url, settings.allow_private_destinations, timeout_ms)
    except NoSigningSecret as exc:
        request, refusal = _unsigned(delivery, endpoint), str(exc)
    if refusal is None:
        exchange = await post(client, request, timeout_ms)
    else:
        exchange = Exchange(None, {}, "", refusal)
    duration_ms = int((time.monotonic() - started) * 1000)
    outcome = decide_next(classify(exchange.status), delivery, settings)
    return attempt_record(delivery, request, exchange, clock.iso(moment), duration_ms, outcome)
