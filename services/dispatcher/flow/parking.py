"""Parking: a lane that cannot keep up moves its newest records to a retry tier, unattempted.

An endpoint that hangs, or is rate limited below what it is sent, would otherwise fill the
buffer every endpoint shares with records it cannot take yet. A parked record keeps its attempt
number (no attempt was made) and comes back after about twice the time the lane's oldest record
has waited (at least the first delay, at most the longest), on the shortest tier that long.
Unordered endpoints only: parking does not keep order.
"""

from __future__ import annotations

import logging

from aiokafka import AIOKafkaProducer

from services.dispatcher.deliveries import contract_of, ids_of, key_of
from services.dispatcher.flow.lanes import Job
from services.dispatcher.flow.retry_tiers import Retry, next_delivery, tier_for
from services.dispatcher.intake.decoding import decode_delivery
from services.dispatcher.outcomes.kafka_out import produce
from shared import clock
from shared.settings import Settings
from shared.topics import Topic, physical, retry_topic

log = logging.getLogger(__name__)


class Parking:
    """``await parking(job, waited)``: produce the job's delivery to a tier; blocks on Kafka."""

    def __init__(self, settings: Settings, producer: AIOKafkaProducer) -> None:
        self._schedule = settings.retry_schedule
        self._prefix = settings.topic_prefix
        self._producer = producer
        self._dead = physical(settings.topic_prefix, Topic.DEAD)

    async def __call__(self, job: Job, waited: float) -> None:
        delivery = job.state or await decode_delivery(job.record, self._producer, self._dead)
        if delivery is None:
            return
        first = min(self._schedule)
        delay = min(max(first, 2 * waited), max(self._schedule))
        tier = tier_for(delay, first, self._schedule)
        parked = next_delivery(delivery, Retry(delay, tier), clock.now())
        parked["attempt"] = delivery["attempt"]
        topic = physical(self._prefix, retry_topic(tier))
        ids = ids_of(delivery)
        await produce(
            self._producer, [(topic, parked, contract_of(delivery))], key_of(delivery), ids
        )
        log.info("delivery parked: endpoint backlog", extra={**ids, "seconds": round(delay, 1)})
