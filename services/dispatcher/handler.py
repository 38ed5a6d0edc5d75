"""What the dispatcher does with one delivery record: decode, wait, attempt, record, follow up.

A record is done (its offset may be committed) once what it caused is durable in Kafka: its
attempt record and its retry or dead letter were acknowledged; or it needs nothing (endpoint
gone). A record for a disabled endpoint is recorded as a failed attempt without a request, so
it shows in the log and can be recovered once the endpoint is enabled again.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka import AIOKafkaProducer

from services.dispatcher.attempt import Tried, attempt, unsent
from services.dispatcher.clients import ClientPool
from services.dispatcher.endpoint_health import Change, EndpointHealth
from services.dispatcher.endpoint_writer import EndpointWriter
from services.dispatcher.lanes import Job
from services.dispatcher.outcomes import GONE, Plan, plan
from services.dispatcher.retry_tiers import Retry, next_delivery, tier_for
from shared import clock
from shared.config_view import ConfigState, ConfigView
from shared.contracts import Contract, decode, encode
from shared.errors import BadRecord, KafkaUnavailable
from shared.kafka_io import dead_letter, send
from shared.settings import Settings
from shared.topics import Topic, physical, retry_topic

log = logging.getLogger(__name__)
ENDPOINT_CONCURRENCY = 8
# Queued records a slow endpoint keeps in memory before further ones are parked on a tier.
BACKLOG_PER_SLOT = 4
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


def backlog_limit(view: ConfigState, endpoint_id: str) -> int | None:
    """Queued records a slow endpoint keeps; None (never spill) for ordered or unknown ones."""
    endpoint = view.get("endpoint", endpoint_id)
    if endpoint is None or endpoint.get("ordered"):
        return None
    return ENDPOINT_CONCURRENCY * BACKLOG_PER_SLOT


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
    """Processes one job of the deliveries or a retry topic; ``await handler(job)``.

    Returns None when the job is done, or seconds after which its lane should run it again
    (an ordered endpoint's retry). Blocks on the config barrier, the HTTP attempt and Kafka
    acknowledgements; raises only on bugs (the record then stays uncommitted).
    """

    def __init__(
        self,
        settings: Settings,
        view: ConfigView,
        producer: AIOKafkaProducer,
        clients: ClientPool,
        writer: EndpointWriter | None = None,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self._settings, self._view, self._producer = settings, view, producer
        self._clients, self._writer, self._rng = clients, writer, rng
        self._health = EndpointHealth(settings.disable_after)
        self._attempts = physical(settings.topic_prefix, Topic.ATTEMPTS)
        self._dead = physical(settings.topic_prefix, Topic.DEAD)

    async def __call__(self, job: Job) -> float | None:
        delivery = job.state if job.state is not None else await self._decode(job.record)
        if delivery is None:
            return None
        endpoint = await self._endpoint(delivery)
        if endpoint is None:
            return None
        ids = {"delivery_id": delivery["id"], "endpoint_id": delivery["endpoint_id"]}
        if not endpoint.get("enabled", True):
            reason = endpoint.get("disabled_reason") or "disabled"
            tried = unsent(delivery, endpoint, f"endpoint disabled: {reason}")
            await self._produce([(self._attempts, tried.record("failed"), Contract.ATTEMPT)], ids)
            return None
        async with self._clients.client(endpoint["id"]) as client:
            tried = await attempt(client, delivery, endpoint, self._settings)
        now = clock.now()
        decided = plan(tried, bool(endpoint.get("ordered")), self._settings, self._rng, now)
        change = self._health_change(endpoint, tried)
        if change is not None and change.get("enabled") is False:
            decided = Plan("failed")  # disabled now: no retry of it or of anything after it
        await self._produce(self._records(job, tried, decided), ids)
        log.info("attempt recorded", extra={**ids, "outcome": decided.outcome})
        if change is not None:
            await self._update(endpoint["id"], change, ids)
        if decided.retry is not None and decided.tier is None:
            job.state = decided.retry
            return decided.delay
        return None

    def _records(self, job: Job, tried: Tried, decided: Plan) -> list[tuple[str, Any, Contract]]:
        """What the attempt leaves on Kafka: its record, and its retry or dead letter."""
        out: list[tuple[str, Any, Contract]] = [
            (self._attempts, tried.record(decided.outcome), Contract.ATTEMPT)
        ]
        if decided.retry is not None and decided.tier is not None:
            tier = physical(self._settings.topic_prefix, decided.tier)
            out.append((tier, decided.retry, Contract.DELIVERY))
        if decided.dead_reason is not None:
            record = job.record
            value = encode(Contract.DELIVERY, tried.delivery)
            origin = (record.topic, record.partition, record.offset, record.key, value)
            letter = dead_letter(decided.dead_reason, *origin, "dispatcher", kind="exhausted")
            out.append((self._dead, letter, Contract.DEAD_LETTER))
        return out

    async def _produce(self, records: list[tuple[str, Any, Contract]], ids: dict[str, str]) -> None:
        """Produce each record (dicts encoded to their contract) and wait for every ack."""
        key = ids["endpoint_id"]

        async def one(topic: str, value: Any, contract: Contract) -> None:
            data = value if isinstance(value, bytes) else encode(contract, value)
            await persistently(
                lambda: send(self._producer, topic, key, data), f"producing to {topic}", ids
            )

        await asyncio.gather(*(one(*record) for record in records))

    def _health_change(self, endpoint: dict[str, Any], tried: Tried) -> Change | None:
        if tried.outcome == "succeeded":
            return self._health.succeeded(endpoint)
        if tried.exchange.status == GONE:
            return self._health.gone(endpoint)
        return self._health.failed(endpoint, time.time())

    async def _update(self, endpoint_id: str, change: Change, ids: dict[str, str]) -> None:
        """Write a health change to the endpoint's config record (every service sees it)."""
        try:
            if self._writer is not None:
                disabling = change.get("enabled") is False
                await persistently(
                    lambda: self._writer.update(endpoint_id, change, touch=disabling),  # type: ignore[union-attr]
                    "updating the endpoint",
                    ids,
                )
                if disabling:
                    log.warning(
                        "endpoint disabled", extra={**ids, "reason": change["disabled_reason"]}
                    )
        finally:
            self._health.written(endpoint_id, change)

    async def spill(self, job: Job, waited: float) -> None:
        """Park a record of a lane that cannot keep up on a retry tier, unattempted.

        It comes back after about twice the time the lane's oldest record has waited.
        """
        delivery = job.state if job.state is not None else await self._decode(job.record)
        if delivery is None:
            return
        schedule = self._settings.retry_schedule
        delay = max(min(schedule), 2 * waited)
        tier = tier_for(delay, min(schedule), schedule)
        parked = next_delivery(delivery, Retry(delay, tier), clock.now())
        parked["attempt"] = delivery["attempt"]  # no attempt was made
        topic = physical(self._settings.topic_prefix, retry_topic(tier))
        ids = {"delivery_id": delivery["id"], "endpoint_id": delivery["endpoint_id"]}
        await self._produce([(topic, parked, Contract.DELIVERY)], ids)
        log.info("delivery parked: endpoint backlog", extra={**ids, "seconds": round(delay, 1)})

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

        None (after logging) when the endpoint was deleted: nothing to send.
        """
        ids = {"delivery_id": delivery["id"], "endpoint_id": delivery["endpoint_id"]}
        offset = int(delivery.get("config_offset", 0))
        await persistently(
            lambda: self._view.wait_for_writer(offset), "waiting for configuration", ids
        )
        endpoint = self._view.get("endpoint", delivery["endpoint_id"])
        if endpoint is None:
            log.info("endpoint deleted, delivery skipped", extra=ids)
        return endpoint
