"""The expunge call: erasing one message's payload and bodies (each app's ``retention`` is
applied by :mod:`.app_retention`).

An expunge is recorded on the tasks topic first (keyed by app id), so it is durable and a log
rebuilt from Kafka erases the message again, then carried out in the database before the call
answers ``204``.
"""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, Response

from services.audit import queries
from services.audit.erasure import expunge_message
from services.audit.hub import HubDep
from shared import clock
from shared.contracts import encode_task
from shared.errors import NotFound
from shared.kafka_io import send
from shared.records import TaskRecord
from shared.topics import Topic, physical

log = logging.getLogger(__name__)
api = APIRouter(prefix="/v1/apps/{app_id}", tags=["erasure"])


@api.post("/messages/{message_id}/expunge", status_code=204)
async def expunge(hub: HubDep, app_id: str, message_id: str) -> Response:
    """Erase the message's payload and every body logged for it; 404 when unknown."""
    found = await asyncio.to_thread(queries.get_message, hub.db, app_id, message_id)
    if found is None:
        raise NotFound("message not found", {"message": message_id})
    at = clock.iso()
    record: TaskRecord = {"v": 1, "type": "expunge", "id": message_id, "app_id": app_id, "at": at}
    await send(hub.writer, physical(hub.prefix, Topic.TASKS), app_id, encode_task(record))
    await asyncio.to_thread(expunge_message, hub.db, app_id, message_id, at)
    log.info("message expunged", extra={"app_id": app_id, "message_id": message_id})
    return Response(status_code=204)
