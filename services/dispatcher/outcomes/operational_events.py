"""The dispatcher's part of operational webhooks (:mod:`shared.operational`): it disables
endpoints and sees deliveries exhausted, so it tells the operator.

``message.attempt.exhausted`` carries an id fixed by the delivery and its attempt number, so a
record handled again after a crash does not tell twice (an endpoint is disabled once per
change written, so ``endpoint.disabled`` needs no such id). Nothing is published about the
operational app's own endpoints.
"""

from __future__ import annotations

from aiokafka import AIOKafkaProducer

from services.dispatcher.outcomes.endpoint_health import GONE_REASON
from shared.operational import publish_operational
from shared.records import DeliveryRecord, JsonObject


def disable_reason(change: JsonObject) -> str:
    """``gone`` (the endpoint answered 410) or ``failing`` (no success for too long)."""
    return "gone" if change.get("disabled_reason") == GONE_REASON else "failing"


class OperationalEvents:
    """Publishes ``endpoint.disabled`` and ``message.attempt.exhausted`` on the events topic."""

    def __init__(self, producer: AIOKafkaProducer, events_topic: str) -> None:
        self._producer = producer
        self._topic = events_topic

    async def endpoint_disabled(self, app_id: str, endpoint_id: str, change: JsonObject) -> None:
        """The dispatcher just disabled ``endpoint_id`` with ``change``; never raises."""
        data = {
            "app_id": app_id,
            "endpoint_id": endpoint_id,
            "reason": disable_reason(change),
            "detail": change.get("disabled_reason"),
        }
        await publish_operational(self._producer, self._topic, "endpoint.disabled", data)

    async def attempt_exhausted(self, delivery: DeliveryRecord, last_attempt_id: str) -> None:
        """``delivery``'s last attempt (``last_attempt_id``) failed; never raises."""
        data = {
            "app_id": delivery["app_id"],
            "endpoint_id": delivery["endpoint_id"],
            "message_id": delivery["message_id"],
            "last_attempt_id": last_attempt_id,
        }
        once = f"{delivery['id']}/{delivery['attempt']}"
        await publish_operational(
            self._producer, self._topic, "message.attempt.exhausted", data, once_key=once
        )
