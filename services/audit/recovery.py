"""Resend and recover, the audit side: look up what to deliver again, produce new deliveries.

Audit never calls an endpoint: it produces delivery records to the deliveries topic, and the
dispatcher attempts them like any other (signed afresh, retried, logged); a message whose
transform failed goes to the router again as an event (:mod:`.redelivery`). Each call answers
202 only after Kafka acknowledged every record it produced.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, NamedTuple

from aiokafka import AIOKafkaProducer
from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from services.audit import queries, redelivery
from services.audit.params import moment
from services.audit.store import Store
from shared.contracts import Contract, encode
from shared.errors import KafkaUnavailable, NotFound
from shared.http_errors import error_response
from shared.json_response import OrjsonResponse
from shared.kafka_io import send
from shared.topics import Topic, physical

CHUNK = 500


class Redo(NamedTuple):
    """One record to produce: topic, key and encoded value."""

    topic: str
    key: str
    value: bytes


class ResendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    config_offset: int = Field(default=0, ge=0)


class RecoverIn(ResendIn):
    since: str


def recovery_routes(store: Store, producer: AIOKafkaProducer, prefix: str) -> APIRouter:
    """``POST .../resend`` and ``POST .../recover`` over ``store``, producing with ``producer``."""
    db = store.engine
    deliveries_topic = physical(prefix, Topic.DELIVERIES)
    events_topic = physical(prefix, Topic.EVENTS)
    router = APIRouter(prefix="/v1/apps/{app_id}", tags=["recovery"])

    def again(row: Mapping[Any, Any], offset: int) -> Redo:
        """The record that delivers ``row``'s message to its endpoint once more."""
        if redelivery.unrendered(row):
            message = queries.get_message(db, row["app_id"], row["message_id"])
            if message is not None:
                event = redelivery.event_for(message, row["app_id"], row["endpoint_id"], offset)
                return Redo(events_topic, row["app_id"], encode(Contract.EVENT, event))
        record = redelivery.delivery_from(row, offset)
        return Redo(deliveries_topic, row["endpoint_id"], encode(Contract.DELIVERY, record))

    async def produce(redos: list[Redo]) -> OrjsonResponse | None:
        """Produce every record; an error answer when Kafka did not acknowledge them all."""
        try:
            for start in range(0, len(redos), CHUNK):
                chunk = redos[start : start + CHUNK]
                await asyncio.gather(*(send(producer, *redo) for redo in chunk))
        except KafkaUnavailable:
            return error_response(503, "kafka_unavailable", "Kafka is unavailable; retry the call")
        return None

    @router.post("/messages/{message_id}/endpoints/{endpoint_id}/resend", status_code=202)
    async def resend(
        app_id: str, message_id: str, endpoint_id: str, body: ResendIn | None = None
    ) -> OrjsonResponse:
        """Deliver the message to the endpoint once more; 404 when it was never sent there."""
        row = await asyncio.to_thread(redelivery.last_attempt, db, app_id, message_id, endpoint_id)
        if row is None:
            raise NotFound(
                "this message was never sent to this endpoint",
                {"message_id": message_id, "endpoint_id": endpoint_id},
            )
        offset = body.config_offset if body else 0
        failed = await produce([await asyncio.to_thread(again, row, offset)])
        return failed or OrjsonResponse(
            {"message_id": message_id, "endpoint_id": endpoint_id}, status_code=202
        )

    @router.post("/endpoints/{endpoint_id}/recover", status_code=202)
    async def recover(app_id: str, endpoint_id: str, body: RecoverIn) -> OrjsonResponse:
        """Deliver again every message whose delivery to the endpoint ended failed since."""
        since_ms = moment("since", body.since)
        rows = await asyncio.to_thread(
            redelivery.ended_failed_since, db, app_id, endpoint_id, since_ms
        )
        redos = await asyncio.to_thread(lambda: [again(row, body.config_offset) for row in rows])
        failed = await produce(redos)
        return failed or OrjsonResponse({"count": len(redos)}, status_code=202)

    return router
