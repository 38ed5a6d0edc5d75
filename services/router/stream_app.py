"""The router's faust app: consume ``events``, route each one, commit only what is durable.

What faust-streaming 0.15.3 does (read in its source, then checked against a broker), and what
the agent does about it:

- Acks and commits: the consumer commits, per partition, the offsets streams have *acked*,
  after ``producer.flush()``. A stream acks an event in a ``finally``, so also when the agent
  body raised or was cancelled, and faust then restarts the actor on the next events: an event
  whose handler failed is committed without its deliveries. ``flush()`` waits for records in
  flight but does not raise for those Kafka refused. So the agent iterates ``stream.noack()``
  and acks an event only once Kafka acknowledged (acks=all) every record it caused. Records of
  the next events are produced meanwhile; acks follow consumption order (:class:`InOrderAcks`).
- ``Consumer._new_offset`` commits past one unacked offset when the next is acked (its gap check
  is ``min(acked) - committed > 1``, and it is skipped while nothing was ever committed). So:
  one actor, in-order acks, and nothing leaves the agent body. Bad events become dead letters,
  Kafka refusals are produced again, and anything else crashes the worker (exit 1) rather than
  let faust restart the actor.
- ``stream_wait_empty`` (on by default) makes shutdown and every rebalance wait until each
  event taken is acked: an event held by the config barrier or a Kafka outage would block
  SIGTERM forever. Off, the actor is cancelled instead; its ``finally`` drains the window and
  the consumer commits what was acked before leaving the group.
- On a rebalance faust drops the acked-but-uncommitted offsets of revoked partitions before
  committing, so their next owner routes those events again: committing every second instead
  of every 2.8 s keeps that short.
- Only ``internal`` topics are declared by faust, so ours are never re-created (the router
  creates the window's changelog itself, with ``HOOKBUS_REPLICATION_FACTOR`` copies). The
  leader topic is disabled (no ``on_leader`` work).
- No faust table. With one, a restart lost events now and then (measured with the restart
  tests: 1 run in 15 with 3 events waiting, 9 in 10 with 100): to recover a table faust resumes
  the consumer's flow and starts its fetcher, then resumes the events partitions and awaits
  their seek to the committed offsets. Events fetched meanwhile reach the agent;
  ``flow_control.resume()`` then clears the agent's queue, and the rest of that stale batch
  moves the consumer's read offset past the cleared events, so their refetched copies are
  dropped as already read while the events behind them are routed a second time. Commits then
  stop at the hole, or pass it when it is one offset (``_new_offset`` above). Without a table,
  faust keeps the flow stopped until the seek is done; so the duplicate window is ours
  (``claims``): one store per events partition, rebuilt from its changelog partition before
  the agent judges the first event of a partition it was given. Claims are written to the
  store and produced to the changelog by the agent itself, through the same outbox as the
  deliveries, so an event is acked only once its claims are durable too. The changelog is
  compacted and also deleted past the window (plus a margin); expired claims are dropped from
  memory by a timer.
- faust reads its settings' ``env_name`` variables (``WEB_PORT``, ``PRODUCER_ACKS``…) *over*
  the values passed in; ``env={}`` keeps ``HOOKBUS_*`` the only source.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

import faust
from aiokafka import AIOKafkaProducer

from services.router.claims import Claims
from services.router.claims_log import ChangelogReader, changelog_spec
from services.router.config_gate import ConfigGate
from services.router.deliveries import Outgoing
from services.router.faust_io import (
    FaustOutbox,
    IdempotentProducer,
    SendWhenIdle,
    add_health_pages,
    raw_topic,
)
from services.router.handler import Incoming, Router
from services.router.inbound.planner import InboundPlanner
from services.router.inflight import InOrderAcks
from services.router.window import Window
from shared import consumer_lag, metrics
from shared.kafka_io import MAX_BATCH_BYTES
from shared.settings import Settings
from shared.topics import MAX_RECORD_BYTES, Topic, physical
from shared.user_topics import UserTopics

log = logging.getLogger(__name__)
# Events routed while earlier ones still wait for Kafka's acks; bounds memory and redelivery.
IN_FLIGHT = 64
# On shutdown, how long records already produced may take to be acknowledged (then committed).
DRAIN_SECONDS = 10.0
# How long a produce request waits for more deliveries to carry (unless events are sparse).
LINGER_SECONDS = 0.005
# How often expired claims are dropped from memory.
PURGE_SECONDS = 600.0


def create_app(settings: Settings, gate: ConfigGate) -> faust.App:
    """The faust app routing ``events`` to ``deliveries`` (consumer group ``<prefix>router``)."""
    app = faust.App(
        f"{settings.topic_prefix}router",
        env={},
        broker=f"kafka://{settings.bootstrap}",
        autodiscover=False,
        datadir=str(settings.data_dir / "router"),
        key_serializer="raw",
        value_serializer="raw",
        topic_partitions=settings.partitions,
        topic_replication_factor=settings.replication_factor,
        topic_disable_leader=True,
        producer_acks=-1,
        producer_linger=LINGER_SECONDS,  # lets records of events in flight share produce requests
        producer_max_request_size=MAX_RECORD_BYTES,
        producer_max_batch_size=MAX_BATCH_BYTES,  # one request carries a burst of deliveries
        stream_wait_empty=False,
        broker_commit_interval=1.0,
        broker_session_timeout=10.0,  # a dead router's partitions move on after 10 s, not 60
        web_enabled=True,
        web_bind=settings.http_host,
        web_host=settings.http_host,
        web_port=settings.router_port,
        web_router_enabled=False,
        web_tables_enabled=False,
        web_graph_enabled=False,
        web_stats_enabled=False,
    )
    app.producer = IdempotentProducer(app.transport, loop=app.loop, beacon=app.beacon)
    events = raw_topic(app, physical(settings.topic_prefix, Topic.EVENTS))
    changelog = changelog_spec(settings).name
    claims = Claims(ChangelogReader(settings.bootstrap, changelog))
    window = Window(claims, changelog, settings.dedupe_window)
    router = Router(
        gate.view,
        gate,
        FaustOutbox(app),
        deliveries_topic=physical(settings.topic_prefix, Topic.DELIVERIES),
        dead_topic=physical(settings.topic_prefix, Topic.DEAD),
        window=window,
        replies_topic=physical(settings.topic_prefix, Topic.REPLIES),
        attempts_topic=physical(settings.topic_prefix, Topic.ATTEMPTS),
        inbound=InboundPlanner(
            gate.view,
            UserTopics(settings.bootstrap, settings.partitions, settings.replication_factor),
            events_topic=physical(settings.topic_prefix, Topic.EVENTS),
            deliveries_topic=physical(settings.topic_prefix, Topic.DELIVERIES),
            attempts_topic=physical(settings.topic_prefix, Topic.ATTEMPTS),
            replies_topic=physical(settings.topic_prefix, Topic.REPLIES),
            window=window,
        ),
    )

    async def take_claims(app: faust.App, assigned: set[faust.types.TP], **_: object) -> None:
        # Sent by faust after each assignment, before the stream partitions are resumed.
        mine = {tp.partition for tp in assigned if tp.topic == events.get_topic_name()}
        claims.assign(mine, app.consumer_generation_id)

    # mode types a receiver as taking any positional arguments; faust sends (app, assigned).
    app.on_partitions_assigned.connect(take_claims)  # type: ignore[arg-type]

    eager = SendWhenIdle(partial(_aiokafka_producer, app), sparse_gap=LINGER_SECONDS)

    @app.agent(events, name="route", concurrency=1)
    async def route(stream: faust.StreamT[bytes]) -> None:
        manual = stream.noack()  # type: ignore[attr-defined]  # on Stream, missing on StreamT
        window: InOrderAcks[faust.EventT[bytes]] = InOrderAcks(manual.ack, IN_FLIGHT)
        try:
            async for event in manual.events():
                # plan() judges before its first await: no rebalance slips in between.
                await claims.ensure(event.message.partition)
                planned = await router.plan(incoming(event))
                _count(planned, router)
                await window.add(event, await router.dispatch(planned))
                eager.routed()
        except Exception as exc:
            # A restarted actor would ack later events and so commit past this one.
            log.critical("routing stopped by an unexpected error", exc_info=True)
            await app.crash(exc)
        finally:
            await window.close(DRAIN_SECONDS)

    @app.timer(PURGE_SECONDS)  # type: ignore[untyped-decorator]  # faust is untyped
    async def purge_expired_claims() -> None:
        dropped = window.purge()
        if dropped:
            log.info("expired claims dropped", extra={"claims": dropped})

    add_health_pages(app, gate)
    consumer_lag.watch(settings, "router", partial(_assigned, app), [events.get_topic_name()])
    return app


def _assigned(app: faust.App) -> set[Any]:
    """The partitions the router's consumer owns; none before it started."""
    try:
        return set(app.consumer.assignment())
    except Exception:  # faust raises its own ConsumerNotStarted until then
        return set()


def _count(planned: list[Outgoing], router: Router) -> None:
    """Count one routed event and the deliveries it caused."""
    topics = [item.topic for item in planned]
    dead = router.dead_topic in topics
    metrics.EVENTS_ROUTED.labels("dead_lettered" if dead else "routed").inc()
    metrics.DELIVERIES_CREATED.inc(topics.count(router.deliveries_topic))


def incoming(event: faust.EventT[bytes]) -> Incoming:
    """Where an event came from, and its raw key and value."""
    message = event.message
    return Incoming(message.topic, message.partition, message.offset, message.key, message.value)


def _aiokafka_producer(app: faust.App) -> AIOKafkaProducer | None:
    return getattr(app.producer, "_producer", None)
