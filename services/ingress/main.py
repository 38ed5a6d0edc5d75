"""Run the ingress: config view, durable producer, and the public HTTP API."""

from __future__ import annotations

import asyncio
import logging

import httpx

from services.ingress.http_app import create_app
from services.ingress.publish.config_store import ConfigStore
from services.ingress.publish.kafka_probe import KafkaProbe
from services.ingress.publish.operational import ensure_operational_app
from services.ingress.publish.reply_inbox import start_inbox
from services.ingress.web.hub import Hub
from shared import lifecycle
from shared.config_view import ConfigView
from shared.health import listening, start_http
from shared.kafka_io import durable_producer
from shared.secret_box import secret_box
from shared.settings import Settings
from shared.topics import Topic, physical

log = logging.getLogger(__name__)
# How long requests in progress at SIGTERM may take to finish (a publish waiting for its
# verdict, an inbound request in sync mode); within Kubernetes' default 30 s grace period.
DRAIN_SECONDS = 25.0


async def serve(settings: Settings) -> None:
    """Serve until SIGTERM/SIGINT; then stop taking connections, let the requests in progress
    finish (:data:`DRAIN_SECONDS` at most), flush the producer and return."""
    stop = lifecycle.stop_event()
    await lifecycle.topics_ready(settings)
    config_topic = physical(settings.topic_prefix, Topic.CONFIG)
    view = ConfigView(settings.bootstrap, config_topic, client_id="hookbus-ingress")
    producer = durable_producer(settings.bootstrap, "hookbus-ingress")
    await view.start()
    await producer.start()
    replies_topic = physical(settings.topic_prefix, Topic.REPLIES)
    replies = await start_inbox(settings.bootstrap, replies_topic, settings.instance_id, producer)
    audit = httpx.AsyncClient(base_url=settings.audit_url, timeout=30.0)
    hub = Hub(
        settings=settings,
        producer=producer,
        config=ConfigStore(view, producer, config_topic),
        audit=audit,
        events_topic=physical(settings.topic_prefix, Topic.EVENTS),
        replies=replies,
        box=secret_box(settings.secret_keys),
        kafka=KafkaProbe(view),
    )
    await ensure_operational_app(hub)
    probing = asyncio.create_task(hub.kafka.run(stop), name="ingress-kafka-probe")
    server, task = start_http(
        create_app(hub), settings.http_host, settings.http_port, DRAIN_SECONDS
    )
    await listening(server, task)
    log.info(
        "ingress listening",
        extra={
            "port": settings.http_port,
            "instance": settings.instance_id,
            "secrets_sealed": hub.box.enabled,
        },
    )
    await asyncio.wait([task, asyncio.create_task(stop.wait())], return_when="FIRST_COMPLETED")
    log.info("stopping: finishing the requests in progress")
    server.should_exit = True
    hub.stopping.set()
    await task
    stop.set()  # also when the server ended on its own
    await probing
    await producer.stop()
    await replies.stop()
    await view.stop()
    await audit.aclose()
    log.info("ingress stopped")


def main() -> int:
    """Entry point of ``hookbus serve ingress``."""
    lifecycle.run(serve(lifecycle.prepare("ingress")))
    return 0
