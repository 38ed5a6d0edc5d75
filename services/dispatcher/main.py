"""``hookbus serve dispatcher``: deliver every record of the deliveries topic and its retry
tiers over HTTP.

Runs until SIGTERM/SIGINT, then stops fetching, lets running deliveries finish (bounded),
commits what is done and exits 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from functools import partial

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from fastapi import FastAPI

from services.dispatcher.flow import observed
from services.dispatcher.flow.lanes import LaneScheduler
from services.dispatcher.flow.parking import Parking
from services.dispatcher.flow.rate_limits import RateLimits
from services.dispatcher.flow.retry_tiers import due_epoch
from services.dispatcher.handler import DeliveryHandler, backlog_limit, lane_limit
from services.dispatcher.intake.consumer import ParallelConsumer
from services.dispatcher.outcomes.endpoint_writer import EndpointWriter
from services.dispatcher.targets.clients import ClientPool
from services.dispatcher.targets.fast_http import FastSender
from services.dispatcher.targets.guarded_network import PublicOnlyBackend
from shared import lifecycle
from shared.config_view import ConfigView
from shared.errors import KafkaUnavailable
from shared.health import health_router, listening, start_http
from shared.kafka_io import durable_producer
from shared.settings import Settings
from shared.topics import Topic, physical, retry_topics

log = logging.getLogger(__name__)
DRAIN_SECONDS = 25.0
# Records fetched but not finished, per unit of delivery concurrency: enough that lanes of a
# slow endpoint do not starve the others at once, small enough to bound memory.
BUFFER_FACTOR = 4
# aiokafka keeps one fetch in flight per broker, and the broker holds a fetch of caught-up
# partitions this long. A partition resumed meanwhile (its lanes caught up) waits for that fetch
# to return: at aiokafka's 500 ms, a burst on one endpoint arrived in pulses, 200 deliveries
# every half second. 100 ms costs an idle dispatcher 10 empty fetches a second (about 7 ms of
# CPU); 50 ms cost twice that and delivered no faster.
FETCH_MAX_WAIT_MS = 100
# One partition may hold this share of the buffer: a partition stuck behind an ordered
# endpoint's retry pauses alone before it fills the buffer all partitions share.
PARTITION_SHARE = 4


def main() -> int:
    """Run the dispatcher until a stop signal; return the exit status."""
    settings = lifecycle.prepare("dispatcher")
    code = lifecycle.run(serve(settings))
    log.info("dispatcher stopped", extra={"exit_code": code})
    return code


async def _view_ready(view: ConfigView, stop: asyncio.Event) -> bool:
    """Wait until the view has read the whole config topic; False if stopped first.

    Deliveries are only acted on after this: an endpoint missing from a half-read view would
    look deleted.
    """
    while not stop.is_set():
        try:
            await view.catch_up(timeout=10.0)
            return True
        except KafkaUnavailable as exc:
            log.warning("configuration not caught up yet", extra={"error": str(exc)})
    return False


def _rate(view: ConfigView, endpoint_id: str) -> float | None:
    endpoint = view.get("endpoint", endpoint_id)
    return None if endpoint is None else endpoint.get("rate_limit")


def _pipeline(
    settings: Settings, handler: DeliveryHandler, view: ConfigView, producer: AIOKafkaProducer
) -> tuple[AIOKafkaConsumer, ParallelConsumer]:
    """The consumer of deliveries and retry tiers (subscribed, not started) and the loop."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.bootstrap,
        group_id=f"{settings.topic_prefix}dispatcher",
        client_id=f"hookbus-dispatcher-{settings.instance_id}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        # Range assignment gives one copy the same partition number of every topic, so an
        # endpoint's deliveries and retries (same key, same partition) are worked on in one
        # place: one rate limit, one health record, one lane.
        partition_assignment_strategy=(RangePartitionAssignor,),
        fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
    )
    tiers = [physical(settings.topic_prefix, t) for t in retry_topics(settings.retry_schedule)]
    scheduler = LaneScheduler(
        handler,
        partial(lane_limit, view),
        settings.delivery_concurrency,
        gate=RateLimits(partial(_rate, view)).wait,
        spill=Parking(settings, producer) if tiers else None,
        backlog_for=partial(backlog_limit, view),
    )
    buffered = settings.delivery_concurrency * BUFFER_FACTOR
    parallel = ParallelConsumer(
        consumer,
        scheduler,
        buffered,
        partition_buffered=max(1, buffered // PARTITION_SHARE),
        tiers=tiers,
        due_of=lambda record: due_epoch(record.value, orjson.loads),
    )
    topics = [physical(settings.topic_prefix, Topic.DELIVERIES), *tiers]
    consumer.subscribe(topics, listener=parallel.listener())
    observed.watch(settings, consumer, scheduler, view)
    return consumer, parallel


def _health(view: ConfigView, parallel: ParallelConsumer) -> FastAPI:
    app = FastAPI(title="hookbus dispatcher")
    app.include_router(health_router(lambda: {"config": view.ready, "consumer": parallel.running}))
    return app


async def serve(settings: Settings) -> int:
    """Run the dispatcher in this event loop until a stop signal; return the exit status."""
    stop = lifecycle.stop_event()
    await lifecycle.topics_ready(settings)
    config = physical(settings.topic_prefix, Topic.CONFIG)
    view = ConfigView(
        settings.bootstrap, config, f"hookbus-dispatcher-config-{settings.instance_id}"
    )
    await view.start()
    producer = durable_producer(settings.bootstrap, f"hookbus-dispatcher-{settings.instance_id}")
    await producer.start()
    backend = None if settings.allow_private_destinations else PublicOnlyBackend()
    clients = ClientPool(max_idle=max(64, settings.delivery_concurrency), backend=backend)
    writer = EndpointWriter(view, producer, config)
    fast = FastSender(clients.ssl_context, guard=not settings.allow_private_destinations)
    handler = DeliveryHandler(settings, view, producer, clients, writer, fast=fast)
    consumer, parallel = _pipeline(settings, handler, view, producer)
    server, http_task = start_http(
        _health(view, parallel), settings.http_host, settings.dispatcher_port
    )
    try:
        await listening(server, http_task)
        if not await _view_ready(view, stop):
            return 0
        await consumer.start()
        return await _run(parallel, stop)
    finally:
        server.should_exit = True
        with contextlib.suppress(Exception):  # it may never have started
            await consumer.stop()
        await producer.stop()
        await clients.aclose()
        await fast.aclose()
        await view.stop()
        await http_task


async def _run(parallel: ParallelConsumer, stop: asyncio.Event) -> int:
    """Run the fetch loop, then drain; 1 when a delivery crashed (after committing what is done)."""
    status = 0
    try:
        await parallel.run(stop)
        log.info("stopping: draining deliveries in flight")
    except Exception:
        log.exception("dispatcher crashed")
        status = 1
    await parallel.give_up(None, DRAIN_SECONDS)
    return status
