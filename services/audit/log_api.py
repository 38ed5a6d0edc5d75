"""The internal log API the public ingress forwards reads to.

Ids are canonical (``app_...``, ``ep_...``): the ingress resolves ``uid`` s before forwarding.
Every ``/v1`` route needs ``Authorization: Bearer <admin token>``. Lists answer
``{"data": [...], "next_cursor": str|null}``, newest first.

Attempt ``status`` filter: ``succeeded`` = outcome succeeded; ``failed`` = outcome failed or
exhausted; ``pending`` = outcome retrying (a retry is scheduled).
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from fastapi import APIRouter

from services.audit import queries
from services.audit.dead_letter_ids import parse_dead_letter_id
from services.audit.hub import HubDep
from services.audit.objects import dead_letter_object
from services.audit.paging import answer
from services.audit.params import TIME_KEY, Limit, bound
from shared.cursors import DEFAULT_LIMIT, decode_cursor
from shared.errors import NotFound
from shared.json_response import OrjsonResponse

STATUS_OUTCOMES = {
    "succeeded": ("succeeded",),
    "failed": ("failed", "exhausted"),
    "pending": ("retrying",),
}
DEAD_KEY = (int, str, int, int)
Status = Literal["succeeded", "failed", "pending"]
api = APIRouter(prefix="/v1", tags=["logs"])


def _found(item: dict[str, Any] | None, what: str) -> OrjsonResponse:
    if item is None:
        raise NotFound(f"{what} not found")
    return OrjsonResponse(item)


@api.get("/apps/{app_id}/endpoints/{endpoint_id}/attempts")
async def endpoint_attempts(
    hub: HubDep,
    app_id: str,
    endpoint_id: str,
    status: Status | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> OrjsonResponse:
    """Attempts to one endpoint; see the module docstring for ``status``."""
    outcomes = None if status is None else STATUS_OUTCOMES[status]
    key = decode_cursor(cursor, TIME_KEY)
    page = await asyncio.to_thread(
        queries.list_attempts,
        hub.db,
        app_id,
        endpoint_id=endpoint_id,
        outcomes=outcomes,
        limit=limit,
        cursor=key,
    )
    return answer(page)


@api.get("/apps/{app_id}/attempts/{attempt_id}")
async def attempt(hub: HubDep, app_id: str, attempt_id: str) -> OrjsonResponse:
    """One attempt; 404 when unknown or another app's."""
    found = await asyncio.to_thread(queries.get_attempt, hub.db, app_id, attempt_id)
    return _found(found, "attempt")


@api.get("/apps/{app_id}/messages")
async def message_list(
    hub: HubDep,
    app_id: str,
    event_type: str | None = None,
    channel: str | None = None,
    after: str | None = None,
    before: str | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> OrjsonResponse:
    """Messages; ``after``/``before`` bound their timestamp (both exclusive)."""
    since, until = bound("after", after), bound("before", before)
    key = decode_cursor(cursor, TIME_KEY)
    page = await asyncio.to_thread(
        queries.list_messages,
        hub.db,
        app_id,
        event_type=event_type,
        channel=channel,
        since_ms=since,
        until_ms=until,
        limit=limit,
        cursor=key,
    )
    return answer(page)


@api.get("/apps/{app_id}/messages/{message_id}")
async def message(hub: HubDep, app_id: str, message_id: str) -> OrjsonResponse:
    """One message, or 404."""
    return _found(
        await asyncio.to_thread(queries.get_message, hub.db, app_id, message_id), "message"
    )


@api.get("/apps/{app_id}/messages/{message_id}/attempts")
async def message_attempts(
    hub: HubDep,
    app_id: str,
    message_id: str,
    limit: Limit = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> OrjsonResponse:
    """Every attempt to deliver one message, to any endpoint; 404 when the app has no such
    message (another app's included), as every other read."""
    key = decode_cursor(cursor, TIME_KEY)
    if await asyncio.to_thread(queries.get_message, hub.db, app_id, message_id) is None:
        raise NotFound("message not found", {"message": message_id})
    page = await asyncio.to_thread(
        queries.list_attempts, hub.db, app_id, message_id=message_id, limit=limit, cursor=key
    )
    return answer(page)


@api.get("/apps/{app_id}/endpoints/{endpoint_id}/stats")
async def stats(hub: HubDep, app_id: str, endpoint_id: str) -> OrjsonResponse:
    """Attempt counts by outcome and the last success and failure of one endpoint."""
    return OrjsonResponse(
        await asyncio.to_thread(queries.endpoint_stats, hub.db, app_id, endpoint_id)
    )


@api.get("/dead-letters")
async def dead_letter_list(
    hub: HubDep,
    kind: Literal["bad_record", "exhausted"] | None = None,
    after: str | None = None,
    before: str | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> OrjsonResponse:
    """Records no consumer could process and deliveries that exhausted their retries;
    ``after``/``before`` bound the time they were written (both exclusive)."""
    since, until = bound("after", after), bound("before", before)
    key = decode_cursor(cursor, DEAD_KEY)
    page = await asyncio.to_thread(
        queries.list_dead_letters,
        hub.db,
        kind=kind,
        since_ms=since,
        until_ms=until,
        limit=limit,
        cursor=key,
    )
    return answer(page)


@api.get("/dead-letters/{dead_letter_id}")
async def dead_letter(hub: HubDep, dead_letter_id: str) -> OrjsonResponse:
    """One dead letter, or 404."""
    place = parse_dead_letter_id(dead_letter_id)
    row = None if place is None else await asyncio.to_thread(queries.dead_letter_row, hub.db, place)
    if row is None:
        raise NotFound("dead letter not found", {"dead_letter": dead_letter_id})
    return OrjsonResponse(dead_letter_object(row))
