"""What the dispatcher does with one delivery record: decode, wait, attempt, record, follow up.

A delivery goes to a target (:mod:`.targets.target`): an app's endpoint, or an inbound route's HTTP
destination (records of ``"kind": "route"``); both take the same path through here.

A record is done (its offset may be committed) once what it caused is durable in Kafka: its
attempt record and its retry or dead letter were acknowledged; or it needs nothing (endpoint or
route gone). A record for a disabled endpoint is recorded as a failed attempt without a request,
so it shows in the log and can be recovered once the endpoint is enabled again.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from functools import partial

import orjson
from aiokafka import AIOKafkaProducer

from services.dispatcher.deliveries import Delivery, ids_of, is_route, is_route_key
from services.dispatcher.flow.retry_plan import Plan, plan
from services.dispatcher.intake.decoding import decode_delivery
from services.dispatcher.intake.jobs import Job
from services.dispatcher.outcomes.attempt_records import fitted
from services.dispatcher.outcomes.endpoint_status import EndpointStatus
from services.dispatcher.outcomes.endpoint_writer import EndpointWriter
from services.dispatcher.outcomes.kafka_out import Outgoing, persistently, produce, produce_replies
from services.dispatcher.outcomes.operational_events import OperationalEvents
from services.dispatcher.targets.attempt import attempt
from services.dispatcher.targets.clients import ClientPool
from services.dispatcher.targets.endpoint_target import EndpointTarget
from services.dispatcher.targets.exchange import Exchange, post
from services.dispatcher.targets.fast_http import FastSender, sendable
from services.dispatcher.targets.request import OutboundRequest
from services.dispatcher.targets.route_target import RouteTarget
from services.dispatcher.targets.target import Target
from services.dispatcher.targets.tried import Tried
from shared import clock, metrics
from shared.config_state import ConfigState
from shared.config_view import ConfigView
from shared.contracts import Contract, encode
from shared.endpoint_limits import DEFAULT_MAX_IN_FLIGHT, in_flight_limit
from shared.kafka_io import dead_letter
from shared.payload_versions import headers_for
from shared.settings import Settings
from shared.topics import Topic, physical

log = logging.getLogger(__name__)
# In flight to one endpoint without its own max_in_flight, or to one route.
ENDPOINT_CONCURRENCY = DEFAULT_MAX_IN_FLIGHT
# Queued records a slow endpoint keeps in memory before further ones are parked.
SLOW_BACKLOG = 32


def lane_limit(view: ConfigState, endpoint_id: str) -> int:
    """How many deliveries to ``endpoint_id`` may be in flight at once: the endpoint's
    ``max_in_flight`` (:func:`shared.endpoint_limits.in_flight_limit`).

    Ordered endpoints get one, so they receive in offset order; so does an endpoint the view
    does not know (yet), because it might be an ordered one whose creation is still on its way.
    Routes are never ordered.
    """
    if is_route_key(endpoint_id):
        return ENDPOINT_CONCURRENCY
    endpoint = view.get("endpoint", endpoint_id)
    if endpoint is None:
        return 1
    return in_flight_limit(endpoint)


def backlog_limit(view: ConfigState, endpoint_id: str) -> int | None:
    """Queued records a slow endpoint (or route) keeps; None (never park) for ordered or
    unknown endpoints."""
    if is_route_key(endpoint_id):
        return SLOW_BACKLOG
    endpoint = view.get("endpoint", endpoint_id)
    if endpoint is None or endpoint.get("ordered"):
        return None
    return SLOW_BACKLOG


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
        fast: FastSender | None = None,
    ) -> None:
        self._settings, self._view, self._producer = settings, view, producer
        self._clients, self._rng, self._fast = clients, rng, fast
        self._events = OperationalEvents(producer, physical(settings.topic_prefix, Topic.EVENTS))
        self._status = EndpointStatus(settings.disable_after, writer, self._events)
        self._attempts = physical(settings.topic_prefix, Topic.ATTEMPTS)
        self._dead = physical(settings.topic_prefix, Topic.DEAD)
        self._replies = physical(settings.topic_prefix, Topic.REPLIES)

    async def __call__(self, job: Job) -> float | None:
        delivery = job.state or await decode_delivery(job.record, self._producer, self._dead)
        if delivery is None:
            return None
        target = await self._target(delivery)
        if target is None:
            return None
        if target.blocked is not None:
            tried = target.unsent(target.blocked)
            outgoing = [self._attempt(target, tried, "failed")]
            await self._record(delivery, target, tried, outgoing, "failed")
            return None
        send = partial(self._send, target.key, target.endpoint is not None)
        tried = await attempt(send, delivery, target, self._settings)
        decided = plan(tried, target.ordered, self._settings, self._rng, clock.now())
        endpoint = target.endpoint
        change = None if endpoint is None else self._status.judge(endpoint, tried)
        if change is not None and change.get("enabled") is False:
            decided = Plan("failed")  # disabled now: no retry of it or of anything after it
        outgoing = self._outgoing(job, target, tried, decided)
        await self._record(delivery, target, tried, outgoing, decided.outcome)
        if change is not None:
            await self._status.apply(target.key, change, target.ids)
        if decided.retry is not None and decided.tier is None:
            job.state = decided.retry
            return decided.delay
        return None

    async def _record(
        self,
        delivery: Delivery,
        target: Target,
        tried: Tried,
        outgoing: list[Outgoing],
        outcome: str,
    ) -> None:
        """What every attempt ends with: produce what it left (durable on return), log and count
        it, tell the operator of an exhausted delivery, answer a caller waiting in sync mode."""
        await produce(self._producer, outgoing, target.key, target.ids)
        sent = target.blocked is None
        if sent:
            log.info("attempt recorded", extra={**target.ids, "outcome": outcome})
        else:
            log.info(
                "attempt recorded without a request",
                extra={**target.ids, "reason": target.blocked},
            )
        if outcome == "exhausted" and not is_route(delivery):
            recorded = outgoing[0][1]  # the attempt record, encoded
            last = orjson.loads(recorded) if isinstance(recorded, bytes) else recorded
            await self._events.attempt_exhausted(delivery, str(last["id"]))
        status, duration_ms = (tried.exchange.status, tried.duration_ms) if sent else (None, None)
        metrics.attempted(outcome, status, duration_ms, delivery)
        replies = target.replies(tried, outcome)
        await produce_replies(self._producer, self._replies, replies)

    async def _send(
        self, key: str, to_endpoint: bool, request: OutboundRequest, timeout_ms: int
    ) -> Exchange:
        """Endpoint POSTs over the shared fast client when there is one; the rest (and
        every request when there is none, as in tests) over a client of ``key``'s own."""
        if self._fast is not None and to_endpoint and sendable(request):
            return await self._fast.post(request, timeout_ms)
        async with self._clients.client(key) as client:
            return await post(client, request, timeout_ms)

    def _attempt(self, target: Target, tried: Tried, outcome: str) -> Outgoing:
        record, contract = target.attempt_record(tried, outcome)
        return (self._attempts, fitted(record, contract, target.ids), contract)

    def _outgoing(self, job: Job, target: Target, tried: Tried, decided: Plan) -> list[Outgoing]:
        """What the attempt leaves on Kafka: its record, and its retry or dead letter."""
        out = [self._attempt(target, tried, decided.outcome)]
        contract = target.delivery_contract
        if decided.retry is not None and decided.tier is not None:
            tier = physical(self._settings.topic_prefix, decided.tier)
            out.append((tier, decided.retry, contract))
        if decided.dead_reason is not None:
            record = job.record
            value = encode(contract, tried.delivery)
            origin = (record.topic, record.partition, record.offset, record.key, value)
            letter = dead_letter(decided.dead_reason, *origin, "dispatcher", kind="exhausted")
            out.append((self._dead, letter, Contract.DEAD_LETTER))
        return out

    async def _target(self, delivery: Delivery) -> Target | None:
        """The endpoint or route as configured once the view has read what the delivery's
        writer saw.

        None (after logging) when the endpoint was deleted: nothing to send. A deleted route
        is a target that refuses to send, so its attempt is recorded failed.
        """
        ids = ids_of(delivery)
        offset = int(delivery.get("config_offset", 0))
        await persistently(
            lambda: self._view.wait_for_writer(offset), "waiting for configuration", ids
        )
        if is_route(delivery):
            return RouteTarget(delivery, self._view.get("route", delivery["route_id"]))
        endpoint = self._view.get("endpoint", delivery["endpoint_id"])
        if endpoint is None:
            log.info("endpoint deleted, delivery skipped", extra=ids)
            return None
        if "headers" not in delivery:  # repeated from the log: version header as configured now
            catalogued = self._view.get("event_type", delivery["event_type"])
            delivery = {**delivery, "headers": headers_for(catalogued, endpoint)}
        return EndpointTarget(delivery, endpoint, self._settings.secret_keys)
