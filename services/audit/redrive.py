"""Redriving a dead letter: the exhausted delivery it holds is produced again as a new first
attempt (a new delivery id, the whole retry schedule), for the dispatcher to try like any other.

Only ``exhausted`` dead letters hold a delivery; a ``bad_record`` one holds a record no consumer
could read, which sending again would only dead-letter again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import orjson
from aiokafka import AIOKafkaProducer
from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from services.audit import queries
from services.audit.dead_letter_ids import parse_dead_letter_id
from services.audit.store import Store
from shared import clock
from shared.contracts import Contract, encode, problems
from shared.errors import Conflict, NotFound
from shared.ids import new_id
from shared.json_response import OrjsonResponse
from shared.kafka_io import send
from shared.topics import Topic, physical


class RedriveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    config_offset: int = Field(default=0, ge=0)


def fresh_delivery(
    row: Mapping[Any, Any], config_offset: int
) -> tuple[Contract, str, dict[str, Any]]:
    """The contract, key and record that deliver ``row``'s exhausted delivery again; raise
    :class:`Conflict` when the dead letter holds none that can be sent."""
    if row["kind"] != "exhausted":
        raise Conflict("only exhausted deliveries can be redriven", {"kind": row["kind"]})
    try:
        original = orjson.loads(row["record"])
    except orjson.JSONDecodeError:
        original = None
    contract = Contract.ROUTE_DELIVERY if _is_route(original) else Contract.DELIVERY
    if not isinstance(original, dict) or problems(contract, original):
        raise Conflict("this dead letter's delivery cannot be read back (cut short or erased)")
    record = {key: value for key, value in original.items() if key != "reply_to"}
    record.update(
        id=new_id("dlv"),
        attempt=1,
        created_at=clock.iso(),
        due_at=None,
        config_offset=max(config_offset, int(original.get("config_offset", 0))),
    )
    key = record["route_id"] if contract is Contract.ROUTE_DELIVERY else record["endpoint_id"]
    return contract, str(key), record


def _is_route(original: Any) -> bool:
    return isinstance(original, dict) and original.get("kind") == "route"


def redrive_routes(store: Store, producer: AIOKafkaProducer, prefix: str) -> APIRouter:
    """``POST /v1/dead-letters/{id}/redrive``, producing with ``producer``."""
    router = APIRouter(prefix="/v1/dead-letters", tags=["dead letters"])
    deliveries = physical(prefix, Topic.DELIVERIES)

    @router.post("/{dead_letter_id}/redrive", status_code=202)
    async def redrive(dead_letter_id: str, body: RedriveIn | None = None) -> OrjsonResponse:
        """Send the exhausted delivery again; 404 unknown, 409 not an exhausted delivery."""
        place = parse_dead_letter_id(dead_letter_id)
        row = None
        if place is not None:
            row = await asyncio.to_thread(queries.dead_letter_row, store.engine, place)
        if row is None:
            raise NotFound("dead letter not found", {"dead_letter": dead_letter_id})
        contract, key, record = fresh_delivery(row, body.config_offset if body else 0)
        await send(producer, deliveries, key, encode(contract, record))
        answer = {"id": dead_letter_id, "delivery_id": record["id"]}
        return OrjsonResponse(answer, status_code=202)

    return router
