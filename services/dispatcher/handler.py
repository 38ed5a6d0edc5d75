"""What the dispatcher does with one ``deliveries`` record: decode, wait, attempt, record.

A record is done (its offset may be committed) once what it caused is durable in Kafka: its
attempt record, or its dead letter, was acknowledged; or it needs nothing (endpoint gone).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka import AIOKafkaProducer

from services.dispatcher.attempt import attempt
from services.dispatcher.clients import ClientPool
from shared.config_view import ConfigState, ConfigView
from shared.contracts import Contract, decode, encode
from shared.errors import BadRecord, KafkaUnavailable
from shared.kafka_io import dead_letter, send
from shared.settings import Settings
from shared.topics import Topic, physical

log = logging.getLogger(__name__)
ENDPOINT_CONCURRENCY = 8
MAX_BACKOFF_SECONDS = 5.0


def lane_limit(view: ConfigState, endpoint_id: str) -> int:
    """How many deliveries to ``endpoint_id`` may be in flight at once.

    Ordered endpoints get one, so they receive in offset order; so does an endpoint the view
    does not know (yet), because it might be an ordered one whose creation is still on its way.
    """
    endpoint = view.get("endpoint", endpoint_id)
    if endpoint is None or endpoint.get("ordered"):
        return 1
    return ENDPOINT_CONCURRENCY


async def persistently(step: Callable[[], Awaitable[Any]], what: str, ids: dict[str, str]) -> Any:
    """Run ``step`` until Kafka stops being unavailable, backing off; cancellation ends it.

    The record stays uncommitted meanwhile, so nothing is lost if the process stops here.
    """
    delay = 0.1
    while True:
        try:
            return await step()
        except KafkaUnavailable as exc:
            log.warning("%s failed, retrying", what, extra={**ids, "error": str(exc)})
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_BACKOFF_SECONDS)


class DeliveryHandler:
    """Processes one consumer record of the deliveries topic; ``await handler(record)``.

    Blocks on the config barrier, the HTTP attempt and Kafka acknowledgements; raises only on
    bugs (the scheduler keeps such a record uncommitted and stops the service).
    """

    def __init__(
        self,
        settings: Settings,
        view: ConfigView,
        producer: AIOKafkaProducer,
        clients: ClientPool,
    ) -> None:
        self._settings = settings
        self._view = view
        self._producer = producer
        self._clients = clients
        self._attempts = physical(settings.topic_prefix, Topic.ATTEMPTS)
        self._dead = physical(settings.topic_prefix, Topic.DEAD)

    async def __call__(self, record: Any) -> None:
        delivery = await self._decode(record)
        if delivery is None:
            return
        endpoint = await self._endpoint(delivery)
        if endpoint is None:
            return
        async with self._clients.client(endpoint["id"]) as client:
            result = await attempt(client, delivery, endpoint, self._settings)
        value = encode(Contract.ATTEMPT, result)
        ids = {"delivery_id": delivery["id"], "endpoint_id": delivery["endpoint_id"]}
        await persistently(
            lambda: send(self._producer, self._attempts, delivery["endpoint_id"], value),
            "recording the attempt",
            ids,
        )
        log.info("attempt recorded", extra={**ids, "outcome": result["outcome"]})

    async def _decode(self, record: Any) -> dict[str, Any] | None:
        """The delivery, or None after dead-lettering a record that breaks its contract."""
        try:
            return decode(Contract.DELIVERY, record.value)
        except BadRecord as exc:
            origin = (record.topic, record.partition, record.offset, record.key, record.value)
            value = dead_letter(exc.reason, *origin, "dispatcher")
            key = None if record.key is None else record.key.decode("utf-8", "replace")
            where = {"topic": record.topic, "partition": record.partition, "offset": record.offset}
            await persistently(
                lambda: send(self._producer, self._dead, key, value), "dead-lettering", where
            )
            log.warning("bad delivery record dead-lettered", extra={**where, "reason": exc.reason})
            return None

    async def _endpoint(self, delivery: dict[str, Any]) -> dict[str, Any] | None:
        """The endpoint as configured once the view has read what the delivery's writer saw.

        None (after logging) when the endpoint was deleted or is disabled: nothing to send.
        """
        ids = {"delivery_id": delivery["id"], "endpoint_id": delivery["endpoint_id"]}
        offset = int(delivery.get("config_offset", 0))
        await persistently(
            lambda: self._view.wait_for_writer(offset), "waiting for configuration", ids
        )
        endpoint = self._view.get("endpoint", delivery["endpoint_id"])
        if endpoint is None:
            log.info("endpoint deleted, delivery skipped", extra=ids)
        elif not endpoint.get("enabled", True):
            log.info("endpoint disabled, delivery skipped", extra=ids)
            return None
        return endpoint
