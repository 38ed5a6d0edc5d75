"""The internal pages live streams are made of; the ingress polls them and serves the SSE.

``GET /v1/streams/apps/{app_id}`` (messages and attempts of one app) and
``GET /v1/streams/inbound`` (received requests, ``?source_id=``) answer
``{"events": [{event, id, data}], "position": str, "more": bool}``: the events stored after
``?position=`` (absent: after everything stored now, so the first page is empty).
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter
from sqlalchemy import Engine

from services.audit import changes
from services.audit.changes import ATTEMPTS, INBOUND, MESSAGES, Log
from services.audit.hub import HubDep
from shared.json_response import OrjsonResponse

APP_LOGS = (MESSAGES, ATTEMPTS)
INBOUND_LOGS = (INBOUND,)
api = APIRouter(prefix="/v1/streams", tags=["streams"])


def _page(
    db: Engine, logs: tuple[Log, ...], where: dict[str, str], position: str | None
) -> dict[str, Any]:
    if position is None:
        start = changes.now(db, logs, where)
        return {"events": [], "position": changes.encode_position(start), "more": False}
    at = changes.decode_position(position, logs)
    events, after, more = changes.changes(db, logs, where, at)
    return {"events": events, "position": changes.encode_position(after), "more": more}


@api.get("/apps/{app_id}")
async def app_page(hub: HubDep, app_id: str, position: str | None = None) -> OrjsonResponse:
    """Messages and attempts of ``app_id`` stored after ``position``."""
    where = {"app_id": app_id}
    return OrjsonResponse(await asyncio.to_thread(_page, hub.db, APP_LOGS, where, position))


@api.get("/inbound")
async def inbound_page(
    hub: HubDep, source_id: str | None = None, position: str | None = None
) -> OrjsonResponse:
    """Received requests (of one source) stored after ``position``."""
    where = {} if source_id is None else {"source_id": source_id}
    return OrjsonResponse(await asyncio.to_thread(_page, hub.db, INBOUND_LOGS, where, position))
