"""Resend and recover, the audit side: look up what to deliver again, produce new deliveries.

A resend produces its one record before answering. A recovery is a background task
(:mod:`.task_worker`): the call counts the messages to deliver again, produces the task's
request and answers ``{count, task_id}``; the task then sends them page by page. Each call
answers 202 only after Kafka acknowledged what it produced.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from services.audit import redelivery, task_pages
from services.audit.hub import Hub, HubDep
from services.audit.params import moment
from services.audit.redo import again, produce
from services.audit.rows import epoch_ms
from services.audit.task_api import start_task
from shared import clock
from shared.errors import Conflict, NotFound
from shared.json_response import OrjsonResponse
from shared.records import TaskParams


class ResendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    config_offset: int = Field(default=0, ge=0)


class RecoverIn(ResendIn):
    since: str


api = APIRouter(prefix="/v1/apps/{app_id}", tags=["recovery"])
# A delivery's attempt reaches the log a moment after the receiver answered (audit gathers
# records for up to 100 ms): a resend that finds none looks again for this long before its 404,
# so "received it, now resend it" never fails.
SETTLE_S = 3.0
SETTLE_STEP_S = 0.05


@api.post("/messages/{message_id}/endpoints/{endpoint_id}/resend", status_code=202)
async def resend(
    hub: HubDep, app_id: str, message_id: str, endpoint_id: str, body: ResendIn | None = None
) -> OrjsonResponse:
    """Deliver the message to the endpoint once more; 404 when it was never sent there."""
    row = await _last_attempt(hub, app_id, message_id, endpoint_id)
    if row is None:
        raise NotFound(
            "this message was never sent to this endpoint",
            {"message_id": message_id, "endpoint_id": endpoint_id},
        )
    if row["expunged"]:
        raise Conflict("this delivery was erased; nothing is left to send", code="expunged")
    offset = body.config_offset if body else 0
    await produce(hub.writer, [await asyncio.to_thread(again, hub.db, hub.prefix, row, offset)])
    return OrjsonResponse({"message_id": message_id, "endpoint_id": endpoint_id}, status_code=202)


async def _last_attempt(
    hub: Hub, app_id: str, message_id: str, endpoint_id: str
) -> Mapping[Any, Any] | None:
    deadline = asyncio.get_running_loop().time() + SETTLE_S
    while True:
        row = await asyncio.to_thread(
            redelivery.last_attempt, hub.db, app_id, message_id, endpoint_id
        )
        if row is not None or asyncio.get_running_loop().time() >= deadline:
            return row
        await asyncio.sleep(SETTLE_STEP_S)


@api.post("/endpoints/{endpoint_id}/recover", status_code=202)
async def recover(hub: HubDep, app_id: str, endpoint_id: str, body: RecoverIn) -> OrjsonResponse:
    """Start a task delivering again every message whose delivery to the endpoint ended
    failed since ``since``; answers how many and the task's id."""
    moment("since", body.since)
    created_at = clock.iso()
    count = await asyncio.to_thread(
        task_pages.recover_total, hub.db, app_id, endpoint_id, body.since, epoch_ms(created_at)
    )
    params: TaskParams = {"endpoint_id": endpoint_id, "since": body.since, "total": count}
    task_id = await start_task(
        hub, "recover", app_id, params, created_at, config_offset=body.config_offset
    )
    return OrjsonResponse({"count": count, "task_id": task_id}, status_code=202)
