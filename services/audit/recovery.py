"""Resend and recover, the audit side: look up what to deliver again, produce new deliveries.

Audit never calls an endpoint: it produces delivery records to the deliveries topic, and the
dispatcher attempts them like any other (signed afresh, retried, logged). Each call answers
202 only after Kafka acknowledged every record it produced.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaProducer
from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from services.audit import redelivery
from services.audit.params import moment
from services.audit.store import Store
from shared.contracts import Contract, encode
from shared.errors import KafkaUnavailable, NotFound
from shared.http_errors import error_response
from shared.json_response import OrjsonResponse
from shared.kafka_io import send
from shared.topics import Topic, physical

CHUNK = 500


class ResendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    config_offset: int = Field(default=0, ge=0)


class RecoverIn(ResendIn):
    since: str


def recovery_routes(store: Store, producer: AIOKafkaProducer, prefix: str) -> APIRouter:
    """``POST .../resend`` and ``POST .../recover`` over ``store``, producing with ``producer``."""
    db, topic = store.engine, physical(prefix, Topic.DELIVERIES)
    router = APIRouter(prefix="/v1/apps/{app_id}", tags=["recovery"])

    async def produce(deliveries: list[dict[str, Any]]) -> OrjsonResponse | None:
        """Produce every delivery; an error answer when Kafka did not acknowledge them all."""
        try:
            for start in range(0, len(deliveries), CHUNK):
                chunk = deliveries[start : start + CHUNK]
                await asyncio.gather(
                    *(
                        send(producer, topic, d["endpoint_id"], encode(Contract.DELIVERY, d))
                        for d in chunk
                    )
                )
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
        failed = await produce([redelivery.delivery_from(row, offset)])
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
        deliveries = [redelivery.delivery_from(row, body.config_offset) for row in rows]
        failed = await produce(deliveries)
        return failed or OrjsonResponse({"count": len(deliveries)}, status_code=202)

    return router
