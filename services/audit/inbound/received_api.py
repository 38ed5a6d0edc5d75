"""The received log's internal API, which the ingress forwards ``/v1/inbound`` reads to.

``?status=`` is ``accepted``, ``rejected``, ``ignored`` or ``duplicate``; ``after``/``before``
bound the time a request was received (both exclusive). Lists are newest first.
"""

from __future__ import annotations

import asyncio
from typing import Literal

from fastapi import APIRouter

from services.audit.hub import HubDep
from services.audit.inbound import queries as inbound_queries
from services.audit.paging import answer
from services.audit.params import TIME_KEY, Limit, bound
from shared.cursors import DEFAULT_LIMIT, decode_cursor
from shared.errors import NotFound
from shared.json_response import OrjsonResponse

Status = Literal["accepted", "rejected", "ignored", "duplicate"]
api = APIRouter(prefix="/v1/inbound", tags=["received log"])


@api.get("")
async def received(
    hub: HubDep,
    source_id: str | None = None,
    status: Status | None = None,
    after: str | None = None,
    before: str | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> OrjsonResponse:
    """Received requests with their routes' outcomes, newest first."""
    since, until = bound("after", after), bound("before", before)
    page = await asyncio.to_thread(
        inbound_queries.list_inbound,
        hub.db,
        source_id=source_id,
        status=status,
        since_ms=since,
        until_ms=until,
        limit=limit,
        cursor=decode_cursor(cursor, TIME_KEY),
    )
    return answer(page)


@api.get("/{inbound_id}")
async def one(hub: HubDep, inbound_id: str) -> OrjsonResponse:
    """One received request, or 404."""
    found = await asyncio.to_thread(inbound_queries.get_inbound, hub.db, inbound_id)
    if found is None:
        raise NotFound("inbound request not found", {"inbound": inbound_id})
    return OrjsonResponse(found)


@api.get("/{inbound_id}/attempts")
async def attempts(
    hub: HubDep, inbound_id: str, limit: Limit = DEFAULT_LIMIT, cursor: str | None = None
) -> OrjsonResponse:
    """The HTTP forwarding attempts of one received request, newest first; 404 when no
    such request was received."""
    cursor_key = decode_cursor(cursor, TIME_KEY)
    if await asyncio.to_thread(inbound_queries.get_inbound, hub.db, inbound_id) is None:
        raise NotFound("inbound request not found", {"inbound": inbound_id})
    page = await asyncio.to_thread(
        inbound_queries.list_route_attempts,
        hub.db,
        inbound_id,
        limit=limit,
        cursor=cursor_key,
    )
    return answer(page)
