"""``POST /v1/dead-letters/{id}/redrive``: the exhausted delivery of a dead letter produced
again as a new first attempt (see :mod:`.redrive`); answers 202 once Kafka acknowledged it."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from services.audit import queries
from services.audit.dead_letter_ids import parse_dead_letter_id
from services.audit.hub import HubDep
from services.audit.redrive import fresh_delivery
from shared.contracts import encode
from shared.errors import NotFound
from shared.json_response import OrjsonResponse
from shared.kafka_io import send
from shared.topics import Topic, physical

api = APIRouter(prefix="/v1/dead-letters", tags=["dead letters"])


class RedriveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    config_offset: int = Field(default=0, ge=0)


@api.post("/{dead_letter_id}/redrive", status_code=202)
async def redrive(
    hub: HubDep, dead_letter_id: str, body: RedriveIn | None = None
) -> OrjsonResponse:
    """Send the exhausted delivery again; 404 unknown, 409 not an exhausted delivery."""
    place = parse_dead_letter_id(dead_letter_id)
    row = None
    if place is not None:
        row = await asyncio.to_thread(queries.dead_letter_row, hub.db, place)
    if row is None:
        raise NotFound("dead letter not found", {"dead_letter": dead_letter_id})
    contract, key, record = fresh_delivery(row, body.config_offset if body else 0)
    deliveries = physical(hub.prefix, Topic.DELIVERIES)
    await send(hub.writer, deliveries, key, encode(contract, record))
    answer = {"id": dead_letter_id, "delivery_id": record["id"]}
    return OrjsonResponse(answer, status_code=202)
